// RUN: peft-opt %s -split-input-file --peft-raise-linear | FileCheck %s

// MatMul by an initializer: layout in_out, the path from the node scope.
// CHECK-LABEL: func.func @matmul_in_out
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>)
// CHECK: %[[W:.*]] = onnx.initializer "onnx::MatMul_12"
// CHECK: %[[Y:.*]] = peft.linear %[[X]], %[[W]] layout in_out role other path "model.layers.0.self_attn.q_proj" : tensor<?x?x8xf32>, tensor<8x4xf32> -> tensor<?x?x4xf32>
// CHECK-NOT: onnx.MatMul
// CHECK: return %[[Y]]
func.func @matmul_in_out(%x: tensor<?x?x8xf32>) -> tensor<?x?x4xf32> {
  %w = onnx.initializer "onnx::MatMul_12" dense<0.5> : tensor<8x4xf32>
  %y = "onnx.MatMul"(%x, %w) : (tensor<?x?x8xf32>, tensor<8x4xf32>) -> tensor<?x?x4xf32> loc("/model/layers.0/self_attn/q_proj/MatMul")
  return %y : tensor<?x?x4xf32>
}

// -----

// A parameter behind Transpose(perm = [1, 0]) (export without constant
// folding) is used as it is, layout out_in; a node name without a scope
// falls back to the parameter name. The bias Add may have the bias first.
// CHECK-LABEL: func.func @matmul_transposed_parameter
// CHECK-SAME: (%[[X:.*]]: tensor<3x8xf32>)
// CHECK-DAG: %[[W:.*]] = onnx.initializer "encoder.fc.weight" {{.*}} : tensor<4x8xf32>
// CHECK-DAG: %[[B:.*]] = onnx.initializer "encoder.fc.bias"
// CHECK-NOT: onnx.Transpose
// CHECK: %[[Y:.*]] = peft.linear %[[X]], %[[W]], %[[B]] layout out_in role other path "encoder.fc" : tensor<3x8xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<3x4xf32>
// CHECK-NOT: onnx.Add
// CHECK: return %[[Y]]
func.func @matmul_transposed_parameter(%x: tensor<3x8xf32>) -> tensor<3x4xf32> {
  %w = onnx.initializer "encoder.fc.weight" dense<0.5> : tensor<4x8xf32>
  %b = onnx.initializer "encoder.fc.bias" dense<0.1> : tensor<4xf32>
  %wt = "onnx.Transpose"(%w) <{perm = array<i64: 1, 0>}> : (tensor<4x8xf32>) -> tensor<8x4xf32> loc("Transpose_3")
  %y = "onnx.MatMul"(%x, %wt) : (tensor<3x8xf32>, tensor<8x4xf32>) -> tensor<3x4xf32> loc("MatMul_4")
  %z = "onnx.Add"(%b, %y) : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32> loc("Add_5")
  return %z : tensor<3x4xf32>
}

// -----

// An Add of anything but a constant vector of `out` elements is no bias; a
// MatMul result with several users keeps its Add.
// CHECK-LABEL: func.func @matmul_not_bias
// CHECK: %[[Y:.*]] = peft.linear %{{.*}}, %{{.*}} layout in_out role other : tensor<3x8xf32>, tensor<8x4xf32> -> tensor<3x4xf32>
// CHECK: "onnx.Add"(%[[Y]], %{{.*}}) : (tensor<3x4xf32>, tensor<1x4xf32>)
// CHECK: %[[Y2:.*]] = peft.linear
// CHECK: "onnx.Add"(%[[Y2]], %{{.*}}) : (tensor<3x4xf32>, tensor<4xf32>)
// CHECK: "onnx.Mul"(%[[Y2]], %[[Y2]])
func.func @matmul_not_bias(%x: tensor<3x8xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) {
  %w = onnx.initializer "w" dense<0.5> : tensor<8x4xf32>
  %b2 = onnx.initializer "b2" dense<0.1> : tensor<1x4xf32>
  %b = onnx.initializer "b" dense<0.1> : tensor<4xf32>
  %y = "onnx.MatMul"(%x, %w) : (tensor<3x8xf32>, tensor<8x4xf32>) -> tensor<3x4xf32>
  %z = "onnx.Add"(%y, %b2) : (tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
  %y2 = "onnx.MatMul"(%x, %w) : (tensor<3x8xf32>, tensor<8x4xf32>) -> tensor<3x4xf32>
  %z2 = "onnx.Add"(%y2, %b) : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %m2 = "onnx.Mul"(%y2, %y2) : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  return %z, %z2, %m2 : tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// Products of two computed values, and MatMuls by a weight that is not a
// constant, stay onnx ops.
// CHECK-LABEL: func.func @matmul_not_linear
// CHECK-NOT: peft.linear
// CHECK: "onnx.MatMul"(%arg0, %arg1)
// CHECK: "onnx.MatMul"(%arg0, %{{.*}}) : (tensor<3x8xf32>, tensor<8x8xf32>)
// CHECK: "onnx.MatMul"(%{{.*}}, %arg0) : (tensor<4x3xf32>, tensor<3x8xf32>)
func.func @matmul_not_linear(%x: tensor<3x8xf32>, %w: tensor<8x4xf32>) -> (tensor<3x4xf32>, tensor<3x8xf32>, tensor<4x8xf32>) {
  %y = "onnx.MatMul"(%x, %w) : (tensor<3x8xf32>, tensor<8x4xf32>) -> tensor<3x4xf32>
  %xt = "onnx.Transpose"(%x) <{perm = array<i64: 1, 0>}> : (tensor<3x8xf32>) -> tensor<8x3xf32>
  %g = "onnx.MatMul"(%xt, %x) : (tensor<8x3xf32>, tensor<3x8xf32>) -> tensor<8x8xf32>
  %s = "onnx.MatMul"(%x, %g) : (tensor<3x8xf32>, tensor<8x8xf32>) -> tensor<3x8xf32>
  %c = onnx.initializer "c" dense<0.5> : tensor<4x3xf32>
  %l = "onnx.MatMul"(%c, %x) : (tensor<4x3xf32>, tensor<3x8xf32>) -> tensor<4x8xf32>
  return %y, %s, %l : tensor<3x4xf32>, tensor<3x8xf32>, tensor<4x8xf32>
}

// -----

// Gemm: transB = 1 is layout out_in, transB = 0 in_out; alpha = beta = 1
// uses the initializers as they are; an omitted C is no bias.
// CHECK-LABEL: func.func @gemm
// CHECK-SAME: (%[[X:.*]]: tensor<3x8xf32>)
// CHECK-DAG: %[[W:.*]] = onnx.initializer "fc.weight"
// CHECK-DAG: %[[B:.*]] = onnx.initializer "fc.bias"
// CHECK-DAG: %[[W2:.*]] = onnx.initializer "fc2.weight"
// CHECK: %[[Y:.*]] = peft.linear %[[X]], %[[W]], %[[B]] layout out_in role other path "fc" : tensor<3x8xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<3x4xf32>
// CHECK: %[[Z:.*]] = peft.linear %[[Y]], %[[W2]] layout in_out role other path "fc2" : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
// CHECK-NOT: onnx.Gemm
// CHECK: return %[[Z]]
func.func @gemm(%x: tensor<3x8xf32>) -> tensor<3x2xf32> {
  %w = onnx.initializer "fc.weight" dense<0.5> : tensor<4x8xf32>
  %b = onnx.initializer "fc.bias" dense<0.1> : tensor<4xf32>
  %w2 = onnx.initializer "fc2.weight" dense<0.5> : tensor<4x2xf32>
  %none = onnx.none
  %y = "onnx.Gemm"(%x, %w, %b) <{alpha = 1.0 : f32, beta = 1.0 : f32, transB = 1 : i64}> : (tensor<3x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<3x4xf32> loc("/fc/Gemm")
  %z = "onnx.Gemm"(%y, %w2, %none) <{beta = 0.5 : f32}> : (tensor<3x4xf32>, tensor<4x2xf32>, none) -> tensor<3x2xf32> loc("/fc2/Gemm")
  return %z : tensor<3x2xf32>
}

// -----

// alpha and beta not 1 are folded into new blobs; so is a [1, out] C.
// CHECK-LABEL: func.func @gemm_alpha_beta
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<[[WBLOB:.*]]> : tensor<2x4xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense_resource<[[BBLOB:.*]]> : tensor<2xf32>
// CHECK: peft.linear %{{.*}}, %[[W]], %[[B]] layout out_in role other path "fc"
// CHECK-NOT: onnx.Gemm
// 2.0 (alpha · 1.0) eight times; 0.5 · [1.0, 2.0].
// CHECK: [[WBLOB]]: "0x040000000000004000000040000000400000004000000040000000400000004000000040"
// CHECK: [[BBLOB]]: "0x040000000000003F0000803F"
func.func @gemm_alpha_beta(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = onnx.initializer "w" dense<1.0> : tensor<2x4xf32>
  %c = onnx.initializer "c" dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %y = "onnx.Gemm"(%x, %w, %c) <{alpha = 2.0 : f32, beta = 0.5 : f32, transB = 1 : i64}> : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<1x2xf32>) -> tensor<3x2xf32> loc("/fc/Gemm")
  return %y : tensor<3x2xf32>
}

// -----

// transA = 1 and a computed C stay Gemm.
// CHECK-LABEL: func.func @gemm_not_linear
// CHECK-NOT: peft.linear
// CHECK: "onnx.Gemm"
// CHECK: "onnx.Gemm"
func.func @gemm_not_linear(%x: tensor<8x3xf32>, %c: tensor<4xf32>) -> (tensor<3x4xf32>, tensor<8x4xf32>) {
  %w = onnx.initializer "w" dense<0.5> : tensor<8x4xf32>
  %w2 = onnx.initializer "w2" dense<0.5> : tensor<3x4xf32>
  %y = "onnx.Gemm"(%x, %w, %c) <{transA = 1 : i64}> : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %z = "onnx.Gemm"(%x, %w2, %c) : (tensor<8x3xf32>, tensor<3x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  return %y, %z : tensor<3x4xf32>, tensor<8x4xf32>
}

// -----

// GPT-2 Conv1D: Reshape(x, [-1, x.size(-1)]) → Gemm → Reshape(x.shape[:-1]
// + [out]) is one linear on x itself; the shape arithmetic becomes dead.
// CHECK-LABEL: func.func @conv1d
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>)
// CHECK-DAG: %[[W:.*]] = onnx.initializer "h.0.attn.c_attn.weight"
// CHECK-DAG: %[[B:.*]] = onnx.initializer "h.0.attn.c_attn.bias"
// CHECK-NOT: onnx.Reshape
// CHECK: %[[Y:.*]] = peft.linear %[[X]], %[[W]], %[[B]] layout in_out role other path "h.0.attn.c_attn" : tensor<?x?x8xf32>, tensor<8x24xf32>, tensor<24xf32> -> tensor<?x?x24xf32>
// CHECK-NOT: onnx.Gemm
// CHECK-NOT: onnx.Reshape
// CHECK: return %[[Y]]
func.func @conv1d(%x: tensor<?x?x8xf32>) -> tensor<?x?x24xf32> {
  %w = onnx.initializer "h.0.attn.c_attn.weight" dense<0.5> : tensor<8x24xf32>
  %b = onnx.initializer "h.0.attn.c_attn.bias" dense<0.1> : tensor<24xf32>
  %none = onnx.none
  %shape = "onnx.Shape"(%x) : (tensor<?x?x8xf32>) -> tensor<3xi64>
  %i0 = "onnx.Constant"() <{value = dense<0> : tensor<i64>}> : () -> tensor<i64>
  %i1 = "onnx.Constant"() <{value = dense<1> : tensor<i64>}> : () -> tensor<i64>
  %d0 = "onnx.Gather"(%shape, %i0) <{axis = 0 : i64}> : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %d1 = "onnx.Gather"(%shape, %i1) <{axis = 0 : i64}> : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %minus1 = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %max = "onnx.Constant"() <{value = dense<9223372036854775807> : tensor<1xi64>}> : () -> tensor<1xi64>
  %axis0 = "onnx.Constant"() <{value = dense<0> : tensor<1xi64>}> : () -> tensor<1xi64>
  %last = "onnx.Slice"(%shape, %minus1, %max, %axis0, %none) : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<1xi64>
  %in = "onnx.Squeeze"(%last, %axis0) : (tensor<1xi64>, tensor<1xi64>) -> tensor<i64>
  %in1 = "onnx.Unsqueeze"(%in, %axis0) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %rows = "onnx.Concat"(%minus1, %in1) <{axis = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %x2 = "onnx.Reshape"(%x, %rows) : (tensor<?x?x8xf32>, tensor<2xi64>) -> tensor<*xf32>
  %y2 = "onnx.Gemm"(%x2, %w, %b) <{alpha = 1.0 : f32, beta = 1.0 : f32}> : (tensor<*xf32>, tensor<8x24xf32>, tensor<24xf32>) -> tensor<*xf32> loc("/h.0/attn/c_attn/Gemm")
  %u0 = "onnx.Unsqueeze"(%d0, %axis0) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %u1 = "onnx.Unsqueeze"(%d1, %axis0) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %nf = "onnx.Constant"() <{value = dense<24> : tensor<1xi64>}> : () -> tensor<1xi64>
  %back = "onnx.Concat"(%u0, %u1, %nf) <{axis = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %y = "onnx.Reshape"(%y2, %back) : (tensor<*xf32>, tensor<3xi64>) -> tensor<?x?x24xf32>
  return %y : tensor<?x?x24xf32>
}

// -----

// A Reshape back that is not provably x.shape[:-1] + [out] keeps the layer
// on the rows (ranked by the pass: the Reshape to rows had no rank).
// CHECK-LABEL: func.func @conv1d_other_shape
// CHECK: %[[R:.*]] = "onnx.Reshape"(%arg0, %{{.*}}) : (tensor<?x?x8xf32>, tensor<2xi64>) -> tensor<?x8xf32>
// CHECK: %[[Y:.*]] = peft.linear %[[R]], %{{.*}} layout in_out role other : tensor<?x8xf32>, tensor<8x24xf32>, tensor<24xf32> -> tensor<?x24xf32>
// CHECK: "onnx.Reshape"(%[[Y]], %{{.*}}) : (tensor<?x24xf32>, tensor<3xi64>)
func.func @conv1d_other_shape(%x: tensor<?x?x8xf32>) -> tensor<*xf32> {
  %w = onnx.initializer "w" dense<0.5> : tensor<8x24xf32>
  %b = onnx.initializer "b" dense<0.1> : tensor<24xf32>
  %rows = "onnx.Constant"() <{value = dense<[-1, 8]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %x2 = "onnx.Reshape"(%x, %rows) : (tensor<?x?x8xf32>, tensor<2xi64>) -> tensor<*xf32>
  %y2 = "onnx.Gemm"(%x2, %w, %b) : (tensor<*xf32>, tensor<8x24xf32>, tensor<24xf32>) -> tensor<*xf32>
  %back = "onnx.Constant"() <{value = dense<[3, -1, 24]> : tensor<3xi64>}> : () -> tensor<3xi64>
  %y = "onnx.Reshape"(%y2, %back) : (tensor<*xf32>, tensor<3xi64>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

// An unranked input (Reshape to a computed shape) is refined to the rank of
// the shape vector; a result that a terminator fixes to the old type is cast
// back.
// CHECK-LABEL: func.func @unranked
// CHECK: %[[R:.*]] = "onnx.Reshape"(%arg0, %arg1) : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
// CHECK: %[[Y:.*]] = peft.linear %[[R]], %{{.*}} layout in_out role other : tensor<?x?x?xf32>, tensor<4x6xf32> -> tensor<?x?x6xf32>
// CHECK: %[[C:.*]] = tensor.cast %[[Y]] : tensor<?x?x6xf32> to tensor<*xf32>
// CHECK: return %[[C]]
func.func @unranked(%x: tensor<2x3x4xf32>, %s: tensor<3xi64>) -> tensor<*xf32> {
  %w = onnx.initializer "w" dense<0.5> : tensor<4x6xf32>
  %r = "onnx.Reshape"(%x, %s) : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<*xf32>
  %y = "onnx.MatMul"(%r, %w) : (tensor<*xf32>, tensor<4x6xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

// Roles of an attention block: q and k feed QKᵀ (through heads, rotary
// arithmetic and the transpose of k), v the product with the softmax, o
// takes its result.
// CHECK-LABEL: func.func @attention
// CHECK: peft.linear {{.*}} role q path "layers.0.attn.q_proj"
// CHECK: peft.linear {{.*}} role k path "layers.0.attn.k_proj"
// CHECK: peft.linear {{.*}} role v path "layers.0.attn.v_proj"
// CHECK: "onnx.MatMul"
// CHECK: "onnx.Softmax"
// CHECK: "onnx.MatMul"
// CHECK: peft.linear {{.*}} role o path "layers.0.attn.o_proj"
func.func @attention(%x: tensor<2x5x8xf32>) -> tensor<2x5x8xf32> {
  %wq = onnx.initializer "onnx::MatMul_1" dense<0.5> : tensor<8x8xf32>
  %wk = onnx.initializer "onnx::MatMul_2" dense<0.5> : tensor<8x8xf32>
  %wv = onnx.initializer "onnx::MatMul_3" dense<0.5> : tensor<8x8xf32>
  %wo = onnx.initializer "onnx::MatMul_4" dense<0.5> : tensor<8x8xf32>
  %cos = onnx.initializer "cos" dense<0.7> : tensor<5x4xf32>
  %heads = "onnx.Constant"() <{value = dense<[2, 5, 2, 4]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %flat = "onnx.Constant"() <{value = dense<[2, 5, 8]> : tensor<3xi64>}> : () -> tensor<3xi64>
  %scale = "onnx.Constant"() <{value = dense<2.0> : tensor<f32>}> : () -> tensor<f32>
  %q = "onnx.MatMul"(%x, %wq) : (tensor<2x5x8xf32>, tensor<8x8xf32>) -> tensor<2x5x8xf32> loc("/layers.0/attn/q_proj/MatMul")
  %q4 = "onnx.Reshape"(%q, %heads) : (tensor<2x5x8xf32>, tensor<4xi64>) -> tensor<2x5x2x4xf32>
  %qh = "onnx.Transpose"(%q4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<2x5x2x4xf32>) -> tensor<2x2x5x4xf32>
  %qc = "onnx.Mul"(%qh, %cos) : (tensor<2x2x5x4xf32>, tensor<5x4xf32>) -> tensor<2x2x5x4xf32>
  %qn = "onnx.Neg"(%qh) : (tensor<2x2x5x4xf32>) -> tensor<2x2x5x4xf32>
  %qs = "onnx.Mul"(%qn, %cos) : (tensor<2x2x5x4xf32>, tensor<5x4xf32>) -> tensor<2x2x5x4xf32>
  %qr = "onnx.Add"(%qc, %qs) : (tensor<2x2x5x4xf32>, tensor<2x2x5x4xf32>) -> tensor<2x2x5x4xf32>
  %k = "onnx.MatMul"(%x, %wk) : (tensor<2x5x8xf32>, tensor<8x8xf32>) -> tensor<2x5x8xf32> loc("/layers.0/attn/k_proj/MatMul")
  %k4 = "onnx.Reshape"(%k, %heads) : (tensor<2x5x8xf32>, tensor<4xi64>) -> tensor<2x5x2x4xf32>
  %kh = "onnx.Transpose"(%k4) <{perm = array<i64: 0, 2, 3, 1>}> : (tensor<2x5x2x4xf32>) -> tensor<2x2x4x5xf32>
  %v = "onnx.MatMul"(%x, %wv) : (tensor<2x5x8xf32>, tensor<8x8xf32>) -> tensor<2x5x8xf32> loc("/layers.0/attn/v_proj/MatMul")
  %v4 = "onnx.Reshape"(%v, %heads) : (tensor<2x5x8xf32>, tensor<4xi64>) -> tensor<2x5x2x4xf32>
  %vh = "onnx.Transpose"(%v4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<2x5x2x4xf32>) -> tensor<2x2x5x4xf32>
  %s = "onnx.MatMul"(%qr, %kh) : (tensor<2x2x5x4xf32>, tensor<2x2x4x5xf32>) -> tensor<2x2x5x5xf32>
  %sd = "onnx.Div"(%s, %scale) : (tensor<2x2x5x5xf32>, tensor<f32>) -> tensor<2x2x5x5xf32>
  %p = "onnx.Softmax"(%sd) <{axis = -1 : i64}> : (tensor<2x2x5x5xf32>) -> tensor<2x2x5x5xf32>
  %a = "onnx.MatMul"(%p, %vh) : (tensor<2x2x5x5xf32>, tensor<2x2x5x4xf32>) -> tensor<2x2x5x4xf32>
  %at = "onnx.Transpose"(%a) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<2x2x5x4xf32>) -> tensor<2x5x2x4xf32>
  %a3 = "onnx.Reshape"(%at, %flat) : (tensor<2x5x2x4xf32>, tensor<3xi64>) -> tensor<2x5x8xf32>
  %o = "onnx.MatMul"(%a3, %wo) : (tensor<2x5x8xf32>, tensor<8x8xf32>) -> tensor<2x5x8xf32> loc("/layers.0/attn/o_proj/MatMul")
  %r = "onnx.Add"(%x, %o) : (tensor<2x5x8xf32>, tensor<2x5x8xf32>) -> tensor<2x5x8xf32>
  return %r : tensor<2x5x8xf32>
}

// -----

// A projection split three ways into q, k and v is qkv: by a Split ...
// CHECK-LABEL: func.func @fused_qkv_split
// CHECK: peft.linear {{.*}} role qkv path "h.0.attn.c_attn"
// CHECK: "onnx.Split"
// CHECK: peft.linear {{.*}} role o path "h.0.attn.c_proj"
func.func @fused_qkv_split(%x: tensor<2x5x8xf32>) -> tensor<2x5x8xf32> {
  %w = onnx.initializer "h.0.attn.c_attn.weight" dense<0.5> : tensor<8x24xf32>
  %b = onnx.initializer "h.0.attn.c_attn.bias" dense<0.1> : tensor<24xf32>
  %wo = onnx.initializer "h.0.attn.c_proj.weight" dense<0.5> : tensor<8x8xf32>
  %sizes = "onnx.Constant"() <{value = dense<8> : tensor<3xi64>}> : () -> tensor<3xi64>
  %y = "onnx.MatMul"(%x, %w) : (tensor<2x5x8xf32>, tensor<8x24xf32>) -> tensor<2x5x24xf32> loc("/h.0/attn/c_attn/MatMul")
  %qkv = "onnx.Add"(%y, %b) : (tensor<2x5x24xf32>, tensor<24xf32>) -> tensor<2x5x24xf32> loc("/h.0/attn/c_attn/Add")
  %q, %k, %v = "onnx.Split"(%qkv, %sizes) <{axis = 2 : i64}> : (tensor<2x5x24xf32>, tensor<3xi64>) -> (tensor<2x5x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32>)
  %kt = "onnx.Transpose"(%k) <{perm = array<i64: 0, 2, 1>}> : (tensor<2x5x8xf32>) -> tensor<2x8x5xf32>
  %s = "onnx.MatMul"(%q, %kt) : (tensor<2x5x8xf32>, tensor<2x8x5xf32>) -> tensor<2x5x5xf32>
  %p = "onnx.Softmax"(%s) <{axis = -1 : i64}> : (tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
  %a = "onnx.MatMul"(%p, %v) : (tensor<2x5x5xf32>, tensor<2x5x8xf32>) -> tensor<2x5x8xf32>
  %o = "onnx.MatMul"(%a, %wo) : (tensor<2x5x8xf32>, tensor<8x8xf32>) -> tensor<2x5x8xf32> loc("/h.0/attn/c_proj/MatMul")
  return %o : tensor<2x5x8xf32>
}

// -----

// ... or by three Slices.
// CHECK-LABEL: func.func @fused_qkv_slices
// CHECK: peft.linear {{.*}} role qkv
// CHECK: peft.linear {{.*}} role o
func.func @fused_qkv_slices(%x: tensor<5x8xf32>) -> tensor<5x8xf32> {
  %w = onnx.initializer "w" dense<0.5> : tensor<8x24xf32>
  %wo = onnx.initializer "wo" dense<0.5> : tensor<8x8xf32>
  %none = onnx.none
  %axis = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %c0 = "onnx.Constant"() <{value = dense<0> : tensor<1xi64>}> : () -> tensor<1xi64>
  %c8 = "onnx.Constant"() <{value = dense<8> : tensor<1xi64>}> : () -> tensor<1xi64>
  %c16 = "onnx.Constant"() <{value = dense<16> : tensor<1xi64>}> : () -> tensor<1xi64>
  %c24 = "onnx.Constant"() <{value = dense<24> : tensor<1xi64>}> : () -> tensor<1xi64>
  %qkv = "onnx.MatMul"(%x, %w) : (tensor<5x8xf32>, tensor<8x24xf32>) -> tensor<5x24xf32>
  %q = "onnx.Slice"(%qkv, %c0, %c8, %axis, %none) : (tensor<5x24xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<5x8xf32>
  %k = "onnx.Slice"(%qkv, %c8, %c16, %axis, %none) : (tensor<5x24xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<5x8xf32>
  %v = "onnx.Slice"(%qkv, %c16, %c24, %axis, %none) : (tensor<5x24xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<5x8xf32>
  %kt = "onnx.Transpose"(%k) <{perm = array<i64: 1, 0>}> : (tensor<5x8xf32>) -> tensor<8x5xf32>
  %s = "onnx.MatMul"(%q, %kt) : (tensor<5x8xf32>, tensor<8x5xf32>) -> tensor<5x5xf32>
  %p = "onnx.Softmax"(%s) <{axis = -1 : i64}> : (tensor<5x5xf32>) -> tensor<5x5xf32>
  %a = "onnx.MatMul"(%p, %v) : (tensor<5x5xf32>, tensor<5x8xf32>) -> tensor<5x8xf32>
  %o = "onnx.MatMul"(%a, %wo) : (tensor<5x8xf32>, tensor<8x8xf32>) -> tensor<5x8xf32>
  return %o : tensor<5x8xf32>
}

// -----

// LLaMA MLP: gate and up meet at the product after SiLU (x·sigmoid(x));
// gate is the activated one, down takes the product.
// CHECK-LABEL: func.func @gated_mlp
// CHECK: peft.linear {{.*}} role gate path "mlp.gate_proj"
// CHECK: peft.linear {{.*}} role up path "mlp.up_proj"
// CHECK: peft.linear {{.*}} role down path "mlp.down_proj"
func.func @gated_mlp(%x: tensor<3x8xf32>) -> tensor<3x8xf32> {
  %wg = onnx.initializer "onnx::MatMul_1" dense<0.5> : tensor<8x16xf32>
  %wu = onnx.initializer "onnx::MatMul_2" dense<0.5> : tensor<8x16xf32>
  %wd = onnx.initializer "onnx::MatMul_3" dense<0.5> : tensor<16x8xf32>
  %g = "onnx.MatMul"(%x, %wg) : (tensor<3x8xf32>, tensor<8x16xf32>) -> tensor<3x16xf32> loc("/mlp/gate_proj/MatMul")
  %sg = "onnx.Sigmoid"(%g) : (tensor<3x16xf32>) -> tensor<3x16xf32>
  %silu = "onnx.Mul"(%g, %sg) : (tensor<3x16xf32>, tensor<3x16xf32>) -> tensor<3x16xf32>
  %u = "onnx.MatMul"(%x, %wu) : (tensor<3x8xf32>, tensor<8x16xf32>) -> tensor<3x16xf32> loc("/mlp/up_proj/MatMul")
  %h = "onnx.Mul"(%silu, %u) : (tensor<3x16xf32>, tensor<3x16xf32>) -> tensor<3x16xf32>
  %d = "onnx.MatMul"(%h, %wd) : (tensor<3x16xf32>, tensor<16x8xf32>) -> tensor<3x8xf32> loc("/mlp/down_proj/MatMul")
  %r = "onnx.Add"(%x, %d) : (tensor<3x8xf32>, tensor<3x8xf32>) -> tensor<3x8xf32>
  return %r : tensor<3x8xf32>
}

// -----

// BERT MLP: linear → erf GELU → linear, added back to the residual stream
// (here behind a LayerNormalization that feeds the up projection).
// CHECK-LABEL: func.func @gelu_mlp
// CHECK: peft.linear {{.*}} role up path "encoder.layer.0.intermediate.dense"
// CHECK: peft.linear {{.*}} role down path "encoder.layer.0.output.dense"
func.func @gelu_mlp(%x: tensor<3x8xf32>) -> tensor<3x8xf32> {
  %wu = onnx.initializer "onnx::MatMul_1" dense<0.5> : tensor<8x16xf32>
  %bu = onnx.initializer "encoder.layer.0.intermediate.dense.bias" dense<0.1> : tensor<16xf32>
  %wd = onnx.initializer "onnx::MatMul_2" dense<0.5> : tensor<16x8xf32>
  %bd = onnx.initializer "encoder.layer.0.output.dense.bias" dense<0.1> : tensor<8xf32>
  %gamma = onnx.initializer "gamma" dense<1.0> : tensor<8xf32>
  %sqrt2 = "onnx.Constant"() <{value = dense<1.41421354> : tensor<f32>}> : () -> tensor<f32>
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<f32>}> : () -> tensor<f32>
  %half = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %none = onnx.none
  %n, %mean, %inv = "onnx.LayerNormalization"(%x, %gamma, %none) <{axis = -1 : i64}> : (tensor<3x8xf32>, tensor<8xf32>, none) -> (tensor<3x8xf32>, none, none)
  %u0 = "onnx.MatMul"(%n, %wu) : (tensor<3x8xf32>, tensor<8x16xf32>) -> tensor<3x16xf32> loc("/encoder/layer.0/intermediate/dense/MatMul")
  %u = "onnx.Add"(%bu, %u0) : (tensor<16xf32>, tensor<3x16xf32>) -> tensor<3x16xf32> loc("/encoder/layer.0/intermediate/dense/Add")
  %e0 = "onnx.Div"(%u, %sqrt2) : (tensor<3x16xf32>, tensor<f32>) -> tensor<3x16xf32>
  %e1 = "onnx.Erf"(%e0) : (tensor<3x16xf32>) -> tensor<3x16xf32>
  %e2 = "onnx.Add"(%e1, %one) : (tensor<3x16xf32>, tensor<f32>) -> tensor<3x16xf32>
  %e3 = "onnx.Mul"(%u, %e2) : (tensor<3x16xf32>, tensor<3x16xf32>) -> tensor<3x16xf32>
  %g = "onnx.Mul"(%e3, %half) : (tensor<3x16xf32>, tensor<f32>) -> tensor<3x16xf32>
  %d0 = "onnx.MatMul"(%g, %wd) : (tensor<3x16xf32>, tensor<16x8xf32>) -> tensor<3x8xf32> loc("/encoder/layer.0/output/dense/MatMul")
  %d = "onnx.Add"(%d0, %bd) : (tensor<3x8xf32>, tensor<8xf32>) -> tensor<3x8xf32> loc("/encoder/layer.0/output/dense/Add")
  %r = "onnx.Add"(%d, %x) : (tensor<3x8xf32>, tensor<3x8xf32>) -> tensor<3x8xf32>
  return %r : tensor<3x8xf32>
}

// -----

// A pooler → tanh → classifier head has no residual connection: both stay
// other.
// CHECK-LABEL: func.func @pooler_classifier
// CHECK: peft.linear {{.*}} role other path "pooler.dense"
// CHECK: peft.linear {{.*}} role other path "classifier"
func.func @pooler_classifier(%x: tensor<3x8xf32>) -> tensor<3x2xf32> {
  %wp = onnx.initializer "pooler.dense.weight" dense<0.5> : tensor<8x8xf32>
  %wc = onnx.initializer "classifier.weight" dense<0.5> : tensor<2x8xf32>
  %none = onnx.none
  %p = "onnx.Gemm"(%x, %wp, %none) <{transB = 1 : i64}> : (tensor<3x8xf32>, tensor<8x8xf32>, none) -> tensor<3x8xf32>
  %t = "onnx.Tanh"(%p) : (tensor<3x8xf32>) -> tensor<3x8xf32>
  %c = "onnx.Gemm"(%t, %wc, %none) <{transB = 1 : i64}> : (tensor<3x8xf32>, tensor<2x8xf32>, none) -> tensor<3x2xf32>
  return %c : tensor<3x2xf32>
}

// -----

// Layers that already were peft.linear keep their roles.
// CHECK-LABEL: func.func @existing
// CHECK: peft.linear {{.*}} role q path "keep"
func.func @existing(%x: tensor<3x8xf32>, %w: tensor<8x8xf32>) -> tensor<3x8xf32> {
  %y = peft.linear %x, %w layout out_in role q path "keep" : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}
