// Routed adapter banks for lora-bank-exec.test: three tasks with ranks
// 4, 0 and 8 on a [batch, seq, 48] input, the same bank on the
// [batch·seq, 48] rows of a GPT-2-style layer, and a runtime bank.
func.func @routed(%x: tensor<?x?x48xf32> {onnx.name = "x"}, %w: tensor<40x48xf32> {onnx.name = "w"},
                  %a: tensor<12x48xf32> {onnx.name = "a"}, %b: tensor<40x12xf32> {onnx.name = "b"},
                  %ids: tensor<?xi64> {onnx.name = "ids"}) -> (tensor<?x?x40xf32> {onnx.name = "y"}) {
  %y = peft.linear %x, %w layout out_in role q : tensor<?x?x48xf32>, tensor<40x48xf32> -> tensor<?x?x40xf32>
  %z = peft.lora_bank %x, %y, %a, %b task_ids %ids tasks ["a", "b", "c"] ranks [4, 0, 8]
         scales [2.0, 1.0, 0.5]
         : tensor<?x?x48xf32>, tensor<?x?x40xf32>, tensor<12x48xf32>, tensor<40x12xf32>, tensor<?xi64>
  return %z : tensor<?x?x40xf32>
}

func.func @flat(%x: tensor<?x48xf32> {onnx.name = "x"}, %w: tensor<40x48xf32> {onnx.name = "w"},
                %a: tensor<12x48xf32> {onnx.name = "a"}, %b: tensor<40x12xf32> {onnx.name = "b"},
                %ids: tensor<?xi64> {onnx.name = "ids"}) -> (tensor<?x40xf32> {onnx.name = "y"}) {
  %y = peft.linear %x, %w layout out_in role q : tensor<?x48xf32>, tensor<40x48xf32> -> tensor<?x40xf32>
  %z = peft.lora_bank %x, %y, %a, %b task_ids %ids tasks ["a", "b", "c"] ranks [4, 0, 8]
         scales [2.0, 1.0, 0.5]
         : tensor<?x48xf32>, tensor<?x40xf32>, tensor<12x48xf32>, tensor<40x12xf32>, tensor<?xi64>
  return %z : tensor<?x40xf32>
}

// Capacity 16 rows, 4 task slots; offsets and scales are inputs.
func.func @runtime(%x: tensor<?x?x48xf32> {onnx.name = "x"}, %w: tensor<40x48xf32> {onnx.name = "w"},
                   %a: tensor<16x48xf32> {onnx.name = "a16"}, %b: tensor<40x16xf32> {onnx.name = "b16"},
                   %ids: tensor<?xi64> {onnx.name = "ids"}, %o: tensor<5xi64> {onnx.name = "offsets"},
                   %s: tensor<4xf32> {onnx.name = "scales"}) -> (tensor<?x?x40xf32> {onnx.name = "y"}) {
  %y = peft.linear %x, %w layout out_in role q : tensor<?x?x48xf32>, tensor<40x48xf32> -> tensor<?x?x40xf32>
  %z = peft.lora_bank %x, %y, %a, %b task_ids %ids runtime(%o : tensor<5xi64>, %s : tensor<4xf32>)
         : tensor<?x?x48xf32>, tensor<?x?x40xf32>, tensor<16x48xf32>, tensor<40x16xf32>, tensor<?xi64>
  return %z : tensor<?x?x40xf32>
}
