// Round trip of peft.lowrank (the factored linear layer).
// RUN: peft-opt %s | peft-opt | FileCheck %s

// CHECK-LABEL: func.func @lowrank_bias
// CHECK: peft.lowrank %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} role down path "model.layers.0.mlp.down_proj" : tensor<?x?x128xf32>, tensor<64x16xf32>, tensor<16x128xf32>, tensor<64xf32> -> tensor<?x?x64xf32>
func.func @lowrank_bias(%x: tensor<?x?x128xf32>, %u: tensor<64x16xf32>, %v: tensor<16x128xf32>, %b: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %y = peft.lowrank %x, %u, %v, %b role down path "model.layers.0.mlp.down_proj"
         : tensor<?x?x128xf32>, tensor<64x16xf32>, tensor<16x128xf32>, tensor<64xf32> -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// CHECK-LABEL: func.func @lowrank_f16
// CHECK: peft.lowrank %{{.*}}, %{{.*}}, %{{.*}} role q : tensor<4xf16>, tensor<8x1xf16>, tensor<1x4xf16> -> tensor<8xf16>
func.func @lowrank_f16(%x: tensor<4xf16>, %u: tensor<8x1xf16>, %v: tensor<1x4xf16>) -> tensor<8xf16> {
  %y = peft.lowrank %x, %u, %v role q : tensor<4xf16>, tensor<8x1xf16>, tensor<1x4xf16> -> tensor<8xf16>
  return %y : tensor<8xf16>
}
