// peft-cpu-vectorize-tiles: static tiles marked peft.matmul_tile become a
// vector.contract between transfers; dynamic ones stay scalar, and the mark
// is gone from both; unmarked ops are left alone.
// RUN: peft-opt %s -split-input-file --peft-cpu-vectorize-tiles | FileCheck %s

// CHECK-DAG:   #[[MA:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG:   #[[MB:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG:   #[[MC:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @tile(
// CHECK-SAME:      %[[A:.*]]: tensor<8x1xf32>, %[[B:.*]]: tensor<1x32xf32>, %[[C:.*]]: tensor<8x32xf32>)
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[VA:.*]] = vector.transfer_read %[[A]][%[[C0]], %[[C0]]], %[[ZERO]] {in_bounds = [true, true]} : tensor<8x1xf32>, vector<8x1xf32>
// CHECK:         %[[VB:.*]] = vector.transfer_read %[[B]][%[[C0]], %[[C0]]], %[[ZERO]] {in_bounds = [true, true]} : tensor<1x32xf32>, vector<1x32xf32>
// CHECK:         %[[VC:.*]] = vector.transfer_read %[[C]][%[[C0]], %[[C0]]], %[[ZERO]] {in_bounds = [true, true]} : tensor<8x32xf32>, vector<8x32xf32>
// CHECK:         %[[VR:.*]] = vector.contract {indexing_maps = [#[[MA]], #[[MB]], #[[MC]]], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}
// CHECK-SAME:        %[[VA]], %[[VB]], %[[VC]] : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK:         %[[R:.*]] = vector.transfer_write %[[VR]], %[[C]][%[[C0]], %[[C0]]] {in_bounds = [true, true]} : vector<8x32xf32>, tensor<8x32xf32>
// CHECK:         return %[[R]]
func.func @tile(%a: tensor<8x1xf32>, %b: tensor<1x32xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.matmul {peft.matmul_tile = array<i64: 0, 1, 0, 0>}
         ins(%a, %b : tensor<8x1xf32>, tensor<1x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// CHECK-LABEL: func.func @batch_tile(
// CHECK:         vector.contract
// CHECK-SAME:        vector<1x8x1xf32>, vector<1x1x32xf32> into vector<1x8x32xf32>
// CHECK-NOT:     linalg.batch_matmul
func.func @batch_tile(%a: tensor<1x8x1xf32>, %b: tensor<1x1x32xf32>, %c: tensor<1x8x32xf32>) -> tensor<1x8x32xf32> {
  %r = linalg.batch_matmul {peft.matmul_tile = array<i64: 1, 2, 0, 0>}
         ins(%a, %b : tensor<1x8x1xf32>, tensor<1x1x32xf32>) outs(%c : tensor<1x8x32xf32>) -> tensor<1x8x32xf32>
  return %r : tensor<1x8x32xf32>
}

// -----

// CHECK-LABEL: func.func @remainder(
// CHECK-SAME:      %[[A:.*]]: tensor<?x1xf32>, %[[B:.*]]: tensor<1x32xf32>, %[[C:.*]]: tensor<?x32xf32>)
// CHECK:         %[[R:.*]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<?x1xf32>, tensor<1x32xf32>) outs(%[[C]] : tensor<?x32xf32>)
// CHECK-NOT:     vector.
// CHECK:         return %[[R]]
func.func @remainder(%a: tensor<?x1xf32>, %b: tensor<1x32xf32>, %c: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %r = linalg.matmul {peft.matmul_tile = array<i64: 0, 1, 1, 0>}
         ins(%a, %b : tensor<?x1xf32>, tensor<1x32xf32>) outs(%c : tensor<?x32xf32>) -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// -----

// CHECK-LABEL: func.func @unmarked(
// CHECK:         %[[R:.*]] = linalg.matmul ins(
// CHECK-NOT:     vector.
// CHECK:         return %[[R]]
func.func @unmarked(%a: tensor<8x1xf32>, %b: tensor<1x32xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x1xf32>, tensor<1x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}
