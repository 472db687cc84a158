#!/usr/bin/env python3
"""The peft-mlir demo: runs each stage on a bundled model and prints a report.

Every stage checks its own contract and exits non-zero when it breaks.
"""

import os
import re
import subprocess
import sys
import time

import numpy as np

try:
    import onnx
    import onnxruntime as ort
except ImportError as e:  # scripts/setup installs both
    sys.exit(f"demo: {e}; run scripts/setup")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))
import mlp_block  # noqa: E402

BUILD = os.environ.get("PEFT_BUILD", os.path.join(ROOT, "build"))
LLVM = os.environ.get("LLVM_PREFIX", "/usr/lib/llvm-22")
PEFT_OPT = os.path.join(BUILD, "bin", "peft-opt")
RUNNER = os.path.join(LLVM, "bin", "mlir-runner")
RUNTIME = ",".join(os.path.join(LLVM, "lib", lib) for lib in
                   ("libmlir_runner_utils.so", "libmlir_c_runner_utils.so"))

rows = []
# The MoDeGPT module types the demo compresses.
MODEGPT_TYPES = ["mlp", "qk", "vo"]


def stage(name, fn):
    start = time.perf_counter()
    detail = fn()
    rows.append((name, f"{time.perf_counter() - start:6.2f} s", detail))
    print(f"  [{name}] {detail}", flush=True)


def run(*args, **kw):
    out = subprocess.run(args, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        sys.exit(f"demo: {' '.join(args)} failed:\n{out.stderr}")
    return out.stdout


def write_peft_adapter(directory, rank, alpha, targets, tensors):
    """A LoRA adapter in Hugging Face PEFT's save_pretrained layout:
    adapter_config.json and adapter_model.safetensors (8-byte header length,
    JSON header, little-endian f32 data)."""
    import json
    os.makedirs(directory, exist_ok=True)
    header, blobs, offset = {}, [], 0
    for name, value in tensors.items():
        data = np.ascontiguousarray(value, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(value.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    with open(os.path.join(directory, "adapter_model.safetensors"), "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text + b"".join(blobs))
    with open(os.path.join(directory, "adapter_config.json"), "w") as f:
        json.dump({"peft_type": "LORA", "r": rank, "lora_alpha": alpha,
                   "target_modules": targets, "bias": "none"}, f)


def parse_memref(text):
    body = text.split("data =", 1)[1]
    return np.array([float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", body)],
                    dtype=np.float32)


def main():
    work = os.path.join(BUILD, "demo")
    os.makedirs(work, exist_ok=True)
    model = os.path.join(work, "mlp_block.mlir")
    w = mlp_block.weights()
    print("peft-mlir demo: SwiGLU MLP block (hidden 16, intermediate 32), fixed seed")

    def load():
        with open(model, "w") as f:
            f.write(mlp_block.module_text(w))
        run(PEFT_OPT, model, "-o", os.devnull)
        params = sum(w[k].size for k in ("gate", "up", "down"))
        return f"{model}: verified, {params} parameters in 3 linear layers"

    def linears():
        table = run(PEFT_OPT, model, "--peft-list-linears", "-o", os.devnull)
        print("\n".join("      " + line for line in table.splitlines()))
        return table.splitlines()[-1]

    lowered = os.path.join(work, "mlp_block.linalg.mlir")

    def to_linalg():
        run(PEFT_OPT, model, "--convert-peft-to-linalg", "-o", lowered)
        text = open(lowered).read()
        return f"{text.count('linalg.matmul')} linalg.matmul, {text.count('peft.linear')} peft.linear left"

    def execute():
        llvm_ir = run(PEFT_OPT, model, "--peft-lower-to-llvm")
        out = run(RUNNER, "-e", "main", "-entry-point-result=void",
                  f"-shared-libs={RUNTIME}", input=llvm_ir)
        got = parse_memref(out).reshape(mlp_block.BATCH, mlp_block.SEQ, mlp_block.HIDDEN)
        ref = mlp_block.reference(w)
        err = float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))
        if err > 1e-4:
            sys.exit(f"demo: CPU result differs from numpy: max rel error {err:.3e}")
        return f"CPU JIT (mlir-runner) vs numpy float64: max rel error {err:.2e}"

    # The bundled small transformer: a LLaMA-style decoder (RMSNorm, rotary,
    # SwiGLU, grouped-query attention) exported by torch.onnx at opset 17.
    models = os.path.join(work, "models")
    llama = os.path.join(models, "llama_opset17.onnx")

    def generate():
        run(sys.executable, os.path.join(ROOT, "test", "models", "gen_models.py"),
            "--out", models, "--only", "llama_opset17")
        m = onnx.load(llama)
        params = sum(int(np.prod(t.dims)) for t in m.graph.initializer)
        return f"{llama}: {len(m.graph.node)} nodes, {params} parameters"

    imported = os.path.join(work, "llama.mlir")
    exported = os.path.join(work, "llama_roundtrip.onnx")

    def import_export():
        sys.path.insert(0, os.path.join(BUILD, "python_packages"))
        import peft_mlir
        module = peft_mlir.import_onnx(llama)
        text = module.to_string()
        with open(imported, "w") as f:
            f.write(text)
        module.export_onnx(exported)
        inputs = dict(np.load(os.path.join(models, "llama_opset17.inputs.npz")))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        ref = ort.InferenceSession(llama, opts).run(None, inputs)[0]
        got = ort.InferenceSession(exported, opts).run(None, inputs)[0]
        err = float(np.max(np.abs(ref - got)))
        if err != 0.0:
            sys.exit(f"demo: exported model differs from the original: {err}")
        ops = text.count('"onnx.')
        return f"imported {ops} onnx ops; re-exported model under onnxruntime: max error {err} (bit-identical)"

    def run_cpu():
        sys.path.insert(0, os.path.join(BUILD, "python_packages"))
        import peft_mlir
        inputs = dict(np.load(os.path.join(models, "llama_opset17.inputs.npz")))
        ref = ort.InferenceSession(llama).run(None, inputs)[0]
        module = peft_mlir.import_onnx(llama)
        start = time.perf_counter()
        got = list(module.run(inputs).values())[0]
        first = time.perf_counter() - start
        start = time.perf_counter()
        module.run(inputs)
        again = time.perf_counter() - start
        err = float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))
        if err > 1e-4:
            sys.exit(f"demo: CPU JIT differs from onnxruntime: max rel error {err:.3e}")
        return (f"CPU JIT vs onnxruntime: max rel error {err:.2e}; "
                f"compile+run {first:.2f} s, run {1000 * again:.1f} ms")

    lora_onnx = os.path.join(work, "llama_lora_merged.onnx")

    def lora():
        sys.path.insert(0, os.path.join(BUILD, "python_packages"))
        import peft_mlir
        inputs = dict(np.load(os.path.join(models, "llama_opset17.inputs.npz")))
        module = peft_mlir.import_onnx(llama)
        module.raise_linear()
        layers = module.linears()
        roles = {}
        for layer in layers:
            roles[layer.role] = roles.get(layer.role, 0) + 1
        base = list(module.run(inputs).values())[0]
        # PiSSA: the adapter takes the top singular directions of q/k/v/o and
        # the base keeps the rest, so the output is unchanged until training.
        module.insert_lora(["q_proj", "k_proj", "v_proj", "o_proj"], rank=4,
                           alpha=8, init="pissa")
        unmerged = list(module.run(inputs).values())[0]
        module.merge_lora(drop_adapters=True)
        merged = list(module.run(inputs).values())[0]
        module.export_onnx(lora_onnx)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        from_ort = ort.InferenceSession(lora_onnx, opts).run(None, inputs)[0]
        scale = float(np.max(np.abs(base)))
        e_pissa = float(np.max(np.abs(unmerged - base))) / scale
        e_merge = float(np.max(np.abs(merged - unmerged))) / scale
        e_ort = float(np.max(np.abs(from_ort - merged))) / scale
        if max(e_pissa, e_merge) > 1e-5 or e_ort > 1e-4:
            sys.exit(f"demo: LoRA contracts broken: PiSSA {e_pissa:.2e}, "
                     f"merge {e_merge:.2e}, onnxruntime {e_ort:.2e}")
        role_text = " ".join(f"{k}={v}" for k, v in sorted(roles.items()))
        return (f"{len(layers)} linears ({role_text}); PiSSA r=4 on q,k,v,o: "
                f"vs base {e_pissa:.1e}, merged vs unmerged {e_merge:.1e}, "
                f"merged ONNX under onnxruntime {e_ort:.1e} (rel)")

    w4_onnx = os.path.join(work, "llama_lrqat_w4.onnx")

    def lrqat():
        sys.path.insert(0, os.path.join(BUILD, "python_packages"))
        import peft_mlir
        inputs = dict(np.load(os.path.join(models, "llama_opset17.inputs.npz")))
        module = peft_mlir.import_onnx(llama)
        module.raise_linear()
        base = list(module.run(inputs).values())[0]
        # LR-QAT's training-time linears (int4, groups of 32, Lp scales, Φ0 in
        # Q4.4), folded into plain int4 weights, exported as MatMulNBits.
        module.lrqat_prepare(bits=4, phi="fixed", rank=8, granularity="group",
                             group_size=32)
        training = list(module.run(inputs).values())[0]
        module.fold_lrqat()
        folded = list(module.run(inputs).values())[0]
        module.export_onnx(w4_onnx)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        from_ort = ort.InferenceSession(w4_onnx, opts).run(None, inputs)[0]
        nodes = sum(n.op_type == "MatMulNBits" for n in onnx.load(w4_onnx).graph.node)
        scale = float(np.max(np.abs(base)))
        e_fold = float(np.max(np.abs(folded - training))) / scale
        e_ort = float(np.max(np.abs(from_ort - folded))) / scale
        e_quant = float(np.max(np.abs(folded - base))) / scale
        if e_fold > 1e-6 or e_ort > 1e-4:
            sys.exit(f"demo: LR-QAT contracts broken: fold {e_fold:.2e}, "
                     f"onnxruntime {e_ort:.2e}")
        size = lambda p: os.path.getsize(p) / 1024  # noqa: E731
        return (f"int4 g32: folded vs training forward {e_fold:.1e}, "
                f"{nodes} MatMulNBits under onnxruntime {e_ort:.1e}, "
                f"vs float model {e_quant:.1e} (rel); "
                f"{size(llama):.0f} KiB -> {size(w4_onnx):.0f} KiB")

    def banks():
        sys.path.insert(0, os.path.join(BUILD, "python_packages"))
        import peft_mlir
        inputs = dict(np.load(os.path.join(models, "llama_opset17.inputs.npz")))
        ids = inputs["input_ids"]
        # Two tasks as Hugging Face PEFT writes them (save_pretrained layout):
        # sst2 adapts q and v at rank 16, mnli q, o and down at rank 8.
        module = peft_mlir.import_onnx(llama)
        module.raise_linear()
        shapes = {l.path: (l.in_features, l.out_features) for l in module.linears()}
        tasks = {"sst2": (16, ("q_proj", "v_proj")), "mnli": (8, ("q_proj", "o_proj", "down_proj"))}
        dirs = {}
        for seed, (task, (rank, targets)) in enumerate(tasks.items()):
            rng = np.random.default_rng(seed)
            tensors = {}
            for path, (n_in, n_out) in shapes.items():
                if path.rsplit(".", 1)[-1] in targets:
                    key = f"base_model.model.{path}"
                    tensors[f"{key}.lora_A.weight"] = 0.1 * rng.standard_normal((rank, n_in))
                    tensors[f"{key}.lora_B.weight"] = 0.1 * rng.standard_normal((n_out, rank))
            dirs[task] = os.path.join(work, f"adapter_{task}")
            write_peft_adapter(dirs[task], rank, 2 * rank, list(targets), tensors)
        for task in tasks:
            module.add_task(task, dirs[task])
        # Ranks by energy (>= 90 % of each layer's Σσ²), then per-row routing.
        module.select_rank(policy="energy", tau=0.9)
        module.route_tasks()
        batch = np.concatenate([ids, ids, ids])  # rows: each task, and none
        route = np.array([0] * len(ids) + [1] * len(ids) + [-1] * len(ids), np.int64)
        routed = list(module.run({"input_ids": batch, "task_ids": route}).values())[0]
        worst = 0.0
        for t, task in enumerate(list(tasks) + [None]):
            alone = peft_mlir.import_onnx(llama)
            alone.raise_linear()
            if task:
                alone.add_task(task, dirs[task])
                alone.select_rank(policy="energy", tau=0.9)
                alone.select_task(task)
            ref = list(alone.run({"input_ids": ids}).values())[0]
            got = routed[t * len(ids):(t + 1) * len(ids)]
            worst = max(worst, float(np.max(np.abs(got - ref))) / float(np.max(np.abs(ref))))
        n = len(ids)
        moved = min(float(np.max(np.abs(routed[t * n:(t + 1) * n] - routed[2 * n:])))
                    for t in (0, 1)) / float(np.max(np.abs(routed[2 * n:])))
        if worst > 1e-5 or moved < 1e-3:
            sys.exit(f"demo: routed rows differ from single-task runs by {worst:.2e} "
                     f"(tasks move the output by {moved:.2e})")
        bank_onnx = os.path.join(work, "llama_banked.onnx")
        module.export_onnx(bank_onnx)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        from_ort = ort.InferenceSession(bank_onnx, opts).run(
            None, {"input_ids": batch, "task_ids": route})[0]
        e_ort = float(np.max(np.abs(from_ort - routed))) / float(np.max(np.abs(routed)))
        if e_ort > 1e-4:
            sys.exit(f"demo: routed ONNX under onnxruntime differs by {e_ort:.2e}")
        return (f"2 PEFT tasks (r=16 on q,v; r=8 on q,o,down), ranks by energy 0.9, "
                f"a mixed batch routed per row (tasks move it {moved:.1e}): "
                f"vs single-task runs {worst:.1e}, "
                f"routed ONNX under onnxruntime {e_ort:.1e} (rel)")

    def modegpt():
        sys.path.insert(0, os.path.join(BUILD, "python_packages"))
        import warnings
        import peft_mlir
        from peft_mlir import textdata
        inputs = dict(np.load(os.path.join(models, "llama_opset17.inputs.npz")))
        vocab = 100  # gen_models' LLaMA (LLAMA_CFG)
        # Calibration text shipped on the machine (textdata: license texts,
        # never the evaluation text), its bytes as token ids of the toy model.
        data = np.frombuffer(textdata.calibration_text().encode(), np.uint8)
        samples = [{"input_ids": (data[i * 64:(i + 1) * 64] % vocab).astype(np.int64)[None]}
                   for i in range(16)]
        stats = os.path.join(work, "llama.stats.safetensors")
        module = peft_mlir.import_onnx(llama)
        module.raise_linear()
        base = list(module.run(inputs).values())[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 1024 tokens: rank-deficient MLP covariances
            module.calibrate(samples, out=stats, progress=False)
            report = os.path.join(work, "modegpt-report.txt")
            module.modegpt(ratio=0.25, stats=stats, types=MODEGPT_TYPES, report=report)
        lines = open(report).read().splitlines()
        small = list(module.run(inputs).values())[0]
        out = os.path.join(work, "llama_modegpt.onnx")
        module.export_onnx(out)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        from_ort = ort.InferenceSession(out, opts).run(None, inputs)[0]
        scale = float(np.max(np.abs(base)))
        e_ort = float(np.max(np.abs(from_ort - small))) / scale
        moved = float(np.max(np.abs(small - base))) / scale
        if e_ort > 1e-4:
            sys.exit(f"demo: compressed ONNX under onnxruntime differs by {e_ort:.2e}")
        # The same compression on the static-shape export, to PTX.
        static = os.path.join(work, "llama_static.onnx")
        run(sys.executable, os.path.join(ROOT, "test", "Pipelines", "GPU", "Inputs",
                                         "export_static.py"), "llama", static)
        small_static = os.path.join(work, "llama_static_modegpt.mlirbc")
        run(PEFT_OPT, static, "--peft-raise-linear",
            f"--peft-modegpt=ratio=0.25 stats={stats} types={','.join(MODEGPT_TYPES)} "
            "report=none", "--emit-bytecode", "-o", small_static)
        ptx = os.path.join(work, "llama_static_modegpt.ptx")
        run(os.path.join(BUILD, "bin", "peft-translate"), "--emit-ptx", small_static, "-o", ptx)
        kernels = open(ptx).read().count(".visible .entry")
        return (f"calibrated on {16 * 64} tokens of license text; {', '.join(MODEGPT_TYPES)} "
                f"at 25 %: {lines[-1].split(': ', 1)[1]}; output moved {moved:.1e}, "
                f"ONNX under onnxruntime {e_ort:.1e} (rel); PTX: {kernels} kernels")

    def emit_ptx():
        static = os.path.join(work, "llama_static.onnx")
        run(sys.executable, os.path.join(ROOT, "test", "Pipelines", "GPU", "Inputs",
                                         "export_static.py"), "llama", static)
        # The adapted model: unmerged LoRA adapters on q and v lower to their
        # own skinny matmul kernels next to the base layers.
        adapted = os.path.join(work, "llama_static_lora.mlirbc")
        run(PEFT_OPT, static, "--peft-raise-linear",
            "--peft-insert-lora=targets=q_proj,v_proj rank=4 alpha=8 init=pissa",
            "--emit-bytecode", "-o", adapted)
        ptx = os.path.join(work, "llama_static_lora.ptx")
        run(os.path.join(BUILD, "bin", "peft-translate"), "--emit-ptx", adapted, "-o", ptx)
        text = open(ptx).read()
        kernels, shared = text.count(".visible .entry"), text.count(".shared .align")
        detail = (f"{ptx}: LLaMA with LoRA on q,v: {kernels} kernels for sm_90, "
                  f"{shared} shared-memory tiles")
        ptxas = "/usr/local/cuda/bin/ptxas"
        if os.access(ptxas, os.X_OK):
            run(ptxas, "-arch=sm_90", ptx, "-o", os.devnull)
            detail += "; ptxas accepts it"
        return detail + " (not executed: no GPU here)"

    stage("load", load)
    stage("linears", linears)
    stage("lower", to_linalg)
    stage("cpu", execute)
    stage("model", generate)
    stage("import", import_export)
    stage("cpu-model", run_cpu)
    stage("lora", lora)
    stage("lr-qat", lrqat)
    stage("banks", banks)
    stage("modegpt", modegpt)
    stage("ptx", emit_ptx)

    print("\nstage     time      result")
    for name, t, detail in rows:
        print(f"{name:<9} {t:<9} {detail}")


if __name__ == "__main__":
    main()
