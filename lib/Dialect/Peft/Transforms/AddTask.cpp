//===- AddTask.cpp - add a PEFT adapter to the bank as a new task ---------===//
//
// peft-add-task appends one task to every bank: the adapter's A rows and B
// columns after those of the earlier tasks (whose values are copied exactly,
// so their outputs do not change), rank 0 where the adapter does not touch a
// layer that has a bank, and a new bank on a layer that had none (earlier
// tasks at rank 0 there). Every tensor is read and checked before the IR
// changes.
//
//===----------------------------------------------------------------------===//

#include "BankUtils.h"
#include "LoraUtils.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/PeftAdapter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTADDTASK
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {
constexpr StringLiteral kPass = "peft-add-task";

/// The new task's adapter on one layer (rank 0: none).
struct TaskLayer {
  LinearLikeOpInterface linear;
  int64_t rank = 0;
  std::vector<double> a, b; // [rank, in], [out, rank]
  double scale = 0.0;
};

struct PeftAddTaskPass : public peft::impl::PeftAddTaskBase<PeftAddTaskPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  void apply(TaskLayer &plan, ArrayRef<std::string> tasks,
             const llvm::DenseMap<Operation *, Value> &routes);
};
} // namespace

/// Appends the new task to the layer's bank, or creates the bank.
void PeftAddTaskPass::apply(TaskLayer &plan, ArrayRef<std::string> tasks,
                            const llvm::DenseMap<Operation *, Value> &routes) {
  LinearLikeOpInterface linear = plan.linear;
  int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
  LoraBankOp bank = getLayerBank(linear);
  std::vector<double> oldA, oldB;
  SmallVector<int64_t> ranks(tasks.size() - 1, 0);
  SmallVector<double> scales(tasks.size() - 1, 0.0);
  int64_t oldRank = 0;
  if (bank) {
    oldRank = bank.getRankOffsetValues().back();
    ranks.assign(bank.getRanks()->begin(), bank.getRanks()->end());
    scales.assign(bank.getScales()->begin(), bank.getScales()->end());
    // Read exactly: double holds every f16/bf16/f32/f64 value, so the
    // earlier tasks keep their very bits.
    oldA = *Weight::lookup(bank.getLoraA())->readValues<double>();
    oldB = *Weight::lookup(bank.getLoraB())->readValues<double>();
  }
  ranks.push_back(plan.rank);
  scales.push_back(plan.rank ? plan.scale : 0.0);
  int64_t total = oldRank + plan.rank;

  std::vector<double> a = std::move(oldA);
  a.insert(a.end(), plan.a.begin(), plan.a.end());
  std::vector<double> b(out * total);
  for (int64_t o = 0; o < out; ++o) {
    std::copy_n(oldB.data() + o * oldRank, oldRank, b.data() + o * total);
    std::copy_n(plan.b.data() + o * plan.rank, plan.rank,
                b.data() + o * total + oldRank);
  }

  OpBuilder builder(&getContext());
  Value top = getAdapterStackTop(linear);
  if (bank)
    builder.setInsertionPoint(bank);
  else
    builder.setInsertionPointAfterValue(top);
  Location loc = linear->getLoc();
  Type elementType = cast<RankedTensorType>(top.getType()).getElementType();
  StringRef path =
      linear.getModulePath() ? *linear.getModulePath() : StringRef();
  StringRef bankName = bank ? bank.getAdapterName() : StringRef("bank");
  Value newA = createWeight<double>(
      builder, loc,
      getAdapterTensorName(path, AdapterTensorKind::LoraA, bankName),
      RankedTensorType::get({total, in}, elementType), a);
  Value newB = createWeight<double>(
      builder, loc,
      getAdapterTensorName(path, AdapterTensorKind::LoraB, bankName),
      RankedTensorType::get({out, total}, elementType), b);
  SmallVector<StringRef> names(tasks.begin(), tasks.end());
  ArrayAttr taskAttr = builder.getStrArrayAttr(names);
  if (bank) {
    Value oldAValue = bank.getLoraA(), oldBValue = bank.getLoraB();
    bank.getLoraAMutable().assign(newA);
    bank.getLoraBMutable().assign(newB);
    bank.setTasksAttr(taskAttr);
    bank.setRanks(ranks);
    bank.setScales(scales);
    eraseWeightIfDead(oldAValue);
    eraseWeightIfDead(oldBValue);
    return;
  }
  auto fn = linear->getParentOfType<func::FuncOp>();
  Value taskIds = fn ? routes.lookup(fn) : Value();
  auto created = LoraBankOp::create(
      builder, loc, top.getType(), linear.getLinearInput(), top, newA, newB,
      taskIds, /*rank_offsets=*/Value(), /*task_scales=*/Value(), taskAttr,
      builder.getDenseI64ArrayAttr(ranks), builder.getDenseF64ArrayAttr(scales),
      /*adapter=*/StringAttr());
  top.replaceAllUsesExcept(created.getResult(), created);
}

void PeftAddTaskPass::runOnOperation() {
  Operation *root = getOperation();
  if (taskName.empty() || path.empty()) {
    emitError(root->getLoc(), kPass)
        << ": the 'name' and 'path' options are required (the task's name "
           "and its PEFT adapter directory)";
    return signalPassFailure();
  }
  FailureOr<BankSet> banks = collectBanks(kPass, root);
  if (failed(banks))
    return signalPassFailure();
  if (llvm::is_contained(banks->tasks, taskName)) {
    emitError(root->getLoc(), kPass)
        << ": the bank already has a task '" << taskName
        << "' (tasks: " << formatTaskList(banks->tasks) << ")";
    return signalPassFailure();
  }
  auto fail = [&](llvm::Error err) {
    emitError(root->getLoc(), kPass) << ": " << llvm::toString(std::move(err));
    signalPassFailure();
  };
  llvm::Expected<std::unique_ptr<PeftAdapter>> adapter =
      PeftAdapter::open(path);
  if (!adapter)
    return fail(adapter.takeError());
  const AdapterConfig &config = (*adapter)->getConfig();
  if (config.peftType != PeftType::Lora || config.useDora) {
    emitError(root->getLoc(), kPass)
        << ": '" << (*adapter)->getFiles().configPath
        << "' is not a plain LoRA adapter; a bank holds LoRA tasks only "
           "(DoRA and IA³ cannot be routed per row)";
    return signalPassFailure();
  }

  bool ok = true;
  auto unmatched = [&](const Twine &message) {
    if (allowUnmatched) {
      emitWarning(root->getLoc(), kPass) << ": " << message << "; ignored";
      return;
    }
    emitError(root->getLoc(), kPass) << ": " << message;
    ok = false;
  };
  for (const SafeTensor *tensor : (*adapter)->getOtherTensors())
    unmatched((*adapter)->describeOtherTensor(*tensor));

  LayersByPath layers = collectLayersByPath(root);
  std::vector<TaskLayer> plans;
  llvm::DenseSet<Operation *> planned;
  for (const AdapterModule &module : (*adapter)->getModules()) {
    if (llvm::Error err = (*adapter)->checkModule(module)) {
      emitError(root->getLoc(), kPass)
          << ": " << llvm::toString(std::move(err));
      ok = false;
      continue;
    }
    std::string layerPath = applyModuleMap(moduleMap, module.path);
    const auto *matched = layers.lookup(layerPath);
    if (!matched) {
      unmatched(layers.describeUnmatched(module.path, layerPath));
      continue;
    }
    for (LinearLikeOpInterface linear : *matched) {
      if (failed(checkAdaptableLayer(kPass, linear))) {
        ok = false;
        continue;
      }
      TaskLayer plan;
      plan.linear = linear;
      plan.rank = module.loraA->shape[0];
      int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
      auto a = readLayerAdapterTensor(kPass, linear, *module.loraA,
                                      {plan.rank, in}, "lora_A");
      auto b = readLayerAdapterTensor(kPass, linear, *module.loraB,
                                      {out, plan.rank}, "lora_B");
      if (failed(a) || failed(b)) {
        ok = false;
        continue;
      }
      plan.a = std::move(*a);
      plan.b = std::move(*b);
      plan.scale = config.scaleFor(module.path);
      if (!planned.insert(linear).second)
        continue;
      plans.push_back(std::move(plan));
    }
  }
  if (!ok)
    return signalPassFailure();
  if (plans.empty()) {
    emitError(root->getLoc(), kPass)
        << ": the adapter '" << path << "' adapts no layer of the module";
    return signalPassFailure();
  }
  // Layers with a bank that the task leaves alone get rank 0.
  for (LoraBankOp bank : banks->banks)
    if (LinearLikeOpInterface linear = bank.getLayer();
        linear && planned.insert(linear).second) {
      TaskLayer plan;
      plan.linear = linear;
      plans.push_back(std::move(plan));
    }
  // The routing input of each function that is routed already.
  llvm::DenseMap<Operation *, Value> routes;
  for (LoraBankOp bank : banks->banks)
    if (Value ids = bank.getTaskIds())
      routes[bank->getParentOfType<func::FuncOp>()] = ids;

  SmallVector<std::string> tasks = banks->tasks;
  tasks.push_back(taskName);
  for (TaskLayer &plan : plans)
    apply(plan, tasks, routes);
}
