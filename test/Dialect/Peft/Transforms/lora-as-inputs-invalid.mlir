// RUN: peft-opt %s -split-input-file -verify-diagnostics --peft-lora-as-inputs=max-rank=4
// RUN: not peft-opt %s --peft-lora-as-inputs 2>&1 | FileCheck %s --check-prefix=NORANK
// RUN: not peft-opt %s --peft-lora-as-inputs=max-rank=-1 2>&1 | FileCheck %s --check-prefix=NEGRANK
// NORANK: error: peft-lora-as-inputs needs max-rank > 0, got 0
// NEGRANK: error: peft-lora-as-inputs needs max-rank > 0, got -1

// An adapter above max-rank is named by its layer; nothing is rewritten.
func.func @too_big(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x8xf32>
  %a = arith.constant dense<0.25> : tensor<8x8xf32>
  %b = arith.constant dense<0.125> : tensor<8x8xf32>
  %y = peft.linear %x, %w layout out_in role q path "model.layers.3.q_proj" : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  // expected-error @+1 {{adapter of layer 'model.layers.3.q_proj' has rank 8, above max-rank 4}}
  %z = peft.lora %x, %y, %a, %b scale 2.0 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>
  return %z : tensor<2x8xf32>
}

// -----

func.func @dora(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x8xf32>
  %a = arith.constant dense<0.25> : tensor<2x8xf32>
  %b = arith.constant dense<0.125> : tensor<8x2xf32>
  %m = arith.constant dense<1.0> : tensor<8xf32>
  %y = peft.linear %x, %w layout out_in role q path "q" : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  // expected-error @+1 {{DoRA adapter of layer 'q' cannot take its weights at run time; merge it first (peft-merge-lora)}}
  %z = peft.lora %x, %y, %a, %b magnitude %m scale 2.0 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<8x2xf32>, tensor<8xf32>
  return %z : tensor<2x8xf32>
}

// -----

func.func @no_path(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x8xf32>
  %a = arith.constant dense<0.25> : tensor<2x8xf32>
  %b = arith.constant dense<0.125> : tensor<8x2xf32>
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  // expected-error @+1 {{the layer of this adapter has no module path to name its runtime inputs after}}
  %z = peft.lora %x, %y, %a, %b scale 2.0 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<8x2xf32>
  return %z : tensor<2x8xf32>
}

// -----

// Two adapters of the same name on one layer would share their inputs.
func.func @duplicate(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x8xf32>
  %a = arith.constant dense<0.25> : tensor<2x8xf32>
  %b = arith.constant dense<0.125> : tensor<8x2xf32>
  %y = peft.linear %x, %w layout out_in role q path "q" : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %z = peft.lora %x, %y, %a, %b scale 2.0 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<8x2xf32>
  // expected-error @+1 {{runtime input 'q.lora_A.weight' is not unique}}
  %z2 = peft.lora %x, %z, %a, %b scale 2.0 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<8x2xf32>
  return %z2 : tensor<2x8xf32>
}
