// RUN: peft-opt %s -split-input-file --onnx-cleanup | FileCheck %s
// RUN: peft-opt %s -split-input-file --onnx-cleanup=max-fold-elements=4 | FileCheck %s --check-prefix=LIMIT
// RUN: peft-opt %s -split-input-file --onnx-cleanup -mlir-print-debuginfo -mlir-print-local-scope | FileCheck %s --check-prefix=LOC

// Identity of the same type disappears; one that changes the type of a graph
// output stays (func.return fixes its operand types).
// CHECK-LABEL: func.func @identity
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[Y:.*]]: tensor<4xf32>)
// CHECK-NOT: onnx.Identity
// CHECK: %[[ABS:.*]] = "onnx.Abs"(%[[X]])
// CHECK: %[[ID:.*]] = "onnx.Identity"(%[[Y]]) : (tensor<4xf32>) -> tensor<?xf32>
// CHECK: return %[[ABS]], %[[ID]]
func.func @identity(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<?xf32>) {
  %0 = "onnx.Identity"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = "onnx.Abs"(%0) : (tensor<4xf32>) -> tensor<4xf32>
  %2 = "onnx.Identity"(%y) : (tensor<4xf32>) -> tensor<?xf32>
  return %1, %2 : tensor<4xf32>, tensor<?xf32>
}

// -----

// Every value form of Constant folds: value_ints [1, 2] + value_int 10.
// CHECK-LABEL: func.func @constant_forms
// CHECK-DAG: %[[I:.*]] = "onnx.Constant"() <{value = dense<[11, 12]> : tensor<2xi64>}> {onnx.outputs = ["sum"]} : () -> tensor<2xi64>
// CHECK-DAG: %[[F:.*]] = "onnx.Constant"() <{value = dense<[1, -2, 3]> : tensor<3xi32>}> : () -> tensor<3xi32>
// CHECK-DAG: %[[G:.*]] = "onnx.Constant"() <{value = dense<7> : tensor<i64>}> : () -> tensor<i64>
// CHECK: return %[[I]], %[[F]], %[[G]]
func.func @constant_forms() -> (tensor<2xi64>, tensor<3xi32>, tensor<i64>) {
  %0 = "onnx.Constant"() <{value_ints = array<i64: 1, 2>}> : () -> tensor<2xi64>
  %1 = "onnx.Constant"() <{value_int = 10 : i64}> : () -> tensor<i64>
  %2 = "onnx.Add"(%0, %1) {onnx.outputs = ["sum"]} : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %3 = "onnx.Constant"() <{value_floats = array<f32: 1.5, -2.75, 3.0>}> : () -> tensor<3xf32>
  %4 = "onnx.Cast"(%3) <{to = 6 : i64}> : (tensor<3xf32>) -> tensor<3xi32>
  %5 = "onnx.Constant"() <{value_float = 7.9 : f32}> : () -> tensor<f32>
  %6 = "onnx.Cast"(%5) <{to = 7 : i64}> : (tensor<f32>) -> tensor<i64>
  return %2, %4, %6 : tensor<2xi64>, tensor<3xi32>, tensor<i64>
}

// -----

// Shape of a static tensor, whole and with start/end (opset 15).
// CHECK-LABEL: func.func @shape_static
// CHECK-DAG: %[[ALL:.*]] = "onnx.Constant"() <{value = dense<[2, 3, 5]> : tensor<3xi64>}>
// CHECK-DAG: %[[MID:.*]] = "onnx.Constant"() <{value = dense<3> : tensor<1xi64>}>
// CHECK-DAG: %[[TAIL:.*]] = "onnx.Constant"() <{value = dense<[3, 5]> : tensor<2xi64>}>
// CHECK-NOT: onnx.Shape
// CHECK: return %[[ALL]], %[[MID]], %[[TAIL]]
func.func @shape_static(%x: tensor<2x3x5xf32>) -> (tensor<3xi64>, tensor<1xi64>, tensor<2xi64>) {
  %0 = "onnx.Shape"(%x) : (tensor<2x3x5xf32>) -> tensor<3xi64>
  %1 = "onnx.Shape"(%x) <{start = 1 : i64, end = -1 : i64}> : (tensor<2x3x5xf32>) -> tensor<1xi64>
  %2 = "onnx.Shape"(%x) <{start = -2 : i64, end = 100 : i64}> : (tensor<2x3x5xf32>) -> tensor<2xi64>
  return %0, %1, %2 : tensor<3xi64>, tensor<1xi64>, tensor<2xi64>
}

// -----

// A dynamic dimension is never folded; a Shape range that skips it is.
// CHECK-LABEL: func.func @shape_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK-DAG: %[[S:.*]] = "onnx.Shape"(%[[X]]) : (tensor<?x8xf32>) -> tensor<2xi64>
// CHECK-DAG: %[[E:.*]] = "onnx.Constant"() <{value = dense<8> : tensor<1xi64>}>
// CHECK: return %[[S]], %[[E]]
func.func @shape_dynamic(%x: tensor<?x8xf32>) -> (tensor<2xi64>, tensor<1xi64>) {
  %0 = "onnx.Shape"(%x) : (tensor<?x8xf32>) -> tensor<2xi64>
  %1 = "onnx.Shape"(%x) <{start = 1 : i64}> : (tensor<?x8xf32>) -> tensor<1xi64>
  return %0, %1 : tensor<2xi64>, tensor<1xi64>
}

// -----

// Gather on constants: scalar, 1-D and negative indices, axis 1.
// CHECK-LABEL: func.func @gather_constant
// CHECK-DAG: %[[A:.*]] = "onnx.Constant"() <{value = dense<30> : tensor<i64>}>
// CHECK-DAG: %[[B:.*]] = "onnx.Constant"() <{value = dense<[40, 10]> : tensor<2xi64>}>
// CHECK-DAG: %[[C:.*]] = "onnx.Constant"() <{value = dense<{{\[}}[3], [6]]> : tensor<2x1xi32>}>
// CHECK-NOT: onnx.Gather
// CHECK: return %[[A]], %[[B]], %[[C]]
func.func @gather_constant() -> (tensor<i64>, tensor<2xi64>, tensor<2x1xi32>) {
  %data = "onnx.Constant"() <{value = dense<[10, 20, 30, 40]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %i = "onnx.Constant"() <{value = dense<2> : tensor<i64>}> : () -> tensor<i64>
  %0 = "onnx.Gather"(%data, %i) <{axis = 0 : i64}> : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %j = "onnx.Constant"() <{value = dense<[-1, 0]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %1 = "onnx.Gather"(%data, %j) : (tensor<4xi64>, tensor<2xi64>) -> tensor<2xi64>
  %m = "onnx.Constant"() <{value = dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>}> : () -> tensor<2x3xi32>
  %k = "onnx.Constant"() <{value = dense<[-1]> : tensor<1xi32>}> : () -> tensor<1xi32>
  %2 = "onnx.Gather"(%m, %k) <{axis = 1 : i64}> : (tensor<2x3xi32>, tensor<1xi32>) -> tensor<2x1xi32>
  return %0, %1, %2 : tensor<i64>, tensor<2xi64>, tensor<2x1xi32>
}

// -----

// An index out of range is left to the runtime (which reports it).
// CHECK-LABEL: func.func @gather_out_of_range
// CHECK: "onnx.Gather"
func.func @gather_out_of_range() -> tensor<i64> {
  %data = "onnx.Constant"() <{value = dense<[10, 20]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %i = "onnx.Constant"() <{value = dense<2> : tensor<i64>}> : () -> tensor<i64>
  %0 = "onnx.Gather"(%data, %i) <{axis = 0 : i64}> : (tensor<2xi64>, tensor<i64>) -> tensor<i64>
  return %0 : tensor<i64>
}

// -----

// Gather(Shape(x), i) folds when dimension i of x is static, even if others
// are dynamic; the dynamic one stays a Gather.
// CHECK-LABEL: func.func @gather_of_shape
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>)
// CHECK-DAG: %[[S:.*]] = "onnx.Shape"(%[[X]])
// CHECK-DAG: %[[DYN:.*]] = "onnx.Gather"(%[[S]], %{{.*}}) <{axis = 0 : i64}> : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
// CHECK-DAG: %[[STATIC:.*]] = "onnx.Constant"() <{value = dense<64> : tensor<i64>}> {onnx.outputs = ["hidden"]} : () -> tensor<i64>
// CHECK: return %[[DYN]], %[[STATIC]]
func.func @gather_of_shape(%x: tensor<?x?x64xf32>) -> (tensor<i64>, tensor<i64>) {
  %s = "onnx.Shape"(%x) : (tensor<?x?x64xf32>) -> tensor<3xi64>
  %i0 = "onnx.Constant"() <{value = dense<1> : tensor<i64>}> : () -> tensor<i64>
  %0 = "onnx.Gather"(%s, %i0) <{axis = 0 : i64}> : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %i1 = "onnx.Constant"() <{value = dense<-1> : tensor<i64>}> : () -> tensor<i64>
  %1 = "onnx.Gather"(%s, %i1) <{axis = 0 : i64}> {onnx.outputs = ["hidden"]} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  return %0, %1 : tensor<i64>, tensor<i64>
}

// -----

// Unsqueeze with axes as an input (opset 13) and as an attribute.
// CHECK-LABEL: func.func @unsqueeze
// CHECK-DAG: %[[A:.*]] = "onnx.Constant"() <{value = dense<5> : tensor<1xi64>}>
// CHECK-DAG: %[[B:.*]] = "onnx.Constant"() <{value = dense<{{\[}}[1, 2]]> : tensor<1x2xi64>}>
// CHECK-DAG: %[[C:.*]] = "onnx.Constant"() <{value = dense<{{\[}}[1], [2]]> : tensor<2x1xi64>}>
// CHECK: return %[[A]], %[[B]], %[[C]]
func.func @unsqueeze() -> (tensor<1xi64>, tensor<1x2xi64>, tensor<2x1xi64>) {
  %s = "onnx.Constant"() <{value = dense<5> : tensor<i64>}> : () -> tensor<i64>
  %v = "onnx.Constant"() <{value = dense<[1, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %zero = "onnx.Constant"() <{value = dense<0> : tensor<1xi64>}> : () -> tensor<1xi64>
  %none = onnx.none
  %0 = "onnx.Unsqueeze"(%s, %zero) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %1 = "onnx.Unsqueeze"(%v, %zero) : (tensor<2xi64>, tensor<1xi64>) -> tensor<1x2xi64>
  %2 = "onnx.Unsqueeze"(%v, %none) <{axes = array<i64: -1>}> : (tensor<2xi64>, none) -> tensor<2x1xi64>
  return %0, %1, %2 : tensor<1xi64>, tensor<1x2xi64>, tensor<2x1xi64>
}

// -----

// Squeeze with axes as an input, as an attribute, and absent (all 1s).
// CHECK-LABEL: func.func @squeeze
// CHECK-DAG: %[[A:.*]] = "onnx.Constant"() <{value = dense<7> : tensor<i64>}>
// CHECK-DAG: %[[B:.*]] = "onnx.Constant"() <{value = dense<[3, 4]> : tensor<2xi64>}>
// CHECK: return %[[A]], %[[B]], %[[B2:.*]] :
func.func @squeeze() -> (tensor<i64>, tensor<2xi64>, tensor<2xi64>) {
  %s = "onnx.Constant"() <{value = dense<7> : tensor<1xi64>}> : () -> tensor<1xi64>
  %zero = "onnx.Constant"() <{value = dense<0> : tensor<1xi64>}> : () -> tensor<1xi64>
  %0 = "onnx.Squeeze"(%s, %zero) : (tensor<1xi64>, tensor<1xi64>) -> tensor<i64>
  %m = "onnx.Constant"() <{value = dense<[[[3], [4]]]> : tensor<1x2x1xi64>}> : () -> tensor<1x2x1xi64>
  %none = onnx.none
  %1 = "onnx.Squeeze"(%m, %none) <{axes = array<i64: 0, -1>}> : (tensor<1x2x1xi64>, none) -> tensor<2xi64>
  %2 = "onnx.Squeeze"(%m, %none) : (tensor<1x2x1xi64>, none) -> tensor<2xi64>
  return %0, %1, %2 : tensor<i64>, tensor<2xi64>, tensor<2xi64>
}

// -----

// Concat of constants along axis 1.
// CHECK-LABEL: func.func @concat_constants
// CHECK: %[[C:.*]] = "onnx.Constant"() <{value = dense<{{\[}}[1, 2, 5], [3, 4, 6]]> : tensor<2x3xi64>}>
// CHECK-NEXT: return %[[C]]
func.func @concat_constants() -> tensor<2x3xi64> {
  %a = "onnx.Constant"() <{value = dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>}> : () -> tensor<2x2xi64>
  %b = "onnx.Constant"() <{value = dense<[[5], [6]]> : tensor<2x1xi64>}> : () -> tensor<2x1xi64>
  %0 = "onnx.Concat"(%a, %b) <{axis = -1 : i64}> : (tensor<2x2xi64>, tensor<2x1xi64>) -> tensor<2x3xi64>
  return %0 : tensor<2x3xi64>
}

// -----

// The Reshape target of an attention head split: the batch and sequence
// entries stay run-time values, the adjacent constants merge, and the
// Reshape gets the static head dimensions. The dynamic ones stay dynamic.
// CHECK-LABEL: func.func @concat_shape_vector
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>)
// CHECK: %[[B:.*]] = "onnx.Unsqueeze"
// CHECK: %[[HEADS:.*]] = "onnx.Constant"() <{value = dense<[4, 16]> : tensor<2xi64>}> : () -> tensor<2xi64>
// CHECK: %[[SHAPE:.*]] = "onnx.Concat"(%[[B]], %[[B]], %[[HEADS]]) <{axis = 0 : i64}>
// CHECK: %[[R:.*]] = "onnx.Reshape"(%[[X]], %[[SHAPE]]) : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
// CHECK: %[[T:.*]] = "onnx.Transpose"(%[[R]]) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<?x?x4x16xf32>) -> tensor<?x4x?x16xf32>
// CHECK: "onnx.Relu"(%[[T]]) : (tensor<?x4x?x16xf32>) -> tensor<*xf32>
func.func @concat_shape_vector(%x: tensor<?x?x64xf32>) -> tensor<*xf32> {
  %s = "onnx.Shape"(%x) : (tensor<?x?x64xf32>) -> tensor<3xi64>
  %i = "onnx.Constant"() <{value = dense<0> : tensor<i64>}> : () -> tensor<i64>
  %b = "onnx.Gather"(%s, %i) <{axis = 0 : i64}> : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %zero = "onnx.Constant"() <{value = dense<0> : tensor<1xi64>}> : () -> tensor<1xi64>
  %b1 = "onnx.Unsqueeze"(%b, %zero) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %heads = "onnx.Constant"() <{value = dense<4> : tensor<1xi64>}> : () -> tensor<1xi64>
  %dim = "onnx.Constant"() <{value = dense<16> : tensor<1xi64>}> : () -> tensor<1xi64>
  %shape = "onnx.Concat"(%b1, %b1, %heads, %dim) <{axis = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xi64>
  %r = "onnx.Reshape"(%x, %shape) : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<*xf32>
  %t = "onnx.Transpose"(%r) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<*xf32>) -> tensor<*xf32>
  %y = "onnx.Relu"(%t) : (tensor<*xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

// Casts: integer narrowing wraps, widening sign- or zero-extends, to bool is
// != 0, to float rounds to nearest even, float to int truncates.
// CHECK-LABEL: func.func @cast
// CHECK-DAG: "onnx.Constant"() <{value = dense<[-1, 0, 1, 44]> : tensor<4xi8>}>
// CHECK-DAG: "onnx.Constant"() <{value = dense<[255, 0, 1, 44]> : tensor<4xui8>}>
// CHECK-DAG: "onnx.Constant"() <{value = dense<[true, false, true, true]> : tensor<4xi1>}>
// CHECK-DAG: "onnx.Constant"() <{value = dense<[-1.000000e+00, 0.000000e+00, 1.000000e+00, 3.000000e+02]> : tensor<4xf32>}>
// CHECK-DAG: "onnx.Constant"() <{value = dense<[255, 0, 1, 44]> : tensor<4xi64>}>
// CHECK-DAG: "onnx.Constant"() <{value = dense<[16777216, -2, 0]> : tensor<3xi64>}>
// CHECK-NOT: onnx.Cast
func.func @cast() -> (tensor<4xi8>, tensor<4xui8>, tensor<4xi1>, tensor<4xf32>, tensor<4xi64>, tensor<3xi64>, tensor<4xi64>) {
  %i = "onnx.Constant"() <{value = dense<[-1, 0, 1, 300]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %0 = "onnx.Cast"(%i) <{to = 3 : i64}> : (tensor<4xi64>) -> tensor<4xi8>
  %1 = "onnx.Cast"(%i) <{to = 2 : i64}> : (tensor<4xi64>) -> tensor<4xui8>
  %2 = "onnx.Cast"(%i) <{to = 9 : i64}> : (tensor<4xi64>) -> tensor<4xi1>
  %3 = "onnx.Cast"(%i) <{to = 1 : i64}> : (tensor<4xi64>) -> tensor<4xf32>
  %4 = "onnx.Cast"(%1) <{to = 7 : i64}> : (tensor<4xui8>) -> tensor<4xi64>
  %f = "onnx.Constant"() <{value = dense<[16777217.0, -2.9, -0.5]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %5 = "onnx.Cast"(%f) <{to = 7 : i64}> : (tensor<3xf32>) -> tensor<3xi64>
  %6 = "onnx.Cast"(%i) <{to = 7 : i64}> : (tensor<4xi64>) -> tensor<4xi64>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<4xi8>, tensor<4xui8>, tensor<4xi1>, tensor<4xf32>, tensor<4xi64>, tensor<3xi64>, tensor<4xi64>
}

// -----

// A float that does not fit the integer type (or NaN) has no defined cast;
// runtimes may round to bf16/f16 differently, so only exact ones fold.
// CHECK-LABEL: func.func @cast_not_folded
// CHECK: "onnx.Cast"
// CHECK: "onnx.Cast"
// CHECK: "onnx.Cast"
// CHECK: "onnx.Constant"() <{value = dense<2.560000e+02> : tensor<1xbf16>}>
func.func @cast_not_folded() -> (tensor<1xi8>, tensor<1xi32>, tensor<1xbf16>, tensor<1xbf16>) {
  %f = "onnx.Constant"() <{value = dense<300.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %0 = "onnx.Cast"(%f) <{to = 3 : i64}> : (tensor<1xf32>) -> tensor<1xi8>
  %nan = "onnx.Constant"() <{value = dense<0x7FC00000> : tensor<1xf32>}> : () -> tensor<1xf32>
  %1 = "onnx.Cast"(%nan) <{to = 6 : i64}> : (tensor<1xf32>) -> tensor<1xi32>
  %g = "onnx.Constant"() <{value = dense<257.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %2 = "onnx.Cast"(%g) <{to = 16 : i64}> : (tensor<1xf32>) -> tensor<1xbf16>
  %i = "onnx.Constant"() <{value = dense<256> : tensor<1xi64>}> : () -> tensor<1xi64>
  %3 = "onnx.Cast"(%i) <{to = 16 : i64}> : (tensor<1xi64>) -> tensor<1xbf16>
  return %0, %1, %2, %3 : tensor<1xi8>, tensor<1xi32>, tensor<1xbf16>, tensor<1xbf16>
}

// -----

// Integer arithmetic with numpy broadcasting; Div truncates toward zero.
// CHECK-LABEL: func.func @arith
// CHECK-DAG: %[[ADD:.*]] = "onnx.Constant"() <{value = dense<{{\[}}[5, 6], [7, 8]]> : tensor<2x2xi64>}>
// CHECK-DAG: %[[SUB:.*]] = "onnx.Constant"() <{value = dense<[3, -11]> : tensor<2xi64>}>
// CHECK-DAG: %[[MUL:.*]] = "onnx.Constant"() <{value = dense<[-14, 14]> : tensor<2xi64>}>
// CHECK-DAG: %[[DIV:.*]] = "onnx.Constant"() <{value = dense<[-3, 3]> : tensor<2xi64>}>
// CHECK: return %[[ADD]], %[[SUB]], %[[MUL]], %[[DIV]]
func.func @arith() -> (tensor<2x2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) {
  %col = "onnx.Constant"() <{value = dense<[[1], [3]]> : tensor<2x1xi64>}> : () -> tensor<2x1xi64>
  %row = "onnx.Constant"() <{value = dense<[4, 5]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %0 = "onnx.Add"(%col, %row) : (tensor<2x1xi64>, tensor<2xi64>) -> tensor<2x2xi64>
  %x = "onnx.Constant"() <{value = dense<[-7, 7]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %two = "onnx.Constant"() <{value = dense<2> : tensor<i64>}> : () -> tensor<i64>
  %minus4 = "onnx.Constant"() <{value = dense<-4> : tensor<1xi64>}> : () -> tensor<1xi64>
  %1 = "onnx.Sub"(%minus4, %x) : (tensor<1xi64>, tensor<2xi64>) -> tensor<2xi64>
  %2 = "onnx.Mul"(%x, %two) : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %3 = "onnx.Div"(%x, %two) : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  return %0, %1, %2, %3 : tensor<2x2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>
}

// -----

// Undefined results are left to the runtime: division by zero, signed
// overflow; floating-point arithmetic is never folded.
// CHECK-LABEL: func.func @arith_not_folded
// CHECK: "onnx.Div"
// CHECK: "onnx.Add"
// CHECK: "onnx.Mul"
func.func @arith_not_folded() -> (tensor<i64>, tensor<i32>, tensor<f32>) {
  %one = "onnx.Constant"() <{value = dense<1> : tensor<i64>}> : () -> tensor<i64>
  %zero = "onnx.Constant"() <{value = dense<0> : tensor<i64>}> : () -> tensor<i64>
  %0 = "onnx.Div"(%one, %zero) : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %max = "onnx.Constant"() <{value = dense<2147483647> : tensor<i32>}> : () -> tensor<i32>
  %one32 = "onnx.Constant"() <{value = dense<1> : tensor<i32>}> : () -> tensor<i32>
  %1 = "onnx.Add"(%max, %one32) : (tensor<i32>, tensor<i32>) -> tensor<i32>
  %f = "onnx.Constant"() <{value = dense<0.1> : tensor<f32>}> : () -> tensor<f32>
  %2 = "onnx.Mul"(%f, %f) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0, %1, %2 : tensor<i64>, tensor<i32>, tensor<f32>
}

// -----

// The -1 → 1 substitution exports emit before Expand:
// Where(Equal(shape, -1), 1, shape).
// CHECK-LABEL: func.func @equal_where
// CHECK: %[[C:.*]] = "onnx.Constant"() <{value = dense<[2, 1, 8]> : tensor<3xi64>}>
// CHECK-NEXT: return %[[C]]
func.func @equal_where() -> tensor<3xi64> {
  %shape = "onnx.Constant"() <{value = dense<[2, -1, 8]> : tensor<3xi64>}> : () -> tensor<3xi64>
  %minus1 = "onnx.Constant"() <{value = dense<-1> : tensor<3xi64>}> : () -> tensor<3xi64>
  %ones = "onnx.Constant"() <{value = dense<1> : tensor<3xi64>}> : () -> tensor<3xi64>
  %eq = "onnx.Equal"(%shape, %minus1) : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi1>
  %0 = "onnx.Where"(%eq, %ones, %shape) : (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return %0 : tensor<3xi64>
}

// -----

// Less, Greater (signed, unsigned and float) and Not.
// CHECK-LABEL: func.func @compare
// CHECK-DAG: %[[LT:.*]] = "onnx.Constant"() <{value = dense<[true, false, false]> : tensor<3xi1>}>
// CHECK-DAG: %[[GT:.*]] = "onnx.Constant"() <{value = dense<[false, false, true]> : tensor<3xi1>}>
// CHECK-DAG: %[[UGT:.*]] = "onnx.Constant"() <{value = dense<true> : tensor<1xi1>}>
// CHECK-DAG: %[[FLT:.*]] = "onnx.Constant"() <{value = dense<[true, false]> : tensor<2xi1>}>
// CHECK-DAG: %[[NOT:.*]] = "onnx.Constant"() <{value = dense<[false, true, true]> : tensor<3xi1>}>
// CHECK: return %[[LT]], %[[GT]], %[[UGT]], %[[FLT]], %[[NOT]]
func.func @compare() -> (tensor<3xi1>, tensor<3xi1>, tensor<1xi1>, tensor<2xi1>, tensor<3xi1>) {
  %a = "onnx.Constant"() <{value = dense<[-5, 0, 5]> : tensor<3xi64>}> : () -> tensor<3xi64>
  %z = "onnx.Constant"() <{value = dense<0> : tensor<i64>}> : () -> tensor<i64>
  %0 = "onnx.Less"(%a, %z) : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %1 = "onnx.Greater"(%a, %z) : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %u = "onnx.Constant"() <{value = dense<200> : tensor<1xui8>}> : () -> tensor<1xui8>
  %v = "onnx.Constant"() <{value = dense<100> : tensor<1xui8>}> : () -> tensor<1xui8>
  %2 = "onnx.Greater"(%u, %v) : (tensor<1xui8>, tensor<1xui8>) -> tensor<1xi1>
  %f = "onnx.Constant"() <{value = dense<[1.0, 0x7FC00000]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %g = "onnx.Constant"() <{value = dense<2.0> : tensor<f32>}> : () -> tensor<f32>
  %3 = "onnx.Less"(%f, %g) : (tensor<2xf32>, tensor<f32>) -> tensor<2xi1>
  %4 = "onnx.Not"(%0) : (tensor<3xi1>) -> tensor<3xi1>
  return %0, %1, %2, %3, %4 : tensor<3xi1>, tensor<3xi1>, tensor<1xi1>, tensor<2xi1>, tensor<3xi1>
}

// -----

// Slice of a 1-D constant: clamped ends, negative starts and steps.
// CHECK-LABEL: func.func @slice
// CHECK-DAG: %[[A:.*]] = "onnx.Constant"() <{value = dense<[1, 2, 3, 4]> : tensor<4xi64>}>
// CHECK-DAG: %[[B:.*]] = "onnx.Constant"() <{value = dense<[4, 2]> : tensor<2xi64>}>
// CHECK-DAG: %[[C:.*]] = "onnx.Constant"() <{value = dense<[4, 3, 2, 1, 0]> : tensor<5xi64>}>
// CHECK-DAG: %[[D:.*]] = "onnx.Constant"() <{value = dense<> : tensor<0xi64>}>
// CHECK: return %[[A]], %[[B]], %[[C]], %[[D]]
func.func @slice() -> (tensor<4xi64>, tensor<2xi64>, tensor<5xi64>, tensor<0xi64>) {
  %data = "onnx.Constant"() <{value = dense<[0, 1, 2, 3, 4]> : tensor<5xi64>}> : () -> tensor<5xi64>
  %one = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %big = "onnx.Constant"() <{value = dense<9223372036854775807> : tensor<1xi64>}> : () -> tensor<1xi64>
  %min = "onnx.Constant"() <{value = dense<-9223372036854775808> : tensor<1xi64>}> : () -> tensor<1xi64>
  %zero = "onnx.Constant"() <{value = dense<0> : tensor<1xi64>}> : () -> tensor<1xi64>
  %m1 = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %m2 = "onnx.Constant"() <{value = dense<-2> : tensor<1xi64>}> : () -> tensor<1xi64>
  %none = onnx.none
  // [1:]
  %0 = "onnx.Slice"(%data, %one, %big, %none, %none) : (tensor<5xi64>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<4xi64>
  // [-1:0:-2]
  %1 = "onnx.Slice"(%data, %m1, %zero, %zero, %m2) : (tensor<5xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  // [::-1] written as starts = -1, ends = INT64_MIN
  %2 = "onnx.Slice"(%data, %m1, %min, %zero, %m1) : (tensor<5xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<5xi64>
  // [1:0]
  %3 = "onnx.Slice"(%data, %one, %zero, %none, %none) : (tensor<5xi64>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<0xi64>
  return %0, %1, %2, %3 : tensor<4xi64>, tensor<2xi64>, tensor<5xi64>, tensor<0xi64>
}

// -----

// With a negative step, ONNX Runtime reads an end of INT64_MAX as "to the
// beginning" where the spec clamps it: not folded.
// CHECK-LABEL: func.func @slice_ambiguous
// CHECK: "onnx.Slice"
func.func @slice_ambiguous() -> tensor<?xi64> {
  %data = "onnx.Constant"() <{value = dense<[0, 1, 2, 3, 4]> : tensor<5xi64>}> : () -> tensor<5xi64>
  %m1 = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %big = "onnx.Constant"() <{value = dense<9223372036854775807> : tensor<1xi64>}> : () -> tensor<1xi64>
  %none = onnx.none
  %0 = "onnx.Slice"(%data, %m1, %big, %none, %m1) : (tensor<5xi64>, tensor<1xi64>, tensor<1xi64>, none, tensor<1xi64>) -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// -----

// Slice(Shape(x)) as GPT-2 exports take the last dimension; it is static.
// CHECK-LABEL: func.func @slice_of_shape
// CHECK: %[[C:.*]] = "onnx.Constant"() <{value = dense<16> : tensor<i64>}>
// CHECK-NEXT: return %[[C]]
func.func @slice_of_shape(%x: tensor<?x4x?x16xf32>) -> tensor<i64> {
  %s = "onnx.Shape"(%x) : (tensor<?x4x?x16xf32>) -> tensor<4xi64>
  %m1 = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %big = "onnx.Constant"() <{value = dense<9223372036854775807> : tensor<1xi64>}> : () -> tensor<1xi64>
  %zero = "onnx.Constant"() <{value = dense<0> : tensor<1xi64>}> : () -> tensor<1xi64>
  %none = onnx.none
  %0 = "onnx.Slice"(%s, %m1, %big, %zero, %none) : (tensor<4xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<1xi64>
  %1 = "onnx.Squeeze"(%0, %zero) : (tensor<1xi64>, tensor<1xi64>) -> tensor<i64>
  return %1 : tensor<i64>
}

// -----

// Range with a constant count, and one whose limit is a dynamic dimension:
// the latter keeps a dynamic length.
// CHECK-LABEL: func.func @range
// CHECK-DAG: %[[A:.*]] = "onnx.Constant"() <{value = dense<[10, 7, 4, 1]> : tensor<4xi32>}> : () -> tensor<?xi32>
// CHECK-DAG: %[[B:.*]] = "onnx.Range"({{.*}}) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
// CHECK: return %[[A]], %[[B]]
func.func @range(%x: tensor<?xf32>) -> (tensor<?xi32>, tensor<?xi64>) {
  %start = "onnx.Constant"() <{value = dense<10> : tensor<i32>}> : () -> tensor<i32>
  %limit = "onnx.Constant"() <{value = dense<0> : tensor<i32>}> : () -> tensor<i32>
  %delta = "onnx.Constant"() <{value = dense<-3> : tensor<i32>}> : () -> tensor<i32>
  %0 = "onnx.Range"(%start, %limit, %delta) : (tensor<i32>, tensor<i32>, tensor<i32>) -> tensor<?xi32>
  %s = "onnx.Shape"(%x) : (tensor<?xf32>) -> tensor<1xi64>
  %zero = "onnx.Constant"() <{value = dense<0> : tensor<1xi64>}> : () -> tensor<1xi64>
  %n = "onnx.Squeeze"(%s, %zero) : (tensor<1xi64>, tensor<1xi64>) -> tensor<i64>
  %c0 = "onnx.Constant"() <{value = dense<0> : tensor<i64>}> : () -> tensor<i64>
  %c1 = "onnx.Constant"() <{value = dense<1> : tensor<i64>}> : () -> tensor<i64>
  %1 = "onnx.Range"(%c0, %n, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return %0, %1 : tensor<?xi32>, tensor<?xi64>
}

// -----

// A folded value used only by onnx ops takes the static type of its
// constant; the graph output keeps its declared type.
// CHECK-LABEL: func.func @range_refined
// CHECK-SAME: (%[[X:.*]]: tensor<?xf32>)
// CHECK: %[[F:.*]] = "onnx.Constant"() <{value = dense<[0.000000e+00, 1.000000e+00, 2.000000e+00]> : tensor<3xf32>}> : () -> tensor<3xf32>
// CHECK: %[[Y:.*]] = "onnx.Add"(%[[X]], %[[F]]) : (tensor<?xf32>, tensor<3xf32>) -> tensor<?xf32>
// CHECK: return %[[Y]] : tensor<?xf32>
func.func @range_refined(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = "onnx.Constant"() <{value = dense<0> : tensor<i64>}> : () -> tensor<i64>
  %c1 = "onnx.Constant"() <{value = dense<1> : tensor<i64>}> : () -> tensor<i64>
  %c3 = "onnx.Constant"() <{value = dense<3> : tensor<i64>}> : () -> tensor<i64>
  %r = "onnx.Range"(%c0, %c3, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %f = "onnx.Cast"(%r) <{to = 1 : i64}> : (tensor<?xi64>) -> tensor<?xf32>
  %y = "onnx.Add"(%x, %f) : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// ConstantOfShape: an explicit value, the 0.0f default, and an empty shape
// (a scalar).
// CHECK-LABEL: func.func @constant_of_shape
// CHECK-DAG: %[[A:.*]] = "onnx.Constant"() <{value = dense<true> : tensor<2x3xi1>}>
// CHECK-DAG: %[[B:.*]] = "onnx.Constant"() <{value = dense<0.000000e+00> : tensor<2x3xf32>}>
// CHECK-DAG: %[[C:.*]] = "onnx.Constant"() <{value = dense<5> : tensor<i64>}>
// CHECK: return %[[A]], %[[B]], %[[C]]
// LIMIT-LABEL: func.func @constant_of_shape
// LIMIT: "onnx.ConstantOfShape"
// LIMIT-NEXT: "onnx.ConstantOfShape"
// LIMIT-NEXT: "onnx.Constant"() <{value = dense<5> : tensor<i64>}>
func.func @constant_of_shape() -> (tensor<2x3xi1>, tensor<2x3xf32>, tensor<i64>) {
  %shape = "onnx.Constant"() <{value = dense<[2, 3]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %0 = "onnx.ConstantOfShape"(%shape) <{value = dense<true> : tensor<1xi1>}> : (tensor<2xi64>) -> tensor<2x3xi1>
  %1 = "onnx.ConstantOfShape"(%shape) : (tensor<2xi64>) -> tensor<2x3xf32>
  %empty = "onnx.Constant"() <{value = dense<> : tensor<0xi64>}> : () -> tensor<0xi64>
  %2 = "onnx.ConstantOfShape"(%empty) <{value = dense<5> : tensor<1xi64>}> : (tensor<0xi64>) -> tensor<i64>
  return %0, %1, %2 : tensor<2x3xi1>, tensor<2x3xf32>, tensor<i64>
}

// -----

// ConstantOfShape whose shape is partly known gets a partly static type.
// CHECK-LABEL: func.func @constant_of_shape_partial
// CHECK: "onnx.ConstantOfShape"(%{{.*}}) <{value = dense<true> : tensor<1xi1>}> : (tensor<2xi64>) -> tensor<?x8xi1>
func.func @constant_of_shape_partial(%x: tensor<?x8xf32>) -> tensor<*xi1> {
  %s = "onnx.Shape"(%x) : (tensor<?x8xf32>) -> tensor<2xi64>
  %0 = "onnx.ConstantOfShape"(%s) <{value = dense<true> : tensor<1xi1>}> : (tensor<2xi64>) -> tensor<*xi1>
  %1 = "onnx.Not"(%0) : (tensor<*xi1>) -> tensor<*xi1>
  return %1 : tensor<*xi1>
}

// -----

// Reshape of constants: 0 copies the input dimension, -1 is inferred;
// with allowzero = 1 a 0 is a real zero-size dimension.
// CHECK-LABEL: func.func @reshape
// CHECK-DAG: %[[A:.*]] = "onnx.Constant"() <{value = dense<{{\[}}[0, 1, 2], [3, 4, 5]]> : tensor<2x3xi64>}>
// CHECK-DAG: %[[B:.*]] = "onnx.Constant"() <{value = dense<> : tensor<0x3xi64>}>
// CHECK: return %[[A]], %[[B]]
func.func @reshape() -> (tensor<2x3xi64>, tensor<0x3xi64>) {
  %data = "onnx.Constant"() <{value = dense<[[0, 1, 2, 3, 4, 5]]> : tensor<1x6xi64>}> : () -> tensor<1x6xi64>
  %shape = "onnx.Constant"() <{value = dense<[2, -1]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %0 = "onnx.Reshape"(%data, %shape) : (tensor<1x6xi64>, tensor<2xi64>) -> tensor<2x3xi64>
  %empty = "onnx.Constant"() <{value = dense<> : tensor<3x0xi64>}> : () -> tensor<3x0xi64>
  %shape2 = "onnx.Constant"() <{value = dense<[0, 3]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %1 = "onnx.Reshape"(%empty, %shape2) <{allowzero = 1 : i64}> : (tensor<3x0xi64>, tensor<2xi64>) -> tensor<0x3xi64>
  return %0, %1 : tensor<2x3xi64>, tensor<0x3xi64>
}

// -----

// Reshape with a 0 entry (allowzero = 0) copies the input dimension.
// CHECK-LABEL: func.func @reshape_copy_dim
// CHECK: %[[A:.*]] = "onnx.Constant"() <{value = dense<{{\[}}[0, 1, 2], [3, 4, 5]]> : tensor<2x3xi64>}>
// CHECK: return %[[A]]
func.func @reshape_copy_dim() -> tensor<*xi64> {
  %data = "onnx.Constant"() <{value = dense<[[0, 1, 2], [3, 4, 5]]> : tensor<2x3xi64>}> : () -> tensor<2x3xi64>
  %shape = "onnx.Constant"() <{value = dense<[0, 3]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %0 = "onnx.Reshape"(%data, %shape) : (tensor<2x3xi64>, tensor<2xi64>) -> tensor<*xi64>
  return %0 : tensor<*xi64>
}

// -----

// Folds never copy weights: a Reshape of a 64x64 initializer (4096 elements,
// over the default limit of 1024) stays, and so does a 6-element fold under
// max-fold-elements=4.
// CHECK-LABEL: func.func @too_large
// CHECK: onnx.initializer "w"
// CHECK: "onnx.Reshape"
// CHECK: "onnx.Constant"() <{value = dense<1> : tensor<6xi64>}>
// LIMIT-LABEL: func.func @too_large
// LIMIT: "onnx.Reshape"
// LIMIT: "onnx.Expand"
func.func @too_large() -> (tensor<4096xf32>, tensor<6xi64>) {
  %w = onnx.initializer "w" dense<1.0> : tensor<64x64xf32>
  %shape = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %0 = "onnx.Reshape"(%w, %shape) : (tensor<64x64xf32>, tensor<1xi64>) -> tensor<4096xf32>
  %one = "onnx.Constant"() <{value = dense<1> : tensor<i64>}> : () -> tensor<i64>
  %six = "onnx.Constant"() <{value = dense<6> : tensor<1xi64>}> : () -> tensor<1xi64>
  %1 = "onnx.Expand"(%one, %six) : (tensor<i64>, tensor<1xi64>) -> tensor<6xi64>
  return %0, %1 : tensor<4096xf32>, tensor<6xi64>
}

// -----

// Equal initializers are not merged: both keep their names. Unused ones,
// unused onnx.none and dead pure ops go.
// CHECK-LABEL: func.func @initializer_names
// CHECK: %[[A:.*]] = onnx.initializer "layer0.bias" dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: %[[B:.*]] = onnx.initializer "layer1.bias" dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NOT: unused
// CHECK-NOT: onnx.none
// CHECK-NOT: onnx.Shape
// CHECK: "onnx.Add"(%{{.*}}, %[[A]])
// CHECK: "onnx.Add"(%{{.*}}, %[[B]])
func.func @initializer_names(%x: tensor<2xf32>) -> tensor<2xf32> {
  %a = onnx.initializer "layer0.bias" dense<[1.0, 2.0]> : tensor<2xf32>
  %b = onnx.initializer "layer1.bias" dense<[1.0, 2.0]> : tensor<2xf32>
  %c = onnx.initializer "unused" dense<[1.0, 2.0]> : tensor<2xf32>
  %none = onnx.none
  %s = "onnx.Shape"(%x) : (tensor<2xf32>) -> tensor<1xi64>
  %0 = "onnx.Add"(%x, %a) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %1 = "onnx.Add"(%0, %b) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %1 : tensor<2xf32>
}

// -----

// A folded op's constant keeps its node name (location) and output name.
// LOC-LABEL: func.func @names
// LOC: "onnx.Constant"() <{value = dense<8> : tensor<i64>}> {onnx.outputs = ["/model/Gather_output_0"]} : () -> tensor<i64> loc("/model/Gather")
func.func @names(%x: tensor<?x8xf32>) -> tensor<i64> {
  %s = "onnx.Shape"(%x) : (tensor<?x8xf32>) -> tensor<2xi64> loc("/model/Shape")
  %i = "onnx.Constant"() <{value = dense<1> : tensor<i64>}> : () -> tensor<i64> loc("/model/Constant")
  %0 = "onnx.Gather"(%s, %i) <{axis = 0 : i64}> {onnx.outputs = ["/model/Gather_output_0"]} : (tensor<2xi64>, tensor<i64>) -> tensor<i64> loc("/model/Gather")
  return %0 : tensor<i64>
}
