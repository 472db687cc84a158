//===- LowRankFactorizationTest.cpp - plain and whitened SVD baselines ----===//
//
// Expected values are worked out by hand (small matrices) or measured here
// with naive loops (reconstruction and output errors), never taken from the
// code under test.
//
//===----------------------------------------------------------------------===//

#include "peft/Support/LowRankFactorization.h"
#include "peft/Support/Random.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace mlir::peft;
using namespace mlir::peft::lowrank;
using numerics::Matrix;
using numerics::MatrixRef;

namespace {

Matrix<double> randomMatrix(int64_t r, int64_t c, uint64_t seed) {
  Random rng(seed);
  Matrix<double> m(r, c);
  for (double &v : m.values())
    v = rng.uniform(-1, 1);
  return m;
}

/// U'·V' with naive loops.
Matrix<double> product(const Factorization &f) {
  int64_t out = f.u.getRows(), in = f.v.getCols(), k = f.getRank();
  Matrix<double> w(out, in);
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i) {
      long double sum = 0;
      for (int64_t j = 0; j < k; ++j)
        sum += (long double)f.u(o, j) * f.v(j, i);
      w(o, i) = double(sum);
    }
  return w;
}

double squaredDistance(const Matrix<double> &a, const Matrix<double> &b) {
  double sum = 0;
  for (size_t i = 0; i < a.values().size(); ++i)
    sum += (a.values()[i] - b.values()[i]) * (a.values()[i] - b.values()[i]);
  return sum;
}

/// ‖X·Wᵀ − X·Ŵᵀ‖_F² with naive loops (the output error on the rows of X).
double outputError(const Matrix<double> &x, const Matrix<double> &w,
                   const Matrix<double> &approx) {
  double sum = 0;
  for (int64_t t = 0; t < x.getRows(); ++t)
    for (int64_t o = 0; o < w.getRows(); ++o) {
      long double d = 0;
      for (int64_t i = 0; i < w.getCols(); ++i)
        d += (long double)x(t, i) * (w(o, i) - approx(o, i));
      sum += double(d * d);
    }
  return sum;
}

/// Σ xᵀx with naive loops.
Matrix<double> gram(const Matrix<double> &x) {
  int64_t n = x.getCols();
  Matrix<double> c(n, n);
  for (int64_t t = 0; t < x.getRows(); ++t)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j)
        c(i, j) += x(t, i) * x(t, j);
  return c;
}

/// Calibration rows with very unequal column scales (what whitening is for).
Matrix<double> activations(int64_t tokens, int64_t n, uint64_t seed) {
  Matrix<double> x = randomMatrix(tokens, n, seed);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t i = 0; i < n; ++i)
      x(t, i) *= std::pow(3.0, double(i % 4)) + (i ? 0.5 * x(t, i - 1) : 0);
  return x;
}

RankSpec rank(int64_t k) { return {RankRule::Rank, double(k)}; }

TEST(LowRankFactorization, HandWorkedDiagonal) {
  // W = diag(3, 4): σ = (4, 3); rank 1 keeps the 4, error 3² = 9.
  Matrix<double> w(2, 2);
  w(0, 0) = 3;
  w(1, 1) = 4;
  auto f = truncatedSvd(w, rank(1));
  ASSERT_TRUE(bool(f)) << llvm::toString(f.takeError());
  ASSERT_EQ(f->singularValues.size(), 2u);
  EXPECT_NEAR(f->singularValues[0], 4, 1e-14);
  EXPECT_NEAR(f->singularValues[1], 3, 1e-14);
  Matrix<double> approx = product(*f);
  EXPECT_NEAR(approx(0, 0), 0, 1e-14);
  EXPECT_NEAR(approx(1, 1), 4, 1e-14);
  EXPECT_NEAR(f->droppedEnergy(), 9, 1e-12);
  EXPECT_NEAR(f->energyKept(), 16.0 / 25.0, 1e-14);
  // V' has orthonormal rows: the singular values are in U'.
  EXPECT_NEAR(std::abs(f->v(0, 1)), 1, 1e-14);
  EXPECT_NEAR(std::abs(f->u(1, 0)), 4, 1e-14);
}

TEST(LowRankFactorization, ExactAtFullRank) {
  for (auto [out, in] : {std::pair<int64_t, int64_t>{7, 5}, {5, 7}, {6, 6}}) {
    Matrix<double> w = randomMatrix(out, in, 11 + out);
    auto f = truncatedSvd(w, rank(std::min(out, in)));
    ASSERT_TRUE(bool(f)) << llvm::toString(f.takeError());
    EXPECT_LE(squaredDistance(product(*f), w), 1e-20);
    Matrix<double> x = activations(40, in, 3);
    auto s = whiteningFactor(gram(x), 1e-3);
    ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
    auto g = whitenedSvd(w, *s, rank(std::min(out, in)));
    ASSERT_TRUE(bool(g)) << llvm::toString(g.takeError());
    EXPECT_LE(std::sqrt(squaredDistance(product(*g), w)), 1e-10);
  }
}

TEST(LowRankFactorization, PlainErrorIsDroppedEnergyAndNonIncreasing) {
  Matrix<double> w = randomMatrix(9, 6, 5);
  auto reference = numerics::svd<double>(w.view(), /*computeVectors=*/false);
  ASSERT_TRUE(bool(reference));
  double previous = INFINITY;
  for (int64_t k = 1; k <= 6; ++k) {
    auto f = truncatedSvd(w, rank(k));
    ASSERT_TRUE(bool(f)) << llvm::toString(f.takeError());
    double dropped = 0;
    for (int64_t i = k; i < 6; ++i)
      dropped += reference->s[i] * reference->s[i];
    double measured = squaredDistance(product(*f), w);
    EXPECT_NEAR(measured, dropped, 1e-12 * (1 + dropped)) << "k = " << k;
    EXPECT_NEAR(f->droppedEnergy(), dropped, 1e-12 * (1 + dropped));
    EXPECT_LE(measured, previous + 1e-12);
    previous = measured;
  }
}

TEST(LowRankFactorization, WhitenedHandWorked) {
  // W = I₂, C = diag(4, 1), λ = 0: S = diag(2, 1), W·S = diag(2, 1). Rank 1
  // keeps the high-variance input: Ŵ = [[1, 0], [0, 0]], U' = ±[2, 0]ᵀ,
  // V' = ±[1/2, 0], whitened error σ₂² = 1 = the output error on C.
  Matrix<double> w(2, 2), c(2, 2);
  w(0, 0) = w(1, 1) = 1;
  c(0, 0) = 4;
  c(1, 1) = 1;
  auto s = whiteningFactor(c, 0.0);
  ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
  EXPECT_NEAR((*s)(0, 0), 2, 1e-15);
  auto f = whitenedSvd(w, *s, rank(1));
  ASSERT_TRUE(bool(f)) << llvm::toString(f.takeError());
  Matrix<double> approx = product(*f);
  EXPECT_NEAR(approx(0, 0), 1, 1e-14);
  EXPECT_NEAR(approx(0, 1), 0, 1e-14);
  EXPECT_NEAR(approx(1, 0), 0, 1e-14);
  EXPECT_NEAR(approx(1, 1), 0, 1e-14);
  EXPECT_NEAR(std::abs(f->u(0, 0)), 2, 1e-14);
  EXPECT_NEAR(std::abs(f->v(0, 0)), 0.5, 1e-14);
  EXPECT_NEAR(f->droppedEnergy(), 1, 1e-14);
}

TEST(LowRankFactorization, WhitenedErrorIsOutputErrorAndBeatsPlain) {
  int64_t out = 8, in = 10;
  Matrix<double> w = randomMatrix(out, in, 21);
  Matrix<double> x = activations(200, in, 22);
  auto s = whiteningFactor(gram(x), 0.0);
  ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
  double previous = INFINITY;
  for (int64_t k = 1; k <= out; ++k) {
    auto whitened = whitenedSvd(w, *s, rank(k));
    auto plain = truncatedSvd(w, rank(k));
    ASSERT_TRUE(bool(whitened) && bool(plain));
    double measured = outputError(x, w, product(*whitened));
    double dropped = whitened->droppedEnergy();
    EXPECT_NEAR(measured, dropped, 1e-9 * (1 + dropped)) << "k = " << k;
    EXPECT_LE(measured, outputError(x, w, product(*plain)) + 1e-9)
        << "k = " << k;
    EXPECT_LE(measured, previous + 1e-9);
    previous = measured;
  }
}

TEST(LowRankFactorization, RankRules) {
  // floor((1 − ρ)·out·in / (out + in)), at least 1.
  EXPECT_EQ(rankForParameterRatio(0.5, 64, 64), 16);
  EXPECT_EQ(rankForParameterRatio(0.0, 64, 64), 32);
  EXPECT_EQ(rankForParameterRatio(0.25, 3, 5), 1);       // 1.40625
  EXPECT_EQ(rankForParameterRatio(0.2, 384, 1536), 245); // 245.76
  EXPECT_EQ(rankForParameterRatio(0.99, 8, 8), 1);
  // σ = (3, 2, 1): Σσ² = 14; cumulative 9, 13, 14.
  std::vector<double> sigma = {3, 2, 1};
  EXPECT_EQ(rankForEnergy(sigma, 0.5), 1);
  EXPECT_EQ(rankForEnergy(sigma, 9.0 / 14.0), 1);
  EXPECT_EQ(rankForEnergy(sigma, 0.7), 2);
  EXPECT_EQ(rankForEnergy(sigma, 1.0), 3);
  EXPECT_EQ(rankForEnergy({0, 0}, 0.9), 1);

  auto bad = [&](RankSpec spec) {
    auto k = chooseRank(spec, 4, 6, sigma);
    EXPECT_FALSE(bool(k));
    return k ? std::string() : llvm::toString(k.takeError());
  };
  EXPECT_NE(bad(rank(5)).find("outside [1, min(out, in) = 4]"),
            std::string::npos);
  EXPECT_NE(bad(rank(0)).find("outside"), std::string::npos);
  EXPECT_NE(bad({RankRule::Ratio, 1.0}).find("ratio 1"), std::string::npos);
  EXPECT_NE(bad({RankRule::Energy, 0.0}).find("energy"), std::string::npos);
  auto k = chooseRank({RankRule::Energy, 0.7}, 4, 6, sigma);
  ASSERT_TRUE(bool(k));
  EXPECT_EQ(*k, 2);
}

TEST(LowRankFactorization, CovarianceNotPositiveDefinite) {
  Matrix<double> zero(3, 3);
  auto s = whiteningFactor(zero, 0.1);
  ASSERT_FALSE(bool(s));
  EXPECT_NE(llvm::toString(s.takeError())
                .find("not positive definite even after regularization"),
            std::string::npos);
  // Rank-deficient: 2 tokens for 3 inputs. λ = 0 fails, λ > 0 succeeds.
  Matrix<double> c = gram(randomMatrix(2, 3, 9));
  auto none = whiteningFactor(c, 0.0);
  EXPECT_FALSE(bool(none));
  llvm::consumeError(none.takeError());
  auto some = whiteningFactor(c, 0.01);
  EXPECT_TRUE(bool(some));
  if (!some)
    llvm::consumeError(some.takeError());
  auto negative = whiteningFactor(c, -1);
  ASSERT_FALSE(bool(negative));
  EXPECT_NE(llvm::toString(negative.takeError()).find("lambda"),
            std::string::npos);
}

} // namespace
