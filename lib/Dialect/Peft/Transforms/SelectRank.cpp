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

#include "llvm/Support/FormatVariadic.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTSELECTRANK
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

static constexpr StringLiteral pass = "peft-select-rank";

namespace {
/// The new rank of one adapter.
struct Plan {
  LinearLikeOpInterface layer;
  LoraOp op;
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
};
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
  Plan plan{layer, op, {}, std::nullopt, {}};
  if (policy.needsReference()) {
    if (!referenceOp)
      return op->emitError()
             << pass << ": layer " << layer.describeLayer()
             << " has no reference adapter '" << reference << "'";
    FailureOr<LoraFactors> ref = readLoraFactors(referenceOp, pass);
    if (failed(ref))
      return failure();
    plan.distance =
        lowrank::relativeDistance(factors->getTerm(), ref->getTerm());
  }
  auto fail = [&](llvm::Error err) {
    return op->emitError() << pass << ": adapter '" << op.getAdapterName()
                           << "' on layer " << layer.describeLayer() << ": "
                           << llvm::toString(std::move(err));
  };
  llvm::Expected<numerics::SVD<double>> svd =
      lowrank::lowRankSvd(factors->scale, factors->a.view(), factors->b.view());
  if (!svd)
    return fail(svd.takeError());
  llvm::Expected<lowrank::RankChoice> choice =
      policy.choose({svd->s, op.getRank(), plan.distance});
  if (!choice)
    return fail(choice.takeError());
  plan.choice = *choice;
  if (plan.choice.rank != op.getRank() && plan.choice.rank > 0) {
    if (factors->scale == 0)
      return op->emitError()
             << pass << ": adapter '" << op.getAdapterName() << "' has scale 0";
    plan.factors = lowrank::truncate(*svd, plan.choice.rank, factors->scale);
  }
  return plan;
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
  for (Plan &plan : plans) {
    LoraOp op = plan.op;
    int64_t oldRank = op.getRank(), newRank = plan.choice.rank;
    int64_t width = plan.layer.getInFeatures() + plan.layer.getOutFeatures();
    before += oldRank * width;
    after += newRank * width;
    std::vector<std::string> row = {
        op.getAdapterName().str(),
        plan.layer.describeLayer(),
        std::to_string(oldRank),
        std::to_string(newRank),
        llvm::formatv("{0:f6}", plan.choice.energyKept).str(),
        parameters(plan.layer, oldRank),
        parameters(plan.layer, newRank)};
    if (plan.distance)
      row.push_back(llvm::formatv("{0:f4}", *plan.distance).str());
    table.addRow(std::move(row));

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
  if (failed(table.write(
          report, "stderr", root->getLoc(), pass,
          llvm::formatv("{0} adapter(s), policy {1}: {2} -> {3} parameters",
                        plans.size(), (*rankPolicy)->getName(), before, after)
              .str())))
    return signalPassFailure();
}
