//===- Pipelines.h - registered end-to-end pass pipelines -------*- C++ -*-===//

#ifndef PEFT_PIPELINES_PIPELINES_H
#define PEFT_PIPELINES_PIPELINES_H

#include "mlir/Support/LLVM.h"

namespace mlir {
class OpPassManager;
namespace peft {

/// Appends the CPU lowering (peft/linalg on tensors -> LLVM dialect) to `pm`,
/// which must be anchored on a builtin.module.
LogicalResult buildLowerToLLVMPipeline(OpPassManager &pm,
                                       raw_ostream &errorStream);

/// Registers `peft-lower-to-llvm` and the peft-cpu-* passes it runs.
void registerPipelines();

} // namespace peft
} // namespace mlir

#endif // PEFT_PIPELINES_PIPELINES_H
