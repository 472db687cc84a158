"""QDQ weights (DequantizeLinear of constant integers -> MatMul) in and out
(docs/quantization.md, "ONNX"), executed on the CPU JIT and under
onnxruntime, against references computed here with numpy from the ONNX
initializers:

- models built here with onnx.helper (fixed seeds: int8/uint8/int4/uint4;
  per tensor, per output channel, blocks along the input with a short last
  block; with and without zero points; MatMul, Transpose -> MatMul and
  Gemm(transB) with a bias) run unraised as onnxruntime runs them, raise to
  peft.qlinear with the integers, scales and zero points numpy derives from
  the initializers, and still run as onnxruntime does;
- models quantized by onnxruntime's own tools (quantize_static QDQ per
  channel int8, MatMulNBitsQuantizer with quant_format=QDQ) raise every
  weight MatMul with the float model's paths and roles and match onnxruntime;
- quantized layers exported with quantized_form="qdq" run in onnxruntime as
  on our CPU, and export -> import -> raise -> export gives the same
  initializers.

onnxruntime runs with graph optimizations off (gen_models.ort_run): its
default level rewrites DequantizeLinear -> MatMul into MatMulNBits, which for
int8 weights quantizes the activations too (about 1e-2 relative).
"""

import logging
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import peft_mlir
import pytest
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "test/models"))
import gen_models  # noqa: E402
from model_tests import load, rel_err, run  # noqa: E402

ALL_ROLES = ["q", "k", "v", "o", "qkv", "gate", "up", "down", "other"]


def resources(module):
    """The dense_resource blobs of the printed module: name -> bytes."""
    blobs = {}
    for name, hexdata in re.findall(r'^\s+([^\s:]+): "0x([0-9A-F]*)"', str(module), re.M):
        blobs[name] = bytes.fromhex(hexdata)[4:]  # skip the alignment word
    return blobs


def unpack(raw, count, bits):
    """The little-endian b-bit stream of docs/quantization.md, signed."""
    bitstream = np.unpackbits(np.frombuffer(raw, np.uint8), bitorder="little")
    vals = bitstream[: count * bits].reshape(count, bits).astype(np.int64)
    v = (vals * (1 << np.arange(bits))).sum(axis=1)
    return np.where(v >= (1 << (bits - 1)), v - (1 << bits), v)


def inits_of(model):
    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}


# --- models built here ------------------------------------------------------

K, N, BLOCK = 40, 6, 16  # blocks 16, 16, 8: the last one short
TYPES = {"int8": (TensorProto.INT8, 8, True), "uint8": (TensorProto.UINT8, 8, False),
         "int4": (TensorProto.INT4, 4, True), "uint4": (TensorProto.UINT4, 4, False)}


def qdq_model(dtype, kind, zero_point, form, seed):
    """x [2, 3, K] -> DequantizeLinear(weight) -> MatMul / Transpose+MatMul /
    Gemm(transB=1) [+ bias] -> y. Returns the model and, for the numpy
    reference, the integers, scales and zero points as [out, in] / [out, K]."""
    rng = np.random.default_rng(seed)
    onnx_type, bits, signed = TYPES[dtype]
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    q = rng.integers(lo, hi + 1, size=(N, K))            # [out, in]
    blocks = -(-K // BLOCK)
    if kind == "tensor":
        s = np.float32(rng.uniform(0.01, 0.05))
        z = rng.integers(lo, hi + 1) if zero_point else 0
        s_full = np.full((N, K), s, np.float32)
        z_full = np.full((N, K), z)
    elif kind == "channel":
        s = rng.uniform(0.01, 0.05, size=N).astype(np.float32)
        z = rng.integers(lo, hi + 1, size=N) if zero_point else np.zeros(N, np.int64)
        s_full = np.repeat(s[:, None], K, axis=1)
        z_full = np.repeat(z[:, None], K, axis=1)
    else:
        s = rng.uniform(0.01, 0.05, size=(N, blocks)).astype(np.float32)
        z = rng.integers(lo, hi + 1, size=(N, blocks)) if zero_point else np.zeros((N, blocks), np.int64)
        s_full = np.repeat(s, BLOCK, axis=1)[:, :K]
        z_full = np.repeat(z, BLOCK, axis=1)[:, :K]
    # ONNX layout: MatMul's right operand is [in, out] (axis 1 = out, blocks
    # along axis 0); Transpose+MatMul and Gemm(transB) keep [out, in].
    transposed = form == "matmul"
    x = q.T if transposed else q
    attrs = {}
    if kind == "channel":
        attrs["axis"] = 1 if transposed else 0
    elif kind == "blocked":
        attrs["axis"] = 0 if transposed else 1
        attrs["block_size"] = BLOCK
    def param(v):
        v = np.asarray(v)
        return v.T if transposed and v.ndim == 2 else v
    inits = [helper.make_tensor("layer.weight_quantized", onnx_type, x.shape, x.flatten().tolist()),
             numpy_helper.from_array(np.asarray(param(s), np.float32), "layer.weight_scale")]
    dq_inputs = ["layer.weight_quantized", "layer.weight_scale"]
    if zero_point:
        zp = np.asarray(param(z))
        inits.append(helper.make_tensor("layer.weight_zero_point", onnx_type, zp.shape,
                                        zp.flatten().tolist()))
        dq_inputs.append("layer.weight_zero_point")
    bias = rng.standard_normal(N).astype(np.float32)
    inits.append(numpy_helper.from_array(bias, "layer.bias"))
    nodes = [helper.make_node("DequantizeLinear", dq_inputs, ["w"], name="/layer/DequantizeLinear", **attrs)]
    if form == "gemm":
        nodes += [helper.make_node("Reshape", ["x", "rows"], ["x2"], name="/layer/Reshape"),
                  helper.make_node("Gemm", ["x2", "w", "layer.bias"], ["y2"], name="/layer/Gemm", transB=1),
                  helper.make_node("Reshape", ["y2", "back"], ["y"], name="/layer/Reshape_1")]
        inits += [numpy_helper.from_array(np.array([-1, K], np.int64), "rows"),
                  numpy_helper.from_array(np.array([2, 3, N], np.int64), "back")]
    else:
        w = "w"
        if form == "transpose":
            nodes.append(helper.make_node("Transpose", ["w"], ["wt"], name="/layer/Transpose", perm=[1, 0]))
            w = "wt"
        nodes += [helper.make_node("MatMul", ["x", w], ["mm"], name="/layer/MatMul"),
                  helper.make_node("Add", ["mm", "layer.bias"], ["y"], name="/layer/Add")]
    graph = helper.make_graph(nodes, "qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, K])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, N])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)
    onnx.checker.check_model(model, full_check=True)
    return model, q, s_full, z_full, bias


def signed_grid(q, z, bits, signed):
    """docs/quantization.md: unsigned u maps to u - 2^(b-1), zero points too."""
    shift = 0 if signed else 1 << (bits - 1)
    return q - shift, z - shift


CASES = [(t, k, zp) for t in TYPES for k in ("tensor", "channel", "blocked") for zp in (False, True)]


@pytest.mark.parametrize("form", ["matmul", "transpose", "gemm"])
@pytest.mark.parametrize("dtype,kind,zero_point", CASES, ids=lambda v: str(v))
def test_qdq_layer_raises_exactly(dtype, kind, zero_point, form, tmp_path):
    seed = 1000 + CASES.index((dtype, kind, zero_point)) * 3 + ["matmul", "transpose", "gemm"].index(form)
    model, q, s_full, z_full, bias = qdq_model(dtype, kind, zero_point, form, seed)
    path = tmp_path / "qdq.onnx"
    onnx.save(model, str(path))
    x = np.random.default_rng(seed).standard_normal((2, 3, K)).astype(np.float32)
    w = s_full.astype(np.float64) * (q - z_full)             # [out, in]
    reference = x.astype(np.float64) @ w.T + bias
    ort = np.asarray(gen_models.ort_run(path, {"x": x})["y"])
    assert rel_err(ort, reference) <= 1e-5

    m = peft_mlir.import_onnx(str(path))
    assert rel_err(run(m, {"x": x})["y"], reference) <= 1e-4  # our DequantizeLinear lowering
    m.raise_linear()
    rows = m.linears()
    assert [(r.op, r.path) for r in rows] == [("qlinear", "layer")]
    text = str(m)
    assert "onnx.DequantizeLinear" not in text and "onnx.Add" not in text
    bits, signed = TYPES[dtype][1], TYPES[dtype][2]
    grouped = kind == "blocked"
    assert (f"group_size {BLOCK}" in text) == grouped
    sq, sz = signed_grid(q, z_full, bits, signed)
    blobs = resources(m)
    got_q = unpack(blobs["layer.qweight"], N * K, bits).reshape(N, K)
    assert np.array_equal(got_q, sq)
    cols = np.arange(0, K, BLOCK) if grouped else np.array([0])
    got_s = np.frombuffer(blobs["layer.scales"], np.float32).reshape(N, len(cols))
    assert np.array_equal(got_s, s_full[:, cols])
    if np.any(sz):
        got_z = unpack(blobs["layer.zero_points"], N * len(cols), bits).reshape(N, len(cols))
        assert np.array_equal(got_z, sz[:, cols])
    else:
        assert "layer.zero_points" not in blobs
    assert rel_err(run(m, {"x": x})["y"], ort) <= 1e-4

    # Export as QDQ: onnxruntime runs it as our CPU does, and the integers
    # are the signed grid (int8 / int4, [in, out]).
    out = tmp_path / "out.onnx"
    m.export_onnx(str(out), quantized_form="qdq")
    exported = onnx.load(str(out))
    onnx.checker.check_model(exported, full_check=True)
    assert [n.op_type for n in exported.graph.node if n.op_type in ("DequantizeLinear", "MatMul", "Add")] == \
        ["DequantizeLinear", "MatMul", "Add"]
    inits = inits_of(exported)
    assert np.array_equal(inits["layer.qweight"].astype(np.int64), sq.T)
    assert exported.graph.initializer[[i.name for i in exported.graph.initializer].index("layer.qweight")] \
        .data_type == (TensorProto.INT8 if bits == 8 else TensorProto.INT4)
    assert rel_err(gen_models.ort_run(out, {"x": x})["y"], ort) <= 1e-4


# --- onnxruntime's own quantizers -------------------------------------------

def float_roles(path):
    m = peft_mlir.import_onnx(str(path))
    m.raise_linear()
    return [(r.path, r.role) for r in m.linears()]


def check_raised_model(qpath, inputs, roles):
    expected = gen_models.ort_run(qpath, inputs)
    m = peft_mlir.import_onnx(str(qpath))
    unraised = run(m, inputs)
    m.raise_linear()
    rows = m.linears()
    assert [r.op for r in rows] == ["qlinear"] * len(rows)
    assert [(r.path, r.role) for r in rows] == roles
    got = run(m, inputs)
    for key, ref in expected.items():
        assert rel_err(unraised[key], np.asarray(ref)) <= 1e-4, key
        assert rel_err(got[key], np.asarray(ref)) <= 1e-4, key
    return m


@pytest.mark.parametrize("name", ["llama_opset17", "bert_opset17", "gpt2_matmul_opset14"])
def test_onnxruntime_quantize_static_qdq(onnx_models, name, tmp_path):
    """quantize_static(QDQ, per channel, int8 weights): the weight
    DequantizeLinears raise to peft.qlinear (the activations keep their
    QuantizeLinear -> DequantizeLinear pairs, which run as onnx ops)."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                          QuantType, quantize_static)
    path, inputs = load(onnx_models, name)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.data = iter([dict(inputs)])

        def get_next(self):
            return next(self.data, None)

    qpath = tmp_path / "static.onnx"
    logging.disable(logging.WARNING)
    try:
        quantize_static(str(path), str(qpath), Reader(), quant_format=QuantFormat.QDQ,
                        per_channel=True, weight_type=QuantType.QInt8,
                        op_types_to_quantize=["MatMul", "Gemm"])
    finally:
        logging.disable(logging.NOTSET)
    model = onnx.load(str(qpath))
    inits = inits_of(model)
    weight_dqs = [n for n in model.graph.node if n.op_type == "DequantizeLinear" and n.input[0] in inits
                  and inits[n.input[0]].ndim == 2]
    roles = float_roles(path)
    assert len(weight_dqs) == len(roles)
    m = check_raised_model(qpath, inputs, roles)
    # Each layer holds one quantized weight's int8 initializer, transposed,
    # and its scales (the graph orders the weights differently from layers).
    blobs = resources(m)
    unused = list(weight_dqs)
    for layer, _ in roles:
        scales = np.frombuffer(blobs[layer + ".scales"], np.float32)
        matches = []
        for dq in unused:
            x = inits[dq.input[0]].astype(np.int64)
            if x.size != len(blobs[layer + ".qweight"]) or x.shape[1] != scales.size:
                continue
            got = unpack(blobs[layer + ".qweight"], x.size, 8).reshape(x.shape[1], x.shape[0])
            if np.array_equal(got, x.T) and np.array_equal(scales, inits[dq.input[1]]):
                matches.append(dq)
        assert len(matches) == 1, layer
        unused.remove(matches[0])


@pytest.mark.parametrize("name", ["llama_opset17", "bert_opset17", "gpt2_matmul_opset14"])
@pytest.mark.parametrize("bits,block,symmetric", [(4, 32, True), (4, 128, False)])
def test_matmulnbits_quantizer_qdq(onnx_models, name, bits, block, symmetric, tmp_path):
    """MatMulNBitsQuantizer(quant_format=QDQ): blocked uint4/int4
    DequantizeLinear (opset 21) -> MatMul raise completely. The quantizer
    sets opset 21 without converting the graph (a ReduceMean keeps its axes
    attribute: an invalid model), so the float model is converted to opset
    21 by onnx's version_converter first."""
    import onnx.version_converter
    from onnxruntime.quantization import QuantFormat
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer)
    path, inputs = load(onnx_models, name)
    model = onnx.load(str(path))
    raised = onnx.version_converter.convert_version(model, 21)
    raised.ir_version = 10
    logging.disable(logging.WARNING)
    try:
        quantizer = MatMulNBitsQuantizer(raised, algo_config=DefaultWeightOnlyQuantConfig(
            block_size=block, is_symmetric=symmetric, bits=bits, quant_format=QuantFormat.QDQ))
        quantizer.process()
    finally:
        logging.disable(logging.NOTSET)
    qpath = tmp_path / "nbits_qdq.onnx"
    quantizer.model.save_model_to_file(str(qpath))
    ops = Counter(n.op_type for n in onnx.load(str(qpath)).graph.node)
    assert ops["DequantizeLinear"] > 0 and ops["MatMulNBits"] == 0
    check_raised_model(qpath, inputs, float_roles(path))


# --- export ------------------------------------------------------------------

EXPORTS = [
    (dict(bits=8, granularity="channel"), 13),
    (dict(bits=8, granularity="channel", symmetric=False), 13),
    (dict(bits=4, granularity="group", group_size=32), 21),
    (dict(bits=4, granularity="channel", symmetric=False), 21),
    (dict(bits=3, granularity="group", group_size=16, symmetric=False), 21),
    (dict(bits=2, granularity="channel"), 21),
    (dict(bits=8, granularity="group", group_size=48), 21),
]


@pytest.mark.parametrize("name", ["llama_opset17", "gpt2_conv1d_opset17", "bert_opset17", "minilm_opset14"])
@pytest.mark.parametrize("cfg,opset", EXPORTS, ids=lambda v: str(v))
def test_export_qdq(onnx_models, name, cfg, opset, tmp_path):
    """quantized_form="qdq": one DequantizeLinear per layer, no
    MatMulNBits, the opset raised only as far as the layers need (13 for
    per-channel int8, so opset 14 and 17 models stay), and onnxruntime
    matches our CPU."""
    path, inputs = load(onnx_models, name)
    m = peft_mlir.import_onnx(str(path))
    m.quantize_weights(roles=ALL_ROLES, report="none", **cfg)
    got = run(m, inputs)
    out = tmp_path / "qdq.onnx"
    m.export_onnx(str(out), quantized_form="qdq")
    model = onnx.load(str(out))
    onnx.checker.check_model(model, full_check=True)
    ops = Counter(n.op_type for n in model.graph.node)
    assert ops["DequantizeLinear"] == len(m.linears()) and ops["MatMulNBits"] == 0
    assert not any(o.domain == "com.microsoft" for o in model.opset_import)
    source_opset = 14 if name.endswith("opset14") else 17
    assert [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] == [max(opset, source_opset)]
    expected = gen_models.ort_run(out, inputs)
    for key, ref in expected.items():
        assert rel_err(got[key], np.asarray(ref)) <= 1e-4, (name, key)


@pytest.mark.parametrize("cfg", [dict(bits=4, granularity="group", group_size=32, symmetric=False),
                                 dict(bits=8, granularity="channel"),
                                 dict(bits=3, granularity="channel", symmetric=False)],
                         ids=lambda c: f"b{c['bits']}-{c['granularity']}")
def test_qdq_round_trip_is_exact(onnx_models, cfg, tmp_path):
    """quantize -> QDQ export -> import -> raise -> QDQ export gives the same
    initializers, and the integers are the compiler's (3-bit comes back as a
    4-bit layer with the same integers)."""
    path, inputs = load(onnx_models, "llama_opset17")
    m = peft_mlir.import_onnx(str(path))
    m.quantize_weights(report="none", **cfg)
    blobs = resources(m)
    layers = [r.path for r in m.linears() if r.op == "qlinear"]
    assert len(layers) == 14
    first = tmp_path / "first.onnx"
    m.export_onnx(str(first), quantized_form="qdq")
    again = peft_mlir.import_onnx(str(first))
    again.raise_linear()
    assert [r.op for r in again.linears()] == ["qlinear"] * 14 + ["linear"]
    second = tmp_path / "second.onnx"
    again.export_onnx(str(second), quantized_form="qdq")
    got = run(again, inputs)
    expected = gen_models.ort_run(first, inputs)
    for key, ref in expected.items():
        assert rel_err(got[key], np.asarray(ref)) <= 1e-4, key

    def dq_params(p):
        model = onnx.load(str(p))
        inits = inits_of(model)
        return [[inits[i] for i in n.input] for n in model.graph.node if n.op_type == "DequantizeLinear"]

    a, b = dq_params(first), dq_params(second)
    assert len(a) == len(b) == 14
    for x, y in zip(a, b):
        assert len(x) == len(y) and all(np.array_equal(u, v) for u, v in zip(x, y))
    for layer, params in zip(layers, a):
        q = params[0].astype(np.int64)  # [in, out]
        want = unpack(blobs[layer + ".qweight"], q.size, cfg["bits"]).reshape(q.shape[1], q.shape[0])
        assert np.array_equal(q.T, want), layer


def test_qdq_export_below_opset_13_is_an_error(tmp_path):
    rng = np.random.default_rng(7)
    w = rng.standard_normal((8, 4)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "fc.weight"], ["y"], name="/fc/MatMul")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
        [numpy_helper.from_array(w, "fc.weight")])
    path = tmp_path / "old.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], ir_version=6), str(path))
    m = peft_mlir.import_onnx(str(path))
    m.quantize_weights(bits=8, roles=ALL_ROLES, report="none")
    with pytest.raises(peft_mlir.PeftError, match="needs opset 13, and a model at opset 11"):
        m.export_onnx(str(tmp_path / "q.onnx"), quantized_form="qdq")
    assert not (tmp_path / "q.onnx").exists()
    with pytest.raises(peft_mlir.PeftError, match="quantized_form must be"):
        m.export_onnx(str(tmp_path / "q.onnx"), quantized_form="int4")
    m.export_onnx(str(tmp_path / "nbits.onnx"))  # MatMulNBits needs no raise


def test_int4_in_int32_data_with_a_wrong_byte_count_is_an_error(tmp_path):
    """INT4 in int32_data holds one packed byte per entry: 5 values need 3."""
    tensor = helper.make_tensor("q", TensorProto.INT4, [5], [1, 2, 3, 4, 5])
    assert len(tensor.int32_data) == 3
    del tensor.int32_data[-1]
    graph = helper.make_graph(
        [helper.make_node("DequantizeLinear", ["q", "s"], ["y"], name="/dq")], "g", [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [5])],
        [tensor, numpy_helper.from_array(np.float32(0.5), "s")])
    path = tmp_path / "bad.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10), str(path))
    with pytest.raises(peft_mlir.PeftError, match="tensor 'q' holds 2 packed bytes but 'tensor<5xi4>' needs 3"):
        peft_mlir.import_onnx(str(path))
