//===- InsertLora.cpp - attach new LoRA adapters to linear layers ---------===//
//
// Implements peft-insert-lora: selects linear layers the way Hugging Face
// PEFT's LoraConfig does and attaches freshly initialized adapters.
//
//===----------------------------------------------------------------------===//

#include "LayerSelection.h"
#include "LoraUtils.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/AdapterConfig.h"
#include "peft/Support/PeftAdapter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"

#include "peft/Support/Numerics.h"
#include "peft/Support/Random.h"

#include <cmath>

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTINSERTLORA
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {

using InitKind = LoraInitKind;

/// A = [r, in] and B = [out, r] (row-major), in double; PiSSA and OLoRA
/// also change the base weight to W − s·B·A.
struct LoraInit {
  std::vector<double> a, b;
  bool subtractFromBase = false;
};

struct PeftInsertLoraPass
    : public peft::impl::PeftInsertLoraBase<PeftInsertLoraPass> {
  using Base::Base;

  void runOnOperation() override;

private:
  /// Draws the adapter of one layer (reads its weight for PiSSA/OLoRA).
  FailureOr<LoraInit> initAdapter(LinearLikeOpInterface layer, InitKind kind,
                                  int64_t rank, double scale, Random &rng);
};

/// The layer's weight as a row-major [out, in] matrix in double.
FailureOr<numerics::Matrix<double>> readWeightOutIn(LinearOp linear) {
  FailureOr<std::vector<double>> w = readConstantOperand<double>(
      linear, linear.getWeight(),
      "the weight of layer " + linear.describeLayer());
  if (failed(w))
    return failure();
  int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
  bool outIn = linear.getLayout() == WeightLayout::out_in;
  numerics::MatrixRef<const double> stored(w->data(), outIn ? out : in,
                                           outIn ? in : out);
  return outIn ? numerics::Matrix<double>::copyOf(stored)
               : numerics::transpose<double>(stored);
}

FailureOr<LoraInit> PeftInsertLoraPass::initAdapter(LinearLikeOpInterface layer,
                                                    InitKind kind, int64_t rank,
                                                    double scale, Random &rng) {
  int64_t in = layer.getInFeatures(), out = layer.getOutFeatures();
  LoraInit init;
  init.a.assign(rank * in, 0.0);
  init.b.assign(out * rank, 0.0);
  switch (kind) {
  case InitKind::Zeros:
    return init;
  case InitKind::Kaiming: {
    // kaiming_uniform_(a=√5) on [r, in]: bound = gain·√(3/fan_in) = 1/√in.
    double bound = 1.0 / std::sqrt(double(in));
    for (double &v : init.a)
      v = rng.uniform(-bound, bound);
    return init;
  }
  case InitKind::Gaussian: {
    for (double &v : init.a)
      v = rng.normal(0.0, 1.0 / double(rank));
    return init;
  }
  case InitKind::PiSSA:
  case InitKind::OLoRA:
    break;
  }

  // PiSSA and OLoRA factor the layer's dense float weight.
  auto linear = dyn_cast<LinearOp>(layer.getOperation());
  if (!linear || !layer.getDenseWeightOperand())
    return layer->emitError()
           << "peft-insert-lora: init="
           << (kind == InitKind::PiSSA ? "pissa" : "olora")
           << " factors the layer's dense float weight, and layer "
           << layer.describeLayer() << " (" << layer->getName() << ") has none";
  std::string description = layer.describeLayer();
  if (rank > std::min(in, out))
    return linear.emitError()
           << "rank " << rank << " exceeds min(in, out) = " << std::min(in, out)
           << " of layer " << description << ": "
           << (kind == InitKind::PiSSA ? "PiSSA" : "OLoRA")
           << " takes the adapter from the weight's factors";
  FailureOr<numerics::Matrix<double>> w = readWeightOutIn(linear);
  if (failed(w))
    return failure();
  init.subtractFromBase = true;
  if (kind == InitKind::PiSSA) {
    // W = U Σ Vᵀ; B = U_r √(Σ_r/s), A = √(Σ_r/s) V_rᵀ.
    auto f = numerics::svd<double>(w->view());
    if (!f)
      return linear.emitError() << "SVD of the weight of layer " << description
                                << " failed: " << llvm::toString(f.takeError());
    for (int64_t j = 0; j < rank; ++j) {
      double root = std::sqrt(f->s[j] / scale);
      for (int64_t o = 0; o < out; ++o)
        init.b[o * rank + j] = f->u(o, j) * root;
      for (int64_t i = 0; i < in; ++i)
        init.a[j * in + i] = root * f->vt(j, i);
    }
    return init;
  }
  // W = Q R; B = Q[:, :r], A = R[:r].
  auto f = numerics::qr<double>(w->view());
  if (!f)
    return linear.emitError() << "QR of the weight of layer " << description
                              << " failed: " << llvm::toString(f.takeError());
  for (int64_t j = 0; j < rank; ++j) {
    for (int64_t o = 0; o < out; ++o)
      init.b[o * rank + j] = f->q(o, j);
    for (int64_t i = 0; i < in; ++i)
      init.a[j * in + i] = f->r(j, i);
  }
  return init;
}

/// W ← W − s·B·A with A and B read back from their stored weights, so that
/// base + s·B·A reconstructs W up to the rounding of the new base.
LogicalResult subtractAdapter(LinearOp linear, Value aValue, Value bValue,
                              int64_t rank, double scale) {
  int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
  auto layout = linear.getLayout() == WeightLayout::out_in
                    ? numerics::Layout::OutIn
                    : numerics::Layout::InOut;
  std::optional<Weight> weight = Weight::lookup(linear.getWeight());
  std::string name =
      (weight && !weight->getName().empty()
           ? weight->getName().str()
           : (linear.getPath() ? linear.getPath()->str() : "linear") +
                 ".weight") +
      ".residual";
  return rewriteWeightWith(
      linear.getWeightMutable(), name, [&](auto w) -> LogicalResult {
        using T = typename decltype(w)::value_type;
        auto a = Weight::lookup(aValue)->readValues<T>();
        auto b = Weight::lookup(bValue)->readValues<T>();
        if (failed(a) || failed(b))
          return linear.emitError("cannot read back the new adapter");
        numerics::addLowRank<T>(
            w, layout, numerics::MatrixRef<const T>(a->data(), rank, in),
            numerics::MatrixRef<const T>(b->data(), out, rank), T(-scale));
        return success();
      });
}

void PeftInsertLoraPass::runOnOperation() {
  Operation *root = getOperation();
  if (rank <= 0 || !std::isfinite(alpha)) {
    emitError(root->getLoc()) << "peft-insert-lora: rank must be > 0 and alpha "
                                 "finite (got rank="
                              << rank << ", alpha=" << alpha << ")";
    return signalPassFailure();
  }
  FailureOr<LayerSelection> selection = LayerSelection::get(
      root->getLoc(), "peft-insert-lora", targets, targetRegex, roles);
  if (failed(selection))
    return signalPassFailure();
  // The option parsers have checked the entries.
  std::vector<std::pair<std::string, int64_t>> rankMap;
  std::vector<std::pair<std::string, double>> alphaMap;
  for (const RankPatternEntry &entry : rankPattern)
    rankMap.emplace_back(entry.key, entry.value);
  for (const AlphaPatternEntry &entry : alphaPattern)
    alphaMap.emplace_back(entry.key, entry.value);

  SmallVector<LinearLikeOpInterface> selected;
  root->walk([&](LinearLikeOpInterface linear) {
    if (selection->contains(linear))
      selected.push_back(linear);
  });
  if (selected.empty()) {
    emitError(root->getLoc()) << "peft-insert-lora: the selection matches no "
                                 "peft.linear (run peft-raise-linear first?)";
    return signalPassFailure();
  }

  Random rng(seed);
  unsigned index = 0;
  for (LinearLikeOpInterface linear : selected) {
    StringRef path =
        linear.getModulePath() ? *linear.getModulePath() : StringRef();
    RankAndAlpha ra = resolveRankAndAlpha(rankMap, alphaMap, rank, alpha, path);
    int64_t r = ra.rank;
    double scale = loraScale(ra.alpha, r, rslora);
    FailureOr<LoraInit> init = initAdapter(linear, this->init, r, scale, rng);
    if (failed(init))
      return signalPassFailure();

    std::string prefix =
        path.empty() ? ("linear_" + llvm::Twine(index)).str() : path.str();
    ++index;
    Value top = getAdapterStackTop(linear);
    OpBuilder builder(linear->getContext());
    builder.setInsertionPointAfterValue(top);
    Location loc = linear.getLoc();
    Type elementType =
        cast<RankedTensorType>(linear.getLinearOutput().getType())
            .getElementType();
    int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
    auto aType = RankedTensorType::get({r, in}, elementType);
    auto bType = RankedTensorType::get({out, r}, elementType);
    Value aValue = createWeight<double>(
        builder, loc,
        getAdapterTensorName(prefix, AdapterTensorKind::LoraA, adapterName),
        aType, init->a);
    Value bValue = createWeight<double>(
        builder, loc,
        getAdapterTensorName(prefix, AdapterTensorKind::LoraB, adapterName),
        bType, init->b);
    if (init->subtractFromBase &&
        failed(subtractAdapter(cast<LinearOp>(linear.getOperation()), aValue,
                               bValue, r, scale)))
      return signalPassFailure();
    auto lora = LoraOp::create(builder, loc, top.getType(),
                               linear.getLinearInput(), top, aValue, bValue,
                               /*magnitude=*/Value(), /*weight_norm=*/Value(),
                               builder.getF64FloatAttr(scale),
                               builder.getStringAttr(adapterName));
    top.replaceAllUsesExcept(lora.getResult(), lora);
  }
}

} // namespace
