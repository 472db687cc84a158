//===- CodecsTest.cpp - f16/bf16 codecs and b-bit packing ------------------===//
//
// References: LLVM's APFloat (an independent, correctly rounded soft-float)
// and hand-packed bytes.
//
//===----------------------------------------------------------------------===//

#include "peft/Support/Codecs.h"
#include "peft/Support/Random.h"

#include "llvm/ADT/APFloat.h"
#include "gtest/gtest.h"

#include <cmath>

using namespace mlir::peft;

namespace {

uint16_t apfloatRound(float value, const llvm::fltSemantics &semantics) {
  llvm::APFloat f(value);
  bool losesInfo;
  f.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  return uint16_t(f.bitcastToAPInt().getZExtValue());
}

float apfloatWiden(uint16_t bits, const llvm::fltSemantics &semantics) {
  llvm::APFloat f(semantics, llvm::APInt(16, bits));
  bool losesInfo;
  f.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
            &losesInfo);
  return f.convertToFloat();
}

TEST(Codecs, HalfDecodeIsExactForEveryBitPattern) {
  for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    float mine = codecs::halfToFloat(uint16_t(bits));
    float reference = apfloatWiden(uint16_t(bits), llvm::APFloat::IEEEhalf());
    if (std::isnan(reference)) {
      EXPECT_TRUE(std::isnan(mine)) << bits;
      continue;
    }
    ASSERT_EQ(mine, reference) << "bits " << bits;
    ASSERT_EQ(std::signbit(mine), std::signbit(reference)) << bits;
    // Round trip.
    ASSERT_EQ(codecs::floatToHalf(mine), uint16_t(bits)) << bits;
  }
}

TEST(Codecs, HalfAndBF16EncodeRoundToNearestEven) {
  Random rng(3);
  std::vector<float> values = {
      0.0f,           -0.0f,          65504.0f, 65519.99f,      65520.0f,
      1e-8f,          2.9802322e-08f, 5.96e-8f, 6.1035156e-05f, 1.0009765625f,
      1.00048828125f, 3.4e38f,        -3.4e38f, INFINITY,       -INFINITY};
  for (int i = 0; i < 200000; ++i) {
    // Random bit patterns cover every exponent, ties included.
    uint32_t bits = uint32_t(rng.next());
    float v;
    std::memcpy(&v, &bits, sizeof(v));
    values.push_back(v);
  }
  for (float v : values) {
    if (std::isnan(v)) {
      EXPECT_TRUE(std::isnan(codecs::halfToFloat(codecs::floatToHalf(v))));
      EXPECT_TRUE(std::isnan(codecs::bf16ToFloat(codecs::floatToBF16(v))));
      continue;
    }
    ASSERT_EQ(codecs::floatToHalf(v),
              apfloatRound(v, llvm::APFloat::IEEEhalf()))
        << v;
    ASSERT_EQ(codecs::floatToBF16(v), apfloatRound(v, llvm::APFloat::BFloat()))
        << v;
  }
}

TEST(Codecs, BulkConversionsMatchScalar) {
  std::vector<float> in = {1.5f, -2.25f, 1e-3f, 7.0e4f};
  std::vector<uint16_t> h(4), b(4);
  std::vector<float> back(4);
  codecs::encodeHalf(in.data(), h.data(), 4);
  codecs::encodeBF16(in.data(), b.data(), 4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(h[i], codecs::floatToHalf(in[i]));
    EXPECT_EQ(b[i], codecs::floatToBF16(in[i]));
  }
  codecs::decodeHalf(h.data(), back.data(), 4);
  EXPECT_EQ(back[0], 1.5f);
  EXPECT_TRUE(std::isinf(back[3])); // 7e4 overflows f16
  codecs::decodeBF16(b.data(), back.data(), 4);
  EXPECT_EQ(back[1], -2.25f);
}

// The bulk paths (F16C where the processor has it) agree with the scalar
// code bit for bit, NaNs included, over every half and many floats.
TEST(Codecs, BulkHalfMatchesScalarBitForBit) {
  std::vector<uint16_t> halves(65536 + 3);
  for (size_t i = 0; i < halves.size(); ++i)
    halves[i] = uint16_t(i * 7919);
  std::vector<float> wide(halves.size());
  codecs::decodeHalf(halves.data(), wide.data(), halves.size());
  for (size_t i = 0; i < halves.size(); ++i) {
    float scalar = codecs::halfToFloat(halves[i]);
    ASSERT_EQ(std::memcmp(&scalar, &wide[i], 4), 0) << halves[i];
  }
  Random rng(11);
  std::vector<float> floats(100003);
  for (float &f : floats) {
    uint32_t bits = uint32_t(rng.next());
    std::memcpy(&f, &bits, 4);
  }
  std::vector<uint16_t> narrow(floats.size());
  codecs::encodeHalf(floats.data(), narrow.data(), floats.size());
  for (size_t i = 0; i < floats.size(); ++i)
    ASSERT_EQ(narrow[i], codecs::floatToHalf(floats[i])) << floats[i];
}

TEST(Codecs, Int4PackingIsLowNibbleFirst) {
  const std::vector<int8_t> values = {1, -1, 7, -8, 3};
  uint8_t packed[3] = {0xAA, 0xAA, 0xAA};
  ASSERT_EQ(codecs::packedBytes(values.size(), 4), 3u);
  codecs::packBits(values, 4, packed);
  EXPECT_EQ(packed[0], 0xF1);
  EXPECT_EQ(packed[1], 0x87);
  EXPECT_EQ(packed[2], 0x03); // odd count: high nibble zero
  int8_t back[5];
  codecs::unpackBits(packed, 5, 4, /*isSigned=*/true, back);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(back[i], values[i]);
  codecs::unpackBits(packed, 5, 4, /*isSigned=*/false, back);
  EXPECT_EQ(back[1], 15);
  EXPECT_EQ(back[3], 8);
}

TEST(Codecs, ThreeBitValuesStraddleBytes) {
  // 0b011 (3), 0b101 (-3), 0b111 (-1): bits 0-2, 3-5, 6-8 -> byte 0 =
  // 0b11'101'011 = 0xEB, byte 1 = 0b1.
  const std::vector<int8_t> values = {3, -3, -1};
  uint8_t packed[2] = {0xAA, 0xAA};
  ASSERT_EQ(codecs::packedBytes(values.size(), 3), 2u);
  codecs::packBits(values, 3, packed);
  EXPECT_EQ(packed[0], 0xEB);
  EXPECT_EQ(packed[1], 0x01);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(codecs::getPacked(packed, 3, i, 3, true), values[i]);
  EXPECT_EQ(codecs::getPacked(packed, 3, 2, 3, false), 7);
}

TEST(Codecs, PackingIsTheIdentityOnEveryGrid) {
  for (int bits : {1, 2, 3, 4, 5, 8}) {
    for (bool isSigned : {true, false}) {
      int lo = isSigned ? -(1 << (bits - 1)) : 0;
      int hi = isSigned ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
      std::vector<int8_t> values;
      for (int rep = 0; rep < 3; ++rep) // every value at several offsets
        for (int v = lo; v <= hi; ++v)
          values.push_back(int8_t(v));
      values.push_back(int8_t(lo)); // an odd tail
      std::vector<uint8_t> packed(codecs::packedBytes(values.size(), bits));
      codecs::packBits(values, bits, packed.data());
      std::vector<int8_t> back(values.size());
      codecs::unpackBits(packed.data(), values.size(), bits, isSigned,
                         back.data());
      EXPECT_EQ(back, values) << bits << " bits, signed " << isSigned;
    }
  }
}

} // namespace
