//===- UnmergeLora.cpp - take merged adapters out of the base weights -----===//
//
// Implements peft-unmerge-lora: W0 = W' − s·B·A for every merged peft.lora
// (DoRA: W0 = W' · ‖·‖/m − s·B·A with the row norms kept by the merge).
//
//===----------------------------------------------------------------------===//

#include "LoraUtils.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTUNMERGELORA
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {

LogicalResult unmergeLora(LoraOp lora) {
  LinearOp linear = lora.getLinear();
  int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
  std::string layer = describeLayer(linear);
  FailureOr<std::vector<float>> delta, w;
  if (failed(delta = readLoraDelta(lora)) ||
      failed(w = readWeightOutIn(linear)))
    return failure();

  if (Value magnitudeValue = lora.getMagnitude()) {
    if (!lora.getWeightNorm())
      return lora.emitError() << "cannot unmerge the DoRA adapter of layer "
                              << layer << ": the merge kept no row norms";
    FailureOr<std::vector<float>> m = readConstantOperand(
        lora, magnitudeValue, "the DoRA magnitude of layer " + layer);
    FailureOr<std::vector<float>> norms = readConstantOperand(
        lora, lora.getWeightNorm(), "the DoRA row norms of layer " + layer);
    if (failed(m) || failed(norms))
      return failure();
    for (int64_t o = 0; o < out; ++o) {
      float factor = (*norms)[o] / (*m)[o];
      for (int64_t i = 0; i < in; ++i)
        (*w)[o * in + i] *= factor;
    }
  }
  for (size_t k = 0; k < delta->size(); ++k)
    (*w)[k] -= (*delta)[k];
  if (failed(replaceWeight(linear, *w, ".unmerged")))
    return failure();

  if (Value norms = lora.getWeightNorm()) {
    lora.getWeightNormMutable().clear();
    if (Operation *def = norms.getDefiningOp(); def && def->use_empty())
      def->erase();
  }
  lora.setMerged(false);
  return success();
}

struct PeftUnmergeLoraPass
    : public peft::impl::PeftUnmergeLoraBase<PeftUnmergeLoraPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<LoraOp> work;
    getOperation()->walk([&](LoraOp lora) {
      if (lora.getMerged() && isSelectedAdapter(lora.getAdapter(), adapters))
        work.push_back(lora);
    });
    bool failedAny = false;
    for (LoraOp lora : work)
      failedAny |= failed(unmergeLora(lora));
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
