// Executes peft.linear after lowering through peft-lower-to-llvm and checks
// the numbers against values worked out by hand:
//   x = [[1,2,3,4],[0,1,0,-1]], W = [[1,0,0,0],[0,1,1,0],[1,1,1,1]],
//   b = [0.5,-1,2]  =>  x·Wᵀ + b = [[1.5,4,12],[0.5,0,2]].
// RUN: peft-opt %s --peft-lower-to-llvm \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}

func.func @print(%t: tensor<?x?x3xf32>) {
  %m = bufferization.to_buffer %t : tensor<?x?x3xf32> to memref<?x?x3xf32>
  %u = memref.cast %m : memref<?x?x3xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

// Dynamic batch and sequence, PyTorch layout.
func.func @linear_out_in(%x: tensor<?x?x4xf32>, %w: tensor<3x4xf32>,
                         %b: tensor<3xf32>) -> tensor<?x?x3xf32> {
  %y = peft.linear %x, %w, %b layout out_in role q
         : tensor<?x?x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<?x?x3xf32>
  return %y : tensor<?x?x3xf32>
}

// The same layer with the weight stored pre-transposed, as ONNX exports it.
func.func @linear_in_out(%x: tensor<?x?x4xf32>, %wt: tensor<4x3xf32>,
                         %b: tensor<3xf32>) -> tensor<?x?x3xf32> {
  %y = peft.linear %x, %wt, %b layout in_out role q
         : tensor<?x?x4xf32>, tensor<4x3xf32>, tensor<3xf32> -> tensor<?x?x3xf32>
  return %y : tensor<?x?x3xf32>
}

// No bias, a single vector input.
func.func @linear_vector(%x: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<3xf32> {
  %y = peft.linear %x, %w layout out_in role other
         : tensor<4xf32>, tensor<3x4xf32> -> tensor<3xf32>
  return %y : tensor<3xf32>
}

func.func @main() {
  %xs = arith.constant dense<[[[1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 0.0, -1.0]]]> : tensor<1x2x4xf32>
  %x = tensor.cast %xs : tensor<1x2x4xf32> to tensor<?x?x4xf32>
  %w = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]]> : tensor<3x4xf32>
  %wt = arith.constant dense<[[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]> : tensor<4x3xf32>
  %b = arith.constant dense<[0.5, -1.0, 2.0]> : tensor<3xf32>

  // CHECK: sizes = [1, 2, 3]
  // CHECK-NEXT: {{\[\[\[}}1.5, 4, 12],
  // CHECK-NEXT: [0.5, 0, 2]]]
  %y0 = call @linear_out_in(%x, %w, %b)
      : (tensor<?x?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
  call @print(%y0) : (tensor<?x?x3xf32>) -> ()

  // CHECK: sizes = [1, 2, 3]
  // CHECK-NEXT: {{\[\[\[}}1.5, 4, 12],
  // CHECK-NEXT: [0.5, 0, 2]]]
  %y1 = call @linear_in_out(%x, %wt, %b)
      : (tensor<?x?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
  call @print(%y1) : (tensor<?x?x3xf32>) -> ()

  // x·Wᵀ without bias = [1, 5, 10].
  // CHECK: sizes = [3]
  // CHECK-NEXT: [1, 5, 10]
  %v = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %y2 = call @linear_vector(%v, %w) : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<3xf32>
  %m = bufferization.to_buffer %y2 : tensor<3xf32> to memref<3xf32>
  %u = memref.cast %m : memref<3xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}
