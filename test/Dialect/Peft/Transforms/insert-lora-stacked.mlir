// RUN: peft-opt %s --peft-insert-lora="targets=q_proj rank=2" | FileCheck %s

// A second adapter stacks on the first.
// CHECK-LABEL: func.func @stacked
// CHECK: %[[Y:.*]] = peft.linear
// CHECK: %[[L1:.*]] = peft.lora %{{.*}}, %[[Y]], {{.*}} adapter "first"
// CHECK: %[[L2:.*]] = peft.lora %{{.*}}, %[[L1]], {{.*}} adapter "default"
// CHECK: return %[[L2]]
func.func @stacked(%x: tensor<?x8xf32>, %a: tensor<2x8xf32>, %b: tensor<8x2xf32>) -> tensor<?x8xf32> {
  %w = onnx.initializer "w" dense<0.5> : tensor<8x8xf32>
  %y = peft.linear %x, %w layout out_in role q path "q_proj" : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
  %z = peft.lora %x, %y, %a, %b scale 1.0 adapter "first" : tensor<?x8xf32>, tensor<?x8xf32>, tensor<2x8xf32>, tensor<8x2xf32>
  return %z : tensor<?x8xf32>
}
