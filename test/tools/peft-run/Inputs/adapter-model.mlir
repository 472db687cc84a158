// Three adapted attention projections for adapter.test. The constant
// adapters are placeholders: peft-lora-as-inputs turns them into inputs that
// peft-run --adapter fills. Base weights are inputs so that numpy computes the
// references from the same numbers.
func.func @attn(%x: tensor<?x?x16xf32> {onnx.name = "x"},
                %wq: tensor<24x16xf32> {onnx.name = "wq"}, %bq: tensor<24xf32> {onnx.name = "bq"},
                %wv: tensor<16x24xf32> {onnx.name = "wv"}, %wo: tensor<24x16xf32> {onnx.name = "wo"})
    -> (tensor<?x?x24xf32> {onnx.name = "q"}, tensor<?x?x24xf32> {onnx.name = "v"},
        tensor<?x?x24xf32> {onnx.name = "o"}) {
  %a = arith.constant dense<0.5> : tensor<2x16xf32>
  %b = arith.constant dense<0.5> : tensor<24x2xf32>
  %q0 = peft.linear %x, %wq, %bq layout out_in role q path "model.layers.0.self_attn.q_proj"
         : tensor<?x?x16xf32>, tensor<24x16xf32>, tensor<24xf32> -> tensor<?x?x24xf32>
  %q = peft.lora %x, %q0, %a, %b scale 2.0
         : tensor<?x?x16xf32>, tensor<?x?x24xf32>, tensor<2x16xf32>, tensor<24x2xf32>
  %v0 = peft.linear %x, %wv layout in_out role v path "model.layers.0.self_attn.v_proj"
         : tensor<?x?x16xf32>, tensor<16x24xf32> -> tensor<?x?x24xf32>
  %v = peft.lora %x, %v0, %a, %b scale 2.0
         : tensor<?x?x16xf32>, tensor<?x?x24xf32>, tensor<2x16xf32>, tensor<24x2xf32>
  %o0 = peft.linear %x, %wo layout out_in role o path "model.layers.0.self_attn.o_proj"
         : tensor<?x?x16xf32>, tensor<24x16xf32> -> tensor<?x?x24xf32>
  %o = peft.lora %x, %o0, %a, %b scale 2.0
         : tensor<?x?x16xf32>, tensor<?x?x24xf32>, tensor<2x16xf32>, tensor<24x2xf32>
  return %q, %v, %o : tensor<?x?x24xf32>, tensor<?x?x24xf32>, tensor<?x?x24xf32>
}
