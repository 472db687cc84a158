// RUN: rm -rf %t && %python %S/Inputs/make_modegpt_stats.py %t
// RUN: not peft-opt %s -peft-modegpt="ratio=0.5 types=mlp" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOSTATS
// RUN: not peft-opt %s -peft-modegpt="ratio=1 stats=%t/stats.safetensors" -o /dev/null 2>&1 | FileCheck %s --check-prefix=RATIO
// RUN: not peft-opt %s -peft-modegpt="ratio=0.5 stats=%t/stats.safetensors types=ffn" -o /dev/null 2>&1 | FileCheck %s --check-prefix=TYPES
// RUN: not peft-opt %s -peft-modegpt="ratio=0.5 stats=%t/stats.safetensors allocation=best" -o /dev/null 2>&1 | FileCheck %s --check-prefix=ALLOC
// RUN: not peft-opt %s -peft-modegpt="ratio=0.5 stats=%t/missing.safetensors" -o /dev/null 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not peft-opt %s -peft-modegpt="ratio=0.5 stats=%t/no-blocks.safetensors types=mlp" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOBLOCKS
// RUN: not peft-opt %s -peft-modegpt="ratio=0.5 stats=%t/wrong-shape.safetensors types=mlp allocation=uniform" -o /dev/null 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not peft-opt %s -peft-modegpt="ratio=0.9 max-layer-ratio=0.8 stats=%t/stats.safetensors" -o /dev/null 2>&1 | FileCheck %s --check-prefix=CAP

// NOSTATS: error: peft-modegpt: stats= is required (run peft-calibrate first)
// RATIO: error: peft-modegpt: ratio must be in [0, 1), got 1
// TYPES: error: peft-modegpt: unknown module type 'ffn' (mlp, qk, vo)
// ALLOC: error: peft-modegpt: allocation must be global or uniform, got 'best'
// MISSING: error: peft-modegpt: {{.*}}missing.safetensors{{.*}}
// NOBLOCKS: error: peft-modegpt: {{.*}}model.layers.0.mlp.block_influence{{.*}}(allocation=global needs block influence; calibrate with statistics=blocks, or use allocation=uniform)
// SHAPE: error: peft-modegpt: {{.*}}model.layers.0.mlp.down_proj.input_xtx{{.*}}
// CAP: error: peft-modegpt: ratio 0.9 exceeds max-layer-ratio 0.8

func.func @mlp(%x: tensor<?x4xf32> {onnx.name = "x"}) -> (tensor<?x4xf32> {onnx.name = "y"}) {
  %wg = arith.constant dense<1.0> : tensor<4x6xf32>
  %wu = arith.constant dense<2.0> : tensor<4x6xf32>
  %wd = arith.constant dense<3.0> : tensor<6x4xf32>
  %g = peft.linear %x, %wg layout in_out role gate path "model.layers.0.mlp.gate_proj" : tensor<?x4xf32>, tensor<4x6xf32> -> tensor<?x6xf32>
  %s = "onnx.Sigmoid"(%g) : (tensor<?x6xf32>) -> tensor<?x6xf32>
  %a = "onnx.Mul"(%g, %s) : (tensor<?x6xf32>, tensor<?x6xf32>) -> tensor<?x6xf32>
  %u = peft.linear %x, %wu layout in_out role up path "model.layers.0.mlp.up_proj" : tensor<?x4xf32>, tensor<4x6xf32> -> tensor<?x6xf32>
  %h = "onnx.Mul"(%a, %u) : (tensor<?x6xf32>, tensor<?x6xf32>) -> tensor<?x6xf32>
  %d = peft.linear %h, %wd layout in_out role down path "model.layers.0.mlp.down_proj" : tensor<?x6xf32>, tensor<6x4xf32> -> tensor<?x4xf32>
  %y = "onnx.Add"(%x, %d) : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
