// RUN: peft-opt %s -split-input-file --peft-merge-lora | FileCheck %s
// RUN: peft-opt %s -split-input-file --peft-merge-lora=drop-adapters=true | FileCheck %s --check-prefix=DROP
// RUN: peft-opt %s -split-input-file --peft-merge-lora --peft-unmerge-lora | FileCheck %s --check-prefix=UNMERGE
// RUN: peft-opt %s -split-input-file --peft-merge-lora=adapters=other | FileCheck %s --check-prefix=OTHER

// CHECK-LABEL: func.func @lora
// CHECK: %[[W:.*]] = onnx.initializer "wq" dense_resource<{{.*}}> : tensor<4x3xf32>
// CHECK: %[[Y:.*]] = peft.linear %{{.*}}, %[[W]] layout out_in
// CHECK: peft.lora %{{.*}}, %[[Y]], %{{.*}}, %{{.*}} scale 2.000000e+00 merged
// DROP-LABEL: func.func @lora
// DROP-NOT: lora_A
// DROP: %[[Y:.*]] = peft.linear
// DROP-NOT: peft.lora
// DROP: return %[[Y]]
// UNMERGE-LABEL: func.func @lora
// UNMERGE: peft.lora {{.*}} scale 2.000000e+00 :
// OTHER-LABEL: func.func @lora
// OTHER: onnx.initializer "wq" dense<
// OTHER: peft.lora {{.*}} scale 2.000000e+00 :
func.func @lora(%x: tensor<?x3xf32>) -> tensor<?x4xf32> {
  %w = onnx.initializer "wq" dense<1.0> : tensor<4x3xf32>
  %a = onnx.initializer "a" dense<[[1.0, 0.0, 2.0]]> : tensor<1x3xf32>
  %b = onnx.initializer "b" dense<[[1.0], [0.5], [0.0], [-1.0]]> : tensor<4x1xf32>
  %y = peft.linear %x, %w layout out_in role q path "q_proj" : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
  %z = peft.lora %x, %y, %a, %b scale 2.0 : tensor<?x3xf32>, tensor<?x4xf32>, tensor<1x3xf32>, tensor<4x1xf32>
  return %z : tensor<?x4xf32>
}

// -----

// DoRA keeps the row norms it divided by, and the unmerge drops them again.
// CHECK-LABEL: func.func @dora
// CHECK: %[[N:.*]] = arith.constant dense_resource<q_proj.dora_weight_norm{{.*}}> : tensor<4xf32>
// CHECK: peft.lora {{.*}} magnitude %{{.*}} weight_norm %[[N]] scale 2.000000e+00 merged
// UNMERGE-LABEL: func.func @dora
// UNMERGE-NOT: dora_weight_norm
// UNMERGE: peft.lora {{.*}} magnitude %{{.*}} scale 2.000000e+00 :
func.func @dora(%x: tensor<?x3xf32>) -> tensor<?x4xf32> {
  %w = onnx.initializer "wq" dense<1.0> : tensor<4x3xf32>
  %a = onnx.initializer "a" dense<[[1.0, 0.0, 2.0]]> : tensor<1x3xf32>
  %b = onnx.initializer "b" dense<[[1.0], [0.5], [0.0], [-1.0]]> : tensor<4x1xf32>
  %m = onnx.initializer "m" dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %y = peft.linear %x, %w layout out_in role q path "q_proj" : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
  %z = peft.lora %x, %y, %a, %b magnitude %m scale 2.0 : tensor<?x3xf32>, tensor<?x4xf32>, tensor<1x3xf32>, tensor<4x1xf32>, tensor<4xf32>
  return %z : tensor<?x4xf32>
}

// -----

// IA³ folds into the weight (and, on outputs, the bias) and disappears; the
// rewritten weights keep their ONNX names.
// CHECK-LABEL: func.func @ia3
// CHECK-DAG: onnx.initializer "wk" dense_resource
// CHECK-DAG: onnx.initializer "bk" dense_resource
// CHECK-NOT: peft.ia3
// CHECK: return
func.func @ia3(%x: tensor<?x3xf32>) -> tensor<?x4xf32> {
  %w = onnx.initializer "wk" dense<1.0> : tensor<3x4xf32>
  %bias = onnx.initializer "bk" dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %l = onnx.initializer "l" dense<[1.0, 0.5, 2.0, 0.0]> : tensor<4xf32>
  %y = peft.linear %x, %w, %bias layout in_out role k path "k_proj" : tensor<?x3xf32>, tensor<3x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %z = peft.ia3 %y, %l : tensor<?x4xf32>, tensor<4xf32>
  return %z : tensor<?x4xf32>
}

// -----

// The peft dialect does not need ONNX: weights may be arith.constant, and the
// merge creates no onnx op.
// CHECK-LABEL: func.func @arith_weights
// CHECK-NOT: onnx.
// CHECK: %[[W:.*]] = arith.constant dense_resource<q_proj.weight.merged> : tensor<4x3xf32>
// CHECK: peft.linear %{{.*}}, %[[W]] layout out_in
// CHECK: peft.lora {{.*}} merged
// CHECK: q_proj.weight.merged: "0x04000000000040400000803F0000A040000000400000803F000040400000803F0000803F0000803F000080BF0000803F000040C0"
func.func @arith_weights(%x: tensor<?x3xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  %a = arith.constant dense<[[1.0, 0.0, 2.0]]> : tensor<1x3xf32>
  %b = arith.constant dense<[[1.0], [0.5], [0.0], [-1.0]]> : tensor<4x1xf32>
  %y = peft.linear %x, %w layout out_in role q path "q_proj" : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
  %z = peft.lora %x, %y, %a, %b scale 2.0 : tensor<?x3xf32>, tensor<?x4xf32>, tensor<1x3xf32>, tensor<4x1xf32>
  return %z : tensor<?x4xf32>
}
