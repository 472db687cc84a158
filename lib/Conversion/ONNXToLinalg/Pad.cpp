//===- Pad.cpp - onnx Pad to linalg ---------------------------------------===//
//
// Pad (opsets 13-21: constant, reflect, edge and wrap modes, the optional
// `axes` input of opset 18, negative pads that crop, pads constant or read at
// run time) as one linalg.generic
// over the output that reads the input at a source index computed per dim.
//
//===----------------------------------------------------------------------===//

#include "ShapeUtils.h"
#include "peft/Conversion/ONNXToLinalg/ONNXToLinalg.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::onnx_to_linalg;

namespace {

enum class PadMode { Constant, Reflect, Edge, Wrap };

/// `x mod n` in [0, n) for index values (n > 0).
Value positiveRem(OpBuilder &b, Location loc, Value x, Value n) {
  Value rem = arith::RemSIOp::create(b, loc, x, n);
  Value negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, rem,
                                         indexConstant(b, loc, 0));
  return arith::SelectOp::create(b, loc, negative,
                                 arith::AddIOp::create(b, loc, rem, n), rem);
}

/// min(max(x, 0), n - 1).
Value clampIndex(OpBuilder &b, Location loc, Value x, Value n) {
  Value last = arith::SubIOp::create(b, loc, n, indexConstant(b, loc, 1));
  Value low = arith::MaxSIOp::create(b, loc, x, indexConstant(b, loc, 0));
  return arith::MinSIOp::create(b, loc, low, last);
}

/// The input index that output index `src` (already shifted by the begin
/// pad) reads in `mode` for an extent `n`.
Value sourceIndex(OpBuilder &b, Location loc, PadMode mode, Value src,
                  Value n) {
  switch (mode) {
  case PadMode::Constant:
  case PadMode::Edge:
    return clampIndex(b, loc, src, n);
  case PadMode::Wrap:
    return positiveRem(b, loc, src, n);
  case PadMode::Reflect: {
    // Period 2(n - 1): 0 1 .. n-1 n-2 .. 1 | 0 1 ..; a single element
    // reflects onto itself.
    Value one = indexConstant(b, loc, 1);
    Value nMinus1 = arith::SubIOp::create(b, loc, n, one);
    Value period = arith::MaxSIOp::create(
        b, loc, arith::AddIOp::create(b, loc, nMinus1, nMinus1), one);
    Value m = positiveRem(b, loc, src, period);
    Value inFirstHalf =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, m, n);
    return arith::SelectOp::create(b, loc, inFirstHalf, m,
                                   arith::SubIOp::create(b, loc, period, m));
  }
  }
  llvm_unreachable("unknown pad mode");
}

/// Pad with constant `axes`; `pads` and `constant_value` may be run-time
/// values (a run-time `pads` gives dynamic result extents).
struct PadLowering : ONNXConversion<onnx_ir::PadOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::PadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData();
    auto dataType = dyn_cast<RankedTensorType>(data.getType());
    RankedTensorType type = convertResult(op.getOutput());
    if (!dataType || !type)
      return matchFailure(rewriter, op, "unranked operand or result");
    int64_t rank = dataType.getRank();
    std::optional<PadMode> mode =
        llvm::StringSwitch<std::optional<PadMode>>(op.getModeOrDefault())
            .Case("constant", PadMode::Constant)
            .Case("reflect", PadMode::Reflect)
            .Case("edge", PadMode::Edge)
            .Case("wrap", PadMode::Wrap)
            .Default(std::nullopt);
    if (!mode)
      return matchFailure(rewriter, op, "unknown mode");

    SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    if (!onnx_ir::isNone(op.getAxes())) {
      std::optional<SmallVector<int64_t>> given =
          getConstantInts(op.getAxes(), adaptor.getAxes());
      if (!given)
        return matchFailure(rewriter, op, "axes is not a constant");
      axes = *given;
    }
    int64_t n = axes.size();
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    // The begin and end pads per dim: constants, or index values read from
    // a run-time `pads` tensor.
    SmallVector<OpFoldResult> begin(rank, b.getIndexAttr(0)),
        end(rank, b.getIndexAttr(0));
    std::optional<SmallVector<int64_t>> constantPads =
        getConstantInts(op.getPads(), adaptor.getPads());
    auto padsType = dyn_cast<RankedTensorType>(adaptor.getPads().getType());
    if (constantPads ? static_cast<int64_t>(constantPads->size()) != 2 * n
                     : !padsType || padsType.getRank() != 1 ||
                           !isa<IntegerType>(padsType.getElementType()) ||
                           (!padsType.isDynamicDim(0) &&
                            padsType.getDimSize(0) != 2 * n))
      return matchFailure(
          rewriter, op,
          "pads is not a 1-D integer tensor of 2 x len(axes) entries");
    auto padAt = [&](int64_t i) -> OpFoldResult {
      if (constantPads)
        return b.getIndexAttr((*constantPads)[i]);
      return b.createOrFold<arith::IndexCastOp>(
          loc, b.getIndexType(), extractElement(b, loc, adaptor.getPads(), i));
    };
    for (auto [i, axis] : llvm::enumerate(axes)) {
      std::optional<int64_t> dim = normalizeAxis(axis, rank);
      if (!dim)
        return matchFailure(rewriter, op, "axis out of range");
      begin[*dim] = padAt(i);
      end[*dim] = padAt(i + n);
    }

    Type elementType = dataType.getElementType();
    Value fill;
    if (*mode == PadMode::Constant) {
      if (onnx_ir::isNone(op.getConstantValue())) {
        fill = createZero(b, loc, elementType);
      } else {
        auto valueType =
            dyn_cast<RankedTensorType>(adaptor.getConstantValue().getType());
        if (!valueType || !valueType.hasStaticShape() ||
            valueType.getNumElements() != 1 ||
            valueType.getElementType() != elementType)
          return matchFailure(rewriter, op, "constant_value not a scalar");
        fill = extractElement(b, loc, adaptor.getConstantValue(), 0);
      }
    }

    // Per dim: the extent, and for a padded dim the crops, the begin pad
    // and the cropped extent (negative pads crop first; the mode then pads
    // the cropped extent, as onnxruntime does).
    Value zero = indexConstant(b, loc, 0);
    SmallVector<OpFoldResult> sizes;
    SmallVector<Value> extents, cropBegins, padBegins, croppedExtents;
    SmallVector<bool> onlyCropped;
    for (int64_t d = 0; d < rank; ++d) {
      OpFoldResult size = getSize(b, loc, data, d);
      extents.push_back(toIndex(b, loc, size));
      std::optional<int64_t> knownBegin = getConstantIntValue(begin[d]),
                             knownEnd = getConstantIntValue(end[d]),
                             known = getConstantIntValue(size);
      if (known && knownBegin && knownEnd) {
        if (*known + *knownBegin + *knownEnd < 0)
          return matchFailure(rewriter, op, "pads crop below zero");
        sizes.push_back(b.getIndexAttr(*known + *knownBegin + *knownEnd));
      } else {
        sizes.push_back(b.createOrFold<arith::AddIOp>(
            loc, extents.back(),
            b.createOrFold<arith::AddIOp>(loc, toIndex(b, loc, begin[d]),
                                          toIndex(b, loc, end[d]))));
      }
      onlyCropped.push_back(knownBegin && knownEnd && *knownBegin <= 0 &&
                            *knownEnd <= 0);
      Value beginValue = toIndex(b, loc, begin[d]),
            endValue = toIndex(b, loc, end[d]);
      Value cropBegin = b.createOrFold<arith::MaxSIOp>(
          loc, b.createOrFold<arith::SubIOp>(loc, zero, beginValue), zero);
      Value cropEnd = b.createOrFold<arith::MaxSIOp>(
          loc, b.createOrFold<arith::SubIOp>(loc, zero, endValue), zero);
      cropBegins.push_back(cropBegin);
      padBegins.push_back(
          b.createOrFold<arith::MaxSIOp>(loc, beginValue, zero));
      croppedExtents.push_back(b.createOrFold<arith::SubIOp>(
          loc, extents.back(),
          b.createOrFold<arith::AddIOp>(loc, cropBegin, cropEnd)));
    }
    Value empty = createEmpty(b, loc, sizes, elementType);
    auto map = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
    Value result =
        linalg::GenericOp::create(
            b, loc, TypeRange{empty.getType()}, ValueRange{}, ValueRange{empty},
            ArrayRef<AffineMap>{map}, parallelIterators(rank),
            [&](OpBuilder &nb, Location l, ValueRange) {
              SmallVector<Value> indices;
              Value inside;
              for (int64_t d = 0; d < rank; ++d) {
                Value i = linalg::IndexOp::create(nb, l, d);
                if (onlyCropped[d]) {
                  // Only cropped (or untouched): a shifted read.
                  indices.push_back(
                      nb.createOrFold<arith::AddIOp>(l, i, cropBegins[d]));
                  continue;
                }
                Value extent = croppedExtents[d];
                Value src = arith::SubIOp::create(nb, l, i, padBegins[d]);
                indices.push_back(nb.createOrFold<arith::AddIOp>(
                    l, sourceIndex(nb, l, *mode, src, extent), cropBegins[d]));
                if (*mode != PadMode::Constant)
                  continue;
                Value low = arith::CmpIOp::create(
                    nb, l, arith::CmpIPredicate::sge, src, zero);
                Value high = arith::CmpIOp::create(
                    nb, l, arith::CmpIPredicate::slt, src, extent);
                Value both = arith::AndIOp::create(nb, l, low, high);
                inside =
                    inside ? arith::AndIOp::create(nb, l, inside, both) : both;
              }
              Value v = tensor::ExtractOp::create(nb, l, data, indices);
              if (inside)
                v = arith::SelectOp::create(nb, l, inside, v, fill);
              linalg::YieldOp::create(nb, l, v);
            })
            .getResult(0);
    rewriter.replaceOp(op, castTo(b, loc, result, type));
    return success();
  }
};

} // namespace

void mlir::peft::populateONNXPadToLinalgPatterns(const TypeConverter &converter,
                                                 RewritePatternSet &patterns) {
  patterns.add<PadLowering>(converter, patterns.getContext());
}
