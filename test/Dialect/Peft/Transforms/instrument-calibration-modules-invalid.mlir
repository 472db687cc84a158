// RUN: peft-opt %s -peft-instrument-calibration -verify-diagnostics

// A q layer without an attention around it: per-head and block statistics
// (the default) need the modules recognized.
// expected-error @below {{peft-instrument-calibration: per-head and block statistics need the graph's modules (statistics=inputs gathers the layer inputs only)}}
func.func @lonely_q(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{module recognition: 'attn.q_proj' has role q but belongs to no recognized attention}}
  %0 = peft.linear %x, %w layout out_in role q path "attn.q_proj" : tensor<4x16xf32>, tensor<16x16xf32> -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}
