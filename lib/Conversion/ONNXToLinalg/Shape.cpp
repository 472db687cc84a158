//===- Shape.cpp - onnx shape ops to linalg -------------------------------===//
//
// Shape ops compute their extents at run time (tensor.dim, tensor.extract of
// shape vectors) and fold where those are constant. Small integer vectors
// (shape arithmetic) are rebuilt element by element with
// tensor.from_elements, so that Shape -> Gather -> Unsqueeze -> Concat ->
// Reshape chains fold down to the tensor.dim values they copy.
//
//===----------------------------------------------------------------------===//

#include "ShapeUtils.h"
#include "peft/Conversion/ONNXToLinalg/ONNXToLinalg.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::onnx_to_linalg;

namespace {

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

/// The elements of a small static tensor rebuilt as `resultType` (same
/// element count): reshapes of shape vectors that fold.
Value rebuildSmall(OpBuilder &b, Location loc, Value source,
                   RankedTensorType resultType) {
  auto type = cast<RankedTensorType>(source.getType());
  SmallVector<Value> elements;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i)
    elements.push_back(extractElement(b, loc, source, i));
  return rebuildFromElements(b, loc, elements, resultType);
}

/// Shape -> tensor.from_elements of the (clamped) [start, end) extents.
struct ShapeLowering : ONNXConversion<onnx_ir::ShapeOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::ShapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inputType = dyn_cast<RankedTensorType>(adaptor.getData().getType());
    RankedTensorType type = convertResult(op.getShape());
    if (!inputType || !type)
      return matchFailure(rewriter, op, "unranked");
    int64_t rank = inputType.getRank();
    auto clampIndex = [&](int64_t i) {
      if (i < 0)
        i += rank;
      return std::clamp<int64_t>(i, 0, rank);
    };
    int64_t start = clampIndex(op.getStartOrDefault());
    int64_t end = clampIndex(op.getEndAttr() ? op.getEndAttr().getInt() : rank);
    Location loc = op.getLoc();
    SmallVector<Value> elements;
    for (int64_t d = start; d < end; ++d)
      elements.push_back(dimI64(rewriter, loc, adaptor.getData(), d));
    auto shapeType = RankedTensorType::get(
        {static_cast<int64_t>(elements.size())}, rewriter.getI64Type());
    Value shape = rebuildFromElements(rewriter, loc, elements, shapeType);
    rewriter.replaceOp(op, castTo(rewriter, loc, shape, type));
    return success();
  }
};

/// Reshape with the shape read at run time: 0 copies the input extent
/// (unless allowzero), -1 takes what is left; tensor.reshape.
struct ReshapeLowering : ONNXConversion<onnx_ir::ReshapeOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData();
    auto dataType = dyn_cast<RankedTensorType>(data.getType());
    auto shapeType = dyn_cast<RankedTensorType>(adaptor.getShape().getType());
    RankedTensorType type = convertResult(op.getReshaped());
    if (!dataType || !shapeType || !type || shapeType.getRank() != 1 ||
        shapeType.isDynamicDim(0) || shapeType.getDimSize(0) != type.getRank())
      return matchFailure(rewriter, op,
                          "needs ranked data, result and "
                          "a shape of static length");
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    int64_t rank = dataType.getRank();
    bool allowZero = op.getAllowzeroOrDefault() != 0;
    Value zero = i64Constant(b, loc, 0), one = i64Constant(b, loc, 1),
          minusOne = i64Constant(b, loc, -1);
    auto select = [&](Value cond, Value x, Value y) {
      return b.createOrFold<arith::SelectOp>(loc, cond, x, y);
    };
    auto eq = [&](Value x, Value y) {
      return b.createOrFold<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, x, y);
    };

    SmallVector<Value> dims = *readShapeVector(b, loc, adaptor.getShape());
    for (auto [i, dim] : llvm::enumerate(dims))
      if (!allowZero && static_cast<int64_t>(i) < rank)
        dim = select(eq(dim, zero), dimI64(b, loc, data, i), dim);
    bool mayInfer = llvm::any_of(dims, [](Value dim) {
      std::optional<int64_t> c = getConstantIntValue(dim);
      return !c || *c == -1;
    });
    if (mayInfer) {
      Value total = one, known = one;
      for (int64_t d = 0; d < rank; ++d)
        total =
            b.createOrFold<arith::MulIOp>(loc, total, dimI64(b, loc, data, d));
      for (Value dim : dims)
        known = b.createOrFold<arith::MulIOp>(
            loc, known, select(eq(dim, minusOne), one, dim));
      // A zero extent next to -1 leaves nothing to infer: avoid dividing by 0.
      Value divisor = select(eq(known, zero), one, known);
      Value inferred = b.createOrFold<arith::DivSIOp>(loc, total, divisor);
      for (Value &dim : dims)
        dim = select(eq(dim, minusOne), inferred, dim);
    }

    SmallVector<OpFoldResult> sizes;
    for (Value dim : dims)
      sizes.push_back(i64ToSize(b, loc, dim));
    auto resultType = RankedTensorType::get(
        refineShape(getStaticShape(sizes), type.getShape()),
        type.getElementType());
    Value result;
    if (isSmallIntVector(dataType) && resultType.hasStaticShape() &&
        resultType.getNumElements() == dataType.getNumElements()) {
      result = rebuildSmall(b, loc, data, resultType);
    } else {
      Value shape =
          dims.empty()
              ? Value(arith::ConstantOp::create(
                    b, loc,
                    DenseElementsAttr::get(
                        RankedTensorType::get({0}, b.getI64Type()),
                        ArrayRef<Attribute>{})))
              : tensor::FromElementsOp::create(b, loc, dims).getResult();
      result = tensor::ReshapeOp::create(b, loc, resultType, data, shape);
    }
    rewriter.replaceOp(op, castTo(b, loc, result, type));
    return success();
  }
};

/// Flatten -> tensor.collapse_shape (and expand_shape for a unit extent).
struct FlattenLowering : ONNXConversion<onnx_ir::FlattenOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::FlattenOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    RankedTensorType type = convertResult(op.getOutput());
    if (!inputType || !type || type.getRank() != 2)
      return matchFailure(rewriter, op, "unranked");
    int64_t rank = inputType.getRank();
    int64_t axis = op.getAxisOrDefault();
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis > rank)
      return matchFailure(rewriter, op, "axis out of range");
    Location loc = op.getLoc();
    Value result;
    if (rank == 0) {
      result = tensor::ExpandShapeOp::create(
          rewriter, loc, RankedTensorType::get({1, 1}, type.getElementType()),
          input, ArrayRef<ReassociationIndices>{},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1),
                                 rewriter.getIndexAttr(1)});
    } else if (axis == 0 || axis == rank) {
      Value flat =
          rank == 1 ? input : collapseLeading(rewriter, loc, input, rank);
      OpFoldResult n = getSize(rewriter, loc, flat, 0);
      SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(1), n};
      if (axis == rank)
        std::swap(sizes[0], sizes[1]);
      result = tensor::ExpandShapeOp::create(
          rewriter, loc,
          RankedTensorType::get(getStaticShape(sizes), type.getElementType()),
          flat, ArrayRef<ReassociationIndices>{{0, 1}}, sizes);
    } else {
      SmallVector<ReassociationIndices> groups(2);
      for (int64_t d = 0; d < rank; ++d)
        groups[d < axis ? 0 : 1].push_back(d);
      result = tensor::CollapseShapeOp::create(rewriter, loc, input, groups);
    }
    rewriter.replaceOp(op, castTo(rewriter, loc, result, type));
    return success();
  }
};

/// The axes of Unsqueeze/Squeeze: the constant input, else the attribute.
/// nullopt when the input is not constant; an empty optional inside when
/// neither is given.
std::optional<std::optional<SmallVector<int64_t>>>
getAxes(Value original, Value converted,
        std::optional<ArrayRef<int64_t>> attr) {
  if (!onnx_ir::isNone(original)) {
    std::optional<SmallVector<int64_t>> axes =
        getConstantInts(original, converted);
    if (!axes)
      return std::nullopt;
    return axes;
  }
  if (attr)
    return std::optional<SmallVector<int64_t>>(llvm::to_vector(*attr));
  return std::optional<SmallVector<int64_t>>();
}

/// Groups the dimensions of the larger rank `rank` around the kept ones
/// (`isUnit[d]` marks the inserted or removed unit dimensions): units join
/// the next kept dimension, trailing ones the last.
SmallVector<ReassociationIndices> groupAroundUnits(ArrayRef<bool> isUnit) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (auto [d, unit] : llvm::enumerate(isUnit)) {
    pending.push_back(d);
    if (!unit) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  if (!pending.empty() && !groups.empty())
    groups.back().append(pending.begin(), pending.end());
  return groups;
}

/// The length of run-time axes when it is static, else nullopt.
std::optional<int64_t> getRuntimeAxesLength(Value axes) {
  auto type = dyn_cast<RankedTensorType>(axes.getType());
  if (!type || type.getRank() != 1 || type.isDynamicDim(0))
    return std::nullopt;
  return type.getDimSize(0);
}

/// Unsqueeze -> tensor.expand_shape inserting unit extents (it never splits
/// a dynamic extent into several). Axes read at run time leave the element
/// order as it is: a tensor.reshape to the extents they give.
struct UnsqueezeLowering : ONNXConversion<onnx_ir::UnsqueezeOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::UnsqueezeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData();
    auto dataType = dyn_cast<RankedTensorType>(data.getType());
    RankedTensorType type = convertResult(op.getExpanded());
    auto axes =
        getAxes(op.getAxesInput(), adaptor.getAxesInput(), op.getAxes());
    if (dataType && type && !axes)
      return lowerRuntimeAxes(op, data, adaptor.getAxesInput(), type, rewriter);
    if (!dataType || !type || !axes || !*axes)
      return matchFailure(rewriter, op,
                          "needs ranked data and constant "
                          "axes");
    int64_t outRank = dataType.getRank() + (*axes)->size();
    SmallVector<bool> isUnit(outRank, false);
    for (int64_t axis : **axes) {
      std::optional<int64_t> a = normalizeAxis(axis, outRank);
      if (!a || isUnit[*a])
        return matchFailure(rewriter, op, "invalid axes");
      isUnit[*a] = true;
    }
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0, in = 0; d < outRank; ++d)
      sizes.push_back(isUnit[d] ? rewriter.getIndexAttr(1)
                                : getSize(rewriter, loc, data, in++));
    auto resultType =
        RankedTensorType::get(getStaticShape(sizes), dataType.getElementType());
    Value result;
    if (isSmallIntVector(dataType))
      result = rebuildSmall(rewriter, loc, data, resultType);
    else
      result = tensor::ExpandShapeOp::create(rewriter, loc, resultType, data,
                                             groupAroundUnits(isUnit), sizes);
    rewriter.replaceOp(op, castTo(rewriter, loc, result, type));
    return success();
  }

  /// Output extent p is 1 where an axis names p, else input extent
  /// p - (units before p); the result rank is rank(data) + len(axes).
  LogicalResult lowerRuntimeAxes(onnx_ir::UnsqueezeOp op, Value data,
                                 Value axes, RankedTensorType type,
                                 ConversionPatternRewriter &rewriter) const {
    int64_t rank = cast<RankedTensorType>(data.getType()).getRank();
    std::optional<int64_t> length = getRuntimeAxesLength(axes);
    if (!length || type.getRank() != rank + *length)
      return matchFailure(rewriter, op, "run-time axes of unknown length");
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    auto c = [&](int64_t v) { return i64Constant(b, loc, v); };
    SmallVector<Value> isUnit =
        getRuntimeAxisMask(b, loc, axes, type.getRank());
    SmallVector<OpFoldResult> sizes;
    Value units = c(0);
    for (int64_t p = 0; p < type.getRank(); ++p) {
      if (!type.isDynamicDim(p)) {
        sizes.push_back(b.getIndexAttr(type.getDimSize(p)));
      } else {
        Value source = b.createOrFold<arith::SubIOp>(loc, c(p), units);
        Value size = c(1);
        for (int64_t d = 0; d < rank; ++d) {
          Value isD = b.createOrFold<arith::CmpIOp>(
              loc, arith::CmpIPredicate::eq, source, c(d));
          size = b.createOrFold<arith::SelectOp>(loc, isD,
                                                 dimI64(b, loc, data, d), size);
        }
        size = b.createOrFold<arith::SelectOp>(loc, isUnit[p], c(1), size);
        sizes.push_back(i64ToSize(b, loc, size));
      }
      units = b.createOrFold<arith::AddIOp>(
          loc, units,
          b.createOrFold<arith::SelectOp>(loc, isUnit[p], c(1), c(0)));
    }
    Value result = reshapeTo(b, loc, data, sizes);
    rewriter.replaceOp(op, castTo(b, loc, result, type));
    return success();
  }
};

/// Squeeze -> tensor.collapse_shape; a dynamic extent named by `axes` is
/// first cast to 1 (ONNX requires it to be 1). Axes read at run time leave
/// the element order as it is: a tensor.reshape to the extents they keep
/// (an empty axes tensor is no axes).
struct SqueezeLowering : ONNXConversion<onnx_ir::SqueezeOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::SqueezeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData();
    auto dataType = dyn_cast<RankedTensorType>(data.getType());
    RankedTensorType type = convertResult(op.getSqueezed());
    auto axes =
        getAxes(op.getAxesInput(), adaptor.getAxesInput(), op.getAxes());
    std::optional<int64_t> runtimeLength =
        getRuntimeAxesLength(adaptor.getAxesInput());
    if (dataType && type && !axes && runtimeLength == 0)
      axes = std::optional<SmallVector<int64_t>>();
    if (dataType && type && !axes && runtimeLength &&
        type.getRank() == dataType.getRank() - *runtimeLength) {
      Location loc = op.getLoc();
      SmallVector<Value> dropped = getRuntimeAxisMask(
          rewriter, loc, adaptor.getAxesInput(), dataType.getRank());
      SmallVector<OpFoldResult> sizes =
          getKeptSizes(rewriter, loc, data, dropped, type.getShape());
      rewriter.replaceOp(
          op,
          castTo(rewriter, loc, reshapeTo(rewriter, loc, data, sizes), type));
      return success();
    }
    if (!dataType || !type || !axes)
      return matchFailure(rewriter, op,
                          "needs ranked data and constant "
                          "axes");
    int64_t rank = dataType.getRank();
    SmallVector<bool> isUnit(rank, false);
    if (*axes) {
      for (int64_t axis : **axes) {
        std::optional<int64_t> a = normalizeAxis(axis, rank);
        if (!a || isUnit[*a] ||
            (!dataType.isDynamicDim(*a) && dataType.getDimSize(*a) != 1))
          return matchFailure(rewriter, op, "invalid axes");
        isUnit[*a] = true;
      }
    } else {
      // Without axes every unit extent goes; a dynamic one is undecidable.
      if (!dataType.hasStaticShape())
        return matchFailure(rewriter, op, "no axes and dynamic extents");
      for (int64_t d = 0; d < rank; ++d)
        isUnit[d] = dataType.getDimSize(d) == 1;
    }
    SmallVector<int64_t> sourceShape(dataType.getShape());
    SmallVector<int64_t> resultShape;
    for (int64_t d = 0; d < rank; ++d) {
      if (isUnit[d])
        sourceShape[d] = 1;
      else
        resultShape.push_back(sourceShape[d]);
    }
    Location loc = op.getLoc();
    data =
        castTo(rewriter, loc, data,
               RankedTensorType::get(sourceShape, dataType.getElementType()));
    auto resultType =
        RankedTensorType::get(resultShape, dataType.getElementType());
    Value result;
    if (isSmallIntVector(data.getType()))
      result = rebuildSmall(rewriter, loc, data, resultType);
    else
      result = tensor::CollapseShapeOp::create(rewriter, loc, resultType, data,
                                               groupAroundUnits(isUnit));
    rewriter.replaceOp(op, castTo(rewriter, loc, result, type));
    return success();
  }
};

/// Expand -> linalg.generic broadcasting to max(rank, len(shape)) dims.
/// Static unit extents broadcast through the indexing map; a dynamic input
/// extent is checked at run time (tensor.extract at index 0 when it is 1).
struct ExpandLowering : ONNXConversion<onnx_ir::ExpandOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::ExpandOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    RankedTensorType type = convertResult(op.getOutput());
    auto shapeType = dyn_cast<RankedTensorType>(adaptor.getShape().getType());
    if (!inputType || !type || !shapeType || shapeType.getRank() != 1 ||
        shapeType.isDynamicDim(0) ||
        !isa<IntegerType>(shapeType.getElementType()))
      return matchFailure(rewriter, op,
                          "needs ranked input and a shape "
                          "of static length");
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    SmallVector<Value> shape = *readShapeVector(b, loc, adaptor.getShape());
    int64_t rank = inputType.getRank();
    int64_t numShape = shape.size();
    int64_t outRank = std::max(rank, numShape);
    if (type.getRank() != outRank)
      return matchFailure(rewriter, op, "result rank mismatch");

    SmallVector<OpFoldResult> sizes;
    Value one = indexConstant(b, loc, 1);
    for (int64_t j = 0; j < outRank; ++j) {
      int64_t i = j - (outRank - rank), s = j - (outRank - numShape);
      Value target = s >= 0 ? i64ToIndex(b, loc, shape[s]) : Value();
      if (i < 0) {
        sizes.push_back(getAsOpFoldResult(target));
        continue;
      }
      OpFoldResult dim = getSize(b, loc, input, i);
      std::optional<int64_t> staticDim = getConstantIntValue(dim);
      if (!target || (staticDim && *staticDim != 1)) {
        sizes.push_back(dim);
      } else if (staticDim) {
        sizes.push_back(getAsOpFoldResult(target));
      } else {
        Value isOne = b.createOrFold<arith::CmpIOp>(
            loc, arith::CmpIPredicate::eq, target, one);
        sizes.push_back(getAsOpFoldResult(b.createOrFold<arith::SelectOp>(
            loc, isOne, toIndex(b, loc, dim), target)));
      }
    }
    SmallVector<int64_t> outShape =
        refineShape(getStaticShape(sizes), type.getShape());
    for (auto [size, extent] : llvm::zip(sizes, outShape))
      if (!ShapedType::isDynamic(extent))
        size = b.getIndexAttr(extent);
    Value empty = createEmpty(b, loc, sizes, inputType.getElementType());
    auto outMap = AffineMap::getMultiDimIdentityMap(outRank, b.getContext());
    Value result;
    if (inputType.hasStaticShape()) {
      SmallVector<AffineExpr> exprs;
      for (int64_t i = 0; i < rank; ++i) {
        int64_t j = i + outRank - rank;
        exprs.push_back(inputType.getDimSize(i) == 1 && outShape[j] != 1
                            ? b.getAffineConstantExpr(0)
                            : b.getAffineDimExpr(j));
      }
      auto inMap = AffineMap::get(outRank, 0, exprs, b.getContext());
      result = linalg::GenericOp::create(
                   b, loc, TypeRange{empty.getType()}, ValueRange{input},
                   ValueRange{empty}, ArrayRef<AffineMap>{inMap, outMap},
                   parallelIterators(outRank),
                   [](OpBuilder &nb, Location l, ValueRange args) {
                     linalg::YieldOp::create(nb, l, args[0]);
                   })
                   .getResult(0);
    } else {
      SmallVector<Value> inputDims;
      for (int64_t i = 0; i < rank; ++i)
        inputDims.push_back(inputType.isDynamicDim(i)
                                ? toIndex(b, loc, getSize(b, loc, input, i))
                                : Value());
      result = linalg::GenericOp::create(
                   b, loc, TypeRange{empty.getType()}, ValueRange{},
                   ValueRange{empty}, ArrayRef<AffineMap>{outMap},
                   parallelIterators(outRank),
                   [&](OpBuilder &nb, Location l, ValueRange) {
                     SmallVector<Value> indices;
                     Value zeroIndex = indexConstant(nb, l, 0);
                     for (int64_t i = 0; i < rank; ++i) {
                       if (inputType.getDimSize(i) == 1) {
                         indices.push_back(zeroIndex);
                         continue;
                       }
                       Value index =
                           linalg::IndexOp::create(nb, l, i + outRank - rank);
                       if (!inputDims[i]) {
                         indices.push_back(index);
                         continue;
                       }
                       Value broadcast = arith::CmpIOp::create(
                           nb, l, arith::CmpIPredicate::eq, inputDims[i], one);
                       indices.push_back(arith::SelectOp::create(
                           nb, l, broadcast, zeroIndex, index));
                     }
                     Value v = tensor::ExtractOp::create(nb, l, input, indices);
                     linalg::YieldOp::create(nb, l, v);
                   })
                   .getResult(0);
    }
    rewriter.replaceOp(op, castTo(b, loc, result, type));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Generators
//===----------------------------------------------------------------------===//

/// The first element of `value` as an attribute of the signless
/// `elementType`; null when it cannot be read.
TypedAttr getFirstElement(ElementsAttr value, Type elementType) {
  auto type = cast<ShapedType>(value.getType());
  if (type.getNumElements() < 1 ||
      type.getElementType().getIntOrFloatBitWidth() !=
          elementType.getIntOrFloatBitWidth())
    return nullptr;
  auto floatType = dyn_cast<FloatType>(elementType);
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    if (floatType)
      return FloatAttr::get(elementType, *dense.getValues<APFloat>().begin());
    return IntegerAttr::get(elementType, *dense.getValues<APInt>().begin());
  }
  auto resource = dyn_cast<DenseResourceElementsAttr>(value);
  unsigned width = elementType.getIntOrFloatBitWidth();
  if (!resource || !resource.getRawHandle().getBlob() || width % 8 != 0)
    return nullptr;
  ArrayRef<char> data = resource.getData();
  if (data.size() < width / 8)
    return nullptr;
  APInt bits(width, 0);
  for (unsigned j = 0; j < width / 8; ++j)
    bits.insertBits(static_cast<uint8_t>(data[j]), 8 * j, 8);
  if (floatType)
    return FloatAttr::get(elementType,
                          APFloat(floatType.getFloatSemantics(), bits));
  return IntegerAttr::get(elementType, bits);
}

/// ConstantOfShape -> tensor.empty of the run-time shape + linalg.fill.
struct ConstantOfShapeLowering : ONNXConversion<onnx_ir::ConstantOfShapeOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::ConstantOfShapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertResult(op.getOutput());
    auto shapeType = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
    if (!type || !shapeType || shapeType.getRank() != 1 ||
        shapeType.getShape() != ArrayRef<int64_t>{type.getRank()} ||
        !isa<IntegerType>(shapeType.getElementType()))
      return matchFailure(rewriter, op, "needs a shape of static length");
    Type elementType = type.getElementType();
    TypedAttr fill = op.getValueAttr()
                         ? getFirstElement(op.getValueAttr(), elementType)
                         : rewriter.getZeroAttr(elementType);
    if (!fill)
      return matchFailure(rewriter, op, "unreadable value");
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> sizes;
    SmallVector<Value> dims =
        *readShapeVector(rewriter, loc, adaptor.getInput());
    for (Value dim : dims)
      sizes.push_back(i64ToSize(rewriter, loc, dim));
    SmallVector<int64_t> shape =
        refineShape(getStaticShape(sizes), type.getShape());
    for (auto [size, extent] : llvm::zip(sizes, shape))
      if (!ShapedType::isDynamic(extent))
        size = rewriter.getIndexAttr(extent);
    Value scalar = arith::ConstantOp::create(rewriter, loc, fill);
    Value result = createFilled(rewriter, loc, sizes, scalar);
    rewriter.replaceOp(op, castTo(rewriter, loc, result, type));
    return success();
  }
};

/// Range -> ceil((limit - start) / delta) elements start + i * delta.
struct RangeLowering : ONNXConversion<onnx_ir::RangeOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::RangeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertResult(op.getOutput());
    if (!type || type.getRank() != 1)
      return matchFailure(rewriter, op, "needs a 1-D result");
    Type elementType = type.getElementType();
    for (Value operand : adaptor.getOperands()) {
      auto operandType = dyn_cast<RankedTensorType>(operand.getType());
      if (!operandType || !operandType.hasStaticShape() ||
          operandType.getNumElements() != 1 ||
          operandType.getElementType() != elementType)
        return matchFailure(rewriter, op, "needs scalar operands");
    }
    auto intType = dyn_cast<IntegerType>(elementType);
    if (!intType && !isa<FloatType>(elementType))
      return matchFailure(rewriter, op, "unsupported element type");
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    Value start = extractElement(b, loc, adaptor.getStart(), 0);
    Value limit = extractElement(b, loc, adaptor.getLimit(), 0);
    Value delta = extractElement(b, loc, adaptor.getDelta(), 0);
    // float16/bfloat16 (opset 27) compute in float32, Range-27's default
    // stash type, and round once at the end.
    Type computeType = elementType;
    if (isa<Float16Type, BFloat16Type>(elementType)) {
      computeType = b.getF32Type();
      for (Value *v : {&start, &limit, &delta})
        *v = arith::ExtFOp::create(b, loc, computeType, *v);
    }
    Value count;
    if (intType) {
      Value diff = b.createOrFold<arith::SubIOp>(loc, limit, start);
      count = intToI64(b, loc,
                       b.createOrFold<arith::CeilDivSIOp>(loc, diff, delta));
    } else {
      Value diff = b.createOrFold<arith::SubFOp>(loc, limit, start);
      Value quotient = b.createOrFold<arith::DivFOp>(loc, diff, delta);
      Value ceil = b.createOrFold<math::CeilOp>(loc, quotient);
      count = b.createOrFold<arith::FPToSIOp>(loc, b.getI64Type(), ceil);
    }
    count = b.createOrFold<arith::MaxSIOp>(loc, count, i64Constant(b, loc, 0));
    SmallVector<OpFoldResult> sizes = {i64ToSize(b, loc, count)};
    Value empty = createEmpty(b, loc, sizes, elementType);
    auto map = AffineMap::getMultiDimIdentityMap(1, b.getContext());
    Value result =
        linalg::GenericOp::create(
            b, loc, TypeRange{empty.getType()}, ValueRange{}, ValueRange{empty},
            ArrayRef<AffineMap>{map}, parallelIterators(1),
            [&](OpBuilder &nb, Location l, ValueRange) {
              Value i = linalg::IndexOp::create(nb, l, 0);
              Value iv;
              if (intType) {
                iv = arith::IndexCastOp::create(nb, l, elementType, i);
              } else {
                iv = arith::IndexCastOp::create(nb, l, nb.getI64Type(), i);
                iv = arith::SIToFPOp::create(nb, l, computeType, iv);
              }
              Value v = createAdd(nb, l, start, createMul(nb, l, iv, delta));
              if (computeType != elementType)
                v = arith::TruncFOp::create(nb, l, elementType, v);
              linalg::YieldOp::create(nb, l, v);
            })
            .getResult(0);
    rewriter.replaceOp(op, castTo(b, loc, result, type));
    return success();
  }
};

} // namespace

void mlir::peft::populateONNXShapeToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<ShapeLowering, ReshapeLowering, FlattenLowering,
               UnsqueezeLowering, SqueezeLowering, ExpandLowering,
               ConstantOfShapeLowering, RangeLowering>(converter,
                                                       patterns.getContext());
}
