// RUN: peft-opt %s -split-input-file --peft-select-rank="policy=distance reference=ref report=none" -verify-diagnostics
// RUN: not peft-opt %s --peft-select-rank="policy=energy tau=1.5" 2>&1 | FileCheck %s --check-prefix=TAU
// RUN: not peft-opt %s --peft-select-rank="policy=distance" 2>&1 | FileCheck %s --check-prefix=NOREF
// RUN: not peft-opt %s --peft-select-rank="policy=distance reference=ref rmin=4 rmax=2" 2>&1 | FileCheck %s --check-prefix=BOUNDS
// RUN: not peft-opt %s -split-input-file --peft-select-rank="adapters=dora" 2>&1 | FileCheck %s --check-prefix=DORA

// TAU: error: peft-select-rank: the energy threshold tau must be in (0, 1], not 1.5
// NOREF: error: peft-select-rank: policy=distance needs reference=<adapter>
// BOUNDS: error: peft-select-rank: the distance policy needs 0 <= rmin <= rmax, not rmin 4, rmax 2
// DORA: error: peft-select-rank: adapter 'dora' on layer 'l.q_proj' is a DoRA adapter; only unmerged plain LoRA adapters can be re-ranked

// A layer without the reference adapter.
func.func @noref(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %a = arith.constant dense<1.0> : tensor<1x4xf32>
  %b = arith.constant dense<1.0> : tensor<3x1xf32>
  %m = arith.constant dense<1.0> : tensor<3xf32>
  %y = peft.linear %x, %w layout out_in role q path "l.q_proj" : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  // DoRA adapters are skipped unless named.
  %z0 = peft.lora %x, %y, %a, %b magnitude %m scale 1.0 adapter "dora" : tensor<?x4xf32>, tensor<?x3xf32>, tensor<1x4xf32>, tensor<3x1xf32>, tensor<3xf32>
  // expected-error @below {{peft-select-rank: layer 'l.q_proj' has no reference adapter 'ref'}}
  %z1 = peft.lora %x, %z0, %a, %b scale 2.0 adapter "task" : tensor<?x4xf32>, tensor<?x3xf32>, tensor<1x4xf32>, tensor<3x1xf32>
  return %z1 : tensor<?x3xf32>
}
