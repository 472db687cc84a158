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
