//===- Pipelines.h - registered end-to-end pass pipelines -------*- C++ -*-===//

#ifndef PEFT_PIPELINES_PIPELINES_H
#define PEFT_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"
#include "mlir/Support/LLVM.h"

namespace mlir {
class DialectRegistry;
class OpPassManager;
namespace peft {

/// Options of `peft-lower-to-llvm`.
struct LowerToLLVMOptions : public PassPipelineOptions<LowerToLLVMOptions> {
  PassOptions::Option<bool> runtimeErrors{
      *this, "runtime-errors",
      llvm::cl::desc("Failed run-time checks (cf.assert) call the runtime's "
                     "error handler @peft_runtime_error, which peft-run and "
                     "Module.run define, instead of aborting the process "
                     "(peft-cpu-runtime-errors)"),
      llvm::cl::init(false)};
};

/// Appends the CPU lowering (peft/linalg on tensors -> LLVM dialect) to `pm`,
/// which must be anchored on a builtin.module; `runtimeErrors` as the
/// option of that name.
LogicalResult buildLowerToLLVMPipeline(OpPassManager &pm,
                                       raw_ostream &errorStream,
                                       bool runtimeErrors = false);

/// Parses `pipeline` into `pm`, which must be anchored on a builtin.module.
/// Accepts both the anchored form `builtin.module(a,b)` and the bare list
/// `a,b` (parsing the anchored form into a module pass manager directly would
/// nest it and run it on nested modules only).
LogicalResult parseModulePassPipeline(StringRef pipeline, OpPassManager &pm,
                                      raw_ostream &errorStream);

/// Registers `peft-lower-to-llvm` (once; later calls do nothing) and the
/// peft-cpu-* passes it runs.
void registerPipelines();

/// Registers every pass that `peft-lower-to-llvm` and `peft-lower-to-nvvm`
/// name, ours and upstream's, so that they parse without registering every
/// upstream pass. Calling it again does no harm.
void registerPipelinePasses();

/// Inserts what the passes of both pipelines need in a context besides the
/// dialects they load themselves: the interface models they use
/// (bufferization, buffer deallocation, tiling, subsets, value bounds,
/// conversion to LLVM, the NVVM target) and the translations of their output
/// to LLVM IR.
void registerPipelineDialects(DialectRegistry &registry);

} // namespace peft
} // namespace mlir

#endif // PEFT_PIPELINES_PIPELINES_H
