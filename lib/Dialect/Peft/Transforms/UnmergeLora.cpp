//===- UnmergeLora.cpp - take merged adapters out of the base weights -----===//
//
// Implements peft-unmerge-lora: every selected merged adapter is unmerged
// through its AdapterOpInterface, layer by layer from the top of its stack
// down, each change checked against the stack rule.
//
//===----------------------------------------------------------------------===//

#include "LoraUtils.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTUNMERGELORA
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {

struct PeftUnmergeLoraPass
    : public peft::impl::PeftUnmergeLoraBase<PeftUnmergeLoraPass> {
  using Base::Base;

  void runOnOperation() override {
    if (failed(changeMergeState(getOperation(), adapters,
                                /*toMerged=*/false)))
      signalPassFailure();
  }
};

} // namespace
