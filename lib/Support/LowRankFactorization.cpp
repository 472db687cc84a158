//===- LowRankFactorization.cpp - SVD baselines for weight compression ----===//

#include "peft/Support/LowRankFactorization.h"
#include "peft/Support/Diagnostics.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

using namespace mlir::peft;
using namespace mlir::peft::lowrank;
using numerics::Matrix;
using numerics::MatrixRef;
using numerics::Op;

int64_t lowrank::rankForParameterRatio(double ratio, int64_t out, int64_t in) {
  double k =
      std::floor((1.0 - ratio) * double(out) * double(in) / double(out + in));
  return std::max<int64_t>(1, int64_t(k));
}

int64_t lowrank::rankForEnergy(llvm::ArrayRef<double> singularValues,
                               double tau) {
  // The running sum is also the total, so that τ = 1 is reached exactly.
  std::vector<double> cumulative;
  double sum = 0;
  for (double s : singularValues)
    cumulative.push_back(sum += s * s);
  if (sum == 0)
    return 1;
  for (size_t k = 1; k <= cumulative.size(); ++k)
    if (cumulative[k - 1] >= tau * sum)
      return int64_t(k);
  return int64_t(cumulative.size());
}

llvm::Expected<int64_t>
lowrank::chooseRank(const RankSpec &spec, int64_t out, int64_t in,
                    llvm::ArrayRef<double> singularValues) {
  int64_t full = std::min(out, in);
  switch (spec.rule) {
  case RankRule::Rank: {
    if (spec.value != std::floor(spec.value))
      return makeError(llvm::formatv("rank {0} is not an integer", spec.value));
    if (spec.value < 1 || spec.value > double(full))
      return makeError(llvm::formatv("rank {0} is outside [1, min(out, in) = "
                                     "{1}] for a {2}x{3} weight",
                                     int64_t(spec.value), full, out, in));
    return int64_t(spec.value);
  }
  case RankRule::Ratio:
    if (!(spec.value >= 0 && spec.value < 1))
      return makeError(llvm::formatv(
          "ratio {0} is outside [0, 1) (the fraction of parameters removed)",
          spec.value));
    return std::min(full, rankForParameterRatio(spec.value, out, in));
  case RankRule::Energy:
    if (!(spec.value > 0 && spec.value <= 1))
      return makeError(
          llvm::formatv("energy {0} is outside (0, 1]", spec.value));
    return rankForEnergy(singularValues, spec.value);
  }
  llvm_unreachable("unknown rank rule");
}

double Factorization::totalEnergy() const {
  double sum = 0;
  for (double s : singularValues)
    sum += s * s;
  return sum;
}

double Factorization::droppedEnergy() const {
  double sum = 0;
  for (size_t i = size_t(getRank()); i < singularValues.size(); ++i)
    sum += singularValues[i] * singularValues[i];
  return sum;
}

double Factorization::energyKept() const {
  double total = totalEnergy();
  return total == 0 ? 1.0 : 1.0 - droppedEnergy() / total;
}

/// The rank-k truncation of `svd` with the singular values in U'.
static Factorization truncate(numerics::SVD<double> svd, int64_t k) {
  int64_t out = svd.u.getRows();
  Factorization f;
  f.u = Matrix<double>(out, k);
  for (int64_t o = 0; o < out; ++o)
    for (int64_t j = 0; j < k; ++j)
      f.u(o, j) = svd.u(o, j) * svd.s[size_t(j)];
  f.v = Matrix<double>::copyOf(svd.vt.view().rowRange(0, k));
  f.singularValues = std::move(svd.s);
  return f;
}

static llvm::Error checkFinite(MatrixRef<const double> m,
                               llvm::StringRef what) {
  for (int64_t r = 0; r < m.rows; ++r)
    for (int64_t c = 0; c < m.cols; ++c)
      if (!std::isfinite(m(r, c)))
        return makeError(llvm::formatv("{0} has a non-finite element at ({1}, "
                                       "{2})",
                                       what, r, c));
  return llvm::Error::success();
}

llvm::Expected<Factorization> lowrank::truncatedSvd(MatrixRef<const double> w,
                                                    const RankSpec &spec) {
  if (llvm::Error err = checkFinite(w, "the weight"))
    return std::move(err);
  auto svd = numerics::svd(w);
  if (!svd)
    return svd.takeError();
  llvm::Expected<int64_t> k = chooseRank(spec, w.rows, w.cols, svd->s);
  if (!k)
    return k.takeError();
  return truncate(std::move(*svd), *k);
}

llvm::Expected<Matrix<double>>
lowrank::whiteningFactor(MatrixRef<const double> covariance, double lambda) {
  int64_t n = covariance.rows;
  if (covariance.cols != n)
    return makeError(llvm::formatv("the covariance is {0}x{1}, not square", n,
                                   covariance.cols));
  if (!(lambda >= 0) || !std::isfinite(lambda))
    return makeError(
        llvm::formatv("lambda must be finite and >= 0, got {0}", lambda));
  if (llvm::Error err = checkFinite(covariance, "the covariance"))
    return std::move(err);
  double meanDiagonal = 0;
  for (int64_t i = 0; i < n; ++i)
    meanDiagonal += covariance(i, i);
  meanDiagonal /= double(std::max<int64_t>(n, 1));
  Matrix<double> c = Matrix<double>::copyOf(covariance);
  for (int64_t i = 0; i < n; ++i)
    c(i, i) += lambda * meanDiagonal;
  auto s = numerics::cholesky<double>(c.view());
  if (!s)
    return makeError(llvm::formatv(
        "the input covariance is not positive definite even after "
        "regularization with lambda = {0:e2} (mean diagonal {1:e3}): {2}; use "
        "a "
        "larger lambda or more calibration tokens",
        lambda, meanDiagonal, llvm::toString(s.takeError())));
  return std::move(*s);
}

llvm::Expected<Factorization> lowrank::whitenedSvd(MatrixRef<const double> w,
                                                   MatrixRef<const double> s,
                                                   const RankSpec &spec) {
  if (s.rows != w.cols || s.cols != w.cols)
    return makeError(llvm::formatv("the whitening factor is {0}x{1}, expected "
                                   "{2}x{2} for a {3}x{2} weight",
                                   s.rows, s.cols, w.cols, w.rows));
  if (llvm::Error err = checkFinite(w, "the weight"))
    return std::move(err);
  // S is lower triangular; gemm reads it whole (its upper part is zero).
  Matrix<double> ws = numerics::matmul<double>(w, s);
  auto svd = numerics::svd<double>(ws.view());
  if (!svd)
    return svd.takeError();
  llvm::Expected<int64_t> k = chooseRank(spec, w.rows, w.cols, svd->s);
  if (!k)
    return k.takeError();
  Factorization f = truncate(std::move(*svd), *k);
  // V' = V_kᵀ·S⁻¹: solve X·S = V_kᵀ.
  numerics::solveTriangular<double>(s, numerics::Triangle::Lower, Op::N,
                                    numerics::Side::Right, f.v.view());
  return f;
}
