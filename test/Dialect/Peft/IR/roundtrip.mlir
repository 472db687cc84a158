// RUN: peft-opt %s -split-input-file | peft-opt -split-input-file | FileCheck %s
// Generic form survives a round trip as well.
// RUN: peft-opt %s -split-input-file -mlir-print-op-generic | peft-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @linear_out_in_bias
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>, %[[W:.*]]: tensor<128x64xf32>, %[[B:.*]]: tensor<128xf32>)
// CHECK: peft.linear %[[X]], %[[W]], %[[B]] layout out_in role q path "model.layers.0.self_attn.q_proj" : tensor<?x?x64xf32>, tensor<128x64xf32>, tensor<128xf32> -> tensor<?x?x128xf32>
func.func @linear_out_in_bias(%x: tensor<?x?x64xf32>, %w: tensor<128x64xf32>, %b: tensor<128xf32>) -> tensor<?x?x128xf32> {
  %y = peft.linear %x, %w, %b layout out_in role q path "model.layers.0.self_attn.q_proj"
         : tensor<?x?x64xf32>, tensor<128x64xf32>, tensor<128xf32> -> tensor<?x?x128xf32>
  return %y : tensor<?x?x128xf32>
}

// -----

// CHECK-LABEL: func.func @linear_in_out_no_bias_no_path
// CHECK: peft.linear %{{.*}}, %{{.*}} layout in_out role down : tensor<4x32xf16>, tensor<32x16xf16> -> tensor<4x16xf16>
func.func @linear_in_out_no_bias_no_path(%x: tensor<4x32xf16>, %w: tensor<32x16xf16>) -> tensor<4x16xf16> {
  %y = peft.linear %x, %w layout in_out role down : tensor<4x32xf16>, tensor<32x16xf16> -> tensor<4x16xf16>
  return %y : tensor<4x16xf16>
}

// -----

// Every role keyword parses and prints back.
// CHECK-LABEL: func.func @roles
// CHECK: role q
// CHECK: role k
// CHECK: role v
// CHECK: role o
// CHECK: role qkv
// CHECK: role gate
// CHECK: role up
// CHECK: role down
// CHECK: role other
func.func @roles(%x: tensor<2x8xbf16>, %w: tensor<8x8xbf16>) {
  %0 = peft.linear %x, %w layout out_in role q : tensor<2x8xbf16>, tensor<8x8xbf16> -> tensor<2x8xbf16>
  %1 = peft.linear %x, %w layout out_in role k : tensor<2x8xbf16>, tensor<8x8xbf16> -> tensor<2x8xbf16>
  %2 = peft.linear %x, %w layout out_in role v : tensor<2x8xbf16>, tensor<8x8xbf16> -> tensor<2x8xbf16>
  %3 = peft.linear %x, %w layout out_in role o : tensor<2x8xbf16>, tensor<8x8xbf16> -> tensor<2x8xbf16>
  %4 = peft.linear %x, %w layout out_in role qkv : tensor<2x8xbf16>, tensor<8x8xbf16> -> tensor<2x8xbf16>
  %5 = peft.linear %x, %w layout out_in role gate : tensor<2x8xbf16>, tensor<8x8xbf16> -> tensor<2x8xbf16>
  %6 = peft.linear %x, %w layout out_in role up : tensor<2x8xbf16>, tensor<8x8xbf16> -> tensor<2x8xbf16>
  %7 = peft.linear %x, %w layout out_in role down : tensor<2x8xbf16>, tensor<8x8xbf16> -> tensor<2x8xbf16>
  %8 = peft.linear %x, %w layout out_in role other : tensor<2x8xbf16>, tensor<8x8xbf16> -> tensor<2x8xbf16>
  return
}

// -----

// A rank-1 input and a weight whose extents are only known at run time.
// CHECK-LABEL: func.func @vector_dynamic_weight
// CHECK: peft.linear %{{.*}}, %{{.*}} layout out_in role other : tensor<16xf32>, tensor<?x?xf32> -> tensor<?xf32>
func.func @vector_dynamic_weight(%x: tensor<16xf32>, %w: tensor<?x?xf32>) -> tensor<?xf32> {
  %y = peft.linear %x, %w layout out_in role other : tensor<16xf32>, tensor<?x?xf32> -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @lora_stack
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[W:.*]]: tensor<32x64xf32>, %[[A:.*]]: tensor<8x64xf32>, %[[B:.*]]: tensor<32x8xf32>, %[[M:.*]]: tensor<32xf32>)
// CHECK: %[[Y:.*]] = peft.linear %[[X]], %[[W]]
// CHECK: %[[Z:.*]] = peft.lora %[[X]], %[[Y]], %[[A]], %[[B]] magnitude %[[M]] weight_norm %[[M]] scale 2.000000e+00 adapter "default" merged : tensor<?x64xf32>, tensor<?x32xf32>, tensor<8x64xf32>, tensor<32x8xf32>, tensor<32xf32>, tensor<32xf32>
// CHECK: peft.lora %[[X]], %[[Z]], %[[A]], %[[B]] scale 5.000000e-01 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<8x64xf32>, tensor<32x8xf32>
func.func @lora_stack(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>, %a: tensor<8x64xf32>, %b: tensor<32x8xf32>, %m: tensor<32xf32>) -> tensor<?x32xf32> {
  %y = peft.linear %x, %w layout out_in role q : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  %z = peft.lora %x, %y, %a, %b magnitude %m weight_norm %m scale 2.0 adapter "default" merged
         : tensor<?x64xf32>, tensor<?x32xf32>, tensor<8x64xf32>, tensor<32x8xf32>, tensor<32xf32>, tensor<32xf32>
  %u = peft.lora %x, %z, %a, %b scale 0.5 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<8x64xf32>, tensor<32x8xf32>
  return %u : tensor<?x32xf32>
}

// -----

// CHECK-LABEL: func.func @ia3
// CHECK: peft.ia3 %{{.*}}, %{{.*}} adapter "t" : tensor<?x32xf32>, tensor<32xf32>
// CHECK: peft.ia3 %{{.*}}, %{{.*}} feedforward : tensor<?x32xf32>, tensor<64xf32>
func.func @ia3(%x: tensor<?x64xf32>, %w: tensor<64x32xf32>, %l: tensor<32xf32>, %f: tensor<64xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %y = peft.linear %x, %w layout in_out role k : tensor<?x64xf32>, tensor<64x32xf32> -> tensor<?x32xf32>
  %z = peft.ia3 %y, %l adapter "t" : tensor<?x32xf32>, tensor<32xf32>
  %y2 = peft.linear %x, %w layout in_out role down : tensor<?x64xf32>, tensor<64x32xf32> -> tensor<?x32xf32>
  %u = peft.ia3 %y2, %f feedforward : tensor<?x32xf32>, tensor<64xf32>
  return %z, %u : tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// A layer's adapters form one ordered stack: a LoRA may stack on an IA³, and
// an IA³ on a LoRA.
// CHECK-LABEL: func.func @stack
// CHECK: %[[Y:.*]] = peft.linear
// CHECK: %[[S:.*]] = peft.ia3 %[[Y]]
// CHECK: %[[L:.*]] = peft.lora %{{.*}}, %[[S]]
// CHECK: peft.ia3 %[[L]]
func.func @stack(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>, %l: tensor<32xf32>, %a: tensor<8x64xf32>, %b: tensor<32x8xf32>) -> tensor<?x32xf32> {
  %y = peft.linear %x, %w layout out_in role v : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  %s = peft.ia3 %y, %l : tensor<?x32xf32>, tensor<32xf32>
  %z = peft.lora %x, %s, %a, %b scale 0.5 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<8x64xf32>, tensor<32x8xf32>
  %t = peft.ia3 %z, %l adapter "second" : tensor<?x32xf32>, tensor<32xf32>
  return %t : tensor<?x32xf32>
}

// -----

// CHECK-LABEL: func.func @qlinear_channel
// CHECK: peft.qlinear %{{.*}}, %{{.*}} scales %{{.*}} role q path "l.q_proj" : tensor<?x64xf32>, tensor<128x64xi4>, tensor<128x1xf32> -> tensor<?x128xf32>
func.func @qlinear_channel(%x: tensor<?x64xf32>, %q: tensor<128x64xi4>, %s: tensor<128x1xf32>) -> tensor<?x128xf32> {
  %y = peft.qlinear %x, %q scales %s role q path "l.q_proj" : tensor<?x64xf32>, tensor<128x64xi4>, tensor<128x1xf32> -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// CHECK-LABEL: func.func @qlinear_group_zero_points_bias
// CHECK: peft.qlinear %{{.*}}, %{{.*}} scales %{{.*}} zero_points %{{.*}} : tensor<8x3xi3> bias %{{.*}} : tensor<8xf16> group_size 32 role down : tensor<2x3x96xf16>, tensor<8x96xi3>, tensor<8x3xf16> -> tensor<2x3x8xf16>
func.func @qlinear_group_zero_points_bias(%x: tensor<2x3x96xf16>, %q: tensor<8x96xi3>, %s: tensor<8x3xf16>, %z: tensor<8x3xi3>, %b: tensor<8xf16>) -> tensor<2x3x8xf16> {
  %y = peft.qlinear %x, %q scales %s zero_points %z : tensor<8x3xi3> bias %b : tensor<8xf16> group_size 32 role down : tensor<2x3x96xf16>, tensor<8x96xi3>, tensor<8x3xf16> -> tensor<2x3x8xf16>
  return %y : tensor<2x3x8xf16>
}

// -----

// CHECK-LABEL: func.func @lrqat_linear
// CHECK: peft.lrqat_linear %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} bits 4 alpha 1.000000e+00 group_size 32 role v path "l.v_proj" : tensor<?x64xf32>, tensor<16x64xi8>, tensor<16x2xf32>, tensor<16x4xf32>, tensor<4x64xf32>, tensor<16xf32> -> tensor<?x16xf32>
func.func @lrqat_linear(%x: tensor<?x64xf32>, %phi: tensor<16x64xi8>, %s: tensor<16x2xf32>, %a: tensor<16x4xf32>, %b: tensor<4x64xf32>, %bias: tensor<16xf32>) -> tensor<?x16xf32> {
  %y = peft.lrqat_linear %x, %phi, %s, %a, %b bias %bias bits 4 alpha 1.0 group_size 32 role v path "l.v_proj" : tensor<?x64xf32>, tensor<16x64xi8>, tensor<16x2xf32>, tensor<16x4xf32>, tensor<4x64xf32>, tensor<16xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
