// RUN: peft-opt %s -split-input-file --convert-onnx-to-linalg -verify-diagnostics

// An unranked operand has no lowering.
func.func @unranked(%a: tensor<4xf32>) -> tensor<4xf32> {
  %u = tensor.cast %a : tensor<4xf32> to tensor<*xf32>
  // expected-error @+1 {{cannot lower ONNX node '' (Relu): an operand or result is not a ranked tensor (its rank is unknown after shape inference)}}
  %y = "onnx.Relu"(%u) : (tensor<*xf32>) -> tensor<*xf32>
  %r = tensor.cast %y : tensor<*xf32> to tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// So has an unranked result.
func.func @unranked_result(%a: tensor<4xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{cannot lower ONNX node '' (Exp): result is not a ranked tensor}}
  %y = "onnx.Exp"(%a) : (tensor<4xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

// Static sizes that do not broadcast.
func.func @no_broadcast(%a: tensor<3xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{cannot lower ONNX node '' (Add): shapes do not broadcast}}
  %y = "onnx.Add"(%a, %b) : (tensor<3xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Pow has no bool operands, and its result has the base's type.
func.func @pow_bool_exponent(%a: tensor<3xi32>, %b: tensor<3xi1>) -> tensor<3xi32> {
  // expected-error @+1 {{cannot lower ONNX node '' (Pow): unsupported element types}}
  %y = "onnx.Pow"(%a, %b) : (tensor<3xi32>, tensor<3xi1>) -> tensor<3xi32>
  return %y : tensor<3xi32>
}

// -----

func.func @pow_result_type(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<3xi64> {
  // expected-error @+1 {{cannot lower ONNX node '' (Pow): unsupported element types}}
  %y = "onnx.Pow"(%a, %b) : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi64>
  return %y : tensor<3xi64>
}

// -----

// Float math on integers.
func.func @sqrt_int(%a: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error @+1 {{cannot lower ONNX node '' (Sqrt): unsupported element types}}
  %y = "onnx.Sqrt"(%a) : (tensor<3xi32>) -> tensor<3xi32>
  return %y : tensor<3xi32>
}

// -----

// The softmax axis defaults to -1 (opset >= 13): out of range for a 0-D
// input, which the verifier cannot see without the attribute.
func.func @softmax_rank0(%a: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{cannot lower ONNX node '' (Softmax): axis out of range}}
  %y = "onnx.Softmax"(%a) : (tensor<f32>) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

// Run-time axes of a run-time length: even the result rank is unknown.
func.func @reduce_dynamic_axes_length(%a: tensor<2x3xf32>, %axes: tensor<?xi64>) -> tensor<?xf32> {
  // expected-error @+1 {{cannot lower ONNX node '' (ReduceSum): axes of unknown length}}
  %y = "onnx.ReduceSum"(%a, %axes) <{keepdims = 0 : i64}> : (tensor<2x3xf32>, tensor<?xi64>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// keepdims=0 drops one dim per axis: a rank-1 result cannot come from two.
func.func @reduce_runtime_axes_rank(%a: tensor<2x3xf32>, %axes: tensor<2xi64>) -> tensor<?xf32> {
  // expected-error @+1 {{cannot lower ONNX node '' (ReduceSum): result rank mismatch}}
  %y = "onnx.ReduceSum"(%a, %axes) <{keepdims = 0 : i64}> : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// A stash type that is not a float type.
func.func @layernorm_stash(%x: tensor<2x4xf32>, %s: tensor<4xf32>) -> tensor<2x4xf32> {
  %none = onnx.none
  // expected-error @+1 {{cannot lower ONNX node '' (LayerNormalization): unsupported stash_type}}
  %y, %m, %i = "onnx.LayerNormalization"(%x, %s, %none) <{stash_type = 7 : i64}> : (tensor<2x4xf32>, tensor<4xf32>, none) -> (tensor<2x4xf32>, none, none)
  return %y : tensor<2x4xf32>
}

// -----

// Axes read at run time have no lowering (which dims are padded depends on
// them); run-time pads do.
func.func @pad_runtime_axes(%x: tensor<4x3xf32>, %p: tensor<2xi64>, %axes: tensor<1xi64>) -> tensor<?x?xf32> {
  %none = onnx.none
  // expected-error @+1 {{cannot lower ONNX node '' (Pad): axes is not a constant}}
  %y = "onnx.Pad"(%x, %p, %none, %axes) : (tensor<4x3xf32>, tensor<2xi64>, none, tensor<1xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

