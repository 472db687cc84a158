//===- QuantizationUtils.h - IR helpers of the quantization passes -*- C++ -*-//
//
// Reading a layer's float weight as [out, in], building the constants and
// the peft.qlinear of a quantized layer, and the names new weights get. The
// arithmetic is in peft/Support/Quantization.h.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_DIALECT_PEFT_TRANSFORMS_QUANTIZATIONUTILS_H
#define PEFT_LIB_DIALECT_PEFT_TRANSFORMS_QUANTIZATIONUTILS_H

#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Support/LrqatCheckpoint.h"
#include "peft/Support/Quantization.h"

#include <string>

namespace mlir::peft {

/// The dense float weight of `layer` as [out, in] (transposed from an in_out
/// layout), or an error at the layer.
FailureOr<numerics::Matrix<float>> readWeightOutIn(LinearLikeOpInterface layer);

/// The stem new weights of `layer` are named after: its module path, else
/// its weight's name without a trailing ".weight", else "linear".
std::string getWeightStem(LinearLikeOpInterface layer);

/// The grid the `bits`, `granularity` and `group-size` options describe,
/// or an error at `root` naming `pass`.
FailureOr<quant::QuantSpec> getGridSpec(Operation *root, StringRef pass,
                                        int64_t bits, bool grouped,
                                        int64_t groupSize);

/// The layers with a dense float weight under `root` that the selection
/// options pick (every linear layer but the output head when none is
/// given), or an error at `root` naming `pass` when there is none.
FailureOr<SmallVector<LinearLikeOpInterface>>
selectFloatLayers(Operation *root, StringRef pass,
                  ArrayRef<std::string> targets, StringRef targetRegex,
                  ArrayRef<LinearRole> roles);

/// Replaces `layer`'s output by `replacement`'s result and erases the layer
/// (its dead weight released).
void replaceLayer(LinearLikeOpInterface layer, Operation *replacement);

/// The signed integer type of `bits` bits.
inline IntegerType getIntType(MLIRContext *ctx, int64_t bits) {
  return IntegerType::get(ctx, unsigned(bits));
}

/// Creates the weight, scales (f32) and zero-point constants of `m` before
/// `layer` and a `peft.qlinear` computing it on the layer's input and bias;
/// the layer's result is replaced and the layer erased (its dead weight
/// released).
QLinearOp replaceWithQLinear(OpBuilder &builder, LinearLikeOpInterface layer,
                             const quant::QuantizedMatrix &m,
                             StringRef stem);

/// The parameters of a `peft.lrqat_linear` (row-major values).
struct LrqatParams {
  int64_t bits = 4;
  PhiFormat phi = PhiFormat::Fixed;
  /// Φ0 as stored: the int8 fixed-point or b-bit integers, or the values.
  std::vector<double> phiStored;
  std::vector<double> scales, loraA, loraB; // [out, groups], [out, r], [r, in]
  int64_t rank = 0, groupSize = 0;
  double alpha = 1;
};

/// Creates the constants of `params` before `layer` and a
/// `peft.lrqat_linear` on the layer's input and bias; the layer's result is
/// replaced and the layer erased (its dead weight released).
LrqatLinearOp replaceWithLrqatLinear(OpBuilder &builder,
                                     LinearLikeOpInterface layer,
                                     const LrqatParams &params,
                                     StringRef stem);

/// Reads the integer grid of a `peft.qlinear` with constant operands into a
/// QuantizedMatrix (an error at the op otherwise).
FailureOr<quant::QuantizedMatrix> readQuantized(QLinearOp op);

} // namespace mlir::peft

#endif // PEFT_LIB_DIALECT_PEFT_TRANSFORMS_QUANTIZATIONUTILS_H
