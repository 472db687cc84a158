// RUN: peft-opt %s -split-input-file -verify-diagnostics

func.func @rank_mismatch(%x: tensor<2x8xf32>, %u: tensor<4x3xf32>, %v: tensor<2x8xf32>) {
  // expected-error @+1 {{'peft.lowrank' op u 'tensor<4x3xf32>' and v 'tensor<2x8xf32>' must be [out, k] and [k, in] with one k}}
  %y = peft.lowrank %x, %u, %v role o : tensor<2x8xf32>, tensor<4x3xf32>, tensor<2x8xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @zero_rank(%x: tensor<2x8xf32>, %u: tensor<4x0xf32>, %v: tensor<0x8xf32>) {
  // expected-error @+1 {{'peft.lowrank' op the rank must be >= 1, got 0}}
  %y = peft.lowrank %x, %u, %v role o : tensor<2x8xf32>, tensor<4x0xf32>, tensor<0x8xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @dynamic_rank(%x: tensor<2x8xf32>, %u: tensor<4x?xf32>, %v: tensor<?x8xf32>) {
  // expected-error @+1 {{'peft.lowrank' op the rank (columns of u, rows of v) must be static}}
  %y = peft.lowrank %x, %u, %v role o : tensor<2x8xf32>, tensor<4x?xf32>, tensor<?x8xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @input_features(%x: tensor<2x6xf32>, %u: tensor<4x2xf32>, %v: tensor<2x8xf32>) {
  // expected-error @+1 {{'peft.lowrank' op input has 6 features but v 'tensor<2x8xf32>' expects 8}}
  %y = peft.lowrank %x, %u, %v role o : tensor<2x6xf32>, tensor<4x2xf32>, tensor<2x8xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @output_features(%x: tensor<2x8xf32>, %u: tensor<4x2xf32>, %v: tensor<2x8xf32>) {
  // expected-error @+1 {{'peft.lowrank' op result has 5 features, expected 4}}
  %y = peft.lowrank %x, %u, %v role o : tensor<2x8xf32>, tensor<4x2xf32>, tensor<2x8xf32> -> tensor<2x5xf32>
  return
}

// -----

func.func @bias_size(%x: tensor<2x8xf32>, %u: tensor<4x2xf32>, %v: tensor<2x8xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'peft.lowrank' op bias has 3 elements, expected 4}}
  %y = peft.lowrank %x, %u, %v, %b role o : tensor<2x8xf32>, tensor<4x2xf32>, tensor<2x8xf32>, tensor<3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @element_types(%x: tensor<2x8xf32>, %u: tensor<4x2xf16>, %v: tensor<2x8xf32>) {
  // expected-error @+1 {{'peft.lowrank' op input, u, v, bias and result must share the element type 'f32'}}
  %y = peft.lowrank %x, %u, %v role o : tensor<2x8xf32>, tensor<4x2xf16>, tensor<2x8xf32> -> tensor<2x4xf32>
  return
}
