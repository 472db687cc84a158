// peft-cpu-runtime-errors: each cf.assert of a host function becomes a call
// of @peft_runtime_error(id) when its condition is false, numbered in order;
// the module attribute keeps each number's message and location. Kernels of
// a gpu.module are left alone. (Executed: lora-bank-exec.test, where a
// batch that does not split into task groups is an error of the call.)
// RUN: peft-opt %s -split-input-file -verify-diagnostics --peft-cpu-runtime-errors | FileCheck %s

// CHECK:       #[[L0:.*]] = loc("check_nm")
// CHECK:       #[[L1:.*]] = loc("check_k")
// CHECK:       module attributes {peft.runtime_errors = {{\[\[}}"n and m differ", #[[L0]]], ["k is zero", #[[L1]]]]}
// CHECK-LABEL: func.func @f(
// CHECK-SAME:      %[[N:.*]]: index, %[[M:.*]]: index, %[[K:.*]]: index)
// CHECK:         %[[OK:.*]] = arith.cmpi eq, %[[N]], %[[M]]
// CHECK:         %[[FAILED:.*]] = arith.xori %[[OK]], %true
// CHECK:         scf.if %[[FAILED]] {
// CHECK:           %[[ID0:.*]] = arith.constant 0 : i64
// CHECK:           func.call @peft_runtime_error(%[[ID0]]) : (i64) -> ()
// CHECK:         }
// CHECK:         scf.for
// CHECK:           scf.if
// CHECK:             %[[ID1:.*]] = arith.constant 1 : i64
// CHECK:             func.call @peft_runtime_error(%[[ID1]])
// CHECK-NOT:     cf.assert
// CHECK:       func.func private @peft_runtime_error(i64)
func.func @f(%n: index, %m: index, %k: index) {
  %ok = arith.cmpi eq, %n, %m : index
  cf.assert %ok, "n and m differ" loc("check_nm")
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %nz = arith.cmpi ne, %k, %c0 : index
    cf.assert %nz, "k is zero" loc("check_k")
  }
  return
}

// -----

// No check: the module is unchanged (no declaration, no attribute).
// CHECK-LABEL: module {
// CHECK-NOT:   peft_runtime_error
func.func @g() {
  return
}

// -----

// A kernel's cf.assert stays (device code has no runtime to call).
// CHECK-LABEL: gpu.module @kernels
// CHECK:         cf.assert
// CHECK-NOT:   peft.runtime_errors
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%ok: i1) kernel {
      cf.assert %ok, "device check"
      gpu.return
    }
  }
}

// -----

// The handler's name is reserved.
func.func @h(%ok: i1) {
  cf.assert %ok, "check"
  return
}
// expected-error @+1 {{@peft_runtime_error is reserved for the runtime's error handler, a declaration of type '(i64) -> ()'}}
func.func private @peft_runtime_error(i32)
