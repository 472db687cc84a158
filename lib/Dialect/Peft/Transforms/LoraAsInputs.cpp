//===- LoraAsInputs.cpp - placeholder ----------------------------------------------===//
// PLACEHOLDER: replaced by the real pass.

#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/ONNX/IR/ONNXDialect.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTLORAASINPUTS
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;

namespace {
struct PassLoraAsInputs : public peft::impl::PeftLoraAsInputsBase<PassLoraAsInputs> {
  using Base::Base;
  void runOnOperation() override {
    getOperation()->emitError("not implemented yet");
    signalPassFailure();
  }
};
} // namespace
