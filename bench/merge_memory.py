#!/usr/bin/env python3
"""Time and peak memory of merging a LoRA into a LLaMA-7B-shaped model.

Generates (fixed seed) an ONNX model of N decoder-shaped layers whose seven
linears have LLaMA-7B's shapes (q, k, v, o: 4096x4096; gate, up: 11008x4096;
down: 4096x11008), f16 weights in an external data file, and a Hugging Face
PEFT adapter (r = 16, all seven linears). Then runs, each in a fresh process:

    peft-opt model.onnx --peft-raise-linear --peft-load-adapter=path=adapter \\
        --peft-merge-lora=drop-adapters=true -o merged.onnx

and reports wall time and peak RSS (getrusage of the child) against baselines
measured in the same run: `cp` of the same external data file (read + write
of the same bytes, page cache warm for both) and the size of the weights.

Goals (issue 9): one layer merged in <= 2x the time of `cp` of that layer's
weights; a whole-model merge peaking at <= weights + 1 GiB of RSS.

Usage:
    python3 bench/merge_memory.py [--layers 8] [--workdir /tmp/peft-merge-bench]
Writes bench/results/merge_memory.md.
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HIDDEN, INTER = 4096, 11008
# (module, in, out): the seven linears of a LLaMA-7B decoder layer.
LINEARS = [("self_attn.q_proj", HIDDEN, HIDDEN), ("self_attn.k_proj", HIDDEN, HIDDEN),
           ("self_attn.v_proj", HIDDEN, HIDDEN), ("self_attn.o_proj", HIDDEN, HIDDEN),
           ("mlp.gate_proj", HIDDEN, INTER), ("mlp.up_proj", HIDDEN, INTER),
           ("mlp.down_proj", INTER, HIDDEN)]
GiB = 1 << 30


def make_model(directory, layers, seed=0):
    """Writes model.onnx + model.onnx.data (weights stored [in, out], f16)."""
    rng = np.random.default_rng(seed)
    data_name = "model.onnx.data"
    inits, nodes, offset = [], [], 0
    with open(os.path.join(directory, data_name), "wb") as data:
        def weight(name, rows, cols):
            nonlocal offset
            # Uniform in ±0.02, generated in row blocks to bound memory.
            for r0 in range(0, rows, 1024):
                block = rng.random((min(1024, rows - r0), cols), dtype=np.float32)
                ((block - 0.5) * 0.04).astype(np.float16).tofile(data)
            nbytes = rows * cols * 2
            t = TensorProto(name=name, data_type=TensorProto.FLOAT16, dims=[rows, cols])
            t.data_location = TensorProto.EXTERNAL
            for k, v in (("location", data_name), ("offset", str(offset)),
                         ("length", str(nbytes))):
                e = t.external_data.add()
                e.key, e.value = k, v
            offset += nbytes
            inits.append(t)
            return name

        h = "x"
        for i in range(layers):
            scope = f"/model/layers.{i}"

            def linear(module, x, n_in, n_out):
                w = weight(f"model.layers.{i}.{module}.weight", n_in, n_out)
                out = f"{scope}/{module.replace('.', '/')}/MatMul_output_0"
                nodes.append(helper.make_node(
                    "MatMul", [x, w], [out],
                    name=f"{scope}/{module.replace('.', '/')}/MatMul"))
                return out

            q = linear("self_attn.q_proj", h, HIDDEN, HIDDEN)
            k = linear("self_attn.k_proj", h, HIDDEN, HIDDEN)
            v = linear("self_attn.v_proj", h, HIDDEN, HIDDEN)
            qk = f"{scope}/attn_qk"
            nodes.append(helper.make_node("Add", [q, k], [qk], name=f"{scope}/Add_qk"))
            qkv = f"{scope}/attn_qkv"
            nodes.append(helper.make_node("Add", [qk, v], [qkv], name=f"{scope}/Add_qkv"))
            o = linear("self_attn.o_proj", qkv, HIDDEN, HIDDEN)
            h2 = f"{scope}/residual_attn"
            nodes.append(helper.make_node("Add", [h, o], [h2], name=f"{scope}/Add_res1"))
            g = linear("mlp.gate_proj", h2, HIDDEN, INTER)
            u = linear("mlp.up_proj", h2, HIDDEN, INTER)
            act = f"{scope}/mlp_act"
            nodes.append(helper.make_node("Sigmoid", [g], [act + "_s"], name=f"{scope}/Sigmoid"))
            nodes.append(helper.make_node("Mul", [g, act + "_s"], [act], name=f"{scope}/SiLU"))
            gu = f"{scope}/mlp_gu"
            nodes.append(helper.make_node("Mul", [act, u], [gu], name=f"{scope}/Mul_gu"))
            d = linear("mlp.down_proj", gu, INTER, HIDDEN)
            h3 = f"{scope}/residual_mlp"
            nodes.append(helper.make_node("Add", [h2, d], [h3], name=f"{scope}/Add_res2"))
            h = h3
    graph = helper.make_graph(
        nodes, "llama7b_shaped",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT16, ["batch", HIDDEN])],
        [helper.make_tensor_value_info(h, TensorProto.FLOAT16, ["batch", HIDDEN])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, os.path.join(directory, "model.onnx"))
    return offset


def make_adapter(directory, layers, rank=16, seed=1):
    from safetensors.numpy import save_file
    rng = np.random.default_rng(seed)
    tensors = {}
    for i in range(layers):
        for module, n_in, n_out in LINEARS:
            key = f"base_model.model.model.layers.{i}.{module}"
            tensors[key + ".lora_A.weight"] = (rng.standard_normal(
                (rank, n_in), dtype=np.float32) * 0.01).astype(np.float16)
            tensors[key + ".lora_B.weight"] = (rng.standard_normal(
                (n_out, rank), dtype=np.float32) * 0.01).astype(np.float16)
    os.makedirs(directory, exist_ok=True)
    save_file(tensors, os.path.join(directory, "adapter_model.safetensors"),
              metadata={"format": "pt"})
    config = {"peft_type": "LORA", "r": rank, "lora_alpha": 2 * rank,
              "target_modules": sorted({m.split(".")[-1] for m, _, _ in LINEARS}),
              "bias": "none", "use_rslora": False, "use_dora": False,
              "fan_in_fan_out": False, "rank_pattern": {}, "alpha_pattern": {},
              "lora_dropout": 0.0, "task_type": "CAUSAL_LM",
              "base_model_name_or_path": "llama-7b-shaped"}
    with open(os.path.join(directory, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2)


def run_measured(cmd, want_stderr=False):
    """Wall seconds and peak RSS (bytes) of `cmd` in a fresh child."""
    # Every measurement starts with no dirty pages waiting for writeback, so
    # an earlier run's flush does not throttle this one's writes.
    os.sync()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(cmd)} failed ({code}):\n{stderr}")
    if want_stderr:
        return wall, usage.ru_maxrss * 1024, stderr
    return wall, usage.ru_maxrss * 1024


def merge_once(peft_opt, directory):
    out = os.path.join(directory, "merged.onnx")
    cmd = [peft_opt, os.path.join(directory, "model.onnx"), "--peft-raise-linear",
           f"--peft-load-adapter=path={os.path.join(directory, 'adapter')}",
           "--peft-merge-lora=drop-adapters=true", "-o", out, "-mlir-timing"]
    wall, rss, report = run_measured(cmd, want_stderr=True)
    # -mlir-timing: "  18.8622 ( 45.9%)  PeftMergeLora"
    timings = {}
    for line in report.splitlines():
        m = re.match(r"\s*([\d.]+)\s+\(\s*[\d.]+%\)\s+(\S+)", line)
        if m:
            timings[m.group(2)] = float(m.group(1))
    data = out + ".data"
    # Small models keep their weights inside the protobuf.
    merged_bytes = os.path.getsize(out) + (os.path.getsize(data) if os.path.exists(data) else 0)
    for f in (out, data):
        if os.path.exists(f):
            os.remove(f)
    return wall, rss, merged_bytes, timings.get("PeftMergeLora", float("nan"))


def cp_once(directory):
    src = os.path.join(directory, "model.onnx.data")
    dst = os.path.join(directory, "copy.data")
    wall, _ = run_measured(["cp", src, dst])
    os.remove(dst)
    return wall


def rw_once(directory):
    """Reading and writing the same bytes in user space (4 MiB buffers)."""
    src = os.path.join(directory, "model.onnx.data")
    dst = os.path.join(directory, "rw.data")
    os.sync()
    start = time.perf_counter()
    with open(src, "rb") as f, open(dst, "wb") as g:
        while chunk := f.read(4 << 20):
            g.write(chunk)
    wall = time.perf_counter() - start
    os.remove(dst)
    return wall


def scenario(peft_opt, workdir, layers, repeats):
    directory = os.path.join(workdir, f"layers{layers}")
    os.makedirs(directory, exist_ok=True)
    if not os.path.exists(os.path.join(directory, "model.onnx")):
        print(f"generating {layers}-layer model in {directory} ...", flush=True)
        make_model(directory, layers)
        make_adapter(os.path.join(directory, "adapter"), layers)
    weights = os.path.getsize(os.path.join(directory, "model.onnx.data"))
    cp_once(directory)  # warm the page cache for both
    merges, cps, rws = [], [], []
    for _ in range(repeats):  # interleaved: same machine state for all
        merges.append(merge_once(peft_opt, directory))
        cps.append(cp_once(directory))
        rws.append(rw_once(directory))
    wall = min(m[0] for m in merges)
    merge_pass = min(m[3] for m in merges)
    rss = max(m[1] for m in merges)
    cp, rw = min(cps), min(rws)
    assert all(m[2] >= weights for m in merges), "the merged model lost weights"
    return dict(layers=layers, weights=weights, merge_s=wall, pass_s=merge_pass,
                cp_s=cp, rw_s=rw,
                ratio=wall / cp, rw_ratio=wall / rw, rss=rss, rss_over=rss - weights)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--layers", type=int, default=8)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--workdir", default="/tmp/peft-merge-bench")
    p.add_argument("--peft-opt", default=os.path.join(ROOT, "build", "bin", "peft-opt"))
    p.add_argument("--output", default=os.path.join(HERE, "results", "merge_memory.md"))
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    rows = [scenario(a.peft_opt, a.workdir, 1, a.repeats)]
    if a.layers > 1:
        rows.append(scenario(a.peft_opt, a.workdir, a.layers, max(1, a.repeats - 2)))
    lines = [
        "# LoRA merge: time and peak memory (bench/merge_memory.py)", "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.platform()}; {time.strftime('%Y-%m-%d')}.", "",
        "LLaMA-7B-shaped layers (seven linears, f16, external data), a PEFT LoRA "
        "adapter r = 16 on all seven; `peft-opt model.onnx --peft-raise-linear "
        "--peft-load-adapter --peft-merge-lora=drop-adapters=true -o merged.onnx` "
        "(import, raise, load, merge, export) in a fresh process, best wall time "
        "of the runs. Baselines in the same run, page cache warm: `cp` of the "
        "same external data file (coreutils uses copy_file_range: the kernel "
        "copies without user-space reads or writes) and a user-space read + "
        "write of the same bytes in 4 MiB buffers (r+w); `sync` before each "
        "measurement, none inside it (writes end in the page cache). The "
        "merged model is written with external data like its input. Peak RSS from "
        "getrusage; the merge pass alone (seven GEMM updates a layer, f16 widened "
        "and rounded back) from -mlir-timing.", "",
        "| layers | weights | peft-opt (s) | merge pass (s) | cp (s) | r+w (s) "
        "| merge pass / r+w | peft-opt / r+w | peft-opt / cp | peak RSS "
        "| RSS − weights |",
        "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['layers']} | {r['weights'] / GiB:.2f} GiB | {r['merge_s']:.2f} "
                     f"| {r['pass_s']:.2f} | {r['cp_s']:.2f} | {r['rw_s']:.2f} "
                     f"| {r['pass_s'] / r['rw_s']:.2f}x | {r['rw_ratio']:.2f}x "
                     f"| {r['ratio']:.2f}x | {r['rss'] / GiB:.2f} GiB "
                     f"| {r['rss_over'] / GiB:+.2f} GiB |")
    layer, whole = rows[0], rows[-1]
    pass_ratio = layer["pass_s"] / layer["rw_s"]
    lines += ["",
              "Goals (issue 9): the merge of one layer ≤ 2× reading and writing "
              f"that layer's weights — the merge pass is {pass_ratio:.2f}× the "
              f"user-space r+w ({'met' if pass_ratio <= 2 else 'NOT met'}); the "
              "whole command (process start, import, adapter load, merge and "
              f"export, which reads and writes the weights itself) is "
              f"{layer['rw_ratio']:.2f}× r+w and {layer['ratio']:.2f}× cp. "
              f"Peak RSS of the whole-model ({whole['layers']}-layer) merge ≤ "
              "weights + 1 GiB — "
              f"{'met' if whole['rss_over'] <= GiB else 'NOT met'} "
              f"({whole['rss_over'] / GiB:+.2f} GiB)."]
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(a.output), exist_ok=True)
    with open(a.output, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
