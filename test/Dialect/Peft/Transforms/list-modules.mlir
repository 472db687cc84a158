// RUN: peft-opt %s -split-input-file --peft-list-modules -o /dev/null | FileCheck %s
// RUN: peft-opt %s --peft-list-modules="output=%t.txt" | FileCheck %s --check-prefix=IR
// RUN: FileCheck %s --input-file=%t.txt --check-prefix=FILE

// LLaMA-like: GQA (4 query / 2 key-value heads of 8), rotate_half rotary,
// repeat_kv by Unsqueeze/Expand/Reshape, scale by Div, SwiGLU MLP, lm_head.

// CHECK:      block  prefix          module     heads  kv_heads  head_dim  groups  rotary  table    scale     activation  inter  x_in  x_out  linears
// CHECK-NEXT: 0      model.layers.0  attention  4      2         8         2       half    1x1x4x8  0.353553  -           -      arg0  x_out  q=self_attn.q_proj,k=self_attn.k_proj,v=self_attn.v_proj,o=self_attn.o_proj
// CHECK-NEXT: 0      model.layers.0  mlp        -      -         -         -       -       -        -         silu        64     arg0  x_out  gate=mlp.gate_proj,up=mlp.up_proj,down=mlp.down_proj
// CHECK-NEXT: -      -               none       -      -         -         -       -       -        -         -           -      -     -      other=lm_head
// CHECK-NEXT: 1 block, 1 attention, 1 mlp, 1 linear in no module
// IR-LABEL: func.func @llama
// FILE: 3 blocks, 3 attention, 3 mlp, 1 linear in no module
func.func @llama(%x: tensor<1x4x32xf32>, %wq: tensor<32x32xf32>, %wk: tensor<32x16xf32>,
                 %wv: tensor<32x16xf32>, %wo: tensor<32x32xf32>, %wg: tensor<32x64xf32>,
                 %wu: tensor<32x64xf32>, %wd: tensor<64x32xf32>, %wl: tensor<32x10xf32>,
                 %cos: tensor<1x1x4x8xf32>, %sin: tensor<1x1x4x8xf32>) -> tensor<1x4x10xf32> {
  %none = onnx.none
  %q = peft.linear %x, %wq layout in_out role q path "model.layers.0.self_attn.q_proj"
         : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %k = peft.linear %x, %wk layout in_out role k path "model.layers.0.self_attn.k_proj"
         : tensor<1x4x32xf32>, tensor<32x16xf32> -> tensor<1x4x16xf32>
  %v = peft.linear %x, %wv layout in_out role v path "model.layers.0.self_attn.v_proj"
         : tensor<1x4x32xf32>, tensor<32x16xf32> -> tensor<1x4x16xf32>
  %sq = "onnx.Constant"() <{value = dense<[1, 4, 4, 8]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %skv = "onnx.Constant"() <{value = dense<[1, 4, 2, 8]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %q4 = "onnx.Reshape"(%q, %sq) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x4x8xf32>
  %qt = "onnx.Transpose"(%q4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %k4 = "onnx.Reshape"(%k, %skv) : (tensor<1x4x16xf32>, tensor<4xi64>) -> tensor<1x4x2x8xf32>
  %kt = "onnx.Transpose"(%k4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x2x8xf32>) -> tensor<1x2x4x8xf32>
  %v4 = "onnx.Reshape"(%v, %skv) : (tensor<1x4x16xf32>, tensor<4xi64>) -> tensor<1x4x2x8xf32>
  %vt = "onnx.Transpose"(%v4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x2x8xf32>) -> tensor<1x2x4x8xf32>
  // rotate_half: cat(-x[..., 4:], x[..., :4])
  %c0 = "onnx.Constant"() <{value = dense<0> : tensor<1xi64>}> : () -> tensor<1xi64>
  %c4 = "onnx.Constant"() <{value = dense<4> : tensor<1xi64>}> : () -> tensor<1xi64>
  %cmax = "onnx.Constant"() <{value = dense<9223372036854775807> : tensor<1xi64>}> : () -> tensor<1xi64>
  %c3 = "onnx.Constant"() <{value = dense<3> : tensor<1xi64>}> : () -> tensor<1xi64>
  %q1 = "onnx.Slice"(%qt, %c0, %c4, %c3, %none) : (tensor<1x4x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<1x4x4x4xf32>
  %q2 = "onnx.Slice"(%qt, %c4, %cmax, %c3, %none) : (tensor<1x4x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<1x4x4x4xf32>
  %qn = "onnx.Neg"(%q2) : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %qr = "onnx.Concat"(%qn, %q1) <{axis = -1 : i64}> : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x8xf32>
  %qc = "onnx.Mul"(%qt, %cos) : (tensor<1x4x4x8xf32>, tensor<1x1x4x8xf32>) -> tensor<1x4x4x8xf32>
  %qs = "onnx.Mul"(%qr, %sin) : (tensor<1x4x4x8xf32>, tensor<1x1x4x8xf32>) -> tensor<1x4x4x8xf32>
  %qe = "onnx.Add"(%qc, %qs) : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %k1 = "onnx.Slice"(%kt, %c0, %c4, %c3, %none) : (tensor<1x2x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<1x2x4x4xf32>
  %k2 = "onnx.Slice"(%kt, %c4, %cmax, %c3, %none) : (tensor<1x2x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<1x2x4x4xf32>
  %kn = "onnx.Neg"(%k2) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %kr = "onnx.Concat"(%kn, %k1) <{axis = -1 : i64}> : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x8xf32>
  %kc = "onnx.Mul"(%kt, %cos) : (tensor<1x2x4x8xf32>, tensor<1x1x4x8xf32>) -> tensor<1x2x4x8xf32>
  %ks = "onnx.Mul"(%kr, %sin) : (tensor<1x2x4x8xf32>, tensor<1x1x4x8xf32>) -> tensor<1x2x4x8xf32>
  %ke = "onnx.Add"(%kc, %ks) : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  // repeat_kv
  %c2 = "onnx.Constant"() <{value = dense<2> : tensor<1xi64>}> : () -> tensor<1xi64>
  %se = "onnx.Constant"() <{value = dense<[1, 2, 2, 4, 8]> : tensor<5xi64>}> : () -> tensor<5xi64>
  %sr = "onnx.Constant"() <{value = dense<[1, 4, 4, 8]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %ku = "onnx.Unsqueeze"(%ke, %c2) : (tensor<1x2x4x8xf32>, tensor<1xi64>) -> tensor<1x2x1x4x8xf32>
  %kx = "onnx.Expand"(%ku, %se) : (tensor<1x2x1x4x8xf32>, tensor<5xi64>) -> tensor<1x2x2x4x8xf32>
  %kg = "onnx.Reshape"(%kx, %sr) : (tensor<1x2x2x4x8xf32>, tensor<4xi64>) -> tensor<1x4x4x8xf32>
  %vu = "onnx.Unsqueeze"(%vt, %c2) : (tensor<1x2x4x8xf32>, tensor<1xi64>) -> tensor<1x2x1x4x8xf32>
  %vx = "onnx.Expand"(%vu, %se) : (tensor<1x2x1x4x8xf32>, tensor<5xi64>) -> tensor<1x2x2x4x8xf32>
  %vg = "onnx.Reshape"(%vx, %sr) : (tensor<1x2x2x4x8xf32>, tensor<4xi64>) -> tensor<1x4x4x8xf32>
  %kT = "onnx.Transpose"(%kg) <{perm = array<i64: 0, 1, 3, 2>}> : (tensor<1x4x4x8xf32>) -> tensor<1x4x8x4xf32>
  %s = "onnx.MatMul"(%qe, %kT) : (tensor<1x4x4x8xf32>, tensor<1x4x8x4xf32>) -> tensor<1x4x4x4xf32>
  %sc = "onnx.Constant"() <{value = dense<2.82842708> : tensor<f32>}> : () -> tensor<f32>
  %sd = "onnx.Div"(%s, %sc) : (tensor<1x4x4x4xf32>, tensor<f32>) -> tensor<1x4x4x4xf32>
  %p = "onnx.Softmax"(%sd) <{axis = -1 : i64}> : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c = "onnx.MatMul"(%p, %vg) : (tensor<1x4x4x4xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %ct = "onnx.Transpose"(%c) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %sm = "onnx.Constant"() <{value = dense<[1, 4, 32]> : tensor<3xi64>}> : () -> tensor<3xi64>
  %cm = "onnx.Reshape"(%ct, %sm) : (tensor<1x4x4x8xf32>, tensor<3xi64>) -> tensor<1x4x32xf32>
  %o = peft.linear %cm, %wo layout in_out role o path "model.layers.0.self_attn.o_proj"
         : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %h = "onnx.Add"(%x, %o) : (tensor<1x4x32xf32>, tensor<1x4x32xf32>) -> tensor<1x4x32xf32>
  %g = peft.linear %h, %wg layout in_out role gate path "model.layers.0.mlp.gate_proj"
         : tensor<1x4x32xf32>, tensor<32x64xf32> -> tensor<1x4x64xf32>
  %gs = "onnx.Sigmoid"(%g) : (tensor<1x4x64xf32>) -> tensor<1x4x64xf32>
  %ga = "onnx.Mul"(%g, %gs) : (tensor<1x4x64xf32>, tensor<1x4x64xf32>) -> tensor<1x4x64xf32>
  %u = peft.linear %h, %wu layout in_out role up path "model.layers.0.mlp.up_proj"
         : tensor<1x4x32xf32>, tensor<32x64xf32> -> tensor<1x4x64xf32>
  %gu = "onnx.Mul"(%ga, %u) : (tensor<1x4x64xf32>, tensor<1x4x64xf32>) -> tensor<1x4x64xf32>
  %d = peft.linear %gu, %wd layout in_out role down path "model.layers.0.mlp.down_proj"
         : tensor<1x4x64xf32>, tensor<64x32xf32> -> tensor<1x4x32xf32>
  %y = "onnx.Add"(%h, %d) : (tensor<1x4x32xf32>, tensor<1x4x32xf32>) -> tensor<1x4x32xf32> loc("x_out")
  %l = peft.linear %y, %wl layout in_out role other path "lm_head"
         : tensor<1x4x32xf32>, tensor<32x10xf32> -> tensor<1x4x10xf32>
  return %l : tensor<1x4x10xf32>
}

// -----

// GPT-2-like: fused c_attn split by Split (sizes as an input), K transposed
// by one Transpose from the head split, scale by Mul, tanh GELU MLP.

// CHECK:      block  prefix           module     heads  kv_heads  head_dim  groups  rotary  table  scale     activation  inter  x_in  x_out  linears
// CHECK-NEXT: 0      transformer.h.0  attention  4      4         8         1       none    -      0.353553  -           -      arg0  x_out  q=attn.c_attn[0:32],k=attn.c_attn[32:64],v=attn.c_attn[64:96],o=attn.c_proj
// CHECK-NEXT: 0      transformer.h.0  mlp        -      -         -         -       -       -      -         gelu_tanh   128    arg0  x_out  up=mlp.c_fc,down=mlp.c_proj
// CHECK-NEXT: 1 block, 1 attention, 1 mlp, 0 linears in no module
func.func @gpt2(%x: tensor<1x4x32xf32>, %wa: tensor<32x96xf32>, %wo: tensor<32x32xf32>,
                %wf: tensor<32x128xf32>, %wp: tensor<128x32xf32>) -> tensor<1x4x32xf32> {
  %qkv = peft.linear %x, %wa layout in_out role qkv path "transformer.h.0.attn.c_attn"
           : tensor<1x4x32xf32>, tensor<32x96xf32> -> tensor<1x4x96xf32>
  %sizes = "onnx.Constant"() <{value = dense<32> : tensor<3xi64>}> : () -> tensor<3xi64>
  %parts:3 = "onnx.Split"(%qkv, %sizes) <{axis = 2 : i64}> : (tensor<1x4x96xf32>, tensor<3xi64>) -> (tensor<1x4x32xf32>, tensor<1x4x32xf32>, tensor<1x4x32xf32>)
  %sh = "onnx.Constant"() <{value = dense<[1, 4, 4, 8]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %q4 = "onnx.Reshape"(%parts#0, %sh) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x4x8xf32>
  %k4 = "onnx.Reshape"(%parts#1, %sh) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x4x8xf32>
  %v4 = "onnx.Reshape"(%parts#2, %sh) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x4x8xf32>
  %qt = "onnx.Transpose"(%q4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %kT = "onnx.Transpose"(%k4) <{perm = array<i64: 0, 2, 3, 1>}> : (tensor<1x4x4x8xf32>) -> tensor<1x4x8x4xf32>
  %vt = "onnx.Transpose"(%v4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %s = "onnx.MatMul"(%qt, %kT) : (tensor<1x4x4x8xf32>, tensor<1x4x8x4xf32>) -> tensor<1x4x4x4xf32>
  %sc = "onnx.Constant"() <{value = dense<0.353553385> : tensor<f32>}> : () -> tensor<f32>
  %sm = "onnx.Mul"(%s, %sc) : (tensor<1x4x4x4xf32>, tensor<f32>) -> tensor<1x4x4x4xf32>
  %p = "onnx.Softmax"(%sm) <{axis = -1 : i64}> : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c = "onnx.MatMul"(%p, %vt) : (tensor<1x4x4x4xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %ct = "onnx.Transpose"(%c) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %s3 = "onnx.Constant"() <{value = dense<[1, 4, 32]> : tensor<3xi64>}> : () -> tensor<3xi64>
  %cm = "onnx.Reshape"(%ct, %s3) : (tensor<1x4x4x8xf32>, tensor<3xi64>) -> tensor<1x4x32xf32>
  %o = peft.linear %cm, %wo layout in_out role o path "transformer.h.0.attn.c_proj"
         : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %h = "onnx.Add"(%x, %o) : (tensor<1x4x32xf32>, tensor<1x4x32xf32>) -> tensor<1x4x32xf32>
  %f = peft.linear %h, %wf layout in_out role up path "transformer.h.0.mlp.c_fc"
         : tensor<1x4x32xf32>, tensor<32x128xf32> -> tensor<1x4x128xf32>
  %t = "onnx.Tanh"(%f) : (tensor<1x4x128xf32>) -> tensor<1x4x128xf32>
  %a = "onnx.Mul"(%f, %t) : (tensor<1x4x128xf32>, tensor<1x4x128xf32>) -> tensor<1x4x128xf32>
  %d = peft.linear %a, %wp layout in_out role down path "transformer.h.0.mlp.c_proj"
         : tensor<1x4x128xf32>, tensor<128x32xf32> -> tensor<1x4x32xf32>
  %y = "onnx.Add"(%h, %d) : (tensor<1x4x32xf32>, tensor<1x4x32xf32>) -> tensor<1x4x32xf32> loc("x_out")
  return %y : tensor<1x4x32xf32>
}

// -----

// BERT-like post-norm block: scale on the scores, erf GELU; the block hands
// on the LayerNormalization after the MLP's residual addition.

// CHECK:      block  prefix           module     heads  kv_heads  head_dim  groups  rotary  table  scale  activation  inter  x_in  x_out      linears
// CHECK-NEXT: 0      encoder.layer.0  attention  2      2         16        1       none    -      0.25   -           -      arg0  x_out#0    q=attention.self.query,k=attention.self.key,v=attention.self.value,o=attention.output.dense
// CHECK-NEXT: 0      encoder.layer.0  mlp        -      -         -         -       -       -      -      gelu_erf    64     arg0  x_out#0    up=intermediate.dense,down=output.dense
// CHECK-NEXT: 1 block, 1 attention, 1 mlp, 0 linears in no module
func.func @bert(%x: tensor<1x4x32xf32>, %wq: tensor<32x32xf32>, %wk: tensor<32x32xf32>,
                %wv: tensor<32x32xf32>, %wo: tensor<32x32xf32>, %wi: tensor<32x64xf32>,
                %wd: tensor<64x32xf32>, %gamma: tensor<32xf32>, %beta: tensor<32xf32>,
                %mask: tensor<1x1x1x4xf32>) -> tensor<1x4x32xf32> {
  %q = peft.linear %x, %wq layout in_out role q path "encoder.layer.0.attention.self.query"
         : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %k = peft.linear %x, %wk layout in_out role k path "encoder.layer.0.attention.self.key"
         : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %v = peft.linear %x, %wv layout in_out role v path "encoder.layer.0.attention.self.value"
         : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %sh = "onnx.Constant"() <{value = dense<[1, 4, 2, 16]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %q4 = "onnx.Reshape"(%q, %sh) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x2x16xf32>
  %k4 = "onnx.Reshape"(%k, %sh) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x2x16xf32>
  %v4 = "onnx.Reshape"(%v, %sh) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x4x2x16xf32>
  %qt = "onnx.Transpose"(%q4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x2x16xf32>) -> tensor<1x2x4x16xf32>
  %kT = "onnx.Transpose"(%k4) <{perm = array<i64: 0, 2, 3, 1>}> : (tensor<1x4x2x16xf32>) -> tensor<1x2x16x4xf32>
  %vt = "onnx.Transpose"(%v4) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x4x2x16xf32>) -> tensor<1x2x4x16xf32>
  %s = "onnx.MatMul"(%qt, %kT) : (tensor<1x2x4x16xf32>, tensor<1x2x16x4xf32>) -> tensor<1x2x4x4xf32>
  %sc = "onnx.Constant"() <{value = dense<4.0> : tensor<f32>}> : () -> tensor<f32>
  %sd = "onnx.Div"(%s, %sc) : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %sm = "onnx.Add"(%sd, %mask) : (tensor<1x2x4x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x2x4x4xf32>
  %p = "onnx.Softmax"(%sm) <{axis = -1 : i64}> : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c = "onnx.MatMul"(%p, %vt) : (tensor<1x2x4x4xf32>, tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32>
  %ct = "onnx.Transpose"(%c) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x2x4x16xf32>) -> tensor<1x4x2x16xf32>
  %s3 = "onnx.Constant"() <{value = dense<[1, 4, 32]> : tensor<3xi64>}> : () -> tensor<3xi64>
  %cm = "onnx.Reshape"(%ct, %s3) : (tensor<1x4x2x16xf32>, tensor<3xi64>) -> tensor<1x4x32xf32>
  %o = peft.linear %cm, %wo layout in_out role o path "encoder.layer.0.attention.output.dense"
         : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
  %r = "onnx.Add"(%o, %x) : (tensor<1x4x32xf32>, tensor<1x4x32xf32>) -> tensor<1x4x32xf32>
  %a:3 = "onnx.LayerNormalization"(%r, %gamma, %beta) <{axis = -1 : i64}> : (tensor<1x4x32xf32>, tensor<32xf32>, tensor<32xf32>) -> (tensor<1x4x32xf32>, none, none)
  %i = peft.linear %a#0, %wi layout in_out role up path "encoder.layer.0.intermediate.dense"
         : tensor<1x4x32xf32>, tensor<32x64xf32> -> tensor<1x4x64xf32>
  %r2 = "onnx.Constant"() <{value = dense<1.41421354> : tensor<f32>}> : () -> tensor<f32>
  %e0 = "onnx.Div"(%i, %r2) : (tensor<1x4x64xf32>, tensor<f32>) -> tensor<1x4x64xf32>
  %e1 = "onnx.Erf"(%e0) : (tensor<1x4x64xf32>) -> tensor<1x4x64xf32>
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<f32>}> : () -> tensor<f32>
  %e2 = "onnx.Add"(%e1, %one) : (tensor<1x4x64xf32>, tensor<f32>) -> tensor<1x4x64xf32>
  %e3 = "onnx.Mul"(%i, %e2) : (tensor<1x4x64xf32>, tensor<1x4x64xf32>) -> tensor<1x4x64xf32>
  %d = peft.linear %e3, %wd layout in_out role down path "encoder.layer.0.output.dense"
         : tensor<1x4x64xf32>, tensor<64x32xf32> -> tensor<1x4x32xf32>
  %r3 = "onnx.Add"(%d, %a#0) : (tensor<1x4x32xf32>, tensor<1x4x32xf32>) -> tensor<1x4x32xf32>
  %y:3 = "onnx.LayerNormalization"(%r3, %gamma, %beta) <{axis = -1 : i64}> : (tensor<1x4x32xf32>, tensor<32xf32>, tensor<32xf32>) -> (tensor<1x4x32xf32>, none, none) loc("x_out")
  return %y#0 : tensor<1x4x32xf32>
}

// -----

// CHECK:      block  prefix  module
// CHECK-NEXT: 0 blocks, 0 attention, 0 mlp, 0 linears in no module
func.func @empty() {
  return
}
