// peft.linear (PyTorch layout, bias) lowers to a contraction whose weight is
// read transposed. Elementwise fusion folds the row collapse into it, so it
// has two M loops (2 x 16): the outer one goes to grid z, the A tile is
// 1 x 16 x 32 floats, the B tile N x K = 64 x 32; both are read along K by
// threads on different rows, so rows are padded to 33 floats (2112 and 8448
// bytes). The zero fill, the bias add and the copy of the result are kernels
// of their own.
// REQUIRES: nvptx
// RUN: peft-translate --emit-ptx %s -o - | FileCheck %s

// CHECK:     .target sm_90
// CHECK-DAG: .visible .entry q_proj_kernel(
// CHECK-DAG: .visible .entry q_proj_kernel_0(
// CHECK-DAG: .visible .entry q_proj_kernel_1(
// CHECK-DAG: .visible .entry q_proj_kernel_2(
// CHECK-DAG: .shared .align 4 .b8 __wg_q_proj_kernel_0_{{[01]}}[8448];
// CHECK-DAG: .shared .align 4 .b8 __wg_q_proj_kernel_0_{{[01]}}[2112];

func.func @q_proj(%x: tensor<2x16x256xf32>, %w: tensor<128x256xf32>, %b: tensor<128xf32>) -> tensor<2x16x128xf32> {
  %y = peft.linear %x, %w, %b layout out_in role q
         : tensor<2x16x256xf32>, tensor<128x256xf32>, tensor<128xf32> -> tensor<2x16x128xf32>
  return %y : tensor<2x16x128xf32>
}
