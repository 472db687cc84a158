//===- LoraUtils.cpp - helpers shared by the LoRA passes ------------------===//

#include "LoraUtils.h"
#include "peft/Dialect/Peft/Utils/Weights.h"

using namespace mlir;
using namespace mlir::peft;

bool mlir::peft::isSelectedAdapter(StringRef name,
                                   ArrayRef<std::string> names) {
  return names.empty() || llvm::is_contained(names, name);
}

/// Erases a merged adapter: its result becomes its base; its parameters go
/// when nothing else uses them.
static void dropAdapter(AdapterOpInterface adapter) {
  SmallVector<Value> operands(adapter->getOperands());
  adapter->getResult(0).replaceAllUsesWith(adapter.getAdapterBase());
  adapter->erase();
  for (Value operand : operands)
    eraseWeightIfDead(operand);
}

LogicalResult mlir::peft::changeMergeState(Operation *root,
                                           ArrayRef<std::string> names,
                                           bool toMerged, bool drop) {
  SmallVector<LinearLikeOpInterface> layers;
  root->walk([&](LinearLikeOpInterface layer) { layers.push_back(layer); });
  bool failedAny = false;
  for (LinearLikeOpInterface layer : layers) {
    SmallVector<AdapterOpInterface> stack = getAdapterStack(layer);
    if (!toMerged)
      std::reverse(stack.begin(), stack.end());
    SmallVector<AdapterOpInterface> merged;
    for (AdapterOpInterface adapter : stack) {
      if (!isSelectedAdapter(adapter.getAdapterName(), names))
        continue;
      if (adapter.isMerged() == toMerged) {
        if (toMerged)
          merged.push_back(adapter);
        continue;
      }
      // An adapter that is not reversible erases itself when merged: it
      // must not be touched afterwards.
      bool stays = adapter.isReversible();
      if (failed(checkMergeStateChange(adapter, toMerged)) ||
          failed(toMerged ? adapter.merge() : adapter.unmerge())) {
        failedAny = true;
        break; // the adapters above depend on this one's state
      }
      if (toMerged && stays)
        merged.push_back(adapter);
    }
    if (drop)
      for (AdapterOpInterface adapter : llvm::reverse(merged))
        dropAdapter(adapter);
  }
  return failure(failedAny);
}
