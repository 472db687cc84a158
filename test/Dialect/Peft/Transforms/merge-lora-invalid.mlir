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

// -----

// An f16 weight is checked after rounding: 60000 + 10000 fits in f32 but
// overflows f16 (largest 65504) to +inf in the stored row 1.
func.func @half_overflow(%x: tensor<?x3xf16>) -> tensor<?x2xf16> {
  %w = onnx.initializer "wo" dense_resource<wo> : tensor<2x3xf16>
  %a = onnx.initializer "a" dense<1.0> : tensor<1x3xf16>
  %b = onnx.initializer "b" dense<1.0e4> : tensor<2x1xf16>
  %y = peft.linear %x, %w layout out_in role o path "o_proj" : tensor<?x3xf16>, tensor<2x3xf16> -> tensor<?x2xf16>
  // expected-error @+1 {{the new weight of layer 'o_proj' has 3 non-finite value(s) (INF at stored [1, 0])}}
  %z = peft.lora %x, %y, %a, %b scale 1.0 : tensor<?x3xf16>, tensor<?x2xf16>, tensor<1x3xf16>, tensor<2x1xf16>
  return %z : tensor<?x2xf16>
}

{-#
  dialect_resources: {
    builtin: {
      wo: "0x02000000003C003C003C537B537B537B"
    }
  }
#-}
