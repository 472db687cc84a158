"""Module.run: JIT-compiled CPU execution with numpy arrays in and out."""

import numpy as np
import pytest

import peft_mlir

LINEAR = """
func.func @f(%x: tensor<?x?x16xf32> {onnx.name = "x", onnx.dim_params = ["batch", "seq", ""]},
             %w: tensor<24x16xf32> {onnx.name = "w"}, %b: tensor<24xf32> {onnx.name = "b"})
    -> (tensor<?x?x24xf32> {onnx.name = "y"}) {
  %y = peft.linear %x, %w, %b layout out_in role q path "model.layers.0.self_attn.q_proj"
         : tensor<?x?x16xf32>, tensor<24x16xf32>, tensor<24xf32> -> tensor<?x?x24xf32>
  return %y : tensor<?x?x24xf32>
}
"""

MATMUL = """
func.func @mm(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %m = tensor.dim %a, %c0 : tensor<?x?xf32>
  %n = tensor.dim %b, %c1 : tensor<?x?xf32>
  %e = tensor.empty(%m, %n) : tensor<?x?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x?xf32>) -> tensor<?x?xf32>
  %c = linalg.matmul ins(%a, %b : tensor<?x?xf32>, tensor<?x?xf32>)
                     outs(%z : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %c : tensor<?x?xf32>
}

func.func @scale(%x: tensor<?xi64>, %flag: tensor<?xi1>) -> (tensor<?xi64>, tensor<?xi1>) {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?xi64>
  %e = tensor.empty(%d) : tensor<?xi64>
  %eb = tensor.empty(%d) : tensor<?xi1>
  %three = arith.constant 3 : i64
  %true = arith.constant true
  %r:2 = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>,
                                          affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                         iterator_types = ["parallel"]}
      ins(%x, %flag : tensor<?xi64>, tensor<?xi1>) outs(%e, %eb : tensor<?xi64>, tensor<?xi1>) {
  ^bb0(%v: i64, %f: i1, %o: i64, %ob: i1):
    %m = arith.muli %v, %three : i64
    %n = arith.xori %f, %true : i1
    linalg.yield %m, %n : i64, i1
  } -> (tensor<?xi64>, tensor<?xi1>)
  return %r#0, %r#1 : tensor<?xi64>, tensor<?xi1>
}
"""


@pytest.fixture(scope="module")
def linear():
    m = peft_mlir.Module.parse(LINEAR)
    rng = np.random.default_rng(0)
    w = rng.standard_normal((24, 16)).astype(np.float32)
    b = rng.standard_normal(24).astype(np.float32)
    return m, w, b


@pytest.mark.parametrize("batch,seq", [(1, 1), (2, 7), (5, 33), (3, 0)])
def test_linear_dynamic_batch(linear, batch, seq):
    m, w, b = linear
    x = np.random.default_rng(batch * 100 + seq).standard_normal((batch, seq, 16)).astype(np.float32)
    out = m.run({"x": x, "w": w, "b": b})
    assert list(out) == ["y"]
    y = out["y"]
    assert y.dtype == np.float32 and y.shape == (batch, seq, 24)
    np.testing.assert_allclose(y, x @ w.T + b, rtol=1e-5, atol=1e-5)


def test_inputs_by_position_and_strided_arrays(linear):
    m, w, b = linear
    x = np.random.default_rng(1).standard_normal((7, 3, 16)).astype(np.float32)
    strided = x.transpose(1, 0, 2)  # not C-contiguous: copied on the way in
    out = m.run({"arg0": strided, "arg1": w, "arg2": b})
    np.testing.assert_allclose(out["y"], strided @ w.T + b, rtol=1e-5, atol=1e-5)
    assert x.shape == (7, 3, 16)  # inputs are not written


def test_outputs_own_their_memory(linear):
    m, w, b = linear
    x = np.ones((2, 2, 16), np.float32)
    first = m.run({"x": x, "w": w, "b": b})["y"]
    copy = first.copy()
    for _ in range(3):
        m.run({"x": 2 * x, "w": w, "b": b})
    np.testing.assert_array_equal(first, copy)


@pytest.mark.parametrize("shape", [(1, 1, 1), (8, 32, 384), (13, 70, 45), (64, 384, 100)])
def test_matmul_tiles(shape):
    m = peft_mlir.Module.parse(MATMUL)
    rows, k, n = shape
    rng = np.random.default_rng(rows)
    a = rng.standard_normal((rows, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    c = m.run({"arg0": a, "arg1": b}, entry="mm")["result0"]
    np.testing.assert_allclose(c, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)


def test_integer_and_bool_tensors():
    m = peft_mlir.Module.parse(MATMUL)
    x = np.arange(6, dtype=np.int64)
    flag = x % 2 == 0
    out = m.run({"arg0": x, "arg1": flag}, entry="scale")
    np.testing.assert_array_equal(out["result0"], 3 * x)
    assert out["result1"].dtype == np.bool_
    np.testing.assert_array_equal(out["result1"], ~flag)


def test_run_pipeline_recompiles(linear):
    m = peft_mlir.Module.parse(LINEAR)
    _, w, b = linear
    x = np.random.default_rng(3).standard_normal((1, 2, 16)).astype(np.float32)
    want = x.astype(np.float64) @ w.T + b
    assert m.compile_count == 0
    np.testing.assert_allclose(m.run({"x": x, "w": w, "b": b})["y"], want,
                               rtol=1e-5, atol=1e-5)
    m.run({"x": x, "w": w, "b": b})
    assert m.compile_count == 1  # a second run reuses the compiled code
    # The pipeline changes the module, so the next run compiles the new code;
    # its result is checked against numpy, not against the first run.
    m.run_pipeline("func.func(convert-peft-to-linalg)")
    assert "peft.linear" not in str(m)
    np.testing.assert_allclose(m.run({"x": x, "w": w, "b": b})["y"], want,
                               rtol=1e-5, atol=1e-5)
    assert m.compile_count == 2


@pytest.mark.parametrize("inputs,message", [
    (lambda x, w, b: {"x": x.astype(np.float64), "w": w, "b": b},
     "input 'x' (argument 0, x: f32[batch x seq x 16]): expected element type f32, got f64[2x3x16]"),
    (lambda x, w, b: {"x": x[0], "w": w, "b": b}, "input 'x' (argument 0, x: f32[batch x seq x 16]): expected rank 3"),
    (lambda x, w, b: {"x": x, "w": w[:, :8], "b": b}, "input 'w' (argument 1, w: f32[24x16]): dimension 1 must be 16"),
    (lambda x, w, b: {"x": x, "w": w}, "missing input 'b'"),
    (lambda x, w, b: {"x": x, "w": w, "b": b, "bias": b}, "@f has no input 'bias' (inputs: x, w, b)"),
    (lambda x, w, b: {"x": x.tolist(), "w": w, "b": b}, "input 'x': expected a numpy array"),
])
def test_bad_inputs_name_the_input(linear, inputs, message):
    m, w, b = linear
    x = np.zeros((2, 3, 16), np.float32)
    with pytest.raises(peft_mlir.PeftError) as info:
        m.run(inputs(x, w, b))
    assert message in str(info.value)


def test_entry_selection():
    m = peft_mlir.Module.parse(MATMUL)
    with pytest.raises(peft_mlir.PeftError, match="several functions"):
        m.run({})
    with pytest.raises(peft_mlir.PeftError, match=r"no callable function @nope"):
        m.run({}, entry="nope")


def test_lowering_error_names_the_node():
    m = peft_mlir.Module.parse("""
func.func @g(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = "onnx.node"(%x) <{op_type = "Custom", domain = "com.example"}>
      : (tensor<4xf32>) -> tensor<4xf32> loc("/layer/Custom")
  return %y : tensor<4xf32>
}
""")
    with pytest.raises(peft_mlir.PeftError) as info:
        m.run({"arg0": np.zeros(4, np.float32)})
    message = str(info.value)
    assert "lowering to the LLVM dialect (peft-lower-to-llvm{runtime-errors}) failed" in message
    assert "/layer/Custom: error:" in message
