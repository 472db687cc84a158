// The three stacking cases of docs/lora.md "Adapter stacks": each gives a
// correct result or a clear error, never invalid IR (peft-opt verifies its
// output).
// RUN: peft-opt %s -split-input-file --peft-insert-lora="targets=q_proj rank=1 init=zeros" | FileCheck %s --check-prefix=INSERT
// RUN: peft-opt %s -split-input-file --peft-merge-lora | FileCheck %s --check-prefix=MERGE
// RUN: peft-opt %s -split-input-file --peft-merge-lora --peft-unmerge-lora | FileCheck %s --check-prefix=ROUNDTRIP

// 1. A LoRA inserted onto a layer that has IA³ stacks on the IA³'s result.
// INSERT-LABEL: func.func @ia3_then_lora
// INSERT: %[[Y:.*]] = peft.linear
// INSERT: %[[S:.*]] = peft.ia3 %[[Y]]
// INSERT: %[[L:.*]] = peft.lora %{{.*}}, %[[S]], {{.*}} scale 1.000000e+00 :
// INSERT: %[[T:.*]] = peft.lora %{{.*}}, %[[L]], {{.*}} adapter "default"
// INSERT: return %[[T]]
// Merging bottom-up folds the IA³ first, then the LoRA into the rescaled
// weight: W' = diag(l)·W + s·B·A = [[2+1, 2], [0.5+1, 0.5]].
// MERGE-LABEL: func.func @ia3_then_lora
// MERGE-NOT: peft.ia3
// MERGE: onnx.initializer "w" dense_resource<[[W:.*]]> : tensor<2x2xf32>
// MERGE: peft.lora {{.*}} merged
// MERGE: [[W]]: "0x0400000000004040000000400000C03F0000003F"
func.func @ia3_then_lora(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = onnx.initializer "w" dense<1.0> : tensor<2x2xf32>
  %l = onnx.initializer "l" dense<[2.0, 0.5]> : tensor<2xf32>
  %a = onnx.initializer "a" dense<[[1.0, 0.0]]> : tensor<1x2xf32>
  %b = onnx.initializer "b" dense<[[1.0], [1.0]]> : tensor<2x1xf32>
  %y = peft.linear %x, %w layout out_in role q path "q_proj" : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  %s = peft.ia3 %y, %l : tensor<?x2xf32>, tensor<2xf32>
  %z = peft.lora %x, %s, %a, %b scale 1.0 : tensor<?x2xf32>, tensor<?x2xf32>, tensor<1x2xf32>, tensor<2x1xf32>
  return %z : tensor<?x2xf32>
}

// -----

// 2. A DoRA adapter with a plain LoRA above it: merged bottom-up, unmerged
// top-down, W0 comes back exactly. Row norms of W0 are (3, 4) and m = (6, 2),
// so the DoRA merge scales the rows by 2 and 1/2: W1 = [[6, 0], [0, 2]];
// the LoRA adds 1 everywhere: W2 = [[7, 1], [1, 3]]. Unmerging the DoRA
// first would give [[2.5, -0.5], [1, 5]].
// MERGE-LABEL: func.func @dora_then_lora
// MERGE: onnx.initializer "w" dense_resource<[[W:.*]]> : tensor<2x2xf32>
// MERGE: peft.lora {{.*}} weight_norm {{.*}} adapter "dora" merged
// MERGE: peft.lora {{.*}} adapter "lora" merged
// MERGE: [[W]]: "0x040000000000E0400000803F0000803F00004040"
// ROUNDTRIP-LABEL: func.func @dora_then_lora
// ROUNDTRIP: onnx.initializer "w" dense_resource<[[W:.*]]> : tensor<2x2xf32>
// ROUNDTRIP-NOT: merged
// ROUNDTRIP: [[W]]: "0x0400000000004040000000000000000000008040"
func.func @dora_then_lora(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = onnx.initializer "w" dense<[[3.0, 0.0], [0.0, 4.0]]> : tensor<2x2xf32>
  %m = onnx.initializer "m" dense<[6.0, 2.0]> : tensor<2xf32>
  %a0 = onnx.initializer "a0" dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %b0 = onnx.initializer "b0" dense<0.0> : tensor<2x1xf32>
  %a1 = onnx.initializer "a1" dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %b1 = onnx.initializer "b1" dense<[[1.0], [1.0]]> : tensor<2x1xf32>
  %y = peft.linear %x, %w layout out_in role q path "q_proj" : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  %d = peft.lora %x, %y, %a0, %b0 magnitude %m scale 1.0 adapter "dora" : tensor<?x2xf32>, tensor<?x2xf32>, tensor<1x2xf32>, tensor<2x1xf32>, tensor<2xf32>
  %z = peft.lora %x, %d, %a1, %b1 scale 1.0 adapter "lora" : tensor<?x2xf32>, tensor<?x2xf32>, tensor<1x2xf32>, tensor<2x1xf32>
  return %z : tensor<?x2xf32>
}
