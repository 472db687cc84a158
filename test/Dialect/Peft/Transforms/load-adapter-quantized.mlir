// Adapters stack on any linear-like layer: a LoRA loads onto a quantized
// layer (peft.qlinear) as onto a float one; DoRA, which renormalizes the
// layer's float weight, is refused there.
// RUN: rm -rf %t && %python %S/Inputs/make_adapters.py %t
// RUN: peft-opt %s --peft-load-adapter=path=%t/lora | FileCheck %s
// RUN: not peft-opt %s --peft-load-adapter=path=%t/dora 2>&1 | FileCheck %s --check-prefix=DORA

// CHECK-LABEL: func.func @quantized_q
// CHECK: %[[Q:.*]] = peft.qlinear %[[X:.*]], %{{.*}} scales %{{.*}} role q path "model.layers.0.self_attn.q_proj"
// CHECK: peft.lora %[[X]], %[[Q]], %{{.*}}, %{{.*}} scale 2.000000e+00 adapter "default" : tensor<2x16xf32>, tensor<2x16xf32>, tensor<4x16xf32>, tensor<16x4xf32>
// CHECK: %[[V:.*]] = peft.linear
// CHECK: peft.lora %[[X]], %[[V]]

// DORA: error: peft-load-adapter: layer 'model.layers.0.self_attn.q_proj' (peft.qlinear) has no float weight: a DoRA adapter cannot sit on it

func.func @quantized_q(%x: tensor<2x16xf32>, %s: tensor<16x1xf32>, %wv: tensor<8x16xf32>) -> (tensor<2x16xf32>, tensor<2x8xf32>) {
  %wq = arith.constant dense<1> : tensor<16x16xi4>
  %q = peft.qlinear %x, %wq scales %s role q path "model.layers.0.self_attn.q_proj" : tensor<2x16xf32>, tensor<16x16xi4>, tensor<16x1xf32> -> tensor<2x16xf32>
  %v = peft.linear %x, %wv layout out_in role v path "model.layers.0.self_attn.v_proj" : tensor<2x16xf32>, tensor<8x16xf32> -> tensor<2x8xf32>
  return %q, %v : tensor<2x16xf32>, tensor<2x8xf32>
}
