// RUN: peft-opt %s --peft-combine-adapters="mode=cat adapters=a,b weights=1.0,0.5 name=ab report=none" | FileCheck %s --check-prefix=CAT
// RUN: peft-opt %s --peft-combine-adapters="mode=cat adapters=a,b weights=1.0,0.5 name=ab" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: peft-opt %s --peft-combine-adapters="mode=svd adapters=a,b weights=1.0,0.5 report=none" | FileCheck %s --check-prefix=SVD
// RUN: peft-opt %s --peft-combine-adapters="mode=svd rank=3 adapters=a,b weights=1.0,0.5 report=none" | FileCheck %s --check-prefix=SVD3
// RUN: peft-opt %s --peft-combine-adapters="mode=cat adapters=a,b weights=1.0,0.5 name=ab replace=false report=none" | FileCheck %s --check-prefix=KEEP

// Two adapters on one layer: a (rank 1, s = 2), b (rank 2, s = 1), with
// s_a·B_a·A_a = 2·e0·e0ᵀ and s_b·B_b·A_b = e1·e1ᵀ + 2·e2·e2ᵀ.
// cat, weights 1 and 0.5: A' = [2·A_a; 0.5·A_b], B' = [B_a B_b], scale 1:
// A' = [[2,0,0,0],[0,0.5,0,0],[0,0,0.5,0]], B' = [[1,0,0],[0,1,0],[0,0,2]].

// CAT-LABEL: func.func @two
// CAT: %[[Y:.*]] = peft.linear
// CAT-NOT: peft.lora
// CAT: %[[A:.*]] = arith.constant dense_resource<l.q_proj.lora_A.ab.weight> : tensor<3x4xf32>
// CAT: %[[B:.*]] = arith.constant dense_resource<l.q_proj.lora_B.ab.weight> : tensor<3x3xf32>
// CAT: %[[Z:.*]] = peft.lora %arg0, %[[Y]], %[[A]], %[[B]] scale 1.000000e+00 adapter "ab"
// CAT-NOT: peft.lora
// CAT: return %[[Z]]

// REPORT: layer       adapter  mode  sources  rank  rel. diff. to sum w*s*B*A
// REPORT: 'l.q_proj'  ab       cat   a:1 b:2  3     0.000e+00
// REPORT: 'l.v_proj'  ab       cat   b:1      1     0.000e+00
// REPORT: 2 layer(s) got adapter 'ab'

// svd: Σ w·s·B·A = diag(2, 0.5, 1) on the first three coordinates; the
// default rank is the largest source rank (2): σ = 2, 1 are kept.
// SVD-LABEL: func.func @two
// SVD: arith.constant dense_resource<l.q_proj.lora_A.combined.weight> : tensor<2x4xf32>
// SVD: arith.constant dense_resource<l.q_proj.lora_B.combined.weight> : tensor<3x2xf32>
// SVD: peft.lora {{.*}} scale 1.000000e+00 adapter "combined"
// SVD3: tensor<3x4xf32>
// SVD3: tensor<3x3xf32>

// replace=false: the sources stay, active, under the new adapter.
// KEEP-LABEL: func.func @two
// KEEP: %[[Z1:.*]] = peft.lora {{.*}} adapter "a"
// KEEP: %[[Z2:.*]] = peft.lora %arg0, %[[Z1]], {{.*}} adapter "b"
// KEEP: %[[Z3:.*]] = peft.lora %arg0, %[[Z2]], {{.*}} adapter "ab"
// KEEP: return %[[Z3]]
func.func @two(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %a1 = arith.constant dense<[[1.0, 0.0, 0.0, 0.0]]> : tensor<1x4xf32>
  %b1 = arith.constant dense<[[1.0], [0.0], [0.0]]> : tensor<3x1xf32>
  %a2 = arith.constant dense<[[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]> : tensor<2x4xf32>
  %b2 = arith.constant dense<[[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]]> : tensor<3x2xf32>
  %y = peft.linear %x, %w layout out_in role q path "l.q_proj" : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  %z1 = peft.lora %x, %y, %a1, %b1 scale 2.0 adapter "a" : tensor<?x4xf32>, tensor<?x3xf32>, tensor<1x4xf32>, tensor<3x1xf32>
  %z2 = peft.lora %x, %z1, %a2, %b2 scale 1.0 adapter "b" : tensor<?x4xf32>, tensor<?x3xf32>, tensor<2x4xf32>, tensor<3x2xf32>
  return %z2 : tensor<?x3xf32>
}

// A layer holding only one of the adapters combines what it has (PEFT
// skips missing ones): one adapter is always 'linear', √(w·s) on A and B.
// Other adapters (c) stay below the new one.
// CAT-LABEL: func.func @partial
// CAT: %[[C:.*]] = peft.lora {{.*}} adapter "c"
// CAT: %[[Z:.*]] = peft.lora %arg0, %[[C]], {{.*}} adapter "ab"
// CAT-SAME: tensor<1x2xf32>, tensor<2x1xf32>
// CAT: return %[[Z]]
// √(0.5·2) = 1: the factors are b's.
// CAT-DAG: l.q_proj.lora_A.ab.weight: "0x0400000000000040000000000000000000000000000000000000003F000000000000000000000000000000000000003F00000000"
// CAT-DAG: l.q_proj.lora_B.ab.weight: "0x040000000000803F0000000000000000000000000000803F00000000000000000000000000000040"
// CAT-DAG: l.v_proj.lora_A.ab.weight: "0x040000000000803F00000040"
// CAT-DAG: l.v_proj.lora_B.ab.weight: "0x040000000000404000008040"
func.func @partial(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %a = arith.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %b = arith.constant dense<[[3.0], [4.0]]> : tensor<2x1xf32>
  %c = arith.constant dense<[[5.0, 5.0]]> : tensor<1x2xf32>
  %y = peft.linear %x, %w layout out_in role v path "l.v_proj" : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  %z0 = peft.lora %x, %y, %c, %b scale 1.0 adapter "c" : tensor<?x2xf32>, tensor<?x2xf32>, tensor<1x2xf32>, tensor<2x1xf32>
  %z = peft.lora %x, %z0, %a, %b scale 2.0 adapter "b" : tensor<?x2xf32>, tensor<?x2xf32>, tensor<1x2xf32>, tensor<2x1xf32>
  return %z : tensor<?x2xf32>
}
