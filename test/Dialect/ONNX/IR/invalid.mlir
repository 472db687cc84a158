// RUN: peft-opt %s -split-input-file -verify-diagnostics

func.func @initializer_type() {
  // expected-error @+1 {{'onnx.initializer' op failed to verify that all of {value, result} have same type}}
  %0 = "onnx.initializer"() <{name = "w", value = dense<1.0> : tensor<2xf32>}> : () -> tensor<3xf32>
  return
}

// -----

func.func @initializer_name() {
  // expected-error @+1 {{'onnx.initializer' op requires a non-empty initializer name}}
  %0 = onnx.initializer "" dense<1.0> : tensor<2xf32>
  return
}

// -----

func.func @node_op_type(%x: tensor<2xf32>) {
  // expected-error @+1 {{'onnx.node' op requires a non-empty 'op_type'}}
  %0 = "onnx.node"(%x) <{op_type = ""}> : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @node_attribute_kind(%x: tensor<2xf32>) {
  // expected-error @+1 {{'onnx.node' op ONNX attribute 'alpha' is not of an ONNX attribute kind}}
  %0 = "onnx.node"(%x) <{op_type = "Elu"}> {attributes = {alpha = 1.0 : f64}} : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @node_attributes_dict(%x: tensor<2xf32>) {
  // expected-error @+1 {{'onnx.node' op 'attributes' must be a dictionary}}
  %0 = "onnx.node"(%x) <{op_type = "Elu"}> {attributes = 1 : i64} : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @if_yield_count(%c: tensor<i1>, %a: tensor<2xf32>) {
  // expected-error @+1 {{'onnx.If' op else_branch yields 0 values but the op has 1 results}}
  %0 = "onnx.If"(%c) ({
    onnx.yield %a : tensor<2xf32>
  }, {
    onnx.yield
  }) : (tensor<i1>) -> tensor<2xf32>
  return
}

// -----

func.func @if_cond(%c: tensor<f32>, %a: tensor<2xf32>) {
  // expected-error @+1 {{'onnx.If' op condition must be a tensor of i1, got 'tensor<f32>'}}
  %0 = "onnx.If"(%c) ({
    onnx.yield %a : tensor<2xf32>
  }, {
    onnx.yield %a : tensor<2xf32>
  }) : (tensor<f32>) -> tensor<2xf32>
  return
}

// -----

func.func @yield_parent(%a: tensor<2xf32>) {
  // expected-error @+1 {{'onnx.yield' op expects parent op 'onnx.If'}}
  onnx.yield %a : tensor<2xf32>
}

// -----

func.func @none_type() {
  // expected-error @+1 {{'onnx.none' op result #0 must be none type}}
  %0 = "onnx.none"() : () -> tensor<f32>
  return
}

// -----

func.func @gemm_rank(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>, %n: none) {
  // expected-error @+1 {{'onnx.Gemm' op A must have rank 2, got 3}}
  %0 = "onnx.Gemm"(%a, %b, %n) : (tensor<2x3x4xf32>, tensor<4x5xf32>, none) -> tensor<*xf32>
  return
}

// -----

func.func @gemm_trans_flag(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>, %n: none) {
  // expected-error @+1 {{'onnx.Gemm' op attribute 'transA' must be 0 or 1, got 2}}
  %0 = "onnx.Gemm"(%a, %b, %n) <{transA = 2 : i64}> : (tensor<2x3xf32>, tensor<3x5xf32>, none) -> tensor<2x5xf32>
  return
}

// -----

func.func @gemm_inner(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>, %n: none) {
  // expected-error @+1 {{'onnx.Gemm' op inner dimensions differ: op(A) has K = 3, op(B) has K = 5}}
  %0 = "onnx.Gemm"(%a, %b, %n) <{transB = 1 : i64}> : (tensor<2x3xf32>, tensor<3x5xf32>, none) -> tensor<2x3xf32>
  return
}

// -----

func.func @gemm_c_type(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>, %c: f32) {
  // expected-error @+1 {{'onnx.Gemm' op operand #2 must be tensor or none}}
  %0 = "onnx.Gemm"(%a, %b, %c) : (tensor<2x3xf32>, tensor<3x5xf32>, f32) -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<f32>, %b: tensor<3x5xf32>) {
  // expected-error @+1 {{'onnx.MatMul' op operands must have rank >= 1}}
  %0 = "onnx.MatMul"(%a, %b) : (tensor<f32>, tensor<3x5xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @matmul_contracted(%a: tensor<4x2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{'onnx.MatMul' op contracted dimensions differ: A has 3, B has 4}}
  %0 = "onnx.MatMul"(%a, %b) : (tensor<4x2x3xf32>, tensor<4x5xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @matmul_vector(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'onnx.MatMul' op contracted dimensions differ: A has 3, B has 4}}
  %0 = "onnx.MatMul"(%a, %b) : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @transpose_perm(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'onnx.Transpose' op 'perm' is not a permutation of [0, 3)}}
  %0 = "onnx.Transpose"(%x) <{perm = array<i64: 0, 2, 2>}> : (tensor<2x3x4xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @transpose_perm_size(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'onnx.Transpose' op 'perm' has 2 entries but the input has rank 3}}
  %0 = "onnx.Transpose"(%x) <{perm = array<i64: 1, 0>}> : (tensor<2x3x4xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @transpose_result(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'onnx.Transpose' op result dimension 0 (2) differs from input dimension 1 (3)}}
  %0 = "onnx.Transpose"(%x) <{perm = array<i64: 1, 0>}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @concat_axis_missing(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'onnx.Concat' op requires attribute 'axis'}}
  %0 = "onnx.Concat"(%x, %x) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_rank(%x: tensor<2x3xf32>, %y: tensor<2xf32>) {
  // expected-error @+1 {{'onnx.Concat' op operands and result must have the same rank}}
  %0 = "onnx.Concat"(%x, %y) <{axis = 0 : i64}> : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @concat_axis_range(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'onnx.Concat' op attribute 'axis' = 2 is out of range [-2, 2) for rank 2}}
  %0 = "onnx.Concat"(%x, %x) <{axis = 2 : i64}> : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @concat_dims(%x: tensor<2x3xf32>, %y: tensor<2x4xf32>) {
  // expected-error @+1 {{'onnx.Concat' op non-concatenated dimension 1 differs: 3 vs 4}}
  %0 = "onnx.Concat"(%x, %y) <{axis = 0 : i64}> : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'onnx.Softmax' op attribute 'axis' = -3 is out of range [-2, 2) for rank 2}}
  %0 = "onnx.Softmax"(%x) <{axis = -3 : i64}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @gather_axis(%x: tensor<2x3xf32>, %i: tensor<4xi64>) {
  // expected-error @+1 {{'onnx.Gather' op attribute 'axis' = 2 is out of range [-2, 2) for rank 2}}
  %0 = "onnx.Gather"(%x, %i) <{axis = 2 : i64}> : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<*xf32>
  return
}

// -----

func.func @flatten_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'onnx.Flatten' op attribute 'axis' = 3 is out of range [-2, 2] for rank 2}}
  %0 = "onnx.Flatten"(%x) <{axis = 3 : i64}> : (tensor<2x3xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @layernorm_axis(%x: tensor<2x3xf32>, %g: tensor<3xf32>, %n: none) {
  // expected-error @+1 {{'onnx.LayerNormalization' op attribute 'axis' = 2 is out of range [-2, 2) for rank 2}}
  %0:3 = "onnx.LayerNormalization"(%x, %g, %n) <{axis = 2 : i64}> : (tensor<2x3xf32>, tensor<3xf32>, none) -> (tensor<2x3xf32>, none, none)
  return
}

// -----

func.func @split_axis(%x: tensor<4xf32>, %n: none) {
  // expected-error @+1 {{'onnx.Split' op attribute 'axis' = 1 is out of range [-1, 1) for rank 1}}
  %0:2 = "onnx.Split"(%x, %n) <{axis = 1 : i64}> : (tensor<4xf32>, none) -> (tensor<2xf32>, tensor<2xf32>)
  return
}

// -----

func.func @split_num_outputs(%x: tensor<4xf32>, %n: none) {
  // expected-error @+1 {{'onnx.Split' op 'num_outputs' = 3 but the op has 2 results}}
  %0:2 = "onnx.Split"(%x, %n) <{num_outputs = 3 : i64}> : (tensor<4xf32>, none) -> (tensor<2xf32>, tensor<2xf32>)
  return
}

// -----

func.func @split_attr(%x: tensor<4xf32>, %n: none) {
  // expected-error @+1 {{'onnx.Split' op 'split' has 3 entries but the op has 2 results}}
  %0:2 = "onnx.Split"(%x, %n) <{split = array<i64: 1, 1, 2>}> : (tensor<4xf32>, none) -> (tensor<2xf32>, tensor<2xf32>)
  return
}

// -----

func.func @equal_result(%a: tensor<2xf32>) {
  // expected-error @+1 {{'onnx.Equal' op result element type must be i1, got 'f32'}}
  %0 = "onnx.Equal"(%a, %a) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @less_result(%a: tensor<2xf32>) {
  // expected-error @+1 {{'onnx.Less' op result element type must be i1, got 'i8'}}
  %0 = "onnx.Less"(%a, %a) : (tensor<2xf32>, tensor<2xf32>) -> tensor<*xi8>
  return
}

// -----

func.func @greater_result(%a: tensor<2xf32>) {
  // expected-error @+1 {{'onnx.Greater' op result element type must be i1, got 'ui1'}}
  %0 = "onnx.Greater"(%a, %a) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xui1>
  return
}

// -----

func.func @where_cond(%c: tensor<2xi8>, %a: tensor<2xf32>) {
  // expected-error @+1 {{'onnx.Where' op condition element type must be i1, got 'i8'}}
  %0 = "onnx.Where"(%c, %a, %a) : (tensor<2xi8>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @cast_missing_to(%a: tensor<2xf32>) {
  // expected-error @+1 {{'onnx.Cast' op requires attribute 'to'}}
  %0 = "onnx.Cast"(%a) : (tensor<2xf32>) -> tensor<2xf16>
  return
}

// -----

func.func @cast_invalid_to(%a: tensor<2xf32>) {
  // expected-error @+1 {{'onnx.Cast' op attribute 'to' = 99 is not an ONNX TensorProto data type}}
  %0 = "onnx.Cast"(%a) <{to = 99 : i64}> : (tensor<2xf32>) -> tensor<2xf16>
  return
}

// -----

func.func @cast_result_type(%a: tensor<2xf32>) {
  // expected-error @+1 {{'onnx.Cast' op result element type 'i64' does not match 'to' = 2 ('ui8')}}
  %0 = "onnx.Cast"(%a) <{to = 2 : i64}> : (tensor<2xf32>) -> tensor<2xi64>
  return
}

// -----

func.func @reshape_shape_rank(%a: tensor<2x3xf32>, %s: tensor<1x2xi64>) {
  // expected-error @+1 {{'onnx.Reshape' op shape operand must be a 1-D tensor of i64, got 'tensor<1x2xi64>'}}
  %0 = "onnx.Reshape"(%a, %s) : (tensor<2x3xf32>, tensor<1x2xi64>) -> tensor<3x2xf32>
  return
}

// -----

func.func @reshape_shape_type(%a: tensor<2x3xf32>, %s: tensor<2xi32>) {
  // expected-error @+1 {{'onnx.Reshape' op shape operand must be a 1-D tensor of i64, got 'tensor<2xi32>'}}
  %0 = "onnx.Reshape"(%a, %s) : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @einsum_empty(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'onnx.Einsum' op requires a non-empty 'equation'}}
  %0 = "onnx.Einsum"(%a) <{equation = ""}> : (tensor<2x3xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @einsum_terms(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'onnx.Einsum' op equation 'ij,jk->ik' has 2 input terms but the op has 1 inputs}}
  %0 = "onnx.Einsum"(%a) <{equation = "ij,jk->ik"}> : (tensor<2x3xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @einsum_malformed(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'onnx.Einsum' op malformed equation 'ij->j->i'}}
  %0 = "onnx.Einsum"(%a) <{equation = "ij->j->i"}> : (tensor<2x3xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @matmulnbits_bits(%a: tensor<2x64xf32>, %b: tensor<8x2x16xui8>, %s: tensor<16xf32>, %n: none) {
  // expected-error @+1 {{'onnx.MatMulNBits' op attribute 'bits' must be 2, 4 or 8, got 3}}
  %0 = "onnx.MatMulNBits"(%a, %b, %s, %n, %n, %n) <{K = 64 : i64, N = 8 : i64, bits = 3 : i64, block_size = 32 : i64}> : (tensor<2x64xf32>, tensor<8x2x16xui8>, tensor<16xf32>, none, none, none) -> tensor<2x8xf32>
  return
}

// -----

func.func @matmulnbits_block(%a: tensor<2x64xf32>, %b: tensor<8x2x16xui8>, %s: tensor<16xf32>, %n: none) {
  // expected-error @+1 {{'onnx.MatMulNBits' op attribute 'block_size' must be a power of two >= 16, got 24}}
  %0 = "onnx.MatMulNBits"(%a, %b, %s, %n, %n, %n) <{K = 64 : i64, N = 8 : i64, block_size = 24 : i64}> : (tensor<2x64xf32>, tensor<8x2x16xui8>, tensor<16xf32>, none, none, none) -> tensor<2x8xf32>
  return
}

// -----

func.func @matmulnbits_block_small(%a: tensor<2x64xf32>, %b: tensor<8x2x16xui8>, %s: tensor<16xf32>, %n: none) {
  // expected-error @+1 {{'onnx.MatMulNBits' op attribute 'block_size' must be a power of two >= 16, got 8}}
  %0 = "onnx.MatMulNBits"(%a, %b, %s, %n, %n, %n) <{K = 64 : i64, N = 8 : i64, block_size = 8 : i64}> : (tensor<2x64xf32>, tensor<8x2x16xui8>, tensor<16xf32>, none, none, none) -> tensor<2x8xf32>
  return
}

// -----

func.func @matmulnbits_required(%a: tensor<2x64xf32>, %b: tensor<8x2x16xui8>, %s: tensor<16xf32>, %n: none) {
  // expected-error @+1 {{'onnx.MatMulNBits' op requires attributes 'K', 'N' and 'block_size'}}
  %0 = "onnx.MatMulNBits"(%a, %b, %s, %n, %n, %n) <{K = 64 : i64, block_size = 32 : i64}> : (tensor<2x64xf32>, tensor<8x2x16xui8>, tensor<16xf32>, none, none, none) -> tensor<2x8xf32>
  return
}

// -----

func.func @matmulnbits_k(%a: tensor<2x32xf32>, %b: tensor<8x2x16xui8>, %s: tensor<16xf32>, %n: none) {
  // expected-error @+1 {{'onnx.MatMulNBits' op A's last dimension 32 differs from K = 64}}
  %0 = "onnx.MatMulNBits"(%a, %b, %s, %n, %n, %n) <{K = 64 : i64, N = 8 : i64, block_size = 32 : i64}> : (tensor<2x32xf32>, tensor<8x2x16xui8>, tensor<16xf32>, none, none, none) -> tensor<2x8xf32>
  return
}

// -----

func.func @trilu_upper(%a: tensor<4x4xf32>, %n: none) {
  // expected-error @+1 {{'onnx.Trilu' op attribute 'upper' must be 0 or 1, got 2}}
  %0 = "onnx.Trilu"(%a, %n) <{upper = 2 : i64}> : (tensor<4x4xf32>, none) -> tensor<4x4xf32>
  return
}

// -----

func.func @constant_none() {
  // expected-error @+1 {{'onnx.Constant' op requires exactly one of 'value', 'value_float', 'value_floats', 'value_int', 'value_ints', 'value_string', 'value_strings'; got 0}}
  %0 = "onnx.Constant"() : () -> tensor<f32>
  return
}

// -----

func.func @constant_two() {
  // expected-error @+1 {{'onnx.Constant' op requires exactly one of 'value', 'value_float', 'value_floats', 'value_int', 'value_ints', 'value_string', 'value_strings'; got 2}}
  %0 = "onnx.Constant"() <{value_int = 1 : i64, value_float = 1.0 : f32}> : () -> tensor<f32>
  return
}

// -----

func.func @constant_type() {
  // expected-error @+1 {{'onnx.Constant' op result element type 'f32' differs from the value's element type 'i64'}}
  %0 = "onnx.Constant"() <{value = dense<1> : tensor<2xi64>}> : () -> tensor<2xf32>
  return
}

// -----

func.func @range_scalar(%s: tensor<i64>, %v: tensor<1xi64>) {
  // expected-error @+1 {{'onnx.Range' op 'delta' must be a scalar (rank 0), got 'tensor<1xi64>'}}
  %0 = "onnx.Range"(%s, %s, %v) : (tensor<i64>, tensor<i64>, tensor<1xi64>) -> tensor<?xi64>
  return
}

// -----

func.func @attr_kind(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'onnx.Softmax' op attribute 'axis' failed to satisfy constraint: 64-bit signless integer attribute}}
  %0 = "onnx.Softmax"(%a) <{axis = 1 : i32}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @operand_count(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'onnx.Gemm' op expected 3 operands, but found 2}}
  %0 = "onnx.Gemm"(%a, %a) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}

// -----

// Opset 18: `axes` is an input; the attribute and the input together are not
// an ONNX node.
func.func @reduce_axes_twice(%x: tensor<2x3xf32>, %axes: tensor<1xi64>) {
  // expected-error @+1 {{'onnx.ReduceMean' op has both the 'axes' attribute and an 'axes' input; at most one may be given}}
  %0 = "onnx.ReduceMean"(%x, %axes) <{axes = array<i64: 1>}> : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  return
}

// -----

func.func @reduce_axes_out_of_range(%x: tensor<2x3xf32>) {
  %axes = onnx.initializer "axes" dense<2> : tensor<1xi64>
  // expected-error @+1 {{'onnx.ReduceMax' op axis 2 is out of range [-2, 2) for rank 2}}
  %0 = "onnx.ReduceMax"(%x, %axes) : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2x3xf32>
  return
}

// -----

func.func @reduce_axes_repeated(%x: tensor<2x3xf32>) {
  %none = onnx.none
  // expected-error @+1 {{'onnx.ReduceMean' op axis -1 is given twice}}
  %0 = "onnx.ReduceMean"(%x, %none) <{axes = array<i64: 1, -1>}> : (tensor<2x3xf32>, none) -> tensor<2x1xf32>
  return
}

// -----

func.func @reduce_axes_type(%x: tensor<2x3xf32>, %axes: tensor<1xi32>) {
  // expected-error @+1 {{'onnx.ReduceProd' op 'axes' input must be a 1-D tensor of i64, got 'tensor<1xi32>'}}
  %0 = "onnx.ReduceProd"(%x, %axes) : (tensor<2x3xf32>, tensor<1xi32>) -> tensor<2x1xf32>
  return
}

// -----

// Opset 18 chunks of ceil(5 / 4) = 2 leave -1 for the fourth output.
func.func @split_num_outputs_chunks(%x: tensor<5xf32>) {
  %n = onnx.none
  // expected-error @+1 {{'onnx.Split' op 'num_outputs' = 4 does not split dimension 0 of extent 5: chunks of 2 leave -1 for the last output}}
  %0:4 = "onnx.Split"(%x, %n) <{num_outputs = 4 : i64}> : (tensor<5xf32>, none) -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>)
  return
}

// -----

func.func @split_num_outputs_and_input(%x: tensor<4xf32>) {
  %s = onnx.initializer "s" dense<2> : tensor<2xi64>
  // expected-error @+1 {{'onnx.Split' op has a 'split' input and the 'num_outputs' attribute; at most one may be given}}
  %0:2 = "onnx.Split"(%x, %s) <{num_outputs = 2 : i64}> : (tensor<4xf32>, tensor<2xi64>) -> (tensor<2xf32>, tensor<2xf32>)
  return
}

// -----

func.func @split_input_sum(%x: tensor<4xf32>) {
  %s = onnx.initializer "s" dense<[1, 2]> : tensor<2xi64>
  // expected-error @+1 {{'onnx.Split' op the 'split' input sums to 3 but dimension 0 has extent 4}}
  %0:2 = "onnx.Split"(%x, %s) : (tensor<4xf32>, tensor<2xi64>) -> (tensor<1xf32>, tensor<2xf32>)
  return
}

// -----

// Opset 13: without `split` the parts are equal.
func.func @split_unequal(%x: tensor<5xf32>) {
  %n = onnx.none
  // expected-error @+1 {{'onnx.Split' op dimension 0 of extent 5 does not split into 2 equal parts}}
  %0:2 = "onnx.Split"(%x, %n) : (tensor<5xf32>, none) -> (tensor<?xf32>, tensor<?xf32>)
  return
}

// -----

func.func @pad_mode(%x: tensor<4xf32>) {
  %p = onnx.initializer "p" dense<1> : tensor<2xi64>
  %n = onnx.none
  // expected-error @+1 {{'onnx.Pad' op unknown 'mode' "mirror" (constant, reflect, edge or wrap)}}
  %0 = "onnx.Pad"(%x, %p, %n, %n) <{mode = "mirror"}> : (tensor<4xf32>, tensor<2xi64>, none, none) -> tensor<6xf32>
  return
}

// -----

func.func @pad_length(%x: tensor<2x4xf32>) {
  %p = onnx.initializer "p" dense<1> : tensor<2xi64>
  %n = onnx.none
  // expected-error @+1 {{'onnx.Pad' op 'pads' has 2 entries, expected 2 x 2}}
  %0 = "onnx.Pad"(%x, %p, %n, %n) : (tensor<2x4xf32>, tensor<2xi64>, none, none) -> tensor<?x?xf32>
  return
}

// -----

func.func @pad_axes(%x: tensor<2x4xf32>) {
  %p = onnx.initializer "p" dense<1> : tensor<2xi64>
  %a = onnx.initializer "a" dense<-3> : tensor<1xi64>
  %n = onnx.none
  // expected-error @+1 {{'onnx.Pad' op axis -3 is out of range [-2, 2) for rank 2}}
  %0 = "onnx.Pad"(%x, %p, %n, %a) : (tensor<2x4xf32>, tensor<2xi64>, none, tensor<1xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @gelu_approximate(%x: tensor<4xf32>) {
  // expected-error @+1 {{'onnx.Gelu' op 'approximate' must be "none" or "tanh", got "fast"}}
  %0 = "onnx.Gelu"(%x) <{approximate = "fast"}> : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @resize_mode(%x: tensor<1x1x4x4xf32>) {
  %s = onnx.initializer "s" dense<2.0> : tensor<4xf32>
  %n = onnx.none
  // expected-error @+1 {{'onnx.Resize' op unknown 'mode' "bilinear" (nearest, linear, cubic)}}
  %0 = "onnx.Resize"(%x, %n, %s, %n) <{mode = "bilinear"}> : (tensor<1x1x4x4xf32>, none, tensor<4xf32>, none) -> tensor<1x1x8x8xf32>
  return
}

// -----

func.func @resize_both(%x: tensor<1x1x4x4xf32>) {
  %s = onnx.initializer "s" dense<2.0> : tensor<4xf32>
  %z = onnx.initializer "z" dense<8> : tensor<4xi64>
  %n = onnx.none
  // expected-error @+1 {{'onnx.Resize' op needs exactly one of 'scales' and 'sizes'}}
  %0 = "onnx.Resize"(%x, %n, %s, %z) : (tensor<1x1x4x4xf32>, none, tensor<4xf32>, tensor<4xi64>) -> tensor<1x1x8x8xf32>
  return
}

// -----

func.func @resize_scales_length(%x: tensor<1x1x4x4xf32>) {
  %s = onnx.initializer "s" dense<2.0> : tensor<3xf32>
  %n = onnx.none
  // expected-error @+1 {{'onnx.Resize' op 'scales' has 3 entries, expected 4}}
  %0 = "onnx.Resize"(%x, %n, %s, %n) : (tensor<1x1x4x4xf32>, none, tensor<3xf32>, none) -> tensor<1x1x8x8xf32>
  return
}

// -----

func.func @resize_sizes_axes(%x: tensor<1x1x4x4xf32>) {
  %z = onnx.initializer "z" dense<8> : tensor<4xi64>
  %n = onnx.none
  // expected-error @+1 {{'onnx.Resize' op 'sizes' has 4 entries, expected 2}}
  %0 = "onnx.Resize"(%x, %n, %n, %z) <{axes = array<i64: 2, 3>}> : (tensor<1x1x4x4xf32>, none, none, tensor<4xi64>) -> tensor<1x1x8x8xf32>
  return
}

// -----

func.func @dequantize_block_count(%w: tensor<2x6xi8>) {
  %s = onnx.initializer "s" dense<1.0> : tensor<2x2xf32>
  %n = onnx.none
  // expected-error @+1 {{'onnx.DequantizeLinear' op the blocked scale has 2 entries along dimension 1, expected 3 (ceil(extent / block_size))}}
  %0 = "onnx.DequantizeLinear"(%w, %s, %n) <{axis = 1 : i64, block_size = 2 : i64}> : (tensor<2x6xi8>, tensor<2x2xf32>, none) -> tensor<2x6xf32>
  return
}

// -----

func.func @quantize_axis_scale(%x: tensor<2x6xf32>) {
  %s = onnx.initializer "s" dense<1.0> : tensor<4xf32>
  %n = onnx.none
  // expected-error @+1 {{'onnx.QuantizeLinear' op the scale has 4 entries for extent 6 of axis 1}}
  %0 = "onnx.QuantizeLinear"(%x, %s, %n) <{axis = 1 : i64}> : (tensor<2x6xf32>, tensor<4xf32>, none) -> tensor<2x6xi8>
  return
}

// -----

func.func @dequantize_zero_point_shape(%w: tensor<2x6xi8>) {
  %s = onnx.initializer "s" dense<1.0> : tensor<6xf32>
  %z = onnx.initializer "z" dense<0> : tensor<2xi8>
  // expected-error @+1 {{'onnx.DequantizeLinear' op zero point shape 'tensor<2xi8>' differs from the scale's 'tensor<6xf32>'}}
  %0 = "onnx.DequantizeLinear"(%w, %s, %z) <{axis = 1 : i64}> : (tensor<2x6xi8>, tensor<6xf32>, tensor<2xi8>) -> tensor<2x6xf32>
  return
}
