// RUN: peft-opt %s -split-input-file --convert-peft-to-linalg | FileCheck %s
// RUN: peft-opt %s -split-input-file --convert-peft-to-linalg | FileCheck %s --check-prefix=NODENSE

// A routed bank: a counting sort of the row groups by task id (three
// scalar loops; ids outside the bank and tasks of rank 0 on the layer are
// not routed), one gather of every routed row in task order, then, unrolled
// over the tasks with a rank (a: 4 at offset 0, c: 8 at offset 4; b has
// rank 0 and no code), two matmuls on the task's rows of the gathered input
// and its static slices of the transposed stacks, written into its rows of
// two shared buffers (a task without rows runs them on zero rows: no
// scf.if, which made bufferization quadratic in the tasks); last, one loop over the routed groups adds s_t·U to
// their rows of y in place.
// CHECK-LABEL: func.func @bank
// CHECK-SAME: %[[IDS:[a-z0-9]+]]: tensor<?xi64>)
// CHECK-DAG:  %[[AT:.*]] = linalg.transpose ins(%{{.*}} : tensor<12x64xf32>)
// CHECK-DAG:  %[[BT:.*]] = linalg.transpose ins(%{{.*}} : tensor<96x12xf32>)
// CHECK:      cf.assert
// CHECK-DAG:  %[[SCALES:.*]] = arith.constant dense<[2.000000e+00, 1.000000e+00, 5.000000e-01]> : tensor<3xf32>
// CHECK-DAG:  %[[OFFSETS:.*]] = arith.constant dense<[0, 4, 4, 12]> : tensor<4xi64>
// Counts per task, prefix sums, the permutation.
// CHECK:      %[[COUNTS:.*]] = scf.for {{.*}} -> (tensor<?xindex>)
// CHECK:        tensor.extract %[[IDS]]
// CHECK:        tensor.extract %[[OFFSETS]]
// CHECK:      %[[STARTS:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[COUNTS]]) -> (tensor<?xindex>)
// CHECK:      %[[PERM:.*]]:2 = scf.for {{.*}} -> (tensor<?xindex>, tensor<?xindex>)
// The source row of each routed row, then one gather of those rows.
// CHECK:      %[[SRC:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<?xindex>)
// CHECK:        tensor.extract %[[PERM]]#0
// CHECK:      %[[X:.*]] = linalg.generic {{.*}} ins(%[[SRC]] : tensor<?xindex>) outs(%{{.*}} : tensor<?x64xf32>)
// CHECK:        tensor.extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<?x64xf32>
// CHECK:      %[[XA:.*]] = tensor.empty(%{{.*}}) : tensor<?x12xf32>
// CHECK:      %[[UALL:.*]] = tensor.empty(%{{.*}}) : tensor<?x96xf32>
// Task a.
// CHECK:      %[[A0:.*]] = tensor.extract_slice %[[AT]][0, 0] [64, 4] [1, 1] : tensor<64x12xf32> to tensor<64x4xf32>
// CHECK:      %[[B0:.*]] = tensor.extract_slice %[[BT]][0, 0] [4, 96] [1, 1] : tensor<12x96xf32> to tensor<4x96xf32>
// CHECK:        %[[XT:.*]] = tensor.extract_slice %[[X]][%[[R0:[a-z0-9_]+]], 0] [%[[N:[a-z0-9_]+]], 64]
// CHECK:        %[[XAT:.*]] = tensor.extract_slice %[[XA]][%[[R0]], 0] [%[[N]], 4]
// CHECK:        %[[XAF:.*]] = linalg.fill {{.*}} outs(%[[XAT]] : tensor<?x4xf32>)
// CHECK:        %[[XAM:.*]] = linalg.matmul ins(%[[XT]], %[[A0]] : tensor<?x64xf32>, tensor<64x4xf32>) outs(%[[XAF]] : tensor<?x4xf32>)
// CHECK:        %[[UT:.*]] = tensor.extract_slice %[[UALL]][%[[R0]], 0] [%[[N]], 96]
// CHECK:        %[[UF:.*]] = linalg.fill {{.*}} outs(%[[UT]] : tensor<?x96xf32>)
// CHECK:        %[[UM:.*]] = linalg.matmul ins(%[[XAM]], %[[B0]] : tensor<?x4xf32>, tensor<4x96xf32>) outs(%[[UF]] : tensor<?x96xf32>)
// CHECK:        tensor.insert_slice %[[XAM]] into %[[XA]][%[[R0]], 0] [%[[N]], 4]
// CHECK:        %[[U0:.*]] = tensor.insert_slice %[[UM]] into %[[UALL]][%[[R0]], 0] [%[[N]], 96]
// Task c.
// CHECK:      tensor.extract_slice %[[AT]][0, 4] [64, 8] [1, 1] : tensor<64x12xf32> to tensor<64x8xf32>
// CHECK:      tensor.extract_slice %[[BT]][4, 0] [8, 96] [1, 1] : tensor<12x96xf32> to tensor<8x96xf32>
// CHECK:        linalg.matmul {{.*}} tensor<64x8xf32>
// CHECK:        %[[U2:.*]] = tensor.insert_slice %{{.*}} into %[[U0]]
// CHECK-NOT:  tensor<64x0xf32>
// The scatter, in place on y's rows.
// CHECK:      scf.for
// CHECK:        tensor.extract %[[PERM]]#0
// CHECK:        %[[S:.*]] = tensor.extract %[[SCALES]]
// CHECK:        %[[YR:.*]] = tensor.extract_slice
// CHECK:        %[[UR:.*]] = tensor.extract_slice %[[U2]]
// CHECK:        linalg.generic {{.*}} ins(%[[UR]] : tensor<?x96xf32>) outs(%[[YR]] : tensor<?x96xf32>)
// CHECK:          arith.mulf %[[S]]
// CHECK:        tensor.insert_slice {{.*}} : tensor<?x96xf32> into tensor<?x96xf32>
// B·A ([out, in]) is never formed.
// NODENSE-NOT: tensor<96x64xf32>, tensor<96x64xf32>
// NODENSE-NOT: tensor<12x64xf32>, tensor<96x12xf32>) outs
func.func @bank(%x: tensor<?x3x64xf32>, %w: tensor<96x64xf32>, %a: tensor<12x64xf32>,
                %b: tensor<96x12xf32>, %ids: tensor<?xi64>) -> tensor<?x3x96xf32> {
  %y = peft.linear %x, %w layout out_in role q : tensor<?x3x64xf32>, tensor<96x64xf32> -> tensor<?x3x96xf32>
  %z = peft.lora_bank %x, %y, %a, %b task_ids %ids tasks ["a", "b", "c"] ranks [4, 0, 8]
         scales [2.0, 1.0, 0.5]
         : tensor<?x3x64xf32>, tensor<?x3x96xf32>, tensor<12x64xf32>, tensor<96x12xf32>, tensor<?xi64>
  return %z : tensor<?x3x96xf32>
}

// -----

// A runtime bank loops over its task slots, reading its offsets and scales
// from its operands; the task slices have dynamic ranks.
// CHECK-LABEL: func.func @runtime
// CHECK-SAME: %[[O:[a-z0-9]+]]: tensor<5xi64>, %[[S:[a-z0-9]+]]: tensor<4xf32>)
// CHECK-NOT:  arith.constant dense<
// CHECK:      scf.for {{.*}} -> (tensor<?xindex>)
// CHECK:        tensor.extract %[[O]]
// CHECK:      scf.for %[[T:[a-z0-9]+]] = {{.*}} -> (tensor<?x32xf32>, tensor<?x32xf32>)
// CHECK:        tensor.extract %[[O]][%[[T]]]
// CHECK:        tensor.extract_slice {{.*}} : tensor<64x32xf32> to tensor<64x?xf32>
// CHECK:        linalg.matmul {{.*}} tensor<64x?xf32>
// CHECK:      scf.for
// CHECK:        tensor.extract %[[S]]
func.func @runtime(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>, %a: tensor<32x64xf32>,
                   %b: tensor<32x32xf32>, %ids: tensor<?xi64>, %o: tensor<5xi64>,
                   %s: tensor<4xf32>) -> tensor<?x32xf32> {
  %y = peft.linear %x, %w layout out_in role o : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  %z = peft.lora_bank %x, %y, %a, %b task_ids %ids runtime(%o : tensor<5xi64>, %s : tensor<4xf32>)
         : tensor<?x64xf32>, tensor<?x32xf32>, tensor<32x64xf32>, tensor<32x32xf32>, tensor<?xi64>
  return %z : tensor<?x32xf32>
}

// -----

// Constant stacks: one contiguous transposed constant per task, its rank
// zero-padded to a multiple of 8 (3 -> 8, 10 -> 16), never to the largest.
// CHECK-LABEL: func.func @padded
// CHECK-DAG:  %[[A0:.*]] = arith.constant dense_resource<[[A0B:bank.task0_t[_0-9]*]]> : tensor<64x8xf32>
// CHECK-DAG:  %[[B0:.*]] = arith.constant dense_resource<{{.*}}> : tensor<8x96xf32>
// CHECK-DAG:  %[[A1:.*]] = arith.constant dense_resource<{{.*}}> : tensor<64x16xf32>
// CHECK-DAG:  %[[B1:.*]] = arith.constant dense_resource<{{.*}}> : tensor<16x96xf32>
// CHECK:      linalg.matmul ins(%{{.*}}, %[[A0]] : tensor<?x64xf32>, tensor<64x8xf32>)
// CHECK:      linalg.matmul ins(%{{.*}}, %[[B0]] : tensor<?x8xf32>, tensor<8x96xf32>)
// CHECK:      linalg.matmul ins(%{{.*}}, %[[A1]] : tensor<?x64xf32>, tensor<64x16xf32>)
// CHECK:      linalg.matmul ins(%{{.*}}, %[[B1]] : tensor<?x16xf32>, tensor<16x96xf32>)
// Row 0 of task a's Aᵀ: its 3 values (0.5), then 5 zeros.
// CHECK:      [[A0B]]: "0x040000000000003F0000003F0000003F00000000000000000000000000000000000000000000003F
func.func @padded(%x: tensor<?x64xf32>, %w: tensor<96x64xf32>, %ids: tensor<?xi64>) -> tensor<?x96xf32> {
  %a = arith.constant dense<0.5> : tensor<13x64xf32>
  %b = arith.constant dense<0.25> : tensor<96x13xf32>
  %y = peft.linear %x, %w layout out_in role q : tensor<?x64xf32>, tensor<96x64xf32> -> tensor<?x96xf32>
  %z = peft.lora_bank %x, %y, %a, %b task_ids %ids tasks ["a", "b"] ranks [3, 10] scales [2.0, 0.5]
         : tensor<?x64xf32>, tensor<?x96xf32>, tensor<13x64xf32>, tensor<96x13xf32>, tensor<?xi64>
  return %z : tensor<?x96xf32>
}

// -----

// More than 16 tasks: a loop over the tasks (the unrolled form chains
// every task's writes, which bufferization analyses in quadratic time),
// reading each task's padded [in, r'] block of Aᵀ (3 -> 8, 0, 2 -> 8, ...,
// 12 -> 16), contiguous in one flat [in · Σ r'] constant (64 · 136), at
// offsets and ranks from constant vectors, and switching on the padded
// rank: one static-shaped case per distinct rank (8 and 16), rank 0 leaves
// the buffers.
// CHECK-LABEL: func.func @many
// CHECK-DAG:  %[[AS:.*]] = arith.constant dense_resource<[[ASB:.*]]> : tensor<8704xf32>
// CHECK-DAG:  %[[BS:.*]] = arith.constant dense_resource<{{.*}}> : tensor<136x96xf32>
// CHECK-DAG:  %[[OFF:.*]] = arith.constant dense<[0, 8, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120]> : tensor<17xi64>
// CHECK-DAG:  %[[RANKS:.*]] = arith.constant dense<[8, 0, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 16]> : tensor<17xi64>
// CHECK:      scf.for %[[T:[a-z0-9]+]] = {{.*}} -> (tensor<?x16xf32>, tensor<?x96xf32>)
// CHECK:        %[[R:.*]] = tensor.extract %[[RANKS]][%[[T]]]
// CHECK:        tensor.extract %[[OFF]][%[[T]]]
// CHECK:        scf.index_switch %{{.*}} -> tensor<?x16xf32>, tensor<?x96xf32>
// CHECK:        case 8 {
// CHECK:          %[[AF8:.*]] = arith.muli %{{.*}}, %c64
// CHECK:          %[[A8:.*]] = tensor.extract_slice %[[AS]][%[[AF8]]] [512] [1] : tensor<8704xf32> to tensor<512xf32>
// CHECK:          tensor.expand_shape %[[A8]] {{\[\[}}0, 1]] output_shape [64, 8] : tensor<512xf32> into tensor<64x8xf32>
// CHECK:          tensor.extract_slice %[[BS]][%{{.*}}, 0] [8, 96] [1, 1] : tensor<136x96xf32> to tensor<8x96xf32>
// CHECK:          linalg.matmul
// CHECK:          linalg.matmul
// CHECK:        case 16 {
// CHECK:          %[[A16:.*]] = tensor.extract_slice %[[AS]][%{{.*}}] [1024] [1] : tensor<8704xf32> to tensor<1024xf32>
// CHECK:          tensor.expand_shape %[[A16]] {{\[\[}}0, 1]] output_shape [64, 16] : tensor<1024xf32> into tensor<64x16xf32>
// CHECK:          linalg.matmul
// CHECK:          linalg.matmul
// CHECK:        default {
// Task a's block first: its row 0 is 3 values (0.5) and 5 zeros, then row 1
// (a column slice of a [64, 136] matrix would have 133 zeros after them).
// CHECK:      [[ASB]]: "0x040000000000003F0000003F0000003F00000000000000000000000000000000000000000000003F0000003F0000003F
func.func @many(%x: tensor<?x64xf32>, %w: tensor<96x64xf32>, %ids: tensor<?xi64>) -> tensor<?x96xf32> {
  %a = arith.constant dense<0.5> : tensor<43x64xf32>
  %b = arith.constant dense<0.25> : tensor<96x43xf32>
  %y = peft.linear %x, %w layout out_in role q : tensor<?x64xf32>, tensor<96x64xf32> -> tensor<?x96xf32>
  %z = peft.lora_bank %x, %y, %a, %b task_ids %ids
         tasks ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q"]
         ranks [3, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 12]
         scales [2.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
         : tensor<?x64xf32>, tensor<?x96xf32>, tensor<43x64xf32>, tensor<96x43xf32>, tensor<?xi64>
  return %z : tensor<?x96xf32>
}
