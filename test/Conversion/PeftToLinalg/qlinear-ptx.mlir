// int4 peft.qlinear through the GPU pipeline (peft-lower-to-nvvm runs
// convert-peft-qlinear-to-gpu, whose IR qlinear-to-gpu.mlir checks): at M = 1 (decode) a split-K GEMV kernel and at
// M = 16 a kernel with row tiles of 4; both read the packed weight with
// 128-bit loads (ld.global.v4), reduce a warp's partial sums with shuffles and
// add them into the result with atomics. The weight is never a float buffer:
// the host module holds only its packed bytes.
// REQUIRES: nvptx
// RUN: peft-translate --emit-ptx %s -o %t.ptx
// RUN: FileCheck %s < %t.ptx
// RUN: peft-opt %s --peft-lower-to-nvvm="format=isa" | FileCheck %s --check-prefix=NOFLOAT


// CHECK:     .visible .entry decode_kernel
// CHECK:     .visible .entry decode_kernel_0(
// CHECK:     ld.global.v4.b32
// CHECK:     shfl.sync.bfly.b32
// CHECK:     atom.global.add.f32
// CHECK:     .visible .entry prefill_kernel
// CHECK:     ld.global.v4.b32
// CHECK:     shfl.sync.bfly.b32
// CHECK:     atom.global.add.f32
// The host module holds the packed bytes (131072 of them) and no float
// array of the weight's 64 x 4096 elements.
// NOFLOAT: 131072 x i8
// NOFLOAT-NOT: 262144 x f32
// NOFLOAT-NOT: 64x4096xf32

// K = 4096: 128 chunks of 32, split in 2 ranges (grid y).
func.func @decode(%x: tensor<1x4096xf32>, %s: tensor<64x128xf32>, %b: tensor<64xf32>) -> tensor<1x64xf32> {
  %q = arith.constant dense<3> : tensor<64x4096xi4>
  %z = arith.constant dense<-1> : tensor<64x128xi4>
  %y = peft.qlinear %x, %q scales %s zero_points %z : tensor<64x128xi4> bias %b : tensor<64xf32> group_size 32 role q
         : tensor<1x4096xf32>, tensor<64x4096xi4>, tensor<64x128xf32> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

func.func @prefill(%x: tensor<2x8x4096xf32>, %s: tensor<64x1xf32>) -> tensor<2x8x64xf32> {
  %q = arith.constant dense<3> : tensor<64x4096xi4>
  %y = peft.qlinear %x, %q scales %s role q
         : tensor<2x8x4096xf32>, tensor<64x4096xi4>, tensor<64x1xf32> -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}
