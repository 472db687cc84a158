// RUN: peft-opt %s -split-input-file | peft-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @structural
func.func @structural(%x: tensor<4xf32>) -> (tensor<4x8xf32>, none, tensor<4xf32>, tensor<2xf32>) {
  // CHECK: %[[N:.*]] = onnx.none
  %none = onnx.none
  // CHECK: onnx.initializer "onnx::MatMul_12" dense_resource<w> : tensor<4x8xf32>
  %w = onnx.initializer "onnx::MatMul_12" dense_resource<w> : tensor<4x8xf32>
  // CHECK: onnx.initializer "bias" dense<1.000000e+00> : tensor<2xf32>
  %b = onnx.initializer "bias" dense<1.0> : tensor<2xf32>
  // CHECK: "onnx.node"(%{{.*}}, %[[N]]) <{domain = "com.example", op_type = "Custom"}> {attributes = {f = 1.000000e+00 : f32, fs = array<f32: 1.000000e+00, 2.000000e+00>, i = 3 : i64, is = array<i64: 1, 2>, s = "str", ss = ["a", "b"], t = dense<0> : tensor<2xi64>}} : (tensor<4xf32>, none) -> (tensor<4xf32>, none)
  %n:2 = "onnx.node"(%x, %none) <{op_type = "Custom", domain = "com.example"}> {attributes = {i = 3 : i64, f = 1.0 : f32, s = "str", is = array<i64: 1, 2>, fs = array<f32: 1.0, 2.0>, ss = ["a", "b"], t = dense<0> : tensor<2xi64>}} : (tensor<4xf32>, none) -> (tensor<4xf32>, none)
  // CHECK: "onnx.node"() <{domain = "", op_type = "RandomNormal"}> : () -> tensor<*xf32>
  %r = "onnx.node"() <{op_type = "RandomNormal"}> : () -> tensor<*xf32>
  return %w, %n#1, %n#0, %b : tensor<4x8xf32>, none, tensor<4xf32>, tensor<2xf32>
}

// -----

// Opset 18-20 forms: Reduce* axes as an input, Split num_outputs, Pad with
// axes and the wrap mode (19), Gelu (20).
// CHECK-LABEL: func.func @opset18_forms
func.func @opset18_forms(%x: tensor<2x5xf32>) {
  %axes = onnx.initializer "axes" dense<1> : tensor<1xi64>
  %pads = onnx.initializer "pads" dense<[1, 2]> : tensor<2xi64>
  %none = onnx.none
  // CHECK: "onnx.ReduceMax"(%{{.*}}, %{{.*}}) <{keepdims = 0 : i64}> : (tensor<2x5xf32>, tensor<1xi64>) -> tensor<2xf32>
  %0 = "onnx.ReduceMax"(%x, %axes) <{keepdims = 0 : i64}> : (tensor<2x5xf32>, tensor<1xi64>) -> tensor<2xf32>
  // CHECK: "onnx.ReduceMin"(%{{.*}}, %{{.*}}) : (tensor<2x5xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %1 = "onnx.ReduceMin"(%x, %axes) : (tensor<2x5xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  // CHECK: "onnx.ReduceProd"(%{{.*}}, %{{.*}}) <{axes = array<i64: 0>}> : (tensor<2x5xf32>, none) -> tensor<1x5xf32>
  %2 = "onnx.ReduceProd"(%x, %none) <{axes = array<i64: 0>}> : (tensor<2x5xf32>, none) -> tensor<1x5xf32>
  // CHECK: "onnx.Split"(%{{.*}}, %{{.*}}) <{axis = 1 : i64, num_outputs = 2 : i64}> : (tensor<2x5xf32>, none) -> (tensor<2x3xf32>, tensor<2x2xf32>)
  %3:2 = "onnx.Split"(%x, %none) <{axis = 1 : i64, num_outputs = 2 : i64}> : (tensor<2x5xf32>, none) -> (tensor<2x3xf32>, tensor<2x2xf32>)
  // CHECK: "onnx.Pad"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{mode = "wrap"}> : (tensor<2x5xf32>, tensor<2xi64>, none, tensor<1xi64>) -> tensor<2x8xf32>
  %4 = "onnx.Pad"(%x, %pads, %none, %axes) <{mode = "wrap"}> : (tensor<2x5xf32>, tensor<2xi64>, none, tensor<1xi64>) -> tensor<2x8xf32>
  // CHECK: "onnx.Gelu"(%{{.*}}) <{approximate = "tanh"}> : (tensor<2x5xf32>) -> tensor<2x5xf32>
  %5 = "onnx.Gelu"(%x) <{approximate = "tanh"}> : (tensor<2x5xf32>) -> tensor<2x5xf32>
  return
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}

// -----

// CHECK-LABEL: func.func @if
func.func @if(%c: tensor<i1>, %a: tensor<2xf32>, %b: tensor<?xf32>) -> tensor<?xf32> {
  // CHECK: "onnx.If"(%{{.*}}) ({
  // CHECK:   onnx.yield %{{.*}} : tensor<2xf32>
  // CHECK: }, {
  // CHECK:   "onnx.Neg"
  // CHECK:   onnx.yield %{{.*}} : tensor<?xf32>
  // CHECK: }) : (tensor<i1>) -> tensor<?xf32>
  %r = "onnx.If"(%c) ({
    onnx.yield %a : tensor<2xf32>
  }, {
    %n = "onnx.Neg"(%b) : (tensor<?xf32>) -> tensor<?xf32>
    onnx.yield %n : tensor<?xf32>
  }) : (tensor<i1>) -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %u: tensor<*xf32>, %bool: tensor<2x3xi1>) {
  // CHECK: "onnx.Add"
  %0 = "onnx.Add"(%a, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Sub"
  %1 = "onnx.Sub"(%a, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Mul"
  %2 = "onnx.Mul"(%a, %u) : (tensor<2x3xf32>, tensor<*xf32>) -> tensor<*xf32>
  // CHECK: "onnx.Div"
  %3 = "onnx.Div"(%a, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Pow"
  %4 = "onnx.Pow"(%a, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Sqrt"
  %5 = "onnx.Sqrt"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Reciprocal"
  %6 = "onnx.Reciprocal"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Neg"
  %7 = "onnx.Neg"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Abs"
  %8 = "onnx.Abs"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Exp"
  %9 = "onnx.Exp"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Log"
  %10 = "onnx.Log"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Erf"
  %11 = "onnx.Erf"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Tanh"
  %12 = "onnx.Tanh"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Sigmoid"
  %13 = "onnx.Sigmoid"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Relu"
  %14 = "onnx.Relu"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Cos"
  %15 = "onnx.Cos"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Sin"
  %16 = "onnx.Sin"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Not"
  %17 = "onnx.Not"(%bool) : (tensor<2x3xi1>) -> tensor<2x3xi1>
  // CHECK: "onnx.Equal"
  %18 = "onnx.Equal"(%a, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: "onnx.Less"
  %19 = "onnx.Less"(%a, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: "onnx.Greater"
  %20 = "onnx.Greater"(%a, %u) : (tensor<2x3xf32>, tensor<*xf32>) -> tensor<*xi1>
  // CHECK: "onnx.Where"
  %21 = "onnx.Where"(%bool, %a, %b) : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Max"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %22 = "onnx.Max"(%a, %b, %a) : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Min"
  %23 = "onnx.Min"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %none = onnx.none
  %lo = onnx.initializer "lo" dense<0.0> : tensor<f32>
  // CHECK: "onnx.Clip"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<2x3xf32>, tensor<f32>, none) -> tensor<2x3xf32>
  %24 = "onnx.Clip"(%a, %lo, %none) : (tensor<2x3xf32>, tensor<f32>, none) -> tensor<2x3xf32>
  // CHECK: "onnx.Cast"(%{{.*}}) <{saturate = 1 : i64, to = 10 : i64}> : (tensor<2x3xf32>) -> tensor<2x3xf16>
  %25 = "onnx.Cast"(%a) <{to = 10 : i64, saturate = 1 : i64}> : (tensor<2x3xf32>) -> tensor<2x3xf16>
  // CHECK: "onnx.Cast"(%{{.*}}) <{to = 21 : i64}> : (tensor<2x3xf32>) -> tensor<2x3xui4>
  %26 = "onnx.Cast"(%a) <{to = 21 : i64}> : (tensor<2x3xf32>) -> tensor<2x3xui4>
  // CHECK: "onnx.Cast"(%{{.*}}) <{to = 16 : i64}> : (tensor<*xf32>) -> tensor<*xbf16>
  %27 = "onnx.Cast"(%u) <{to = 16 : i64}> : (tensor<*xf32>) -> tensor<*xbf16>
  return
}

// -----

// CHECK-LABEL: func.func @linalg
func.func @linalg(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %bt: tensor<4x3xf32>, %c: tensor<4xf32>, %x: tensor<?x?x3xf32>, %v: tensor<3xf32>) {
  // CHECK: "onnx.MatMul"(%{{.*}}, %{{.*}}) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %0 = "onnx.MatMul"(%a, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  // CHECK: "onnx.MatMul"
  %1 = "onnx.MatMul"(%x, %v) : (tensor<?x?x3xf32>, tensor<3xf32>) -> tensor<?x?xf32>
  // CHECK: "onnx.Gemm"(%{{.*}}, %{{.*}}, %{{.*}}) <{alpha = 5.000000e-01 : f32, transB = 1 : i64}> : (tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %2 = "onnx.Gemm"(%a, %bt, %c) <{transB = 1 : i64, alpha = 0.5 : f32}> : (tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %none = onnx.none
  // CHECK: "onnx.Gemm"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<2x3xf32>, tensor<3x4xf32>, none) -> tensor<2x4xf32>
  %3 = "onnx.Gemm"(%a, %b, %none) : (tensor<2x3xf32>, tensor<3x4xf32>, none) -> tensor<2x4xf32>
  // CHECK: "onnx.Einsum"(%{{.*}}, %{{.*}}) <{equation = "ij,jk->ik"}>
  %4 = "onnx.Einsum"(%a, %b) <{equation = "ij,jk->ik"}> : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  // CHECK: "onnx.Einsum"(%{{.*}}) <{equation = "...ii"}>
  %5 = "onnx.Einsum"(%bt) <{equation = "...ii"}> : (tensor<4x3xf32>) -> tensor<*xf32>
  return
}

// -----

// CHECK-LABEL: func.func @quant
func.func @quant(%a: tensor<2x64xf32>, %qa: tensor<2x3xui8>, %qb: tensor<3x4xi8>, %azp: tensor<ui8>, %x: tensor<2x4xf32>, %s: tensor<f32>, %zp: tensor<i8>, %q: tensor<2x4xi8>, %wq: tensor<8x2x16xui8>, %ws: tensor<16xf32>) {
  %none = onnx.none
  // CHECK: "onnx.MatMulInteger"
  %0 = "onnx.MatMulInteger"(%qa, %qb, %azp, %none) : (tensor<2x3xui8>, tensor<3x4xi8>, tensor<ui8>, none) -> tensor<2x4xi32>
  // CHECK: "onnx.QuantizeLinear"(%{{.*}}, %{{.*}}, %{{.*}}) <{axis = 1 : i64, block_size = 0 : i64, output_dtype = 3 : i64, saturate = 1 : i64}>
  %1 = "onnx.QuantizeLinear"(%x, %s, %zp) <{axis = 1 : i64, block_size = 0 : i64, saturate = 1 : i64, output_dtype = 3 : i64}> : (tensor<2x4xf32>, tensor<f32>, tensor<i8>) -> tensor<2x4xi8>
  // CHECK: "onnx.DequantizeLinear"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<2x4xi8>, tensor<f32>, none) -> tensor<2x4xf32>
  %2 = "onnx.DequantizeLinear"(%q, %s, %none) : (tensor<2x4xi8>, tensor<f32>, none) -> tensor<2x4xf32>
  // CHECK: "onnx.DynamicQuantizeLinear"(%{{.*}}) : (tensor<2x4xf32>) -> (tensor<2x4xui8>, tensor<f32>, tensor<ui8>)
  %3:3 = "onnx.DynamicQuantizeLinear"(%x) : (tensor<2x4xf32>) -> (tensor<2x4xui8>, tensor<f32>, tensor<ui8>)
  // CHECK: "onnx.MatMulNBits"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{K = 64 : i64, N = 8 : i64, accuracy_level = 4 : i64, bits = 4 : i64, block_size = 32 : i64}>
  %4 = "onnx.MatMulNBits"(%a, %wq, %ws, %none, %none, %none) <{K = 64 : i64, N = 8 : i64, bits = 4 : i64, block_size = 32 : i64, accuracy_level = 4 : i64}> : (tensor<2x64xf32>, tensor<8x2x16xui8>, tensor<16xf32>, none, none, none) -> tensor<2x8xf32>
  return
}

// -----

// CHECK-LABEL: func.func @norm
func.func @norm(%x: tensor<2x5x8xf32>, %g: tensor<8xf32>, %axes: tensor<1xi64>) {
  %none = onnx.none
  // CHECK: "onnx.Softmax"(%{{.*}}) <{axis = -1 : i64}>
  %0 = "onnx.Softmax"(%x) <{axis = -1 : i64}> : (tensor<2x5x8xf32>) -> tensor<2x5x8xf32>
  // CHECK: "onnx.LayerNormalization"(%{{.*}}, %{{.*}}, %{{.*}}) <{axis = -1 : i64, epsilon = 9.99999974E-6 : f32}> : (tensor<2x5x8xf32>, tensor<8xf32>, none) -> (tensor<2x5x8xf32>, none, none)
  %1:3 = "onnx.LayerNormalization"(%x, %g, %none) <{axis = -1 : i64, epsilon = 1.0e-5 : f32}> : (tensor<2x5x8xf32>, tensor<8xf32>, none) -> (tensor<2x5x8xf32>, none, none)
  // CHECK: "onnx.LayerNormalization"(%{{.*}}, %{{.*}}, %{{.*}}) <{stash_type = 1 : i64}> : (tensor<2x5x8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<2x5x8xf32>, tensor<2x5x1xf32>, tensor<2x5x1xf32>)
  %2:3 = "onnx.LayerNormalization"(%x, %g, %g) <{stash_type = 1 : i64}> : (tensor<2x5x8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<2x5x8xf32>, tensor<2x5x1xf32>, tensor<2x5x1xf32>)
  // CHECK: "onnx.ReduceMean"(%{{.*}}, %{{.*}}) <{keepdims = 1 : i64}> : (tensor<2x5x8xf32>, tensor<1xi64>) -> tensor<2x5x1xf32>
  %3 = "onnx.ReduceMean"(%x, %axes) <{keepdims = 1 : i64}> : (tensor<2x5x8xf32>, tensor<1xi64>) -> tensor<2x5x1xf32>
  // CHECK: "onnx.ReduceSum"(%{{.*}}, %{{.*}}) <{axes = array<i64: 1>, keepdims = 0 : i64}> : (tensor<2x5x8xf32>, none) -> tensor<2x8xf32>
  %4 = "onnx.ReduceSum"(%x, %none) <{axes = array<i64: 1>, keepdims = 0 : i64}> : (tensor<2x5x8xf32>, none) -> tensor<2x8xf32>
  // CHECK: "onnx.ReduceL2"(%{{.*}}, %{{.*}}) <{noop_with_empty_axes = 0 : i64}>
  %5 = "onnx.ReduceL2"(%x, %axes) <{noop_with_empty_axes = 0 : i64}> : (tensor<2x5x8xf32>, tensor<1xi64>) -> tensor<*xf32>
  return
}

// -----

// CHECK-LABEL: func.func @shapes
func.func @shapes(%x: tensor<2x3x4xf32>, %idx: tensor<5xi64>, %shape: tensor<2xi64>, %axes: tensor<1xi64>, %u: tensor<*xf32>, %d: tensor<?x4xf32>) {
  %none = onnx.none
  // CHECK: "onnx.Gather"(%{{.*}}, %{{.*}}) <{axis = 1 : i64}>
  %0 = "onnx.Gather"(%x, %idx) <{axis = 1 : i64}> : (tensor<2x3x4xf32>, tensor<5xi64>) -> tensor<2x5x4xf32>
  // CHECK: "onnx.Reshape"(%{{.*}}, %{{.*}}) <{allowzero = 0 : i64}>
  %1 = "onnx.Reshape"(%x, %shape) <{allowzero = 0 : i64}> : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  // CHECK: "onnx.Flatten"(%{{.*}}) <{axis = 3 : i64}>
  %2 = "onnx.Flatten"(%x) <{axis = 3 : i64}> : (tensor<2x3x4xf32>) -> tensor<24x1xf32>
  // CHECK: "onnx.Transpose"(%{{.*}}) <{perm = array<i64: 2, 0, 1>}> : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  %3 = "onnx.Transpose"(%x) <{perm = array<i64: 2, 0, 1>}> : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  // CHECK: "onnx.Transpose"(%{{.*}}) : (tensor<*xf32>) -> tensor<*xf32>
  %4 = "onnx.Transpose"(%u) : (tensor<*xf32>) -> tensor<*xf32>
  // CHECK: "onnx.Unsqueeze"(%{{.*}}, %{{.*}}) : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<1x2x3x4xf32>
  %5 = "onnx.Unsqueeze"(%x, %axes) : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<1x2x3x4xf32>
  // CHECK: "onnx.Unsqueeze"(%{{.*}}, %{{.*}}) <{axes = array<i64: 0>}> : (tensor<2x3x4xf32>, none) -> tensor<1x2x3x4xf32>
  %6 = "onnx.Unsqueeze"(%x, %none) <{axes = array<i64: 0>}> : (tensor<2x3x4xf32>, none) -> tensor<1x2x3x4xf32>
  // CHECK: "onnx.Squeeze"(%{{.*}}, %{{.*}}) : (tensor<1x2x3x4xf32>, none) -> tensor<2x3x4xf32>
  %7 = "onnx.Squeeze"(%5, %none) : (tensor<1x2x3x4xf32>, none) -> tensor<2x3x4xf32>
  // CHECK: "onnx.Concat"(%{{.*}}, %{{.*}}, %{{.*}}) <{axis = -3 : i64}> : (tensor<2x3x4xf32>, tensor<*xf32>, tensor<2x3x4xf32>) -> tensor<?x3x4xf32>
  %8 = "onnx.Concat"(%x, %u, %x) <{axis = -3 : i64}> : (tensor<2x3x4xf32>, tensor<*xf32>, tensor<2x3x4xf32>) -> tensor<?x3x4xf32>
  // CHECK: "onnx.Slice"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (tensor<2x3x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<2x3x2xf32>
  %9 = "onnx.Slice"(%x, %axes, %axes, %axes, %none) : (tensor<2x3x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<2x3x2xf32>
  // CHECK: "onnx.Split"(%{{.*}}, %{{.*}}) <{axis = 2 : i64, num_outputs = 2 : i64}> : (tensor<2x3x4xf32>, none) -> (tensor<2x3x2xf32>, tensor<2x3x2xf32>)
  %10:2 = "onnx.Split"(%x, %none) <{axis = 2 : i64, num_outputs = 2 : i64}> : (tensor<2x3x4xf32>, none) -> (tensor<2x3x2xf32>, tensor<2x3x2xf32>)
  // An unknown extent (unranked input, dynamic dim) is not checked against
  // num_outputs (the verifier used to compare kDynamic with the chunks).
  // CHECK: "onnx.Split"(%{{.*}}, %{{.*}}) <{axis = -1 : i64, num_outputs = 2 : i64}> : (tensor<*xf32>, none)
  %u2:2 = "onnx.Split"(%u, %none) <{axis = -1 : i64, num_outputs = 2 : i64}> : (tensor<*xf32>, none) -> (tensor<*xf32>, tensor<*xf32>)
  // CHECK: "onnx.Split"(%{{.*}}, %{{.*}}) <{axis = 0 : i64, num_outputs = 3 : i64}> : (tensor<?x4xf32>, none)
  %d3:3 = "onnx.Split"(%d, %none) <{axis = 0 : i64, num_outputs = 3 : i64}> : (tensor<?x4xf32>, none) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>)
  // CHECK: "onnx.Split"(%{{.*}}, %{{.*}}) <{split = array<i64: 1, 2, 1>}>
  %11:3 = "onnx.Split"(%d, %none) <{split = array<i64: 1, 2, 1>}> : (tensor<?x4xf32>, none) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>)
  // CHECK: "onnx.Shape"(%{{.*}}) <{end = -1 : i64, start = 1 : i64}> : (tensor<2x3x4xf32>) -> tensor<1xi64>
  %12 = "onnx.Shape"(%x) <{start = 1 : i64, end = -1 : i64}> : (tensor<2x3x4xf32>) -> tensor<1xi64>
  // CHECK: "onnx.Expand"
  %13 = "onnx.Expand"(%d, %shape) : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<?x4xf32>
  %k = onnx.initializer "k" dense<1> : tensor<i64>
  // CHECK: "onnx.Trilu"(%{{.*}}, %{{.*}}) <{upper = 0 : i64}> : (tensor<?x4xf32>, tensor<i64>) -> tensor<?x4xf32>
  %14 = "onnx.Trilu"(%d, %k) <{upper = 0 : i64}> : (tensor<?x4xf32>, tensor<i64>) -> tensor<?x4xf32>
  // CHECK: "onnx.Identity"
  %15 = "onnx.Identity"(%u) : (tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// CHECK-LABEL: func.func @constants
func.func @constants(%shape: tensor<2xi64>, %s: tensor<i64>) {
  // CHECK: "onnx.Constant"() <{value = dense<[1, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %0 = "onnx.Constant"() <{value = dense<[1, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  // CHECK: "onnx.Constant"() <{value_float = 2.500000e+00 : f32}> : () -> tensor<f32>
  %1 = "onnx.Constant"() <{value_float = 2.5 : f32}> : () -> tensor<f32>
  // CHECK: "onnx.Constant"() <{value_floats = array<f32: 1.000000e+00, 2.000000e+00>}> : () -> tensor<2xf32>
  %2 = "onnx.Constant"() <{value_floats = array<f32: 1.0, 2.0>}> : () -> tensor<2xf32>
  // CHECK: "onnx.Constant"() <{value_int = 7 : i64}> : () -> tensor<i64>
  %3 = "onnx.Constant"() <{value_int = 7 : i64}> : () -> tensor<i64>
  // CHECK: "onnx.Constant"() <{value_ints = array<i64: 1, -1>}> : () -> tensor<2xi64>
  %4 = "onnx.Constant"() <{value_ints = array<i64: 1, -1>}> : () -> tensor<2xi64>
  // CHECK: "onnx.Constant"() <{value_string = "s"}> : () -> tensor<*xi8>
  %5 = "onnx.Constant"() <{value_string = "s"}> : () -> tensor<*xi8>
  // CHECK: "onnx.Constant"() <{value_strings = ["a", "b"]}> : () -> tensor<*xi8>
  %6 = "onnx.Constant"() <{value_strings = ["a", "b"]}> : () -> tensor<*xi8>
  // CHECK: "onnx.Constant"() <{value = dense_resource<c> : tensor<2xf32>}> : () -> tensor<2xf32>
  %7 = "onnx.Constant"() <{value = dense_resource<c> : tensor<2xf32>}> : () -> tensor<2xf32>
  // CHECK: "onnx.ConstantOfShape"(%{{.*}}) <{value = dense<0.000000e+00> : tensor<1xf32>}> : (tensor<2xi64>) -> tensor<?x?xf32>
  %8 = "onnx.ConstantOfShape"(%shape) <{value = dense<0.0> : tensor<1xf32>}> : (tensor<2xi64>) -> tensor<?x?xf32>
  // CHECK: "onnx.Range"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<i64>, tensor<i64>, tensor<*xi64>) -> tensor<?xi64>
  %u = "onnx.Identity"(%s) : (tensor<i64>) -> tensor<*xi64>
  %9 = "onnx.Range"(%s, %s, %u) : (tensor<i64>, tensor<i64>, tensor<*xi64>) -> tensor<?xi64>
  return
}

{-#
  dialect_resources: {
    builtin: {
      c: "0x040000000000803F00000040"
    }
  }
#-}
