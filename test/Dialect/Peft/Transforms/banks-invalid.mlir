// RUN: rm -rf %t && %python %S/Inputs/make_adapters.py %t
// RUN: not peft-opt %s --peft-add-task="name=sst2" 2>&1 | FileCheck %s --check-prefix=NOPATH
// RUN: not peft-opt %s --peft-add-task="name=sst2 path=%t/lora" --peft-add-task="name=sst2 path=%t/patterns" 2>&1 | FileCheck %s --check-prefix=TWICE
// RUN: not peft-opt %s --peft-add-task="name=d path=%t/dora" 2>&1 | FileCheck %s --check-prefix=DORA
// RUN: not peft-opt %s --peft-add-task="name=i path=%t/ia3" 2>&1 | FileCheck %s --check-prefix=IA3
// RUN: not peft-opt %s --peft-add-task="name=s path=%t/shape" 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not peft-opt %s --peft-add-task="name=u path=%t/unmatched" 2>&1 | FileCheck %s --check-prefix=UNMATCHED
// RUN: not peft-opt %s --peft-add-task="name=m path=%t/missing" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not peft-opt %s --peft-add-task="name=sst2 path=%t/lora" --peft-select-task=task=qnli 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not peft-opt %s --peft-select-task=task=qnli 2>&1 | FileCheck %s --check-prefix=NOBANK
// RUN: not peft-opt %s --peft-route-tasks 2>&1 | FileCheck %s --check-prefix=NOROUTE
// RUN: not peft-opt %s --peft-add-task="name=sst2 path=%t/lora" --peft-route-tasks --peft-route-tasks 2>&1 | FileCheck %s --check-prefix=REROUTE
// RUN: not peft-opt %s --peft-add-task="name=sst2 path=%t/lora" --peft-merge-lora 2>&1 | FileCheck %s --check-prefix=MERGE
// RUN: not peft-opt %s --peft-add-task="name=sst2 path=%t/lora" --convert-peft-to-linalg 2>&1 | FileCheck %s --check-prefix=UNROUTED
// RUN: not peft-opt %s --peft-bank-as-inputs="max-tasks=4" 2>&1 | FileCheck %s --check-prefix=NOCAP
// RUN: not peft-opt %s --peft-bank-as-inputs="max-tasks=4 max-total-rank=8" 2>&1 | FileCheck %s --check-prefix=NOLAYER
// RUN: not peft-opt %s --peft-bank-as-inputs="max-tasks=4 max-total-rank=8 targets=q_proj" --peft-add-task="name=sst2 path=%t/lora" 2>&1 | FileCheck %s --check-prefix=RUNTIMEADD
// RUN: not peft-opt %s --peft-add-task="name=sst2 path=%t/lora" --peft-select-rank="policy=distance reference=qnli" 2>&1 | FileCheck %s --check-prefix=NOREF

func.func @main(%x: tensor<?x16xf32> {onnx.name = "x"}, %wq: tensor<16x16xf32>, %wv: tensor<8x16xf32>)
    -> (tensor<?x16xf32>, tensor<?x8xf32>) {
  %q = peft.linear %x, %wq layout out_in role q path "model.layers.0.self_attn.q_proj"
         : tensor<?x16xf32>, tensor<16x16xf32> -> tensor<?x16xf32>
  %v = peft.linear %x, %wv layout out_in role v path "model.layers.0.self_attn.v_proj"
         : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  return %q, %v : tensor<?x16xf32>, tensor<?x8xf32>
}

// NOPATH: error: peft-add-task: the 'name' and 'path' options are required
// TWICE: error: peft-add-task: the bank already has a task 'sst2' (tasks: 'sst2')
// DORA: error: peft-add-task: '{{.*}}dora{{/|\\}}adapter_config.json' is not a plain LoRA adapter; a bank holds LoRA tasks only
// IA3: error: peft-add-task: '{{.*}}ia3{{/|\\}}adapter_config.json' is not a plain LoRA adapter
// SHAPE: error: peft-add-task: lora_B 'base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight' has shape [12, 4] but the layer 'model.layers.0.self_attn.v_proj' (in 16, out 8) needs [8, 4]
// UNMATCHED: error: peft-add-task: module 'model.layers.7.self_attn.q_proj' of the adapter matches no linear layer
// MISSING: error: peft-add-task: {{.*}}missing
// UNKNOWN: error: peft-select-task: the bank has no task 'qnli' (tasks: 'sst2')
// NOBANK: error: peft-select-task: the module has no adapter bank (add tasks with peft-add-task)
// NOROUTE: error: peft-route-tasks: the module has no adapter bank
// REROUTE: error: peft-route-tasks: the bank is routed already
// MERGE: error: 'peft.lora_bank' op an adapter bank cannot be merged into its layer's weight; select one task first (peft-select-task)
// UNROUTED: error: 'peft.lora_bank' op is not routed: run peft-route-tasks (a task per row) or peft-select-task (one task) before lowering
// NOCAP: error: peft-bank-as-inputs: max-tasks and max-total-rank must be > 0, got 4 and 0
// NOLAYER: error: peft-bank-as-inputs: no layer to give a runtime bank: the module has no bank and 'targets'/'roles' select none
// RUNTIMEADD: error: peft-add-task: a runtime bank takes its tasks at run time (peft-run --task-adapter); this pass needs the bank's tasks in the IR
// NOREF: error: peft-select-rank: the bank on layer 'model.layers.0.self_attn.q_proj' has no reference task 'qnli'
