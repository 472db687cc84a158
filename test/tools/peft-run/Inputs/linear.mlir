// A LoRA-shaped block of peft.linear layers with ONNX-style argument names
// and symbolic dims: y = (x·Wᵀ + b) + (x·A)·B, and a gate input that shares
// the batch dim with x.
func.func @block(
    %x: tensor<?x?x48xf32> {onnx.name = "hidden", onnx.dim_params = ["batch", "sequence", ""]},
    %gate: tensor<?x1x40xf32> {onnx.name = "gate", onnx.dim_params = ["batch", "", ""]},
    %w: tensor<40x48xf32> {onnx.name = "w"}, %b: tensor<40xf32> {onnx.name = "b"},
    %a: tensor<48x4xf32> {onnx.name = "lora_a"}, %bb: tensor<4x40xf32> {onnx.name = "lora_b"})
    -> (tensor<?x?x40xf32> {onnx.name = "out"}) {
  %base = peft.linear %x, %w, %b layout out_in role q
         : tensor<?x?x48xf32>, tensor<40x48xf32>, tensor<40xf32> -> tensor<?x?x40xf32>
  %down = peft.linear %x, %a layout in_out role other
         : tensor<?x?x48xf32>, tensor<48x4xf32> -> tensor<?x?x4xf32>
  %up = peft.linear %down, %bb layout in_out role other
         : tensor<?x?x4xf32>, tensor<4x40xf32> -> tensor<?x?x40xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d0 = tensor.dim %x, %c0 : tensor<?x?x48xf32>
  %d1 = tensor.dim %x, %c1 : tensor<?x?x48xf32>
  %init = tensor.empty(%d0, %d1) : tensor<?x?x40xf32>
  %y = linalg.generic {
      indexing_maps = [affine_map<(b, s, o) -> (b, s, o)>,
                       affine_map<(b, s, o) -> (b, s, o)>,
                       affine_map<(b, s, o) -> (b, 0, o)>,
                       affine_map<(b, s, o) -> (b, s, o)>],
      iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%base, %up, %gate : tensor<?x?x40xf32>, tensor<?x?x40xf32>, tensor<?x1x40xf32>)
      outs(%init : tensor<?x?x40xf32>) {
  ^bb0(%p: f32, %q: f32, %g: f32, %o: f32):
    %lora = arith.mulf %q, %g : f32
    %s = arith.addf %p, %lora : f32
    linalg.yield %s : f32
  } -> tensor<?x?x40xf32>
  return %y : tensor<?x?x40xf32>
}
