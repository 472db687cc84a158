// peft-lowrank-svd: plain truncated SVD (rank, ratio, energy; both layouts;
// bias; adapters stay stacked). Whitened: lowrank-svd-whitened.mlir.
// RUN: peft-opt %s -split-input-file --peft-lowrank-svd="rank=1 targets=l.q report=none" | FileCheck %s
// RUN: peft-opt %s -split-input-file --peft-lowrank-svd="rank=1 targets=l.q" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: peft-opt %s -split-input-file --peft-lowrank-svd="energy=0.99 targets=l.q" -o /dev/null 2>&1 | FileCheck %s --check-prefix=ENERGY
// RUN: peft-opt %s -split-input-file --peft-lowrank-svd="ratio=0.0 targets=l.q report=none" | FileCheck %s --check-prefix=RATIO

// W = [[3,0,0,0],[0,4,0,0],[0,0,0,0]] (out 3, in 4): σ = (4, 3, 0). Rank 1
// keeps the 4: energy kept 16/25, predicted error 3² = 9. Its transpose,
// stored in_out, gives the same layer. Params 12 -> 1·(3 + 4) = 7.

// CHECK-LABEL: func.func @out_in
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[5.000000e-01, -1.000000e+00, 2.000000e+00]> : tensor<3xf32>
// CHECK-DAG: %[[U:.*]] = arith.constant dense_resource<l.q.lowrank_u> : tensor<3x1xf32>
// CHECK-DAG: %[[V:.*]] = arith.constant dense_resource<l.q.lowrank_v> : tensor<1x4xf32>
// CHECK: %[[Y:.*]] = peft.lowrank %{{.*}}, %[[U]], %[[V]], %[[B]] role q path "l.q" : tensor<?x4xf32>, tensor<3x1xf32>, tensor<1x4xf32>, tensor<3xf32> -> tensor<?x3xf32>
// CHECK: peft.lora %{{.*}}, %[[Y]], %{{.*}}, %{{.*}} scale 2.000000e+00
// CHECK-NOT: peft.linear
// CHECK-NOT: l.q.weight

// REPORT: path  rank  params before  params after  energy kept  pred. error
// REPORT: l.q   1     12             7             0.6400       9.000e+00
// REPORT: 1 layer(s) factored

// τ = 0.99 needs both non-zero singular values (16 < 0.99·25 ≤ 25).
// ENERGY: l.q   2     12             14            1.0000       0.000e+00

// ρ = 0: k = floor(12 / 7) = 1.
// RATIO: peft.lowrank %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} role q path "l.q" : tensor<?x4xf32>, tensor<3x1xf32>, tensor<1x4xf32>
func.func @out_in(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<[[3.0, 0.0, 0.0, 0.0], [0.0, 4.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<3x4xf32>
  %b = arith.constant dense<[0.5, -1.0, 2.0]> : tensor<3xf32>
  %a = arith.constant dense<0.25> : tensor<2x4xf32>
  %bb = arith.constant dense<0.5> : tensor<3x2xf32>
  %y = peft.linear %x, %w, %b layout out_in role q path "l.q" : tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %z = peft.lora %x, %y, %a, %bb scale 2.0 : tensor<?x4xf32>, tensor<?x3xf32>, tensor<2x4xf32>, tensor<3x2xf32>
  return %z : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @in_out
// CHECK: peft.lowrank %{{.*}}, %{{.*}}, %{{.*}} role q path "l.q" : tensor<2x4xf32>, tensor<3x1xf32>, tensor<1x4xf32> -> tensor<2x3xf32>
// REPORT: l.q   1     12             7             0.6400       9.000e+00
// ENERGY: l.q   2     12             14            1.0000       0.000e+00
func.func @in_out(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %wt = arith.constant dense<[[3.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]> : tensor<4x3xf32>
  %y = peft.linear %x, %wt layout in_out role q path "l.q" : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
