// RUN: peft-opt %s -split-input-file --convert-onnx-to-linalg | FileCheck %s

// Dynamic batch against a static trailing vector: the result's dynamic dim
// comes from the operand that has it (nothing to check at run time).
// CHECK-DAG: #[[ID2:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[LAST:map[0-9]*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_dynamic_batch
// CHECK-SAME: (%[[A:.+]]: tensor<?x4xf32>, %[[B:.+]]: tensor<4xf32>)
// CHECK-NOT: cf.assert
// CHECK: %[[C0:.+]] = arith.constant 0 : index
// CHECK: %[[D0:.+]] = tensor.dim %[[A]], %[[C0]] : tensor<?x4xf32>
// CHECK: %[[E:.+]] = tensor.empty(%[[D0]]) : tensor<?x4xf32>
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#[[ID2]], #[[LAST]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<?x4xf32>, tensor<4xf32>) outs(%[[E]] : tensor<?x4xf32>)
// CHECK: ^bb0(%[[X:.+]]: f32, %[[Y:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[S:.+]] = arith.addf %[[X]], %[[Y]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
func.func @add_dynamic_batch(%a: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %y = "onnx.Add"(%a, %b) : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// Static size-1 dims broadcast both ways and are read at index 0; unsigned
// Div divides unsigned.
// CHECK-DAG: #[[MA:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d0, 0, d2)>
// CHECK-DAG: #[[MB:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-DAG: #[[ID3:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @div_unsigned_two_way
// CHECK-SAME: (%[[A:.+]]: tensor<2x1x3xi8>, %[[B:.+]]: tensor<5x1xi8>) -> tensor<2x5x3xi8>
// CHECK: %[[E:.+]] = tensor.empty() : tensor<2x5x3xi8>
// CHECK: linalg.generic {indexing_maps = [#[[MA]], #[[MB]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<2x1x3xi8>, tensor<5x1xi8>) outs(%[[E]] : tensor<2x5x3xi8>)
// CHECK: arith.divui %{{.+}}, %{{.+}} : i8
func.func @div_unsigned_two_way(%a: tensor<2x1x3xui8>, %b: tensor<5x1xui8>) -> tensor<2x5x3xui8> {
  %y = "onnx.Div"(%a, %b) : (tensor<2x1x3xui8>, tensor<5x1xui8>) -> tensor<2x5x3xui8>
  return %y : tensor<2x5x3xui8>
}

// -----

// A dynamic dim against a static 1: each dynamic result dim is read from the
// operand that is dynamic there.
// CHECK-DAG: #[[COL:map[0-9]*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[ROW:map[0-9]*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @sub_outer
// CHECK-SAME: (%[[A:.+]]: tensor<?x1xf32>, %[[B:.+]]: tensor<1x?xf32>)
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[D0:.+]] = tensor.dim %[[A]], %[[C0]] : tensor<?x1xf32>
// CHECK-DAG: %[[D1:.+]] = tensor.dim %[[B]], %[[C1]] : tensor<1x?xf32>
// CHECK: %[[E:.+]] = tensor.empty(%[[D0]], %[[D1]]) : tensor<?x?xf32>
// CHECK: linalg.generic {indexing_maps = [#[[COL]], #[[ROW]], #{{.+}}]
// CHECK: arith.subf
func.func @sub_outer(%a: tensor<?x1xf32>, %b: tensor<1x?xf32>) -> tensor<?x?xf32> {
  %y = "onnx.Sub"(%a, %b) : (tensor<?x1xf32>, tensor<1x?xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// Two dynamic dims must be equal: the size comes from the first operand, and
// a run-time check (cf.assert) that the second's equals it keeps a mismatch
// (or a run-time 1, which is not broadcast) from reading out of bounds.
// Operands of lower rank are aligned to the right.
// CHECK-DAG: #[[ID:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[LAST:map[0-9]*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @mul_dynamic_both
// CHECK-SAME: (%[[A:.+]]: tensor<?x?xi32>, %[[B:.+]]: tensor<?xi32>)
// CHECK: %[[AD1:.+]] = tensor.dim %[[A]], %c1
// CHECK: %[[BD0:.+]] = tensor.dim %[[B]], %c0
// CHECK: %[[SAME:.+]] = arith.cmpi eq, %[[BD0]], %[[AD1]] : index
// CHECK: cf.assert %[[SAME]], "broadcast: a run-time dimension of an operand differs from the size the other operands give it (broadcasting a run-time 1 is not supported)"
// CHECK-DAG: %[[D0:.+]] = tensor.dim %[[A]], %c0
// CHECK-DAG: %[[D1:.+]] = tensor.dim %[[A]], %c1
// CHECK: tensor.empty(%[[D0]], %[[D1]]) : tensor<?x?xi32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[LAST]], #[[ID]]]
// CHECK: arith.muli %{{.+}}, %{{.+}} : i32
func.func @mul_dynamic_both(%a: tensor<?x?xi32>, %b: tensor<?xi32>) -> tensor<?x?xi32> {
  %y = "onnx.Mul"(%a, %b) : (tensor<?x?xi32>, tensor<?xi32>) -> tensor<?x?xi32>
  return %y : tensor<?x?xi32>
}

// -----

// A result dim left dynamic by the importer but static on an operand is
// sized by a constant.
// CHECK-LABEL: func.func @add_result_less_static
// CHECK: %[[C3:.+]] = arith.constant 3 : index
// CHECK: tensor.empty(%[[C3]]) : tensor<?x4xf32>
// CHECK-NOT: tensor.dim
// CHECK: linalg.generic
func.func @add_result_less_static(%a: tensor<3x4xf32>, %b: tensor<1x4xf32>) -> tensor<?x4xf32> {
  %y = "onnx.Add"(%a, %b) : (tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// A 0-D operand is read by a map with no results.
// CHECK-DAG: #[[SCALAR:map[0-9]*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @div_by_scalar
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[SCALAR]], #{{.+}}]
// CHECK: arith.divsi %{{.+}}, %{{.+}} : i64
func.func @div_by_scalar(%a: tensor<2x3xi64>, %b: tensor<i64>) -> tensor<2x3xi64> {
  %y = "onnx.Div"(%a, %b) : (tensor<2x3xi64>, tensor<i64>) -> tensor<2x3xi64>
  return %y : tensor<2x3xi64>
}

// -----

// CHECK-LABEL: func.func @div_float
// CHECK: arith.divf %{{.+}}, %{{.+}} : f16
func.func @div_float(%a: tensor<4xf16>, %b: tensor<4xf16>) -> tensor<4xf16> {
  %y = "onnx.Div"(%a, %b) : (tensor<4xf16>, tensor<4xf16>) -> tensor<4xf16>
  return %y : tensor<4xf16>
}

// -----

// A float exponent of another width is converted; an integer exponent is
// converted to the base type.
// CHECK-LABEL: func.func @pow
// CHECK: ^bb0(%[[X:.+]]: f32, %[[E:.+]]: f16, %{{.+}}: f32):
// CHECK: %[[W:.+]] = arith.extf %[[E]] : f16 to f32
// CHECK: math.powf %[[X]], %[[W]] : f32
// CHECK: ^bb0(%[[X2:.+]]: f32, %[[E2:.+]]: i64, %{{.+}}: f32):
// CHECK: %[[W2:.+]] = arith.sitofp %[[E2]] : i64 to f32
// CHECK: math.powf %[[X2]], %[[W2]] : f32
func.func @pow(%a: tensor<3xf32>, %b: tensor<f16>, %c: tensor<3xi64>) -> (tensor<3xf32>, tensor<3xf32>) {
  %y = "onnx.Pow"(%a, %b) : (tensor<3xf32>, tensor<f16>) -> tensor<3xf32>
  %z = "onnx.Pow"(%a, %c) : (tensor<3xf32>, tensor<3xi64>) -> tensor<3xf32>
  return %y, %z : tensor<3xf32>, tensor<3xf32>
}

// -----

// An integer base and exponent: square-and-multiply in an scf.while over
// the exponent's bits (clamped at 0); a negative exponent selects 1 for
// base 1, +-1 by parity for base -1, else 0. An unsigned exponent is never
// negative.
// CHECK-LABEL: func.func @pow_int
// CHECK: ^bb0(%[[X:.+]]: i32, %[[E:.+]]: i64, %{{.+}}: i32):
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1 : i32
// CHECK-DAG: %[[EONE:.+]] = arith.constant 1 : i64
// CHECK-DAG: %[[EZERO:.+]] = arith.constant 0 : i64
// CHECK: %[[NEG:.+]] = arith.cmpi slt, %[[E]], %[[EZERO]] : i64
// CHECK: %[[BITS:.+]] = arith.select %[[NEG]], %[[EZERO]], %[[E]] : i64
// CHECK: %[[LOOP:.+]]:3 = scf.while (%[[R:.+]] = %[[ONE]], %[[B:.+]] = %[[X]], %[[K:.+]] = %[[BITS]]) : (i32, i32, i64) -> (i32, i32, i64) {
// CHECK: %[[MORE:.+]] = arith.cmpi ne, %{{.+}}, %[[EZERO]] : i64
// CHECK: scf.condition(%[[MORE]])
// CHECK: } do {
// CHECK: ^bb0(%[[R2:.+]]: i32, %[[B2:.+]]: i32, %[[K2:.+]]: i64):
// CHECK: %[[P:.+]] = arith.muli %[[R2]], %[[B2]] : i32
// CHECK: %[[LOW:.+]] = arith.andi %[[K2]], %[[EONE]] : i64
// CHECK: %[[ODD:.+]] = arith.cmpi ne, %[[LOW]], %[[EZERO]] : i64
// CHECK: %[[R3:.+]] = arith.select %[[ODD]], %[[P]], %[[R2]] : i32
// CHECK: %[[SQ:.+]] = arith.muli %[[B2]], %[[B2]] : i32
// CHECK: %[[K3:.+]] = arith.shrui %[[K2]], %[[EONE]] : i64
// CHECK: scf.yield %[[R3]], %[[SQ]], %[[K3]] : i32, i32, i64
// CHECK: %[[ISONE:.+]] = arith.cmpi eq, %[[X]], %[[ONE]] : i32
// CHECK: %[[INV:.+]] = arith.select %[[ISONE]]
// CHECK: %[[ISM1:.+]] = arith.cmpi eq, %[[X]], %{{.+}} : i32
// CHECK: %[[ELOW:.+]] = arith.andi %[[E]], %[[EONE]] : i64
// CHECK: %[[EODD:.+]] = arith.cmpi ne, %[[ELOW]], %[[EZERO]] : i64
// CHECK: %[[SIGN:.+]] = arith.select %[[EODD]]
// CHECK: %[[INV2:.+]] = arith.select %[[ISM1]], %[[SIGN]], %[[INV]] : i32
// CHECK: %[[RES:.+]] = arith.select %[[NEG]], %[[INV2]], %[[LOOP]]#0 : i32
// CHECK: linalg.yield %[[RES]] : i32
// CHECK: ^bb0(%{{.+}}: i8, %{{.+}}: i8, %{{.+}}: i8):
// CHECK-NOT: arith.cmpi slt
// CHECK: %[[U:.+]]:3 = scf.while
// CHECK: linalg.yield %[[U]]#0 : i8
func.func @pow_int(%a: tensor<3xi32>, %b: tensor<3xi64>, %c: tensor<3xui8>) -> (tensor<3xi32>, tensor<3xui8>) {
  %y = "onnx.Pow"(%a, %b) : (tensor<3xi32>, tensor<3xi64>) -> tensor<3xi32>
  %z = "onnx.Pow"(%c, %c) : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
  return %y, %z : tensor<3xi32>, tensor<3xui8>
}

// -----

// An integer base with a float exponent goes through f64 and truncates back
// (onnxruntime's static_cast<T>(std::pow(x, y))).
// CHECK-LABEL: func.func @pow_int_float
// CHECK: ^bb0(%[[X:.+]]: i64, %[[E:.+]]: f32, %{{.+}}: i64):
// CHECK: %[[XW:.+]] = arith.sitofp %[[X]] : i64 to f64
// CHECK: %[[EW:.+]] = arith.extf %[[E]] : f32 to f64
// CHECK: %[[P:.+]] = math.powf %[[XW]], %[[EW]] : f64
// CHECK: %[[R:.+]] = arith.fptosi %[[P]] : f64 to i64
// CHECK: linalg.yield %[[R]] : i64
func.func @pow_int_float(%a: tensor<3xi64>, %b: tensor<3xf32>) -> tensor<3xi64> {
  %y = "onnx.Pow"(%a, %b) : (tensor<3xi64>, tensor<3xf32>) -> tensor<3xi64>
  return %y : tensor<3xi64>
}

// -----

// Float unary ops, one generic each.
// CHECK-LABEL: func.func @unary_float
// CHECK: math.sqrt
// CHECK: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: arith.divf %[[ONE]], %{{.+}} : f32
// CHECK: arith.negf
// CHECK: math.absf
// CHECK: math.exp
// CHECK: math.log
// CHECK: math.erf
// CHECK: math.tanh
// CHECK: math.cos
// CHECK: math.sin
// Sigmoid: 1 / (1 + exp(-x)).
// CHECK: ^bb0(%[[X:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[ONE2:.+]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[NEG:.+]] = arith.negf %[[X]] : f32
// CHECK: %[[EXP:.+]] = math.exp %[[NEG]] : f32
// CHECK: %[[DEN:.+]] = arith.addf %[[ONE2]], %[[EXP]] : f32
// CHECK: arith.divf %[[ONE2]], %[[DEN]] : f32
// Relu propagates NaN.
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: arith.maximumf %{{.+}}, %[[ZERO]] : f32
func.func @unary_float(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %0 = "onnx.Sqrt"(%x) : (tensor<?xf32>) -> tensor<?xf32>
  %1 = "onnx.Reciprocal"(%x) : (tensor<?xf32>) -> tensor<?xf32>
  %2 = "onnx.Neg"(%x) : (tensor<?xf32>) -> tensor<?xf32>
  %3 = "onnx.Abs"(%x) : (tensor<?xf32>) -> tensor<?xf32>
  %4 = "onnx.Exp"(%x) : (tensor<?xf32>) -> tensor<?xf32>
  %5 = "onnx.Log"(%x) : (tensor<?xf32>) -> tensor<?xf32>
  %6 = "onnx.Erf"(%x) : (tensor<?xf32>) -> tensor<?xf32>
  %7 = "onnx.Tanh"(%x) : (tensor<?xf32>) -> tensor<?xf32>
  %8 = "onnx.Cos"(%x) : (tensor<?xf32>) -> tensor<?xf32>
  %9 = "onnx.Sin"(%x) : (tensor<?xf32>) -> tensor<?xf32>
  %10 = "onnx.Sigmoid"(%x) : (tensor<?xf32>) -> tensor<?xf32>
  %11 = "onnx.Relu"(%x) : (tensor<?xf32>) -> tensor<?xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
}

// -----

// Integer unary ops: Neg is 0 - x, Abs of an unsigned value is the value.
// CHECK-LABEL: func.func @unary_int
// CHECK: %[[Z:.+]] = arith.constant 0 : i32
// CHECK-NEXT: arith.subi %[[Z]], %{{.+}} : i32
// CHECK: math.absi %{{.+}} : i32
// CHECK: ^bb0(%[[U:.+]]: i8, %{{.+}}: i8):
// CHECK-NEXT: linalg.yield %[[U]] : i8
// CHECK: %[[Z2:.+]] = arith.constant 0 : i32
// CHECK-NEXT: arith.maxsi %{{.+}}, %[[Z2]] : i32
func.func @unary_int(%x: tensor<4xi32>, %u: tensor<4xui8>) -> (tensor<4xi32>, tensor<4xi32>, tensor<4xui8>, tensor<4xi32>) {
  %0 = "onnx.Neg"(%x) : (tensor<4xi32>) -> tensor<4xi32>
  %1 = "onnx.Abs"(%x) : (tensor<4xi32>) -> tensor<4xi32>
  %2 = "onnx.Abs"(%u) : (tensor<4xui8>) -> tensor<4xui8>
  %3 = "onnx.Relu"(%x) : (tensor<4xi32>) -> tensor<4xi32>
  return %0, %1, %2, %3 : tensor<4xi32>, tensor<4xi32>, tensor<4xui8>, tensor<4xi32>
}

// -----

// CHECK-LABEL: func.func @not
// CHECK: %[[T:.+]] = arith.constant true
// CHECK-NEXT: arith.xori %{{.+}}, %[[T]] : i1
func.func @not(%x: tensor<2x?xi1>) -> tensor<2x?xi1> {
  %y = "onnx.Not"(%x) : (tensor<2x?xi1>) -> tensor<2x?xi1>
  return %y : tensor<2x?xi1>
}

// -----

// Comparisons give i1; unsigned operands compare unsigned.
// CHECK-LABEL: func.func @compare
// CHECK: arith.cmpf oeq, %{{.+}}, %{{.+}} : f32
// CHECK: linalg.yield %{{.+}} : i1
// CHECK: } -> tensor<?x3xi1>
// CHECK: arith.cmpi slt, %{{.+}}, %{{.+}} : i64
// CHECK: arith.cmpi ugt, %{{.+}}, %{{.+}} : i16
// CHECK: arith.cmpf ogt, %{{.+}}, %{{.+}} : f32
// CHECK: arith.cmpi eq, %{{.+}}, %{{.+}} : i1
func.func @compare(%a: tensor<?x3xf32>, %b: tensor<3xf32>, %i: tensor<3xi64>, %j: tensor<3xi64>,
                   %u: tensor<3xui16>, %v: tensor<1xui16>, %p: tensor<3xi1>)
    -> (tensor<?x3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<?x3xi1>, tensor<3xi1>) {
  %0 = "onnx.Equal"(%a, %b) : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xi1>
  %1 = "onnx.Less"(%i, %j) : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi1>
  %2 = "onnx.Greater"(%u, %v) : (tensor<3xui16>, tensor<1xui16>) -> tensor<3xi1>
  %3 = "onnx.Greater"(%a, %b) : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xi1>
  %4 = "onnx.Equal"(%p, %p) : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  return %0, %1, %2, %3, %4 : tensor<?x3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<?x3xi1>, tensor<3xi1>
}

// -----

// Where broadcasts all three operands.
// CHECK-DAG: #[[C:map[0-9]*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[X:map[0-9]*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[Y:map[0-9]*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @where
// CHECK: linalg.generic {indexing_maps = [#[[C]], #[[X]], #[[Y]], #{{.+}}]
// CHECK: ^bb0(%[[P:.+]]: i1, %[[A:.+]]: f32, %[[B:.+]]: f32, %{{.+}}: f32):
// CHECK: arith.select %[[P]], %[[A]], %[[B]] : f32
func.func @where(%c: tensor<?x1xi1>, %x: tensor<5xf32>, %y: tensor<f32>) -> tensor<?x5xf32> {
  %r = "onnx.Where"(%c, %x, %y) : (tensor<?x1xi1>, tensor<5xf32>, tensor<f32>) -> tensor<?x5xf32>
  return %r : tensor<?x5xf32>
}

// -----

// Cast: float to int truncates toward zero (fptosi/fptoui), to bool is != 0
// (NaN is true), unsigned and bool sources zero-extend.
// CHECK-LABEL: func.func @cast
// CHECK: arith.fptosi %{{.+}} : f32 to i32
// CHECK: arith.fptoui %{{.+}} : f32 to i8
// CHECK: %[[FZ:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: arith.cmpf une, %{{.+}}, %[[FZ]] : f32
// CHECK: %[[IZ:.+]] = arith.constant 0 : i32
// CHECK-NEXT: arith.cmpi ne, %{{.+}}, %[[IZ]] : i32
// CHECK: arith.sitofp %{{.+}} : i64 to f32
// CHECK: arith.uitofp %{{.+}} : i8 to f32
// CHECK: arith.uitofp %{{.+}} : i1 to f32
// CHECK: arith.extui %{{.+}} : i1 to i64
// CHECK: arith.extui %{{.+}} : i8 to i32
// CHECK: arith.extsi %{{.+}} : i8 to i32
// CHECK: arith.trunci %{{.+}} : i64 to i32
// CHECK: arith.truncf %{{.+}} : f32 to f16
// CHECK: arith.extf %{{.+}} : f16 to f32
// CHECK: %[[W:.+]] = arith.extf %{{.+}} : f16 to f32
// CHECK-NEXT: arith.truncf %[[W]] : f32 to bf16
// CHECK: arith.trunci %{{.+}} : i32 to i8
func.func @cast(%f: tensor<?xf32>, %i: tensor<?xi32>, %l: tensor<?xi64>, %u: tensor<?xui8>,
                %s: tensor<?xi8>, %p: tensor<?xi1>, %h: tensor<?xf16>)
    -> (tensor<?xi32>, tensor<?xui8>, tensor<?xi1>, tensor<?xi1>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>,
        tensor<?xi64>, tensor<?xi32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf16>, tensor<?xf32>, tensor<?xbf16>, tensor<?xui8>) {
  %0 = "onnx.Cast"(%f) <{to = 6 : i64}> : (tensor<?xf32>) -> tensor<?xi32>
  %1 = "onnx.Cast"(%f) <{to = 2 : i64}> : (tensor<?xf32>) -> tensor<?xui8>
  %2 = "onnx.Cast"(%f) <{to = 9 : i64}> : (tensor<?xf32>) -> tensor<?xi1>
  %3 = "onnx.Cast"(%i) <{to = 9 : i64}> : (tensor<?xi32>) -> tensor<?xi1>
  %4 = "onnx.Cast"(%l) <{to = 1 : i64}> : (tensor<?xi64>) -> tensor<?xf32>
  %5 = "onnx.Cast"(%u) <{to = 1 : i64}> : (tensor<?xui8>) -> tensor<?xf32>
  %6 = "onnx.Cast"(%p) <{to = 1 : i64}> : (tensor<?xi1>) -> tensor<?xf32>
  %7 = "onnx.Cast"(%p) <{to = 7 : i64}> : (tensor<?xi1>) -> tensor<?xi64>
  %8 = "onnx.Cast"(%u) <{to = 6 : i64}> : (tensor<?xui8>) -> tensor<?xi32>
  %9 = "onnx.Cast"(%s) <{to = 6 : i64}> : (tensor<?xi8>) -> tensor<?xi32>
  %10 = "onnx.Cast"(%l) <{to = 6 : i64}> : (tensor<?xi64>) -> tensor<?xi32>
  %11 = "onnx.Cast"(%f) <{to = 10 : i64}> : (tensor<?xf32>) -> tensor<?xf16>
  %12 = "onnx.Cast"(%h) <{to = 1 : i64}> : (tensor<?xf16>) -> tensor<?xf32>
  %13 = "onnx.Cast"(%h) <{to = 16 : i64}> : (tensor<?xf16>) -> tensor<?xbf16>
  %14 = "onnx.Cast"(%i) <{to = 2 : i64}> : (tensor<?xi32>) -> tensor<?xui8>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14
      : tensor<?xi32>, tensor<?xui8>, tensor<?xi1>, tensor<?xi1>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>,
        tensor<?xi64>, tensor<?xi32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf16>, tensor<?xf32>, tensor<?xbf16>, tensor<?xui8>
}

// -----

// Clip: max with the lower bound, then min with the upper bound; an absent
// bound is left out of the generic.
// CHECK-LABEL: func.func @clip
// CHECK-SAME: (%[[X:.+]]: tensor<?x4xf32>, %[[LO:.+]]: tensor<f32>, %[[HI:.+]]: tensor<f32>, %[[I:.+]]: tensor<4xi8>, %[[IH:.+]]: tensor<i8>)
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[X]], %[[LO]], %[[HI]] : tensor<?x4xf32>, tensor<f32>, tensor<f32>)
// CHECK: ^bb0(%[[V:.+]]: f32, %[[L:.+]]: f32, %[[H:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[M:.+]] = arith.maximumf %[[V]], %[[L]] : f32
// CHECK: arith.minimumf %[[M]], %[[H]] : f32
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[X]], %[[HI]] : tensor<?x4xf32>, tensor<f32>)
// CHECK: arith.minimumf
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[X]] : tensor<?x4xf32>)
// CHECK: ^bb0(%[[V2:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: linalg.yield %[[V2]] : f32
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.+}}, %{{.+}} : tensor<4xi8>, tensor<i8>)
// CHECK: arith.minui
func.func @clip(%x: tensor<?x4xf32>, %lo: tensor<f32>, %hi: tensor<f32>, %i: tensor<4xui8>, %ih: tensor<ui8>)
    -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<4xui8>) {
  %none = onnx.none
  %0 = "onnx.Clip"(%x, %lo, %hi) : (tensor<?x4xf32>, tensor<f32>, tensor<f32>) -> tensor<?x4xf32>
  %1 = "onnx.Clip"(%x, %none, %hi) : (tensor<?x4xf32>, none, tensor<f32>) -> tensor<?x4xf32>
  %2 = "onnx.Clip"(%x, %none, %none) : (tensor<?x4xf32>, none, none) -> tensor<?x4xf32>
  %3 = "onnx.Clip"(%i, %none, %ih) : (tensor<4xui8>, none, tensor<ui8>) -> tensor<4xui8>
  return %0, %1, %2, %3 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<4xui8>
}

// -----

// Max/Min are variadic and broadcast every input.
// CHECK-DAG: #[[ID:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:map[0-9]*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[S:map[0-9]*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @max_min
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[S]], #[[ID]]]
// CHECK: ^bb0(%[[A:.+]]: f32, %[[B:.+]]: f32, %[[C:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[M:.+]] = arith.maximumf %[[A]], %[[B]] : f32
// CHECK: arith.maximumf %[[M]], %[[C]] : f32
// CHECK: arith.minsi %{{.+}}, %{{.+}} : i32
// CHECK: arith.maxui %{{.+}}, %{{.+}} : i32
func.func @max_min(%a: tensor<?x3xf32>, %b: tensor<3xf32>, %c: tensor<f32>, %i: tensor<3xi32>, %u: tensor<3xui32>)
    -> (tensor<?x3xf32>, tensor<3xi32>, tensor<3xui32>) {
  %0 = "onnx.Max"(%a, %b, %c) : (tensor<?x3xf32>, tensor<3xf32>, tensor<f32>) -> tensor<?x3xf32>
  %1 = "onnx.Min"(%i, %i) : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  %2 = "onnx.Max"(%u, %u) : (tensor<3xui32>, tensor<3xui32>) -> tensor<3xui32>
  return %0, %1, %2 : tensor<?x3xf32>, tensor<3xi32>, tensor<3xui32>
}
