#!/usr/bin/env python3
"""Quality (on demand): MoDeGPT and SVD baselines on SmolLM2-135M and MiniLM.

SmolLM2-135M (test/models/smollm2.py): calibrated with Module.calibrate on
windows of peft_mlir.textdata.calibration_text() (Apache-2.0, MPL-2.0, CC0,
Artistic), compressed, exported to ONNX and scored by onnxruntime on the
evaluation text (GPL-3; disjoint from the calibration text). Variants at each
ratio, all removing the same share of the compressed modules' parameters:

  modegpt-global   peft-modegpt, global allocation from block influence
  modegpt-uniform  peft-modegpt, every block at the ratio
  svd              peft-lowrank-svd{whitening=none} on the same layers
  svd-whitened     peft-lowrank-svd{whitening=activation} (SVD-LLM)

all-MiniLM-L6-v2 (gen_models' minilm export): the same variants, scored by the
cosine similarity of sentence embeddings to the original model's on held-apart
sentences (textdata.evaluation_sentences()).

Writes bench/results/quality_modegpt.md.

  PYTHONPATH=build/python_packages ~/.cache/peft-mlir/venv/bin/python bench/quality_modegpt.py \\
      [--ratios 0.1 0.2 0.3] [--types mlp] [--calibration-windows 16]
"""
import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import peft_mlir
from peft_mlir import evaluate, textdata

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "test" / "models"))
import gen_models  # noqa: E402
import smollm2  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "quality_modegpt.md"
ROLES = {"mlp": ["gate", "up", "down"], "qk": ["q", "k"], "vo": ["v", "o"]}


def log(s):
    print(s, file=sys.stderr, flush=True)


def compress(model_path, stats, variant, ratio, types, out):
    m = peft_mlir.import_onnx(str(model_path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if variant.startswith("modegpt"):
            allocation = "global" if variant == "modegpt-global" else "uniform"
            m.modegpt(ratio=ratio, stats=stats, types=types, allocation=allocation,
                      report="none")
        else:
            roles = [r for t in types for r in ROLES[t]]
            whitening = "activation" if variant == "svd-whitened" else "none"
            m.lowrank_svd(ratio=ratio, roles=roles, whitening=whitening,
                          stats=stats if whitening == "activation" else None, report="none")
    m.export_onnx(str(out))


def smollm2_rows(a, tmp):
    d = smollm2.ensure_model(log=log)
    tok = smollm2.load_tokenizer(d)
    calib = textdata.token_windows(tok, textdata.calibration_text(), a.seq_len,
                                   max_windows=a.calibration_windows)
    windows = textdata.token_windows(tok, textdata.evaluation_text(), a.seq_len,
                                     max_windows=a.eval_windows)
    stats = tmp / "smollm2.stats.safetensors"
    t = time.perf_counter()
    m = peft_mlir.import_onnx(str(d / "model.onnx"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = m.calibrate([{"input_ids": w[None]} for w in calib], out=stats)
    calib_seconds = time.perf_counter() - t
    rows = [("fp32", "-", evaluate.perplexity(evaluate.runner(d / "model.onnx", "ort"), windows))]
    for ratio in a.ratios:
        for variant in a.variants:
            out = tmp / f"smollm2-{variant}-{ratio}.onnx"
            t = time.perf_counter()
            compress(d / "model.onnx", stats, variant, ratio, a.types, out)
            seconds = time.perf_counter() - t
            r = evaluate.perplexity(evaluate.runner(out, "ort"), windows, label=f"{variant} {ratio}")
            r["compress_seconds"] = seconds
            rows.append((variant, ratio, r))
            out.unlink()
            for extra in out.parent.glob(out.name + "*"):
                extra.unlink()
    return rows, cal.num_tokens, len(calib), calib_seconds


def minilm_rows(a, tmp):
    gen_models.generate("minilm_opset14", tmp)
    model = tmp / "minilm_opset14.onnx"
    from transformers import BertTokenizerFast
    tok = BertTokenizerFast.from_pretrained(str(gen_models.minilm_dir()))
    calib_sentences = textdata.calibration_sentences()[:a.minilm_calibration_sentences]
    eval_sentences = textdata.evaluation_sentences()[:a.minilm_eval_sentences]
    stats = tmp / "minilm.stats.safetensors"
    samples = [evaluate._bert_feeds(tok, calib_sentences[i:i + 16], 128)
               for i in range(0, len(calib_sentences), 16)]
    m = peft_mlir.import_onnx(str(model))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = m.calibrate(samples, out=stats)
    base = evaluate.runner(model, "ort")
    rows = []
    for ratio in a.ratios:
        for variant in a.variants:
            out = tmp / f"minilm-{variant}-{ratio}.onnx"
            compress(model, stats, variant, ratio, a.types, out)
            r = evaluate.embedding_cosine(base, evaluate.runner(out, "ort"), tok, eval_sentences,
                                          progress=False)
            rows.append((variant, ratio, r))
    return rows, cal.num_tokens, len(eval_sentences)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ratios", type=float, nargs="+", default=[0.1, 0.2, 0.3])
    ap.add_argument("--types", nargs="+", default=["mlp"], choices=["mlp", "qk", "vo"])
    ap.add_argument("--variants", nargs="+",
                    default=["modegpt-global", "modegpt-uniform", "svd", "svd-whitened"])
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--calibration-windows", type=int, default=16)
    ap.add_argument("--eval-windows", type=int, default=None)
    ap.add_argument("--minilm-calibration-sentences", type=int, default=256)
    ap.add_argument("--minilm-eval-sentences", type=int, default=128)
    ap.add_argument("--skip-smollm2", action="store_true")
    ap.add_argument("--out", default=str(RESULTS))
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        smol = None if a.skip_smollm2 else smollm2_rows(a, tmp)
        mini = minilm_rows(a, tmp)
    command = ("PYTHONPATH=build/python_packages ~/.cache/peft-mlir/venv/bin/python "
               "bench/quality_modegpt.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    lines = [
        "# Quality: MoDeGPT and SVD baselines",
        "",
        f"Written by `bench/quality_modegpt.py` on {datetime.date.today()} "
        f"({platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
        f"peft-mlir {peft_mlir.__version__}). Command:",
        "",
        "```sh", command.strip(), "```",
        "",
        f"Compressed module types: {', '.join(a.types)}. `ratio` is the share of those "
        "modules' parameters removed; every variant at one ratio removes the same share "
        "(peft-lowrank-svd's ratio is per layer, on the same layers).",
        "",
    ]
    if smol:
        rows, tokens, windows, seconds = smol
        base = rows[0][2]
        lines += [
            "## SmolLM2-135M: perplexity on the evaluation text",
            "",
            f"Calibration: {windows} windows of {a.seq_len} tokens of "
            f"`textdata.calibration_text()` ({tokens} tokens, {seconds:.0f} s on our CPU JIT, "
            "compile included). Evaluation: `textdata.evaluation_text()` (GPL-3), "
            f"{base['windows']} windows of {a.seq_len} tokens, {base['tokens']} scored tokens, "
            "onnxruntime on the exported model.",
            "",
            "| variant | ratio | perplexity | mean NLL | compress (s) |",
            "|---|---|---|---|---|",
        ]
        for variant, ratio, r in rows:
            cs = r.get("compress_seconds")
            lines.append(f"| {variant} | {ratio} | {r['perplexity']:.3f} | {r['nll']:.5f} | "
                         f"{'-' if cs is None else f'{cs:.1f}'} |")
        lines.append("")
    rows, tokens, sentences = mini
    lines += [
        "## all-MiniLM-L6-v2: embedding cosine similarity to the original",
        "",
        f"Calibration: {tokens} tokens of `textdata.calibration_sentences()`; evaluation: "
        f"{sentences} sentences of `textdata.evaluation_sentences()`, onnxruntime.",
        "",
        "| variant | ratio | mean cosine | min cosine |",
        "|---|---|---|---|",
    ]
    for variant, ratio, r in rows:
        lines.append(f"| {variant} | {ratio} | {r['mean']:.5f} | {r['min']:.5f} |")
    lines.append("")
    Path(a.out).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
