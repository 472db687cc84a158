// Input of export.test: an op outside the onnx dialect (not a test itself).
module {
  func.func @g(%x: tensor<2xf32>) -> tensor<2xf32> {
    %y = arith.addf %x, %x : tensor<2xf32>
    return %y : tensor<2xf32>
  }
}
