"""Numerics of the vectorized int4/int8 peft.qlinear kernel
(convert-peft-qlinear-to-vector, run by peft-lower-to-llvm) on the CPU JIT,
against a numpy float64 reference of y = x·((q − z)·s)ᵀ + b computed here from
the integers and scales this test draws, and against onnxruntime running the
same layer exported as MatMulNBits.

Covers bits 4 and 8, per-channel and groups of 32/64/128, with and without
zero points, bias, f16/bf16 activations, dynamic M through the GEMM tile
(4 rows), the GEMV rows past it and output extents that are not multiples of
either tile, several K panels, and a 3-D input.
"""

import numpy as np
import onnxruntime as ort
import peft_mlir
import pytest

RNG_SEED = 1234


def pack(q, bits):
    """Row-major signed b-bit values -> bytes (value i at bit i·b, LSB first)."""
    flat = q.reshape(-1).astype(np.int64) & ((1 << bits) - 1)
    if bits == 8:
        return flat.astype(np.uint8).tobytes()
    assert bits == 4 and flat.size % 2 == 0
    return (flat[0::2] | (flat[1::2] << 4)).astype(np.uint8).tobytes()


def blob(raw):
    return "0x01000000" + raw.hex()


def module_text(rows_shape, k, n, bits, group, has_zp, has_bias, dtype):
    x_type = "x".join(rows_shape + [str(k)]) + "x" + dtype
    y_type = "x".join(rows_shape + [str(n)]) + "x" + dtype
    groups = k // group if group else 1
    args = [f"%x: tensor<{x_type}>", f"%s: tensor<{n}x{groups}x{dtype}>"]
    operands = f"%x, %q scales %s"
    types = [f"tensor<{x_type}>", f"tensor<{n}x{k}xi{bits}>", f"tensor<{n}x{groups}x{dtype}>"]
    consts = [f"%q = arith.constant dense_resource<q> : tensor<{n}x{k}xi{bits}>"]
    if has_zp:
        consts.append(f"%z = arith.constant dense_resource<z> : tensor<{n}x{groups}xi{bits}>")
        operands += f" zero_points %z : tensor<{n}x{groups}xi{bits}>"
    if has_bias:
        args.append(f"%b: tensor<{n}x{dtype}>")
        operands += f" bias %b : tensor<{n}x{dtype}>"
    group_attr = f" group_size {group}" if group else ""
    return (
        f"func.func @f({', '.join(args)}) -> tensor<{y_type}> {{\n  "
        + "\n  ".join(consts)
        + f"\n  %y = peft.qlinear {operands}{group_attr} role o : "
        + f"{', '.join(types)} -> tensor<{y_type}>\n"
        + f"  return %y : tensor<{y_type}>\n}}\n"
    )


def make_layer(rng, k, n, bits, group, has_zp, has_bias):
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    groups = k // group if group else 1
    q = rng.integers(lo, hi + 1, size=(n, k))
    z = rng.integers(lo, hi + 1, size=(n, groups)) if has_zp else None
    s = (rng.random((n, groups)) * 0.05 + 0.01).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32) if has_bias else None
    return q, z, s, b


def reference(x, q, z, s, b, group):
    k = q.shape[1]
    idx = np.arange(k) // group if group else np.zeros(k, np.int64)
    qz = q.astype(np.float64) - (z[:, idx] if z is not None else 0)
    w = qz * s.astype(np.float64)[:, idx]
    y = x.astype(np.float64) @ w.T
    return y + b.astype(np.float64) if b is not None else y


def build(rows_shape, k, n, bits, group, has_zp, has_bias, dtype, layer):
    q, z, s, b = layer
    text = module_text(rows_shape, k, n, bits, group, has_zp, has_bias, dtype)
    resources = [f"q: \"{blob(pack(q, bits))}\""]
    if has_zp:
        resources.append(f"z: \"{blob(pack(z, bits))}\"")
    text += "{-#\n  dialect_resources: {\n    builtin: {\n      " + ",\n      ".join(resources)
    text += "\n    }\n  }\n#-}\n"
    return peft_mlir.Module.parse(text)


def rel_err(got, ref):
    return float(np.max(np.abs(got.astype(np.float64) - ref))) / max(float(np.max(np.abs(ref))), 1e-30)


CASES = [
    (bits, group, has_zp)
    for bits in (4, 8)
    for group in (0, 32, 64, 128)
    for has_zp in (False, True)
]


@pytest.mark.parametrize("bits,group,has_zp", CASES,
                         ids=[f"b{b}-g{g}-{'zp' if z else 'sym'}" for b, g, z in CASES])
def test_kernel_matches_numpy(bits, group, has_zp):
    rng = np.random.default_rng(RNG_SEED + bits * 100 + group + has_zp)
    k, n = 256, 22  # 22: neither a multiple of the GEMM (4) nor GEMV (8) tile
    layer = make_layer(rng, k, n, bits, group, has_zp, has_bias=True)
    module = build(["?"], k, n, bits, group, has_zp, True, "f32", layer)
    q, z, s, b = layer
    for rows in (1, 3, 4, 9, 16):
        x = rng.standard_normal((rows, k)).astype(np.float32)
        y = module.run({"arg0": x, "arg1": s, "arg2": b})["result0"]
        assert y.shape == (rows, n)
        assert rel_err(y, reference(x, q, z, s, b, group)) < 1e-5, rows
    assert module.compile_count == 1


@pytest.mark.parametrize("dtype", ["f16", "bf16"])
@pytest.mark.parametrize("bits", [4, 8])
def test_half_precision_activations(dtype, bits):
    """f16/bf16 activations and scales accumulate in f32, rounded once."""
    rng = np.random.default_rng(RNG_SEED + 7 + bits)
    k, n, group = 128, 12, 32
    q, z, s, b = make_layer(rng, k, n, bits, group, has_zp=True, has_bias=False)
    if dtype == "f16":
        s = s.astype(np.float16)
        x = rng.standard_normal((5, k)).astype(np.float16)
        module = build(["?"], k, n, bits, group, True, False, dtype, (q, z, s, b))
        y = module.run({"arg0": x, "arg1": s})["result0"].astype(np.float32)
        ref = reference(x.astype(np.float32), q, z, s.astype(np.float32), None, group)
        assert rel_err(y, ref) < 2e-3  # the one f16 rounding of the result
        return

    # bf16 values (f32 with the low 16 bits cleared), converted to bf16
    # inside the module: numpy has no bfloat16.
    def bf16(a):
        return (np.asarray(a, np.float32).view(np.uint32) & 0xFFFF0000).view(np.float32)
    s, x = bf16(s), bf16(rng.standard_normal((5, k)))
    ref = reference(x, q, z, s, None, group)
    run_bf16_via_wrapper((q, z, s, b), k, n, bits, group, x, ref, tol=1e-2)


def run_bf16_via_wrapper(layer, k, n, bits, group, x, ref, tol):
    """bf16 qlinear inside an f32 function: truncf in, extf out."""
    q, z, s, _ = layer
    groups = k // group
    text = f"""
func.func @f(%x32: tensor<?x{k}xf32>, %s32: tensor<{n}x{groups}xf32>) -> tensor<?x{n}xf32> {{
  %c0 = arith.constant 0 : index
  %rows = tensor.dim %x32, %c0 : tensor<?x{k}xf32>
  %ex = tensor.empty(%rows) : tensor<?x{k}xbf16>
  %x = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}}
       ins(%x32 : tensor<?x{k}xf32>) outs(%ex : tensor<?x{k}xbf16>) {{
    ^bb0(%a: f32, %o: bf16):
      %t = arith.truncf %a : f32 to bf16
      linalg.yield %t : bf16
  }} -> tensor<?x{k}xbf16>
  %es = tensor.empty() : tensor<{n}x{groups}xbf16>
  %s = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}}
       ins(%s32 : tensor<{n}x{groups}xf32>) outs(%es : tensor<{n}x{groups}xbf16>) {{
    ^bb0(%a: f32, %o: bf16):
      %t = arith.truncf %a : f32 to bf16
      linalg.yield %t : bf16
  }} -> tensor<{n}x{groups}xbf16>
  %q = arith.constant dense_resource<q> : tensor<{n}x{k}xi{bits}>
  %z = arith.constant dense_resource<z> : tensor<{n}x{groups}xi{bits}>
  %y = peft.qlinear %x, %q scales %s zero_points %z : tensor<{n}x{groups}xi{bits}> group_size {group} role o
         : tensor<?x{k}xbf16>, tensor<{n}x{k}xi{bits}>, tensor<{n}x{groups}xbf16> -> tensor<?x{n}xbf16>
  %rows2 = tensor.dim %y, %c0 : tensor<?x{n}xbf16>
  %ey = tensor.empty(%rows2) : tensor<?x{n}xf32>
  %y32 = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                         iterator_types = ["parallel", "parallel"]}}
       ins(%y : tensor<?x{n}xbf16>) outs(%ey : tensor<?x{n}xf32>) {{
    ^bb0(%a: bf16, %o: f32):
      %t = arith.extf %a : bf16 to f32
      linalg.yield %t : f32
  }} -> tensor<?x{n}xf32>
  return %y32 : tensor<?x{n}xf32>
}}
{{-#
  dialect_resources: {{
    builtin: {{
      q: "{blob(pack(q, bits))}",
      z: "{blob(pack(z, bits))}"
    }}
  }}
#-}}
"""
    module = peft_mlir.Module.parse(text)
    y = module.run({"arg0": x.astype(np.float32), "arg1": s.astype(np.float32)})["result0"]
    assert rel_err(y, ref) < tol


def test_panels_and_3d_input():
    """K over two panels (1024 + 64) and a [batch, seq, in] input."""
    rng = np.random.default_rng(RNG_SEED + 99)
    k, n, group = 1088, 9, 64
    layer = make_layer(rng, k, n, 4, group, has_zp=False, has_bias=True)
    q, z, s, b = layer
    module = build(["?", "?"], k, n, 4, group, False, True, "f32", layer)
    x = rng.standard_normal((2, 3, k)).astype(np.float32)
    y = module.run({"arg0": x, "arg1": s, "arg2": b})["result0"]
    ref = reference(x.reshape(6, k), q, z, s, b, group).reshape(2, 3, n)
    assert rel_err(y, ref) < 1e-5


def test_lowered_ir_has_the_kernel_and_no_float_weight():
    """The CPU path takes the vector kernel: the weight's bytes are read as
    vector<16xi8>; no [out, in] float tensor appears."""
    rng = np.random.default_rng(RNG_SEED)
    layer = make_layer(rng, 64, 16, 4, 32, has_zp=False, has_bias=False)
    module = build(["?"], 64, 16, 4, 32, False, False, "f32", layer)
    module.run_pipeline("func.func(convert-peft-qlinear-to-vector)")
    text = module.to_string()
    assert "peft.qlinear" not in text
    assert "vector<16xi8>" in text and "vector.deinterleave" in text
    assert "16x64xf32" not in text


def test_onnxruntime_matmulnbits_agrees():
    """The same int4 layer exported as MatMulNBits runs in onnxruntime as the
    kernel runs it (≤ 1e-4, the JIT-vs-onnxruntime bound)."""
    rng = np.random.default_rng(RNG_SEED + 5)
    k, n, group = 256, 24, 32
    layer = make_layer(rng, k, n, 4, group, has_zp=True, has_bias=False)
    q, z, s, b = layer
    module = build(["?"], k, n, 4, group, True, False, "f32", layer)
    x = rng.standard_normal((3, k)).astype(np.float32)
    ours = module.run({"arg0": x, "arg1": s})["result0"]
    ref = reference(x, q, z, s, None, group)
    assert rel_err(ours, ref) < 1e-5
    # MatMulNBits by hand from the same integers (REFERENCE §5 packing).
    from onnx import TensorProto, helper
    blocks = k // group
    qb = (q + 8).astype(np.uint8).reshape(n, blocks, group)
    packed = (qb[..., 0::2] | (qb[..., 1::2] << 4)).astype(np.uint8)
    zu = (z + 8).astype(np.uint8)
    zp_packed = np.zeros((n, (blocks + 1) // 2), np.uint8)
    for j in range(blocks):
        zp_packed[:, j // 2] |= (zu[:, j] << (4 * (j % 2))).astype(np.uint8)
    node = helper.make_node("MatMulNBits", ["x", "B", "scales", "zp"], ["y"], domain="com.microsoft",
                            K=k, N=n, bits=4, block_size=group)
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, n])],
        initializer=[helper.make_tensor("B", TensorProto.UINT8, packed.shape, packed.tobytes(), raw=True),
                     helper.make_tensor("scales", TensorProto.FLOAT, [n * blocks], s.reshape(-1)),
                     helper.make_tensor("zp", TensorProto.UINT8, zp_packed.shape, zp_packed.tobytes(), raw=True)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    theirs = sess.run(None, {"x": x})[0]
    assert rel_err(theirs, ref) < 1e-5
    assert rel_err(ours, theirs.astype(np.float64)) < 1e-4
