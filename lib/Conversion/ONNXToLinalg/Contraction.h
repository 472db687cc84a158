//===- Contraction.h - matmul builder shared by onnx-to-linalg --*- C++ -*-===//
//
// The numpy matmul of the MatMul lowering (Contraction.cpp), reused by the
// quantized contractions (Quantization.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_CONVERSION_ONNXTOLINALG_CONTRACTION_H
#define PEFT_LIB_CONVERSION_ONNXTOLINALG_CONTRACTION_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace mlir::peft::onnx_to_linalg {

/// numpy matmul of two converted operands (ranked, rank >= 1) of the same
/// integer or float element type: the named linalg op that fits (dot, vecmat,
/// matvec, matmul, batch_matmul after collapsing batch dims), else one
/// linalg.generic broadcasting static unit batch extents. f16/bf16 accumulate
/// in f32 and are rounded to their element type once, at the end.
Value buildMatMul(OpBuilder &b, Location loc, Value lhs, Value rhs);

} // namespace mlir::peft::onnx_to_linalg

#endif // PEFT_LIB_CONVERSION_ONNXTOLINALG_CONTRACTION_H
