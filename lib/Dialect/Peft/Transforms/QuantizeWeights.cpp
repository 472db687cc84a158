//===- QuantizeWeights.cpp - peft.linear -> peft.qlinear ------------------===//
//
// Implements peft-quantize-weights: selection and IR policy only; the grids
// and the scale search are peft/Support/Quantization.h.
//
//===----------------------------------------------------------------------===//

#include "QuantizationUtils.h"
#include "Report.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"

#include "llvm/Support/FormatVariadic.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTQUANTIZEWEIGHTS
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {

struct PeftQuantizeWeightsPass
    : public peft::impl::PeftQuantizeWeightsBase<PeftQuantizeWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    Operation *root = getOperation();
    constexpr StringRef pass = "peft-quantize-weights";
    FailureOr<quant::QuantSpec> grid =
        getGridSpec(root, pass, bits, granularity == QuantGranularity::Group,
                    groupSize);
    if (failed(grid))
      return signalPassFailure();
    if (scale == ScaleMethod::Lp && !(p > 0)) {
      emitError(root->getLoc()) << pass << ": p must be > 0";
      return signalPassFailure();
    }
    FailureOr<SmallVector<LinearLikeOpInterface>> layers =
        selectFloatLayers(root, pass, targets, targetRegex, roles);
    if (failed(layers))
      return signalPassFailure();
    quant::QuantSpec spec = *grid;
    spec.symmetric = symmetric;
    quant::ScaleSearch search;
    search.p = scale == ScaleMethod::Lp ? p : 0;

    TableReport table({"path", "bits", "groups", "method", "scale min",
                       "scale max", "rel. error"});
    OpBuilder builder(&getContext());
    for (LinearLikeOpInterface layer : *layers) {
      FailureOr<numerics::Matrix<float>> w = readWeightOutIn(layer);
      if (failed(w))
        return signalPassFailure();
      quant::QuantizedMatrix m = quant::quantize(w->view(), spec, search);
      auto [lo, hi] = std::minmax_element(m.scales.begin(), m.scales.end());
      std::optional<StringRef> path = layer.getModulePath();
      table.addRow(
          {path ? path->str() : "<unnamed>", std::to_string(bits),
           spec.groupSize ? "g" + std::to_string(spec.groupSize) : "channel",
           search.p > 0 ? llvm::formatv("lp (p={0})", double(p)).str() : "minmax",
           llvm::formatv("{0:e3}", *lo).str(), llvm::formatv("{0:e3}", *hi).str(),
           llvm::formatv("{0:e3}", quant::relativeError(w->view(), m)).str()});
      replaceWithQLinear(builder, layer, m, getWeightStem(layer));
    }
    if (failed(table.write(report, "stderr", root->getLoc(), pass,
                           std::to_string(layers->size()) +
                               " layer(s) quantized")))
      return signalPassFailure();
  }
};

} // namespace
