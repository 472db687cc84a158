//===- CalibrationIR.h - IR of calibration statistics -----------*- C++ -*-===//
//
// The linalg computations peft-instrument-calibration adds to a graph, and
// the new function results that carry them out. Every statistic is a sum
// over the rows of one call, in f32 (f64 for f64 values) whatever the
// model's precision; the driver adds the results of all calls in f64.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_DIALECT_PEFT_TRANSFORMS_CALIBRATIONIR_H
#define PEFT_LIB_DIALECT_PEFT_TRANSFORMS_CALIBRATIONIR_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <string>

namespace mlir::peft {

/// The name of the result attribute listing the statistics a result adds to.
constexpr llvm::StringLiteral kCalibrationAttr = "peft.calibration";

/// Σ xᵀx over the rows of `x` (all dimensions but the last, flattened):
/// `tensor<n x n x acc>`.
Value buildGram(OpBuilder &b, Location loc, Value x);

/// The number of rows of `x` (the product of all dimensions but the last):
/// `tensor<1xi64>`.
Value buildRowCount(OpBuilder &b, Location loc, Value x);

/// Per-head Σ xᵀx of head states `x` whose heads are on `headAxis` and head
/// dims on `dimAxis` (the other dimensions are rows): `tensor<H x d x d x
/// acc>`.
Value buildHeadGram(OpBuilder &b, Location loc, Value x, int64_t headAxis,
                    int64_t dimAxis);

/// The number of rows per head of such states: `tensor<1xi64>`.
Value buildHeadRowCount(OpBuilder &b, Location loc, Value x, int64_t headAxis,
                        int64_t dimAxis);

/// {Σ_rows (1 − cos(a_r, b_r)), rows} of two tensors of one shape (rows:
/// all dimensions but the last; a zero row counts as cos = 1):
/// `tensor<2 x acc>`.
Value buildCosineDistance(OpBuilder &b, Location loc, Value a, Value x);

/// The results a function gains, each with the statistics it adds to.
class CalibrationStatistics {
public:
  /// Returns `value` from the function, adding to the statistics `keys`.
  void add(Value value, llvm::ArrayRef<std::string> keys);

  /// Appends the results to `fn` (returned by `ret`), named by their first
  /// key (`onnx.name`) and listing their keys (`peft.calibration`).
  LogicalResult appendTo(func::FuncOp fn, func::ReturnOp ret);

private:
  llvm::SmallVector<std::pair<Value, llvm::SmallVector<std::string, 3>>>
      results;
};

} // namespace mlir::peft

#endif // PEFT_LIB_DIALECT_PEFT_TRANSFORMS_CALIBRATIONIR_H
