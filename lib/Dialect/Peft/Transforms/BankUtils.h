//===- BankUtils.h - helpers shared by the adapter bank passes --*- C++ -*-===//
//
// peft-add-task, peft-select-task, peft-route-tasks and the rank policies
// see the banks of a module as one bank: every `peft.lora_bank` under the
// root lists the same tasks in the same order, since a task id indexes that
// order in every layer.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_DIALECT_PEFT_TRANSFORMS_BANKUTILS_H
#define PEFT_LIB_DIALECT_PEFT_TRANSFORMS_BANKUTILS_H

#include "peft/Dialect/Peft/IR/PeftOps.h"

#include <string>

namespace mlir::peft {

/// The bank in `layer`'s adapter stack, or null.
LoraBankOp getLayerBank(LinearLikeOpInterface layer);

/// The banks under `root` and the task list they share.
struct BankSet {
  SmallVector<LoraBankOp> banks;
  SmallVector<std::string> tasks;
};

/// Collects the banks under `root`. Fails, with an error starting with
/// `pass`, when two banks list different tasks or when `allowRuntime` is
/// false and a bank is a runtime bank.
FailureOr<BankSet> collectBanks(StringRef pass, Operation *root,
                                bool allowRuntime = false);

/// "'a', 'b'" (or "none") for diagnostics.
std::string formatTaskList(ArrayRef<std::string> tasks);

} // namespace mlir::peft

#endif // PEFT_LIB_DIALECT_PEFT_TRANSFORMS_BANKUTILS_H
