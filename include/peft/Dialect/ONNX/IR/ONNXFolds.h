//===- ONNXFolds.h - folds of onnx ops with a size limit --------*- C++ -*-===//
//
// The ops' fold() methods use kDefaultMaxFoldElements; passes that want
// another limit call foldONNXOp and add the canonicalization patterns with
// theirs (see --onnx-cleanup).
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_DIALECT_ONNX_IR_ONNXFOLDS_H
#define PEFT_DIALECT_ONNX_IR_ONNXFOLDS_H

#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::peft::onnx_ir {

/// The largest constant, in elements, that folds create or read by default.
inline constexpr int64_t kDefaultMaxFoldElements = 1024;

/// Folds `op` given its constant operands (null where not constant), creating
/// and reading no constant of more than `maxElements` elements. On success,
/// `results` holds one value or attribute per result.
LogicalResult foldONNXOp(Operation *op, ArrayRef<Attribute> operands,
                         int64_t maxElements,
                         SmallVectorImpl<OpFoldResult> &results);

/// Adds the canonicalization patterns of the onnx ops with the given limit.
void populateONNXCanonicalizationPatterns(RewritePatternSet &patterns,
                                          int64_t maxElements);

} // namespace mlir::peft::onnx_ir

#endif // PEFT_DIALECT_ONNX_IR_ONNXFOLDS_H
