// An adapter whose shapes do not fit a factored layer is refused, naming the
// layer and the shapes.
// RUN: rm -rf %t && %python %S/Inputs/make_adapters.py %t
// RUN: not peft-opt %s --peft-load-adapter=path=%t/lora 2>&1 | FileCheck %s

// CHECK: lowrank-adapters-invalid.mlir:[[# @LINE + 4]]:8: error: peft-load-adapter: lora_A 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight' has shape [4, 16] but the layer 'model.layers.0.self_attn.q_proj' (in 12, out 16) needs [4, 12]
func.func @factored_q(%x: tensor<2x12xf32>, %wv: tensor<8x16xf32>, %xv: tensor<2x16xf32>) -> (tensor<2x16xf32>, tensor<2x8xf32>) {
  %u = arith.constant dense<0.5> : tensor<16x3xf32>
  %v = arith.constant dense<0.25> : tensor<3x12xf32>
  %q = peft.lowrank %x, %u, %v role q path "model.layers.0.self_attn.q_proj" : tensor<2x12xf32>, tensor<16x3xf32>, tensor<3x12xf32> -> tensor<2x16xf32>
  %y = peft.linear %xv, %wv layout out_in role v path "model.layers.0.self_attn.v_proj" : tensor<2x16xf32>, tensor<8x16xf32> -> tensor<2x8xf32>
  return %q, %y : tensor<2x16xf32>, tensor<2x8xf32>
}
