// RUN: peft-opt %s -split-input-file --convert-onnx-to-linalg | FileCheck %s

// f16 and bf16 contractions accumulate in f32, as PyTorch and ONNX Runtime
// do: the named op reads the half-precision operands into an f32
// accumulator, and one elementwise generic rounds the result to the element
// type at the end. Nothing is rounded before that.

// CHECK-LABEL: func.func @matmul_f16
// CHECK-SAME: %[[A:.*]]: tensor<?x4096xf16>, %[[B:.*]]: tensor<4096x?xf16>
// CHECK-NOT: arith.truncf
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x?xf32>)
// CHECK: %[[Y:.*]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<?x4096xf16>, tensor<4096x?xf16>) outs(%[[Z]] : tensor<?x?xf32>) -> tensor<?x?xf32>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[Y]] : tensor<?x?xf32>) outs(%{{.*}} : tensor<?x?xf16>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK-NOT: arith.truncf
// CHECK: return %[[R]] : tensor<?x?xf16>
func.func @matmul_f16(%a: tensor<?x4096xf16>, %b: tensor<4096x?xf16>) -> tensor<?x?xf16> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<?x4096xf16>, tensor<4096x?xf16>) -> tensor<?x?xf16>
  return %y : tensor<?x?xf16>
}

// -----

// Rows collapsed into one matmul; the rounding follows the reshape back.
// CHECK-LABEL: func.func @matmul_rows_bf16
// CHECK: %[[Y:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<?x64xbf16>, tensor<64x32xbf16>) outs(%{{.*}} : tensor<?x32xf32>)
// CHECK: %[[S:.*]] = tensor.reshape %[[Y]](%{{.*}}) : (tensor<?x32xf32>, tensor<3xindex>) -> tensor<?x?x32xf32>
// CHECK: linalg.generic {{.*}} ins(%[[S]] : tensor<?x?x32xf32>) outs(%{{.*}} : tensor<?x?x32xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK-NOT: arith.truncf
func.func @matmul_rows_bf16(%a: tensor<?x?x64xbf16>, %b: tensor<64x32xbf16>) -> tensor<?x?x32xbf16> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<?x?x64xbf16>, tensor<64x32xbf16>) -> tensor<?x?x32xbf16>
  return %y : tensor<?x?x32xbf16>
}

// -----

// CHECK-LABEL: func.func @matmul_batched_f16
// CHECK: %[[Y:.*]] = linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<8x8x16xf16>, tensor<8x16x8xf16>) outs(%{{.*}} : tensor<8x8x8xf32>)
// CHECK: %[[E:.*]] = tensor.expand_shape %[[Y]] {{.*}} : tensor<8x8x8xf32> into tensor<2x4x8x8xf32>
// CHECK: linalg.generic {{.*}} ins(%[[E]] : tensor<2x4x8x8xf32>) outs(%{{.*}} : tensor<2x4x8x8xf16>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @matmul_batched_f16(%a: tensor<2x4x8x16xf16>, %b: tensor<2x4x16x8xf16>) -> tensor<2x4x8x8xf16> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<2x4x8x16xf16>, tensor<2x4x16x8xf16>) -> tensor<2x4x8x8xf16>
  return %y : tensor<2x4x8x8xf16>
}

// -----

// 1-D operands: the named ops take an f32 accumulator too.
// CHECK-LABEL: func.func @matmul_vectors_bf16
// CHECK: linalg.vecmat ins(%{{.*}} : tensor<4xbf16>, tensor<4x3xbf16>) outs(%{{.*}} : tensor<3xf32>)
// CHECK: linalg.matvec ins(%{{.*}} : tensor<3x4xbf16>, tensor<4xbf16>) outs(%{{.*}} : tensor<3xf32>)
// CHECK: linalg.dot ins(%{{.*}} : tensor<4xbf16>, tensor<4xbf16>) outs(%{{.*}} : tensor<f32>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @matmul_vectors_bf16(%v: tensor<4xbf16>, %m: tensor<4x3xbf16>, %n: tensor<3x4xbf16>) -> (tensor<3xbf16>, tensor<3xbf16>, tensor<bf16>) {
  %a = "onnx.MatMul"(%v, %m) : (tensor<4xbf16>, tensor<4x3xbf16>) -> tensor<3xbf16>
  %b = "onnx.MatMul"(%n, %v) : (tensor<3x4xbf16>, tensor<4xbf16>) -> tensor<3xbf16>
  %c = "onnx.MatMul"(%v, %v) : (tensor<4xbf16>, tensor<4xbf16>) -> tensor<bf16>
  return %a, %b, %c : tensor<3xbf16>, tensor<3xbf16>, tensor<bf16>
}

// -----

// Broadcast batch dims (one generic): the operands are extended in the body.
// CHECK-LABEL: func.func @matmul_broadcast_f16
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x1x3x4xf16>, tensor<5x4x6xf16>) outs(%{{.*}} : tensor<2x5x3x6xf32>)
// CHECK: ^bb0(%[[X:.*]]: f16, %[[W:.*]]: f16, %[[ACC:.*]]: f32):
// CHECK: %[[XF:.*]] = arith.extf %[[X]] : f16 to f32
// CHECK: %[[WF:.*]] = arith.extf %[[W]] : f16 to f32
// CHECK: %[[P:.*]] = arith.mulf %[[XF]], %[[WF]] : f32
// CHECK: arith.addf %[[ACC]], %[[P]] : f32
// CHECK: linalg.generic {{.*}} ins(%[[Y]] : tensor<2x5x3x6xf32>) outs(%{{.*}} : tensor<2x5x3x6xf16>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @matmul_broadcast_f16(%a: tensor<2x1x3x4xf16>, %b: tensor<5x4x6xf16>) -> tensor<2x5x3x6xf16> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<2x1x3x4xf16>, tensor<5x4x6xf16>) -> tensor<2x5x3x6xf16>
  return %y : tensor<2x5x3x6xf16>
}

// -----

// Gemm(transB) with a bias row: C, extended to f32, is the accumulator.
// CHECK-LABEL: func.func @gemm_bias_bf16
// CHECK-SAME: %[[AV:.*]]: tensor<?x3xbf16>, %[[BV:.*]]: tensor<4x3xbf16>, %[[CV:.*]]: tensor<4xbf16>
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[CV]] : tensor<4xbf16>) outs(%{{.*}} : tensor<?x4xf32>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK-NOT: arith.truncf
// CHECK: %[[Y:.*]] = linalg.matmul indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}] ins(%[[AV]], %[[BV]] : tensor<?x3xbf16>, tensor<4x3xbf16>) outs(%[[INIT]] : tensor<?x4xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[Y]] : tensor<?x4xf32>) outs(%{{.*}} : tensor<?x4xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK-NOT: arith.truncf
func.func @gemm_bias_bf16(%a: tensor<?x3xbf16>, %b: tensor<4x3xbf16>, %c: tensor<4xbf16>) -> tensor<?x4xbf16> {
  %y = "onnx.Gemm"(%a, %b, %c) <{transB = 1 : i64}> : (tensor<?x3xbf16>, tensor<4x3xbf16>, tensor<4xbf16>) -> tensor<?x4xbf16>
  return %y : tensor<?x4xbf16>
}

// -----

// alpha * acc + beta * C in f32, rounded once in the same generic.
// CHECK-LABEL: func.func @gemm_scaled_f16
// CHECK: %[[Y:.*]] = linalg.matmul {{.*}} outs(%{{.*}} : tensor<?x4xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[Y]], %{{.*}} : tensor<?x4xf32>, tensor<1x4xf16>) outs(%{{.*}} : tensor<?x4xf16>)
// CHECK: %[[AL:.*]] = arith.constant 2.000000e+00 : f32
// CHECK: %[[SA:.*]] = arith.mulf %{{.*}}, %[[AL]] : f32
// CHECK: %[[C:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK: %[[BE:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[SC:.*]] = arith.mulf %[[C]], %[[BE]] : f32
// CHECK: %[[S:.*]] = arith.addf %[[SA]], %[[SC]] : f32
// CHECK: arith.truncf %[[S]] : f32 to f16
// CHECK-NOT: arith.truncf
func.func @gemm_scaled_f16(%a: tensor<3x?xf16>, %b: tensor<3x4xf16>, %c: tensor<1x4xf16>) -> tensor<?x4xf16> {
  %y = "onnx.Gemm"(%a, %b, %c) <{transA = 1 : i64, alpha = 2.0 : f32, beta = 0.5 : f32}> : (tensor<3x?xf16>, tensor<3x4xf16>, tensor<1x4xf16>) -> tensor<?x4xf16>
  return %y : tensor<?x4xf16>
}

// -----

// CHECK-LABEL: func.func @einsum_bf16
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x8x?x64xbf16>, tensor<?x8x?x64xbf16>) outs(%{{.*}} : tensor<?x8x?x?xf32>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: linalg.generic {{.*}} ins(%[[Y]] : tensor<?x8x?x?xf32>) outs(%{{.*}} : tensor<?x8x?x?xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @einsum_bf16(%q: tensor<?x8x?x64xbf16>, %k: tensor<?x8x?x64xbf16>) -> tensor<?x8x?x?xbf16> {
  %s = "onnx.Einsum"(%q, %k) <{equation = "bhid,bhjd->bhij"}> : (tensor<?x8x?x64xbf16>, tensor<?x8x?x64xbf16>) -> tensor<?x8x?x?xbf16>
  return %s : tensor<?x8x?x?xbf16>
}

// -----

// MatMulNBits with f16 activations: the dequantized weight is f16, the
// product and the bias are summed in f32 and rounded in the bias generic.
// CHECK-LABEL: func.func @matmul_nbits_f16
// CHECK: %[[Y:.*]] = linalg.matmul {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x64xf16>, tensor<4x64xf16>) outs(%{{.*}} : tensor<?x4xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[Y]], %{{.*}} : tensor<?x4xf32>, tensor<4xf16>) outs(%{{.*}} : tensor<?x4xf16>)
// CHECK: %[[BIAS:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK: %[[S:.*]] = arith.addf %{{.*}}, %[[BIAS]] : f32
// CHECK: arith.truncf %[[S]] : f32 to f16
// CHECK-NOT: arith.truncf
func.func @matmul_nbits_f16(%a: tensor<?x64xf16>, %b: tensor<4x2x16xui8>, %s: tensor<8xf16>, %bias: tensor<4xf16>) -> tensor<?x4xf16> {
  %none = onnx.none
  %y = "onnx.MatMulNBits"(%a, %b, %s, %none, %none, %bias) <{K = 64 : i64, N = 4 : i64, bits = 4 : i64, block_size = 32 : i64}> : (tensor<?x64xf16>, tensor<4x2x16xui8>, tensor<8xf16>, none, none, tensor<4xf16>) -> tensor<?x4xf16>
  return %y : tensor<?x4xf16>
}

// -----

// Reductions and normalizations accumulate in f32 as well.
// CHECK-LABEL: func.func @reduce_mean_f16
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<?x64xf16>) outs(%{{.*}} : tensor<?xf32>)
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK-NOT: arith.truncf
func.func @reduce_mean_f16(%a: tensor<?x64xf16>) -> tensor<?x1xf16> {
  %none = onnx.none
  %y = "onnx.ReduceMean"(%a, %none) <{axes = array<i64: -1>}> : (tensor<?x64xf16>, none) -> tensor<?x1xf16>
  return %y : tensor<?x1xf16>
}

// -----

// CHECK-LABEL: func.func @softmax_bf16
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<?x64xbf16>) outs(%{{.*}} : tensor<?xf32>)
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK: math.exp %{{.*}} : f32
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<?x64xf32>) outs(%{{.*}} : tensor<?xf32>)
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK-NOT: arith.truncf
func.func @softmax_bf16(%a: tensor<?x64xbf16>) -> tensor<?x64xbf16> {
  %y = "onnx.Softmax"(%a) <{axis = -1 : i64}> : (tensor<?x64xbf16>) -> tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}

// -----

// f32 is unchanged: its accumulator is the result, with no conversion.
// CHECK-LABEL: func.func @matmul_f32
// CHECK: %[[Y:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<64x?xf32>) outs(%{{.*}} : tensor<?x?xf32>)
// CHECK-NEXT: return %[[Y]]
func.func @matmul_f32(%a: tensor<?x64xf32>, %b: tensor<64x?xf32>) -> tensor<?x?xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<?x64xf32>, tensor<64x?xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// Composite and approximated float math in f16/bf16 is evaluated in f32 and
// rounded once (erf in f16 arithmetic was off by up to 3 ulps); a single
// correctly rounded op (Add) stays in f16, where it rounds the same.
// CHECK-LABEL: func.func @math_f16
// CHECK:      ^bb0(%[[X:.*]]: f16, %{{.*}}: f16):
// CHECK-NEXT:   %[[XW:.*]] = arith.extf %[[X]] : f16 to f32
// CHECK-NEXT:   %[[E:.*]] = math.erf %[[XW]] : f32
// CHECK-NEXT:   %[[R:.*]] = arith.truncf %[[E]] : f32 to f16
// CHECK-NEXT:   linalg.yield %[[R]] : f16
// CHECK:      ^bb0(%[[Y:.*]]: bf16, %{{.*}}: bf16):
// CHECK-NEXT:   %[[YW:.*]] = arith.extf %[[Y]] : bf16 to f32
// CHECK:        math.exp %{{.*}} : f32
// CHECK:        %[[Q:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
// CHECK-NEXT:   %[[S:.*]] = arith.truncf %[[Q]] : f32 to bf16
// CHECK-NEXT:   linalg.yield %[[S]] : bf16
// CHECK:      ^bb0(%[[A:.*]]: f16, %[[B:.*]]: f16, %{{.*}}: f16):
// CHECK-NEXT:   %[[SUM:.*]] = arith.addf %[[A]], %[[B]] : f16
// CHECK-NEXT:   linalg.yield %[[SUM]] : f16
func.func @math_f16(%x: tensor<?x8xf16>, %y: tensor<?x8xbf16>) -> (tensor<?x8xf16>, tensor<?x8xbf16>, tensor<?x8xf16>) {
  %e = "onnx.Erf"(%x) : (tensor<?x8xf16>) -> tensor<?x8xf16>
  %s = "onnx.Sigmoid"(%y) : (tensor<?x8xbf16>) -> tensor<?x8xbf16>
  %a = "onnx.Add"(%x, %x) : (tensor<?x8xf16>, tensor<?x8xf16>) -> tensor<?x8xf16>
  return %e, %s, %a : tensor<?x8xf16>, tensor<?x8xbf16>, tensor<?x8xf16>
}

// -----

// LayerNormalization in f16: statistics, scale and bias in f32 (the stash
// type), one rounding.
// CHECK-LABEL: func.func @layer_norm_f16
// CHECK:      linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x64xf16>, tensor<?xf32>, tensor<?xf32>, tensor<64xf16>, tensor<64xf16>) outs(%{{.*}} : tensor<?x64xf16>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f16, %[[M:.*]]: f32, %[[I:.*]]: f32, %[[S:.*]]: f16, %[[B:.*]]: f16, %{{.*}}: f16):
// CHECK-NEXT:   %[[XW:.*]] = arith.extf %[[X]] : f16 to f32
// CHECK-NEXT:   %[[D:.*]] = arith.subf %[[XW]], %[[M]] : f32
// CHECK-NEXT:   %[[N:.*]] = arith.mulf %[[D]], %[[I]] : f32
// CHECK-NEXT:   %[[SW:.*]] = arith.extf %[[S]] : f16 to f32
// CHECK-NEXT:   %[[NS:.*]] = arith.mulf %[[N]], %[[SW]] : f32
// CHECK-NEXT:   %[[BW:.*]] = arith.extf %[[B]] : f16 to f32
// CHECK-NEXT:   %[[Y:.*]] = arith.addf %[[NS]], %[[BW]] : f32
// CHECK-NEXT:   %[[R:.*]] = arith.truncf %[[Y]] : f32 to f16
// CHECK-NEXT:   linalg.yield %[[R]] : f16
func.func @layer_norm_f16(%x: tensor<?x64xf16>, %s: tensor<64xf16>, %b: tensor<64xf16>) -> tensor<?x64xf16> {
  %y, %m, %v = "onnx.LayerNormalization"(%x, %s, %b) <{axis = -1 : i64}> : (tensor<?x64xf16>, tensor<64xf16>, tensor<64xf16>) -> (tensor<?x64xf16>, none, none)
  return %y : tensor<?x64xf16>
}
