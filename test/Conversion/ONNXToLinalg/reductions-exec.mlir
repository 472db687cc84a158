// Executes reductions and normalizations after lowering through
// peft-lower-to-llvm. The expected numbers come from onnxruntime 1.32 (CPU)
// running the same ops in single-node ONNX models (opset 17; ReduceSum with
// an axes input at opset 13, ReduceMean/L2 with one at 18) on the same
// inputs.
// RUN: peft-opt %s --peft-lower-to-llvm \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}
func.func private @printMemrefI64(memref<*xi64>) attributes {llvm.emit_c_interface}

// Unranked tensors have no lowering in convert-onnx-to-linalg: the print
// helpers take ranked ones.
func.func @print2(%t: tensor<?x?xf32>) {
  %m = bufferization.to_buffer %t : tensor<?x?xf32> to memref<?x?xf32>
  %u = memref.cast %m : memref<?x?xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @print3(%t: tensor<?x?x?xf32>) {
  %m = bufferization.to_buffer %t : tensor<?x?x?xf32> to memref<?x?x?xf32>
  %u = memref.cast %m : memref<?x?x?xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @print2_i64(%t: tensor<?x?xi64>) {
  %m = bufferization.to_buffer %t : tensor<?x?xi64> to memref<?x?xi64>
  %u = memref.cast %m : memref<?x?xi64> to memref<*xi64>
  call @printMemrefI64(%u) : (memref<*xi64>) -> ()
  return
}

func.func @print3_i64(%t: tensor<?x?x?xi64>) {
  %m = bufferization.to_buffer %t : tensor<?x?x?xi64> to memref<?x?x?xi64>
  %u = memref.cast %m : memref<?x?x?xi64> to memref<*xi64>
  call @printMemrefI64(%u) : (memref<*xi64>) -> ()
  return
}

// Default axis (-1) with a dynamic batch.
func.func @softmax(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = "onnx.Softmax"(%x) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// Softmax across the dynamic dim.
func.func @softmax_axis0(%x: tensor<?x2x2xf32>) -> tensor<?x2x2xf32> {
  %y = "onnx.Softmax"(%x) <{axis = 0 : i64}> : (tensor<?x2x2xf32>) -> tensor<?x2x2xf32>
  return %y : tensor<?x2x2xf32>
}

func.func @layernorm(%x: tensor<?x4xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>)
    -> (tensor<?x4xf32>, tensor<?x1xf32>, tensor<?x1xf32>) {
  %y, %m, %i = "onnx.LayerNormalization"(%x, %s, %b)
      : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<?x4xf32>, tensor<?x1xf32>, tensor<?x1xf32>)
  return %y, %m, %i : tensor<?x4xf32>, tensor<?x1xf32>, tensor<?x1xf32>
}

// Normalizes the last two dims, no B, epsilon 0.5.
func.func @layernorm_axis1(%x: tensor<?x2x2xf32>, %s: tensor<2x2xf32>) -> tensor<?x2x2xf32> {
  %none = onnx.none
  %y, %m, %i = "onnx.LayerNormalization"(%x, %s, %none) <{axis = 1 : i64, epsilon = 0.5 : f32}>
      : (tensor<?x2x2xf32>, tensor<2x2xf32>, none) -> (tensor<?x2x2xf32>, none, none)
  return %y : tensor<?x2x2xf32>
}

func.func @reduce_mean(%x: tensor<?x2x3xf32>) -> (tensor<?x1x1xf32>, tensor<2x3xf32>, tensor<?x2xf32>) {
  %none = onnx.none
  %a = "onnx.ReduceMean"(%x, %none) <{axes = array<i64: 1, -1>}> : (tensor<?x2x3xf32>, none) -> tensor<?x1x1xf32>
  %b = "onnx.ReduceMean"(%x, %none) <{axes = array<i64: 0>, keepdims = 0 : i64}> : (tensor<?x2x3xf32>, none) -> tensor<2x3xf32>
  %c = "onnx.ReduceL2"(%x, %none) <{axes = array<i64: -1>, keepdims = 0 : i64}> : (tensor<?x2x3xf32>, none) -> tensor<?x2xf32>
  return %a, %b, %c : tensor<?x1x1xf32>, tensor<2x3xf32>, tensor<?x2xf32>
}

func.func @reduce_int(%x: tensor<?x2x3xi64>) -> (tensor<?x2xi64>, tensor<1x1x3xi64>) {
  %none = onnx.none
  %axes = arith.constant dense<2> : tensor<1xi64>
  %s = "onnx.ReduceSum"(%x, %axes) <{keepdims = 0 : i64}> : (tensor<?x2x3xi64>, tensor<1xi64>) -> tensor<?x2xi64>
  %m = "onnx.ReduceMean"(%x, %none) <{axes = array<i64: 0, 1>}> : (tensor<?x2x3xi64>, none) -> tensor<1x1x3xi64>
  return %s, %m : tensor<?x2xi64>, tensor<1x1x3xi64>
}

// Axes only known at run time (ReduceMean/L2 with an axes input at opset
// 18): a negative axis, keepdims 1 and 0, two axes; empty axes tensors.
func.func @reduce_runtime_axes(%x: tensor<?x2x2xf32>, %a: tensor<1xi64>, %b: tensor<2xi64>, %c: tensor<2xi64>, %e: tensor<0xi64>)
    -> (tensor<?x1x2xf32>, tensor<?x2xf32>, tensor<?xf32>, tensor<1x2x1xf32>, tensor<?x2x2xf32>, tensor<f32>) {
  %s1 = "onnx.ReduceSum"(%x, %a) : (tensor<?x2x2xf32>, tensor<1xi64>) -> tensor<?x1x2xf32>
  %s0 = "onnx.ReduceSum"(%x, %a) <{keepdims = 0 : i64}> : (tensor<?x2x2xf32>, tensor<1xi64>) -> tensor<?x2xf32>
  %m = "onnx.ReduceMean"(%x, %b) <{keepdims = 0 : i64}> : (tensor<?x2x2xf32>, tensor<2xi64>) -> tensor<?xf32>
  %l = "onnx.ReduceL2"(%x, %c) : (tensor<?x2x2xf32>, tensor<2xi64>) -> tensor<1x2x1xf32>
  %n = "onnx.ReduceSum"(%x, %e) <{noop_with_empty_axes = 1 : i64}> : (tensor<?x2x2xf32>, tensor<0xi64>) -> tensor<?x2x2xf32>
  %t = "onnx.ReduceSum"(%x, %e) <{keepdims = 0 : i64}> : (tensor<?x2x2xf32>, tensor<0xi64>) -> tensor<f32>
  return %s1, %s0, %m, %l, %n, %t : tensor<?x1x2xf32>, tensor<?x2xf32>, tensor<?xf32>, tensor<1x2x1xf32>, tensor<?x2x2xf32>, tensor<f32>
}

func.func @main() {
  %x0 = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [1000.0, 1000.0, 1000.0, 1000.0], [-1.0, 0.0, 1.0, 10.0]]> : tensor<3x4xf32>
  %x = tensor.cast %x0 : tensor<3x4xf32> to tensor<?x4xf32>
  // Large equal inputs stay finite thanks to the max subtraction.
  // CHECK: sizes = [3, 4]
  // CHECK-NEXT: {{\[\[}}0.0320586, 0.0871443, 0.236883, 0.643914],
  // CHECK-NEXT: [0.25, 0.25, 0.25, 0.25],
  // CHECK-NEXT: [1.66986e-05, 4.53915e-05, 0.000123387, 0.999815]]
  %y0 = call @softmax(%x) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %p0 = tensor.cast %y0 : tensor<?x4xf32> to tensor<?x?xf32>
  call @print2(%p0) : (tensor<?x?xf32>) -> ()

  %t0 = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 0.0], [-1.0, 1.0]]]> : tensor<2x2x2xf32>
  %t = tensor.cast %t0 : tensor<2x2x2xf32> to tensor<?x2x2xf32>
  // CHECK: sizes = [2, 2, 2]
  // CHECK-NEXT: {{\[\[\[}}0.731059, 0.880797],
  // CHECK-NEXT: [0.982014, 0.952574]],
  // CHECK-NEXT: {{\[\[}}0.268941, 0.119203],
  // CHECK-NEXT: [0.0179862, 0.0474259]]]
  %y1 = call @softmax_axis0(%t) : (tensor<?x2x2xf32>) -> tensor<?x2x2xf32>
  %p1 = tensor.cast %y1 : tensor<?x2x2xf32> to tensor<?x?x?xf32>
  call @print3(%p1) : (tensor<?x?x?xf32>) -> ()

  %l0 = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [-1.0, 0.0, 0.0, 5.0]]> : tensor<2x4xf32>
  %l = tensor.cast %l0 : tensor<2x4xf32> to tensor<?x4xf32>
  %s = arith.constant dense<[1.0, 0.5, 2.0, -1.0]> : tensor<4xf32>
  %b = arith.constant dense<[0.0, 1.0, 0.0, 0.25]> : tensor<4xf32>
  // CHECK: sizes = [2, 4]
  // CHECK-NEXT: {{\[\[}}-1.34164, 0.776394, 0.894424, -1.09164],
  // CHECK-NEXT: [-0.852802, 0.786799, -0.852802, -1.4556]]
  // CHECK: sizes = [2, 1]
  // CHECK-NEXT: {{\[\[}}2.5],
  // CHECK-NEXT: [1]]
  // CHECK: sizes = [2, 1]
  // CHECK-NEXT: {{\[\[}}0.894424],
  // CHECK-NEXT: [0.426401]]
  %y2:3 = call @layernorm(%l, %s, %b) : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>)
      -> (tensor<?x4xf32>, tensor<?x1xf32>, tensor<?x1xf32>)
  %p2a = tensor.cast %y2#0 : tensor<?x4xf32> to tensor<?x?xf32>
  call @print2(%p2a) : (tensor<?x?xf32>) -> ()
  %p2b = tensor.cast %y2#1 : tensor<?x1xf32> to tensor<?x?xf32>
  call @print2(%p2b) : (tensor<?x?xf32>) -> ()
  %p2c = tensor.cast %y2#2 : tensor<?x1xf32> to tensor<?x?xf32>
  call @print2(%p2c) : (tensor<?x?xf32>) -> ()

  %s2 = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // CHECK: sizes = [2, 2, 2]
  // CHECK-NEXT: {{\[\[\[}}-1.13389, -0.755929],
  // CHECK-NEXT: [1.13389, 4.53557]],
  // CHECK-NEXT: {{\[\[}}0, 0],
  // CHECK-NEXT: [-3, 4]]]
  %y3 = call @layernorm_axis1(%t, %s2) : (tensor<?x2x2xf32>, tensor<2x2xf32>) -> tensor<?x2x2xf32>
  %p3 = tensor.cast %y3 : tensor<?x2x2xf32> to tensor<?x?x?xf32>
  call @print3(%p3) : (tensor<?x?x?xf32>) -> ()

  %r0 = arith.constant dense<[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[-1.0, -2.0, -3.0], [0.0, 0.0, 12.0]]]> : tensor<2x2x3xf32>
  %r = tensor.cast %r0 : tensor<2x2x3xf32> to tensor<?x2x3xf32>
  // CHECK: sizes = [2, 1, 1]
  // CHECK-NEXT: {{\[\[\[}}3.5]],
  // CHECK-NEXT: {{\[\[}}1]]]
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[\[}}0, 0, 0],
  // CHECK-NEXT: [2, 2.5, 9]]
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[\[}}3.74166, 8.77496],
  // CHECK-NEXT: [3.74166, 12]]
  %y4:3 = call @reduce_mean(%r) : (tensor<?x2x3xf32>) -> (tensor<?x1x1xf32>, tensor<2x3xf32>, tensor<?x2xf32>)
  %p4a = tensor.cast %y4#0 : tensor<?x1x1xf32> to tensor<?x?x?xf32>
  call @print3(%p4a) : (tensor<?x?x?xf32>) -> ()
  %p4b = tensor.cast %y4#1 : tensor<2x3xf32> to tensor<?x?xf32>
  call @print2(%p4b) : (tensor<?x?xf32>) -> ()
  %p4c = tensor.cast %y4#2 : tensor<?x2xf32> to tensor<?x?xf32>
  call @print2(%p4c) : (tensor<?x?xf32>) -> ()

  // The integer mean truncates toward zero: -9 / 4 = -2.
  %i0 = arith.constant dense<[[[1, -2, 3], [4, -5, 6]], [[-1, -2, -3], [0, 0, 12]]]> : tensor<2x2x3xi64>
  %i = tensor.cast %i0 : tensor<2x2x3xi64> to tensor<?x2x3xi64>
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[\[}}2, 5],
  // CHECK-NEXT: [-6, 12]]
  // CHECK: sizes = [1, 1, 3]
  // CHECK-NEXT: {{\[\[\[}}1, -2, 4]]]
  %y5:2 = call @reduce_int(%i) : (tensor<?x2x3xi64>) -> (tensor<?x2xi64>, tensor<1x1x3xi64>)
  %p5a = tensor.cast %y5#0 : tensor<?x2xi64> to tensor<?x?xi64>
  call @print2_i64(%p5a) : (tensor<?x?xi64>) -> ()
  %p5b = tensor.cast %y5#1 : tensor<1x1x3xi64> to tensor<?x?x?xi64>
  call @print3_i64(%p5b) : (tensor<?x?x?xi64>) -> ()

  %rx0 = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]], [[9.0, 10.0], [11.0, 12.0]]]> : tensor<3x2x2xf32>
  %rx = tensor.cast %rx0 : tensor<3x2x2xf32> to tensor<?x2x2xf32>
  %ra = arith.constant dense<[-2]> : tensor<1xi64>
  %rb = arith.constant dense<[0, 2]> : tensor<2xi64>
  %rc = arith.constant dense<[2, 0]> : tensor<2xi64>
  %re = arith.constant dense<> : tensor<0xi64>
  // CHECK: sizes = [3, 1, 2]
  // CHECK-NEXT: {{\[\[\[}}4, 6]],
  // CHECK-NEXT: {{\[\[}}12, 14]],
  // CHECK-NEXT: {{\[\[}}20, 22]]]
  // CHECK: sizes = [3, 2]
  // CHECK-NEXT: {{\[\[}}4, 6],
  // CHECK-NEXT: [12, 14],
  // CHECK-NEXT: [20, 22]]
  // CHECK: sizes = [2]
  // CHECK-NEXT: [5.5, 7.5]
  // CHECK: sizes = [1, 2, 1]
  // CHECK-NEXT: {{\[\[\[}}15.7162],
  // CHECK-NEXT: [20.0749]]]
  // CHECK: sizes = [3, 2, 2]
  // CHECK-NEXT: {{\[\[\[}}1, 2],
  // CHECK: sizes = []
  // CHECK-NEXT: [78]
  %y6:6 = call @reduce_runtime_axes(%rx, %ra, %rb, %rc, %re) : (tensor<?x2x2xf32>, tensor<1xi64>, tensor<2xi64>, tensor<2xi64>, tensor<0xi64>)
      -> (tensor<?x1x2xf32>, tensor<?x2xf32>, tensor<?xf32>, tensor<1x2x1xf32>, tensor<?x2x2xf32>, tensor<f32>)
  %p6a = tensor.cast %y6#0 : tensor<?x1x2xf32> to tensor<?x?x?xf32>
  call @print3(%p6a) : (tensor<?x?x?xf32>) -> ()
  %p6b = tensor.cast %y6#1 : tensor<?x2xf32> to tensor<?x?xf32>
  call @print2(%p6b) : (tensor<?x?xf32>) -> ()
  %m6c = bufferization.to_buffer %y6#2 : tensor<?xf32> to memref<?xf32>
  %u6c = memref.cast %m6c : memref<?xf32> to memref<*xf32>
  call @printMemrefF32(%u6c) : (memref<*xf32>) -> ()
  %p6d = tensor.cast %y6#3 : tensor<1x2x1xf32> to tensor<?x?x?xf32>
  call @print3(%p6d) : (tensor<?x?x?xf32>) -> ()
  %p6e = tensor.cast %y6#4 : tensor<?x2x2xf32> to tensor<?x?x?xf32>
  call @print3(%p6e) : (tensor<?x?x?xf32>) -> ()
  %m6f = bufferization.to_buffer %y6#5 : tensor<f32> to memref<f32>
  %u6f = memref.cast %m6f : memref<f32> to memref<*xf32>
  call @printMemrefF32(%u6f) : (memref<*xf32>) -> ()
  return
}
