// RUN: peft-opt %s -split-input-file -verify-diagnostics --convert-onnx-to-linalg

// Nodes the data-movement and contraction patterns reject: the pass names
// each one and leaves the function unchanged.

func.func @reshape_unranked(%x: tensor<*xf32>, %s: tensor<2xi64>) -> tensor<?x?xf32> {
  // expected-error @+1 {{cannot lower ONNX node '' (Reshape): an operand or result is not a ranked tensor (its rank is unknown after shape inference)}}
  %y = "onnx.Reshape"(%x, %s) : (tensor<*xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// The result rank is the length of the shape: unknown here.
func.func @reshape_shape_of_dynamic_length(%x: tensor<4xf32>, %s: tensor<?xi64>) -> tensor<*xf32> {
  // expected-error @+1 {{cannot lower ONNX node '' (Reshape): needs ranked data, result and a shape of static length}}
  %y = "onnx.Reshape"(%x, %s) : (tensor<4xf32>, tensor<?xi64>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

// An output label that no input has.
func.func @einsum_unknown_output_label(%x: tensor<3x3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{cannot lower ONNX node '' (Einsum): unsupported equation}}
  %y = "onnx.Einsum"(%x) <{equation = "ij->k"}> : (tensor<3x3xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// Run-time axes of a run-time length leave the result rank unknown.
func.func @unsqueeze_runtime_axes_length(%x: tensor<3xf32>, %a: tensor<?xi64>) -> tensor<?x?xf32> {
  // expected-error @+1 {{cannot lower ONNX node '' (Unsqueeze): run-time axes of unknown length}}
  %y = "onnx.Unsqueeze"(%x, %a) : (tensor<3xf32>, tensor<?xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// Two run-time axes cannot make rank 2 out of rank 1.
func.func @unsqueeze_runtime_axes_rank(%x: tensor<3xf32>, %a: tensor<2xi64>) -> tensor<?x?xf32> {
  // expected-error @+1 {{cannot lower ONNX node '' (Unsqueeze): run-time axes of unknown length}}
  %y = "onnx.Unsqueeze"(%x, %a) : (tensor<3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// Without axes, whether a dynamic extent is 1 is unknown.
func.func @squeeze_all_dynamic(%x: tensor<?x3xf32>) -> tensor<?xf32> {
  %none = onnx.none
  // expected-error @+1 {{cannot lower ONNX node '' (Squeeze): no axes and dynamic extents}}
  %y = "onnx.Squeeze"(%x, %none) : (tensor<?x3xf32>, none) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// Run-time axes of another length than starts and ends.
func.func @slice_runtime_axes_length(%x: tensor<4x4xf32>, %s: tensor<1xi64>, %a: tensor<2xi64>) -> tensor<?x?xf32> {
  %none = onnx.none
  // expected-error @+1 {{cannot lower ONNX node '' (Slice): axes of another length}}
  %y = "onnx.Slice"(%x, %s, %s, %a, %none) : (tensor<4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<2xi64>, none) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// A zero step is invalid ONNX.
func.func @slice_zero_step(%x: tensor<4xf32>) -> tensor<?xf32> {
  %s = onnx.initializer "s" dense<[0]> : tensor<1xi64>
  %none = onnx.none
  // expected-error @+1 {{cannot lower ONNX node '' (Slice): invalid steps}}
  %y = "onnx.Slice"(%x, %s, %s, %none, %s) : (tensor<4xf32>, tensor<1xi64>, tensor<1xi64>, none, tensor<1xi64>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

func.func @constant_string() -> tensor<f32> {
  // expected-error @+1 {{cannot lower ONNX node '' (Constant): string constants have no tensor}}
  %y = "onnx.Constant"() <{value_string = "hello"}> : () -> tensor<f32>
  return %y : tensor<f32>
}

// -----

// MatMulNBits with g_idx (act-order) is not lowered.
func.func @matmul_nbits_g_idx(%a: tensor<2x32xf32>, %b: tensor<4x1x16xui8>, %s: tensor<4xf32>, %g: tensor<32xi32>) -> tensor<2x4xf32> {
  %none = onnx.none
  // expected-error @+1 {{cannot lower ONNX node '' (MatMulNBits): unsupported operands}}
  %y = "onnx.MatMulNBits"(%a, %b, %s, %none, %g, %none) <{K = 32 : i64, N = 4 : i64, bits = 4 : i64, block_size = 32 : i64}> : (tensor<2x32xf32>, tensor<4x1x16xui8>, tensor<4xf32>, none, tensor<32xi32>, none) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Constant Gather indices outside [-s, s) are a compile-time error.
func.func @gather_constant_out_of_range(%d: tensor<4x3xf32>) -> tensor<2x3xf32> {
  %i = onnx.initializer "i" dense<[1, 4]> : tensor<2xi64>
  // expected-error @+1 {{cannot lower ONNX node '' (Gather): a constant index lies outside [-s, s) for s the size of axis 0 of the data}}
  %y = "onnx.Gather"(%d, %i) : (tensor<4x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @gather_constant_negative_out_of_range(%d: tensor<4x3xf32>) -> tensor<3xf32> {
  %i = onnx.initializer "i" dense<-5> : tensor<i64>
  // expected-error @+1 {{cannot lower ONNX node '' (Gather): a constant index lies outside [-s, s) for s the size of axis 0 of the data}}
  %y = "onnx.Gather"(%d, %i) : (tensor<4x3xf32>, tensor<i64>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}
