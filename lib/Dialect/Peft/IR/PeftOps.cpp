//===- PeftOps.cpp - peft op verifiers and helpers ------------------------===//

#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Support/ShapeArithmetic.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace mlir;
using namespace mlir::peft;

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

OpOperand *LinearOp::getDenseWeightOperand() { return &getWeightMutable(); }
WeightLayout LinearOp::getDenseWeightLayout() { return getLayout(); }

int64_t LinearOp::getInFeatures() {
  auto shape = getWeight().getType().getShape();
  return getLayout() == WeightLayout::out_in ? shape[1] : shape[0];
}

int64_t LinearOp::getOutFeatures() {
  auto shape = getWeight().getType().getShape();
  return getLayout() == WeightLayout::out_in ? shape[0] : shape[1];
}

/// The checks every linear-like op shares: the input's last dimension is
/// `in`, the result has the input's leading dimensions and `out` features,
/// the bias (if any) has `out` elements, and a present path is not empty.
/// `weightWhat` and `weightType` name what fixes `in` in the error.
static LogicalResult verifyLinearShapes(Operation *op, RankedTensorType input,
                                        RankedTensorType result, int64_t in,
                                        int64_t out, Value bias,
                                        std::optional<StringRef> path,
                                        const Twine &weightWhat,
                                        Type weightType) {
  if (input.getRank() < 1)
    return op->emitOpError("input must have rank >= 1, got a 0-d tensor");
  if (result.getRank() != input.getRank())
    return op->emitOpError("result rank ")
           << result.getRank() << " differs from input rank "
           << input.getRank();
  int64_t inputFeatures = input.getShape().back();
  if (!areCompatibleDims(inputFeatures, in))
    return op->emitOpError("input has ")
           << inputFeatures << " features but " << weightWhat << " "
           << weightType << " expects " << in;
  if (bias) {
    int64_t n = cast<RankedTensorType>(bias.getType()).getDimSize(0);
    if (!areCompatibleDims(n, out))
      return op->emitOpError("bias has ") << n << " elements, expected " << out;
  }
  for (int64_t i = 0, e = input.getRank() - 1; i < e; ++i)
    if (!areCompatibleDims(input.getDimSize(i), result.getDimSize(i)))
      return op->emitOpError("result dimension ")
             << i << " (" << result.getDimSize(i)
             << ") differs from input dimension (" << input.getDimSize(i)
             << ")";
  if (!areCompatibleDims(result.getShape().back(), out))
    return op->emitOpError("result has ")
           << result.getShape().back() << " features, expected " << out;
  if (path && path->empty())
    return op->emitOpError("module path must not be empty when present");
  return success();
}

LogicalResult LinearOp::verify() {
  auto inputType = getInput().getType();
  auto resultType = getResult().getType();
  Type elementType = inputType.getElementType();
  if (getWeight().getType().getElementType() != elementType ||
      resultType.getElementType() != elementType ||
      (getBias() && getBias().getType().getElementType() != elementType))
    return emitOpError("input, weight, bias and result must share the element "
                       "type ")
           << elementType;
  return verifyLinearShapes(*this, inputType, resultType, getInFeatures(),
                            getOutFeatures(), getBias(), getPath(),
                            "the " + stringifyEnum(getLayout()) + " weight",
                            getWeight().getType());
}

//===----------------------------------------------------------------------===//
// QLinearOp and LrqatLinearOp
//===----------------------------------------------------------------------===//

/// Checks the per-row or per-group parameter `param` (scales, zero points)
/// of a [out, in] weight: shape [out, groups].
static LogicalResult verifyGroupParam(Operation *op, StringRef what,
                                      RankedTensorType param, int64_t out,
                                      int64_t in,
                                      std::optional<int64_t> groupSize) {
  int64_t groups = groupSize ? (in + *groupSize - 1) / *groupSize : 1;
  if (!areCompatibleDims(param.getDimSize(0), out) ||
      !areCompatibleDims(param.getDimSize(1), groups))
    return op->emitOpError()
           << what << " " << param << " must be [" << out << ", " << groups
           << "] ("
           << (groupSize ? "one per group of " + std::to_string(*groupSize) +
                               " input features"
                         : std::string("one per output channel"))
           << ")";
  return success();
}

/// The float element types of input, result, bias agree; scales are float.
static LogicalResult verifyFloatTypes(Operation *op, RankedTensorType input,
                                      RankedTensorType result, Value bias) {
  Type elementType = input.getElementType();
  if (result.getElementType() != elementType ||
      (bias &&
       cast<RankedTensorType>(bias.getType()).getElementType() != elementType))
    return op->emitOpError("input, bias and result must share the element "
                           "type ")
           << elementType;
  return success();
}

int64_t QLinearOp::getInFeatures() {
  return getWeight().getType().getDimSize(1);
}
int64_t QLinearOp::getOutFeatures() {
  return getWeight().getType().getDimSize(0);
}

LogicalResult QLinearOp::verify() {
  auto inputType = getInput().getType();
  auto resultType = getResult().getType();
  if (failed(verifyFloatTypes(*this, inputType, resultType, getBias())))
    return failure();
  int64_t in = getInFeatures(), out = getOutFeatures();
  if (ShapedType::isDynamic(in) || ShapedType::isDynamic(out))
    return emitOpError("the integer weight must have a static shape");
  if (failed(verifyGroupParam(*this, "scales", getScales().getType(), out, in,
                              getGroupSize())))
    return failure();
  if (Value zp = getZeroPoints()) {
    auto type = cast<RankedTensorType>(zp.getType());
    if (type.getElementType() != getWeight().getType().getElementType())
      return emitOpError("zero points must have the weight's element type ")
             << getWeight().getType().getElementType();
    if (failed(verifyGroupParam(*this, "zero points", type, out, in,
                                getGroupSize())))
      return failure();
  }
  return verifyLinearShapes(*this, inputType, resultType, in, out, getBias(),
                            getPath(), "the weight", getWeight().getType());
}

int64_t LrqatLinearOp::getInFeatures() {
  return getPhi0().getType().getDimSize(1);
}
int64_t LrqatLinearOp::getOutFeatures() {
  return getPhi0().getType().getDimSize(0);
}

LogicalResult LrqatLinearOp::verify() {
  auto inputType = getInput().getType();
  auto resultType = getResult().getType();
  if (failed(verifyFloatTypes(*this, inputType, resultType, getBias())))
    return failure();
  int64_t in = getInFeatures(), out = getOutFeatures();
  if (ShapedType::isDynamic(in) || ShapedType::isDynamic(out))
    return emitOpError("phi0 must have a static shape");
  Type phi = getPhi0().getType().getElementType();
  if (auto i = dyn_cast<IntegerType>(phi);
      i && i.getWidth() != 8 && int64_t(i.getWidth()) != int64_t(getBits()))
    return emitOpError("an integer phi0 must be i8 (fixed point) or have "
                       "the width of bits = ")
           << getBits() << ", got " << phi;
  auto a = getLoraA().getType(), b = getLoraB().getType();
  if (!areCompatibleDims(a.getDimSize(0), out) ||
      !areCompatibleDims(b.getDimSize(1), in) ||
      !areCompatibleDims(a.getDimSize(1), b.getDimSize(0)))
    return emitOpError("lora_a ") << a << " and lora_b " << b << " must be ["
                                  << out << ", r] and [r, " << in << "]";
  if (ShapedType::isDynamic(a.getDimSize(1)) || a.getDimSize(1) < 1)
    return emitOpError("the rank (columns of lora_a) must be static and >= 1");
  if (!std::isfinite(getAlpha().convertToDouble()))
    return emitOpError("alpha must be finite");
  if (failed(verifyGroupParam(*this, "scales", getScales().getType(), out, in,
                              getGroupSize())))
    return failure();
  return verifyLinearShapes(*this, inputType, resultType, in, out, getBias(),
                            getPath(), "phi0", getPhi0().getType());
}

//===----------------------------------------------------------------------===//
// LowRankOp
//===----------------------------------------------------------------------===//

int64_t LowRankOp::getInFeatures() { return getV().getType().getDimSize(1); }
int64_t LowRankOp::getOutFeatures() { return getU().getType().getDimSize(0); }

LogicalResult LowRankOp::verify() {
  auto inputType = getInput().getType();
  auto resultType = getResult().getType();
  Type elementType = inputType.getElementType();
  if (getU().getType().getElementType() != elementType ||
      getV().getType().getElementType() != elementType ||
      resultType.getElementType() != elementType ||
      (getBias() && getBias().getType().getElementType() != elementType))
    return emitOpError("input, u, v, bias and result must share the element "
                       "type ")
           << elementType;
  auto u = getU().getType(), v = getV().getType();
  if (ShapedType::isDynamic(u.getDimSize(1)) ||
      ShapedType::isDynamic(v.getDimSize(0)))
    return emitOpError("the rank (columns of u, rows of v) must be static");
  if (u.getDimSize(1) != v.getDimSize(0))
    return emitOpError("u ")
           << u << " and v " << v << " must be [out, k] and [k, in] with one k";
  if (getRank() < 1)
    return emitOpError("the rank must be >= 1, got ") << getRank();
  return verifyLinearShapes(*this, inputType, resultType, getInFeatures(),
                            getOutFeatures(), getBias(), getPath(), "v", v);
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

/// The checks every low-rank adapter shares: its input is its layer's,
/// `lora_a` ([rank, in]) and `lora_b` ([out, rank]) have the layer's element
/// type and sizes; `rank` names the rank dimension in messages.
static LogicalResult verifyLowRankFactors(Operation *op,
                                          LinearLikeOpInterface linear,
                                          Value input, Value base, Value loraA,
                                          Value loraB, StringRef rank) {
  if (input != linear.getLinearInput())
    return op->emitOpError("input must be the input of the adapted layer");
  Type elementType = cast<ShapedType>(base.getType()).getElementType();
  auto aType = cast<RankedTensorType>(loraA.getType());
  auto bType = cast<RankedTensorType>(loraB.getType());
  if (aType.getElementType() != elementType ||
      bType.getElementType() != elementType)
    return op->emitOpError("lora_a and lora_b must have the element type ")
           << elementType << " of the layer";
  int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
  if (!areCompatibleDims(aType.getDimSize(1), in))
    return op->emitOpError("lora_a ") << aType << " must be [" << rank << ", "
                                      << in << "] (the layer's inputs)";
  if (!areCompatibleDims(bType.getDimSize(0), out))
    return op->emitOpError("lora_b ") << bType << " must be [" << out << ", "
                                      << rank << "] (the layer's outputs)";
  return success();
}

LogicalResult LoraOp::verify() {
  // The stack structure itself is checked by the AdapterOpInterface verifier.
  LinearLikeOpInterface linear = getAdapterLayer(*this);
  if (!linear)
    return success();
  if (failed(verifyLowRankFactors(*this, linear, getInput(), getBase(),
                                  getLoraA(), getLoraB(), "rank")))
    return failure();
  Type elementType = getBase().getType().getElementType();
  auto aType = getLoraA().getType(), bType = getLoraB().getType();
  int64_t out = linear.getOutFeatures();
  if (!areCompatibleDims(aType.getDimSize(0), bType.getDimSize(1)))
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
    if (!areCompatibleDims(type.getDimSize(0), out))
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
  if (!areCompatibleDims(type.getDimSize(0), expected))
    return emitOpError("scaling has ")
           << type.getDimSize(0) << " elements, expected " << expected << " ("
           << (getFeedforward() ? "input" : "output") << " features)";
  if (auto adapter = getAdapter(); adapter && adapter->empty())
    return emitOpError("adapter name must not be empty when present");
  return success();
}

//===----------------------------------------------------------------------===//
// LoraBankOp
//===----------------------------------------------------------------------===//

StringRef LoraBankOp::getAdapterName() {
  return getAdapter() ? *getAdapter() : StringRef("bank");
}
Value LoraBankOp::getAdapterBase() { return getBase(); }
bool LoraBankOp::isMergeable() { return false; }
bool LoraBankOp::isMerged() { return false; }
bool LoraBankOp::passesBaseThrough() { return true; }
bool LoraBankOp::isReversible() { return false; }

LogicalResult LoraBankOp::merge() {
  return emitOpError("an adapter bank cannot be merged into its layer's "
                     "weight; select one task first (peft-select-task)");
}
LogicalResult LoraBankOp::unmerge() {
  return emitOpError("an adapter bank is never merged");
}

int64_t LoraBankOp::getNumTasks() {
  if (isRuntime())
    return getTaskScales().getType().getDimSize(0);
  return getRanks() ? static_cast<int64_t>(getRanks()->size()) : 0;
}

SmallVector<int64_t> LoraBankOp::getRankOffsetValues() {
  SmallVector<int64_t> offsets = {0};
  if (std::optional<ArrayRef<int64_t>> ranks = getRanks())
    for (int64_t rank : *ranks)
      offsets.push_back(offsets.back() + rank);
  return offsets;
}

std::optional<int64_t> LoraBankOp::lookupTask(StringRef task) {
  if (std::optional<ArrayAttr> tasks = getTasks())
    for (auto [index, name] :
         llvm::enumerate(tasks->getAsValueRange<StringAttr>()))
      if (name == task)
        return index;
  return std::nullopt;
}

LogicalResult LoraBankOp::verify() {
  LinearLikeOpInterface linear = getAdapterLayer(*this);
  if (!linear)
    return success(); // reported by the AdapterOpInterface verifier
  if (failed(verifyLowRankFactors(*this, linear, getInput(), getBase(),
                                  getLoraA(), getLoraB(), "total rank")))
    return failure();
  Type elementType = getBase().getType().getElementType();
  auto aType = getLoraA().getType(), bType = getLoraB().getType();
  int64_t rows = aType.getDimSize(0);
  if (!areCompatibleDims(rows, bType.getDimSize(1)))
    return emitOpError("lora_a has ")
           << rows << " rows but lora_b has " << bType.getDimSize(1)
           << " columns; both hold the stacked ranks of every task";
  if (getTaskIds() && getInput().getType().getRank() < 2)
    return emitOpError("a routed bank needs an input with a row dimension");
  if (auto adapter = getAdapter(); adapter && adapter->empty())
    return emitOpError("adapter name must not be empty when present");

  if (isRuntime()) {
    if (getRanks() || getScales())
      return emitOpError("a runtime bank takes its ranks and scales from "
                         "rank_offsets and task_scales, not from attributes");
    int64_t slots = getTaskScales().getType().getDimSize(0);
    if (!areCompatibleDims(getRankOffsets().getType().getDimSize(0),
                           ShapedType::isDynamic(slots) ? slots : slots + 1))
      return emitOpError("rank_offsets must have one more element than "
                         "task_scales (")
             << slots << ")";
    if (getTaskScales().getType().getElementType() != elementType)
      return emitOpError("task_scales must have the element type ")
             << elementType;
    if (getTasks() && !ShapedType::isDynamic(slots) &&
        static_cast<int64_t>(getTasks()->size()) > slots)
      return emitOpError("names ")
             << getTasks()->size() << " tasks but has " << slots << " slots";
    return success();
  }
  if (!getTasks() || !getRanks() || !getScales())
    return emitOpError("needs tasks, ranks and scales (or the runtime "
                       "operands rank_offsets and task_scales)");
  size_t numTasks = getTasks()->size();
  if (getRanks()->size() != numTasks || getScales()->size() != numTasks)
    return emitOpError("has ")
           << numTasks << " tasks but " << getRanks()->size() << " ranks and "
           << getScales()->size() << " scales";
  llvm::StringSet<> seen;
  for (auto [index, name] :
       llvm::enumerate(getTasks()->getAsValueRange<StringAttr>())) {
    if (name.empty())
      return emitOpError("task ") << index << " has an empty name";
    if (!seen.insert(name).second)
      return emitOpError("task '") << name << "' occurs twice";
    if ((*getRanks())[index] < 0)
      return emitOpError("task '")
             << name << "' has negative rank " << (*getRanks())[index];
    if (!std::isfinite((*getScales())[index]))
      return emitOpError("task '") << name << "' has a non-finite scale";
  }
  int64_t total = getRankOffsetValues().back();
  if (!areCompatibleDims(rows, total))
    return emitOpError("the task ranks add up to ")
           << total << " but lora_a has " << rows << " rows";
  return success();
}

#include "peft/Dialect/Peft/IR/PeftInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "peft/Dialect/Peft/IR/PeftOps.cpp.inc"
