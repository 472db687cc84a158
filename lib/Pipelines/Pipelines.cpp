//===- Pipelines.cpp - the CPU pipeline peft-lower-to-llvm ----------------===//
//
// Assembles `peft-lower-to-llvm` from upstream passes and the peft-cpu-*
// passes (each in lib/Codegen/CPU/<Name>.cpp: entry-point ABI, polynomial
// math, register tiling and vectorization of contractions, loop outlining).
// Matmuls get an outer-product micro-kernel with C in vector registers;
// everything else runs as loops, which LLVM's loop vectorizer takes where the
// innermost dimension is contiguous.
//
//===----------------------------------------------------------------------===//

#include "peft/Pipelines/Pipelines.h"
#include "peft/Codegen/CPU/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

// Written as a textual pipeline: every element is an upstream or peft pass
// registered by name, and the text is what a user would pass to peft-opt.
//  0. Public functions get the C interface and read-only arguments.
//  1. Fold ONNX shape arithmetic; onnx/peft -> linalg on tensors (int4/int8
//     qlinears -> vectorized dequantizing kernels on tensors); fuse
//     elementwise chains; polynomial erf/exp/tanh (vectorizable).
//  2. Register-tile and vectorize contractions; keep the C tile in registers
//     across the K loop (loop-invariant-subset-hoisting).
//  3. Bufferize (function results become memrefs the caller frees), free
//     temporaries, lower the remaining linalg ops to loops, one function
//     per loop nest.
//  4. With `runtime-errors`, failed run-time checks (cf.assert) call the
//     runtime's error handler instead of aborting; vector.contract -> outer
//     products -> FMAs; everything to LLVM.
static constexpr const char *kLowerToLLVMFront =
    "peft-cpu-mark-entry-points,"
    "func.func(onnx-decompose-contrib-ops),"
    "func.func(onnx-decompose-fused-ops),"
    "func.func(onnx-cleanup,convert-onnx-to-linalg,"
    "convert-peft-qlinear-to-vector,convert-peft-to-linalg),"
    "func.func(linalg-fuse-elementwise-ops,peft-cpu-approximate-math,"
    "canonicalize,cse),"
    "func.func(peft-cpu-tile-contractions,canonicalize,"
    "peft-cpu-vectorize-tiles,loop-invariant-subset-hoisting,canonicalize,"
    "cse),"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-deallocation-pipeline,convert-bufferization-to-memref,"
    "func.func(convert-linalg-to-loops,convert-vector-to-scf{full-unroll},"
    "canonicalize,cse),peft-cpu-outline-loops,";
// (peft-cpu-runtime-errors here with `runtime-errors`.)
static constexpr const char *kLowerToLLVMBack =
    "convert-scf-to-cf,expand-strided-metadata,lower-affine,"
    "convert-vector-to-llvm{vector-contract-lowering=outerproduct},"
    "finalize-memref-to-llvm,convert-math-to-llvm,convert-math-to-libm,"
    "convert-arith-to-llvm,convert-index-to-llvm,convert-func-to-llvm,"
    "convert-cf-to-llvm,convert-ub-to-llvm,reconcile-unrealized-casts";

LogicalResult mlir::peft::parseModulePassPipeline(StringRef pipeline,
                                                  OpPassManager &pm,
                                                  raw_ostream &errorStream) {
  StringRef passes = pipeline.trim();
  if (passes.consume_front("builtin.module(")) {
    if (!passes.consume_back(")")) {
      errorStream << "unbalanced parentheses in '" << pipeline << "'";
      return failure();
    }
  }
  return parsePassPipeline(passes, pm, errorStream);
}

LogicalResult mlir::peft::buildLowerToLLVMPipeline(OpPassManager &pm,
                                                   raw_ostream &errorStream,
                                                   bool runtimeErrors) {
  return parsePassPipeline(
      std::string(kLowerToLLVMFront) +
          (runtimeErrors ? "peft-cpu-runtime-errors," : "") + kLowerToLLVMBack,
      pm, errorStream);
}

void mlir::peft::registerPipelines() {
  registerPeftCPUCodegenPasses();
  if (PassPipelineInfo::lookup("peft-lower-to-llvm"))
    return;
  PassPipelineRegistration<LowerToLLVMOptions>(
      "peft-lower-to-llvm",
      "Lower a module of onnx/peft/linalg ops on tensors to the LLVM dialect "
      "for CPU execution (register-tiled, vectorized contractions; bufferize; "
      "loops; LLVM conversions)",
      [](OpPassManager &pm, const LowerToLLVMOptions &options) {
        if (failed(buildLowerToLLVMPipeline(pm, llvm::errs(),
                                            options.runtimeErrors)))
          llvm::report_fatal_error("peft-lower-to-llvm: malformed pipeline");
      });
}
