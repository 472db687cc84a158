// RUN: peft-opt %s -split-input-file --convert-onnx-to-linalg -verify-diagnostics

// An unranked operand has no lowering.
func.func @unranked(%a: tensor<4xf32>) -> tensor<4xf32> {
  %u = tensor.cast %a : tensor<4xf32> to tensor<*xf32>
  // expected-error @+1 {{cannot lower ONNX node '' (Relu): no lowering for these operand/result types or attributes}}
  %y = "onnx.Relu"(%u) : (tensor<*xf32>) -> tensor<*xf32>
  %r = tensor.cast %y : tensor<*xf32> to tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// So has an unranked result.
func.func @unranked_result(%a: tensor<4xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{cannot lower ONNX node '' (Exp)}}
  %y = "onnx.Exp"(%a) : (tensor<4xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

// Static sizes that do not broadcast.
func.func @no_broadcast(%a: tensor<3xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{cannot lower ONNX node '' (Add)}}
  %y = "onnx.Add"(%a, %b) : (tensor<3xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Pow has no bool operands, and its result has the base's type.
func.func @pow_bool_exponent(%a: tensor<3xi32>, %b: tensor<3xi1>) -> tensor<3xi32> {
  // expected-error @+1 {{cannot lower ONNX node '' (Pow)}}
  %y = "onnx.Pow"(%a, %b) : (tensor<3xi32>, tensor<3xi1>) -> tensor<3xi32>
  return %y : tensor<3xi32>
}

// -----

func.func @pow_result_type(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<3xi64> {
  // expected-error @+1 {{cannot lower ONNX node '' (Pow)}}
  %y = "onnx.Pow"(%a, %b) : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi64>
  return %y : tensor<3xi64>
}

// -----

// Float math on integers.
func.func @sqrt_int(%a: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error @+1 {{cannot lower ONNX node '' (Sqrt)}}
  %y = "onnx.Sqrt"(%a) : (tensor<3xi32>) -> tensor<3xi32>
  return %y : tensor<3xi32>
}

// -----

// The softmax axis defaults to -1 (opset >= 13): out of range for a 0-D
// input, which the verifier cannot see without the attribute.
func.func @softmax_rank0(%a: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{cannot lower ONNX node '' (Softmax)}}
  %y = "onnx.Softmax"(%a) : (tensor<f32>) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

// Run-time axes of a run-time length: even the result rank is unknown.
func.func @reduce_dynamic_axes_length(%a: tensor<2x3xf32>, %axes: tensor<?xi64>) -> tensor<?xf32> {
  // expected-error @+1 {{cannot lower ONNX node '' (ReduceSum)}}
  %y = "onnx.ReduceSum"(%a, %axes) <{keepdims = 0 : i64}> : (tensor<2x3xf32>, tensor<?xi64>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// keepdims=0 drops one dim per axis: a rank-1 result cannot come from two.
func.func @reduce_runtime_axes_rank(%a: tensor<2x3xf32>, %axes: tensor<2xi64>) -> tensor<?xf32> {
  // expected-error @+1 {{cannot lower ONNX node '' (ReduceSum)}}
  %y = "onnx.ReduceSum"(%a, %axes) <{keepdims = 0 : i64}> : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// A stash type that is not a float type.
func.func @layernorm_stash(%x: tensor<2x4xf32>, %s: tensor<4xf32>) -> tensor<2x4xf32> {
  %none = onnx.none
  // expected-error @+1 {{cannot lower ONNX node '' (LayerNormalization)}}
  %y, %m, %i = "onnx.LayerNormalization"(%x, %s, %none) <{stash_type = 7 : i64}> : (tensor<2x4xf32>, tensor<4xf32>, none) -> (tensor<2x4xf32>, none, none)
  return %y : tensor<2x4xf32>
}

// -----

// Pads read at run time have no lowering (the output shape depends on them).
func.func @pad_runtime_pads(%x: tensor<4xf32>, %p: tensor<2xi64>) -> tensor<?xf32> {
  %none = onnx.none
  // expected-error @+1 {{cannot lower ONNX node '' (Pad)}}
  %y = "onnx.Pad"(%x, %p, %none, %none) : (tensor<4xf32>, tensor<2xi64>, none, none) -> tensor<?xf32>
  return %y : tensor<?xf32>
}
