// A peft.lora through the GPU pipeline (peft-lower-to-nvvm runs
// convert-peft-to-linalg): the layer's product and the adapter's two skinny
// products x·Aᵀ (N = r = 8) and t·Bᵀ (K = r = 8) are three contraction
// kernels with shared-memory tiles; base + s·u is an elementwise kernel.
// // REQUIRES: nvptx
// RUN: peft-translate --emit-ptx %s -o %t.ptx
// RUN: FileCheck %s < %t.ptx
// RUN: grep -c '__wg_q_lora_kernel_[0-9]*_0\[' %t.ptx | FileCheck %s --check-prefix=TILES

// CHECK:     .target sm_90
// CHECK:     .visible .entry q_lora_kernel(
// CHECK:     ld.shared
// CHECK:     bar.sync
// TILES:     3

// Static shapes (a batch of 2 sequences of 16): GPU kernels need them.
func.func @q_lora(%x: tensor<2x16x256xf32>, %w: tensor<128x256xf32>, %b: tensor<128xf32>,
                  %a: tensor<8x256xf32>, %bb: tensor<128x8xf32>) -> tensor<2x16x128xf32> {
  %y = peft.linear %x, %w, %b layout out_in role q path "model.layers.0.self_attn.q_proj"
         : tensor<2x16x256xf32>, tensor<128x256xf32>, tensor<128xf32> -> tensor<2x16x128xf32>
  %z = peft.lora %x, %y, %a, %bb scale 2.0
         : tensor<2x16x256xf32>, tensor<2x16x128xf32>, tensor<8x256xf32>, tensor<128x8xf32>
  return %z : tensor<2x16x128xf32>
}
