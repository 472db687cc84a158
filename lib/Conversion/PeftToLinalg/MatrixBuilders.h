//===- MatrixBuilders.h - linalg builders on [rows, n] matrices -*- C++ -*-===//
//
// The builders every peft op lowering shares (convert-peft-to-linalg): the
// collapse of an input to a [rows, features] matrix and back, matmuls with
// f32 accumulators for f16/bf16, transposed adapter operands, and
// elementwise generics over a matrix with row-vector operands; the packed
// bytes of an integer weight and the unpacking of one value from them.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_CONVERSION_PEFTTOLINALG_MATRIXBUILDERS_H
#define PEFT_LIB_CONVERSION_PEFTTOLINALG_MATRIXBUILDERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/LogicalResult.h"

namespace mlir::peft::matrix {

/// Collapses all but the last dimension of `value` into one row dimension
/// (a rank-1 value gets a unit row dimension).
Value collapseToMatrix(OpBuilder &b, Location loc, Value value);

/// Restores the leading dimensions of `like` on a [rows, out] matrix.
///
/// Several dynamic leading dimensions are restored with tensor.reshape rather
/// than tensor.expand_shape: MLIR 22's expand-strided-metadata crashes on a
/// memref.expand_shape that splits one dynamic extent into several.
Value expandFromMatrix(OpBuilder &b, Location loc, Value matrix, Value like,
                       RankedTensorType resultType);

/// An arith.constant of the float `type`.
Value floatConstant(OpBuilder &b, Location loc, Type type, double value);

/// A zero-filled [rows, cols] accumulator.
Value zeroMatrix(OpBuilder &b, Location loc, OpFoldResult rows,
                 OpFoldResult cols, Type elementType);

/// lhs [M, K] times `rhs`, which is [N, K] (read transposed through the
/// indexing maps) when `transposeRhs`, else [K, N]; a zero-filled [M, N] in
/// the accumulator type of `rhs`'s elements (f32 for f16/bf16).
Value matmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
             bool transposeRhs);

/// The transpose of the 2-D adapter matrix `value` ([R, C] -> [C, R]), so
/// that the skinny adapter matmuls read their right operand with N innermost
/// (the layout the CPU micro-kernel vectorizes). A constant adapter is
/// transposed here, into a new blob, with the rank dimension `rankDim` of
/// the result (0 or 1; -1: none) zero-padded to a multiple of 8: no 1-wide
/// register tiles, and the padding contributes exact zeros. A runtime one
/// (peft-lora-as-inputs) is transposed by a linalg.transpose, r·(in+out)
/// elements per call.
Value transposedAdapter(OpBuilder &b, Location loc, Value value,
                        int rankDim = -1);

/// An elementwise linalg.generic over a [rows, cols] matrix (`like` gives
/// the shape) whose inputs are matrices (`matrices`) and row vectors indexed
/// by the column (`vectors`); `body` maps the scalars, matrices first, to
/// the result, of `elementType` (null: that of `like`).
Value elementwise(OpBuilder &b, Location loc, Value like, ValueRange matrices,
                  ValueRange vectors,
                  function_ref<Value(OpBuilder &, Location, ValueRange)> body,
                  Type elementType = nullptr);

/// y (an accumulator [rows, out]) + bias (a row vector, may be null),
/// rounded once to `elementType`.
Value addBiasAndRound(OpBuilder &b, Location loc, Value y, Value bias,
                      Type elementType);

/// The bytes of the packed integer constant `value` ([rows, cols] of iB) as a
/// tensor<N x i8> over the same blob, or over a new blob packed from inline
/// values; failure for a value that is not a constant.
FailureOr<Value> packedBytesOf(OpBuilder &b, Location loc, Value value);

/// The signed b-bit value at row-major index `linear` of the packed `bytes`
/// (tensor<N x i8>, `count` values), as an i32 (tensor.extract of the one or
/// two bytes that hold it).
Value unpackSigned(OpBuilder &b, Location loc, Value bytes, Value linear,
                   int64_t bits, int64_t count);

/// The low and high nibbles of the bytes `bytes` (a vector of i8) as two
/// vectors of sign-extended i8: byte i of a packed int4 blob holds value 2i
/// in its low nibble and 2i+1 in its high one.
std::pair<Value, Value> splitNibbles(OpBuilder &b, Location loc, Value bytes);

} // namespace mlir::peft::matrix

namespace mlir {
class RewritePatternSet;
namespace peft {
/// The lowering of peft.lora_bank (LoraBankLowering.cpp).
void populateLoraBankLoweringPatterns(RewritePatternSet &patterns,
                                      bool gathered);
} // namespace peft
} // namespace mlir

#endif // PEFT_LIB_CONVERSION_PEFTTOLINALG_MATRIXBUILDERS_H
