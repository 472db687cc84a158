//===- LrqatPrepare.cpp - linear layers into LR-QAT training linears ------===//
//
// Implements peft-lrqat-prepare: s0 from the Lp search, Φ0 downcast, A = 0,
// B Kaiming-uniform. IR policy only; the grids are
// peft/Support/Quantization.h.
//
//===----------------------------------------------------------------------===//

#include "QuantizationUtils.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Support/Random.h"

#include <cmath>

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTLRQATPREPARE
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {

struct PeftLrqatPreparePass
    : public peft::impl::PeftLrqatPrepareBase<PeftLrqatPreparePass> {
  using Base::Base;

  void runOnOperation() override {
    Operation *root = getOperation();
    constexpr StringRef pass = "peft-lrqat-prepare";
    FailureOr<quant::QuantSpec> grid =
        getGridSpec(root, pass, bits, granularity == QuantGranularity::Group,
                    groupSize);
    if (failed(grid))
      return signalPassFailure();
    auto bad = [&](StringRef what) {
      emitError(root->getLoc()) << pass << ": " << what;
      signalPassFailure();
    };
    if (rank < 1)
      return bad("rank must be >= 1, got " + std::to_string(rank));
    if (!(p > 0))
      return bad("p must be > 0");
    if (!std::isfinite(alpha) || !(alpha > 0))
      return bad("alpha must be finite and > 0");
    FailureOr<SmallVector<LinearLikeOpInterface>> layers =
        selectFloatLayers(root, pass, targets, targetRegex, roles);
    if (failed(layers))
      return signalPassFailure();
    quant::QuantSpec spec = *grid;
    quant::ScaleSearch search;
    search.p = p;
    Random rng(seed);
    OpBuilder builder(&getContext());
    for (LinearLikeOpInterface layer : *layers) {
      FailureOr<numerics::Matrix<float>> w = readWeightOutIn(layer);
      if (failed(w))
        return signalPassFailure();
      quant::QuantizedMatrix m = quant::quantize(w->view(), spec, search);
      int64_t out = m.rows, in = m.cols;
      LrqatParams params;
      params.bits = bits;
      params.phi = phi;
      params.rank = rank;
      params.alpha = alpha;
      params.groupSize = spec.groupSize;
      params.scales.assign(m.scales.begin(), m.scales.end());
      params.phiStored.resize(size_t(out * in));
      for (int64_t r = 0; r < out; ++r)
        for (int64_t c = 0; c < in; ++c) {
          double x = double((*w)(r, c)) / double(m.scale(r, c));
          double &stored = params.phiStored[r * in + c];
          if (phi == PhiFormat::Fixed)
            stored = quant::encodeFixedPoint(x, spec.bits);
          else if (phi == PhiFormat::Int)
            stored = m.q[r * in + c];
          else
            stored = std::clamp(x, double(spec.qmin()), double(spec.qmax()));
        }
      params.loraA.assign(size_t(out * rank), 0.0);
      // kaiming_uniform_(a=√5) on [r, in]: bound = 1/√in.
      double bound = 1.0 / std::sqrt(double(in));
      params.loraB.resize(size_t(rank * in));
      for (double &v : params.loraB)
        v = float(rng.uniform(-bound, bound));
      replaceWithLrqatLinear(builder, layer, params, getWeightStem(layer));
    }
  }
};

} // namespace
