// RUN: peft-opt %s --peft-combine-adapters="mode=linear adapters=a,b weights=2.0,0.5" 2>&1 | FileCheck %s

// linear is not the weighted sum: with w·s = 4 and 1 (√ = 2 and 1),
// A' = 2·A_a + A_b = [[2, 1]], B' = 2·B_a + B_b = [[2], [1]], and
// B'·A' = [[4, 2], [2, 1]] while Σ w·s·B·A = 4·e0e0ᵀ + e1e1ᵀ = [[4, 0], [0, 1]]:
// the cross terms 2·(B_a·A_b + B_b·A_a) are off the diagonal;
// ‖[[0, 2], [2, 0]]‖ / ‖[[4, 0], [0, 1]]‖ = √8 / √17 = 0.686.
// CHECK: 'l.k_proj'  combined  linear  a:1 b:1  1     6.860e-01
// CHECK: peft.lora {{.*}} scale 1.000000e+00 adapter "combined"
// CHECK: l.k_proj.lora_A.combined.weight: "0x04000000000000400000803F"
// CHECK: l.k_proj.lora_B.combined.weight: "0x04000000000000400000803F"
func.func @linear(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<0.0> : tensor<2x2xf32>
  %a1 = arith.constant dense<[[1.0, 0.0]]> : tensor<1x2xf32>
  %b1 = arith.constant dense<[[1.0], [0.0]]> : tensor<2x1xf32>
  %a2 = arith.constant dense<[[0.0, 1.0]]> : tensor<1x2xf32>
  %b2 = arith.constant dense<[[0.0], [1.0]]> : tensor<2x1xf32>
  %y = peft.linear %x, %w layout out_in role k path "l.k_proj" : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  %z1 = peft.lora %x, %y, %a1, %b1 scale 2.0 adapter "a" : tensor<?x2xf32>, tensor<?x2xf32>, tensor<1x2xf32>, tensor<2x1xf32>
  %z2 = peft.lora %x, %z1, %a2, %b2 scale 2.0 adapter "b" : tensor<?x2xf32>, tensor<?x2xf32>, tensor<1x2xf32>, tensor<2x1xf32>
  return %z2 : tensor<?x2xf32>
}
