// RUN: peft-opt %s -split-input-file --convert-onnx-to-linalg | FileCheck %s

// Nearest, half_pixel, scales read at run time: one generic over the output;
// per resized dim (x + 0.5) / s - 0.5, rounded (round_prefer_floor: up only
// past .5), clamped, one read.
// CHECK-LABEL: func.func @nearest
// CHECK: %[[S2:.+]] = tensor.extract %{{.+}}[%c2{{.*}}] : tensor<4xf32>
// CHECK: linalg.generic
// CHECK: arith.divf %{{.+}}, %[[S2]] : f32
// CHECK: math.floor
// CHECK: arith.cmpf ogt
// CHECK: arith.minsi
// CHECK: %[[V:.+]] = tensor.extract %{{.+}} : tensor<1x1x4x4xf32>
// CHECK-NEXT: linalg.yield %[[V]] : f32
func.func @nearest(%x: tensor<1x1x4x4xf32>, %s: tensor<4xf32>) -> tensor<1x1x8x8xf32> {
  %n = onnx.none
  %y = "onnx.Resize"(%x, %n, %s, %n) : (tensor<1x1x4x4xf32>, none, tensor<4xf32>, none) -> tensor<1x1x8x8xf32>
  return %y : tensor<1x1x8x8xf32>
}

// -----

// Linear on the last two dims (axes): 2 x 2 taps, weighted and summed.
// CHECK-LABEL: func.func @linear
// CHECK: linalg.generic
// CHECK-COUNT-4: tensor.extract %{{.+}}[{{.+}}] : tensor<1x1x4x4xf32>
// CHECK: linalg.yield
func.func @linear(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x6x3xf32> {
  %n = onnx.none
  %z = onnx.initializer "z" dense<[6, 3]> : tensor<2xi64>
  %y = "onnx.Resize"(%x, %n, %n, %z) <{mode = "linear", axes = array<i64: 2, 3>}> : (tensor<1x1x4x4xf32>, none, none, tensor<2xi64>) -> tensor<1x1x6x3xf32>
  return %y : tensor<1x1x6x3xf32>
}
