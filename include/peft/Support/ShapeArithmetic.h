//===- ShapeArithmetic.h - overflow-checked shape products ------*- C++ -*-===//
//
// Shapes read from files (ONNX models, .npy, TensorProto, safetensors) are
// untrusted. A product computed with plain `*=` wraps around: a header that
// claims 2^32 x 2^32 elements comes out as 0 elements and is "backed" by an
// empty payload. Every reader computes element and byte counts with these
// helpers and compares them with the bytes actually present before it
// allocates anything. Also the small shape helpers diagnostics and
// verifiers share.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_SUPPORT_SHAPEARITHMETIC_H
#define PEFT_SUPPORT_SHAPEARITHMETIC_H

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/MathExtras.h"

#include <cstdint>
#include <optional>
#include <string>

namespace mlir::peft {

/// The number of elements of `shape`, or nullopt when a size is negative or
/// the product overflows int64. The product of the non-zero sizes must fit
/// as well, although a zero size makes the count 0: code that walks a shape
/// computes its strides, and those must not overflow either.
inline std::optional<int64_t>
getCheckedNumElements(llvm::ArrayRef<int64_t> shape) {
  int64_t nonZeroProduct = 1;
  bool empty = false;
  for (int64_t size : shape) {
    if (size < 0)
      return std::nullopt;
    if (size == 0) {
      empty = true;
      continue;
    }
    if (llvm::MulOverflow(nonZeroProduct, size, nonZeroProduct))
      return std::nullopt;
  }
  return empty ? 0 : nonZeroProduct;
}

/// The bytes of a dense `shape` of `elementSize`-byte elements, or nullopt
/// when the shape is invalid (as above) or the byte count overflows int64.
inline std::optional<int64_t> getCheckedNumBytes(llvm::ArrayRef<int64_t> shape,
                                                 int64_t elementSize) {
  std::optional<int64_t> count = getCheckedNumElements(shape);
  int64_t bytes;
  if (!count || elementSize < 0 ||
      llvm::MulOverflow(*count, elementSize, bytes))
    return std::nullopt;
  return bytes;
}

/// Whether two extents agree: equal, or one of them dynamic.
inline bool areCompatibleDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// `shape` as a Python-style list, "[2, ?, 16]", the way PyTorch and
/// safetensors users write shapes (HostTensor.h's formatShape writes
/// "2x?x16", MLIR's style).
inline std::string formatShapeList(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += ShapedType::isDynamic(shape[i]) ? std::string("?")
                                            : std::to_string(shape[i]);
  }
  return text + "]";
}

} // namespace mlir::peft

#endif // PEFT_SUPPORT_SHAPEARITHMETIC_H
