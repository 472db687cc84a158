"""Quality measurements of ONNX models: causal-LM perplexity and sentence-embedding similarity.

Both run a model by onnxruntime (CPU) or by our CPU JIT (`Module.run`), one
window (or one batch of sentences) at a time, with a progress line on stderr:

    >>> from peft_mlir import evaluate, textdata
    >>> windows = textdata.token_windows(tokenizer, textdata.evaluation_text(), 256)
    >>> evaluate.perplexity(evaluate.runner("model.onnx", "ort"), windows)
    {'nll': 3.14, 'perplexity': 23.1, 'tokens': 7140, 'windows': 28, 'seconds': 31.0, ...}

`perplexity` scores every window on its own (no context carried over): the
logits at position t predict token t + 1, so a window of S tokens scores S - 1
of them; the negative log-likelihoods are computed in float64 from the
model's logits. `embedding_cosine` compares two sentence-embedding models
(outputs `sentence_embedding`, e.g. gen_models' `minilm_opset14`: masked mean
pooling plus L2 normalisation) on the same sentences: the cosine similarity
of each sentence's two embeddings, and their mean and minimum.

Command line (SmolLM2 fp32: bench/quality_smollm2.py records the result):

    python -m peft_mlir.evaluate perplexity model.onnx --tokenizer tokenizer.json \\
        --seq-len 256 --backend ort --backend jit
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

__all__ = ["runner", "OrtRunner", "JitRunner", "window_nll", "perplexity",
           "sentence_embeddings", "embedding_cosine", "main"]


class OrtRunner:
    """onnxruntime CPU session of an ONNX file: runner(feeds) -> {name: array}."""

    backend = "ort"

    def __init__(self, path, threads: int = 2, optimize: bool = True):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        if not optimize:
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        t = time.perf_counter()
        self.session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        self.load_seconds = time.perf_counter() - t
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_names = [o.name for o in self.session.get_outputs()]

    def __call__(self, feeds: dict) -> dict:
        feeds = {k: feeds[k] for k in self.input_names}
        return dict(zip(self.output_names, self.session.run(self.output_names, feeds)))


class JitRunner:
    """Our CPU JIT on an ONNX file or a peft_mlir.Module: compiled on the
    first call (timed: `compile_seconds` includes that first run)."""

    backend = "jit"

    def __init__(self, model):
        from . import import_onnx

        t = time.perf_counter()
        self.module = import_onnx(str(model)) if isinstance(model, (str, Path)) else model
        self.load_seconds = time.perf_counter() - t
        self.compile_seconds = None

    def __call__(self, feeds: dict) -> dict:
        t = time.perf_counter()
        out = self.module.run(feeds)
        if self.compile_seconds is None:
            self.compile_seconds = time.perf_counter() - t
        return out


def runner(model, backend: str = "ort", **kw):
    """An OrtRunner ("ort") or a JitRunner ("jit") of `model`."""
    if backend == "ort":
        return OrtRunner(model, **kw)
    if backend == "jit":
        return JitRunner(model, **kw)
    raise ValueError(f"unknown backend {backend!r} (ort, jit)")


def window_nll(logits, ids) -> np.ndarray:
    """Per-token negative log-likelihoods [batch, S - 1] (float64) of ids[:, 1:]
    under logits[:, :-1] (shape [batch, S, vocab])."""
    lg = np.asarray(logits, dtype=np.float64)[:, :-1]
    tgt = np.asarray(ids)[:, 1:]
    m = lg.max(axis=-1, keepdims=True)
    lse = m[..., 0] + np.log(np.exp(lg - m).sum(axis=-1))
    picked = np.take_along_axis(lg, tgt[..., None], axis=-1)[..., 0]
    return lse - picked


def _progress(enabled: bool, label: str, done: int, total: int, extra: str, t0: float):
    if enabled:
        el = time.perf_counter() - t0
        print(f"\r[{label}] {done}/{total} {extra} {el:.1f} s", end="" if done < total else "\n",
              file=sys.stderr, flush=True)


def perplexity(run: Callable[[dict], dict], windows, batch_size: int = 1,
               input_name: str = "input_ids", output_name: str = "logits",
               progress: bool = True, label: str | None = None) -> dict:
    """Mean NLL and perplexity of a causal LM over token windows [n, S]
    (int64), `batch_size` windows a call. Returns nll, perplexity, tokens
    (scored), windows, seconds (every call, the JIT's compilation included)."""
    windows = np.asarray(windows, dtype=np.int64)
    if windows.ndim != 2 or windows.shape[1] < 2:
        raise ValueError(f"windows must be [n, S >= 2], got {windows.shape}")
    label = label or getattr(run, "backend", "model")
    total, count = 0.0, 0
    t0 = time.perf_counter()
    for i in range(0, len(windows), batch_size):
        ids = windows[i:i + batch_size]
        logits = run({input_name: ids})[output_name]
        if logits.shape[:2] != ids.shape:
            raise ValueError(f"{output_name} has shape {logits.shape} for inputs {ids.shape}")
        nll = window_nll(logits, ids)
        if not np.all(np.isfinite(nll)):
            raise ValueError(f"non-finite log-likelihood in windows {i}..{i + len(ids) - 1}")
        total += float(nll.sum())
        count += nll.size
        _progress(progress, label, min(i + batch_size, len(windows)), len(windows),
                  f"windows, ppl {math.exp(total / count):.4f}", t0)
    mean = total / count
    return dict(nll=mean, perplexity=math.exp(mean), tokens=count, windows=len(windows),
                seq_len=int(windows.shape[1]), seconds=time.perf_counter() - t0)


def _bert_feeds(tokenizer, sentences: Sequence[str], max_len: int) -> dict:
    enc = tokenizer(list(sentences), padding=True, truncation=True, max_length=max_len,
                    return_tensors="np")
    ids = enc["input_ids"].astype(np.int64)
    return {"input_ids": ids, "attention_mask": enc["attention_mask"].astype(np.int64),
            "token_type_ids": enc.get("token_type_ids", np.zeros_like(ids)).astype(np.int64)}


def sentence_embeddings(run: Callable[[dict], dict], tokenizer, sentences: Sequence[str],
                        batch_size: int = 16, max_len: int = 128,
                        output_name: str = "sentence_embedding", progress: bool = True,
                        label: str | None = None) -> np.ndarray:
    """[n, hidden] embeddings of `sentences` (a BERT-style tokenizer: input_ids,
    attention_mask, token_type_ids; padded to the longest of each batch)."""
    label = label or getattr(run, "backend", "model")
    out, t0 = [], time.perf_counter()
    for i in range(0, len(sentences), batch_size):
        batch = sentences[i:i + batch_size]
        out.append(np.asarray(run(_bert_feeds(tokenizer, batch, max_len))[output_name],
                              dtype=np.float64))
        _progress(progress, label, min(i + batch_size, len(sentences)), len(sentences),
                  "sentences", t0)
    return np.concatenate(out, axis=0)


def embedding_cosine(run_a, run_b, tokenizer, sentences: Sequence[str], **kw) -> dict:
    """Cosine similarity of each sentence's embedding under two models:
    mean, min and the per-sentence values."""
    a = sentence_embeddings(run_a, tokenizer, sentences, **kw)
    b = sentence_embeddings(run_b, tokenizer, sentences, **kw)
    cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return dict(mean=float(cos.mean()), min=float(cos.min()), sentences=len(sentences),
                cosines=cos)


def _parser():
    ap = argparse.ArgumentParser(prog="python -m peft_mlir.evaluate",
                                 description="Perplexity of a causal LM ONNX model on the "
                                 "evaluation text (peft_mlir.textdata).")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("perplexity", help="causal LM perplexity")
    p.add_argument("model", help="ONNX file (input input_ids, output logits)")
    p.add_argument("--tokenizer", required=True, help="tokenizer.json (`tokenizers`)")
    p.add_argument("--text", choices=["evaluation", "calibration"], default="evaluation")
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--max-windows", type=int)
    p.add_argument("--backend", action="append", choices=["ort", "jit"],
                   help="repeatable; default: ort")
    p.add_argument("--json", help="write the results here")
    return ap


def main(argv: Sequence[str] | None = None) -> dict:
    from tokenizers import Tokenizer

    from . import textdata

    a = _parser().parse_args(argv)
    tok = Tokenizer.from_file(a.tokenizer)
    text = textdata.evaluation_text() if a.text == "evaluation" else textdata.calibration_text()
    windows = textdata.token_windows(tok, text, a.seq_len, a.max_windows)
    results = {}
    for backend in a.backend or ["ort"]:
        r = runner(a.model, backend)
        res = perplexity(r, windows)
        res["load_seconds"] = r.load_seconds
        if backend == "jit":
            res["compile_seconds"] = r.compile_seconds
        results[backend] = res
        print(json.dumps({backend: res}), flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
