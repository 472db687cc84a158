"""Numeric contracts of peft-quantize-weights, peft-lrqat-load /
peft-fold-lrqat and peft-merge-lora-quantized (REFERENCE.md §3), executed on
the CPU JIT, against references computed here with numpy and onnxruntime:

- the integers and scales the compiler writes equal an independent numpy
  quantizer bit for bit (docs/quantization.md's definitions);
- the quantized model equals onnxruntime running the float model with the
  numpy-dequantized weights (≤ 1e-4, the JIT-vs-onnxruntime bound of every
  model comparison: the two sum in different orders);
- an LR-QAT checkpoint written here: the training-time forward
  (peft.lrqat_linear) and the folded model agree ≤ 1e-6, and both equal the
  formula's weights under onnxruntime;
- a LoRA merged into integer weights equals numpy's dequantize + s·B·A +
  requantize on the same grid.
"""

import json
import re
import sys
from pathlib import Path

import numpy as np
import onnx
import peft_mlir
import pytest
from onnx import numpy_helper
from safetensors.numpy import save_file

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "test/models"))
import gen_models  # noqa: E402
from model_tests import load, rel_err, run  # noqa: E402

MODELS = ["llama_opset17", "gpt2_conv1d_opset17", "bert_opset17", "minilm_opset14"]
ALL_ROLES = ["q", "k", "v", "o", "qkv", "gate", "up", "down", "other"]


# --- an independent quantizer (docs/quantization.md) ------------------------

def grid_of(values, bits, symmetric, ratio=1.0):
    qmin, qmax = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    lo = min(float(np.min(values)), 0.0) * ratio
    hi = max(float(np.max(values)), 0.0) * ratio
    if symmetric:
        rng = max(-lo, hi)
        return (np.float32(rng / qmax) if rng > 0 else np.float32(1)), 0
    if hi - lo > 0:
        s = np.float32((hi - lo) / ((1 << bits) - 1))
        z = int(np.clip(qmin - np.round(lo / np.float64(s)), qmin, qmax))
        return s, z
    return np.float32(1), 0


def quant_values(values, s, z, bits):
    qmin, qmax = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    q = np.round(values.astype(np.float64) / np.float64(s)) + z
    return np.clip(q, qmin, qmax).astype(np.int64)


def np_quantize(w, bits, group=0, symmetric=True, p=0.0):
    """w: [out, in] float32 -> q [out, in], scales [out, groups], zp or None."""
    out, n = w.shape
    spans = [(g, min(g + group, n)) for g in range(0, n, group)] if group else [(0, n)]
    q = np.zeros((out, n), np.int64)
    scales = np.zeros((out, len(spans)), np.float32)
    zps = np.zeros((out, len(spans)), np.int64)
    for r in range(out):
        for g, (a, b) in enumerate(spans):
            v = w[r, a:b]
            s, z = grid_of(v, bits, symmetric)
            if p > 0:
                def err(s, z):
                    e = np.abs(v.astype(np.float64) - np.float64(s) * (quant_values(v, s, z, bits) - z))
                    return float(np.sum(e ** p))
                best = err(s, z)
                for i in range(1, 100):
                    ratio = (100 - i) / 100
                    if ratio < 0.2:
                        break
                    s2, z2 = grid_of(v, bits, symmetric, ratio)
                    e2 = err(s2, z2)
                    if e2 < best:
                        s, z, best = s2, z2, e2
            scales[r, g], zps[r, g] = s, z
            q[r, a:b] = quant_values(v, s, z, bits)
    return q, scales, (None if symmetric else zps)


def dequantize(q, scales, zps, group):
    n = q.shape[1]
    idx = np.arange(n) // group if group else np.zeros(n, np.int64)
    z = zps[:, idx] if zps is not None else 0
    return (scales[:, idx].astype(np.float32) * (q - z).astype(np.float32)).astype(np.float32)


# --- reading what the compiler wrote ----------------------------------------

def resources(module):
    """The dense_resource blobs of the printed module: name -> bytes."""
    text = str(module)
    blobs = {}
    for name, hexdata in re.findall(r'^\s+([^\s:]+): "0x([0-9A-F]*)"', text, re.M):
        blobs[name] = bytes.fromhex(hexdata)[4:]  # skip the alignment word
    return blobs


def unpack(raw, count, bits):
    """The little-endian b-bit stream of docs/quantization.md, signed."""
    bitstream = np.unpackbits(np.frombuffer(raw, np.uint8), bitorder="little")
    vals = bitstream[: count * bits].reshape(count, bits).astype(np.int64)
    v = (vals * (1 << np.arange(bits))).sum(axis=1)
    return np.where(v >= (1 << (bits - 1)), v - (1 << bits), v)


def raised_float_model(path, tmp_path):
    """The raised model exported to ONNX (linears back as MatMul/Gemm with
    their initializer names) and its linear layers."""
    m = peft_mlir.import_onnx(str(path))
    m.raise_linear()
    rows = m.linears()
    out = tmp_path / "raised.onnx"
    m.export_onnx(str(out))
    return onnx.load(str(out)), rows


def with_weights(model, replace, tmp_path, tag):
    """`model` with initializers replaced by the float arrays of `replace`."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    found = set()
    for init in model.graph.initializer:
        if init.name in replace:
            init.CopyFrom(numpy_helper.from_array(replace[init.name], init.name))
            found.add(init.name)
    assert found == set(replace), set(replace) - found
    out = tmp_path / f"{tag}.onnx"
    onnx.save(model, str(out))
    return out


def weights_out_in(model, rows):
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    result = {}
    for row in rows:
        assert row.weight in inits, (row.path, row.weight)
        w = inits[row.weight].astype(np.float32)
        result[row.weight] = (w if row.layout == "out_in" else w.T, row)
    return result


CONFIGS = [
    dict(bits=8, group=0, symmetric=True, scale="minmax"),
    dict(bits=4, group=32, symmetric=True, scale="minmax"),
    dict(bits=4, group=0, symmetric=True, scale="lp"),
    dict(bits=3, group=16, symmetric=False, scale="minmax"),
    dict(bits=2, group=0, symmetric=False, scale="minmax"),
]


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"b{c['bits']}g{c['group']}"
                         f"{'s' if c['symmetric'] else 'a'}-{c['scale']}")
def test_quantize_weights(onnx_models, name, cfg, tmp_path):
    path, inputs = load(onnx_models, name)
    model, rows = raised_float_model(path, tmp_path)
    weights = weights_out_in(model, rows)

    m = peft_mlir.import_onnx(str(path))
    m.quantize_weights(bits=cfg["bits"], granularity="group" if cfg["group"] else "channel",
                       group_size=cfg["group"] or 128, symmetric=cfg["symmetric"],
                       scale=cfg["scale"], roles=ALL_ROLES, report="none")
    quantized = m.linears()
    assert [r.op for r in quantized] == ["qlinear"] * len(rows)
    blobs = resources(m)

    replace = {}
    for (wname, (w, row)), qrow in zip(weights.items(), quantized):
        assert qrow.path == row.path
        q, s, z = np_quantize(w, cfg["bits"], cfg["group"], cfg["symmetric"],
                              p=4.0 if cfg["scale"] == "lp" else 0.0)
        stem = row.path
        got_q = unpack(blobs[stem + ".qweight"], q.size, cfg["bits"]).reshape(q.shape)
        got_s = np.frombuffer(blobs[stem + ".scales"], np.float32).reshape(s.shape)
        assert np.array_equal(got_s, s), (name, stem, "scales")
        assert np.array_equal(got_q, q), (name, stem, int(np.sum(got_q != q)))
        if z is not None:
            got_z = unpack(blobs[stem + ".zero_points"], z.size, cfg["bits"]).reshape(z.shape)
            assert np.array_equal(got_z, z), (name, stem, "zero points")
        wq = dequantize(q, s, z, cfg["group"])
        replace[wname] = wq if row.layout == "out_in" else np.ascontiguousarray(wq.T)

    expected = gen_models.ort_run(with_weights(model, replace, tmp_path, "ref"), inputs)
    got = run(m, inputs)
    for key, ref in expected.items():
        assert rel_err(got[key], np.asarray(ref)) <= 1e-4, (name, key)


# --- LR-QAT -----------------------------------------------------------------

def write_checkpoint(directory, weights, bits, rank, alpha, phi, group, seed):
    """A checkpoint in docs/quantization.md's format with random A, B of a
    size that moves a fair share of the integers; returns the formula's
    integer weights and scales per weight name."""
    rng = np.random.default_rng(seed)
    tensors, modules, expected = {}, [], {}
    s_lr = alpha / rank
    for wname, (w, row) in weights.items():
        _, scales, _ = np_quantize(w, bits, group, True, p=4.0)
        n = w.shape[1]
        idx = np.arange(n) // group if group else np.zeros(n, np.int64)
        x = np.clip(w.astype(np.float64) / scales[:, idx].astype(np.float64),
                    -(1 << (bits - 1)), (1 << (bits - 1)) - 1)
        if phi == "fixed":
            stored = np.round(x * (1 << (8 - bits))).astype(np.int8)
            value = stored.astype(np.float64) / (1 << (8 - bits))
        else:
            stored = np.round(x).astype(np.int8)
            value = stored.astype(np.float64)
        a = rng.standard_normal((w.shape[0], rank)).astype(np.float32)
        b = (rng.standard_normal((rank, n)) * 0.5).astype(np.float32)
        ab = a.astype(np.float64) @ b.astype(np.float64)
        w_int = np.clip(np.round(value + s_lr * ab), -(1 << (bits - 1)), (1 << (bits - 1)) - 1)
        expected[wname] = (w_int, scales, row)
        p = row.path
        tensors[f"{p}.phi0"] = stored
        tensors[f"{p}.scale"] = scales
        tensors[f"{p}.lora_A"] = a
        tensors[f"{p}.lora_B"] = b
        modules.append(p)
    directory.mkdir(parents=True, exist_ok=True)
    # safetensors writes an array's memory as it is: a transposed view (the
    # in_out weights) must be made C-contiguous first.
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()},
              str(directory / "lrqat_model.safetensors"))
    (directory / "lrqat_config.json").write_text(json.dumps({
        "format": "peft-mlir.lrqat", "version": 1, "bits": bits, "phi": phi,
        "alpha": alpha, "rank": rank, "granularity": "group" if group else "channel",
        "group_size": group or None, "modules": modules}))
    return expected


@pytest.mark.parametrize("name", ["llama_opset17", "bert_opset17"])
@pytest.mark.parametrize("bits,phi,group", [(4, "fixed", 0), (3, "int", 16), (8, "int", 32)])
def test_lrqat_load_and_fold(onnx_models, name, bits, phi, group, tmp_path):
    path, inputs = load(onnx_models, name)
    model, rows = raised_float_model(path, tmp_path)
    weights = weights_out_in(model, rows)
    ckpt = tmp_path / "ckpt"
    expected = write_checkpoint(ckpt, weights, bits, rank=4, alpha=2.0, phi=phi,
                                group=group, seed=5)

    m = peft_mlir.import_onnx(str(path))
    m.lrqat_load(str(ckpt))
    assert {r.op for r in m.linears()} == {"lrqat_linear"}
    training = run(m, inputs)
    m.fold_lrqat()
    assert {r.op for r in m.linears()} == {"qlinear"}
    folded = run(m, inputs)
    # The fold is the formula bit for bit.
    blobs = resources(m)
    replace = {}
    for wname, (w_int, scales, row) in expected.items():
        got = unpack(blobs[row.path + ".qweight"], w_int.size, bits).reshape(w_int.shape)
        assert np.array_equal(got, w_int), (name, row.path, int(np.sum(got != w_int)))
        wq = dequantize(w_int.astype(np.int64), scales, None, group)
        replace[wname] = wq if row.layout == "out_in" else np.ascontiguousarray(wq.T)
    for key, ref in training.items():
        # Folded vs the training-time forward: the same integers and scales,
        # both contracting in f32 (REFERENCE §3: ≤ 1e-6).
        assert rel_err(folded[key], ref) <= 1e-6, (name, key)
    reference = gen_models.ort_run(with_weights(model, replace, tmp_path, "ref"), inputs)
    for key, ref in reference.items():
        assert rel_err(folded[key], np.asarray(ref)) <= 1e-4, (name, key)


@pytest.mark.parametrize("name", ["llama_opset17", "gpt2_conv1d_opset17"])
def test_merge_lora_quantized(onnx_models, name, tmp_path):
    path, inputs = load(onnx_models, name)
    model, rows = raised_float_model(path, tmp_path)
    weights = weights_out_in(model, rows)
    bits, group, rank, alpha = 4, 32, 4, 8.0
    rng = np.random.default_rng(11)
    # A PEFT adapter on every layer, written here.
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    tensors, targets, lora = {}, [], {}
    for wname, (w, row) in weights.items():
        a = (rng.standard_normal((rank, w.shape[1])) * 0.05).astype(np.float32)
        b = (rng.standard_normal((w.shape[0], rank)) * 0.05).astype(np.float32)
        tensors[f"base_model.model.{row.path}.lora_A.weight"] = a
        tensors[f"base_model.model.{row.path}.lora_B.weight"] = b
        targets.append(row.path)
        lora[wname] = (a, b)
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()},
              str(adapter / "adapter_model.safetensors"))
    (adapter / "adapter_config.json").write_text(json.dumps({
        "peft_type": "LORA", "r": rank, "lora_alpha": alpha, "target_modules": targets,
        "bias": "none", "fan_in_fan_out": False}))

    m = peft_mlir.import_onnx(str(path))
    m.quantize_weights(bits=bits, granularity="group", group_size=group,
                       roles=ALL_ROLES, report="none")
    m.load_adapter(str(adapter))
    m.merge_lora_quantized(report="none")
    assert "peft.lora" not in str(m)
    got = run(m, inputs)

    replace = {}
    for wname, (w, row) in weights.items():
        q, s, _ = np_quantize(w, bits, group)
        a, b = lora[wname]
        target = dequantize(q, s, None, group) + np.float32(alpha / rank) * (b @ a)
        n = w.shape[1]
        idx = np.arange(n) // group
        q2 = np.clip(np.round(target.astype(np.float64) / s[:, idx].astype(np.float64)),
                     -8, 7)
        wq = dequantize(q2.astype(np.int64), s, None, group)
        replace[wname] = wq if row.layout == "out_in" else np.ascontiguousarray(wq.T)
    expected = gen_models.ort_run(with_weights(model, replace, tmp_path, "ref"), inputs)
    for key, ref in expected.items():
        assert rel_err(got[key], np.asarray(ref)) <= 1e-4, (name, key)


EXPORTS = [
    dict(bits=4, granularity="group", group_size=32),
    dict(bits=8, granularity="channel"),
    dict(bits=2, granularity="group", group_size=16, symmetric=False),
    dict(bits=4, granularity="channel", symmetric=False),
    dict(bits=4, granularity="group", group_size=48),  # blocks of 16, scales repeated
]


@pytest.mark.parametrize("name", ["llama_opset17", "gpt2_conv1d_opset17", "bert_opset17"])
@pytest.mark.parametrize("cfg", EXPORTS, ids=lambda c: f"b{c['bits']}-{c['granularity']}"
                         f"{c.get('group_size', '')}{'' if c.get('symmetric', True) else '-asym'}")
def test_export_matmulnbits(onnx_models, name, cfg, tmp_path):
    """Quantized layers export as com.microsoft.MatMulNBits (with bias and
    zero points); onnxruntime runs the exported model as our CPU does."""
    path, inputs = load(onnx_models, name)
    m = peft_mlir.import_onnx(str(path))
    m.quantize_weights(roles=ALL_ROLES, report="none", **cfg)
    got = run(m, inputs)
    out = tmp_path / "q.onnx"
    m.export_onnx(str(out))
    model = onnx.load(str(out))
    nodes = [n for n in model.graph.node if n.op_type == "MatMulNBits"]
    assert len(nodes) == len(m.linears()) and all(n.domain == "com.microsoft" for n in nodes)
    assert any(o.domain == "com.microsoft" for o in model.opset_import)
    # No float copy of a quantized weight is written.
    assert not any(n.op_type in ("MatMul", "Gemm") and
                   any(i.endswith(".weight") for i in n.input) for n in model.graph.node)
    expected = gen_models.ort_run(out, inputs)
    for key, ref in expected.items():
        assert rel_err(got[key], np.asarray(ref)) <= 1e-4, (name, key)


def test_export_three_bits_is_an_error(onnx_models, tmp_path):
    path, _ = load(onnx_models, "llama_opset17")
    m = peft_mlir.import_onnx(str(path))
    m.quantize_weights(bits=3, report="none")
    with pytest.raises(peft_mlir.PeftError, match="3-bit weights, which have no ONNX form"):
        m.export_onnx(str(tmp_path / "q3.onnx"))
    assert not (tmp_path / "q3.onnx").exists()


@pytest.mark.parametrize("name", ["llama_opset17", "bert_opset17", "gpt2_matmul_opset14"])
@pytest.mark.parametrize("bits,block,symmetric", [(4, 32, True), (4, 128, False), (8, 32, False)])
def test_onnxruntime_quantized_models(onnx_models, name, bits, block, symmetric, tmp_path):
    """Models quantized by onnxruntime's own MatMulNBitsQuantizer import with
    every value typed (our inference fills in past the contrib op), raise to
    peft.qlinear with the float model's roles, and run on our CPU as
    onnxruntime runs them."""
    import logging
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer)
    path, inputs = load(onnx_models, name)
    float_model = peft_mlir.import_onnx(str(path))
    float_model.raise_linear()
    roles = [(r.path, r.role) for r in float_model.linears()]

    logging.disable(logging.INFO)
    try:
        quantizer = MatMulNBitsQuantizer(onnx.load(str(path)), algo_config=DefaultWeightOnlyQuantConfig(
            block_size=block, is_symmetric=symmetric, bits=bits))
        quantizer.process()
    finally:
        logging.disable(logging.NOTSET)
    qpath = tmp_path / "ortq.onnx"
    quantizer.model.save_model_to_file(str(qpath))
    expected = gen_models.ort_run(qpath, inputs)

    m = peft_mlir.import_onnx(str(qpath))
    assert "xnone>" not in str(m), "a value's element type is unknown after import"
    unraised = run(m, inputs)
    m.raise_linear()
    rows = m.linears()
    assert {r.op for r in rows} == {"qlinear"}
    assert [(r.path, r.role) for r in rows] == roles
    got = run(m, inputs)
    for key, ref in expected.items():
        assert rel_err(unraised[key], np.asarray(ref)) <= 1e-4, (name, key)
        assert rel_err(got[key], np.asarray(ref)) <= 1e-4, (name, key)


def test_matmulnbits_round_trip_is_exact(onnx_models, tmp_path):
    """quantize -> MatMulNBits export -> import -> raise -> export gives the
    same packed weights, scales and zero points."""
    path, inputs = load(onnx_models, "llama_opset17")
    m = peft_mlir.import_onnx(str(path))
    m.quantize_weights(bits=4, granularity="group", group_size=32, symmetric=False,
                       report="none")
    first = tmp_path / "first.onnx"
    m.export_onnx(str(first))
    again = peft_mlir.import_onnx(str(first))
    again.raise_linear()
    # Every layer but the output head (left out by default) is quantized.
    assert [r.op for r in again.linears()] == ["qlinear"] * 14 + ["linear"]
    second = tmp_path / "second.onnx"
    again.export_onnx(str(second))

    def packed(p):
        model = onnx.load(str(p))
        inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
        out = []
        for node in model.graph.node:
            if node.op_type == "MatMulNBits":
                out.append([inits[i] for i in node.input[1:4] if i])
        return out

    a, b = packed(first), packed(second)
    assert len(a) == len(b) == 14
    for x, y in zip(a, b):
        assert len(x) == len(y) and all(np.array_equal(u, v) for u, v in zip(x, y))
