//===- RaiseLinear.cpp - placeholder ----------------------------------------------===//
// PLACEHOLDER: replaced by the real pass.

#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/ONNX/IR/ONNXDialect.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTRAISELINEAR
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;

namespace {
struct PassRaiseLinear : public peft::impl::PeftRaiseLinearBase<PassRaiseLinear> {
  using Base::Base;
  void runOnOperation() override {
    getOperation()->emitError("not implemented yet");
    signalPassFailure();
  }
};
} // namespace
