// Errors at a layer or adapter (-verify-diagnostics); each leaves the IR as it was.
// RUN: peft-opt %s -split-input-file --peft-combine-adapters="mode=linear adapters=a,b weights=1.0,1.0 report=none" -verify-diagnostics
// Errors about the options or the whole module:
// RUN: not peft-opt %s -split-input-file --peft-combine-adapters="mode=cat adapters=a,zz weights=1.0,1.0 report=none" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not peft-opt %s -split-input-file --peft-combine-adapters="mode=cat adapters=a,b weights=1.0 report=none" 2>&1 | FileCheck %s --check-prefix=COUNT
// RUN: not peft-opt %s -split-input-file --peft-combine-adapters="mode=svd rank=5 adapters=a,b weights=1.0,1.0 report=none" 2>&1 | FileCheck %s --check-prefix=RANK
// RUN: not peft-opt %s --peft-combine-adapters="mode=median adapters=a" 2>&1 | FileCheck %s --check-prefix=MODE

// UNKNOWN: error: peft-combine-adapters: adapter 'zz' is on no layer
// COUNT: error: peft-combine-adapters: 1 weight(s) for 2 adapter(s); give one weight per adapter
// RANK: error: peft-combine-adapters: layer 'l.q_proj': mode 'svd': rank 5 is not in [1, 3] (min(out, in, sum of the ranks))
// MODE: Cannot find option named 'median'

// Unequal ranks for linear.
func.func @ranks(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %a1 = arith.constant dense<1.0> : tensor<1x4xf32>
  %b1 = arith.constant dense<1.0> : tensor<3x1xf32>
  %a2 = arith.constant dense<1.0> : tensor<2x4xf32>
  %b2 = arith.constant dense<1.0> : tensor<3x2xf32>
  // expected-error @below {{peft-combine-adapters: layer 'l.q_proj': mode 'linear' needs adapters of equal rank, but adapter 0 has rank 1 and adapter 1 has rank 2 (use 'cat' or 'svd')}}
  %y = peft.linear %x, %w layout out_in role q path "l.q_proj" : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  %z1 = peft.lora %x, %y, %a1, %b1 scale 2.0 adapter "a" : tensor<?x4xf32>, tensor<?x3xf32>, tensor<1x4xf32>, tensor<3x1xf32>
  %z2 = peft.lora %x, %z1, %a2, %b2 scale 1.0 adapter "b" : tensor<?x4xf32>, tensor<?x3xf32>, tensor<2x4xf32>, tensor<3x2xf32>
  return %z2 : tensor<?x3xf32>
}

// -----

// A DoRA source.
func.func @dora(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %a = arith.constant dense<1.0> : tensor<1x4xf32>
  %b = arith.constant dense<1.0> : tensor<3x1xf32>
  %m = arith.constant dense<1.0> : tensor<3xf32>
  %y = peft.linear %x, %w layout out_in role q path "l.q_proj" : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  // expected-error @below {{peft-combine-adapters: adapter 'a' on layer 'l.q_proj' is a DoRA adapter; only unmerged plain LoRA adapters can be combined}}
  %z1 = peft.lora %x, %y, %a, %b magnitude %m scale 2.0 adapter "a" : tensor<?x4xf32>, tensor<?x3xf32>, tensor<1x4xf32>, tensor<3x1xf32>, tensor<3xf32>
  %z2 = peft.lora %x, %z1, %a, %b scale 1.0 adapter "b" : tensor<?x4xf32>, tensor<?x3xf32>, tensor<1x4xf32>, tensor<3x1xf32>
  return %z2 : tensor<?x3xf32>
}

// -----

// A merged source.
func.func @merged(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %a = arith.constant dense<1.0> : tensor<1x4xf32>
  %b = arith.constant dense<1.0> : tensor<3x1xf32>
  %y = peft.linear %x, %w layout out_in role q path "l.q_proj" : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  %z1 = peft.lora %x, %y, %a, %b scale 2.0 adapter "a" : tensor<?x4xf32>, tensor<?x3xf32>, tensor<1x4xf32>, tensor<3x1xf32>
  // expected-error @below {{peft-combine-adapters: adapter 'b' on layer 'l.q_proj' is merged; only unmerged plain LoRA adapters can be combined}}
  %z2 = peft.lora %x, %z1, %a, %b scale 1.0 adapter "b" merged : tensor<?x4xf32>, tensor<?x3xf32>, tensor<1x4xf32>, tensor<3x1xf32>
  return %z2 : tensor<?x3xf32>
}

// -----

// The new name is taken.
func.func @taken(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %a = arith.constant dense<1.0> : tensor<1x4xf32>
  %b = arith.constant dense<1.0> : tensor<3x1xf32>
  %y = peft.linear %x, %w layout out_in role q path "l.q_proj" : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  %z1 = peft.lora %x, %y, %a, %b scale 2.0 adapter "a" : tensor<?x4xf32>, tensor<?x3xf32>, tensor<1x4xf32>, tensor<3x1xf32>
  %z2 = peft.lora %x, %z1, %a, %b scale 1.0 adapter "b" : tensor<?x4xf32>, tensor<?x3xf32>, tensor<1x4xf32>, tensor<3x1xf32>
  // expected-error @below {{peft-combine-adapters: layer 'l.q_proj' already has an adapter named 'combined'}}
  %z3 = peft.lora %x, %z2, %a, %b scale 1.0 adapter "combined" : tensor<?x4xf32>, tensor<?x3xf32>, tensor<1x4xf32>, tensor<3x1xf32>
  return %z3 : tensor<?x3xf32>
}
