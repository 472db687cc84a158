//===- Modegpt.cpp - MoDeGPT's module decompositions ----------------------===//

#include "peft/Support/Modegpt.h"
#include "peft/Support/LowRank.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir::peft;
using namespace mlir::peft::modegpt;
using numerics::Op;

namespace {
llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string formatNumber(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", value);
  return text;
}

double meanDiagonal(MatrixRef<const double> c) {
  double sum = 0;
  for (int64_t i = 0; i < c.rows; ++i)
    sum += c(i, i);
  return c.rows ? sum / double(c.rows) : 0.0;
}

llvm::Error checkCovariance(MatrixRef<const double> c) {
  if (c.rows != c.cols || c.rows == 0)
    return makeError("a covariance must be square and non-empty, got [" +
                     llvm::Twine(c.rows) + ", " + llvm::Twine(c.cols) + "]");
  for (int64_t i = 0; i < c.rows; ++i)
    for (int64_t j = 0; j < c.cols; ++j)
      if (!std::isfinite(c(i, j)))
        return makeError("the covariance has a non-finite value at [" +
                         llvm::Twine(i) + ", " + llvm::Twine(j) + "]");
  return llvm::Error::success();
}

llvm::Error checkLambda(double lambda) {
  if (!(lambda >= 0) || !std::isfinite(lambda))
    return makeError("lambda must be a finite number ≥ 0, got " +
                     llvm::Twine(formatNumber(lambda)));
  return llvm::Error::success();
}

/// tr(Aᵀ·B) of two matrices of one shape.
double traceOfProduct(MatrixRef<const double> a, MatrixRef<const double> b) {
  double sum = 0;
  for (int64_t r = 0; r < a.rows; ++r)
    for (int64_t c = 0; c < a.cols; ++c)
      sum += a(r, c) * b(r, c);
  return sum;
}
} // namespace

llvm::Expected<Matrix<double>>
mlir::peft::modegpt::regularize(MatrixRef<const double> c, double lambda) {
  if (llvm::Error err = checkCovariance(c))
    return std::move(err);
  if (llvm::Error err = checkLambda(lambda))
    return std::move(err);
  Matrix<double> out = Matrix<double>::copyOf(c);
  double shift = lambda * meanDiagonal(c);
  for (int64_t i = 0; i < c.rows; ++i)
    out(i, i) += shift;
  return out;
}

//===----------------------------------------------------------------------===//
// Type I
//===----------------------------------------------------------------------===//

llvm::Expected<std::vector<double>>
mlir::peft::modegpt::ridgeLeverageScores(MatrixRef<const double> c,
                                         double lambda) {
  if (llvm::Error err = checkCovariance(c))
    return std::move(err);
  if (llvm::Error err = checkLambda(lambda))
    return std::move(err);
  int64_t n = c.rows;
  double shift = lambda * meanDiagonal(c);
  // With a ridge: diag(C·(C + λ'I)⁻¹) = 1 − λ'·diag((C + λ'I)⁻¹), and with
  // C + λ'I = L·Lᵀ, diag((C + λ'I)⁻¹)_i = Σ_k (L⁻¹)_ki². A Cholesky and a
  // triangular inverse (n³/3 + n³/3 flops) instead of an eigendecomposition:
  // a 11008-wide MLP in seconds, not minutes.
  if (shift > 0) {
    auto ridged = regularize(c, lambda);
    if (!ridged)
      return ridged.takeError();
    auto l = numerics::cholesky<double>(*ridged);
    if (l) {
      auto lower = numerics::lowerTriangularInverse<double>(*l);
      if (!lower)
        return lower.takeError();
      const Matrix<double> &inverse = *lower;
      std::vector<double> scores(n, 0.0);
      for (int64_t k = 0; k < n; ++k)
        for (int64_t i = 0; i <= k; ++i)
          scores[i] += inverse(k, i) * inverse(k, i);
      for (double &score : scores)
        score = std::clamp(1.0 - shift * score, 0.0, 1.0);
      return scores;
    }
    // Not positive definite after the ridge (C had negative eigenvalues):
    // the eigendecomposition clamps them.
    llvm::consumeError(l.takeError());
  }
  auto eigen = numerics::symmetricEigen(c);
  if (!eigen)
    return eigen.takeError();
  double largest = std::max(0.0, eigen->values.back());
  // Without a ridge, the scores are those of the projection onto C's range.
  double tolerance =
      double(n) * std::numeric_limits<double>::epsilon() * largest;
  std::vector<double> weights(n);
  for (int64_t j = 0; j < n; ++j) {
    double value = std::max(0.0, eigen->values[j]);
    if (shift > 0)
      weights[j] = value / (value + shift);
    else
      weights[j] = value > tolerance ? 1.0 : 0.0;
  }
  std::vector<double> scores(n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      scores[i] += eigen->vectors(i, j) * eigen->vectors(i, j) * weights[j];
  return scores;
}

std::vector<int64_t> mlir::peft::modegpt::topK(llvm::ArrayRef<double> scores,
                                               int64_t k) {
  std::vector<int64_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  order.resize(std::min<size_t>(k, order.size()));
  llvm::sort(order);
  return order;
}

llvm::Expected<MlpCompression>
mlir::peft::modegpt::compressMlp(MatrixRef<const double> c,
                                 MatrixRef<const double> down, int64_t k,
                                 double lambda) {
  if (llvm::Error err = checkCovariance(c))
    return std::move(err);
  int64_t d = c.rows;
  if (down.rows != d)
    return makeError("W_down has " + llvm::Twine(down.rows) +
                     " rows, the covariance is " + llvm::Twine(d) + " wide");
  if (k < 1 || k > d)
    return makeError("the kept intermediate size " + llvm::Twine(k) +
                     " is outside [1, " + llvm::Twine(d) + "]");
  MlpCompression result;
  Matrix<double> cw = numerics::matmul<double>(c, down);
  result.total = std::max(0.0, traceOfProduct(down, cw.view()));
  if (k == d) {
    result.kept.resize(d);
    std::iota(result.kept.begin(), result.kept.end(), 0);
    result.down = Matrix<double>::copyOf(down);
    return result;
  }
  auto scores = ridgeLeverageScores(c, lambda);
  if (!scores)
    return scores.takeError();
  result.kept = topK(*scores, k);

  // Ŵ_down = (SᵀCS)⁺·SᵀC·W_down.
  Matrix<double> css(k, k), csw(k, down.cols);
  for (int64_t a = 0; a < k; ++a) {
    for (int64_t b = 0; b < k; ++b)
      css(a, b) = c(result.kept[a], result.kept[b]);
    for (int64_t col = 0; col < down.cols; ++col)
      csw(a, col) = cw(result.kept[a], col);
  }
  // SᵀCS is positive definite unless C is singular on the kept columns:
  // then the Cholesky solve equals the pseudo-inverse's, at a fraction of
  // the cost; otherwise the pseudo-inverse.
  auto l = numerics::cholesky<double>(css);
  if (l) {
    // A pivot at rounding level means numerically singular: pseudo-inverse.
    double largest = 0, smallest = std::numeric_limits<double>::infinity();
    for (int64_t a = 0; a < k; ++a) {
      largest = std::max(largest, css(a, a));
      smallest = std::min(smallest, (*l)(a, a) * (*l)(a, a));
    }
    if (smallest <=
        double(k) * std::numeric_limits<double>::epsilon() * largest) {
      l = makeError("numerically singular");
    }
  }
  if (l) {
    result.down = csw;
    numerics::solveTriangular<double>(*l, numerics::Triangle::Lower, Op::N,
                                      numerics::Side::Left, result.down.view());
    numerics::solveTriangular<double>(*l, numerics::Triangle::Lower, Op::T,
                                      numerics::Side::Left, result.down.view());
  } else {
    llvm::consumeError(l.takeError());
    auto inverse = numerics::pseudoInverse<double>(css);
    if (!inverse)
      return inverse.takeError();
    result.down = numerics::matmul<double>(*inverse, csw);
  }

  // tr(ΔᵀCΔ) with Δ = W_down − S·Ŵ is tr(WᵀCW) − 2·tr((SᵀCW)ᵀŴ) +
  // tr(ŴᵀSᵀCSŴ), and SᵀCS·Ŵ = SᵀCW at the least-squares solution (also
  // through the pseudo-inverse: C ⪰ 0 puts SᵀCW in the range of SᵀCS), so
  // the last term equals the middle one and no k²·out product is needed.
  double error = result.total - traceOfProduct(csw, result.down);
  result.error = std::max(0.0, error);
  return result;
}

//===----------------------------------------------------------------------===//
// Type II
//===----------------------------------------------------------------------===//

llvm::Expected<std::vector<int64_t>> mlir::peft::modegpt::selectKeyQueryDims(
    llvm::ArrayRef<std::vector<double>> queryDiagonals,
    llvm::ArrayRef<double> keyDiagonal, int64_t k, bool rotaryHalf) {
  int64_t d = keyDiagonal.size();
  if (queryDiagonals.empty())
    return makeError("a key/value group needs at least one query head");
  for (const std::vector<double> &q : queryDiagonals)
    if (int64_t(q.size()) != d)
      return makeError("query and key head dims differ (" +
                       llvm::Twine(q.size()) + " and " + llvm::Twine(d) + ")");
  if (k < 1 || k > d)
    return makeError("the kept head dim " + llvm::Twine(k) +
                     " is outside [1, " + llvm::Twine(d) + "]");
  if (rotaryHalf && (d % 2 || k % 2))
    return makeError("with rotary embeddings the head dim and the kept head "
                     "dim must be even, got " +
                     llvm::Twine(d) + " and " + llvm::Twine(k));
  std::vector<double> scores(d);
  for (int64_t i = 0; i < d; ++i) {
    double query = 0;
    for (const std::vector<double> &q : queryDiagonals)
      query += q[i];
    scores[i] = std::sqrt(std::max(0.0, query) * std::max(0.0, keyDiagonal[i]));
  }
  if (!rotaryHalf)
    return topK(scores, k);
  int64_t half = d / 2;
  std::vector<double> pairScores(half);
  for (int64_t i = 0; i < half; ++i)
    pairScores[i] = scores[i] + scores[i + half];
  std::vector<int64_t> pairs = topK(pairScores, k / 2);
  std::vector<int64_t> kept = pairs;
  for (int64_t i : pairs)
    kept.push_back(i + half);
  return kept;
}

//===----------------------------------------------------------------------===//
// Type III
//===----------------------------------------------------------------------===//

llvm::Expected<SymmetricSqrt>
mlir::peft::modegpt::symmetricSqrt(MatrixRef<const double> c, double lambda) {
  auto regularized = regularize(c, lambda);
  if (!regularized)
    return regularized.takeError();
  auto eigen = numerics::symmetricEigen<double>(*regularized);
  if (!eigen)
    return eigen.takeError();
  int64_t n = c.rows;
  double largest = std::max(0.0, eigen->values.back());
  double tolerance =
      double(n) * std::numeric_limits<double>::epsilon() * largest;
  if (!(eigen->values.front() > tolerance))
    return makeError(
        "the covariance is not positive definite (smallest eigenvalue " +
        llvm::Twine(formatNumber(eigen->values.front())) +
        " with lambda = " + llvm::Twine(formatNumber(lambda)) +
        "); use a larger lambda or more tokens");
  SymmetricSqrt result{Matrix<double>(n, n), Matrix<double>(n, n)};
  // Q·diag(f(λ))·Qᵀ, as (Q·diag(f)) times Qᵀ.
  Matrix<double> scaledSqrt(n, n), scaledInverse(n, n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double root = std::sqrt(eigen->values[j]);
      scaledSqrt(i, j) = eigen->vectors(i, j) * root;
      scaledInverse(i, j) = eigen->vectors(i, j) / root;
    }
  MatrixRef<const double> q = eigen->vectors.view();
  numerics::gemm<double>(1.0, scaledSqrt.view(), Op::N, q, Op::T, 0.0,
                         result.sqrt.view());
  numerics::gemm<double>(1.0, scaledInverse.view(), Op::N, q, Op::T, 0.0,
                         result.inverseSqrt.view());
  return result;
}

llvm::Expected<ValueOutputCompression> mlir::peft::modegpt::compressValueOutput(
    MatrixRef<const double> whiten, MatrixRef<const double> unwhiten,
    MatrixRef<const double> wv, llvm::ArrayRef<MatrixRef<const double>> wo,
    int64_t k) {
  int64_t hidden = wv.rows, d = wv.cols;
  if (whiten.rows != hidden || whiten.cols != hidden ||
      unwhiten.rows != hidden || unwhiten.cols != hidden)
    return makeError("the whitening matrices must be [" + llvm::Twine(hidden) +
                     ", " + llvm::Twine(hidden) + "]");
  if (wo.empty())
    return makeError("a value head needs at least one output block");
  int64_t out = wo.front().cols;
  for (MatrixRef<const double> block : wo)
    if (block.rows != d || block.cols != out)
      return makeError("an output block is [" + llvm::Twine(block.rows) + ", " +
                       llvm::Twine(block.cols) + "], expected [" +
                       llvm::Twine(d) + ", " + llvm::Twine(out) + "]");
  if (k < 1 || k > std::min(d, hidden))
    return makeError("the kept value dim " + llvm::Twine(k) +
                     " is outside [1, " + llvm::Twine(std::min(d, hidden)) +
                     "]");
  // C^{1/2}·W_v·[W_o,1 … W_o,g] = B·A with B = C^{1/2}·W_v [hidden, d] and
  // A = [W_o,1 … W_o,g] [d, g·out].
  Matrix<double> b = numerics::matmul<double>(whiten, wv);
  int64_t g = wo.size();
  Matrix<double> a(d, g * out);
  for (int64_t h = 0; h < g; ++h)
    for (int64_t r = 0; r < d; ++r)
      for (int64_t c = 0; c < out; ++c)
        a(r, h * out + c) = wo[h](r, c);
  auto svd = lowrank::lowRankSvd(1.0, a.view(), b.view());
  if (!svd)
    return svd.takeError();

  ValueOutputCompression result;
  result.singularValues = svd->s;
  for (auto [i, sigma] : llvm::enumerate(svd->s)) {
    result.total += sigma * sigma;
    if (int64_t(i) >= k)
      result.error += sigma * sigma;
  }
  Matrix<double> uk(hidden, k);
  for (int64_t r = 0; r < hidden; ++r)
    for (int64_t c = 0; c < k; ++c)
      uk(r, c) = svd->u(r, c);
  result.value = numerics::matmul<double>(unwhiten, uk.view());
  for (int64_t h = 0; h < g; ++h) {
    Matrix<double> block(k, out);
    for (int64_t r = 0; r < k; ++r)
      for (int64_t c = 0; c < out; ++c)
        block(r, c) = svd->s[r] * svd->vt(r, h * out + c);
    result.outputs.push_back(std::move(block));
  }
  return result;
}

llvm::Expected<Whitening>
mlir::peft::modegpt::choleskyWhitening(MatrixRef<const double> c,
                                       double lambda) {
  auto regularized = regularize(c, lambda);
  if (!regularized)
    return regularized.takeError();
  auto l = numerics::cholesky<double>(*regularized);
  if (!l) {
    llvm::consumeError(l.takeError());
    return makeError("the covariance is not positive definite (Cholesky "
                     "fails with lambda = " +
                     llvm::Twine(formatNumber(lambda)) +
                     "); use a larger lambda or more tokens");
  }
  auto inverse = numerics::lowerTriangularInverse<double>(*l);
  if (!inverse)
    return inverse.takeError();
  int64_t n = c.rows;
  Whitening result{Matrix<double>(n, n), Matrix<double>(n, n)};
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      result.whiten(i, j) = (*l)(j, i);
      result.unwhiten(i, j) = (*inverse)(j, i);
    }
  return result;
}

//===----------------------------------------------------------------------===//
// Global allocation
//===----------------------------------------------------------------------===//

llvm::Expected<std::vector<double>>
mlir::peft::modegpt::allocateSparsity(llvm::ArrayRef<double> scores,
                                      double phiAvg, double eps, double cap) {
  if (scores.empty())
    return makeError("no layer scores to allocate sparsity from");
  if (!(cap > 0 && cap <= 1))
    return makeError("the per-layer cap must be in (0, 1], got " +
                     llvm::Twine(formatNumber(cap)));
  if (!(phiAvg >= 0 && phiAvg <= cap))
    return makeError(
        "the target sparsity " + llvm::Twine(formatNumber(phiAvg)) +
        " must be in [0, cap = " + llvm::Twine(formatNumber(cap)) + "]");
  if (!(eps > 0) || !std::isfinite(eps))
    return makeError("eps must be > 0, got " + llvm::Twine(formatNumber(eps)));
  for (double s : scores)
    if (!std::isfinite(s))
      return makeError("a layer score is not finite");
  int64_t n = scores.size();
  double top = -std::numeric_limits<double>::infinity();
  for (double s : scores)
    top = std::max(top, -s / eps);
  std::vector<double> weights(n);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += weights[i] = std::exp(-scores[i] / eps - top);
  std::vector<double> phi(n);
  for (int64_t i = 0; i < n; ++i)
    phi[i] = double(n) * phiAvg * weights[i] / sum;

  std::vector<bool> capped(n, false);
  for (int64_t round = 0; round < n; ++round) {
    double excess = 0;
    for (int64_t i = 0; i < n; ++i)
      if (!capped[i] && phi[i] > cap) {
        excess += phi[i] - cap;
        phi[i] = cap;
        capped[i] = true;
      }
    if (excess <= 0)
      break;
    double free = 0;
    for (int64_t i = 0; i < n; ++i)
      if (!capped[i])
        free += weights[i];
    if (free <= 0)
      break; // every layer at the cap: φ_avg = cap
    for (int64_t i = 0; i < n; ++i)
      if (!capped[i])
        phi[i] += excess * weights[i] / free;
  }
  return phi;
}
