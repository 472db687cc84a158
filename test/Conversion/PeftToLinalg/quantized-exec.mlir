// Executes peft.qlinear after lowering through peft-lower-to-llvm and checks
// the numbers against values worked out by hand:
//   q = [[7, -4, 0, 2], [-7, 0, 2, 6]] (int4), scales [1, 0.5] per row, so
//   Ŵ = [[7, -4, 0, 2], [-3.5, 0, 1, 3]]; x = [[1, 2, 3, 4], [0, 1, 0, -1]],
//   b = [0.5, -1]  =>  x·Ŵᵀ + b = [[7.5, 10.5], [-5.5, -4]].
// And an int3 layer with groups and zero points, below.
// RUN: peft-opt %s --peft-lower-to-llvm \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}

func.func @print(%t: tensor<2x2xf32>) {
  %m = bufferization.to_buffer %t : tensor<2x2xf32> to memref<2x2xf32>
  %u = memref.cast %m : memref<2x2xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @int4(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %q = arith.constant dense_resource<q4> : tensor<2x4xi4>
  %s = arith.constant dense<[[1.0], [0.5]]> : tensor<2x1xf32>
  %b = arith.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %y = peft.qlinear %x, %q scales %s bias %b : tensor<2xf32> role q : tensor<2x4xf32>, tensor<2x4xi4>, tensor<2x1xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// int3, groups of two, zero points: q = [[3, -4, 0, 2], [-3, 0, 2, 1]],
// z = [[1, -1], [0, 2]], s = [[1, 0.5], [2, 1]]:
//   Ŵ = [[2, -5, 0.5, 1.5], [-6, 0, 0, -1]];
//   x·Ŵᵀ = [[2 - 10 + 1.5 + 6, -6 + 0 + 0 - 4], [-5 - 1.5, 0 + 1]]
//        = [[-0.5, -10], [-6.5, 1]].
// Packed 3-bit little-endian stream of [3, -4, 0, 2, -3, 0, 2, 1]:
//   bits 011 100 000 010 101 000 010 001 -> bytes 0x23, 0x54, 0x28.
// Zero points [1, -1, 0, 2]: 001 111 000 010 -> 0x39, 0x04.
func.func @int3_groups_zero_points(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %q = arith.constant dense_resource<q3> : tensor<2x4xi3>
  %z = arith.constant dense_resource<z3> : tensor<2x2xi3>
  %s = arith.constant dense<[[1.0, 0.5], [2.0, 1.0]]> : tensor<2x2xf32>
  %y = peft.qlinear %x, %q scales %s zero_points %z : tensor<2x2xi3> group_size 2 role q : tensor<2x4xf32>, tensor<2x4xi3>, tensor<2x2xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

func.func @main() {
  %x = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 0.0, -1.0]]> : tensor<2x4xf32>
  %a = call @int4(%x) : (tensor<2x4xf32>) -> tensor<2x2xf32>
  // CHECK: [7.5,   10.5]
  // CHECK: [-5.5,   -4]
  call @print(%a) : (tensor<2x2xf32>) -> ()
  %b = call @int3_groups_zero_points(%x) : (tensor<2x4xf32>) -> tensor<2x2xf32>
  // CHECK: [-0.5,   -10]
  // CHECK: [-6.5,   1]
  call @print(%b) : (tensor<2x2xf32>) -> ()
  return
}

{-#
  dialect_resources: {
    builtin: {
      q4: "0x01000000C7200962",
      q3: "0x01000000235428",
      z3: "0x010000003904"
    }
  }
#-}
