// Adapter banks: peft-add-task, peft-route-tasks, peft-select-task on the
// adapters of Inputs/make_adapters.py (q and v at rank 4, α 8: "lora";
// q at rank 2 and v with α 32: "patterns"; q only at rank 2, α 2: "f16").
// RUN: rm -rf %t && %python %S/Inputs/make_adapters.py %t
// RUN: peft-opt %s --peft-add-task="name=sst2 path=%t/lora" | FileCheck %s --check-prefix=ONE
// RUN: peft-opt %s --peft-add-task="name=sst2 path=%t/lora" --peft-add-task="name=mnli path=%t/patterns" | FileCheck %s --check-prefix=TWO
// RUN: peft-opt %s --peft-add-task="name=sst2 path=%t/lora" --peft-route-tasks --peft-add-task="name=mnli path=%t/patterns" | FileCheck %s --check-prefix=ROUTED
// RUN: peft-opt %s --peft-add-task="name=half path=%t/f16 allow-unmatched=true" --peft-add-task="name=sst2 path=%t/lora" 2>/dev/null | FileCheck %s --check-prefix=RAGGED
// RUN: peft-opt %s --peft-add-task="name=sst2 path=%t/lora" --peft-add-task="name=mnli path=%t/patterns" --peft-route-tasks --peft-select-task=task=mnli | FileCheck %s --check-prefix=SELECT
// RUN: peft-opt %s --peft-add-task="name=half path=%t/f16 allow-unmatched=true" --peft-add-task="name=sst2 path=%t/lora" --peft-select-task=task=half 2>/dev/null | FileCheck %s --check-prefix=SELECT0
// Re-ranking the tasks of a bank (the "lora" and "patterns" ramps are
// nearly rank 1); the reference task of the distance policy stays.
// RUN: peft-opt %s --peft-add-task="name=sst2 path=%t/lora" --peft-add-task="name=mnli path=%t/patterns" --peft-select-rank="policy=energy tau=0.99" 2>&1 | FileCheck %s --check-prefix=RANKED
// RUN: peft-opt %s --peft-add-task="name=sst2 path=%t/lora" --peft-add-task="name=mnli path=%t/patterns" --peft-select-rank="policy=distance reference=sst2 rmin=1 rmax=3" 2>&1 | FileCheck %s --check-prefix=DISTANCE
// Runtime banks: the banked layers and the selected ones get inputs.
// RUN: peft-opt %s --peft-add-task="name=sst2 path=%t/lora" --peft-route-tasks --peft-bank-as-inputs="max-tasks=4 max-total-rank=16 targets=k_proj" 2>&1 | FileCheck %s --check-prefix=RUNTIME

func.func @main(%x: tensor<?x16xf32> {onnx.name = "x"}, %wq: tensor<16x16xf32>, %wv: tensor<8x16xf32>,
                %wk: tensor<16x8xf32>) -> (tensor<?x16xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %q = peft.linear %x, %wq layout out_in role q path "model.layers.0.self_attn.q_proj"
         : tensor<?x16xf32>, tensor<16x16xf32> -> tensor<?x16xf32>
  %v = peft.linear %x, %wv layout out_in role v path "model.layers.0.self_attn.v_proj"
         : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  %k = peft.linear %x, %wk layout in_out role k path "model.layers.0.self_attn.k_proj"
         : tensor<?x16xf32>, tensor<16x8xf32> -> tensor<?x8xf32>
  return %q, %v, %k : tensor<?x16xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// ONE-LABEL: func.func @main
// ONE: %[[Q:.*]] = peft.linear {{.*}} path "model.layers.0.self_attn.q_proj"
// ONE: %[[QA:.*]] = arith.constant dense_resource<[[QAB:model.layers.0.self_attn.q_proj.lora_A.bank.weight[_0-9]*]]> : tensor<4x16xf32>
// ONE: %[[QB:.*]] = arith.constant dense_resource<{{.*}}> : tensor<16x4xf32>
// ONE: %[[QZ:.*]] = peft.lora_bank %arg0, %[[Q]], %[[QA]], %[[QB]] tasks ["sst2"] ranks [4] scales [2.000000e+00] :
// ONE: peft.lora_bank {{.*}} tasks ["sst2"] ranks [4] scales [2.000000e+00] : tensor<?x16xf32>, tensor<?x8xf32>, tensor<4x16xf32>, tensor<8x4xf32>
// The k layer is not adapted: no bank.
// ONE: %[[K:.*]] = peft.linear {{.*}} path "model.layers.0.self_attn.k_proj"
// ONE-NOT: peft.lora_bank
// ONE: return %[[QZ]], %{{.*}}, %[[K]]
// A's rows: 0.25, 0.5, ... (f32 little-endian after the 4-byte alignment word).
// ONE: [[QAB]]: "0x040000000000803E0000003F0000403F

// TWO-LABEL: func.func @main
// TWO: peft.lora_bank {{.*}} tasks ["sst2", "mnli"] ranks [4, 2] scales [2.000000e+00, 4.000000e+00] : tensor<?x16xf32>, tensor<?x16xf32>, tensor<6x16xf32>, tensor<16x6xf32>
// TWO: peft.lora_bank {{.*}} tasks ["sst2", "mnli"] ranks [4, 4] scales [2.000000e+00, 8.000000e+00] : tensor<?x16xf32>, tensor<?x8xf32>, tensor<8x16xf32>, tensor<8x8xf32>
// TWO-NOT: peft.lora_bank

// A task added after routing is routed too.
// ROUTED: func.func @main({{.*}}, %[[IDS:.*]]: tensor<?xi64> {onnx.name = "task_ids"})
// ROUTED: peft.lora_bank {{.*}} task_ids %[[IDS]] tasks ["sst2", "mnli"] ranks [4, 2]
// ROUTED: peft.lora_bank {{.*}} task_ids %[[IDS]] tasks ["sst2", "mnli"] ranks [4, 4]

// "half" adapts q only: v's bank, created by the second task, has it at rank 0.
// RAGGED: peft.lora_bank {{.*}} tasks ["half", "sst2"] ranks [2, 4] scales [1.000000e+00, 2.000000e+00] : tensor<?x16xf32>, tensor<?x16xf32>, tensor<6x16xf32>, tensor<16x6xf32>
// RAGGED: peft.lora_bank {{.*}} tasks ["half", "sst2"] ranks [0, 4] scales [0.000000e+00, 2.000000e+00] : tensor<?x16xf32>, tensor<?x8xf32>, tensor<4x16xf32>, tensor<8x4xf32>

// The routing input goes with the banks.
// SELECT: func.func @main(%arg0: tensor<?x16xf32> {onnx.name = "x"}, %arg1: tensor<16x16xf32>, %arg2: tensor<8x16xf32>, %arg3: tensor<16x8xf32>) ->
// SELECT: %[[QA:.*]] = arith.constant dense_resource<model.layers.0.self_attn.q_proj.lora_A.mnli.weight> : tensor<2x16xf32>
// SELECT: %[[QB:.*]] = arith.constant dense_resource<model.layers.0.self_attn.q_proj.lora_B.mnli.weight> : tensor<16x2xf32>
// SELECT: peft.lora %arg0, %{{.*}}, %[[QA]], %[[QB]] scale 4.000000e+00 adapter "mnli"
// SELECT: peft.lora {{.*}} scale 8.000000e+00 adapter "mnli" : tensor<?x16xf32>, tensor<?x8xf32>, tensor<4x16xf32>, tensor<8x4xf32>
// SELECT-NOT: lora_bank
// The task's A is its own rows of the stack (0.25, 0.5, ...).
// SELECT: model.layers.0.self_attn.q_proj.lora_A.mnli.weight: "0x040000000000803E0000003F

// A task of rank 0 on a layer leaves the base.
// SELECT0: peft.lora {{.*}} scale 1.000000e+00 adapter "half" : tensor<?x16xf32>, tensor<?x16xf32>, tensor<2x16xf32>, tensor<16x2xf32>
// SELECT0: %[[V:.*]] = peft.linear {{.*}}v_proj
// SELECT0-NOT: peft.lora
// SELECT0: return %{{.*}}, %[[V]],

// RANKED: sst2 (bank)  'model.layers.0.self_attn.q_proj'  4            1
// RANKED: mnli (bank)  'model.layers.0.self_attn.q_proj'  2            1
// RANKED: 4 adapter(s), policy energy: 384 -> 112 parameters
// RANKED: peft.lora_bank {{.*}} tasks ["sst2", "mnli"] ranks [1, 1] scales [2.000000e+00, 4.000000e+00] : tensor<?x16xf32>, tensor<?x16xf32>, tensor<2x16xf32>, tensor<16x2xf32>

// DISTANCE: adapter      layer {{.*}} distance
// DISTANCE: mnli (bank)  'model.layers.0.self_attn.q_proj'  2            {{[1-3]}}
// DISTANCE-NOT: sst2 (bank)
// DISTANCE: peft.lora_bank {{.*}} tasks ["sst2", "mnli"] ranks [4, {{[1-3]}}]

// RUNTIME: remark: peft-bank-as-inputs: the bank's tasks 'sst2' are dropped; a runtime bank takes its tasks at run time
// RUNTIME: func.func @main(%arg0: tensor<?x16xf32> {onnx.name = "x"}, %arg1: tensor<16x16xf32>, %arg2: tensor<8x16xf32>, %arg3: tensor<16x8xf32>, %[[IDS:arg[0-9]+]]: tensor<?xi64> {onnx.name = "task_ids"},
// RUNTIME-SAME: %[[QA:arg[0-9]+]]: tensor<16x16xf32> {onnx.name = "model.layers.0.self_attn.q_proj.bank_A"}, %[[QB:arg[0-9]+]]: tensor<16x16xf32> {onnx.name = "model.layers.0.self_attn.q_proj.bank_B"}, %[[QO:arg[0-9]+]]: tensor<5xi64> {onnx.name = "model.layers.0.self_attn.q_proj.bank_offsets"}, %[[QS:arg[0-9]+]]: tensor<4xf32> {onnx.name = "model.layers.0.self_attn.q_proj.bank_scales"}
// RUNTIME-SAME: {onnx.name = "model.layers.0.self_attn.v_proj.bank_A"}
// RUNTIME-SAME: %[[KA:arg[0-9]+]]: tensor<16x16xf32> {onnx.name = "model.layers.0.self_attn.k_proj.bank_A"}, %[[KB:arg[0-9]+]]: tensor<8x16xf32> {onnx.name = "model.layers.0.self_attn.k_proj.bank_B"}
// RUNTIME: peft.lora_bank %arg0, %{{.*}}, %[[QA]], %[[QB]] task_ids %[[IDS]] runtime(%[[QO]] : tensor<5xi64>, %[[QS]] : tensor<4xf32>) : tensor<?x16xf32>, tensor<?x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<?xi64>
// RUNTIME: peft.lora_bank
// RUNTIME: peft.lora_bank %arg0, %{{.*}}, %[[KA]], %[[KB]] task_ids %[[IDS]] runtime(
// RUNTIME-NOT: dense_resource
