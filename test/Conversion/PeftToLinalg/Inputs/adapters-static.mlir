// adapters.mlir with static shapes (batch 2, sequence 8) for the GPU tests.
func.func @lora(%x: tensor<2x8x48xf32> {onnx.name = "x"}, %w: tensor<40x48xf32> {onnx.name = "w"},
                %b: tensor<40xf32> {onnx.name = "b"}, %a: tensor<4x48xf32> {onnx.name = "lora_a"},
                %bb: tensor<40x4xf32> {onnx.name = "lora_b"})
    -> (tensor<2x8x40xf32> {onnx.name = "y"}) {
  %y = peft.linear %x, %w, %b layout out_in role q
         : tensor<2x8x48xf32>, tensor<40x48xf32>, tensor<40xf32> -> tensor<2x8x40xf32>
  %z = peft.lora %x, %y, %a, %bb scale 0.5
         : tensor<2x8x48xf32>, tensor<2x8x40xf32>, tensor<4x48xf32>, tensor<40x4xf32>
  return %z : tensor<2x8x40xf32>
}

// An in_out layer with two stacked adapters (the second of rank 2).
func.func @stacked(%x: tensor<2x8x48xf32> {onnx.name = "x"}, %wt: tensor<48x40xf32> {onnx.name = "wt"},
                   %a: tensor<4x48xf32> {onnx.name = "lora_a"}, %bb: tensor<40x4xf32> {onnx.name = "lora_b"},
                   %a2: tensor<2x48xf32> {onnx.name = "lora_a2"}, %bb2: tensor<40x2xf32> {onnx.name = "lora_b2"})
    -> (tensor<2x8x40xf32> {onnx.name = "y"}) {
  %y = peft.linear %x, %wt layout in_out role v
         : tensor<2x8x48xf32>, tensor<48x40xf32> -> tensor<2x8x40xf32>
  %z = peft.lora %x, %y, %a, %bb scale 0.5 adapter "one"
         : tensor<2x8x48xf32>, tensor<2x8x40xf32>, tensor<4x48xf32>, tensor<40x4xf32>
  %z2 = peft.lora %x, %z, %a2, %bb2 scale 3.0 adapter "two"
         : tensor<2x8x48xf32>, tensor<2x8x40xf32>, tensor<2x48xf32>, tensor<40x2xf32>
  return %z2 : tensor<2x8x40xf32>
}

func.func @dora(%x: tensor<2x8x48xf32> {onnx.name = "x"}, %w: tensor<40x48xf32> {onnx.name = "w"},
                %b: tensor<40xf32> {onnx.name = "b"}, %a: tensor<4x48xf32> {onnx.name = "lora_a"},
                %bb: tensor<40x4xf32> {onnx.name = "lora_b"}, %m: tensor<40xf32> {onnx.name = "m"})
    -> (tensor<2x8x40xf32> {onnx.name = "y"}) {
  %y = peft.linear %x, %w, %b layout out_in role q
         : tensor<2x8x48xf32>, tensor<40x48xf32>, tensor<40xf32> -> tensor<2x8x40xf32>
  %z = peft.lora %x, %y, %a, %bb magnitude %m scale 0.5
         : tensor<2x8x48xf32>, tensor<2x8x40xf32>, tensor<4x48xf32>, tensor<40x4xf32>, tensor<40xf32>
  return %z : tensor<2x8x40xf32>
}

func.func @ia3(%x: tensor<2x8x48xf32> {onnx.name = "x"}, %w: tensor<40x48xf32> {onnx.name = "w"},
               %b: tensor<40xf32> {onnx.name = "b"}, %l: tensor<40xf32> {onnx.name = "l_out"})
    -> (tensor<2x8x40xf32> {onnx.name = "y"}) {
  %y = peft.linear %x, %w, %b layout out_in role k
         : tensor<2x8x48xf32>, tensor<40x48xf32>, tensor<40xf32> -> tensor<2x8x40xf32>
  %z = peft.ia3 %y, %l : tensor<2x8x40xf32>, tensor<40xf32>
  return %z : tensor<2x8x40xf32>
}

func.func @ia3_ff(%x: tensor<2x8x48xf32> {onnx.name = "x"}, %wt: tensor<48x40xf32> {onnx.name = "wt"},
                  %b: tensor<40xf32> {onnx.name = "b"}, %l: tensor<48xf32> {onnx.name = "l_in"})
    -> (tensor<2x8x40xf32> {onnx.name = "y"}) {
  %y = peft.linear %x, %wt, %b layout in_out role down
         : tensor<2x8x48xf32>, tensor<48x40xf32>, tensor<40xf32> -> tensor<2x8x40xf32>
  %z = peft.ia3 %y, %l feedforward : tensor<2x8x40xf32>, tensor<48xf32>
  return %z : tensor<2x8x40xf32>
}
