#!/usr/bin/env python3
"""CPU benchmark (on demand): the cost of an unmerged LoRA adapter.

One linear layer y = x·W (W [K, N] as torch exports nn.Linear, K = N = 1024)
with a rank-r adapter on it, for M = 1, 16, 256 rows and r = 8, 64:

- base:      the layer alone (peft-raise-linear on the ONNX MatMul);
- unmerged:  base + s·(x·Aᵀ)·Bᵀ, the two skinny matmuls of the lowering;
- merged:    peft-merge-lora{drop-adapters} (must cost what base costs);
- runtime:   peft-lora-as-inputs{max-rank=64}: A/B/scale as inputs, given
             as arrays, and again read from the adapter directory per call.

All through peft_mlir's CPU JIT (single-threaded code), medians of REPEAT
runs after WARMUP, as ratios to `base` in the same run; unmerged/runtime
outputs are checked against each other and merged ones against unmerged
(1e-5 relative). Writes bench/results/cpu_lora.md.

  cmake --build build --target _peft_mlir
  PYTHONPATH=build/python_packages ~/.cache/peft-mlir/venv/bin/python bench/cpu_lora.py
"""
import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import peft_mlir

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results", "cpu_lora.md")
K = N = 1024
ROWS = (1, 16, 256)
RANKS = (8, 64)
MAX_RANK = 64
WARMUP, REPEAT = 10, 100


def linear_model(path, seed=0):
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal((K, N)) / np.sqrt(K)).astype(np.float32)
    node = helper.make_node("MatMul", ["x", "model.proj.weight"], ["y"], name="/model/proj/MatMul")
    graph = helper.make_graph(
        [node], "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["m", K])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["m", N])],
        [numpy_helper.from_array(w, "model.proj.weight")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)


def timed(runs):
    """Median seconds of each callable in `runs`, measured round-robin (one
    call of each per round) so that drift hits all of them alike; also the
    last output of each."""
    outs = [None] * len(runs)
    for _ in range(WARMUP):
        for i, run in enumerate(runs):
            outs[i] = run()
    times = [[] for _ in runs]
    for _ in range(REPEAT):
        for i, run in enumerate(runs):
            start = time.perf_counter()
            run()
            times[i].append(time.perf_counter() - start)
    return ([statistics.median(t) for t in times],
            [np.asarray(next(iter(o.values()))) for o in outs])


def adapter_weights(rank, seed):
    rng = np.random.default_rng(seed)
    a = (0.1 * rng.standard_normal((rank, K))).astype(np.float32)
    b = (0.1 * rng.standard_normal((N, rank))).astype(np.float32)
    return a, b


def runtime_inputs(rank, seed):
    """The inputs peft-lora-as-inputs made, filled by hand: A and B zero-padded
    to MAX_RANK and the scale alpha/r (alpha = 2r, as in write_adapter)."""
    a, b = adapter_weights(rank, seed)
    pa = np.zeros((MAX_RANK, K), np.float32)
    pb = np.zeros((N, MAX_RANK), np.float32)
    pa[:rank], pb[:, :rank] = a, b
    return {"model.proj.lora_A.weight": pa, "model.proj.lora_B.weight": pb,
            "model.proj.lora_scale": np.array([2.0], np.float32)}


def write_adapter(directory, rank, seed):
    """A PEFT-format adapter for `model.proj` (safetensors by hand: header +
    raw little-endian data)."""
    a, b = adapter_weights(rank, seed)
    os.makedirs(directory, exist_ok=True)
    tensors = {"base_model.model.model.proj.lora_A.weight": a,
               "base_model.model.model.proj.lora_B.weight": b}
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = t.tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    with open(os.path.join(directory, "adapter_model.safetensors"), "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text + b"".join(blobs))
    with open(os.path.join(directory, "adapter_config.json"), "w") as f:
        json.dump({"peft_type": "LORA", "r": rank, "lora_alpha": 2 * rank,
                   "target_modules": ["proj"], "bias": "none"}, f)


def main():
    tmp = tempfile.mkdtemp(prefix="peft-bench-lora-")
    path = os.path.join(tmp, "linear.onnx")
    linear_model(path)

    base = peft_mlir.import_onnx(path)
    base.raise_linear()
    runtime = peft_mlir.import_onnx(path)
    runtime.insert_lora(["proj"], rank=MAX_RANK, init="zeros")
    runtime.lora_as_inputs(max_rank=MAX_RANK)

    rows = []
    for r in RANKS:
        adapter = os.path.join(tmp, f"adapter_r{r}")
        write_adapter(adapter, r, seed=r)
        unmerged = peft_mlir.import_onnx(path)
        unmerged.load_adapter(adapter)
        merged = peft_mlir.import_onnx(path)
        merged.load_adapter(adapter)
        merged.merge_lora(drop_adapters=True)
        for m in ROWS:
            x = np.random.default_rng(m).standard_normal((m, K)).astype(np.float32)
            feeds = {"x": x}
            rt_feeds = {**feeds, **runtime_inputs(r, seed=r)}
            (t_base, t_un, t_me, t_rt, t_ld), (_, y_un, y_me, y_rt, y_ld) = timed([
                lambda: base.run(feeds), lambda: unmerged.run(feeds),
                lambda: merged.run(feeds), lambda: runtime.run(rt_feeds),
                lambda: runtime.run(feeds, adapters=adapter)])
            scale = float(np.max(np.abs(y_un)))
            for name, y in (("merged", y_me), ("runtime", y_rt), ("runtime+load", y_ld)):
                err = float(np.max(np.abs(y - y_un))) / scale
                if err > 1e-5:
                    sys.exit(f"bench: {name} differs from unmerged by {err:.2e} (M={m}, r={r})")
            rows.append((m, r, t_base, t_un, t_me, t_rt, t_ld))
            print(f"M={m:4d} r={r:3d}: base {t_base*1e3:8.3f} ms  unmerged x{t_un/t_base:5.2f}"
                  f"  merged x{t_me/t_base:5.2f}  runtime(max-rank {MAX_RANK}) x{t_rt/t_base:5.2f}"
                  f"  runtime+load x{t_ld/t_base:5.2f}", flush=True)

    with open(RESULTS + ".tmp", "w") as f:
        f.write("# CPU: cost of an unmerged LoRA adapter\n\n")
        f.write(f"Written by `bench/cpu_lora.py` on {datetime.date.today()} "
                f"({platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
                f"single-threaded JIT code). One {K}x{N} linear layer; medians of "
                f"{REPEAT} runs; ratios to the base layer in the same run. `runtime`: "
                f"the adapter passed as inputs (zero-padded to max-rank {MAX_RANK}) to a "
                f"model compiled once, so every rank pays the rank-{MAX_RANK} cost; "
                f"`runtime+load`: the same, with `Module.run(adapters=DIR)` reading "
                f"and padding the adapter files on every call.\n\n")
        f.write("| M | r | base (ms) | unmerged | merged | runtime | runtime+load |\n"
                "|---|---|---|---|---|---|---|\n")
        for m, r, t_base, t_un, t_me, t_rt, t_ld in rows:
            f.write(f"| {m} | {r} | {t_base*1e3:.3f} | {t_un/t_base:.2f}x | "
                    f"{t_me/t_base:.2f}x | {t_rt/t_base:.2f}x | {t_ld/t_base:.2f}x |\n")
    os.replace(RESULTS + ".tmp", RESULTS)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
