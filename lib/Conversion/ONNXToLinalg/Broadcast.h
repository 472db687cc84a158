//===- Broadcast.h - numpy broadcasting for onnx-to-linalg ------*- C++ -*-===//
//
// Shape helpers shared by the onnx-to-linalg pattern families: numpy
// (multidirectional) broadcasting as linalg indexing maps, result sizes
// computed from operand dimensions, and reduction-shape bookkeeping.
//
// Dynamic dimensions: a `?` operand dimension is read at its loop index, so
// it must equal the result dimension at run time. It may still be broadcast
// against a static 1 on the other side, but a `?` that turns out to be 1
// while the other side is larger is NOT broadcast: createBroadcastGeneric
// checks at run time (cf.assert) that every `?` equals the size the result
// takes there, so such a mismatch is an error rather than an out-of-bounds
// read. ONNX exporters only leave such dims dynamic for batch and sequence
// sizes, which agree across operands.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_CONVERSION_ONNXTOLINALG_BROADCAST_H
#define PEFT_LIB_CONVERSION_ONNXTOLINALG_BROADCAST_H

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::peft {

/// Whether operands of shapes `operandShapes` numpy-broadcast to
/// `resultShape`: no operand has a higher rank, and in each right-aligned
/// dimension the static sizes other than 1 agree with each other and with a
/// static result size. Dynamic sizes are compatible with anything.
bool areBroadcastCompatible(ArrayRef<ArrayRef<int64_t>> operandShapes,
                            ArrayRef<int64_t> resultShape);

/// The indexing map that reads an operand of shape `operandShape` inside a
/// loop nest of `resultRank` loops: operand dimension i sits at loop
/// i + resultRank - operandShape.size(); a static size-1 dimension is read at
/// index 0 (broadcast), any other at its loop index.
AffineMap getBroadcastIndexingMap(MLIRContext *ctx,
                                  ArrayRef<int64_t> operandShape,
                                  int64_t resultRank);

/// The run-time size of result dimension `dim` (of `resultRank`) when
/// `operands` (ranked tensors) are broadcast together: a static operand size
/// other than 1 if there is one, else `tensor.dim` of the first operand that
/// is dynamic there, else 1.
OpFoldResult getBroadcastDimSize(OpBuilder &b, Location loc,
                                 ValueRange operands, int64_t resultRank,
                                 int64_t dim);

/// The values of the dynamic dimensions of `resultType`, in order, from
/// getBroadcastDimSize (constants where an operand knows the size).
SmallVector<Value> getBroadcastDynamicSizes(OpBuilder &b, Location loc,
                                            ValueRange operands,
                                            RankedTensorType resultType);

/// Run-time checks (cf.assert) that every dynamic dimension of `operands`
/// equals the size getBroadcastDimSize gives the result there; none where
/// that is known statically (the same `tensor.dim`).
void checkBroadcastSizes(OpBuilder &b, Location loc, ValueRange operands,
                         int64_t resultRank);

/// Builds one all-parallel linalg.generic that reads `inputs` (ranked
/// tensors, each broadcast to `resultType` by getBroadcastIndexingMap) into a
/// `tensor.empty` of `resultType` sized by getBroadcastDynamicSizes, with the
/// scalar body `body(b, loc, inputElements)` (its result is yielded), after
/// checkBroadcastSizes. The caller checks areBroadcastCompatible first.
Value createBroadcastGeneric(
    OpBuilder &b, Location loc, ValueRange inputs, RankedTensorType resultType,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body);

/// The product of the sizes of dimensions `dims` of the ranked tensor
/// `tensor`, as an index value (a constant when those sizes are static; 1
/// for no dims).
Value createDimProduct(OpBuilder &b, Location loc, Value tensor,
                       ArrayRef<int64_t> dims);

/// `shape` without the dimensions where `reduced` is true.
SmallVector<int64_t> dropReducedDims(ArrayRef<int64_t> shape,
                                     ArrayRef<bool> reduced);

/// The map (d0, ..., d{rank-1}) -> (the dims where `reduced` is false): how
/// a loop nest over a full tensor reads a tensor with the reduced dims
/// dropped.
AffineMap getReducedIndexingMap(MLIRContext *ctx, ArrayRef<bool> reduced);

/// Sizes of `source` with the dims where `reduced` is true dropped, as
/// `tensor.dim` values for the dynamic ones (for a `tensor.empty`).
SmallVector<Value> getReducedDynamicSizes(OpBuilder &b, Location loc,
                                          Value source, ArrayRef<bool> reduced);

/// Reinserts the reduced dimensions of a reduction result as size-1
/// dimensions: `value` has the shape of a tensor of rank reduced.size() with
/// those dims dropped; the result has them as 1 (a `tensor.expand_shape`).
Value expandReducedDims(OpBuilder &b, Location loc, Value value,
                        ArrayRef<bool> reduced);

} // namespace mlir::peft

#endif // PEFT_LIB_CONVERSION_ONNXTOLINALG_BROADCAST_H
