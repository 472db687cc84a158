//===- LowRank.cpp - SVD, rank policies and composition of LoRA terms -----===//

#include "peft/Support/LowRank.h"
#include "peft/Support/Diagnostics.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir::peft;
using namespace mlir::peft::lowrank;
using numerics::Op;
using numerics::SVD;

static std::string str(double v) { return llvm::formatv("{0}", v).str(); }

/// Checks that every term is s·B·A with consistent shapes; returns Σ rᵢ.
static llvm::Expected<int64_t> checkTerms(llvm::ArrayRef<LowRankTerm> terms) {
  if (terms.empty())
    return makeError("no low-rank terms");
  int64_t in = terms[0].a.cols, out = terms[0].b.rows, total = 0;
  for (auto [i, t] : llvm::enumerate(terms)) {
    if (t.a.rows != t.b.cols)
      return makeError("term " + llvm::Twine(i) + ": A has " +
                       llvm::Twine(t.a.rows) + " rows but B has " +
                       llvm::Twine(t.b.cols) + " columns");
    if (t.a.cols != in || t.b.rows != out)
      return makeError("term " + llvm::Twine(i) + " is " +
                       llvm::Twine(t.b.rows) + "x" + llvm::Twine(t.a.cols) +
                       " but term 0 is " + llvm::Twine(out) + "x" +
                       llvm::Twine(in));
    total += t.a.rows;
  }
  return total;
}

/// The terms side by side: B = [s₁B₁ … s_nB_n] and A = [A₁; …; A_n].
static std::pair<Matrix<double>, Matrix<double>>
stackTerms(llvm::ArrayRef<LowRankTerm> terms, int64_t total) {
  int64_t in = terms[0].a.cols, out = terms[0].b.rows;
  Matrix<double> a(total, in), b(out, total);
  int64_t offset = 0;
  for (const LowRankTerm &t : terms) {
    for (int64_t i = 0; i < t.a.rows; ++i)
      for (int64_t j = 0; j < in; ++j)
        a(offset + i, j) = t.a(i, j);
    for (int64_t i = 0; i < out; ++i)
      for (int64_t j = 0; j < t.b.cols; ++j)
        b(i, offset + j) = t.scale * t.b(i, j);
    offset += t.a.rows;
  }
  return {std::move(a), std::move(b)};
}

llvm::Expected<SVD<double>>
lowrank::lowRankSvd(llvm::ArrayRef<LowRankTerm> terms) {
  llvm::Expected<int64_t> total = checkTerms(terms);
  if (!total)
    return total.takeError();
  int64_t in = terms[0].a.cols, out = terms[0].b.rows;
  if (*total == 0 || in == 0 || out == 0)
    return SVD<double>{Matrix<double>(out, 0), {}, Matrix<double>(0, in)};
  auto [a, b] = stackTerms(terms, *total);
  // B = Q_B·R_B and Aᵀ = Q_A·R_A, so s·B·A = Q_B·(R_B·R_Aᵀ)·Q_Aᵀ.
  auto qrB = numerics::qr<double>(b.view());
  if (!qrB)
    return qrB.takeError();
  Matrix<double> at = numerics::transpose<double>(a.view());
  auto qrA = numerics::qr<double>(at.view());
  if (!qrA)
    return qrA.takeError();
  Matrix<double> core =
      numerics::matmul<double>(qrB->r.view(), qrA->r.view(), Op::N, Op::T);
  auto coreSvd = numerics::svd<double>(core.view());
  if (!coreSvd)
    return coreSvd.takeError();
  SVD<double> result;
  result.s = std::move(coreSvd->s);
  result.u = numerics::matmul<double>(qrB->q.view(), coreSvd->u.view());
  result.vt =
      numerics::matmul<double>(coreSvd->vt.view(), qrA->q.view(), Op::N, Op::T);
  return result;
}

llvm::Expected<SVD<double>> lowrank::lowRankSvd(double s,
                                                MatrixRef<const double> a,
                                                MatrixRef<const double> b) {
  LowRankTerm term{a, b, s};
  return lowRankSvd(llvm::ArrayRef<LowRankTerm>(term));
}

LowRankFactors lowrank::truncate(const SVD<double> &svd, int64_t k,
                                 double targetScale) {
  assert(k >= 0 && k <= int64_t(svd.s.size()) && "rank out of range");
  assert(targetScale != 0 && "zero target scale");
  int64_t out = svd.u.getRows(), in = svd.vt.getCols();
  LowRankFactors f{Matrix<double>(k, in), Matrix<double>(out, k), targetScale};
  for (int64_t i = 0; i < k; ++i) {
    double root = std::sqrt(svd.s[i]);
    for (int64_t j = 0; j < in; ++j)
      f.a(i, j) = root * svd.vt(i, j);
    for (int64_t o = 0; o < out; ++o)
      f.b(o, i) = svd.u(o, i) * root / targetScale;
  }
  return f;
}

double lowrank::energyKept(llvm::ArrayRef<double> singularValues, int64_t k) {
  double total = 0, kept = 0;
  for (auto [i, s] : llvm::enumerate(singularValues)) {
    total += s * s;
    if (int64_t(i) < k)
      kept += s * s;
  }
  return total > 0 ? kept / total : 1.0;
}

//===----------------------------------------------------------------------===//
// Frobenius norms
//===----------------------------------------------------------------------===//

double lowrank::frobeniusNormSquared(llvm::ArrayRef<LowRankTerm> terms) {
  llvm::Expected<int64_t> total = checkTerms(terms);
  if (!total) {
    llvm::consumeError(total.takeError());
    assert(false && "inconsistent low-rank terms");
    return std::numeric_limits<double>::quiet_NaN();
  }
  if (*total == 0)
    return 0;
  auto [a, b] = stackTerms(terms, *total);
  // ‖B·A‖_F² = tr(AᵀBᵀBA) = tr((BᵀB)(AAᵀ)) = Σ (BᵀB) ⊙ (AAᵀ) (symmetric).
  Matrix<double> gramB =
      numerics::matmul<double>(b.view(), b.view(), Op::T, Op::N);
  Matrix<double> gramA =
      numerics::matmul<double>(a.view(), a.view(), Op::N, Op::T);
  double sum = 0;
  for (int64_t i = 0; i < *total; ++i)
    for (int64_t j = 0; j < *total; ++j)
      sum += gramB(i, j) * gramA(i, j);
  return std::max(sum, 0.0);
}

double lowrank::relativeDistance(const LowRankTerm &task,
                                 const LowRankTerm &reference) {
  LowRankTerm negated = reference;
  negated.scale = -reference.scale;
  LowRankTerm difference[] = {task, negated};
  double num = frobeniusNormSquared(difference);
  double den = frobeniusNormSquared(llvm::ArrayRef<LowRankTerm>(reference));
  if (den == 0)
    return num == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return std::sqrt(num / den);
}

//===----------------------------------------------------------------------===//
// Rank policies
//===----------------------------------------------------------------------===//

RankPolicy::~RankPolicy() = default;

namespace {
class EnergyPolicy final : public RankPolicy {
public:
  explicit EnergyPolicy(double tau) : tau(tau) {}
  llvm::StringRef getName() const override { return "energy"; }
  llvm::Expected<RankChoice>
  choose(const RankPolicyInput &input) const override {
    llvm::ArrayRef<double> s = input.singularValues;
    double total = 0;
    for (double v : s)
      total += v * v;
    if (total == 0)
      return RankChoice{0, 1.0};
    // Compare kept ≥ τ·total with the sums in the same order as energyKept.
    double kept = 0;
    int64_t k = 0;
    while (k < int64_t(s.size()) && kept < tau * total) {
      kept += s[k] * s[k];
      ++k;
    }
    return RankChoice{k, energyKept(s, k)};
  }

private:
  double tau;
};

class DistancePolicy final : public RankPolicy {
public:
  DistancePolicy(int64_t rmin, int64_t rmax) : rmin(rmin), rmax(rmax) {}
  llvm::StringRef getName() const override { return "distance"; }
  bool needsReference() const override { return true; }
  llvm::Expected<RankChoice>
  choose(const RankPolicyInput &input) const override {
    if (!input.relativeDistance)
      return makeError("the distance policy needs a reference adapter");
    double d = *input.relativeDistance;
    if (std::isnan(d) || d < 0)
      return makeError("the relative distance is " + str(d));
    double t = std::min(d, 1.0);
    int64_t k = int64_t(std::llround(double(rmin) + double(rmax - rmin) * t));
    k = std::clamp(k, rmin, rmax);
    k = std::min<int64_t>(k, input.singularValues.size());
    return RankChoice{k, energyKept(input.singularValues, k)};
  }

private:
  int64_t rmin, rmax;
};

class ThresholdPolicy final : public RankPolicy {
public:
  explicit ThresholdPolicy(double sigmaMin) : sigmaMin(sigmaMin) {}
  llvm::StringRef getName() const override { return "threshold"; }
  llvm::Expected<RankChoice>
  choose(const RankPolicyInput &input) const override {
    llvm::ArrayRef<double> s = input.singularValues;
    int64_t k = 0;
    while (k < int64_t(s.size()) && s[k] > sigmaMin)
      ++k;
    return RankChoice{k, energyKept(s, k)};
  }

private:
  double sigmaMin;
};
} // namespace

llvm::Expected<std::unique_ptr<RankPolicy>>
lowrank::createEnergyPolicy(double tau) {
  if (!(tau > 0 && tau <= 1))
    return makeError("the energy threshold tau must be in (0, 1], not " +
                     str(tau));
  return std::make_unique<EnergyPolicy>(tau);
}

llvm::Expected<std::unique_ptr<RankPolicy>>
lowrank::createDistancePolicy(int64_t rmin, int64_t rmax) {
  if (rmin < 0 || rmax < rmin)
    return makeError("the distance policy needs 0 <= rmin <= rmax, not rmin " +
                     llvm::Twine(rmin) + ", rmax " + llvm::Twine(rmax));
  return std::make_unique<DistancePolicy>(rmin, rmax);
}

llvm::Expected<std::unique_ptr<RankPolicy>>
lowrank::createThresholdPolicy(double sigmaMin) {
  if (!(sigmaMin >= 0) || std::isinf(sigmaMin))
    return makeError("the singular-value threshold sigma must be a finite "
                     "number >= 0, not " +
                     str(sigmaMin));
  return std::make_unique<ThresholdPolicy>(sigmaMin);
}

//===----------------------------------------------------------------------===//
// Composition
//===----------------------------------------------------------------------===//

static LowRankFactors combineCat(llvm::ArrayRef<LowRankTerm> adapters,
                                 llvm::ArrayRef<double> weights,
                                 int64_t total) {
  // PEFT puts wᵢ·sᵢ into A and concatenates B unchanged.
  llvm::SmallVector<LowRankTerm> scaled(adapters);
  for (auto [t, w] : llvm::zip_equal(scaled, weights))
    t.scale = w * t.scale;
  int64_t in = adapters[0].a.cols, out = adapters[0].b.rows;
  LowRankFactors f{Matrix<double>(total, in), Matrix<double>(out, total), 1.0};
  int64_t offset = 0;
  for (const LowRankTerm &t : scaled) {
    for (int64_t i = 0; i < t.a.rows; ++i)
      for (int64_t j = 0; j < in; ++j)
        f.a(offset + i, j) = t.scale * t.a(i, j);
    for (int64_t o = 0; o < out; ++o)
      for (int64_t j = 0; j < t.b.cols; ++j)
        f.b(o, offset + j) = t.b(o, j);
    offset += t.a.rows;
  }
  return f;
}

static llvm::Expected<LowRankFactors>
combineLinear(llvm::ArrayRef<LowRankTerm> adapters,
              llvm::ArrayRef<double> weights) {
  int64_t rank = adapters[0].a.rows;
  for (auto [i, t] : llvm::enumerate(adapters))
    if (t.a.rows != rank)
      return makeError("mode 'linear' needs adapters of equal rank, but "
                       "adapter 0 has rank " +
                       llvm::Twine(rank) + " and adapter " + llvm::Twine(i) +
                       " has rank " + llvm::Twine(t.a.rows) +
                       " (use 'cat' or 'svd')");
  int64_t in = adapters[0].a.cols, out = adapters[0].b.rows;
  LowRankFactors f{Matrix<double>(rank, in), Matrix<double>(out, rank), 1.0};
  for (auto [i, t, w] : llvm::enumerate(adapters, weights)) {
    double ws = w * t.scale;
    if (!(ws >= 0))
      return makeError("mode 'linear' takes the square root of weight × "
                       "scale, which is " +
                       str(ws) + " for adapter " + llvm::Twine(i));
    double root = std::sqrt(ws);
    for (int64_t r = 0; r < rank; ++r)
      for (int64_t j = 0; j < in; ++j)
        f.a(r, j) += root * t.a(r, j);
    for (int64_t o = 0; o < out; ++o)
      for (int64_t r = 0; r < rank; ++r)
        f.b(o, r) += root * t.b(o, r);
  }
  return f;
}

static llvm::Expected<LowRankFactors>
combineSvd(llvm::ArrayRef<LowRankTerm> adapters, llvm::ArrayRef<double> weights,
           const CombineOptions &options) {
  llvm::SmallVector<LowRankTerm> scaled(adapters);
  int64_t maxRank = 0;
  for (auto [t, w] : llvm::zip_equal(scaled, weights)) {
    maxRank = std::max(maxRank, t.a.rows);
    t.scale = w * t.scale * (options.peftSvdScaling ? t.scale : 1.0);
  }
  llvm::Expected<SVD<double>> svd = lowRankSvd(scaled);
  if (!svd)
    return svd.takeError();
  int64_t available = svd->s.size();
  int64_t rank = options.rank.value_or(std::min(maxRank, available));
  if (rank <= 0 || rank > available)
    return makeError("mode 'svd': rank " + llvm::Twine(rank) +
                     " is not in [1, " + llvm::Twine(available) +
                     "] (min(out, in, sum of the ranks))");
  // PEFT's split: B' = U_k·diag(σ_k), A' = Vᵀ_k.
  int64_t in = adapters[0].a.cols, out = adapters[0].b.rows;
  LowRankFactors f{Matrix<double>(rank, in), Matrix<double>(out, rank), 1.0};
  for (int64_t i = 0; i < rank; ++i) {
    for (int64_t j = 0; j < in; ++j)
      f.a(i, j) = svd->vt(i, j);
    for (int64_t o = 0; o < out; ++o)
      f.b(o, i) = svd->u(o, i) * svd->s[i];
  }
  return f;
}

llvm::Expected<LowRankFactors>
lowrank::combineAdapters(llvm::ArrayRef<LowRankTerm> adapters,
                         llvm::ArrayRef<double> weights,
                         const CombineOptions &options) {
  if (adapters.empty())
    return makeError("no adapters to combine");
  if (weights.size() != adapters.size())
    return makeError(llvm::Twine(weights.size()) + " weight(s) for " +
                     llvm::Twine(adapters.size()) + " adapter(s)");
  for (auto [i, w] : llvm::enumerate(weights))
    if (!std::isfinite(w))
      return makeError("weight " + llvm::Twine(i) + " is not finite");
  llvm::Expected<int64_t> total = checkTerms(adapters);
  if (!total)
    return total.takeError();
  CombineMode mode = adapters.size() == 1 ? CombineMode::Linear : options.mode;
  switch (mode) {
  case CombineMode::Cat:
    return combineCat(adapters, weights, *total);
  case CombineMode::Linear:
    return combineLinear(adapters, weights);
  case CombineMode::Svd:
    return combineSvd(adapters, weights, options);
  }
  llvm_unreachable("unknown combine mode");
}
