//===- DataType.h - ONNX TensorProto data types <-> MLIR types --*- C++ -*-===//
//
// The one place that maps ONNX element types to MLIR and back, shared by the
// importer, the exporter and the dialect verifiers. ONNX 1.12's enum stops at
// BFLOAT16 (16); INT4 (22) and UINT4 (21) are handled by number.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_TARGET_ONNX_DATATYPE_H
#define PEFT_TARGET_ONNX_DATATYPE_H

#include "mlir/IR/Types.h"

#include <cstdint>
#include <optional>

namespace mlir::peft::onnx_data {

/// TensorProto.DataType numbers we handle.
enum DataType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
  kUInt4 = 21,
  kInt4 = 22,
};

/// float→f32, float16→f16, bfloat16→bf16, double→f64, intN→iN (signless),
/// uintN→uiN, bool→i1, int4→i4, uint4→ui4; null for anything else.
Type getElementType(MLIRContext *ctx, int32_t dataType);

/// The inverse of getElementType.
std::optional<int32_t> getDataType(Type elementType);

/// Bytes of raw_data holding `numElements` elements (4-bit types pack two per
/// byte, low nibble first; bool takes a byte); -1 for a type without a fixed
/// size, a negative count, or a size that does not fit in int64.
int64_t getRawDataSize(int32_t dataType, int64_t numElements);

/// A printable name ("FLOAT", "INT4", ...) for diagnostics.
const char *getDataTypeName(int32_t dataType);

} // namespace mlir::peft::onnx_data

#endif // PEFT_TARGET_ONNX_DATATYPE_H
