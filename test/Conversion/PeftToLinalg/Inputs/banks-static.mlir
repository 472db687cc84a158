// Routed adapter banks with static shapes for the GPU pipeline
// (lora-bank-ptx.test): a static bank of three tasks (ranks 4, 0, 8) and a
// runtime bank (capacity 16, 4 slots), 4 sequences of 16 tokens.
func.func @bank(%x: tensor<4x16x256xf32>, %w: tensor<128x256xf32>, %a: tensor<12x256xf32>,
                %b: tensor<128x12xf32>, %ids: tensor<4xi64>) -> tensor<4x16x128xf32> {
  %y = peft.linear %x, %w layout out_in role q : tensor<4x16x256xf32>, tensor<128x256xf32> -> tensor<4x16x128xf32>
  %z = peft.lora_bank %x, %y, %a, %b task_ids %ids tasks ["a", "b", "c"] ranks [4, 0, 8]
         scales [2.0, 1.0, 0.5]
         : tensor<4x16x256xf32>, tensor<4x16x128xf32>, tensor<12x256xf32>, tensor<128x12xf32>, tensor<4xi64>
  return %z : tensor<4x16x128xf32>
}

func.func @runtime_bank(%x: tensor<4x16x256xf32>, %w: tensor<128x256xf32>, %a: tensor<16x256xf32>,
                        %b: tensor<128x16xf32>, %ids: tensor<4xi64>, %o: tensor<5xi64>,
                        %s: tensor<4xf32>) -> tensor<4x16x128xf32> {
  %y = peft.linear %x, %w layout out_in role q : tensor<4x16x256xf32>, tensor<128x256xf32> -> tensor<4x16x128xf32>
  %z = peft.lora_bank %x, %y, %a, %b task_ids %ids runtime(%o : tensor<5xi64>, %s : tensor<4xf32>)
         : tensor<4x16x256xf32>, tensor<4x16x128xf32>, tensor<16x256xf32>, tensor<128x16xf32>, tensor<4xi64>
  return %z : tensor<4x16x128xf32>
}
