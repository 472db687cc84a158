// Executes peft.lowrank after lowering through peft-lower-to-llvm and checks
// the numbers against values worked out by hand:
//   x = [[1,2,3,4],[0,1,0,-1]], V = [[1,0,0,0],[0,1,1,0]],
//   U = [[1,0],[0,1],[1,1]], b = [0.5,-1,2]
//   =>  x·Vᵀ = [[1,5],[0,1]],  x·Vᵀ·Uᵀ + b = [[1.5,4,8],[0.5,0,3]].
// RUN: peft-opt %s --peft-lower-to-llvm \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}

func.func @lowrank(%x: tensor<?x?x4xf32>, %u: tensor<3x2xf32>, %v: tensor<2x4xf32>,
                   %b: tensor<3xf32>) -> tensor<?x?x3xf32> {
  %y = peft.lowrank %x, %u, %v, %b role down
         : tensor<?x?x4xf32>, tensor<3x2xf32>, tensor<2x4xf32>, tensor<3xf32> -> tensor<?x?x3xf32>
  return %y : tensor<?x?x3xf32>
}

// No bias, a single vector input: [1,5,6].
func.func @lowrank_vector(%x: tensor<4xf32>, %u: tensor<3x2xf32>, %v: tensor<2x4xf32>) -> tensor<3xf32> {
  %y = peft.lowrank %x, %u, %v role other : tensor<4xf32>, tensor<3x2xf32>, tensor<2x4xf32> -> tensor<3xf32>
  return %y : tensor<3xf32>
}

func.func @main() {
  %xs = arith.constant dense<[[[1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 0.0, -1.0]]]> : tensor<1x2x4xf32>
  %x = tensor.cast %xs : tensor<1x2x4xf32> to tensor<?x?x4xf32>
  %u = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]> : tensor<3x2xf32>
  %v = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0]]> : tensor<2x4xf32>
  %b = arith.constant dense<[0.5, -1.0, 2.0]> : tensor<3xf32>

  // CHECK: sizes = [1, 2, 3]
  // CHECK-NEXT: {{\[\[\[}}1.5, 4, 8],
  // CHECK-NEXT: [0.5, 0, 3]]]
  %y0 = call @lowrank(%x, %u, %v, %b)
      : (tensor<?x?x4xf32>, tensor<3x2xf32>, tensor<2x4xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
  %m0 = bufferization.to_buffer %y0 : tensor<?x?x3xf32> to memref<?x?x3xf32>
  %u0 = memref.cast %m0 : memref<?x?x3xf32> to memref<*xf32>
  call @printMemrefF32(%u0) : (memref<*xf32>) -> ()

  // CHECK: sizes = [3]
  // CHECK-NEXT: [1, 5, 6]
  %vx = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %y1 = call @lowrank_vector(%vx, %u, %v) : (tensor<4xf32>, tensor<3x2xf32>, tensor<2x4xf32>) -> tensor<3xf32>
  %m1 = bufferization.to_buffer %y1 : tensor<3xf32> to memref<3xf32>
  %u1 = memref.cast %m1 : memref<3xf32> to memref<*xf32>
  call @printMemrefF32(%u1) : (memref<*xf32>) -> ()
  return
}
