//===- Resize.cpp - onnx Resize to linalg ---------------------------------===//
//
// Resize (opsets 11-19) as one linalg.generic over the output. For each
// resized dimension the output index is mapped to a coordinate of the input
// by the coordinate transformation mode (half_pixel, half_pixel_symmetric,
// pytorch_half_pixel, align_corners, asymmetric, tf_crop_and_resize), in
// f32 as onnxruntime computes it, from the scale and the extents, which may
// all be run-time values. `nearest` reads one input element (rounded by
// `nearest_mode`), `linear` and `cubic` sum 2 or 4 taps per resized
// dimension (their tensor product), reading out-of-range taps at the edge
// (or dropping them and renormalizing with `exclude_outside`), as the ONNX
// reference implementation does. With `antialias` a downsampling filter is
// widened by 1/scale: its taps, whose count depends on the (run-time) scale,
// are scf.for loops in the body, each dim's weights normalized by their sum.
//
//===----------------------------------------------------------------------===//

#include "ShapeUtils.h"
#include "peft/Conversion/ONNXToLinalg/ONNXToLinalg.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::onnx_to_linalg;

namespace {

/// What the body needs of one resized dimension, all computed before the
/// generic: f32 extents, the scale and the roi, and the index extent of
/// the input.
struct ResizedDim {
  Value inIndex, inF, outF, scale, roiStart, roiEnd;
};

Value f32Constant(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

Value indexToF32(OpBuilder &b, Location loc, Value index) {
  return arith::SIToFPOp::create(b, loc, b.getF32Type(),
                                 indexToI64(b, loc, index));
}

Value toF32(OpBuilder &b, Location loc, Value value) {
  Type type = value.getType();
  if (type.isF32())
    return value;
  if (isa<FloatType>(type))
    return cast<FloatType>(type).getWidth() < 32
               ? arith::ExtFOp::create(b, loc, b.getF32Type(), value)
                     .getResult()
               : arith::TruncFOp::create(b, loc, b.getF32Type(), value)
                     .getResult();
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), value);
}

/// Keys' cubic convolution kernel with coefficient `a`, in f32, for
/// |t| <= 1: ((a + 2)·t − (a + 3))·t² + 1.
Value cubicNear(OpBuilder &b, Location loc, Value t, double a) {
  Value inner = arith::SubFOp::create(
      b, loc, arith::MulFOp::create(b, loc, f32Constant(b, loc, a + 2.0), t),
      f32Constant(b, loc, a + 3.0));
  return arith::AddFOp::create(
      b, loc,
      arith::MulFOp::create(b, loc, inner, arith::MulFOp::create(b, loc, t, t)),
      f32Constant(b, loc, 1.0));
}

/// The same kernel for 1 < |t| < 2: ((a·t − 5a)·t + 8a)·t − 4a.
Value cubicFar(OpBuilder &b, Location loc, Value t, double a) {
  Value p = arith::SubFOp::create(
      b, loc, arith::MulFOp::create(b, loc, f32Constant(b, loc, a), t),
      f32Constant(b, loc, 5.0 * a));
  p = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, p, t),
                            f32Constant(b, loc, 8.0 * a));
  return arith::SubFOp::create(b, loc, arith::MulFOp::create(b, loc, p, t),
                               f32Constant(b, loc, 4.0 * a));
}

struct ResizeLowering : ONNXConversion<onnx_ir::ResizeOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::ResizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getX();
    auto dataType = dyn_cast<RankedTensorType>(data.getType());
    RankedTensorType type = convertResult(op.getY());
    if (!dataType || !type || type.getRank() != dataType.getRank())
      return matchFailure(rewriter, op, "unranked operand or result");
    int64_t rank = dataType.getRank();
    StringRef mode = op.getModeOrDefault();
    StringRef transform = op.getCoordinateTransformationModeOrDefault();
    Type elementType = dataType.getElementType();
    bool interpolates = mode != "nearest";
    if (interpolates && !isa<FloatType>(elementType))
      return matchFailure(rewriter, op,
                          "linear and cubic modes need floating-point data");
    bool antialias = interpolates && op.getAntialiasAttr() &&
                     op.getAntialiasAttr().getInt() != 0;

    SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    if (std::optional<ArrayRef<int64_t>> given = op.getAxes()) {
      axes.clear();
      for (int64_t axis : *given) {
        std::optional<int64_t> dim = normalizeAxis(axis, rank);
        if (!dim)
          return matchFailure(rewriter, op, "axis out of range");
        axes.push_back(*dim);
      }
    }
    int64_t n = axes.size();
    auto hasEntries = [&](Value value, int64_t count) {
      auto t = dyn_cast<RankedTensorType>(value.getType());
      return t && t.getRank() == 1 && !t.isDynamicDim(0) &&
             t.getDimSize(0) == count;
    };
    Value scales = adaptor.getScales(), sizes = adaptor.getSizes();
    bool useSizes = !onnx_ir::isNone(op.getSizes());
    if (useSizes ? !hasEntries(sizes, n) : !hasEntries(scales, n))
      return matchFailure(rewriter, op,
                          "scales or sizes of static length len(axes) needed");
    bool crop = transform == "tf_crop_and_resize";
    if (crop &&
        (onnx_ir::isNone(op.getRoi()) || !hasEntries(adaptor.getRoi(), 2 * n)))
      return matchFailure(rewriter, op,
                          "tf_crop_and_resize needs a roi of 2 x len(axes)");

    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    // Per resized dimension: extents, scale and roi.
    SmallVector<std::optional<ResizedDim>> dims(rank);
    SmallVector<Value> ratios; // sizes[i] / in[i], for the aspect policy
    for (auto [i, axis] : llvm::enumerate(axes)) {
      ResizedDim d;
      d.inIndex = toIndex(b, loc, getSize(b, loc, data, axis));
      d.inF = indexToF32(b, loc, d.inIndex);
      if (crop) {
        d.roiStart = toF32(b, loc, extractElement(b, loc, adaptor.getRoi(), i));
        d.roiEnd =
            toF32(b, loc, extractElement(b, loc, adaptor.getRoi(), i + n));
      }
      if (useSizes) {
        Value size = toF32(b, loc, extractElement(b, loc, sizes, i));
        ratios.push_back(arith::DivFOp::create(b, loc, size, d.inF));
        d.outF = size;
        d.scale = ratios.back();
      } else {
        d.scale = toF32(b, loc, extractElement(b, loc, scales, i));
        Value extent = d.inF;
        if (crop)
          extent = arith::MulFOp::create(
              b, loc, extent,
              arith::SubFOp::create(b, loc, d.roiEnd, d.roiStart));
        d.outF = math::FloorOp::create(
            b, loc, arith::MulFOp::create(b, loc, extent, d.scale));
      }
      dims[axis] = d;
    }
    StringRef policy = op.getKeepAspectRatioPolicyOrDefault();
    if (useSizes && policy != "stretch") {
      // One scale for every resized dim: the smallest or largest ratio;
      // out = floor(scale · in + 0.5).
      Value common = ratios.front();
      for (Value ratio : ArrayRef(ratios).drop_front())
        common =
            policy == "not_larger"
                ? arith::MinimumFOp::create(b, loc, common, ratio).getResult()
                : arith::MaximumFOp::create(b, loc, common, ratio).getResult();
      for (int64_t axis : axes) {
        dims[axis]->scale = common;
        dims[axis]->outF = math::FloorOp::create(
            b, loc,
            arith::AddFOp::create(
                b, loc, arith::MulFOp::create(b, loc, common, dims[axis]->inF),
                f32Constant(b, loc, 0.5)));
      }
    }

    // The output extents: static from the result type, else computed.
    SmallVector<OpFoldResult> outSizes;
    for (int64_t d = 0; d < rank; ++d) {
      if (!type.isDynamicDim(d)) {
        outSizes.push_back(b.getIndexAttr(type.getDimSize(d)));
        continue;
      }
      if (!dims[d]) {
        outSizes.push_back(getSize(b, loc, data, d));
        continue;
      }
      Value asInt =
          arith::FPToSIOp::create(b, loc, b.getI64Type(), dims[d]->outF);
      outSizes.push_back(i64ToIndex(b, loc, asInt));
    }
    // The coordinate transforms read the actual output extent.
    for (int64_t d = 0; d < rank; ++d)
      if (dims[d] && !type.isDynamicDim(d))
        dims[d]->outF = f32Constant(b, loc, type.getDimSize(d));

    double a = op.getCubicCoeffAOrDefault();
    bool excludeOutside =
        op.getExcludeOutsideAttr() && op.getExcludeOutsideAttr().getInt() != 0;
    StringRef nearestMode = op.getNearestModeOrDefault();
    Type accType = interpolates && cast<FloatType>(elementType).getWidth() > 32
                       ? elementType
                       : b.getF32Type();
    Value extrapolation;
    if (crop)
      extrapolation = arith::ConstantOp::create(
          b, loc,
          b.getFloatAttr(elementType, op.getExtrapolationValueOrDefault()));

    Value empty = createEmpty(b, loc, outSizes, elementType);
    auto map = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
    Value result =
        linalg::GenericOp::create(
            b, loc, TypeRange{empty.getType()}, ValueRange{}, ValueRange{empty},
            ArrayRef<AffineMap>{map}, parallelIterators(rank),
            [&](OpBuilder &nb, Location l, ValueRange) {
              auto cf = [&](double v) { return f32Constant(nb, l, v); };
              Value zeroF = cf(0.0), halfF = cf(0.5), oneF = cf(1.0);
              Value outside;
              // Per dim: the taps (input indices, clamped) and weights.
              SmallVector<SmallVector<Value>> taps(rank), weights(rank);
              // With antialias: per resized dim, the taps are x0 + start + t
              // for t in [0, count), weighted by the kernel at
              // s·(start + t − r) with s = min(scale, 1).
              struct Wide {
                Value x0, r, s, start, count, last;
              };
              SmallVector<std::optional<Wide>> wide(rank);
              for (int64_t d = 0; d < rank; ++d) {
                Value i = linalg::IndexOp::create(nb, l, d);
                if (!dims[d]) {
                  taps[d].push_back(i);
                  continue;
                }
                const ResizedDim &rd = *dims[d];
                Value x = indexToF32(nb, l, i);
                Value inMinus1 = arith::SubFOp::create(nb, l, rd.inF, oneF);
                Value outMinus1 = arith::SubFOp::create(nb, l, rd.outF, oneF);
                Value outGt1 = arith::CmpFOp::create(
                    nb, l, arith::CmpFPredicate::OGT, rd.outF, oneF);
                auto halfPixel = [&]() -> Value {
                  return arith::SubFOp::create(
                      nb, l,
                      arith::DivFOp::create(
                          nb, l, arith::AddFOp::create(nb, l, x, halfF),
                          rd.scale),
                      halfF);
                };
                Value xo;
                if (transform == "half_pixel") {
                  xo = halfPixel();
                } else if (transform == "half_pixel_symmetric") {
                  Value adjustment = arith::DivFOp::create(
                      nb, l, rd.outF,
                      arith::MulFOp::create(nb, l, rd.scale, rd.inF));
                  Value center = arith::MulFOp::create(nb, l, rd.inF, halfF);
                  Value offset = arith::MulFOp::create(
                      nb, l, center,
                      arith::SubFOp::create(nb, l, oneF, adjustment));
                  xo = arith::AddFOp::create(nb, l, offset, halfPixel());
                } else if (transform == "pytorch_half_pixel") {
                  xo = arith::SelectOp::create(nb, l, outGt1, halfPixel(),
                                               zeroF);
                } else if (transform == "align_corners") {
                  // The ONNX reference divides by scale · in − 1 (not by
                  // the integer output extent − 1).
                  Value outWidth =
                      arith::MulFOp::create(nb, l, rd.scale, rd.inF);
                  Value ratio = arith::DivFOp::create(
                      nb, l, arith::MulFOp::create(nb, l, x, inMinus1),
                      arith::SubFOp::create(nb, l, outWidth, oneF));
                  Value single = arith::CmpFOp::create(
                      nb, l, arith::CmpFPredicate::OEQ, outWidth, oneF);
                  xo = arith::SelectOp::create(nb, l, single, zeroF, ratio);
                } else if (transform == "asymmetric") {
                  xo = arith::DivFOp::create(nb, l, x, rd.scale);
                } else { // tf_crop_and_resize
                  Value span =
                      arith::SubFOp::create(nb, l, rd.roiEnd, rd.roiStart);
                  Value many = arith::AddFOp::create(
                      nb, l,
                      arith::MulFOp::create(nb, l, rd.roiStart, inMinus1),
                      arith::DivFOp::create(
                          nb, l,
                          arith::MulFOp::create(
                              nb, l, arith::MulFOp::create(nb, l, x, span),
                              inMinus1),
                          outMinus1));
                  Value one = arith::MulFOp::create(
                      nb, l,
                      arith::MulFOp::create(
                          nb, l,
                          arith::AddFOp::create(nb, l, rd.roiStart, rd.roiEnd),
                          halfF),
                      inMinus1);
                  xo = arith::SelectOp::create(nb, l, outGt1, many, one);
                  Value below = arith::CmpFOp::create(
                      nb, l, arith::CmpFPredicate::OLT, xo, zeroF);
                  Value above = arith::CmpFOp::create(
                      nb, l, arith::CmpFPredicate::OGT, xo, inMinus1);
                  Value out = arith::OrIOp::create(nb, l, below, above);
                  outside =
                      outside ? arith::OrIOp::create(nb, l, outside, out) : out;
                }
                Value x0 = math::FloorOp::create(nb, l, xo);
                Value r = arith::SubFOp::create(nb, l, xo, x0);
                Value x0Index = arith::IndexCastOp::create(
                    nb, l, nb.getIndexType(),
                    arith::FPToSIOp::create(nb, l, nb.getI64Type(), x0));
                Value zeroI = indexConstant(nb, l, 0);
                Value lastI = arith::SubIOp::create(nb, l, rd.inIndex,
                                                    indexConstant(nb, l, 1));
                auto clampIndex = [&](Value index) -> Value {
                  return arith::MinSIOp::create(
                      nb, l, arith::MaxSIOp::create(nb, l, index, zeroI),
                      lastI);
                };
                auto tapAt = [&](int64_t offset) -> Value {
                  return arith::AddIOp::create(nb, l, x0Index,
                                               indexConstant(nb, l, offset));
                };
                if (antialias) {
                  Value sc = arith::MinimumFOp::create(nb, l, rd.scale, oneF);
                  // start = floor(-support / s) + 1, count = 2 - 2·start.
                  Value support = cf(mode == "linear" ? 1.0 : 2.0);
                  Value startF = arith::AddFOp::create(
                      nb, l,
                      math::FloorOp::create(
                          nb, l,
                          arith::DivFOp::create(
                              nb, l, arith::NegFOp::create(nb, l, support),
                              sc)),
                      oneF);
                  Value start = arith::IndexCastOp::create(
                      nb, l, nb.getIndexType(),
                      arith::FPToSIOp::create(nb, l, nb.getI64Type(), startF));
                  Value count = arith::SubIOp::create(
                      nb, l, indexConstant(nb, l, 2),
                      arith::MulIOp::create(nb, l, start,
                                            indexConstant(nb, l, 2)));
                  wide[d] = Wide{x0Index, r, sc, start, count, lastI};
                  continue;
                }
                if (mode == "nearest") {
                  // Neighbors floor(x) and floor(x) + 1; an integer x is
                  // itself.
                  Value up;
                  if (nearestMode == "round_prefer_floor")
                    up = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT,
                                               r, halfF);
                  else if (nearestMode == "round_prefer_ceil")
                    up = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGE,
                                               r, halfF);
                  else if (nearestMode == "floor")
                    up =
                        arith::ConstantOp::create(nb, l, nb.getBoolAttr(false));
                  else
                    up = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT,
                                               r, zeroF);
                  Value index =
                      arith::SelectOp::create(nb, l, up, tapAt(1), x0Index);
                  taps[d].push_back(clampIndex(index));
                  continue;
                }
                SmallVector<int64_t> offsets;
                SmallVector<Value> w;
                if (mode == "linear") {
                  offsets = {0, 1};
                  w = {arith::SubFOp::create(nb, l, oneF, r), r};
                } else {
                  // Keys' cubic convolution with coefficient A at the
                  // distances 1 + r, r, 1 - r, 2 - r.
                  offsets = {-1, 0, 1, 2};
                  Value oneMinusR = arith::SubFOp::create(nb, l, oneF, r);
                  w = {
                      cubicFar(nb, l, arith::AddFOp::create(nb, l, r, oneF), a),
                      cubicNear(nb, l, r, a), cubicNear(nb, l, oneMinusR, a),
                      cubicFar(nb, l,
                               arith::AddFOp::create(nb, l, oneMinusR, oneF),
                               a)};
                }
                SmallVector<Value> tapIndices;
                for (int64_t offset : offsets)
                  tapIndices.push_back(tapAt(offset));
                if (excludeOutside) {
                  // Taps outside the input get weight 0; the rest are
                  // renormalized.
                  Value sum;
                  for (auto [k, index] : llvm::enumerate(tapIndices)) {
                    Value inside = arith::AndIOp::create(
                        nb, l,
                        arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge,
                                              index, zeroI),
                        arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sle,
                                              index, lastI));
                    w[k] = arith::SelectOp::create(nb, l, inside, w[k], zeroF);
                    sum = sum ? arith::AddFOp::create(nb, l, sum, w[k]) : w[k];
                  }
                  for (Value &weight : w)
                    weight = arith::DivFOp::create(nb, l, weight, sum);
                }
                for (Value index : tapIndices)
                  taps[d].push_back(clampIndex(index));
                weights[d] = std::move(w);
              }
              Value acc;
              if (antialias) {
                // Keys' kernel (or the triangle) at |t|, in f32.
                auto kernel = [&](OpBuilder &bb, Value t) -> Value {
                  auto c = [&](double v) { return f32Constant(bb, l, v); };
                  if (mode == "linear")
                    return arith::MaximumFOp::create(
                        bb, l, arith::SubFOp::create(bb, l, c(1.0), t), c(0.0));
                  Value near = cubicNear(bb, l, t, a);
                  Value far = cubicFar(bb, l, t, a);
                  Value isNear = arith::CmpFOp::create(
                      bb, l, arith::CmpFPredicate::OLE, t, c(1.0));
                  Value isFar = arith::CmpFOp::create(
                      bb, l, arith::CmpFPredicate::OLT, t, c(2.0));
                  return arith::SelectOp::create(
                      bb, l, isNear, near,
                      arith::SelectOp::create(bb, l, isFar, far, c(0.0)));
                };
                // Tap t of a dim: its clamped input index and weight.
                auto tapOf = [&](OpBuilder &bb, const Wide &w,
                                 Value t) -> std::pair<Value, Value> {
                  Value offset = arith::AddIOp::create(bb, l, w.start, t);
                  Value tap = arith::AddIOp::create(bb, l, w.x0, offset);
                  Value arg = arith::MulFOp::create(
                      bb, l, w.s,
                      arith::SubFOp::create(bb, l, indexToF32(bb, l, offset),
                                            w.r));
                  Value weight = kernel(bb, math::AbsFOp::create(bb, l, arg));
                  Value zero = indexConstant(bb, l, 0);
                  if (excludeOutside) {
                    Value inside = arith::AndIOp::create(
                        bb, l,
                        arith::CmpIOp::create(bb, l, arith::CmpIPredicate::sge,
                                              tap, zero),
                        arith::CmpIOp::create(bb, l, arith::CmpIPredicate::sle,
                                              tap, w.last));
                    weight = arith::SelectOp::create(bb, l, inside, weight,
                                                     f32Constant(bb, l, 0.0));
                  }
                  tap = arith::MinSIOp::create(
                      bb, l, arith::MaxSIOp::create(bb, l, tap, zero), w.last);
                  return {tap, weight};
                };
                // Each dim's weights are normalized by their sum.
                SmallVector<Value> norms(rank);
                Value zeroI = indexConstant(nb, l, 0),
                      oneI = indexConstant(nb, l, 1);
                for (int64_t d = 0; d < rank; ++d) {
                  if (!wide[d])
                    continue;
                  norms[d] =
                      scf::ForOp::create(
                          nb, l, zeroI, wide[d]->count, oneI, ValueRange{zeroF},
                          [&](OpBuilder &bb, Location, Value t,
                              ValueRange args) {
                            Value sum = arith::AddFOp::create(
                                bb, l, args[0], tapOf(bb, *wide[d], t).second);
                            scf::YieldOp::create(bb, l, sum);
                          })
                          .getResult(0);
                }
                // Σ over the taps of every dim of the weights' product
                // times the input there.
                std::function<Value(OpBuilder &, int64_t, SmallVector<Value>,
                                    Value)>
                    sum = [&](OpBuilder &bb, int64_t d,
                              SmallVector<Value> indices,
                              Value weight) -> Value {
                  if (d == rank) {
                    Value v = tensor::ExtractOp::create(bb, l, data, indices);
                    if (v.getType() != accType)
                      v = arith::ExtFOp::create(bb, l, accType, v);
                    if (!weight)
                      return v;
                    if (weight.getType() != accType)
                      weight = arith::ExtFOp::create(bb, l, accType, weight);
                    return arith::MulFOp::create(bb, l, weight, v);
                  }
                  if (!wide[d]) {
                    indices.push_back(taps[d].front());
                    return sum(bb, d + 1, std::move(indices), weight);
                  }
                  Value init = arith::ConstantOp::create(
                      bb, l, bb.getFloatAttr(accType, 0.0));
                  return scf::ForOp::create(
                             bb, l, indexConstant(bb, l, 0), wide[d]->count,
                             indexConstant(bb, l, 1), ValueRange{init},
                             [&, d, indices, weight](OpBuilder &ib, Location,
                                                     Value t, ValueRange args) {
                               auto [tap, w] = tapOf(ib, *wide[d], t);
                               w = arith::DivFOp::create(ib, l, w, norms[d]);
                               if (weight)
                                 w = arith::MulFOp::create(ib, l, weight, w);
                               SmallVector<Value> next = indices;
                               next.push_back(tap);
                               Value term = sum(ib, d + 1, std::move(next), w);
                               scf::YieldOp::create(
                                   ib, l,
                                   ValueRange{arith::AddFOp::create(
                                       ib, l, args[0], term)});
                             })
                      .getResult(0);
                };
                acc = sum(nb, 0, {}, Value());
              } else {
                // The tensor product of the dims' taps.
                SmallVector<int64_t> pick(rank, 0);
                while (true) {
                  SmallVector<Value> indices;
                  Value weight;
                  for (int64_t d = 0; d < rank; ++d) {
                    indices.push_back(taps[d][pick[d]]);
                    if (!weights[d].empty())
                      weight = weight ? arith::MulFOp::create(
                                            nb, l, weight, weights[d][pick[d]])
                                            .getResult()
                                      : weights[d][pick[d]];
                  }
                  Value v = tensor::ExtractOp::create(nb, l, data, indices);
                  if (!interpolates) {
                    acc = v;
                  } else {
                    if (v.getType() != accType)
                      v = arith::ExtFOp::create(nb, l, accType, v);
                    if (weight && weight.getType() != accType)
                      weight = arith::ExtFOp::create(nb, l, accType, weight);
                    Value term = weight
                                     ? arith::MulFOp::create(nb, l, weight, v)
                                           .getResult()
                                     : v;
                    acc = acc ? arith::AddFOp::create(nb, l, acc, term) : term;
                  }
                  int64_t d = rank - 1;
                  for (; d >= 0; --d) {
                    if (++pick[d] < static_cast<int64_t>(taps[d].size()))
                      break;
                    pick[d] = 0;
                  }
                  if (d < 0)
                    break;
                }
              }
              if (acc.getType() != elementType)
                acc = arith::TruncFOp::create(nb, l, elementType, acc);
              if (outside)
                acc =
                    arith::SelectOp::create(nb, l, outside, extrapolation, acc);
              linalg::YieldOp::create(nb, l, acc);
            })
            .getResult(0);
    rewriter.replaceOp(op, castTo(b, loc, result, type));
    return success();
  }
};

} // namespace

void mlir::peft::populateONNXResizeToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<ResizeLowering>(converter, patterns.getContext());
}
