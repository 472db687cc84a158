// peft-cpu-mark-entry-points: public definitions get the C interface and
// read-only tensor arguments; private functions and declarations do not.
// RUN: peft-opt %s -split-input-file --peft-cpu-mark-entry-points | FileCheck %s

// CHECK-LABEL: func.func @main(
// CHECK-SAME:      %[[X:.*]]: tensor<4xf32> {bufferization.writable = false},
// CHECK-SAME:      %[[N:[^:]*]]: index,
// CHECK-SAME:      %[[M:[^:]*]]: memref<4xf32>) -> tensor<4xf32>
// CHECK-SAME:      attributes {llvm.emit_c_interface}
// CHECK:         return %[[X]] : tensor<4xf32>
func.func @main(%x: tensor<4xf32>, %n: index, %m: memref<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func private @helper(
// CHECK-SAME:      %{{.*}}: tensor<4xf32>) -> tensor<4xf32> {
// CHECK-NOT:     llvm.emit_c_interface
// CHECK:       func.func private @declared(tensor<4xf32>) -> tensor<4xf32>{{$}}
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func private @declared(%x: tensor<4xf32>) -> tensor<4xf32>
