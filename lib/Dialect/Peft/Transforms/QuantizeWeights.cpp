//===- QuantizeWeights.cpp - peft.linear -> peft.qlinear ------------------===//
//
// Implements peft-quantize-weights: selection and IR policy only; the grids
// and the scale search are peft/Support/Quantization.h.
//
//===----------------------------------------------------------------------===//

#include "LayerSelection.h"
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
    auto bad = [&](StringRef what) {
      emitError(root->getLoc()) << pass << ": " << what;
      signalPassFailure();
    };
    if (!quant::isSupportedBits(bits))
      return bad("bits must be 2, 3, 4 or 8, got " + std::to_string(bits));
    if (granularity == QuantGranularity::Group && groupSize < 1)
      return bad("group-size must be >= 1, got " + std::to_string(groupSize));
    if (scale == ScaleMethod::Lp && !(p > 0))
      return bad("p must be > 0");
    FailureOr<LayerSelection> selection = LayerSelection::get(
        root->getLoc(), pass, targets, targetRegex, roles,
        /*defaultAllLinear=*/true);
    if (failed(selection))
      return signalPassFailure();

    quant::QuantSpec spec;
    spec.bits = int(bits);
    spec.groupSize = granularity == QuantGranularity::Group ? groupSize : 0;
    spec.symmetric = symmetric;
    quant::ScaleSearch search;
    search.p = scale == ScaleMethod::Lp ? p : 0;

    SmallVector<LinearLikeOpInterface> layers;
    root->walk([&](LinearLikeOpInterface layer) {
      if (layer.getDenseWeightOperand() && selection->contains(layer))
        layers.push_back(layer);
    });
    if (layers.empty()) {
      emitError(root->getLoc())
          << pass << ": the selection matches no linear layer with a float "
                     "weight (run peft-raise-linear first? without targets= "
                     "the model's output head is left out)";
      return signalPassFailure();
    }

    TableReport table({"path", "bits", "groups", "method", "scale min",
                       "scale max", "rel. error"});
    OpBuilder builder(&getContext());
    for (LinearLikeOpInterface layer : layers) {
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
                           std::to_string(layers.size()) +
                               " layer(s) quantized")))
      return signalPassFailure();
  }
};

} // namespace
