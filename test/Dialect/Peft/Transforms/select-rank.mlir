// RUN: peft-opt %s --peft-select-rank="policy=energy tau=0.8 report=none" | FileCheck %s --check-prefix=ENERGY
// RUN: peft-opt %s --peft-select-rank="policy=energy tau=0.8" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: peft-opt %s --peft-select-rank="policy=threshold sigma=1.5 report=none" | FileCheck %s --check-prefix=THRESHOLD
// RUN: peft-opt %s --peft-select-rank="policy=distance reference=ref rmin=1 rmax=3" -o /dev/null 2>&1 | FileCheck %s --check-prefix=DISTANCE

// task: s·B·A = diag(3, 2, 1) (rank 3, s = 1), energy 9 + 4 + 1 = 14.
// tau = 0.8: 9/14 = 0.64 < 0.8 ≤ 13/14 = 0.93, so rank 2; the new factors
// are √σ·e_i (up to sign): A' rows ±√3·e0, ±√2·e1.
// ENERGY-LABEL: func.func @f
// ENERGY: %[[A:.*]] = arith.constant dense_resource<l.q_proj.lora_A.task.weight> : tensor<2x4xf32>
// ENERGY: %[[B:.*]] = arith.constant dense_resource<l.q_proj.lora_B.task.weight> : tensor<3x2xf32>
// ENERGY: peft.lora %arg0, %{{.*}}, %[[A]], %[[B]] scale 1.000000e+00 adapter "task"
// The reference (rank 1, s = 2, ΔW = 2·e0e0ᵀ) keeps its rank: untouched.
// ENERGY: peft.lora {{.*}} scale 2.000000e+00 adapter "ref" : {{.*}} tensor<1x4xf32>, tensor<3x1xf32>

// REPORT: adapter  layer       rank before  rank after  energy kept  params before  params after
// REPORT: task     'l.q_proj'  3            2           0.928571     21             14
// REPORT: ref      'l.q_proj'  1            1           1.000000     7              7
// REPORT: 2 adapter(s), policy energy: 28 -> 21 parameters

// sigma = 1.5 keeps 3 and 2 of the task, and the reference's single σ = 2.
// THRESHOLD: tensor<2x4xf32>
// THRESHOLD: adapter "ref" : {{.*}} tensor<1x4xf32>

// ‖ΔW_task − ΔW_ref‖ = ‖diag(1, 2, 1)‖ = √6, ‖ΔW_ref‖ = 2: d = 1.2247 ≥ 1,
// so rmax = 3; the reference itself is not re-ranked.
// DISTANCE: adapter  layer       rank before  rank after  energy kept  params before  params after  distance
// DISTANCE: task     'l.q_proj'  3            3           1.000000     21             21            1.2247
// DISTANCE: 1 adapter(s), policy distance: 21 -> 21 parameters
func.func @f(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %a = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]> : tensor<3x4xf32>
  %b = arith.constant dense<[[3.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 1.0]]> : tensor<3x3xf32>
  %ra = arith.constant dense<[[1.0, 0.0, 0.0, 0.0]]> : tensor<1x4xf32>
  %rb = arith.constant dense<[[1.0], [0.0], [0.0]]> : tensor<3x1xf32>
  %y = peft.linear %x, %w layout out_in role q path "l.q_proj" : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  %z1 = peft.lora %x, %y, %a, %b scale 1.0 adapter "task" : tensor<?x4xf32>, tensor<?x3xf32>, tensor<3x4xf32>, tensor<3x3xf32>
  %z2 = peft.lora %x, %z1, %ra, %rb scale 2.0 adapter "ref" : tensor<?x4xf32>, tensor<?x3xf32>, tensor<1x4xf32>, tensor<3x1xf32>
  return %z2 : tensor<?x3xf32>
}
