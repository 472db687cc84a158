// Checkpoints written by Inputs/make_lrqat_checkpoints.py, loaded and folded.
// RUN: rm -rf %t && %python %S/Inputs/make_lrqat_checkpoints.py %t
// RUN: peft-opt %s --peft-lrqat-load=path=%t/good | FileCheck %s --check-prefix=LOAD
// RUN: peft-opt %s --peft-lrqat-load=path=%t/good/lrqat_model.safetensors --peft-fold-lrqat | FileCheck %s --check-prefix=FOLD
// RUN: peft-opt %s --peft-lrqat-load=path=%t/int --peft-fold-lrqat | FileCheck %s --check-prefix=FOLDINT
// RUN: peft-opt %s --peft-lrqat-load=path=%t/float16 | FileCheck %s --check-prefix=F16
// RUN: peft-opt %s --peft-lrqat-load=path=%t/float16 --peft-fold-lrqat | FileCheck %s --check-prefix=FOLD
// RUN: peft-opt %s --peft-lrqat-load=path=%t/group --peft-fold-lrqat | FileCheck %s --check-prefix=GROUP
// RUN: not peft-opt %s --peft-lrqat-load="path=%t/good module-map=l=m" 2>&1 | FileCheck %s --check-prefix=MAPPED

// The fold, by hand: Φ0 + 2·A·B = [[1, 1.5, 7, -8.5], [3.25, 0, 8, -2]];
// round half to even and clamp to [-8, 7]: [[1, 2, 7, -8], [3, 0, 7, -2]].
// Packed low nibble first: 0x21, 0x87, 0x03, 0xE7.

// LOAD-LABEL: func.func @layer
// LOAD-DAG: %[[PHI:.*]] = arith.constant dense_resource<l.q_proj.phi0> : tensor<2x4xi8>
// LOAD-DAG: %[[S:.*]] = arith.constant dense_resource<l.q_proj.scale> : tensor<2x1xf32>
// LOAD-DAG: %[[A:.*]] = arith.constant dense_resource<l.q_proj.lora_A> : tensor<2x1xf32>
// LOAD-DAG: %[[B:.*]] = arith.constant dense_resource<l.q_proj.lora_B> : tensor<1x4xf32>
// LOAD: peft.lrqat_linear %{{.*}}, %[[PHI]], %[[S]], %[[A]], %[[B]] bias %{{.*}} bits 4 alpha 2.000000e+00 role q path "l.q_proj"
// LOAD-NOT: peft.linear
// LOAD: l.q_proj.phi0: "0x0100000008186880240070F0"

// FOLD-LABEL: func.func @layer
// FOLD: %[[Q:.*]] = arith.constant dense_resource<l.q_proj.qweight> : tensor<2x4xi4>
// FOLD: peft.qlinear %{{.*}}, %[[Q]] scales %{{.*}} bias %{{.*}} role q path "l.q_proj"
// FOLD-NOT: lora_A
// FOLD-NOT: phi0
// FOLD: l.q_proj.qweight: "0x01000000218703E7"
// Φ0 as integers [[0, 2, 6, -8], [2, 0, 7, -1]]: + 2·A·B = [[0.5, 2, 6.5,
// -8.5], [3, 0, 8, -2]] -> [[0, 2, 6, -8], [3, 0, 7, -2]] (ties to even).
// FOLDINT: peft.qlinear
// FOLDINT: l.q_proj.qweight: "0x01000000208603E7"
// Φ0 in f16: the values themselves.
// F16: peft.lrqat_linear {{.*}} : tensor<?x4xf32>, tensor<2x4xf16>, tensor<2x1xf32>

// Groups of two: same integers, scales [2, 2].
// GROUP: peft.qlinear %{{.*}}, %{{.*}} scales %{{.*}} bias %{{.*}} : tensor<2xf32> group_size 2 role q path "l.q_proj" : tensor<?x4xf32>, tensor<2x4xi4>, tensor<2x2xf32> -> tensor<?x2xf32>

// MAPPED: error: peft-lrqat-load: module 'l.q_proj' (mapped to 'm.q_proj') of the checkpoint matches no linear layer with a float weight

func.func @layer(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %w = onnx.initializer "l.q_proj.weight" dense<1.0> : tensor<2x4xf32>
  %b = onnx.initializer "l.q_proj.bias" dense<0.5> : tensor<2xf32>
  %y = peft.linear %x, %w, %b layout out_in role q path "l.q_proj" : tensor<?x4xf32>, tensor<2x4xf32>, tensor<2xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
