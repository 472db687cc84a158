//===- ONNXFolds.cpp - folds and canonicalizations of onnx ops ------------===//
//
// Folds follow the ONNX operator definitions exactly and give up whenever a
// result depends on run-time data, is undefined (division by zero, signed
// overflow, out-of-range float-to-int casts) or may differ between runtimes
// (rounding to 16-bit floats). None reads or creates a constant of more than
// `maxElements` elements, so weights stay blobs. Floating-point arithmetic is
// left to the runtime.
//
//===----------------------------------------------------------------------===//

#include "peft/Dialect/ONNX/IR/ONNXFolds.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/ONNX/IR/ONNXShapes.h"

#include "ONNXElements.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/APSInt.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::peft::onnx_ir;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// A 0-D or 1-D integer `result` whose elements shape information fixes, as
/// Gather(Shape(x), 1) when dimension 1 of x is static.
static OpFoldResult foldShapeVector(Value result, int64_t maxElements) {
  auto elementType = dyn_cast<IntegerType>(getElementTypeOrSelf(result));
  if (!elementType)
    return {};
  std::optional<ShapeVector> vector = getShapeVector(result);
  if (!vector || !vector->isFullyKnown() ||
      static_cast<int64_t>(vector->elements.size()) > maxElements)
    return {};
  SmallVector<APInt> values;
  for (int64_t v : vector->elements)
    values.push_back(APInt(elementType.getWidth(), v, /*isSigned=*/true,
                           /*implicitTrunc=*/true));
  Shape shape;
  if (!vector->isScalar)
    shape.push_back(vector->elements.size());
  return DenseElementsAttr::get(RankedTensorType::get(shape, elementType),
                                values);
}

/// Whether an op from `input` to `result` that preserves the data in
/// row-major order (Reshape, Expand) is the identity.
static bool isStaticIdentity(Value input, Value result) {
  auto type = dyn_cast<RankedTensorType>(input.getType());
  return type && type.hasStaticShape() && type == result.getType();
}

static bool isUnsignedInteger(Type type) {
  auto integer = dyn_cast<IntegerType>(type);
  return integer && (integer.isUnsigned() || integer.getWidth() == 1);
}

static bool isFoldableFloat(Type type) {
  return isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(type);
}

/// Whether a conversion to float type `to` that returned `status` gives what
/// runtimes give. They round to f32/f64 to nearest even like APFloat, but may
/// reach f16/bf16 through f32 (rounding twice) or truncate: only exact
/// conversions to those fold.
static bool isRoundingPortable(Type to, APFloat::opStatus status) {
  return isa<Float32Type, Float64Type>(to) || status == APFloat::opOK;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

namespace {
enum class ArithKind { Add, Sub, Mul, Div };
enum class CompareKind { Equal, Less, Greater };
} // namespace

/// Integer Add/Sub/Mul/Div; Div truncates toward zero as ONNX specifies.
static OpFoldResult foldArith(Operation *op, ArrayRef<Attribute> operands,
                              ArithKind kind, int64_t maxElements) {
  auto type = dyn_cast<IntegerType>(getElementTypeOrSelf(op->getResult(0)));
  if (!type || type.getWidth() == 1)
    return {};
  DenseElementsAttr a = getDenseElements(operands[0], maxElements);
  DenseElementsAttr b = getDenseElements(operands[1], maxElements);
  if (!a || !b || a.getElementType() != type || b.getElementType() != type)
    return {};
  bool isUnsigned = type.isUnsigned();
  return mapElements<APInt>({a, b}, type, maxElements,
                            [&](ArrayRef<APInt> v) -> std::optional<APInt> {
                              const APInt &x = v[0], &y = v[1];
                              // Unsigned arithmetic wraps; signed overflow is
                              // undefined.
                              bool overflow = false;
                              APInt r;
                              switch (kind) {
                              case ArithKind::Add:
                                r = isUnsigned ? x + y : x.sadd_ov(y, overflow);
                                break;
                              case ArithKind::Sub:
                                r = isUnsigned ? x - y : x.ssub_ov(y, overflow);
                                break;
                              case ArithKind::Mul:
                                r = isUnsigned ? x * y : x.smul_ov(y, overflow);
                                break;
                              case ArithKind::Div:
                                if (y.isZero())
                                  return std::nullopt;
                                r = isUnsigned ? x.udiv(y)
                                               : x.sdiv_ov(y, overflow);
                                break;
                              }
                              if (overflow)
                                return std::nullopt;
                              return r;
                            });
}

static OpFoldResult foldCompare(Operation *op, ArrayRef<Attribute> operands,
                                CompareKind kind, int64_t maxElements) {
  DenseElementsAttr a = getDenseElements(operands[0], maxElements);
  DenseElementsAttr b = getDenseElements(operands[1], maxElements);
  if (!a || !b || a.getElementType() != b.getElementType())
    return {};
  Type i1 = IntegerType::get(op->getContext(), 1);
  Type elementType = a.getElementType();
  if (isa<IntegerType>(elementType)) {
    bool isUnsigned = isUnsignedInteger(elementType);
    return mapElements<APInt>(
        {a, b}, i1, maxElements,
        [&](ArrayRef<APInt> v) -> std::optional<APInt> {
          bool r = kind == CompareKind::Equal ? v[0] == v[1]
                   : kind == CompareKind::Less
                       ? (isUnsigned ? v[0].ult(v[1]) : v[0].slt(v[1]))
                       : (isUnsigned ? v[0].ugt(v[1]) : v[0].sgt(v[1]));
          return APInt(1, r);
        });
  }
  if (!isFoldableFloat(elementType))
    return {};
  APFloat::cmpResult wanted = kind == CompareKind::Equal ? APFloat::cmpEqual
                              : kind == CompareKind::Less
                                  ? APFloat::cmpLessThan
                                  : APFloat::cmpGreaterThan;
  return mapElements<APFloat>({a, b}, i1, maxElements,
                              [&](ArrayRef<APFloat> v) -> std::optional<APInt> {
                                return APInt(1, v[0].compare(v[1]) == wanted);
                              });
}

static OpFoldResult foldOp(AddOp op, AddOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  return foldArith(op, adaptor.getOperands(), ArithKind::Add, maxElements);
}
static OpFoldResult foldOp(SubOp op, SubOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  return foldArith(op, adaptor.getOperands(), ArithKind::Sub, maxElements);
}
static OpFoldResult foldOp(MulOp op, MulOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  return foldArith(op, adaptor.getOperands(), ArithKind::Mul, maxElements);
}
static OpFoldResult foldOp(DivOp op, DivOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  return foldArith(op, adaptor.getOperands(), ArithKind::Div, maxElements);
}
static OpFoldResult foldOp(EqualOp op, EqualOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  return foldCompare(op, adaptor.getOperands(), CompareKind::Equal,
                     maxElements);
}
static OpFoldResult foldOp(LessOp op, LessOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  return foldCompare(op, adaptor.getOperands(), CompareKind::Less, maxElements);
}
static OpFoldResult foldOp(GreaterOp op, GreaterOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  return foldCompare(op, adaptor.getOperands(), CompareKind::Greater,
                     maxElements);
}

static OpFoldResult foldOp(NotOp op, NotOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  DenseElementsAttr x = getDenseElements(adaptor.getX(), maxElements);
  if (!x || !x.getElementType().isInteger(1))
    return {};
  return mapElements<APInt>(
      {x}, x.getElementType(), maxElements,
      [](ArrayRef<APInt> v) -> std::optional<APInt> { return ~v[0]; });
}

static OpFoldResult foldOp(WhereOp op, WhereOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  DenseElementsAttr condition =
      getDenseElements(adaptor.getCondition(), maxElements);
  DenseElementsAttr x = getDenseElements(adaptor.getX(), maxElements);
  DenseElementsAttr y = getDenseElements(adaptor.getY(), maxElements);
  if (!condition || !x || !y || !condition.getElementType().isInteger(1) ||
      x.getElementType() != y.getElementType())
    return {};
  std::optional<Shape> shape =
      broadcastConstants({condition, x, y}, maxElements);
  if (!shape)
    return {};
  auto conditionValues = llvm::to_vector(condition.getValues<bool>());
  SmallVector<Attribute> xValues = elementsOf(x), yValues = elementsOf(y);
  SmallVector<int64_t> ci =
      broadcastIndices(condition.getType().getShape(), *shape);
  SmallVector<int64_t> xi = broadcastIndices(x.getType().getShape(), *shape);
  SmallVector<int64_t> yi = broadcastIndices(y.getType().getShape(), *shape);
  SmallVector<Attribute> result;
  for (size_t k = 0; k < ci.size(); ++k)
    result.push_back(conditionValues[ci[k]] ? xValues[xi[k]] : yValues[yi[k]]);
  return DenseElementsAttr::get(
      RankedTensorType::get(*shape, x.getElementType()), result);
}

static OpFoldResult foldOp(CastOp op, CastOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  if (op.getInput().getType() == op.getOutput().getType())
    return op.getInput();
  DenseElementsAttr input = getDenseElements(adaptor.getInput(), maxElements);
  if (!input)
    return {};
  Type from = input.getElementType();
  Type to = getElementTypeOrSelf(op.getOutput());
  auto type = RankedTensorType::get(input.getType().getShape(), to);
  auto toInt = dyn_cast<IntegerType>(to);
  bool fromUnsigned = isUnsignedInteger(from);

  if (isa<IntegerType>(from) && toInt) {
    SmallVector<APInt> result;
    for (const APInt &v : input.getValues<APInt>()) {
      if (toInt.getWidth() == 1)
        result.push_back(APInt(1, !v.isZero()));
      else
        result.push_back(fromUnsigned ? v.zextOrTrunc(toInt.getWidth())
                                      : v.sextOrTrunc(toInt.getWidth()));
    }
    return DenseElementsAttr::get(type, result);
  }
  if (isa<IntegerType>(from) && isFoldableFloat(to)) {
    SmallVector<APFloat> result;
    for (const APInt &v : input.getValues<APInt>()) {
      APFloat f(cast<FloatType>(to).getFloatSemantics());
      APFloat::opStatus status =
          f.convertFromAPInt(v, !fromUnsigned, APFloat::rmNearestTiesToEven);
      if (!isRoundingPortable(to, status))
        return {};
      result.push_back(f);
    }
    return DenseElementsAttr::get(type, result);
  }
  if (isFoldableFloat(from) && toInt) {
    SmallVector<APInt> result;
    for (const APFloat &v : input.getValues<APFloat>()) {
      // ±0 → false, anything else (NaN included) → true.
      if (toInt.getWidth() == 1) {
        result.push_back(APInt(1, !v.isZero()));
        continue;
      }
      // Truncation toward zero; NaN and out-of-range values are undefined.
      llvm::APSInt i(toInt.getWidth(), toInt.isUnsigned());
      bool exact;
      if (v.convertToInteger(i, APFloat::rmTowardZero, &exact) &
          APFloat::opInvalidOp)
        return {};
      result.push_back(i);
    }
    return DenseElementsAttr::get(type, result);
  }
  if (isFoldableFloat(from) && isFoldableFloat(to)) {
    SmallVector<APFloat> result;
    for (APFloat v : input.getValues<APFloat>()) {
      bool losesInfo;
      APFloat::opStatus status =
          v.convert(cast<FloatType>(to).getFloatSemantics(),
                    APFloat::rmNearestTiesToEven, &losesInfo);
      if (!isRoundingPortable(to, status))
        return {};
      result.push_back(v);
    }
    return DenseElementsAttr::get(type, result);
  }
  return {};
}

static OpFoldResult foldOp(IdentityOp op, IdentityOp::FoldAdaptor, int64_t) {
  if (op.getInput().getType() == op.getOutput().getType())
    return op.getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Shapes and data movement
//===----------------------------------------------------------------------===//

static OpFoldResult foldOp(ShapeOp op, ShapeOp::FoldAdaptor,
                           int64_t maxElements) {
  return foldShapeVector(op.getShape(), maxElements);
}

static OpFoldResult foldOp(GatherOp op, GatherOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  DenseElementsAttr data = getDenseElements(adaptor.getData(), maxElements);
  std::optional<Shape> indices =
      getIntValues(adaptor.getIndices(), maxElements);
  if (!data || !indices)
    return foldShapeVector(op.getOutput(), maxElements);
  ArrayRef<int64_t> shape = data.getType().getShape();
  std::optional<int64_t> axis =
      normalizeAxis(op.getAxisOrDefault(), shape.size());
  if (!axis)
    return {};
  Shape resultShape(shape.take_front(*axis));
  llvm::append_range(
      resultShape,
      cast<ElementsAttr>(adaptor.getIndices()).getShapedType().getShape());
  llvm::append_range(resultShape, shape.drop_front(*axis + 1));
  if (!fitsLimit(resultShape, maxElements))
    return {};
  int64_t dim = shape[*axis];
  int64_t outer = ShapedType::getNumElements(shape.take_front(*axis));
  int64_t inner = ShapedType::getNumElements(shape.drop_front(*axis + 1));
  SmallVector<int64_t> from;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t index : *indices) {
      std::optional<int64_t> i = normalizeAxis(index, dim);
      if (!i)
        return {};
      for (int64_t k = 0; k < inner; ++k)
        from.push_back((o * dim + *i) * inner + k);
    }
  return gatherElements(data, resultShape, from);
}

static OpFoldResult foldOp(UnsqueezeOp op, UnsqueezeOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  DenseElementsAttr data = getDenseElements(adaptor.getData(), maxElements);
  FailureOr<std::optional<Shape>> axes =
      getAxes(op.getAxesInput(), op.getAxes());
  if (data && succeeded(axes) && *axes)
    if (std::optional<Shape> shape =
            getUnsqueezeShape(data.getType().getShape(), **axes))
      return data.reshape(RankedTensorType::get(*shape, data.getElementType()));
  return foldShapeVector(op.getExpanded(), maxElements);
}

static OpFoldResult foldOp(SqueezeOp op, SqueezeOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  DenseElementsAttr data = getDenseElements(adaptor.getData(), maxElements);
  FailureOr<std::optional<Shape>> axes =
      getAxes(op.getAxesInput(), op.getAxes());
  if (data && succeeded(axes))
    if (std::optional<Shape> shape = getSqueezeShape(
            data.getType().getShape(),
            *axes ? std::optional<ArrayRef<int64_t>>(**axes) : std::nullopt))
      return data.reshape(RankedTensorType::get(*shape, data.getElementType()));
  return foldShapeVector(op.getSqueezed(), maxElements);
}

static OpFoldResult foldOp(ConcatOp op, ConcatOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  if (op.getInputs().size() == 1 && op.getInputs()[0].getType() == op.getType())
    return op.getInputs()[0];
  SmallVector<DenseElementsAttr> inputs;
  for (Attribute attr : adaptor.getInputs())
    inputs.push_back(getDenseElements(attr, maxElements));
  if (op.getAxisAttr() && !inputs.empty() &&
      llvm::all_of(inputs, [](DenseElementsAttr a) { return bool(a); }))
    if (DenseElementsAttr result =
            concatElements(inputs, op.getAxisAttr().getInt(), maxElements))
      return result;
  return foldShapeVector(op.getConcatResult(), maxElements);
}

static OpFoldResult foldOp(SliceOp op, SliceOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  DenseElementsAttr data = getDenseElements(adaptor.getData(), maxElements);
  std::optional<Shape> starts = getIntValues(adaptor.getStarts(), maxElements);
  std::optional<Shape> ends = getIntValues(adaptor.getEnds(), maxElements);
  if (!data || !starts || !ends || starts->size() != ends->size())
    return foldShapeVector(op.getOutput(), maxElements);
  size_t count = starts->size();
  std::optional<Shape> axes =
      isNone(op.getAxes()) ? llvm::to_vector(llvm::seq<int64_t>(0, count))
                           : getIntValues(adaptor.getAxes(), maxElements);
  std::optional<Shape> steps =
      isNone(op.getSteps()) ? Shape(count, 1)
                            : getIntValues(adaptor.getSteps(), maxElements);
  if (!axes || !steps || axes->size() != count || steps->size() != count)
    return {};
  ArrayRef<int64_t> shape = data.getType().getShape();
  SmallVector<SliceRange> ranges;
  for (int64_t dim : shape)
    ranges.push_back({0, 1, dim});
  SmallVector<bool> seen(shape.size(), false);
  for (size_t k = 0; k < count; ++k) {
    std::optional<int64_t> axis = normalizeAxis((*axes)[k], shape.size());
    if (!axis || seen[*axis])
      return {};
    seen[*axis] = true;
    std::optional<SliceRange> range =
        getSliceRange(shape[*axis], (*starts)[k], (*ends)[k], (*steps)[k]);
    if (!range)
      return {};
    ranges[*axis] = *range;
  }
  Shape resultShape;
  SmallVector<int64_t> strides = stridesOf(shape);
  int64_t offset = 0;
  for (auto [d, range] : llvm::enumerate(ranges)) {
    resultShape.push_back(range.count);
    if (range.count > 0)
      offset += range.start * strides[d];
    strides[d] *= range.step;
  }
  if (!fitsLimit(resultShape, maxElements))
    return {};
  return gatherElements(data, resultShape,
                        stridedIndices(resultShape, strides, offset));
}

static OpFoldResult foldOp(TransposeOp op, TransposeOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  auto inputType = dyn_cast<RankedTensorType>(op.getData().getType());
  if (!inputType)
    return {};
  SmallVector<int64_t> perm = op.getPermOrDefault(inputType.getRank());
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())) &&
      inputType == op.getTransposed().getType())
    return op.getData();
  DenseElementsAttr data = getDenseElements(adaptor.getData(), maxElements);
  if (!data || perm.size() != data.getType().getShape().size())
    return {};
  ArrayRef<int64_t> shape = data.getType().getShape();
  SmallVector<int64_t> own = stridesOf(shape);
  Shape resultShape;
  SmallVector<int64_t> strides;
  for (int64_t p : perm) {
    resultShape.push_back(shape[p]);
    strides.push_back(own[p]);
  }
  return gatherElements(data, resultShape,
                        stridedIndices(resultShape, strides));
}

static OpFoldResult foldOp(ReshapeOp op, ReshapeOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  if (isStaticIdentity(op.getData(), op.getReshaped()))
    return op.getData();
  DenseElementsAttr data = getDenseElements(adaptor.getData(), maxElements);
  std::optional<Shape> shape = getIntValues(adaptor.getShape(), maxElements);
  if (!data || !shape)
    return {};
  std::optional<Shape> result = getReshapeShape(
      data.getType().getShape(), *shape, op.getAllowzeroOrDefault() != 0);
  if (!result || llvm::any_of(*result, ShapedType::isDynamic))
    return {};
  return data.reshape(RankedTensorType::get(*result, data.getElementType()));
}

static OpFoldResult foldOp(ExpandOp op, ExpandOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  if (isStaticIdentity(op.getInput(), op.getOutput()))
    return op.getInput();
  DenseElementsAttr input = getDenseElements(adaptor.getInput(), maxElements);
  std::optional<Shape> shape = getIntValues(adaptor.getShape(), maxElements);
  if (!input || !shape || llvm::any_of(*shape, [](int64_t s) { return s < 0; }))
    return {};
  std::optional<Shape> result =
      broadcastShapes(input.getType().getShape(), *shape);
  if (!result || !fitsLimit(*result, maxElements))
    return {};
  return gatherElements(input, *result,
                        broadcastIndices(input.getType().getShape(), *result));
}

//===----------------------------------------------------------------------===//
// Generators
//===----------------------------------------------------------------------===//

static OpFoldResult foldOp(ConstantOfShapeOp op,
                           ConstantOfShapeOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  std::optional<Shape> shape = getIntValues(adaptor.getInput(), maxElements);
  if (!shape || llvm::any_of(*shape, [](int64_t s) { return s < 0; }) ||
      !fitsLimit(*shape, maxElements))
    return {};
  // The fill value is a one-element tensor; 0.0f when absent.
  Attribute fill;
  Type elementType;
  if (ElementsAttr value = op.getValueAttr()) {
    DenseElementsAttr dense = getDenseElements(value, 1);
    if (!dense || dense.getNumElements() != 1)
      return {};
    fill = *dense.getValues<Attribute>().begin();
    elementType = dense.getElementType();
  } else {
    elementType = Float32Type::get(op.getContext());
    fill = FloatAttr::get(elementType, 0.0);
  }
  return DenseElementsAttr::get(RankedTensorType::get(*shape, elementType),
                                fill);
}

static OpFoldResult foldOp(RangeOp op, RangeOp::FoldAdaptor adaptor,
                           int64_t maxElements) {
  auto type = dyn_cast<IntegerType>(getElementTypeOrSelf(op.getOutput()));
  if (!type || !type.isSignless() || type.getWidth() < 16)
    return {};
  auto scalar = [&](Attribute attr) -> std::optional<int64_t> {
    auto elements = dyn_cast_or_null<ElementsAttr>(attr);
    std::optional<Shape> values = getIntValues(attr, 1);
    if (!elements || elements.getElementType() != type || !values ||
        values->size() != 1)
      return std::nullopt;
    return values->front();
  };
  std::optional<int64_t> start = scalar(adaptor.getStart());
  std::optional<int64_t> limit = scalar(adaptor.getLimit());
  std::optional<int64_t> delta = scalar(adaptor.getDelta());
  if (!start || !limit || !delta)
    return {};
  std::optional<int64_t> length = getRangeLength(*start, *limit, *delta);
  if (!length || *length > maxElements)
    return {};
  SmallVector<APInt> values;
  for (int64_t i = 0; i < *length; ++i)
    values.push_back(APInt(type.getWidth(), *start + i * *delta,
                           /*isSigned=*/true));
  return DenseElementsAttr::get(RankedTensorType::get({*length}, type), values);
}

//===----------------------------------------------------------------------===//
// fold() methods and the entry point with a limit
//===----------------------------------------------------------------------===//

#define FOLD_WITH_DEFAULT_LIMIT(OpT)                                           \
  OpFoldResult OpT::fold(FoldAdaptor adaptor) {                                \
    return foldOp(*this, adaptor, kDefaultMaxFoldElements);                    \
  }
FOLD_WITH_DEFAULT_LIMIT(AddOp)
FOLD_WITH_DEFAULT_LIMIT(SubOp)
FOLD_WITH_DEFAULT_LIMIT(MulOp)
FOLD_WITH_DEFAULT_LIMIT(DivOp)
FOLD_WITH_DEFAULT_LIMIT(EqualOp)
FOLD_WITH_DEFAULT_LIMIT(LessOp)
FOLD_WITH_DEFAULT_LIMIT(GreaterOp)
FOLD_WITH_DEFAULT_LIMIT(NotOp)
FOLD_WITH_DEFAULT_LIMIT(WhereOp)
FOLD_WITH_DEFAULT_LIMIT(CastOp)
FOLD_WITH_DEFAULT_LIMIT(IdentityOp)
FOLD_WITH_DEFAULT_LIMIT(ShapeOp)
FOLD_WITH_DEFAULT_LIMIT(GatherOp)
FOLD_WITH_DEFAULT_LIMIT(UnsqueezeOp)
FOLD_WITH_DEFAULT_LIMIT(SqueezeOp)
FOLD_WITH_DEFAULT_LIMIT(ConcatOp)
FOLD_WITH_DEFAULT_LIMIT(SliceOp)
FOLD_WITH_DEFAULT_LIMIT(TransposeOp)
FOLD_WITH_DEFAULT_LIMIT(ReshapeOp)
FOLD_WITH_DEFAULT_LIMIT(ExpandOp)
FOLD_WITH_DEFAULT_LIMIT(ConstantOfShapeOp)
FOLD_WITH_DEFAULT_LIMIT(RangeOp)
#undef FOLD_WITH_DEFAULT_LIMIT

LogicalResult
mlir::peft::onnx_ir::foldONNXOp(Operation *op, ArrayRef<Attribute> operands,
                                int64_t maxElements,
                                SmallVectorImpl<OpFoldResult> &results) {
  // The same ops as above.
  OpFoldResult result =
      llvm::TypeSwitch<Operation *, OpFoldResult>(op)
          .Case<AddOp, SubOp, MulOp, DivOp, EqualOp, LessOp, GreaterOp, NotOp,
                WhereOp, CastOp, IdentityOp, ShapeOp, GatherOp, UnsqueezeOp,
                SqueezeOp, ConcatOp, SliceOp, TransposeOp, ReshapeOp, ExpandOp,
                ConstantOfShapeOp, RangeOp>([&](auto typed) {
            using Adaptor = typename decltype(typed)::FoldAdaptor;
            return foldOp(typed, Adaptor(operands, typed), maxElements);
          })
          .Default([](Operation *) { return OpFoldResult(); });
  if (!result)
    return failure();
  results.push_back(result);
  return success();
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) {
  if (ElementsAttr value = getValueAttr())
    return value;
  Builder b(getContext());
  if (IntegerAttr v = getValueIntAttr())
    return DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                  v.getValue());
  if (std::optional<ArrayRef<int64_t>> v = getValueInts())
    return DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(v->size())},
                              b.getI64Type()),
        *v);
  if (FloatAttr v = getValueFloatAttr())
    return DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                  v.getValue());
  if (std::optional<ArrayRef<float>> v = getValueFloats())
    return DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(v->size())},
                              b.getF32Type()),
        *v);
  return {};
}

/// ONNX export writes the constant as a Constant node. Its type is the type of
/// the value it replaces, which may be less refined than `value`'s.
Operation *ONNXDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  auto tensorType = dyn_cast<TensorType>(type);
  if (!elements || !tensorType ||
      elements.getShapedType().getElementType() !=
          tensorType.getElementType() ||
      failed(verifyCompatibleShape(elements.getShapedType(), tensorType)))
    return nullptr;
  return ConstantOp::create(builder, loc, type, elements,
                            /*value_float=*/nullptr, /*value_floats=*/nullptr,
                            /*value_int=*/nullptr, /*value_ints=*/nullptr,
                            /*value_string=*/nullptr,
                            /*value_strings=*/nullptr);
}

//===----------------------------------------------------------------------===//
// Canonicalization patterns
//===----------------------------------------------------------------------===//

namespace {
/// Concat(a, [4], [8]) → Concat(a, [4, 8]): adjacent constant inputs become
/// one constant.
struct MergeConstantConcatInputs : public OpRewritePattern<ConcatOp> {
  MergeConstantConcatInputs(MLIRContext *context, int64_t maxElements)
      : OpRewritePattern(context), maxElements(maxElements) {}

  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getAxisAttr())
      return failure();
    OperandRange inputs = op.getInputs();
    SmallVector<Value> newInputs;
    bool merged = false;
    for (size_t i = 0; i < inputs.size();) {
      SmallVector<DenseElementsAttr> run;
      SmallVector<Location> locs;
      for (size_t j = i; j < inputs.size(); ++j) {
        Attribute attr;
        if (!matchPattern(inputs[j], m_Constant(&attr)))
          break;
        DenseElementsAttr dense = getDenseElements(attr, maxElements);
        if (!dense)
          break;
        run.push_back(dense);
        locs.push_back(inputs[j].getLoc());
      }
      DenseElementsAttr joined;
      if (run.size() >= 2)
        joined = concatElements(run, op.getAxisAttr().getInt(), maxElements);
      if (!joined) {
        newInputs.push_back(inputs[i++]);
        continue;
      }
      newInputs.push_back(ConstantOp::create(
          rewriter, rewriter.getFusedLoc(locs), joined.getType(), joined,
          nullptr, nullptr, nullptr, nullptr, nullptr, nullptr));
      i += run.size();
      merged = true;
    }
    if (!merged)
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op->setOperands(newInputs); });
    return success();
  }

  int64_t maxElements;
};
} // namespace

void ConcatOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<MergeConstantConcatInputs>(context, kDefaultMaxFoldElements);
}

void mlir::peft::onnx_ir::populateONNXCanonicalizationPatterns(
    RewritePatternSet &patterns, int64_t maxElements) {
  patterns.add<MergeConstantConcatInputs>(patterns.getContext(), maxElements);
}
