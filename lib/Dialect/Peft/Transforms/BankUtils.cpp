//===- BankUtils.cpp - helpers shared by the adapter bank passes ----------===//

#include "BankUtils.h"

using namespace mlir;
using namespace mlir::peft;

LoraBankOp mlir::peft::getLayerBank(LinearLikeOpInterface layer) {
  for (AdapterOpInterface adapter : getAdapterStack(layer))
    if (auto bank = dyn_cast<LoraBankOp>(adapter.getOperation()))
      return bank;
  return {};
}

static SmallVector<std::string> taskNames(LoraBankOp bank) {
  SmallVector<std::string> names;
  if (std::optional<ArrayAttr> tasks = bank.getTasks())
    for (StringRef name : tasks->getAsValueRange<StringAttr>())
      names.push_back(name.str());
  return names;
}

std::string mlir::peft::formatTaskList(ArrayRef<std::string> tasks) {
  if (tasks.empty())
    return "none";
  std::string text;
  for (const std::string &task : tasks)
    text += (text.empty() ? "'" : ", '") + task + "'";
  return text;
}

FailureOr<BankSet> mlir::peft::collectBanks(StringRef pass, Operation *root,
                                            bool allowRuntime) {
  BankSet set;
  LoraBankOp first;
  bool ok = true;
  root->walk([&](LoraBankOp bank) {
    if (bank.isRuntime() && !allowRuntime) {
      bank.emitError(pass) << ": a runtime bank takes its tasks at run time "
                              "(peft-run --task-adapter); this pass needs "
                              "the bank's tasks in the IR";
      ok = false;
      return;
    }
    SmallVector<std::string> names = taskNames(bank);
    if (!first) {
      first = bank;
      set.tasks = names;
    } else if (names != set.tasks) {
      InFlightDiagnostic diag =
          bank.emitError(pass)
          << ": the banks of a module must list the same tasks in the same "
             "order (a task id indexes it); this bank has "
          << formatTaskList(names) << ", another has "
          << formatTaskList(set.tasks);
      diag.attachNote(first.getLoc()) << "the other bank";
      ok = false;
    }
    set.banks.push_back(bank);
  });
  if (!ok)
    return failure();
  return set;
}
