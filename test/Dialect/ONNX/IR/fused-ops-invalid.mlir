// RUN: peft-opt %s -split-input-file -verify-diagnostics

// Verifiers of the opset-23 fused ops (RMSNormalization, RotaryEmbedding,
// Attention).

func.func @rms_axis(%x: tensor<2x8xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{'onnx.RMSNormalization' op attribute 'axis' = 2 is out of range [-2, 2) for rank 2}}
  %y = "onnx.RMSNormalization"(%x, %s) <{axis = 2 : i64}> : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @rms_stash(%x: tensor<2x8xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{'onnx.RMSNormalization' op attribute 'stash_type' = 7 is not a float data type (1, 10, 11 or 16)}}
  %y = "onnx.RMSNormalization"(%x, %s) <{stash_type = 7 : i64}> : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @rope_3d_without_heads(%x: tensor<1x3x8xf32>, %c: tensor<1x3x4xf32>, %s: tensor<1x3x4xf32>) {
  %none = onnx.none
  // expected-error @+1 {{'onnx.RotaryEmbedding' op a 3-D input X needs the 'num_heads' attribute}}
  %y = "onnx.RotaryEmbedding"(%x, %c, %s, %none) : (tensor<1x3x8xf32>, tensor<1x3x4xf32>, tensor<1x3x4xf32>, none) -> tensor<1x3x8xf32>
  return
}

// -----

func.func @rope_odd_dim(%x: tensor<1x2x3x8xf32>, %c: tensor<1x3x4xf32>, %s: tensor<1x3x4xf32>) {
  %none = onnx.none
  // expected-error @+1 {{'onnx.RotaryEmbedding' op attribute 'rotary_embedding_dim' must be even and >= 0, got 3}}
  %y = "onnx.RotaryEmbedding"(%x, %c, %s, %none) <{rotary_embedding_dim = 3 : i64}> : (tensor<1x2x3x8xf32>, tensor<1x3x4xf32>, tensor<1x3x4xf32>, none) -> tensor<1x2x3x8xf32>
  return
}

// -----

func.func @rope_cache_rank(%x: tensor<1x2x3x8xf32>, %c: tensor<16x4xf32>, %s: tensor<16x4xf32>) {
  %none = onnx.none
  // expected-error @+1 {{'onnx.RotaryEmbedding' op cos_cache and sin_cache must have rank 3 without position_ids, got 'tensor<16x4xf32>'}}
  %y = "onnx.RotaryEmbedding"(%x, %c, %s, %none) : (tensor<1x2x3x8xf32>, tensor<16x4xf32>, tensor<16x4xf32>, none) -> tensor<1x2x3x8xf32>
  return
}

// -----

func.func @attention_3d_without_heads(%q: tensor<1x3x8xf32>) {
  %none = onnx.none
  %nonpad = onnx.none
  // expected-error @+1 {{'onnx.Attention' op 3-D Q, K and V need the 'q_num_heads' and 'kv_num_heads' attributes}}
  %y, %pk, %pv, %qk = "onnx.Attention"(%q, %q, %q, %none, %none, %none, %nonpad) : (tensor<1x3x8xf32>, tensor<1x3x8xf32>, tensor<1x3x8xf32>, none, none, none, none) -> (tensor<1x3x8xf32>, none, none, none)
  return
}

// -----

func.func @attention_mode(%q: tensor<1x1x3x8xf32>) {
  %none = onnx.none
  %nonpad = onnx.none
  // expected-error @+1 {{'onnx.Attention' op attribute 'qk_matmul_output_mode' must be 0, 1, 2 or 3, got 4}}
  %y, %pk, %pv, %qk = "onnx.Attention"(%q, %q, %q, %none, %none, %none, %nonpad) <{qk_matmul_output_mode = 4 : i64}> : (tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, none, none, none, none) -> (tensor<1x1x3x8xf32>, none, none, none)
  return
}

// -----

func.func @attention_past_key_alone(%q: tensor<1x1x3x8xf32>, %pk: tensor<1x1x2x8xf32>) {
  %none = onnx.none
  %nonpad = onnx.none
  // expected-error @+1 {{'onnx.Attention' op past_key and past_value must be given together}}
  %y, %pk2, %pv, %qk = "onnx.Attention"(%q, %q, %q, %none, %pk, %none, %nonpad) : (tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, none, tensor<1x1x2x8xf32>, none, none) -> (tensor<1x1x3x8xf32>, none, none, none)
  return
}

// -----

func.func @attention_ranks(%q: tensor<1x1x3x8xf32>, %k: tensor<1x3x8xf32>) {
  %none = onnx.none
  %nonpad = onnx.none
  // expected-error @+1 {{'onnx.Attention' op Q, K and V must have the same rank}}
  %y, %pk, %pv, %qk = "onnx.Attention"(%q, %k, %k, %none, %none, %none, %nonpad) : (tensor<1x1x3x8xf32>, tensor<1x3x8xf32>, tensor<1x3x8xf32>, none, none, none, none) -> (tensor<1x1x3x8xf32>, none, none, none)
  return
}

// -----

func.func @attention_window(%q: tensor<1x1x3x8xf32>) {
  %none = onnx.none
  %nonpad = onnx.none
  // expected-error @+1 {{'onnx.Attention' op window sizes must be -1 (unbounded) or >= 0}}
  %y, %pk, %pv, %qk = "onnx.Attention"(%q, %q, %q, %none, %none, %none, %nonpad) <{left_window_size = -2 : i64}> : (tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, none, none, none, none) -> (tensor<1x1x3x8xf32>, none, none, none)
  return
}

// -----

func.func @attention_nonpad_with_past(%q: tensor<1x1x3x8xf32>, %pk: tensor<1x1x2x8xf32>, %n: tensor<1xi64>) {
  %none = onnx.none
  // expected-error @+1 {{'onnx.Attention' op nonpad_kv_seqlen (an external cache) and past_key exclude each other}}
  %y, %pk2, %pv, %qk = "onnx.Attention"(%q, %q, %q, %none, %pk, %pk, %n) : (tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, none, tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>, tensor<1xi64>) -> (tensor<1x1x3x8xf32>, none, none, none)
  return
}
