// RUN: peft-opt %s -split-input-file --peft-merge-lora -verify-diagnostics

func.func @runtime_adapter(%x: tensor<?x3xf32>, %a: tensor<1x3xf32>, %b: tensor<4x1xf32>) -> tensor<?x4xf32> {
  %w = onnx.initializer "wq" dense<1.0> : tensor<4x3xf32>
  %y = peft.linear %x, %w layout out_in role q path "q_proj" : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
  // expected-error @+1 {{lora_A of adapter 'default' on layer 'q_proj' is not a constant (a runtime argument?): cannot fold it}}
  %z = peft.lora %x, %y, %a, %b scale 2.0 : tensor<?x3xf32>, tensor<?x4xf32>, tensor<1x3xf32>, tensor<4x1xf32>
  return %z : tensor<?x4xf32>
}

// -----

func.func @overflow(%x: tensor<?x3xf32>) -> tensor<?x4xf32> {
  %w = onnx.initializer "wq" dense<3.0e38> : tensor<4x3xf32>
  %a = onnx.initializer "a" dense<3.0e38> : tensor<1x3xf32>
  %b = onnx.initializer "b" dense<1.0> : tensor<4x1xf32>
  %y = peft.linear %x, %w layout out_in role v path "v_proj" : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
  // expected-error @+1 {{the new weight of layer 'v_proj' has 12 non-finite value(s) (INF at stored [0, 0])}}
  %z = peft.lora %x, %y, %a, %b scale 1.0 : tensor<?x3xf32>, tensor<?x4xf32>, tensor<1x3xf32>, tensor<4x1xf32>
  return %z : tensor<?x4xf32>
}
