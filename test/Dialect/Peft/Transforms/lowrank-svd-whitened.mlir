// peft-lowrank-svd{whitening=activation}: SVD of W·S, C = S·Sᵀ from a
// calibration statistics file (Inputs/make_calibration_stats.py).
// RUN: rm -rf %t && %python %S/Inputs/make_calibration_stats.py %t
// RUN: peft-opt %s --peft-lowrank-svd="rank=2 whitening=activation stats=%t/stats.safetensors lambda=0 targets=l.q report=none" | FileCheck %s
// RUN: peft-opt %s --peft-lowrank-svd="rank=2 whitening=activation stats=%t/stats.safetensors lambda=0 targets=l.q" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: peft-opt %s --peft-lowrank-svd="rank=2 whitening=activation stats=%t/few-tokens.safetensors lambda=0 targets=l.q report=none" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FEW

// Whitened: W = I₄, C = diag(16, 9, 4, 1), λ = 0: S = diag(4, 3, 2, 1) and
// W·S = diag(4, 3, 2, 1). Rank 2 keeps the two inputs of largest variance:
// U' = diag(4, 3) on rows 0-1, V' = [[1/4, 0, 0, 0], [0, 1/3, 0, 0]];
// whitened error 2² + 1² = 5 of 30 (kept 25/30).
// CHECK-LABEL: func.func @identity
// CHECK: peft.lowrank %{{.*}}, %{{.*}}, %{{.*}} role q path "l.q" : tensor<?x4xf64>, tensor<4x2xf64>, tensor<2x4xf64> -> tensor<?x4xf64>
// REPORT: path  rank  params before  params after  energy kept  pred. error  rel. whitened error
// REPORT: l.q   2     16             16            0.8333       5.000e+00    1.667e-01
// FEW: warning: peft-lowrank-svd: layer 'l.q' was calibrated on 2 tokens, fewer than its 4 input features: its covariance is rank-deficient (lambda = 0.000000e+00 regularizes it)
func.func @identity(%x: tensor<?x4xf64>) -> tensor<?x4xf64> {
  %w = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf64>
  %y = peft.linear %x, %w layout out_in role q path "l.q" : tensor<?x4xf64>, tensor<4x4xf64> -> tensor<?x4xf64>
  %z = arith.addf %y, %y : tensor<?x4xf64>
  return %z : tensor<?x4xf64>
}
