//===- SelectRank.cpp - choose LoRA ranks by a policy and refactorize -----===//
//
// IR policy only: which adapters are re-ranked, the reference adapter of
// the distance policy, and how the new factors replace the old ones. The
// SVD, the policies and the refactorization are peft/Support/LowRank.h.
// Every adapter is planned first; the IR changes only when all succeeded.
//
//===----------------------------------------------------------------------===//

#include "LoraUtils.h"
#include "Report.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/PeftAdapter.h"

#include "llvm/Support/FormatVariadic.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTSELECTRANK
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

static constexpr StringLiteral pass = "peft-select-rank";

namespace {
/// The new rank of one adapter: a `peft.lora`, or one task of a bank.
struct Plan {
  LinearLikeOpInterface layer;
  LoraOp op;        // a plain adapter, or
  LoraBankOp bank;  // the bank of
  int64_t task = 0; // this task
  std::string name; // the adapter or task name
  int64_t oldRank = 0;
  lowrank::RankChoice choice;
  std::optional<double> distance;
  lowrank::LowRankFactors factors; // empty when the rank stays or is 0
};

struct PeftSelectRankPass
    : public peft::impl::PeftSelectRankBase<PeftSelectRankPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  llvm::Expected<std::unique_ptr<lowrank::RankPolicy>> createPolicy();
  FailureOr<Plan> planAdapter(LinearLikeOpInterface layer, LoraOp op,
                              const lowrank::RankPolicy &policy,
                              LoraOp reference);
  LogicalResult planBank(LinearLikeOpInterface layer, LoraBankOp bank,
                         const lowrank::RankPolicy &policy,
                         std::vector<Plan> &plans);
  LogicalResult choose(Plan &plan, const LoraFactors &factors,
                       const LoraFactors *referenceFactors,
                       const lowrank::RankPolicy &policy, Operation *at);
  void rebuildBank(LoraBankOp bank, ArrayRef<Plan *> plans);
};

/// Task `task` of a static bank: its rows of A, columns of B and scale.
LoraFactors readBankTask(LoraBankOp bank, int64_t task) {
  LinearLikeOpInterface layer = bank.getLayer();
  int64_t in = layer.getInFeatures(), out = layer.getOutFeatures();
  SmallVector<int64_t> offsets = bank.getRankOffsetValues();
  int64_t offset = offsets[task], rank = offsets[task + 1] - offset;
  int64_t total = offsets.back();
  std::vector<double> a =
      *Weight::lookup(bank.getLoraA())->readValues<double>();
  std::vector<double> b =
      *Weight::lookup(bank.getLoraB())->readValues<double>();
  LoraFactors factors;
  factors.a = numerics::Matrix<double>(rank, in);
  factors.b = numerics::Matrix<double>(out, rank);
  std::copy_n(a.data() + offset * in, rank * in, factors.a.data());
  for (int64_t o = 0; o < out; ++o)
    std::copy_n(b.data() + o * total + offset, rank,
                factors.b.data() + o * rank);
  factors.scale = (*bank.getScales())[task];
  return factors;
}
} // namespace

llvm::Expected<std::unique_ptr<lowrank::RankPolicy>>
PeftSelectRankPass::createPolicy() {
  switch (policy) {
  case RankPolicyKind::Energy:
    return lowrank::createEnergyPolicy(tau);
  case RankPolicyKind::Distance:
    if (reference.empty())
      return llvm::createStringError(
          "policy=distance needs reference=<adapter>");
    return lowrank::createDistancePolicy(rmin, rmax);
  case RankPolicyKind::Threshold:
    return lowrank::createThresholdPolicy(sigma);
  }
  llvm_unreachable("unknown policy");
}

FailureOr<Plan>
PeftSelectRankPass::planAdapter(LinearLikeOpInterface layer, LoraOp op,
                                const lowrank::RankPolicy &policy,
                                LoraOp referenceOp) {
  FailureOr<LoraFactors> factors = readLoraFactors(op, pass);
  if (failed(factors))
    return failure();
  Plan plan;
  plan.layer = layer;
  plan.op = op;
  plan.name = op.getAdapterName().str();
  plan.oldRank = op.getRank();
  std::optional<LoraFactors> ref;
  if (policy.needsReference()) {
    if (!referenceOp)
      return op->emitError()
             << pass << ": layer " << layer.describeLayer()
             << " has no reference adapter '" << reference << "'";
    FailureOr<LoraFactors> read = readLoraFactors(referenceOp, pass);
    if (failed(read))
      return failure();
    ref = std::move(*read);
  }
  if (failed(choose(plan, *factors, ref ? &*ref : nullptr, policy, op)))
    return failure();
  return plan;
}

/// Fills plan.choice, plan.distance and plan.factors from `factors` (and,
/// for the distance policy, the reference's factors).
LogicalResult PeftSelectRankPass::choose(Plan &plan, const LoraFactors &factors,
                                         const LoraFactors *referenceFactors,
                                         const lowrank::RankPolicy &policy,
                                         Operation *at) {
  if (referenceFactors)
    plan.distance = lowrank::relativeDistance(factors.getTerm(),
                                              referenceFactors->getTerm());
  auto fail = [&](llvm::Error err) {
    return at->emitError() << pass << ": adapter '" << plan.name
                           << "' on layer " << plan.layer.describeLayer()
                           << ": " << llvm::toString(std::move(err));
  };
  llvm::Expected<numerics::SVD<double>> svd =
      lowrank::lowRankSvd(factors.scale, factors.a.view(), factors.b.view());
  if (!svd)
    return fail(svd.takeError());
  llvm::Expected<lowrank::RankChoice> choice =
      policy.choose({svd->s, plan.oldRank, plan.distance});
  if (!choice)
    return fail(choice.takeError());
  plan.choice = *choice;
  if (plan.choice.rank != plan.oldRank && plan.choice.rank > 0) {
    if (factors.scale == 0)
      return at->emitError()
             << pass << ": adapter '" << plan.name << "' has scale 0";
    plan.factors = lowrank::truncate(*svd, plan.choice.rank, factors.scale);
  }
  return success();
}

/// Plans every selected task of rank > 0 of a static bank; the reference
/// of the distance policy is a task of the same bank.
LogicalResult PeftSelectRankPass::planBank(LinearLikeOpInterface layer,
                                           LoraBankOp bank,
                                           const lowrank::RankPolicy &policy,
                                           std::vector<Plan> &plans) {
  if (bank.isRuntime()) {
    if (adapters.empty())
      return success();
    return bank.emitError() << pass
                            << ": a runtime bank's tasks come at run "
                               "time and cannot be re-ranked";
  }
  std::optional<int64_t> referenceTask;
  std::optional<LoraFactors> referenceFactors;
  if (policy.needsReference()) {
    referenceTask = bank.lookupTask(reference);
    if (!referenceTask)
      return bank.emitError()
             << pass << ": the bank on layer " << layer.describeLayer()
             << " has no reference task '" << reference << "'";
    referenceFactors = readBankTask(bank, *referenceTask);
  }
  for (auto [task, name] :
       llvm::enumerate(bank.getTasks()->getAsValueRange<StringAttr>())) {
    int64_t rank = (*bank.getRanks())[task];
    if (rank == 0 || name == reference || !isSelectedAdapter(name, adapters))
      continue;
    Plan plan;
    plan.layer = layer;
    plan.bank = bank;
    plan.task = task;
    plan.name = name.str();
    plan.oldRank = rank;
    LoraFactors factors = readBankTask(bank, task);
    if (failed(choose(plan, factors,
                      referenceFactors ? &*referenceFactors : nullptr, policy,
                      bank)))
      return failure();
    plans.push_back(std::move(plan));
  }
  return success();
}

/// Restacks `bank` with the re-ranked tasks of `plans`; the other tasks keep
/// their exact values.
void PeftSelectRankPass::rebuildBank(LoraBankOp bank, ArrayRef<Plan *> plans) {
  LinearLikeOpInterface layer = bank.getLayer();
  int64_t in = layer.getInFeatures(), out = layer.getOutFeatures();
  int64_t numTasks = bank.getNumTasks();
  SmallVector<int64_t> ranks(bank.getRanks()->begin(), bank.getRanks()->end());
  std::vector<LoraFactors> tasks;
  for (int64_t t = 0; t < numTasks; ++t)
    tasks.push_back(readBankTask(bank, t));
  for (Plan *plan : plans) {
    ranks[plan->task] = plan->choice.rank;
    if (plan->choice.rank == plan->oldRank)
      continue;
    LoraFactors &task = tasks[plan->task];
    if (plan->choice.rank == 0) {
      task.a = numerics::Matrix<double>(0, in);
      task.b = numerics::Matrix<double>(out, 0);
    } else {
      task.a = std::move(plan->factors.a);
      task.b = std::move(plan->factors.b);
    }
  }
  int64_t total = 0;
  for (int64_t rank : ranks)
    total += rank;
  std::vector<double> a, b(out * total);
  int64_t offset = 0;
  for (auto [t, task] : llvm::enumerate(tasks)) {
    a.insert(a.end(), task.a.data(), task.a.data() + ranks[t] * in);
    for (int64_t o = 0; o < out; ++o)
      std::copy_n(task.b.data() + o * ranks[t], ranks[t],
                  b.data() + o * total + offset);
    offset += ranks[t];
  }
  OpBuilder builder(bank);
  Type elementType = bank.getBase().getType().getElementType();
  StringRef path = layer.getModulePath() ? *layer.getModulePath() : StringRef();
  Value newA =
      createWeight<double>(builder, bank.getLoc(),
                           getAdapterTensorName(path, AdapterTensorKind::LoraA,
                                                bank.getAdapterName()),
                           RankedTensorType::get({total, in}, elementType), a);
  Value newB =
      createWeight<double>(builder, bank.getLoc(),
                           getAdapterTensorName(path, AdapterTensorKind::LoraB,
                                                bank.getAdapterName()),
                           RankedTensorType::get({out, total}, elementType), b);
  Value oldA = bank.getLoraA(), oldB = bank.getLoraB();
  bank.getLoraAMutable().assign(newA);
  bank.getLoraBMutable().assign(newB);
  bank.setRanks(ranks);
  eraseWeightIfDead(oldA);
  eraseWeightIfDead(oldB);
}

/// r·(in + out) as text.
static std::string parameters(LinearLikeOpInterface layer, int64_t rank) {
  return std::to_string(rank *
                        (layer.getInFeatures() + layer.getOutFeatures()));
}

void PeftSelectRankPass::runOnOperation() {
  Operation *root = getOperation();
  llvm::Expected<std::unique_ptr<lowrank::RankPolicy>> rankPolicy =
      createPolicy();
  if (!rankPolicy) {
    emitError(root->getLoc())
        << pass << ": " << llvm::toString(rankPolicy.takeError());
    return signalPassFailure();
  }

  SmallVector<LinearLikeOpInterface> layers;
  root->walk([&](LinearLikeOpInterface layer) { layers.push_back(layer); });
  std::vector<Plan> plans;
  bool ok = true;
  for (LinearLikeOpInterface layer : layers) {
    SmallVector<AdapterOpInterface> stack = getAdapterStack(layer);
    LoraOp referenceOp;
    if (!reference.empty())
      for (AdapterOpInterface adapter : stack)
        if (adapter.getAdapterName() == reference)
          referenceOp = dyn_cast<LoraOp>(adapter.getOperation());
    for (AdapterOpInterface adapter : stack) {
      StringRef adapterName = adapter.getAdapterName();
      if (auto bank = dyn_cast<LoraBankOp>(adapter.getOperation())) {
        if (failed(planBank(layer, bank, **rankPolicy, plans)))
          ok = false;
        continue;
      }
      if (adapterName == reference || !isSelectedAdapter(adapterName, adapters))
        continue;
      auto lora = dyn_cast<LoraOp>(adapter.getOperation());
      if (!lora || lora.getMagnitude() || lora.getMerged()) {
        if (adapters.empty())
          continue; // only plain unmerged LoRA adapters are re-ranked
        adapter->emitError()
            << pass << ": adapter '" << adapterName << "' on layer "
            << layer.describeLayer() << " is "
            << (!lora                 ? "not a LoRA adapter"
                : lora.getMagnitude() ? "a DoRA adapter"
                                      : "merged")
            << "; only unmerged plain LoRA adapters can be re-ranked";
        ok = false;
        continue;
      }
      FailureOr<Plan> plan =
          planAdapter(layer, lora, **rankPolicy, referenceOp);
      if (failed(plan))
        ok = false;
      else
        plans.push_back(std::move(*plan));
    }
  }
  if (!ok)
    return signalPassFailure();

  std::vector<std::string> header = {
      "adapter",     "layer",         "rank before", "rank after",
      "energy kept", "params before", "params after"};
  if ((*rankPolicy)->needsReference())
    header.push_back("distance");
  TableReport table(header);
  int64_t before = 0, after = 0;
  OpBuilder builder(&getContext());
  llvm::MapVector<Operation *, SmallVector<Plan *>> bankPlans;
  for (Plan &plan : plans) {
    int64_t oldRank = plan.oldRank, newRank = plan.choice.rank;
    int64_t width = plan.layer.getInFeatures() + plan.layer.getOutFeatures();
    before += oldRank * width;
    after += newRank * width;
    std::vector<std::string> row = {
        plan.bank ? plan.name + " (bank)" : plan.name,
        plan.layer.describeLayer(),
        std::to_string(oldRank),
        std::to_string(newRank),
        llvm::formatv("{0:f6}", plan.choice.energyKept).str(),
        parameters(plan.layer, oldRank),
        parameters(plan.layer, newRank)};
    if (plan.distance)
      row.push_back(llvm::formatv("{0:f4}", *plan.distance).str());
    table.addRow(std::move(row));

    if (plan.bank) {
      bankPlans[plan.bank].push_back(&plan);
      continue;
    }
    LoraOp op = plan.op;
    if (newRank == 0) {
      eraseAdapter(cast<AdapterOpInterface>(op.getOperation()));
      continue;
    }
    if (newRank == oldRank)
      continue;
    builder.setInsertionPoint(op);
    Type elementType =
        cast<RankedTensorType>(op.getLoraA().getType()).getElementType();
    auto [a, b] =
        createLoraWeights(builder, op.getLoc(), plan.layer, op.getAdapterName(),
                          plan.factors, elementType);
    Value oldA = op.getLoraA(), oldB = op.getLoraB();
    op.getLoraAMutable().assign(a);
    op.getLoraBMutable().assign(b);
    eraseWeightIfDead(oldA);
    eraseWeightIfDead(oldB);
  }
  for (auto &[bank, bankPlan] : bankPlans)
    if (llvm::any_of(bankPlan, [](Plan *plan) {
          return plan->choice.rank != plan->oldRank;
        }))
      rebuildBank(cast<LoraBankOp>(bank), bankPlan);
  if (failed(table.write(
          report, "stderr", root->getLoc(), pass,
          llvm::formatv("{0} adapter(s), policy {1}: {2} -> {3} parameters",
                        plans.size(), (*rankPolicy)->getName(), before, after)
              .str())))
    return signalPassFailure();
}
