// RUN: peft-opt %s -split-input-file --peft-quantize-weights="targets=l.q report=none" | FileCheck %s
// RUN: peft-opt %s -split-input-file --peft-quantize-weights="targets=l.q report=-" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: peft-opt %s -split-input-file --peft-quantize-weights="targets=l.q bits=8 granularity=group group-size=2 symmetric=false report=none" | FileCheck %s --check-prefix=ASYM
// RUN: peft-opt %s -split-input-file --peft-quantize-weights="targets=l.q scale=lp report=none" | FileCheck %s --check-prefix=LP

// Per channel, int4, min-max: row 0 has max|w| = 7 -> s = 1; row 1 3.5 ->
// s = 0.5. q = [[7, -4, 0, 2], [-7, 0, 2, 6]] (-3.5 and 1.5 are ties: to
// even). Packed low nibble first: 0xC7, 0x20, 0x09, 0x62.

// CHECK-LABEL: func.func @out_in
// CHECK-DAG: %[[Q:.*]] = arith.constant dense_resource<l.q.qweight> : tensor<2x4xi4>
// CHECK-DAG: %[[S:.*]] = arith.constant dense_resource<l.q.scales> : tensor<2x1xf32>
// CHECK: %[[Y:.*]] = peft.qlinear %{{.*}}, %[[Q]] scales %[[S]] role q path "l.q" : tensor<?x4xf32>, tensor<2x4xi4>, tensor<2x1xf32> -> tensor<?x2xf32>
// CHECK: %[[Z:.*]] = arith.addf %[[Y]], %[[Y]]
// CHECK-NOT: peft.linear
// CHECK-NOT: l.q.weight
// CHECK: l.q.qweight: "0x01000000C7200962"
// CHECK: l.q.scales: "0x040000000000803F0000003F"

// REPORT: path  bits  groups   method  scale min  scale max  rel. error
// REPORT: l.q   4     channel  minmax  5.000e-01  1.000e+00  {{.*}}
// REPORT: 1 layer(s) quantized

// Asymmetric int8 in groups of two: group {7, -3.5} has range [-3.5, 7],
// s = 10.5/255; the zero point and values are on the shifted signed grid.
// ASYM-LABEL: func.func @out_in
// ASYM: peft.qlinear %{{.*}}, %{{.*}} scales %{{.*}} zero_points %{{.*}} : tensor<2x2xi8> group_size 2 role q path "l.q" : tensor<?x4xf32>, tensor<2x4xi8>, tensor<2x2xf32> -> tensor<?x2xf32>

// LP: peft.qlinear
func.func @out_in(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %w = onnx.initializer "l.q.weight" dense<[[7.0, -3.5, 0.5, 1.5], [-3.5, 0.25, 0.75, 3.0]]> : tensor<2x4xf32>
  %y = peft.linear %x, %w layout out_in role q path "l.q" : tensor<?x4xf32>, tensor<2x4xf32> -> tensor<?x2xf32>
  %z = arith.addf %y, %y : tensor<?x2xf32>
  return %z : tensor<?x2xf32>
}

// -----

// An in_out weight is quantized as its transpose [out, in]: the same
// integers as above; the bias and a LoRA adapter on the layer stay.

// CHECK-LABEL: func.func @in_out_bias_adapter
// CHECK: %[[Y:.*]] = peft.qlinear %[[X:.*]], %{{.*}} scales %{{.*}} bias %[[B:.*]] : tensor<2xf32> role q path "l.q" : tensor<?x4xf32>, tensor<2x4xi4>, tensor<2x1xf32> -> tensor<?x2xf32>
// CHECK: peft.lora %[[X]], %[[Y]]
// CHECK: l.q.qweight: "0x01000000C7200962"
// REPORT: 1 layer(s) quantized
// ASYM: peft.qlinear
// LP: peft.qlinear
func.func @in_out_bias_adapter(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %w = onnx.initializer "l.q.weight" dense<[[7.0, -3.5], [-3.5, 0.25], [0.5, 0.75], [1.5, 3.0]]> : tensor<4x2xf32>
  %b = onnx.initializer "l.q.bias" dense<1.0> : tensor<2xf32>
  %a = onnx.initializer "a" dense<0.5> : tensor<1x4xf32>
  %bb = onnx.initializer "b" dense<0.5> : tensor<2x1xf32>
  %y = peft.linear %x, %w, %b layout in_out role q path "l.q" : tensor<?x4xf32>, tensor<4x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
  %z = peft.lora %x, %y, %a, %bb scale 1.0 : tensor<?x4xf32>, tensor<?x2xf32>, tensor<1x4xf32>, tensor<2x1xf32>
  return %z : tensor<?x2xf32>
}
