// RUN: peft-opt %s --onnx-cleanup=max-fold-elements=-1 -verify-diagnostics

// expected-error@+1 {{onnx-cleanup: max-fold-elements must be >= 0}}
func.func @negative_limit() {
  return
}
