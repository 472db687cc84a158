// LoRA adapters on a factored layer (peft.lowrank): its in and out features
// are those of the layer it replaced, so an adapter stacks on its output as
// on any linear layer (peft-load-adapter, peft-insert-lora); an adapter of
// the wrong shape, a DoRA adapter (it renormalizes the dense weight) and a
// PiSSA init (it factors the dense weight) are clear errors.
// RUN: rm -rf %t && %python %S/Inputs/make_adapters.py %t
// RUN: peft-opt %s --peft-load-adapter=path=%t/lora | FileCheck %s --check-prefix=LOAD
// RUN: not peft-opt %s --peft-load-adapter=path=%t/dora 2>&1 | FileCheck %s --check-prefix=DORA
// RUN: peft-opt %s --peft-insert-lora="targets=q_proj rank=2 alpha=4" | FileCheck %s --check-prefix=INSERT
// RUN: not peft-opt %s --peft-insert-lora="targets=q_proj rank=2 init=pissa" 2>&1 | FileCheck %s --check-prefix=PISSA
// RUN: peft-opt %s --peft-insert-lora="targets=q_proj rank=2" --convert-peft-to-linalg | FileCheck %s --check-prefix=LOWER

// LOAD-LABEL: func.func @factored_q
// LOAD: %[[Q:.*]] = peft.lowrank %[[X:[^,]*]], %{{.*}}, %{{.*}} role q path "model.layers.0.self_attn.q_proj"
// LOAD: peft.lora %[[X]], %[[Q]], %{{.*}}, %{{.*}} scale 2.000000e+00 adapter "default" : tensor<2x16xf32>, tensor<2x16xf32>, tensor<4x16xf32>, tensor<16x4xf32>
// LOAD: %[[V:.*]] = peft.linear
// LOAD: peft.lora %[[X]], %[[V]]

// DORA: error: peft-load-adapter: layer 'model.layers.0.self_attn.q_proj' (peft.lowrank) has no float weight: a DoRA adapter cannot sit on it

// INSERT: %[[Q:.*]] = peft.lowrank
// INSERT: peft.lora %{{.*}}, %[[Q]], %{{.*}}, %{{.*}} scale 2.000000e+00 adapter "default" : tensor<2x16xf32>, tensor<2x16xf32>, tensor<2x16xf32>, tensor<16x2xf32>

// PISSA: error: peft-insert-lora: init=pissa factors the layer's dense float weight, and layer 'model.layers.0.self_attn.q_proj' (peft.lowrank) has none

// LOWER-NOT: peft.
// LOWER: return

func.func @factored_q(%x: tensor<2x16xf32>, %wv: tensor<8x16xf32>) -> (tensor<2x16xf32>, tensor<2x8xf32>) {
  %u = arith.constant dense<0.5> : tensor<16x3xf32>
  %v = arith.constant dense<0.25> : tensor<3x16xf32>
  %q = peft.lowrank %x, %u, %v role q path "model.layers.0.self_attn.q_proj" : tensor<2x16xf32>, tensor<16x3xf32>, tensor<3x16xf32> -> tensor<2x16xf32>
  %y = peft.linear %x, %wv layout out_in role v path "model.layers.0.self_attn.v_proj" : tensor<2x16xf32>, tensor<8x16xf32> -> tensor<2x8xf32>
  return %q, %y : tensor<2x16xf32>, tensor<2x8xf32>
}
