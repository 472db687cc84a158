// RUN: peft-opt %s -split-input-file --convert-peft-to-linalg | FileCheck %s
// RUN: peft-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(convert-peft-to-linalg))' | FileCheck %s

// out_in: the weight is read transposed through the matmul's indexing maps.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[RHST:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @out_in_bias
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x4xf32>, %[[W:.*]]: tensor<3x4xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK:      %[[X2:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<?x?x4xf32> into tensor<?x4xf32>
// CHECK:      %[[ROWS:.*]] = tensor.dim %[[X2]], %{{.*}} : tensor<?x4xf32>
// CHECK:      %[[EMPTY:.*]] = tensor.empty(%[[ROWS]]) : tensor<?x3xf32>
// CHECK:      %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[EMPTY]] : tensor<?x3xf32>)
// CHECK:      %[[MM:.*]] = linalg.matmul indexing_maps = [#[[LHS]], #[[RHST]], #[[OUT]]] ins(%[[X2]], %[[W]] : tensor<?x4xf32>, tensor<3x4xf32>) outs(%[[ZERO]] : tensor<?x3xf32>)
// CHECK:      %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[MM]], %[[B]] : tensor<?x3xf32>, tensor<3xf32>)
// CHECK:        arith.addf
// CHECK:      %[[D0:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?x4xf32>
// CHECK:      %[[D1:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?x4xf32>
// CHECK:      %[[SHAPE:.*]] = tensor.from_elements %[[D0]], %[[D1]], %{{.*}} : tensor<3xindex>
// CHECK:      %[[Y:.*]] = tensor.reshape %[[SUM]](%[[SHAPE]]) : (tensor<?x3xf32>, tensor<3xindex>) -> tensor<?x?x3xf32>
// CHECK:      return %[[Y]]
// CHECK-NOT:  peft.linear
func.func @out_in_bias(%x: tensor<?x?x4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>) -> tensor<?x?x3xf32> {
  %y = peft.linear %x, %w, %b layout out_in role q : tensor<?x?x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<?x?x3xf32>
  return %y : tensor<?x?x3xf32>
}

// -----

// in_out on a 2-D input: a plain matmul, no reshapes, no bias.
// CHECK-LABEL: func.func @in_out_matrix
// CHECK-SAME: (%[[X:.*]]: tensor<8x4xf32>, %[[W:.*]]: tensor<4x3xf32>)
// CHECK-NOT:  collapse_shape
// CHECK:      %[[ZERO:.*]] = linalg.fill
// CHECK:      %[[MM:.*]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<8x4xf32>, tensor<4x3xf32>) outs(%[[ZERO]] : tensor<8x3xf32>)
// CHECK-NOT:  linalg.generic
// CHECK:      return %[[MM]]
func.func @in_out_matrix(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>) -> tensor<8x3xf32> {
  %y = peft.linear %x, %w layout in_out role up : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  return %y : tensor<8x3xf32>
}

// -----

// A vector input gets a unit row dimension and loses it again.
// CHECK-LABEL: func.func @vector
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [1, 4] : tensor<4xf16> into tensor<1x4xf16>
// CHECK: linalg.matmul
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1]] : tensor<1x3xf16> into tensor<3xf16>
func.func @vector(%x: tensor<4xf16>, %w: tensor<3x4xf16>) -> tensor<3xf16> {
  %y = peft.linear %x, %w layout out_in role other : tensor<4xf16>, tensor<3x4xf16> -> tensor<3xf16>
  return %y : tensor<3xf16>
}
