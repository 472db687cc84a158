// RUN: peft-opt %s -split-input-file --convert-peft-to-linalg | FileCheck %s
// The whole CPU pipeline too: no float copy of the weight appears anywhere;
// there the int4/int8 qlinears take the vectorized kernel of
// convert-peft-qlinear-to-vector (qlinear-to-vector.mlir), which reads the
// packed bytes as vectors of i8.
// RUN: peft-opt %s -split-input-file --peft-lower-to-llvm | FileCheck %s --check-prefix=LLVM

// peft.qlinear dequantizes inside the contraction: one generic over (row,
// out, in) reads the packed bytes of the weight in place and scales each
// element; no float tensor of the weight's shape is ever formed.

// CHECK-LABEL: func.func @int4_groups
// CHECK-NOT: tensor<16x64xf32>
// CHECK-DAG: %[[BYTES:.*]] = arith.constant dense_resource<q> : tensor<512xi8>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: tensor.extract %[[BYTES]]
// CHECK: arith.sitofp
// CHECK-NOT: tensor<16x64xf32>
// LLVM-LABEL: llvm.func @int4_groups
// LLVM-NOT: 16x64xf32
// LLVM: llvm.load {{.*}} -> vector<16xi8>
// LLVM: llvm.ashr {{.*}} : vector<16xi8>
// LLVM: llvm.sitofp {{.*}} : vector<16xi8> to vector<16xf32>
// LLVM-NOT: 16x64xf32
func.func @int4_groups(%x: tensor<?x64xf32>, %s: tensor<16x2xf32>) -> tensor<?x16xf32> {
  %q = arith.constant dense_resource<q> : tensor<16x64xi4>
  %y = peft.qlinear %x, %q scales %s group_size 32 role q : tensor<?x64xf32>, tensor<16x64xi4>, tensor<16x2xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

{-#
  dialect_resources: {
    builtin: {
      q: "0x010000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}

// -----

// An int8 weight (one value a byte) is a plain input of the generic, so it
// may be a runtime value; f16 activations accumulate in f32.
// CHECK-LABEL: func.func @int8_runtime_f16
// CHECK-NOT: tensor<8x32xf16>
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<?x32xf16>, tensor<8x1xf16>, tensor<8x32xi8>)
// CHECK: arith.extsi
// CHECK: arith.extf
// CHECK: arith.truncf
// LLVM-LABEL: llvm.func @int8_runtime_f16
// LLVM: llvm.load {{.*}} -> vector<16xi8>
// LLVM: llvm.sitofp {{.*}} : vector<16xi8> to vector<16xf32>
func.func @int8_runtime_f16(%x: tensor<?x32xf16>, %q: tensor<8x32xi8>, %s: tensor<8x1xf16>) -> tensor<?x8xf16> {
  %y = peft.qlinear %x, %q scales %s role o : tensor<?x32xf16>, tensor<8x32xi8>, tensor<8x1xf16> -> tensor<?x8xf16>
  return %y : tensor<?x8xf16>
}
