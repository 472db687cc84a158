//===- UnmergeLora.cpp - placeholder ----------------------------------------------===//
// PLACEHOLDER: replaced by the real pass.

#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/ONNX/IR/ONNXDialect.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTUNMERGELORA
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;

namespace {
struct PassUnmergeLora : public peft::impl::PeftUnmergeLoraBase<PassUnmergeLora> {
  using Base::Base;
  void runOnOperation() override {
    getOperation()->emitError("not implemented yet");
    signalPassFailure();
  }
};
} // namespace
