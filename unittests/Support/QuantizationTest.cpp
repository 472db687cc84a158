//===- QuantizationTest.cpp - grids, scale search, LR-QAT fold ------------===//
//
// Expected values are worked out by hand (small cases) or from the
// definitions written out independently here (a scalar loop per formula).
//
//===----------------------------------------------------------------------===//

#include "peft/Support/Quantization.h"
#include "peft/Support/Random.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlir::peft;
using namespace mlir::peft::quant;
using numerics::Matrix;
using numerics::MatrixRef;

namespace {

QuantSpec spec(int bits, int64_t group = 0, bool symmetric = true) {
  QuantSpec s;
  s.bits = bits;
  s.groupSize = group;
  s.symmetric = symmetric;
  return s;
}

TEST(Quantization, RoundHalfEvenRoundsTiesToEven) {
  EXPECT_EQ(roundHalfEven(0.5), 0);
  EXPECT_EQ(roundHalfEven(1.5), 2);
  EXPECT_EQ(roundHalfEven(2.5), 2);
  EXPECT_EQ(roundHalfEven(-0.5), 0);
  EXPECT_EQ(roundHalfEven(-1.5), -2);
  EXPECT_EQ(roundHalfEven(2.5000000001), 3);
}

TEST(Quantization, SymmetricPerChannelMinMax) {
  // Row 0: max|w| = 7 -> s = 1 (int4 qmax 7); row 1: max|w| = 3.5 -> 0.5.
  float w[] = {7, -3.5f, 0.5f, 1.5f, //
               -3.5f, 0.25f, 0.75f, 3};
  QuantizedMatrix m = quantize(MatrixRef<const float>(w, 2, 4), spec(4));
  ASSERT_EQ(m.scales, (std::vector<float>{1, 0.5f}));
  EXPECT_TRUE(m.zeroPoints.empty());
  // -3.5 -> -4 (tie to even), 0.5 -> 0, 1.5 -> 2; 0.25/0.5 = 0.5 -> 0,
  // 0.75/0.5 = 1.5 -> 2, 3/0.5 = 6.
  EXPECT_EQ(m.q, (std::vector<int8_t>{7, -4, 0, 2, -7, 0, 2, 6}));
  EXPECT_EQ(m.dequantized(1, 3), 3.0f);
}

TEST(Quantization, GroupsHaveTheirOwnScalesAndAShortLastGroup) {
  // Groups of 2 over 5 columns: {3.5, -7}, {4, 4}, {14}; int4 qmax 7;
  // 3.5 / 1 is a tie: to even, 4.
  float w[] = {3.5f, -7, 4, 4, 14};
  QuantizedMatrix m = quantize(MatrixRef<const float>(w, 1, 5), spec(4, 2));
  EXPECT_EQ(m.groups(), 3);
  EXPECT_EQ(m.scales, (std::vector<float>{1, float(4.0 / 7), 2}));
  EXPECT_EQ(m.q, (std::vector<int8_t>{4, -7, 7, 7, 7}));
}

TEST(Quantization, AsymmetricGridIsShiftedAndExact) {
  // min 0 (kept), max 15 over int4 -> s = 1, unsigned zero point 0, so the
  // signed zero point is -8 and q = w - 8.
  float w[] = {0, 3, 15, 7};
  QuantizedMatrix m =
      quantize(MatrixRef<const float>(w, 1, 4), spec(4, 0, false));
  EXPECT_EQ(m.scales[0], 1.0f);
  EXPECT_EQ(m.zeroPoints, (std::vector<int8_t>{-8}));
  EXPECT_EQ(m.q, (std::vector<int8_t>{-8, -5, 7, -1}));
  for (int c = 0; c < 4; ++c)
    EXPECT_EQ(m.dequantized(0, c), w[c]);
  // A range [-3, 12]: s = 1, unsigned zero point 3 -> signed -5.
  float v[] = {-3, 12};
  QuantizedMatrix n =
      quantize(MatrixRef<const float>(v, 1, 2), spec(4, 0, false));
  EXPECT_EQ(n.zeroPoints[0], -5);
  EXPECT_EQ(n.dequantized(0, 0), -3.0f);
  EXPECT_EQ(n.dequantized(0, 1), 12.0f);
}

TEST(Quantization, AllZeroGroupGetsUnitScale) {
  float w[] = {0, 0, 0};
  QuantizedMatrix m = quantize(MatrixRef<const float>(w, 1, 3), spec(3));
  EXPECT_EQ(m.scales[0], 1.0f);
  EXPECT_EQ(m.q, (std::vector<int8_t>{0, 0, 0}));
  EXPECT_EQ(relativeError(MatrixRef<const float>(w, 1, 3), m), 0.0);
}

/// Σ|w - ŵ|^p for one row on a symmetric grid of scale s (the definition).
double lpErrorOf(const std::vector<float> &w, double s, int bits, double p) {
  double lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1, sum = 0;
  for (float v : w) {
    double q = std::min(hi, std::max(lo, std::nearbyint(v / s)));
    sum += std::pow(std::abs(v - s * q), p);
  }
  return sum;
}

TEST(Quantization, LpSearchMinimizesTheLpErrorOverTheGrid) {
  // One outlier: clipping it lowers the L4 error of the rest.
  Random rng(7);
  std::vector<float> w(256);
  for (float &v : w)
    v = float(rng.normal());
  w[17] = 12;
  ScaleSearch search;
  search.p = 4;
  QuantizedMatrix m =
      quantize(MatrixRef<const float>(w.data(), 1, 256), spec(4), search);
  double chosen = lpErrorOf(w, m.scales[0], 4, 4);
  double minMax = lpErrorOf(w, 12.0 / 7, 4, 4);
  EXPECT_LT(m.scales[0], 12.0f / 7);
  EXPECT_LT(chosen, minMax);
  // The grid reaches its last ratio, 0.2, exactly.
  EXPECT_EQ(double(search.grid - 80) / search.grid, search.minRatio);
  // No ratio on the grid does better.
  for (int i = 0; i < search.grid; ++i) {
    double ratio = double(search.grid - i) / search.grid;
    if (ratio < search.minRatio)
      break;
    EXPECT_LE(chosen, lpErrorOf(w, float(ratio * 12 / 7), 4, 4) * (1 + 1e-12))
        << "ratio " << ratio;
  }
}

TEST(Quantization, RequantizeKeepsTheGrid) {
  float w[] = {7, -3.5f, 0.5f, 1.5f};
  QuantizedMatrix m = quantize(MatrixRef<const float>(w, 1, 4), spec(4));
  float shifted[] = {6, -3.5f, 100, -100};
  requantize(MatrixRef<const float>(shifted, 1, 4), m);
  EXPECT_EQ(m.scales[0], 1.0f);
  EXPECT_EQ(m.q, (std::vector<int8_t>{6, -4, 7, -8})); // clamped ends
}

TEST(Quantization, FixedPointIsTheIdentityOnTheGrid) {
  for (int bits : {2, 3, 4, 8}) {
    QuantSpec s = spec(bits);
    int scale = 1 << (8 - bits);
    // Every representable fixed-point value decodes and re-encodes to
    // itself: the integers of the grid and every fraction step between.
    for (int v = s.qmin() * scale; v <= s.qmax() * scale; ++v) {
      double x = decodeFixedPoint(int8_t(v), bits);
      EXPECT_EQ(x, double(v) / scale);
      EXPECT_EQ(encodeFixedPoint(x, bits), v) << bits << " bits, " << v;
    }
    // Out of range clamps to the grid's ends.
    EXPECT_EQ(encodeFixedPoint(1e9, bits), s.qmax() * scale);
    EXPECT_EQ(encodeFixedPoint(-1e9, bits), s.qmin() * scale);
  }
  // Q4.4: steps of 1/16, ties to even: 1/32 -> 0, 3/32 -> 2/16.
  EXPECT_EQ(encodeFixedPoint(1.0 / 32, 4), 0);
  EXPECT_EQ(encodeFixedPoint(3.0 / 32, 4), 2);
}

TEST(Quantization, FoldIsTheFormulaBitForBit) {
  // Φ0 + sLr·A·B with A·B exact: ties at .5 go to even, the grid clamps.
  // A = [[1], [1]], B = [[0.5, 1.5, 2.5, -0.5]], sLr = 1 (rank 1).
  double phi[] = {0, 0, 0, 0, //
                  7, -8, 0.25, 6.5};
  double a[] = {1, 1};
  double b[] = {0.5, 1.5, 2.5, -0.5};
  int8_t out[8];
  foldLowRank(MatrixRef<const double>(phi, 2, 4),
              MatrixRef<const double>(a, 2, 1),
              MatrixRef<const double>(b, 1, 4), 1.0, 4, out);
  // Row 0: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> 0.
  // Row 1: 7.5 -> 7 (clamped from 8), -6.5 -> -6, 2.75 -> 3, 6 -> 6.
  EXPECT_EQ(std::vector<int8_t>(out, out + 8),
            (std::vector<int8_t>{0, 2, 2, 0, 7, -6, 3, 6}));

  // A random case against the formula written as loops (f64, sum over the
  // rank in order: exact here since the values are multiples of 2^-10 with
  // few bits).
  Random rng(3);
  int64_t rows = 37, cols = 300, rank = 8;
  Matrix<double> p0(rows, cols), aa(rows, rank), bb(rank, cols);
  auto grid = [&](double range) {
    return std::ldexp(std::nearbyint(rng.uniform01() * range * 1024), -10);
  };
  for (double &v : p0.values())
    v = grid(8) - 4;
  for (double &v : aa.values())
    v = grid(2) - 1;
  for (double &v : bb.values())
    v = grid(2) - 1;
  double sLr = 0.25;
  std::vector<int8_t> got(rows * cols);
  foldLowRank(p0.view(), aa.view(), bb.view(), sLr, 3, got.data());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      double ab = 0;
      for (int64_t k = 0; k < rank; ++k)
        ab += aa(r, k) * bb(k, c);
      double want =
          std::min(3.0, std::max(-4.0, std::nearbyint(p0(r, c) + sLr * ab)));
      ASSERT_EQ(got[r * cols + c], int8_t(want)) << r << ", " << c;
    }
}

TEST(Quantization, FoldWithZeroAdapterIsRoundToNearestAwayFromBoundaries) {
  // With A·B = 0 the fold of Φ0 = fixed-point(W/s) equals RTN of W/s except
  // where W/s lies within 2^-(9-b) of a .5 boundary (double rounding).
  int bits = 4;
  double s = 0.1;
  std::vector<double> w = {0.149, 0.151, 0.153, 0.347, -0.25, 0.55};
  double a = 0, b = 0;
  for (double v : w) {
    double phi = decodeFixedPoint(encodeFixedPoint(v / s, bits), bits);
    int8_t folded;
    foldLowRank(MatrixRef<const double>(&phi, 1, 1),
                MatrixRef<const double>(&a, 1, 1),
                MatrixRef<const double>(&b, 1, 1), 1.0, bits, &folded);
    double x = v / s, frac = x - std::floor(x);
    bool nearBoundary = std::abs(frac - 0.5) <= std::ldexp(1.0, -(9 - bits));
    if (!nearBoundary)
      EXPECT_EQ(folded, int8_t(std::nearbyint(x))) << v;
  }
  // 1.49 is within 1/32 of 1.5: Q4.4 stores 24/16 = 1.5, which folds to 2,
  // while RTN of 1.49 is 1 -- the documented boundary case.
  double phi = decodeFixedPoint(encodeFixedPoint(1.49, bits), bits);
  EXPECT_EQ(phi, 1.5);
}

} // namespace
