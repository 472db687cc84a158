//===- SelectTask.cpp - specialize the adapter banks to one task ----------===//
//
// peft-select-task replaces every bank by the chosen task's own `peft.lora`
// (its rows of A and columns of B, its scale; named after the task), which
// peft-merge-lora can then fold into the weights, or by nothing where the
// task has rank 0. A routing input that no bank uses any more goes too.
//
//===----------------------------------------------------------------------===//

#include "BankUtils.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/PeftAdapter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTSELECTTASK
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {
constexpr StringLiteral kPass = "peft-select-task";

struct PeftSelectTaskPass
    : public peft::impl::PeftSelectTaskBase<PeftSelectTaskPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  void select(LoraBankOp bank, int64_t task);
};
} // namespace

void PeftSelectTaskPass::select(LoraBankOp bank, int64_t task) {
  Value result = bank.getBase();
  int64_t rank = (*bank.getRanks())[task];
  if (rank > 0) {
    LinearLikeOpInterface linear = bank.getLayer();
    int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
    int64_t offset = bank.getRankOffsetValues()[task];
    int64_t total = bank.getRankOffsetValues().back();
    std::vector<double> stackedA =
        *Weight::lookup(bank.getLoraA())->readValues<double>();
    std::vector<double> stackedB =
        *Weight::lookup(bank.getLoraB())->readValues<double>();
    std::vector<double> a(stackedA.begin() + offset * in,
                          stackedA.begin() + (offset + rank) * in);
    std::vector<double> b(out * rank);
    for (int64_t o = 0; o < out; ++o)
      std::copy_n(stackedB.data() + o * total + offset, rank,
                  b.data() + o * rank);
    OpBuilder builder(bank);
    Location loc = bank.getLoc();
    Type elementType = bank.getBase().getType().getElementType();
    StringRef path =
        linear.getModulePath() ? *linear.getModulePath() : StringRef();
    auto weight = [&](AdapterTensorKind kind, ArrayRef<int64_t> shape,
                      ArrayRef<double> values) {
      return createWeight<double>(
          builder, loc, getAdapterTensorName(path, kind, taskName),
          RankedTensorType::get(shape, elementType), values);
    };
    Value aValue = weight(AdapterTensorKind::LoraA, {rank, in}, a);
    Value bValue = weight(AdapterTensorKind::LoraB, {out, rank}, b);
    result = LoraOp::create(
        builder, loc, bank.getType(), bank.getInput(), bank.getBase(), aValue,
        bValue, /*magnitude=*/Value(), /*weight_norm=*/Value(),
        builder.getF64FloatAttr((*bank.getScales())[task]),
        builder.getStringAttr(taskName), /*merged=*/nullptr);
  }
  SmallVector<Value> operands = {bank.getLoraA(), bank.getLoraB()};
  bank.getResult().replaceAllUsesWith(result);
  bank.erase();
  for (Value operand : operands)
    eraseWeightIfDead(operand);
}

void PeftSelectTaskPass::runOnOperation() {
  Operation *root = getOperation();
  if (taskName.empty()) {
    emitError(root->getLoc(), kPass) << ": the 'task' option is required";
    return signalPassFailure();
  }
  FailureOr<BankSet> banks = collectBanks(kPass, root);
  if (failed(banks))
    return signalPassFailure();
  if (banks->banks.empty()) {
    emitError(root->getLoc(), kPass)
        << ": the module has no adapter bank (add tasks with peft-add-task)";
    return signalPassFailure();
  }
  auto *it = llvm::find(banks->tasks, taskName);
  if (it == banks->tasks.end()) {
    emitError(root->getLoc(), kPass)
        << ": the bank has no task '" << taskName
        << "' (tasks: " << formatTaskList(banks->tasks) << ")";
    return signalPassFailure();
  }
  int64_t task = it - banks->tasks.begin();
  llvm::SetVector<Value> routes;
  for (LoraBankOp bank : banks->banks) {
    if (Value ids = bank.getTaskIds())
      routes.insert(ids);
    select(bank, task);
  }
  // Routing inputs nothing reads any more.
  for (Value ids : routes) {
    auto arg = dyn_cast<BlockArgument>(ids);
    auto fn = arg ? dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp())
                  : func::FuncOp();
    if (fn && arg.use_empty() && arg.getOwner() == &fn.getBody().front() &&
        failed(fn.eraseArgument(arg.getArgNumber())))
      return signalPassFailure();
  }
}
