//===- Broadcast.cpp - numpy broadcasting for onnx-to-linalg --------------===//

#include "Broadcast.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

bool mlir::peft::areBroadcastCompatible(
    ArrayRef<ArrayRef<int64_t>> operandShapes, ArrayRef<int64_t> resultShape) {
  int64_t rank = resultShape.size();
  for (ArrayRef<int64_t> shape : operandShapes)
    if (static_cast<int64_t>(shape.size()) > rank)
      return false;
  for (int64_t dim = 0; dim < rank; ++dim) {
    // The size every non-1 static operand size must have (a static result
    // size, or the first such operand size).
    int64_t known = resultShape[dim];
    for (ArrayRef<int64_t> shape : operandShapes) {
      int64_t offset = rank - static_cast<int64_t>(shape.size());
      if (dim < offset)
        continue;
      int64_t size = shape[dim - offset];
      if (ShapedType::isDynamic(size) || size == 1)
        continue;
      if (!ShapedType::isDynamic(known) && known != size)
        return false;
      known = size;
    }
  }
  return true;
}

AffineMap mlir::peft::getBroadcastIndexingMap(MLIRContext *ctx,
                                              ArrayRef<int64_t> operandShape,
                                              int64_t resultRank) {
  int64_t offset = resultRank - static_cast<int64_t>(operandShape.size());
  SmallVector<AffineExpr> exprs;
  for (auto [i, size] : llvm::enumerate(operandShape))
    exprs.push_back(size == 1 ? getAffineConstantExpr(0, ctx)
                              : getAffineDimExpr(offset + i, ctx));
  return AffineMap::get(resultRank, 0, exprs, ctx);
}

namespace {
/// Where result dimension `dim` of a broadcast gets its size: the first
/// static operand size other than 1 (`size`), else the first operand dynamic
/// there (`operand` at `operandDim`), else 1 (neither set).
struct BroadcastSizeSource {
  std::optional<int64_t> size;
  Value operand;
  int64_t operandDim = 0;
};
} // namespace

static BroadcastSizeSource
getBroadcastSizeSource(ValueRange operands, int64_t resultRank, int64_t dim) {
  BroadcastSizeSource source;
  for (Value operand : operands) {
    auto type = cast<RankedTensorType>(operand.getType());
    int64_t operandDim = dim - (resultRank - type.getRank());
    if (operandDim < 0)
      continue;
    int64_t size = type.getDimSize(operandDim);
    if (ShapedType::isDynamic(size)) {
      if (!source.operand) {
        source.operand = operand;
        source.operandDim = operandDim;
      }
    } else if (size != 1) {
      source.size = size;
      return source;
    }
  }
  return source;
}

OpFoldResult mlir::peft::getBroadcastDimSize(OpBuilder &b, Location loc,
                                             ValueRange operands,
                                             int64_t resultRank, int64_t dim) {
  BroadcastSizeSource source =
      getBroadcastSizeSource(operands, resultRank, dim);
  if (source.size)
    return b.getIndexAttr(*source.size);
  if (source.operand)
    return tensor::DimOp::create(b, loc, source.operand, source.operandDim)
        .getResult();
  return b.getIndexAttr(1);
}

SmallVector<Value>
mlir::peft::getBroadcastDynamicSizes(OpBuilder &b, Location loc,
                                     ValueRange operands,
                                     RankedTensorType resultType) {
  SmallVector<Value> sizes;
  for (int64_t dim = 0, rank = resultType.getRank(); dim < rank; ++dim)
    if (resultType.isDynamicDim(dim))
      sizes.push_back(getValueOrCreateConstantIndexOp(
          b, loc, getBroadcastDimSize(b, loc, operands, rank, dim)));
  return sizes;
}

void mlir::peft::checkBroadcastSizes(OpBuilder &b, Location loc,
                                     ValueRange operands, int64_t resultRank) {
  for (int64_t dim = 0; dim < resultRank; ++dim) {
    BroadcastSizeSource source =
        getBroadcastSizeSource(operands, resultRank, dim);
    Value expected;
    for (Value operand : operands) {
      auto type = cast<RankedTensorType>(operand.getType());
      int64_t operandDim = dim - (resultRank - type.getRank());
      // Static sizes are checked by areBroadcastCompatible; the operand the
      // size comes from (or the same value again) agrees with itself.
      if (operandDim < 0 || !type.isDynamicDim(operandDim) ||
          (operand == source.operand && operandDim == source.operandDim))
        continue;
      if (!expected)
        expected = getValueOrCreateConstantIndexOp(
            b, loc, getBroadcastDimSize(b, loc, operands, resultRank, dim));
      Value actual = tensor::DimOp::create(b, loc, operand, operandDim);
      Value same = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                         actual, expected);
      cf::AssertOp::create(
          b, loc, same,
          "broadcast: a run-time dimension of an operand differs from the "
          "size the other operands give it (broadcasting a run-time 1 is not "
          "supported)");
    }
  }
}

Value mlir::peft::createBroadcastGeneric(
    OpBuilder &b, Location loc, ValueRange inputs, RankedTensorType resultType,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = resultType.getRank();
  checkBroadcastSizes(b, loc, inputs, rank);
  Value init = tensor::EmptyOp::create(
      b, loc, resultType, getBroadcastDynamicSizes(b, loc, inputs, resultType));
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(getBroadcastIndexingMap(
        ctx, cast<RankedTensorType>(input.getType()).getShape(), rank));
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, inputs, init, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

Value mlir::peft::createDimProduct(OpBuilder &b, Location loc, Value tensor,
                                   ArrayRef<int64_t> dims) {
  auto type = cast<RankedTensorType>(tensor.getType());
  int64_t staticProduct = 1;
  Value product;
  for (int64_t dim : dims) {
    if (!type.isDynamicDim(dim)) {
      staticProduct *= type.getDimSize(dim);
      continue;
    }
    Value size = tensor::DimOp::create(b, loc, tensor, dim);
    product = product ? arith::MulIOp::create(b, loc, product, size) : size;
  }
  if (!product)
    return arith::ConstantIndexOp::create(b, loc, staticProduct);
  if (staticProduct == 1)
    return product;
  return arith::MulIOp::create(
      b, loc, product, arith::ConstantIndexOp::create(b, loc, staticProduct));
}

SmallVector<int64_t> mlir::peft::dropReducedDims(ArrayRef<int64_t> shape,
                                                 ArrayRef<bool> reduced) {
  SmallVector<int64_t> kept;
  for (auto [size, isReduced] : llvm::zip_equal(shape, reduced))
    if (!isReduced)
      kept.push_back(size);
  return kept;
}

AffineMap mlir::peft::getReducedIndexingMap(MLIRContext *ctx,
                                            ArrayRef<bool> reduced) {
  SmallVector<AffineExpr> exprs;
  for (auto [dim, isReduced] : llvm::enumerate(reduced))
    if (!isReduced)
      exprs.push_back(getAffineDimExpr(dim, ctx));
  return AffineMap::get(reduced.size(), 0, exprs, ctx);
}

SmallVector<Value> mlir::peft::getReducedDynamicSizes(OpBuilder &b,
                                                      Location loc,
                                                      Value source,
                                                      ArrayRef<bool> reduced) {
  auto type = cast<RankedTensorType>(source.getType());
  SmallVector<Value> sizes;
  for (auto [dim, isReduced] : llvm::enumerate(reduced))
    if (!isReduced && type.isDynamicDim(dim))
      sizes.push_back(tensor::DimOp::create(b, loc, source, dim));
  return sizes;
}

Value mlir::peft::expandReducedDims(OpBuilder &b, Location loc, Value value,
                                    ArrayRef<bool> reduced) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape;
  SmallVector<OpFoldResult> outputShape;
  SmallVector<ReassociationIndices> groups;
  // Each kept dim heads a group; a reduced dim joins the group of the kept
  // dim before it (leading reduced dims join the first group). A 0-D source
  // has no groups.
  groups.resize(type.getRank());
  int64_t kept = 0, group = 0;
  for (auto [dim, isReduced] : llvm::enumerate(reduced)) {
    if (isReduced) {
      shape.push_back(1);
      outputShape.push_back(b.getIndexAttr(1));
    } else {
      shape.push_back(type.getDimSize(kept));
      outputShape.push_back(tensor::getMixedSize(b, loc, value, kept));
      group = kept++;
    }
    if (!groups.empty())
      groups[group].push_back(dim);
  }
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  return tensor::ExpandShapeOp::create(b, loc, resultType, value, groups,
                                       outputShape);
}
