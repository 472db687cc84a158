//===- Accumulation.cpp - accumulator types of contractions ---------------===//

#include "Accumulation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Type peft::getAccumulatorType(Type elementType) {
  auto floatType = dyn_cast<FloatType>(elementType);
  if (floatType && floatType.getWidth() < 32)
    return Float32Type::get(elementType.getContext());
  return elementType;
}

Value peft::convertFloat(OpBuilder &b, Location loc, Value value, Type to) {
  auto from = cast<FloatType>(value.getType());
  auto toFloat = cast<FloatType>(to);
  if (from == toFloat)
    return value;
  if (from.getWidth() == toFloat.getWidth())
    value = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
  if (cast<FloatType>(value.getType()).getWidth() < toFloat.getWidth())
    return arith::ExtFOp::create(b, loc, to, value);
  return arith::TruncFOp::create(b, loc, to, value);
}

Value peft::convertIfFloat(OpBuilder &b, Location loc, Value value, Type to) {
  if (value.getType() == to || !isa<FloatType>(value.getType()) ||
      !isa<FloatType>(to))
    return value;
  return convertFloat(b, loc, value, to);
}

Value peft::convertElements(OpBuilder &b, Location loc, Value value,
                            Type elementType) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getElementType() == elementType)
    return value;
  int64_t rank = type.getRank();
  Value empty = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, value), elementType);
  AffineMap id = b.getMultiDimIdentityMap(rank);
  return linalg::GenericOp::create(
             b, loc, type.clone(elementType), ValueRange{value},
             ValueRange{empty}, ArrayRef<AffineMap>{id, id},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   nb, l, convertFloat(nb, l, args[0], elementType));
             })
      .getResult(0);
}
