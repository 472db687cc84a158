// An f16 matmul with an f32 accumulator (as convert-onnx-to-linalg makes it)
// gets the same 8x32 register tile as an f32 one: the tile of C is f32 and
// stays in registers across the K loop, the f16 slices of A and B are
// extended to f32 before the vector.contract (upstream lowers a batched
// contract only when its operand and accumulator types agree), multiplied
// into it with f32 FMAs, and only the final result is rounded to f16.
// RUN: peft-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(convert-onnx-to-linalg,linalg-fuse-elementwise-ops,canonicalize,cse,peft-cpu-tile-contractions,canonicalize,peft-cpu-vectorize-tiles,loop-invariant-subset-hoisting,canonicalize,cse))' \
// RUN: | FileCheck %s
// RUN: peft-opt %s -split-input-file --peft-lower-to-llvm | FileCheck %s --check-prefix=LLVM
// RUN: peft-opt %s -split-input-file --peft-lower-to-llvm | FileCheck %s --check-prefix=NOHALF

// CHECK-LABEL: func.func @matmul_f16
// CHECK:       %[[C:.*]] = vector.transfer_read %{{.*}} : tensor<16x64xf32>, vector<8x32xf32>
// CHECK:       scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[C]]) -> (vector<8x32xf32>)
// CHECK:         %[[A:.*]] = vector.transfer_read %{{.*}} : tensor<16x64xf16>, vector<8x1xf16>
// CHECK:         %[[B:.*]] = vector.transfer_read %{{.*}} : tensor<64x64xf16>, vector<1x32xf16>
// CHECK:         %[[AW:.*]] = arith.extf %[[A]] : vector<8x1xf16> to vector<8x1xf32>
// CHECK:         %[[BW:.*]] = arith.extf %[[B]] : vector<1x32xf16> to vector<1x32xf32>
// CHECK:         vector.contract {{.*}} %[[AW]], %[[BW]], %[[ACC]] : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK:       vector.transfer_write %{{.*}} : vector<8x32xf32>, tensor<16x64xf32>
// CHECK:       linalg.generic {{.*}} ins(%{{.*}} : tensor<16x64xf32>) outs(%{{.*}} : tensor<16x64xf16>)
// CHECK:         arith.truncf %{{.*}} : f32 to f16

// LLVM-LABEL: @matmul_f16
// LLVM-DAG: llvm.fpext %{{.*}} : vector<32xf16> to vector<32xf32>
// LLVM-DAG: llvm.intr.fmuladd(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<32xf32>, vector<32xf32>, vector<32xf32>) -> vector<32xf32>
// LLVM-DAG: llvm.fptrunc %{{.*}} : f32 to f16
// NOHALF-NOT: {{llvm\.(intr\.fmuladd|fmul|fadd).*f16}}
// NOHALF-NOT: unrealized_conversion_cast
func.func @matmul_f16(%a: tensor<16x64xf16>, %b: tensor<64x64xf16>) -> tensor<16x64xf16> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<16x64xf16>, tensor<64x64xf16>) -> tensor<16x64xf16>
  return %y : tensor<16x64xf16>
}

// -----

// A batched bf16 matmul (attention scores): the batched contract, too.
// CHECK-LABEL: func.func @batch_matmul_bf16
// CHECK:         %[[A:.*]] = vector.transfer_read %{{.*}} : tensor<2x8x16xbf16>, vector<1x8x1xbf16>
// CHECK:         %[[B:.*]] = vector.transfer_read %{{.*}} : tensor<2x16x8xbf16>, vector<1x1x8xbf16>
// CHECK:         %[[AW:.*]] = arith.extf %[[A]] : vector<1x8x1xbf16> to vector<1x8x1xf32>
// CHECK:         %[[BW:.*]] = arith.extf %[[B]] : vector<1x1x8xbf16> to vector<1x1x8xf32>
// CHECK:         vector.contract {{.*}} %[[AW]], %[[BW]], %{{.*}} : vector<1x8x1xf32>, vector<1x1x8xf32> into vector<1x8x8xf32>
// CHECK:         arith.truncf %{{.*}} : f32 to bf16

// LLVM-LABEL: @batch_matmul_bf16
// LLVM-DAG: llvm.fpext %{{.*}} : vector<8xbf16> to vector<8xf32>
// LLVM-DAG: llvm.intr.fmuladd(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// LLVM-DAG: llvm.fptrunc %{{.*}} : f32 to bf16
func.func @batch_matmul_bf16(%a: tensor<2x8x16xbf16>, %b: tensor<2x16x8xbf16>) -> tensor<2x8x8xbf16> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<2x8x16xbf16>, tensor<2x16x8xbf16>) -> tensor<2x8x8xbf16>
  return %y : tensor<2x8x8xbf16>
}
