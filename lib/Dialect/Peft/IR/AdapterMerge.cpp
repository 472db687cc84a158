//===- AdapterMerge.cpp - merge and unmerge of the adapter ops ------------===//
//
// The AdapterOpInterface merge/unmerge of peft.lora (LoRA, DoRA) and
// peft.ia3: IR policy only. The arithmetic is numerics::mergeLora /
// unmergeLora / scaleOutputs / scaleInputs (peft/Support/Numerics.h), done in
// the weight's precision through the weight abstraction (Weights.h).
//
//===----------------------------------------------------------------------===//

#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/Numerics.h"

#include <tuple>

using namespace mlir;
using namespace mlir::peft;
namespace nm = mlir::peft::numerics;

static nm::Layout toLayout(WeightLayout layout) {
  return layout == WeightLayout::out_in ? nm::Layout::OutIn : nm::Layout::InOut;
}

/// The name a rewritten operand of `layer` (its "weight" or "bias", `kind`)
/// gets when it cannot be updated in place: its own name, else the layer's
/// module path and `kind`, then `suffix`.
static std::string rewrittenName(OpOperand &operand,
                                 LinearLikeOpInterface layer, StringRef kind,
                                 StringRef suffix) {
  std::optional<Weight> w = Weight::lookup(operand.get());
  StringRef name = w ? w->getName() : StringRef();
  if (name.empty())
    return (layer.getModulePath() ? *layer.getModulePath()
                                  : StringRef("linear"))
               .str() +
           "." + kind.str() + suffix.str();
  return (name + suffix).str();
}

/// Fails with an error naming the layer when `bad` counts non-finite
/// elements of its new weight.
template <typename T>
static LogicalResult reportNonFinite(Operation *op, LinearLikeOpInterface layer,
                                     const nm::NonFinite<T> &bad) {
  if (!bad.count)
    return success();
  return op->emitError() << "the new weight of layer " << layer.describeLayer()
                         << " has " << bad.count << " non-finite value(s) ("
                         << bad.value << " at stored [" << bad.row << ", "
                         << bad.col << "])";
}

/// Fails with an error naming the layer when `w` has a non-finite element.
template <typename T>
static LogicalResult checkFinite(Operation *op, LinearLikeOpInterface layer,
                                 nm::MatrixRef<T> w) {
  return reportNonFinite<T>(op, layer, nm::findNonFinite<T>(w));
}

/// The layer's dense weight operand, or an error at `op`.
static FailureOr<OpOperand *> denseWeightOf(Operation *op,
                                            LinearLikeOpInterface layer) {
  if (OpOperand *weight = layer.getDenseWeightOperand())
    return weight;
  return op->emitError() << "layer " << layer.describeLayer()
                         << " has no dense float weight to fold an adapter "
                            "into";
}

//===----------------------------------------------------------------------===//
// peft.lora
//===----------------------------------------------------------------------===//

bool LoraOp::isMergeable() {
  LinearLikeOpInterface layer = getLayer();
  return layer && layer.getDenseWeightOperand() &&
         getConstantWeight(getLoraA()) && getConstantWeight(getLoraB()) &&
         (!getMagnitude() || getConstantWeight(getMagnitude()));
}

namespace {
/// A, B (and DoRA's magnitude and norms) of a LoRA adapter read as T.
template <typename T> struct LoraParams {
  std::vector<T> a, b, magnitude, norms;
};
} // namespace

template <typename T>
static FailureOr<LoraParams<T>>
readLoraParams(LoraOp op, LinearLikeOpInterface layer, bool withNorms) {
  std::string where = " of adapter '" + op.getAdapterName().str() +
                      "' on layer " + layer.describeLayer();
  LoraParams<T> params;
  auto read = [&](Value value, StringRef what, std::vector<T> &out) {
    FailureOr<std::vector<T>> values =
        readConstantOperand<T>(op, value, what + where);
    if (succeeded(values))
      out = std::move(*values);
    return succeeded(values);
  };
  if (!read(op.getLoraA(), "lora_A", params.a) ||
      !read(op.getLoraB(), "lora_B", params.b))
    return failure();
  if (op.getMagnitude() &&
      !read(op.getMagnitude(), "the DoRA magnitude", params.magnitude))
    return failure();
  if (withNorms && op.getMagnitude()) {
    if (!op.getWeightNorm())
      return op.emitError()
             << "cannot unmerge the DoRA adapter '" << op.getAdapterName()
             << "' of layer " << layer.describeLayer()
             << ": the merge kept no row norms";
    if (!read(op.getWeightNorm(), "the DoRA row norms", params.norms))
      return failure();
  }
  return params;
}

namespace {
/// W += scale·B·A for a plain LoRA: row-local, so f16/bf16 weights are
/// merged a panel at a time. A and B are read once per precision.
class LowRankUpdate final : public WeightUpdate {
public:
  LowRankUpdate(LoraOp op, LinearLikeOpInterface layer, double scale)
      : op(op), layer(layer), scale(scale),
        layout(toLayout(layer.getDenseWeightLayout())),
        in(layer.getInFeatures()), out(layer.getOutFeatures()),
        rank(op.getRank()) {}

  bool isRowLocal() const override { return true; }
  LogicalResult apply(nm::MatrixRef<float> w) override {
    return update<float>(w);
  }
  LogicalResult apply(nm::MatrixRef<double> w) override {
    return update<double>(w);
  }
  LogicalResult prepareRows() override { return params<float>(); }
  void applyRows(nm::MatrixRef<float> panel, int64_t firstRow) const override {
    addRows<float>(panel, firstRow);
  }
  LogicalResult finishRows(const nm::NonFinite<float> &stored) override {
    return reportNonFinite<float>(op, layer, stored);
  }

private:
  /// A and B read as T, once.
  template <typename T> FailureOr<LoraParams<T>> &params() {
    auto &cached = std::get<std::optional<FailureOr<LoraParams<T>>>>(cache);
    if (!cached)
      cached = readLoraParams<T>(op, layer, /*withNorms=*/false);
    return *cached;
  }

  /// Stored rows [firstRow, firstRow + panel.rows) += scale·B·A; params<T>()
  /// has succeeded.
  template <typename T>
  void addRows(nm::MatrixRef<T> panel, int64_t firstRow) const {
    const LoraParams<T> &p =
        **std::get<std::optional<FailureOr<LoraParams<T>>>>(cache);
    nm::addLowRankRows<T>(
        panel, firstRow, layout, nm::MatrixRef<const T>(p.a.data(), rank, in),
        nm::MatrixRef<const T>(p.b.data(), out, rank), T(scale));
  }

  template <typename T> LogicalResult update(nm::MatrixRef<T> w) {
    if (failed(params<T>()))
      return failure();
    addRows<T>(w, 0);
    return checkFinite<T>(op, layer, w);
  }

  LoraOp op;
  LinearLikeOpInterface layer;
  double scale;
  nm::Layout layout;
  // Read from the IR once: applyRows runs on several threads.
  int64_t in, out, rank;
  std::tuple<std::optional<FailureOr<LoraParams<float>>>,
             std::optional<FailureOr<LoraParams<double>>>>
      cache;
};
} // namespace

/// Merges (`toMerged`) or unmerges `op` into its layer's dense weight.
static LogicalResult foldLora(LoraOp op, bool toMerged) {
  if (op.getMerged() == toMerged)
    return success();
  LinearLikeOpInterface layer = op.getLayer();
  FailureOr<OpOperand *> weight = denseWeightOf(op, layer);
  if (failed(weight))
    return failure();
  std::string name = rewrittenName(**weight, layer, "weight",
                                   toMerged ? ".merged" : ".unmerged");
  double scale = op.getScale().convertToDouble();
  Value norms;
  LogicalResult result = success();
  if (!op.getMagnitude()) {
    LowRankUpdate update(op, layer, toMerged ? scale : -scale);
    result = rewriteWeight(**weight, name, update);
  } else {
    int64_t in = layer.getInFeatures(), out = layer.getOutFeatures();
    int64_t rank = op.getRank();
    nm::Layout layout = toLayout(layer.getDenseWeightLayout());
    result = rewriteWeightWith(**weight, name, [&](auto w) -> LogicalResult {
      using T = typename decltype(w)::value_type;
      FailureOr<LoraParams<T>> p =
          readLoraParams<T>(op, layer, /*withNorms=*/!toMerged);
      if (failed(p))
        return failure();
      nm::MatrixRef<const T> a(p->a.data(), rank, in),
          b(p->b.data(), out, rank);
      if (!toMerged) {
        nm::unmergeLora<T>(w, layout, a, b, T(scale), p->magnitude, p->norms);
        return checkFinite<T>(op, layer, w);
      }
      std::vector<T> rowNorms =
          nm::mergeLora<T>(w, layout, a, b, T(scale), p->magnitude);
      OpBuilder builder(op);
      norms = createWeight<T>(
          builder, op.getLoc(),
          (layer.getModulePath() ? *layer.getModulePath() : "linear").str() +
              ".dora_weight_norm",
          cast<RankedTensorType>(op.getMagnitude().getType()), rowNorms);
      return checkFinite<T>(op, layer, w);
    });
  }
  if (failed(result))
    return failure();
  if (norms) {
    op.getWeightNormMutable().assign(norms);
  } else if (Value old = op.getWeightNorm(); old && !toMerged) {
    op.getWeightNormMutable().clear();
    eraseWeightIfDead(old);
  }
  op.setMerged(toMerged);
  return success();
}

LogicalResult LoraOp::merge() { return foldLora(*this, /*toMerged=*/true); }
LogicalResult LoraOp::unmerge() { return foldLora(*this, /*toMerged=*/false); }

//===----------------------------------------------------------------------===//
// peft.ia3
//===----------------------------------------------------------------------===//

bool IA3Op::isMergeable() {
  LinearLikeOpInterface layer = getLayer();
  return layer && layer.getDenseWeightOperand() &&
         getConstantWeight(getScaling());
}

LogicalResult IA3Op::merge() {
  LinearLikeOpInterface layer = getLayer();
  FailureOr<OpOperand *> weight = denseWeightOf(*this, layer);
  if (failed(weight))
    return failure();
  std::string name = layer.describeLayer();
  // The fold cannot be undone: an adapter below it could not be unmerged
  // from the rescaled weight any more.
  if (getBase() != layer.getLinearOutput()) {
    auto below = cast<AdapterOpInterface>(getBase().getDefiningOp());
    return emitError() << "cannot fold the IA³ adapter '" << getAdapterName()
                       << "' of layer " << name << " over adapter "
                       << below.describeAdapter()
                       << " below it: the fold cannot be undone, so '"
                       << below.getAdapterName()
                       << "' could not be unmerged afterwards; merge it with "
                          "drop-adapters=true first";
  }
  if (!getBase().hasOneUse())
    return emitError() << "cannot fold the IA³ scaling of layer " << name
                       << ": the layer's output has other users";
  // Read once, exactly (double holds every value of the weight's type).
  FailureOr<std::vector<double>> scaling = readConstantOperand<double>(
      *this, getScaling(), "the IA³ scaling of layer " + name);
  if (failed(scaling))
    return failure();
  nm::Layout layout = toLayout(layer.getDenseWeightLayout());
  bool feedforward = getFeedforward();
  auto scale = [&](auto w) -> LogicalResult {
    using T = typename decltype(w)::value_type;
    std::vector<T> l(scaling->begin(), scaling->end());
    if (feedforward)
      nm::scaleInputs<T>(w, layout, l);
    else
      nm::scaleOutputs<T>(w, layout, l);
    return checkFinite<T>(*this, layer, w);
  };
  if (failed(rewriteWeightWith(
          **weight, rewrittenName(**weight, layer, "weight", ".ia3"), scale)))
    return failure();
  if (OpOperand *bias = layer.getBiasOperand(); bias && !feedforward) {
    // The bias, one row of `out` values, scales like the outputs.
    auto scaleBias = [&](auto b) -> LogicalResult {
      using T = typename decltype(b)::value_type;
      nm::scaleInputs<T>(b, nm::Layout::OutIn,
                         std::vector<T>(scaling->begin(), scaling->end()));
      return success();
    };
    if (failed(rewriteWeightWith(
            *bias, rewrittenName(*bias, layer, "bias", ".ia3"), scaleBias)))
      return failure();
  }
  Value scalingValue = getScaling();
  getResult().replaceAllUsesWith(getBase());
  erase();
  eraseWeightIfDead(scalingValue);
  return success();
}

LogicalResult IA3Op::unmerge() {
  return emitError() << "an IA³ adapter is folded and removed by a merge: "
                        "there is nothing to unmerge";
}
