// RUN: not peft-opt %s --peft-quantize-weights=bits=5 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not peft-opt %s --peft-quantize-weights="granularity=group group-size=0" 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not peft-opt %s --peft-quantize-weights 2>&1 | FileCheck %s --check-prefix=HEAD
// RUN: not peft-opt %s --peft-quantize-weights=granularity=rows 2>&1 | FileCheck %s --check-prefix=ENUM
// RUN: not peft-opt %s --peft-quantize-weights="targets=l.q report=%t/missing/dir/r.txt" 2>&1 | FileCheck %s --check-prefix=REPORT

// BITS: error: peft-quantize-weights: bits must be 2, 3, 4 or 8, got 5
// GROUP: error: peft-quantize-weights: group-size must be >= 1, got 0
// HEAD: error: peft-quantize-weights: the selection matches no linear layer with a float weight (run peft-raise-linear first? without targets= the model's output head is left out)
// ENUM: for the --granularity option: Cannot find option named 'rows'!
// REPORT: error: peft-quantize-weights: {{.*}}r.txt

func.func @head(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %w = onnx.initializer "l.q.weight" dense<1.0> : tensor<2x4xf32>
  %y = peft.linear %x, %w layout out_in role q path "l.q" : tensor<?x4xf32>, tensor<2x4xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
