// Runs lowered ONNX shape and data-movement ops on the CPU, with dynamic
// extents and shape operands only known at run time. Every expected value
// was computed with onnxruntime 1.32 (CPUExecutionProvider) on a one-node (or,
// for the shape chain, the same multi-node) ONNX model with the same inputs
// and attributes, then pasted here.
// RUN: peft-opt %s --peft-lower-to-llvm \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s
//
// Reshape, the shape chain and Split print their results in the function
// (views of the arguments read in place, strided for Split); the others
// return theirs.

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}
func.func private @printMemrefI64(memref<*xi64>) attributes {llvm.emit_c_interface}

// Reshape with a shape only known at run time (0 copies, -1 infers).
func.func @reshape(%x: tensor<?x?x4xf32>, %shape: tensor<2xi64>) {
  %y = "onnx.Reshape"(%x, %shape) : (tensor<?x?x4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  call @print2(%y) : (tensor<?x?xf32>) -> ()
  return
}

// The exporter's chain: [batch, seq] from Shape/Gather/Unsqueeze, Concat
// with constant heads, then Reshape; Gather(-1) picks the last extent.
func.func @shape_chain(%x: tensor<?x?x4xf32>) {
  %s = "onnx.Shape"(%x) : (tensor<?x?x4xf32>) -> tensor<3xi64>
  %i0 = onnx.initializer "i0" dense<0> : tensor<i64>
  %i1 = onnx.initializer "i1" dense<1> : tensor<i64>
  %im1 = onnx.initializer "im1" dense<-1> : tensor<i64>
  %ax = onnx.initializer "ax" dense<[0]> : tensor<1xi64>
  %heads = onnx.initializer "heads" dense<[2, 2]> : tensor<2xi64>
  %b = "onnx.Gather"(%s, %i0) <{axis = 0 : i64}> : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %q = "onnx.Gather"(%s, %i1) <{axis = 0 : i64}> : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %d = "onnx.Gather"(%s, %im1) <{axis = 0 : i64}> : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %bu = "onnx.Unsqueeze"(%b, %ax) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %qu = "onnx.Unsqueeze"(%q, %ax) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %shape = "onnx.Concat"(%bu, %qu, %heads) <{axis = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  %y = "onnx.Reshape"(%x, %shape) : (tensor<?x?x4xf32>, tensor<4xi64>) -> tensor<?x?x2x2xf32>
  %ym = bufferization.to_buffer %y : tensor<?x?x2x2xf32> to memref<?x?x2x2xf32>
  %yu = memref.cast %ym : memref<?x?x2x2xf32> to memref<*xf32>
  call @printMemrefF32(%yu) : (memref<*xf32>) -> ()
  %sd = tensor.cast %shape : tensor<4xi64> to tensor<?xi64>
  call @printI64(%sd) : (tensor<?xi64>) -> ()
  %d1 = tensor.expand_shape %d [] output_shape [1] : tensor<i64> into tensor<1xi64>
  %dd = tensor.cast %d1 : tensor<1xi64> to tensor<?xi64>
  call @printI64(%dd) : (tensor<?xi64>) -> ()
  return
}

// x[:, -1::-2] with an INT64_MIN-like end; then run-time starts/ends.
func.func @slice(%x: tensor<?x4xf32>, %starts: tensor<2xi64>, %ends: tensor<2xi64>, %steps: tensor<2xi64>)
    -> (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) {
  %st = onnx.initializer "st" dense<[-1]> : tensor<1xi64>
  %en = onnx.initializer "en" dense<[-9223372036854775807]> : tensor<1xi64>
  %ax = onnx.initializer "ax" dense<[1]> : tensor<1xi64>
  %sp = onnx.initializer "sp" dense<[-2]> : tensor<1xi64>
  %y0 = "onnx.Slice"(%x, %st, %en, %ax, %sp) : (tensor<?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  %ax2 = onnx.initializer "ax2" dense<[0, 1]> : tensor<2xi64>
  %sp2 = onnx.initializer "sp2" dense<[1, 2]> : tensor<2xi64>
  %y1 = "onnx.Slice"(%x, %starts, %ends, %ax2, %sp2) : (tensor<?x4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf32>
  // Steps only known at run time.
  %y2 = "onnx.Slice"(%x, %starts, %ends, %ax2, %steps) : (tensor<?x4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf32>
  return %y0, %y1, %y2 : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>
}

// Gather with negative indices on axis 0 (2-D indices) and axis 1 (i32).
func.func @gather(%d: tensor<?x3xf32>) -> (tensor<2x2x3xf32>, tensor<?x1xf32>) {
  %i = onnx.initializer "i" dense<[[-1, 0], [1, -2]]> : tensor<2x2xi64>
  %y0 = "onnx.Gather"(%d, %i) <{axis = 0 : i64}> : (tensor<?x3xf32>, tensor<2x2xi64>) -> tensor<2x2x3xf32>
  %j = onnx.initializer "j" dense<[-1]> : tensor<1xi32>
  %y1 = "onnx.Gather"(%d, %j) <{axis = 1 : i64}> : (tensor<?x3xf32>, tensor<1xi32>) -> tensor<?x1xf32>
  return %y0, %y1 : tensor<2x2x3xf32>, tensor<?x1xf32>
}

func.func @concat(%a: tensor<?x2xf32>, %b: tensor<?x3xf32>, %c: tensor<1x2xf32>) -> (tensor<?x5xf32>, tensor<?x2xf32>) {
  %y0 = "onnx.Concat"(%a, %b) <{axis = 1 : i64}> : (tensor<?x2xf32>, tensor<?x3xf32>) -> tensor<?x5xf32>
  %y1 = "onnx.Concat"(%a, %c) <{axis = -2 : i64}> : (tensor<?x2xf32>, tensor<1x2xf32>) -> tensor<?x2xf32>
  return %y0, %y1 : tensor<?x5xf32>, tensor<?x2xf32>
}

func.func @transpose(%x: tensor<?x3x4xf32>, %m: tensor<?x4xf32>) -> (tensor<4x?x3xf32>, tensor<4x?xf32>) {
  %y0 = "onnx.Transpose"(%x) <{perm = array<i64: 2, 0, 1>}> : (tensor<?x3x4xf32>) -> tensor<4x?x3xf32>
  %y1 = "onnx.Transpose"(%m) : (tensor<?x4xf32>) -> tensor<4x?xf32>
  return %y0, %y1 : tensor<4x?x3xf32>, tensor<4x?xf32>
}

// Expand to a run-time shape; the second input's extent is dynamic and 1.
func.func @expand(%e: tensor<3x1xf32>, %s: tensor<3xi64>, %u: tensor<?x1xf32>, %t: tensor<2xi64>)
    -> (tensor<?x?x?xf32>, tensor<?x?xf32>) {
  %y0 = "onnx.Expand"(%e, %s) : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %y1 = "onnx.Expand"(%u, %t) : (tensor<?x1xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %y0, %y1 : tensor<?x?x?xf32>, tensor<?x?xf32>
}

func.func @range(%a: tensor<i64>, %b: tensor<i64>, %c: tensor<i64>,
                 %fa: tensor<f32>, %fb: tensor<f32>, %fc: tensor<f32>) -> (tensor<?xi64>, tensor<?xf32>) {
  %y0 = "onnx.Range"(%a, %b, %c) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %y1 = "onnx.Range"(%fa, %fb, %fc) : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  return %y0, %y1 : tensor<?xi64>, tensor<?xf32>
}

func.func @trilu(%t: tensor<?x4xf32>, %k: tensor<i64>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %y0 = "onnx.Trilu"(%t, %k) <{upper = 1 : i64}> : (tensor<?x4xf32>, tensor<i64>) -> tensor<?x4xf32>
  %km1 = onnx.initializer "km1" dense<-1> : tensor<i64>
  %y1 = "onnx.Trilu"(%t, %km1) <{upper = 0 : i64}> : (tensor<?x4xf32>, tensor<i64>) -> tensor<?x4xf32>
  return %y0, %y1 : tensor<?x4xf32>, tensor<?x4xf32>
}

// Split by sizes [2, 3], then into 3 (uneven: 2, 2, 1); ConstantOfShape of
// the input's run-time shape.
func.func @split(%s: tensor<?x5xf32>) {
  %sp = onnx.initializer "sp" dense<[2, 3]> : tensor<2xi64>
  %a, %b = "onnx.Split"(%s, %sp) <{axis = 1 : i64}> : (tensor<?x5xf32>, tensor<2xi64>) -> (tensor<?x2xf32>, tensor<?x3xf32>)
  %none = onnx.none
  %c, %d, %e = "onnx.Split"(%s, %none) <{axis = 1 : i64, num_outputs = 3 : i64}> : (tensor<?x5xf32>, none) -> (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>)
  %shape = "onnx.Shape"(%s) : (tensor<?x5xf32>) -> tensor<2xi64>
  %f = "onnx.ConstantOfShape"(%shape) <{value = dense<1.5> : tensor<1xf32>}> : (tensor<2xi64>) -> tensor<?x5xf32>
  %am = bufferization.to_buffer %a : tensor<?x2xf32> to memref<?x2xf32, strided<[?, ?], offset: ?>>
  %au = memref.cast %am : memref<?x2xf32, strided<[?, ?], offset: ?>> to memref<*xf32>
  call @printMemrefF32(%au) : (memref<*xf32>) -> ()
  %bm = bufferization.to_buffer %b : tensor<?x3xf32> to memref<?x3xf32, strided<[?, ?], offset: ?>>
  %bu = memref.cast %bm : memref<?x3xf32, strided<[?, ?], offset: ?>> to memref<*xf32>
  call @printMemrefF32(%bu) : (memref<*xf32>) -> ()
  %cm = bufferization.to_buffer %c : tensor<?x?xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %cu = memref.cast %cm : memref<?x?xf32, strided<[?, ?], offset: ?>> to memref<*xf32>
  call @printMemrefF32(%cu) : (memref<*xf32>) -> ()
  %dm = bufferization.to_buffer %d : tensor<?x?xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %du = memref.cast %dm : memref<?x?xf32, strided<[?, ?], offset: ?>> to memref<*xf32>
  call @printMemrefF32(%du) : (memref<*xf32>) -> ()
  %em = bufferization.to_buffer %e : tensor<?x?xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %eu = memref.cast %em : memref<?x?xf32, strided<[?, ?], offset: ?>> to memref<*xf32>
  call @printMemrefF32(%eu) : (memref<*xf32>) -> ()
  %f2 = tensor.cast %f : tensor<?x5xf32> to tensor<?x?xf32>
  call @print2(%f2) : (tensor<?x?xf32>) -> ()
  return
}

// Axes only known at run time: Slice takes each dim's entry by its axis (a
// negative axis and step here), Unsqueeze and Squeeze reshape to the extents
// the axes give. Then Split of an empty input by run-time zero sizes.
func.func @runtime_axes(%x: tensor<?x?x4xf32>, %starts: tensor<2xi64>, %ends: tensor<2xi64>,
                        %axes: tensor<2xi64>, %steps: tensor<2xi64>, %u: tensor<2x3xf32>,
                        %uaxes: tensor<2xi64>, %q: tensor<?x3x1xf32>, %qaxes: tensor<1xi64>,
                        %z: tensor<0xf32>, %zsplit: tensor<3xi64>)
    -> (tensor<?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?xf32>, tensor<0xf32>, tensor<0xf32>, tensor<0xf32>) {
  %y0 = "onnx.Slice"(%x, %starts, %ends, %axes, %steps) : (tensor<?x?x4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?x?xf32>
  %y1 = "onnx.Unsqueeze"(%u, %uaxes) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x?x?x?xf32>
  %y2 = "onnx.Squeeze"(%q, %qaxes) : (tensor<?x3x1xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  %z0, %z1, %z2 = "onnx.Split"(%z, %zsplit) : (tensor<0xf32>, tensor<3xi64>) -> (tensor<0xf32>, tensor<0xf32>, tensor<0xf32>)
  return %y0, %y1, %y2, %z0, %z1, %z2 : tensor<?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?xf32>, tensor<0xf32>, tensor<0xf32>, tensor<0xf32>
}

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

func.func @print1(%t: tensor<?xf32>) {
  %m = bufferization.to_buffer %t : tensor<?xf32> to memref<?xf32>
  %u = memref.cast %m : memref<?xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @printI64(%t: tensor<?xi64>) {
  %m = bufferization.to_buffer %t : tensor<?xi64> to memref<?xi64>
  %u = memref.cast %m : memref<?xi64> to memref<*xi64>
  call @printMemrefI64(%u) : (memref<*xi64>) -> ()
  return
}

func.func @main() {
  %x0 = arith.constant dense<[[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]], [[12.0, 13.0, 14.0, 15.0], [16.0, 17.0, 18.0, 19.0], [20.0, 21.0, 22.0, 23.0]]]> : tensor<2x3x4xf32>
  %x = tensor.cast %x0 : tensor<2x3x4xf32> to tensor<?x?x4xf32>

  // CHECK: sizes = [2, 12]
  // CHECK-NEXT: {{\[\[}}0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  // CHECK-NEXT: [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]]
  // CHECK: sizes = [3, 8]
  %s0 = arith.constant dense<[0, -1]> : tensor<2xi64>
  call @reshape(%x, %s0) : (tensor<?x?x4xf32>, tensor<2xi64>) -> ()
  %s1 = arith.constant dense<[3, -1]> : tensor<2xi64>
  call @reshape(%x, %s1) : (tensor<?x?x4xf32>, tensor<2xi64>) -> ()

  // CHECK: sizes = [2, 3, 2, 2]
  // CHECK-NEXT: {{\[\[\[\[}}0, 1],
  // CHECK-NEXT: [2, 3]],
  // CHECK: sizes = [4]
  // CHECK-NEXT: [2, 3, 2, 2]
  // CHECK: sizes = [1]
  // CHECK-NEXT: [4]
  call @shape_chain(%x) : (tensor<?x?x4xf32>) -> ()

  // CHECK: sizes = [3, 2]
  // CHECK-NEXT: {{\[\[}}3, 1],
  // CHECK-NEXT: [7, 5],
  // CHECK-NEXT: [11, 9]]
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[\[}}4, 6],
  // CHECK-NEXT: [8, 10]]
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[\[}}11, 10, 9],
  // CHECK-NEXT: [3, 2, 1]]
  %m0 = arith.constant dense<[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]]> : tensor<3x4xf32>
  %m = tensor.cast %m0 : tensor<3x4xf32> to tensor<?x4xf32>
  %starts = arith.constant dense<[1, 0]> : tensor<2xi64>
  %ends = arith.constant dense<[9223372036854775807, -1]> : tensor<2xi64>
  %steps = arith.constant dense<[1, 2]> : tensor<2xi64>
  %sl:3 = call @slice(%m, %starts, %ends, %steps) : (tensor<?x4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>)
  call @print2(%sl#0) : (tensor<?x?xf32>) -> ()
  call @print2(%sl#1) : (tensor<?x?xf32>) -> ()
  // Run-time negative steps: starts [-1, 100], ends [-100, 0], steps [-2, -1].
  %starts2 = arith.constant dense<[-1, 100]> : tensor<2xi64>
  %ends2 = arith.constant dense<[-100, 0]> : tensor<2xi64>
  %steps2 = arith.constant dense<[-2, -1]> : tensor<2xi64>
  %sn:3 = call @slice(%m, %starts2, %ends2, %steps2) : (tensor<?x4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>)
  call @print2(%sn#2) : (tensor<?x?xf32>) -> ()

  // CHECK: sizes = [2, 2, 3]
  // CHECK-NEXT: {{\[\[\[}}6, 7, 8],
  // CHECK-NEXT: [0, 1, 2]],
  // CHECK-NEXT: {{\[\[}}3, 4, 5],
  // CHECK-NEXT: [3, 4, 5]]]
  // CHECK: sizes = [3, 1]
  // CHECK-NEXT: {{\[\[}}2],
  // CHECK-NEXT: [5],
  // CHECK-NEXT: [8]]
  %d0 = arith.constant dense<[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]> : tensor<3x3xf32>
  %d = tensor.cast %d0 : tensor<3x3xf32> to tensor<?x3xf32>
  %g:2 = call @gather(%d) : (tensor<?x3xf32>) -> (tensor<2x2x3xf32>, tensor<?x1xf32>)
  %g0 = tensor.cast %g#0 : tensor<2x2x3xf32> to tensor<?x?x?xf32>
  call @print3(%g0) : (tensor<?x?x?xf32>) -> ()
  %g1 = tensor.cast %g#1 : tensor<?x1xf32> to tensor<?x?xf32>
  call @print2(%g1) : (tensor<?x?xf32>) -> ()

  // CHECK: sizes = [2, 5]
  // CHECK-NEXT: {{\[\[}}0, 1, -0, -1, -2],
  // CHECK-NEXT: [2, 3, -3, -4, -5]]
  // CHECK: sizes = [3, 2]
  // CHECK-NEXT: {{\[\[}}0, 1],
  // CHECK-NEXT: [2, 3],
  // CHECK-NEXT: [9, 8]]
  %ca0 = arith.constant dense<[[0.0, 1.0], [2.0, 3.0]]> : tensor<2x2xf32>
  %ca = tensor.cast %ca0 : tensor<2x2xf32> to tensor<?x2xf32>
  %cb0 = arith.constant dense<[[-0.0, -1.0, -2.0], [-3.0, -4.0, -5.0]]> : tensor<2x3xf32>
  %cb = tensor.cast %cb0 : tensor<2x3xf32> to tensor<?x3xf32>
  %cc = arith.constant dense<[[9.0, 8.0]]> : tensor<1x2xf32>
  %cat:2 = call @concat(%ca, %cb, %cc) : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<1x2xf32>) -> (tensor<?x5xf32>, tensor<?x2xf32>)
  %cat0 = tensor.cast %cat#0 : tensor<?x5xf32> to tensor<?x?xf32>
  call @print2(%cat0) : (tensor<?x?xf32>) -> ()
  %cat1 = tensor.cast %cat#1 : tensor<?x2xf32> to tensor<?x?xf32>
  call @print2(%cat1) : (tensor<?x?xf32>) -> ()

  // CHECK: sizes = [4, 2, 3]
  // CHECK-NEXT: {{\[\[\[}}0, 4, 8],
  // CHECK-NEXT: [12, 16, 20]],
  // CHECK-NEXT: {{\[\[}}1, 5, 9],
  // CHECK-NEXT: [13, 17, 21]],
  // CHECK-NEXT: {{\[\[}}2, 6, 10],
  // CHECK-NEXT: [14, 18, 22]],
  // CHECK-NEXT: {{\[\[}}3, 7, 11],
  // CHECK-NEXT: [15, 19, 23]]]
  // CHECK: sizes = [4, 3]
  // CHECK-NEXT: {{\[\[}}0, 4, 8],
  // CHECK-NEXT: [1, 5, 9],
  // CHECK-NEXT: [2, 6, 10],
  // CHECK-NEXT: [3, 7, 11]]
  %xt = tensor.cast %x0 : tensor<2x3x4xf32> to tensor<?x3x4xf32>
  %t:2 = call @transpose(%xt, %m) : (tensor<?x3x4xf32>, tensor<?x4xf32>) -> (tensor<4x?x3xf32>, tensor<4x?xf32>)
  %t0 = tensor.cast %t#0 : tensor<4x?x3xf32> to tensor<?x?x?xf32>
  call @print3(%t0) : (tensor<?x?x?xf32>) -> ()
  %t1 = tensor.cast %t#1 : tensor<4x?xf32> to tensor<?x?xf32>
  call @print2(%t1) : (tensor<?x?xf32>) -> ()

  // CHECK: sizes = [2, 3, 4]
  // CHECK-NEXT: {{\[\[\[}}1, 1, 1, 1],
  // CHECK-NEXT: [2, 2, 2, 2],
  // CHECK-NEXT: [3, 3, 3, 3]],
  // CHECK-NEXT: {{\[\[}}1, 1, 1, 1],
  // CHECK-NEXT: [2, 2, 2, 2],
  // CHECK-NEXT: [3, 3, 3, 3]]]
  // CHECK: sizes = [3, 2]
  // CHECK-NEXT: {{\[\[}}7, 7],
  // CHECK-NEXT: [7, 7],
  // CHECK-NEXT: [7, 7]]
  %e = arith.constant dense<[[1.0], [2.0], [3.0]]> : tensor<3x1xf32>
  %es = arith.constant dense<[2, 1, 4]> : tensor<3xi64>
  %u0 = arith.constant dense<[[7.0]]> : tensor<1x1xf32>
  %u = tensor.cast %u0 : tensor<1x1xf32> to tensor<?x1xf32>
  %us = arith.constant dense<[3, 2]> : tensor<2xi64>
  %ex:2 = call @expand(%e, %es, %u, %us) : (tensor<3x1xf32>, tensor<3xi64>, tensor<?x1xf32>, tensor<2xi64>) -> (tensor<?x?x?xf32>, tensor<?x?xf32>)
  call @print3(%ex#0) : (tensor<?x?x?xf32>) -> ()
  call @print2(%ex#1) : (tensor<?x?xf32>) -> ()

  // CHECK: sizes = [3]
  // CHECK-NEXT: [10, 7, 4]
  // CHECK: sizes = [4]
  // CHECK-NEXT: [0.5, 0.9, 1.3, 1.7]
  %ra = arith.constant dense<10> : tensor<i64>
  %rb = arith.constant dense<2> : tensor<i64>
  %rc = arith.constant dense<-3> : tensor<i64>
  %rfa = arith.constant dense<0.5> : tensor<f32>
  %rfb = arith.constant dense<2.0> : tensor<f32>
  %rfc = arith.constant dense<0.4> : tensor<f32>
  %rg:2 = call @range(%ra, %rb, %rc, %rfa, %rfb, %rfc) : (tensor<i64>, tensor<i64>, tensor<i64>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<?xi64>, tensor<?xf32>)
  call @printI64(%rg#0) : (tensor<?xi64>) -> ()
  %rgm = bufferization.to_buffer %rg#1 : tensor<?xf32> to memref<?xf32>
  %rgu = memref.cast %rgm : memref<?xf32> to memref<*xf32>
  call @printMemrefF32(%rgu) : (memref<*xf32>) -> ()

  // CHECK: sizes = [3, 4]
  // CHECK-NEXT: {{\[\[}}0, 2, 3, 4],
  // CHECK-NEXT: [0, 0, 7, 8],
  // CHECK-NEXT: [0, 0, 0, 12]]
  // CHECK: sizes = [3, 4]
  // CHECK-NEXT: {{\[\[}}0, 0, 0, 0],
  // CHECK-NEXT: [5, 0, 0, 0],
  // CHECK-NEXT: [9, 10, 0, 0]]
  %tr0 = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
  %tr = tensor.cast %tr0 : tensor<3x4xf32> to tensor<?x4xf32>
  %k1 = arith.constant dense<1> : tensor<i64>
  %tl:2 = call @trilu(%tr, %k1) : (tensor<?x4xf32>, tensor<i64>) -> (tensor<?x4xf32>, tensor<?x4xf32>)
  %tl0 = tensor.cast %tl#0 : tensor<?x4xf32> to tensor<?x?xf32>
  call @print2(%tl0) : (tensor<?x?xf32>) -> ()
  %tl1 = tensor.cast %tl#1 : tensor<?x4xf32> to tensor<?x?xf32>
  call @print2(%tl1) : (tensor<?x?xf32>) -> ()

  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[\[}}0, 1],
  // CHECK-NEXT: [5, 6]]
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[\[}}2, 3, 4],
  // CHECK-NEXT: [7, 8, 9]]
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[\[}}0, 1],
  // CHECK-NEXT: [5, 6]]
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[\[}}2, 3],
  // CHECK-NEXT: [7, 8]]
  // CHECK: sizes = [2, 1]
  // CHECK-NEXT: {{\[\[}}4],
  // CHECK-NEXT: [9]]
  // CHECK: sizes = [2, 5]
  // CHECK-NEXT: {{\[\[}}1.5, 1.5, 1.5, 1.5, 1.5],
  // CHECK-NEXT: [1.5, 1.5, 1.5, 1.5, 1.5]]
  %sp0 = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0, 9.0]]> : tensor<2x5xf32>
  %sp = tensor.cast %sp0 : tensor<2x5xf32> to tensor<?x5xf32>
  call @split(%sp) : (tensor<?x5xf32>) -> ()

  // CHECK: sizes = [1, 3, 2]
  // CHECK-NEXT: {{\[\[\[}}15, 13],
  // CHECK-NEXT: [19, 17],
  // CHECK-NEXT: [23, 21]]]
  // CHECK: sizes = [2, 1, 3, 1]
  // CHECK-NEXT: {{\[\[\[\[}}0],
  // CHECK-NEXT: [1],
  // CHECK-NEXT: [2]]],
  // CHECK-NEXT: {{\[\[\[}}3],
  // CHECK-NEXT: [4],
  // CHECK-NEXT: [5]]]]
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[\[}}0, 1, 2],
  // CHECK-NEXT: [3, 4, 5]]
  // CHECK-COUNT-3: sizes = [0]
  %rs = arith.constant dense<[3, 1]> : tensor<2xi64>
  %re = arith.constant dense<[0, 2]> : tensor<2xi64>
  %rax = arith.constant dense<[-1, 0]> : tensor<2xi64>
  %rt = arith.constant dense<[-2, 1]> : tensor<2xi64>
  %ru = arith.constant dense<[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]> : tensor<2x3xf32>
  %rua = arith.constant dense<[-1, 1]> : tensor<2xi64>
  %rq0 = arith.constant dense<[[[0.0], [1.0], [2.0]], [[3.0], [4.0], [5.0]]]> : tensor<2x3x1xf32>
  %rq = tensor.cast %rq0 : tensor<2x3x1xf32> to tensor<?x3x1xf32>
  %rqa = arith.constant dense<[-1]> : tensor<1xi64>
  %rz = arith.constant dense<> : tensor<0xf32>
  %rzs = arith.constant dense<0> : tensor<3xi64>
  %rr:6 = call @runtime_axes(%x, %rs, %re, %rax, %rt, %ru, %rua, %rq, %rqa, %rz, %rzs)
      : (tensor<?x?x4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2x3xf32>,
         tensor<2xi64>, tensor<?x3x1xf32>, tensor<1xi64>, tensor<0xf32>, tensor<3xi64>)
      -> (tensor<?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?xf32>, tensor<0xf32>, tensor<0xf32>, tensor<0xf32>)
  call @print3(%rr#0) : (tensor<?x?x?xf32>) -> ()
  %r1m = bufferization.to_buffer %rr#1 : tensor<?x?x?x?xf32> to memref<?x?x?x?xf32>
  %r1u = memref.cast %r1m : memref<?x?x?x?xf32> to memref<*xf32>
  call @printMemrefF32(%r1u) : (memref<*xf32>) -> ()
  call @print2(%rr#2) : (tensor<?x?xf32>) -> ()
  %r3 = tensor.cast %rr#3 : tensor<0xf32> to tensor<?xf32>
  call @print1(%r3) : (tensor<?xf32>) -> ()
  %r4 = tensor.cast %rr#4 : tensor<0xf32> to tensor<?xf32>
  call @print1(%r4) : (tensor<?xf32>) -> ()
  %r5 = tensor.cast %rr#5 : tensor<0xf32> to tensor<?xf32>
  call @print1(%r5) : (tensor<?xf32>) -> ()
  return
}
