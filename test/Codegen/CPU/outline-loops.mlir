// peft-cpu-outline-loops: each top-level loop of a function with at least
// min-loops of them moves into a private no-inline function; constants are
// cloned in, other captured values become arguments, results come back.
// RUN: peft-opt %s -split-input-file --peft-cpu-outline-loops | FileCheck %s
// RUN: peft-opt %s -split-input-file --peft-cpu-outline-loops=min-loops=3 | FileCheck %s --check-prefix=MIN3

// CHECK-LABEL: func.func @f(
// CHECK-SAME:      %[[X:.*]]: memref<8xf32>, %[[Y:.*]]: memref<8xf32>, %[[INIT:.*]]: f32) -> f32
// CHECK:         call @f_loop0(%[[X]], %[[Y]]) : (memref<8xf32>, memref<8xf32>) -> ()
// CHECK:         %[[SUM:.*]] = call @f_loop1(%[[Y]], %[[INIT]]) : (memref<8xf32>, f32) -> f32
// CHECK:         return %[[SUM]] : f32
// CHECK:       func.func private @f_loop1(%[[Y1:.*]]: memref<8xf32>, %[[I:.*]]: f32) -> f32
// CHECK-SAME:      attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK:         %[[R:.*]] = scf.for %{{.*}} = %[[C0]] to %[[C8]] step %[[C1]] iter_args(%{{.*}} = %[[I]]) -> (f32)
// CHECK:           memref.load %[[Y1]]
// CHECK:         return %[[R]] : f32
// CHECK:       func.func private @f_loop0(%[[X0:.*]]: memref<8xf32>, %[[Y0:.*]]: memref<8xf32>)
// CHECK-SAME:      attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK:         %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK:         scf.for
// CHECK:           %[[V:.*]] = memref.load %[[X0]]
// CHECK:           %[[W:.*]] = arith.mulf %[[V]], %[[TWO]] : f32
// CHECK:           memref.store %[[W]], %[[Y0]]
// CHECK:         return{{$}}
// MIN3-LABEL:  func.func @f(
// MIN3-NOT:      call
// MIN3:          scf.for
// MIN3:          scf.for
// MIN3-NOT:    func.func private
func.func @f(%x: memref<8xf32>, %y: memref<8xf32>, %init: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %x[%i] : memref<8xf32>
    %w = arith.mulf %v, %two : f32
    memref.store %w, %y[%i] : memref<8xf32>
  }
  %sum = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %init) -> (f32) {
    %v = memref.load %y[%i] : memref<8xf32>
    %a = arith.addf %acc, %v : f32
    scf.yield %a : f32
  }
  return %sum : f32
}

// -----

// One loop is left in place; names already taken get a suffix; scf.parallel
// counts as a loop.
// CHECK-LABEL: func.func @one(
// CHECK:         scf.for
// CHECK-NOT:     call
// CHECK:       func.func @g_loop0()
// CHECK-LABEL: func.func @g(
// CHECK:         call @g_loop0_(
// CHECK:         call @g_loop1(
// CHECK:       func.func private @g_loop1(
// CHECK:         scf.parallel
// CHECK:       func.func private @g_loop0_(
// CHECK:         scf.for
func.func @one(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %z = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %z, %x[%i] : memref<8xf32>
  }
  return
}
func.func @g_loop0() {
  return
}
func.func @g(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %z = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %z, %x[%i] : memref<8xf32>
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %z, %x[%i] : memref<8xf32>
  }
  return
}
