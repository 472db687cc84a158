// RUN: peft-opt %s -split-input-file -verify-diagnostics

func.func @feature_mismatch_out_in(%x: tensor<2x8xf32>, %w: tensor<16x4xf32>) {
  // expected-error @+1 {{'peft.linear' op input has 8 features but the out_in weight 'tensor<16x4xf32>' expects 4}}
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<16x4xf32> -> tensor<2x16xf32>
  return
}

// -----

func.func @feature_mismatch_in_out(%x: tensor<2x8xf32>, %w: tensor<16x8xf32>) {
  // expected-error @+1 {{'peft.linear' op input has 8 features but the in_out weight 'tensor<16x8xf32>' expects 16}}
  %y = peft.linear %x, %w layout in_out role q : tensor<2x8xf32>, tensor<16x8xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @bias_size(%x: tensor<2x8xf32>, %w: tensor<16x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'peft.linear' op bias has 8 elements, expected 16}}
  %y = peft.linear %x, %w, %b layout out_in role o : tensor<2x8xf32>, tensor<16x8xf32>, tensor<8xf32> -> tensor<2x16xf32>
  return
}

// -----

func.func @result_features(%x: tensor<2x8xf32>, %w: tensor<16x8xf32>) {
  // expected-error @+1 {{'peft.linear' op result has 8 features, expected 16}}
  %y = peft.linear %x, %w layout out_in role o : tensor<2x8xf32>, tensor<16x8xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @result_rank(%x: tensor<2x3x8xf32>, %w: tensor<16x8xf32>) {
  // expected-error @+1 {{'peft.linear' op result rank 2 differs from input rank 3}}
  %y = peft.linear %x, %w layout out_in role o : tensor<2x3x8xf32>, tensor<16x8xf32> -> tensor<6x16xf32>
  return
}

// -----

func.func @leading_dims(%x: tensor<2x3x8xf32>, %w: tensor<16x8xf32>) {
  // expected-error @+1 {{'peft.linear' op result dimension 1 (4) differs from input dimension (3)}}
  %y = peft.linear %x, %w layout out_in role o : tensor<2x3x8xf32>, tensor<16x8xf32> -> tensor<2x4x16xf32>
  return
}

// -----

func.func @element_types(%x: tensor<2x8xf16>, %w: tensor<16x8xf32>) {
  // expected-error @+1 {{'peft.linear' op input, weight, bias and result must share the element type 'f16'}}
  %y = peft.linear %x, %w layout out_in role o : tensor<2x8xf16>, tensor<16x8xf32> -> tensor<2x16xf16>
  return
}

// -----

func.func @scalar_input(%x: tensor<f32>, %w: tensor<16x8xf32>) {
  // expected-error @+1 {{'peft.linear' op input must have rank >= 1, got a 0-d tensor}}
  %y = peft.linear %x, %w layout out_in role o : tensor<f32>, tensor<16x8xf32> -> tensor<f32>
  return
}

// -----

func.func @weight_rank(%x: tensor<2x8xf32>, %w: tensor<16x8x1xf32>) {
  // expected-error @+1 {{'peft.linear' op operand #1 must be 2D tensor of floating-point values}}
  %y = peft.linear %x, %w layout out_in role o : tensor<2x8xf32>, tensor<16x8x1xf32> -> tensor<2x16xf32>
  return
}

// -----

func.func @integer_types(%x: tensor<2x8xi8>, %w: tensor<16x8xi8>) {
  // expected-error @+1 {{'peft.linear' op operand #0 must be ranked tensor of floating-point values}}
  %y = peft.linear %x, %w layout out_in role o : tensor<2x8xi8>, tensor<16x8xi8> -> tensor<2x16xi8>
  return
}

// -----

func.func @empty_path(%x: tensor<2x8xf32>, %w: tensor<16x8xf32>) {
  // expected-error @+1 {{'peft.linear' op module path must not be empty when present}}
  %y = peft.linear %x, %w layout out_in role o path "" : tensor<2x8xf32>, tensor<16x8xf32> -> tensor<2x16xf32>
  return
}

// -----

func.func @bad_role(%x: tensor<2x8xf32>, %w: tensor<16x8xf32>) {
  // expected-error @+2 {{expected ::mlir::peft::LinearRole to be one of: q, k, v, o, qkv, gate, up, down, other}}
  // expected-error @+1 {{failed to parse Peft_LinearRoleAttr parameter 'value'}}
  %y = peft.linear %x, %w layout out_in role attention : tensor<2x8xf32>, tensor<16x8xf32> -> tensor<2x16xf32>
  return
}

// -----

func.func @lora_base_not_linear(%x: tensor<2x8xf32>, %a: tensor<4x8xf32>, %b: tensor<8x4xf32>) {
  // expected-error @+1 {{'peft.lora' op base must be the output of a linear layer (peft.linear) or the result of another adapter on that layer}}
  %z = peft.lora %x, %x, %a, %b scale 1.0 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<4x8xf32>, tensor<8x4xf32>
  return
}

// -----

func.func @lora_input_differs(%x: tensor<2x8xf32>, %x2: tensor<2x8xf32>, %w: tensor<16x8xf32>, %a: tensor<4x8xf32>, %b: tensor<16x4xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<16x8xf32> -> tensor<2x16xf32>
  // expected-error @+1 {{'peft.lora' op input must be the input of the adapted layer}}
  %z = peft.lora %x2, %y, %a, %b scale 1.0 : tensor<2x8xf32>, tensor<2x16xf32>, tensor<4x8xf32>, tensor<16x4xf32>
  return
}

// -----

func.func @lora_a_shape(%x: tensor<2x8xf32>, %w: tensor<16x8xf32>, %a: tensor<4x9xf32>, %b: tensor<16x4xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<16x8xf32> -> tensor<2x16xf32>
  // expected-error @+1 {{'peft.lora' op lora_a 'tensor<4x9xf32>' must be [rank, 8] (the layer's inputs)}}
  %z = peft.lora %x, %y, %a, %b scale 1.0 : tensor<2x8xf32>, tensor<2x16xf32>, tensor<4x9xf32>, tensor<16x4xf32>
  return
}

// -----

func.func @lora_b_shape(%x: tensor<2x8xf32>, %w: tensor<16x8xf32>, %a: tensor<4x8xf32>, %b: tensor<15x4xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<16x8xf32> -> tensor<2x16xf32>
  // expected-error @+1 {{'peft.lora' op lora_b 'tensor<15x4xf32>' must be [16, rank] (the layer's outputs)}}
  %z = peft.lora %x, %y, %a, %b scale 1.0 : tensor<2x8xf32>, tensor<2x16xf32>, tensor<4x8xf32>, tensor<15x4xf32>
  return
}

// -----

func.func @lora_rank_mismatch(%x: tensor<2x8xf32>, %w: tensor<16x8xf32>, %a: tensor<4x8xf32>, %b: tensor<16x2xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<16x8xf32> -> tensor<2x16xf32>
  // expected-error @+1 {{'peft.lora' op rank mismatch: lora_a has 4 rows but lora_b has 2 columns}}
  %z = peft.lora %x, %y, %a, %b scale 1.0 : tensor<2x8xf32>, tensor<2x16xf32>, tensor<4x8xf32>, tensor<16x2xf32>
  return
}

// -----

func.func @lora_element_type(%x: tensor<2x8xf32>, %w: tensor<16x8xf32>, %a: tensor<4x8xf16>, %b: tensor<16x4xf16>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<16x8xf32> -> tensor<2x16xf32>
  // expected-error @+1 {{'peft.lora' op lora_a and lora_b must have the element type 'f32' of the layer}}
  %z = peft.lora %x, %y, %a, %b scale 1.0 : tensor<2x8xf32>, tensor<2x16xf32>, tensor<4x8xf16>, tensor<16x4xf16>
  return
}

// -----

func.func @dora_magnitude_size(%x: tensor<2x8xf32>, %w: tensor<16x8xf32>, %a: tensor<4x8xf32>, %b: tensor<16x4xf32>, %m: tensor<8xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<16x8xf32> -> tensor<2x16xf32>
  // expected-error @+1 {{'peft.lora' op magnitude has 8 elements, expected 16}}
  %z = peft.lora %x, %y, %a, %b magnitude %m scale 1.0 : tensor<2x8xf32>, tensor<2x16xf32>, tensor<4x8xf32>, tensor<16x4xf32>, tensor<8xf32>
  return
}

// -----

func.func @dora_stacked(%x: tensor<2x8xf32>, %w: tensor<16x8xf32>, %a: tensor<4x8xf32>, %b: tensor<16x4xf32>, %m: tensor<16xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<16x8xf32> -> tensor<2x16xf32>
  %z = peft.lora %x, %y, %a, %b scale 1.0 : tensor<2x8xf32>, tensor<2x16xf32>, tensor<4x8xf32>, tensor<16x4xf32>
  // expected-error @+1 {{'peft.lora' op a DoRA adapter (with magnitude) must sit directly on its layer's output}}
  %u = peft.lora %x, %z, %a, %b magnitude %m scale 1.0 : tensor<2x8xf32>, tensor<2x16xf32>, tensor<4x8xf32>, tensor<16x4xf32>, tensor<16xf32>
  return
}

// -----

func.func @weight_norm_unmerged(%x: tensor<2x8xf32>, %w: tensor<16x8xf32>, %a: tensor<4x8xf32>, %b: tensor<16x4xf32>, %m: tensor<16xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<16x8xf32> -> tensor<2x16xf32>
  // expected-error @+1 {{'peft.lora' op weight_norm is only kept by a merged DoRA adapter}}
  %z = peft.lora %x, %y, %a, %b magnitude %m weight_norm %m scale 1.0 : tensor<2x8xf32>, tensor<2x16xf32>, tensor<4x8xf32>, tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>
  return
}

// -----

func.func @ia3_size(%x: tensor<2x8xf32>, %w: tensor<16x8xf32>, %l: tensor<16xf32>) {
  %y = peft.linear %x, %w layout out_in role down : tensor<2x8xf32>, tensor<16x8xf32> -> tensor<2x16xf32>
  // expected-error @+1 {{'peft.ia3' op scaling has 16 elements, expected 8 (input features)}}
  %z = peft.ia3 %y, %l feedforward : tensor<2x16xf32>, tensor<16xf32>
  return
}

// -----

func.func @ia3_base(%x: tensor<2x16xf32>, %l: tensor<16xf32>) {
  // expected-error @+1 {{'peft.ia3' op base must be the output of a linear layer (peft.linear) or the result of another adapter on that layer}}
  %z = peft.ia3 %x, %l : tensor<2x16xf32>, tensor<16xf32>
  return
}

// -----

func.func @adapter_fork(%x: tensor<2x16xf32>, %w: tensor<8x16xf32>, %a: tensor<4x16xf32>, %b: tensor<8x4xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x16xf32>, tensor<8x16xf32> -> tensor<2x8xf32>
  // expected-error @+1 {{'peft.lora' op adapters 'one' (peft.lora) and 'two' (peft.lora) both stack on the same value; a layer's adapters form one ordered stack}}
  %z = peft.lora %x, %y, %a, %b scale 1.0 adapter "one" : tensor<2x16xf32>, tensor<2x8xf32>, tensor<4x16xf32>, tensor<8x4xf32>
  %u = peft.lora %x, %y, %a, %b scale 1.0 adapter "two" : tensor<2x16xf32>, tensor<2x8xf32>, tensor<4x16xf32>, tensor<8x4xf32>
  return
}

// -----

func.func @ia3_feedforward_stacked(%x: tensor<2x16xf32>, %w: tensor<8x16xf32>, %l: tensor<8xf32>, %f: tensor<16xf32>) {
  %y = peft.linear %x, %w layout out_in role down : tensor<2x16xf32>, tensor<8x16xf32> -> tensor<2x8xf32>
  %z = peft.ia3 %y, %l : tensor<2x8xf32>, tensor<8xf32>
  // expected-error @+1 {{'peft.ia3' op a feedforward IA³ adapter recomputes its layer and must sit directly on the layer's output}}
  %u = peft.ia3 %z, %f feedforward : tensor<2x8xf32>, tensor<16xf32>
  return
}

// -----

func.func @qlinear_scales_shape(%x: tensor<2x64xf32>, %q: tensor<16x64xi4>, %s: tensor<16x3xf32>) {
  // expected-error @+1 {{'peft.qlinear' op scales 'tensor<16x3xf32>' must be [16, 2] (one per group of 32 input features)}}
  %y = peft.qlinear %x, %q scales %s group_size 32 role q : tensor<2x64xf32>, tensor<16x64xi4>, tensor<16x3xf32> -> tensor<2x16xf32>
  return
}

// -----

func.func @qlinear_channel_scales(%x: tensor<2x64xf32>, %q: tensor<16x64xi8>, %s: tensor<16x2xf32>) {
  // expected-error @+1 {{'peft.qlinear' op scales 'tensor<16x2xf32>' must be [16, 1] (one per output channel)}}
  %y = peft.qlinear %x, %q scales %s role q : tensor<2x64xf32>, tensor<16x64xi8>, tensor<16x2xf32> -> tensor<2x16xf32>
  return
}

// -----

func.func @qlinear_features(%x: tensor<2x32xf32>, %q: tensor<16x64xi4>, %s: tensor<16x1xf32>) {
  // expected-error @+1 {{'peft.qlinear' op input has 32 features but the weight 'tensor<16x64xi4>' expects 64}}
  %y = peft.qlinear %x, %q scales %s role q : tensor<2x32xf32>, tensor<16x64xi4>, tensor<16x1xf32> -> tensor<2x16xf32>
  return
}

// -----

func.func @qlinear_zero_point_type(%x: tensor<2x64xf32>, %q: tensor<16x64xi4>, %s: tensor<16x1xf32>, %z: tensor<16x1xi8>) {
  // expected-error @+1 {{'peft.qlinear' op zero points must have the weight's element type 'i4'}}
  %y = peft.qlinear %x, %q scales %s zero_points %z : tensor<16x1xi8> role q : tensor<2x64xf32>, tensor<16x64xi4>, tensor<16x1xf32> -> tensor<2x16xf32>
  return
}

// -----

func.func @qlinear_weight_type(%x: tensor<2x64xf32>, %q: tensor<16x64xi16>, %s: tensor<16x1xf32>) {
  // expected-error @+1 {{'peft.qlinear' op operand #1 must be 2D tensor of 2-bit signless integer or 3-bit signless integer or 4-bit signless integer or 8-bit signless integer values}}
  %y = peft.qlinear %x, %q scales %s role q : tensor<2x64xf32>, tensor<16x64xi16>, tensor<16x1xf32> -> tensor<2x16xf32>
  return
}

// -----

func.func @lrqat_phi_width(%x: tensor<2x64xf32>, %phi: tensor<16x64xi4>, %s: tensor<16x1xf32>, %a: tensor<16x4xf32>, %b: tensor<4x64xf32>) {
  // expected-error @+1 {{'peft.lrqat_linear' op an integer phi0 must be i8 (fixed point) or have the width of bits = 3, got 'i4'}}
  %y = peft.lrqat_linear %x, %phi, %s, %a, %b bits 3 alpha 1.0 role q : tensor<2x64xf32>, tensor<16x64xi4>, tensor<16x1xf32>, tensor<16x4xf32>, tensor<4x64xf32> -> tensor<2x16xf32>
  return
}

// -----

func.func @lrqat_factors(%x: tensor<2x64xf32>, %phi: tensor<16x64xi8>, %s: tensor<16x1xf32>, %a: tensor<4x16xf32>, %b: tensor<4x64xf32>) {
  // expected-error @+1 {{'peft.lrqat_linear' op lora_a 'tensor<4x16xf32>' and lora_b 'tensor<4x64xf32>' must be [16, r] and [r, 64]}}
  %y = peft.lrqat_linear %x, %phi, %s, %a, %b bits 4 alpha 1.0 role q : tensor<2x64xf32>, tensor<16x64xi8>, tensor<16x1xf32>, tensor<4x16xf32>, tensor<4x64xf32> -> tensor<2x16xf32>
  return
}

// -----

func.func @lrqat_bits(%x: tensor<2x64xf32>, %phi: tensor<16x64xi8>, %s: tensor<16x1xf32>, %a: tensor<16x4xf32>, %b: tensor<4x64xf32>) {
  // expected-error @+1 {{'peft.lrqat_linear' op attribute 'bits' failed to satisfy constraint}}
  %y = peft.lrqat_linear %x, %phi, %s, %a, %b bits 9 alpha 1.0 role q : tensor<2x64xf32>, tensor<16x64xi8>, tensor<16x1xf32>, tensor<16x4xf32>, tensor<4x64xf32> -> tensor<2x16xf32>
  return
}
