// peft.lowrank (two skinny matmuls, bias) through the GPU pipeline: every
// contraction and the bias add become kernels of the PTX module.
// REQUIRES: nvptx
// RUN: peft-translate --emit-ptx %s -o - | FileCheck %s

// CHECK:     .target sm_90
// CHECK-DAG: .visible .entry down_proj_kernel(
// CHECK-DAG: .visible .entry down_proj_kernel_0(
// CHECK-DAG: .visible .entry down_proj_kernel_1(
// CHECK-DAG: .visible .entry down_proj_kernel_2(

func.func @down_proj(%x: tensor<2x16x256xf32>, %u: tensor<128x32xf32>, %v: tensor<32x256xf32>, %b: tensor<128xf32>) -> tensor<2x16x128xf32> {
  %y = peft.lowrank %x, %u, %v, %b role down
         : tensor<2x16x256xf32>, tensor<128x32xf32>, tensor<32x256xf32>, tensor<128xf32> -> tensor<2x16x128xf32>
  return %y : tensor<2x16x128xf32>
}
