//===- PeftOps.cpp - peft op verifiers and helpers ------------------------===//

#include "peft/Dialect/Peft/IR/PeftOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>

using namespace mlir;
using namespace mlir::peft;

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

Value LinearOp::getLinearInput() { return getInput(); }
std::optional<StringRef> LinearOp::getModulePath() { return getPath(); }
LinearRole LinearOp::getLinearRole() { return getRole(); }
OpOperand *LinearOp::getDenseWeightOperand() { return &getWeightMutable(); }
WeightLayout LinearOp::getDenseWeightLayout() { return getLayout(); }
OpOperand *LinearOp::getBiasOperand() {
  return getBias() ? &getBiasMutable()[0] : nullptr;
}

int64_t LinearOp::getInFeatures() {
  auto shape = getWeight().getType().getShape();
  return getLayout() == WeightLayout::out_in ? shape[1] : shape[0];
}

int64_t LinearOp::getOutFeatures() {
  auto shape = getWeight().getType().getShape();
  return getLayout() == WeightLayout::out_in ? shape[0] : shape[1];
}

/// Two extents agree unless both are static and differ.
static bool compatibleDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

LogicalResult LinearOp::verify() {
  auto inputType = getInput().getType();
  auto resultType = getResult().getType();
  if (inputType.getRank() < 1)
    return emitOpError("input must have rank >= 1, got a 0-d tensor");
  if (resultType.getRank() != inputType.getRank())
    return emitOpError("result rank ")
           << resultType.getRank() << " differs from input rank "
           << inputType.getRank();

  Type elementType = inputType.getElementType();
  if (getWeight().getType().getElementType() != elementType ||
      resultType.getElementType() != elementType ||
      (getBias() && getBias().getType().getElementType() != elementType))
    return emitOpError("input, weight, bias and result must share the element "
                       "type ")
           << elementType;

  int64_t in = getInFeatures(), out = getOutFeatures();
  int64_t inputFeatures = inputType.getShape().back();
  if (!compatibleDims(inputFeatures, in))
    return emitOpError("input has ")
           << inputFeatures << " features but the "
           << stringifyEnum(getLayout()) << " weight " << getWeight().getType()
           << " expects " << in;
  if (getBias() && !compatibleDims(getBias().getType().getDimSize(0), out))
    return emitOpError("bias has ") << getBias().getType().getDimSize(0)
                                    << " elements, expected " << out;

  for (int64_t i = 0, e = inputType.getRank() - 1; i < e; ++i)
    if (!compatibleDims(inputType.getDimSize(i), resultType.getDimSize(i)))
      return emitOpError("result dimension ")
             << i << " (" << resultType.getDimSize(i)
             << ") differs from input dimension (" << inputType.getDimSize(i)
             << ")";
  if (!compatibleDims(resultType.getShape().back(), out))
    return emitOpError("result has ")
           << resultType.getShape().back() << " features, expected " << out;

  if (auto path = getPath(); path && path->empty())
    return emitOpError("module path must not be empty when present");
  return success();
}

//===----------------------------------------------------------------------===//
// LoraOp
//===----------------------------------------------------------------------===//

LinearOp LoraOp::getLinear() {
  LinearLikeOpInterface layer = getAdapterLayer(*this);
  return layer ? dyn_cast<LinearOp>(layer.getOperation()) : LinearOp();
}

StringRef LoraOp::getAdapterName() {
  return getAdapter() ? *getAdapter() : StringRef("default");
}
Value LoraOp::getAdapterBase() { return getBase(); }
bool LoraOp::isMerged() { return getMerged(); }
bool LoraOp::passesBaseThrough() { return !getMagnitude(); }
bool LoraOp::isReversible() { return true; }

LogicalResult LoraOp::verify() {
  // The stack structure itself is checked by the AdapterOpInterface verifier.
  LinearLikeOpInterface linear = getAdapterLayer(*this);
  if (!linear)
    return success();
  if (getInput() != linear.getLinearInput())
    return emitOpError("input must be the input of the adapted layer");

  Type elementType = getBase().getType().getElementType();
  auto aType = getLoraA().getType(), bType = getLoraB().getType();
  if (aType.getElementType() != elementType ||
      bType.getElementType() != elementType)
    return emitOpError("lora_a and lora_b must have the element type ")
           << elementType << " of the layer";
  int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
  if (!compatibleDims(aType.getDimSize(1), in))
    return emitOpError("lora_a ")
           << aType << " must be [rank, " << in << "] (the layer's inputs)";
  if (!compatibleDims(bType.getDimSize(0), out))
    return emitOpError("lora_b ")
           << bType << " must be [" << out << ", rank] (the layer's outputs)";
  if (!compatibleDims(aType.getDimSize(0), bType.getDimSize(1)))
    return emitOpError("rank mismatch: lora_a has ")
           << aType.getDimSize(0) << " rows but lora_b has "
           << bType.getDimSize(1) << " columns";
  if (!std::isfinite(getScale().convertToDouble()))
    return emitOpError("scale must be finite");

  for (auto [name, vector] :
       {std::pair<StringRef, Value>{"magnitude", getMagnitude()},
        {"weight_norm", getWeightNorm()}}) {
    if (!vector)
      continue;
    auto type = cast<RankedTensorType>(vector.getType());
    if (type.getElementType() != elementType)
      return emitOpError(name) << " must have the element type " << elementType;
    if (!compatibleDims(type.getDimSize(0), out))
      return emitOpError(name)
             << " has " << type.getDimSize(0) << " elements, expected " << out;
  }
  if (getMagnitude() && getBase() != linear.getLinearOutput())
    return emitOpError("a DoRA adapter (with magnitude) must sit directly on "
                       "its layer's output");
  if (getWeightNorm() && !(getMagnitude() && getMerged()))
    return emitOpError("weight_norm is only kept by a merged DoRA adapter");
  if (auto adapter = getAdapter(); adapter && adapter->empty())
    return emitOpError("adapter name must not be empty when present");
  return success();
}

//===----------------------------------------------------------------------===//
// IA3Op
//===----------------------------------------------------------------------===//

LinearOp IA3Op::getLinear() {
  LinearLikeOpInterface layer = getAdapterLayer(*this);
  return layer ? dyn_cast<LinearOp>(layer.getOperation()) : LinearOp();
}

StringRef IA3Op::getAdapterName() {
  return getAdapter() ? *getAdapter() : StringRef("default");
}
Value IA3Op::getAdapterBase() { return getBase(); }
bool IA3Op::isMerged() { return false; }
bool IA3Op::passesBaseThrough() { return false; }
bool IA3Op::isReversible() { return false; }

LogicalResult IA3Op::verify() {
  LinearLikeOpInterface linear = getAdapterLayer(*this);
  if (!linear)
    return success(); // reported by the AdapterOpInterface verifier
  if (getFeedforward() && getBase() != linear.getLinearOutput())
    return emitOpError("a feedforward IA³ adapter recomputes its layer and "
                       "must sit directly on the layer's output");
  Type elementType = getBase().getType().getElementType();
  auto type = getScaling().getType();
  if (type.getElementType() != elementType)
    return emitOpError("scaling must have the element type ") << elementType;
  int64_t expected =
      getFeedforward() ? linear.getInFeatures() : linear.getOutFeatures();
  if (!compatibleDims(type.getDimSize(0), expected))
    return emitOpError("scaling has ")
           << type.getDimSize(0) << " elements, expected " << expected << " ("
           << (getFeedforward() ? "input" : "output") << " features)";
  if (auto adapter = getAdapter(); adapter && adapter->empty())
    return emitOpError("adapter name must not be empty when present");
  return success();
}

#include "peft/Dialect/Peft/IR/PeftInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "peft/Dialect/Peft/IR/PeftOps.cpp.inc"
