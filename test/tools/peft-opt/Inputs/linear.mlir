func.func @f(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = onnx.initializer "q.weight" dense<0.5> : tensor<3x4xf32>
  %y = peft.linear %x, %w layout out_in role q path "layers.0.q_proj" : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
