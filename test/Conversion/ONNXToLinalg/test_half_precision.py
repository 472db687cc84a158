"""Half-precision models on the CPU JIT, against onnxruntime and fp32 references.

f16 and bf16 contractions and reductions accumulate in f32 and round once, as
PyTorch and onnxruntime do (docs/lowering.md). Checked here by execution:

- every f16 variant of the generated models (test/models/gen_models.py,
  VARIANTS) runs through peft_mlir.import_onnx(path).run(inputs) and is
  compared with onnxruntime running the same f16 model, on the reference
  inputs and on a smaller batch/sequence cut from them;
- every bf16 variant (onnxruntime's CPU bf16 support is thin) is compared with
  onnxruntime running NAME_bf16.reference.onnx: the fp32 model whose weights
  and constants are the same bf16-rounded values;
- long contractions (K = 4096 of values in [0, 1): an f16 accumulator stops
  growing at 2048, where its spacing is 2) through MatMul, batched MatMul, Gemm,
  peft.linear, LoRA and DoRA's row norms, against float64 numpy on the same
  rounded operands, with an error bound computed from the operands.

Tolerances come from the rounding of the half type and from the reference,
never from the output under test. For a model, the allowed error is
ROUNDINGS unit roundoffs u of the half type (2^-11 for f16, 2^-8 for bf16)
times the largest magnitude of the reference output: each op of the model
rounds its result to the half type (relative error <= u), and the two
implementations round at different places (onnxruntime runs ops without an
f16 kernel in fp32 and passes fp32 values between them unrounded; see the
manifest's onnxruntime_fp32_ops), so their results may differ by the effect of
a few roundings of values of the output's magnitude. Observed: <= 4.0 u
(f16, BERT at batch 1) and <= 3.3 u (bf16, MiniLM's sentence embedding).
With f16/bf16 accumulation in MatMul, MiniLM (K = 384 and 1536) is off by
18 u (f16) and 14 u (bf16), and the long contractions by ~90 (f16) where
the bound is < 1.

  cmake --build build --target _peft_mlir
  cd build && PYTHONPATH=$PWD/python_packages ~/.cache/peft-mlir/venv/bin/python \\
      -m pytest -q -p no:cacheprovider ../test/Conversion/ONNXToLinalg/test_half_precision.py
"""

import sys
from pathlib import Path

import numpy as np
import onnx
import onnx.helper as oh
import onnx.numpy_helper
import peft_mlir
import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "test/models"))
import gen_models  # noqa: E402

# Unit roundoff (half the spacing at 1) of each half type and of f32.
UNIT_ROUNDOFF = {"f16": 2.0**-11, "bf16": 2.0**-8}
U32 = 2.0**-24
# How many roundings at the output's scale the model results may differ by.
ROUNDINGS = 8

F16_VARIANTS = [n for n, v in gen_models.VARIANTS.items() if v.dtype == "f16"]
BF16_VARIANTS = [n for n, v in gen_models.VARIANTS.items() if v.dtype == "bf16"]


def smaller(inputs):
    """The first row and the first 5 positions of every [batch, sequence] input."""
    return {name: np.ascontiguousarray(value[:1, :5]) if value.ndim >= 2 else value
            for name, value in inputs.items()}


def assert_close(actual, expected, dtype, what):
    """Every output within ROUNDINGS unit roundoffs of `dtype` times the
    largest magnitude of the expected output."""
    assert list(actual) == list(expected), what
    for name, ref in expected.items():
        got = actual[name]
        assert got.dtype == ref.dtype and got.shape == ref.shape, \
            f"{what} {name}: got {got.dtype}{got.shape}, expected {ref.dtype}{ref.shape}"
        assert np.all(np.isfinite(ref)), f"{what} {name}: reference not finite"
        bound = ROUNDINGS * UNIT_ROUNDOFF[dtype] * float(np.max(np.abs(ref)))
        err = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64))))
        assert err <= bound, (f"{what} {name}: max abs error {err:.3g} > {ROUNDINGS} x "
                              f"{dtype} unit roundoff x max |ref| = {bound:.3g}")


def check_variant(run_ort, onnx_models, entry, reference_file):
    """Runs a variant on the JIT with its reference inputs and with a smaller
    batch/sequence, against its saved outputs and onnxruntime's run of
    `reference_file` on the smaller inputs."""
    name, dtype = entry["name"], entry["dtype"]
    path = onnx_models / entry["file"]
    inputs = gen_models.load_npz(onnx_models / entry["inputs_file"])
    expected = gen_models.load_npz(onnx_models / entry["outputs_file"])
    module = peft_mlir.import_onnx(str(path))
    assert_close(module.run(inputs), expected, dtype, f"{name} (reference inputs)")
    small = smaller(inputs)
    assert_close(module.run(small), run_ort(onnx_models / reference_file, small), dtype,
                 f"{name} (batch 1, sequence 5)")


@pytest.mark.parametrize("name", F16_VARIANTS)
def test_f16_model_matches_onnxruntime(run_ort, onnx_models, model_entry, name):
    entry = model_entry(name)
    assert entry["dtype"] == "f16"
    expected = gen_models.load_npz(onnx_models / entry["outputs_file"])
    assert all(v.dtype == np.float16 for v in expected.values())
    # onnxruntime runs the f16 model itself.
    check_variant(run_ort, onnx_models, entry, entry["file"])


@pytest.mark.parametrize("name", BF16_VARIANTS)
def test_bf16_model_matches_fp32_reference(run_ort, onnx_models, model_entry, name):
    entry = model_entry(name)
    assert entry["dtype"] == "bf16"
    # The model computes in bf16: its float initializers are all bf16.
    proto = onnx.load(str(onnx_models / entry["file"]))
    float_inits = {i.data_type for i in proto.graph.initializer
                   if i.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.BFLOAT16)}
    assert float_inits == {onnx.TensorProto.BFLOAT16}
    # onnxruntime runs the fp32 model on the same bf16-rounded weights.
    check_variant(run_ort, onnx_models, entry, entry["reference_file"])


# ----------------------------------------------------------------------------
# Long contractions: an f16 or bf16 accumulator would lose most of the sum.
# ----------------------------------------------------------------------------

K = 4096
HALF_ONNX = {"f16": onnx.TensorProto.FLOAT16, "bf16": onnx.TensorProto.BFLOAT16}


def rounded(values, dtype):
    """float32 `values` rounded to `dtype`, as float32 (exact)."""
    return gen_models.round_to_half(np.asarray(values, np.float32), dtype)


def half_initializer(name, values, dtype):
    """An initializer of `dtype` holding float32 `values` (already rounded)."""
    tensor = onnx.numpy_helper.from_array(np.asarray(values, np.float32), name)
    return gen_models._half_tensor(tensor, dtype, keep_fp32=False)


def half_model(nodes, inputs, outputs, initializers, dtype):
    """A model whose float32 inputs are cast to `dtype` in the graph and whose
    `dtype` results are cast back to float32 (both exact for rounded values),
    so that numpy can feed and read a bf16 computation too."""
    half = HALF_ONNX[dtype]
    body = [oh.make_node("Cast", [n], [n + "_h"], to=half) for n, _ in inputs]
    body += nodes
    body += [oh.make_node("Cast", [n + "_h"], [n], to=onnx.TensorProto.FLOAT)
             for n, _ in outputs]
    graph = oh.make_graph(
        body, "long_contraction",
        [oh.make_tensor_value_info(n, onnx.TensorProto.FLOAT, s) for n, s in inputs],
        [oh.make_tensor_value_info(n, onnx.TensorProto.FLOAT, s) for n, s in outputs],
        initializers)
    return oh.make_model(graph, opset_imports=[oh.make_opsetid("", 17)])


def contraction_bound(ref, abs_product_sum, dtype):
    """|result - ref| allowed for a sum accumulated in f32 and rounded once to
    `dtype`: the final rounding (u |ref|, plus the accumulated error) and the
    f32 accumulation (gamma_K sum |a||b|, the classical bound)."""
    gamma = K * U32 / (1 - K * U32)
    return UNIT_ROUNDOFF[dtype] * (np.abs(ref) + gamma * abs_product_sum) \
        + gamma * abs_product_sum


def operands(dtype, *shapes, seed=0):
    """Rounded uniform [0, 1) float32 arrays of `shapes`."""
    rng = np.random.default_rng(seed)
    return [rounded(rng.uniform(0, 1, shape), dtype) for shape in shapes]


def assert_within(got, ref, bound, what):
    err = np.abs(got.astype(np.float64) - ref)
    worst = np.unravel_index(np.argmax(err - bound), err.shape)
    assert np.all(err <= bound), (
        f"{what}: error {err[worst]:.4g} > bound {bound[worst]:.4g} at {worst} "
        f"(result {got[worst]:.6g}, exact {ref[worst]:.6g})")


@pytest.mark.parametrize("dtype", ["f16", "bf16"])
def test_long_matmul_accumulates_in_f32(tmp_path, dtype):
    a, b = operands(dtype, (4, K), (K, 8))
    a3, b3 = operands(dtype, (2, 3, K), (2, K, 5), seed=1)
    model = half_model(
        [oh.make_node("MatMul", ["a_h", "b_h"], ["y_h"]),
         oh.make_node("MatMul", ["a3_h", "b3_h"], ["y3_h"])],
        [("a", [4, K]), ("a3", [2, 3, K])], [("y", [4, 8]), ("y3", [2, 3, 5])],
        [half_initializer("b_h", b, dtype), half_initializer("b3_h", b3, dtype)], dtype)
    path = tmp_path / f"matmul_{dtype}.onnx"
    onnx.save(model, str(path))
    out = peft_mlir.import_onnx(str(path)).run({"a": a, "a3": a3})
    a64, b64, a364, b364 = (x.astype(np.float64) for x in (a, b, a3, b3))
    assert_within(out["y"], a64 @ b64, contraction_bound(a64 @ b64, a64 @ b64, dtype),
                  f"{dtype} MatMul [4, {K}] x [{K}, 8]")
    ref3 = a364 @ b364  # operands are positive: sum |a||b| = the result
    assert_within(out["y3"], ref3, contraction_bound(ref3, ref3, dtype),
                  f"{dtype} batched MatMul [2, 3, {K}] x [2, {K}, 5]")


@pytest.mark.parametrize("dtype", ["f16", "bf16"])
def test_long_gemm_accumulates_in_f32(tmp_path, dtype):
    a, w, c = operands(dtype, (3, K), (6, K), (6,))
    model = half_model(
        [oh.make_node("Gemm", ["a_h", "w_h", "c_h"], ["y_h"], transB=1, alpha=0.5, beta=2.0)],
        [("a", [3, K])], [("y", [3, 6])],
        [half_initializer("w_h", w, dtype), half_initializer("c_h", c, dtype)], dtype)
    path = tmp_path / f"gemm_{dtype}.onnx"
    onnx.save(model, str(path))
    out = peft_mlir.import_onnx(str(path)).run({"a": a})
    products = a.astype(np.float64) @ w.astype(np.float64).T
    ref = 0.5 * products + 2.0 * c.astype(np.float64)
    # alpha and beta * C are applied in f32 too: two more f32 roundings.
    bound = contraction_bound(ref, 0.5 * products, dtype) + 4 * U32 * np.abs(ref)
    assert_within(out["y"], ref, bound, f"{dtype} Gemm [3, {K}] x [6, {K}]^T")


PEFT_LINEAR = """
func.func @linear(%x: tensor<4x{k}x{t}>, %w: tensor<8x{k}x{t}>, %b: tensor<8x{t}>) -> tensor<4x8x{t}> {{
  %y = peft.linear %x, %w, %b layout out_in role up
         : tensor<4x{k}x{t}>, tensor<8x{k}x{t}>, tensor<8x{t}> -> tensor<4x8x{t}>
  return %y : tensor<4x8x{t}>
}}
func.func @lora(%x: tensor<4x{k}x{t}>, %w: tensor<8x{k}x{t}>, %a: tensor<2x{k}x{t}>,
                %bb: tensor<8x2x{t}>) -> tensor<4x8x{t}> {{
  %y = peft.linear %x, %w layout out_in role q
         : tensor<4x{k}x{t}>, tensor<8x{k}x{t}> -> tensor<4x8x{t}>
  %z = peft.lora %x, %y, %a, %bb scale 0.5
         : tensor<4x{k}x{t}>, tensor<4x8x{t}>, tensor<2x{k}x{t}>, tensor<8x2x{t}>
  return %z : tensor<4x8x{t}>
}}
func.func @dora(%x: tensor<4x{k}x{t}>, %w: tensor<8x{k}x{t}>, %a: tensor<2x{k}x{t}>,
                %bb: tensor<8x2x{t}>, %m: tensor<8x{t}>) -> tensor<4x8x{t}> {{
  %y = peft.linear %x, %w layout out_in role q
         : tensor<4x{k}x{t}>, tensor<8x{k}x{t}> -> tensor<4x8x{t}>
  %z = peft.lora %x, %y, %a, %bb magnitude %m scale 0.5
         : tensor<4x{k}x{t}>, tensor<4x8x{t}>, tensor<2x{k}x{t}>, tensor<8x2x{t}>, tensor<8x{t}>
  return %z : tensor<4x8x{t}>
}}
"""


def test_long_peft_linear_lora_dora_accumulate_in_f32():
    """peft.linear, LoRA's x·Aᵀ and DoRA's row norms over 4096 input features
    (f16; numpy holds no bf16)."""
    module = peft_mlir.Module.parse(PEFT_LINEAR.format(k=K, t="f16"))
    x, w, a, bb, bias = operands("f16", (4, K), (8, K), (2, K), (8, 2), (8,), seed=2)
    m = rounded(np.linspace(1.0, 2.0, 8), "f16")
    h = {name: v.astype(np.float16) for name, v in
         dict(x=x, w=w, a=a, bb=bb, bias=bias, m=m).items()}
    x64, w64, a64, bb64, bias64, m64 = (v.astype(np.float64) for v in (x, w, a, bb, bias, m))

    # peft.linear: x·Wᵀ + b, the bias added before the one rounding.
    y = module.run({"arg0": h["x"], "arg1": h["w"], "arg2": h["bias"]}, entry="linear")["result0"]
    products = x64 @ w64.T
    ref = products + bias64
    assert_within(y, ref, contraction_bound(ref, products, "f16") + U32 * np.abs(ref),
                  f"f16 peft.linear [4, {K}] x [8, {K}]^T + b")

    # LoRA: base (rounded once) + 0.5 · (round(x·Aᵀ) · Bᵀ). t = x·Aᵀ (K terms)
    # is rounded to f16, as PyTorch's lora_A output is; its bound carries
    # through the rank-2 product.
    z = module.run({"arg0": h["x"], "arg1": h["w"], "arg2": h["a"], "arg3": h["bb"]},
                   entry="lora")["result0"]
    base = products
    t = x64 @ a64.T
    t_err = contraction_bound(t, t, "f16")
    u = t @ bb64.T
    ref = base + 0.5 * u
    base_err = contraction_bound(base, base, "f16")
    u_err = t_err @ bb64.T + 4 * U32 * np.abs(u)
    bound = UNIT_ROUNDOFF["f16"] * np.abs(ref) + base_err + 0.5 * u_err + 4 * U32 * np.abs(ref)
    assert_within(z, ref, bound, f"f16 LoRA over {K} input features")

    # DoRA: m / ‖W + 0.5·B·A‖_row over 4096 features (an f16 sum of squares
    # would stop growing long before), times the layer's output.
    d = module.run({"arg0": h["x"], "arg1": h["w"], "arg2": h["a"], "arg3": h["bb"],
                    "arg4": h["m"]}, entry="dora")["result0"]
    norms = np.sqrt(((w64 + 0.5 * bb64 @ a64) ** 2).sum(axis=1))
    scale = m64 / norms
    ref = scale * (base + 0.5 * u)
    # The norms' f32 sums (K squares) and the f32 arithmetic after them.
    norm_err = scale * (K + 8) * U32
    bound = bound * scale + norm_err * np.abs(base + 0.5 * u)
    assert_within(d, ref, bound, f"f16 DoRA over {K} input features")
