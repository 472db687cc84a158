#!/usr/bin/env python3
"""Speed (on demand): peft-modegpt seconds per decoder layer at the LLaMA-7B
shape, every module type.

One LLaMA decoder layer at the 7B shape (hidden 4096, intermediate 11008,
32 heads of 128, rotary; test/models/gen_models.py's LlamaForCausalLM with
one layer and a 100-token vocabulary, random weights) exported by torch to
ONNX, and synthetic statistics in the format of docs/calibration.md: a
rank-512-plus-diagonal covariance at the v_proj input (4096²) and at the
down_proj input (11008²), and per-head Grams Σ QᵀQ, Σ KᵀK (32 × 128²) of the
same form. Module.modegpt at ratio 0.25 (uniform) is timed per module type
(statistics read, decompositions in LAPACK, weights and graph rewritten), and
for all three together. Goal (issue 12): ≤ 60 s per layer on the 2-core
machine. Writes bench/results/modegpt_layer_speed.md.

  PYTHONPATH=build/python_packages ~/.cache/peft-mlir/venv/bin/python bench/modegpt_layer_speed.py
"""
import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import peft_mlir

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "test" / "models"))
sys.path.insert(0, str(ROOT / "bench"))
from modegpt_speed import log, synthetic_covariance, write_stats  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "modegpt_layer_speed.md"
CFG = dict(vocab=100, hidden=4096, inter=11008, layers=1, heads=32, kv_heads=32)


def export_layer(tmp):
    import onnx
    import torch
    import gen_models
    torch.manual_seed(0)
    model = gen_models.LlamaForCausalLM(CFG).eval()
    ids = torch.zeros((1, 8), dtype=torch.long)
    raw = tmp / "raw.onnx"
    t = time.perf_counter()
    with torch.no_grad():
        torch.onnx.export(model, (ids,), str(raw), export_params=True, opset_version=17,
                          input_names=["input_ids"], output_names=["logits"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}})
    path = tmp / "llama7b_layer.onnx"
    m = onnx.load(str(raw))
    onnx.save_model(m, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="llama7b_layer.data")
    log(f"[bench] LLaMA-7B decoder layer exported ({time.perf_counter() - t:.1f} s)")
    return path


def layer_stats(tmp):
    rng = np.random.default_rng(0)
    h, inter, heads = CFG["hidden"], CFG["inter"], CFG["heads"]
    d = h // heads
    p = "model.layers.0"
    tensors = {
        f"{p}.self_attn.v_proj.input_xtx": synthetic_covariance(h, 512, rng),
        f"{p}.self_attn.v_proj.input_tokens": np.array([100000], np.int64),
        f"{p}.mlp.down_proj.input_xtx": synthetic_covariance(inter, 512, rng),
        f"{p}.mlp.down_proj.input_tokens": np.array([100000], np.int64),
        f"{p}.self_attn.q_proj.q_gram": np.stack([synthetic_covariance(d, 32, rng)
                                                  for _ in range(heads)]),
        f"{p}.self_attn.k_proj.k_gram": np.stack([synthetic_covariance(d, 32, rng)
                                                  for _ in range(heads)]),
        f"{p}.self_attn.q_proj.qk_tokens": np.array([100000], np.int64),
    }
    path = tmp / "stats.safetensors"
    write_stats(path, tensors)
    return path


def time_types(path, stats, types, tmp):
    m = peft_mlir.import_onnx(str(path))
    m.raise_linear()
    report = tmp / f"report_{'_'.join(types)}.txt"
    t = time.perf_counter()
    m.modegpt(ratio=0.25, stats=stats, allocation="uniform", types=types, report=report)
    seconds = time.perf_counter() - t
    log(f"[bench] peft-modegpt {','.join(types)}: {seconds:.1f} s")
    return seconds, report.read_text().strip()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(RESULTS))
    a = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        path = export_layer(tmp)
        stats = layer_stats(tmp)
        for types in (["qk"], ["vo"], ["mlp"], ["mlp", "qk", "vo"]):
            rows.append((types,) + time_types(path, stats, types, tmp))
    lines = [
        "# Speed: peft-modegpt per decoder layer at the LLaMA-7B shape",
        "",
        f"Written by `bench/modegpt_layer_speed.py` on {datetime.date.today()} "
        f"({platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
        f"peft-mlir {peft_mlir.__version__}). Command:",
        "",
        "```sh",
        "PYTHONPATH=build/python_packages ~/.cache/peft-mlir/venv/bin/python "
        "bench/modegpt_layer_speed.py",
        "```",
        "",
        "One decoder layer (hidden 4096, intermediate 11008, 32 heads of 128, rotary), "
        "random weights, synthetic statistics (rank-512-plus-diagonal covariances, "
        "rank-32-plus-diagonal per-head Grams); ratio 0.25, uniform. Time of "
        "`Module.modegpt` (statistics read, decompositions, weights and graph "
        "rewritten); goal ≤ 60 s per layer.",
        "",
        "| module types | seconds |",
        "|---|---|",
    ]
    lines += [f"| {', '.join(t)} | {s:.1f} |" for t, s, _ in rows]
    lines += ["", "Report of the run with all three types:", "", "```", rows[-1][2], "```", ""]
    Path(a.out).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
