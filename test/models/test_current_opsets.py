"""Models at current opsets (18-21): onnx's own version converter, and single ops.

Each generated model of test/models/gen_models.py exported at opset 17 is
converted to opsets 18 and 21 by `onnx.version_converter` (its IR version
kept, as a user's converted model would be), then imported, run on our CPU
JIT against onnxruntime (<= 1e-4 of the largest reference magnitude), exported
(onnx.checker full_check; onnxruntime on the export equals onnxruntime on the
original), and raised: `raise_linear` finds the same linears and roles as at
opset 17.

The operators whose form changed at opsets 18-20 (Reduce* with an `axes`
input, Split with `num_outputs`, Pad with `axes` and the `wrap` mode, Gelu)
run as single-node models against onnxruntime, and the bad forms give
located errors.

  PYTHONPATH=build/python_packages ~/.cache/peft-mlir/venv/bin/python \\
      -m pytest -q -p no:cacheprovider test/models/test_current_opsets.py
"""

import sys
from pathlib import Path

import numpy as np
import onnx
import onnx.checker
import onnx.helper as oh
import onnx.numpy_helper
import onnx.shape_inference
import onnx.version_converter
import peft_mlir
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen_models  # noqa: E402

RTOL = 1e-4
MODELS = ["llama_opset17", "llama_opset17_nofold", "gpt2_conv1d_opset17",
          "gpt2_matmul_opset17", "bert_opset17"]
OPSETS = [18, 21]


def max_rel_error(actual, expected):
    assert sorted(actual) == sorted(expected)
    worst = 0.0
    for name, ref in expected.items():
        got = actual[name]
        assert got.dtype == ref.dtype and got.shape == ref.shape, name
        if ref.size == 0:
            continue
        scale = max(float(np.max(np.abs(ref.astype(np.float64)))), 1e-30)
        err = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64))))
        worst = max(worst, err / scale)
    return worst


def linears(module):
    module.raise_linear()
    return sorted((l.path, l.role) for l in module.linears())


@pytest.fixture(scope="module")
def converted(onnx_models, model_entry, tmp_path_factory):
    """converted(name, opset) -> (path, inputs) of the model raised to `opset`."""
    out = tmp_path_factory.mktemp("current_opsets")
    cache = {}

    def get(name, opset):
        if (name, opset) not in cache:
            entry = model_entry(name)
            model = onnx.load(str(onnx_models / entry["file"]))
            raised = onnx.version_converter.convert_version(model, opset)
            raised.ir_version = model.ir_version
            onnx.checker.check_model(raised, full_check=True)
            path = out / f"{name}_to{opset}.onnx"
            onnx.save(raised, str(path))
            cache[name, opset] = (path, dict(np.load(onnx_models / entry["inputs_file"])))
        return cache[name, opset]

    return get


@pytest.mark.parametrize("opset", OPSETS)
@pytest.mark.parametrize("name", MODELS)
def test_converted_model(converted, run_ort, onnx_models, model_entry, tmp_path, name, opset):
    path, inputs = converted(name, opset)
    model = onnx.load(str(path))
    assert [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] == [opset]

    module = peft_mlir.import_onnx(str(path))
    text = str(module)
    # Every value is typed after import: no unranked tensor, no unknown element type.
    assert "tensor<*x" not in text and "xnone>" not in text, name
    reference = run_ort(path, inputs)
    assert max_rel_error(module.run(inputs), reference) <= RTOL

    exported = tmp_path / "exported.onnx"
    peft_mlir.import_onnx(str(path)).export_onnx(str(exported))
    written = onnx.load(str(exported))
    onnx.checker.check_model(written, full_check=True)
    assert [o.version for o in written.opset_import if o.domain in ("", "ai.onnx")] == [opset]
    again = run_ort(exported, inputs)
    for key, ref in reference.items():
        np.testing.assert_array_equal(again[key], ref)

    base = peft_mlir.import_onnx(str(onnx_models / model_entry(name)["file"]))
    assert linears(peft_mlir.import_onnx(str(path))) == linears(base)


#
# Single operators in their opset-18+ forms, against onnxruntime.
#

def single_node_model(path, opset, node, inputs, outputs, initializers=()):
    graph = oh.make_graph([node], "g", inputs, outputs, list(initializers))
    model = oh.make_model(graph, opset_imports=[oh.make_opsetid("", opset)])
    model.ir_version = 8 if opset <= 18 else 9
    # Outputs declared without a shape get the one ONNX infers.
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    for out, typed in zip(model.graph.output, inferred.graph.output):
        out.type.CopyFrom(typed.type)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))
    return path


def i64(name, values):
    return onnx.numpy_helper.from_array(np.asarray(values, np.int64), name)


def f32_info(name, shape):
    return oh.make_tensor_value_info(name, onnx.TensorProto.FLOAT, shape)


def check_single(tmp_path, run_ort, path, feeds):
    module = peft_mlir.import_onnx(str(path))
    reference = run_ort(path, feeds)
    assert max_rel_error(module.run(feeds), reference) <= RTOL
    exported = tmp_path / "exported.onnx"
    peft_mlir.import_onnx(str(path)).export_onnx(str(exported))
    onnx.checker.check_model(onnx.load(str(exported)), full_check=True)
    again = run_ort(exported, feeds)
    for key, ref in reference.items():
        np.testing.assert_array_equal(again[key], ref)


RNG = np.random.default_rng(18)
X = RNG.standard_normal((2, 3, 5)).astype(np.float32)


@pytest.mark.parametrize("op", ["ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin",
                                "ReduceProd", "ReduceL2"])
@pytest.mark.parametrize("axes,keepdims", [([1], 1), ([-1, 0], 0), ([], 1)])
def test_reduce_axes_input(tmp_path, run_ort, op, axes, keepdims):
    node = oh.make_node(op, ["x", "axes"], ["y"], keepdims=keepdims)
    path = single_node_model(tmp_path / "m.onnx", 18, node, [f32_info("x", ["a", 3, 5])],
                             [f32_info("y", None)], [i64("axes", axes)])
    check_single(tmp_path, run_ort, path, {"x": X})


@pytest.mark.parametrize("op", ["ReduceMax", "ReduceMin", "ReduceProd"])
def test_reduce_axes_attribute(tmp_path, run_ort, op):
    node = oh.make_node(op, ["x"], ["y"], axes=[2], keepdims=0)
    path = single_node_model(tmp_path / "m.onnx", 17, node, [f32_info("x", [2, 3, 5])],
                             [f32_info("y", None)])
    check_single(tmp_path, run_ort, path, {"x": X})


@pytest.mark.parametrize("extent,n", [(6, 3), (5, 3), (7, 4)])
def test_split_num_outputs(tmp_path, run_ort, extent, n):
    names = [f"y{i}" for i in range(n)]
    node = oh.make_node("Split", ["x"], names, axis=1, num_outputs=n)
    path = single_node_model(tmp_path / "m.onnx", 18, node, [f32_info("x", [2, extent])],
                             [f32_info(y, None) for y in names])
    check_single(tmp_path, run_ort, path,
                 {"x": RNG.standard_normal((2, extent)).astype(np.float32)})


@pytest.mark.parametrize("mode,opset", [("constant", 18), ("reflect", 18), ("edge", 18),
                                        ("wrap", 19)])
@pytest.mark.parametrize("axes,pads", [(None, [0, 1, 2, 0, 2, 1]), ([-1], [2, 3]),
                                       ([1, 2], [1, -1, 0, 2]), ([0, 2], [0, -2, 0, -1])])
@pytest.mark.parametrize("runtime_pads", [False, True])
def test_pad(tmp_path, run_ort, mode, opset, axes, pads, runtime_pads):
    """`pads` an initializer, or a graph input (CenterCropPad's function
    body computes them from a shape; the result extents are dynamic)."""
    inputs = ["x", "pads", "value" if mode == "constant" else ""]
    inits = [] if runtime_pads else [i64("pads", pads)]
    if mode == "constant":
        inits.append(onnx.numpy_helper.from_array(np.array(1.5, np.float32), "value"))
    if axes is not None:
        inputs.append("axes")
        inits.append(i64("axes", axes))
    node = oh.make_node("Pad", inputs, ["y"], mode=mode)
    graph_inputs = [f32_info("x", ["a", 3, 5])]
    feeds = {"x": X}
    if runtime_pads:
        graph_inputs.append(oh.make_tensor_value_info("pads", onnx.TensorProto.INT64,
                                                      [len(pads)]))
        feeds["pads"] = np.array(pads, np.int64)
    path = single_node_model(tmp_path / "m.onnx", opset, node, graph_inputs,
                             [f32_info("y", None)], inits)
    check_single(tmp_path, run_ort, path, feeds)


RESIZE_X = RNG.standard_normal((1, 2, 4, 5)).astype(np.float32)


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
@pytest.mark.parametrize("transform", ["half_pixel", "half_pixel_symmetric",
                                       "pytorch_half_pixel", "align_corners", "asymmetric"])
@pytest.mark.parametrize("scales", [[1, 1, 1.5, 0.8], [1, 1, 0.5, 2.0]])
@pytest.mark.parametrize("runtime", [False, True])
def test_resize_scales(tmp_path, run_ort, mode, transform, scales, runtime):
    """Resize-19 by scales (an initializer, or a graph input read at run
    time) against onnxruntime."""
    node = oh.make_node("Resize", ["x", "", "scales"], ["y"], mode=mode,
                        coordinate_transformation_mode=transform)
    scales_tensor = onnx.numpy_helper.from_array(np.array(scales, np.float32), "scales")
    inputs = [f32_info("x", [1, 2, 4, 5])]
    feeds = {"x": RESIZE_X}
    if runtime:
        inputs.append(oh.make_tensor_value_info("scales", onnx.TensorProto.FLOAT, [4]))
        feeds["scales"] = np.array(scales, np.float32)
    out_shape = [int(np.floor(d * s)) for d, s in zip(RESIZE_X.shape, scales)]
    path = single_node_model(tmp_path / "m.onnx", 19, node, inputs,
                             [f32_info("y", out_shape)], [] if runtime else [scales_tensor])
    check_single(tmp_path, run_ort, path, feeds)


@pytest.mark.parametrize("mode,nearest_mode", [("nearest", "round_prefer_floor"),
                                               ("nearest", "round_prefer_ceil"),
                                               ("nearest", "floor"), ("nearest", "ceil"),
                                               ("linear", None), ("cubic", None)])
@pytest.mark.parametrize("policy,axes", [("stretch", None), ("not_larger", [2, 3]),
                                         ("not_smaller", [3, 2])])
def test_resize_sizes(tmp_path, run_ort, mode, nearest_mode, policy, axes):
    """Resize-19 by sizes, over all dims or named axes, with each
    keep_aspect_ratio_policy, against onnxruntime."""
    attrs = dict(mode=mode, keep_aspect_ratio_policy=policy)
    if nearest_mode:
        attrs["nearest_mode"] = nearest_mode
    if axes:
        attrs["axes"] = axes
    sizes = [7, 3] if axes else [1, 2, 7, 3]
    node = oh.make_node("Resize", ["x", "", "", "sizes"], ["y"], **attrs)
    path = single_node_model(tmp_path / "m.onnx", 19, node, [f32_info("x", [1, 2, 4, 5])],
                             [f32_info("y", None)], [i64("sizes", sizes)])
    check_single(tmp_path, run_ort, path, {"x": RESIZE_X})


@pytest.mark.parametrize("exclude_outside,a", [(0, -0.75), (1, -0.5)])
def test_resize_cubic_options(tmp_path, run_ort, exclude_outside, a):
    node = oh.make_node("Resize", ["x", "", "scales"], ["y"], mode="cubic",
                        cubic_coeff_a=a, exclude_outside=exclude_outside)
    path = single_node_model(tmp_path / "m.onnx", 19, node, [f32_info("x", [1, 2, 4, 5])],
                             [f32_info("y", None)],
                             [onnx.numpy_helper.from_array(
                                 np.array([1, 1, 1.75, 0.6], np.float32), "scales")])
    check_single(tmp_path, run_ort, path, {"x": RESIZE_X})


@pytest.mark.parametrize("mode", ["linear", "cubic"])
@pytest.mark.parametrize("scales", [[1, 1, 0.5, 0.6], [1, 1, 1.5, 0.3]])
@pytest.mark.parametrize("runtime", [False, True])
def test_resize_antialias(tmp_path, run_ort, mode, scales, runtime):
    """antialias = 1: the downsampling filter widens by 1/scale (its tap
    count depends on the scale, here also read at run time)."""
    node = oh.make_node("Resize", ["x", "", "scales"], ["y"], mode=mode, antialias=1)
    x = RNG.standard_normal((1, 2, 9, 11)).astype(np.float32)
    inputs = [f32_info("x", [1, 2, 9, 11])]
    feeds = {"x": x}
    inits = [onnx.numpy_helper.from_array(np.array(scales, np.float32), "scales")]
    if runtime:
        inputs.append(oh.make_tensor_value_info("scales", onnx.TensorProto.FLOAT, [4]))
        feeds["scales"] = np.array(scales, np.float32)
        inits = []
    out_shape = [int(np.floor(d * s)) for d, s in zip(x.shape, scales)]
    path = single_node_model(tmp_path / "m.onnx", 19, node, inputs,
                             [f32_info("y", out_shape)], inits)
    check_single(tmp_path, run_ort, path, feeds)


def test_resize_tf_crop_and_resize(tmp_path, run_ort):
    node = oh.make_node("Resize", ["x", "roi", "", "sizes"], ["y"], mode="linear",
                        coordinate_transformation_mode="tf_crop_and_resize",
                        extrapolation_value=2.5, axes=[2, 3])
    inits = [onnx.numpy_helper.from_array(np.array([0.2, -0.3, 1.1, 0.7], np.float32), "roi"),
             i64("sizes", [5, 6])]
    path = single_node_model(tmp_path / "m.onnx", 19, node, [f32_info("x", [1, 2, 4, 5])],
                             [f32_info("y", None)], inits)
    check_single(tmp_path, run_ort, path, {"x": RESIZE_X})


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(tmp_path, run_ort, approximate):
    node = oh.make_node("Gelu", ["x"], ["y"], approximate=approximate)
    path = single_node_model(tmp_path / "m.onnx", 20, node, [f32_info("x", ["a", 3, 5])],
                             [f32_info("y", None)])
    check_single(tmp_path, run_ort, path, {"x": 3 * X})


#
# Bad input: located diagnostics, never a crash.
#

def test_reduce_runtime_axes_of_unknown_length(tmp_path):
    node = oh.make_node("ReduceMean", ["x", "axes"], ["y"], name="/model/norm/ReduceMean")
    path = single_node_model(
        tmp_path / "m.onnx", 18, node,
        [f32_info("x", [2, 3, 5]), oh.make_tensor_value_info("axes", onnx.TensorProto.INT64, ["n"])],
        [f32_info("y", ["p", "q", "r"])])
    module = peft_mlir.import_onnx(str(path))
    with pytest.raises(peft_mlir.PeftError, match="/model/norm/ReduceMean"):
        module.run({"x": X, "axes": np.array([1], np.int64)})


def test_reduce_axes_out_of_range(tmp_path):
    node = oh.make_node("ReduceMax", ["x", "axes"], ["y"], name="/bad/ReduceMax")
    graph = oh.make_graph([node], "g", [f32_info("x", [2, 3, 5])], [f32_info("y", None)],
                          [i64("axes", [3])])
    model = oh.make_model(graph, opset_imports=[oh.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(peft_mlir.PeftError, match=r"/bad/ReduceMax.*axis 3 is out of range"):
        peft_mlir.import_onnx(str(tmp_path / "m.onnx"))


def test_split_num_outputs_too_many(tmp_path):
    node = oh.make_node("Split", ["x"], ["a", "b", "c", "d"], axis=1, num_outputs=4,
                        name="/bad/Split")
    graph = oh.make_graph([node], "g", [f32_info("x", [2, 5])],
                          [f32_info(n, None) for n in "abcd"])
    model = oh.make_model(graph, opset_imports=[oh.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(peft_mlir.PeftError, match=r"/bad/Split.*does not split dimension 1"):
        peft_mlir.import_onnx(str(tmp_path / "m.onnx"))


def test_resize_opset10_is_refused(tmp_path):
    """Resize-10 takes (X, scales): not the (X, roi, scales, sizes) of
    opsets 11-19, so it is refused by name instead of misread."""
    node = oh.make_node("Resize", ["x", "scales"], ["y"], name="/up/Resize")
    graph = oh.make_graph([node], "g", [f32_info("x", [1, 1, 2, 2])],
                          [f32_info("y", [1, 1, 4, 4])],
                          [onnx.numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32),
                                                        "scales")])
    model = oh.make_model(graph, opset_imports=[oh.make_opsetid("", 10)])
    model.ir_version = 5
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(peft_mlir.PeftError, match=r"/up/Resize.*Resize-10.*opset 11 or later"):
        peft_mlir.import_onnx(str(tmp_path / "m.onnx"))


@pytest.mark.parametrize("op,attrs,a,b", [
    ("Mod", {}, [5, -5, 7, -7], [3, 3, -3, -3]),
    ("Mod", {"fmod": 1}, [5, -5, 7, -7], [3, 3, -3, -3]),
    ("And", {}, [True, False, True], [True, True, False]),
    ("Xor", {}, [True, False, True], [True, True, False]),
    ("LessOrEqual", {}, [1.0, 2.0, 3.0], [2.0, 2.0, 2.0]),
    ("GreaterOrEqual", {}, [1, 2, 3], [2, 2, 2]),
])
def test_binary_elementwise(tmp_path, run_ort, op, attrs, a, b):
    a, b = np.array(a), np.array(b)
    if a.dtype == np.int64:
        a, b = a.astype(np.int32), b.astype(np.int32)
    elif a.dtype == np.float64:
        a, b = a.astype(np.float32), b.astype(np.float32)
    elem = onnx.helper.np_dtype_to_tensor_dtype(a.dtype)
    node = oh.make_node(op, ["a", "b"], ["c"], **attrs)
    path = single_node_model(tmp_path / "m.onnx", 18, node,
                             [oh.make_tensor_value_info("a", elem, list(a.shape)),
                              oh.make_tensor_value_info("b", elem, list(b.shape))],
                             [oh.make_tensor_value_info("c", onnx.TensorProto.UNDEFINED, None)])
    check_single(tmp_path, run_ort, path, {"a": a, "b": b})


@pytest.mark.parametrize("op", ["Floor", "Ceil", "Round", "Sign", "Softplus", "Softsign",
                                "IsNaN"])
def test_unary_elementwise(tmp_path, run_ort, op):
    x = np.array([-2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.5, 30.0, -30.0, np.nan], np.float32)
    node = oh.make_node(op, ["x"], ["y"])
    path = single_node_model(tmp_path / "m.onnx", 18, node, [f32_info("x", [10])],
                             [oh.make_tensor_value_info("y", onnx.TensorProto.UNDEFINED, None)])
    module = peft_mlir.import_onnx(str(path))
    reference = run_ort(path, {"x": x})["y"]
    got = module.run({"x": x})["y"]
    assert got.dtype == reference.dtype
    np.testing.assert_allclose(got, reference, rtol=1e-6, atol=0, equal_nan=True)


@pytest.mark.parametrize("output_dtype", [onnx.TensorProto.FLOAT16, onnx.TensorProto.FLOAT])
def test_dequantize_output_dtype(tmp_path, run_ort, output_dtype):
    """DequantizeLinear-23's output_dtype, here other than the f32 scale's
    type: the product in f32, rounded once, as onnxruntime gives it."""
    w = onnx.numpy_helper.from_array(np.arange(-6, 6, dtype=np.int8).reshape(2, 6), "w")
    s = onnx.numpy_helper.from_array(np.array([0.1, 0.37], np.float32), "s")
    node = oh.make_node("DequantizeLinear", ["w", "s"], ["y"], axis=0, output_dtype=output_dtype)
    path = single_node_model(tmp_path / "m.onnx", 23, node, [],
                             [oh.make_tensor_value_info("y", output_dtype, [2, 6])], [w, s])
    module = peft_mlir.import_onnx(str(path))
    reference = run_ort(path, {})["y"]
    got = module.run({})["y"]
    assert got.dtype == reference.dtype
    np.testing.assert_array_equal(got, reference)


def test_quantize_precision_is_refused(tmp_path):
    """QuantizeLinear-23's `precision` (the division in another float type)
    is not implemented: a located error, not a silently different result."""
    node = oh.make_node("QuantizeLinear", ["x", "s"], ["y"], name="/q/QuantizeLinear",
                        precision=onnx.TensorProto.FLOAT16)
    path = single_node_model(tmp_path / "m.onnx", 23, node, [f32_info("x", [4])],
                             [oh.make_tensor_value_info("y", onnx.TensorProto.UINT8, [4])],
                             [onnx.numpy_helper.from_array(np.array(0.1, np.float32), "s")])
    module = peft_mlir.import_onnx(str(path))
    with pytest.raises(peft_mlir.PeftError, match=r"/q/QuantizeLinear.*QuantizeLinear"):
        module.run({"x": np.ones(4, np.float32)})
