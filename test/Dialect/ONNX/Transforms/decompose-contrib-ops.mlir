// RUN: peft-opt %s -split-input-file --onnx-decompose-contrib-ops | FileCheck %s
// RUN: peft-opt %s -split-input-file --onnx-decompose-contrib-ops -mlir-print-debuginfo -mlir-print-local-scope | FileCheck %s --check-prefix=LOC

// BiasGelu: Add, then the erf GELU 0.5·s·(1 + erf(s/√2)).
// CHECK-LABEL: func.func @bias_gelu
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK: %[[S:.*]] = "onnx.Add"(%[[X]], %[[B]])
// CHECK: %[[R:.*]] = "onnx.Constant"() <{value = dense<0.707106769> : tensor<f32>}>
// CHECK: %[[SR:.*]] = "onnx.Mul"(%[[S]], %[[R]])
// CHECK: %[[E:.*]] = "onnx.Erf"(%[[SR]])
// CHECK: %[[H:.*]] = "onnx.Constant"() <{value = dense<5.000000e-01> : tensor<f32>}>
// CHECK: %[[SH:.*]] = "onnx.Mul"(%[[S]], %[[H]])
// CHECK: %[[ONE:.*]] = "onnx.Constant"() <{value = dense<1.000000e+00> : tensor<f32>}>
// CHECK: %[[E1:.*]] = "onnx.Add"(%[[E]], %[[ONE]])
// CHECK: %[[Y:.*]] = "onnx.Mul"(%[[SH]], %[[E1]]) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: return %[[Y]]
func.func @bias_gelu(%x: tensor<2x8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %0 = "onnx.BiasGelu"(%x, %b) : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// FastGelu without bias: the tanh GELU.
// CHECK-LABEL: func.func @fast_gelu
// CHECK-NOT: onnx.Add"(%arg0, %
// CHECK: "onnx.Constant"() <{value = dense<4.471500e-02> : tensor<f32>}>
// CHECK: "onnx.Constant"() <{value = dense<0.797884583> : tensor<f32>}>
// CHECK: "onnx.Tanh"
// CHECK-NOT: onnx.FastGelu
func.func @fast_gelu(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %none = onnx.none
  %0 = "onnx.FastGelu"(%x, %none) : (tensor<2x8xf32>, none) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// SkipLayerNormalization: input + skip + bias into LayerNormalization, whose
// InvStdDev is inv_std_var; the sum is input_skip_bias_sum.
// CHECK-LABEL: func.func @skip_layer_norm
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x8xf32>, %[[SK:.*]]: tensor<3x8xf32>, %[[G:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK: %[[NONE:.*]] = onnx.none
// CHECK: %[[S0:.*]] = "onnx.Add"(%[[X]], %[[SK]]) : (tensor<2x3x8xf32>, tensor<3x8xf32>) -> tensor<2x3x8xf32>
// CHECK: %[[S:.*]] = "onnx.Add"(%[[S0]], %[[B]])
// CHECK: %[[Y:.*]], %{{.*}}, %[[INV:.*]] = "onnx.LayerNormalization"(%[[S]], %[[G]], %[[NONE]]) <{axis = -1 : i64, epsilon = 9.99999974E-6 : f32}> : (tensor<2x3x8xf32>, tensor<8xf32>, none) -> (tensor<2x3x8xf32>, tensor<2x3x1xf32>, tensor<2x3x1xf32>)
// CHECK: return %[[Y]], %[[INV]], %[[S]]
func.func @skip_layer_norm(%x: tensor<2x3x8xf32>, %s: tensor<3x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x1xf32>, tensor<2x3x8xf32>) {
  %none = onnx.none
  %0:4 = "onnx.SkipLayerNormalization"(%x, %s, %g, %none, %b) <{epsilon = 1.0e-05 : f32}> : (tensor<2x3x8xf32>, tensor<3x8xf32>, tensor<8xf32>, none, tensor<8xf32>) -> (tensor<2x3x8xf32>, none, tensor<2x3x1xf32>, tensor<2x3x8xf32>)
  return %0#0, %0#2, %0#3 : tensor<2x3x8xf32>, tensor<2x3x1xf32>, tensor<2x3x8xf32>
}

// -----

// SimplifiedLayerNormalization over dims 1.. at opset 17: ReduceMean takes
// its axes as an attribute (an input from opset 18 on).
// CHECK-LABEL: func.func @simplified_opset17
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x8xf32>, %[[G:.*]]: tensor<3x8xf32>)
// CHECK: %[[SQ:.*]] = "onnx.Mul"(%[[X]], %[[X]])
// CHECK: %[[M:.*]] = "onnx.ReduceMean"(%[[SQ]], %{{.*}}) <{axes = array<i64: 1, 2>, keepdims = 1 : i64}> : (tensor<2x3x8xf32>, none) -> tensor<2x1x1xf32>
// CHECK: %[[EPS:.*]] = "onnx.Constant"() <{value = dense<9.99999997E-7> : tensor<f32>}>
// CHECK: %[[V:.*]] = "onnx.Add"(%[[M]], %[[EPS]])
// CHECK: %[[SD:.*]] = "onnx.Sqrt"(%[[V]])
// CHECK: %[[INV:.*]] = "onnx.Reciprocal"(%[[SD]])
// CHECK: %[[N:.*]] = "onnx.Mul"(%[[X]], %[[INV]])
// CHECK: %[[Y:.*]] = "onnx.Mul"(%[[N]], %[[G]])
// CHECK: return %[[Y]], %[[INV]]
module attributes {onnx.opset_import = [["", 17 : i64]]} {
func.func @simplified_opset17(%x: tensor<2x3x8xf32>, %g: tensor<3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x1x1xf32>) {
  %0:2 = "onnx.SimplifiedLayerNormalization"(%x, %g) <{axis = 1 : i64, epsilon = 1.0e-06 : f32}> : (tensor<2x3x8xf32>, tensor<3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x1x1xf32>)
  return %0#0, %0#1 : tensor<2x3x8xf32>, tensor<2x1x1xf32>
}
}

// -----

// SkipSimplifiedLayerNormalization at opset 18: ReduceMean's axes input.
// CHECK-LABEL: func.func @skip_simplified_opset18
// CHECK: %[[S:.*]] = "onnx.Add"
// CHECK: %[[SQ:.*]] = "onnx.Mul"(%[[S]], %[[S]])
// CHECK: %[[AX:.*]] = "onnx.Constant"() <{value = dense<2> : tensor<1xi64>}>
// CHECK: "onnx.ReduceMean"(%[[SQ]], %[[AX]]) <{keepdims = 1 : i64}>
// CHECK: return
module attributes {onnx.opset_import = [["", 18 : i64]]} {
func.func @skip_simplified_opset18(%x: tensor<2x3x8xf32>, %s: tensor<2x3x8xf32>, %g: tensor<8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
  %none = onnx.none
  %0:4 = "onnx.SkipSimplifiedLayerNormalization"(%x, %s, %g, %none) : (tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<8xf32>, none) -> (tensor<2x3x8xf32>, none, none, tensor<2x3x8xf32>)
  return %0#0, %0#3 : tensor<2x3x8xf32>, tensor<2x3x8xf32>
}
}

// -----

// EmbedLayerNormalization without position ids: the first S rows of the
// position table; mask_index counts the ones of each mask row.
// CHECK-LABEL: func.func @embed_layer_norm
// CHECK-SAME: (%[[IDS:.*]]: tensor<?x?xi32>, %[[W:.*]]: tensor<11x8xf32>, %[[P:.*]]: tensor<7x8xf32>, %[[G:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<8xf32>, %[[M:.*]]: tensor<?x?xi32>)
// CHECK: %[[WE:.*]] = "onnx.Gather"(%[[W]], %[[IDS]]) <{axis = 0 : i64}> : (tensor<11x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
// CHECK: %[[SHAPE:.*]] = "onnx.Shape"(%[[IDS]])
// CHECK: %[[SEQ:.*]] = "onnx.Slice"(%[[SHAPE]]
// CHECK: %[[PE:.*]] = "onnx.Slice"(%[[P]], %{{.*}}, %[[SEQ]], %{{.*}}, %{{.*}}) : (tensor<7x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<?x8xf32>
// CHECK: %[[SUM:.*]] = "onnx.Add"(%[[WE]], %[[PE]])
// CHECK: %[[Y:.*]], %{{.*}}, %{{.*}} = "onnx.LayerNormalization"(%[[SUM]], %[[G]], %[[B]]) <{axis = -1 : i64, epsilon = 9.99999996E-13 : f32}>
// CHECK: %[[ONE:.*]] = "onnx.Constant"() <{value = dense<1> : tensor<i32>}>
// CHECK: %[[EQ:.*]] = "onnx.Equal"(%[[M]], %[[ONE]])
// CHECK: %[[C:.*]] = "onnx.Cast"(%[[EQ]]) <{to = 6 : i64}>
// CHECK: %[[MI:.*]] = "onnx.ReduceSum"(%[[C]], %{{.*}}) <{keepdims = 0 : i64}> : (tensor<?x?xi32>, tensor<1xi64>) -> tensor<?xi32>
// CHECK: return %[[Y]], %[[MI]], %[[SUM]]
func.func @embed_layer_norm(%ids: tensor<?x?xi32>, %w: tensor<11x8xf32>, %p: tensor<7x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>, %m: tensor<?x?xi32>) -> (tensor<?x?x8xf32>, tensor<?xi32>, tensor<?x?x8xf32>) {
  %none = onnx.none
  %0:3 = "onnx.EmbedLayerNormalization"(%ids, %none, %w, %p, %none, %g, %b, %m, %none) : (tensor<?x?xi32>, none, tensor<11x8xf32>, tensor<7x8xf32>, none, tensor<8xf32>, tensor<8xf32>, tensor<?x?xi32>, none) -> (tensor<?x?x8xf32>, tensor<?xi32>, tensor<?x?x8xf32>)
  return %0#0, %0#1, %0#2 : tensor<?x?x8xf32>, tensor<?xi32>, tensor<?x?x8xf32>
}

// -----

// Attention with a 1-D mask_index (end positions): the mask becomes a
// [B, 1, 1, S] bias of 0 / mask_filter_value; the projection is one packed
// MatMul + Add + Split named into the block's node scope.
// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x16xf32>, %[[W:.*]]: tensor<16x48xf32>, %[[B:.*]]: tensor<48xf32>, %[[M:.*]]: tensor<?xi32>)
// CHECK: %[[FILTER:.*]] = "onnx.Constant"() <{value = dense<-1.000000e+04> : tensor<f32>}>
// CHECK: %[[ZERO:.*]] = "onnx.Constant"() <{value = dense<0.000000e+00> : tensor<f32>}>
// CHECK: %[[POS:.*]] = "onnx.Range"
// CHECK: %[[ENDS:.*]] = "onnx.Cast"(%[[M]]) <{to = 7 : i64}>
// CHECK: %[[ENDS2:.*]] = "onnx.Unsqueeze"(%[[ENDS]]
// CHECK: %[[KEEP:.*]] = "onnx.Less"(%[[POS]], %[[ENDS2]]) : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
// CHECK: %[[BIAS2:.*]] = "onnx.Where"(%[[KEEP]], %[[ZERO]], %[[FILTER]])
// CHECK: %[[MASK:.*]] = "onnx.Unsqueeze"(%[[BIAS2]], %{{.*}}) : (tensor<?x?xf32>, tensor<2xi64>) -> tensor<?x1x1x?xf32>
// CHECK: %[[QKV0:.*]] = "onnx.MatMul"(%[[X]], %[[W]]) : (tensor<?x?x16xf32>, tensor<16x48xf32>) -> tensor<?x?x48xf32>
// CHECK: %[[QKV:.*]] = "onnx.Add"(%[[QKV0]], %[[B]])
// CHECK: %[[SIZES:.*]] = "onnx.Constant"() <{value = dense<16> : tensor<3xi64>}>
// CHECK: %[[SPLIT:.*]]:3 = "onnx.Split"(%[[QKV]], %[[SIZES]]) <{axis = -1 : i64}>
// CHECK: "onnx.Constant"() <{value = dense<[0, 0, 4, 4]> : tensor<4xi64>}>
// CHECK: %[[Q:.*]] = "onnx.Transpose"(%{{.*}}) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<?x?x4x4xf32>) -> tensor<?x4x?x4xf32>
// CHECK: %[[KT:.*]] = "onnx.Transpose"(%{{.*}}) <{perm = array<i64: 0, 2, 3, 1>}> : (tensor<?x?x4x4xf32>) -> tensor<?x4x4x?xf32>
// CHECK: %[[V:.*]] = "onnx.Transpose"(%{{.*}}) <{perm = array<i64: 0, 2, 1, 3>}>
// CHECK: %[[QK:.*]] = "onnx.MatMul"(%[[Q]], %[[KT]]) : (tensor<?x4x?x4xf32>, tensor<?x4x4x?xf32>) -> tensor<?x4x?x?xf32>
// CHECK: %[[SCALE:.*]] = "onnx.Constant"() <{value = dense<5.000000e-01> : tensor<f32>}>
// CHECK: %[[SC:.*]] = "onnx.Mul"(%[[QK]], %[[SCALE]])
// CHECK: %[[SM:.*]] = "onnx.Add"(%[[SC]], %[[MASK]])
// CHECK: %[[P:.*]] = "onnx.Softmax"(%[[SM]]) <{axis = -1 : i64}>
// CHECK: %[[CTX:.*]] = "onnx.MatMul"(%[[P]], %[[V]])
// CHECK: %[[T:.*]] = "onnx.Transpose"(%[[CTX]]) <{perm = array<i64: 0, 2, 1, 3>}>
// CHECK: "onnx.Constant"() <{value = dense<[0, 0, 16]> : tensor<3xi64>}>
// CHECK: %[[OUT:.*]] = "onnx.Reshape"(%[[T]], %{{.*}}) : (tensor<?x?x4x4xf32>, tensor<3xi64>) -> tensor<?x?x16xf32>
// CHECK: return %[[OUT]]
// LOC-LABEL: func.func @attention
// LOC: "onnx.MatMul"(%arg0, %arg1) {{.*}} loc("/encoder/layer.0/attention/self/qkv/MatMul"(
// LOC: "onnx.Add"({{.*}}, %arg2) {{.*}} loc("/encoder/layer.0/attention/self/qkv/MatMul"(
func.func @attention(%x: tensor<?x?x16xf32>, %w: tensor<16x48xf32>, %b: tensor<48xf32>, %m: tensor<?xi32>) -> tensor<?x?x16xf32> {
  %none = onnx.none
  %0:2 = "onnx.ms.Attention"(%x, %w, %b, %m, %none, %none, %none) <{num_heads = 4 : i64}> {onnx.outputs = ["/encoder/layer.0/attention/self/Reshape_3_output_0"]} : (tensor<?x?x16xf32>, tensor<16x48xf32>, tensor<48xf32>, tensor<?xi32>, none, none, none) -> (tensor<?x?x16xf32>, none)
  return %0#0 : tensor<?x?x16xf32>
}

// -----

// A 2-D key mask: keys whose mask is 0 get mask_filter_value; `scale` given.
// CHECK-LABEL: func.func @attention_2d_mask
// CHECK: %[[FILTER:.*]] = "onnx.Constant"() <{value = dense<-1.000000e+09> : tensor<f32>}>
// CHECK: %[[Z:.*]] = "onnx.Constant"() <{value = dense<0> : tensor<i32>}>
// CHECK: %[[KEEP:.*]] = "onnx.Greater"(%arg2, %[[Z]]) : (tensor<2x5xi32>, tensor<i32>) -> tensor<2x5xi1>
// CHECK: "onnx.Where"(%[[KEEP]], %{{.*}}, %[[FILTER]])
// CHECK: "onnx.Constant"() <{value = dense<2.500000e-01> : tensor<f32>}>
// CHECK-NOT: onnx.ms.Attention
func.func @attention_2d_mask(%x: tensor<2x5x16xf32>, %w: tensor<16x48xf32>, %m: tensor<2x5xi32>) -> tensor<2x5x16xf32> {
  %none = onnx.none
  %0:2 = "onnx.ms.Attention"(%x, %w, %none, %m, %none, %none, %none) <{num_heads = 2 : i64, scale = 0.25 : f32, mask_filter_value = -1.0e+09 : f32}> : (tensor<2x5x16xf32>, tensor<16x48xf32>, none, tensor<2x5xi32>, none, none, none) -> (tensor<2x5x16xf32>, none)
  return %0#0 : tensor<2x5x16xf32>
}

// -----

// unidirectional: query i sees keys j <= i, an [S, S] bias of 0 /
// mask_filter_value from the positions.
// CHECK-LABEL: func.func @attention_causal
// CHECK: %[[FILTER:.*]] = "onnx.Constant"() <{value = dense<-1.000000e+04> : tensor<f32>}>
// CHECK: %[[ZERO:.*]] = "onnx.Constant"() <{value = dense<0.000000e+00> : tensor<f32>}>
// CHECK: %[[POS:.*]] = "onnx.Range"({{.*}}) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<4xi64>
// CHECK: %[[Q:.*]] = "onnx.Unsqueeze"(%[[POS]], %{{.*}}) : (tensor<4xi64>, tensor<1xi64>) -> tensor<4x1xi64>
// CHECK: %[[Q1:.*]] = "onnx.Add"(%[[Q]], %{{.*}}) : (tensor<4x1xi64>, tensor<i64>) -> tensor<4x1xi64>
// CHECK: %[[KEEP:.*]] = "onnx.Less"(%[[POS]], %[[Q1]]) : (tensor<4xi64>, tensor<4x1xi64>) -> tensor<4x4xi1>
// CHECK: %[[CAUSAL:.*]] = "onnx.Where"(%[[KEEP]], %[[ZERO]], %[[FILTER]]) : (tensor<4x4xi1>, tensor<f32>, tensor<f32>) -> tensor<4x4xf32>
// CHECK: %[[SC:.*]] = "onnx.Mul"
// CHECK: %[[S:.*]] = "onnx.Add"(%[[SC]], %[[CAUSAL]]) : (tensor<1x2x4x4xf32>, tensor<4x4xf32>) -> tensor<1x2x4x4xf32>
// CHECK: "onnx.Softmax"(%[[S]])
func.func @attention_causal(%x: tensor<1x4x8xf32>, %w: tensor<8x24xf32>) -> tensor<1x4x8xf32> {
  %none = onnx.none
  %0:2 = "onnx.ms.Attention"(%x, %w, %none, %none, %none, %none, %none) <{num_heads = 2 : i64, unidirectional = 1 : i64}> : (tensor<1x4x8xf32>, tensor<8x24xf32>, none, none, none, none, none) -> (tensor<1x4x8xf32>, none)
  return %0#0 : tensor<1x4x8xf32>
}

// -----

// com.microsoft.RotaryEmbedding, 3-D input, rotating the first half of each
// 8-wide head (rotary_embedding_dim 4) in halves.
// CHECK-LABEL: func.func @rotary
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x16xf32>, %[[P:.*]]: tensor<1x3xi64>, %[[C:.*]]: tensor<8x2xf32>, %[[S:.*]]: tensor<8x2xf32>)
// CHECK: %[[H:.*]] = "onnx.Reshape"(%[[X]], %{{.*}}) : (tensor<1x3x16xf32>, tensor<4xi64>) -> tensor<1x3x2x8xf32>
// CHECK: %[[CR:.*]] = "onnx.Gather"(%[[C]], %[[P]]) <{axis = 0 : i64}> : (tensor<8x2xf32>, tensor<1x3xi64>) -> tensor<1x3x2xf32>
// CHECK: %[[COS:.*]] = "onnx.Unsqueeze"(%[[CR]], %{{.*}}) : (tensor<1x3x2xf32>, tensor<1xi64>) -> tensor<1x3x1x2xf32>
// CHECK: %[[SR:.*]] = "onnx.Gather"(%[[S]], %[[P]])
// CHECK: %[[SIN:.*]] = "onnx.Unsqueeze"(%[[SR]]
// CHECK: %[[X1:.*]] = "onnx.Slice"(%[[H]], {{.*}}) : ({{.*}}) -> tensor<1x3x2x2xf32>
// CHECK: %[[X2:.*]] = "onnx.Slice"(%[[H]], {{.*}}) : ({{.*}}) -> tensor<1x3x2x2xf32>
// CHECK: %[[A:.*]] = "onnx.Mul"(%[[X1]], %[[COS]])
// CHECK: %[[B:.*]] = "onnx.Mul"(%[[X2]], %[[SIN]])
// CHECK: %[[Y1:.*]] = "onnx.Sub"(%[[A]], %[[B]])
// CHECK: %[[Y2:.*]] = "onnx.Add"
// CHECK: %[[R:.*]] = "onnx.Concat"(%[[Y1]], %[[Y2]]) <{axis = -1 : i64}> : (tensor<1x3x2x2xf32>, tensor<1x3x2x2xf32>) -> tensor<1x3x2x4xf32>
// CHECK: %[[REST:.*]] = "onnx.Slice"(%[[H]], {{.*}}) : ({{.*}}) -> tensor<1x3x2x4xf32>
// CHECK: %[[ALL:.*]] = "onnx.Concat"(%[[R]], %[[REST]]) <{axis = -1 : i64}> : (tensor<1x3x2x4xf32>, tensor<1x3x2x4xf32>) -> tensor<1x3x2x8xf32>
// CHECK: %[[OUT:.*]] = "onnx.Reshape"(%[[ALL]], %{{.*}}) : (tensor<1x3x2x8xf32>, tensor<3xi64>) -> tensor<1x3x16xf32>
// CHECK: return %[[OUT]]
func.func @rotary(%x: tensor<1x3x16xf32>, %p: tensor<1x3xi64>, %c: tensor<8x2xf32>, %s: tensor<8x2xf32>) -> tensor<1x3x16xf32> {
  %0 = "onnx.ms.RotaryEmbedding"(%x, %p, %c, %s) <{num_heads = 2 : i64, rotary_embedding_dim = 4 : i64}> : (tensor<1x3x16xf32>, tensor<1x3xi64>, tensor<8x2xf32>, tensor<8x2xf32>) -> tensor<1x3x16xf32>
  return %0 : tensor<1x3x16xf32>
}
