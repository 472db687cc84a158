//===- Modegpt.h - MoDeGPT's module decompositions --------------*- C++ -*-===//
//
// The arithmetic of peft-modegpt (REFERENCE §4), in double, from calibration
// statistics (CalibrationStats.h). Weights are in the orientation the
// modules compute with, y = x·W: W_down [D, out], W_v [hidden, d],
// W_o blocks [d, out].
//
// Regularization: λ is relative to the covariance's scale, C_λ = C +
// λ·mean(diag C)·I (as whiteningFactor in LowRankFactorization.h), so the
// same λ means the same thing for every layer.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_SUPPORT_MODEGPT_H
#define PEFT_SUPPORT_MODEGPT_H

#include "peft/Support/Numerics.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace mlir::peft::modegpt {

using numerics::Matrix;
using numerics::MatrixRef;

/// C + λ·mean(diag C)·I. Errors: λ < 0 or not finite, a non-square or
/// non-finite C.
llvm::Expected<Matrix<double>> regularize(MatrixRef<const double> c,
                                          double lambda);

//===----------------------------------------------------------------------===//
// Type I: MLP (Nyström)
//===----------------------------------------------------------------------===//

/// The ridge leverage scores diag(C·(C + λ'I)⁻¹), λ' = λ·mean(diag C),
/// from the eigendecomposition C = QΛQᵀ: score_i = Σ_j Q_ij²·λ_j/(λ_j + λ').
/// λ = 0 gives the leverage of the projection onto C's range.
llvm::Expected<std::vector<double>>
ridgeLeverageScores(MatrixRef<const double> c, double lambda);

/// The `k` indices of the largest scores (ties: the lower index first),
/// ascending.
std::vector<int64_t> topK(llvm::ArrayRef<double> scores, int64_t k);

struct MlpCompression {
  /// The intermediate columns kept, ascending (the selection S).
  std::vector<int64_t> kept;
  /// Ŵ_down [k, out].
  Matrix<double> down;
  /// The output error on the calibration data,
  /// Σ‖H·W_down − H·S·Ŵ_down‖² = tr(W_downᵀ·[C − CS(SᵀCS)⁺SᵀC]·W_down).
  double error = 0;
  /// tr(W_downᵀ·C·W_down): the error of dropping the whole MLP.
  double total = 0;
};

/// Type I: keeps the `k` intermediate columns of largest ridge leverage
/// score (λ) of C = Σ HᵀH [D, D] and refits the down projection by least
/// squares on the calibration data, Ŵ_down = (SᵀCS)⁺·SᵀC·W_down. The kept
/// sets are nested in k, so the error does not increase with k. k = D
/// keeps every column and W_down as it is. Errors: k outside [1, D], shapes
/// that disagree.
llvm::Expected<MlpCompression> compressMlp(MatrixRef<const double> c,
                                           MatrixRef<const double> down,
                                           int64_t k, double lambda);

//===----------------------------------------------------------------------===//
// Type II: key-query (CR)
//===----------------------------------------------------------------------===//

/// Type II for one key/value group: the head dims of W_q and W_k to keep.
/// Column i scores √(Σ_h C_q,h,ii · C_k,ii), the query diagonals of the
/// group's heads summed. With `rotaryHalf` (rotate_half rotary, dims i and
/// i + d/2 rotate together) pairs are kept or dropped together, scored by
/// the sum of their two scores, and `k` must be even. Returns `k` indices in
/// [0, d), ascending, so the kept pairs are again (j, j + k/2).
llvm::Expected<std::vector<int64_t>>
selectKeyQueryDims(llvm::ArrayRef<std::vector<double>> queryDiagonals,
                   llvm::ArrayRef<double> keyDiagonal, int64_t k,
                   bool rotaryHalf);

//===----------------------------------------------------------------------===//
// Type III: value-output (SVD)
//===----------------------------------------------------------------------===//

struct ValueOutputCompression {
  /// Ŵ_v = C_λ^{−1/2}·U_k [hidden, k].
  Matrix<double> value;
  /// Ŵ_o = Σ_k·V_kᵀ, split into one [k, out] block per query head.
  std::vector<Matrix<double>> outputs;
  /// The singular values of C_λ^{1/2}·W_v·[W_o,1 … W_o,g], descending
  /// (min(hidden, d) of them).
  std::vector<double> singularValues;
  /// Σ_{i≥k} σᵢ²: the output error on the calibration data (exact for
  /// λ = 0 with C positive definite).
  double error = 0;
  /// Σ σᵢ².
  double total = 0;
};

/// Type III for one value head and the `wo.size()` query heads that read
/// it: the whitened SVD of W_v·[W_o,1 … W_o,g] through the d × d core (the
/// product is never formed). `whiten` is any R with RᵀR = C_λ and
/// `unwhiten` its inverse (choleskyWhitening's Lᵀ, or symmetricSqrt's
/// C_λ^{1/2}): the singular values of R·W_v·[W_o…] and the product
/// R⁻¹·[R·W_v·W_o]_k do not depend on which. Errors: k outside [1, d],
/// shapes that disagree.
llvm::Expected<ValueOutputCompression>
compressValueOutput(MatrixRef<const double> whiten,
                    MatrixRef<const double> unwhiten,
                    MatrixRef<const double> wv,
                    llvm::ArrayRef<MatrixRef<const double>> wo, int64_t k);

/// C_λ^{1/2} and C_λ^{−1/2} (symmetric) of a covariance, C_λ = C +
/// λ·mean(diag C)·I. Errors: C_λ not positive definite (the message
/// suggests a larger λ).
struct SymmetricSqrt {
  Matrix<double> sqrt, inverseSqrt;
};
llvm::Expected<SymmetricSqrt> symmetricSqrt(MatrixRef<const double> c,
                                            double lambda);

/// A whitening of C_λ = C + λ·mean(diag C)·I from its Cholesky factor
/// C_λ = L·Lᵀ: `whiten` = Lᵀ (so whitenᵀ·whiten = C_λ) and `unwhiten` =
/// L⁻ᵀ, in 2n³/3 flops against the eigendecomposition of symmetricSqrt.
/// Errors: C_λ not positive definite (the message suggests a larger λ).
struct Whitening {
  Matrix<double> whiten, unwhiten;
};
llvm::Expected<Whitening> choleskyWhitening(MatrixRef<const double> c,
                                            double lambda);

//===----------------------------------------------------------------------===//
// Global sparsity allocation
//===----------------------------------------------------------------------===//

/// Per-layer sparsity from block-influence scores s (REFERENCE §4):
/// φ = L·φ_avg·softmax(−s/ε), then every φᵢ above `cap` is set to `cap`
/// and the excess is shared among the others in proportion to their
/// softmax weights, until none exceeds it. The mean of φ is φ_avg.
/// Errors: no scores, φ_avg outside [0, cap], ε ≤ 0, cap outside (0, 1].
llvm::Expected<std::vector<double>>
allocateSparsity(llvm::ArrayRef<double> scores, double phiAvg, double eps,
                 double cap);

} // namespace mlir::peft::modegpt

#endif // PEFT_SUPPORT_MODEGPT_H
