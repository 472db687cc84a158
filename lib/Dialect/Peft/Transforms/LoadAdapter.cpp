//===- LoadAdapter.cpp - attach a Hugging Face PEFT adapter from disk -----===//
//
// The pass works in two phases: it reads and checks every tensor of the
// adapter against the layers first, and changes the IR only when all of
// them are usable, so a bad adapter leaves the module as it was.
//
//===----------------------------------------------------------------------===//

#include "LoraUtils.h"
#include "peft/Dialect/ONNX/IR/ONNXDialect.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/PeftAdapter.h"
#include "peft/Support/ShapeArithmetic.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTLOADADAPTER
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {
/// One adapter tensor, ready to become an initializer.
struct LoadedTensor {
  SmallVector<int64_t> shape; // the shape of the new initializer
  std::vector<double> values;
};

/// What to attach to one layer.
struct Attachment {
  LinearLikeOpInterface linear;
  std::optional<LoadedTensor> loraA, loraB, magnitude, ia3;
  double scale = 1.0;
  bool feedforward = false;
};

struct PeftLoadAdapterPass
    : public peft::impl::PeftLoadAdapterBase<PeftLoadAdapterPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  FailureOr<LoadedTensor> loadTensor(LinearLikeOpInterface linear,
                                     const SafeTensor &tensor,
                                     ArrayRef<int64_t> expected,
                                     StringRef what);
  LogicalResult planModule(const AdapterConfig &config,
                           const AdapterModule &module,
                           LinearLikeOpInterface linear, Attachment &plan);
  void attach(Attachment &plan);
  bool reportUnmatched(const Twine &message);
};
} // namespace

/// Decodes `tensor` after checking it has `expected` elements arranged as
/// PEFT stores them (`expected` may be a 2-D shape whose product is the
/// vector length for IA³'s `[out, 1]`).
FailureOr<LoadedTensor>
PeftLoadAdapterPass::loadTensor(LinearLikeOpInterface linear,
                                const SafeTensor &tensor,
                                ArrayRef<int64_t> expected, StringRef what) {
  FailureOr<std::vector<double>> values = readLayerAdapterTensor(
      "peft-load-adapter", linear, tensor, expected, what);
  if (failed(values))
    return failure();
  LoadedTensor loaded;
  loaded.shape.assign(expected.begin(), expected.end());
  loaded.values = std::move(*values);
  return loaded;
}

/// Checks the tensors of `module` against `linear` and fills `plan`.
LogicalResult PeftLoadAdapterPass::planModule(const AdapterConfig &config,
                                              const AdapterModule &module,
                                              LinearLikeOpInterface linear,
                                              Attachment &plan) {
  plan.linear = linear;
  if (failed(checkAdaptableLayer("peft-load-adapter", linear)))
    return failure();
  int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();

  // DoRA and feedforward IA³ recompute the layer from its float weight.
  bool dense = linear.getDenseWeightOperand() != nullptr;
  if (!dense && (module.magnitude || (config.peftType == PeftType::IA3 &&
                                      config.isFeedforward(module.path))))
    return linear->emitError("peft-load-adapter: layer ")
           << linear.describeLayer() << " (" << linear->getName()
           << ") has no float weight: a "
           << (module.magnitude ? "DoRA" : "feedforward IA³")
           << " adapter cannot sit on it";

  if (config.peftType == PeftType::IA3) {
    plan.feedforward = config.isFeedforward(module.path);
    SmallVector<int64_t> shape = plan.feedforward
                                     ? SmallVector<int64_t>{1, in}
                                     : SmallVector<int64_t>{out, 1};
    auto loaded =
        loadTensor(linear, *module.ia3, shape,
                   plan.feedforward ? "ia3_l (feedforward)" : "ia3_l");
    if (failed(loaded))
      return failure();
    loaded->shape = {loaded->shape[0] * loaded->shape[1]};
    plan.ia3 = std::move(*loaded);
    return success();
  }

  // PeftAdapter::checkModule has checked the rank against the config.
  int64_t rank = module.loraA->shape[0];
  auto a = loadTensor(linear, *module.loraA, {rank, in}, "lora_A");
  if (failed(a))
    return failure();
  auto b = loadTensor(linear, *module.loraB, {out, rank}, "lora_B");
  if (failed(b))
    return failure();
  plan.loraA = std::move(*a);
  plan.loraB = std::move(*b);
  plan.scale = config.scaleFor(module.path);
  if (module.magnitude) {
    auto m =
        loadTensor(linear, *module.magnitude, {out}, "lora_magnitude_vector");
    if (failed(m))
      return failure();
    plan.magnitude = std::move(*m);
  }
  return success();
}

/// Creates the initializers and the adapter op after the layer (or after
/// the adapters already stacked on it).
void PeftLoadAdapterPass::attach(Attachment &plan) {
  LinearLikeOpInterface linear = plan.linear;
  Value top = getAdapterStackTop(linear);
  OpBuilder builder(&getContext());
  builder.setInsertionPointAfterValue(top);
  Location loc = linear->getLoc();
  Type elementType = cast<RankedTensorType>(top.getType()).getElementType();
  StringRef layerPath =
      linear.getModulePath() ? *linear.getModulePath() : StringRef();
  auto weight = [&](const LoadedTensor &t, AdapterTensorKind kind) {
    std::string name = getAdapterTensorName(layerPath, kind, adapterName);
    return createWeight<double>(builder, loc, name,
                                RankedTensorType::get(t.shape, elementType),
                                t.values);
  };
  StringAttr adapter = builder.getStringAttr(adapterName);
  Operation *adapterOp;
  if (plan.ia3) {
    Value scaling = weight(*plan.ia3, AdapterTensorKind::IA3);
    adapterOp = IA3Op::create(builder, loc, top.getType(), top, scaling,
                              plan.feedforward, adapter);
  } else {
    Value a = weight(*plan.loraA, AdapterTensorKind::LoraA);
    Value b = weight(*plan.loraB, AdapterTensorKind::LoraB);
    Value m = plan.magnitude
                  ? weight(*plan.magnitude, AdapterTensorKind::Magnitude)
                  : Value();
    adapterOp = LoraOp::create(
        builder, loc, top.getType(), linear.getLinearInput(), top, a, b, m,
        /*weight_norm=*/Value(), builder.getF64FloatAttr(plan.scale), adapter,
        /*merged=*/nullptr);
  }
  top.replaceAllUsesExcept(adapterOp->getResult(0), adapterOp);
}

/// An error or, with allow-unmatched, a warning about a tensor or module the
/// module has no place for; false when it is an error.
bool PeftLoadAdapterPass::reportUnmatched(const Twine &message) {
  Location loc = getOperation()->getLoc();
  if (allowUnmatched) {
    emitWarning(loc, "peft-load-adapter: ") << message << "; ignored";
    return true;
  }
  emitError(loc, "peft-load-adapter: ") << message;
  return false;
}

void PeftLoadAdapterPass::runOnOperation() {
  Operation *root = getOperation();
  if (path.empty()) {
    emitError(root->getLoc(),
              "peft-load-adapter: the 'path' option is required "
              "(an adapter directory or its .safetensors file)");
    return signalPassFailure();
  }
  auto fail = [&](llvm::Error err) {
    emitError(root->getLoc(), "peft-load-adapter: ")
        << llvm::toString(std::move(err));
    signalPassFailure();
  };
  llvm::Expected<std::unique_ptr<PeftAdapter>> adapter =
      PeftAdapter::open(path);
  if (!adapter)
    return fail(adapter.takeError());
  const AdapterConfig &config = (*adapter)->getConfig();

  bool ok = true;
  for (const SafeTensor *tensor : (*adapter)->getOtherTensors())
    ok &= reportUnmatched((*adapter)->describeOtherTensor(*tensor));

  LayersByPath layers = collectLayersByPath(root);

  std::vector<Attachment> plans;
  for (const AdapterModule &module : (*adapter)->getModules()) {
    if (llvm::Error err = (*adapter)->checkModule(module)) {
      emitError(root->getLoc(), "peft-load-adapter: ")
          << llvm::toString(std::move(err));
      ok = false;
      continue;
    }
    std::string layerPath = applyModuleMap(moduleMap, module.path);
    const auto *matched = layers.lookup(layerPath);
    if (!matched) {
      ok &= reportUnmatched(layers.describeUnmatched(module.path, layerPath));
      continue;
    }
    for (LinearLikeOpInterface linear : *matched) {
      Attachment plan;
      if (failed(planModule(config, module, linear, plan))) {
        ok = false;
        continue;
      }
      if (plan.magnitude && !getAdapterStack(linear).empty()) {
        linear->emitError("peft-load-adapter: a DoRA adapter must sit directly "
                          "on its layer, which already has an adapter");
        ok = false;
        continue;
      }
      plans.push_back(std::move(plan));
    }
  }
  if (!ok)
    return signalPassFailure();
  for (Attachment &plan : plans)
    attach(plan);
}
