// RUN: peft-opt %s -split-input-file --peft-merge-lora=adapters=lora,scale -verify-diagnostics
// RUN: not peft-opt %s -split-input-file --peft-merge-lora --peft-unmerge-lora=adapters=dora 2>&1 | FileCheck %s --check-prefix=UNMERGE

// 3. Merging only the upper LoRA while the DoRA below stays unmerged would
// change the DoRA normalization: refused, naming both adapters.
func.func @merge_above_unmerged_dora(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = onnx.initializer "w" dense<[[3.0, 0.0], [0.0, 4.0]]> : tensor<2x2xf32>
  %m = onnx.initializer "m" dense<[6.0, 2.0]> : tensor<2xf32>
  %a0 = onnx.initializer "a0" dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %b0 = onnx.initializer "b0" dense<0.0> : tensor<2x1xf32>
  %a1 = onnx.initializer "a1" dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %b1 = onnx.initializer "b1" dense<[[1.0], [1.0]]> : tensor<2x1xf32>
  %y = peft.linear %x, %w layout out_in role q path "q_proj" : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  // expected-note @+1 {{adapter 'dora' (peft.lora) is here}}
  %d = peft.lora %x, %y, %a0, %b0 magnitude %m scale 1.0 adapter "dora" : tensor<?x2xf32>, tensor<?x2xf32>, tensor<1x2xf32>, tensor<2x1xf32>, tensor<2xf32>
  // expected-error @+1 {{cannot merge adapter 'lora' (peft.lora) of layer 'q_proj': adapter 'dora' (peft.lora) below it is not merged, and the output of 'dora' (peft.lora) depends on the layer's weight (DoRA normalization or IA³ scaling); merge 'dora' (peft.lora) first}}
  %z = peft.lora %x, %d, %a1, %b1 scale 1.0 adapter "lora" : tensor<?x2xf32>, tensor<?x2xf32>, tensor<1x2xf32>, tensor<2x1xf32>
  return %z : tensor<?x2xf32>
}

// Unmerging only the DoRA while the LoRA above stays merged is refused too.
// UNMERGE: error: cannot unmerge adapter 'dora' (peft.lora) of layer 'q_proj': adapter 'lora' (peft.lora) above it is merged, and the output of 'dora' (peft.lora) depends on the layer's weight (DoRA normalization or IA³ scaling); unmerge 'lora' (peft.lora) first
// UNMERGE: note: adapter 'lora' (peft.lora) is here

// -----

// An IA³ cannot be folded over a LoRA that is merged but kept: the LoRA
// could not be unmerged from the rescaled weight afterwards.
func.func @ia3_over_merged_lora(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = onnx.initializer "w" dense<1.0> : tensor<2x2xf32>
  %l = onnx.initializer "l" dense<[2.0, 0.5]> : tensor<2xf32>
  %a = onnx.initializer "a" dense<[[1.0, 0.0]]> : tensor<1x2xf32>
  %b = onnx.initializer "b" dense<[[1.0], [1.0]]> : tensor<2x1xf32>
  %y = peft.linear %x, %w layout out_in role q path "q_proj" : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  %z = peft.lora %x, %y, %a, %b scale 1.0 adapter "lora" merged : tensor<?x2xf32>, tensor<?x2xf32>, tensor<1x2xf32>, tensor<2x1xf32>
  // expected-error @+1 {{cannot fold the IA³ adapter 'scale' of layer 'q_proj' over adapter 'lora' (peft.lora) below it: the fold cannot be undone, so 'lora' could not be unmerged afterwards; merge it with drop-adapters=true first}}
  %s = peft.ia3 %z, %l adapter "scale" : tensor<?x2xf32>, tensor<2xf32>
  return %s : tensor<?x2xf32>
}
