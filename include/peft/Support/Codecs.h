//===- Codecs.h - float and packed-integer element codecs -------*- C++ -*-===//
//
// The one place that converts between storage element types: f16 and bf16
// to and from f32 (round to nearest even, NaN kept quiet), and b-bit
// integers (b = 1..8) packed densely.
//
// Packing convention (shared by import, export, weight storage and
// lowering): elements are taken in row-major order and form a little-endian
// bit stream, element i occupying bits [i·b, i·b + b) counted from bit 0 of
// byte 0; unused high bits of the last byte are zero; signed values are two's
// complement in their b bits. For b = 4 this is ONNX's INT4/UINT4 packing
// (element 2i in the low nibble of byte i, 2i+1 in the high nibble); for
// b = 2 it is MatMulNBits' 2-bit order; b = 3 values may straddle two bytes.
// In MLIR such a tensor has element type `iB` (signless, read as signed) or
// `uiB`, and its `dense_resource` blob holds ceil(n·b / 8) bytes.
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

/// Bytes `count` b-bit values take packed.
inline size_t packedBytes(size_t count, int bits) {
  return (count * size_t(bits) + 7) / 8;
}

/// Packs `values` (only their low `bits` bits are kept) into `out`, which
/// has packedBytes(values.size(), bits) bytes.
void packBits(llvm::ArrayRef<int8_t> values, int bits, uint8_t *out);
/// Unpacks `count` b-bit values, sign-extended when `isSigned`.
void unpackBits(const uint8_t *packed, size_t count, int bits, bool isSigned,
                int8_t *out);
/// Value `index` of a packed buffer holding `count` b-bit values.
inline int8_t getPacked(const uint8_t *packed, size_t count, size_t index,
                        int bits, bool isSigned) {
  size_t bit = index * size_t(bits), byte = bit / 8;
  unsigned window = packed[byte];
  if (bit % 8 + size_t(bits) > 8 && byte + 1 < packedBytes(count, bits))
    window |= unsigned(packed[byte + 1]) << 8;
  unsigned v = (window >> (bit % 8)) & ((1u << bits) - 1);
  if (isSigned && (v >> (bits - 1)))
    return int8_t(int(v) - (1 << bits));
  return int8_t(v);
}

} // namespace mlir::peft::codecs

#endif // PEFT_SUPPORT_CODECS_H
