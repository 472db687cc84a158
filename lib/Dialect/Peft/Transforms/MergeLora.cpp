//===- MergeLora.cpp - fold adapters into the base weights ----------------===//
//
// Implements peft-merge-lora: every selected adapter is merged through its
// AdapterOpInterface, layer by layer from the bottom of its stack up, each
// merge checked against the stack rule (docs/lora.md, "Adapter stacks").
//
//===----------------------------------------------------------------------===//

#include "LoraUtils.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTMERGELORA
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {

struct PeftMergeLoraPass
    : public peft::impl::PeftMergeLoraBase<PeftMergeLoraPass> {
  using Base::Base;

  void runOnOperation() override {
    if (failed(changeMergeState(getOperation(), adapters, /*toMerged=*/true,
                                dropAdapters)))
      signalPassFailure();
  }
};

} // namespace
