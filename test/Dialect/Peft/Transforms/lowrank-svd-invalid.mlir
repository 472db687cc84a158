// peft-lowrank-svd: bad options, bad or missing statistics, ranks out of
// range, adapters that need the dense weight; merging into a peft.lowrank.
// RUN: rm -rf %t && %python %S/Inputs/make_calibration_stats.py %t
// RUN: not peft-opt %s --peft-lowrank-svd="targets=l.q" 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: not peft-opt %s --peft-lowrank-svd="rank=1 energy=0.5 targets=l.q" 2>&1 | FileCheck %s --check-prefix=TWO
// RUN: not peft-opt %s --peft-lowrank-svd="ratio=1.0 targets=l.q" 2>&1 | FileCheck %s --check-prefix=RATIO
// RUN: not peft-opt %s --peft-lowrank-svd="energy=0 targets=l.q" 2>&1 | FileCheck %s --check-prefix=ENERGY
// RUN: not peft-opt %s --peft-lowrank-svd="rank=0 targets=l.q" 2>&1 | FileCheck %s --check-prefix=RANK0
// RUN: not peft-opt %s --peft-lowrank-svd="rank=5 targets=l.q" 2>&1 | FileCheck %s --check-prefix=RANKBIG
// RUN: not peft-opt %s --peft-lowrank-svd="rank=1 whitening=activation targets=l.q" 2>&1 | FileCheck %s --check-prefix=NOSTATS
// RUN: not peft-opt %s --peft-lowrank-svd="rank=1 stats=%t/stats.safetensors targets=l.q" 2>&1 | FileCheck %s --check-prefix=STATSONLY
// RUN: not peft-opt %s --peft-lowrank-svd="rank=1 whitening=activation stats=%t/stats.safetensors lambda=-1 targets=l.q" 2>&1 | FileCheck %s --check-prefix=LAMBDA
// RUN: not peft-opt %s --peft-lowrank-svd="rank=1 whitening=activation stats=%t/missing.safetensors targets=l.q" 2>&1 | FileCheck %s --check-prefix=NOFILE
// RUN: not peft-opt %s --peft-lowrank-svd="rank=1 whitening=activation stats=%t/not-stats.safetensors targets=l.q" 2>&1 | FileCheck %s --check-prefix=NOTSTATS
// RUN: not peft-opt %s --peft-lowrank-svd="rank=1 whitening=activation stats=%t/other.safetensors targets=l.q" 2>&1 | FileCheck %s --check-prefix=NOKEY
// RUN: not peft-opt %s --peft-lowrank-svd="rank=1 whitening=activation stats=%t/wrong-shape.safetensors targets=l.q" 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not peft-opt %s --peft-lowrank-svd="rank=1 whitening=activation stats=%t/zero.safetensors lambda=0 targets=l.q" 2>&1 | FileCheck %s --check-prefix=NOTPD
// RUN: not peft-opt %s --peft-lowrank-svd="rank=1 whitening=gram targets=l.q" 2>&1 | FileCheck %s --check-prefix=ENUM
// RUN: not peft-opt %s --peft-lowrank-svd="rank=1 targets=l.k" 2>&1 | FileCheck %s --check-prefix=DORA
// RUN: peft-opt %s --peft-lowrank-svd="rank=1 targets=l.q report=none" | not peft-opt --peft-merge-lora 2>&1 | FileCheck %s --check-prefix=MERGE

// NONE: error: peft-lowrank-svd: give exactly one of rank=, ratio= or energy= (got 0)
// TWO: error: peft-lowrank-svd: give exactly one of rank=, ratio= or energy= (got 2)
// RATIO: error: peft-lowrank-svd: ratio must be in [0, 1) (the fraction of parameters removed), got 1
// ENERGY: error: peft-lowrank-svd: energy must be in (0, 1], got 0
// RANK0: error: peft-lowrank-svd: rank must be >= 1, got 0
// RANKBIG: lowrank-svd-invalid.mlir:[[# @LINE + 18]]:8: error: peft-lowrank-svd: layer 'l.q': rank 5 is outside [1, min(out, in) = 2] for a 2x4 weight
// NOSTATS: error: peft-lowrank-svd: whitening=activation needs a calibration statistics file (stats=)
// STATSONLY: error: peft-lowrank-svd: stats= is read only with whitening=activation
// LAMBDA: error: peft-lowrank-svd: lambda must be finite and >= 0, got -1
// NOFILE: error: peft-lowrank-svd: {{.*}}missing.safetensors
// NOTSTATS: error: peft-lowrank-svd: {{.*}}not-stats.safetensors: not a calibration statistics file (its __metadata__ must have "format": "peft-calibration")
// NOKEY: error: peft-lowrank-svd: layer 'l.q': {{.*}}other.safetensors: no key 'l.q.input_xtx' (the layer was not calibrated?)
// SHAPE: error: peft-lowrank-svd: layer 'l.q': {{.*}}wrong-shape.safetensors: key 'l.q.input_xtx': expected F64 [4, 4], got F64 [3, 3]
// NOTPD: error: peft-lowrank-svd: layer 'l.q': the input covariance is not positive definite even after regularization with lambda = 0.00e+00
// ENUM: for the --whitening option: Cannot find option named 'gram'!
// DORA: error: peft-lowrank-svd: layer 'l.k' carries the adapter 'default' (peft.lora), which reads the layer's dense weight; merge or remove it first
// MERGE: error: {{.*}}'l.q'{{.*}}no dense float weight

func.func @layers(%x: tensor<?x4xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %w = arith.constant dense<[[1.0, 2.0, 0.0, 1.0], [0.0, 1.0, 3.0, 0.0]]> : tensor<2x4xf32>
  %a = arith.constant dense<0.25> : tensor<2x4xf32>
  %b = arith.constant dense<0.5> : tensor<2x2xf32>
  %m = arith.constant dense<1.0> : tensor<2xf32>
  %y = peft.linear %x, %w layout out_in role q path "l.q" : tensor<?x4xf32>, tensor<2x4xf32> -> tensor<?x2xf32>
  %z = peft.lora %x, %y, %a, %b scale 2.0 : tensor<?x4xf32>, tensor<?x2xf32>, tensor<2x4xf32>, tensor<2x2xf32>
  %k = peft.linear %x, %w layout out_in role k path "l.k" : tensor<?x4xf32>, tensor<2x4xf32> -> tensor<?x2xf32>
  %d = peft.lora %x, %k, %a, %b magnitude %m scale 2.0 : tensor<?x4xf32>, tensor<?x2xf32>, tensor<2x4xf32>, tensor<2x2xf32>, tensor<2xf32>
  return %z, %d : tensor<?x2xf32>, tensor<?x2xf32>
}
