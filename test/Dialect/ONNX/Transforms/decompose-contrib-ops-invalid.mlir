// RUN: peft-opt %s -split-input-file --onnx-decompose-contrib-ops -verify-diagnostics

func.func @attention_past(%x: tensor<1x4x8xf32>, %w: tensor<8x24xf32>, %past: tensor<2x1x2x3x4xf32>) -> tensor<1x4x8xf32> {
  %none = onnx.none
  // expected-error@+1 {{'onnx.ms.Attention' op with a key/value cache (past/present) is not supported by onnx-decompose-contrib-ops}}
  %0:2 = "onnx.ms.Attention"(%x, %w, %none, %none, %past, %none, %none) <{num_heads = 2 : i64}> : (tensor<1x4x8xf32>, tensor<8x24xf32>, none, none, tensor<2x1x2x3x4xf32>, none, none) -> (tensor<1x4x8xf32>, tensor<2x1x2x7x4xf32>)
  return %0#0 : tensor<1x4x8xf32>
}

// -----

func.func @attention_3d_mask(%x: tensor<1x4x8xf32>, %w: tensor<8x24xf32>, %m: tensor<1x4x4xi32>) -> tensor<1x4x8xf32> {
  %none = onnx.none
  // expected-error@+1 {{'onnx.ms.Attention' op with a 'mask_index' of rank 3 is not supported by onnx-decompose-contrib-ops}}
  %0:2 = "onnx.ms.Attention"(%x, %w, %none, %m, %none, %none, %none) <{num_heads = 2 : i64}> : (tensor<1x4x8xf32>, tensor<8x24xf32>, none, tensor<1x4x4xi32>, none, none, none) -> (tensor<1x4x8xf32>, none)
  return %0#0 : tensor<1x4x8xf32>
}

// -----

func.func @attention_start_end_mask(%x: tensor<2x4x8xf32>, %w: tensor<8x24xf32>, %m: tensor<4xi32>) -> tensor<2x4x8xf32> {
  %none = onnx.none
  // expected-error@+1 {{'onnx.ms.Attention' op with a 1-D 'mask_index' of start and end positions ([2·batch]) is not supported by onnx-decompose-contrib-ops}}
  %0:2 = "onnx.ms.Attention"(%x, %w, %none, %m, %none, %none, %none) <{num_heads = 2 : i64}> : (tensor<2x4x8xf32>, tensor<8x24xf32>, none, tensor<4xi32>, none, none, none) -> (tensor<2x4x8xf32>, none)
  return %0#0 : tensor<2x4x8xf32>
}

// -----

func.func @skip_simplified_mean_used(%x: tensor<2x8xf32>, %s: tensor<2x8xf32>, %g: tensor<8xf32>) -> tensor<2x1xf32> {
  %none = onnx.none
  // expected-error@+1 {{'onnx.SkipSimplifiedLayerNormalization' op result #1 is used but onnx-decompose-contrib-ops does not compute it}}
  %0:4 = "onnx.SkipSimplifiedLayerNormalization"(%x, %s, %g, %none) : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<8xf32>, none) -> (tensor<2x8xf32>, tensor<2x1xf32>, none, none)
  return %0#1 : tensor<2x1xf32>
}

// -----

func.func @bias_gelu_f16(%x: tensor<2x8xf16>, %b: tensor<8xf16>) -> tensor<2x8xf16> {
  // expected-error@+1 {{'onnx.BiasGelu' op 'A' has element type 'f16'; onnx-decompose-contrib-ops expands f32 only}}
  %0 = "onnx.BiasGelu"(%x, %b) : (tensor<2x8xf16>, tensor<8xf16>) -> tensor<2x8xf16>
  return %0 : tensor<2x8xf16>
}

// -----

module attributes {onnx.opset_import = [["", 12 : i64]]} {
func.func @old_opset(%x: tensor<2x8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  // expected-error@+1 {{'onnx.BiasGelu' op is expanded into ai.onnx opset-13 forms; the model imports opset 12}}
  %0 = "onnx.BiasGelu"(%x, %b) : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}
}

// -----

func.func @gather_block_quantized(%d: tensor<10x32xui8>, %i: tensor<3xi64>, %s: tensor<10x2xf32>) -> tensor<3x64xf32> {
  %none = onnx.none
  // expected-error@+1 {{'onnx.GatherBlockQuantized' op has no expansion into standard onnx ops yet (onnx-decompose-contrib-ops)}}
  %0 = "onnx.GatherBlockQuantized"(%d, %i, %s, %none) <{block_size = 32 : i64}> : (tensor<10x32xui8>, tensor<3xi64>, tensor<10x2xf32>, none) -> tensor<3x64xf32>
  return %0 : tensor<3x64xf32>
}

// -----

func.func @rotary_start_position(%x: tensor<1x3x16xf32>, %p: tensor<1xi64>, %c: tensor<8x4xf32>) -> tensor<1x3x16xf32> {
  // expected-error@+1 {{'onnx.ms.RotaryEmbedding' op with 'position_ids' other than [batch, sequence] is not supported by onnx-decompose-contrib-ops}}
  %0 = "onnx.ms.RotaryEmbedding"(%x, %p, %c, %c) <{num_heads = 2 : i64}> : (tensor<1x3x16xf32>, tensor<1xi64>, tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<1x3x16xf32>
  return %0 : tensor<1x3x16xf32>
}

// -----

func.func @rotary_no_heads(%x: tensor<1x3x16xf32>, %p: tensor<1x3xi64>, %c: tensor<8x4xf32>) -> tensor<1x3x16xf32> {
  // expected-error@+1 {{'onnx.ms.RotaryEmbedding' op with a 3-D input without a 'num_heads' dividing its hidden size is not supported by onnx-decompose-contrib-ops}}
  %0 = "onnx.ms.RotaryEmbedding"(%x, %p, %c, %c) : (tensor<1x3x16xf32>, tensor<1x3xi64>, tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<1x3x16xf32>
  return %0 : tensor<1x3x16xf32>
}
