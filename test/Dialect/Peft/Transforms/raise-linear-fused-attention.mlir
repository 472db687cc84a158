// RUN: peft-opt %s --peft-raise-linear | FileCheck %s

// Roles through the opset-23 fused ops: the linears reaching Attention's Q
// (through RotaryEmbedding), K and V are q, k and v; the one reading its Y is
// o. present_key is the cache, not attention output: the linear reading it
// stays other.
// CHECK-LABEL: func.func @fused_attention
// CHECK: peft.linear {{.*}} role q path "layers.0.attn.q_proj"
// CHECK: peft.linear {{.*}} role k path "layers.0.attn.k_proj"
// CHECK: peft.linear {{.*}} role v path "layers.0.attn.v_proj"
// CHECK: onnx.RotaryEmbedding
// CHECK: onnx.Attention
// CHECK: peft.linear {{.*}} role o path "layers.0.attn.o_proj"
// CHECK: peft.linear {{.*}} role other path "layers.0.attn.cache_proj"
func.func @fused_attention(%x: tensor<1x3x16xf32>, %cos: tensor<1x3x2xf32>, %sin: tensor<1x3x2xf32>) -> (tensor<1x3x16xf32>, tensor<1x2x3x16xf32>) {
  %wq = onnx.initializer "wq" dense<0.5> : tensor<16x16xf32>
  %wk = onnx.initializer "wk" dense<0.5> : tensor<16x8xf32>
  %wv = onnx.initializer "wv" dense<0.5> : tensor<16x8xf32>
  %wo = onnx.initializer "wo" dense<0.5> : tensor<16x16xf32>
  %wc = onnx.initializer "wc" dense<0.5> : tensor<4x16xf32>
  %none = onnx.none
  %q = "onnx.MatMul"(%x, %wq) : (tensor<1x3x16xf32>, tensor<16x16xf32>) -> tensor<1x3x16xf32> loc("/layers.0/attn/q_proj/MatMul")
  %k = "onnx.MatMul"(%x, %wk) : (tensor<1x3x16xf32>, tensor<16x8xf32>) -> tensor<1x3x8xf32> loc("/layers.0/attn/k_proj/MatMul")
  %v = "onnx.MatMul"(%x, %wv) : (tensor<1x3x16xf32>, tensor<16x8xf32>) -> tensor<1x3x8xf32> loc("/layers.0/attn/v_proj/MatMul")
  %qr = "onnx.RotaryEmbedding"(%q, %cos, %sin, %none) <{num_heads = 4 : i64}> : (tensor<1x3x16xf32>, tensor<1x3x2xf32>, tensor<1x3x2xf32>, none) -> tensor<1x3x16xf32>
  %nonpad = onnx.none
  %y, %pk, %pv, %qk = "onnx.Attention"(%qr, %k, %v, %none, %none, %none, %nonpad) <{q_num_heads = 4 : i64, kv_num_heads = 2 : i64, is_causal = 1 : i64}> : (tensor<1x3x16xf32>, tensor<1x3x8xf32>, tensor<1x3x8xf32>, none, none, none, none) -> (tensor<1x3x16xf32>, tensor<1x2x3x4xf32>, none, none)
  %o = "onnx.MatMul"(%y, %wo) : (tensor<1x3x16xf32>, tensor<16x16xf32>) -> tensor<1x3x16xf32> loc("/layers.0/attn/o_proj/MatMul")
  %c = "onnx.MatMul"(%pk, %wc) : (tensor<1x2x3x4xf32>, tensor<4x16xf32>) -> tensor<1x2x3x16xf32> loc("/layers.0/attn/cache_proj/MatMul")
  return %o, %c : tensor<1x3x16xf32>, tensor<1x2x3x16xf32>
}
