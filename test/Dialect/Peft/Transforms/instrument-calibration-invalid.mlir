// RUN: peft-opt %s -split-input-file -peft-instrument-calibration="statistics=inputs" -verify-diagnostics

func.func @same_path(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x16xf32> {
  %0 = peft.linear %x, %w layout out_in role q path "attn.q_proj" : tensor<4x16xf32>, tensor<16x16xf32> -> tensor<4x16xf32>
  // expected-error @+1 {{peft-instrument-calibration: two layers have the module path 'attn.q_proj'; statistics are keyed by path}}
  %1 = peft.linear %0, %w layout out_in role q path "attn.q_proj" : tensor<4x16xf32>, tensor<16x16xf32> -> tensor<4x16xf32>
  return %1 : tensor<4x16xf32>
}

// -----

// expected-error @below {{peft-instrument-calibration: no linear layer with a module path to calibrate (run peft-raise-linear first)}}
module {
  func.func @no_path(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x16xf32> {
    // expected-warning @+1 {{peft-instrument-calibration: the layer has no module path; it is not calibrated}}
    %0 = peft.linear %x, %w layout out_in role q : tensor<4x16xf32>, tensor<16x16xf32> -> tensor<4x16xf32>
    return %0 : tensor<4x16xf32>
  }
}
