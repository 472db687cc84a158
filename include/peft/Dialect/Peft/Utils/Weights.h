//===- Weights.h - read and write weight blobs of peft passes ---*- C++ -*-===//
//
// The passes that change weights (LoRA insertion, merging, adapter loading)
// read constant tensors as fp32 and write new ones as dense_resource blobs.
// These helpers are the one place that knows how weights are stored:
// `onnx.initializer` or `arith.constant`, over a `dense_resource` blob or an
// inline `dense` attribute, in f32, f16, bf16 or f64.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_DIALECT_PEFT_UTILS_WEIGHTS_H
#define PEFT_DIALECT_PEFT_UTILS_WEIGHTS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"

#include <vector>

namespace mlir::peft {

/// The constant contents of `value` when it is defined by an
/// `onnx.initializer` or an `arith.constant`; null otherwise.
ElementsAttr getConstantWeight(Value value);

/// The ONNX tensor name of `value` when it is an `onnx.initializer`, else "".
StringRef getInitializerName(Value value);

/// Whether `type` is an element type the helpers below can read and write
/// (f16, bf16, f32, f64).
bool isSupportedWeightElementType(Type type);

/// Reads `attr` (a float tensor of a supported element type) as fp32 values
/// in row-major order. Fails for other element types or unreadable blobs.
FailureOr<std::vector<float>> readWeightAsF32(ElementsAttr attr);

/// Converts raw little-endian bytes of `elementType` into fp32 values.
/// `bytes.size()` must be a multiple of the element size.
std::vector<float> decodeFloats(Type elementType, ArrayRef<char> bytes);

/// Rounds one fp32 value to `elementType` (round to nearest even) and writes
/// its bytes to `out`, which has room for one element.
void encodeFloat(Type elementType, float value, char *out);

/// A `dense_resource` blob of `type` holding `values` (fp32, row-major),
/// each rounded once to the element type. `blobName` names the resource (a
/// unique suffix is added by MLIR when it is taken).
ElementsAttr createWeightBlob(RankedTensorType type, ArrayRef<float> values,
                              StringRef blobName);

/// Creates an `onnx.initializer` named `name` holding `values` as a new
/// blob of `type`.
Value createWeight(OpBuilder &builder, Location loc, StringRef name,
                   RankedTensorType type, ArrayRef<float> values);

/// Sanitizes a module path or tensor name into a blob (resource key) name.
std::string blobNameFor(StringRef name);

} // namespace mlir::peft

#endif // PEFT_DIALECT_PEFT_UTILS_WEIGHTS_H
