// RUN: peft-opt %s -split-input-file -verify-diagnostics --peft-list-modules -o /dev/null

// A q linear that no attention reads.
func.func @orphan_q(%x: tensor<4x32xf32>, %wq: tensor<32x32xf32>) -> tensor<4x32xf32> {
  // expected-error @below {{module recognition: 'model.layers.0.self_attn.q_proj' has role q but belongs to no recognized attention}}
  %q = peft.linear %x, %wq layout in_out role q path "model.layers.0.self_attn.q_proj"
         : tensor<4x32xf32>, tensor<32x32xf32> -> tensor<4x32xf32>
  return %q : tensor<4x32xf32>
}

// -----

// The head split's shape is a run-time input: the head count is not
// determined.
func.func @unknown_heads(%x: tensor<1x4x32xf32>, %w: tensor<32x32xf32>, %shape: tensor<4xi64>) -> tensor<1x?x4x?xf32> {
  %q = peft.linear %x, %w layout in_out role q path "q_proj" : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %k = peft.linear %x, %w layout in_out role k path "k_proj" : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %v = peft.linear %x, %w layout in_out role v path "v_proj" : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  // expected-error @below {{module recognition: the head count of 'q_proj' is not determined by the shape of this Reshape}}
  %q4 = "onnx.Reshape"(%q, %shape) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x?x?xf32>
  %k4 = "onnx.Reshape"(%k, %shape) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x?x?xf32>
  %v4 = "onnx.Reshape"(%v, %shape) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x?x?xf32>
  %qt = "onnx.Transpose"(%q4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x?x?xf32>) -> tensor<1x?x4x?xf32>
  %kT = "onnx.Transpose"(%k4) <{perm = array<i64: 0, 2, 3, 1>}> : (tensor<1x4x?x?xf32>) -> tensor<1x?x?x4xf32>
  %vt = "onnx.Transpose"(%v4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x?x?xf32>) -> tensor<1x?x4x?xf32>
  %s = "onnx.MatMul"(%qt, %kT) : (tensor<1x?x4x?xf32>, tensor<1x?x?x4xf32>) -> tensor<1x?x4x4xf32>
  %p = "onnx.Softmax"(%s) <{axis = -1 : i64}> : (tensor<1x?x4x4xf32>) -> tensor<1x?x4x4xf32>
  %c = "onnx.MatMul"(%p, %vt) : (tensor<1x?x4x4xf32>, tensor<1x?x4x?xf32>) -> tensor<1x?x4x?xf32>
  return %c : tensor<1x?x4x?xf32>
}

// -----

// Query and key split into 4 heads of 8, value into 1 head of 32.
func.func @inconsistent_heads(%x: tensor<1x4x32xf32>, %w: tensor<32x32xf32>) -> tensor<1x4x4x32xf32> {
  %q = peft.linear %x, %w layout in_out role q path "q_proj" : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %k = peft.linear %x, %w layout in_out role k path "k_proj" : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %v = peft.linear %x, %w layout in_out role v path "v_proj" : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %sq = "onnx.Constant"() <{value = dense<[1, 4, 4, 8]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %sv = "onnx.Constant"() <{value = dense<[1, 4, 1, 32]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %q4 = "onnx.Reshape"(%q, %sq) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x4x8xf32>
  %k4 = "onnx.Reshape"(%k, %sq) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x4x8xf32>
  %v4 = "onnx.Reshape"(%v, %sv) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x1x32xf32>
  %qt = "onnx.Transpose"(%q4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %kT = "onnx.Transpose"(%k4) <{perm = array<i64: 0, 2, 3, 1>}> : (tensor<1x4x4x8xf32>) -> tensor<1x4x8x4xf32>
  %vt = "onnx.Transpose"(%v4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x1x32xf32>) -> tensor<1x1x4x32xf32>
  // expected-error @below {{module recognition: inconsistent heads: query 'q_proj' 4x8, key 'k_proj' 4x8, value 'v_proj' 1x32}}
  %s = "onnx.MatMul"(%qt, %kT) : (tensor<1x4x4x8xf32>, tensor<1x4x8x4xf32>) -> tensor<1x4x4x4xf32>
  %p = "onnx.Softmax"(%s) <{axis = -1 : i64}> : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c = "onnx.MatMul"(%p, %vt) : (tensor<1x4x4x4xf32>, tensor<1x1x4x32xf32>) -> tensor<1x4x4x32xf32>
  return %c : tensor<1x4x4x32xf32>
}

// -----

// Two attentions added together before one o: neither reaches o by data
// movement alone.
func.func @two_attentions_one_o(%x: tensor<1x4x32xf32>, %w: tensor<32x32xf32>) -> tensor<1x4x32xf32> {
  %q = peft.linear %x, %w layout in_out role q path "q_proj" : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %k = peft.linear %x, %w layout in_out role k path "k_proj" : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %v = peft.linear %x, %w layout in_out role v path "v_proj" : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %sh = "onnx.Constant"() <{value = dense<[1, 4, 4, 8]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %q4 = "onnx.Reshape"(%q, %sh) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x4x8xf32>
  %k4 = "onnx.Reshape"(%k, %sh) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x4x8xf32>
  %v4 = "onnx.Reshape"(%v, %sh) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x4x8xf32>
  %qt = "onnx.Transpose"(%q4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %kT = "onnx.Transpose"(%k4) <{perm = array<i64: 0, 2, 3, 1>}> : (tensor<1x4x4x8xf32>) -> tensor<1x4x8x4xf32>
  %vt = "onnx.Transpose"(%v4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %s = "onnx.MatMul"(%qt, %kT) : (tensor<1x4x4x8xf32>, tensor<1x4x8x4xf32>) -> tensor<1x4x4x4xf32>
  %p1 = "onnx.Softmax"(%s) <{axis = -1 : i64}> : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %p2 = "onnx.Softmax"(%s) <{axis = -2 : i64}> : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  // expected-error @below {{module recognition: the attention of 'q_proj' reaches no output projection}}
  %c1 = "onnx.MatMul"(%p1, %vt) : (tensor<1x4x4x4xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %c2 = "onnx.MatMul"(%p2, %vt) : (tensor<1x4x4x4xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %c = "onnx.Add"(%c1, %c2) : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %ct = "onnx.Transpose"(%c) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %s3 = "onnx.Constant"() <{value = dense<[1, 4, 32]> : tensor<3xi64>}> : () -> tensor<3xi64>
  %cm = "onnx.Reshape"(%ct, %s3) : (tensor<1x4x4x8xf32>, tensor<3xi64>) -> tensor<1x4x32xf32>
  %o = peft.linear %cm, %w layout in_out role o path "o_proj" : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  return %o : tensor<1x4x32xf32>
}

// -----

// A down projection that also reads a q linear.
func.func @down_reads_q(%x: tensor<4x32xf32>, %w: tensor<32x32xf32>) -> tensor<4x32xf32> {
  %q = peft.linear %x, %w layout in_out role q path "q_proj" : tensor<4x32xf32>, tensor<32x32xf32> -> tensor<4x32xf32>
  %u = peft.linear %x, %w layout in_out role up path "up_proj" : tensor<4x32xf32>, tensor<32x32xf32> -> tensor<4x32xf32>
  %a = "onnx.Relu"(%u) : (tensor<4x32xf32>) -> tensor<4x32xf32>
  %m = "onnx.Mul"(%a, %q) : (tensor<4x32xf32>, tensor<4x32xf32>) -> tensor<4x32xf32>
  // expected-error @below {{module recognition: the input of 'down_proj' is computed from 'q_proj' (role q) besides the MLP's gate and up projections}}
  %d = peft.linear %m, %w layout in_out role down path "down_proj" : tensor<4x32xf32>, tensor<32x32xf32> -> tensor<4x32xf32>
  return %d : tensor<4x32xf32>
}

// -----

// An attention operand computed by an op recognition does not know.
func.func @unknown_op(%x: tensor<1x4x32xf32>, %w: tensor<32x32xf32>) -> tensor<1x4x4x8xf32> {
  %q = peft.linear %x, %w layout in_out role q path "q_proj" : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %k = peft.linear %x, %w layout in_out role k path "k_proj" : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %v = peft.linear %x, %w layout in_out role v path "v_proj" : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  // expected-error @below {{module recognition: the query path of the attention at}}
  %qe = "onnx.Exp"(%q) : (tensor<1x4x32xf32>) -> tensor<1x4x32xf32>
  %sh = "onnx.Constant"() <{value = dense<[1, 4, 4, 8]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %q4 = "onnx.Reshape"(%qe, %sh) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x4x8xf32>
  %k4 = "onnx.Reshape"(%k, %sh) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x4x8xf32>
  %v4 = "onnx.Reshape"(%v, %sh) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x4x8xf32>
  %qt = "onnx.Transpose"(%q4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %kT = "onnx.Transpose"(%k4) <{perm = array<i64: 0, 2, 3, 1>}> : (tensor<1x4x4x8xf32>) -> tensor<1x4x8x4xf32>
  %vt = "onnx.Transpose"(%v4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %s = "onnx.MatMul"(%qt, %kT) : (tensor<1x4x4x8xf32>, tensor<1x4x8x4xf32>) -> tensor<1x4x4x4xf32>
  %p = "onnx.Softmax"(%s) <{axis = -1 : i64}> : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c = "onnx.MatMul"(%p, %vt) : (tensor<1x4x4x4xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %c : tensor<1x4x4x8xf32>
}
