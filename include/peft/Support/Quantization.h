//===- Quantization.h - integer weight grids, scales, packing --*- C++ -*-===//
//
// The numeric kernels of quantized linears and LR-QAT
// (../shared/REFERENCE.md §3 and §5; docs/quantization.md):
//
// - A weight matrix W [out, in] is quantized per output channel (one scale a
//   row) or per group of `groupSize` consecutive input elements of a row.
// - Integer values are kept *signed* whatever the scheme: symmetric grids
//   are [-2^(b-1), 2^(b-1)-1] with zero point 0; asymmetric ones are the
//   unsigned grid [0, 2^b-1] shifted down by 2^(b-1), with a zero point on
//   the same shifted grid, so that Ŵ = s · (q - z) in both cases and one
//   signed b-bit storage type serves both. (MatMulNBits' unsigned values
//   are q + 2^(b-1); its default zero point 2^(b-1) is z = 0.)
// - Rounding is to nearest, ties to even (`roundHalfEven`), everywhere.
// - Packing of the integer values: peft/Support/Codecs.h (a little-endian
//   bit stream; ONNX's INT4 packing for b = 4).
// - LR-QAT's frozen Φ0 in fixed point ("Q4.4" for b = 4): an int8 holding
//   round(clamp(x) · 2^(8-b)), read back as x_int8 / 2^(8-b).
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_SUPPORT_QUANTIZATION_H
#define PEFT_SUPPORT_QUANTIZATION_H

#include "peft/Support/Numerics.h"

#include "llvm/ADT/ArrayRef.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace mlir::peft::quant {

/// Round to nearest, ties to even (the current rounding mode must be the
/// default, round-to-nearest).
inline double roundHalfEven(double x) { return std::nearbyint(x); }

/// Whether `bits` is a supported weight width (2, 3, 4 or 8).
inline bool isSupportedBits(int64_t bits) {
  return bits == 2 || bits == 3 || bits == 4 || bits == 8;
}

/// How a matrix [rows = out, cols = in] is quantized.
struct QuantSpec {
  int bits = 4;
  /// 0: one scale per row (per output channel); else groups of this many
  /// consecutive columns (the last group of a row may be shorter).
  int64_t groupSize = 0;
  bool symmetric = true;

  /// The signed grid's ends.
  int64_t qmin() const { return -(int64_t(1) << (bits - 1)); }
  int64_t qmax() const { return (int64_t(1) << (bits - 1)) - 1; }
  /// Scales (and zero points) per row.
  int64_t groupsPerRow(int64_t cols) const {
    return groupSize ? (cols + groupSize - 1) / groupSize : 1;
  }
  /// The group of column `c`.
  int64_t groupOf(int64_t c) const { return groupSize ? c / groupSize : 0; }
};

/// A quantized matrix: Ŵ[r, c] = scales[r, g] · (q[r, c] - zeroPoints[r, g])
/// with g = spec.groupOf(c); zeroPoints is empty for symmetric grids.
struct QuantizedMatrix {
  int64_t rows = 0, cols = 0;
  QuantSpec spec;
  std::vector<int8_t> q;          // [rows, cols]
  std::vector<float> scales;      // [rows, groups]
  std::vector<int8_t> zeroPoints; // [rows, groups], or empty

  int64_t groups() const { return spec.groupsPerRow(cols); }
  float scale(int64_t r, int64_t c) const {
    return scales[r * groups() + spec.groupOf(c)];
  }
  int64_t zeroPoint(int64_t r, int64_t c) const {
    return zeroPoints.empty() ? 0 : zeroPoints[r * groups() + spec.groupOf(c)];
  }
  /// Ŵ[r, c] in f32 (the scale times an exact small integer).
  float dequantized(int64_t r, int64_t c) const {
    return scale(r, c) * float(int64_t(q[r * cols + c]) - zeroPoint(r, c));
  }
};

/// How scales are chosen.
struct ScaleSearch {
  /// p of the Lp error Σ|w - ŵ|^p; 0 selects min-max (no search).
  double p = 0;
  /// The clipping ratios tried: 1, 1 - 1/grid, ..., down to `minRatio`.
  int grid = 100;
  double minRatio = 0.2;
};

/// Quantizes `w` [rows, cols] row by row. Min-max scales (`search.p` = 0):
/// symmetric s = max|w| / qmax; asymmetric s = (max(w, 0) - min(w, 0)) /
/// (2^b - 1) with z = qmin - round(min(w, 0) / s). With `search.p` > 0 each
/// row or group keeps the clipping ratio α (applied to the min-max range)
/// whose grid minimizes Σ|w - ŵ|^p, the largest α on ties. A group of zeros
/// gets scale 1. Values are q = clamp(round_half_even(w / s) + z).
QuantizedMatrix quantize(numerics::MatrixRef<const float> w, QuantSpec spec,
                         ScaleSearch search = {});

/// q = clamp(round_half_even(w / s) + z) on the grid of `into` (its scales
/// and zero points are kept), row `r` of `w` being row `r` of `into`.
void requantize(numerics::MatrixRef<const float> w, QuantizedMatrix &into);

/// Ŵ as f32 [rows, cols].
numerics::Matrix<float> dequantize(const QuantizedMatrix &m);

/// Σ (w - ŵ)² / Σ w² (0 when w is all zeros).
double relativeError(numerics::MatrixRef<const float> w,
                     const QuantizedMatrix &m);

//===----------------------------------------------------------------------===//
// LR-QAT
//===----------------------------------------------------------------------===//

/// The fixed-point int8 form of Φ0 for a b-bit grid: round_half_even(
/// clamp(x, qmin, qmax) · 2^(8-b)).
int8_t encodeFixedPoint(double x, int bits);
/// x_int8 / 2^(8-b).
inline double decodeFixedPoint(int8_t v, int bits) {
  return std::ldexp(double(v), bits - 8);
}

/// The LR-QAT fold (REFERENCE §3): W_int = clamp(round_half_even(Φ0 +
/// sLr · A·B), qmin, qmax) with Φ0 [rows, cols] (decoded), A [rows, rank],
/// B [rank, cols], computed in f64 (A·B through BLAS a panel of rows at a
/// time). Writes rows·cols values to `out`.
void foldLowRank(numerics::MatrixRef<const double> phi0,
                 numerics::MatrixRef<const double> a,
                 numerics::MatrixRef<const double> b, double sLr, int bits,
                 int8_t *out);

} // namespace mlir::peft::quant

#endif // PEFT_SUPPORT_QUANTIZATION_H
