//===- Quantization.cpp - integer weight grids, scales, packing -----------===//

#include "peft/Support/Quantization.h"

#include <algorithm>
#include <cassert>
#include <limits>

using namespace mlir::peft;
using namespace mlir::peft::quant;
using numerics::Matrix;
using numerics::MatrixRef;

namespace {
/// One row's group: columns [begin, end).
struct Span {
  int64_t begin, end;
};

/// The grid of one group: scale and (signed) zero point.
struct Grid {
  float scale = 1;
  int64_t zero = 0;
};

int64_t clampToGrid(double v, const QuantSpec &spec) {
  return int64_t(std::clamp(v, double(spec.qmin()), double(spec.qmax())));
}

int64_t quantizeValue(float w, Grid g, const QuantSpec &spec) {
  return clampToGrid(roundHalfEven(double(w) / double(g.scale)) + double(g.zero),
                     spec);
}

/// The min-max grid of `values`, its range scaled by `ratio`.
Grid minMaxGrid(const float *values, Span span, const QuantSpec &spec,
                double ratio) {
  double lo = 0, hi = 0;
  for (int64_t c = span.begin; c < span.end; ++c) {
    lo = std::min(lo, double(values[c]));
    hi = std::max(hi, double(values[c]));
  }
  lo *= ratio;
  hi *= ratio;
  Grid g;
  if (spec.symmetric) {
    double range = std::max(-lo, hi);
    if (range > 0)
      g.scale = float(range / double(spec.qmax()));
    return g;
  }
  if (hi - lo > 0) {
    g.scale = float((hi - lo) / double((int64_t(1) << spec.bits) - 1));
    g.zero = spec.qmin() - int64_t(roundHalfEven(lo / double(g.scale)));
    g.zero = std::clamp(g.zero, spec.qmin(), spec.qmax());
  }
  return g;
}

/// Σ|w - ŵ|^p over the span on grid `g`.
double lpError(const float *values, Span span, Grid g, const QuantSpec &spec,
               double p) {
  double sum = 0;
  for (int64_t c = span.begin; c < span.end; ++c) {
    double q = double(quantizeValue(values[c], g, spec));
    double err = std::abs(double(values[c]) -
                          double(g.scale) * (q - double(g.zero)));
    sum += p == 2 ? err * err : p == 4 ? (err * err) * (err * err)
                                       : std::pow(err, p);
  }
  return sum;
}

Grid chooseGrid(const float *values, Span span, const QuantSpec &spec,
                const ScaleSearch &search) {
  Grid best = minMaxGrid(values, span, spec, 1.0);
  if (search.p <= 0)
    return best;
  double bestError = lpError(values, span, best, spec, search.p);
  for (int i = 1; i < search.grid; ++i) {
    // (grid - i) / grid, not 1 - i/grid: 1 - 80/100 rounds below 0.2.
    double ratio = double(search.grid - i) / double(search.grid);
    if (ratio < search.minRatio)
      break;
    Grid g = minMaxGrid(values, span, spec, ratio);
    double error = lpError(values, span, g, spec, search.p);
    if (error < bestError) {
      best = g;
      bestError = error;
    }
  }
  return best;
}
} // namespace

QuantizedMatrix quant::quantize(MatrixRef<const float> w, QuantSpec spec,
                                ScaleSearch search) {
  assert(isSupportedBits(spec.bits) && "unsupported bit width");
  QuantizedMatrix m;
  m.rows = w.rows;
  m.cols = w.cols;
  m.spec = spec;
  int64_t groups = m.groups();
  m.q.resize(size_t(w.rows * w.cols));
  m.scales.resize(size_t(w.rows * groups));
  if (!spec.symmetric)
    m.zeroPoints.resize(size_t(w.rows * groups));
  for (int64_t r = 0; r < w.rows; ++r) {
    const float *row = &w(r, 0);
    for (int64_t g = 0; g < groups; ++g) {
      Span span{spec.groupSize ? g * spec.groupSize : 0,
                spec.groupSize ? std::min(w.cols, (g + 1) * spec.groupSize)
                               : w.cols};
      Grid grid = chooseGrid(row, span, spec, search);
      m.scales[r * groups + g] = grid.scale;
      if (!spec.symmetric)
        m.zeroPoints[r * groups + g] = int8_t(grid.zero);
      for (int64_t c = span.begin; c < span.end; ++c)
        m.q[r * w.cols + c] = int8_t(quantizeValue(row[c], grid, spec));
    }
  }
  return m;
}

void quant::requantize(MatrixRef<const float> w, QuantizedMatrix &into) {
  assert(w.rows == into.rows && w.cols == into.cols);
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c) {
      Grid g{into.scale(r, c), into.zeroPoint(r, c)};
      into.q[r * w.cols + c] = int8_t(quantizeValue(w(r, c), g, into.spec));
    }
}

Matrix<float> quant::dequantize(const QuantizedMatrix &m) {
  Matrix<float> out(m.rows, m.cols);
  for (int64_t r = 0; r < m.rows; ++r)
    for (int64_t c = 0; c < m.cols; ++c)
      out(r, c) = m.dequantized(r, c);
  return out;
}

double quant::relativeError(MatrixRef<const float> w,
                            const QuantizedMatrix &m) {
  double num = 0, den = 0;
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c) {
      double v = w(r, c), d = v - double(m.dequantized(r, c));
      num += d * d;
      den += v * v;
    }
  return den > 0 ? num / den : 0;
}

//===----------------------------------------------------------------------===//
// LR-QAT
//===----------------------------------------------------------------------===//

int8_t quant::encodeFixedPoint(double x, int bits) {
  QuantSpec spec;
  spec.bits = bits;
  double clamped = std::clamp(x, double(spec.qmin()), double(spec.qmax()));
  // |clamped| · 2^(8-b) ≤ 128: the product is exact and fits an int8 after
  // rounding (qmax · 2^(8-b) = 128 - 2^(8-b)).
  return int8_t(roundHalfEven(std::ldexp(clamped, 8 - bits)));
}

void quant::foldLowRank(MatrixRef<const double> phi0,
                        MatrixRef<const double> a, MatrixRef<const double> b,
                        double sLr, int bits, int8_t *out) {
  assert(a.rows == phi0.rows && b.cols == phi0.cols && a.cols == b.rows);
  QuantSpec spec;
  spec.bits = bits;
  int64_t rows = phi0.rows, cols = phi0.cols;
  // Panels of rows keep the f64 product small.
  int64_t panelRows = std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(cols, 1));
  Matrix<double> product(std::min(panelRows, rows), cols);
  for (int64_t r0 = 0; r0 < rows; r0 += panelRows) {
    int64_t n = std::min(panelRows, rows - r0);
    MatrixRef<double> p(product.data(), n, cols);
    numerics::gemm<double>(1.0, a.rowRange(r0, n), numerics::Op::N, b,
                           numerics::Op::N, 0.0, p);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < cols; ++c)
        out[(r0 + r) * cols + c] = int8_t(clampToGrid(
            roundHalfEven(phi0(r0 + r, c) + sLr * p(r, c)), spec));
  }
}
