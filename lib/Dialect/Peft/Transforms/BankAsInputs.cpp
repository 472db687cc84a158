//===- BankAsInputs.cpp - adapter banks as function arguments -------------===//
//
// peft-bank-as-inputs: one compiled model runs any set of up to max-tasks
// LoRA tasks whose ranks on each layer add up to at most max-total-rank.
// Each bank becomes a runtime bank whose stacked A and B, rank offsets and
// scales are new function arguments, filled per call from PEFT adapter
// directories (peft-run --task-adapter, Module.run(tasks=...)).
//
//===----------------------------------------------------------------------===//

#include "BankUtils.h"
#include "LayerSelection.h"
#include "LoraUtils.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/Naming.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTBANKASINPUTS
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {
constexpr StringLiteral kPass = "peft-bank-as-inputs";

struct PeftBankAsInputsPass
    : public peft::impl::PeftBankAsInputsBase<PeftBankAsInputsPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

void PeftBankAsInputsPass::runOnOperation() {
  ModuleOp module = getOperation();
  Location loc = module.getLoc();
  if (maxTasks <= 0 || maxTotalRank <= 0) {
    emitError(loc, kPass) << ": max-tasks and max-total-rank must be > 0, "
                             "got "
                          << int64_t(maxTasks) << " and "
                          << int64_t(maxTotalRank);
    return signalPassFailure();
  }
  FailureOr<BankSet> banks = collectBanks(kPass, module);
  if (failed(banks))
    return signalPassFailure();

  // The layers: those with a bank, and those the target options select.
  llvm::SetVector<Operation *> layers;
  for (LoraBankOp bank : banks->banks)
    if (LinearLikeOpInterface layer = bank.getLayer())
      layers.insert(layer);
  if (!targets.empty() || !targetRegex.empty() || !roles.empty()) {
    FailureOr<LayerSelection> selection =
        LayerSelection::get(loc, kPass, targets, targetRegex, roles);
    if (failed(selection))
      return signalPassFailure();
    module.walk([&](LinearLikeOpInterface layer) {
      if (selection->contains(layer))
        layers.insert(layer);
    });
  }
  if (layers.empty()) {
    emitError(loc, kPass) << ": no layer to give a runtime bank: the module "
                             "has no bank and 'targets'/'roles' select none";
    return signalPassFailure();
  }

  // Check everything first: an error leaves the module unchanged.
  bool ok = true;
  llvm::StringSet<> names;
  module.walk([&](func::FuncOp fn) {
    for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
      if (auto name = fn.getArgAttrOfType<StringAttr>(i, "onnx.name"))
        names.insert(name.getValue());
  });
  for (Operation *op : layers) {
    auto layer = cast<LinearLikeOpInterface>(op);
    auto fn = op->getParentOfType<func::FuncOp>();
    if (!layer.getModulePath()) {
      layer->emitError(kPass) << ": the layer has no module path to name its "
                                 "runtime bank inputs after";
      ok = false;
    } else if (!fn || !fn.isPublic() || fn->getParentOp() != module) {
      layer->emitError(kPass) << ": layer " << layer.describeLayer()
                              << " is not in a public function of the module";
      ok = false;
    } else if (failed(checkAdaptableLayer(kPass, layer))) {
      ok = false;
    } else {
      RuntimeBankInputNames inputs =
          getRuntimeBankInputNames(*layer.getModulePath());
      for (const std::string &name :
           {inputs.loraA, inputs.loraB, inputs.offsets, inputs.scales})
        if (!names.insert(name).second) {
          layer->emitError(kPass)
              << ": runtime input '" << name << "' is not unique";
          ok = false;
        }
    }
  }
  if (!ok)
    return signalPassFailure();
  for (LoraBankOp bank : banks->banks)
    if (!bank.getTasks()->empty())
      bank.emitRemark(kPass)
          << ": the bank's tasks " << formatTaskList(banks->tasks)
          << " are dropped; a runtime bank takes its tasks at run time";

  MLIRContext *ctx = &getContext();
  auto nameAttr = StringAttr::get(ctx, "onnx.name");
  llvm::DenseMap<Operation *, Value> routes;
  for (LoraBankOp bank : banks->banks)
    if (Value ids = bank.getTaskIds())
      routes[bank->getParentOfType<func::FuncOp>()] = ids;
  for (Operation *op : layers) {
    auto layer = cast<LinearLikeOpInterface>(op);
    auto fn = op->getParentOfType<func::FuncOp>();
    int64_t in = layer.getInFeatures(), out = layer.getOutFeatures();
    Type elementType = cast<RankedTensorType>(layer.getLinearOutput().getType())
                           .getElementType();
    RuntimeBankInputNames inputs =
        getRuntimeBankInputNames(*layer.getModulePath());
    SmallVector<Type> types = {
        RankedTensorType::get({maxTotalRank, in}, elementType),
        RankedTensorType::get({out, maxTotalRank}, elementType),
        RankedTensorType::get({maxTasks + 1}, IntegerType::get(ctx, 64)),
        RankedTensorType::get({maxTasks}, elementType)};
    SmallVector<DictionaryAttr> attrs;
    for (const std::string &name :
         {inputs.loraA, inputs.loraB, inputs.offsets, inputs.scales})
      attrs.push_back(DictionaryAttr::get(
          ctx, {NamedAttribute(nameAttr, StringAttr::get(ctx, name))}));
    unsigned first = fn.getNumArguments();
    Location argLoc = op->getLoc();
    if (failed(fn.insertArguments({first, first, first, first}, types, attrs,
                                  {argLoc, argLoc, argLoc, argLoc})))
      return signalPassFailure();
    Value a = fn.getArgument(first), b = fn.getArgument(first + 1);
    Value offsets = fn.getArgument(first + 2),
          scales = fn.getArgument(first + 3);

    if (LoraBankOp bank = getLayerBank(layer)) {
      Value oldA = bank.getLoraA(), oldB = bank.getLoraB();
      bank.getLoraAMutable().assign(a);
      bank.getLoraBMutable().assign(b);
      bank.getRankOffsetsMutable().assign(offsets);
      bank.getTaskScalesMutable().assign(scales);
      bank.removeTasksAttr();
      bank.removeRanksAttr();
      bank.removeScalesAttr();
      eraseWeightIfDead(oldA);
      eraseWeightIfDead(oldB);
      continue;
    }
    Value top = getAdapterStackTop(layer);
    OpBuilder builder(ctx);
    builder.setInsertionPointAfterValue(top);
    auto bank = LoraBankOp::create(
        builder, op->getLoc(), top.getType(), layer.getLinearInput(), top, a, b,
        routes.lookup(fn), offsets, scales, /*tasks=*/ArrayAttr(),
        /*ranks=*/DenseI64ArrayAttr(), /*scales=*/DenseF64ArrayAttr(),
        /*adapter=*/StringAttr());
    top.replaceAllUsesExcept(bank.getResult(), bank);
  }
}
