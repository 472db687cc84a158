//===- Codecs.cpp - float and packed-integer element codecs ---------------===//

#include "peft/Support/Codecs.h"

#include <algorithm>
#include <cassert>

#include <cmath>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PEFT_HAVE_F16C_PATH 1
#endif

using namespace mlir::peft;

float codecs::halfToFloat(uint16_t bits) {
  uint32_t sign = uint32_t(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1F, mantissa = bits & 0x3FF;
  uint32_t out;
  if (exponent == 0x1F) { // inf / NaN (quieted, as F16C does)
    out = sign | 0x7F800000u | (mantissa << 13) | (mantissa ? 0x00400000u : 0);
  } else if (exponent != 0) { // normal
    out = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) { // ±0
    out = sign;
  } else { // subnormal: exact in float
    float value = std::ldexp(float(mantissa), -24);
    std::memcpy(&out, &value, sizeof(out));
    out |= sign;
  }
  float result;
  std::memcpy(&result, &out, sizeof(result));
  return result;
}

uint16_t codecs::floatToHalf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  uint16_t sign = uint16_t((bits >> 16) & 0x8000);
  uint32_t abs = bits & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) // inf or NaN (quiet, payload top bits kept)
    return sign | 0x7C00 |
           (abs > 0x7F800000u ? uint16_t(0x200 | ((abs >> 13) & 0x3FF)) : 0);
  if (abs >= 0x477FF000u) // rounds to ≥ 65520: overflow
    return sign | 0x7C00;
  if (abs < 0x38800000u) { // below the smallest normal half (2^-14)
    // Scale into the subnormal grid (units of 2^-24), rounding to nearest
    // even through float arithmetic, which is exact for these magnitudes.
    float magnitude;
    std::memcpy(&magnitude, &abs, sizeof(magnitude));
    float scaled = magnitude * 16777216.0f; // 2^24
    return sign | uint16_t(std::nearbyint(scaled));
  }
  // Normal: drop 13 mantissa bits with round to nearest even.
  uint32_t rounded = abs + 0xFFFu + ((abs >> 13) & 1u);
  return sign | uint16_t((rounded >> 13) - (112u << 10));
}

uint16_t codecs::floatToBF16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) // NaN: keep it quiet
    return uint16_t((bits >> 16) | 0x40);
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return uint16_t(bits >> 16);
}

#ifdef PEFT_HAVE_F16C_PATH
// F16C converts eight values an instruction with the same results as the
// scalar code: exact widening, round-to-nearest-even narrowing, NaNs quieted
// with their payload's top bits kept. Chosen at run time.
__attribute__((target("avx,f16c"))) static size_t
decodeHalfF16C(const uint16_t *src, float *dst, size_t count) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8)
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(
                                  reinterpret_cast<const __m128i *>(src + i))));
  return i;
}
__attribute__((target("avx,f16c"))) static size_t
encodeHalfF16C(const float *src, uint16_t *dst, size_t count) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8)
    _mm_storeu_si128(
        reinterpret_cast<__m128i *>(dst + i),
        _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
  return i;
}
static bool hasF16C() {
  static const bool has =
      __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx");
  return has;
}
#endif

void codecs::decodeHalf(const uint16_t *src, float *dst, size_t count) {
  size_t i = 0;
#ifdef PEFT_HAVE_F16C_PATH
  if (hasF16C())
    i = decodeHalfF16C(src, dst, count);
#endif
  for (; i < count; ++i)
    dst[i] = halfToFloat(src[i]);
}
void codecs::encodeHalf(const float *src, uint16_t *dst, size_t count) {
  size_t i = 0;
#ifdef PEFT_HAVE_F16C_PATH
  if (hasF16C())
    i = encodeHalfF16C(src, dst, count);
#endif
  for (; i < count; ++i)
    dst[i] = floatToHalf(src[i]);
}
void codecs::decodeBF16(const uint16_t *src, float *dst, size_t count) {
  for (size_t i = 0; i < count; ++i)
    dst[i] = bf16ToFloat(src[i]);
}
void codecs::encodeBF16(const float *src, uint16_t *dst, size_t count) {
  for (size_t i = 0; i < count; ++i)
    dst[i] = floatToBF16(src[i]);
}

void codecs::packBits(llvm::ArrayRef<int8_t> values, int bits, uint8_t *out) {
  assert(bits >= 1 && bits <= 8 && "unsupported bit width");
  std::fill(out, out + packedBytes(values.size(), bits), uint8_t(0));
  unsigned mask = (1u << bits) - 1;
  for (size_t i = 0; i < values.size(); ++i) {
    size_t bit = i * size_t(bits), byte = bit / 8;
    unsigned v = (unsigned(uint8_t(values[i])) & mask) << (bit % 8);
    out[byte] |= uint8_t(v);
    if (v >> 8)
      out[byte + 1] |= uint8_t(v >> 8);
  }
}

void codecs::unpackBits(const uint8_t *packed, size_t count, int bits,
                        bool isSigned, int8_t *out) {
  for (size_t i = 0; i < count; ++i)
    out[i] = getPacked(packed, count, i, bits, isSigned);
}
