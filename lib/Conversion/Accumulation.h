//===- Accumulation.h - accumulator types of contractions -------*- C++ -*-===//
//
// Half-precision (f16, bf16) contractions and reductions accumulate in f32 and
// round to their element type once, at the end, as PyTorch and ONNX Runtime
// do. These helpers are shared by the onnx-to-linalg and peft-to-linalg
// lowerings; for f32, f64 and integers they change nothing.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_CONVERSION_ACCUMULATION_H
#define PEFT_LIB_CONVERSION_ACCUMULATION_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace mlir::peft {

/// The type `elementType` accumulates in: f32 for floats narrower than f32,
/// else `elementType` itself.
Type getAccumulatorType(Type elementType);

/// The float scalar `value` as float type `to` (extf or truncf; f16 <-> bf16
/// goes through f32).
Value convertFloat(OpBuilder &b, Location loc, Value value, Type to);

/// The scalar `value` as `to` when both are floats and differ, else `value`.
Value convertIfFloat(OpBuilder &b, Location loc, Value value, Type to);

/// The ranked tensor `value` with its float elements converted to
/// `elementType` by one elementwise linalg.generic (the single rounding of
/// an f32 accumulator); `value` itself when the types already agree.
Value convertElements(OpBuilder &b, Location loc, Value value,
                      Type elementType);

} // namespace mlir::peft

#endif // PEFT_LIB_CONVERSION_ACCUMULATION_H
