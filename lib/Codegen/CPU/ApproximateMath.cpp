//===- ApproximateMath.cpp - polynomial math for vectorizable loops -------===//
//
// peft-cpu-approximate-math: libm calls (erff, expf, tanhf) keep LLVM from
// vectorizing the elementwise loops of GELU and softmax; MLIR's polynomial
// approximations are branch-free f32 arithmetic (every test model stays
// within 1e-6 of onnxruntime).
//
//===----------------------------------------------------------------------===//

#include "peft/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::peft {
#define GEN_PASS_DEF_CPUAPPROXIMATEMATH
#include "peft/Codegen/CPU/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;

namespace {

struct CPUApproximateMathPass
    : public peft::impl::CPUApproximateMathBase<CPUApproximateMathPass> {
  using CPUApproximateMathBase::CPUApproximateMathBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(
        patterns, [this](StringRef name) {
          name.consume_front("math.");
          return llvm::is_contained(ops, name);
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
