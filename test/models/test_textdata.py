"""peft_mlir.textdata: real English text, calibration and evaluation kept apart."""

import re

import numpy as np

from peft_mlir import textdata


def _shingles(text, n=10):
    words = re.findall(r"\S+", text.lower())
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_files_are_disjoint_and_present():
    assert not set(textdata.CALIBRATION_FILES) & set(textdata.EVALUATION_FILES)
    for name in textdata.CALIBRATION_FILES + textdata.EVALUATION_FILES:
        assert (textdata.LICENSE_DIR / name).is_file(), name


def test_calibration_does_not_contain_evaluation_text():
    cal, ev = textdata.calibration_text(), textdata.evaluation_text()
    assert len(ev.split()) > 5000 and len(cal.split()) > 5000
    shared = _shingles(cal) & _shingles(ev)
    # A few stock legal phrases ("this is the first time you have received
    # notice"), no shared passage: at most 0.5 % of the 10-word sequences and
    # no 20-word sequence at all.
    assert len(shared) <= 0.005 * len(_shingles(cal)), sorted(shared)[:10]
    assert not _shingles(cal, 20) & _shingles(ev, 20)


def test_paragraphs_are_joined():
    ev = textdata.evaluation_text()
    assert ev.startswith("GNU GENERAL PUBLIC LICENSE Version 3, 29 June 2007")
    assert "\n\n" in ev and "\n\n\n" not in ev
    assert all(line == line.strip() and "  " not in line for line in ev.split("\n"))


class _WordTokenizer:
    """A stand-in `tokenizers.Tokenizer`: one id per word (its length)."""

    class _Enc:
        def __init__(self, ids):
            self.ids = ids

    def encode(self, text, add_special_tokens=False):
        return self._Enc([len(w) for w in text.split()])


def test_token_windows():
    text = " ".join("x" * (1 + i % 7) for i in range(23))
    w = textdata.token_windows(_WordTokenizer(), text, 5)
    assert w.dtype == np.int64 and w.shape == (4, 5)
    assert w.reshape(-1).tolist() == [1 + i % 7 for i in range(20)]
    w = textdata.token_windows(_WordTokenizer(), text, 5, max_windows=2, bos_token_id=0)
    assert w.tolist() == [[0, 1, 2, 3, 4], [0, 5, 6, 7, 1]]


def test_sentences_are_disjoint():
    ev, cal = textdata.evaluation_sentences(), textdata.calibration_sentences()
    assert len(ev) > 100 and len(cal) > 100
    assert all(6 <= len(s.split()) <= 40 for s in ev + cal)
    assert not set(ev) & set(cal)
