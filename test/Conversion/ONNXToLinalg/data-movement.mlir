// RUN: peft-opt %s -split-input-file --convert-onnx-to-linalg | FileCheck %s
// Without run-time index checks (the GPU pipeline's setting), no cf.assert.
// RUN: peft-opt %s -split-input-file --convert-onnx-to-linalg=index-checks=false | FileCheck %s --check-prefix=NOCHECK
// NOCHECK-NOT: cf.assert

// A blob stays the same blob: only the element type becomes signless.
// CHECK-LABEL: func.func @initializer_resource
// CHECK-SAME: -> tensor<4xi8>
// CHECK: %[[W:.*]] = arith.constant dense_resource<blob_u8> : tensor<4xi8>
// CHECK: return %[[W]]
func.func @initializer_resource() -> tensor<4xui8> {
  %w = onnx.initializer "w" dense_resource<blob_u8> : tensor<4xui8>
  return %w : tensor<4xui8>
}
{-#
  dialect_resources: {
    builtin: {
      blob_u8: "0x0100000001020304"
    }
  }
#-}

// -----

// CHECK-LABEL: func.func @initializer_dense_unsigned
// CHECK: arith.constant dense<[1, -1]> : tensor<2xi8>
func.func @initializer_dense_unsigned() -> tensor<2xui8> {
  %w = onnx.initializer "w" dense<[1, 255]> : tensor<2xui8>
  return %w : tensor<2xui8>
}

// -----

// Bool blobs hold a byte per element: read as i8, compared with 0.
// CHECK-LABEL: func.func @initializer_bool_blob
// CHECK: %[[BYTES:.*]] = arith.constant dense_resource<blob_bool> : tensor<4xi8>
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<2x2xi1>)
// CHECK: %[[B:.*]] = tensor.extract %[[BYTES]]
// CHECK: arith.cmpi ne, %[[B]]
func.func @initializer_bool_blob() -> tensor<2x2xi1> {
  %w = onnx.initializer "b" dense_resource<blob_bool> : tensor<2x2xi1>
  return %w : tensor<2x2xi1>
}
{-#
  dialect_resources: {
    builtin: {
      blob_bool: "0x0100000001000100"
    }
  }
#-}

// -----

// 4-bit blobs pack two values per byte, low nibble first.
// CHECK-LABEL: func.func @initializer_int4_blob
// CHECK: %[[BYTES:.*]] = arith.constant dense_resource<blob_i4> : tensor<2xi8>
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = linalg.index 0
// CHECK: %[[BYTE:.*]] = arith.divui %[[I]]
// CHECK: %[[B:.*]] = tensor.extract %[[BYTES]][%[[BYTE]]]
// CHECK: arith.remui %[[I]]
// CHECK: %[[S:.*]] = arith.shrui %[[B]]
// CHECK: arith.trunci %[[S]] : i8 to i4
func.func @initializer_int4_blob() -> tensor<3xi4> {
  %w = onnx.initializer "q" dense_resource<blob_i4> : tensor<3xi4>
  return %w : tensor<3xi4>
}
{-#
  dialect_resources: {
    builtin: {
      blob_i4: "0x0100000021F3"
    }
  }
#-}

// -----

// CHECK-LABEL: func.func @constants
// CHECK-DAG: arith.constant dense<[1, 2, 3]> : tensor<3xi64>
// CHECK-DAG: arith.constant dense<2.500000e+00> : tensor<f32>
// CHECK-DAG: %[[V:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: tensor.cast %[[V]] : tensor<2xf32> to tensor<?xf32>
func.func @constants() -> (tensor<3xi64>, tensor<f32>, tensor<?xf32>) {
  %a = "onnx.Constant"() <{value_ints = array<i64: 1, 2, 3>}> : () -> tensor<3xi64>
  %b = "onnx.Constant"() <{value_float = 2.5 : f32}> : () -> tensor<f32>
  %c = "onnx.Constant"() <{value = dense<[1.0, 2.0]> : tensor<2xf32>}> : () -> tensor<?xf32>
  return %a, %b, %c : tensor<3xi64>, tensor<f32>, tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @identity_and_shape
// CHECK-SAME: %[[X:.*]]: tensor<?x?x8xf32>
// CHECK: %[[D1:.*]] = tensor.dim %[[X]], %c1
// CHECK: %[[E1:.*]] = arith.index_cast %[[D1]] : index to i64
// CHECK: %[[S:.*]] = tensor.from_elements %[[E1]], %c8_i64 : tensor<2xi64>
// CHECK: return %[[X]], %[[S]]
func.func @identity_and_shape(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<2xi64>) {
  %y = "onnx.Identity"(%x) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %s = "onnx.Shape"(%x) <{start = 1 : i64}> : (tensor<?x?x8xf32>) -> tensor<2xi64>
  return %y, %s : tensor<?x?x8xf32>, tensor<2xi64>
}

// -----

// A run-time shape: 0 copies the input extent, -1 is what is left.
// CHECK-LABEL: func.func @reshape_runtime
// CHECK-SAME: %[[X:.*]]: tensor<?x?x4xf32>, %[[S:.*]]: tensor<2xi64>
// CHECK: %[[S0:.*]] = tensor.extract %[[S]][%c0
// CHECK: %[[S1:.*]] = tensor.extract %[[S]][%c1
// CHECK: %[[Z0:.*]] = arith.cmpi eq, %[[S0]], %c0_i64
// CHECK: %[[D0:.*]] = arith.select %[[Z0]], %{{.*}}, %[[S0]] : i64
// CHECK: arith.divsi
// CHECK: %[[SHAPE:.*]] = tensor.from_elements %{{.*}}, %{{.*}} : tensor<2xi64>
// CHECK: tensor.reshape %[[X]](%[[SHAPE]]) : (tensor<?x?x4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
func.func @reshape_runtime(%x: tensor<?x?x4xf32>, %s: tensor<2xi64>) -> tensor<?x?xf32> {
  %y = "onnx.Reshape"(%x, %s) : (tensor<?x?x4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// allowzero: a 0 in the shape is a zero extent, not a copy of the input's.
// CHECK-LABEL: func.func @reshape_allowzero
// CHECK: tensor.reshape %{{.*}} : (tensor<2x0xf32>, tensor<2xi64>) -> tensor<0x2xf32>
func.func @reshape_allowzero(%x: tensor<2x0xf32>) -> tensor<?x?xf32> {
  %s = onnx.initializer "s" dense<[0, 2]> : tensor<2xi64>
  %y = "onnx.Reshape"(%x, %s) <{allowzero = 1 : i64}> : (tensor<2x0xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// The exporter's Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain folds
// to the tensor.dim values it copies; the heads become static extents.
// CHECK-LABEL: func.func @shape_chain
// CHECK-SAME: %[[X:.*]]: tensor<?x?x64xf32>
// CHECK-DAG: %[[B:.*]] = tensor.dim %[[X]], %c0
// CHECK-DAG: %[[Q:.*]] = tensor.dim %[[X]], %c1
// CHECK-DAG: %[[BI:.*]] = arith.index_cast %[[B]] : index to i64
// CHECK-DAG: %[[QI:.*]] = arith.index_cast %[[Q]] : index to i64
// CHECK: tensor.from_elements %[[BI]], %[[QI]], %c4_i64, %c16_i64 : tensor<4xi64>
// CHECK-NOT: linalg.generic
// CHECK-NOT: tensor.insert_slice
// CHECK: %[[R:.*]] = tensor.reshape %[[X]](%{{.*}}) : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
// CHECK: return %[[R]]
func.func @shape_chain(%x: tensor<?x?x64xf32>) -> tensor<?x?x4x16xf32> {
  %s = "onnx.Shape"(%x) : (tensor<?x?x64xf32>) -> tensor<3xi64>
  %i0 = onnx.initializer "i0" dense<0> : tensor<i64>
  %i1 = onnx.initializer "i1" dense<1> : tensor<i64>
  %ax = onnx.initializer "ax" dense<[0]> : tensor<1xi64>
  %b = "onnx.Gather"(%s, %i0) <{axis = 0 : i64}> : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %q = "onnx.Gather"(%s, %i1) <{axis = 0 : i64}> : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %bu = "onnx.Unsqueeze"(%b, %ax) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %qu = "onnx.Unsqueeze"(%q, %ax) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %c = onnx.initializer "c" dense<[4, 16]> : tensor<2xi64>
  %shape = "onnx.Concat"(%bu, %qu, %c) <{axis = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  %r = "onnx.Reshape"(%x, %shape) : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
  return %r : tensor<?x?x4x16xf32>
}

// -----

// A constant shape makes the result static.
// CHECK-LABEL: func.func @reshape_constant
// CHECK: %[[R:.*]] = tensor.reshape %{{.*}} : (tensor<2x?xf32>, tensor<3xi64>) -> tensor<2x3x4xf32>
// CHECK: tensor.cast %[[R]] : tensor<2x3x4xf32> to tensor<?x3x?xf32>
func.func @reshape_constant(%x: tensor<2x?xf32>) -> tensor<?x3x?xf32> {
  %s = onnx.initializer "s" dense<[0, 3, 4]> : tensor<3xi64>
  %y = "onnx.Reshape"(%x, %s) : (tensor<2x?xf32>, tensor<3xi64>) -> tensor<?x3x?xf32>
  return %y : tensor<?x3x?xf32>
}

// -----

// CHECK-LABEL: func.func @flatten
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : tensor<?x3x4xf32> into tensor<?x12xf32>
// CHECK: %[[ALL:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2]] : tensor<?x3x4xf32> into tensor<?xf32>
// CHECK: tensor.expand_shape %[[ALL]] {{\[\[}}0, 1]] output_shape [1, %{{.*}}] : tensor<?xf32> into tensor<1x?xf32>
func.func @flatten(%x: tensor<?x3x4xf32>) -> (tensor<?x12xf32>, tensor<1x?xf32>) {
  %a = "onnx.Flatten"(%x) : (tensor<?x3x4xf32>) -> tensor<?x12xf32>
  %b = "onnx.Flatten"(%x) <{axis = 0 : i64}> : (tensor<?x3x4xf32>) -> tensor<1x?xf32>
  return %a, %b : tensor<?x12xf32>, tensor<1x?xf32>
}

// -----

// Squeeze (axes input) and Unsqueeze (axes attribute, negative) keep the
// dynamic extents in their own groups.
// CHECK-LABEL: func.func @squeeze_unsqueeze
// CHECK-SAME: %[[X:.*]]: tensor<?x1x?xf32>
// CHECK: %[[S:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0], [1, 2]] : tensor<?x1x?xf32> into tensor<?x?xf32>
// CHECK: %[[D0:.*]] = tensor.dim %[[S]], %c0
// CHECK: %[[D1:.*]] = tensor.dim %[[S]], %c1
// CHECK: tensor.expand_shape %[[S]] {{\[\[}}0, 1], [2, 3, 4]] output_shape [1, %[[D0]], 1, %[[D1]], 1] : tensor<?x?xf32> into tensor<1x?x1x?x1xf32>
func.func @squeeze_unsqueeze(%x: tensor<?x1x?xf32>) -> tensor<1x?x1x?x1xf32> {
  %ax = onnx.initializer "ax" dense<[1]> : tensor<1xi64>
  %a = "onnx.Squeeze"(%x, %ax) : (tensor<?x1x?xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  %none = onnx.none
  %b = "onnx.Unsqueeze"(%a, %none) <{axes = array<i64: 0, -1, 2>}> : (tensor<?x?xf32>, none) -> tensor<1x?x1x?x1xf32>
  return %b : tensor<1x?x1x?x1xf32>
}

// -----

// A squeezed dynamic extent is 1 by ONNX's rules: cast first.
// CHECK-LABEL: func.func @squeeze_dynamic_axis
// CHECK: %[[C:.*]] = tensor.cast %{{.*}} : tensor<?x?xf32> to tensor<?x1xf32>
// CHECK: tensor.collapse_shape %[[C]] {{\[\[}}0, 1]] : tensor<?x1xf32> into tensor<?xf32>
func.func @squeeze_dynamic_axis(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %ax = onnx.initializer "ax" dense<[-1]> : tensor<1xi64>
  %y = "onnx.Squeeze"(%x, %ax) : (tensor<?x?xf32>, tensor<1xi64>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// Expand to a run-time shape; the dynamic input extent broadcasts when it is
// 1 at run time.
// CHECK-LABEL: func.func @expand
// CHECK-SAME: %[[X:.*]]: tensor<1x?xf32>, %[[S:.*]]: tensor<3xi64>
// CHECK: %[[T2:.*]] = tensor.extract %[[S]][%c2
// CHECK: %[[I2:.*]] = arith.index_cast %[[T2]] : i64 to index
// CHECK: %[[D:.*]] = tensor.dim %[[X]], %c1
// CHECK: %[[ONE:.*]] = arith.cmpi eq, %[[I2]], %c1
// CHECK: %[[N:.*]] = arith.select %[[ONE]], %[[D]], %[[I2]] : index
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}, %{{.*}}, %[[N]]) : tensor<?x?x?xf32>
// CHECK: linalg.generic {{.*}} outs(%[[E]] : tensor<?x?x?xf32>)
// CHECK: %[[J:.*]] = linalg.index 2
// CHECK: %[[BC:.*]] = arith.select %{{.*}}, %[[ZERO:.*]], %[[J]] : index
// CHECK: tensor.extract %[[X]][%[[ZERO]], %[[BC]]] : tensor<1x?xf32>
func.func @expand(%x: tensor<1x?xf32>, %s: tensor<3xi64>) -> tensor<?x?x?xf32> {
  %y = "onnx.Expand"(%x, %s) : (tensor<1x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %y : tensor<?x?x?xf32>
}

// -----

// A static input broadcasts through the indexing map.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @expand_static
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]]
// CHECK-SAME: ins(%{{.*}} : tensor<3x1xf32>) outs(%{{.*}} : tensor<2x3x4xf32>)
func.func @expand_static(%x: tensor<3x1xf32>) -> tensor<2x3x4xf32> {
  %s = onnx.initializer "s" dense<[2, 1, 4]> : tensor<3xi64>
  %y = "onnx.Expand"(%x, %s) : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @constant_of_shape
// CHECK-SAME: %[[S:.*]]: tensor<2xi64>
// CHECK: %[[A:.*]] = tensor.extract %[[S]][%c0
// CHECK: %[[B:.*]] = tensor.extract %[[S]][%c1
// CHECK: %[[AI:.*]] = arith.index_cast %[[A]] : i64 to index
// CHECK: %[[BI:.*]] = arith.index_cast %[[B]] : i64 to index
// CHECK: %[[V:.*]] = arith.constant 7 : i64
// CHECK: %[[E:.*]] = tensor.empty(%[[AI]], %[[BI]]) : tensor<?x?xi64>
// CHECK: linalg.fill ins(%[[V]] : i64) outs(%[[E]] : tensor<?x?xi64>)
func.func @constant_of_shape(%s: tensor<2xi64>) -> tensor<?x?xi64> {
  %y = "onnx.ConstantOfShape"(%s) <{value = dense<7> : tensor<1xi64>}> : (tensor<2xi64>) -> tensor<?x?xi64>
  return %y : tensor<?x?xi64>
}

// -----

// CHECK-LABEL: func.func @range
// CHECK: %[[START:.*]] = tensor.extract %{{.*}}[] : tensor<i64>
// CHECK: %[[LIMIT:.*]] = tensor.extract %{{.*}}[] : tensor<i64>
// CHECK: %[[DELTA:.*]] = tensor.extract %{{.*}}[] : tensor<i64>
// CHECK: %[[DIFF:.*]] = arith.subi %[[LIMIT]], %[[START]]
// CHECK: %[[N:.*]] = arith.ceildivsi %[[DIFF]], %[[DELTA]]
// CHECK: arith.maxsi %[[N]]
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = linalg.index 0
// CHECK: %[[II:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK: %[[STEP:.*]] = arith.muli %[[II]], %[[DELTA]]
// CHECK: arith.addi %[[START]], %[[STEP]]
func.func @range(%a: tensor<i64>, %b: tensor<i64>, %c: tensor<i64>) -> tensor<?xi64> {
  %y = "onnx.Range"(%a, %b, %c) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return %y : tensor<?xi64>
}

// -----

// CHECK-LABEL: func.func @range_float
// CHECK: math.ceil
// CHECK: arith.fptosi
// CHECK: arith.sitofp
func.func @range_float(%a: tensor<f32>, %b: tensor<f32>, %c: tensor<f32>) -> tensor<?xf32> {
  %y = "onnx.Range"(%a, %b, %c) : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK-SAME: %[[X:.*]]: tensor<?x3x4xf32>
// CHECK: %[[D:.*]] = tensor.dim %[[X]], %c0
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<4x3x?xf32>
// CHECK: linalg.transpose ins(%[[X]] : tensor<?x3x4xf32>) outs(%[[E]] : tensor<4x3x?xf32>) permutation = [2, 1, 0]
func.func @transpose(%x: tensor<?x3x4xf32>) -> tensor<4x3x?xf32> {
  %y = "onnx.Transpose"(%x) : (tensor<?x3x4xf32>) -> tensor<4x3x?xf32>
  return %y : tensor<4x3x?xf32>
}

// -----

// CHECK-LABEL: func.func @concat
// CHECK-SAME: %[[A:.*]]: tensor<?x2xf32>, %[[B:.*]]: tensor<?x3xf32>
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x5xf32>
// CHECK: %[[I:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0] [%{{.*}}, 2] [1, 1]
// CHECK: tensor.insert_slice %[[B]] into %[[I]][0, 2] [%{{.*}}, 3] [1, 1]
func.func @concat(%a: tensor<?x2xf32>, %b: tensor<?x3xf32>) -> tensor<?x5xf32> {
  %y = "onnx.Concat"(%a, %b) <{axis = 1 : i64}> : (tensor<?x2xf32>, tensor<?x3xf32>) -> tensor<?x5xf32>
  return %y : tensor<?x5xf32>
}

// -----

// Along a dynamic axis the offset of the second input is computed.
// CHECK-LABEL: func.func @concat_dynamic_axis
// CHECK-SAME: %[[A:.*]]: tensor<?x4xf32>, %[[B:.*]]: tensor<?x4xf32>
// CHECK: %[[DA:.*]] = tensor.dim %[[A]], %c0
// CHECK: %[[DB:.*]] = tensor.dim %[[B]], %c0
// CHECK: %[[N:.*]] = arith.addi %[[DA]], %[[DB]] : index
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK: %[[I:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0]
// CHECK: tensor.insert_slice %[[B]] into %[[I]][%{{.*}}, 0]
func.func @concat_dynamic_axis(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = "onnx.Concat"(%a, %b) <{axis = 0 : i64}> : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// Constant starts/ends/steps fold into a static extract_slice.
// CHECK-LABEL: func.func @slice_constant
// CHECK: tensor.extract_slice %{{.*}}[0, 1] [%{{.*}}, 3] [1, 2] : tensor<?x8xf32> to tensor<?x3xf32>
func.func @slice_constant(%x: tensor<?x8xf32>) -> tensor<?x3xf32> {
  %st = onnx.initializer "st" dense<[1]> : tensor<1xi64>
  %en = onnx.initializer "en" dense<[7]> : tensor<1xi64>
  %ax = onnx.initializer "ax" dense<[1]> : tensor<1xi64>
  %sp = onnx.initializer "sp" dense<[2]> : tensor<1xi64>
  %y = "onnx.Slice"(%x, %st, %en, %ax, %sp) : (tensor<?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// A negative step reads backwards in a generic: x[:, ::-1].
// CHECK-LABEL: func.func @slice_reverse
// CHECK-SAME: %[[X:.*]]: tensor<?x8xf32>
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = linalg.index 0
// CHECK: %[[J:.*]] = linalg.index 1
// CHECK: %[[JS:.*]] = arith.muli %[[J]], %c-1
// CHECK: %[[JJ:.*]] = arith.addi %c7{{.*}}, %[[JS]]
// CHECK: tensor.extract %[[X]][%{{.*}}, %[[JJ]]]
func.func @slice_reverse(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %st = onnx.initializer "st" dense<[-1]> : tensor<1xi64>
  %en = onnx.initializer "en" dense<[-9223372036854775807]> : tensor<1xi64>
  %ax = onnx.initializer "ax" dense<[1]> : tensor<1xi64>
  %sp = onnx.initializer "sp" dense<[-1]> : tensor<1xi64>
  %y = "onnx.Slice"(%x, %st, %en, %ax, %sp) : (tensor<?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Run-time starts/ends with ONNX clamping; no axes (all dims) nor steps.
// CHECK-LABEL: func.func @slice_runtime
// CHECK-SAME: %[[X:.*]]: tensor<?x?xf32>, %[[ST:.*]]: tensor<2xi32>, %[[EN:.*]]: tensor<2xi32>
// CHECK: %[[S0:.*]] = tensor.extract %[[ST]]
// CHECK: arith.extsi %[[S0]] : i32 to i64
// CHECK: arith.cmpi slt
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract_slice %[[X]][%{{.*}}, %{{.*}}] [%{{.*}}, %{{.*}}] [1, 1] : tensor<?x?xf32> to tensor<?x?xf32>
func.func @slice_runtime(%x: tensor<?x?xf32>, %st: tensor<2xi32>, %en: tensor<2xi32>) -> tensor<?x?xf32> {
  %none = onnx.none
  %y = "onnx.Slice"(%x, %st, %en, %none, %none) : (tensor<?x?xf32>, tensor<2xi32>, tensor<2xi32>, none, none) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// Run-time steps: the sign is chosen at run time, the read is a generic.
// CHECK-LABEL: func.func @slice_runtime_steps
// CHECK-SAME: %[[SP:[^:]*]]: tensor<1xi64>)
// CHECK: %[[STEP:.*]] = tensor.extract %[[SP]]
// CHECK: arith.ceildivsi %{{.*}}, %[[STEP]]
// CHECK: %[[NEG:.*]] = arith.subi %c0_i64{{.*}}, %[[STEP]]
// CHECK: arith.ceildivsi %{{.*}}, %[[NEG]]
// CHECK: %[[POS:.*]] = arith.cmpi sgt, %[[STEP]], %c0_i64
// CHECK: arith.select %[[POS]]
// CHECK: linalg.generic
// CHECK: tensor.extract
func.func @slice_runtime_steps(%x: tensor<8xf32>, %st: tensor<1xi64>, %en: tensor<1xi64>, %sp: tensor<1xi64>) -> tensor<?xf32> {
  %none = onnx.none
  %y = "onnx.Slice"(%x, %st, %en, %none, %sp) : (tensor<8xf32>, tensor<1xi64>, tensor<1xi64>, none, tensor<1xi64>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// Slicing a shape vector with constants rebuilds it element by element.
// CHECK-LABEL: func.func @slice_shape_vector
// CHECK-SAME: %[[X:.*]]: tensor<?x?x8xf32>
// CHECK: %[[D:.*]] = tensor.dim %[[X]], %c1
// CHECK: %[[DI:.*]] = arith.index_cast %[[D]] : index to i64
// CHECK: %[[V:.*]] = tensor.from_elements %[[DI]], %c8_i64{{.*}} : tensor<2xi64>
// CHECK-NOT: tensor.extract_slice
// CHECK: return %[[V]]
func.func @slice_shape_vector(%x: tensor<?x?x8xf32>) -> tensor<2xi64> {
  %s = "onnx.Shape"(%x) : (tensor<?x?x8xf32>) -> tensor<3xi64>
  %st = onnx.initializer "st" dense<[1]> : tensor<1xi64>
  %en = onnx.initializer "en" dense<[9223372036854775807]> : tensor<1xi64>
  %none = onnx.none
  %y = "onnx.Slice"(%s, %st, %en, %none, %none) : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<2xi64>
  return %y : tensor<2xi64>
}

// -----

// Equal split of a static axis; then sizes from the split input.
// CHECK-LABEL: func.func @split
// CHECK-SAME: %[[X:.*]]: tensor<?x6xf32>
// CHECK: tensor.extract_slice %[[X]][0, 0] [%{{.*}}, 3] [1, 1] : tensor<?x6xf32> to tensor<?x3xf32>
// CHECK: tensor.extract_slice %[[X]][0, 3] [%{{.*}}, 3] [1, 1] : tensor<?x6xf32> to tensor<?x3xf32>
// CHECK: tensor.extract_slice %[[X]][0, 0] [%{{.*}}, 1] [1, 1] : tensor<?x6xf32> to tensor<?x1xf32>
// CHECK: tensor.extract_slice %[[X]][0, 1] [%{{.*}}, 5] [1, 1] : tensor<?x6xf32> to tensor<?x5xf32>
func.func @split(%x: tensor<?x6xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x1xf32>, tensor<?x5xf32>) {
  %none = onnx.none
  %a, %b = "onnx.Split"(%x, %none) <{axis = -1 : i64}> : (tensor<?x6xf32>, none) -> (tensor<?x3xf32>, tensor<?x3xf32>)
  %sp = onnx.initializer "sp" dense<[1, 5]> : tensor<2xi64>
  %c, %d = "onnx.Split"(%x, %sp) <{axis = 1 : i64}> : (tensor<?x6xf32>, tensor<2xi64>) -> (tensor<?x1xf32>, tensor<?x5xf32>)
  return %a, %b, %c, %d : tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x1xf32>, tensor<?x5xf32>
}

// -----

// Empty slices become tensor.empty: a constant zero size, and a static offset
// at the extent (which the extract_slice verifier rejects even when empty).
// CHECK-LABEL: func.func @split_zero_sizes
// CHECK-SAME: %[[X:.*]]: tensor<5x2xf32>, %[[Z:.*]]: tensor<0xf32>, %[[S:.*]]: tensor<3xi64>
// CHECK: tensor.extract_slice %[[X]][0, 0] [2, 2] [1, 1] : tensor<5x2xf32> to tensor<2x2xf32>
// CHECK: tensor.extract_slice %[[X]][2, 0] [3, 2] [1, 1] : tensor<5x2xf32> to tensor<3x2xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<0x2xf32>
// CHECK: %[[E0:.*]] = tensor.empty() : tensor<0xf32>
// CHECK: tensor.extract_slice %[[Z]][%{{.*}}] [%{{.*}}] [1] : tensor<0xf32> to tensor<?xf32>
// CHECK: return %{{.*}}, %{{.*}}, %[[E]], %[[E0]]
func.func @split_zero_sizes(%x: tensor<5x2xf32>, %z: tensor<0xf32>, %s: tensor<3xi64>)
    -> (tensor<2x2xf32>, tensor<3x2xf32>, tensor<0x2xf32>, tensor<0xf32>, tensor<0xf32>, tensor<0xf32>) {
  %none = onnx.none
  %a, %b, %c = "onnx.Split"(%x, %none) <{split = array<i64: 2, 3, 0>}> : (tensor<5x2xf32>, none) -> (tensor<2x2xf32>, tensor<3x2xf32>, tensor<0x2xf32>)
  %d, %e, %f = "onnx.Split"(%z, %s) : (tensor<0xf32>, tensor<3xi64>) -> (tensor<0xf32>, tensor<0xf32>, tensor<0xf32>)
  return %a, %b, %c, %d, %e, %f : tensor<2x2xf32>, tensor<3x2xf32>, tensor<0x2xf32>, tensor<0xf32>, tensor<0xf32>, tensor<0xf32>
}

// -----

// Slice with run-time axes: each dim takes the start/end/step of the entry
// whose (normalized) axis names it, else its full range; with positive steps
// one extract_slice of run-time offsets and sizes.
// CHECK-LABEL: func.func @slice_runtime_axes
// CHECK-SAME: %[[X:.*]]: tensor<20x10x5xf32>, %[[ST:.*]]: tensor<2xi64>, %[[EN:.*]]: tensor<2xi64>, %[[AX:.*]]: tensor<2xi64>
// CHECK: %[[S0:.*]] = tensor.extract %[[ST]][%{{.*}}] : tensor<2xi64>
// CHECK: %[[E0:.*]] = tensor.extract %[[EN]][%{{.*}}] : tensor<2xi64>
// CHECK: %[[A0:.*]] = tensor.extract %[[AX]][%{{.*}}] : tensor<2xi64>
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[A0]], %{{.*}} : i64
// CHECK: %[[WRAP:.*]] = arith.addi %[[A0]], %{{.*}} : i64
// CHECK: %[[N0:.*]] = arith.select %[[NEG]], %[[WRAP]], %[[A0]] : i64
// CHECK: %[[IS0:.*]] = arith.cmpi eq, %[[N0]], %{{.*}} : i64
// CHECK: arith.select %[[IS0]], %[[S0]], %{{.*}} : i64
// CHECK: arith.select %[[IS0]], %[[E0]], %{{.*}} : i64
// CHECK: tensor.extract_slice %[[X]][%{{.*}}, %{{.*}}, %{{.*}}] [%{{.*}}, %{{.*}}, %{{.*}}] [%{{.*}}, %{{.*}}, %{{.*}}] : tensor<20x10x5xf32> to tensor<?x?x?xf32>
// CHECK-NOT: linalg.generic
func.func @slice_runtime_axes(%x: tensor<20x10x5xf32>, %s: tensor<2xi64>, %e: tensor<2xi64>, %a: tensor<2xi64>) -> tensor<?x?x?xf32> {
  %none = onnx.none
  %y = "onnx.Slice"(%x, %s, %e, %a, %none) : (tensor<20x10x5xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, none) -> tensor<?x?x?xf32>
  return %y : tensor<?x?x?xf32>
}

// -----

// Run-time axes leave the element order of Squeeze and Unsqueeze as it is:
// a tensor.reshape to the extents the normalized axes select (static result
// extents as they are).
// CHECK-LABEL: func.func @squeeze_unsqueeze_runtime_axes
// CHECK-SAME: %[[X:.*]]: tensor<?x1x4xf32>, %[[A:.*]]: tensor<1xi64>, %[[U:.*]]: tensor<2x3xf32>, %[[UA:.*]]: tensor<2xi64>
// CHECK: %[[AX:.*]] = tensor.extract %[[A]][%{{.*}}] : tensor<1xi64>
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[AX]], %{{.*}} : i64
// CHECK: %[[WRAP:.*]] = arith.addi %[[AX]], %{{.*}} : i64
// CHECK: arith.select %[[NEG]], %[[WRAP]], %[[AX]] : i64
// CHECK: tensor.dim %[[X]], %{{.*}} : tensor<?x1x4xf32>
// CHECK: %[[S:.*]] = tensor.from_elements %{{.*}}, %{{.*}} : tensor<2xindex>
// CHECK: %[[Y:.*]] = tensor.reshape %[[X]](%[[S]]) : (tensor<?x1x4xf32>, tensor<2xindex>) -> tensor<?x4xf32>
// CHECK: tensor.extract %[[UA]]
// CHECK: %[[S2:.*]] = tensor.from_elements %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<4xindex>
// CHECK: %[[Z:.*]] = tensor.reshape %[[U]](%[[S2]]) : (tensor<2x3xf32>, tensor<4xindex>) -> tensor<?x?x?x?xf32>
// CHECK: return %[[Y]], %[[Z]]
func.func @squeeze_unsqueeze_runtime_axes(%x: tensor<?x1x4xf32>, %a: tensor<1xi64>, %u: tensor<2x3xf32>, %ua: tensor<2xi64>) -> (tensor<?x4xf32>, tensor<?x?x?x?xf32>) {
  %y = "onnx.Squeeze"(%x, %a) : (tensor<?x1x4xf32>, tensor<1xi64>) -> tensor<?x4xf32>
  %z = "onnx.Unsqueeze"(%u, %ua) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x?x?x?xf32>
  return %y, %z : tensor<?x4xf32>, tensor<?x?x?x?xf32>
}

// -----

// Gather with 2-D indices on axis 0: output [i0, i1, 16]; negative indices
// wrap by the run-time extent. First a run-time check that every index lies
// in [-n, n): an all-in-range reduction and a cf.assert.
// CHECK-DAG: #[[IDX:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[ALL:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @gather
// CHECK-SAME: %[[D:.*]]: tensor<?x16xf32>, %[[I:.*]]: tensor<?x?xi64>
// CHECK: %[[N:.*]] = tensor.dim %[[D]], %c0
// CHECK: %[[N64:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK: %[[LO:.*]] = arith.subi %c0_i64, %[[N64]] : i64
// CHECK: %[[OKS:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[ALL]]], iterator_types = ["reduction", "reduction"]} ins(%[[I]] : tensor<?x?xi64>) outs(%{{.*}} : tensor<i1>)
// CHECK: ^bb0(%[[V:.*]]: i64, %[[ACC:.*]]: i1):
// CHECK: %[[GE:.*]] = arith.cmpi sge, %[[V]], %[[LO]] : i64
// CHECK: %[[LT:.*]] = arith.cmpi slt, %[[V]], %[[N64]] : i64
// CHECK: %[[IN:.*]] = arith.andi %[[GE]], %[[LT]] : i1
// CHECK: arith.andi %[[ACC]], %[[IN]] : i1
// CHECK: %[[OK:.*]] = tensor.extract %[[OKS]][] : tensor<i1>
// CHECK: cf.assert %[[OK]], "Gather: an index lies outside [-s, s) for s the size of axis 0 of the data"
// CHECK: linalg.generic {indexing_maps = [#[[IDX]], #{{.*}}]
// CHECK-SAME: ins(%[[I]] : tensor<?x?xi64>) outs(%{{.*}} : tensor<?x?x16xf32>)
// CHECK: ^bb0(%[[IN:.*]]: i64, %{{.*}}: f32):
// CHECK: %[[K:.*]] = arith.index_cast %[[IN]] : i64 to index
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[K]], %c0
// CHECK: %[[WRAP:.*]] = arith.addi %[[K]], %[[N]]
// CHECK: %[[SEL:.*]] = arith.select %[[NEG]], %[[WRAP]], %[[K]]
// CHECK: %[[J:.*]] = linalg.index 2
// CHECK: tensor.extract %[[D]][%[[SEL]], %[[J]]]
func.func @gather(%d: tensor<?x16xf32>, %i: tensor<?x?xi64>) -> tensor<?x?x16xf32> {
  %y = "onnx.Gather"(%d, %i) : (tensor<?x16xf32>, tensor<?x?xi64>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

// On axis 1 with scalar indices the axis disappears.
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @gather_axis1_scalar
// CHECK: linalg.generic {indexing_maps = [#[[SCALAR]], #{{.*}}]
// CHECK-SAME: outs(%{{.*}} : tensor<?x5xf32>)
// CHECK: %[[A:.*]] = linalg.index 0
// CHECK: %[[B:.*]] = linalg.index 1
// CHECK: tensor.extract %{{.*}}[%[[A]], %{{.*}}, %[[B]]] : tensor<?x3x5xf32>
func.func @gather_axis1_scalar(%d: tensor<?x3x5xf32>) -> tensor<?x5xf32> {
  %i = onnx.initializer "i" dense<-1> : tensor<i32>
  %y = "onnx.Gather"(%d, %i) <{axis = 1 : i64}> : (tensor<?x3x5xf32>, tensor<i32>) -> tensor<?x5xf32>
  return %y : tensor<?x5xf32>
}

// -----

// CHECK-LABEL: func.func @trilu
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = linalg.index 1
// CHECK: %[[J:.*]] = linalg.index 2
// CHECK: %[[D:.*]] = arith.subi %[[J]], %[[I]]
// CHECK: %[[KEEP:.*]] = arith.cmpi sle, %[[D]], %{{.*}}
// CHECK: arith.select %[[KEEP]]
// CHECK-LABEL: func.func @trilu_upper_k
// CHECK: %[[K:.*]] = tensor.extract %{{.*}}[] : tensor<i64>
// CHECK: %[[KI:.*]] = arith.index_cast %[[K]] : i64 to index
// CHECK: linalg.generic
// CHECK: arith.cmpi sge, %{{.*}}, %[[KI]]
func.func @trilu(%x: tensor<?x4x4xf32>) -> tensor<?x4x4xf32> {
  %none = onnx.none
  %y = "onnx.Trilu"(%x, %none) <{upper = 0 : i64}> : (tensor<?x4x4xf32>, none) -> tensor<?x4x4xf32>
  return %y : tensor<?x4x4xf32>
}
func.func @trilu_upper_k(%x: tensor<?x?xf32>, %k: tensor<i64>) -> tensor<?x?xf32> {
  %y = "onnx.Trilu"(%x, %k) : (tensor<?x?xf32>, tensor<i64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// An input with a static zero extent contributes nothing: no insert_slice at
// the end of the axis (offset 8 of 8, which tensor.insert_slice rejects).
// CHECK-LABEL: func.func @concat_empty
// CHECK-SAME: (%[[A:.+]]: tensor<2x8xf32>, %[[E:.+]]: tensor<2x0xf32>)
// CHECK: tensor.insert_slice %[[A]] into %{{.+}}[0, 0] [2, 8] [1, 1]
// CHECK-NOT: tensor.insert_slice
// CHECK: return
func.func @concat_empty(%a: tensor<2x8xf32>, %e: tensor<2x0xf32>) -> tensor<2x8xf32> {
  %y = "onnx.Concat"(%a, %e) <{axis = 1 : i64}> : (tensor<2x8xf32>, tensor<2x0xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
