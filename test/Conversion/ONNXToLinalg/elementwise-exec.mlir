// Executes elementwise onnx ops after lowering through peft-lower-to-llvm.
// The expected numbers come from onnxruntime 1.32 (CPU) running the same ops
// in single-node ONNX models (opset 17; Pow with integer bases opset 15) on
// the same inputs.
// RUN: peft-opt %s --peft-lower-to-llvm \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}
func.func private @printMemrefI32(memref<*xi32>) attributes {llvm.emit_c_interface}
func.func private @printMemrefI64(memref<*xi64>) attributes {llvm.emit_c_interface}

func.func @print(%t: tensor<?x?xf32>) {
  %m = bufferization.to_buffer %t : tensor<?x?xf32> to memref<?x?xf32>
  %u = memref.cast %m : memref<?x?xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @print_i32(%t: tensor<?xi32>) {
  %m = bufferization.to_buffer %t : tensor<?xi32> to memref<?xi32>
  %u = memref.cast %m : memref<?xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  return
}

// Dynamic batch against a static vector.
func.func @add(%a: tensor<?x3xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %y = "onnx.Add"(%a, %b) : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// Both operands broadcast: [N, 1] - [1, M] -> [N, M].
func.func @outer_sub(%a: tensor<?x1xf32>, %b: tensor<1x?xf32>) -> tensor<?x?xf32> {
  %y = "onnx.Sub"(%a, %b) : (tensor<?x1xf32>, tensor<1x?xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

func.func @div_i32(%a: tensor<?xi32>, %b: tensor<?xi32>) -> tensor<?xi32> {
  %y = "onnx.Div"(%a, %b) : (tensor<?xi32>, tensor<?xi32>) -> tensor<?xi32>
  return %y : tensor<?xi32>
}

func.func @cast_f32_i32(%a: tensor<?xf32>) -> tensor<?xi32> {
  %y = "onnx.Cast"(%a) <{to = 6 : i64}> : (tensor<?xf32>) -> tensor<?xi32>
  return %y : tensor<?xi32>
}

// float -> bool -> float: != 0, NaN is true.
func.func @cast_bool(%a: tensor<1x?xf32>) -> tensor<1x?xf32> {
  %b = "onnx.Cast"(%a) <{to = 9 : i64}> : (tensor<1x?xf32>) -> tensor<1x?xi1>
  %y = "onnx.Cast"(%b) <{to = 1 : i64}> : (tensor<1x?xi1>) -> tensor<1x?xf32>
  return %y : tensor<1x?xf32>
}

// uint8 sources are zero-extended.
func.func @cast_u8(%a: tensor<3xui8>) -> (tensor<1x3xf32>, tensor<3xi64>) {
  %f = "onnx.Cast"(%a) <{to = 1 : i64}> : (tensor<3xui8>) -> tensor<3xf32>
  %l = "onnx.Cast"(%a) <{to = 7 : i64}> : (tensor<3xui8>) -> tensor<3xi64>
  %r = tensor.expand_shape %f [[0, 1]] output_shape [1, 3] : tensor<3xf32> into tensor<1x3xf32>
  return %r, %l : tensor<1x3xf32>, tensor<3xi64>
}

func.func @activations(%a: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %s = "onnx.Sigmoid"(%a) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %t = "onnx.Tanh"(%a) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %e = "onnx.Exp"(%a) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %s, %t, %e : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

func.func @math(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>)
    -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %erf = "onnx.Erf"(%a) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %cos = "onnx.Cos"(%a) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %sin = "onnx.Sin"(%a) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %sqrt = "onnx.Sqrt"(%b) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %log = "onnx.Log"(%b) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %rcp = "onnx.Reciprocal"(%b) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %erf, %cos, %sin, %sqrt, %log, %rcp
      : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// Not @pow: the i32^f32 Pow of @pow_int calls libm's (f64) pow, which a
// function of that name would shadow in the JIT.
func.func @pow_float(%a: tensor<1x4xf32>, %b: tensor<4xi64>) -> tensor<1x4xf32> {
  %y = "onnx.Pow"(%a, %b) : (tensor<1x4xf32>, tensor<4xi64>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// Integer bases (opset 15): i32^i64 exactly (negative exponents as
// onnxruntime truncates them), i32^f32 and i64^i64.
func.func @pow_int(%a: tensor<9xi32>, %b: tensor<9xi64>, %c: tensor<5xi32>,
                   %d: tensor<5xf32>, %e: tensor<3xi64>, %f: tensor<3xi64>)
    -> (tensor<9xi32>, tensor<5xi32>, tensor<3xi64>) {
  %y = "onnx.Pow"(%a, %b) : (tensor<9xi32>, tensor<9xi64>) -> tensor<9xi32>
  %z = "onnx.Pow"(%c, %d) : (tensor<5xi32>, tensor<5xf32>) -> tensor<5xi32>
  %w = "onnx.Pow"(%e, %f) : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return %y, %z, %w : tensor<9xi32>, tensor<5xi32>, tensor<3xi64>
}

func.func @clip(%a: tensor<?x5xf32>, %lo: tensor<f32>, %hi: tensor<f32>) -> tensor<?x5xf32> {
  %y = "onnx.Clip"(%a, %lo, %hi) : (tensor<?x5xf32>, tensor<f32>, tensor<f32>) -> tensor<?x5xf32>
  return %y : tensor<?x5xf32>
}

func.func @max_min(%a: tensor<?x3xf32>, %b: tensor<3xf32>, %c: tensor<f32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %x = "onnx.Max"(%a, %b, %c) : (tensor<?x3xf32>, tensor<3xf32>, tensor<f32>) -> tensor<?x3xf32>
  %n = "onnx.Min"(%a, %b, %c) : (tensor<?x3xf32>, tensor<3xf32>, tensor<f32>) -> tensor<?x3xf32>
  return %x, %n : tensor<?x3xf32>, tensor<?x3xf32>
}

// Where(Less(a, b), a, b) and Cast(Not(Equal(a, b))).
func.func @select(%a: tensor<?x3xf32>, %b: tensor<3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %l = "onnx.Less"(%a, %b) : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xi1>
  %w = "onnx.Where"(%l, %a, %b) : (tensor<?x3xi1>, tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %e = "onnx.Equal"(%a, %b) : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xi1>
  %n = "onnx.Not"(%e) : (tensor<?x3xi1>) -> tensor<?x3xi1>
  %c = "onnx.Cast"(%n) <{to = 1 : i64}> : (tensor<?x3xi1>) -> tensor<?x3xf32>
  return %w, %c : tensor<?x3xf32>, tensor<?x3xf32>
}

func.func @main() {
  %a0 = arith.constant dense<[[1.5, -2.0, 3.0], [0.25, 4.0, -1.0]]> : tensor<2x3xf32>
  %a = tensor.cast %a0 : tensor<2x3xf32> to tensor<?x3xf32>
  %b = arith.constant dense<[10.0, 20.0, 30.0]> : tensor<3xf32>
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[\[}}11.5, 18, 33],
  // CHECK-NEXT: [10.25, 24, 29]]
  %y0 = call @add(%a, %b) : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %p0 = tensor.cast %y0 : tensor<?x3xf32> to tensor<?x?xf32>
  call @print(%p0) : (tensor<?x?xf32>) -> ()

  %c0 = arith.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %c = tensor.cast %c0 : tensor<2x1xf32> to tensor<?x1xf32>
  %d0 = arith.constant dense<[[10.0, 20.0, 30.0]]> : tensor<1x3xf32>
  %d = tensor.cast %d0 : tensor<1x3xf32> to tensor<1x?xf32>
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[\[}}-9, -19, -29],
  // CHECK-NEXT: [-8, -18, -28]]
  %y1 = call @outer_sub(%c, %d) : (tensor<?x1xf32>, tensor<1x?xf32>) -> tensor<?x?xf32>
  call @print(%y1) : (tensor<?x?xf32>) -> ()

  // Integer division truncates toward zero.
  %i0 = arith.constant dense<[7, -7, 7, -7, 9, -1]> : tensor<6xi32>
  %j0 = arith.constant dense<[2, 2, -2, -2, 3, 4]> : tensor<6xi32>
  %i = tensor.cast %i0 : tensor<6xi32> to tensor<?xi32>
  %j = tensor.cast %j0 : tensor<6xi32> to tensor<?xi32>
  // CHECK: sizes = [6]
  // CHECK-NEXT: [3, -3, -3, 3, 3, 0]
  %y2 = call @div_i32(%i, %j) : (tensor<?xi32>, tensor<?xi32>) -> tensor<?xi32>
  call @print_i32(%y2) : (tensor<?xi32>) -> ()

  // float -> int truncates toward zero, negative values included.
  %f0 = arith.constant dense<[-2.7, -0.5, 0.5, 2.7, -3.0, -0.001]> : tensor<6xf32>
  %f = tensor.cast %f0 : tensor<6xf32> to tensor<?xf32>
  // CHECK: sizes = [6]
  // CHECK-NEXT: [-2, 0, 0, 2, -3, 0]
  %y3 = call @cast_f32_i32(%f) : (tensor<?xf32>) -> tensor<?xi32>
  call @print_i32(%y3) : (tensor<?xi32>) -> ()

  %nan = arith.constant 0x7FC00000 : f32
  %g0 = arith.constant dense<[[0.0, -0.0, 2.0, -1.0, 0.0, 1.0e-30]]> : tensor<1x6xf32>
  %c4 = arith.constant 4 : index
  %c0_idx = arith.constant 0 : index
  %g1 = tensor.insert %nan into %g0[%c0_idx, %c4] : tensor<1x6xf32>
  %g = tensor.cast %g1 : tensor<1x6xf32> to tensor<1x?xf32>
  // CHECK: sizes = [1, 6]
  // CHECK-NEXT: {{\[\[}}0, 0, 1, 1, 1, 1]]
  %y4 = call @cast_bool(%g) : (tensor<1x?xf32>) -> tensor<1x?xf32>
  %p4 = tensor.cast %y4 : tensor<1x?xf32> to tensor<?x?xf32>
  call @print(%p4) : (tensor<?x?xf32>) -> ()

  // 200 and 255 as uint8 (bit patterns -56 and -1 as i8).
  %u0 = arith.constant dense<[-56, 5, -1]> : tensor<3xi8>
  %u = builtin.unrealized_conversion_cast %u0 : tensor<3xi8> to tensor<3xui8>
  // CHECK: sizes = [1, 3]
  // CHECK-NEXT: {{\[\[}}200, 5, 255]]
  // CHECK: sizes = [3]
  // CHECK-NEXT: [200, 5, 255]
  %y5:2 = call @cast_u8(%u) : (tensor<3xui8>) -> (tensor<1x3xf32>, tensor<3xi64>)
  %p5 = tensor.cast %y5#0 : tensor<1x3xf32> to tensor<?x?xf32>
  call @print(%p5) : (tensor<?x?xf32>) -> ()
  %m5 = bufferization.to_buffer %y5#1 : tensor<3xi64> to memref<3xi64>
  %r5 = memref.cast %m5 : memref<3xi64> to memref<*xi64>
  call @printMemrefI64(%r5) : (memref<*xi64>) -> ()

  %ipa = arith.constant dense<[2, -3, 5, 1, -1, -1, 2, 0, 7]> : tensor<9xi32>
  %ipb = arith.constant dense<[10, 3, 0, -2, -3, -4, -1, 0, 2]> : tensor<9xi64>
  %ipc = arith.constant dense<[2, 3, -2, 4, 10]> : tensor<5xi32>
  %ipd = arith.constant dense<[0.5, 2.0, 3.0, -1.0, 1.5]> : tensor<5xf32>
  %ipe = arith.constant dense<[3, -2, 10]> : tensor<3xi64>
  %ipf = arith.constant dense<[5, 7, 18]> : tensor<3xi64>
  // CHECK: sizes = [9]
  // CHECK-NEXT: [1024, -27, 1, 1, -1, 1, 0, 1, 49]
  // CHECK: sizes = [5]
  // CHECK-NEXT: [1, 9, -8, 0, 31]
  // CHECK: sizes = [3]
  // CHECK-NEXT: [243, -128, 1000000000000000000]
  %yp:3 = call @pow_int(%ipa, %ipb, %ipc, %ipd, %ipe, %ipf)
      : (tensor<9xi32>, tensor<9xi64>, tensor<5xi32>, tensor<5xf32>, tensor<3xi64>, tensor<3xi64>)
      -> (tensor<9xi32>, tensor<5xi32>, tensor<3xi64>)
  %pp0 = tensor.cast %yp#0 : tensor<9xi32> to tensor<?xi32>
  call @print_i32(%pp0) : (tensor<?xi32>) -> ()
  %pp1 = tensor.cast %yp#1 : tensor<5xi32> to tensor<?xi32>
  call @print_i32(%pp1) : (tensor<?xi32>) -> ()
  %mp2 = bufferization.to_buffer %yp#2 : tensor<3xi64> to memref<3xi64>
  %rp2 = memref.cast %mp2 : memref<3xi64> to memref<*xi64>
  call @printMemrefI64(%rp2) : (memref<*xi64>) -> ()

  %e0 = arith.constant dense<[[0.0, 1.0, -1.0, 3.0]]> : tensor<1x4xf32>
  %e = tensor.cast %e0 : tensor<1x4xf32> to tensor<?x4xf32>
  // CHECK: sizes = [1, 4]
  // CHECK-NEXT: {{\[\[}}0.5, 0.731059, 0.268941, 0.952574]]
  // CHECK: sizes = [1, 4]
  // CHECK-NEXT: {{\[\[}}0, 0.761594, -0.761594, 0.995055]]
  // CHECK: sizes = [1, 4]
  // CHECK-NEXT: {{\[\[}}1, 2.71828, 0.367879, 20.0855]]
  %y6:3 = call @activations(%e) : (tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>)
  %p6a = tensor.cast %y6#0 : tensor<?x4xf32> to tensor<?x?xf32>
  call @print(%p6a) : (tensor<?x?xf32>) -> ()
  %p6b = tensor.cast %y6#1 : tensor<?x4xf32> to tensor<?x?xf32>
  call @print(%p6b) : (tensor<?x?xf32>) -> ()
  %p6c = tensor.cast %y6#2 : tensor<?x4xf32> to tensor<?x?xf32>
  call @print(%p6c) : (tensor<?x?xf32>) -> ()

  %q0 = arith.constant dense<[[0.25, 1.0, 2.0, 10.0]]> : tensor<1x4xf32>
  %q = tensor.cast %q0 : tensor<1x4xf32> to tensor<?x4xf32>
  // CHECK: sizes = [1, 4]
  // CHECK-NEXT: {{\[\[}}0, 0.842701, -0.842701, 0.999978]]
  // CHECK: sizes = [1, 4]
  // CHECK-NEXT: {{\[\[}}1, 0.540302, 0.540302, -0.989992]]
  // CHECK: sizes = [1, 4]
  // CHECK-NEXT: {{\[\[}}0, 0.841471, -0.841471, 0.14112]]
  // CHECK: sizes = [1, 4]
  // CHECK-NEXT: {{\[\[}}0.5, 1, 1.41421, 3.16228]]
  // CHECK: sizes = [1, 4]
  // CHECK-NEXT: {{\[\[}}-1.38629, 0, 0.693147, 2.30259]]
  // CHECK: sizes = [1, 4]
  // CHECK-NEXT: {{\[\[}}4, 1, 0.5, 0.1]]
  %ym:6 = call @math(%e, %q) : (tensor<?x4xf32>, tensor<?x4xf32>)
      -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>)
  %pm0 = tensor.cast %ym#0 : tensor<?x4xf32> to tensor<?x?xf32>
  call @print(%pm0) : (tensor<?x?xf32>) -> ()
  %pm1 = tensor.cast %ym#1 : tensor<?x4xf32> to tensor<?x?xf32>
  call @print(%pm1) : (tensor<?x?xf32>) -> ()
  %pm2 = tensor.cast %ym#2 : tensor<?x4xf32> to tensor<?x?xf32>
  call @print(%pm2) : (tensor<?x?xf32>) -> ()
  %pm3 = tensor.cast %ym#3 : tensor<?x4xf32> to tensor<?x?xf32>
  call @print(%pm3) : (tensor<?x?xf32>) -> ()
  %pm4 = tensor.cast %ym#4 : tensor<?x4xf32> to tensor<?x?xf32>
  call @print(%pm4) : (tensor<?x?xf32>) -> ()
  %pm5 = tensor.cast %ym#5 : tensor<?x4xf32> to tensor<?x?xf32>
  call @print(%pm5) : (tensor<?x?xf32>) -> ()

  // A negative base with an integer exponent keeps its sign.
  %pa = arith.constant dense<[[-2.0, 3.0, 0.5, 4.0]]> : tensor<1x4xf32>
  %pb = arith.constant dense<[3, 2, -1, 0]> : tensor<4xi64>
  // CHECK: sizes = [1, 4]
  // CHECK-NEXT: {{\[\[}}-8, 9, 2, 1]]
  %y7 = call @pow_float(%pa, %pb) : (tensor<1x4xf32>, tensor<4xi64>) -> tensor<1x4xf32>
  %p7 = tensor.cast %y7 : tensor<1x4xf32> to tensor<?x?xf32>
  call @print(%p7) : (tensor<?x?xf32>) -> ()

  %ca0 = arith.constant dense<[[-3.0, -1.0, 0.5, 2.0, 7.0]]> : tensor<1x5xf32>
  %ca = tensor.cast %ca0 : tensor<1x5xf32> to tensor<?x5xf32>
  %lo = arith.constant dense<-1.0> : tensor<f32>
  %hi = arith.constant dense<2.0> : tensor<f32>
  // CHECK: sizes = [1, 5]
  // CHECK-NEXT: {{\[\[}}-1, -1, 0.5, 2, 2]]
  %y8 = call @clip(%ca, %lo, %hi) : (tensor<?x5xf32>, tensor<f32>, tensor<f32>) -> tensor<?x5xf32>
  %p8 = tensor.cast %y8 : tensor<?x5xf32> to tensor<?x?xf32>
  call @print(%p8) : (tensor<?x?xf32>) -> ()

  %ma0 = arith.constant dense<[[1.0, 5.0, -2.0], [4.0, 0.0, 3.0]]> : tensor<2x3xf32>
  %ma = tensor.cast %ma0 : tensor<2x3xf32> to tensor<?x3xf32>
  %mb = arith.constant dense<[2.0, 2.0, 2.0]> : tensor<3xf32>
  %mc = arith.constant dense<0.5> : tensor<f32>
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[\[}}2, 5, 2],
  // CHECK-NEXT: [4, 2, 3]]
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[\[}}0.5, 0.5, -2],
  // CHECK-NEXT: [0.5, 0, 0.5]]
  %y9:2 = call @max_min(%ma, %mb, %mc) : (tensor<?x3xf32>, tensor<3xf32>, tensor<f32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
  %p9a = tensor.cast %y9#0 : tensor<?x3xf32> to tensor<?x?xf32>
  call @print(%p9a) : (tensor<?x?xf32>) -> ()
  %p9b = tensor.cast %y9#1 : tensor<?x3xf32> to tensor<?x?xf32>
  call @print(%p9b) : (tensor<?x?xf32>) -> ()

  %sb = arith.constant dense<[1.0, 0.0, 3.0]> : tensor<3xf32>
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[\[}}1, 0, -2],
  // CHECK-NEXT: [1, 0, 3]]
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[\[}}0, 1, 1],
  // CHECK-NEXT: [1, 0, 0]]
  %y10:2 = call @select(%ma, %sb) : (tensor<?x3xf32>, tensor<3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
  %p10a = tensor.cast %y10#0 : tensor<?x3xf32> to tensor<?x?xf32>
  call @print(%p10a) : (tensor<?x?xf32>) -> ()
  %p10b = tensor.cast %y10#1 : tensor<?x3xf32> to tensor<?x?xf32>
  call @print(%p10b) : (tensor<?x?xf32>) -> ()
  return
}
