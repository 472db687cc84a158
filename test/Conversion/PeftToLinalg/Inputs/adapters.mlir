// Adapted linear layers for lora-exec.test: weights are arguments so that
// numpy computes the references from the same numbers.
func.func @lora(%x: tensor<?x?x48xf32> {onnx.name = "x"}, %w: tensor<40x48xf32> {onnx.name = "w"},
                %b: tensor<40xf32> {onnx.name = "b"}, %a: tensor<4x48xf32> {onnx.name = "lora_a"},
                %bb: tensor<40x4xf32> {onnx.name = "lora_b"})
    -> (tensor<?x?x40xf32> {onnx.name = "y"}) {
  %y = peft.linear %x, %w, %b layout out_in role q
         : tensor<?x?x48xf32>, tensor<40x48xf32>, tensor<40xf32> -> tensor<?x?x40xf32>
  %z = peft.lora %x, %y, %a, %bb scale 0.5
         : tensor<?x?x48xf32>, tensor<?x?x40xf32>, tensor<4x48xf32>, tensor<40x4xf32>
  return %z : tensor<?x?x40xf32>
}

// An in_out layer with two stacked adapters (the second of rank 2).
func.func @stacked(%x: tensor<?x?x48xf32> {onnx.name = "x"}, %wt: tensor<48x40xf32> {onnx.name = "wt"},
                   %a: tensor<4x48xf32> {onnx.name = "lora_a"}, %bb: tensor<40x4xf32> {onnx.name = "lora_b"},
                   %a2: tensor<2x48xf32> {onnx.name = "lora_a2"}, %bb2: tensor<40x2xf32> {onnx.name = "lora_b2"})
    -> (tensor<?x?x40xf32> {onnx.name = "y"}) {
  %y = peft.linear %x, %wt layout in_out role v
         : tensor<?x?x48xf32>, tensor<48x40xf32> -> tensor<?x?x40xf32>
  %z = peft.lora %x, %y, %a, %bb scale 0.5 adapter "one"
         : tensor<?x?x48xf32>, tensor<?x?x40xf32>, tensor<4x48xf32>, tensor<40x4xf32>
  %z2 = peft.lora %x, %z, %a2, %bb2 scale 3.0 adapter "two"
         : tensor<?x?x48xf32>, tensor<?x?x40xf32>, tensor<2x48xf32>, tensor<40x2xf32>
  return %z2 : tensor<?x?x40xf32>
}

func.func @dora(%x: tensor<?x?x48xf32> {onnx.name = "x"}, %w: tensor<40x48xf32> {onnx.name = "w"},
                %b: tensor<40xf32> {onnx.name = "b"}, %a: tensor<4x48xf32> {onnx.name = "lora_a"},
                %bb: tensor<40x4xf32> {onnx.name = "lora_b"}, %m: tensor<40xf32> {onnx.name = "m"})
    -> (tensor<?x?x40xf32> {onnx.name = "y"}) {
  %y = peft.linear %x, %w, %b layout out_in role q
         : tensor<?x?x48xf32>, tensor<40x48xf32>, tensor<40xf32> -> tensor<?x?x40xf32>
  %z = peft.lora %x, %y, %a, %bb magnitude %m scale 0.5
         : tensor<?x?x48xf32>, tensor<?x?x40xf32>, tensor<4x48xf32>, tensor<40x4xf32>, tensor<40xf32>
  return %z : tensor<?x?x40xf32>
}

func.func @ia3(%x: tensor<?x?x48xf32> {onnx.name = "x"}, %w: tensor<40x48xf32> {onnx.name = "w"},
               %b: tensor<40xf32> {onnx.name = "b"}, %l: tensor<40xf32> {onnx.name = "l_out"})
    -> (tensor<?x?x40xf32> {onnx.name = "y"}) {
  %y = peft.linear %x, %w, %b layout out_in role k
         : tensor<?x?x48xf32>, tensor<40x48xf32>, tensor<40xf32> -> tensor<?x?x40xf32>
  %z = peft.ia3 %y, %l : tensor<?x?x40xf32>, tensor<40xf32>
  return %z : tensor<?x?x40xf32>
}

func.func @ia3_ff(%x: tensor<?x?x48xf32> {onnx.name = "x"}, %wt: tensor<48x40xf32> {onnx.name = "wt"},
                  %b: tensor<40xf32> {onnx.name = "b"}, %l: tensor<48xf32> {onnx.name = "l_in"})
    -> (tensor<?x?x40xf32> {onnx.name = "y"}) {
  %y = peft.linear %x, %wt, %b layout in_out role down
         : tensor<?x?x48xf32>, tensor<48x40xf32>, tensor<40xf32> -> tensor<?x?x40xf32>
  %z = peft.ia3 %y, %l feedforward : tensor<?x?x40xf32>, tensor<48xf32>
  return %z : tensor<?x?x40xf32>
}
