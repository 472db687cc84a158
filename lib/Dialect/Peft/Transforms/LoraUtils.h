//===- LoraUtils.h - shared weight arithmetic of the LoRA passes -*- C++
//-*-===//
//
// peft-insert-lora, peft-merge-lora and peft-unmerge-lora all read a layer's
// weight as a PyTorch-oriented [out, in] fp32 matrix, compute s·B·A and write
// a new weight blob back in the layer's own layout. That logic lives here.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_DIALECT_PEFT_TRANSFORMS_LORAUTILS_H
#define PEFT_LIB_DIALECT_PEFT_TRANSFORMS_LORAUTILS_H

#include "peft/Dialect/Peft/IR/PeftOps.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::peft {

/// How diagnostics name a layer: its module path, else "<unnamed layer>".
std::string describeLayer(LinearOp linear);

/// The value a new adapter on `linear` stacks on: the result of the last
/// peft.lora already stacked on the layer (each one's base is the previous
/// one's result), or the layer's own result.
Value getAdapterStackTop(LinearOp linear);

/// Whether `adapter` is one of `names` (an empty list selects every
/// adapter; an unnamed adapter is "default").
bool isSelectedAdapter(std::optional<StringRef> adapter,
                       ArrayRef<std::string> names);

/// Reads the constant `value` (an operand of `user`, described as `what`) as
/// fp32, or emits an error at `user` and fails.
FailureOr<std::vector<float>> readConstantOperand(Operation *user, Value value,
                                                  StringRef what);

/// The layer's weight as a row-major [out, in] fp32 matrix (transposed from
/// an `in_out` weight). Emits an error when the weight is not a constant.
FailureOr<std::vector<float>> readWeightOutIn(LinearOp linear);

/// Replaces the weight of `linear` by a new blob holding `wOutIn` (a
/// row-major [out, in] matrix, written in the layer's layout and element
/// type, one rounding). The new initializer keeps the old tensor name, or
/// appends `suffix` when the old weight has other users; the old weight is
/// erased when it becomes dead. Fails with an error naming the layer when a
/// value is NaN or Inf.
LogicalResult replaceWeight(LinearOp linear, ArrayRef<float> wOutIn,
                            StringRef suffix);

/// delta = s · B · A as a row-major [out, in] fp32 matrix, for A [r, in]
/// and B [out, r] (row-major), accumulated in fp32.
std::vector<float> loraDelta(ArrayRef<float> a, ArrayRef<float> b, int64_t out,
                             int64_t in, int64_t rank, double scale);

/// s · B · A of the adapter `lora`, whose A and B are constants, as a
/// row-major [out, in] fp32 matrix of its layer. Emits an error naming the
/// layer when A or B is not a constant.
FailureOr<std::vector<float>> readLoraDelta(LoraOp lora);

/// Euclidean norm of every row of the row-major [rows, cols] matrix `m`.
std::vector<float> rowNorms(ArrayRef<float> m, int64_t rows, int64_t cols);

} // namespace mlir::peft

#endif // PEFT_LIB_DIALECT_PEFT_TRANSFORMS_LORAUTILS_H
