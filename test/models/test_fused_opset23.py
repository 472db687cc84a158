"""The opset-23 fused transformer ops of ai.onnx: RMSNormalization,
RotaryEmbedding and Attention.

Single-node models and a small decoder block are imported, expanded by
onnx-decompose-fused-ops inside the CPU pipeline and run on our JIT. Each run
is compared (<= 1e-4 of the largest reference magnitude) with onnxruntime and
with the numpy reference below, written from the operator specifications
(never from our outputs); forms onnxruntime rejects (a mask shorter than the
keys) are compared with onnx's ReferenceEvaluator instead. Every model is
exported again: the export passes the full checker, keeps the fused ops, and
onnxruntime gives the same bits on it.

  PYTHONPATH=build/python_packages ~/.cache/peft-mlir/venv/bin/python \\
      -m pytest -q -p no:cacheprovider test/models/test_fused_opset23.py
"""

import numpy as np
import onnx
import onnx.checker
import onnx.helper as oh
import onnx.numpy_helper
import onnx.shape_inference
import peft_mlir
import pytest
from onnx.reference import ReferenceEvaluator

RTOL = 1e-4
F32 = onnx.TensorProto.FLOAT
I64 = onnx.TensorProto.INT64
BOOL = onnx.TensorProto.BOOL
RNG = np.random.default_rng(23)


def normal(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


#
# numpy references, from the operator specifications.
#

def rms_norm_ref(x, scale, axis=-1, epsilon=1e-5):
    axes = tuple(range(axis % x.ndim, x.ndim))
    x64 = x.astype(np.float64)
    rms = np.sqrt(np.mean(x64 * x64, axis=axes, keepdims=True) + epsilon)
    return (x64 / rms * scale).astype(np.float32)


def rotary_ref(x, cos, sin, position_ids=None, interleaved=0, dim=0, num_heads=0):
    shape = x.shape
    if x.ndim == 4:
        x = x.transpose(0, 2, 1, 3)  # [batch, seq, heads, head]
    else:
        x = x.reshape(shape[0], shape[1], num_heads, -1)
    head = x.shape[-1]
    dim = dim or head
    if position_ids is not None:
        cos, sin = cos[position_ids], sin[position_ids]
    cos, sin = cos[:, :, None, :], sin[:, :, None, :]
    rot, rest = x[..., :dim], x[..., dim:]
    if interleaved:
        x1, x2 = rot[..., 0::2], rot[..., 1::2]
    else:
        x1, x2 = rot[..., : dim // 2], rot[..., dim // 2:]
    real, imag = cos * x1 - sin * x2, sin * x1 + cos * x2
    out = np.empty_like(rot)
    if interleaved:
        out[..., 0::2], out[..., 1::2] = real, imag
    else:
        out = np.concatenate([real, imag], -1)
    y = np.concatenate([out, rest], -1)
    return y.transpose(0, 2, 1, 3) if len(shape) == 4 else y.reshape(shape)


def attention_ref(q, k, v, mask=None, past_key=None, past_value=None, scale=None,
                  is_causal=0, q_num_heads=None, kv_num_heads=None, softcap=0.0,
                  qk_matmul_output_mode=0, left_window_size=-1, right_window_size=-1,
                  nonpad_kv_seqlen=None):
    """Returns Y, present_key, present_value, qk_matmul_output."""
    three_d = q.ndim == 3

    def heads(t, n):
        return t.reshape(t.shape[0], t.shape[1], n, -1).transpose(0, 2, 1, 3)

    if three_d:
        q, k, v = heads(q, q_num_heads), heads(k, kv_num_heads), heads(v, kv_num_heads)
    past = 0
    if past_key is not None:
        past = past_key.shape[2]
        k = np.concatenate([past_key, k], 2)
        v = np.concatenate([past_value, v], 2)
    present_key, present_value = k, v
    rep = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
    if scale is None:
        scale = 1.0 / np.sqrt(q.shape[-1])
    q64, k64, v64 = (t.astype(np.float64) for t in (q, k, v))
    scores = q64 @ k64.transpose(0, 1, 3, 2) * scale
    raw = scores
    if softcap > 0:
        scores = softcap * np.tanh(scores / softcap)
    capped = scores
    seq, total = q.shape[2], k.shape[2]
    bias = np.zeros((seq, total))
    if mask is not None:
        if mask.shape[-1] < total:  # a short mask: the missing keys are masked
            pad = [(0, 0)] * (mask.ndim - 1) + [(0, total - mask.shape[-1])]
            mask = np.pad(mask, pad, constant_values=False if mask.dtype == bool else -np.inf)
        bias = bias + (np.where(mask, 0.0, -np.inf) if mask.dtype == bool else mask)
    i, j = np.arange(seq)[:, None], np.arange(total)[None, :]
    if nonpad_kv_seqlen is not None:  # an external cache: per-batch offsets
        n = nonpad_kv_seqlen[:, None, None, None]
        bias = bias + np.where(j < n, 0.0, -np.inf)
        past = n - seq
    if is_causal:
        bias = bias + np.where(j <= i + past, 0.0, -np.inf)
    if left_window_size >= 0:
        bias = bias + np.where(j >= i + past - left_window_size, 0.0, -np.inf)
    if right_window_size >= 0:
        bias = bias + np.where(j <= i + past + right_window_size, 0.0, -np.inf)
    scores = scores + bias
    biased = scores
    dead = np.isneginf(np.max(bias, axis=-1, keepdims=True))
    safe = np.where(np.isneginf(scores), -1e300, scores)
    e = np.exp(safe - safe.max(-1, keepdims=True)) * ~np.isneginf(scores)
    probs = np.where(dead, 0.0, e / np.maximum(e.sum(-1, keepdims=True), 1e-300))
    y = probs @ v64
    if three_d:
        y = y.transpose(0, 2, 1, 3).reshape(y.shape[0], seq, -1)
    qk = [raw, capped, biased, probs][qk_matmul_output_mode]
    return (y.astype(np.float32), present_key, present_value, qk.astype(np.float32))


#
# Helpers
#

def rel_err(got, ref):
    """Largest error relative to the largest finite reference magnitude.
    Masked scores (qk_matmul_output mode 2) must be masked in both: -inf in
    the specification, the lowest float in onnxruntime's output."""
    assert got.shape == ref.shape and got.dtype == ref.dtype
    masked = ref <= -1e38
    assert np.array_equal(got <= -1e38, masked)
    got, ref = got[~masked].astype(np.float64), ref[~masked].astype(np.float64)
    if ref.size == 0:
        return 0.0
    return float(np.max(np.abs(got - ref)) / max(np.max(np.abs(ref)), 1e-30))


# The oldest IR version that carries each opset (onnx.helper.VERSION_TABLE).
IR_VERSION = {23: 11, 24: 12, 25: 13, 26: 13, 27: 13, 28: 14}


def make_model(path, nodes, inputs, outputs, initializers=(), opset=23):
    graph = oh.make_graph(nodes, "g", inputs, outputs, list(initializers))
    model = oh.make_model(graph, opset_imports=[oh.make_opsetid("", opset)])
    model.ir_version = IR_VERSION[opset]
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    for out, typed in zip(model.graph.output, inferred.graph.output):
        out.type.CopyFrom(typed.type)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))
    return path


def info(name, shape, elem=F32):
    return oh.make_tensor_value_info(name, elem, shape)


def outputs_of(node):
    return [info(name, None) for name in node.output if name]


def check(tmp_path, run_ort, path, feeds, expected, ort_runs=True):
    """Our JIT against the numpy reference and onnxruntime (or onnx's
    reference evaluator); the export keeps its ops and runs the same."""
    model = onnx.load(str(path))
    names = [o.name for o in model.graph.output]
    module = peft_mlir.import_onnx(str(path))
    text = str(module)
    assert "tensor<*x" not in text and "xnone>" not in text
    got = module.run(feeds)
    assert sorted(got) == sorted(names)
    for name, ref in zip(names, expected):
        assert rel_err(got[name], ref) <= RTOL, name
    if ort_runs:
        reference = run_ort(path, feeds)
    else:
        reference = dict(zip(names, ReferenceEvaluator(model).run(None, feeds)))
    for name in names:
        assert rel_err(got[name], reference[name]) <= RTOL, name

    exported = tmp_path / "exported.onnx"
    peft_mlir.import_onnx(str(path)).export_onnx(str(exported))
    written = onnx.load(str(exported))
    onnx.checker.check_model(written, full_check=True)
    assert sorted(n.op_type for n in written.graph.node) == \
        sorted(n.op_type for n in model.graph.node)
    if ort_runs:
        again = run_ort(exported, feeds)
        for name in names:
            np.testing.assert_array_equal(again[name], reference[name])


#
# RMSNormalization
#

@pytest.mark.parametrize("axis,epsilon,stash_type", [(-1, None, None), (1, 0.1, None),
                                                     (-1, 1e-6, 1)])
def test_rms_normalization(tmp_path, run_ort, axis, epsilon, stash_type):
    attrs = {"axis": axis}
    if epsilon is not None:
        attrs["epsilon"] = epsilon
    if stash_type is not None:
        attrs["stash_type"] = stash_type
    x = normal(2, 3, 8)
    scale = normal(*x.shape[axis % 3:])
    node = oh.make_node("RMSNormalization", ["x", "scale"], ["y"], **attrs)
    path = make_model(tmp_path / "m.onnx", [node], [info("x", ["b", 3, 8])],
                      outputs_of(node), [onnx.numpy_helper.from_array(scale, "scale")])
    expected = rms_norm_ref(x, scale, axis, 1e-5 if epsilon is None else epsilon)
    check(tmp_path, run_ort, path, {"x": x}, [expected])


#
# RotaryEmbedding
#

@pytest.mark.parametrize("interleaved", [0, 1])
@pytest.mark.parametrize("dim", [0, 4])
@pytest.mark.parametrize("rank", [3, 4])
@pytest.mark.parametrize("positions", [True, False])
def test_rotary_embedding(tmp_path, run_ort, interleaved, dim, rank, positions):
    batch, heads, seq, head = 2, 2, 3, 8
    half = (dim or head) // 2
    x4 = normal(batch, heads, seq, head)
    x = x4 if rank == 4 else x4.transpose(0, 2, 1, 3).reshape(batch, seq, heads * head)
    angles = RNG.uniform(0, 6.3, (16, half)).astype(np.float32)
    cos, sin = np.cos(angles), np.sin(angles)
    pos = np.array([[0, 1, 2], [7, 9, 15]], np.int64)
    attrs = {"interleaved": interleaved, "rotary_embedding_dim": dim}
    if rank == 3:
        attrs["num_heads"] = heads
    if positions:
        feeds = {"x": x, "cos": cos, "sin": sin, "pos": pos}
        node = oh.make_node("RotaryEmbedding", ["x", "cos", "sin", "pos"], ["y"], **attrs)
        inputs = [info("x", list(x.shape)), info("cos", [16, half]), info("sin", [16, half]),
                  info("pos", [batch, seq], I64)]
        expected = rotary_ref(x, cos, sin, pos, interleaved, dim, heads)
    else:
        feeds = {"x": x, "cos": cos[pos], "sin": sin[pos]}
        node = oh.make_node("RotaryEmbedding", ["x", "cos", "sin"], ["y"], **attrs)
        inputs = [info("x", list(x.shape)), info("cos", [batch, seq, half]),
                  info("sin", [batch, seq, half])]
        expected = rotary_ref(x, cos[pos], sin[pos], None, interleaved, dim, heads)
    path = make_model(tmp_path / "m.onnx", [node], inputs, outputs_of(node))
    check(tmp_path, run_ort, path, feeds, [expected])


#
# Attention
#

B, HQ, HKV, S, L, P, D = 2, 4, 2, 3, 3, 2, 8


def attention_case(tmp_path, run_ort, attrs, *, three_d=False, mask=None, past=False,
                   outputs=("y",), ort_runs=True, opset=23):
    q, k, v = normal(B, HQ, S, D), normal(B, HKV, L, D), normal(B, HKV, L, D)
    if three_d:
        q, k, v = (t.transpose(0, 2, 1, 3).reshape(t.shape[0], t.shape[2], -1)
                   for t in (q, k, v))
        attrs = dict(attrs, q_num_heads=HQ, kv_num_heads=HKV)
    feeds = {"q": q, "k": k, "v": v}
    names = ["q", "k", "v"]
    if mask is not None:
        feeds["mask"] = mask
        names.append("mask")
    if past:
        feeds["past_key"], feeds["past_value"] = normal(B, HKV, P, D), normal(B, HKV, P, D)
        names += ["", "past_key", "past_value"][len(names) - 3:]
    node_outputs = [o if o in outputs else "" for o in ("y", "pk", "pv", "qk")]
    while not node_outputs[-1]:
        node_outputs.pop()
    node = oh.make_node("Attention", names, node_outputs, **attrs)
    inputs = [info(n, list(feeds[n].shape), BOOL if feeds[n].dtype == bool else F32)
              for n in names if n]
    path = make_model(tmp_path / "m.onnx", [node], inputs, outputs_of(node), opset=opset)
    ref = attention_ref(q, k, v, mask, feeds.get("past_key"), feeds.get("past_value"),
                        **attrs)
    expected = [r for o, r in zip(("y", "pk", "pv", "qk"), ref) if o in node_outputs]
    check(tmp_path, run_ort, path, {n: feeds[n] for n in names if n}, expected, ort_runs)


@pytest.mark.parametrize("attrs", [{}, {"is_causal": 1}, {"scale": 0.3}, {"softcap": 2.0},
                                   {"scale": 0.2, "softcap": 1.5, "is_causal": 1}])
@pytest.mark.parametrize("three_d", [False, True])
def test_attention(tmp_path, run_ort, attrs, three_d):
    attention_case(tmp_path, run_ort, attrs, three_d=three_d)


@pytest.mark.parametrize("mode", [0, 1, 2, 3])
def test_attention_qk_output(tmp_path, run_ort, mode):
    attention_case(tmp_path, run_ort,
                   {"qk_matmul_output_mode": mode, "softcap": 2.0, "is_causal": 1},
                   outputs=("y", "qk"))


@pytest.mark.parametrize("mask_kind", ["bool", "float", "bool4d"])
@pytest.mark.parametrize("causal", [0, 1])
@pytest.mark.parametrize("three_d", [False, True])
def test_attention_mask_past(tmp_path, run_ort, mask_kind, causal, three_d):
    if mask_kind == "bool":
        mask = RNG.random((S, P + L)) > 0.3
        mask[:, 0] = True  # every row keeps a key: no fully masked row here
    elif mask_kind == "bool4d":
        mask = RNG.random((B, 1, S, P + L)) > 0.3
        mask[..., 0] = True
    else:
        mask = normal(B, 1, S, P + L)
    attention_case(tmp_path, run_ort, {"is_causal": causal}, three_d=three_d, mask=mask,
                   past=True, outputs=("y", "pk", "pv"))


def test_attention_fully_masked_row(tmp_path, run_ort):
    """A query row with every key masked gives zeros, not NaN."""
    mask = RNG.random((S, P + L)) > 0.3
    mask[:, 0] = True
    mask[1, :] = False
    attention_case(tmp_path, run_ort, {"qk_matmul_output_mode": 3}, mask=mask, past=True,
                   outputs=("y", "pk", "pv", "qk"))


def test_attention_short_mask(tmp_path, run_ort):
    """A mask shorter than the keys: the missing keys are masked (the
    reference evaluator pads it; onnxruntime rejects this form)."""
    mask = RNG.random((S, L)) > 0.3
    mask[:, 0] = True
    attention_case(tmp_path, run_ort, {}, mask=mask, past=True, outputs=("y",),
                   ort_runs=False)


#
# Newer versions: Attention-24/25 in their opset-23 forms run; their new
# inputs and attributes are located import errors.
#

@pytest.mark.parametrize("opset", [24, 25])
def test_attention_newer_versions(tmp_path, run_ort, opset):
    attrs = {"is_causal": 1}
    if opset >= 25:
        attrs.update(left_window_size=-1, right_window_size=-1)  # the defaults
    mask = RNG.random((S, P + L)) > 0.3
    mask[:, 0] = True
    attention_case(tmp_path, run_ort, attrs, mask=mask, past=True,
                   outputs=("y", "pk", "pv"), opset=opset)


@pytest.mark.parametrize("left,right,causal", [(1, -1, 0), (2, 0, 0), (-1, 1, 0), (1, 1, 1),
                                               (0, 0, 0)])
@pytest.mark.parametrize("past", [False, True])
def test_attention_sliding_window(tmp_path, run_ort, left, right, causal, past):
    """Attention-25: query i sees keys i + past - left ... i + past + right."""
    attrs = {"left_window_size": left, "right_window_size": right, "is_causal": causal}
    attention_case(tmp_path, run_ort, attrs, past=past,
                   outputs=("y", "pk", "pv") if past else ("y",), opset=25)


@pytest.mark.parametrize("attrs", [{}, {"is_causal": 1}, {"left_window_size": 1},
                                   {"is_causal": 1, "left_window_size": 2}])
def test_attention_external_cache(tmp_path, run_ort, attrs):
    """Attention-24's nonpad_kv_seqlen: K/V are a cache of T slots of which
    the first n[b] are valid; causal and window bounds sit at n[b] - S."""
    cache = 6
    q, k, v = normal(B, HQ, S, D), normal(B, HKV, cache, D), normal(B, HKV, cache, D)
    nonpad = np.array([4, 6], np.int64)
    node = oh.make_node("Attention", ["q", "k", "v", "", "", "", "nonpad"], ["y"], **attrs)
    infos = [info("q", [B, HQ, S, D]), info("k", [B, HKV, cache, D]),
             info("v", [B, HKV, cache, D]), info("nonpad", [B], I64)]
    opset = 25 if "left_window_size" in attrs else 24
    path = make_model(tmp_path / "m.onnx", [node], infos, outputs_of(node), opset=opset)
    expected = attention_ref(q, k, v, nonpad_kv_seqlen=nonpad, **attrs)[0]
    check(tmp_path, run_ort, path, {"q": q, "k": k, "v": v, "nonpad": nonpad}, [expected])


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_range_opset27(tmp_path, run_ort, dtype):
    """Range-27 takes float16 and computes it in float32 (stash_type 1)."""
    elem = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    node = oh.make_node("Range", ["start", "limit", "delta"], ["y"], stash_type=1)
    path = make_model(tmp_path / "m.onnx", [node], [info(n, [], elem) for n in
                                                    ("start", "limit", "delta")],
                      [info("y", None, elem)], opset=27)
    feeds = {"start": np.array(1000.0, dtype), "limit": np.array(1100.0, dtype),
             "delta": np.array(0.7, dtype)}
    count = int(np.ceil((np.float32(feeds["limit"]) - np.float32(feeds["start"]))
                        / np.float32(feeds["delta"])))
    expected = (np.float32(feeds["start"]) + np.arange(count, dtype=np.float32)
                * np.float32(feeds["delta"])).astype(dtype)
    got = peft_mlir.import_onnx(str(path)).run(feeds)["y"]
    np.testing.assert_array_equal(got, expected)


#
# A decoder block: RMSNormalization -> q/k/v projections -> RotaryEmbedding
# -> grouped-query causal Attention with a KV cache -> o projection + residual.
#

def test_decoder_block(tmp_path, run_ort):
    hidden, heads, kv_heads, head, seq, past = 32, 4, 2, 8, 5, 3
    w = {name: normal(*shape) * 0.2 for name, shape in
         [("wq", (hidden, heads * head)), ("wk", (hidden, kv_heads * head)),
          ("wv", (hidden, kv_heads * head)), ("wo", (heads * head, hidden))]}
    norm_scale = 1.0 + 0.1 * normal(hidden)
    angles = np.arange(16)[:, None] * (10000.0 ** (-np.arange(head // 2) / (head // 2)))
    cos, sin = np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)
    inits = [onnx.numpy_helper.from_array(a, n) for n, a in
             list(w.items()) + [("norm_scale", norm_scale), ("cos", cos), ("sin", sin)]]
    nodes = [
        oh.make_node("RMSNormalization", ["x", "norm_scale"], ["h"], epsilon=1e-6),
        oh.make_node("MatMul", ["h", "wq"], ["q"]),
        oh.make_node("MatMul", ["h", "wk"], ["k"]),
        oh.make_node("MatMul", ["h", "wv"], ["v"]),
        oh.make_node("RotaryEmbedding", ["q", "cos", "sin", "pos"], ["q_rot"], num_heads=heads),
        oh.make_node("RotaryEmbedding", ["k", "cos", "sin", "pos"], ["k_rot"],
                     num_heads=kv_heads),
        oh.make_node("Attention", ["q_rot", "k_rot", "v", "", "past_key", "past_value"],
                     ["attn", "present_key", "present_value"], is_causal=1,
                     q_num_heads=heads, kv_num_heads=kv_heads),
        oh.make_node("MatMul", ["attn", "wo"], ["o"]),
        oh.make_node("Add", ["x", "o"], ["y"]),
    ]
    inputs = [info("x", [1, seq, hidden]), info("pos", [1, seq], I64),
              info("past_key", [1, kv_heads, past, head]),
              info("past_value", [1, kv_heads, past, head])]
    outputs = [info(n, None) for n in ("y", "present_key", "present_value")]
    path = make_model(tmp_path / "block.onnx", nodes, inputs, outputs, inits)
    feeds = {"x": normal(1, seq, hidden),
             "pos": np.arange(past, past + seq, dtype=np.int64)[None],
             "past_key": normal(1, kv_heads, past, head),
             "past_value": normal(1, kv_heads, past, head)}
    h = rms_norm_ref(feeds["x"], norm_scale, -1, 1e-6)
    q = rotary_ref(h @ w["wq"], cos, sin, feeds["pos"], num_heads=heads)
    k = rotary_ref(h @ w["wk"], cos, sin, feeds["pos"], num_heads=kv_heads)
    y, pk, pv, _ = attention_ref(q, k, h @ w["wv"], None, feeds["past_key"],
                                 feeds["past_value"], is_causal=1, q_num_heads=heads,
                                 kv_num_heads=kv_heads)
    expected = [feeds["x"] + y @ w["wo"], pk, pv]
    check(tmp_path, run_ort, path, feeds, expected)

    # peft-raise-linear reads the roles through RotaryEmbedding and Attention.
    module = peft_mlir.import_onnx(str(path))
    module.raise_linear()
    assert sorted(l.role for l in module.linears()) == ["k", "o", "q", "v"]
    got = module.run(feeds)
    for name, ref in zip(("y", "present_key", "present_value"), expected):
        assert rel_err(got[name], ref) <= RTOL, name


def test_unsupported_form_is_a_located_error(tmp_path):
    """A 4-D Attention whose head count is dynamic cannot be expanded: the
    error names the node; nothing crashes."""
    node = oh.make_node("Attention", ["q", "k", "v"], ["y"], name="attn0")
    inputs = [info(n, [1, "h", 3, 8]) for n in ("q", "k", "v")]
    path = make_model(tmp_path / "m.onnx", [node], inputs, outputs_of(node))
    module = peft_mlir.import_onnx(str(path))
    with pytest.raises(Exception, match=r"cannot expand node 'attn0' \(Attention\)"):
        module.run({n: normal(1, 2, 3, 8) for n in ("q", "k", "v")})
