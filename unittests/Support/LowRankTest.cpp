//===- LowRankTest.cpp - low-rank SVD, rank policies, composition ---------===//
//
// Expected values come from dense products formed here with naive loops and
// from a dense SVD of the formed matrix, never from the code under test.
//
//===----------------------------------------------------------------------===//

#include "peft/Support/LowRank.h"
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

/// Σ scaleᵢ·Bᵢ·Aᵢ formed densely with naive loops.
Matrix<double> dense(llvm::ArrayRef<LowRankTerm> terms) {
  int64_t out = terms[0].b.rows, in = terms[0].a.cols;
  Matrix<double> w(out, in);
  for (const LowRankTerm &t : terms)
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < in; ++i) {
        long double sum = 0;
        for (int64_t r = 0; r < t.a.rows; ++r)
          sum += (long double)t.b(o, r) * t.a(r, i);
        w(o, i) += double(t.scale * sum);
      }
  return w;
}
Matrix<double> dense(const LowRankFactors &f) {
  LowRankTerm t{f.a.view(), f.b.view(), f.scale};
  return dense(llvm::ArrayRef<LowRankTerm>(t));
}

double frobenius(const Matrix<double> &m) {
  long double sum = 0;
  for (double v : m.values())
    sum += (long double)v * v;
  return double(std::sqrt(sum));
}

double relativeDifference(const Matrix<double> &x, const Matrix<double> &y) {
  Matrix<double> d = x;
  for (auto [dv, yv] : llvm::zip_equal(d.values(), y.values()))
    dv -= yv;
  return frobenius(d) / frobenius(y);
}

CombineOptions options(CombineMode mode,
                       std::optional<int64_t> rank = std::nullopt) {
  CombineOptions o;
  o.mode = mode;
  o.rank = rank;
  return o;
}

/// A random adapter of rank r on a layer out × in.
struct Adapter {
  Matrix<double> a, b;
  double scale;
  LowRankTerm term() const { return {a.view(), b.view(), scale}; }
};
Adapter randomAdapter(int64_t out, int64_t in, int64_t r, double scale,
                      uint64_t seed) {
  return {randomMatrix(r, in, seed), randomMatrix(out, r, seed + 1), scale};
}

TEST(LowRank, SvdMatchesDenseSvdOfTheProduct) {
  Adapter ad = randomAdapter(13, 9, 4, 2.5, 10);
  LowRankTerm term = ad.term();
  Matrix<double> w = dense(llvm::ArrayRef<LowRankTerm>(term));
  auto ours = lowRankSvd(ad.scale, ad.a.view(), ad.b.view());
  ASSERT_TRUE(bool(ours)) << llvm::toString(ours.takeError());
  auto ref = numerics::svd<double>(w.view());
  ASSERT_TRUE(bool(ref)) << llvm::toString(ref.takeError());
  ASSERT_EQ(ours->s.size(), 4u);
  ASSERT_EQ(ours->u.getRows(), 13);
  ASSERT_EQ(ours->vt.getCols(), 9);
  for (size_t i = 0; i < 4; ++i)
    EXPECT_NEAR(ours->s[i], ref->s[i], 1e-12 * ref->s[0]);
  // Rank 4: the dense SVD's remaining values are zero.
  for (size_t i = 4; i < ref->s.size(); ++i)
    EXPECT_LT(ref->s[i], 1e-12 * ref->s[0]);
  // U·diag(σ)·Vᵀ reconstructs s·B·A, and U, V are orthonormal.
  LowRankFactors full = truncate(*ours, 4, 1.0);
  EXPECT_LT(relativeDifference(dense(full), w), 1e-13);
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 4; ++j) {
      double uu = 0, vv = 0;
      for (int64_t o = 0; o < 13; ++o)
        uu += ours->u(o, i) * ours->u(o, j);
      for (int64_t c = 0; c < 9; ++c)
        vv += ours->vt(i, c) * ours->vt(j, c);
      EXPECT_NEAR(uu, i == j ? 1.0 : 0.0, 1e-13);
      EXPECT_NEAR(vv, i == j ? 1.0 : 0.0, 1e-13);
    }
}

TEST(LowRank, RankAboveTheLayerGivesMinOfTheDimensions) {
  // r = 8 > in = 5: k = min(out, in, r) = 5.
  Adapter ad = randomAdapter(7, 5, 8, 1.0, 20);
  auto svd = lowRankSvd(1.0, ad.a.view(), ad.b.view());
  ASSERT_TRUE(bool(svd));
  EXPECT_EQ(svd->s.size(), 5u);
  LowRankTerm term = ad.term();
  EXPECT_LT(relativeDifference(dense(truncate(*svd, 5, 1.0)),
                               dense(llvm::ArrayRef<LowRankTerm>(term))),
            1e-13);
}

TEST(LowRank, TruncationErrorEqualsDroppedEnergy) {
  Adapter ad = randomAdapter(24, 16, 8, 0.75, 30);
  LowRankTerm term = ad.term();
  Matrix<double> w = dense(llvm::ArrayRef<LowRankTerm>(term));
  auto svd = lowRankSvd(ad.scale, ad.a.view(), ad.b.view());
  ASSERT_TRUE(bool(svd));
  for (int64_t k = 1; k < 8; ++k) {
    // Any target scale: s'·B'·A' is the truncation.
    LowRankFactors f = truncate(*svd, k, 3.0);
    EXPECT_EQ(f.getRank(), k);
    EXPECT_EQ(f.scale, 3.0);
    Matrix<double> approx = dense(f);
    long double err = 0, dropped = 0;
    for (int64_t o = 0; o < 24; ++o)
      for (int64_t i = 0; i < 16; ++i)
        err += std::pow((long double)w(o, i) - approx(o, i), 2);
    for (size_t i = k; i < svd->s.size(); ++i)
      dropped += (long double)svd->s[i] * svd->s[i];
    EXPECT_NEAR(double(err), double(dropped), 1e-4 * double(dropped))
        << "k = " << k;
    // The even split: row i of A' and column i of B'·s' have norm √σᵢ.
    for (int64_t i = 0; i < k; ++i) {
      double na = 0, nb = 0;
      for (int64_t c = 0; c < 16; ++c)
        na += f.a(i, c) * f.a(i, c);
      for (int64_t o = 0; o < 24; ++o)
        nb += std::pow(f.b(o, i) * f.scale, 2);
      EXPECT_NEAR(na, svd->s[i], 1e-12 * svd->s[0]);
      EXPECT_NEAR(nb, svd->s[i], 1e-12 * svd->s[0]);
    }
  }
}

TEST(LowRank, EnergyPolicyKeepsAtLeastTauWithTheSmallestRank) {
  Adapter ad = randomAdapter(20, 12, 6, 1.0, 40);
  auto svd = lowRankSvd(1.0, ad.a.view(), ad.b.view());
  ASSERT_TRUE(bool(svd));
  for (double tau : {0.1, 0.5, 0.8, 0.9, 0.99, 0.999999, 1.0}) {
    auto policy = createEnergyPolicy(tau);
    ASSERT_TRUE(bool(policy));
    auto choice = (*policy)->choose({svd->s, 6, std::nullopt});
    ASSERT_TRUE(bool(choice));
    EXPECT_GE(choice->energyKept, tau);
    EXPECT_EQ(choice->energyKept, energyKept(svd->s, choice->rank));
    EXPECT_GE(choice->rank, 1);
    EXPECT_LT(energyKept(svd->s, choice->rank - 1), tau) << "tau " << tau;
  }
  auto all = createEnergyPolicy(1.0);
  EXPECT_EQ((*all)->choose({svd->s, 6, std::nullopt})->rank, 6);
  // A zero adapter keeps nothing.
  std::vector<double> zeros(4, 0.0);
  auto zero = (*all)->choose({zeros, 4, std::nullopt});
  EXPECT_EQ(zero->rank, 0);
  EXPECT_EQ(zero->energyKept, 1.0);
}

TEST(LowRank, EnergyPolicyRejectsTauOutsideZeroOne) {
  for (double tau : {0.0, -0.5, 1.0000001, 2.0, std::nan("")}) {
    auto policy = createEnergyPolicy(tau);
    ASSERT_FALSE(bool(policy)) << tau;
    EXPECT_NE(llvm::toString(policy.takeError()).find("(0, 1]"),
              std::string::npos);
  }
}

TEST(LowRank, ThresholdPolicyKeepsEverySigmaAboveIt) {
  std::vector<double> s = {5.0, 3.0, 1.0, 0.5, 0.0};
  auto policy = createThresholdPolicy(0.9);
  ASSERT_TRUE(bool(policy));
  auto choice = (*policy)->choose({s, 5, std::nullopt});
  EXPECT_EQ(choice->rank, 3);
  EXPECT_DOUBLE_EQ(choice->energyKept, 35.0 / 35.25);
  EXPECT_EQ((*createThresholdPolicy(10.0))->choose({s, 5, {}})->rank, 0);
  EXPECT_EQ((*createThresholdPolicy(0.0))->choose({s, 5, {}})->rank, 4);
  EXPECT_FALSE(bool(createThresholdPolicy(-1.0)));
  llvm::consumeError(createThresholdPolicy(-1.0).takeError());
}

TEST(LowRank, FrobeniusNormsOfSumsWithoutFormingThem) {
  Adapter x = randomAdapter(11, 7, 3, 1.5, 50),
          y = randomAdapter(11, 7, 5, -0.5, 60);
  LowRankTerm terms[] = {x.term(), y.term()};
  double norm2 = frobeniusNormSquared(terms);
  double ref = frobenius(dense(terms));
  EXPECT_NEAR(norm2, ref * ref, 1e-12 * ref * ref);
  // The relative distance ‖X − Y‖ / ‖Y‖.
  LowRankTerm negY = y.term();
  negY.scale = -negY.scale;
  LowRankTerm diff[] = {x.term(), negY}, ys[] = {y.term()};
  double expected = frobenius(dense(diff)) / frobenius(dense(ys));
  EXPECT_NEAR(relativeDistance(x.term(), y.term()), expected, 1e-12 * expected);
  EXPECT_EQ(relativeDistance(y.term(), y.term()), 0.0);
}

TEST(LowRank, DistancePolicyGrowsWithTheDistance) {
  auto policy = createDistancePolicy(2, 10);
  ASSERT_TRUE(bool(policy));
  EXPECT_TRUE((*policy)->needsReference());
  std::vector<double> s(16, 1.0);
  int64_t previous = -1;
  for (double d = 0; d <= 2.0; d += 0.01) {
    auto choice = (*policy)->choose({s, 16, d});
    ASSERT_TRUE(bool(choice));
    EXPECT_GE(choice->rank, previous) << "d = " << d;
    EXPECT_GE(choice->rank, 2);
    EXPECT_LE(choice->rank, 10);
    previous = choice->rank;
  }
  EXPECT_EQ((*policy)->choose({s, 16, 0.0})->rank, 2);
  EXPECT_EQ((*policy)->choose({s, 16, 0.5})->rank, 6);
  EXPECT_EQ((*policy)->choose({s, 16, 1.0})->rank, 10);
  EXPECT_EQ((*policy)->choose({s, 16, INFINITY})->rank, 10);
  // Never above the available rank.
  EXPECT_EQ((*policy)->choose({llvm::ArrayRef(s).take_front(4), 4, 1.0})->rank,
            4);
  // Without a distance, or with bad bounds: errors.
  auto missing = (*policy)->choose({s, 16, std::nullopt});
  EXPECT_FALSE(bool(missing));
  llvm::consumeError(missing.takeError());
  auto bad = createDistancePolicy(5, 3);
  EXPECT_FALSE(bool(bad));
  llvm::consumeError(bad.takeError());
}

/// Two adapters of ranks 3 and 5 on a 10 × 8 layer.
struct TwoAdapters {
  Adapter x = randomAdapter(10, 8, 3, 2.0, 70);
  Adapter y = randomAdapter(10, 8, 5, 0.5, 80);
  std::vector<double> weights = {0.7, 1.3};
  std::vector<LowRankTerm> terms() const { return {x.term(), y.term()}; }
  /// Σ wᵢ·sᵢ^power·Bᵢ·Aᵢ.
  Matrix<double> weightedSum(int power = 1) const {
    std::vector<LowRankTerm> t = terms();
    for (auto [term, w] : llvm::zip_equal(t, weights))
      term.scale = w * std::pow(term.scale, power);
    return dense(t);
  }
};

TEST(LowRank, CatEqualsTheWeightedSum) {
  TwoAdapters ad;
  auto cat = combineAdapters(ad.terms(), ad.weights, options(CombineMode::Cat));
  ASSERT_TRUE(bool(cat)) << llvm::toString(cat.takeError());
  EXPECT_EQ(cat->getRank(), 8);
  EXPECT_EQ(cat->scale, 1.0);
  EXPECT_LT(relativeDifference(dense(*cat), ad.weightedSum()), 1e-14);
  // PEFT's layout: B side by side unchanged, wᵢ·sᵢ in A.
  EXPECT_EQ(cat->b(4, 1), ad.x.b(4, 1));
  EXPECT_EQ(cat->b(4, 3 + 2), ad.y.b(4, 2));
  EXPECT_DOUBLE_EQ(cat->a(3 + 1, 6), 1.3 * 0.5 * ad.y.a(1, 6));
}

TEST(LowRank, SvdAtFullRankEqualsTheWeightedSum) {
  TwoAdapters ad;
  CombineOptions opts = options(CombineMode::Svd, 8);
  auto svd = combineAdapters(ad.terms(), ad.weights, opts);
  ASSERT_TRUE(bool(svd)) << llvm::toString(svd.takeError());
  EXPECT_EQ(svd->getRank(), 8);
  EXPECT_EQ(svd->scale, 1.0);
  EXPECT_LT(relativeDifference(dense(*svd), ad.weightedSum()), 1e-13);
  // The default rank is the largest source rank, a truncation.
  auto truncated =
      combineAdapters(ad.terms(), ad.weights, options(CombineMode::Svd));
  ASSERT_TRUE(bool(truncated));
  EXPECT_EQ(truncated->getRank(), 5);
  // PEFT 0.10's scaling: Σ wᵢ·sᵢ²·Bᵢ·Aᵢ.
  opts.peftSvdScaling = true;
  auto peft = combineAdapters(ad.terms(), ad.weights, opts);
  ASSERT_TRUE(bool(peft));
  EXPECT_LT(relativeDifference(dense(*peft), ad.weightedSum(2)), 1e-13);
  // Rank above what the sum has.
  opts.rank = 9;
  auto tooMany = combineAdapters(ad.terms(), ad.weights, opts);
  ASSERT_FALSE(bool(tooMany));
  EXPECT_NE(llvm::toString(tooMany.takeError()).find("not in [1, 8]"),
            std::string::npos);
}

TEST(LowRank, LinearIsNotTheWeightedSum) {
  Adapter x = randomAdapter(10, 8, 4, 2.0, 90),
          y = randomAdapter(10, 8, 4, 0.5, 100);
  std::vector<LowRankTerm> terms = {x.term(), y.term()};
  std::vector<double> weights = {0.7, 1.3};
  auto lin = combineAdapters(terms, weights, options(CombineMode::Linear));
  ASSERT_TRUE(bool(lin)) << llvm::toString(lin.takeError());
  EXPECT_EQ(lin->getRank(), 4);
  // Σᵢ Σⱼ √(wᵢsᵢ·wⱼsⱼ)·Bᵢ·Aⱼ: the weighted sum plus the cross terms.
  double cx = std::sqrt(0.7 * 2.0), cy = std::sqrt(1.3 * 0.5);
  std::vector<LowRankTerm> expanded = {{x.a.view(), x.b.view(), cx * cx},
                                       {y.a.view(), y.b.view(), cy * cy},
                                       {y.a.view(), x.b.view(), cx * cy},
                                       {x.a.view(), y.b.view(), cy * cx}};
  EXPECT_LT(relativeDifference(dense(*lin), dense(expanded)), 1e-13);
  Matrix<double> weighted = dense(llvm::ArrayRef(expanded).take_front(2));
  EXPECT_GT(relativeDifference(dense(*lin), weighted), 0.1);
}

TEST(LowRank, BadCompositionsAreErrors) {
  TwoAdapters ad; // ranks 3 and 5
  auto lin =
      combineAdapters(ad.terms(), ad.weights, options(CombineMode::Linear));
  ASSERT_FALSE(bool(lin));
  EXPECT_NE(llvm::toString(lin.takeError()).find("equal rank"),
            std::string::npos);
  auto count = combineAdapters(ad.terms(), {1.0}, options(CombineMode::Cat));
  ASSERT_FALSE(bool(count));
  EXPECT_NE(llvm::toString(count.takeError()).find("1 weight(s) for 2"),
            std::string::npos);
  Adapter x = randomAdapter(10, 8, 4, 1.0, 110),
          y = randomAdapter(10, 8, 4, 1.0, 120);
  std::vector<LowRankTerm> equal = {x.term(), y.term()};
  auto negative =
      combineAdapters(equal, {1.0, -1.0}, options(CombineMode::Linear));
  ASSERT_FALSE(bool(negative));
  llvm::consumeError(negative.takeError());
  Adapter other = randomAdapter(9, 8, 4, 1.0, 130);
  std::vector<LowRankTerm> mismatched = {x.term(), other.term()};
  auto shapes =
      combineAdapters(mismatched, {1.0, 1.0}, options(CombineMode::Cat));
  ASSERT_FALSE(bool(shapes));
  llvm::consumeError(shapes.takeError());
}

TEST(LowRank, OneAdapterIsAlwaysLinear) {
  Adapter x = randomAdapter(6, 5, 2, 4.0, 140);
  std::vector<LowRankTerm> one = {x.term()};
  for (CombineMode mode : {CombineMode::Cat, CombineMode::Svd}) {
    auto f = combineAdapters(one, {0.25}, options(mode));
    ASSERT_TRUE(bool(f));
    // √(w·s) = 1 here, so the factors are the source's.
    EXPECT_EQ(f->getRank(), 2);
    EXPECT_DOUBLE_EQ(f->a(1, 3), x.a(1, 3));
    EXPECT_DOUBLE_EQ(f->b(4, 1), x.b(4, 1));
  }
}

} // namespace
