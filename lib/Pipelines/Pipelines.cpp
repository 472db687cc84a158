//===- Pipelines.cpp - registered end-to-end pass pipelines ---------------===//

#include "peft/Pipelines/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

// Written as textual pipelines: every element is an upstream or peft pass
// registered by name, and the text is what a user would pass to peft-opt.
static constexpr const char *kLowerToLLVM =
    "func.func(convert-peft-to-linalg),"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-deallocation-pipeline,"
    "func.func(convert-linalg-to-loops),"
    "convert-scf-to-cf,expand-strided-metadata,lower-affine,"
    "finalize-memref-to-llvm,convert-math-to-llvm,convert-arith-to-llvm,"
    "convert-index-to-llvm,convert-func-to-llvm,convert-cf-to-llvm,"
    "convert-ub-to-llvm,reconcile-unrealized-casts";

LogicalResult mlir::peft::buildLowerToLLVMPipeline(OpPassManager &pm,
                                                   raw_ostream &errorStream) {
  return parsePassPipeline(kLowerToLLVM, pm, errorStream);
}

void mlir::peft::registerPipelines() {
  PassPipelineRegistration<>(
      "peft-lower-to-llvm",
      "Lower a module of peft/linalg ops on tensors to the LLVM dialect for "
      "CPU execution (bufferize, loops, LLVM conversions)",
      [](OpPassManager &pm) {
        if (failed(buildLowerToLLVMPipeline(pm, llvm::errs())))
          llvm::report_fatal_error("peft-lower-to-llvm: malformed pipeline");
      });
}
