// RUN: peft-opt %s -split-input-file -verify-diagnostics

func.func @attention_no_heads(%x: tensor<1x4x8xf32>, %w: tensor<8x24xf32>) {
  %none = onnx.none
  // expected-error@+1 {{'onnx.ms.Attention' op requires a positive 'num_heads'}}
  %0:2 = "onnx.ms.Attention"(%x, %w, %none, %none, %none, %none, %none) : (tensor<1x4x8xf32>, tensor<8x24xf32>, none, none, none, none, none) -> (tensor<1x4x8xf32>, none)
  return
}

// -----

func.func @attention_rows(%x: tensor<1x4x8xf32>, %w: tensor<6x24xf32>) {
  %none = onnx.none
  // expected-error@+1 {{'onnx.ms.Attention' op 'weights' has 6 rows; expected 8 (the hidden size of 'input')}}
  %0:2 = "onnx.ms.Attention"(%x, %w, %none, %none, %none, %none, %none) <{num_heads = 2 : i64}> : (tensor<1x4x8xf32>, tensor<6x24xf32>, none, none, none, none, none) -> (tensor<1x4x8xf32>, none)
  return
}

// -----

func.func @attention_heads_divide(%x: tensor<1x4x8xf32>, %w: tensor<8x24xf32>) {
  %none = onnx.none
  // expected-error@+1 {{'onnx.ms.Attention' op q, k, v widths [8, 8, 8] must be positive multiples of num_heads = 3}}
  %0:2 = "onnx.ms.Attention"(%x, %w, %none, %none, %none, %none, %none) <{num_heads = 3 : i64}> : (tensor<1x4x8xf32>, tensor<8x24xf32>, none, none, none, none, none) -> (tensor<1x4x8xf32>, none)
  return
}

// -----

func.func @attention_mask_type(%x: tensor<1x4x8xf32>, %w: tensor<8x24xf32>, %m: tensor<1xi64>) {
  %none = onnx.none
  // expected-error@+1 {{'onnx.ms.Attention' op 'mask_index' has element type 'i64'; expected an integer type of 32 bits}}
  %0:2 = "onnx.ms.Attention"(%x, %w, %none, %m, %none, %none, %none) <{num_heads = 2 : i64}> : (tensor<1x4x8xf32>, tensor<8x24xf32>, none, tensor<1xi64>, none, none, none) -> (tensor<1x4x8xf32>, none)
  return
}

// -----

func.func @skip_gamma(%x: tensor<2x3x8xf32>, %g: tensor<4xf32>) {
  %none = onnx.none
  // expected-error@+1 {{'onnx.SkipLayerNormalization' op 'gamma' has 4 elements; expected 8 (the last dimension of the input)}}
  %0:4 = "onnx.SkipLayerNormalization"(%x, %x, %g, %none, %none) : (tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<4xf32>, none, none) -> (tensor<2x3x8xf32>, none, none, none)
  return
}

// -----

func.func @skip_broadcast(%x: tensor<2x3x8xf32>, %s: tensor<2x8xf32>, %g: tensor<8xf32>) {
  %none = onnx.none
  // expected-error@+1 {{'onnx.SkipSimplifiedLayerNormalization' op 'skip' of type 'tensor<2x8xf32>' does not broadcast to 'input' of type 'tensor<2x3x8xf32>'}}
  %0:4 = "onnx.SkipSimplifiedLayerNormalization"(%x, %s, %g, %none) : (tensor<2x3x8xf32>, tensor<2x8xf32>, tensor<8xf32>, none) -> (tensor<2x3x8xf32>, none, none, none)
  return
}

// -----

func.func @embed_ids_type(%ids: tensor<2x5xi64>, %w: tensor<11x8xf32>, %g: tensor<8xf32>) {
  %none = onnx.none
  // expected-error@+1 {{'onnx.EmbedLayerNormalization' op 'input_ids' has element type 'i64'; expected an integer type of 32 bits}}
  %0:3 = "onnx.EmbedLayerNormalization"(%ids, %none, %w, %w, %none, %g, %g, %none, %none) : (tensor<2x5xi64>, none, tensor<11x8xf32>, tensor<11x8xf32>, none, tensor<8xf32>, tensor<8xf32>, none, none) -> (tensor<2x5x8xf32>, none, none)
  return
}

// -----

func.func @embed_segment_pair(%ids: tensor<2x5xi32>, %w: tensor<11x8xf32>, %g: tensor<8xf32>) {
  %none = onnx.none
  // expected-error@+1 {{'onnx.EmbedLayerNormalization' op 'segment_ids' and 'segment_embedding' must be given together}}
  %0:3 = "onnx.EmbedLayerNormalization"(%ids, %ids, %w, %w, %none, %g, %g, %none, %none) : (tensor<2x5xi32>, tensor<2x5xi32>, tensor<11x8xf32>, tensor<11x8xf32>, none, tensor<8xf32>, tensor<8xf32>, none, none) -> (tensor<2x5x8xf32>, none, none)
  return
}

// -----

func.func @bias_gelu_bias(%x: tensor<2x8xf32>, %b: tensor<2x8xf32>) {
  // expected-error@+1 {{'onnx.BiasGelu' op 'B' has rank 2; expected 1}}
  %0 = "onnx.BiasGelu"(%x, %b) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @gather_block_bits(%d: tensor<10x32xui8>, %i: tensor<3xi64>, %s: tensor<10x2xf32>) {
  %none = onnx.none
  // expected-error@+1 {{'onnx.GatherBlockQuantized' op 'bits' = 2; expected 4 or 8}}
  %0 = "onnx.GatherBlockQuantized"(%d, %i, %s, %none) <{bits = 2 : i64}> : (tensor<10x32xui8>, tensor<3xi64>, tensor<10x2xf32>, none) -> tensor<3x64xf32>
  return
}

// -----

func.func @rotary_rank(%x: tensor<4x8xf32>, %p: tensor<1x4xi64>, %c: tensor<16x4xf32>) {
  // expected-error@+1 {{'onnx.ms.RotaryEmbedding' op 'input' has rank 2; expected 3 to 4}}
  %0 = "onnx.ms.RotaryEmbedding"(%x, %p, %c, %c) : (tensor<4x8xf32>, tensor<1x4xi64>, tensor<16x4xf32>, tensor<16x4xf32>) -> tensor<4x8xf32>
  return
}
