//===- MergeLora.cpp - fold adapters into the base weights ----------------===//
//
// Implements peft-merge-lora: W' = W0 + s·B·A (DoRA: m ⊙ (W0 + s·B·A) /
// ‖·‖_row) for every selected peft.lora, which stays in the IR marked `merged`;
// IA³ scalings are folded into the weight and bias and erased.
//
//===----------------------------------------------------------------------===//

#include "LoraUtils.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"

#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTMERGELORA
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {

/// Erases `value`'s defining constant when nothing uses it any more.
void eraseIfDead(Value value) {
  if (Operation *def = value ? value.getDefiningOp() : nullptr)
    if (def->use_empty() && isPure(def))
      def->erase();
}

LogicalResult mergeLora(LoraOp lora) {
  LinearOp linear = lora.getLinear();
  int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
  std::string layer = describeLayer(linear);
  FailureOr<std::vector<float>> delta, w;
  if (failed(delta = readLoraDelta(lora)) ||
      failed(w = readWeightOutIn(linear)))
    return failure();
  for (size_t k = 0; k < delta->size(); ++k)
    (*w)[k] += (*delta)[k];

  if (Value magnitudeValue = lora.getMagnitude()) {
    FailureOr<std::vector<float>> m = readConstantOperand(
        lora, magnitudeValue, "the DoRA magnitude of layer " + layer);
    if (failed(m))
      return failure();
    std::vector<float> norms = rowNorms(*w, out, in);
    for (int64_t o = 0; o < out; ++o) {
      float factor = (*m)[o] / norms[o];
      for (int64_t i = 0; i < in; ++i)
        (*w)[o * in + i] *= factor;
    }
    OpBuilder builder(lora);
    Value normValue = createWeight(
        builder, lora.getLoc(),
        (linear.getPath() ? *linear.getPath() : StringRef("linear")).str() +
            ".dora_weight_norm",
        cast<RankedTensorType>(magnitudeValue.getType()), norms);
    lora.getWeightNormMutable().assign(normValue);
  }
  if (failed(replaceWeight(linear, *w, ".merged")))
    return failure();
  lora.setMerged(true);
  return success();
}

LogicalResult foldIA3(IA3Op ia3) {
  LinearOp linear = ia3.getLinear();
  int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
  std::string layer = describeLayer(linear);
  FailureOr<std::vector<float>> w = readWeightOutIn(linear);
  FailureOr<std::vector<float>> l = readConstantOperand(
      ia3, ia3.getScaling(), "the IA³ scaling of layer " + layer);
  if (failed(w) || failed(l))
    return failure();
  if (!linear.getResult().hasOneUse())
    return ia3.emitError() << "cannot fold the IA³ scaling of layer " << layer
                           << ": the layer's output has other users";
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i)
      (*w)[o * in + i] *= (*l)[ia3.getFeedforward() ? i : o];
  if (failed(replaceWeight(linear, *w, ".ia3")))
    return failure();
  if (Value bias = linear.getBias(); bias && !ia3.getFeedforward()) {
    FailureOr<std::vector<float>> bv =
        readConstantOperand(ia3, bias, "the bias of layer " + layer);
    if (failed(bv))
      return failure();
    for (int64_t o = 0; o < out; ++o)
      (*bv)[o] *= (*l)[o];
    OpBuilder builder(linear);
    StringRef oldName = getInitializerName(bias);
    Value newBias = createWeight(builder, linear.getLoc(),
                                 oldName.empty() ? layer + ".bias"
                                                 : (oldName + ".ia3").str(),
                                 cast<RankedTensorType>(bias.getType()), *bv);
    linear.getBiasMutable().assign(newBias);
    eraseIfDead(bias);
  }
  Value scaling = ia3.getScaling();
  ia3.getResult().replaceAllUsesWith(ia3.getBase());
  ia3.erase();
  eraseIfDead(scaling);
  return success();
}

struct PeftMergeLoraPass
    : public peft::impl::PeftMergeLoraBase<PeftMergeLoraPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> work;
    getOperation()->walk([&](Operation *op) {
      if (auto lora = dyn_cast<LoraOp>(op);
          lora && isSelectedAdapter(lora.getAdapter(), adapters))
        work.push_back(op);
      else if (auto ia3 = dyn_cast<IA3Op>(op);
               ia3 && isSelectedAdapter(ia3.getAdapter(), adapters))
        work.push_back(op);
    });
    bool failedAny = false;
    for (Operation *op : work) {
      if (auto ia3 = dyn_cast<IA3Op>(op)) {
        failedAny |= failed(foldIA3(ia3));
        continue;
      }
      auto lora = cast<LoraOp>(op);
      if (!lora.getMerged() && failed(mergeLora(lora))) {
        failedAny = true;
        continue;
      }
      if (dropAdapters) {
        Value a = lora.getLoraA(), b = lora.getLoraB(), m = lora.getMagnitude(),
              n = lora.getWeightNorm();
        lora.getResult().replaceAllUsesWith(lora.getBase());
        lora.erase();
        for (Value v : {a, b, m, n})
          eraseIfDead(v);
      }
    }
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
