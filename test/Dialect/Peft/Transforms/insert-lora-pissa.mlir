// PiSSA and OLoRA take A and B from the weight and replace the base weight
// by the residual W − s·B·A (the numeric contract is checked in
// test_lora_numerics.py).
// RUN: peft-opt %s --peft-insert-lora="targets=q_proj rank=2 alpha=2 init=pissa" | FileCheck %s 
// RUN: peft-opt %s --peft-insert-lora="targets=q_proj rank=2 alpha=2 init=olora" | FileCheck %s 

// CHECK-LABEL: func.func @f
// CHECK: %[[W:.*]] = onnx.initializer "wq" dense_resource<{{.*}}> : tensor<6x4xf32>
// CHECK: %[[Y:.*]] = peft.linear %{{.*}}, %[[W]] layout in_out
// CHECK: peft.lora %{{.*}}, %[[Y]], %{{.*}}, %{{.*}} scale 1.000000e+00
func.func @f(%x: tensor<?x6xf32>) -> tensor<?x4xf32> {
  %w = onnx.initializer "wq" dense<[[1.0, 2.0, 0.0, 1.0], [0.5, -1.0, 2.0, 0.0], [3.0, 0.0, 1.0, -2.0], [0.0, 1.0, 1.0, 1.0], [2.0, 2.0, -1.0, 0.5], [1.0, 0.0, 0.0, 4.0]]> : tensor<6x4xf32>
  %y = peft.linear %x, %w layout in_out role q path "l.q_proj" : tensor<?x6xf32>, tensor<6x4xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
