// RUN: peft-opt %s -split-input-file -verify-diagnostics

func.func @ranks_do_not_add_up(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>, %a: tensor<5x8xf32>, %b: tensor<8x5xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  // expected-error @+1 {{'peft.lora_bank' op the task ranks add up to 6 but lora_a has 5 rows}}
  %z = peft.lora_bank %x, %y, %a, %b tasks ["a", "b"] ranks [2, 4] scales [1.0, 1.0] : tensor<2x8xf32>, tensor<2x8xf32>, tensor<5x8xf32>, tensor<8x5xf32>
  return
}

// -----

func.func @a_b_disagree(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>, %a: tensor<6x8xf32>, %b: tensor<8x5xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  // expected-error @+1 {{'peft.lora_bank' op lora_a has 6 rows but lora_b has 5 columns; both hold the stacked ranks of every task}}
  %z = peft.lora_bank %x, %y, %a, %b tasks ["a", "b"] ranks [2, 4] scales [1.0, 1.0] : tensor<2x8xf32>, tensor<2x8xf32>, tensor<6x8xf32>, tensor<8x5xf32>
  return
}

// -----

func.func @duplicate_task(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>, %a: tensor<6x8xf32>, %b: tensor<8x6xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  // expected-error @+1 {{'peft.lora_bank' op task 'a' occurs twice}}
  %z = peft.lora_bank %x, %y, %a, %b tasks ["a", "a"] ranks [2, 4] scales [1.0, 1.0] : tensor<2x8xf32>, tensor<2x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>
  return
}

// -----

func.func @counts(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>, %a: tensor<6x8xf32>, %b: tensor<8x6xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  // expected-error @+1 {{'peft.lora_bank' op has 2 tasks but 1 ranks and 2 scales}}
  %z = peft.lora_bank %x, %y, %a, %b tasks ["a", "b"] ranks [6] scales [1.0, 1.0] : tensor<2x8xf32>, tensor<2x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>
  return
}

// -----

func.func @negative_rank(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>, %a: tensor<6x8xf32>, %b: tensor<8x6xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  // expected-error @+1 {{'peft.lora_bank' op task 'b' has negative rank -2}}
  %z = peft.lora_bank %x, %y, %a, %b tasks ["a", "b"] ranks [8, -2] scales [1.0, 1.0] : tensor<2x8xf32>, tensor<2x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>
  return
}

// -----

func.func @no_layout(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>, %a: tensor<6x8xf32>, %b: tensor<8x6xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  // expected-error @+1 {{'peft.lora_bank' op needs tasks, ranks and scales (or the runtime operands rank_offsets and task_scales)}}
  %z = peft.lora_bank %x, %y, %a, %b : tensor<2x8xf32>, tensor<2x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>
  return
}

// -----

func.func @wrong_in(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>, %a: tensor<6x9xf32>, %b: tensor<8x6xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  // expected-error @+1 {{'peft.lora_bank' op lora_a 'tensor<6x9xf32>' must be [total rank, 8] (the layer's inputs)}}
  %z = peft.lora_bank %x, %y, %a, %b tasks ["a"] ranks [6] scales [1.0] : tensor<2x8xf32>, tensor<2x8xf32>, tensor<6x9xf32>, tensor<8x6xf32>
  return
}

// -----

func.func @runtime_with_attrs(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>, %a: tensor<6x8xf32>, %b: tensor<8x6xf32>,
                              %o: tensor<3xi64>, %s: tensor<2xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  // expected-error @+1 {{'peft.lora_bank' op a runtime bank takes its ranks and scales from rank_offsets and task_scales, not from attributes}}
  %z = peft.lora_bank %x, %y, %a, %b runtime(%o : tensor<3xi64>, %s : tensor<2xf32>) ranks [6] : tensor<2x8xf32>, tensor<2x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>
  return
}

// -----

func.func @runtime_offsets(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>, %a: tensor<6x8xf32>, %b: tensor<8x6xf32>,
                           %o: tensor<2xi64>, %s: tensor<2xf32>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  // expected-error @+1 {{'peft.lora_bank' op rank_offsets must have one more element than task_scales (2)}}
  %z = peft.lora_bank %x, %y, %a, %b runtime(%o : tensor<2xi64>, %s : tensor<2xf32>) : tensor<2x8xf32>, tensor<2x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>
  return
}

// -----

func.func @routed_vector(%x: tensor<8xf32>, %w: tensor<8x8xf32>, %a: tensor<6x8xf32>, %b: tensor<8x6xf32>, %ids: tensor<?xi64>) {
  %y = peft.linear %x, %w layout out_in role q : tensor<8xf32>, tensor<8x8xf32> -> tensor<8xf32>
  // expected-error @+1 {{'peft.lora_bank' op a routed bank needs an input with a row dimension}}
  %z = peft.lora_bank %x, %y, %a, %b task_ids %ids tasks ["a"] ranks [6] scales [1.0] : tensor<8xf32>, tensor<8xf32>, tensor<6x8xf32>, tensor<8x6xf32>, tensor<?xi64>
  return
}

// -----

func.func @bank_not_on_layer(%x: tensor<2x8xf32>, %a: tensor<6x8xf32>, %b: tensor<8x6xf32>) {
  // expected-error @+1 {{'peft.lora_bank' op base must be the output of a linear layer}}
  %z = peft.lora_bank %x, %x, %a, %b tasks ["a"] ranks [6] scales [1.0] : tensor<2x8xf32>, tensor<2x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>
  return
}
