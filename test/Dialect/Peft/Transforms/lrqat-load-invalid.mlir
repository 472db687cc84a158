// Broken LR-QAT checkpoints written by Inputs/make_lrqat_checkpoints.py: each is
// rejected with an error naming the file and the tensor or field.
// RUN: rm -rf %t && %python %S/Inputs/make_lrqat_checkpoints.py %t
// RUN: not peft-opt %s --peft-lrqat-load=path=%t/no-config 2>&1 | FileCheck %s --check-prefix=NO_CONFIG
// RUN: not peft-opt %s --peft-lrqat-load=path=%t/bad-bits 2>&1 | FileCheck %s --check-prefix=BAD_BITS
// RUN: not peft-opt %s --peft-lrqat-load=path=%t/bad-phi 2>&1 | FileCheck %s --check-prefix=BAD_PHI
// RUN: not peft-opt %s --peft-lrqat-load=path=%t/missing-key 2>&1 | FileCheck %s --check-prefix=MISSING_KEY
// RUN: not peft-opt %s --peft-lrqat-load=path=%t/bad-shape 2>&1 | FileCheck %s --check-prefix=BAD_SHAPE
// RUN: not peft-opt %s --peft-lrqat-load=path=%t/bad-dtype 2>&1 | FileCheck %s --check-prefix=BAD_DTYPE
// RUN: not peft-opt %s --peft-lrqat-load=path=%t/non-finite 2>&1 | FileCheck %s --check-prefix=NON_FINITE
// RUN: not peft-opt %s --peft-lrqat-load=path=%t/zero-scale 2>&1 | FileCheck %s --check-prefix=ZERO_SCALE
// RUN: not peft-opt %s --peft-lrqat-load=path=%t/off-grid 2>&1 | FileCheck %s --check-prefix=OFF_GRID
// RUN: not peft-opt %s --peft-lrqat-load=path=%t/extra-tensor 2>&1 | FileCheck %s --check-prefix=EXTRA_TENSOR
// RUN: not peft-opt %s --peft-lrqat-load=path=%t/unknown-module 2>&1 | FileCheck %s --check-prefix=UNKNOWN_MODULE
// RUN: not peft-opt %s --peft-lrqat-load=path=%t/wrong-layer-shape 2>&1 | FileCheck %s --check-prefix=WRONG_LAYER_SHAPE
// RUN: not peft-opt %s --peft-lrqat-load 2>&1 | FileCheck %s --check-prefix=NO_PATH

// NO_CONFIG: error: peft-lrqat-load: cannot read '{{.*}}no-config{{/|\\}}lrqat_config.json'
// BAD_BITS: error: peft-lrqat-load: {{.*}}lrqat_config.json: "bits" must be 2, 3, 4 or 8
// BAD_PHI: error: peft-lrqat-load: {{.*}}lrqat_config.json: "phi" must be one of fixed, int, float16, bfloat16, float32
// MISSING_KEY: error: peft-lrqat-load: {{.*}}lrqat_model.safetensors: missing tensor 'l.q_proj.lora_B' (module 'l.q_proj' is listed in lrqat_config.json)
// BAD_SHAPE: error: peft-lrqat-load: {{.*}}: tensor 'l.q_proj.lora_A' has shape [2, 2], expected [2, 1] for a layer with 2 outputs, 4 inputs and rank 1
// BAD_DTYPE: error: peft-lrqat-load: {{.*}}: tensor 'l.q_proj.phi0' has dtype F32; phi "fixed" is stored as I8
// NON_FINITE: error: peft-lrqat-load: {{.*}}: tensor 'l.q_proj.lora_B' has a non-finite value at flat index 1
// ZERO_SCALE: error: peft-lrqat-load: {{.*}}: tensor 'l.q_proj.scale' has a scale <= 0 at flat index 1
// OFF_GRID: error: peft-lrqat-load: {{.*}}: tensor 'l.q_proj.phi0' holds 120 at flat index 6, outside [-128, 112] (phi "fixed", 4 bits)
// EXTRA_TENSOR: error: peft-lrqat-load: {{.*}}: tensor 'l.k_proj.phi0' belongs to no module listed in lrqat_config.json
// UNKNOWN_MODULE: error: peft-lrqat-load: module 'l.v_proj' of the checkpoint matches no linear layer with a float weight
// WRONG_LAYER_SHAPE: error: peft-lrqat-load: tensor 'l.q_proj.phi0' is [2, 3] but layer 'l.q_proj' has 2 outputs and 4 inputs
// NO_PATH: error: peft-lrqat-load: give path=<checkpoint directory>

func.func @layer(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %w = onnx.initializer "l.q_proj.weight" dense<1.0> : tensor<2x4xf32>
  %y = peft.linear %x, %w layout out_in role q path "l.q_proj" : tensor<?x4xf32>, tensor<2x4xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
