// RUN: peft-opt %s -split-input-file --convert-peft-to-linalg | FileCheck %s
// RUN: peft-opt %s -split-input-file --convert-peft-to-linalg | FileCheck %s --check-prefix=NODENSE

// A routed bank: tasks outermost, then the row groups routed to the task;
// the two skinny products run on the task's own slices of the transposed
// stacks ([in, r_t] and [r_t, out]) and only on the group's rows. The task
// layout is a constant offsets vector.
// CHECK-LABEL: func.func @bank
// CHECK-SAME: %[[IDS:[a-z0-9]+]]: tensor<?xi64>)
// CHECK-DAG:  %[[AT:.*]] = linalg.transpose ins(%{{.*}} : tensor<12x64xf32>)
// CHECK-DAG:  %[[BT:.*]] = linalg.transpose ins(%{{.*}} : tensor<96x12xf32>)
// CHECK-DAG:  %[[OFF:.*]] = arith.constant dense<[0, 4, 4, 12]> : tensor<4xi64>
// CHECK-DAG:  %[[SC:.*]] = arith.constant dense<[2.000000e+00, 1.000000e+00, 5.000000e-01]> : tensor<3xf32>
// CHECK:      cf.assert
// CHECK:      scf.for %[[T:.*]] = {{.*}} iter_args(%[[Y:.*]] = %{{.*}}) -> (tensor<?x96xf32>)
// CHECK:        %[[O:.*]] = arith.index_cast
// CHECK:        %[[R:.*]] = arith.subi %{{.*}}, %[[O]] : index
// CHECK:        %[[S:.*]] = tensor.extract %[[SC]][%[[T]]]
// CHECK:        scf.if
// CHECK:          %[[AS:.*]] = tensor.extract_slice %[[AT]][%{{.*}}, %[[O]]] [%{{.*}}, %[[R]]]
// CHECK:          %[[BS:.*]] = tensor.extract_slice %[[BT]][%[[O]], %{{.*}}] [%[[R]], %{{.*}}]
// CHECK:          scf.for %[[G:.*]] = {{.*}} iter_args(%[[YG:.*]] = %[[Y]])
// CHECK:            %[[ID:.*]] = tensor.extract %[[IDS]][%[[G]]]
// CHECK:            %[[MINE:.*]] = arith.cmpi eq, %[[ID]]
// CHECK:            scf.if %[[MINE]]
// CHECK:              %[[XR:.*]] = tensor.extract_slice %{{[a-z0-9_]+}}[%[[FIRST:[0-9a-z_]+]], %{{.*}}] [%[[N:[0-9a-z_]+]], %{{.*}}]
// CHECK:              %[[YR:.*]] = tensor.extract_slice %[[YG]][%[[FIRST]], %{{.*}}] [%[[N]], %{{.*}}]
// CHECK:              %[[XA:.*]] = linalg.matmul ins(%[[XR]], %[[AS]] : tensor<?x?xf32>, tensor<?x?xf32>)
// CHECK:              %[[U:.*]] = linalg.matmul ins(%[[XA]], %[[BS]] : tensor<?x?xf32>, tensor<?x?xf32>)
// CHECK:              linalg.generic {{.*}} ins(%[[YR]], %[[U]]
// CHECK:                arith.mulf %[[S]]
// CHECK:              tensor.insert_slice {{.*}} into %[[YG]][%[[FIRST]], %{{.*}}] [%[[N]], %{{.*}}]
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

// A runtime bank reads its offsets and scales from its operands.
// CHECK-LABEL: func.func @runtime
// CHECK-SAME: %[[O:[a-z0-9]+]]: tensor<5xi64>, %[[S:[a-z0-9]+]]: tensor<4xf32>)
// CHECK-NOT:  arith.constant dense<
// CHECK:      scf.for
// CHECK:        tensor.extract %[[O]]
// CHECK:        tensor.extract %[[S]]
func.func @runtime(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>, %a: tensor<32x64xf32>,
                   %b: tensor<32x32xf32>, %ids: tensor<?xi64>, %o: tensor<5xi64>,
                   %s: tensor<4xf32>) -> tensor<?x32xf32> {
  %y = peft.linear %x, %w layout out_in role o : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  %z = peft.lora_bank %x, %y, %a, %b task_ids %ids runtime(%o : tensor<5xi64>, %s : tensor<4xf32>)
         : tensor<?x64xf32>, tensor<?x32xf32>, tensor<32x64xf32>, tensor<32x32xf32>, tensor<?xi64>
  return %z : tensor<?x32xf32>
}
