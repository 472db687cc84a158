// q_proj (16 -> 16) and v_proj (16 -> 8) for the runtime bank of
// lora-bank-exec.test.
func.func @main(%x: tensor<?x3x16xf32> {onnx.name = "x"}, %wq: tensor<16x16xf32> {onnx.name = "wq"},
                %wv: tensor<8x16xf32> {onnx.name = "wv"})
    -> (tensor<?x3x16xf32> {onnx.name = "q"}, tensor<?x3x8xf32> {onnx.name = "v"}) {
  %q = peft.linear %x, %wq layout out_in role q path "model.layers.0.self_attn.q_proj"
         : tensor<?x3x16xf32>, tensor<16x16xf32> -> tensor<?x3x16xf32>
  %v = peft.linear %x, %wv layout out_in role v path "model.layers.0.self_attn.v_proj"
         : tensor<?x3x16xf32>, tensor<8x16xf32> -> tensor<?x3x8xf32>
  return %q, %v : tensor<?x3x16xf32>, tensor<?x3x8xf32>
}
