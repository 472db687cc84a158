// peft.lowrank lowers to two skinny matmuls reading U and V transposed
// through their indexing maps (no copy, never U·V), then the bias add; f16
// accumulates in f32 and rounds x·Vᵀ to f16 before the second product.
// RUN: peft-opt %s --split-input-file --convert-peft-to-linalg | FileCheck %s

// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[RHST:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @lowrank_f32
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[U:.*]]: tensor<6x2xf32>, %[[V:.*]]: tensor<2x8xf32>, %[[B:.*]]: tensor<6xf32>)
// CHECK: %[[T:.*]] = linalg.matmul indexing_maps = [#[[LHS]], #[[RHST]], #{{.*}}] ins(%[[X]], %[[V]] : tensor<?x8xf32>, tensor<2x8xf32>) outs(%{{.*}} : tensor<?x2xf32>)
// CHECK: %[[Y:.*]] = linalg.matmul indexing_maps = [#[[LHS]], #[[RHST]], #{{.*}}] ins(%[[T]], %[[U]] : tensor<?x2xf32>, tensor<6x2xf32>) outs(%{{.*}} : tensor<?x6xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[Y]], %[[B]] : tensor<?x6xf32>, tensor<6xf32>)
// CHECK-NOT: peft.lowrank
func.func @lowrank_f32(%x: tensor<?x8xf32>, %u: tensor<6x2xf32>, %v: tensor<2x8xf32>, %b: tensor<6xf32>) -> tensor<?x6xf32> {
  %y = peft.lowrank %x, %u, %v, %b role up : tensor<?x8xf32>, tensor<6x2xf32>, tensor<2x8xf32>, tensor<6xf32> -> tensor<?x6xf32>
  return %y : tensor<?x6xf32>
}

// -----

// CHECK-LABEL: func.func @lowrank_f16
// CHECK: %[[T:.*]] = linalg.matmul {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x8xf16>, tensor<2x8xf16>) outs(%{{.*}} : tensor<4x2xf32>)
// CHECK: %[[T16:.*]] = linalg.generic {{.*}} ins(%[[T]] : tensor<4x2xf32>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: linalg.matmul {{.*}} ins(%[[T16]], %{{.*}} : tensor<4x2xf16>, tensor<6x2xf16>) outs(%{{.*}} : tensor<4x6xf32>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @lowrank_f16(%x: tensor<4x8xf16>, %u: tensor<6x2xf16>, %v: tensor<2x8xf16>) -> tensor<4x6xf16> {
  %y = peft.lowrank %x, %u, %v role up : tensor<4x8xf16>, tensor<6x2xf16>, tensor<2x8xf16> -> tensor<4x6xf16>
  return %y : tensor<4x6xf16>
}
