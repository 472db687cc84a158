// Broken adapters written by Inputs/make_adapters.py: each is rejected with
// a message naming the file, key or layer, and the IR is left unchanged.
// RUN: rm -rf %t && %python %S/Inputs/make_adapters.py %t
// RUN: not peft-opt %s --peft-load-adapter=path=%t/truncated 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// RUN: not peft-opt %s --peft-load-adapter=path=%t/header-past-eof 2>&1 | FileCheck %s --check-prefix=PAST-EOF
// RUN: not peft-opt %s --peft-load-adapter=path=%t/bad-json 2>&1 | FileCheck %s --check-prefix=BAD-JSON
// RUN: not peft-opt %s --peft-load-adapter=path=%t/offsets 2>&1 | FileCheck %s --check-prefix=OFFSETS
// RUN: not peft-opt %s --peft-load-adapter=path=%t/dtype 2>&1 | FileCheck %s --check-prefix=DTYPE
// RUN: not peft-opt %s --peft-load-adapter=path=%t/shape 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not peft-opt %s --peft-load-adapter=path=%t/rank 2>&1 | FileCheck %s --check-prefix=RANK
// RUN: not peft-opt %s --peft-load-adapter=path=%t/unmatched 2>&1 | FileCheck %s --check-prefix=UNMATCHED
// RUN: not peft-opt %s --peft-load-adapter=path=%t/missing-b 2>&1 | FileCheck %s --check-prefix=MISSING-B
// RUN: not peft-opt %s --peft-load-adapter=path=%t/no-config 2>&1 | FileCheck %s --check-prefix=NO-CONFIG
// RUN: not peft-opt %s --peft-load-adapter=path=%t/bad-config 2>&1 | FileCheck %s --check-prefix=BAD-CONFIG
// RUN: not peft-opt %s --peft-load-adapter=path=%t/bias 2>&1 | FileCheck %s --check-prefix=BIAS
// RUN: not peft-opt %s --peft-load-adapter=path=%t/loha 2>&1 | FileCheck %s --check-prefix=LOHA
// RUN: not peft-opt %s --peft-load-adapter=path=%t/no-dora 2>&1 | FileCheck %s --check-prefix=NO-DORA
// RUN: not peft-opt %s --peft-load-adapter=path=%t/modules-to-save 2>&1 | FileCheck %s --check-prefix=TO-SAVE
// RUN: not peft-opt %s --peft-load-adapter=path=%t/ia3 2>&1 | FileCheck %s --check-prefix=IA3-LAYER
// RUN: not peft-opt %s --peft-load-adapter 2>&1 | FileCheck %s --check-prefix=NO-PATH
// RUN: not peft-opt %s --peft-load-adapter=path=%t/nonexistent 2>&1 | FileCheck %s --check-prefix=NO-DIR

func.func @block(%x: tensor<2x16xf32>, %wq: tensor<16x16xf32>, %wv: tensor<8x16xf32>)
    -> (tensor<2x16xf32>, tensor<2x8xf32>) {
  %q = peft.linear %x, %wq layout out_in role q path "model.layers.0.self_attn.q_proj"
         : tensor<2x16xf32>, tensor<16x16xf32> -> tensor<2x16xf32>
  %v = peft.linear %x, %wv layout out_in role v path "model.layers.0.self_attn.v_proj"
         : tensor<2x16xf32>, tensor<8x16xf32> -> tensor<2x8xf32>
  return %q, %v : tensor<2x16xf32>, tensor<2x8xf32>
}

// The last 10 bytes cut off: the last tensor's data runs out.
// TRUNCATED: error: peft-load-adapter: '{{.*}}truncated{{/|\\}}adapter_model.safetensors': tensor 'base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight': data_offsets [768, 896] are out of range of the data section (886 bytes)
// PAST-EOF: error: peft-load-adapter: '{{.*}}adapter_model.safetensors': header length 1048576 runs past the end of the file
// BAD-JSON: error: peft-load-adapter: '{{.*}}bad-json{{.*}}adapter_model.safetensors': bad JSON header: {{.*}}
// OFFSETS: error: peft-load-adapter: '{{.*}}': tensor 'base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight': data_offsets [768, 4992] are out of range of the data section (896 bytes)
// DTYPE: error: peft-load-adapter: '{{.*}}': tensor 'base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight': unknown or unsupported dtype 'F24'

// Shape checks against the layer, reported at the layer (%v, line 27).
// SHAPE: load-adapter-invalid.mlir:27:8: error: peft-load-adapter: lora_B 'base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight' has shape [12, 4] but the layer 'model.layers.0.self_attn.v_proj' (in 16, out 8) needs [8, 4]
// SHAPE-NOT: peft.lora
// The rank against the config is checked with the file, before any layer.
// RANK: error: peft-load-adapter: '{{.*}}rank{{/|\\}}adapter_model.safetensors': lora_A 'base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight' has rank 4 but adapter_config.json gives rank 8 to module 'model.layers.0.self_attn.v_proj' (r / rank_pattern)

// UNMATCHED: error: peft-load-adapter: module 'model.layers.7.self_attn.q_proj' of the adapter matches no linear layer (layers have paths like 'model.layers.0.self_attn.{{.}}_proj'; see module-map)
// MISSING-B: error: peft-load-adapter: module 'model.layers.0.self_attn.v_proj' has lora_A but no lora_B in '{{.*}}adapter_model.safetensors'
// NO-CONFIG: error: peft-load-adapter: no adapter config: '{{.*}}no-config{{/|\\}}adapter_config.json' does not exist
// BAD-CONFIG: error: peft-load-adapter: '{{.*}}bad-config{{/|\\}}adapter_config.json': 'r' must be a positive integer
// BIAS: error: peft-load-adapter: '{{.*}}adapter_config.json': bias 'all' is not supported
// LOHA: error: peft-load-adapter: '{{.*}}adapter_config.json': 'peft_type' is 'LOHA'; supported: LORA, IA3
// NO-DORA: error: peft-load-adapter: module 'model.layers.0.self_attn.q_proj' has lora_magnitude_vector although use_dora is false
// TO-SAVE: error: peft-load-adapter: 'base_model.model.score.weight' in '{{.*}}' is not a LoRA adapter tensor
// IA3-LAYER: error: peft-load-adapter: module 'model.layers.0.mlp.down_proj' of the adapter matches no linear layer
// NO-PATH: error: peft-load-adapter: the 'path' option is required
// NO-DIR: error: peft-load-adapter: '{{.*}}nonexistent' does not exist
