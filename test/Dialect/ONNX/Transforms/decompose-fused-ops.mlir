// RUN: peft-opt %s -split-input-file --onnx-decompose-fused-ops | FileCheck %s

// RMSNormalization: mean of squares over [axis, rank), epsilon, 1/sqrt, scale.
// CHECK-LABEL: func @rms
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x8xf32>, %[[S:.*]]: tensor<3x8xf32>)
// CHECK: %[[SQ:.*]] = "onnx.Mul"(%[[X]], %[[X]])
// CHECK: %[[AXES:.*]] = "onnx.Constant"() <{value = dense<[1, 2]> : tensor<2xi64>}>
// CHECK: %[[MEAN:.*]] = "onnx.ReduceMean"(%[[SQ]], %[[AXES]]) : {{.*}} -> tensor<2x1x1xf32>
// CHECK: %[[EPS:.*]] = "onnx.Constant"() <{value = dense<9.99999997E-7> : tensor<f32>}>
// CHECK: %[[VAR:.*]] = "onnx.Add"(%[[MEAN]], %[[EPS]])
// CHECK: %[[RMS:.*]] = "onnx.Sqrt"(%[[VAR]])
// CHECK: %[[INV:.*]] = "onnx.Reciprocal"(%[[RMS]])
// CHECK: %[[N:.*]] = "onnx.Mul"(%[[X]], %[[INV]])
// CHECK: %[[Y:.*]] = "onnx.Mul"(%[[N]], %[[S]]) : {{.*}} -> tensor<2x3x8xf32>
// CHECK: return %[[Y]]
// CHECK-NOT: onnx.RMSNormalization
func.func @rms(%x: tensor<2x3x8xf32>, %s: tensor<3x8xf32>) -> tensor<2x3x8xf32> {
  %y = "onnx.RMSNormalization"(%x, %s) <{axis = -2 : i64, epsilon = 1.0e-06 : f32}> : (tensor<2x3x8xf32>, tensor<3x8xf32>) -> tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}

// -----

// stash_type = 11 (double): the statistics in f64, the result in scale's type.
// CHECK-LABEL: func @rms_stash_double
// CHECK: %[[XD:.*]] = "onnx.Cast"(%{{.*}}) <{to = 11 : i64}> : (tensor<2x8xf32>) -> tensor<2x8xf64>
// CHECK: "onnx.ReduceMean"{{.*}} -> tensor<2x1xf64>
// CHECK: %[[N:.*]] = "onnx.Mul"(%[[XD]], %{{.*}}) : (tensor<2x8xf64>, tensor<2x1xf64>) -> tensor<2x8xf64>
// CHECK: %[[NF:.*]] = "onnx.Cast"(%[[N]]) <{to = 1 : i64}> : (tensor<2x8xf64>) -> tensor<2x8xf32>
// CHECK: "onnx.Mul"(%[[NF]], %{{.*}}) : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
func.func @rms_stash_double(%x: tensor<2x8xf32>, %s: tensor<8xf32>) -> tensor<2x8xf32> {
  %y = "onnx.RMSNormalization"(%x, %s) <{stash_type = 11 : i64}> : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// RotaryEmbedding, 4-D, halves, position ids: [B, H, S, D] -> [B, S, H, D],
// caches gathered and unsqueezed to [B, S, 1, D/2].
// CHECK-LABEL: func @rope_halves
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x3x8xf32>, %[[C:.*]]: tensor<16x4xf32>, %[[S:.*]]: tensor<16x4xf32>, %[[P:.*]]: tensor<1x3xi64>)
// CHECK: %[[XT:.*]] = "onnx.Transpose"(%[[X]]) <{perm = array<i64: 0, 2, 1, 3>}> {{.*}} -> tensor<1x3x2x8xf32>
// CHECK: %[[COS:.*]] = "onnx.Gather"(%[[C]], %[[P]]) <{axis = 0 : i64}> {{.*}} -> tensor<1x3x4xf32>
// CHECK: %[[SIN:.*]] = "onnx.Gather"(%[[S]], %[[P]])
// CHECK: %[[COS4:.*]] = "onnx.Unsqueeze"(%[[COS]], %{{.*}}) {{.*}} -> tensor<1x3x1x4xf32>
// CHECK: %[[SIN4:.*]] = "onnx.Unsqueeze"(%[[SIN]], %{{.*}}) {{.*}} -> tensor<1x3x1x4xf32>
// CHECK: %[[X1:.*]] = "onnx.Slice"(%[[XT]], {{.*}} -> tensor<1x3x2x4xf32>
// CHECK: %[[X2:.*]] = "onnx.Slice"(%[[XT]], {{.*}} -> tensor<1x3x2x4xf32>
// CHECK: %[[A:.*]] = "onnx.Mul"(%[[COS4]], %[[X1]])
// CHECK: %[[B:.*]] = "onnx.Mul"(%[[SIN4]], %[[X2]])
// CHECK: %[[RE:.*]] = "onnx.Sub"(%[[A]], %[[B]])
// CHECK: %[[C1:.*]] = "onnx.Mul"(%[[SIN4]], %[[X1]])
// CHECK: %[[D:.*]] = "onnx.Mul"(%[[COS4]], %[[X2]])
// CHECK: %[[IM:.*]] = "onnx.Add"(%[[C1]], %[[D]])
// CHECK: %[[CAT:.*]] = "onnx.Concat"(%[[RE]], %[[IM]]) <{axis = 3 : i64}> {{.*}} -> tensor<1x3x2x8xf32>
// CHECK: %[[Y:.*]] = "onnx.Transpose"(%[[CAT]]) <{perm = array<i64: 0, 2, 1, 3>}> {{.*}} -> tensor<1x2x3x8xf32>
// CHECK: return %[[Y]]
func.func @rope_halves(%x: tensor<1x2x3x8xf32>, %c: tensor<16x4xf32>, %s: tensor<16x4xf32>, %p: tensor<1x3xi64>) -> tensor<1x2x3x8xf32> {
  %y = "onnx.RotaryEmbedding"(%x, %c, %s, %p) : (tensor<1x2x3x8xf32>, tensor<16x4xf32>, tensor<16x4xf32>, tensor<1x3xi64>) -> tensor<1x2x3x8xf32>
  return %y : tensor<1x2x3x8xf32>
}

// -----

// 3-D, interleaved, partial rotation: pairs through a [.., D/2, 2] reshape;
// the channels past rotary_embedding_dim pass through.
// CHECK-LABEL: func @rope_interleaved_partial
// CHECK: %[[XH:.*]] = "onnx.Reshape"(%{{.*}}, %{{.*}}) {{.*}} -> tensor<2x3x2x8xf32>
// CHECK: "onnx.Unsqueeze"{{.*}} -> tensor<2x3x1x2x1xf32>
// CHECK: %[[ROT:.*]] = "onnx.Slice"(%[[XH]], {{.*}} -> tensor<2x3x2x4xf32>
// CHECK: %[[PAIRS:.*]] = "onnx.Reshape"(%[[ROT]], {{.*}} -> tensor<2x3x2x2x2xf32>
// CHECK: "onnx.Slice"(%[[PAIRS]], {{.*}} -> tensor<2x3x2x2x1xf32>
// CHECK: %[[CAT:.*]] = "onnx.Concat"({{.*}}) <{axis = 4 : i64}> {{.*}} -> tensor<2x3x2x2x2xf32>
// CHECK: %[[BACK:.*]] = "onnx.Reshape"(%[[CAT]], {{.*}} -> tensor<2x3x2x4xf32>
// CHECK: %[[PASS:.*]] = "onnx.Slice"(%[[XH]], {{.*}} -> tensor<2x3x2x4xf32>
// CHECK: %[[ALL:.*]] = "onnx.Concat"(%[[BACK]], %[[PASS]]) <{axis = 3 : i64}>
// CHECK: %[[Y:.*]] = "onnx.Reshape"(%[[ALL]], {{.*}} -> tensor<2x3x16xf32>
// CHECK: return %[[Y]]
func.func @rope_interleaved_partial(%x: tensor<2x3x16xf32>, %c: tensor<2x3x2xf32>, %s: tensor<2x3x2xf32>) -> tensor<2x3x16xf32> {
  %none = onnx.none
  %y = "onnx.RotaryEmbedding"(%x, %c, %s, %none) <{interleaved = 1 : i64, num_heads = 2 : i64, rotary_embedding_dim = 4 : i64}> : (tensor<2x3x16xf32>, tensor<2x3x2xf32>, tensor<2x3x2xf32>, none) -> tensor<2x3x16xf32>
  return %y : tensor<2x3x16xf32>
}

// -----

// Attention, 3-D with GQA, a boolean mask, a past cache and is_causal.
// CHECK-LABEL: func @attention_gqa_causal
// CHECK-SAME: (%[[Q:.*]]: tensor<1x3x16xf32>, %[[K:.*]]: tensor<1x3x8xf32>, %[[V:.*]]: tensor<1x3x8xf32>, %[[M:.*]]: tensor<3x5xi1>, %[[PK:.*]]: tensor<1x2x2x4xf32>, %[[PV:.*]]: tensor<1x2x2x4xf32>)
// CHECK: %[[Q4:.*]] = "onnx.Transpose"({{.*}} -> tensor<1x4x3x4xf32>
// CHECK: %[[K4:.*]] = "onnx.Transpose"({{.*}} -> tensor<1x2x3x4xf32>
// CHECK: %[[V4:.*]] = "onnx.Transpose"({{.*}} -> tensor<1x2x3x4xf32>
// CHECK: %[[PRK:.*]] = "onnx.Concat"(%[[PK]], %[[K4]]) <{axis = 2 : i64}> {{.*}} -> tensor<1x2x5x4xf32>
// CHECK: %[[PRV:.*]] = "onnx.Concat"(%[[PV]], %[[V4]]) <{axis = 2 : i64}>
// CHECK: %[[REPS:.*]] = "onnx.Constant"() <{value = dense<[1, 1, 2, 1, 1]> : tensor<5xi64>}>
// CHECK: "onnx.Expand"(%{{.*}}, %[[REPS]]) {{.*}} -> tensor<1x2x2x5x4xf32>
// CHECK: %[[KR:.*]] = "onnx.Reshape"({{.*}} -> tensor<1x4x5x4xf32>
// CHECK: %[[VR:.*]] = "onnx.Reshape"({{.*}} -> tensor<1x4x5x4xf32>
// CHECK: %[[ROOT:.*]] = "onnx.Constant"() <{value = dense<0.707106769> : tensor<f32>}>
// CHECK: %[[QS:.*]] = "onnx.Mul"(%[[Q4]], %[[ROOT]])
// CHECK: %[[KT:.*]] = "onnx.Transpose"(%[[KR]]) <{perm = array<i64: 0, 1, 3, 2>}>
// CHECK: %[[KS:.*]] = "onnx.Mul"(%[[KT]], %[[ROOT]])
// CHECK: %[[QK:.*]] = "onnx.MatMul"(%[[QS]], %[[KS]]) {{.*}} -> tensor<1x4x3x5xf32>
// CHECK: %[[MB:.*]] = "onnx.Where"(%[[M]], {{.*}} -> tensor<3x5xf32>
// CHECK: %[[FULL:.*]] = "onnx.ConstantOfShape"({{.*}}) <{value = dense<0xFF800000> : tensor<1xf32>}> {{.*}} -> tensor<3x5xf32>
// CHECK: %[[PAST:.*]] = "onnx.Constant"() <{value = dense<2> : tensor<1xi64>}>
// CHECK: %[[OFF:.*]] = "onnx.Add"(%[[PAST]], %{{.*}})
// CHECK: %[[CAUSAL:.*]] = "onnx.Trilu"(%[[FULL]], %[[OFF]]) <{upper = 1 : i64}>
// CHECK: %[[BIAS:.*]] = "onnx.Add"(%[[MB]], %[[CAUSAL]])
// CHECK: %[[SCORES:.*]] = "onnx.Add"(%[[QK]], %[[BIAS]])
// CHECK: %[[P:.*]] = "onnx.Softmax"(%[[SCORES]]) <{axis = -1 : i64}>
// CHECK: %[[ROWMAX:.*]] = "onnx.ReduceMax"(%[[BIAS]], {{.*}} -> tensor<3x1xf32>
// CHECK: %[[DEAD:.*]] = "onnx.Equal"(%[[ROWMAX]], {{.*}} -> tensor<3x1xi1>
// CHECK: %[[SAFE:.*]] = "onnx.Where"(%[[DEAD]], %{{.*}}, %[[P]])
// CHECK: %[[Y4:.*]] = "onnx.MatMul"(%[[SAFE]], %[[VR]]) {{.*}} -> tensor<1x4x3x4xf32>
// CHECK: %[[YT:.*]] = "onnx.Transpose"(%[[Y4]]) <{perm = array<i64: 0, 2, 1, 3>}>
// CHECK: %[[Y:.*]] = "onnx.Reshape"(%[[YT]], {{.*}} -> tensor<1x3x16xf32>
// CHECK: return %[[Y]], %[[PRK]], %[[PRV]]
func.func @attention_gqa_causal(%q: tensor<1x3x16xf32>, %k: tensor<1x3x8xf32>, %v: tensor<1x3x8xf32>, %m: tensor<3x5xi1>, %pk: tensor<1x2x2x4xf32>, %pv: tensor<1x2x2x4xf32>) -> (tensor<1x3x16xf32>, tensor<1x2x5x4xf32>, tensor<1x2x5x4xf32>) {
  %nonpad = onnx.none
  %y, %pk2, %pv2, %qk = "onnx.Attention"(%q, %k, %v, %m, %pk, %pv, %nonpad) <{q_num_heads = 4 : i64, kv_num_heads = 2 : i64, is_causal = 1 : i64}> : (tensor<1x3x16xf32>, tensor<1x3x8xf32>, tensor<1x3x8xf32>, tensor<3x5xi1>, tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>, none) -> (tensor<1x3x16xf32>, tensor<1x2x5x4xf32>, tensor<1x2x5x4xf32>, none)
  return %y, %pk2, %pv2 : tensor<1x3x16xf32>, tensor<1x2x5x4xf32>, tensor<1x2x5x4xf32>
}

// -----

// 4-D, softcap, scale, a short float mask padded with -inf, and the
// softcapped scores as qk_matmul_output (mode 1).
// CHECK-LABEL: func @attention_softcap_short_mask
// CHECK: %[[ROOT:.*]] = "onnx.Constant"() <{value = dense<5.000000e-01> : tensor<f32>}>
// CHECK: %[[QK:.*]] = "onnx.MatMul"
// CHECK: %[[CAP:.*]] = "onnx.Constant"() <{value = dense<3.000000e+01> : tensor<f32>}>
// CHECK: %[[DIV:.*]] = "onnx.Div"(%[[QK]], %[[CAP]])
// CHECK: %[[TANH:.*]] = "onnx.Tanh"(%[[DIV]])
// CHECK: %[[CAPPED:.*]] = "onnx.Mul"(%[[TANH]], %[[CAP]])
// CHECK: %[[PADS:.*]] = "onnx.Constant"() <{value = dense<[0, 0, 0, 2]> : tensor<4xi64>}>
// CHECK: %[[MASK:.*]] = "onnx.Pad"(%{{.*}}, %[[PADS]], {{.*}} -> tensor<2x4xf32>
// CHECK: "onnx.Add"(%[[CAPPED]], %[[MASK]])
// CHECK-NOT: onnx.Trilu
// CHECK: return %{{.*}}, %[[CAPPED]]
func.func @attention_softcap_short_mask(%q: tensor<1x2x2x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %m: tensor<2x2xf32>) -> (tensor<1x2x2x8xf32>, tensor<1x2x2x4xf32>) {
  %none = onnx.none
  %nonpad = onnx.none
  %y, %pk, %pv, %qk = "onnx.Attention"(%q, %k, %v, %m, %none, %none, %nonpad) <{scale = 0.25 : f32, softcap = 30.0 : f32, qk_matmul_output_mode = 1 : i64}> : (tensor<1x2x2x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<2x2xf32>, none, none, none) -> (tensor<1x2x2x8xf32>, none, none, tensor<1x2x2x4xf32>)
  return %y, %qk : tensor<1x2x2x8xf32>, tensor<1x2x2x4xf32>
}

// -----

// A dynamic sequence length: the causal mask's extents come from Shape; a
// result type the expansion refines goes through an Identity of the old type.
// CHECK-LABEL: func @attention_dynamic_causal
// CHECK: %[[S:.*]] = "onnx.Shape"(%{{.*}}) <{end = 3 : i64, start = 2 : i64}> : (tensor<1x2x?x8xf32>) -> tensor<1xi64>
// CHECK: "onnx.ConstantOfShape"({{.*}} -> tensor<?x?xf32>
// CHECK: "onnx.Trilu"
// CHECK: %[[Y:.*]] = "onnx.MatMul"({{.*}} -> tensor<1x2x?x8xf32>
// CHECK: %[[ID:.*]] = "onnx.Identity"(%[[Y]]) : (tensor<1x2x?x8xf32>) -> tensor<*xf32>
// CHECK: return %[[ID]]
func.func @attention_dynamic_causal(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<*xf32> {
  %none = onnx.none
  %nonpad = onnx.none
  %y, %pk, %pv, %qk = "onnx.Attention"(%q, %k, %v, %none, %none, %none, %nonpad) <{is_causal = 1 : i64}> : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, none, none, none, none) -> (tensor<*xf32>, none, none, none)
  return %y : tensor<*xf32>
}

// -----

// Attention-25's sliding window (left 2, right 0): -inf where key j > query i
// (upper Trilu, k = 1) and where j < i - 2 (lower Trilu, k = -3); the guard
// zeroes rows the window empties.
// CHECK-LABEL: func @attention_window
// CHECK: %[[K1:.*]] = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}>
// CHECK: %[[RIGHT:.*]] = "onnx.Trilu"(%{{.*}}, %[[K1]]) <{upper = 1 : i64}>
// CHECK: %[[K3:.*]] = "onnx.Constant"() <{value = dense<-3> : tensor<1xi64>}>
// CHECK: %[[LEFT:.*]] = "onnx.Trilu"(%{{.*}}, %[[K3]]) <{upper = 0 : i64}>
// CHECK: %[[BIAS:.*]] = "onnx.Add"(%[[RIGHT]], %[[LEFT]])
// CHECK: "onnx.ReduceMax"(%[[BIAS]]
func.func @attention_window(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %none = onnx.none
  %nonpad = onnx.none
  %y, %pk, %pv, %qk = "onnx.Attention"(%q, %q, %q, %none, %none, %none, %nonpad) <{left_window_size = 2 : i64, right_window_size = 0 : i64}> : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, none, none, none, none) -> (tensor<1x2x4x8xf32>, none, none, none)
  return %y : tensor<1x2x4x8xf32>
}

// -----

// Attention-24's external cache: padding keys j >= n[b] and the causal bound
// j - i > n[b] - S, per batch, on [B, 1, S, T].
// CHECK-LABEL: func @attention_external_cache
// CHECK-SAME: %[[N:[^:]*]]: tensor<2xi64>
// CHECK: %[[COLS:.*]] = "onnx.Constant"() <{value = dense<[0, 1, 2, 3, 4, 5]> : tensor<6xi64>}>
// CHECK: %[[DIFF:.*]] = "onnx.Sub"(%[[COLS]], %{{.*}}) : (tensor<6xi64>, tensor<3x1xi64>) -> tensor<3x6xi64>
// CHECK: %[[VALID:.*]] = "onnx.Reshape"(%[[N]], {{.*}} -> tensor<2x1x1x1xi64>
// CHECK: %[[OFF:.*]] = "onnx.Sub"(%[[VALID]], {{.*}} -> tensor<2x1x1x1xi64>
// CHECK: %[[IN:.*]] = "onnx.Less"(%[[COLS]], %[[VALID]]) {{.*}} -> tensor<2x1x1x6xi1>
// CHECK: %[[PAD:.*]] = "onnx.Not"(%[[IN]])
// CHECK: "onnx.Where"(%[[PAD]]
// CHECK: %[[BOUND:.*]] = "onnx.Add"(%[[OFF]], {{.*}})
// CHECK: %[[LATE:.*]] = "onnx.Greater"(%[[DIFF]], %[[BOUND]]) {{.*}} -> tensor<2x1x3x6xi1>
// CHECK: "onnx.Where"(%[[LATE]]
func.func @attention_external_cache(%q: tensor<2x2x3x8xf32>, %k: tensor<2x2x6x8xf32>, %n: tensor<2xi64>) -> tensor<2x2x3x8xf32> {
  %none = onnx.none
  %y, %pk, %pv, %qk = "onnx.Attention"(%q, %k, %k, %none, %none, %none, %n) <{is_causal = 1 : i64}> : (tensor<2x2x3x8xf32>, tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32>, none, none, none, tensor<2xi64>) -> (tensor<2x2x3x8xf32>, none, none, none)
  return %y : tensor<2x2x3x8xf32>
}
