// RUN: peft-opt %s -split-input-file -peft-instrument-calibration="statistics=inputs" | FileCheck %s
// RUN: peft-opt %s -split-input-file -peft-instrument-calibration="statistics=inputs keep-outputs=false" | FileCheck %s --check-prefix=DROP

// q and k read the same value: one sum, two keys. The count is the product
// of the leading dimensions.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<?x8x16xf32> {onnx.name = "y"},
// CHECK-SAME: tensor<16x16xf32> {onnx.name = "attn.q_proj.input_xtx", peft.calibration = ["attn.q_proj.input_xtx", "attn.k_proj.input_xtx"]},
// CHECK-SAME: tensor<1xi64> {onnx.name = "attn.q_proj.input_tokens", peft.calibration = ["attn.q_proj.input_tokens", "attn.k_proj.input_tokens"]})
// CHECK: %[[ROWS:.*]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<?x8x16xf32> into tensor<?x16xf32>
// CHECK: %[[INIT:.*]] = linalg.fill
// CHECK: %[[XTX:.*]] = linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[ROWS]], %[[ROWS]] : tensor<?x16xf32>, tensor<?x16xf32>) outs(%[[INIT]] : tensor<16x16xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[B:.*]] = tensor.dim %arg0, %c0
// CHECK: %[[N0:.*]] = arith.muli %{{.*}}, %[[B]]
// CHECK: %[[S:.*]] = tensor.dim %arg0, %c1
// CHECK: %[[N:.*]] = arith.muli %[[N0]], %[[S]]
// CHECK: %[[N64:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK: %[[COUNT:.*]] = tensor.from_elements %[[N64]] : tensor<1xi64>
// CHECK: return %{{.*}}, %[[XTX]], %[[COUNT]]

// DROP-LABEL: func.func @main
// DROP-SAME: -> (tensor<16x16xf32> {onnx.name = "attn.q_proj.input_xtx"
// DROP: return %{{.*}}, %{{.*}} : tensor<16x16xf32>, tensor<1xi64>
func.func @main(%x: tensor<?x8x16xf32> {onnx.name = "x"}, %w: tensor<16x16xf32>) -> (tensor<?x8x16xf32> {onnx.name = "y"}) {
  %0 = peft.linear %x, %w layout out_in role q path "attn.q_proj" : tensor<?x8x16xf32>, tensor<16x16xf32> -> tensor<?x8x16xf32>
  %1 = peft.linear %x, %w layout out_in role k path "attn.k_proj" : tensor<?x8x16xf32>, tensor<16x16xf32> -> tensor<?x8x16xf32>
  %2 = arith.addf %0, %1 : tensor<?x8x16xf32>
  return %2 : tensor<?x8x16xf32>
}

// -----

// f16 activations are summed in f32; features known from the weight only
// (a run-time reshape) come from a tensor.cast; a 2-D input is used as is.
// CHECK-LABEL: func.func @half
// CHECK-SAME: tensor<16x16xf32> {onnx.name = "o_proj.input_xtx"
// CHECK: %[[CAST:.*]] = tensor.cast %arg0 : tensor<?x?xf16> to tensor<?x16xf16>
// CHECK: linalg.generic {{.*}} ins(%[[CAST]], %[[CAST]] : tensor<?x16xf16>, tensor<?x16xf16>) outs(%{{.*}} : tensor<16x16xf32>)
// CHECK: ^bb0(%[[A:.*]]: f16, %[[B:.*]]: f16, %[[ACC:.*]]: f32):
// CHECK: %[[AE:.*]] = arith.extf %[[A]] : f16 to f32
// CHECK: %[[BE:.*]] = arith.extf %[[B]] : f16 to f32
// CHECK: %[[P:.*]] = arith.mulf %[[AE]], %[[BE]] : f32
// CHECK: arith.addf %[[ACC]], %[[P]] : f32
func.func @half(%x: tensor<?x?xf16>, %w: tensor<16x16xf16>) -> tensor<?x16xf16> {
  %0 = peft.linear %x, %w layout out_in role o path "o_proj" : tensor<?x?xf16>, tensor<16x16xf16> -> tensor<?x16xf16>
  return %0 : tensor<?x16xf16>
}
