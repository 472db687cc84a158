// RUN: peft-opt %s -split-input-file --convert-onnx-to-linalg | FileCheck %s

// Pad (opset 18, constant mode, axes input): one generic over the output
// reads the input at i - begin, clamped, and selects the constant outside.
// CHECK-LABEL: func.func @pad_constant_axes
// CHECK-SAME: (%[[X:.+]]: tensor<?x5xf32>, %[[V:.+]]: tensor<f32>) -> tensor<?x8xf32>
// CHECK: %[[FILL:.+]] = tensor.extract %[[V]][] : tensor<f32>
// CHECK: %[[E:.+]] = tensor.empty(%{{.+}}) : tensor<?x8xf32>
// CHECK: linalg.generic
// CHECK-SAME: outs(%[[E]] : tensor<?x8xf32>)
// CHECK: %[[I0:.+]] = linalg.index 0 : index
// CHECK: %[[I1:.+]] = linalg.index 1 : index
// CHECK: %[[SRC:.+]] = arith.subi %[[I1]], %{{.+}} : index
// CHECK: arith.minsi
// CHECK: %[[V2:.+]] = tensor.extract %[[X]][%[[I0]], %{{.+}}] : tensor<?x5xf32>
// CHECK: arith.select %{{.+}}, %[[V2]], %[[FILL]] : f32
func.func @pad_constant_axes(%x: tensor<?x5xf32>, %v: tensor<f32>) -> tensor<?x8xf32> {
  %pads = onnx.initializer "pads" dense<[1, 2]> : tensor<2xi64>
  %axes = onnx.initializer "axes" dense<-1> : tensor<1xi64>
  %y = "onnx.Pad"(%x, %pads, %v, %axes) : (tensor<?x5xf32>, tensor<2xi64>, tensor<f32>, tensor<1xi64>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Wrap (opset 19) reads at (i - begin) mod n; no select.
// CHECK-LABEL: func.func @pad_wrap
// CHECK: linalg.generic
// CHECK: arith.remsi
// CHECK-NOT: arith.select %{{.+}}, %{{.+}}, %{{.+}} : f32
// CHECK: linalg.yield
func.func @pad_wrap(%x: tensor<4xf32>) -> tensor<7xf32> {
  %pads = onnx.initializer "pads" dense<[2, 1]> : tensor<2xi64>
  %none = onnx.none
  %y = "onnx.Pad"(%x, %pads, %none, %none) <{mode = "wrap"}> : (tensor<4xf32>, tensor<2xi64>, none, none) -> tensor<7xf32>
  return %y : tensor<7xf32>
}

// -----

// Negative pads only crop: a shifted read, nothing selected.
// CHECK-LABEL: func.func @pad_crop
// CHECK: %[[I:.+]] = linalg.index 0 : index
// CHECK: %[[J:.+]] = arith.addi %[[I]], %{{.+}} : index
// CHECK: tensor.extract %{{.+}}[%[[J]]] : tensor<6xf32>
func.func @pad_crop(%x: tensor<6xf32>) -> tensor<3xf32> {
  %pads = onnx.initializer "pads" dense<[-2, -1]> : tensor<2xi64>
  %none = onnx.none
  %y = "onnx.Pad"(%x, %pads, %none, %none) : (tensor<6xf32>, tensor<2xi64>, none, none) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// Run-time pads (CenterCropPad's function body): begin and end are read from
// %pads, the output extent is n + begin + end, and negative pads crop first.
// CHECK-LABEL: func.func @pad_runtime
// CHECK-SAME: (%[[X:.+]]: tensor<6xf32>, %[[P:.+]]: tensor<2xi64>) -> tensor<?xf32>
// CHECK: %[[B:.+]] = tensor.extract %[[P]][%{{.+}}] : tensor<2xi64>
// CHECK: %[[BI:.+]] = arith.index_cast %[[B]] : i64 to index
// CHECK: %[[E:.+]] = tensor.extract %[[P]][%{{.+}}] : tensor<2xi64>
// CHECK: %[[EI:.+]] = arith.index_cast %[[E]] : i64 to index
// CHECK: %[[BE:.+]] = arith.addi %[[BI]], %[[EI]] : index
// CHECK: %[[SIZE:.+]] = arith.addi %[[BE]], %{{.+}} : index
// CHECK: tensor.empty(%[[SIZE]]) : tensor<?xf32>
// CHECK: linalg.generic
// CHECK: arith.select %{{.+}}, %{{.+}}, %{{.+}} : f32
func.func @pad_runtime(%x: tensor<6xf32>, %pads: tensor<2xi64>) -> tensor<?xf32> {
  %none = onnx.none
  %y = "onnx.Pad"(%x, %pads, %none, %none) : (tensor<6xf32>, tensor<2xi64>, none, none) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

