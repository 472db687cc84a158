// The merged weight holds W0 + s·B·A exactly (every value here is
// representable), written in the layer's own element type, and the unmerge
// restores W0 bit for bit. f16 blob bytes, little-endian after the 4-byte
// alignment header: 3, 1, 5 / 2, 1, 3 / 1, 1, 1 / -1, 1, -3.
// RUN: peft-opt %s --peft-merge-lora | FileCheck %s --check-prefix=MERGED
// RUN: peft-opt %s --peft-merge-lora --peft-unmerge-lora | FileCheck %s --check-prefix=RESTORED
// RUN: peft-opt %s --peft-merge-lora | FileCheck %s --check-prefix=F64M
// RUN: peft-opt %s --peft-merge-lora --peft-unmerge-lora | FileCheck %s --check-prefix=F64R

// MERGED: onnx.initializer "wq" dense_resource<[[BLOB:.*]]> : tensor<4x3xf16>
// MERGED: onnx.initializer "wb" dense_resource<[[BF:.*]]> : tensor<1x1xbf16>
// MERGED: [[BLOB]]: "0x020000000042003C00450040003C0042003C003C003C00BC003C00C2"
// MERGED: [[BF]]: "0x02000000813F"
// RESTORED: onnx.initializer "wq" dense_resource<[[BLOB:.*]]> : tensor<4x3xf16>
// RESTORED: [[BLOB]]: "0x02000000003C003C003C003C003C003C003C003C003C003C003C003C"
// RESTORED: "0x02000000803F"
func.func @f16(%x: tensor<?x3xf16>) -> tensor<?x4xf16> {
  %w = onnx.initializer "wq" dense<1.0> : tensor<4x3xf16>
  %a = onnx.initializer "a" dense<[[1.0, 0.0, 2.0]]> : tensor<1x3xf16>
  %b = onnx.initializer "b" dense<[[1.0], [0.5], [0.0], [-1.0]]> : tensor<4x1xf16>
  %y = peft.linear %x, %w layout out_in role q path "q_proj" : tensor<?x3xf16>, tensor<4x3xf16> -> tensor<?x4xf16>
  %z = peft.lora %x, %y, %a, %b scale 2.0 : tensor<?x3xf16>, tensor<?x4xf16>, tensor<1x3xf16>, tensor<4x1xf16>
  return %z : tensor<?x4xf16>
}

// One rounding: s·B·A = 2^-8 + 2^-16 is accumulated in fp32, so
// 1 + 2^-8 + 2^-16 rounds up to the bf16 value 1 + 2^-7 (0x3F81). Rounding
// the product to bf16 first would give 2^-8 and then the tie 1 + 2^-8 would
// round to even, 1.0 (0x3F80).
func.func @bf16(%x: tensor<?x1xbf16>) -> tensor<?x1xbf16> {
  %w = onnx.initializer "wb" dense<1.0> : tensor<1x1xbf16>
  %a = onnx.initializer "ab" dense<[[1.0], [1.0]]> : tensor<2x1xbf16>
  %b = onnx.initializer "bb" dense<[[0.00390625, 0.0000152587890625]]> : tensor<1x2xbf16>
  %y = peft.linear %x, %w layout out_in role q path "b_proj" : tensor<?x1xbf16>, tensor<1x1xbf16> -> tensor<?x1xbf16>
  %z = peft.lora %x, %y, %a, %b scale 1.0 : tensor<?x1xbf16>, tensor<?x1xbf16>, tensor<2x1xbf16>, tensor<1x2xbf16>
  return %z : tensor<?x1xbf16>
}

// f64 weights are merged in f64: W = 1 + 2^-40 plus s·B·A = 2·0.25·0.5 =
// 0.25 is 1.25 + 2^-40 exactly (an f32 computation would lose the 2^-40),
// and the unmerge gives 1 + 2^-40 back.
// F64M: onnx.initializer "wd" dense_resource<[[WD:.*]]> : tensor<1x1xf64>
// F64M: [[WD]]: "0x08000000001000000000F43F"
// F64R: onnx.initializer "wd" dense_resource<[[WD:.*]]> : tensor<1x1xf64>
// F64R: [[WD]]: "0x08000000001000000000F03F"
func.func @f64(%x: tensor<?x1xf64>) -> tensor<?x1xf64> {
  %w = onnx.initializer "wd" dense<0x3FF0000000001000> : tensor<1x1xf64>
  %a = onnx.initializer "ad" dense<0.5> : tensor<1x1xf64>
  %b = onnx.initializer "bd" dense<0.25> : tensor<1x1xf64>
  %y = peft.linear %x, %w layout out_in role q path "d_proj" : tensor<?x1xf64>, tensor<1x1xf64> -> tensor<?x1xf64>
  %z = peft.lora %x, %y, %a, %b scale 2.0 : tensor<?x1xf64>, tensor<?x1xf64>, tensor<1x1xf64>, tensor<1x1xf64>
  return %z : tensor<?x1xf64>
}
