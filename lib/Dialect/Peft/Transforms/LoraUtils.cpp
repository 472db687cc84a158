//===- LoraUtils.cpp - helpers shared by the LoRA passes ------------------===//

#include "LoraUtils.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/PeftAdapter.h"
#include "peft/Support/ShapeArithmetic.h"

using namespace mlir;
using namespace mlir::peft;

bool mlir::peft::isSelectedAdapter(StringRef name,
                                   ArrayRef<std::string> names) {
  return names.empty() || llvm::is_contained(names, name);
}

void mlir::peft::eraseAdapter(AdapterOpInterface adapter) {
  SmallVector<Value> operands(adapter->getOperands());
  adapter->getResult(0).replaceAllUsesWith(adapter.getAdapterBase());
  adapter->erase();
  for (Value operand : operands)
    eraseWeightIfDead(operand);
}

LogicalResult mlir::peft::changeMergeState(Operation *root,
                                           ArrayRef<std::string> names,
                                           bool toMerged, bool drop) {
  SmallVector<LinearLikeOpInterface> layers;
  root->walk([&](LinearLikeOpInterface layer) { layers.push_back(layer); });
  bool failedAny = false;
  for (LinearLikeOpInterface layer : layers) {
    SmallVector<AdapterOpInterface> stack = getAdapterStack(layer);
    if (!toMerged)
      std::reverse(stack.begin(), stack.end());
    SmallVector<AdapterOpInterface> merged;
    for (AdapterOpInterface adapter : stack) {
      if (!isSelectedAdapter(adapter.getAdapterName(), names))
        continue;
      if (adapter.isMerged() == toMerged) {
        if (toMerged)
          merged.push_back(adapter);
        continue;
      }
      // An adapter that is not reversible erases itself when merged: it
      // must not be touched afterwards.
      bool stays = adapter.isReversible();
      if (failed(checkMergeStateChange(adapter, toMerged)) ||
          failed(toMerged ? adapter.merge() : adapter.unmerge())) {
        failedAny = true;
        break; // the adapters above depend on this one's state
      }
      if (toMerged && stays)
        merged.push_back(adapter);
    }
    if (drop)
      for (AdapterOpInterface adapter : llvm::reverse(merged))
        eraseAdapter(adapter);
  }
  return failure(failedAny);
}

FailureOr<LoraFactors> mlir::peft::readLoraFactors(LoraOp op, StringRef pass) {
  LinearLikeOpInterface layer = getAdapterLayer(op);
  std::string where = (" of adapter '" + op.getAdapterName() + "' on layer " +
                       (layer ? layer.describeLayer() : std::string("?")))
                          .str();
  FailureOr<std::vector<double>> a =
      readConstantOperand<double>(op, op.getLoraA(), pass + ": lora_A" + where);
  if (failed(a))
    return failure();
  FailureOr<std::vector<double>> b =
      readConstantOperand<double>(op, op.getLoraB(), pass + ": lora_B" + where);
  if (failed(b))
    return failure();
  auto aType = cast<RankedTensorType>(op.getLoraA().getType());
  auto bType = cast<RankedTensorType>(op.getLoraB().getType());
  LoraFactors f{
      numerics::Matrix<double>(aType.getDimSize(0), aType.getDimSize(1)),
      numerics::Matrix<double>(bType.getDimSize(0), bType.getDimSize(1)),
      op.getScale().convertToDouble()};
  f.a.values() = std::move(*a);
  f.b.values() = std::move(*b);
  return f;
}

std::pair<Value, Value>
mlir::peft::createLoraWeights(OpBuilder &builder, Location loc,
                              LinearLikeOpInterface layer, StringRef adapter,
                              const lowrank::LowRankFactors &factors,
                              Type elementType) {
  StringRef path = layer.getModulePath() ? *layer.getModulePath() : "";
  auto make = [&](const numerics::Matrix<double> &m, AdapterTensorKind kind) {
    return createWeight<double>(
        builder, loc, getAdapterTensorName(path, kind, adapter),
        RankedTensorType::get({m.getRows(), m.getCols()}, elementType),
        m.values());
  };
  return {make(factors.a, AdapterTensorKind::LoraA),
          make(factors.b, AdapterTensorKind::LoraB)};
}

LayersByPath mlir::peft::collectLayersByPath(Operation *root) {
  LayersByPath result;
  root->walk([&](LinearLikeOpInterface linear) {
    std::optional<StringRef> path = linear.getModulePath();
    if (!path)
      return;
    if (result.firstPath.empty())
      result.firstPath = path->str();
    result.layers[*path].push_back(linear);
  });
  return result;
}

const SmallVector<LinearLikeOpInterface, 1> *
LayersByPath::lookup(StringRef path) const {
  auto it = layers.find(path);
  return it == layers.end() ? nullptr : &it->second;
}

std::string LayersByPath::describeUnmatched(StringRef modulePath,
                                            StringRef layerPath) const {
  return ("module '" + modulePath +
          (layerPath != modulePath ? "' (mapped to '" + layerPath + "')"
                                   : Twine("'")) +
          " of the adapter matches no linear layer (" +
          (firstPath.empty()
               ? std::string("there are no linear layers with a path; run "
                             "peft-raise-linear first")
               : "layers have paths like '" + firstPath + "'; see module-map") +
          ")")
      .str();
}

LogicalResult mlir::peft::checkAdaptableLayer(StringRef pass,
                                              LinearLikeOpInterface linear) {
  int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
  if (ShapedType::isDynamic(in) || ShapedType::isDynamic(out))
    return linear->emitError(pass)
           << ": the layer's weight shape must be static";
  Type elementType = cast<RankedTensorType>(linear.getLinearOutput().getType())
                         .getElementType();
  if (!isSupportedWeightElementType(elementType))
    return linear->emitError(pass)
           << ": unsupported element type " << elementType;
  return success();
}

FailureOr<std::vector<double>>
mlir::peft::readLayerAdapterTensor(StringRef pass, LinearLikeOpInterface linear,
                                   const SafeTensor &tensor,
                                   ArrayRef<int64_t> expected, StringRef what) {
  if (ArrayRef<int64_t>(tensor.shape) != expected)
    return linear->emitError(pass)
           << ": " << what << " '" << tensor.name << "' has shape "
           << formatShapeList(tensor.shape) << " but the layer "
           << (linear.getModulePath()
                   ? "'" + linear.getModulePath()->str() + "' "
                   : "")
           << "(in " << linear.getInFeatures() << ", out "
           << linear.getOutFeatures() << ") needs "
           << formatShapeList(expected);
  llvm::Expected<std::vector<double>> values = readAdapterTensor(tensor);
  if (!values)
    return linear->emitError(pass)
           << ": " << llvm::toString(values.takeError());
  return std::move(*values);
}
