// peft-cpu-approximate-math: f32 erf/exp/tanh/log/log1p/expm1 become
// polynomials (arith + math.fma), scalars and vectors alike; other element
// types and other math ops stay; `ops` picks the functions.
// RUN: peft-opt %s -split-input-file --peft-cpu-approximate-math | FileCheck %s
// RUN: peft-opt %s -split-input-file --peft-cpu-approximate-math=ops=tanh | FileCheck %s --check-prefix=TANH

// CHECK-LABEL: func.func @erf(
// CHECK-SAME:      %[[X:.*]]: f32) -> f32
// CHECK-NOT:     math.erf
// CHECK:         %[[NEG:.*]] = arith.cmpf olt, %[[X]], %{{.*}} : f32
// CHECK:         %[[NX:.*]] = arith.negf %[[X]] : f32
// CHECK:         %[[AX:.*]] = arith.select %[[NEG]], %[[NX]], %[[X]] : f32
// CHECK:         math.fma %[[AX]], %{{.*}}, %{{.*}} : f32
// CHECK:         arith.divf %{{.*}}, %{{.*}} : f32
// CHECK:         %[[R:.*]] = arith.select %[[NEG]], %{{.*}}, %{{.*}} : f32
// CHECK:         return %[[R]] : f32
// TANH-LABEL:  func.func @erf(
// TANH:          %[[E:.*]] = math.erf %{{.*}} : f32
// TANH:          return %[[E]] : f32
func.func @erf(%x: f32) -> f32 {
  %y = math.erf %x : f32
  return %y : f32
}

// -----

// CHECK-LABEL: func.func @exp_vector(
// CHECK-SAME:      %[[V:.*]]: vector<8xf32>) -> vector<8xf32>
// CHECK-NOT:     math.exp
// CHECK:         math.floor %{{.*}} : vector<8xf32>
// CHECK:         math.fma %{{.*}} : vector<8xf32>
// CHECK:         arith.fptosi %{{.*}} : vector<8xf32> to vector<8xi32>
// CHECK:         arith.bitcast %{{.*}} : vector<8xi32> to vector<8xf32>
// CHECK:         return
// TANH-LABEL:  func.func @exp_vector(
// TANH:          math.exp %{{.*}} : vector<8xf32>
func.func @exp_vector(%v: vector<8xf32>) -> vector<8xf32> {
  %y = math.exp %v : vector<8xf32>
  return %y : vector<8xf32>
}

// -----

// CHECK-LABEL: func.func @tanh(
// CHECK-SAME:      %[[X:.*]]: f32) -> f32
// CHECK-NOT:     math.tanh
// CHECK:         math.absf %[[X]] : f32
// CHECK:         arith.divf
// CHECK:         return
// TANH-LABEL:  func.func @tanh(
// TANH-NOT:      math.tanh
// TANH:          return
func.func @tanh(%x: f32) -> f32 {
  %y = math.tanh %x : f32
  return %y : f32
}

// -----

// CHECK-LABEL: func.func @untouched(
// CHECK-SAME:      %[[D:.*]]: f64, %[[X:.*]]: f32)
// CHECK:         %[[E:.*]] = math.erf %[[D]] : f64
// CHECK:         %[[S:.*]] = math.sqrt %[[X]] : f32
// CHECK:         return %[[E]], %[[S]] : f64, f32
func.func @untouched(%d: f64, %x: f32) -> (f64, f32) {
  %e = math.erf %d : f64
  %s = math.sqrt %x : f32
  return %e, %s : f64, f32
}
