//===- RouteTasks.cpp - per-row task routing of the adapter banks ---------===//
//
// peft-route-tasks gives each public function that holds banks a new input,
// int64 [batch], and makes every bank of the function read it.
//
//===----------------------------------------------------------------------===//

#include "BankUtils.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTROUTETASKS
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {
constexpr StringLiteral kPass = "peft-route-tasks";

struct PeftRouteTasksPass
    : public peft::impl::PeftRouteTasksBase<PeftRouteTasksPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

void PeftRouteTasksPass::runOnOperation() {
  ModuleOp module = getOperation();
  FailureOr<BankSet> banks = collectBanks(kPass, module, /*allowRuntime=*/true);
  if (failed(banks))
    return signalPassFailure();
  if (banks->banks.empty()) {
    emitError(module.getLoc(), kPass)
        << ": the module has no adapter bank (add tasks with peft-add-task)";
    return signalPassFailure();
  }
  llvm::MapVector<func::FuncOp, SmallVector<LoraBankOp>> byFunction;
  bool ok = true;
  for (LoraBankOp bank : banks->banks) {
    auto fn = bank->getParentOfType<func::FuncOp>();
    if (!fn || !fn.isPublic() || fn->getParentOp() != module) {
      bank.emitError(kPass) << ": a bank must be in a public function of the "
                               "module, whose new input routes it";
      ok = false;
    } else if (bank.getTaskIds()) {
      bank.emitError(kPass) << ": the bank is routed already";
      ok = false;
    } else {
      byFunction[fn].push_back(bank);
    }
  }
  if (!ok)
    return signalPassFailure();

  MLIRContext *ctx = &getContext();
  auto nameAttr = StringAttr::get(ctx, "onnx.name");
  for (auto &[fn, fnBanks] : byFunction) {
    for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
      if (auto name = fn.getArgAttrOfType<StringAttr>(i, nameAttr);
          name && name.getValue() == inputName) {
        fn.emitError(kPass) << ": the function has an input named '"
                            << inputName << "' already; choose input-name";
        return signalPassFailure();
      }
    unsigned index = fn.getNumArguments();
    auto type = RankedTensorType::get({ShapedType::kDynamic},
                                      IntegerType::get(ctx, 64));
    auto attrs = DictionaryAttr::get(
        ctx, {NamedAttribute(nameAttr, StringAttr::get(ctx, inputName))});
    if (failed(fn.insertArgument(index, type, attrs, fn.getLoc())))
      return signalPassFailure();
    for (LoraBankOp bank : fnBanks)
      bank.getTaskIdsMutable().assign(fn.getArgument(index));
  }
}
