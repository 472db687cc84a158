//===- ModegptRewrite.h - IR rewrites of peft-modegpt -----------*- C++ -*-===//
//
// Shrinking the inner dimensions of recognized modules: slicing and
// replacing the weights of linear layers (new resource blobs), and updating
// the types of the values between them. Used by peft-modegpt (Modegpt.cpp
// for the MLP, ModegptAttention.cpp for key-query and value-output);
// readLinearWeight also by its SVD baselines (peft-lowrank-svd).
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_DIALECT_PEFT_TRANSFORMS_MODEGPTREWRITE_H
#define PEFT_LIB_DIALECT_PEFT_TRANSFORMS_MODEGPTREWRITE_H

#include "peft/Dialect/Peft/Analysis/ModuleRecognition.h"
#include "peft/Support/CalibrationStats.h"
#include "peft/Support/Numerics.h"

#include <string>

namespace mlir::peft {

/// The dense weight of `layer` in f64, as [in, out] (y = x·W) when `inOut`,
/// else [out, in]; an error at the layer (prefixed with `pass`) for a layer
/// without a dense float weight.
FailureOr<numerics::Matrix<double>>
readLinearWeight(LinearLikeOpInterface layer, StringRef pass, bool inOut);

/// Keeps the output features `kept` (ascending) of `layer`: its weight and
/// bias are sliced into new blobs and its result type narrowed.
LogicalResult keepOutputFeatures(LinearLikeOpInterface layer,
                                 ArrayRef<int64_t> kept, StringRef pass);

/// Gives `layer` the weight `w` [in', out] (y = x·W) in its own layout and
/// element type: the input features become in'. The bias stays.
LogicalResult replaceInputFeatures(LinearLikeOpInterface layer,
                                   const numerics::Matrix<double> &w,
                                   StringRef pass);

/// Gives `layer` the weight `w` [in, out'] (y = x·W) and the bias `bias`
/// (out' values; empty without a bias) in its own layout and element type,
/// and narrows its result type.
LogicalResult replaceOutputFeatures(LinearLikeOpInterface layer,
                                    const numerics::Matrix<double> &w,
                                    ArrayRef<double> bias, StringRef pass);

/// Updates the result types of `ops` (elementwise ops between projections)
/// whose last dimension is `from` to `to`. Errors at an op that reshapes or
/// moves data, whose shapes this cannot follow.
LogicalResult resizeValuesBetween(ArrayRef<Operation *> ops, int64_t from,
                                  int64_t to, StringRef pass);

/// The linear layers of a block's modules, each once.
SmallVector<LinearLikeOpInterface> getModuleLinears(TransformerBlock &block);

/// Type II / Type III on one attention module.
struct AttentionOptions {
  bool keyQuery = true;
  bool valueOutput = true;
  double lambda = 0.01;
  StringRef pass;
};

/// What compressAttention did, one row per module type.
struct AttentionReport {
  struct Row {
    std::string module;
    int64_t dimBefore = 0, dimAfter = 0;
    int64_t paramsBefore = 0, paramsAfter = 0;
    /// The output error on the calibration data and the output energy
    /// (0 when not measured).
    double error = 0, total = 0;
  };
  SmallVector<Row> rows;
};

/// Compresses the head dims of `attention` at sparsity `phi` (Type II on q
/// and k, Type III on v and o, as `options` says) and rewrites the IR.
LogicalResult compressAttention(AttentionModule &attention, double phi,
                                const CalibrationStats &stats,
                                const AttentionOptions &options,
                                AttentionReport &report);

} // namespace mlir::peft

#endif // PEFT_LIB_DIALECT_PEFT_TRANSFORMS_MODEGPTREWRITE_H
