// RUN: peft-opt %s -split-input-file --convert-onnx-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @matmul_2d
// CHECK-SAME: %[[A:.*]]: tensor<?x64xf32>, %[[B:.*]]: tensor<64x?xf32>
// CHECK: %[[M:.*]] = tensor.dim %[[A]], %c0
// CHECK: %[[N:.*]] = tensor.dim %[[B]], %c1
// CHECK: %[[E:.*]] = tensor.empty(%[[M]], %[[N]]) : tensor<?x?xf32>
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<?x?xf32>)
// CHECK: linalg.matmul ins(%[[A]], %[[B]] : tensor<?x64xf32>, tensor<64x?xf32>) outs(%[[Z]] : tensor<?x?xf32>)
func.func @matmul_2d(%a: tensor<?x64xf32>, %b: tensor<64x?xf32>) -> tensor<?x?xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<?x64xf32>, tensor<64x?xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// [b, s, K] x [K, N]: rows collapsed into one matmul; the two dynamic
// leading extents come back through tensor.reshape.
// CHECK-LABEL: func.func @matmul_rows
// CHECK-SAME: %[[A:.*]]: tensor<?x?x64xf32>, %[[B:.*]]: tensor<64x32xf32>
// CHECK: %[[D0:.*]] = tensor.dim %[[A]], %c0
// CHECK: %[[D1:.*]] = tensor.dim %[[A]], %c1
// CHECK: %[[X:.*]] = tensor.collapse_shape %[[A]] {{\[\[}}0, 1], [2]] : tensor<?x?x64xf32> into tensor<?x64xf32>
// CHECK: %[[Y:.*]] = linalg.matmul ins(%[[X]], %[[B]] : tensor<?x64xf32>, tensor<64x32xf32>)
// CHECK: %[[S:.*]] = tensor.from_elements %[[D0]], %[[D1]], %{{.*}} : tensor<3xindex>
// CHECK: tensor.reshape %[[Y]](%[[S]]) : (tensor<?x32xf32>, tensor<3xindex>) -> tensor<?x?x32xf32>
func.func @matmul_rows(%a: tensor<?x?x64xf32>, %b: tensor<64x32xf32>) -> tensor<?x?x32xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<?x?x64xf32>, tensor<64x32xf32>) -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}

// -----

// One dynamic leading extent: tensor.expand_shape is safe.
// CHECK-LABEL: func.func @matmul_rows_one_dynamic
// CHECK: %[[D0:.*]] = tensor.dim %{{.*}}, %c0
// CHECK: %[[Y:.*]] = linalg.matmul
// CHECK: tensor.expand_shape %[[Y]] {{\[\[}}0, 1], [2]] output_shape [%[[D0]], 8, 32] : tensor<?x32xf32> into tensor<?x8x32xf32>
func.func @matmul_rows_one_dynamic(%a: tensor<?x8x64xf32>, %b: tensor<64x32xf32>) -> tensor<?x8x32xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<?x8x64xf32>, tensor<64x32xf32>) -> tensor<?x8x32xf32>
  return %y : tensor<?x8x32xf32>
}

// -----

// Batched x batched (attention scores): batch dims collapsed, one
// linalg.batch_matmul, batch dims restored.
// CHECK-LABEL: func.func @matmul_batched
// CHECK-SAME: %[[A:.*]]: tensor<?x4x?x16xf32>, %[[B:.*]]: tensor<?x4x16x?xf32>
// CHECK: %[[X:.*]] = tensor.collapse_shape %[[A]] {{\[\[}}0, 1], [2], [3]] : tensor<?x4x?x16xf32> into tensor<?x?x16xf32>
// CHECK: %[[W:.*]] = tensor.collapse_shape %[[B]] {{\[\[}}0, 1], [2], [3]] : tensor<?x4x16x?xf32> into tensor<?x16x?xf32>
// CHECK: %[[Z:.*]] = linalg.batch_matmul ins(%[[X]], %[[W]] : tensor<?x?x16xf32>, tensor<?x16x?xf32>) outs(%{{.*}} : tensor<?x?x?xf32>)
// CHECK: tensor.expand_shape %[[Z]] {{\[\[}}0, 1], [2], [3]] output_shape [%{{.*}}, 4, %{{.*}}, %{{.*}}] : tensor<?x?x?xf32> into tensor<?x4x?x?xf32>
func.func @matmul_batched(%a: tensor<?x4x?x16xf32>, %b: tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  return %y : tensor<?x4x?x?xf32>
}

// -----

// Broadcast batch dims: one generic; the static unit batch extent of A is
// read at 0.
// CHECK-DAG: #[[MAPA:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d2, d4)>
// CHECK-DAG: #[[MAPB:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
// CHECK-DAG: #[[MAPY:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @matmul_broadcast
// CHECK: linalg.generic {indexing_maps = [#[[MAPA]], #[[MAPB]], #[[MAPY]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%{{.*}} : tensor<2x5x3x6xf32>)
// CHECK: %[[P:.*]] = arith.mulf
// CHECK: arith.addf %{{.*}}, %[[P]]
func.func @matmul_broadcast(%a: tensor<2x1x3x4xf32>, %b: tensor<5x4x6xf32>) -> tensor<2x5x3x6xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<2x1x3x4xf32>, tensor<5x4x6xf32>) -> tensor<2x5x3x6xf32>
  return %y : tensor<2x5x3x6xf32>
}

// -----

// 1-D operands (integers): vecmat, matvec, dot.
// CHECK-LABEL: func.func @matmul_vectors
// CHECK: linalg.vecmat ins(%{{.*}} : tensor<4xi32>, tensor<4x3xi32>)
// CHECK: linalg.matvec ins(%{{.*}} : tensor<3x4xi32>, tensor<4xi32>)
// CHECK: linalg.dot ins(%{{.*}} : tensor<4xi32>, tensor<4xi32>) outs(%{{.*}} : tensor<i32>)
func.func @matmul_vectors(%v: tensor<4xi32>, %m: tensor<4x3xi32>, %n: tensor<3x4xi32>) -> (tensor<3xi32>, tensor<3xi32>, tensor<i32>) {
  %a = "onnx.MatMul"(%v, %m) : (tensor<4xi32>, tensor<4x3xi32>) -> tensor<3xi32>
  %b = "onnx.MatMul"(%n, %v) : (tensor<3x4xi32>, tensor<4xi32>) -> tensor<3xi32>
  %c = "onnx.MatMul"(%v, %v) : (tensor<4xi32>, tensor<4xi32>) -> tensor<i32>
  return %a, %b, %c : tensor<3xi32>, tensor<3xi32>, tensor<i32>
}

// -----

// Gemm(transB) with a bias row: C broadcast into the accumulator, B read
// transposed through the matmul's indexing maps.
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[BT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @gemm_trans_b
// CHECK-SAME: %[[AV:.*]]: tensor<?x3xf32>, %[[BV:.*]]: tensor<4x3xf32>, %[[CV:.*]]: tensor<4xf32>
// CHECK: %[[INIT:.*]] = linalg.generic {indexing_maps = [#[[ROW]], #{{.*}}]
// CHECK-SAME: ins(%[[CV]] : tensor<4xf32>) outs(%{{.*}} : tensor<?x4xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: linalg.matmul indexing_maps = [#[[A]], #[[BT]], #[[Y]]] ins(%[[AV]], %[[BV]] : tensor<?x3xf32>, tensor<4x3xf32>) outs(%[[INIT]] : tensor<?x4xf32>)
func.func @gemm_trans_b(%a: tensor<?x3xf32>, %b: tensor<4x3xf32>, %c: tensor<4xf32>) -> tensor<?x4xf32> {
  %y = "onnx.Gemm"(%a, %b, %c) <{transB = 1 : i64}> : (tensor<?x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// transA, alpha, beta and a [1, N] C: zero accumulator, then
// alpha * acc + beta * C.
// CHECK-DAG: #[[AT:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[CROW:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @gemm_scaled
// CHECK: %[[Y:.*]] = linalg.matmul indexing_maps = [#[[AT]], #{{.*}}, #{{.*}}] ins(%{{.*}} : tensor<3x?xf32>, tensor<3x4xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[CROW]], #{{.*}}]
// CHECK-SAME: ins(%[[Y]], %{{.*}} : tensor<?x4xf32>, tensor<1x4xf32>)
// CHECK: %[[AL:.*]] = arith.constant 2.000000e+00 : f32
// CHECK: arith.mulf %{{.*}}, %[[AL]]
// CHECK: %[[BE:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: arith.mulf %{{.*}}, %[[BE]]
// CHECK: arith.addf
func.func @gemm_scaled(%a: tensor<3x?xf32>, %b: tensor<3x4xf32>, %c: tensor<1x4xf32>) -> tensor<?x4xf32> {
  %y = "onnx.Gemm"(%a, %b, %c) <{transA = 1 : i64, alpha = 2.0 : f32, beta = 0.5 : f32}> : (tensor<3x?xf32>, tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// Attention scores: b, h, i, j parallel, d reduced.
// CHECK-DAG: #[[Q:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-DAG: #[[K:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
// CHECK-DAG: #[[S:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @einsum_scores
// CHECK-SAME: %[[QV:.*]]: tensor<?x8x?x64xf32>, %[[KV:.*]]: tensor<?x8x?x64xf32>
// CHECK-DAG: %[[B:.*]] = tensor.dim %[[QV]], %c0
// CHECK-DAG: %[[I:.*]] = tensor.dim %[[QV]], %c2
// CHECK-DAG: %[[J:.*]] = tensor.dim %[[KV]], %c2
// CHECK: %[[E:.*]] = tensor.empty(%[[B]], %[[I]], %[[J]]) : tensor<?x8x?x?xf32>
// CHECK: linalg.generic {indexing_maps = [#[[Q]], #[[K]], #[[S]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[QV]], %[[KV]] : tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>)
func.func @einsum_scores(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32> {
  %s = "onnx.Einsum"(%q, %k) <{equation = "bhid,bhjd->bhij"}> : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  return %s : tensor<?x8x?x?xf32>
}

// -----

// Attention output: bhij,bhjd->bhid, j reduced.
// CHECK-DAG: #[[P:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-DAG: #[[V:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
// CHECK-LABEL: func.func @einsum_context
// CHECK: linalg.generic {indexing_maps = [#[[P]], #[[V]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%{{.*}} : tensor<?x8x?x64xf32>)
func.func @einsum_context(%p: tensor<?x8x?x?xf32>, %v: tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32> {
  %o = "onnx.Einsum"(%p, %v) <{equation = "bhij,bhjd->bhid"}> : (tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}

// -----

// A label repeated in one term reads the diagonal: both dims use one loop.
// Implicit output: a repeated label is summed (the trace).
// CHECK-DAG: #[[DIAG:.*]] = affine_map<(d0, d1) -> (d0, d1, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[TR:.*]] = affine_map<(d0) -> (d0, d0)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @einsum_diagonal
// CHECK-SAME: %[[X:.*]]: tensor<?x5x5xf64>, %[[M:.*]]: tensor<3x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[DIAG]], #[[OUT]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<?x5x5xf64>) outs(%{{.*}} : tensor<?x5xf64>)
// CHECK: linalg.generic {indexing_maps = [#[[TR]], #[[SCALAR]]], iterator_types = ["reduction"]}
// CHECK-SAME: ins(%[[M]] : tensor<3x3xf32>) outs(%{{.*}} : tensor<f32>)
func.func @einsum_diagonal(%x: tensor<?x5x5xf64>, %m: tensor<3x3xf32>) -> (tensor<?x5xf64>, tensor<f32>) {
  %y = "onnx.Einsum"(%x) <{equation = "...ii ->...i"}> : (tensor<?x5x5xf64>) -> tensor<?x5xf64>
  %t = "onnx.Einsum"(%m) <{equation = "ii"}> : (tensor<3x3xf32>) -> tensor<f32>
  return %y, %t : tensor<?x5xf64>, tensor<f32>
}

// -----

// ij,jk->ik; bij,jk->bik; an implicit output ("ji,kj" is "ik" sorted).
// CHECK-DAG: #[[IJ:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[JK:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[JI:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[KJ:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[BIJ:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[JK4:.*]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK-LABEL: func.func @einsum_matrices
// CHECK: linalg.generic {indexing_maps = [#[[IJ]], #[[JK]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: } -> tensor<3x5xf32>
// CHECK: linalg.generic {indexing_maps = [#[[BIJ]], #[[JK4]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK: } -> tensor<?x3x5xf32>
// CHECK: linalg.generic {indexing_maps = [#[[JI]], #[[KJ]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: } -> tensor<5x3xf32>
func.func @einsum_matrices(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>, %c: tensor<?x3x4xf32>) -> (tensor<3x5xf32>, tensor<?x3x5xf32>, tensor<5x3xf32>) {
  %m = "onnx.Einsum"(%a, %b) <{equation = "ij,jk->ik"}> : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  %n = "onnx.Einsum"(%c, %b) <{equation = "bij,jk->bik"}> : (tensor<?x3x4xf32>, tensor<4x5xf32>) -> tensor<?x3x5xf32>
  %t = "onnx.Einsum"(%b, %a) <{equation = "ji, kj"}> : (tensor<4x5xf32>, tensor<3x4xf32>) -> tensor<5x3xf32>
  return %m, %n, %t : tensor<3x5xf32>, tensor<?x3x5xf32>, tensor<5x3xf32>
}

// -----

// Ellipsis dims are right-aligned and broadcast (a static 1 reads index 0).
// CHECK-DAG: #[[L:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-DAG: #[[R:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (0, d4, d3)>
// CHECK-LABEL: func.func @einsum_ellipsis
// CHECK: linalg.generic {indexing_maps = [#[[L]], #[[R]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK: } -> tensor<?x6x2x5xf32>
func.func @einsum_ellipsis(%a: tensor<?x6x2x3xf32>, %b: tensor<1x3x5xf32>) -> tensor<?x6x2x5xf32> {
  %y = "onnx.Einsum"(%a, %b) <{equation = "...ij,...jk->...ik"}> : (tensor<?x6x2x3xf32>, tensor<1x3x5xf32>) -> tensor<?x6x2x5xf32>
  return %y : tensor<?x6x2x5xf32>
}

// -----

// A single operand: a sum over j with a transpose.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d2, d1, d0)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @einsum_unary
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
func.func @einsum_unary(%a: tensor<2x3x4xf32>) -> tensor<4x3xf32> {
  %y = "onnx.Einsum"(%a) <{equation = "jik->ki"}> : (tensor<2x3x4xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

// uint8 A with a per-row zero point, int8 B: widened to i32 (extui/extsi),
// then the MatMul lowering on i32.
// CHECK-DAG: #[[ROWZP:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @matmul_integer
// CHECK-SAME: %[[A:.*]]: tensor<?x3xi8>, %[[B:.*]]: tensor<3x2xi8>, %[[AZ:.*]]: tensor<?xi8>
// CHECK: %[[XA:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[ROWZP]], #{{.*}}]
// CHECK-SAME: ins(%[[A]], %[[AZ]] : tensor<?x3xi8>, tensor<?xi8>) outs(%{{.*}} : tensor<?x3xi32>)
// CHECK: %[[EA:.*]] = arith.extui %{{.*}} : i8 to i32
// CHECK: %[[EZ:.*]] = arith.extui %{{.*}} : i8 to i32
// CHECK: arith.subi %[[EA]], %[[EZ]] : i32
// CHECK: %[[XB:.*]] = linalg.generic
// CHECK-SAME: ins(%[[B]] : tensor<3x2xi8>) outs(%{{.*}} : tensor<3x2xi32>)
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: linalg.matmul ins(%[[XA]], %[[XB]] : tensor<?x3xi32>, tensor<3x2xi32>)
func.func @matmul_integer(%a: tensor<?x3xui8>, %b: tensor<3x2xi8>, %az: tensor<?xui8>) -> tensor<?x2xi32> {
  %none = onnx.none
  %y = "onnx.MatMulInteger"(%a, %b, %az, %none) : (tensor<?x3xui8>, tensor<3x2xi8>, tensor<?xui8>, none) -> tensor<?x2xi32>
  return %y : tensor<?x2xi32>
}

// -----

// Per axis (negative axis) with zero points; per block of 32 along axis 1.
// CHECK-DAG: #[[AXIS:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[BLOCK:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 32)>
// CHECK-LABEL: func.func @dequantize
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[AXIS]], #[[AXIS]], #{{.*}}]
// CHECK: %[[X:.*]] = arith.extsi %{{.*}} : i8 to i32
// CHECK: %[[Z:.*]] = arith.extsi %{{.*}} : i8 to i32
// CHECK: %[[D:.*]] = arith.subi %[[X]], %[[Z]] : i32
// CHECK: %[[F:.*]] = arith.sitofp %[[D]] : i32 to f32
// CHECK: arith.mulf %[[F]], %{{.*}} : f32
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[BLOCK]], #{{.*}}]
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<4x64xi8>, tensor<4x2xf16>)
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.sitofp %{{.*}} : i32 to f16
func.func @dequantize(%x: tensor<?x4xi8>, %s: tensor<4xf32>, %z: tensor<4xi8>, %xb: tensor<4x64xui8>, %sb: tensor<4x2xf16>) -> (tensor<?x4xf32>, tensor<4x64xf16>) {
  %y = "onnx.DequantizeLinear"(%x, %s, %z) <{axis = -1 : i64}> : (tensor<?x4xi8>, tensor<4xf32>, tensor<4xi8>) -> tensor<?x4xf32>
  %none = onnx.none
  %w = "onnx.DequantizeLinear"(%xb, %sb, %none) <{axis = 1 : i64, block_size = 32 : i64}> : (tensor<4x64xui8>, tensor<4x2xf16>, none) -> tensor<4x64xf16>
  return %y, %w : tensor<?x4xf32>, tensor<4x64xf16>
}

// -----

// uint8 output: divide, round half to even, add the zero point, clamp to
// [0, 255], convert unsigned.
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @quantize
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[SCALAR]], #[[SCALAR]], #{{.*}}]
// CHECK-SAME: outs(%{{.*}} : tensor<?x4xi8>)
// CHECK: %[[V:.*]] = arith.divf
// CHECK: %[[ZP:.*]] = arith.uitofp %{{.*}} : i8 to f32
// CHECK: %[[R:.*]] = math.roundeven %[[V]] : f32
// CHECK: %[[S:.*]] = arith.addf %[[R]], %[[ZP]]
// CHECK: %[[LO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[C1:.*]] = arith.maximumf %[[S]], %[[LO]]
// CHECK: %[[HI:.*]] = arith.constant 2.550000e+02 : f32
// CHECK: %[[C2:.*]] = arith.minimumf %[[C1]], %[[HI]]
// CHECK: arith.fptoui %[[C2]] : f32 to i8
func.func @quantize(%x: tensor<?x4xf32>, %s: tensor<f32>, %z: tensor<ui8>) -> tensor<?x4xui8> {
  %y = "onnx.QuantizeLinear"(%x, %s, %z) : (tensor<?x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<?x4xui8>
  return %y : tensor<?x4xui8>
}

// -----

// int8 output without zero point: clamp to [-128, 127], signed conversion.
// CHECK-LABEL: func.func @quantize_int8
// CHECK: arith.constant -1.280000e+02 : f32
// CHECK: arith.constant 1.270000e+02 : f32
// CHECK: arith.fptosi %{{.*}} : f32 to i8
func.func @quantize_int8(%x: tensor<?x4xf32>, %s: tensor<4xf32>, %z: tensor<4xi8>) -> tensor<?x4xi8> {
  %y = "onnx.QuantizeLinear"(%x, %s, %z) : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xi8>) -> tensor<?x4xi8>
  return %y : tensor<?x4xi8>
}

// -----

// The range of x (with 0) from one two-output reduction, then scalar scale
// and zero point, then the quantizing generic.
// CHECK-LABEL: func.func @dynamic_quantize
// CHECK: %[[MM:.*]]:2 = linalg.generic
// CHECK-SAME: iterator_types = ["reduction", "reduction"]
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK: %[[LO:.*]] = tensor.extract %[[MM]]#0[] : tensor<f32>
// CHECK: %[[HI:.*]] = tensor.extract %[[MM]]#1[] : tensor<f32>
// CHECK: %[[RANGE:.*]] = arith.subf %[[HI]], %[[LO]]
// CHECK: %[[ZERO:.*]] = arith.cmpf oeq, %[[RANGE]]
// CHECK: %[[SCALE:.*]] = arith.select %[[ZERO]]
// CHECK: %[[ZPI:.*]] = arith.fptoui %{{.*}} : f32 to i8
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK: arith.divf %{{.*}}, %[[SCALE]]
// CHECK: %[[S:.*]] = tensor.from_elements %[[SCALE]] : tensor<f32>
// CHECK: %[[Z:.*]] = tensor.from_elements %[[ZPI]] : tensor<i8>
// CHECK: return %[[Y]], %[[S]], %[[Z]] : tensor<?x4xi8>, tensor<f32>, tensor<i8>
func.func @dynamic_quantize(%x: tensor<?x4xf32>) -> (tensor<?x4xui8>, tensor<f32>, tensor<ui8>) {
  %y, %s, %z = "onnx.DynamicQuantizeLinear"(%x) : (tensor<?x4xf32>) -> (tensor<?x4xui8>, tensor<f32>, tensor<ui8>)
  return %y, %s, %z : tensor<?x4xui8>, tensor<f32>, tensor<ui8>
}

// -----

// MatMulNBits: the 4-bit weight is dequantized into a float [N, K] tensor
// (block = k / 32, nibble = (k % 32) % 2, default zero point 8), then
// A·Wᵀ through the matmul's indexing maps.
// CHECK-DAG: #[[WT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @matmul_nbits
// CHECK-SAME: %[[A:.*]]: tensor<?x?x64xf32>, %[[B:.*]]: tensor<32x2x16xi8>, %[[S:.*]]: tensor<32x2xf32>
// CHECK: %[[W:.*]] = linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<32x64xf32>)
// CHECK: %[[N:.*]] = linalg.index 0
// CHECK: %[[K:.*]] = linalg.index 1
// CHECK: %[[KB:.*]] = arith.divui %[[K]], %c32
// CHECK: %[[IN:.*]] = arith.remui %[[K]], %c32
// CHECK: %[[BYTE:.*]] = arith.divui %[[IN]], %c2
// CHECK: %[[POS:.*]] = arith.remui %[[IN]], %c2
// CHECK: %[[PACKED:.*]] = tensor.extract %[[B]][%[[N]], %[[KB]], %[[BYTE]]] : tensor<32x2x16xi8>
// CHECK: arith.extui %[[PACKED]] : i8 to i32
// CHECK: arith.shrui
// CHECK: arith.andi %{{.*}}, %c15_i32
// CHECK: %[[Q:.*]] = arith.uitofp
// CHECK: %[[SC:.*]] = tensor.extract %[[S]][%[[N]], %[[KB]]] : tensor<32x2xf32>
// CHECK: %[[ZP:.*]] = arith.constant 8.000000e+00 : f32
// CHECK: %[[D:.*]] = arith.subf %[[Q]], %[[ZP]]
// CHECK: arith.mulf %[[D]], %[[SC]]
// CHECK: %[[X:.*]] = tensor.collapse_shape %[[A]] {{\[\[}}0, 1], [2]]
// CHECK: %[[Y:.*]] = linalg.matmul indexing_maps = [#{{.*}}, #[[WT]], #{{.*}}] ins(%[[X]], %[[W]] : tensor<?x64xf32>, tensor<32x64xf32>)
// CHECK: tensor.reshape %[[Y]]
func.func @matmul_nbits(%a: tensor<?x?x64xf32>, %b: tensor<32x2x16xui8>, %s: tensor<32x2xf32>) -> tensor<?x?x32xf32> {
  %none = onnx.none
  %y = "onnx.MatMulNBits"(%a, %b, %s, %none, %none, %none) <{K = 64 : i64, N = 32 : i64, bits = 4 : i64, block_size = 32 : i64}> : (tensor<?x?x64xf32>, tensor<32x2x16xui8>, tensor<32x2xf32>, none, none, none) -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}

// -----

// Packed uint8 zero points (flat scales) and a bias.
// CHECK-LABEL: func.func @matmul_nbits_zero_points
// CHECK: linalg.generic
// CHECK: %[[ZB:.*]] = tensor.extract %{{.*}} : tensor<4xi8>
// CHECK: arith.extui %[[ZB]] : i8 to i32
// CHECK: linalg.matmul
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4xf32>)
// CHECK: arith.addf
func.func @matmul_nbits_zero_points(%a: tensor<?x64xf32>, %b: tensor<4x2x16xui8>, %s: tensor<8xf32>, %z: tensor<4xui8>, %bias: tensor<4xf32>) -> tensor<?x4xf32> {
  %none = onnx.none
  %y = "onnx.MatMulNBits"(%a, %b, %s, %z, %none, %bias) <{K = 64 : i64, N = 4 : i64, bits = 4 : i64, block_size = 32 : i64}> : (tensor<?x64xf32>, tensor<4x2x16xui8>, tensor<8xf32>, tensor<4xui8>, none, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
