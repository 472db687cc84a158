//===- ModegptTest.cpp - MoDeGPT decompositions ---------------------------===//
//
// The contracts of REFERENCE §4 on small matrices: errors measured directly
// on the calibration rows (explicit loops here, not the kernels' formulas),
// hand-worked selections and allocations.
//
//===----------------------------------------------------------------------===//

#include "peft/Support/Modegpt.h"

#include "gtest/gtest.h"

#include <cmath>
#include <numeric>
#include <random>

using namespace mlir::peft;
using namespace mlir::peft::modegpt;
using numerics::Matrix;

namespace {
Matrix<double> randomMatrix(int64_t rows, int64_t cols, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Matrix<double> m(rows, cols);
  for (double &v : m.values())
    v = normal(rng);
  return m;
}

/// XᵀX with explicit loops.
Matrix<double> gram(const Matrix<double> &x) {
  Matrix<double> c(x.getCols(), x.getCols());
  for (int64_t r = 0; r < x.getRows(); ++r)
    for (int64_t i = 0; i < x.getCols(); ++i)
      for (int64_t j = 0; j < x.getCols(); ++j)
        c(i, j) += x(r, i) * x(r, j);
  return c;
}

Matrix<double> product(const Matrix<double> &a, const Matrix<double> &b) {
  Matrix<double> c(a.getRows(), b.getCols());
  for (int64_t i = 0; i < a.getRows(); ++i)
    for (int64_t k = 0; k < a.getCols(); ++k)
      for (int64_t j = 0; j < b.getCols(); ++j)
        c(i, j) += a(i, k) * b(k, j);
  return c;
}

double squaredDistance(const Matrix<double> &a, const Matrix<double> &b) {
  double sum = 0;
  for (int64_t i = 0; i < a.getRows(); ++i)
    for (int64_t j = 0; j < a.getCols(); ++j)
      sum += (a(i, j) - b(i, j)) * (a(i, j) - b(i, j));
  return sum;
}

/// The columns `kept` of `m`.
Matrix<double> columns(const Matrix<double> &m,
                       const std::vector<int64_t> &kept) {
  Matrix<double> out(m.getRows(), kept.size());
  for (int64_t r = 0; r < m.getRows(); ++r)
    for (size_t c = 0; c < kept.size(); ++c)
      out(r, c) = m(r, kept[c]);
  return out;
}

double relative(double a, double b) {
  return std::abs(a - b) / std::max(std::abs(b), 1e-300);
}
} // namespace

TEST(ModegptTest, RidgeLeverageScoresOfADiagonalCovariance) {
  // C = diag(4, 1, 0, 3): mean diagonal 2, λ = 0.5 → λ' = 1; score_i =
  // c_i / (c_i + 1).
  Matrix<double> c(4, 4);
  c(0, 0) = 4;
  c(1, 1) = 1;
  c(3, 3) = 3;
  auto scores = ridgeLeverageScores(c, 0.5);
  ASSERT_TRUE(bool(scores)) << llvm::toString(scores.takeError());
  std::vector<double> want = {0.8, 0.5, 0.0, 0.75};
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR((*scores)[i], want[i], 1e-12) << i;
  // Without a ridge: 1 on C's range, 0 off it.
  auto projection = ridgeLeverageScores(c, 0.0);
  ASSERT_TRUE(bool(projection));
  EXPECT_NEAR((*projection)[0], 1.0, 1e-12);
  EXPECT_NEAR((*projection)[2], 0.0, 1e-12);
  EXPECT_EQ(topK(*scores, 2), (std::vector<int64_t>{0, 3}));
}

TEST(ModegptTest, MlpErrorIsTheMeasuredErrorAndTheTraceFormula) {
  const int64_t n = 200, d = 12, out = 5;
  Matrix<double> h = randomMatrix(n, d, 1);
  // Columns of different scales, so that the selection matters.
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < d; ++c)
      h(r, c) *= 1.0 + c % 4;
  Matrix<double> down = randomMatrix(d, out, 2);
  Matrix<double> c = gram(h);
  Matrix<double> reference = product(h, down);

  double previous = INFINITY;
  for (int64_t k = 1; k <= d; ++k) {
    auto r = compressMlp(c, down, k, 1e-2);
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    ASSERT_EQ(int64_t(r->kept.size()), k);
    ASSERT_EQ(r->down.getRows(), k);
    // Measured on the calibration rows.
    double measured =
        squaredDistance(product(columns(h, r->kept), r->down), reference);
    EXPECT_LE(relative(r->error, measured), 1e-8) << "k = " << k;
    EXPECT_LE(r->error, previous * (1 + 1e-12) + 1e-9) << "k = " << k;
    previous = r->error;
    // Least squares: the residual is orthogonal to the kept columns.
    Matrix<double> hs = columns(h, r->kept);
    Matrix<double> fit = product(hs, r->down);
    for (int64_t a = 0; a < k; ++a)
      for (int64_t o = 0; o < out; ++o) {
        double dot = 0;
        for (int64_t row = 0; row < n; ++row)
          dot += hs(row, a) * (reference(row, o) - fit(row, o));
        EXPECT_NEAR(dot, 0.0, 1e-7 * r->total);
      }
  }
  EXPECT_EQ(previous, 0.0);
  auto full = compressMlp(c, down, d, 1e-2);
  ASSERT_TRUE(bool(full));
  EXPECT_EQ(full->down.values(), down.values());
  EXPECT_NEAR(full->total, squaredDistance(reference, Matrix<double>(n, out)),
              1e-8 * full->total);
}

TEST(ModegptTest, MlpErrors) {
  Matrix<double> c(3, 3), down(2, 4);
  auto r = compressMlp(c, down, 1, 0.1);
  ASSERT_FALSE(bool(r));
  EXPECT_NE(llvm::toString(r.takeError()).find("W_down has 2 rows"),
            std::string::npos);
  Matrix<double> w(3, 4);
  auto k = compressMlp(c, w, 4, 0.1);
  ASSERT_FALSE(bool(k));
  EXPECT_NE(llvm::toString(k.takeError()).find("outside [1, 3]"),
            std::string::npos);
}

TEST(ModegptTest, KeyQuerySelection) {
  // Scores √(q·k): [1, 2, 3, 0] with two query heads summing to q.
  std::vector<std::vector<double>> q = {{0.5, 2, 4, 1}, {0.5, 2, 5, 0}};
  std::vector<double> k = {1, 1, 1, 0};
  auto plain = selectKeyQueryDims(q, k, 2, /*rotaryHalf=*/false);
  ASSERT_TRUE(bool(plain));
  EXPECT_EQ(*plain, (std::vector<int64_t>{1, 2}));
  // Pairs (0, 2) score 1 + 3, (1, 3) score 2 + 0: keep (0, 2).
  auto rotary = selectKeyQueryDims(q, k, 2, /*rotaryHalf=*/true);
  ASSERT_TRUE(bool(rotary));
  EXPECT_EQ(*rotary, (std::vector<int64_t>{0, 2}));
  auto odd = selectKeyQueryDims(q, k, 3, /*rotaryHalf=*/true);
  ASSERT_FALSE(bool(odd));
  EXPECT_NE(llvm::toString(odd.takeError()).find("must be even"),
            std::string::npos);
}

TEST(ModegptTest, ValueOutputErrorIsTheDroppedEnergy) {
  const int64_t n = 300, hidden = 10, d = 4, out = 10, g = 2;
  Matrix<double> x = randomMatrix(n, hidden, 3);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < hidden; ++c)
      x(r, c) *= 0.2 + c; // anisotropic inputs
  Matrix<double> wv = randomMatrix(hidden, d, 4);
  std::vector<Matrix<double>> wo = {randomMatrix(d, out, 5),
                                    randomMatrix(d, out, 6)};
  Matrix<double> c = gram(x);
  auto roots = symmetricSqrt(c, 0.0);
  ASSERT_TRUE(bool(roots)) << llvm::toString(roots.takeError());
  std::vector<numerics::MatrixRef<const double>> blocks = {wo[0], wo[1]};

  for (int64_t k = 1; k <= d; ++k) {
    auto r =
        compressValueOutput(roots->sqrt, roots->inverseSqrt, wv, blocks, k);
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    ASSERT_EQ(r->value.getCols(), k);
    ASSERT_EQ(int64_t(r->outputs.size()), g);
    double measured = 0, plainError = 0;
    for (int64_t h = 0; h < g; ++h) {
      Matrix<double> reference = product(x, product(wv, wo[h]));
      Matrix<double> ours = product(x, product(r->value, r->outputs[h]));
      measured += squaredDistance(ours, reference);
    }
    if (k == d) { // exact at the full dimension
      EXPECT_LE(measured, 1e-18 * r->total);
      EXPECT_LE(r->error, 1e-18 * r->total);
      continue;
    }
    EXPECT_LE(relative(r->error, measured), 1e-8) << "k = " << k;
    // Plain truncated SVD of the same product [W_v·W_o,1 … W_v·W_o,g] at
    // rank k (the same parameter count) does worse on the data.
    Matrix<double> m(hidden, g * out);
    for (int64_t h = 0; h < g; ++h) {
      Matrix<double> p = product(wv, wo[h]);
      for (int64_t i = 0; i < hidden; ++i)
        for (int64_t j = 0; j < out; ++j)
          m(i, h * out + j) = p(i, j);
    }
    auto svd = numerics::svd<double>(m);
    ASSERT_TRUE(bool(svd));
    Matrix<double> approx(hidden, g * out);
    for (int64_t i = 0; i < hidden; ++i)
      for (int64_t j = 0; j < g * out; ++j)
        for (int64_t s = 0; s < k; ++s)
          approx(i, j) += svd->u(i, s) * svd->s[s] * svd->vt(s, j);
    plainError = squaredDistance(product(x, approx), product(x, m));
    EXPECT_LT(r->error, plainError) << "k = " << k;
  }
}

TEST(ModegptTest, CholeskyWhiteningGivesTheSymmetricRootsResult) {
  // Any R with RᵀR = C gives the same singular values and the same
  // compressed product Ŵ_v·Ŵ_o as C^{1/2}.
  const int64_t n = 200, hidden = 9, d = 5, out = 7;
  Matrix<double> x = randomMatrix(n, hidden, 13);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < hidden; ++c)
      x(r, c) *= 0.3 + c;
  Matrix<double> wv = randomMatrix(hidden, d, 14);
  Matrix<double> wo = randomMatrix(d, out, 15);
  Matrix<double> c = gram(x);
  auto roots = symmetricSqrt(c, 0.01);
  auto chol = choleskyWhitening(c, 0.01);
  ASSERT_TRUE(bool(roots) && bool(chol));
  // whitenᵀ·whiten = C_λ and unwhiten·whiten = I.
  Matrix<double> ctc(hidden, hidden), id(hidden, hidden);
  numerics::gemm<double>(1.0, chol->whiten.view(), numerics::Op::T,
                         chol->whiten.view(), numerics::Op::N, 0.0, ctc.view());
  numerics::gemm<double>(1.0, chol->unwhiten.view(), numerics::Op::N,
                         chol->whiten.view(), numerics::Op::N, 0.0, id.view());
  double shift = 0.01 * [&] {
    double s = 0;
    for (int64_t i = 0; i < hidden; ++i)
      s += c(i, i);
    return s / hidden;
  }();
  for (int64_t i = 0; i < hidden; ++i)
    for (int64_t j = 0; j < hidden; ++j) {
      EXPECT_NEAR(ctc(i, j), c(i, j) + (i == j ? shift : 0.0), 1e-9 * c(i, i));
      EXPECT_NEAR(id(i, j), i == j ? 1.0 : 0.0, 1e-9);
    }
  std::vector<numerics::MatrixRef<const double>> blocks = {wo};
  for (int64_t k = 1; k <= d; ++k) {
    auto a =
        compressValueOutput(roots->sqrt, roots->inverseSqrt, wv, blocks, k);
    auto b = compressValueOutput(chol->whiten, chol->unwhiten, wv, blocks, k);
    ASSERT_TRUE(bool(a) && bool(b));
    for (int64_t i = 0; i < d; ++i)
      EXPECT_NEAR(a->singularValues[i], b->singularValues[i],
                  1e-9 * a->singularValues[0]);
    EXPECT_LE(relative(a->error, b->error), 1e-9) << "k = " << k;
    Matrix<double> pa = product(a->value, a->outputs[0]);
    Matrix<double> pb = product(b->value, b->outputs[0]);
    EXPECT_LE(squaredDistance(pa, pb),
              1e-18 * squaredDistance(pa, Matrix<double>(hidden, out)))
        << "k = " << k;
  }
  Matrix<double> singular(2, 2);
  singular(0, 0) = 1;
  auto failed = choleskyWhitening(singular, 0.0);
  ASSERT_FALSE(bool(failed));
  EXPECT_NE(llvm::toString(failed.takeError()).find("use a larger lambda"),
            std::string::npos);
}

TEST(ModegptTest, SymmetricSqrtNeedsPositiveDefinite) {
  Matrix<double> c(2, 2);
  c(0, 0) = 1;
  auto singular = symmetricSqrt(c, 0.0);
  ASSERT_FALSE(bool(singular));
  EXPECT_NE(llvm::toString(singular.takeError()).find("use a larger lambda"),
            std::string::npos);
  auto ridged = symmetricSqrt(c, 0.1);
  ASSERT_TRUE(bool(ridged));
  // C + 0.05·I = diag(1.05, 0.05).
  EXPECT_NEAR(ridged->sqrt(0, 0), std::sqrt(1.05), 1e-12);
  EXPECT_NEAR(ridged->inverseSqrt(1, 1), 1 / std::sqrt(0.05), 1e-9);
}

TEST(ModegptTest, GlobalAllocation) {
  // Weights ∝ [1, 1/3]: φ = 2·0.5·[3/4, 1/4].
  double eps = 0.015;
  std::vector<double> scores = {0.0, eps * std::log(3.0)};
  auto phi = allocateSparsity(scores, 0.5, eps, 0.8);
  ASSERT_TRUE(bool(phi));
  EXPECT_NEAR((*phi)[0], 0.75, 1e-12);
  EXPECT_NEAR((*phi)[1], 0.25, 1e-12);
  // Capped at 0.6, the excess goes to the other layer.
  auto capped = allocateSparsity(scores, 0.5, eps, 0.6);
  ASSERT_TRUE(bool(capped));
  EXPECT_NEAR((*capped)[0], 0.6, 1e-12);
  EXPECT_NEAR((*capped)[1], 0.4, 1e-12);
  // Many layers: the mean is the target, none exceeds the cap, and less
  // important layers (lower score) lose more.
  std::vector<double> many = {0.01, 0.2, 0.05, 0.02, 0.3, 0.015};
  auto spread = allocateSparsity(many, 0.3, eps, 0.8);
  ASSERT_TRUE(bool(spread));
  double sum = std::accumulate(spread->begin(), spread->end(), 0.0);
  EXPECT_NEAR(sum / many.size(), 0.3, 1e-12);
  for (size_t i = 0; i < many.size(); ++i) {
    EXPECT_LE((*spread)[i], 0.8 + 1e-12);
    for (size_t j = 0; j < many.size(); ++j)
      if (many[i] < many[j])
        EXPECT_GE((*spread)[i], (*spread)[j] - 1e-12);
  }
  auto bad = allocateSparsity(many, 0.9, eps, 0.8);
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("must be in [0, cap"),
            std::string::npos);
}

TEST(ModegptTest, MlpWithFewerTokensThanColumns) {
  // 5 rows for 12 columns: C has rank 5. The refit is the pseudo-inverse's
  // (SᵀCS is singular once more than 5 columns are kept), the error is still
  // the measured one, and it is zero once the kept columns span the rows.
  const int64_t n = 5, d = 12, out = 3;
  Matrix<double> h = randomMatrix(n, d, 7);
  Matrix<double> down = randomMatrix(d, out, 8);
  Matrix<double> c = gram(h);
  Matrix<double> reference = product(h, down);
  for (int64_t k : {2, 5, 8, 12}) {
    auto r = compressMlp(c, down, k, 1e-2);
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    double measured =
        squaredDistance(product(columns(h, r->kept), r->down), reference);
    EXPECT_NEAR(r->error, measured, 1e-8 * r->total) << "k = " << k;
    for (double v : r->down.values())
      EXPECT_TRUE(std::isfinite(v) && std::abs(v) < 1e6) << "k = " << k;
    if (k >= 5)
      EXPECT_LE(measured, 1e-10 * r->total) << "k = " << k;
  }
}
