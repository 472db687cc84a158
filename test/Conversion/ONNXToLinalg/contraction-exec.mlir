// Runs lowered ONNX contractions and quantization ops on the CPU. Every
// expected value was computed with onnxruntime 1.32 (CPUExecutionProvider)
// on a one-node ONNX model with the same inputs and attributes (MatMulNBits
// also cross-checked with numpy dequantization), then pasted here.
// RUN: peft-opt %s --peft-lower-to-llvm \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}
func.func private @printMemrefI32(memref<*xi32>) attributes {llvm.emit_c_interface}

// [b, M, K] x [K, N]: batch rows collapsed into one linalg.matmul.
func.func @matmul_rows(%a: tensor<?x2x3xf32>, %b: tensor<3x2xf32>) -> tensor<?x2x2xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<?x2x3xf32>, tensor<3x2xf32>) -> tensor<?x2x2xf32>
  return %y : tensor<?x2x2xf32>
}

// [b, M, K] x [b, K, N]: linalg.batch_matmul.
func.func @matmul_batched(%a: tensor<?x2x3xf32>, %b: tensor<?x3x2xf32>) -> tensor<?x2x2xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<?x2x3xf32>, tensor<?x3x2xf32>) -> tensor<?x2x2xf32>
  return %y : tensor<?x2x2xf32>
}

// [M, K] x [b, K, N] and [K] x [b, K, N]: broadcast batch in a generic.
func.func @matmul_broadcast(%a: tensor<2x3xf32>, %v: tensor<3xf32>, %b: tensor<?x3x2xf32>)
    -> (tensor<?x2x2xf32>, tensor<?x2xf32>) {
  %y = "onnx.MatMul"(%a, %b) : (tensor<2x3xf32>, tensor<?x3x2xf32>) -> tensor<?x2x2xf32>
  %z = "onnx.MatMul"(%v, %b) : (tensor<3xf32>, tensor<?x3x2xf32>) -> tensor<?x2xf32>
  return %y, %z : tensor<?x2x2xf32>, tensor<?x2xf32>
}

// Gemm(transB=1) with a bias row; and transA, alpha=0.5, beta=2, C [2, 1].
func.func @gemm(%a: tensor<?x3xf32>, %at: tensor<3x?xf32>, %b: tensor<4x3xf32>,
                %c: tensor<4xf32>, %c2: tensor<2x1xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %y = "onnx.Gemm"(%a, %b, %c) <{transB = 1 : i64}>
      : (tensor<?x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %z = "onnx.Gemm"(%at, %b, %c2) <{transA = 1 : i64, transB = 1 : i64, alpha = 5.0e-01 : f32, beta = 2.0 : f32}>
      : (tensor<3x?xf32>, tensor<4x3xf32>, tensor<2x1xf32>) -> tensor<?x4xf32>
  return %y, %z : tensor<?x4xf32>, tensor<?x4xf32>
}

// Attention: scores = Q·Kᵀ, then scores·V, with a dynamic batch.
func.func @einsum_attention(%q: tensor<?x2x2x3xf32>, %k: tensor<?x2x2x3xf32>)
    -> (tensor<?x2x2x2xf32>, tensor<?x2x2x3xf32>) {
  %s = "onnx.Einsum"(%q, %k) <{equation = "bhid,bhjd->bhij"}>
      : (tensor<?x2x2x3xf32>, tensor<?x2x2x3xf32>) -> tensor<?x2x2x2xf32>
  %o = "onnx.Einsum"(%s, %q) <{equation = "bhij,bhjd->bhid"}>
      : (tensor<?x2x2x2xf32>, tensor<?x2x2x3xf32>) -> tensor<?x2x2x3xf32>
  return %s, %o : tensor<?x2x2x2xf32>, tensor<?x2x2x3xf32>
}

func.func @einsum_ellipsis(%a: tensor<?x2x3xf32>, %b: tensor<?x3x2xf32>) -> tensor<?x2x2xf32> {
  %y = "onnx.Einsum"(%a, %b) <{equation = "...ij,...jk->...ik"}>
      : (tensor<?x2x3xf32>, tensor<?x3x2xf32>) -> tensor<?x2x2xf32>
  return %y : tensor<?x2x2xf32>
}

// Diagonals: batched (an explicit output) and the trace (implicit).
func.func @einsum_diagonal(%x: tensor<?x3x3xf32>, %m: tensor<3x3xf32>) -> (tensor<?x3xf32>, tensor<f32>) {
  %y = "onnx.Einsum"(%x) <{equation = "...ii ->...i"}> : (tensor<?x3x3xf32>) -> tensor<?x3xf32>
  %t = "onnx.Einsum"(%m) <{equation = "ii"}> : (tensor<3x3xf32>) -> tensor<f32>
  return %y, %t : tensor<?x3xf32>, tensor<f32>
}

// MatMulNBits, 4 bits, block 16, K = 32, N = 3: packed zero points and bias,
// then the default zero point 8 without bias.
func.func @matmul_nbits(%a: tensor<?x1x32xf32>) -> (tensor<?x1x3xf32>, tensor<?x1x3xf32>) {
  %b = onnx.initializer "B" dense<[[[175, 234, 201, 61, 64, 212, 14, 215], [194, 113, 77, 69, 75, 127, 135, 137]], [[248, 204, 155, 245, 55, 45, 157, 1], [7, 130, 127, 236, 173, 135, 116, 54]], [[15, 49, 191, 62, 91, 7, 217, 42], [72, 239, 130, 223, 171, 176, 23, 131]]]> : tensor<3x2x8xui8>
  %s = onnx.initializer "scales" dense<[5.000000e-01, 2.500000e-01, 1.000000e+00, 1.250000e-01, 5.000000e-01, 2.000000e+00]> : tensor<6xf32>
  %zp = onnx.initializer "zp" dense<[[147], [8], [127]]> : tensor<3x1xui8>
  %bias = onnx.initializer "bias" dense<[1.000000e+00, -2.000000e+00, 5.000000e-01]> : tensor<3xf32>
  %none = onnx.none
  %y = "onnx.MatMulNBits"(%a, %b, %s, %zp, %none, %bias) <{K = 32 : i64, N = 3 : i64, bits = 4 : i64, block_size = 16 : i64}>
      : (tensor<?x1x32xf32>, tensor<3x2x8xui8>, tensor<6xf32>, tensor<3x1xui8>, none, tensor<3xf32>) -> tensor<?x1x3xf32>
  %z = "onnx.MatMulNBits"(%a, %b, %s, %none, %none, %none) <{K = 32 : i64, N = 3 : i64, bits = 4 : i64, block_size = 16 : i64}>
      : (tensor<?x1x32xf32>, tensor<3x2x8xui8>, tensor<6xf32>, none, none, none) -> tensor<?x1x3xf32>
  return %y, %z : tensor<?x1x3xf32>, tensor<?x1x3xf32>
}

// DequantizeLinear: per axis 1 (uint8 with zero points), per axis 0 (int8),
// and blocked (block_size 2 along axis 1).
func.func @dequantize() -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x4xf32>) {
  %x = onnx.initializer "x" dense<[[0, 128, 255], [10, 20, 30]]> : tensor<2x3xui8>
  %s = onnx.initializer "s" dense<[5.000000e-01, 2.500000e-01, 2.000000e+00]> : tensor<3xf32>
  %z = onnx.initializer "z" dense<[0, 128, 10]> : tensor<3xui8>
  %y0 = "onnx.DequantizeLinear"(%x, %s, %z) <{axis = 1 : i64}>
      : (tensor<2x3xui8>, tensor<3xf32>, tensor<3xui8>) -> tensor<2x3xf32>
  %xi = onnx.initializer "xi" dense<[[-128, -1, 127], [5, -6, 7]]> : tensor<2x3xi8>
  %s0 = onnx.initializer "s0" dense<[5.000000e-01, 4.000000e+00]> : tensor<2xf32>
  %none = onnx.none
  %y1 = "onnx.DequantizeLinear"(%xi, %s0, %none) <{axis = 0 : i64}>
      : (tensor<2x3xi8>, tensor<2xf32>, none) -> tensor<2x3xf32>
  %xb = onnx.initializer "xb" dense<[[1, 2, 3, 4], [5, 6, 7, 8]]> : tensor<2x4xi8>
  %sb = onnx.initializer "sb" dense<[[1.000000e+00, 5.000000e-01], [2.000000e+00, 2.500000e-01]]> : tensor<2x2xf32>
  %zb = onnx.initializer "zb" dense<[[1, 2], [0, 8]]> : tensor<2x2xi8>
  %y2 = "onnx.DequantizeLinear"(%xb, %sb, %zb) <{axis = 1 : i64, block_size = 2 : i64}>
      : (tensor<2x4xi8>, tensor<2x2xf32>, tensor<2x2xi8>) -> tensor<2x4xf32>
  return %y0, %y1, %y2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x4xf32>
}

// QuantizeLinear (int8, and uint8 with scale 0.5, zero point 100), read back
// through DequantizeLinear with scale 1 so the integers print as floats.
func.func @quantize(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %one = onnx.initializer "one" dense<1.000000e+00> : tensor<f32>
  %half = onnx.initializer "half" dense<5.000000e-01> : tensor<f32>
  %z8 = onnx.initializer "z8" dense<0> : tensor<i8>
  %zu8 = onnx.initializer "zu8" dense<100> : tensor<ui8>
  %none = onnx.none
  %q0 = "onnx.QuantizeLinear"(%x, %one, %z8) : (tensor<?xf32>, tensor<f32>, tensor<i8>) -> tensor<?xi8>
  %q1 = "onnx.QuantizeLinear"(%x, %half, %zu8) : (tensor<?xf32>, tensor<f32>, tensor<ui8>) -> tensor<?xui8>
  %y0 = "onnx.DequantizeLinear"(%q0, %one, %none) : (tensor<?xi8>, tensor<f32>, none) -> tensor<?xf32>
  %y1 = "onnx.DequantizeLinear"(%q1, %one, %none) : (tensor<?xui8>, tensor<f32>, none) -> tensor<?xf32>
  return %y0, %y1 : tensor<?xf32>, tensor<?xf32>
}

// DynamicQuantizeLinear: y and the zero point read back as floats, the scale
// and the reconstruction (y - zp) * scale.
func.func @dynamic_quantize(%x: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<f32>, tensor<f32>, tensor<?x2xf32>) {
  %y, %s, %z = "onnx.DynamicQuantizeLinear"(%x) : (tensor<?x2xf32>) -> (tensor<?x2xui8>, tensor<f32>, tensor<ui8>)
  %one = onnx.initializer "one" dense<1.000000e+00> : tensor<f32>
  %none = onnx.none
  %yf = "onnx.DequantizeLinear"(%y, %one, %none) : (tensor<?x2xui8>, tensor<f32>, none) -> tensor<?x2xf32>
  %zf = "onnx.DequantizeLinear"(%z, %one, %none) : (tensor<ui8>, tensor<f32>, none) -> tensor<f32>
  %r = "onnx.DequantizeLinear"(%y, %s, %z) : (tensor<?x2xui8>, tensor<f32>, tensor<ui8>) -> tensor<?x2xf32>
  return %yf, %s, %zf, %r : tensor<?x2xf32>, tensor<f32>, tensor<f32>, tensor<?x2xf32>
}

// MatMulInteger: uint8 A (zero point 128) x int8 B (zero point -1) -> int32.
func.func @matmul_integer() -> tensor<2x2xi32> {
  %a = onnx.initializer "a" dense<[[1, 200, 3], [255, 0, 128]]> : tensor<2x3xui8>
  %b = onnx.initializer "b" dense<[[1, -1], [2, -128], [127, 3]]> : tensor<3x2xi8>
  %az = onnx.initializer "az" dense<128> : tensor<ui8>
  %bz = onnx.initializer "bz" dense<-1> : tensor<i8>
  %y = "onnx.MatMulInteger"(%a, %b, %az, %bz) : (tensor<2x3xui8>, tensor<3x2xi8>, tensor<ui8>, tensor<i8>) -> tensor<2x2xi32>
  return %y : tensor<2x2xi32>
}

func.func @print3(%t: tensor<?x?x?xf32>) {
  %m = bufferization.to_buffer %t : tensor<?x?x?xf32> to memref<?x?x?xf32>
  %u = memref.cast %m : memref<?x?x?xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @print2(%t: tensor<?x?xf32>) {
  %m = bufferization.to_buffer %t : tensor<?x?xf32> to memref<?x?xf32>
  %u = memref.cast %m : memref<?x?xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @print1(%t: tensor<?xf32>) {
  %m = bufferization.to_buffer %t : tensor<?xf32> to memref<?xf32>
  %u = memref.cast %m : memref<?xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @print4(%t: tensor<?x2x2x?xf32>) {
  %m = bufferization.to_buffer %t : tensor<?x2x2x?xf32> to memref<?x2x2x?xf32>
  %u = memref.cast %m : memref<?x2x2x?xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @main() {
  %a0 = arith.constant dense<[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[-1.0, 0.0, 2.0], [3.0, -2.0, 1.0]]]> : tensor<2x2x3xf32>
  %a = tensor.cast %a0 : tensor<2x2x3xf32> to tensor<?x2x3xf32>
  %b = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]]> : tensor<3x2xf32>
  %b20 = arith.constant dense<[[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[2.0, 0.0], [0.0, 2.0], [-1.0, 1.0]]]> : tensor<2x3x2xf32>
  %b2 = tensor.cast %b20 : tensor<2x3x2xf32> to tensor<?x3x2xf32>

  // CHECK: sizes = [2, 2, 2]
  // CHECK-NEXT: {{\[\[\[}}7, -1],
  // CHECK-NEXT: [16, -1]],
  // CHECK-NEXT: {{\[\[}}3, -2],
  // CHECK-NEXT: [5, -3]]]
  %y0 = call @matmul_rows(%a, %b) : (tensor<?x2x3xf32>, tensor<3x2xf32>) -> tensor<?x2x2xf32>
  %p0 = tensor.cast %y0 : tensor<?x2x2xf32> to tensor<?x?x?xf32>
  call @print3(%p0) : (tensor<?x?x?xf32>) -> ()

  // CHECK: sizes = [2, 2, 2]
  // CHECK-NEXT: {{\[\[\[}}4, 5],
  // CHECK-NEXT: [10, 11]],
  // CHECK-NEXT: {{\[\[}}-4, 2],
  // CHECK-NEXT: [5, -3]]]
  %y1 = call @matmul_batched(%a, %b2) : (tensor<?x2x3xf32>, tensor<?x3x2xf32>) -> tensor<?x2x2xf32>
  %p1 = tensor.cast %y1 : tensor<?x2x2xf32> to tensor<?x?x?xf32>
  call @print3(%p1) : (tensor<?x?x?xf32>) -> ()

  // CHECK: sizes = [2, 2, 2]
  // CHECK-NEXT: {{\[\[\[}}4, 5],
  // CHECK-NEXT: [-1, 0]],
  // CHECK-NEXT: {{\[\[}}-1, 7],
  // CHECK-NEXT: [1, 1]]]
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[\[}}3, 1],
  // CHECK-NEXT: [0, 0]]
  %m2 = arith.constant dense<[[1.0, 2.0, 3.0], [0.0, 1.0, -1.0]]> : tensor<2x3xf32>
  %v = arith.constant dense<[1.0, -1.0, 2.0]> : tensor<3xf32>
  %y2:2 = call @matmul_broadcast(%m2, %v, %b2) : (tensor<2x3xf32>, tensor<3xf32>, tensor<?x3x2xf32>) -> (tensor<?x2x2xf32>, tensor<?x2xf32>)
  %p2 = tensor.cast %y2#0 : tensor<?x2x2xf32> to tensor<?x?x?xf32>
  call @print3(%p2) : (tensor<?x?x?xf32>) -> ()
  %p3 = tensor.cast %y2#1 : tensor<?x2xf32> to tensor<?x?xf32>
  call @print2(%p3) : (tensor<?x?xf32>) -> ()

  // CHECK: sizes = [2, 4]
  // CHECK-NEXT: {{\[\[}}11, 22, 33, 46],
  // CHECK-NEXT: [14, 25, 36, 55]]
  // CHECK: sizes = [2, 4]
  // CHECK-NEXT: {{\[\[}}2.5, 3, 3.5, 5],
  // CHECK-NEXT: [6, 6.5, 7, 11.5]]
  %ga0 = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %ga = tensor.cast %ga0 : tensor<2x3xf32> to tensor<?x3xf32>
  %gat0 = arith.constant dense<[[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]> : tensor<3x2xf32>
  %gat = tensor.cast %gat0 : tensor<3x2xf32> to tensor<3x?xf32>
  %gb = arith.constant dense<[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]]> : tensor<4x3xf32>
  %gc = arith.constant dense<[10.0, 20.0, 30.0, 40.0]> : tensor<4xf32>
  %gc2 = arith.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %g:2 = call @gemm(%ga, %gat, %gb, %gc, %gc2) : (tensor<?x3xf32>, tensor<3x?xf32>, tensor<4x3xf32>, tensor<4xf32>, tensor<2x1xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>)
  %p4 = tensor.cast %g#0 : tensor<?x4xf32> to tensor<?x?xf32>
  call @print2(%p4) : (tensor<?x?xf32>) -> ()
  %p5 = tensor.cast %g#1 : tensor<?x4xf32> to tensor<?x?xf32>
  call @print2(%p5) : (tensor<?x?xf32>) -> ()

  // Q = (arange(24) % 5 - 2), K = (arange(24) % 3 - 1), shaped [2, 2, 2, 3].
  // CHECK: sizes = [2, 2, 2, 2]
  // CHECK-NEXT: {{\[\[\[\[}}2, 2],
  // CHECK-NEXT: [-3, -3]],
  // CHECK-NEXT: {{\[\[}}2, 2],
  // CHECK-NEXT: [-3, -3]]],
  // CHECK-NEXT: {{\[\[\[}}2, 2],
  // CHECK-NEXT: [2, 2]],
  // CHECK-NEXT: {{\[\[}}-3, -3],
  // CHECK-NEXT: [2, 2]]]]
  // CHECK: sizes = [2, 2, 2, 3]
  // CHECK-NEXT: {{\[\[\[\[}}-2, 2, -4],
  // CHECK-NEXT: [3, -3, 6]],
  // CHECK-NEXT: {{\[\[}}2, -4, 0],
  // CHECK-NEXT: [-3, 6, 0]]],
  // CHECK-NEXT: {{\[\[\[}}-4, 0, 4],
  // CHECK-NEXT: [-4, 0, 4]],
  // CHECK-NEXT: {{\[\[}}0, -6, 3],
  // CHECK-NEXT: [0, 4, -2]]]]
  %q0 = arith.constant dense<[[[[-2.0, -1.0, 0.0], [1.0, 2.0, -2.0]], [[-1.0, 0.0, 1.0], [2.0, -2.0, -1.0]]], [[[0.0, 1.0, 2.0], [-2.0, -1.0, 0.0]], [[1.0, 2.0, -2.0], [-1.0, 0.0, 1.0]]]]> : tensor<2x2x2x3xf32>
  %k0 = arith.constant dense<[[[[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]], [[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]]], [[[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]], [[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]]]]> : tensor<2x2x2x3xf32>
  %q = tensor.cast %q0 : tensor<2x2x2x3xf32> to tensor<?x2x2x3xf32>
  %k = tensor.cast %k0 : tensor<2x2x2x3xf32> to tensor<?x2x2x3xf32>
  %e:2 = call @einsum_attention(%q, %k) : (tensor<?x2x2x3xf32>, tensor<?x2x2x3xf32>) -> (tensor<?x2x2x2xf32>, tensor<?x2x2x3xf32>)
  %p6 = tensor.cast %e#0 : tensor<?x2x2x2xf32> to tensor<?x2x2x?xf32>
  call @print4(%p6) : (tensor<?x2x2x?xf32>) -> ()
  %p7 = tensor.cast %e#1 : tensor<?x2x2x3xf32> to tensor<?x2x2x?xf32>
  call @print4(%p7) : (tensor<?x2x2x?xf32>) -> ()

  // Same numbers as matmul_batched.
  // CHECK: sizes = [2, 2, 2]
  // CHECK-NEXT: {{\[\[\[}}4, 5],
  // CHECK-NEXT: [10, 11]],
  // CHECK-NEXT: {{\[\[}}-4, 2],
  // CHECK-NEXT: [5, -3]]]
  %y8 = call @einsum_ellipsis(%a, %b2) : (tensor<?x2x3xf32>, tensor<?x3x2xf32>) -> tensor<?x2x2xf32>
  %p8 = tensor.cast %y8 : tensor<?x2x2xf32> to tensor<?x?x?xf32>
  call @print3(%p8) : (tensor<?x?x?xf32>) -> ()

  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[\[}}-5, -1, 3],
  // CHECK-NEXT: [4, 8, 12]]
  // CHECK: sizes = []
  // CHECK-NEXT: [-3]
  %ex0 = arith.constant dense<[[[-5.0, -4.0, -3.0], [-2.0, -1.0, 0.0], [1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [10.0, 11.0, 12.0]]]> : tensor<2x3x3xf32>
  %ex = tensor.cast %ex0 : tensor<2x3x3xf32> to tensor<?x3x3xf32>
  %em = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, -9.0]]> : tensor<3x3xf32>
  %eg:2 = call @einsum_diagonal(%ex, %em) : (tensor<?x3x3xf32>, tensor<3x3xf32>) -> (tensor<?x3xf32>, tensor<f32>)
  %pd0 = tensor.cast %eg#0 : tensor<?x3xf32> to tensor<?x?xf32>
  call @print2(%pd0) : (tensor<?x?xf32>) -> ()
  %md1 = bufferization.to_buffer %eg#1 : tensor<f32> to memref<f32>
  %ud1 = memref.cast %md1 : memref<f32> to memref<*xf32>
  call @printMemrefF32(%ud1) : (memref<*xf32>) -> ()

  // CHECK: sizes = [2, 1, 3]
  // CHECK-NEXT: {{\[\[\[}}29.25, 90.25, -66.5]],
  // CHECK-NEXT: {{\[\[}}-49.25, -12, 88.5]]]
  // CHECK: sizes = [2, 1, 3]
  // CHECK-NEXT: {{\[\[\[}}35, 85.25, -88]],
  // CHECK-NEXT: {{\[\[}}-20.75, -18, 33.5]]]
  %na0 = arith.constant dense<[[[2.0, 0.0, 1.0, 3.0, 1.0, -1.0, 1.0, 1.0, -3.0, -3.0, 1.0, -1.0, 1.0, -1.0, -2.0, -2.0, -1.0, 2.0, -1.0, -1.0, 1.0, 3.0, -1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 3.0, -2.0]], [[0.0, 0.0, -1.0, -2.0, -3.0, -1.0, 2.0, -3.0, -1.0, 3.0, 3.0, -2.0, -3.0, 1.0, -3.0, -1.0, 0.0, 3.0, -3.0, 1.0, 0.0, -3.0, 2.0, 2.0, 0.0, 3.0, 1.0, 3.0, 3.0, 0.0, -2.0, -2.0]]]> : tensor<2x1x32xf32>
  %na = tensor.cast %na0 : tensor<2x1x32xf32> to tensor<?x1x32xf32>
  %n:2 = call @matmul_nbits(%na) : (tensor<?x1x32xf32>) -> (tensor<?x1x3xf32>, tensor<?x1x3xf32>)
  %p9 = tensor.cast %n#0 : tensor<?x1x3xf32> to tensor<?x?x?xf32>
  call @print3(%p9) : (tensor<?x?x?xf32>) -> ()
  %p10 = tensor.cast %n#1 : tensor<?x1x3xf32> to tensor<?x?x?xf32>
  call @print3(%p10) : (tensor<?x?x?xf32>) -> ()

  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[\[}}0, 0, 490],
  // CHECK-NEXT: [5, -27, 40]]
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[\[}}-64, -0.5, 63.5],
  // CHECK-NEXT: [20, -24, 28]]
  // CHECK: sizes = [2, 4]
  // CHECK-NEXT: {{\[\[}}0, 1, 0.5, 1],
  // CHECK-NEXT: [10, 12, -0.25, 0]]
  %d:3 = call @dequantize() : () -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x4xf32>)
  %p11 = tensor.cast %d#0 : tensor<2x3xf32> to tensor<?x?xf32>
  call @print2(%p11) : (tensor<?x?xf32>) -> ()
  %p12 = tensor.cast %d#1 : tensor<2x3xf32> to tensor<?x?xf32>
  call @print2(%p12) : (tensor<?x?xf32>) -> ()
  %p13 = tensor.cast %d#2 : tensor<2x4xf32> to tensor<?x?xf32>
  call @print2(%p13) : (tensor<?x?xf32>) -> ()

  // Round half to even, then saturate.
  // CHECK: sizes = [8]
  // CHECK-NEXT: [0, 2, 2, 0, -2, 127, -128, 3]
  // CHECK: sizes = [8]
  // CHECK-NEXT: [101, 103, 105, 99, 97, 255, 0, 107]
  %qx0 = arith.constant dense<[0.5, 1.5, 2.5, -0.5, -1.5, 300.0, -300.0, 3.49]> : tensor<8xf32>
  %qx = tensor.cast %qx0 : tensor<8xf32> to tensor<?xf32>
  %qq:2 = call @quantize(%qx) : (tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>)
  call @print1(%qq#0) : (tensor<?xf32>) -> ()
  call @print1(%qq#1) : (tensor<?xf32>) -> ()

  // x = [[-1, 0.5], [2, 3.1]]: y = [[0, 93], [186, 255]], scale 4.1 / 255,
  // zero point 62.
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[\[}}0, 93],
  // CHECK-NEXT: [186, 255]]
  // CHECK: sizes = []
  // CHECK-NEXT: [0.0160784]
  // CHECK: sizes = []
  // CHECK-NEXT: [62]
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[\[}}-0.996863, 0.498431],
  // CHECK-NEXT: [1.99373, 3.10314]]
  %dx0 = arith.constant dense<[[-1.0, 0.5], [2.0, 3.1]]> : tensor<2x2xf32>
  %dx = tensor.cast %dx0 : tensor<2x2xf32> to tensor<?x2xf32>
  %dq:4 = call @dynamic_quantize(%dx) : (tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<f32>, tensor<f32>, tensor<?x2xf32>)
  %p14 = tensor.cast %dq#0 : tensor<?x2xf32> to tensor<?x?xf32>
  call @print2(%p14) : (tensor<?x?xf32>) -> ()
  %m15 = bufferization.to_buffer %dq#1 : tensor<f32> to memref<f32>
  %u15 = memref.cast %m15 : memref<f32> to memref<*xf32>
  call @printMemrefF32(%u15) : (memref<*xf32>) -> ()
  %m16 = bufferization.to_buffer %dq#2 : tensor<f32> to memref<f32>
  %u16 = memref.cast %m16 : memref<f32> to memref<*xf32>
  call @printMemrefF32(%u16) : (memref<*xf32>) -> ()
  %p17 = tensor.cast %dq#3 : tensor<?x2xf32> to tensor<?x?xf32>
  call @print2(%p17) : (tensor<?x?xf32>) -> ()

  // All zeros: scale 1, zero point 0.
  // CHECK: sizes = []
  // CHECK-NEXT: [1]
  // CHECK: sizes = []
  // CHECK-NEXT: [0]
  %zx0 = arith.constant dense<0.0> : tensor<1x2xf32>
  %zx = tensor.cast %zx0 : tensor<1x2xf32> to tensor<?x2xf32>
  %zq:4 = call @dynamic_quantize(%zx) : (tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<f32>, tensor<f32>, tensor<?x2xf32>)
  %m18 = bufferization.to_buffer %zq#1 : tensor<f32> to memref<f32>
  %u18 = memref.cast %m18 : memref<f32> to memref<*xf32>
  call @printMemrefF32(%u18) : (memref<*xf32>) -> ()
  %m19 = bufferization.to_buffer %zq#2 : tensor<f32> to memref<f32>
  %u19 = memref.cast %m19 : memref<f32> to memref<*xf32>
  call @printMemrefF32(%u19) : (memref<*xf32>) -> ()

  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[\[}}-16038, -9644],
  // CHECK-NEXT: [-130, 16256]]
  %mi = call @matmul_integer() : () -> tensor<2x2xi32>
  %m20 = bufferization.to_buffer %mi : tensor<2x2xi32> to memref<2x2xi32>
  %u20 = memref.cast %m20 : memref<2x2xi32> to memref<*xi32>
  call @printMemrefI32(%u20) : (memref<*xi32>) -> ()
  return
}
