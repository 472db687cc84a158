//===- NumericsTest.cpp - BLAS/LAPACK wrappers and weight kernels ---------===//
//
// Expected values come from naive loops in long double written here, or from
// matrices built with known factors — never from the code under test.
//
//===----------------------------------------------------------------------===//

#include "peft/Support/Numerics.h"
#include "peft/Support/Random.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace mlir::peft;
using namespace mlir::peft::numerics;

namespace {

template <typename T>
Matrix<T> randomMatrix(int64_t r, int64_t c, uint64_t seed) {
  Random rng(seed);
  Matrix<T> m(r, c);
  for (T &v : m.values())
    v = T(rng.uniform(-1, 1));
  return m;
}

/// op(A)·op(B) with long double accumulation, and Σ|a·b| per element for
/// the rounding bound.
template <typename T>
std::pair<Matrix<long double>, Matrix<long double>>
naiveMatmul(MatrixRef<const T> a, Op opA, MatrixRef<const T> b, Op opB) {
  auto at = [](MatrixRef<const T> m, Op op, int64_t i, int64_t j) {
    return op == Op::N ? m(i, j) : m(j, i);
  };
  int64_t m = opA == Op::N ? a.rows : a.cols,
          k = opA == Op::N ? a.cols : a.rows;
  int64_t n = opB == Op::N ? b.cols : b.rows;
  Matrix<long double> c(m, n), bound(m, n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t l = 0; l < k; ++l) {
        long double p = (long double)at(a, opA, i, l) * at(b, opB, l, j);
        c(i, j) += p;
        bound(i, j) += std::fabs(p);
      }
  return {c, bound};
}

template <typename T> class NumericsTyped : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(NumericsTyped, FloatTypes, );

TYPED_TEST(NumericsTyped, GemmMatchesNaiveForEveryTransposeAndSubview) {
  using T = TypeParam;
  const T eps = std::numeric_limits<T>::epsilon();
  for (Op opA : {Op::N, Op::T})
    for (Op opB : {Op::N, Op::T}) {
      // 7x5 times 5x9 as op(A), op(B); A and B are blocks of larger matrices
      // so that ld > cols.
      Matrix<T> bigA = randomMatrix<T>(12, 12, 1),
                bigB = randomMatrix<T>(12, 12, 2);
      MatrixRef<const T> a =
          bigA.view().block(1, 2, opA == Op::N ? 7 : 5, opA == Op::N ? 5 : 7);
      MatrixRef<const T> b =
          bigB.view().block(3, 1, opB == Op::N ? 5 : 9, opB == Op::N ? 9 : 5);
      Matrix<T> c = randomMatrix<T>(7, 9, 3);
      Matrix<T> c0 = c;
      gemm<T>(T(0.5), a, opA, b, opB, T(2), c.view());
      auto [ref, bound] = naiveMatmul<T>(a, opA, b, opB);
      for (int64_t i = 0; i < 7; ++i)
        for (int64_t j = 0; j < 9; ++j) {
          long double expected = 0.5L * ref(i, j) + 2.0L * c0(i, j);
          long double tolerance =
              8 * eps * (0.5L * bound(i, j) + 2.0L * std::fabs(c0(i, j)));
          EXPECT_NEAR((long double)c(i, j), expected, tolerance)
              << "op " << int(opA) << int(opB) << " at " << i << "," << j;
        }
    }
}

TYPED_TEST(NumericsTyped, SvdRecoversKnownSingularValues) {
  using T = TypeParam;
  // A = Q1 · diag(s) · Q2ᵀ with orthonormal Q1 (9x4), Q2 (6x4) from QR of
  // random matrices, and chosen singular values.
  const std::vector<T> sigma = {5, 3, 1, 0.25};
  auto q1 = qr<T>(randomMatrix<T>(9, 4, 4).view());
  auto q2 = qr<T>(randomMatrix<T>(6, 4, 5).view());
  ASSERT_TRUE(bool(q1) && bool(q2));
  Matrix<T> us = q1->q;
  for (int64_t i = 0; i < 9; ++i)
    for (int64_t j = 0; j < 4; ++j)
      us(i, j) *= sigma[j];
  Matrix<T> a = matmul<T>(us.view(), q2->q.view(), Op::N, Op::T);

  const T tol = 64 * std::numeric_limits<T>::epsilon() * 5;
  auto values = svd<T>(a.view(), /*computeVectors=*/false);
  ASSERT_TRUE(bool(values)) << llvm::toString(values.takeError());
  // 9x6 of rank 4: the last two singular values vanish.
  ASSERT_EQ(values->s.size(), 6u);
  for (int j = 0; j < 6; ++j)
    EXPECT_NEAR(values->s[j], j < 4 ? sigma[j] : T(0), tol);
  EXPECT_EQ(values->u.getRows(), 0);

  auto full = svd<T>(a.view());
  ASSERT_TRUE(bool(full));
  // U·diag(S)·Vᵀ reproduces A; UᵀU = I.
  Matrix<T> u = full->u;
  ASSERT_EQ(u.getCols(), 6);
  for (int64_t i = 0; i < 9; ++i)
    for (int64_t j = 0; j < 6; ++j)
      u(i, j) *= full->s[j];
  Matrix<T> back = matmul<T>(u.view(), full->vt.view());
  for (int64_t i = 0; i < 9; ++i)
    for (int64_t j = 0; j < 6; ++j)
      EXPECT_NEAR(back(i, j), a(i, j), tol);
  Matrix<T> utu = matmul<T>(full->u.view(), full->u.view(), Op::T, Op::N);
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 6; ++j)
      EXPECT_NEAR(utu(i, j), i == j ? 1 : 0, tol);
}

TYPED_TEST(NumericsTyped, QrIsOrthonormalTimesUpperTriangular) {
  using T = TypeParam;
  const T tol = 64 * std::numeric_limits<T>::epsilon();
  for (auto [m, n] : {std::pair<int64_t, int64_t>{8, 5}, {4, 7}}) {
    Matrix<T> a = randomMatrix<T>(m, n, 6);
    auto f = qr<T>(a.view());
    ASSERT_TRUE(bool(f));
    int64_t k = std::min(m, n);
    ASSERT_EQ(f->q.getCols(), k);
    ASSERT_EQ(f->r.getRows(), k);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < i; ++j)
        EXPECT_EQ(f->r(i, j), T(0));
    Matrix<T> back = matmul<T>(f->q.view(), f->r.view());
    auto [ref, bound] = naiveMatmul<T>(f->q.view(), Op::N, f->r.view(), Op::N);
    (void)ref;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        EXPECT_NEAR(back(i, j), a(i, j), tol * (1 + bound(i, j)));
    Matrix<T> qtq = matmul<T>(f->q.view(), f->q.view(), Op::T, Op::N);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j)
        EXPECT_NEAR(qtq(i, j), i == j ? 1 : 0, tol);
  }
}

TYPED_TEST(NumericsTyped, SymmetricEigenOfKnownSpectrum) {
  using T = TypeParam;
  // A = Q · diag(λ) · Qᵀ.
  const int64_t n = 6;
  const std::vector<T> lambda = {-2, -0.5, 0, 1, 3, 7};
  auto q = qr<T>(randomMatrix<T>(n, n, 7).view());
  ASSERT_TRUE(bool(q));
  Matrix<T> ql = q->q;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      ql(i, j) *= lambda[j];
  Matrix<T> a = matmul<T>(ql.view(), q->q.view(), Op::N, Op::T);
  auto e = symmetricEigen<T>(a.view());
  ASSERT_TRUE(bool(e));
  const T tol = 256 * std::numeric_limits<T>::epsilon() * 7;
  for (int64_t j = 0; j < n; ++j) {
    EXPECT_NEAR(e->values[j], lambda[j], tol);
    // A·v = λ·v
    for (int64_t i = 0; i < n; ++i) {
      T av = 0;
      for (int64_t l = 0; l < n; ++l)
        av += a(i, l) * e->vectors(l, j);
      EXPECT_NEAR(av, e->values[j] * e->vectors(i, j), tol);
    }
  }
  auto notSquare = symmetricEigen<T>(Matrix<T>(2, 3).view());
  ASSERT_FALSE(bool(notSquare));
  EXPECT_NE(llvm::toString(notSquare.takeError()).find("not square"),
            std::string::npos);
}

// ssyevd's own workspace query rounds down through a float at n >= 4096
// (../shared/TOOLCHAIN.md); the wrapper sizes the workspace itself.
TEST(Numerics, SymmetricEigenWithVectorsAt4096) {
  const int64_t n = 4096;
  Matrix<float> a(n, n);
  for (int64_t i = 0; i < n; ++i)
    a(i, i) = float(i % 97) - 48.0f;
  auto e = symmetricEigen<float>(a.view());
  ASSERT_TRUE(bool(e)) << llvm::toString(e.takeError());
  EXPECT_EQ(e->values.front(), -48.0f);
  EXPECT_EQ(e->values.back(), 48.0f);
}

TYPED_TEST(NumericsTyped, CholeskyAndTriangularSolve) {
  using T = TypeParam;
  const int64_t n = 5;
  // A = M·Mᵀ + n·I is positive definite.
  Matrix<T> m = randomMatrix<T>(n, n, 8);
  Matrix<T> a = matmul<T>(m.view(), m.view(), Op::N, Op::T);
  for (int64_t i = 0; i < n; ++i)
    a(i, i) += T(n);
  auto l = cholesky<T>(a.view());
  ASSERT_TRUE(bool(l));
  const T tol = 64 * std::numeric_limits<T>::epsilon() * 10;
  Matrix<T> llt = matmul<T>(l->view(), l->view(), Op::N, Op::T);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      EXPECT_NEAR(llt(i, j), a(i, j), tol);
      if (j > i)
        EXPECT_EQ((*l)(i, j), T(0));
    }

  // L·X = B and X·Lᵀ = B, checked by multiplying back.
  Matrix<T> b = randomMatrix<T>(n, 3, 9), x = b;
  solveTriangular<T>(l->view(), Triangle::Lower, Op::N, Side::Left, x.view());
  Matrix<T> lx = matmul<T>(l->view(), x.view());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < 3; ++j)
      EXPECT_NEAR(lx(i, j), b(i, j), tol);
  Matrix<T> b2 = randomMatrix<T>(3, n, 10), x2 = b2;
  solveTriangular<T>(l->view(), Triangle::Lower, Op::T, Side::Right, x2.view());
  Matrix<T> xlt = matmul<T>(x2.view(), l->view(), Op::N, Op::T);
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < n; ++j)
      EXPECT_NEAR(xlt(i, j), b2(i, j), tol);

  // Not positive definite: a clear error.
  Matrix<T> bad(2, 2);
  bad(0, 0) = 1;
  bad(1, 1) = -1;
  auto failure = cholesky<T>(bad.view());
  ASSERT_FALSE(bool(failure));
  EXPECT_NE(llvm::toString(failure.takeError()).find("not positive definite"),
            std::string::npos);
}

TYPED_TEST(NumericsTyped, PseudoInverseOfRankDeficientMatrix) {
  using T = TypeParam;
  // Rank 2, 6x4: A = X·Y with X 6x2, Y 2x4. Penrose: A·A⁺·A = A and
  // A⁺·A·A⁺ = A⁺.
  Matrix<T> x = randomMatrix<T>(6, 2, 11), y = randomMatrix<T>(2, 4, 12);
  Matrix<T> a = matmul<T>(x.view(), y.view());
  auto p = pseudoInverse<T>(a.view());
  ASSERT_TRUE(bool(p));
  ASSERT_EQ(p->getRows(), 4);
  ASSERT_EQ(p->getCols(), 6);
  Matrix<T> apa = matmul<T>(matmul<T>(a.view(), p->view()).view(), a.view());
  Matrix<T> pap = matmul<T>(matmul<T>(p->view(), a.view()).view(), p->view());
  const T tol = std::is_same_v<T, float> ? T(1e-3) : T(1e-10);
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 4; ++j)
      EXPECT_NEAR(apa(i, j), a(i, j), tol);
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 6; ++j)
      EXPECT_NEAR(pap(i, j), (*p)(i, j), tol * 10);
}

TYPED_TEST(NumericsTyped, LoraMergeInBothLayoutsAndUnmerge) {
  using T = TypeParam;
  const int64_t out = 7, in = 5, r = 3;
  const T scale = T(0.75);
  Matrix<T> w0 = randomMatrix<T>(out, in, 13), a = randomMatrix<T>(r, in, 14),
            b = randomMatrix<T>(out, r, 15);
  auto [ba, bound] = naiveMatmul<T>(b.view(), Op::N, a.view(), Op::N);
  const T eps = std::numeric_limits<T>::epsilon();

  Matrix<T> w = w0;
  mergeLora<T>(w.view(), Layout::OutIn, a.view(), b.view(), scale);
  Matrix<T> wt = transpose<T>(w0.view());
  mergeLora<T>(wt.view(), Layout::InOut, a.view(), b.view(), scale);
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i) {
      long double expected = w0(o, i) + (long double)scale * ba(o, i);
      long double tol = 8 * eps * (std::fabs(w0(o, i)) + scale * bound(o, i));
      EXPECT_NEAR((long double)w(o, i), expected, tol);
      EXPECT_NEAR((long double)wt(i, o), expected, tol);
    }
  unmergeLora<T>(w.view(), Layout::OutIn, a.view(), b.view(), scale);
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i)
      EXPECT_NEAR(w(o, i), w0(o, i),
                  16 * eps * (std::fabs(w0(o, i)) + scale * bound(o, i)));
}

TYPED_TEST(NumericsTyped, DoraMergeNormalizesRowsAndUnmergeRestores) {
  using T = TypeParam;
  const int64_t out = 4, in = 6, r = 2;
  const T scale = 2;
  Matrix<T> w0 = randomMatrix<T>(out, in, 16), a = randomMatrix<T>(r, in, 17),
            b = randomMatrix<T>(out, r, 18);
  std::vector<T> magnitude = {0.5, 1, 2, 4};
  for (Layout layout : {Layout::OutIn, Layout::InOut}) {
    Matrix<T> w = layout == Layout::OutIn ? w0 : transpose<T>(w0.view());
    std::vector<T> norms =
        mergeLora<T>(w.view(), layout, a.view(), b.view(), scale, magnitude);
    ASSERT_EQ(norms.size(), size_t(out));
    // Each output row of the merged weight has norm m[o].
    std::vector<T> merged = outputRowNorms<T>(w.view(), layout);
    const T tol = 64 * std::numeric_limits<T>::epsilon() * 4;
    for (int64_t o = 0; o < out; ++o)
      EXPECT_NEAR(merged[o], magnitude[o], tol);
    unmergeLora<T>(w.view(), layout, a.view(), b.view(), scale, magnitude,
                   norms);
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < in; ++i)
        EXPECT_NEAR(layout == Layout::OutIn ? w(o, i) : w(i, o), w0(o, i),
                    tol * 4);
  }
}

// The example: f64 weights are not rounded through f32.
TEST(Numerics, F64MergeIsExactInDouble) {
  const double w0 = 1.0 + std::ldexp(1.0, -40);
  Matrix<double> w(1, 1, w0), a(1, 1, 0.5), b(1, 1, 0.25);
  mergeLora<double>(w.view(), Layout::OutIn, a.view(), b.view(), 2.0);
  EXPECT_EQ(w(0, 0), 1.25 + std::ldexp(1.0, -40));
  unmergeLora<double>(w.view(), Layout::OutIn, a.view(), b.view(), 2.0);
  EXPECT_EQ(w(0, 0), w0);
}

TEST(Numerics, ScaleInputsAndOutputsFollowTheLayout) {
  // W [out=2, in=3] = 1; scale outputs by (2, 3), inputs by (1, 10, 100).
  for (Layout layout : {Layout::OutIn, Layout::InOut}) {
    bool outIn = layout == Layout::OutIn;
    Matrix<float> w(outIn ? 2 : 3, outIn ? 3 : 2, 1.0f);
    const std::vector<float> outs = {2, 3}, ins = {1, 10, 100};
    scaleOutputs<float>(w.view(), layout, outs);
    scaleInputs<float>(w.view(), layout, ins);
    for (int o = 0; o < 2; ++o)
      for (int i = 0; i < 3; ++i)
        EXPECT_EQ(outIn ? w(o, i) : w(i, o), outs[o] * ins[i]);
  }
}

TEST(Numerics, FindNonFiniteReportsTheFirst) {
  Matrix<float> w(2, 3, 1.0f);
  w(1, 2) = NAN;
  w(1, 0) = INFINITY;
  NonFinite<float> bad = findNonFinite<float>(w.view());
  EXPECT_EQ(bad.count, 2);
  EXPECT_EQ(bad.row, 1);
  EXPECT_EQ(bad.col, 0);
  EXPECT_EQ(findNonFinite<float>(Matrix<float>(2, 2).view()).count, 0);
}

// xoshiro256** seeded by SplitMix64(42): reference values from an
// independent Python implementation of the published algorithms.
TEST(Random, MatchesTheDocumentedAlgorithm) {
  Random rng(42);
  EXPECT_EQ(rng.next(), 0x15780b2e0c2ec716ull);
  EXPECT_EQ(rng.next(), 0x6104d9866d113a7eull);
  EXPECT_EQ(rng.next(), 0xae17533239e499a1ull);
  EXPECT_EQ(rng.uniform01(), 0.9246929287910461f);
  EXPECT_NEAR(rng.normal(), 0.015871293375984856, 1e-15);
}

TEST(Random, UniformStaysInRange) {
  Random rng(7);
  for (int i = 0; i < 10000; ++i) {
    double v = rng.uniform(-0.25, 0.25);
    ASSERT_GE(v, -0.25);
    ASSERT_LT(v, 0.25);
  }
}

} // namespace

TEST(NumericsTest, LowerTriangularInverse) {
  // [[2, 0], [1, 4]]⁻¹ = [[1/2, 0], [−1/8, 1/4]]; the upper triangle of the
  // input is not read.
  double values[] = {2, 99, 1, 4};
  numerics::MatrixRef<const double> l(values, 2, 2);
  auto inverse = numerics::lowerTriangularInverse(l);
  ASSERT_TRUE(bool(inverse)) << llvm::toString(inverse.takeError());
  EXPECT_DOUBLE_EQ((*inverse)(0, 0), 0.5);
  EXPECT_DOUBLE_EQ((*inverse)(0, 1), 0.0);
  EXPECT_DOUBLE_EQ((*inverse)(1, 0), -0.125);
  EXPECT_DOUBLE_EQ((*inverse)(1, 1), 0.25);
  double singular[] = {1, 0, 3, 0};
  auto bad = numerics::lowerTriangularInverse(
      numerics::MatrixRef<const double>(singular, 2, 2));
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("singular"),
            std::string::npos);
}
