"""Models after onnxruntime's transformer optimizer (com.microsoft contrib ops).

Each generated BERT / MiniLM / GPT-2 / LLaMA model of test/models/gen_models.py
goes through `onnxruntime.transformers.optimizer.optimize_model` with fixed
options (below), which fuses EmbedLayerNormalization, Attention,
SkipLayerNormalization, BiasGelu (BERT), FastGelu (GPT-2),
SimplifiedLayerNormalization and SkipSimplifiedLayerNormalization (LLaMA).
The optimized model then

  * imports with every value typed (our type rules for the contrib ops),
  * runs on our CPU JIT (onnx-decompose-contrib-ops in the pipeline) within
    1e-4 of the largest reference magnitude of onnxruntime on it,
  * exports, and onnxruntime on the export equals onnxruntime on the
    optimized model bit for bit (contrib ops are written back as they came);
    the export after onnx-decompose-contrib-ops (standard ops only) is
    within 1e-4 of it,
  * gives `raise_linear` the linears and roles of the unoptimized model, with
    one inherent difference: com.microsoft.Attention packs the query, key and
    value weights into one [hidden, 3·hidden] matrix, so where the
    unoptimized BERT has `<scope>.query` (q), `<scope>.key` (k) and
    `<scope>.value` (v), each hidden → hidden, the optimized one has a single
    `<scope>.qkv` linear of role qkv, hidden → 3·hidden (GPT-2's c_attn
    form). Every other linear is the same (path, role, in, out).

Single contrib ops, with their optional inputs and outputs, run against
onnxruntime and an independent numpy reference; the forms the decomposition
does not expand (a key/value cache, ...) give located errors.

  PYTHONPATH=build/python_packages ~/.cache/peft-mlir/venv/bin/python \\
      -m pytest -q -p no:cacheprovider test/models/test_ort_optimized.py
"""

import math
import re
import sys
from pathlib import Path

import numpy as np
import onnx
import onnx.helper as oh
import onnx.numpy_helper
import peft_mlir
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen_models  # noqa: E402
from model_tests import rel_err  # noqa: E402

RTOL = 1e-4
# name -> optimizer model_type. num_heads/hidden_size 0: detected from the
# graph (the GPT-2 fusions print a request for them and fuse no Attention).
MODELS = {"bert_opset17": "bert", "minilm_opset14": "bert",
          "gpt2_matmul_opset17": "gpt2", "gpt2_conv1d_opset17": "gpt2",
          "llama_opset17": "gpt2"}
EXPECTED_CONTRIB_OPS = {
    "bert_opset17": {"EmbedLayerNormalization", "Attention", "SkipLayerNormalization",
                     "BiasGelu"},
    "minilm_opset14": {"EmbedLayerNormalization", "Attention", "SkipLayerNormalization",
                       "BiasGelu"},
    "gpt2_matmul_opset17": {"SkipLayerNormalization", "FastGelu"},
    "gpt2_conv1d_opset17": {"SkipLayerNormalization", "FastGelu"},
    "llama_opset17": {"SimplifiedLayerNormalization", "SkipSimplifiedLayerNormalization"},
}
CONTRIB_OPS = set().union(*EXPECTED_CONTRIB_OPS.values())


def max_rel_error(actual, expected):
    assert sorted(actual) == sorted(expected)
    worst = 0.0
    for name, ref in expected.items():
        got = np.asarray(actual[name])
        assert got.dtype == ref.dtype and got.shape == ref.shape, name
        if ref.size:
            worst = max(worst, rel_err(got, ref.astype(np.float64)))
    return worst


def assert_all_typed(module):
    # (A graph output declared without a type keeps that in an attribute.)
    text = re.sub(r"onnx\.declared_type = tensor<[^>]*>", "", str(module))
    assert "tensor<*x" not in text and "xnone>" not in text


@pytest.fixture(scope="module")
def optimized(onnx_models, model_entry, tmp_path_factory):
    """optimized(name) -> (path, inputs) of the model after the optimizer."""
    from onnxruntime.transformers import optimizer

    out = tmp_path_factory.mktemp("ort_optimized")
    cache = {}

    def get(name):
        if name not in cache:
            entry = model_entry(name)
            model = optimizer.optimize_model(
                str(onnx_models / entry["file"]), model_type=MODELS[name], num_heads=0,
                hidden_size=0, opt_level=0, use_gpu=False)
            path = out / f"{name}_ort_optimized.onnx"
            model.save_model_to_file(str(path))
            cache[name] = (path, dict(np.load(onnx_models / entry["inputs_file"])))
        return cache[name]

    return get


def linears(module):
    module.raise_linear()
    return sorted((l.path, l.role, l.in_features, l.out_features) for l in module.linears())


def packed_qkv(reference):
    """The unoptimized model's linears with each attention block's q, k, v
    replaced by the one packed qkv linear of com.microsoft.Attention."""
    result, blocks = [], {}
    for path, role, n_in, n_out in reference:
        if role in ("q", "k", "v"):
            scope = path.rsplit(".", 1)[0]
            blocks.setdefault(scope, []).append((role, n_in, n_out))
        else:
            result.append((path, role, n_in, n_out))
    for scope, members in blocks.items():
        assert sorted(r for r, _, _ in members) == ["k", "q", "v"], scope
        n_in = {i for _, i, _ in members}
        assert len(n_in) == 1, scope
        result.append((scope + ".qkv", "qkv", n_in.pop(), sum(o for _, _, o in members)))
    return sorted(result)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_optimized_model(optimized, run_ort, onnx_models, model_entry, tmp_path, name):
    path, inputs = optimized(name)
    fused = {n.op_type for n in onnx.load(str(path)).graph.node} & CONTRIB_OPS
    assert fused == EXPECTED_CONTRIB_OPS[name]

    module = peft_mlir.import_onnx(str(path))
    assert_all_typed(module)
    reference = run_ort(path, inputs)
    assert max_rel_error(module.run(inputs), reference) <= RTOL

    exported = tmp_path / "exported.onnx"
    peft_mlir.import_onnx(str(path)).export_onnx(str(exported))
    again = run_ort(exported, inputs)
    for key, ref in reference.items():
        np.testing.assert_array_equal(again[key], ref)

    decomposed = peft_mlir.import_onnx(str(path))
    decomposed.run_pipeline("func.func(onnx-decompose-contrib-ops)")
    assert not any(f'"onnx.{op}"' in str(decomposed) or f'"onnx.ms.{op}"' in str(decomposed)
                   for op in CONTRIB_OPS)
    standard = tmp_path / "decomposed.onnx"
    decomposed.export_onnx(str(standard))
    written = onnx.load(str(standard))
    assert not {n.op_type for n in written.graph.node} & CONTRIB_OPS
    assert max_rel_error(run_ort(standard, inputs), reference) <= RTOL

    base = linears(peft_mlir.import_onnx(str(onnx_models / model_entry(name)["file"])))
    expected = packed_qkv(base) if "Attention" in EXPECTED_CONTRIB_OPS[name] else base
    assert linears(peft_mlir.import_onnx(str(path))) == expected


def test_raise_linear_needs_the_expansion(optimized):
    path, _ = optimized("bert_opset17")
    module = peft_mlir.import_onnx(str(path))
    with pytest.raises(peft_mlir.PeftError, match="run onnx-decompose-contrib-ops first"):
        module.run_pipeline("func.func(peft-raise-linear)")


#
# Single contrib ops against onnxruntime and numpy.
#

F = onnx.TensorProto.FLOAT
I32 = onnx.TensorProto.INT32
RNG = np.random.default_rng(23)


def randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def contrib_model(path, node, inputs, outputs, initializers=()):
    graph = oh.make_graph([node], "g", inputs, outputs, list(initializers))
    model = oh.make_model(graph, opset_imports=[oh.make_opsetid("", 17),
                                                oh.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def info(name, elem, shape):
    return oh.make_tensor_value_info(name, elem, shape)


def check_contrib(tmp_path, run_ort, path, feeds, numpy_ref):
    """Ours and onnxruntime against the numpy reference, ours against
    onnxruntime, and the export (contrib ops kept) equal to onnxruntime."""
    module = peft_mlir.import_onnx(str(path))
    assert_all_typed(module)
    reference = run_ort(path, feeds)
    ours = {k: np.asarray(v) for k, v in module.run(feeds).items()}
    for name, expected in numpy_ref.items():
        assert rel_err(reference[name], expected) <= RTOL, f"onnxruntime vs numpy: {name}"
        assert rel_err(ours[name], expected) <= RTOL, f"ours vs numpy: {name}"
    assert max_rel_error(ours, reference) <= RTOL
    exported = tmp_path / "exported.onnx"
    peft_mlir.import_onnx(str(path)).export_onnx(str(exported))
    again = run_ort(exported, feeds)
    for key, ref in reference.items():
        np.testing.assert_array_equal(again[key], ref)


def np_layer_norm(x, gamma, beta, eps):
    mean = x.mean(-1, keepdims=True)
    inv = 1 / np.sqrt(((x - mean) ** 2).mean(-1, keepdims=True) + eps)
    y = (x - mean) * inv * gamma
    return (y if beta is None else y + beta), mean, inv


def np_rms_norm(x, gamma, eps, axes=(-1,)):
    inv = 1 / np.sqrt((x * x).mean(axis=axes, keepdims=True) + eps)
    return x * inv * gamma, inv


def np_gelu_erf(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


@pytest.mark.parametrize("beta,bias,skip_shape", [(True, True, (2, 3, 8)),
                                                  (False, False, (2, 3, 8)),
                                                  (True, False, (3, 8))])
def test_skip_layer_norm(tmp_path, run_ort, beta, bias, skip_shape):
    x, skip, gamma, b, c = randn(2, 3, 8), randn(*skip_shape), randn(8), randn(8), randn(8)
    names = ["x", "skip", "gamma", "beta" if beta else "", "bias" if bias else ""]
    node = oh.make_node("SkipLayerNormalization", names, ["y", "mean", "inv", "sum"],
                        domain="com.microsoft", epsilon=1e-5)
    feeds = {"x": x, "skip": skip, "gamma": gamma, "beta": b, "bias": c}
    inputs = [info(n, F, list(feeds[n].shape)) for n in names if n]
    path = contrib_model(tmp_path / "m.onnx", node, inputs,
                         [info(n, F, None) for n in ["y", "mean", "inv", "sum"]])
    s = x + skip + (c if bias else 0)
    y, mean, inv = np_layer_norm(s.astype(np.float64), gamma, b if beta else None, 1e-5)
    check_contrib(tmp_path, run_ort, path, {n: feeds[n] for n in names if n},
                  {"y": y, "mean": mean, "inv": inv, "sum": s})


@pytest.mark.parametrize("bias", [True, False])
def test_skip_simplified_layer_norm(tmp_path, run_ort, bias):
    x, skip, gamma, c = randn(2, 3, 8), randn(2, 3, 8), randn(8), randn(8)
    names = ["x", "skip", "gamma"] + (["bias"] if bias else [])
    # `mean` (output 1) is declared by the schema; onnxruntime leaves it unset.
    node = oh.make_node("SkipSimplifiedLayerNormalization", names, ["y", "", "inv", "sum"],
                        domain="com.microsoft", epsilon=1e-6)
    feeds = {"x": x, "skip": skip, "gamma": gamma, "bias": c}
    path = contrib_model(tmp_path / "m.onnx", node,
                         [info(n, F, list(feeds[n].shape)) for n in names],
                         [info(n, F, None) for n in ["y", "inv", "sum"]])
    s = x + skip + (c if bias else 0)
    y, inv = np_rms_norm(s.astype(np.float64), gamma, 1e-6)
    check_contrib(tmp_path, run_ort, path, {n: feeds[n] for n in names},
                  {"y": y, "inv": inv, "sum": s})


@pytest.mark.parametrize("axis", [-1, 1])
def test_simplified_layer_norm(tmp_path, run_ort, axis):
    x = randn(2, 3, 8)
    scale = randn(8) if axis == -1 else randn(3, 8)
    node = oh.make_node("SimplifiedLayerNormalization", ["x", "scale"], ["y", "inv"],
                        axis=axis, epsilon=1e-6)
    path = contrib_model(tmp_path / "m.onnx", node,
                         [info("x", F, [2, 3, 8]), info("scale", F, list(scale.shape))],
                         [info("y", F, None), info("inv", F, None)])
    axes = (-1,) if axis == -1 else (1, 2)
    y, inv = np_rms_norm(x.astype(np.float64), scale, 1e-6, axes)
    check_contrib(tmp_path, run_ort, path, {"x": x, "scale": scale}, {"y": y, "inv": inv})


def test_bias_gelu(tmp_path, run_ort):
    a, b = 2 * randn(2, 3, 8), randn(8)
    node = oh.make_node("BiasGelu", ["a", "b"], ["c"], domain="com.microsoft")
    path = contrib_model(tmp_path / "m.onnx", node,
                         [info("a", F, ["n", 3, 8]), info("b", F, [8])], [info("c", F, None)])
    check_contrib(tmp_path, run_ort, path, {"a": a, "b": b},
                  {"c": np_gelu_erf((a + b).astype(np.float64))})


@pytest.mark.parametrize("bias", [True, False])
def test_fast_gelu(tmp_path, run_ort, bias):
    x, b = 2 * randn(2, 3, 8), randn(8)
    names = ["x"] + (["bias"] if bias else [])
    node = oh.make_node("FastGelu", names, ["y"], domain="com.microsoft")
    feeds = {"x": x, "bias": b}
    path = contrib_model(tmp_path / "m.onnx", node,
                         [info(n, F, list(feeds[n].shape)) for n in names], [info("y", F, None)])
    check_contrib(tmp_path, run_ort, path, {n: feeds[n] for n in names},
                  {"y": np_gelu_tanh((x + (b if bias else 0)).astype(np.float64))})


@pytest.mark.parametrize("segment,mask,position_ids", [(True, True, False), (False, False, False),
                                                       (True, True, True)])
def test_embed_layer_norm(tmp_path, run_ort, segment, mask, position_ids):
    batch, seq, vocab, hidden = 2, 5, 11, 8
    feeds = {
        "ids": RNG.integers(0, vocab, (batch, seq)).astype(np.int32),
        "seg": RNG.integers(0, 2, (batch, seq)).astype(np.int32),
        "word": randn(vocab, hidden), "pos": randn(7, hidden), "segemb": randn(2, hidden),
        "gamma": randn(hidden), "beta": randn(hidden),
        # mask_index counts the ones: a 2 does not count, a 0 in the middle is skipped.
        "mask": np.array([[1, 1, 1, 1, 1], [1, 0, 1, 2, 0]], np.int32),
        "posids": np.array([[4, 3, 2, 1, 0], [0, 0, 1, 1, 6]], np.int32),
    }
    names = ["ids", "seg" if segment else "", "word", "pos", "segemb" if segment else "",
             "gamma", "beta", "mask" if mask else "", "posids" if position_ids else ""]
    node = oh.make_node("EmbedLayerNormalization", names, ["out", "mask_index", "sum"],
                        domain="com.microsoft", epsilon=1e-12)
    path = contrib_model(
        tmp_path / "m.onnx", node,
        [info(n, I32 if feeds[n].dtype == np.int32 else F, list(feeds[n].shape))
         for n in names if n],
        [info("out", F, None), info("mask_index", I32, None), info("sum", F, None)])
    positions = feeds["posids"] if position_ids else np.arange(seq)[None, :]
    s = feeds["word"][feeds["ids"]] + feeds["pos"][positions]
    if segment:
        s = s + feeds["segemb"][feeds["seg"]]
    out, _, _ = np_layer_norm(s.astype(np.float64), feeds["gamma"], feeds["beta"], 1e-12)
    mask_index = ((feeds["mask"] == 1).sum(1) if mask else np.zeros(batch)).astype(np.int32)
    check_contrib(tmp_path, run_ort, path, {n: feeds[n] for n in names if n},
                  {"out": out, "sum": s})
    np.testing.assert_array_equal(
        peft_mlir.import_onnx(str(path)).run({n: feeds[n] for n in names if n})["mask_index"],
        mask_index)


def np_attention(x, w, bias, heads, mask_bias, scale=None):
    batch, seq, _ = x.shape
    qkv = x @ w + (0 if bias is None else bias)
    q, k, v = np.split(qkv, 3, axis=-1)
    size = q.shape[-1] // heads
    split = lambda t: t.reshape(batch, seq, heads, -1).transpose(0, 2, 1, 3)  # noqa: E731
    scores = split(q) @ split(k).transpose(0, 1, 3, 2) * (scale or 1 / math.sqrt(size))
    scores = scores + mask_bias
    probs = np.exp(scores - scores.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    return (probs @ split(v)).transpose(0, 2, 1, 3).reshape(batch, seq, -1)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("mask", [None, "1d", "2d"])
@pytest.mark.parametrize("bias,scale", [(True, None), (False, 0.3)])
def test_attention(tmp_path, run_ort, mask, bias, scale, causal):
    batch, seq, hidden, heads = 2, 5, 16, 4
    feeds = {"x": randn(batch, seq, hidden), "w": randn(hidden, 3 * hidden) / 4,
             "bias": randn(3 * hidden)}
    keep = np.ones((batch, seq), bool)
    if mask == "1d":
        feeds["mask"] = np.array([5, 3], np.int32)
        keep[1, 3:] = False
    elif mask == "2d":
        feeds["mask"] = np.array([[1, 1, 0, 1, 1], [1, 1, 1, 0, 0]], np.int32)
        keep = feeds["mask"] > 0
    names = ["x", "w", "bias" if bias else "", "mask" if mask else ""]
    attrs = ({"num_heads": heads} | ({"scale": scale} if scale else {})
             | ({"unidirectional": 1} if causal else {}))
    node = oh.make_node("Attention", names, ["y"], domain="com.microsoft", **attrs)
    path = contrib_model(
        tmp_path / "m.onnx", node,
        [info(n, I32 if n == "mask" else F, ["b", "s", hidden] if n == "x"
              else list(feeds[n].shape)) for n in names if n],
        [info("y", F, None)])
    mask_bias = np.where(keep, 0.0, -10000.0)[:, None, None, :]
    if causal:
        mask_bias = mask_bias + np.where(np.tril(np.ones((seq, seq), bool)), 0.0, -10000.0)
    y = np_attention(feeds["x"].astype(np.float64), feeds["w"], feeds["bias"] if bias else None,
                     heads, mask_bias, scale)
    check_contrib(tmp_path, run_ort, path, {n: feeds[n] for n in names if n}, {"y": y})


#
# GatherBlockQuantized: typed only; com.microsoft.RotaryEmbedding.
#

def result_type(module, op_name):
    match = re.search(rf'"{re.escape(op_name)}".*-> (tensor<[^>]*>)', str(module))
    assert match, op_name
    return match.group(1)


def test_gather_block_quantized_types(tmp_path, run_ort):
    data = RNG.integers(0, 256, (10, 32)).astype(np.uint8)  # 64 uint4 a row
    scales = randn(10, 2)
    indices = np.array([[1, 7, 3]], np.int64)
    node = oh.make_node("GatherBlockQuantized", ["data", "idx", "scales"], ["y"],
                        domain="com.microsoft", gather_axis=0, quantize_axis=1, block_size=32,
                        bits=4)
    path = contrib_model(tmp_path / "m.onnx", node,
                         [info("idx", onnx.TensorProto.INT64, [1, 3])], [info("y", F, None)],
                         [onnx.numpy_helper.from_array(data, "data"),
                          onnx.numpy_helper.from_array(scales, "scales")])
    reference = run_ort(path, {"idx": indices})["y"]
    module = peft_mlir.import_onnx(str(path))
    assert_all_typed(module)
    shape = "x".join(map(str, reference.shape))
    assert result_type(module, "onnx.GatherBlockQuantized") == f"tensor<{shape}xf32>"
    with pytest.raises(peft_mlir.PeftError, match="has no expansion into standard onnx ops yet"):
        module.run({"idx": indices})


def np_rotary(x, cos, sin, pos, rotary, interleaved, head_axis):
    """x: [B, S, N, h] (head_axis 2) or [B, N, S, h] (head_axis 1)."""
    c = np.expand_dims(cos[pos], head_axis)
    s = np.expand_dims(sin[pos], head_axis)
    out = x.astype(np.float64)
    if interleaved:
        x1, x2 = x[..., 0:rotary:2], x[..., 1:rotary:2]
        out[..., 0:rotary:2], out[..., 1:rotary:2] = x1 * c - x2 * s, x2 * c + x1 * s
    else:
        x1, x2 = x[..., :rotary // 2], x[..., rotary // 2:rotary]
        out[..., :rotary // 2], out[..., rotary // 2:rotary] = x1 * c - x2 * s, x2 * c + x1 * s
    return out


@pytest.mark.parametrize("rank", [3, 4])
@pytest.mark.parametrize("interleaved", [0, 1])
@pytest.mark.parametrize("rotary", [8, 4])
def test_rotary_embedding(tmp_path, run_ort, rank, interleaved, rotary):
    batch, seq, heads, size = 2, 4, 2, 8
    x4 = randn(batch, seq, heads, size) if rank == 3 else randn(batch, heads, seq, size)
    feeds = {"x": x4.reshape(batch, seq, heads * size) if rank == 3 else x4,
             "pos": np.array([[0, 1, 2, 3], [5, 2, 7, 1]], np.int64),
             "cos": randn(16, rotary // 2), "sin": randn(16, rotary // 2)}
    attrs = {"interleaved": interleaved, "num_heads": heads}
    if rotary != size:
        attrs["rotary_embedding_dim"] = rotary
    node = oh.make_node("RotaryEmbedding", ["x", "pos", "cos", "sin"], ["y"],
                        domain="com.microsoft", **attrs)
    path = contrib_model(
        tmp_path / "m.onnx", node,
        [info(n, onnx.TensorProto.INT64 if n == "pos" else F, list(v.shape))
         for n, v in feeds.items()], [info("y", F, None)])
    y = np_rotary(x4, feeds["cos"], feeds["sin"], feeds["pos"], rotary, interleaved,
                  2 if rank == 3 else 1)
    check_contrib(tmp_path, run_ort, path, feeds, {"y": y.reshape(feeds["x"].shape)})
    module = peft_mlir.import_onnx(str(path))
    assert result_type(module, "onnx.ms.RotaryEmbedding") == \
        "tensor<" + "x".join(map(str, feeds["x"].shape)) + "xf32>"


#
# Unsupported forms and bad input: located errors.
#

def attention_model(tmp_path, names, inputs, **attrs):
    node = oh.make_node("Attention", names, ["y"], domain="com.microsoft",
                        name="/bad/Attention", **attrs)
    return contrib_model(tmp_path / "m.onnx", node, inputs, [info("y", F, None)])


def test_attention_past_is_an_error(tmp_path):
    path = attention_model(tmp_path, ["x", "w", "", "", "past"],
                           [info("x", F, [1, 4, 8]), info("w", F, [8, 24]),
                            info("past", F, [2, 1, 2, 3, 4])], num_heads=2)
    module = peft_mlir.import_onnx(str(path))
    with pytest.raises(peft_mlir.PeftError,
                       match=r"/bad/Attention.*key/value cache \(past/present\) is not supported"):
        module.run({"x": randn(1, 4, 8), "w": randn(8, 24), "past": randn(2, 1, 2, 3, 4)})


def test_attention_bad_weights_is_an_error(tmp_path):
    path = attention_model(tmp_path, ["x", "w"], [info("x", F, [1, 4, 8]),
                                                  info("w", F, [8, 20])], num_heads=2)
    with pytest.raises(peft_mlir.PeftError,
                       match=r"/bad/Attention.*'weights' has 20 columns, not 3 equal"):
        peft_mlir.import_onnx(str(path))
