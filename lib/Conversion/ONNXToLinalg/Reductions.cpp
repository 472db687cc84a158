//===- Reductions.cpp - onnx reductions and normalizations to linalg ------===//
//
// ReduceMean/Sum/L2/Max/Min/Prod, Softmax and LayerNormalization as
// linalg.generic reductions over the reduced dims followed by all-parallel
// generics that read the per-row results. Floats narrower than f32 accumulate
// in f32.
//
//===----------------------------------------------------------------------===//

#include "../Accumulation.h"
#include "Broadcast.h"
#include "ShapeUtils.h"
#include "peft/Conversion/ONNXToLinalg/ONNXToLinalg.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/ONNX/IR/ONNXShapes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::peft;
using onnx_to_linalg::matchFailure;

namespace {

using RowBody = function_ref<Value(OpBuilder &, Location, Value, ValueRange)>;
using ReduceBody =
    function_ref<Value(OpBuilder &, Location, Value, ValueRange, Value)>;

/// `axis` in [0, rank) when it is in [-rank, rank).
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

/// The index `count` as a scalar of `type` (float or integer).
Value indexToScalar(OpBuilder &b, Location loc, Value count, Type type) {
  if (isa<IntegerType>(type))
    return b.createOrFold<arith::IndexCastOp>(loc, type, count);
  Value i64 = b.createOrFold<arith::IndexCastOp>(loc, b.getI64Type(), count);
  return b.createOrFold<arith::SIToFPOp>(loc, type, i64);
}

SmallVector<int64_t> getReducedDimList(ArrayRef<bool> reduced) {
  SmallVector<int64_t> dims;
  for (auto [dim, isReduced] : llvm::enumerate(reduced))
    if (isReduced)
      dims.push_back(dim);
  return dims;
}

/// Reduces `input` over the dims where `reduced` is true with one
/// linalg.generic. The result has those dims dropped and element type
/// `accType`; it starts at `init`, and each element `x` of `input` updates it
/// to `body(b, loc, x, rowValues, acc)`, where `rowValues` are the elements
/// of `perRow` (tensors shaped like the result) at the same row.
Value buildReduction(OpBuilder &b, Location loc, Value input, ValueRange perRow,
                     ArrayRef<bool> reduced, Type accType, TypedAttr init,
                     ReduceBody body) {
  auto type = cast<RankedTensorType>(input.getType());
  auto resultType =
      RankedTensorType::get(dropReducedDims(type.getShape(), reduced), accType);
  Value empty = tensor::EmptyOp::create(
      b, loc, resultType, getReducedDynamicSizes(b, loc, input, reduced));
  Value initValue = arith::ConstantOp::create(b, loc, init);
  Value filled = linalg::FillOp::create(b, loc, initValue, empty).getResult(0);

  AffineMap rowMap = getReducedIndexingMap(b.getContext(), reduced);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(type.getRank())};
  maps.append(perRow.size(), rowMap);
  maps.push_back(rowMap);
  SmallVector<utils::IteratorType> iterators;
  for (bool isReduced : reduced)
    iterators.push_back(isReduced ? utils::IteratorType::reduction
                                  : utils::IteratorType::parallel);
  SmallVector<Value> inputs = {input};
  llvm::append_range(inputs, perRow);
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, inputs, filled, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.front(),
                            args.drop_front().drop_back(), args.back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

/// One all-parallel linalg.generic over the shape of `input` producing
/// elements of `elementType`: `body(b, loc, x, others)` gets the element of
/// `input`, then those of `perRow` (shaped like a reduction of `input` over
/// `reduced`), then those of `broadcast` (numpy-broadcast to `input`).
Value buildRowwise(OpBuilder &b, Location loc, Value input, ValueRange perRow,
                   ValueRange broadcast, ArrayRef<bool> reduced,
                   Type elementType, RowBody body) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  auto resultType = RankedTensorType::get(type.getShape(), elementType);
  SmallVector<Value> sizes;
  for (int64_t dim = 0; dim < rank; ++dim)
    if (type.isDynamicDim(dim))
      sizes.push_back(tensor::DimOp::create(b, loc, input, dim));
  Value empty = tensor::EmptyOp::create(b, loc, resultType, sizes);

  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank)};
  maps.append(perRow.size(), getReducedIndexingMap(ctx, reduced));
  for (Value value : broadcast)
    maps.push_back(getBroadcastIndexingMap(
        ctx, cast<RankedTensorType>(value.getType()).getShape(), rank));
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<Value> inputs = {input};
  llvm::append_range(inputs, perRow);
  llvm::append_range(inputs, broadcast);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, inputs, empty, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.front(),
                            args.drop_front().drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

/// Applies `body` to each element of `value`, giving elements of
/// `elementType` (same shape).
Value mapElements(OpBuilder &b, Location loc, Value value, Type elementType,
                  function_ref<Value(OpBuilder &, Location, Value)> body) {
  auto type = cast<RankedTensorType>(value.getType());
  return createBroadcastGeneric(
      b, loc, value, type.clone(elementType),
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        return body(nested, nestedLoc, args.front());
      });
}

/// `value` as `type` (a tensor.cast when only the static information
/// differs).
Value castToType(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, loc, type, value);
}

/// Whether a value of `shape` can be tensor.cast to `type`.
bool isCastCompatible(ArrayRef<int64_t> shape, RankedTensorType type) {
  if (static_cast<int64_t>(shape.size()) != type.getRank())
    return false;
  for (auto [size, expected] : llvm::zip_equal(shape, type.getShape()))
    if (!ShapedType::isDynamic(size) && !ShapedType::isDynamic(expected) &&
        size != expected)
      return false;
  return true;
}

/// The constant integer elements of `value`, or nullopt.
std::optional<SmallVector<int64_t>> getConstantInts(Value value) {
  DenseIntElementsAttr attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  return llvm::to_vector(
      llvm::map_range(attr.getValues<APInt>(),
                      [](const APInt &v) { return v.getSExtValue(); }));
}

//===----------------------------------------------------------------------===//
// ReduceMean, ReduceSum, ReduceL2, ReduceMax, ReduceMin, ReduceProd
//===----------------------------------------------------------------------===//

enum class ReduceKind { Sum, Mean, L2, Max, Min, Prod };

/// Reductions over constant `axes` (attribute, or constant `axes_input`
/// since opsets 13/18): sum, then divide by the element count (Mean; integer
/// means truncate) or take the square root of the sum of squares (L2;
/// integers through f64, as ONNX's numpy reference); Max/Min start from the
/// type's lowest/highest value (an empty reduction gives -inf/+inf, as
/// opset 18 defines), Prod from 1.
template <typename OpTy, ReduceKind kind>
struct ReduceLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getData();
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    auto resultType = dyn_cast_or_null<RankedTensorType>(
        this->getTypeConverter()->convertType(op.getReduced().getType()));
    if (!inputType || !resultType)
      return matchFailure(rewriter, op, "unranked operand or result");
    Type elementType = inputType.getElementType();
    // Bool reduces only by Max (any) and Min (all), as ONNX allows (opset 20).
    bool boolAllowed = kind == ReduceKind::Max || kind == ReduceKind::Min;
    if (!isa<FloatType, IntegerType>(elementType) ||
        (elementType.isInteger(1) && !boolAllowed) ||
        resultType.getElementType() != elementType)
      return matchFailure(rewriter, op, "unsupported element types");

    std::optional<SmallVector<int64_t>> axes = getAxes(op, adaptor);
    if (!axes) {
      auto axesType =
          dyn_cast<RankedTensorType>(adaptor.getAxesInput().getType());
      if (!axesType || axesType.getRank() != 1 || axesType.isDynamicDim(0))
        return matchFailure(rewriter, op, "axes of unknown length");
      if (axesType.getDimSize(0) != 0)
        return lowerRuntimeAxes(op, input, adaptor.getAxesInput(), resultType,
                                rewriter);
      // An axes tensor of static length 0 is empty: nothing to read at run
      // time.
      axes.emplace();
    }
    int64_t rank = inputType.getRank();
    if (axes->empty() && op.getNoopWithEmptyAxesOrDefault()) {
      if (!isCastCompatible(inputType.getShape(), resultType))
        return matchFailure(rewriter, op, "result shape mismatch");
      rewriter.replaceOp(op, castToType(rewriter, loc, input, resultType));
      return success();
    }
    SmallVector<bool> reduced(rank, axes->empty());
    for (int64_t axis : *axes) {
      std::optional<int64_t> dim = normalizeAxis(axis, rank);
      if (!dim || reduced[*dim])
        return matchFailure(rewriter, op, "invalid axes");
      reduced[*dim] = true;
    }
    bool keepdims = op.getKeepdimsOrDefault() != 0;
    SmallVector<int64_t> shape = dropReducedDims(inputType.getShape(), reduced);
    if (keepdims) {
      shape = llvm::to_vector(inputType.getShape());
      for (int64_t dim : getReducedDimList(reduced))
        shape[dim] = 1;
    }
    if (!isCastCompatible(shape, resultType))
      return matchFailure(rewriter, op, "result shape mismatch");

    bool isUnsigned = cast<ShapedType>(op.getData().getType())
                          .getElementType()
                          .isUnsignedInteger() ||
                      elementType.isInteger(1);
    Type accType = accumulatorType(elementType);
    Value result = buildReduction(
        rewriter, loc, input, {}, reduced, accType,
        initialValue(rewriter, accType, isUnsigned),
        [&](OpBuilder &b, Location loc, Value x, ValueRange, Value acc) {
          return combine(b, loc, acc, term(b, loc, x, acc.getType()),
                         isUnsigned);
        });
    Value count;
    if (kind == ReduceKind::Mean)
      count = indexToScalar(
          rewriter, loc,
          createDimProduct(rewriter, loc, input, getReducedDimList(reduced)),
          accType);
    if (needsFinish(elementType, accType))
      result = mapElements(rewriter, loc, result, elementType,
                           [&](OpBuilder &b, Location loc, Value sum) {
                             return finish(b, loc, sum, count, elementType,
                                           isUnsigned);
                           });
    if (keepdims)
      result = expandReducedDims(rewriter, loc, result, reduced);
    rewriter.replaceOp(op, castToType(rewriter, loc, result, resultType));
    return success();
  }

  /// Reduction over axes read at run time (a 1-D tensor of static, nonzero
  /// length): the terms (x, or x * x for L2, in the accumulator type) are
  /// summed over each dim in turn under an scf.if on whether an axis names
  /// it, keeping it as 1; keepdims=0 then reshapes those unit dims away.
  LogicalResult lowerRuntimeAxes(OpTy op, Value input, Value axes,
                                 RankedTensorType resultType,
                                 ConversionPatternRewriter &rewriter) const {
    auto inputType = cast<RankedTensorType>(input.getType());
    int64_t rank = inputType.getRank();
    int64_t numAxes = cast<RankedTensorType>(axes.getType()).getDimSize(0);
    bool keepdims = op.getKeepdimsOrDefault() != 0;
    if (resultType.getRank() != (keepdims ? rank : rank - numAxes))
      return matchFailure(rewriter, op, "result rank mismatch");
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    SmallVector<Value> reducedMask =
        onnx_to_linalg::getRuntimeAxisMask(b, loc, axes, rank);
    Type elementType = inputType.getElementType();
    Type accType = accumulatorType(elementType);
    bool isUnsigned = cast<ShapedType>(op.getData().getType())
                          .getElementType()
                          .isUnsignedInteger() ||
                      elementType.isInteger(1);

    Value sum = input;
    if (kind == ReduceKind::L2 || accType != elementType)
      sum = mapElements(b, loc, input, accType,
                        [&](OpBuilder &nb, Location nl, Value x) {
                          return term(nb, nl, x, accType);
                        });
    Value one = onnx_to_linalg::indexConstant(b, loc, 1);
    Value count = one;
    for (int64_t dim = 0; dim < rank; ++dim) {
      if (kind == ReduceKind::Mean) {
        Value extent = onnx_to_linalg::toIndex(
            b, loc, onnx_to_linalg::getSize(b, loc, input, dim));
        count = b.createOrFold<arith::MulIOp>(
            loc, count,
            b.createOrFold<arith::SelectOp>(loc, reducedMask[dim], extent,
                                            one));
      }
      // Summing over a unit dim changes nothing.
      if (inputType.getDimSize(dim) == 1)
        continue;
      auto sumType = cast<RankedTensorType>(sum.getType());
      SmallVector<int64_t> shape(sumType.getShape());
      shape[dim] = ShapedType::kDynamic;
      auto dynamicType = sumType.clone(shape);
      SmallVector<bool> reduced(rank, false);
      reduced[dim] = true;
      auto ifOp = scf::IfOp::create(
          b, loc, reducedMask[dim],
          [&](OpBuilder &nb, Location nl) {
            Value partial = buildReduction(
                nb, nl, sum, {}, reduced, accType,
                initialValue(nb, accType, isUnsigned),
                [&](OpBuilder &bb, Location bl, Value x, ValueRange,
                    Value acc) { return combine(bb, bl, acc, x, isUnsigned); });
            partial = expandReducedDims(nb, nl, partial, reduced);
            scf::YieldOp::create(nb, nl,
                                 castToType(nb, nl, partial, dynamicType));
          },
          [&](OpBuilder &nb, Location nl) {
            scf::YieldOp::create(nb, nl, castToType(nb, nl, sum, dynamicType));
          });
      sum = ifOp.getResult(0);
    }
    Value result = sum;
    if (needsFinish(elementType, accType)) {
      Value countScalar;
      if (kind == ReduceKind::Mean)
        countScalar = indexToScalar(b, loc, count, accType);
      result = mapElements(
          b, loc, sum, elementType, [&](OpBuilder &nb, Location nl, Value s) {
            return finish(nb, nl, s, countScalar, elementType, isUnsigned);
          });
    }
    if (!keepdims)
      result = onnx_to_linalg::reshapeTo(
          b, loc, result,
          onnx_to_linalg::getKeptSizes(b, loc, input, reducedMask,
                                       resultType.getShape()));
    rewriter.replaceOp(op, castToType(b, loc, result, resultType));
    return success();
  }

  /// Max and Min are exact in the element type; sums and products of
  /// f16/bf16 accumulate in f32.
  static Type accumulatorType(Type elementType) {
    if (kind == ReduceKind::Max || kind == ReduceKind::Min)
      return elementType;
    return getAccumulatorType(elementType);
  }

  /// Whether the accumulated value needs `finish` to become the result.
  static bool needsFinish(Type elementType, Type accType) {
    return kind == ReduceKind::Mean || kind == ReduceKind::L2 ||
           accType != elementType;
  }

  /// The identity of the reduction in `accType`.
  static TypedAttr initialValue(OpBuilder &b, Type accType, bool isUnsigned) {
    if (kind != ReduceKind::Max && kind != ReduceKind::Min) {
      if (kind == ReduceKind::Prod)
        return isa<FloatType>(accType)
                   ? TypedAttr(b.getFloatAttr(accType, 1.0))
                   : TypedAttr(b.getIntegerAttr(accType, 1));
      return b.getZeroAttr(accType);
    }
    bool lowest = kind == ReduceKind::Max;
    if (auto floatType = dyn_cast<FloatType>(accType))
      return b.getFloatAttr(accType,
                            APFloat::getInf(floatType.getFloatSemantics(),
                                            /*Negative=*/lowest));
    unsigned width = accType.getIntOrFloatBitWidth();
    APInt value = isUnsigned ? (lowest ? APInt::getMinValue(width)
                                       : APInt::getMaxValue(width))
                             : (lowest ? APInt::getSignedMinValue(width)
                                       : APInt::getSignedMaxValue(width));
    return b.getIntegerAttr(accType, value);
  }

  /// What one element contributes: x, or x * x (L2), in `accType`.
  static Value term(OpBuilder &b, Location loc, Value x, Type accType) {
    if (isa<FloatType>(accType))
      x = convertFloat(b, loc, x, accType);
    if (kind != ReduceKind::L2)
      return x;
    return onnx_to_linalg::createMul(b, loc, x, x);
  }

  /// The accumulator after one more term.
  static Value combine(OpBuilder &b, Location loc, Value acc, Value x,
                       bool isUnsigned) {
    bool isFloat = isa<FloatType>(acc.getType());
    switch (kind) {
    case ReduceKind::Max:
      if (isFloat)
        return arith::MaximumFOp::create(b, loc, acc, x);
      return isUnsigned ? arith::MaxUIOp::create(b, loc, acc, x).getResult()
                        : arith::MaxSIOp::create(b, loc, acc, x).getResult();
    case ReduceKind::Min:
      if (isFloat)
        return arith::MinimumFOp::create(b, loc, acc, x);
      return isUnsigned ? arith::MinUIOp::create(b, loc, acc, x).getResult()
                        : arith::MinSIOp::create(b, loc, acc, x).getResult();
    case ReduceKind::Prod:
      return onnx_to_linalg::createMul(b, loc, acc, x);
    default:
      return onnx_to_linalg::createAdd(b, loc, acc, x);
    }
  }

  /// The result element of `elementType` from the accumulated `sum`: divided
  /// by `count` (Mean; integers truncate), its square root (L2; integers
  /// through f64), or the sum itself.
  static Value finish(OpBuilder &b, Location loc, Value sum, Value count,
                      Type elementType, bool isUnsigned) {
    if (isa<FloatType>(elementType)) {
      if (kind == ReduceKind::Mean)
        sum = arith::DivFOp::create(b, loc, sum, count);
      if (kind == ReduceKind::L2)
        sum = math::SqrtOp::create(b, loc, sum);
      return convertFloat(b, loc, sum, elementType);
    }
    if (kind == ReduceKind::Mean && isUnsigned)
      return arith::DivUIOp::create(b, loc, sum, count);
    if (kind == ReduceKind::Mean)
      return arith::DivSIOp::create(b, loc, sum, count);
    if (kind != ReduceKind::L2)
      return sum;
    Type f64 = b.getF64Type();
    Value wide = isUnsigned
                     ? arith::UIToFPOp::create(b, loc, f64, sum).getResult()
                     : arith::SIToFPOp::create(b, loc, f64, sum).getResult();
    Value root = math::SqrtOp::create(b, loc, wide);
    if (isUnsigned)
      return arith::FPToUIOp::create(b, loc, elementType, root);
    return arith::FPToSIOp::create(b, loc, elementType, root);
  }

  /// The axes: the constant `axes_input` (seen through the converted value
  /// or the imported one), else the attribute; empty when neither is given;
  /// nullopt when the input is not a constant.
  static std::optional<SmallVector<int64_t>>
  getAxes(OpTy op, typename OpTy::Adaptor adaptor) {
    if (isa<NoneType>(op.getAxesInput().getType())) {
      if (std::optional<ArrayRef<int64_t>> attr = op.getAxes())
        return llvm::to_vector(*attr);
      return SmallVector<int64_t>();
    }
    if (auto values = getConstantInts(adaptor.getAxesInput()))
      return values;
    return getConstantInts(op.getAxesInput());
  }
};

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// exp(x - max) / sum(exp(x - max)) over the softmax dims: `axis` alone
/// since opset 13; before, the input is seen as 2-D flattened at `axis`, so
/// the dims from `axis` on are reduced together (`axis` may equal the rank).
struct SoftmaxLowering : OpConversionPattern<onnx_ir::SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(onnx_ir::SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    auto resultType = dyn_cast_or_null<RankedTensorType>(
        getTypeConverter()->convertType(op.getOutput().getType()));
    if (!inputType || !resultType)
      return matchFailure(rewriter, op, "unranked operand or result");
    Type elementType = inputType.getElementType();
    if (!isa<FloatType>(elementType) ||
        resultType.getElementType() != elementType ||
        !isCastCompatible(inputType.getShape(), resultType))
      return matchFailure(rewriter, op, "unsupported types");

    int64_t rank = inputType.getRank();
    bool singleAxis = onnx_ir::getImportedOpset(op) >= 13;
    IntegerAttr axisAttr = op.getAxisAttr();
    int64_t axis = axisAttr ? axisAttr.getInt() : (singleAxis ? -1 : 1);
    SmallVector<bool> reduced(rank, false);
    if (singleAxis) {
      std::optional<int64_t> dim = normalizeAxis(axis, rank);
      if (!dim)
        return matchFailure(rewriter, op, "axis out of range");
      reduced[*dim] = true;
    } else {
      if (axis < -rank || axis > rank)
        return matchFailure(rewriter, op, "axis out of range");
      for (int64_t dim = axis < 0 ? axis + rank : axis; dim < rank; ++dim)
        reduced[dim] = true;
    }

    Type accType = getAccumulatorType(elementType);
    auto accFloat = cast<FloatType>(accType);
    TypedAttr minusInf = rewriter.getFloatAttr(
        accType, APFloat::getInf(accFloat.getFloatSemantics(), true));
    Value max = buildReduction(
        rewriter, loc, input, {}, reduced, accType, minusInf,
        [&](OpBuilder &b, Location loc, Value x, ValueRange, Value acc) {
          return arith::MaximumFOp::create(b, loc, acc,
                                           convertFloat(b, loc, x, accType))
              .getResult();
        });
    Value exp =
        buildRowwise(rewriter, loc, input, max, {}, reduced, accType,
                     [&](OpBuilder &b, Location loc, Value x, ValueRange row) {
                       Value shifted = arith::SubFOp::create(
                           b, loc, convertFloat(b, loc, x, accType), row[0]);
                       return math::ExpOp::create(b, loc, shifted).getResult();
                     });
    Value sum = buildReduction(
        rewriter, loc, exp, {}, reduced, accType, rewriter.getZeroAttr(accType),
        [&](OpBuilder &b, Location loc, Value e, ValueRange, Value acc) {
          return arith::AddFOp::create(b, loc, acc, e).getResult();
        });
    Value result =
        buildRowwise(rewriter, loc, exp, sum, {}, reduced, elementType,
                     [&](OpBuilder &b, Location loc, Value e, ValueRange row) {
                       Value quotient =
                           arith::DivFOp::create(b, loc, e, row[0]);
                       return convertFloat(b, loc, quotient, elementType);
                     });
    rewriter.replaceOp(op, castToType(rewriter, loc, result, resultType));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// LayerNormalization
//===----------------------------------------------------------------------===//

/// The float type of ONNX TensorProto data type `stashType` usable as a
/// LayerNormalization stash type; null otherwise.
Type getStashType(MLIRContext *ctx, int64_t stashType) {
  switch (stashType) {
  case 1:
    return Float32Type::get(ctx);
  case 10:
    return Float16Type::get(ctx);
  case 11:
    return Float64Type::get(ctx);
  case 16:
    return BFloat16Type::get(ctx);
  default:
    return nullptr;
  }
}

/// Mean and InvStdDev = 1 / sqrt(var + epsilon) of `x` over the dims where
/// `reduced` is true, in `stashType`, with the reduced dims dropped. The
/// variance is the mean of (x - mean)^2 (two passes, as ONNX's numpy
/// reference).
std::pair<Value, Value> buildStatistics(OpBuilder &b, Location loc, Value x,
                                        ArrayRef<bool> reduced, Type stashType,
                                        float epsilonValue) {
  Value count = indexToScalar(
      b, loc, createDimProduct(b, loc, x, getReducedDimList(reduced)),
      stashType);
  Value epsilon = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(stashType, epsilonValue));
  TypedAttr zero = b.getZeroAttr(stashType);
  Value sum = buildReduction(
      b, loc, x, {}, reduced, stashType, zero,
      [&](OpBuilder &nb, Location nl, Value v, ValueRange, Value acc) {
        return arith::AddFOp::create(nb, nl, acc,
                                     convertFloat(nb, nl, v, stashType))
            .getResult();
      });
  Value mean = mapElements(
      b, loc, sum, stashType, [&](OpBuilder &nb, Location nl, Value s) {
        return arith::DivFOp::create(nb, nl, s, count).getResult();
      });
  Value squares = buildReduction(
      b, loc, x, mean, reduced, stashType, zero,
      [&](OpBuilder &nb, Location nl, Value v, ValueRange row, Value acc) {
        Value diff = arith::SubFOp::create(
            nb, nl, convertFloat(nb, nl, v, stashType), row[0]);
        Value square = arith::MulFOp::create(nb, nl, diff, diff);
        return arith::AddFOp::create(nb, nl, acc, square).getResult();
      });
  Value invStdDev = mapElements(
      b, loc, squares, stashType, [&](OpBuilder &nb, Location nl, Value s) {
        Value variance = arith::DivFOp::create(nb, nl, s, count);
        Value shifted = arith::AddFOp::create(nb, nl, variance, epsilon);
        Value stdDev = math::SqrtOp::create(nb, nl, shifted);
        Value one =
            arith::ConstantOp::create(nb, nl, nb.getFloatAttr(stashType, 1.0));
        return arith::DivFOp::create(nb, nl, one, stdDev).getResult();
      });
  return {mean, invStdDev};
}

/// A statistic with the reduced dims dropped as the optional output of
/// `type`: converted to its element type, the reduced dims back as 1s.
Value expandStatistic(OpBuilder &b, Location loc, Value stat,
                      ArrayRef<bool> reduced, RankedTensorType type) {
  Type elementType = type.getElementType();
  if (cast<RankedTensorType>(stat.getType()).getElementType() != elementType)
    stat = mapElements(b, loc, stat, elementType,
                       [&](OpBuilder &nb, Location nl, Value v) {
                         return convertFloat(nb, nl, v, elementType);
                       });
  return castToType(b, loc, expandReducedDims(b, loc, stat, reduced), type);
}

/// As ONNX's function body: mean and variance over the dims from `axis` on
/// in the stash type (f32 by default), normalized = (x - mean) * InvStdDev
/// with InvStdDev = 1 / sqrt(var + epsilon) (two-pass variance, as the
/// numpy reference), cast back to T, then * Scale + B with broadcasting.
/// For f16/bf16, * Scale + B are in the stash type too and the result is
/// rounded once, as onnxruntime and PyTorch do.
struct LayerNormalizationLowering
    : OpConversionPattern<onnx_ir::LayerNormalizationOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(onnx_ir::LayerNormalizationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    const TypeConverter &converter = *getTypeConverter();
    Value x = adaptor.getX(), scale = adaptor.getScale(), bias = adaptor.getB();
    bool hasBias = !isa<NoneType>(bias.getType());
    auto xType = dyn_cast<RankedTensorType>(x.getType());
    auto scaleType = dyn_cast<RankedTensorType>(scale.getType());
    auto biasType = dyn_cast<RankedTensorType>(bias.getType());
    auto yType = dyn_cast_or_null<RankedTensorType>(
        converter.convertType(op.getY().getType()));
    if (!xType || !scaleType || (hasBias && !biasType) || !yType)
      return matchFailure(rewriter, op, "unranked operand or result");
    Type elementType = xType.getElementType();
    if (!isa<FloatType>(elementType) || yType.getElementType() != elementType ||
        scaleType.getElementType() != elementType ||
        (hasBias && biasType.getElementType() != elementType))
      return matchFailure(rewriter, op, "unsupported element types");
    SmallVector<ArrayRef<int64_t>> affineShapes = {scaleType.getShape()};
    if (hasBias)
      affineShapes.push_back(biasType.getShape());
    if (!areBroadcastCompatible(affineShapes, xType.getShape()) ||
        !isCastCompatible(xType.getShape(), yType))
      return matchFailure(rewriter, op, "shapes do not broadcast");
    Type stashType = getStashType(getContext(), op.getStashTypeOrDefault());
    if (!stashType)
      return matchFailure(rewriter, op, "unsupported stash_type");

    int64_t rank = xType.getRank();
    std::optional<int64_t> axis = normalizeAxis(op.getAxisOrDefault(), rank);
    if (!axis)
      return matchFailure(rewriter, op, "axis out of range");
    SmallVector<bool> reduced(rank, false);
    for (int64_t dim = *axis; dim < rank; ++dim)
      reduced[dim] = true;
    SmallVector<int64_t> statsShape = llvm::to_vector(xType.getShape());
    for (int64_t dim = *axis; dim < rank; ++dim)
      statsShape[dim] = 1;
    // Optional outputs: a converted tensor type, or none when absent.
    SmallVector<RankedTensorType, 2> statsTypes;
    for (Value stat : {op.getMean(), op.getInvStdDev()}) {
      if (isa<NoneType>(stat.getType())) {
        statsTypes.push_back(nullptr);
        continue;
      }
      auto type = dyn_cast_or_null<RankedTensorType>(
          converter.convertType(stat.getType()));
      if (!type || !isa<FloatType>(type.getElementType()) ||
          !isCastCompatible(statsShape, type))
        return matchFailure(rewriter, op, "unsupported Mean/InvStdDev");
      statsTypes.push_back(type);
    }

    auto [mean, invStdDev] = buildStatistics(
        rewriter, loc, x, reduced, stashType, op.getEpsilonOrDefault());
    SmallVector<Value> affine = {scale};
    if (hasBias)
      affine.push_back(bias);
    // f16/bf16 apply Scale and B in the (wider) stash type and round once,
    // as onnxruntime's and PyTorch's kernels do; other types round the
    // normalized value to T first, as ONNX's function body.
    Type affineType = elementType;
    if (getAccumulatorType(elementType) != elementType &&
        cast<FloatType>(stashType).getWidth() >= 32)
      affineType = stashType;
    Value y = buildRowwise(
        rewriter, loc, x, {mean, invStdDev}, affine, reduced, elementType,
        [&](OpBuilder &b, Location loc, Value v, ValueRange others) {
          Value diff = arith::SubFOp::create(
              b, loc, convertFloat(b, loc, v, stashType), others[0]);
          Value normalized = arith::MulFOp::create(b, loc, diff, others[1]);
          Value scaled = arith::MulFOp::create(
              b, loc, convertFloat(b, loc, normalized, affineType),
              convertFloat(b, loc, others[2], affineType));
          if (hasBias)
            scaled = arith::AddFOp::create(
                b, loc, scaled, convertFloat(b, loc, others[3], affineType));
          return convertFloat(b, loc, scaled, elementType);
        });

    SmallVector<Value> results = {castToType(rewriter, loc, y, yType)};
    Value stats[] = {mean, invStdDev};
    for (auto [stat, type] : llvm::zip_equal(stats, statsTypes))
      results.push_back(
          type ? expandStatistic(rewriter, loc, stat, reduced, type)
               : onnx_ir::NoneOp::create(rewriter, loc).getResult());
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void mlir::peft::populateONNXReductionToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  using namespace onnx_ir;
  MLIRContext *ctx = patterns.getContext();
  patterns.add<ReduceLowering<ReduceSumOp, ReduceKind::Sum>,
               ReduceLowering<ReduceMeanOp, ReduceKind::Mean>,
               ReduceLowering<ReduceL2Op, ReduceKind::L2>,
               ReduceLowering<ReduceMaxOp, ReduceKind::Max>,
               ReduceLowering<ReduceMinOp, ReduceKind::Min>,
               ReduceLowering<ReduceProdOp, ReduceKind::Prod>, SoftmaxLowering,
               LayerNormalizationLowering>(converter, ctx);
}
