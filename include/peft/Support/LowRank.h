//===- LowRank.h - SVD, rank policies and composition of LoRA terms -*- C++
//-*-//
//
// The arithmetic of peft-select-rank and peft-combine-adapters
// (REFERENCE §1 "Composition", §2): the thin SVD of a low-rank product
// s·B·A without forming it, refactorization at a chosen rank, the rank
// policies, Frobenius norms of sums of low-rank terms through small Gram
// matrices, and Hugging Face PEFT's `add_weighted_adapter` (cat, svd,
// linear). Everything is in double; the cost is O((out + in)·r²) per
// layer, never O(out·in).
//
// A LoRA term is ΔW = s·B·A with A [r × in] and B [out × r] (PyTorch
// layout, row-major), as `peft.lora` holds it.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_SUPPORT_LOWRANK_H
#define PEFT_SUPPORT_LOWRANK_H

#include "peft/Support/Numerics.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>

namespace mlir::peft::lowrank {

using numerics::Matrix;
using numerics::MatrixRef;

/// One LoRA term s·B·A: A [r × in], B [out × r].
struct LowRankTerm {
  MatrixRef<const double> a, b;
  double scale = 1.0;
};

/// A new pair of factors: the term is scale·B·A.
struct LowRankFactors {
  Matrix<double> a, b;
  double scale = 1.0;
  int64_t getRank() const { return a.getRows(); }
};

//===----------------------------------------------------------------------===//
// SVD and refactorization
//===----------------------------------------------------------------------===//

/// The thin SVD U·diag(σ)·Vᵀ of s·B·A without forming the out × in product:
/// B = Q_B·R_B and Aᵀ = Q_A·R_A (thin QR), then the SVD of the small core
/// s·R_B·R_Aᵀ = U_c·diag(σ)·V_cᵀ, and U = Q_B·U_c, Vᵀ = V_cᵀ·Q_Aᵀ. With
/// k = min(out, in, r): U is out × k, σ has k values in descending order
/// (zeros where s·B·A has lower rank), Vᵀ is k × in.
llvm::Expected<numerics::SVD<double>>
lowRankSvd(double s, MatrixRef<const double> a, MatrixRef<const double> b);

/// The same for a sum of terms Σ sᵢ·Bᵢ·Aᵢ (the ranks may differ; in and out
/// must agree): the SVD of the stacked term [s₁B₁ … s_nB_n]·[A₁; …; A_n].
llvm::Expected<numerics::SVD<double>>
lowRankSvd(llvm::ArrayRef<LowRankTerm> terms);

/// The rank-k truncation of `svd` as factors for a target scale s':
/// A' = diag(√σ_k)·Vᵀ_k and B' = U_k·diag(√σ_k) / s', so that
/// s'·B'·A' = U_k·diag(σ_k)·Vᵀ_k. The singular values are split evenly
/// between the factors (as PiSSA splits W), so A' and B' have comparable
/// norms; the scale is taken out of B' only, so A' does not depend on it.
/// k = 0 gives empty factors. Requires 0 ≤ k ≤ svd.s.size() and s' ≠ 0.
LowRankFactors truncate(const numerics::SVD<double> &svd, int64_t k,
                        double targetScale);

/// Σ_{i<k} σᵢ² / Σ σᵢ² (1 when every σ is zero).
double energyKept(llvm::ArrayRef<double> singularValues, int64_t k);

//===----------------------------------------------------------------------===//
// Frobenius norms of sums of low-rank terms
//===----------------------------------------------------------------------===//

/// ‖Σ sᵢ·Bᵢ·Aᵢ‖_F² through Gram matrices: with B = [s₁B₁ …] and
/// A = [A₁; …] stacked, ‖B·A‖_F² = tr((BᵀB)·(AAᵀ)), two R × R products
/// (R = Σ rᵢ) instead of the out × in sum. Not accurate to the last digit
/// when the terms nearly cancel (the result is a difference of larger sums;
/// it is clamped at 0).
double frobeniusNormSquared(llvm::ArrayRef<LowRankTerm> terms);

/// ‖ΔW_task − ΔW_ref‖_F / ‖ΔW_ref‖_F for two terms (∞ when ΔW_ref = 0 and
/// ΔW_task ≠ 0, 0 when both are zero).
double relativeDistance(const LowRankTerm &task, const LowRankTerm &reference);

//===----------------------------------------------------------------------===//
// Rank policies
//===----------------------------------------------------------------------===//

/// What a policy knows about one layer's adapter.
struct RankPolicyInput {
  /// The singular values of s·B·A, descending (lowRankSvd).
  llvm::ArrayRef<double> singularValues;
  /// The adapter's rank now.
  int64_t currentRank = 0;
  /// ‖ΔW − ΔW_ref‖_F / ‖ΔW_ref‖_F against a reference adapter on the same
  /// layer, when there is one.
  std::optional<double> relativeDistance;
};

/// A chosen rank and the share of the energy Σσ² it keeps.
struct RankChoice {
  int64_t rank = 0;
  double energyKept = 1.0;
};

/// A rule choosing each layer's rank from its spectrum. The result is at
/// most singularValues.size(); rank 0 means the adapter carries nothing
/// worth keeping (peft-select-rank then removes it). To add a rule, derive
/// from this class, and add a factory and a `policy=` value to
/// peft-select-rank.
class RankPolicy {
public:
  virtual ~RankPolicy();
  /// The name used by `policy=` and in reports.
  virtual llvm::StringRef getName() const = 0;
  /// Whether choose() needs RankPolicyInput::relativeDistance.
  virtual bool needsReference() const { return false; }
  virtual llvm::Expected<RankChoice>
  choose(const RankPolicyInput &input) const = 0;
};

/// Energy: the smallest k with Σ_{i<k} σᵢ² ≥ τ·Σ σᵢ² (0 for a zero term).
/// τ must be in (0, 1].
llvm::Expected<std::unique_ptr<RankPolicy>> createEnergyPolicy(double tau);

/// Distance (the dynamic-rank rule of REFERENCE §2): with d the relative
/// distance to the reference, k = clamp(round(rmin + (rmax − rmin)·min(d, 1)),
/// rmin, rmax), then at most the number of singular values. d = 0 (the
/// task equals the reference) gives rmin; d ≥ 1 (as far from the reference
/// as the reference is from zero, or farther) gives rmax; k is
/// non-decreasing in d. Requires 0 ≤ rmin ≤ rmax.
llvm::Expected<std::unique_ptr<RankPolicy>> createDistancePolicy(int64_t rmin,
                                                                 int64_t rmax);

/// Threshold: keep every σᵢ > σ_min. One σ_min for every layer and task,
/// so the rank follows where the updates have energy. σ_min ≥ 0.
llvm::Expected<std::unique_ptr<RankPolicy>>
createThresholdPolicy(double sigmaMin);

//===----------------------------------------------------------------------===//
// Composition: Hugging Face PEFT's add_weighted_adapter (PEFT 0.10)
//===----------------------------------------------------------------------===//

enum class CombineMode { Cat, Svd, Linear };

struct CombineOptions {
  CombineMode mode = CombineMode::Svd;
  /// svd: the new rank (PEFT's svd_rank); default max rᵢ, at most
  /// min(out, in, Σ rᵢ). Ignored by cat and linear.
  std::optional<int64_t> rank;
  /// svd: reproduce PEFT 0.10 exactly. PEFT's svd mode weights each
  /// get_delta_weight(i) = sᵢ·Bᵢ·Aᵢ by wᵢ·sᵢ, so it decomposes
  /// Σ wᵢ·sᵢ²·Bᵢ·Aᵢ (the scale applied twice); by default we decompose the
  /// weighted sum Σ wᵢ·sᵢ·Bᵢ·Aᵢ, which equals the two others' sum and the
  /// cat result at full rank. The two agree when every sᵢ = 1.
  bool peftSvdScaling = false;
};

/// Combines adapters with weights wᵢ as `add_weighted_adapter` does. The
/// new adapter has r = the new rank and lora_alpha = r, hence scale 1
/// (PEFT copies the first adapter's config with r and lora_alpha replaced;
/// with `use_rslora` there, PEFT's new adapter gets scale √r instead, an
/// upstream bug this does not reproduce). As in PEFT, a single adapter is
/// always combined with `linear`.
///
/// - cat: rank Σ rᵢ, A' = [w₁s₁A₁; …; w_ns_nA_n], B' = [B₁ … B_n]; the
///   weight and scale go into A. s'·B'·A' = Σ wᵢ·sᵢ·Bᵢ·Aᵢ exactly (up to
///   rounding).
/// - svd: the thin SVD of Σ wᵢ·sᵢ·Bᵢ·Aᵢ (see peftSvdScaling) truncated to
///   the new rank, split as PEFT splits it: B' = U_k·diag(σ_k), A' = Vᵀ_k.
///   Exact at rank ≥ the sum's rank. PEFT's svd_clamp (a quantile clamp of
///   the factors' entries, off by default) is not offered: it depends on
///   the signs of the singular vectors, which differ between LAPACK
///   drivers; svd_driver only selects a cuSOLVER routine.
/// - linear: all ranks equal (else an error);
///   A' = Σ √(wᵢsᵢ)·Aᵢ and B' = Σ √(wᵢsᵢ)·Bᵢ (each wᵢ·sᵢ must be ≥ 0, as
///   in PEFT 0.10, which takes math.sqrt). This is NOT the weighted sum:
///   s'·B'·A' = Σᵢ Σⱼ √(wᵢsᵢ·wⱼsⱼ)·Bᵢ·Aⱼ, whose i ≠ j cross terms mix one
///   adapter's B with another's A.
///
/// Errors: no adapters, weights.size() ≠ adapters.size(), mismatched
/// shapes, unequal ranks for linear, a negative wᵢ·sᵢ for linear, a rank
/// that is ≤ 0 or above what the sum has.
llvm::Expected<LowRankFactors>
combineAdapters(llvm::ArrayRef<LowRankTerm> adapters,
                llvm::ArrayRef<double> weights, const CombineOptions &options);

} // namespace mlir::peft::lowrank

#endif // PEFT_SUPPORT_LOWRANK_H
