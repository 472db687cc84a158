//===- InitAll.h - register every peft-mlir dialect and pass ----*- C++ -*-===//

#ifndef PEFT_INITALL_H
#define PEFT_INITALL_H

namespace mlir {
class DialectRegistry;
namespace peft {

/// Inserts the peft-mlir dialects (no upstream ones) into `registry`.
void registerPeftDialects(DialectRegistry &registry);

/// Registers the peft-mlir passes and pipelines (no upstream ones).
void registerPeftPasses();

/// Inserts the upstream dialects and interface extensions our pipelines use
/// (func, arith, math, tensor, linalg, bufferization, scf, memref, gpu, nvvm,
/// llvm, quant, transform, ...) plus ours.
void registerAllDialects(DialectRegistry &registry);

/// Registers upstream passes and ours.
void registerAllPasses();

} // namespace peft
} // namespace mlir

#endif // PEFT_INITALL_H
