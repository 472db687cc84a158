// onnxruntime's fused contrib ops (com.microsoft.Attention with a 2-D key
// mask, SkipLayerNormalization, BiasGelu, FastGelu,
// SimplifiedLayerNormalization) go through peft-lower-to-nvvm: the pipeline
// expands them (onnx-decompose-contrib-ops) before convert-onnx-to-linalg,
// and every part becomes kernels of one PTX module. Not run on a device here.
// REQUIRES: nvptx
// RUN: peft-translate --emit-ptx %s -o - | FileCheck %s

// CHECK: .target sm_90
// CHECK: .visible .entry block_kernel(
// CHECK: ex2.approx
// CHECK-NOT: onnx.
func.func @block(%x: tensor<2x5x16xf32>, %w: tensor<16x48xf32>, %b: tensor<48xf32>, %m: tensor<2x5xi32>, %g: tensor<16xf32>) -> tensor<2x5x16xf32> {
  %none = onnx.none
  %0:2 = "onnx.ms.Attention"(%x, %w, %b, %m, %none, %none, %none) <{num_heads = 2 : i64}> : (tensor<2x5x16xf32>, tensor<16x48xf32>, tensor<48xf32>, tensor<2x5xi32>, none, none, none) -> (tensor<2x5x16xf32>, none)
  %1:4 = "onnx.SkipLayerNormalization"(%0#0, %x, %g, %g, %g) : (tensor<2x5x16xf32>, tensor<2x5x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> (tensor<2x5x16xf32>, none, none, none)
  %2 = "onnx.BiasGelu"(%1#0, %g) : (tensor<2x5x16xf32>, tensor<16xf32>) -> tensor<2x5x16xf32>
  %3 = "onnx.FastGelu"(%2, %g) : (tensor<2x5x16xf32>, tensor<16xf32>) -> tensor<2x5x16xf32>
  %4:2 = "onnx.SimplifiedLayerNormalization"(%3, %g) : (tensor<2x5x16xf32>, tensor<16xf32>) -> (tensor<2x5x16xf32>, none)
  return %4#0 : tensor<2x5x16xf32>
}
