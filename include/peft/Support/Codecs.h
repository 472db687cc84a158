//===- Codecs.h - float and packed-integer element codecs -------*- C++ -*-===//
//
// The one place that converts between storage element types: f16 and bf16
// to and from f32 (round to nearest even, NaN kept quiet), and 4-bit
// integers packed two per byte.
//
// Packing convention for int4/uint4 (ONNX's, shared by import, export,
// weight storage and lowering): elements are taken in row-major order and
// element 2i goes to the low nibble of byte i, element 2i+1 to its high
// nibble; an odd count leaves the last high nibble zero. Signed values are
// two's complement in the nibble. In MLIR such a tensor has element type
// `i4` (signless, read as signed) or `ui4`, and its `dense_resource` blob
// holds ceil(n / 2) packed bytes.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_SUPPORT_CODECS_H
#define PEFT_SUPPORT_CODECS_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <cstring>

namespace mlir::peft::codecs {

/// IEEE binary16 bits to float (exact).
float halfToFloat(uint16_t bits);
/// Float to IEEE binary16 bits, rounded to nearest even; overflow gives ±inf.
uint16_t floatToHalf(float value);

/// bfloat16 bits to float (exact).
inline float bf16ToFloat(uint16_t bits) {
  uint32_t wide = uint32_t(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}
/// Float to bfloat16 bits, rounded to nearest even; NaN stays a quiet NaN.
uint16_t floatToBF16(float value);

/// Bulk conversions of `count` elements (the buffers may not overlap).
void decodeHalf(const uint16_t *src, float *dst, size_t count);
void encodeHalf(const float *src, uint16_t *dst, size_t count);
void decodeBF16(const uint16_t *src, float *dst, size_t count);
void encodeBF16(const float *src, uint16_t *dst, size_t count);

/// Bytes that `count` 4-bit elements take when packed.
inline size_t packedInt4Bytes(size_t count) { return (count + 1) / 2; }

/// Packs `values` (each in [-8, 7] for signed, [0, 15] for unsigned; only
/// the low nibble is kept) into `out`, which has packedInt4Bytes(n) bytes.
void packInt4(llvm::ArrayRef<int8_t> values, uint8_t *out);
/// Unpacks `count` 4-bit elements of `packed`, sign-extended when `isSigned`.
void unpackInt4(const uint8_t *packed, size_t count, bool isSigned,
                int8_t *out);
/// One element of a packed buffer.
inline int8_t getInt4(const uint8_t *packed, size_t index, bool isSigned) {
  uint8_t nibble = (packed[index / 2] >> ((index & 1) * 4)) & 0xF;
  return isSigned && (nibble & 0x8) ? int8_t(nibble) - 16 : int8_t(nibble);
}

} // namespace mlir::peft::codecs

#endif // PEFT_SUPPORT_CODECS_H
