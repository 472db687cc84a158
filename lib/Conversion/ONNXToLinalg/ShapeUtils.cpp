//===- ShapeUtils.cpp - helpers shared by onnx-to-linalg patterns ---------===//

#include "ShapeUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::onnx_to_linalg;

static thread_local MatchFailureLog *activeLog = nullptr;

MatchFailureLog::MatchFailureLog() : previous(activeLog) { activeLog = this; }

MatchFailureLog::~MatchFailureLog() { activeLog = previous; }

ArrayRef<std::string> MatchFailureLog::getReasons(Operation *op) const {
  auto it = reasons.find({op->getLoc(), op->getName()});
  return it == reasons.end() ? ArrayRef<std::string>() : it->second;
}

LogicalResult onnx_to_linalg::matchFailure(RewriterBase &rewriter,
                                           Operation *op, const Twine &reason) {
  if (activeLog) {
    SmallVector<std::string, 1> &list =
        activeLog->reasons[{op->getLoc(), op->getName()}];
    std::string text = reason.str();
    if (!llvm::is_contained(list, text))
      list.push_back(std::move(text));
  }
  return rewriter.notifyMatchFailure(op, reason);
}

RankedTensorType onnx_to_linalg::convertToRanked(const TypeConverter *converter,
                                                 Type type) {
  if (!converter)
    return dyn_cast<RankedTensorType>(type);
  return converter->convertType<RankedTensorType>(type);
}

Value onnx_to_linalg::castTo(OpBuilder &b, Location loc, Value value,
                             Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, loc, type, value);
}

OpFoldResult onnx_to_linalg::getSize(OpBuilder &b, Location loc, Value tensor,
                                     int64_t dim) {
  return tensor::getMixedSize(b, loc, tensor, dim);
}

SmallVector<OpFoldResult> onnx_to_linalg::getSizes(OpBuilder &b, Location loc,
                                                   Value tensor) {
  return tensor::getMixedSizes(b, loc, tensor);
}

SmallVector<int64_t>
onnx_to_linalg::getStaticShape(ArrayRef<OpFoldResult> sizes) {
  SmallVector<int64_t> shape;
  for (OpFoldResult size : sizes)
    shape.push_back(getConstantIntValue(size).value_or(ShapedType::kDynamic));
  return shape;
}

bool onnx_to_linalg::isStaticOne(int64_t extent) { return extent == 1; }

SmallVector<int64_t> onnx_to_linalg::refineShape(ArrayRef<int64_t> shape,
                                                 ArrayRef<int64_t> refined) {
  SmallVector<int64_t> result(shape);
  if (shape.size() != refined.size())
    return result;
  for (auto [dim, other] : llvm::zip(result, refined))
    if (ShapedType::isDynamic(dim))
      dim = other;
  return result;
}

Value onnx_to_linalg::toIndex(OpBuilder &b, Location loc, OpFoldResult ofr) {
  return getValueOrCreateConstantIndexOp(b, loc, ofr);
}

Value onnx_to_linalg::indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

Value onnx_to_linalg::i64Constant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIntOp::create(b, loc, value, 64);
}

Value onnx_to_linalg::createEmpty(OpBuilder &b, Location loc,
                                  ArrayRef<OpFoldResult> sizes,
                                  Type elementType) {
  return tensor::EmptyOp::create(b, loc, sizes, elementType);
}

Value onnx_to_linalg::createZero(OpBuilder &b, Location loc, Type elementType) {
  return arith::ConstantOp::create(b, loc, elementType,
                                   b.getZeroAttr(elementType));
}

Value onnx_to_linalg::createFilled(OpBuilder &b, Location loc,
                                   ArrayRef<OpFoldResult> sizes, Value scalar) {
  Value empty = createEmpty(b, loc, sizes, scalar.getType());
  return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
}

Value onnx_to_linalg::createAccumulator(OpBuilder &b, Location loc,
                                        ArrayRef<OpFoldResult> sizes,
                                        Type elementType) {
  return createFilled(b, loc, sizes, createZero(b, loc, elementType));
}

SmallVector<utils::IteratorType>
onnx_to_linalg::parallelIterators(int64_t count) {
  return SmallVector<utils::IteratorType>(count, utils::IteratorType::parallel);
}

ElementsAttr onnx_to_linalg::getConstantElements(Value value) {
  while (auto cast = value.getDefiningOp<UnrealizedConversionCastOp>()) {
    if (cast.getNumOperands() != 1)
      break;
    value = cast.getOperand(0);
  }
  ElementsAttr attr;
  if (value && matchPattern(value, m_Constant(&attr)))
    return attr;
  return nullptr;
}

std::optional<SmallVector<int64_t>>
onnx_to_linalg::getConstantInts(Value value, int64_t maxElements) {
  ElementsAttr attr = getConstantElements(value);
  if (!attr)
    return std::nullopt;
  auto type = cast<ShapedType>(attr.getType());
  auto intType = dyn_cast<IntegerType>(type.getElementType());
  if (!intType || !type.hasStaticShape() || type.getNumElements() > maxElements)
    return std::nullopt;
  bool isUnsigned = intType.isUnsigned() || intType.getWidth() == 1;
  SmallVector<int64_t> values;
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    for (const APInt &v : dense.getValues<APInt>())
      values.push_back(isUnsigned ? v.getZExtValue() : v.getSExtValue());
    return values;
  }
  auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
  unsigned width = intType.getWidth();
  if (!resource || !resource.getRawHandle().getBlob() ||
      !llvm::is_contained({8u, 16u, 32u, 64u}, width))
    return std::nullopt;
  ArrayRef<char> data = resource.getData();
  size_t bytes = width / 8;
  if (data.size() != bytes * type.getNumElements())
    return std::nullopt;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    uint64_t raw = 0;
    for (size_t j = 0; j < bytes; ++j)
      raw |= uint64_t(static_cast<uint8_t>(data[i * bytes + j])) << (8 * j);
    APInt v(width, raw);
    values.push_back(isUnsigned ? v.getZExtValue() : v.getSExtValue());
  }
  return values;
}

std::optional<SmallVector<int64_t>>
onnx_to_linalg::getConstantInts(Value original, Value converted,
                                int64_t maxElements) {
  if (auto values = getConstantInts(original, maxElements))
    return values;
  return getConstantInts(converted, maxElements);
}

Value onnx_to_linalg::extractElement(OpBuilder &b, Location loc, Value tensor,
                                     int64_t i) {
  // A cast to a less refined type hides the constant or from_elements.
  if (auto castOp = tensor.getDefiningOp<tensor::CastOp>())
    if (auto source = dyn_cast<RankedTensorType>(castOp.getSource().getType());
        source && source.hasStaticShape())
      tensor = castOp.getSource();
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<Value> indices(type.getRank());
  for (int64_t d = type.getRank() - 1; d >= 0; --d) {
    int64_t extent = type.getDimSize(d);
    indices[d] = indexConstant(b, loc, i % extent);
    i /= extent;
  }
  return b.createOrFold<tensor::ExtractOp>(loc, tensor, indices);
}

Value onnx_to_linalg::intToI64(OpBuilder &b, Location loc, Value value,
                               bool isUnsigned) {
  Type i64 = b.getI64Type();
  if (value.getType().isIndex())
    return b.createOrFold<arith::IndexCastOp>(loc, i64, value);
  unsigned width = value.getType().getIntOrFloatBitWidth();
  if (width == 64)
    return value;
  if (width > 64)
    return b.createOrFold<arith::TruncIOp>(loc, i64, value);
  if (isUnsigned || width == 1)
    return b.createOrFold<arith::ExtUIOp>(loc, i64, value);
  return b.createOrFold<arith::ExtSIOp>(loc, i64, value);
}

Value onnx_to_linalg::extractI64(OpBuilder &b, Location loc, Value tensor,
                                 int64_t i) {
  return intToI64(b, loc, extractElement(b, loc, tensor, i));
}

Value onnx_to_linalg::i64ToIndex(OpBuilder &b, Location loc, Value value) {
  return b.createOrFold<arith::IndexCastOp>(loc, b.getIndexType(), value);
}

Value onnx_to_linalg::indexToI64(OpBuilder &b, Location loc, Value value) {
  return b.createOrFold<arith::IndexCastOp>(loc, b.getI64Type(), value);
}

OpFoldResult onnx_to_linalg::i64ToSize(OpBuilder &b, Location loc, Value x) {
  return getAsOpFoldResult(i64ToIndex(b, loc, x));
}

Value onnx_to_linalg::dimI64(OpBuilder &b, Location loc, Value tensor,
                             int64_t dim) {
  return indexToI64(b, loc, toIndex(b, loc, getSize(b, loc, tensor, dim)));
}

std::optional<SmallVector<Value>>
onnx_to_linalg::readShapeVector(OpBuilder &b, Location loc, Value shape) {
  auto type = dyn_cast<RankedTensorType>(shape.getType());
  if (!type || type.getRank() != 1 || type.isDynamicDim(0) ||
      !isa<IntegerType>(type.getElementType()))
    return std::nullopt;
  SmallVector<Value> values;
  for (int64_t i = 0, e = type.getDimSize(0); i < e; ++i)
    values.push_back(extractI64(b, loc, shape, i));
  return values;
}

bool onnx_to_linalg::isSmallIntVector(Type type, int64_t maxElements) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  return ranked && ranked.hasStaticShape() &&
         ranked.getNumElements() <= maxElements &&
         isa<IntegerType>(ranked.getElementType());
}

Value onnx_to_linalg::rebuildFromElements(OpBuilder &b, Location loc,
                                          ArrayRef<Value> elements,
                                          RankedTensorType resultType) {
  if (elements.empty())
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(resultType, ArrayRef<Attribute>{}));
  return b.createOrFold<tensor::FromElementsOp>(loc, resultType, elements);
}

Value onnx_to_linalg::reshapeTo(OpBuilder &b, Location loc, Value value,
                                ArrayRef<OpFoldResult> sizes) {
  auto type = cast<RankedTensorType>(value.getType());
  auto resultType =
      RankedTensorType::get(getStaticShape(sizes), type.getElementType());
  if (resultType == type && type.hasStaticShape())
    return value;
  SmallVector<Value> shape;
  for (OpFoldResult size : sizes)
    shape.push_back(toIndex(b, loc, size));
  Value shapeTensor;
  if (shape.empty())
    shapeTensor = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get({0}, b.getIndexType()),
                               ArrayRef<Attribute>{}));
  else
    shapeTensor = tensor::FromElementsOp::create(b, loc, shape);
  return tensor::ReshapeOp::create(b, loc, resultType, value, shapeTensor);
}

Value onnx_to_linalg::expandLeading(OpBuilder &b, Location loc, Value value,
                                    ArrayRef<OpFoldResult> leading) {
  auto type = cast<RankedTensorType>(value.getType());
  if (leading.size() == 1)
    return value;
  SmallVector<OpFoldResult> sizes(leading);
  for (int64_t d = 1; d < type.getRank(); ++d)
    sizes.push_back(getSize(b, loc, value, d));
  SmallVector<int64_t> leadingShape = getStaticShape(leading);
  int64_t numDynamic = llvm::count_if(leadingShape, ShapedType::isDynamic);
  if (numDynamic > 1 || leading.empty())
    return reshapeTo(b, loc, value, sizes);

  // The collapsed extent must be dynamic exactly when one of its parts is.
  SmallVector<int64_t> sourceShape(type.getShape());
  sourceShape[0] = ShapedType::kDynamic;
  if (numDynamic == 0) {
    sourceShape[0] = 1;
    for (int64_t extent : leadingShape)
      sourceShape[0] *= extent;
  }
  value = castTo(b, loc, value,
                 RankedTensorType::get(sourceShape, type.getElementType()));
  SmallVector<ReassociationIndices> reassociation(1);
  int64_t numLeading = leading.size();
  for (int64_t i = 0; i < numLeading; ++i)
    reassociation[0].push_back(i);
  for (int64_t d = 1; d < type.getRank(); ++d)
    reassociation.push_back({numLeading + d - 1});
  auto resultType =
      RankedTensorType::get(getStaticShape(sizes), type.getElementType());
  return tensor::ExpandShapeOp::create(b, loc, resultType, value, reassociation,
                                       sizes);
}

Value onnx_to_linalg::collapseLeading(OpBuilder &b, Location loc, Value value,
                                      int64_t count) {
  auto type = cast<RankedTensorType>(value.getType());
  if (count <= 1)
    return value;
  SmallVector<ReassociationIndices> reassociation(1);
  for (int64_t i = 0; i < count; ++i)
    reassociation[0].push_back(i);
  for (int64_t d = count; d < type.getRank(); ++d)
    reassociation.push_back({d});
  return tensor::CollapseShapeOp::create(b, loc, value, reassociation);
}

SmallVector<Value> onnx_to_linalg::readRuntimeAxes(OpBuilder &b, Location loc,
                                                   Value axes, int64_t rank) {
  SmallVector<Value> values = *readShapeVector(b, loc, axes);
  SmallVector<Value> normalized;
  for (Value axis : values) {
    Value negative = b.createOrFold<arith::CmpIOp>(
        loc, arith::CmpIPredicate::slt, axis, i64Constant(b, loc, 0));
    Value wrapped =
        b.createOrFold<arith::AddIOp>(loc, axis, i64Constant(b, loc, rank));
    normalized.push_back(
        b.createOrFold<arith::SelectOp>(loc, negative, wrapped, axis));
  }
  return normalized;
}

SmallVector<Value> onnx_to_linalg::getRuntimeAxisMask(OpBuilder &b,
                                                      Location loc, Value axes,
                                                      int64_t rank) {
  SmallVector<Value> normalized = readRuntimeAxes(b, loc, axes, rank);
  SmallVector<Value> mask;
  for (int64_t d = 0; d < rank; ++d) {
    Value named = arith::ConstantIntOp::create(b, loc, 0, 1);
    for (Value axis : normalized) {
      Value isD = b.createOrFold<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                                axis, i64Constant(b, loc, d));
      named = b.createOrFold<arith::OrIOp>(loc, named, isD);
    }
    mask.push_back(named);
  }
  return mask;
}

SmallVector<OpFoldResult>
onnx_to_linalg::getKeptSizes(OpBuilder &b, Location loc, Value tensor,
                             ArrayRef<Value> dropped,
                             ArrayRef<int64_t> resultShape) {
  // positions[d]: how many kept dims precede dim d.
  SmallVector<Value> positions;
  Value position = i64Constant(b, loc, 0);
  for (Value isDropped : dropped) {
    positions.push_back(position);
    Value step = b.createOrFold<arith::SelectOp>(
        loc, isDropped, i64Constant(b, loc, 0), i64Constant(b, loc, 1));
    position = b.createOrFold<arith::AddIOp>(loc, position, step);
  }
  SmallVector<OpFoldResult> sizes;
  for (auto [j, extent] : llvm::enumerate(resultShape)) {
    if (!ShapedType::isDynamic(extent)) {
      sizes.push_back(b.getIndexAttr(extent));
      continue;
    }
    Value size = i64Constant(b, loc, 0);
    for (auto [d, isDropped] : llvm::enumerate(dropped)) {
      Value atJ = b.createOrFold<arith::CmpIOp>(
          loc, arith::CmpIPredicate::eq, positions[d], i64Constant(b, loc, j));
      Value kept = b.createOrFold<arith::SelectOp>(
          loc, isDropped, arith::ConstantIntOp::create(b, loc, 0, 1), atJ);
      size = b.createOrFold<arith::SelectOp>(loc, kept,
                                             dimI64(b, loc, tensor, d), size);
    }
    sizes.push_back(i64ToSize(b, loc, size));
  }
  return sizes;
}

Value onnx_to_linalg::extractSliceOrEmpty(OpBuilder &b, Location loc,
                                          Value source,
                                          ArrayRef<OpFoldResult> offsets,
                                          ArrayRef<OpFoldResult> sizes,
                                          ArrayRef<OpFoldResult> strides) {
  auto type = cast<RankedTensorType>(source.getType());
  SmallVector<OpFoldResult> emptySizes(sizes);
  bool empty = false;
  for (auto [d, offset] : llvm::enumerate(offsets)) {
    std::optional<int64_t> constOffset = getConstantIntValue(offset);
    if (isConstantIntValue(sizes[d], 0) ||
        (constOffset && !type.isDynamicDim(d) &&
         *constOffset >= type.getDimSize(d))) {
      emptySizes[d] = b.getIndexAttr(0);
      empty = true;
    }
  }
  if (empty)
    return createEmpty(b, loc, emptySizes, type.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, source, offsets, sizes,
                                        strides);
}

Value onnx_to_linalg::createAdd(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::AddFOp::create(b, loc, x, y);
  return arith::AddIOp::create(b, loc, x, y);
}

Value onnx_to_linalg::createMul(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::MulFOp::create(b, loc, x, y);
  return arith::MulIOp::create(b, loc, x, y);
}

std::optional<int64_t> onnx_to_linalg::normalizeAxis(int64_t axis,
                                                     int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}
