// RUN: peft-opt %s -split-input-file -verify-diagnostics --convert-peft-to-linalg

// A weight whose output extent is only known at run time has no lowering
// yet; the error points at the layer.
func.func @dynamic_out_features(%x: tensor<2x8xf32>, %w: tensor<?x8xf32>) -> tensor<2x?xf32> {
  // expected-error @+1 {{failed to legalize operation 'peft.linear' that was explicitly marked illegal}}
  %y = peft.linear %x, %w layout out_in role other : tensor<2x8xf32>, tensor<?x8xf32> -> tensor<2x?xf32>
  return %y : tensor<2x?xf32>
}
