//===- DataMovement.cpp - onnx constants and data movement to linalg ------===//
//
// Initializers and constants become arith.constant over the same attribute;
// Transpose, Concat, Slice, Split, Gather and Trilu move data with
// linalg.transpose, tensor slices or linalg.generic reads. Small integer
// vectors (shape arithmetic) are rebuilt element by element with
// tensor.from_elements, so that Shape -> Gather -> Unsqueeze -> Concat ->
// Reshape chains (Shape.cpp) fold down to the tensor.dim values they copy.
//
//===----------------------------------------------------------------------===//

#include "ShapeUtils.h"
#include "peft/Conversion/ONNXToLinalg/ONNXToLinalg.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::onnx_to_linalg;

namespace {

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

/// Unpacks a blob in ONNX byte layout (a byte per bool; two 4-bit values per
/// byte, low nibble first) into `type`, reading the blob in place as bytes.
Value unpackByteLayout(OpBuilder &b, Location loc,
                       DenseResourceElementsAttr resource,
                       RankedTensorType type) {
  bool isBool = type.getElementType().isInteger(1);
  int64_t numElements = type.getNumElements();
  int64_t numBytes = isBool ? numElements : (numElements + 1) / 2;
  auto bytesType = RankedTensorType::get({numBytes}, b.getI8Type());
  Value bytes = arith::ConstantOp::create(
      b, loc,
      DenseResourceElementsAttr::get(bytesType, resource.getRawHandle()));
  Value empty =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  int64_t rank = type.getRank();
  auto map = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{}, ValueRange{empty},
             ArrayRef<AffineMap>{map}, parallelIterators(rank),
             [&](OpBuilder &nb, Location l, ValueRange) {
               // Row-major linear index of the element.
               Value linear = indexConstant(nb, l, 0);
               int64_t stride = 1;
               for (int64_t d = rank - 1; d >= 0; --d) {
                 Value term = nb.createOrFold<arith::MulIOp>(
                     l, linalg::IndexOp::create(nb, l, d),
                     indexConstant(nb, l, stride));
                 linear = nb.createOrFold<arith::AddIOp>(l, linear, term);
                 stride *= type.getDimSize(d);
               }
               Value result;
               if (isBool) {
                 Value byte = tensor::ExtractOp::create(nb, l, bytes,
                                                        ValueRange{linear});
                 result = arith::CmpIOp::create(
                     nb, l, arith::CmpIPredicate::ne, byte,
                     arith::ConstantIntOp::create(nb, l, 0, 8));
               } else {
                 Value two = indexConstant(nb, l, 2);
                 Value byteIndex = arith::DivUIOp::create(nb, l, linear, two);
                 Value byte = tensor::ExtractOp::create(nb, l, bytes,
                                                        ValueRange{byteIndex});
                 Value odd = arith::RemUIOp::create(nb, l, linear, two);
                 Value shift =
                     arith::MulIOp::create(nb, l, odd, indexConstant(nb, l, 4));
                 shift =
                     arith::IndexCastOp::create(nb, l, nb.getI8Type(), shift);
                 Value nibble = arith::ShRUIOp::create(nb, l, byte, shift);
                 result = arith::TruncIOp::create(nb, l, type.getElementType(),
                                                  nibble);
               }
               linalg::YieldOp::create(nb, l, result);
             })
      .getResult(0);
}

/// `value` as a constant tensor of `elementType` (the signless form of its
/// own element type): the same dense attribute bitcast, or the same blob.
FailureOr<Value> materializeElements(OpBuilder &b, Location loc,
                                     ElementsAttr value, Type elementType) {
  auto valueType = cast<ShapedType>(value.getType());
  if (!valueType.hasStaticShape())
    return failure();
  Type sourceElement = valueType.getElementType();
  if (sourceElement != elementType &&
      (!isa<IntegerType>(sourceElement) || !isa<IntegerType>(elementType) ||
       sourceElement.getIntOrFloatBitWidth() !=
           elementType.getIntOrFloatBitWidth()))
    return failure();
  auto type = RankedTensorType::get(valueType.getShape(), elementType);
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    if (sourceElement != elementType)
      dense = dense.bitcast(elementType);
    return arith::ConstantOp::create(b, loc, dense).getResult();
  }
  auto resource = dyn_cast<DenseResourceElementsAttr>(value);
  if (!resource)
    return failure();
  unsigned width = elementType.getIntOrFloatBitWidth();
  if (isa<IntegerType>(elementType) && (width == 1 || width == 4))
    return unpackByteLayout(b, loc, resource, type);
  if (width % 8 != 0)
    return failure();
  return arith::ConstantOp::create(
             b, loc,
             DenseResourceElementsAttr::get(type, resource.getRawHandle()))
      .getResult();
}

/// onnx.initializer -> arith.constant over the same attribute.
struct InitializerLowering : ONNXConversion<onnx_ir::InitializerOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::InitializerOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertResult(op.getResult());
    if (!type)
      return matchFailure(rewriter, op, "unsupported type");
    FailureOr<Value> value = materializeElements(
        rewriter, op.getLoc(), op.getValue(), type.getElementType());
    if (failed(value))
      return matchFailure(rewriter, op, "unsupported elements attribute");
    rewriter.replaceOp(op, castTo(rewriter, op.getLoc(), *value, type));
    return success();
  }
};

/// Constant with any of its numeric value attributes -> arith.constant.
struct ConstantLowering : ONNXConversion<onnx_ir::ConstantOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertResult(op.getOutput());
    if (!type)
      return matchFailure(rewriter, op, "unsupported type");
    Builder &b = rewriter;
    ElementsAttr value = op.getValueAttr();
    auto vector = [&](int64_t n, Type element) {
      return RankedTensorType::get({n}, element);
    };
    auto scalar = [&](Type element) {
      return RankedTensorType::get({}, element);
    };
    if (auto f = op.getValueFloatAttr())
      value = DenseElementsAttr::get(scalar(b.getF32Type()), f.getValue());
    else if (auto fs = op.getValueFloatsAttr())
      value = DenseElementsAttr::get(vector(fs.size(), b.getF32Type()),
                                     fs.asArrayRef());
    else if (auto i = op.getValueIntAttr())
      value = DenseElementsAttr::get(scalar(b.getI64Type()), i.getValue());
    else if (auto is = op.getValueIntsAttr())
      value = DenseElementsAttr::get(vector(is.size(), b.getI64Type()),
                                     is.asArrayRef());
    if (!value)
      return matchFailure(rewriter, op, "string constants have no tensor");
    FailureOr<Value> result = materializeElements(rewriter, op.getLoc(), value,
                                                  type.getElementType());
    if (failed(result))
      return matchFailure(rewriter, op, "unsupported elements attribute");
    rewriter.replaceOp(op, castTo(rewriter, op.getLoc(), *result, type));
    return success();
  }
};

/// Identity forwards its input.
struct IdentityLowering : ONNXConversion<onnx_ir::IdentityOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::IdentityOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertResult(op.getOutput());
    if (!type || !isa<RankedTensorType>(adaptor.getInput().getType()))
      return matchFailure(rewriter, op, "unranked");
    rewriter.replaceOp(op,
                       castTo(rewriter, op.getLoc(), adaptor.getInput(), type));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Permutations, concatenation, slicing
//===----------------------------------------------------------------------===//

/// Transpose -> linalg.transpose (default permutation: reversed).
struct TransposeLowering : ONNXConversion<onnx_ir::TransposeOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getData();
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    RankedTensorType type = convertResult(op.getTransposed());
    if (!inputType || !type)
      return matchFailure(rewriter, op, "unranked");
    SmallVector<int64_t> perm = op.getPermOrDefault(inputType.getRank());
    if (static_cast<int64_t>(perm.size()) != inputType.getRank())
      return matchFailure(rewriter, op, "bad permutation");
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> sizes;
    for (int64_t p : perm)
      sizes.push_back(getSize(rewriter, loc, input, p));
    Value empty = createEmpty(rewriter, loc, sizes, inputType.getElementType());
    Value result =
        linalg::TransposeOp::create(rewriter, loc, input, empty, perm)
            ->getResult(0);
    rewriter.replaceOp(op, castTo(rewriter, loc, result, type));
    return success();
  }
};

/// Concat -> tensor.insert_slice of each input into a tensor.empty.
struct ConcatLowering : ONNXConversion<onnx_ir::ConcatOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertResult(op.getConcatResult());
    if (!type || !op.getAxisAttr())
      return matchFailure(rewriter, op, "unranked");
    int64_t rank = type.getRank();
    for (Value input : adaptor.getInputs()) {
      auto inputType = dyn_cast<RankedTensorType>(input.getType());
      if (!inputType || inputType.getRank() != rank)
        return matchFailure(rewriter, op, "inputs of another rank");
    }
    std::optional<int64_t> axis =
        normalizeAxis(op.getAxisAttr().getInt(), rank);
    if (!axis)
      return matchFailure(rewriter, op, "axis out of range");
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    ValueRange inputs = adaptor.getInputs();

    bool small = rank == 1 && llvm::all_of(inputs, [](Value input) {
                   return isSmallIntVector(input.getType());
                 });
    if (small) {
      SmallVector<Value> elements;
      for (Value input : inputs)
        for (int64_t
                 i = 0,
                 e = cast<RankedTensorType>(input.getType()).getNumElements();
             i < e; ++i)
          elements.push_back(extractElement(b, loc, input, i));
      auto resultType = RankedTensorType::get(
          {static_cast<int64_t>(elements.size())}, type.getElementType());
      rewriter.replaceOp(
          op, castTo(b, loc, rebuildFromElements(b, loc, elements, resultType),
                     type));
      return success();
    }

    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < rank; ++d) {
      if (d == *axis) {
        Value total = indexConstant(b, loc, 0);
        for (Value input : inputs)
          total = b.createOrFold<arith::AddIOp>(
              loc, total, toIndex(b, loc, getSize(b, loc, input, d)));
        sizes.push_back(getAsOpFoldResult(total));
        continue;
      }
      OpFoldResult size = getSize(b, loc, inputs.front(), d);
      for (Value input : inputs) {
        int64_t extent = cast<RankedTensorType>(input.getType()).getDimSize(d);
        if (!ShapedType::isDynamic(extent))
          size = b.getIndexAttr(extent);
      }
      if (!type.isDynamicDim(d))
        size = b.getIndexAttr(type.getDimSize(d));
      sizes.push_back(size);
    }
    Value result = createEmpty(b, loc, sizes, type.getElementType());
    Value offset = indexConstant(b, loc, 0);
    SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
    for (Value input : inputs) {
      // An input with a static extent of 0 contributes nothing; inserting it
      // at the end of the axis would be an out-of-bounds offset to
      // tensor.insert_slice's verifier once the offset folds.
      if (llvm::is_contained(cast<RankedTensorType>(input.getType()).getShape(),
                             0))
        continue;
      SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
      offsets[*axis] = getAsOpFoldResult(offset);
      SmallVector<OpFoldResult> inputSizes = getSizes(b, loc, input);
      result = tensor::InsertSliceOp::create(b, loc, input, result, offsets,
                                             inputSizes, strides);
      offset = b.createOrFold<arith::AddIOp>(
          loc, offset, toIndex(b, loc, inputSizes[*axis]));
    }
    rewriter.replaceOp(op, castTo(b, loc, result, type));
    return success();
  }
};

/// One sliced axis: the selected indices are offset + i * stride for
/// i in [0, size); all index values.
struct AxisSlice {
  Value offset, size, stride;
};

/// ONNX clamping of one Slice axis over an extent `dim` (i64 values).
/// `stepSign` is +1/-1 when the sign is known, 0 when it is decided at run
/// time.
AxisSlice clampSlice(OpBuilder &b, Location loc, Value dim, Value start,
                     Value end, Value step, int stepSign) {
  auto c = [&](int64_t v) { return i64Constant(b, loc, v); };
  auto select = [&](Value cond, Value x, Value y) {
    return b.createOrFold<arith::SelectOp>(loc, cond, x, y);
  };
  auto lt = [&](Value x, Value y) {
    return b.createOrFold<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, x, y);
  };
  auto add = [&](Value x, Value y) {
    return b.createOrFold<arith::AddIOp>(loc, x, y);
  };
  auto sub = [&](Value x, Value y) {
    return b.createOrFold<arith::SubIOp>(loc, x, y);
  };
  auto clamp = [&](Value x, Value lo, Value hi) {
    return b.createOrFold<arith::MinSIOp>(
        loc, b.createOrFold<arith::MaxSIOp>(loc, x, lo), hi);
  };
  Value zero = c(0);
  start = select(lt(start, zero), add(start, dim), start);
  end = select(lt(end, zero), add(end, dim), end);
  Value dimMinusOne = sub(dim, c(1));
  auto forward = [&]() {
    Value s = clamp(start, zero, dim), e = clamp(end, zero, dim);
    Value count = b.createOrFold<arith::CeilDivSIOp>(loc, sub(e, s), step);
    return std::make_pair(s, b.createOrFold<arith::MaxSIOp>(loc, count, zero));
  };
  auto backward = [&]() {
    Value s = clamp(start, zero, dimMinusOne);
    Value e = clamp(end, c(-1), dimMinusOne);
    Value count = b.createOrFold<arith::CeilDivSIOp>(
        loc, sub(s, e), b.createOrFold<arith::SubIOp>(loc, zero, step));
    return std::make_pair(s, b.createOrFold<arith::MaxSIOp>(loc, count, zero));
  };
  std::pair<Value, Value> startCount;
  if (stepSign > 0) {
    startCount = forward();
  } else if (stepSign < 0) {
    startCount = backward();
  } else {
    auto [fs, fc] = forward();
    auto [bs, bc] = backward();
    Value positive = lt(zero, step);
    startCount = {select(positive, fs, bs), select(positive, fc, bc)};
  }
  return {i64ToIndex(b, loc, startCount.first),
          i64ToIndex(b, loc, startCount.second), i64ToIndex(b, loc, step)};
}

/// The slice of every dim of `data` for Slice entries whose `axes` are only
/// known at run time: a dim takes the start/end/step of the (last) entry
/// whose normalized axis names it, else its whole range. The rank is fixed;
/// only offsets and sizes vary. `allForward`: every step is known positive.
SmallVector<AxisSlice>
sliceByRuntimeAxes(OpBuilder &b, Location loc, Value data, Value axes,
                   ArrayRef<Value> starts, ArrayRef<Value> ends,
                   ArrayRef<Value> steps, bool allForward) {
  int64_t rank = cast<RankedTensorType>(data.getType()).getRank();
  SmallVector<Value> normalized = readRuntimeAxes(b, loc, axes, rank);
  SmallVector<AxisSlice> slices;
  for (int64_t d = 0; d < rank; ++d) {
    Value dim = dimI64(b, loc, data, d);
    Value start = i64Constant(b, loc, 0), end = dim,
          step = i64Constant(b, loc, 1);
    for (auto [k, axis] : llvm::enumerate(normalized)) {
      Value named = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          axis, i64Constant(b, loc, d));
      start = b.createOrFold<arith::SelectOp>(loc, named, starts[k], start);
      end = b.createOrFold<arith::SelectOp>(loc, named, ends[k], end);
      step = b.createOrFold<arith::SelectOp>(loc, named, steps[k], step);
    }
    slices.push_back(
        clampSlice(b, loc, dim, start, end, step, allForward ? 1 : 0));
  }
  return slices;
}

/// Slice -> tensor.extract_slice when every step is known positive, else a
/// linalg.generic reading input[offset + i * step] (negative steps reverse).
/// Axes read at run time pick, for each dim, the entry that names it.
struct SliceLowering : ONNXConversion<onnx_ir::SliceOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData();
    auto dataType = dyn_cast<RankedTensorType>(data.getType());
    RankedTensorType type = convertResult(op.getOutput());
    auto startsType = dyn_cast<RankedTensorType>(adaptor.getStarts().getType());
    auto endsType = dyn_cast<RankedTensorType>(adaptor.getEnds().getType());
    if (!dataType || !type || !startsType || !endsType ||
        startsType.getRank() != 1 || startsType.isDynamicDim(0) ||
        endsType.getShape() != startsType.getShape())
      return matchFailure(rewriter, op,
                          "needs starts/ends of static "
                          "length");
    int64_t rank = dataType.getRank();
    int64_t n = startsType.getDimSize(0);
    // Axes read at run time stay empty here (see `runtimeAxes` below).
    std::optional<SmallVector<int64_t>> axes =
        llvm::to_vector(llvm::seq<int64_t>(0, n));
    bool runtimeAxes = false;
    if (!onnx_ir::isNone(op.getAxes())) {
      axes = getConstantInts(op.getAxes(), adaptor.getAxes());
      auto axesType = dyn_cast<RankedTensorType>(adaptor.getAxes().getType());
      runtimeAxes = !axes;
      if ((axes && static_cast<int64_t>(axes->size()) != n) ||
          (runtimeAxes &&
           (!axesType || axesType.getShape() != startsType.getShape())))
        return matchFailure(rewriter, op, "axes of another length");
    }
    SmallVector<bool> seen(rank, false);
    if (axes) {
      for (int64_t &axis : *axes) {
        std::optional<int64_t> a = normalizeAxis(axis, rank);
        if (!a || seen[*a])
          return matchFailure(rewriter, op, "invalid axes");
        seen[*a] = true;
        axis = *a;
      }
    }
    std::optional<SmallVector<int64_t>> constSteps;
    if (onnx_ir::isNone(op.getSteps()))
      constSteps = SmallVector<int64_t>(n, 1);
    else
      constSteps = getConstantInts(op.getSteps(), adaptor.getSteps());
    if (constSteps && (static_cast<int64_t>(constSteps->size()) != n ||
                       llvm::is_contained(*constSteps, 0)))
      return matchFailure(rewriter, op, "invalid steps");
    if (!constSteps) {
      auto stepsType = dyn_cast<RankedTensorType>(adaptor.getSteps().getType());
      if (!stepsType || stepsType.getShape() != startsType.getShape())
        return matchFailure(rewriter, op, "steps of another length");
    }

    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    SmallVector<AxisSlice> slices;
    for (int64_t d = 0; d < rank; ++d)
      slices.push_back({indexConstant(b, loc, 0),
                        toIndex(b, loc, getSize(b, loc, data, d)),
                        indexConstant(b, loc, 1)});
    SmallVector<Value> starts, ends, steps;
    SmallVector<int> signs;
    for (int64_t k = 0; k < n; ++k) {
      starts.push_back(extractI64(b, loc, adaptor.getStarts(), k));
      ends.push_back(extractI64(b, loc, adaptor.getEnds(), k));
      steps.push_back(constSteps ? i64Constant(b, loc, (*constSteps)[k])
                                 : extractI64(b, loc, adaptor.getSteps(), k));
      signs.push_back(constSteps ? ((*constSteps)[k] > 0 ? 1 : -1) : 0);
    }
    bool allForward = llvm::all_of(signs, [](int sign) { return sign > 0; });
    if (axes) {
      for (int64_t k = 0; k < n; ++k)
        slices[(*axes)[k]] =
            clampSlice(b, loc, dimI64(b, loc, data, (*axes)[k]), starts[k],
                       ends[k], steps[k], signs[k]);
    } else {
      slices = sliceByRuntimeAxes(b, loc, data, adaptor.getAxes(), starts, ends,
                                  steps, allForward);
    }

    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (const AxisSlice &slice : slices) {
      offsets.push_back(getAsOpFoldResult(slice.offset));
      sizes.push_back(getAsOpFoldResult(slice.size));
      strides.push_back(getAsOpFoldResult(slice.stride));
    }
    SmallVector<int64_t> outShape =
        refineShape(getStaticShape(sizes), type.getShape());
    auto resultType = RankedTensorType::get(outShape, type.getElementType());

    Value result;
    bool constantSlice = llvm::all_of(
        llvm::concat<OpFoldResult>(offsets, sizes, strides),
        [](OpFoldResult ofr) { return getConstantIntValue(ofr).has_value(); });
    if (rank == 1 && isSmallIntVector(dataType) && constantSlice) {
      SmallVector<Value> elements;
      int64_t offset = *getConstantIntValue(offsets[0]);
      int64_t stride = *getConstantIntValue(strides[0]);
      for (int64_t i = 0, e = *getConstantIntValue(sizes[0]); i < e; ++i)
        elements.push_back(extractElement(b, loc, data, offset + i * stride));
      result = rebuildFromElements(b, loc, elements, resultType);
    } else if (allForward) {
      result = extractSliceOrEmpty(b, loc, data, offsets, sizes, strides);
    } else {
      for (auto [size, extent] : llvm::zip(sizes, outShape))
        if (!ShapedType::isDynamic(extent))
          size = b.getIndexAttr(extent);
      Value empty = createEmpty(b, loc, sizes, type.getElementType());
      auto map = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
      result = linalg::GenericOp::create(
                   b, loc, TypeRange{empty.getType()}, ValueRange{},
                   ValueRange{empty}, ArrayRef<AffineMap>{map},
                   parallelIterators(rank),
                   [&](OpBuilder &nb, Location l, ValueRange) {
                     SmallVector<Value> indices;
                     for (int64_t d = 0; d < rank; ++d) {
                       Value i = linalg::IndexOp::create(nb, l, d);
                       Value scaled =
                           arith::MulIOp::create(nb, l, i, slices[d].stride);
                       indices.push_back(arith::AddIOp::create(
                           nb, l, slices[d].offset, scaled));
                     }
                     Value v = tensor::ExtractOp::create(nb, l, data, indices);
                     linalg::YieldOp::create(nb, l, v);
                   })
                   .getResult(0);
    }
    rewriter.replaceOp(op, castTo(b, loc, result, type));
    return success();
  }
};

/// Split -> tensor.extract_slice per output; sizes from the split input (run
/// time or constant), the attribute, or ceil(dim / outputs) chunks.
struct SplitLowering : ONNXConversion<onnx_ir::SplitOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::SplitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    if (!inputType)
      return matchFailure(rewriter, op, "unranked");
    SmallVector<RankedTensorType> types;
    for (Value result : op.getOutputs()) {
      types.push_back(convertResult(result));
      if (!types.back())
        return matchFailure(rewriter, op, "unranked result");
    }
    int64_t rank = inputType.getRank();
    std::optional<int64_t> axis = normalizeAxis(op.getAxisOrDefault(), rank);
    int64_t numResults = op.getNumResults();
    if (!axis || numResults == 0)
      return matchFailure(rewriter, op, "axis out of range");
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;

    SmallVector<Value> splitSizes; // i64
    if (!onnx_ir::isNone(op.getSplitInput())) {
      auto splitType =
          dyn_cast<RankedTensorType>(adaptor.getSplitInput().getType());
      if (!splitType || splitType.getRank() != 1 ||
          splitType.getDimSize(0) != numResults)
        return matchFailure(rewriter, op, "split of another length");
      splitSizes = *readShapeVector(b, loc, adaptor.getSplitInput());
    } else if (std::optional<ArrayRef<int64_t>> split = op.getSplit()) {
      for (int64_t size : *split)
        splitSizes.push_back(i64Constant(b, loc, size));
    } else {
      Value dim = dimI64(b, loc, input, *axis);
      Value parts = i64Constant(b, loc, numResults);
      Value chunk = b.createOrFold<arith::CeilDivSIOp>(loc, dim, parts);
      Value rest = b.createOrFold<arith::SubIOp>(
          loc, dim,
          b.createOrFold<arith::MulIOp>(loc, chunk,
                                        i64Constant(b, loc, numResults - 1)));
      splitSizes.assign(numResults - 1, chunk);
      splitSizes.push_back(rest);
    }

    SmallVector<Value> results;
    Value offset = i64Constant(b, loc, 0);
    SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
    for (auto [size, type] : llvm::zip(splitSizes, types)) {
      SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes = getSizes(b, loc, input);
      offsets[*axis] = i64ToSize(b, loc, offset);
      sizes[*axis] = i64ToSize(b, loc, size);
      Value slice = extractSliceOrEmpty(b, loc, input, offsets, sizes, strides);
      results.push_back(castTo(b, loc, slice, type));
      offset = b.createOrFold<arith::AddIOp>(loc, offset, size);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// Checks that every element of the integer tensor `indices` lies in
/// [-size, size): at compile time when they are a constant (false when one
/// does not), else by a cf.assert on an all-in-range reduction (with
/// `runtime`; nothing without it).
static bool checkIndicesInRange(OpBuilder &b, Location loc, Value indices,
                                Value size, bool runtime,
                                const Twine &message) {
  auto type = cast<RankedTensorType>(indices.getType());
  DenseIntElementsAttr constant;
  if (matchPattern(indices, m_Constant(&constant))) {
    std::optional<int64_t> bound = getConstantIntValue(size);
    if (!bound)
      return true;
    return llvm::all_of(constant.getValues<APInt>(), [&](const APInt &v) {
      int64_t i = v.getSExtValue();
      return i >= -*bound && i < *bound;
    });
  }
  if (!runtime)
    return true;
  MLIRContext *ctx = b.getContext();
  int64_t rank = type.getRank();
  Value bound = b.createOrFold<arith::IndexCastOp>(loc, b.getI64Type(), size);
  Value lower =
      b.createOrFold<arith::SubIOp>(loc, i64Constant(b, loc, 0), bound);
  Value init = createFilled(
      b, loc, {}, arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  Value all =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, ValueRange{indices},
          ValueRange{init},
          ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(rank, ctx),
                              AffineMap::get(rank, 0, {}, ctx)},
          iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value i = intToI64(nb, l, args[0]);
            Value inRange = arith::AndIOp::create(
                nb, l,
                arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, i,
                                      lower),
                arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, i,
                                      bound));
            linalg::YieldOp::create(
                nb, l,
                arith::AndIOp::create(nb, l, args[1], inRange).getResult());
          })
          .getResult(0);
  Value ok = tensor::ExtractOp::create(b, loc, all, ValueRange{});
  cf::AssertOp::create(b, loc, ok, b.getStringAttr(message));
  return true;
}

/// Gather -> linalg.generic reading data[..., wrap(indices[...]), ...] with
/// tensor.extract; negative indices count from the end of `axis`. Indices
/// outside [-s, s) are an error: a located one when they are constants,
/// else (with `indexChecks`) a run-time check before the gather.
struct GatherLowering : ONNXConversion<onnx_ir::GatherOp> {
  GatherLowering(const TypeConverter &converter, MLIRContext *ctx,
                 bool indexChecks)
      : ONNXConversion(converter, ctx), indexChecks(indexChecks) {}
  bool indexChecks;

  LogicalResult
  matchAndRewrite(onnx_ir::GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto dataType = dyn_cast<RankedTensorType>(data.getType());
    auto indicesType = dyn_cast<RankedTensorType>(indices.getType());
    RankedTensorType type = convertResult(op.getOutput());
    if (!dataType || !indicesType || !type ||
        !isa<IntegerType>(indicesType.getElementType()))
      return matchFailure(rewriter, op, "unranked");
    int64_t rank = dataType.getRank(), q = indicesType.getRank();
    std::optional<int64_t> axis = normalizeAxis(op.getAxisOrDefault(), rank);
    if (!axis || type.getRank() != rank - 1 + q)
      return matchFailure(rewriter, op, "axis out of range");
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    Value axisDim = toIndex(b, loc, getSize(b, loc, data, *axis));
    if (!checkIndicesInRange(
            b, loc, indices, axisDim, indexChecks,
            "Gather: an index lies outside [-s, s) for s the size of axis " +
                Twine(*axis) + " of the data"))
      return matchFailure(rewriter, op,
                          "a constant index lies outside [-s, s) for s the "
                          "size of axis " +
                              Twine(*axis) + " of the data");
    Value zeroIndex = indexConstant(b, loc, 0);
    auto wrap = [&](OpBuilder &nb, Location l, Value index) {
      index = nb.createOrFold<arith::IndexCastOp>(l, nb.getIndexType(), index);
      Value negative = nb.createOrFold<arith::CmpIOp>(
          l, arith::CmpIPredicate::slt, index, zeroIndex);
      return nb.createOrFold<arith::SelectOp>(
          l, negative, nb.createOrFold<arith::AddIOp>(l, index, axisDim),
          index);
    };

    if (rank == 1 && isSmallIntVector(indicesType) &&
        isa<IntegerType>(dataType.getElementType())) {
      SmallVector<Value> elements;
      for (int64_t i = 0, e = indicesType.getNumElements(); i < e; ++i) {
        Value index = wrap(b, loc, extractElement(b, loc, indices, i));
        elements.push_back(
            b.createOrFold<tensor::ExtractOp>(loc, data, ValueRange{index}));
      }
      auto resultType = RankedTensorType::get(indicesType.getShape(),
                                              dataType.getElementType());
      rewriter.replaceOp(
          op, castTo(b, loc, rebuildFromElements(b, loc, elements, resultType),
                     type));
      return success();
    }

    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < rank; ++d) {
      if (d != *axis) {
        sizes.push_back(getSize(b, loc, data, d));
        continue;
      }
      llvm::append_range(sizes, getSizes(b, loc, indices));
    }
    int64_t outRank = sizes.size();
    Value empty = createEmpty(b, loc, sizes, dataType.getElementType());
    SmallVector<AffineExpr> indexExprs;
    for (int64_t i = 0; i < q; ++i)
      indexExprs.push_back(b.getAffineDimExpr(*axis + i));
    auto indicesMap = AffineMap::get(outRank, 0, indexExprs, b.getContext());
    auto outMap = AffineMap::getMultiDimIdentityMap(outRank, b.getContext());
    Value result =
        linalg::GenericOp::create(
            b, loc, TypeRange{empty.getType()}, ValueRange{indices},
            ValueRange{empty}, ArrayRef<AffineMap>{indicesMap, outMap},
            parallelIterators(outRank),
            [&](OpBuilder &nb, Location l, ValueRange args) {
              SmallVector<Value> dataIndices;
              for (int64_t d = 0; d < *axis; ++d)
                dataIndices.push_back(linalg::IndexOp::create(nb, l, d));
              dataIndices.push_back(wrap(nb, l, args[0]));
              for (int64_t d = *axis + 1; d < rank; ++d)
                dataIndices.push_back(
                    linalg::IndexOp::create(nb, l, d - 1 + q));
              Value v = tensor::ExtractOp::create(nb, l, data, dataIndices);
              linalg::YieldOp::create(nb, l, v);
            })
            .getResult(0);
    rewriter.replaceOp(op, castTo(b, loc, result, type));
    return success();
  }
};

/// Trilu -> linalg.generic keeping x[..., i, j] where j - i >= k (upper) or
/// j - i <= k (lower), zero elsewhere.
struct TriluLowering : ONNXConversion<onnx_ir::TriluOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::TriluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    RankedTensorType type = convertResult(op.getOutput());
    if (!inputType || !type || inputType.getRank() < 2)
      return matchFailure(rewriter, op, "needs rank >= 2");
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    Value k = indexConstant(b, loc, 0);
    if (!onnx_ir::isNone(op.getK())) {
      auto kType = dyn_cast<RankedTensorType>(adaptor.getK().getType());
      if (!kType || !kType.hasStaticShape() || kType.getNumElements() != 1)
        return matchFailure(rewriter, op, "k must be a scalar");
      k = i64ToIndex(b, loc, extractI64(b, loc, adaptor.getK(), 0));
    }
    bool upper = op.getUpperOrDefault() != 0;
    int64_t rank = inputType.getRank();
    Type elementType = inputType.getElementType();
    Value zero = createZero(b, loc, elementType);
    Value empty = createEmpty(b, loc, getSizes(b, loc, input), elementType);
    auto map = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
    Value result =
        linalg::GenericOp::create(
            b, loc, TypeRange{empty.getType()}, ValueRange{input},
            ValueRange{empty}, ArrayRef<AffineMap>{map, map},
            parallelIterators(rank),
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value i = linalg::IndexOp::create(nb, l, rank - 2);
              Value j = linalg::IndexOp::create(nb, l, rank - 1);
              Value diff = arith::SubIOp::create(nb, l, j, i);
              Value keep = arith::CmpIOp::create(
                  nb, l,
                  upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
                  diff, k);
              Value v = arith::SelectOp::create(nb, l, keep, args[0], zero);
              linalg::YieldOp::create(nb, l, v);
            })
            .getResult(0);
    rewriter.replaceOp(op, castTo(b, loc, result, type));
    return success();
  }
};

} // namespace

void mlir::peft::populateONNXDataMovementToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns,
    bool indexChecks) {
  patterns.add<InitializerLowering, ConstantLowering, IdentityLowering,
               TransposeLowering, ConcatLowering, SliceLowering, SplitLowering,
               TriluLowering>(converter, patterns.getContext());
  patterns.add<GatherLowering>(converter, patterns.getContext(), indexChecks);
}
