// RUN: peft-opt %s -split-input-file | peft-opt -split-input-file | FileCheck %s
// RUN: peft-opt %s -split-input-file -mlir-print-op-generic | peft-opt -split-input-file | FileCheck %s

// A static bank, routed: three tasks with ragged ranks (one of them 0).
// CHECK-LABEL: func.func @static_routed
// CHECK: peft.lora_bank %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} task_ids %{{.*}} tasks ["sst2", "mnli", "none"] ranks [2, 4, 0] scales [2.000000e+00, 1.000000e+00, 0.000000e+00] : tensor<?x8x64xf32>, tensor<?x8x32xf32>, tensor<6x64xf32>, tensor<32x6xf32>, tensor<?xi64>
func.func @static_routed(%x: tensor<?x8x64xf32>, %w: tensor<32x64xf32>, %a: tensor<6x64xf32>,
                         %b: tensor<32x6xf32>, %ids: tensor<?xi64>) -> tensor<?x8x32xf32> {
  %y = peft.linear %x, %w layout out_in role q : tensor<?x8x64xf32>, tensor<32x64xf32> -> tensor<?x8x32xf32>
  %z = peft.lora_bank %x, %y, %a, %b task_ids %ids tasks ["sst2", "mnli", "none"] ranks [2, 4, 0]
         scales [2.0, 1.0, 0.0]
         : tensor<?x8x64xf32>, tensor<?x8x32xf32>, tensor<6x64xf32>, tensor<32x6xf32>, tensor<?xi64>
  return %z : tensor<?x8x32xf32>
}

// -----

// Not routed yet, named, on top of a plain adapter.
// CHECK-LABEL: func.func @static_stacked
// CHECK: %[[L:.*]] = peft.lora
// CHECK: peft.lora_bank %{{.*}}, %[[L]], %{{.*}}, %{{.*}} tasks ["a"] ranks [4] scales [5.000000e-01] adapter "tasks" : tensor<2x16xf16>
func.func @static_stacked(%x: tensor<2x16xf16>, %w: tensor<16x16xf16>, %a: tensor<4x16xf16>,
                          %b: tensor<16x4xf16>) -> tensor<2x16xf16> {
  %y = peft.linear %x, %w layout in_out role v : tensor<2x16xf16>, tensor<16x16xf16> -> tensor<2x16xf16>
  %l = peft.lora %x, %y, %a, %b scale 1.0 : tensor<2x16xf16>, tensor<2x16xf16>, tensor<4x16xf16>, tensor<16x4xf16>
  %z = peft.lora_bank %x, %l, %a, %b tasks ["a"] ranks [4] scales [0.5] adapter "tasks"
         : tensor<2x16xf16>, tensor<2x16xf16>, tensor<4x16xf16>, tensor<16x4xf16>
  return %z : tensor<2x16xf16>
}

// -----

// A runtime bank: 4 task slots, capacity 32.
// CHECK-LABEL: func.func @runtime
// CHECK: peft.lora_bank %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} task_ids %{{.*}} runtime(%{{.*}} : tensor<5xi64>, %{{.*}} : tensor<4xf32>) : tensor<?x64xf32>, tensor<?x32xf32>, tensor<32x64xf32>, tensor<32x32xf32>, tensor<?xi64>
func.func @runtime(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>, %a: tensor<32x64xf32>,
                   %b: tensor<32x32xf32>, %ids: tensor<?xi64>, %o: tensor<5xi64>,
                   %s: tensor<4xf32>) -> tensor<?x32xf32> {
  %y = peft.linear %x, %w layout out_in role o : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  %z = peft.lora_bank %x, %y, %a, %b task_ids %ids runtime(%o : tensor<5xi64>, %s : tensor<4xf32>)
         : tensor<?x64xf32>, tensor<?x32xf32>, tensor<32x64xf32>, tensor<32x32xf32>, tensor<?xi64>
  return %z : tensor<?x32xf32>
}
