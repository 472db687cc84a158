//===- PeftOps.cpp - peft op verifiers and helpers ------------------------===//

#include "peft/Dialect/Peft/IR/PeftOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::peft;

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

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

#define GET_OP_CLASSES
#include "peft/Dialect/Peft/IR/PeftOps.cpp.inc"
