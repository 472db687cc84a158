"""Real English text for quality measurements, calibration and evaluation kept apart.

The texts are the license files of Debian's `base-files` package in
/usr/share/common-licenses (an essential package: present on every Debian 12
machine, nothing to download):

- evaluation: GPL-3 (35 KB, about 7,600 SmolLM2 tokens). `lrqat_train.py`
  evaluates on it and trains on the calibration text.
- calibration: Apache-2.0, MPL-2.0, CC0-1.0 and Artistic (41 KB). These are
  the files that share (almost) no text with GPL-3: of their 10-word
  sequences, 7 of about 6,000 also occur in GPL-3 (standard legal phrases
  such as "this is the first time you have received notice"). GPL-1, GPL-2,
  LGPL-* and GFDL-* are left out: they share 2-25 % of their 10-word
  sequences with GPL-3. `test/models/test_textdata.py` checks the split.

The files are hard-wrapped and indented; `read_license` joins each paragraph
into one line with single spaces (paragraphs stay separated by a blank line),
so that a language model sees ordinary prose.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

LICENSE_DIR = Path("/usr/share/common-licenses")
EVALUATION_FILES = ("GPL-3",)
CALIBRATION_FILES = ("Apache-2.0", "MPL-2.0", "CC0-1.0", "Artistic")

__all__ = ["LICENSE_DIR", "EVALUATION_FILES", "CALIBRATION_FILES", "read_license",
           "calibration_text", "evaluation_text", "encode", "token_windows", "sentences",
           "calibration_sentences", "evaluation_sentences"]


def read_license(name: str) -> str:
    """The text of /usr/share/common-licenses/NAME, one line a paragraph, words
    separated by single spaces."""
    path = LICENSE_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found (Debian's base-files package provides it)")
    paragraphs = re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))
    joined = (" ".join(p.split()) for p in paragraphs)
    return "\n\n".join(p for p in joined if p)


def _texts(names: Sequence[str]) -> str:
    return "\n\n".join(read_license(n) for n in names)


def evaluation_text() -> str:
    """The held-out evaluation text (GPL-3)."""
    return _texts(EVALUATION_FILES)


def calibration_text() -> str:
    """The calibration text (Apache-2.0, MPL-2.0, CC0-1.0, Artistic), disjoint
    from evaluation_text()."""
    return _texts(CALIBRATION_FILES)


def encode(tokenizer, text: str) -> list[int]:
    """Token ids of `text` without special tokens, from a `tokenizers.Tokenizer`
    or a transformers tokenizer."""
    if hasattr(tokenizer, "encode") and not hasattr(tokenizer, "convert_tokens_to_ids"):
        return list(tokenizer.encode(text, add_special_tokens=False).ids)
    return list(tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])


def token_windows(tokenizer, text: str, seq_len: int, max_windows: int | None = None,
                  bos_token_id: int | None = None):
    """Consecutive, non-overlapping windows of `seq_len` tokens of `text` as an
    int64 array [n, seq_len] (the incomplete tail is dropped). With
    `bos_token_id`, each window starts with it followed by seq_len - 1 text
    tokens. `max_windows` keeps the first ones."""
    import numpy as np

    ids = encode(tokenizer, text)
    n = seq_len - (1 if bos_token_id is not None else 0)
    if n < 1:
        raise ValueError(f"seq_len {seq_len} is too short")
    rows = [ids[i:i + n] for i in range(0, len(ids) - n + 1, n)]
    if max_windows is not None:
        rows = rows[:max_windows]
    if not rows:
        raise ValueError(f"text too short: {len(ids)} tokens, windows of {n}")
    out = np.asarray(rows, dtype=np.int64)
    if bos_token_id is not None:
        out = np.concatenate([np.full((len(rows), 1), bos_token_id, np.int64), out], axis=1)
    return out


def sentences(text: str, min_words: int = 6, max_words: int = 40) -> list[str]:
    """The sentences of `text` (split after . ; : ! ? followed by a space or a
    paragraph break) with min_words..max_words words, in order."""
    parts = re.split(r"(?<=[.;:!?])\s+|\n\n", text)
    out = []
    for p in parts:
        p = " ".join(p.split())
        if min_words <= len(p.split()) <= max_words:
            out.append(p)
    return out


def evaluation_sentences(**kw) -> list[str]:
    return sentences(evaluation_text(), **kw)


def calibration_sentences(**kw) -> list[str]:
    return sentences(calibration_text(), **kw)
