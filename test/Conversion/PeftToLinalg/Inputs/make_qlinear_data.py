"""An int4 qlinear module, its inputs and float64 numpy references for
qlinear-exec.test (CPU) and qlinear-cuda.test (GPU).

usage: make_qlinear_data.py OUTDIR
Writes qlinear.mlir (functions @decode: M = 1, groups of 32, zero points,
bias; @prefill: M = 2x8, groups of 128), x1.npy, x16.npy, s32.npy, s128.npy,
b.npy, ref_decode.npy, ref_prefill.npy. K = 4096 (128 chunks: the GPU kernel
splits K), 72 outputs (not a multiple of the GPU's 8 outputs a block).
"""
import os
import sys

import numpy as np

K, N = 4096, 72


def pack(q):
    flat = q.reshape(-1).astype(np.int64) & 15
    return (flat[0::2] | (flat[1::2] << 4)).astype(np.uint8).tobytes()


def dequantize(q, s, z, group):
    idx = np.arange(q.shape[1]) // group
    qz = q.astype(np.float64) - (z[:, idx] if z is not None else 0)
    return qz * s.astype(np.float64)[:, idx]


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(11)
    q = rng.integers(-8, 8, size=(N, K))
    z = rng.integers(-8, 8, size=(N, K // 32))
    s32 = (rng.random((N, K // 32)) * 0.02 + 0.005).astype(np.float32)
    s128 = (rng.random((N, K // 128)) * 0.02 + 0.005).astype(np.float32)
    b = rng.standard_normal(N).astype(np.float32)
    x1 = rng.standard_normal((1, K)).astype(np.float32)
    x16 = rng.standard_normal((2, 8, K)).astype(np.float32)
    refs = {
        "decode": x1.astype(np.float64) @ dequantize(q, s32, z, 32).T + b,
        "prefill": x16.astype(np.float64) @ dequantize(q, s128, None, 128).T,
    }
    for name, value in [("x1", x1), ("x16", x16), ("s32", s32), ("s128", s128), ("b", b)]:
        np.save(os.path.join(out, f"{name}.npy"), value)
    for name, value in refs.items():
        np.save(os.path.join(out, f"ref_{name}.npy"), value.astype(np.float32))
    g32, g128 = K // 32, K // 128
    text = f"""
func.func @decode(%x: tensor<1x{K}xf32> {{onnx.name = "x"}}, %s: tensor<{N}x{g32}xf32> {{onnx.name = "s"}},
                  %b: tensor<{N}xf32> {{onnx.name = "b"}}) -> (tensor<1x{N}xf32> {{onnx.name = "y"}}) {{
  %q = arith.constant dense_resource<q> : tensor<{N}x{K}xi4>
  %z = arith.constant dense_resource<z> : tensor<{N}x{g32}xi4>
  %y = peft.qlinear %x, %q scales %s zero_points %z : tensor<{N}x{g32}xi4> bias %b : tensor<{N}xf32>
         group_size 32 role q : tensor<1x{K}xf32>, tensor<{N}x{K}xi4>, tensor<{N}x{g32}xf32> -> tensor<1x{N}xf32>
  return %y : tensor<1x{N}xf32>
}}
func.func @prefill(%x: tensor<2x8x{K}xf32> {{onnx.name = "x"}}, %s: tensor<{N}x{g128}xf32> {{onnx.name = "s"}})
    -> (tensor<2x8x{N}xf32> {{onnx.name = "y"}}) {{
  %q = arith.constant dense_resource<q> : tensor<{N}x{K}xi4>
  %y = peft.qlinear %x, %q scales %s group_size 128 role q
         : tensor<2x8x{K}xf32>, tensor<{N}x{K}xi4>, tensor<{N}x{g128}xf32> -> tensor<2x8x{N}xf32>
  return %y : tensor<2x8x{N}xf32>
}}
{{-#
  dialect_resources: {{
    builtin: {{
      q: "0x01000000{pack(q).hex()}",
      z: "0x01000000{pack(z).hex()}"
    }}
  }}
#-}}
"""
    with open(os.path.join(out, "qlinear.mlir"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
