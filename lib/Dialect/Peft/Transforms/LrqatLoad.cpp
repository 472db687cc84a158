//===- LrqatLoad.cpp - load a trained LR-QAT checkpoint -------------------===//
//
// Implements peft-lrqat-load in two phases: the checkpoint is read and
// validated (peft/Support/LrqatCheckpoint.h) and matched against the layers
// first; the IR changes only when everything is usable.
//
//===----------------------------------------------------------------------===//

#include "QuantizationUtils.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Support/LrqatCheckpoint.h"

#include "llvm/ADT/StringMap.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTLRQATLOAD
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {

struct PeftLrqatLoadPass
    : public peft::impl::PeftLrqatLoadBase<PeftLrqatLoadPass> {
  using Base::Base;

  void runOnOperation() override {
    Operation *root = getOperation();
    if (path.empty()) {
      emitError(root->getLoc()) << "peft-lrqat-load: give path=<checkpoint "
                                   "directory>";
      return signalPassFailure();
    }
    auto checkpoint = LrqatCheckpoint::open(path);
    if (!checkpoint) {
      emitError(root->getLoc())
          << "peft-lrqat-load: " << llvm::toString(checkpoint.takeError());
      return signalPassFailure();
    }
    const LrqatConfig &config = (*checkpoint)->getConfig();

    // Layers with a float weight, by module path.
    llvm::StringMap<SmallVector<LinearLikeOpInterface, 1>> byPath;
    root->walk([&](LinearLikeOpInterface layer) {
      if (std::optional<StringRef> p = layer.getModulePath();
          p && layer.getDenseWeightOperand())
        byPath[*p].push_back(layer);
    });
    SmallVector<std::pair<LinearLikeOpInterface, const LrqatModule *>> plan;
    for (const LrqatModule &module : (*checkpoint)->getModules()) {
      std::string layerPath = applyModuleMap(moduleMap, module.path);
      auto it = byPath.find(layerPath);
      if (it == byPath.end() || it->second.empty()) {
        emitError(root->getLoc())
            << "peft-lrqat-load: module '" << module.path << "'"
            << (layerPath != module.path ? " (mapped to '" + layerPath + "')"
                                         : std::string())
            << " of the checkpoint matches no linear layer with a float weight";
        return signalPassFailure();
      }
      if (it->second.size() > 1) {
        emitError(root->getLoc()) << "peft-lrqat-load: module path '"
                                  << layerPath << "' names "
                                  << it->second.size() << " layers";
        return signalPassFailure();
      }
      LinearLikeOpInterface layer = it->second.front();
      if (layer.getOutFeatures() != module.out ||
          layer.getInFeatures() != module.in) {
        layer->emitError() << "peft-lrqat-load: tensor '"
                           << module.phi0->name << "' is [" << module.out
                           << ", " << module.in << "] but layer "
                           << layer.describeLayer() << " has "
                           << layer.getOutFeatures() << " outputs and "
                           << layer.getInFeatures() << " inputs";
        return signalPassFailure();
      }
      plan.emplace_back(layer, &module);
    }

    OpBuilder builder(&getContext());
    for (auto [layer, module] : plan) {
      LrqatParams params;
      params.bits = config.bits;
      params.phi = config.phi;
      params.rank = config.rank;
      params.alpha = config.alpha;
      params.groupSize = config.groupSize;
      params.scales = module->scale;
      params.loraA = module->loraA;
      params.loraB = module->loraB;
      if (config.phi == PhiFormat::Fixed || config.phi == PhiFormat::Int) {
        params.phiStored.resize(module->phi0->data.size());
        for (size_t i = 0; i < params.phiStored.size(); ++i)
          params.phiStored[i] = int8_t(module->phi0->data[i]);
      } else {
        params.phiStored = module->phiValues;
      }
      std::string stem = getWeightStem(layer);
      replaceWithLrqatLinear(builder, layer, params, stem);
    }
  }
};

} // namespace
