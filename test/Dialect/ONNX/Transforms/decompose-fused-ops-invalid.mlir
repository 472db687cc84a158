// RUN: peft-opt %s -split-input-file --onnx-decompose-fused-ops -verify-diagnostics

func.func @rms_unranked(%x: tensor<*xf32>, %s: tensor<8xf32>) -> tensor<*xf32> {
  // The node name comes from the importer's location.
  // expected-error @unknown {{onnx-decompose-fused-ops: cannot expand node 'rms' (RMSNormalization): X and scale must be ranked}}
  %y = "onnx.RMSNormalization"(%x, %s) : (tensor<*xf32>, tensor<8xf32>) -> tensor<*xf32> loc("rms")
  return %y : tensor<*xf32>
}

// -----

func.func @rope_hidden_not_multiple(%x: tensor<1x3x10xf32>, %c: tensor<1x3x1xf32>, %s: tensor<1x3x1xf32>) -> tensor<1x3x10xf32> {
  %none = onnx.none
  // expected-error @+1 {{the hidden size of a 3-D X must be static and a multiple of num_heads (4), got 'tensor<1x3x10xf32>'}}
  %y = "onnx.RotaryEmbedding"(%x, %c, %s, %none) <{num_heads = 4 : i64}> : (tensor<1x3x10xf32>, tensor<1x3x1xf32>, tensor<1x3x1xf32>, none) -> tensor<1x3x10xf32>
  return %y : tensor<1x3x10xf32>
}

// -----

func.func @rope_dim_too_large(%x: tensor<1x2x3x8xf32>, %c: tensor<1x3x8xf32>, %s: tensor<1x3x8xf32>) -> tensor<1x2x3x8xf32> {
  %none = onnx.none
  // expected-error @+1 {{rotary_embedding_dim 16 must be even and at most the head size 8}}
  %y = "onnx.RotaryEmbedding"(%x, %c, %s, %none) <{rotary_embedding_dim = 16 : i64}> : (tensor<1x2x3x8xf32>, tensor<1x3x8xf32>, tensor<1x3x8xf32>, none) -> tensor<1x2x3x8xf32>
  return %y : tensor<1x2x3x8xf32>
}

// -----

func.func @rope_cache_width(%x: tensor<1x2x3x8xf32>, %c: tensor<16x3xf32>, %s: tensor<16x3xf32>, %p: tensor<1x3xi64>) -> tensor<1x2x3x8xf32> {
  // expected-error @+1 {{the caches have 3 columns, rotary_embedding_dim/2 is 4}}
  %y = "onnx.RotaryEmbedding"(%x, %c, %s, %p) : (tensor<1x2x3x8xf32>, tensor<16x3xf32>, tensor<16x3xf32>, tensor<1x3xi64>) -> tensor<1x2x3x8xf32>
  return %y : tensor<1x2x3x8xf32>
}

// -----

func.func @attention_dynamic_heads(%q: tensor<1x?x3x8xf32>, %k: tensor<1x2x3x8xf32>, %v: tensor<1x2x3x8xf32>) -> tensor<1x?x3x8xf32> {
  %none = onnx.none
  %nonpad = onnx.none
  // expected-error @unknown {{cannot expand node 'attn' (Attention): 4-D Q and K need static head counts and head size}}
  %y, %pk, %pv, %qk = "onnx.Attention"(%q, %k, %v, %none, %none, %none, %nonpad) : (tensor<1x?x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>, none, none, none, none) -> (tensor<1x?x3x8xf32>, none, none, none) loc("attn")
  return %y : tensor<1x?x3x8xf32>
}

// -----

func.func @attention_heads_not_multiple(%q: tensor<1x3x3x8xf32>, %k: tensor<1x2x3x8xf32>, %v: tensor<1x2x3x8xf32>) -> tensor<1x3x3x8xf32> {
  %none = onnx.none
  %nonpad = onnx.none
  // expected-error @+1 {{q_num_heads 3 is not a multiple of kv_num_heads 2}}
  %y, %pk, %pv, %qk = "onnx.Attention"(%q, %k, %v, %none, %none, %none, %nonpad) : (tensor<1x3x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>, none, none, none, none) -> (tensor<1x3x3x8xf32>, none, none, none)
  return %y : tensor<1x3x3x8xf32>
}

// -----

func.func @attention_long_mask(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x3x8xf32>, %v: tensor<1x2x3x8xf32>, %m: tensor<3x4xi1>) -> tensor<1x2x3x8xf32> {
  %none = onnx.none
  %nonpad = onnx.none
  // expected-error @+1 {{attn_mask has 4 columns for 3 keys}}
  %y, %pk, %pv, %qk = "onnx.Attention"(%q, %k, %v, %m, %none, %none, %nonpad) : (tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>, tensor<3x4xi1>, none, none, none) -> (tensor<1x2x3x8xf32>, none, none, none)
  return %y : tensor<1x2x3x8xf32>
}

// -----

func.func @attention_int_mask(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x3x8xf32>, %v: tensor<1x2x3x8xf32>, %m: tensor<3x3xi64>) -> tensor<1x2x3x8xf32> {
  %none = onnx.none
  %nonpad = onnx.none
  // expected-error @+1 {{attn_mask must be boolean or of Q's element type 'f32', got 'tensor<3x3xi64>'}}
  %y, %pk, %pv, %qk = "onnx.Attention"(%q, %k, %v, %m, %none, %none, %nonpad) : (tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>, tensor<3x3xi64>, none, none, none) -> (tensor<1x2x3x8xf32>, none, none, none)
  return %y : tensor<1x2x3x8xf32>
}

// -----

func.func @attention_unranked_past(%q: tensor<1x2x3x8xf32>, %m: tensor<3x5xi1>, %pk: tensor<*xf32>) -> tensor<1x2x3x8xf32> {
  %nonpad = onnx.none
  // expected-error @+1 {{past_key and past_value must be ranked}}
  %y, %pk2, %pv2, %qk = "onnx.Attention"(%q, %q, %q, %m, %pk, %pk, %nonpad) : (tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>, tensor<3x5xi1>, tensor<*xf32>, tensor<*xf32>, none) -> (tensor<1x2x3x8xf32>, none, none, none)
  return %y : tensor<1x2x3x8xf32>
}

// -----

func.func @rope_unranked_positions(%x: tensor<1x2x3x8xf32>, %c: tensor<16x4xf32>, %s: tensor<16x4xf32>, %p: tensor<*xi64>) -> tensor<1x2x3x8xf32> {
  // expected-error @+1 {{X, cos_cache, sin_cache and position_ids must be ranked}}
  %y = "onnx.RotaryEmbedding"(%x, %c, %s, %p) : (tensor<1x2x3x8xf32>, tensor<16x4xf32>, tensor<16x4xf32>, tensor<*xi64>) -> tensor<1x2x3x8xf32>
  return %y : tensor<1x2x3x8xf32>
}
