// RUN: peft-opt %s -split-input-file --convert-peft-to-linalg | FileCheck %s

// f16/bf16 layers accumulate in f32, as PyTorch and ONNX Runtime do: every
// matmul has an f32 accumulator, what is computed from it (bias, LoRA update,
// DoRA norms and scale) stays in f32, and each op's result is rounded to its
// element type once.

// peft.linear: the bias is added to the f32 accumulator, then rounded.
// CHECK-LABEL: func.func @linear_f16
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x16xf16>, %[[W:.*]]: tensor<32x16xf16>, %[[B:.*]]: tensor<32xf16>)
// CHECK-NOT:  arith.truncf
// CHECK:      %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x32xf32>)
// CHECK:      %[[MM:.*]] = linalg.matmul indexing_maps = {{.*}} ins(%{{.*}}, %[[W]] : tensor<?x16xf16>, tensor<32x16xf16>) outs(%[[Z]] : tensor<?x32xf32>) -> tensor<?x32xf32>
// CHECK:      linalg.generic {{.*}} ins(%[[MM]], %[[B]] : tensor<?x32xf32>, tensor<32xf16>) outs(%{{.*}} : tensor<?x32xf16>)
// CHECK-NEXT: ^bb0(%[[ACC:.*]]: f32, %[[BIAS:.*]]: f16, %{{.*}}: f16):
// CHECK-NEXT:   %[[BW:.*]] = arith.extf %[[BIAS]] : f16 to f32
// CHECK-NEXT:   %[[SUM:.*]] = arith.addf %[[ACC]], %[[BW]] : f32
// CHECK-NEXT:   %[[R:.*]] = arith.truncf %[[SUM]] : f32 to f16
// CHECK-NEXT:   linalg.yield %[[R]] : f16
// CHECK-NOT:  arith.truncf
// CHECK:      return
func.func @linear_f16(%x: tensor<?x?x16xf16>, %w: tensor<32x16xf16>, %b: tensor<32xf16>) -> tensor<?x?x32xf16> {
  %y = peft.linear %x, %w, %b layout out_in role up
         : tensor<?x?x16xf16>, tensor<32x16xf16>, tensor<32xf16> -> tensor<?x?x32xf16>
  return %y : tensor<?x?x32xf16>
}

// -----

// Unmerged LoRA: the layer is rounded once (no bias: its own generic);
// t = x·Aᵀ is rounded to bf16 (as PyTorch's lora_A output is, and so that
// both operands of u = t·Bᵀ are bf16), u stays in f32, and base + s·u is
// summed in f32 and rounded once.
// CHECK-LABEL: func.func @lora_bf16
// CHECK:      %[[MM:.*]] = linalg.matmul {{.*}} outs(%{{.*}} : tensor<4x96xf32>)
// CHECK:      %[[BASE:.*]] = linalg.generic {{.*}} ins(%[[MM]] : tensor<4x96xf32>) outs(%{{.*}} : tensor<4x96xbf16>)
// CHECK:        arith.truncf %{{.*}} : f32 to bf16
// CHECK-NOT:  arith.truncf
// CHECK:      %[[T:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x64xbf16>, tensor<64x8xbf16>) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK:      %[[TR:.*]] = linalg.generic {{.*}} ins(%[[T]] : tensor<4x8xf32>) outs(%{{.*}} : tensor<4x8xbf16>)
// CHECK:        arith.truncf %{{.*}} : f32 to bf16
// CHECK-NOT:  arith.truncf
// CHECK:      %[[U:.*]] = linalg.matmul ins(%[[TR]], %{{.*}} : tensor<4x8xbf16>, tensor<8x96xbf16>) outs(%{{.*}} : tensor<4x96xf32>)
// CHECK:      %[[S:.*]] = arith.constant 2.500000e-01 : f32
// CHECK:      linalg.generic {{.*}} ins(%[[BASE]], %[[U]] : tensor<4x96xbf16>, tensor<4x96xf32>) outs(%{{.*}} : tensor<4x96xbf16>)
// CHECK-NEXT: ^bb0(%[[P:.*]]: bf16, %[[Q:.*]]: f32, %{{.*}}: bf16):
// CHECK-NEXT:   %[[SU:.*]] = arith.mulf %[[S]], %[[Q]] : f32
// CHECK-NEXT:   %[[PW:.*]] = arith.extf %[[P]] : bf16 to f32
// CHECK-NEXT:   %[[SUM:.*]] = arith.addf %[[PW]], %[[SU]] : f32
// CHECK-NEXT:   %[[R:.*]] = arith.truncf %[[SUM]] : f32 to bf16
// CHECK-NEXT:   linalg.yield %[[R]] : bf16
// CHECK-NOT:  arith.truncf
// CHECK:      return
func.func @lora_bf16(%x: tensor<4x64xbf16>, %w: tensor<96x64xbf16>, %a: tensor<8x64xbf16>,
                     %b: tensor<96x8xbf16>) -> tensor<4x96xbf16> {
  %y = peft.linear %x, %w layout out_in role q
         : tensor<4x64xbf16>, tensor<96x64xbf16> -> tensor<4x96xbf16>
  %z = peft.lora %x, %y, %a, %b scale 0.25 adapter "default"
         : tensor<4x64xbf16>, tensor<4x96xbf16>, tensor<8x64xbf16>, tensor<96x8xbf16>
  return %z : tensor<4x96xbf16>
}

// -----

// Unmerged DoRA: B·A, the row norms ‖W0 + s·B·A‖ (W0 extended), the scale
// m/‖·‖ and the rescaled output are all f32; only the result is rounded.
// CHECK-LABEL: func.func @dora_f16
// CHECK-SAME: %[[W:[^:]*]]: tensor<32x16xf16>, %[[BIAS:[^:]*]]: tensor<32xf16>, %[[A:[^:]*]]: tensor<2x16xf16>, %[[B:[^:]*]]: tensor<32x2xf16>, %[[M:[^:]*]]: tensor<32xf16>)
// CHECK:      %[[BA:.*]] = linalg.matmul ins(%[[B]], %[[A]] : tensor<32x2xf16>, tensor<2x16xf16>) outs(%{{.*}} : tensor<32x16xf32>)
// CHECK-NOT:  arith.truncf
// CHECK:      %[[SUMSQ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[W]], %[[BA]] : tensor<32x16xf16>, tensor<32x16xf32>) outs(%{{.*}} : tensor<32xf32>)
// CHECK-NEXT: ^bb0(%[[W0:.*]]: f16, %[[D:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:   %[[W0W:.*]] = arith.extf %[[W0]] : f16 to f32
// CHECK-NEXT:   %[[SD:.*]] = arith.mulf %{{.*}}, %[[D]] : f32
// CHECK-NEXT:   %[[WS:.*]] = arith.addf %[[W0W]], %[[SD]] : f32
// CHECK-NEXT:   %[[SQ:.*]] = arith.mulf %[[WS]], %[[WS]] : f32
// CHECK-NEXT:   arith.addf %[[ACC]], %[[SQ]] : f32
// CHECK:      %[[G:.*]] = linalg.generic {{.*}} ins(%[[M]], %[[SUMSQ]] : tensor<32xf16>, tensor<32xf32>) outs(%{{.*}} : tensor<32xf32>)
// CHECK:        math.sqrt %{{.*}} : f32
// CHECK:        arith.extf %{{.*}} : f16 to f32
// CHECK:        arith.divf %{{.*}}, %{{.*}} : f32
// CHECK-NOT:  arith.truncf
// CHECK:      linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %[[G]], %[[BIAS]] : tensor<4x32xf16>, tensor<4x32xf32>, tensor<32xf32>, tensor<32xf16>) outs(%{{.*}} : tensor<4x32xf16>)
// CHECK-NEXT: ^bb0(%[[BASE:.*]]: f16, %[[U:.*]]: f32, %[[GV:.*]]: f32, %[[BV:.*]]: f16, %{{.*}}: f16):
// CHECK-NEXT:   %[[BASEW:.*]] = arith.extf %[[BASE]] : f16 to f32
// CHECK-NEXT:   %[[BW:.*]] = arith.extf %[[BV]] : f16 to f32
// CHECK-NEXT:   %[[V0:.*]] = arith.subf %[[BASEW]], %[[BW]] : f32
// CHECK-NEXT:   %[[SU:.*]] = arith.mulf %{{.*}}, %[[U]] : f32
// CHECK-NEXT:   %[[V1:.*]] = arith.addf %[[V0]], %[[SU]] : f32
// CHECK-NEXT:   %[[V2:.*]] = arith.mulf %[[GV]], %[[V1]] : f32
// CHECK-NEXT:   %[[V3:.*]] = arith.addf %[[V2]], %[[BW]] : f32
// CHECK-NEXT:   %[[R:.*]] = arith.truncf %[[V3]] : f32 to f16
// CHECK-NEXT:   linalg.yield %[[R]] : f16
// CHECK-NOT:  arith.truncf
// CHECK:      return
func.func @dora_f16(%x: tensor<4x16xf16>, %w: tensor<32x16xf16>, %bias: tensor<32xf16>, %a: tensor<2x16xf16>,
                    %b: tensor<32x2xf16>, %m: tensor<32xf16>) -> tensor<4x32xf16> {
  %y = peft.linear %x, %w, %bias layout out_in role q
         : tensor<4x16xf16>, tensor<32x16xf16>, tensor<32xf16> -> tensor<4x32xf16>
  %z = peft.lora %x, %y, %a, %b magnitude %m scale 2.0
         : tensor<4x16xf16>, tensor<4x32xf16>, tensor<2x16xf16>, tensor<32x2xf16>, tensor<32xf16>
  return %z : tensor<4x32xf16>
}
