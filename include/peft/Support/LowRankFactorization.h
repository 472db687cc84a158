//===- LowRankFactorization.h - SVD baselines for weight compression -*- C++
//-*-//
//
// The arithmetic of peft-lowrank-svd (docs/modegpt.md, "SVD baselines"): a
// dense weight W [out, in] becomes the product of two factors U' [out, k]
// and V' [k, in], so that a linear layer y = x·Wᵀ computes x·V'ᵀ·U'ᵀ with
// k·(out + in) parameters instead of out·in.
//
// - Plain truncated SVD: W = U·diag(σ)·Vᵀ, U' = U_k·diag(σ_k), V' = V_kᵀ.
//   ‖W − U'V'‖_F² = Σ_{i≥k} σᵢ² (Eckart–Young).
// - Activation-whitened SVD (SVD-LLM): with C = Σ xᵀx the input covariance
//   of the layer on calibration data, regularized to C + λ·mean(diag C)·I,
//   and S its Cholesky factor (lower, C = S·Sᵀ), the SVD of W·S =
//   U·diag(σ)·Vᵀ truncated to k gives U' = U_k·diag(σ_k) and
//   V' = V_kᵀ·S⁻¹ (a triangular solve, no explicit inverse). Then
//   ‖(W − U'V')·S‖_F² = tr((W − U'V')·C·(W − U'V')ᵀ) = Σ_{i≥k} σᵢ²: the
//   output error on the calibration data (of the regularized C).
//
// In both, the singular values go into U' (V' has orthonormal rows for the
// plain SVD): the intermediate x·V'ᵀ keeps the scale of x. Everything is in
// double.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_SUPPORT_LOWRANKFACTORIZATION_H
#define PEFT_SUPPORT_LOWRANKFACTORIZATION_H

#include "peft/Support/Numerics.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace mlir::peft::lowrank {

/// How the rank k of a factorization is chosen.
enum class RankRule {
  /// k as given; 1 ≤ k ≤ min(out, in).
  Rank,
  /// ρ ∈ [0, 1), the fraction of the layer's out·in parameters removed:
  /// k = floor((1 − ρ)·out·in / (out + in)), at least 1. Rounded down, so
  /// that k·(out + in) never exceeds (1 − ρ)·out·in unless k = 1.
  Ratio,
  /// τ ∈ (0, 1]: the smallest k with Σ_{i<k} σᵢ² ≥ τ·Σ σᵢ², at least 1 (the
  /// σ of W, or of W·S when whitened).
  Energy,
};

struct RankSpec {
  RankRule rule = RankRule::Rank;
  /// k for Rank (an integer), ρ for Ratio, τ for Energy.
  double value = 1;
};

/// The rank `spec` gives a [out, in] weight whose singular values (of W,
/// or of W·S) are `singularValues` (descending, min(out, in) of them).
/// Errors: a rank outside [1, min(out, in)], ρ outside [0, 1), τ outside
/// (0, 1].
llvm::Expected<int64_t> chooseRank(const RankSpec &spec, int64_t out,
                                   int64_t in,
                                   llvm::ArrayRef<double> singularValues);

/// floor((1 − ρ)·out·in / (out + in)), at least 1 (ρ in [0, 1)).
int64_t rankForParameterRatio(double ratio, int64_t out, int64_t in);

/// The smallest k ≥ 1 keeping ≥ τ of Σσ² (1 for a zero spectrum).
int64_t rankForEnergy(llvm::ArrayRef<double> singularValues, double tau);

/// A factored weight W ≈ U'·V'.
struct Factorization {
  numerics::Matrix<double> u; ///< U' [out, k] (the singular values inside)
  numerics::Matrix<double> v; ///< V' [k, in]
  /// Every singular value (of W, or of W·S), descending.
  std::vector<double> singularValues;
  int64_t getRank() const { return u.getCols(); }
  /// Σ σᵢ² over all, and over the dropped ones (i ≥ k): the predicted
  /// squared error ‖W − U'V'‖_F² (plain) or ‖(W − U'V')·S‖_F² (whitened).
  double totalEnergy() const;
  double droppedEnergy() const;
  /// Σ_{i<k} σᵢ² / Σ σᵢ² (1 for a zero spectrum).
  double energyKept() const;
};

/// Plain truncated SVD of W [out, in] at the rank `spec` gives.
llvm::Expected<Factorization> truncatedSvd(numerics::MatrixRef<const double> w,
                                           const RankSpec &spec);

/// The whitening factor of an input covariance C [n, n] (symmetric; only
/// its lower triangle is read): the lower Cholesky factor S of
/// C + λ·mean(diag C)·I. Errors: λ < 0 or not finite, a non-finite C, and
/// a matrix that is not positive definite even after regularization (the
/// message says so and suggests a larger λ).
llvm::Expected<numerics::Matrix<double>>
whiteningFactor(numerics::MatrixRef<const double> covariance, double lambda);

/// Activation-whitened SVD of W [out, in] with the whitening factor S
/// [in, in] (lower triangular, whiteningFactor), at the rank `spec` gives
/// (an Energy rule reads the σ of W·S).
llvm::Expected<Factorization> whitenedSvd(numerics::MatrixRef<const double> w,
                                          numerics::MatrixRef<const double> s,
                                          const RankSpec &spec);

} // namespace mlir::peft::lowrank

#endif // PEFT_SUPPORT_LOWRANKFACTORIZATION_H
