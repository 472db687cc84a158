// The stock mlir-opt runs our passes on our dialect through the plugin.
// RUN: mlir-opt %s --load-dialect-plugin=%peft_plugin --load-pass-plugin=%peft_plugin \
// RUN:   --pass-pipeline='builtin.module(func.func(convert-peft-to-linalg))' | FileCheck %s
// RUN: mlir-opt %s --load-dialect-plugin=%peft_plugin --load-pass-plugin=%peft_plugin \
// RUN:   --pass-pipeline='builtin.module(peft-list-linears)' -o /dev/null | FileCheck %s --check-prefix=LIST
// Without the plugin the same tool does not know the dialect.
// RUN: not mlir-opt %s 2>&1 | FileCheck %s --check-prefix=NOPLUGIN

// CHECK-LABEL: func.func @f
// CHECK: linalg.matmul
// CHECK-NOT: peft.linear
// LIST: model.layers.0.mlp.up_proj  linear  up  4  3  out_in  no  -
// NOPLUGIN: error: Dialect `peft' not found for custom op 'peft.linear'
func.func @f(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>) -> tensor<2x3xf32> {
  %y = peft.linear %x, %w layout out_in role up path "model.layers.0.mlp.up_proj"
         : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
