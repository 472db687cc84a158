//===- CombineAdapters.cpp - PEFT's add_weighted_adapter on the IR --------===//
//
// IR policy only: which adapters of which layer are combined, where the new
// adapter goes and what happens to the sources. The factors come from
// lowrank::combineAdapters (peft/Support/LowRank.h). Like
// peft-load-adapter, every layer is planned first and the IR changes only
// when all plans succeeded.
//
//===----------------------------------------------------------------------===//

#include "LoraUtils.h"
#include "Report.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTCOMBINEADAPTERS
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

static constexpr StringLiteral pass = "peft-combine-adapters";

namespace {
/// The new adapter of one layer.
struct Plan {
  LinearLikeOpInterface layer;
  SmallVector<LoraOp> sources;
  lowrank::LowRankFactors factors;
  Type elementType;
  std::string sourceRanks;
  double distance = 0; // to the weighted sum, relative
};

struct PeftCombineAdaptersPass
    : public peft::impl::PeftCombineAdaptersBase<PeftCombineAdaptersPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  LogicalResult checkOptions(Location loc);
  /// Plans `layer`; no plan when it holds none of the adapters.
  FailureOr<std::optional<Plan>> planLayer(LinearLikeOpInterface layer,
                                           llvm::StringSet<> &seen);
  void apply(Plan &plan);
};
} // namespace

static StringRef modeName(AdapterCombineMode mode) {
  switch (mode) {
  case AdapterCombineMode::Cat:
    return "cat";
  case AdapterCombineMode::Svd:
    return "svd";
  case AdapterCombineMode::Linear:
    return "linear";
  }
  llvm_unreachable("unknown mode");
}

LogicalResult PeftCombineAdaptersPass::checkOptions(Location loc) {
  if (adapters.empty())
    return emitError(loc) << pass << ": the 'adapters' option is required";
  if (weights.size() != adapters.size())
    return emitError(loc) << pass << ": " << weights.size() << " weight(s) for "
                          << adapters.size()
                          << " adapter(s); give one weight per adapter";
  llvm::StringSet<> names;
  for (const std::string &a : adapters)
    if (!names.insert(a).second)
      return emitError(loc) << pass << ": adapter '" << a << "' is named twice";
  if (name.empty())
    return emitError(loc) << pass << ": the new adapter needs a name";
  if (rank < 0)
    return emitError(loc) << pass << ": rank must be >= 0";
  return success();
}

FailureOr<std::optional<Plan>>
PeftCombineAdaptersPass::planLayer(LinearLikeOpInterface layer,
                                   llvm::StringSet<> &seen) {
  SmallVector<AdapterOpInterface> stack = getAdapterStack(layer);
  Plan plan;
  plan.layer = layer;
  SmallVector<lowrank::LowRankTerm> terms;
  SmallVector<double> layerWeights;
  std::vector<LoraFactors> factors;
  factors.reserve(adapters.size());
  for (AdapterOpInterface adapter : stack)
    if (llvm::is_contained(adapters, adapter.getAdapterName()))
      seen.insert(adapter.getAdapterName());
  for (AdapterOpInterface adapter : stack)
    if (adapter.getAdapterName() == name)
      return adapter->emitError()
             << pass << ": layer " << layer.describeLayer()
             << " already has an adapter named '" << name << "'";
  for (auto [sourceName, weight] : llvm::zip_equal(adapters, weights)) {
    StringRef source = sourceName;
    auto it = llvm::find_if(stack, [&](AdapterOpInterface a) {
      return a.getAdapterName() == source;
    });
    if (it == stack.end())
      continue;
    auto lora = dyn_cast<LoraOp>(it->getOperation());
    if (!lora || lora.getMagnitude() || lora.getMerged())
      return (*it)->emitError()
             << pass << ": adapter '" << source << "' on layer "
             << layer.describeLayer() << " is "
             << (!lora                 ? "not a LoRA adapter"
                 : lora.getMagnitude() ? "a DoRA adapter"
                                       : "merged")
             << "; only unmerged plain LoRA adapters can be combined";
    FailureOr<LoraFactors> read = readLoraFactors(lora, pass);
    if (failed(read))
      return failure();
    factors.push_back(std::move(*read));
    terms.push_back(factors.back().getTerm());
    layerWeights.push_back(weight);
    plan.sources.push_back(lora);
    plan.sourceRanks += (plan.sourceRanks.empty() ? "" : " ") + source.str() +
                        ":" + std::to_string(lora.getRank());
  }
  if (plan.sources.empty())
    return std::optional<Plan>();

  lowrank::CombineOptions options;
  options.mode = mode == AdapterCombineMode::Cat ? lowrank::CombineMode::Cat
                 : mode == AdapterCombineMode::Svd
                     ? lowrank::CombineMode::Svd
                     : lowrank::CombineMode::Linear;
  if (rank > 0)
    options.rank = rank;
  options.peftSvdScaling = peftSvdScaling;
  llvm::Expected<lowrank::LowRankFactors> combined =
      lowrank::combineAdapters(terms, layerWeights, options);
  if (!combined)
    return layer->emitError() << pass << ": layer " << layer.describeLayer()
                              << ": " << llvm::toString(combined.takeError());
  plan.factors = std::move(*combined);
  plan.elementType =
      cast<RankedTensorType>(plan.sources.front().getLoraA().getType())
          .getElementType();

  // ‖B'·A' − Σ wᵢ·sᵢ·Bᵢ·Aᵢ‖ / ‖Σ wᵢ·sᵢ·Bᵢ·Aᵢ‖ from Gram matrices.
  SmallVector<lowrank::LowRankTerm> sum(terms);
  for (auto [t, w] : llvm::zip_equal(sum, layerWeights))
    t.scale *= w;
  double reference = lowrank::frobeniusNormSquared(sum);
  for (lowrank::LowRankTerm &t : sum)
    t.scale = -t.scale;
  sum.push_back(
      {plan.factors.a.view(), plan.factors.b.view(), plan.factors.scale});
  double difference = lowrank::frobeniusNormSquared(sum);
  plan.distance = reference > 0 ? std::sqrt(difference / reference) : 0.0;
  return std::optional<Plan>(std::move(plan));
}

void PeftCombineAdaptersPass::apply(Plan &plan) {
  if (replace)
    for (LoraOp source : plan.sources)
      eraseAdapter(cast<AdapterOpInterface>(source.getOperation()));
  Value top = getAdapterStackTop(plan.layer);
  OpBuilder builder(&getContext());
  builder.setInsertionPointAfterValue(top);
  Location loc = plan.layer->getLoc();
  auto [a, b] = createLoraWeights(builder, loc, plan.layer, name, plan.factors,
                                  plan.elementType);
  auto op = LoraOp::create(builder, loc, top.getType(),
                           plan.layer.getLinearInput(), top, a, b,
                           /*magnitude=*/Value(), /*weight_norm=*/Value(),
                           builder.getF64FloatAttr(plan.factors.scale),
                           builder.getStringAttr(name), /*merged=*/nullptr);
  top.replaceAllUsesExcept(op.getResult(), op);
}

void PeftCombineAdaptersPass::runOnOperation() {
  Operation *root = getOperation();
  if (failed(checkOptions(root->getLoc())))
    return signalPassFailure();

  SmallVector<LinearLikeOpInterface> layers;
  root->walk([&](LinearLikeOpInterface layer) { layers.push_back(layer); });
  std::vector<Plan> plans;
  llvm::StringSet<> seen;
  bool ok = true;
  for (LinearLikeOpInterface layer : layers) {
    FailureOr<std::optional<Plan>> plan = planLayer(layer, seen);
    if (failed(plan))
      ok = false;
    else if (*plan)
      plans.push_back(std::move(**plan));
  }
  for (const std::string &source : adapters)
    if (!seen.contains(source)) {
      emitError(root->getLoc())
          << pass << ": adapter '" << source << "' is on no layer";
      ok = false;
    }
  if (!ok)
    return signalPassFailure();

  TableReport table({"layer", "adapter", "mode", "sources", "rank",
                     "rel. diff. to sum w*s*B*A"});
  for (Plan &plan : plans) {
    apply(plan);
    table.addRow({plan.layer.describeLayer(), name, modeName(mode).str(),
                  plan.sourceRanks, std::to_string(plan.factors.getRank()),
                  llvm::formatv("{0:e3}", plan.distance).str()});
  }
  if (failed(table.write(report, "stderr", root->getLoc(), pass,
                         std::to_string(plans.size()) +
                             " layer(s) got adapter '" + name + "'")))
    return signalPassFailure();
}
