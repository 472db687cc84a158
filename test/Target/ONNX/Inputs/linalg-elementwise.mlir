// An elementwise generic with a broadcast operand (as peft-lora-as-inputs
// makes) exports as the ONNX operator of its body.
#id = affine_map<(d0, d1) -> (d0, d1)>
#bc = affine_map<(d0, d1) -> (0)>
func.func @main(%x: tensor<3x4xf32> {onnx.name = "x"}, %s: tensor<1xf32> {onnx.name = "s"})
    -> (tensor<3x4xf32> {onnx.name = "y"}) {
  %e = tensor.empty() : tensor<3x4xf32>
  %y = linalg.generic {indexing_maps = [#id, #bc, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<3x4xf32>, tensor<1xf32>) outs(%e : tensor<3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<3x4xf32> loc("/scaled/Sub")
  return %y : tensor<3x4xf32>
}
