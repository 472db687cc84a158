// RUN: peft-opt %s -split-input-file --peft-merge-lora-quantized=report=none | FileCheck %s
// RUN: peft-opt %s -split-input-file --peft-merge-lora-quantized -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: peft-opt %s -split-input-file --peft-merge-lora-quantized="adapters=other report=none" | FileCheck %s --check-prefix=OTHER

// Ŵ = s·q with s = [1, 0.5] per row, q = [[7, -4, 0, 2], [-7, 0, 2, 6]];
// s·B·A with A = [[1, 0, 0, 1]], B = [[1.5], [0.5]], s = 1:
// [[1.5, 0, 0, 1.5], [0.5, 0, 0, 0.5]]. Ŵ + s·B·A = [[8.5, -4, 0, 3.5],
// [-3, 0, 1, 3.5]]; requantized on the same grid (row 1 divided by 0.5):
// [[7 (clamped), -4, 0, 4 (tie to even)], [-6, 0, 2, 7]].
// Packed: 0xC7, 0x40, 0x0A, 0x72.

// CHECK-LABEL: func.func @merge
// CHECK: %[[Q:.*]] = arith.constant dense_resource<l.q.qweight.merged> : tensor<2x4xi4>
// CHECK: %[[Y:.*]] = peft.qlinear %{{.*}}, %[[Q]] scales %{{.*}} role q path "l.q"
// CHECK-NOT: peft.lora
// CHECK: return %[[Y]]
// CHECK: l.q.qweight.merged: "0x01000000C7400A72"

// The requantization error: Ŵ' - target = [[-1.5, 0, 0, 0.5], [0, 0, 0, 0]],
// sqrt(2.5 / 122.75) = 0.1427; three integers changed.
// REPORT: path  adapter  rank  requant. error  changed ints
// REPORT: l.q   default  1     1.427e-01       3
// REPORT: 1 adapter(s) merged into integer weights

// OTHER: peft.lora
func.func @merge(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %q = arith.constant dense_resource<q> : tensor<2x4xi4>
  %s = arith.constant dense<[[1.0], [0.5]]> : tensor<2x1xf32>
  %a = arith.constant dense<[[1.0, 0.0, 0.0, 1.0]]> : tensor<1x4xf32>
  %b = arith.constant dense<[[1.5], [0.5]]> : tensor<2x1xf32>
  %y = peft.qlinear %x, %q scales %s role q path "l.q" : tensor<?x4xf32>, tensor<2x4xi4>, tensor<2x1xf32> -> tensor<?x2xf32>
  %z = peft.lora %x, %y, %a, %b scale 1.0 : tensor<?x4xf32>, tensor<?x2xf32>, tensor<1x4xf32>, tensor<2x1xf32>
  return %z : tensor<?x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      q: "0x01000000C7200962"
    }
  }
#-}
