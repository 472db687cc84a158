// Bad option values (init, roles, rank-pattern, ...) are rejected when the
// options are parsed: test/tools/peft-opt/pass-options.test.
// RUN: not peft-opt %s --peft-insert-lora 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: not peft-opt %s --peft-insert-lora="targets=nothing_here" 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: not peft-opt %s --peft-insert-lora="targets=q_proj rank=9 init=pissa" 2>&1 | FileCheck %s --check-prefix=PISSA
// RUN: not peft-opt %s --peft-insert-lora="targets=k_proj init=olora" 2>&1 | FileCheck %s --check-prefix=RUNTIME
// RUN: not peft-opt %s --peft-insert-lora="target-regex=q_proj( rank=2" 2>&1 | FileCheck %s --check-prefix=REGEX

// NONE: error: peft-insert-lora: no layers selected: give targets=, target-regex= or roles=
// EMPTY: error: peft-insert-lora: the selection matches no peft.linear (run peft-raise-linear first?)
// PISSA: error: rank 9 exceeds min(in, out) = 8 of layer 'l.q_proj': PiSSA takes the adapter from the weight's factors
// RUNTIME: error: the weight of layer 'l.k_proj' is not a constant (a runtime argument?): cannot fold it
// REGEX: error: peft-insert-lora: bad target-regex 'q_proj('

func.func @f(%x: tensor<?x8xf32>, %wk: tensor<8x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %w = onnx.initializer "wq" dense<0.5> : tensor<8x8xf32>
  %y = peft.linear %x, %w layout out_in role q path "l.q_proj" : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
  %k = peft.linear %x, %wk layout out_in role k path "l.k_proj" : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
  return %y, %k : tensor<?x8xf32>, tensor<?x8xf32>
}
