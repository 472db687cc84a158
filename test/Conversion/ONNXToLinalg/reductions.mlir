// RUN: peft-opt %s -split-input-file --convert-onnx-to-linalg | FileCheck %s

// ReduceMean over attribute axes (one negative) with keepdims (default 1):
// sum into the kept dims, divide by the element count, reinsert unit dims.
// CHECK-DAG: #[[ID:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func.func @reduce_mean_keepdims
// CHECK-SAME: (%[[A:.+]]: tensor<?x3x4xf32>) -> tensor<?x1x1xf32>
// CHECK: %[[D0:.+]] = tensor.dim %[[A]], %{{.+}} : tensor<?x3x4xf32>
// CHECK: %[[E:.+]] = tensor.empty(%[[D0]]) : tensor<?xf32>
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[F:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?xf32>)
// CHECK: %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction", "reduction"]}
// CHECK-SAME: ins(%[[A]] : tensor<?x3x4xf32>) outs(%[[F]] : tensor<?xf32>)
// CHECK: ^bb0(%[[X:.+]]: f32, %[[ACC:.+]]: f32):
// CHECK: arith.addf %[[ACC]], %[[X]] : f32
// CHECK: %[[N:.+]] = arith.constant 1.200000e+01 : f32
// CHECK: %[[MEAN:.+]] = linalg.generic
// CHECK-SAME: ins(%[[SUM]] : tensor<?xf32>)
// CHECK: arith.divf %{{.+}}, %[[N]] : f32
// CHECK: %[[R:.+]] = tensor.expand_shape %[[MEAN]] {{\[}}[0, 1, 2]] output_shape [%{{.+}}, 1, 1] : tensor<?xf32> into tensor<?x1x1xf32>
// CHECK: return %[[R]]
func.func @reduce_mean_keepdims(%a: tensor<?x3x4xf32>) -> tensor<?x1x1xf32> {
  %none = onnx.none
  %y = "onnx.ReduceMean"(%a, %none) <{axes = array<i64: 1, -1>}> : (tensor<?x3x4xf32>, none) -> tensor<?x1x1xf32>
  return %y : tensor<?x1x1xf32>
}

// -----

// A dynamic reduced dim: the count is computed at run time.
// CHECK-LABEL: func.func @reduce_mean_dynamic_count
// CHECK-SAME: (%[[A:.+]]: tensor<2x?xf32>)
// CHECK: %[[C1:.+]] = arith.constant 1 : index
// CHECK: %[[D1:.+]] = tensor.dim %[[A]], %[[C1]] : tensor<2x?xf32>
// CHECK: %[[I:.+]] = arith.index_cast %[[D1]] : index to i64
// CHECK: %[[N:.+]] = arith.sitofp %[[I]] : i64 to f32
// CHECK: arith.divf %{{.+}}, %[[N]] : f32
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
func.func @reduce_mean_dynamic_count(%a: tensor<2x?xf32>) -> tensor<2x1xf32> {
  %none = onnx.none
  %y = "onnx.ReduceMean"(%a, %none) <{axes = array<i64: 1>}> : (tensor<2x?xf32>, none) -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

// Axes from a constant input (opset 13+), keepdims = 0: no expansion, no
// division.
// CHECK-DAG: #[[MID:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @reduce_sum_axes_input
// CHECK: %[[SUM:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #[[MID]]], iterator_types = ["reduction", "parallel", "reduction"]}
// CHECK-NOT: linalg.generic
// CHECK-NOT: tensor.expand_shape
// CHECK: return %[[SUM]] : tensor<?xf32>
func.func @reduce_sum_axes_input(%a: tensor<2x?x4xf32>) -> tensor<?xf32> {
  %axes = arith.constant dense<[0, -1]> : tensor<2xi64>
  %y = "onnx.ReduceSum"(%a, %axes) <{keepdims = 0 : i64}> : (tensor<2x?x4xf32>, tensor<2xi64>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// Axes from a graph initializer (lowered to arith.constant by the
// DataMovement patterns), reinserted after a dynamic kept dim.
// CHECK-DAG: #[[LEAD:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @reduce_sum_initializer_axes
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[LEAD]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0], [1, 2]] output_shape [2, %{{.+}}, 1] : tensor<2x?xf32> into tensor<2x?x1xf32>
func.func @reduce_sum_initializer_axes(%a: tensor<2x?x4xf32>) -> tensor<2x?x1xf32> {
  %axes = onnx.initializer "axes" dense<[-1]> : tensor<1xi64>
  %y = "onnx.ReduceSum"(%a, %axes) : (tensor<2x?x4xf32>, tensor<1xi64>) -> tensor<2x?x1xf32>
  return %y : tensor<2x?x1xf32>
}

// -----

// Leading reduced dims join the group of the first kept dim.
// CHECK-LABEL: func.func @reduce_sum_leading
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2]] output_shape [1, %{{.+}}, 3] : tensor<?x3xf32> into tensor<1x?x3xf32>
func.func @reduce_sum_leading(%a: tensor<5x?x3xf32>) -> tensor<1x?x3xf32> {
  %none = onnx.none
  %y = "onnx.ReduceSum"(%a, %none) <{axes = array<i64: 0>}> : (tensor<5x?x3xf32>, none) -> tensor<1x?x3xf32>
  return %y : tensor<1x?x3xf32>
}

// -----

// No axes: reduce everything (to 0-D, or 1x1 with keepdims), unless
// noop_with_empty_axes makes it the identity.
// CHECK-DAG: #[[ALL:map[0-9]*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @reduce_sum_all
// CHECK-SAME: (%[[A:.+]]: tensor<2x3xi32>)
// CHECK: %[[Z:.+]] = arith.constant 0 : i32
// CHECK: %[[S0:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #[[ALL]]], iterator_types = ["reduction", "reduction"]}
// CHECK: arith.addi %{{.+}}, %{{.+}} : i32
// CHECK: } -> tensor<i32>
// CHECK: %[[S1:.+]] = linalg.generic
// CHECK: } -> tensor<i32>
// CHECK: %[[K:.+]] = tensor.expand_shape %[[S1]] [] output_shape [1, 1] : tensor<i32> into tensor<1x1xi32>
// CHECK: return %[[S0]], %[[K]], %[[A]]
func.func @reduce_sum_all(%a: tensor<2x3xi32>) -> (tensor<i32>, tensor<1x1xi32>, tensor<2x3xi32>) {
  %none = onnx.none
  %y = "onnx.ReduceSum"(%a, %none) <{keepdims = 0 : i64}> : (tensor<2x3xi32>, none) -> tensor<i32>
  %z = "onnx.ReduceSum"(%a, %none) : (tensor<2x3xi32>, none) -> tensor<1x1xi32>
  %w = "onnx.ReduceSum"(%a, %none) <{noop_with_empty_axes = 1 : i64}> : (tensor<2x3xi32>, none) -> tensor<2x3xi32>
  return %y, %z, %w : tensor<i32>, tensor<1x1xi32>, tensor<2x3xi32>
}

// -----

// ReduceL2 of f16 accumulates squares in f32, then sqrt and truncates.
// CHECK-LABEL: func.func @reduce_l2_f16
// CHECK: ^bb0(%[[X:.+]]: f16, %[[ACC:.+]]: f32):
// CHECK: %[[W:.+]] = arith.extf %[[X]] : f16 to f32
// CHECK: %[[SQ:.+]] = arith.mulf %[[W]], %[[W]] : f32
// CHECK: arith.addf %[[ACC]], %[[SQ]] : f32
// CHECK: ^bb0(%[[S:.+]]: f32, %{{.+}}: f16):
// CHECK: %[[R:.+]] = math.sqrt %[[S]] : f32
// CHECK: arith.truncf %[[R]] : f32 to f16
// CHECK: tensor.expand_shape {{.+}} : tensor<?xf16> into tensor<?x1xf16>
func.func @reduce_l2_f16(%a: tensor<?x3xf16>) -> tensor<?x1xf16> {
  %none = onnx.none
  %y = "onnx.ReduceL2"(%a, %none) <{axes = array<i64: -1>}> : (tensor<?x3xf16>, none) -> tensor<?x1xf16>
  return %y : tensor<?x1xf16>
}

// -----

// Integer means truncate; the result type may be less static than computed.
// CHECK-LABEL: func.func @reduce_mean_int
// CHECK: %[[D:.+]] = tensor.dim
// CHECK: %[[N:.+]] = arith.index_cast %[[D]] : index to i64
// CHECK: arith.divsi %{{.+}}, %[[N]] : i64
// CHECK: tensor.cast %{{.+}} : tensor<3xi64> to tensor<?xi64>
func.func @reduce_mean_int(%a: tensor<?x3xi64>) -> tensor<?xi64> {
  %none = onnx.none
  %y = "onnx.ReduceMean"(%a, %none) <{axes = array<i64: 0>, keepdims = 0 : i64}> : (tensor<?x3xi64>, none) -> tensor<?xi64>
  return %y : tensor<?xi64>
}

// -----

// Softmax (opset >= 13, default axis -1): max, exp(x - max), sum, divide.
// CHECK-DAG: #[[ID:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:map[0-9]*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[A:.+]]: tensor<?x4xf32>)
// CHECK: %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[INIT:.+]] = linalg.fill ins(%[[NEGINF]] : f32)
// CHECK: %[[MAX:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[A]] : tensor<?x4xf32>) outs(%[[INIT]] : tensor<?xf32>)
// CHECK: arith.maximumf
// CHECK: %[[EXP:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[A]], %[[MAX]] : tensor<?x4xf32>, tensor<?xf32>)
// CHECK: ^bb0(%[[X:.+]]: f32, %[[M:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[SH:.+]] = arith.subf %[[X]], %[[M]] : f32
// CHECK: math.exp %[[SH]] : f32
// CHECK: %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[EXP]] : tensor<?x4xf32>)
// CHECK: arith.addf
// CHECK: %[[Y:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[EXP]], %[[SUM]] : tensor<?x4xf32>, tensor<?xf32>)
// CHECK: arith.divf
// CHECK: return %[[Y]]
func.func @softmax(%a: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = "onnx.Softmax"(%a) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// An explicit axis that is not the last one.
// CHECK-DAG: #[[MID:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @softmax_middle_axis
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[MID]]], iterator_types = ["parallel", "reduction", "parallel"]}
func.func @softmax_middle_axis(%a: tensor<2x?x3xf32>) -> tensor<2x?x3xf32> {
  %y = "onnx.Softmax"(%a) <{axis = -2 : i64}> : (tensor<2x?x3xf32>) -> tensor<2x?x3xf32>
  return %y : tensor<2x?x3xf32>
}

// -----

// Before opset 13 the input is flattened to 2-D at `axis` (default 1): the
// dims from axis on are reduced together.
// CHECK-DAG: #[[FIRST:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func.func @softmax_opset11
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[FIRST]]], iterator_types = ["parallel", "reduction", "reduction"]}
// CHECK: arith.maximumf
module attributes {onnx.opset_import = [["", 11], ["com.microsoft", 1]]} {
  func.func @softmax_opset11(%a: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %y = "onnx.Softmax"(%a) : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %y : tensor<2x3x4xf32>
  }
}

// -----

// The same model at opset 13 reduces only the last axis.
// CHECK-DAG: #[[LAST2:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @softmax_opset13
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[LAST2]]], iterator_types = ["parallel", "parallel", "reduction"]}
module attributes {onnx.opset_import = [["ai.onnx", 13]]} {
  func.func @softmax_opset13(%a: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %y = "onnx.Softmax"(%a) : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %y : tensor<2x3x4xf32>
  }
}

// -----

// f16 softmax computes in f32 and truncates at the end.
// CHECK-LABEL: func.func @softmax_f16
// CHECK: arith.extf %{{.+}} : f16 to f32
// CHECK: math.exp %{{.+}} : f32
// CHECK: %[[Q:.+]] = arith.divf %{{.+}}, %{{.+}} : f32
// CHECK: arith.truncf %[[Q]] : f32 to f16
func.func @softmax_f16(%a: tensor<3xf16>) -> tensor<3xf16> {
  %y = "onnx.Softmax"(%a) <{axis = 0 : i64}> : (tensor<3xf16>) -> tensor<3xf16>
  return %y : tensor<3xf16>
}

// -----

// LayerNormalization (axis -1): mean, variance from (x - mean)^2, InvStdDev
// = 1 / sqrt(var + eps) in f32, then (x - mean) * InvStdDev * Scale + B with
// Scale and B broadcast; the Mean output gets its unit dim back.
// CHECK-DAG: #[[ID:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:map[0-9]*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[COL:map[0-9]*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @layernorm
// CHECK-SAME: (%[[X:.+]]: tensor<?x4xf32>, %[[S:.+]]: tensor<4xf32>, %[[B:.+]]: tensor<4xf32>)
// CHECK: %[[N:.+]] = arith.constant 4.000000e+00 : f32
// CHECK: %[[EPS:.+]] = arith.constant 9.99999974E-6 : f32
// CHECK: %[[SUM:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<?x4xf32>)
// CHECK: %[[MEAN:.+]] = linalg.generic {{.+}} ins(%[[SUM]] : tensor<?xf32>)
// CHECK: arith.divf %{{.+}}, %[[N]] : f32
// CHECK: %[[SQ:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[MEAN]] : tensor<?x4xf32>, tensor<?xf32>)
// CHECK: ^bb0(%[[V:.+]]: f32, %[[M:.+]]: f32, %[[ACC:.+]]: f32):
// CHECK: %[[D:.+]] = arith.subf %[[V]], %[[M]] : f32
// CHECK: %[[D2:.+]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK: arith.addf %[[ACC]], %[[D2]] : f32
// CHECK: %[[INV:.+]] = linalg.generic {{.+}} ins(%[[SQ]] : tensor<?xf32>)
// CHECK: %[[VAR:.+]] = arith.divf %{{.+}}, %[[N]] : f32
// CHECK: %[[VE:.+]] = arith.addf %[[VAR]], %[[EPS]] : f32
// CHECK: %[[SD:.+]] = math.sqrt %[[VE]] : f32
// CHECK: arith.divf %{{.+}}, %[[SD]] : f32
// CHECK: %[[Y:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[COL]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[MEAN]], %[[INV]], %[[S]], %[[B]] :
// CHECK: ^bb0(%[[XV:.+]]: f32, %[[MV:.+]]: f32, %[[IV:.+]]: f32, %[[SV:.+]]: f32, %[[BV:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[C:.+]] = arith.subf %[[XV]], %[[MV]] : f32
// CHECK: %[[NORM:.+]] = arith.mulf %[[C]], %[[IV]] : f32
// CHECK: %[[SC:.+]] = arith.mulf %[[NORM]], %[[SV]] : f32
// CHECK: arith.addf %[[SC]], %[[BV]] : f32
// CHECK: %[[ME:.+]] = tensor.expand_shape %[[MEAN]] {{\[}}[0, 1]] output_shape [%{{.+}}, 1] : tensor<?xf32> into tensor<?x1xf32>
// CHECK: %[[IE:.+]] = tensor.expand_shape %[[INV]] {{\[}}[0, 1]]
// CHECK: return %[[Y]], %[[ME]], %[[IE]]
func.func @layernorm(%x: tensor<?x4xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<?x4xf32>, tensor<?x1xf32>, tensor<?x1xf32>) {
  %y, %m, %i = "onnx.LayerNormalization"(%x, %s, %b) : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<?x4xf32>, tensor<?x1xf32>, tensor<?x1xf32>)
  return %y, %m, %i : tensor<?x4xf32>, tensor<?x1xf32>, tensor<?x1xf32>
}

// -----

// f16 with axis 1 of a rank-3 input and no B: statistics in f32 over the last
// two dims; the scale is applied in f32 too and the result rounded once to
// f16 (as onnxruntime and PyTorch do).
// CHECK-DAG: #[[ROW:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-DAG: #[[SC:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @layernorm_f16_no_bias
// CHECK: arith.constant 1.200000e+01 : f32
// CHECK: arith.constant 1.000000e-03 : f32
// CHECK: iterator_types = ["parallel", "reduction", "reduction"]
// CHECK: %[[Y:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #[[ROW]], #[[ROW]], #[[SC]], #{{.+}}], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK: %[[NORM:.+]] = arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK: %[[S:.+]] = arith.extf %{{.+}} : f16 to f32
// CHECK: %[[R:.+]] = arith.mulf %[[NORM]], %[[S]] : f32
// CHECK: %[[H:.+]] = arith.truncf %[[R]] : f32 to f16
// CHECK-NEXT: linalg.yield %[[H]] : f16
// CHECK: return %[[Y]] :
func.func @layernorm_f16_no_bias(%x: tensor<?x3x4xf16>, %s: tensor<3x4xf16>) -> tensor<?x3x4xf16> {
  %none = onnx.none
  %y, %m, %i = "onnx.LayerNormalization"(%x, %s, %none) <{axis = 1 : i64, epsilon = 1.0e-3 : f32}> : (tensor<?x3x4xf16>, tensor<3x4xf16>, none) -> (tensor<?x3x4xf16>, none, none)
  return %y : tensor<?x3x4xf16>
}

// -----

// Axes read at run time: each dim that is not a static 1 is summed (kept as
// 1) under an scf.if on whether a normalized axis names it; keepdims=0 then
// reshapes to the kept extents.
// CHECK-DAG: #[[ID3:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[NO0:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[NO2:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @reduce_sum_runtime_axes
// CHECK-SAME: %[[X:.+]]: tensor<3x1x2xf32>, %[[A:.+]]: tensor<1xi64>
// CHECK: %[[AX:.+]] = tensor.extract %[[A]]
// CHECK: %[[NEG:.+]] = arith.cmpi slt, %[[AX]], %{{.+}} : i64
// CHECK: %[[WRAP:.+]] = arith.addi %[[AX]], %{{.+}} : i64
// CHECK: %[[N:.+]] = arith.select %[[NEG]], %[[WRAP]], %[[AX]] : i64
// CHECK: %[[IS0:.+]] = arith.cmpi eq, %[[N]], %{{.+}} : i64
// CHECK: %[[IS1:.+]] = arith.cmpi eq, %[[N]], %{{.+}} : i64
// CHECK: %[[IS2:.+]] = arith.cmpi eq, %[[N]], %{{.+}} : i64
// CHECK: %[[S0:.+]] = scf.if %[[IS0]] -> (tensor<?x1x2xf32>) {
// CHECK: linalg.generic {indexing_maps = [#[[ID3]], #[[NO0]]], iterator_types = ["reduction", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<3x1x2xf32>)
// CHECK: tensor.expand_shape %{{.+}} {{\[\[}}0, 1], [2]] output_shape [1, 1, 2]
// CHECK: } else {
// CHECK: tensor.cast %[[X]] : tensor<3x1x2xf32> to tensor<?x1x2xf32>
// CHECK: %[[S2:.+]] = scf.if %[[IS2]] -> (tensor<?x1x?xf32>) {
// CHECK: linalg.generic {indexing_maps = [#[[ID3]], #[[NO2]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[S0]] : tensor<?x1x2xf32>)
// CHECK: %[[SHAPE:.+]] = tensor.from_elements %{{.+}}, %{{.+}} : tensor<2xindex>
// CHECK: %[[R:.+]] = tensor.reshape %[[S2]](%[[SHAPE]]) : (tensor<?x1x?xf32>, tensor<2xindex>) -> tensor<?x?xf32>
// CHECK: return %[[R]]
func.func @reduce_sum_runtime_axes(%x: tensor<3x1x2xf32>, %a: tensor<1xi64>) -> tensor<?x?xf32> {
  %y = "onnx.ReduceSum"(%x, %a) <{keepdims = 0 : i64}> : (tensor<3x1x2xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// An empty axes tensor needs no values: the attribute semantics (here
// noop_with_empty_axes forwards the input).
// CHECK-LABEL: func.func @reduce_sum_empty_axes_noop
// CHECK-SAME: %[[X:.+]]: tensor<3x2xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[X]]
func.func @reduce_sum_empty_axes_noop(%x: tensor<3x2xf32>, %a: tensor<0xi64>) -> tensor<3x2xf32> {
  %y = "onnx.ReduceSum"(%x, %a) <{noop_with_empty_axes = 1 : i64}> : (tensor<3x2xf32>, tensor<0xi64>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// ReduceMax (opset 18: axes as a constant input) starts from -inf and takes
// arith.maximumf (NaN propagates); no division, no rounding step.
// CHECK-LABEL: func.func @reduce_max_axes_input
// CHECK: %[[NEG_INF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[F:.+]] = linalg.fill ins(%[[NEG_INF]] : f32)
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: outs(%[[F]] : tensor<2xf32>)
// CHECK: ^bb0(%[[X:.+]]: f32, %[[ACC:.+]]: f32):
// CHECK: arith.maximumf %[[ACC]], %[[X]] : f32
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @reduce_max_axes_input(%a: tensor<2x5xf32>) -> tensor<2xf32> {
  %axes = onnx.initializer "axes" dense<-1> : tensor<1xi64>
  %y = "onnx.ReduceMax"(%a, %axes) <{keepdims = 0 : i64}> : (tensor<2x5xf32>, tensor<1xi64>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// ReduceMin of unsigned integers: starts from the largest value, arith.minui.
// CHECK-LABEL: func.func @reduce_min_unsigned
// CHECK: arith.constant -1 : i8
// CHECK: arith.minui
func.func @reduce_min_unsigned(%a: tensor<2x5xui8>) -> tensor<2x1xui8> {
  %none = onnx.none
  %y = "onnx.ReduceMin"(%a, %none) <{axes = array<i64: 1>}> : (tensor<2x5xui8>, none) -> tensor<2x1xui8>
  return %y : tensor<2x1xui8>
}

// -----

// ReduceProd of f16 multiplies in f32 from 1 and rounds once.
// CHECK-LABEL: func.func @reduce_prod_f16
// CHECK: arith.constant 1.000000e+00 : f32
// CHECK: arith.extf %{{.+}} : f16 to f32
// CHECK: arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK: arith.truncf %{{.+}} : f32 to f16
func.func @reduce_prod_f16(%a: tensor<2x5xf16>) -> tensor<2xf16> {
  %axes = onnx.initializer "axes" dense<1> : tensor<1xi64>
  %y = "onnx.ReduceProd"(%a, %axes) <{keepdims = 0 : i64}> : (tensor<2x5xf16>, tensor<1xi64>) -> tensor<2xf16>
  return %y : tensor<2xf16>
}

// -----

// Bool ReduceMax/ReduceMin (opset 20) are "any"/"all": unsigned max/min on i1
// from false/true (the identities of an empty set).
// CHECK-LABEL: func.func @reduce_bool
// CHECK: %[[FALSE:.+]] = arith.constant false
// CHECK: linalg.fill ins(%[[FALSE]] : i1)
// CHECK: arith.maxui %{{.+}}, %{{.+}} : i1
// CHECK: %[[TRUE:.+]] = arith.constant true
// CHECK: linalg.fill ins(%[[TRUE]] : i1)
// CHECK: arith.minui %{{.+}}, %{{.+}} : i1
func.func @reduce_bool(%a: tensor<4x2xi1>) -> (tensor<4x1xi1>, tensor<4xi1>) {
  %none = onnx.none
  %x = "onnx.ReduceMax"(%a, %none) <{axes = array<i64: 1>}> : (tensor<4x2xi1>, none) -> tensor<4x1xi1>
  %n = "onnx.ReduceMin"(%a, %none) <{axes = array<i64: 1>, keepdims = 0 : i64}> : (tensor<4x2xi1>, none) -> tensor<4xi1>
  return %x, %n : tensor<4x1xi1>, tensor<4xi1>
}
