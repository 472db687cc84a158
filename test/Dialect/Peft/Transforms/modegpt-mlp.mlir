// Type I on a hand-worked SiLU-gated MLP. The statistics
// (Inputs/make_modegpt_stats.py) hold a diagonal Σ HᵀH = diag(1, 10, 2, 20,
// 3, 30): the leverage scores order the columns by their variance, so ratio
// 0.5 keeps columns 1, 3, 5; with a diagonal C the refit down projection is
// W_down's rows 1, 3, 5, and the error is the dropped rows' weighted energy
// 1·1² + 2·3² + 3·5² = 94 of 94 + 10·2² + 20·4² + 30·6² = 1534.
// RUN: rm -rf %t && %python %S/Inputs/make_modegpt_stats.py %t
// RUN: peft-opt %s -peft-modegpt="ratio=0.5 stats=%t/stats.safetensors allocation=uniform types=mlp report=%t/report.txt" | FileCheck %s
// RUN: FileCheck %s --check-prefix=REPORT < %t/report.txt
// Global allocation with one block gives it the ratio.
// RUN: peft-opt %s -peft-modegpt="ratio=0.5 stats=%t/stats.safetensors types=mlp" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// ratio=0 keeps every column and weight.
// RUN: peft-opt %s -peft-modegpt="ratio=0 stats=%t/stats.safetensors types=mlp report=none" | FileCheck %s --check-prefix=FULL

// CHECK-LABEL: func.func @mlp
// CHECK: %[[WG:.*]] = arith.constant dense_resource<model.layers.0.mlp.gate_proj.weight> : tensor<4x3xf32>
// CHECK: %[[G:.*]] = peft.linear %arg0, %[[WG]] layout in_out role gate {{.*}} -> tensor<?x3xf32>
// CHECK: %[[S:.*]] = "onnx.Sigmoid"(%[[G]]) : (tensor<?x3xf32>) -> tensor<?x3xf32>
// CHECK: %[[A:.*]] = "onnx.Mul"(%[[G]], %[[S]]) : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
// CHECK: %[[U:.*]] = peft.linear %arg0, %{{.*}} layout in_out role up {{.*}} -> tensor<?x3xf32>
// CHECK: %[[H:.*]] = "onnx.Mul"(%[[A]], %[[U]]) : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
// CHECK: %[[WD:.*]] = arith.constant dense_resource<model.layers.0.mlp.down_proj.weight> : tensor<3x4xf32>
// CHECK: peft.linear %[[H]], %[[WD]] layout in_out role down {{.*}} : tensor<?x3xf32>, tensor<3x4xf32> -> tensor<?x4xf32>
// Gate columns 1, 3, 5: rows [0 0 0] [1 0 0] [0 0 0] [0 1 1].
// CHECK: model.layers.0.mlp.gate_proj.weight: "0x040000000000000000000000000000000000803F0000000000000000000000000000000000000000000000000000803F0000803F"
// Up columns 1, 3, 5: rows [2 4 6] [1 1 1] [.5 .5 .5] [0 0 0].
// CHECK: model.layers.0.mlp.up_proj.weight: "0x0400000000000040000080400000C0400000803F0000803F0000803F0000003F0000003F0000003F000000000000000000000000"
// Down rows 1, 3, 5: [0 2 0 0] [0 0 0 4] [0 6 0 0].
// CHECK: model.layers.0.mlp.down_proj.weight: "0x040000000000000000000040000000000000000000000000000000000000000000008040000000000000C0400000000000000000"

// REPORT: block  module  sparsity  dim     params  after  error  rel_error
// REPORT-NEXT: 0      mlp     0.500     6 -> 3  72      36     94     0.06128
// REPORT-NEXT: parameters of the compressed modules: 72 -> 36 (50.0% removed, target 50.0%)

// FULL: peft.linear %arg0, %{{.*}} layout in_out role gate {{.*}} -> tensor<?x6xf32>
// FULL: peft.linear %{{.*}}, %{{.*}} layout in_out role down {{.*}} : tensor<?x6xf32>, tensor<6x4xf32> -> tensor<?x4xf32>
func.func @mlp(%x: tensor<?x4xf32> {onnx.name = "x"}) -> (tensor<?x4xf32> {onnx.name = "y"}) {
  %wg = arith.constant dense<[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]]> : tensor<4x6xf32>
  %wu = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [2.0, 0.0, 2.0, 0.0, 2.0, 0.0]]> : tensor<4x6xf32>
  %wd = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 3.0, 0.0], [0.0, 0.0, 0.0, 4.0], [5.0, 0.0, 0.0, 0.0], [0.0, 6.0, 0.0, 0.0]]> : tensor<6x4xf32>
  %g = peft.linear %x, %wg layout in_out role gate path "model.layers.0.mlp.gate_proj" : tensor<?x4xf32>, tensor<4x6xf32> -> tensor<?x6xf32>
  %s = "onnx.Sigmoid"(%g) : (tensor<?x6xf32>) -> tensor<?x6xf32>
  %a = "onnx.Mul"(%g, %s) : (tensor<?x6xf32>, tensor<?x6xf32>) -> tensor<?x6xf32>
  %u = peft.linear %x, %wu layout in_out role up path "model.layers.0.mlp.up_proj" : tensor<?x4xf32>, tensor<4x6xf32> -> tensor<?x6xf32>
  %h = "onnx.Mul"(%a, %u) : (tensor<?x6xf32>, tensor<?x6xf32>) -> tensor<?x6xf32>
  %d = peft.linear %h, %wd layout in_out role down path "model.layers.0.mlp.down_proj" : tensor<?x6xf32>, tensor<6x4xf32> -> tensor<?x4xf32>
  %y = "onnx.Add"(%x, %d) : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
