//===- Quantization.cpp - onnx quantized ops to linalg --------------------===//
//
// (De)QuantizeLinear and DynamicQuantizeLinear are elementwise generics
// (per tensor, per axis or per block scales and zero points); MatMulInteger
// widens its operands minus their zero points and reuses the MatMul lowering
// (buildMatMul); MatMulNBits dequantizes its packed weight with a generic
// and multiplies with a linalg.matmul.
//
//===----------------------------------------------------------------------===//

#include "../Accumulation.h"
#include "Contraction.h"
#include "ShapeUtils.h"
#include "peft/Conversion/ONNXToLinalg/ONNXToLinalg.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::onnx_to_linalg;

namespace {

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

/// Element type of a value of the original (unconverted) graph, to tell
/// unsigned integers apart.
bool isUnsignedElement(Value original) {
  auto type = dyn_cast<ShapedType>(original.getType());
  return type && type.getElementType().isUnsignedInteger();
}

/// An integer scalar widened to `type` by its signedness.
Value widenInt(OpBuilder &b, Location loc, Value v, Type type,
               bool isUnsigned) {
  if (v.getType() == type)
    return v;
  if (isUnsigned)
    return arith::ExtUIOp::create(b, loc, type, v);
  return arith::ExtSIOp::create(b, loc, type, v);
}

/// How a scale or zero point of `paramType` is read over a loop nest on an
/// input of `inputType`: a scalar, per `axis` (1-D), or per block of
/// `blockSize` along `axis` (same rank). Null when the shapes do not fit.
AffineMap getQuantParamMap(MLIRContext *ctx, RankedTensorType inputType,
                           RankedTensorType paramType, int64_t axis,
                           int64_t blockSize) {
  int64_t rank = inputType.getRank();
  if (paramType.getRank() == 0)
    return AffineMap::get(rank, 0, {}, ctx);
  std::optional<int64_t> a = normalizeAxis(axis, rank);
  if (blockSize > 0) {
    if (!a || paramType.getRank() != rank)
      return AffineMap();
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < rank; ++d)
      exprs.push_back(d == *a ? getAffineDimExpr(d, ctx).floorDiv(blockSize)
                              : getAffineDimExpr(d, ctx));
    return AffineMap::get(rank, 0, exprs, ctx);
  }
  if (paramType.getRank() != 1)
    return AffineMap();
  if (isStaticOne(paramType.getDimSize(0)))
    return AffineMap::get(rank, 0, {getAffineConstantExpr(0, ctx)}, ctx);
  if (!a)
    return AffineMap();
  return AffineMap::get(rank, 0, {getAffineDimExpr(*a, ctx)}, ctx);
}

/// One parallel linalg.generic over the shape of `x` that reads x, the
/// (broadcast) `scale` and, when given, the zero point `zp`, and yields what
/// `body` computes from (x, scale[, zp]) as `resultElement`. Scale and zero
/// point are read per tensor, per `axis` or per `block` of that axis; failure
/// when their shapes fit none of these.
FailureOr<Value> buildScaledGeneric(
    OpBuilder &b, Location loc, Value x, Value scale, Value zp, int64_t axis,
    int64_t block, Type resultElement,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto xType = cast<RankedTensorType>(x.getType());
  MLIRContext *ctx = b.getContext();
  AffineMap scaleMap = getQuantParamMap(
      ctx, xType, cast<RankedTensorType>(scale.getType()), axis, block);
  AffineMap zpMap =
      zp ? getQuantParamMap(ctx, xType, cast<RankedTensorType>(zp.getType()),
                            axis, block)
         : AffineMap();
  if (!scaleMap || (zp && !zpMap))
    return failure();
  int64_t rank = xType.getRank();
  auto id = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  SmallVector<Value> inputs = {x, scale};
  SmallVector<AffineMap> maps = {id, scaleMap};
  if (zp) {
    inputs.push_back(zp);
    maps.push_back(zpMap);
  }
  maps.push_back(id);
  Value empty = createEmpty(b, loc, getSizes(b, loc, x), resultElement);
  return linalg::GenericOp::create(
             b, loc, TypeRange{empty.getType()}, inputs, ValueRange{empty},
             maps, parallelIterators(rank),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, body(nb, l, args));
             })
      .getResult(0);
}

/// A float scalar in the compute type (f32 unless f64).
Value toComputeFloat(OpBuilder &b, Location loc, Value v, Type computeType) {
  if (v.getType() == computeType)
    return v;
  if (v.getType().getIntOrFloatBitWidth() < computeType.getIntOrFloatBitWidth())
    return arith::ExtFOp::create(b, loc, computeType, v);
  return arith::TruncFOp::create(b, loc, computeType, v);
}

/// DequantizeLinear: y = (x - zero_point) * scale, per tensor, per axis or
/// per block; integer x widened by its signedness.
struct DequantizeLinearLowering : ONNXConversion<onnx_ir::DequantizeLinearOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::DequantizeLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertResult(op.getY());
    Value x = adaptor.getX(), scale = adaptor.getXScale(),
          zp = adaptor.getXZeroPoint();
    bool hasZp = !onnx_ir::isNone(zp);
    auto xType = dyn_cast<RankedTensorType>(x.getType());
    auto scaleType = dyn_cast<RankedTensorType>(scale.getType());
    auto zpType = hasZp ? dyn_cast<RankedTensorType>(zp.getType()) : nullptr;
    if (!type || !xType || !scaleType || (hasZp && !zpType) ||
        !isa<IntegerType>(xType.getElementType()) ||
        !isa<FloatType>(type.getElementType()) ||
        !isa<FloatType>(scaleType.getElementType()) ||
        (hasZp && zpType.getElementType() != xType.getElementType()))
      return matchFailure(rewriter, op, "unsupported types");

    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    bool isUnsigned = isUnsignedElement(op.getX());
    unsigned width = xType.getElementType().getIntOrFloatBitWidth();
    Type wide = b.getIntegerType(width >= 32 ? 64 : 32);
    Type floatType = type.getElementType();
    // An `output_dtype` (opset 23) other than the scale's: the product in
    // f32 (f64 when either is f64), rounded once to the output type.
    Type scaleElement = scaleType.getElementType();
    Type computeType = floatType == scaleElement ? floatType
                       : floatType.isF64() || scaleElement.isF64()
                           ? Type(b.getF64Type())
                           : Type(b.getF32Type());
    FailureOr<Value> result = buildScaledGeneric(
        b, loc, x, scale, hasZp ? zp : Value(), op.getAxisOrDefault(),
        op.getBlockSizeOrDefault(), floatType,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value q = widenInt(nb, l, args[0], wide, isUnsigned);
          if (hasZp)
            q = arith::SubIOp::create(
                nb, l, q, widenInt(nb, l, args[2], wide, isUnsigned));
          Value f = arith::SIToFPOp::create(nb, l, computeType, q);
          Value product = arith::MulFOp::create(
              nb, l, f, toComputeFloat(nb, l, args[1], computeType));
          return toComputeFloat(nb, l, product, floatType);
        });
    if (failed(result))
      return matchFailure(rewriter, op, "unsupported scale shape");
    rewriter.replaceOp(op, castTo(b, loc, *result, type));
    return success();
  }
};

/// The bounds of an integer type of `width` bits.
std::pair<double, double> intRange(unsigned width, bool isUnsigned) {
  if (isUnsigned)
    return {0.0, std::ldexp(1.0, width) - 1.0};
  return {-std::ldexp(1.0, width - 1), std::ldexp(1.0, width - 1) - 1.0};
}

/// saturate(roundeven(v) + zp) converted to `intType`, in float type of v.
Value quantizeScalar(OpBuilder &b, Location loc, Value v, Value zpFloat,
                     IntegerType intType, bool isUnsigned) {
  Type floatType = v.getType();
  Value r = math::RoundEvenOp::create(b, loc, v);
  if (zpFloat)
    r = arith::AddFOp::create(b, loc, r, zpFloat);
  auto [lo, hi] = intRange(intType.getWidth(), isUnsigned);
  auto c = [&](double x) -> Value {
    return arith::ConstantOp::create(b, loc, floatType,
                                     b.getFloatAttr(floatType, x));
  };
  r = arith::MaximumFOp::create(b, loc, r, c(lo));
  r = arith::MinimumFOp::create(b, loc, r, c(hi));
  if (isUnsigned)
    return arith::FPToUIOp::create(b, loc, intType, r);
  return arith::FPToSIOp::create(b, loc, intType, r);
}

/// QuantizeLinear: y = saturate(roundeven(x / scale) + zero_point), the
/// integer type and signedness from the result.
struct QuantizeLinearLowering : ONNXConversion<onnx_ir::QuantizeLinearOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::QuantizeLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertResult(op.getY());
    Value x = adaptor.getX(), scale = adaptor.getYScale(),
          zp = adaptor.getYZeroPoint();
    bool hasZp = !onnx_ir::isNone(zp);
    auto xType = dyn_cast<RankedTensorType>(x.getType());
    auto scaleType = dyn_cast<RankedTensorType>(scale.getType());
    auto zpType = hasZp ? dyn_cast<RankedTensorType>(zp.getType()) : nullptr;
    auto intType =
        type ? dyn_cast<IntegerType>(type.getElementType()) : nullptr;
    if (!intType || !xType || !scaleType || (hasZp && !zpType) ||
        !isa<FloatType>(xType.getElementType()) ||
        !isa<FloatType>(scaleType.getElementType()) ||
        (hasZp && zpType.getElementType() != intType))
      return matchFailure(rewriter, op, "unsupported types");

    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    bool isUnsigned = isUnsignedElement(op.getY());
    Type computeType =
        xType.getElementType().isF64() ? b.getF64Type() : b.getF32Type();
    FailureOr<Value> result = buildScaledGeneric(
        b, loc, x, scale, hasZp ? zp : Value(), op.getAxisOrDefault(),
        op.getBlockSizeOrDefault(), intType,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value v = arith::DivFOp::create(
              nb, l, toComputeFloat(nb, l, args[0], computeType),
              toComputeFloat(nb, l, args[1], computeType));
          Value zpFloat;
          if (hasZp)
            zpFloat = isUnsigned
                          ? Value(arith::UIToFPOp::create(nb, l, computeType,
                                                          args[2]))
                          : Value(arith::SIToFPOp::create(nb, l, computeType,
                                                          args[2]));
          return quantizeScalar(nb, l, v, zpFloat, intType, isUnsigned);
        });
    if (failed(result))
      return matchFailure(rewriter, op, "unsupported scale shape");
    rewriter.replaceOp(op, castTo(b, loc, *result, type));
    return success();
  }
};

/// DynamicQuantizeLinear (uint8): the range of x widened to include 0 gives
/// scale = (max - min) / 255 (1 when x is all zeros, as onnxruntime) and
/// zero point saturate(roundeven(-min / scale)); then y as QuantizeLinear.
struct DynamicQuantizeLinearLowering
    : ONNXConversion<onnx_ir::DynamicQuantizeLinearOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::DynamicQuantizeLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getX();
    auto xType = dyn_cast<RankedTensorType>(x.getType());
    RankedTensorType yType = convertResult(op.getY());
    RankedTensorType scaleType = convertResult(op.getYScale());
    RankedTensorType zpType = convertResult(op.getYZeroPoint());
    if (!xType || !yType || !scaleType || !zpType ||
        !xType.getElementType().isF32() || scaleType.getNumElements() != 1 ||
        zpType.getNumElements() != 1 || !yType.getElementType().isInteger(8) ||
        !zpType.getElementType().isInteger(8))
      return matchFailure(rewriter, op, "unsupported types");
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    MLIRContext *ctx = b.getContext();
    Type f32 = b.getF32Type();
    auto i8 = cast<IntegerType>(yType.getElementType());
    int64_t rank = xType.getRank();
    auto c = [&](double v) -> Value {
      return arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(v));
    };

    // min(0, min(x)) and max(0, max(x)): accumulators start at 0.
    Value zero = c(0.0);
    Value minInit = createFilled(b, loc, {}, zero);
    Value maxInit = createFilled(b, loc, {}, zero);
    auto id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    auto scalarMap = AffineMap::get(rank, 0, {}, ctx);
    SmallVector<utils::IteratorType> reduction(rank,
                                               utils::IteratorType::reduction);
    auto minMax = linalg::GenericOp::create(
        b, loc, TypeRange{minInit.getType(), maxInit.getType()}, ValueRange{x},
        ValueRange{minInit, maxInit},
        ArrayRef<AffineMap>{id, scalarMap, scalarMap}, reduction,
        [](OpBuilder &nb, Location l, ValueRange args) {
          Value lo = arith::MinimumFOp::create(nb, l, args[1], args[0]);
          Value hi = arith::MaximumFOp::create(nb, l, args[2], args[0]);
          linalg::YieldOp::create(nb, l, ValueRange{lo, hi});
        });
    Value lo =
        tensor::ExtractOp::create(b, loc, minMax.getResult(0), ValueRange{});
    Value hi =
        tensor::ExtractOp::create(b, loc, minMax.getResult(1), ValueRange{});
    // An all-zero x has no range: scale 1 (as onnxruntime), zero point 0.
    Value range = arith::SubFOp::create(b, loc, hi, lo);
    Value empty =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, range, zero);
    Value scale = arith::SelectOp::create(
        b, loc, empty, c(1.0), arith::DivFOp::create(b, loc, range, c(255.0)));
    Value zpFloat = arith::SubFOp::create(
        b, loc, zero, arith::DivFOp::create(b, loc, lo, scale));
    // saturate(roundeven(.)) in [0, 255], back to float for y.
    Value zpInt = quantizeScalar(b, loc, zpFloat, nullptr, i8, true);
    Value zpRounded = arith::UIToFPOp::create(b, loc, f32, zpInt);

    Value init = createEmpty(b, loc, getSizes(b, loc, x), i8);
    Value y =
        linalg::GenericOp::create(
            b, loc, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init},
            ArrayRef<AffineMap>{id, id}, parallelIterators(rank),
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value v = arith::DivFOp::create(nb, l, args[0], scale);
              linalg::YieldOp::create(
                  nb, l, quantizeScalar(nb, l, v, zpRounded, i8, true));
            })
            .getResult(0);
    auto scalarTensor = [&](Value v, RankedTensorType t) {
      Value s = tensor::FromElementsOp::create(
          b, loc, RankedTensorType::get(t.getShape(), v.getType()),
          ValueRange{v});
      return castTo(b, loc, s, t);
    };
    rewriter.replaceOp(op, {castTo(b, loc, y, yType),
                            scalarTensor(scale, scaleType),
                            scalarTensor(zpInt, zpType)});
    return success();
  }
};

/// MatMulInteger: both operands widened to i32 minus their zero points
/// (scalar, per row of A, per column of B), then the MatMul lowering.
struct MatMulIntegerLowering : ONNXConversion<onnx_ir::MatMulIntegerOp> {
  using ONNXConversion::ONNXConversion;

  /// ext(x) - ext(zp) as i32, zp read per `zpDim` of x when 1-D.
  static Value widen(OpBuilder &b, Location loc, Value x, bool xUnsigned,
                     Value zp, bool zpUnsigned, int64_t zpDim) {
    auto xType = cast<RankedTensorType>(x.getType());
    int64_t rank = xType.getRank();
    MLIRContext *ctx = b.getContext();
    Type i32 = b.getI32Type();
    auto id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    SmallVector<Value> inputs = {x};
    SmallVector<AffineMap> maps = {id};
    if (zp) {
      auto zpType = cast<RankedTensorType>(zp.getType());
      inputs.push_back(zp);
      if (zpType.getRank() == 0)
        maps.push_back(AffineMap::get(rank, 0, {}, ctx));
      else if (isStaticOne(zpType.getDimSize(0)))
        maps.push_back(
            AffineMap::get(rank, 0, {getAffineConstantExpr(0, ctx)}, ctx));
      else
        maps.push_back(
            AffineMap::get(rank, 0, {getAffineDimExpr(zpDim, ctx)}, ctx));
    }
    maps.push_back(id);
    Value empty = createEmpty(b, loc, getSizes(b, loc, x), i32);
    return linalg::GenericOp::create(
               b, loc, TypeRange{empty.getType()}, inputs, ValueRange{empty},
               maps, parallelIterators(rank),
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 Value v = widenInt(nb, l, args[0], i32, xUnsigned);
                 if (zp)
                   v = arith::SubIOp::create(
                       nb, l, v, widenInt(nb, l, args[1], i32, zpUnsigned));
                 linalg::YieldOp::create(nb, l, v);
               })
        .getResult(0);
  }

  LogicalResult
  matchAndRewrite(onnx_ir::MatMulIntegerOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertResult(op.getY());
    Value a = adaptor.getA(), bValue = adaptor.getB();
    Value aZp = adaptor.getAZeroPoint(), bZp = adaptor.getBZeroPoint();
    auto ta = dyn_cast<RankedTensorType>(a.getType());
    auto tb = dyn_cast<RankedTensorType>(bValue.getType());
    if (!type || !type.getElementType().isInteger(32) || !ta || !tb ||
        ta.getRank() < 1 || tb.getRank() < 1 ||
        !isa<IntegerType>(ta.getElementType()) ||
        !isa<IntegerType>(tb.getElementType()))
      return matchFailure(rewriter, op, "unsupported operands");
    for (Value zp : {aZp, bZp}) {
      if (onnx_ir::isNone(zp))
        continue;
      auto zpType = dyn_cast<RankedTensorType>(zp.getType());
      if (!zpType || zpType.getRank() > 1)
        return matchFailure(rewriter, op, "unsupported zero point");
    }
    Location loc = op.getLoc();
    int64_t rowDim = ta.getRank() >= 2 ? ta.getRank() - 2 : 0;
    Value x = widen(rewriter, loc, a, isUnsignedElement(op.getA()),
                    onnx_ir::isNone(aZp) ? Value() : aZp,
                    isUnsignedElement(op.getAZeroPoint()), rowDim);
    Value w = widen(rewriter, loc, bValue, isUnsignedElement(op.getB()),
                    onnx_ir::isNone(bZp) ? Value() : bZp,
                    isUnsignedElement(op.getBZeroPoint()), tb.getRank() - 1);
    Value y = buildMatMul(rewriter, loc, x, w);
    rewriter.replaceOp(op, castTo(rewriter, loc, y, type));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// MatMulNBits
//===----------------------------------------------------------------------===//

/// com.microsoft MatMulNBits: B [N, k_blocks, block * bits / 8] (packed
/// along K, low bits first) is dequantized into a float weight W [N, K] by a
/// linalg.generic, W[n, k] = (q - zp) * scale with scale/zp of block
/// k / block_size (zero point 2^(bits-1) by default, packed uint8 or float
/// when given); then Y = A · Wᵀ (+ bias) as a linalg.matmul reading W
/// transposed through its indexing map.
struct MatMulNBitsLowering : ONNXConversion<onnx_ir::MatMulNBitsOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::MatMulNBitsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertResult(op.getY());
    Value a = adaptor.getA(), packed = adaptor.getB(),
          scales = adaptor.getScales(), zp = adaptor.getZeroPoints(),
          bias = adaptor.getBias();
    bool hasZp = !onnx_ir::isNone(zp), hasBias = !onnx_ir::isNone(bias);
    auto ta = dyn_cast<RankedTensorType>(a.getType());
    auto tb = dyn_cast<RankedTensorType>(packed.getType());
    auto ts = dyn_cast<RankedTensorType>(scales.getType());
    auto tz = hasZp ? dyn_cast<RankedTensorType>(zp.getType()) : nullptr;
    auto tbias = hasBias ? dyn_cast<RankedTensorType>(bias.getType()) : nullptr;
    if (!type || !ta || !tb || !ts || (hasZp && !tz) || (hasBias && !tbias) ||
        !onnx_ir::isNone(op.getGIdx()) || !op.getKAttr() || !op.getNAttr() ||
        !op.getBlockSizeAttr())
      return matchFailure(rewriter, op, "unsupported operands");
    Type floatType = ta.getElementType();
    int64_t bits = op.getBitsOrDefault();
    int64_t bigK = op.getKAttr().getInt(), bigN = op.getNAttr().getInt();
    int64_t block = op.getBlockSizeAttr().getInt();
    if (!isa<FloatType>(floatType) || ts.getElementType() != floatType ||
        !tb.getElementType().isInteger(8) || tb.getRank() != 3 ||
        ta.getRank() < 1 || (bits != 2 && bits != 4 && bits != 8) ||
        block <= 0 || (hasBias && tbias.getElementType() != floatType))
      return matchFailure(rewriter, op, "unsupported types");
    int64_t kBlocks = (bigK + block - 1) / block;
    int64_t perByte = 8 / bits;
    int64_t zpRowBytes = (kBlocks * bits + 7) / 8;
    bool floatZp = hasZp && tz.getElementType() == floatType;
    if (hasZp && !floatZp && !tz.getElementType().isInteger(8))
      return matchFailure(rewriter, op, "unsupported zero points");
    if (ts.getRank() < 1 || ts.getRank() > 2 || (hasZp && tz.getRank() > 2))
      return matchFailure(rewriter, op, "unsupported scale shape");

    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    MLIRContext *ctx = b.getContext();
    Type i32 = b.getI32Type();
    auto weightType = RankedTensorType::get({bigN, bigK}, floatType);
    Value weightInit =
        tensor::EmptyOp::create(b, loc, weightType.getShape(), floatType);
    auto id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    // Reads element `flat` of a per-block parameter stored as [N * cols] or
    // [N, cols].
    auto readParam = [](OpBuilder &nb, Location l, Value param, Value n,
                        Value col, int64_t cols) -> Value {
      auto paramType = cast<RankedTensorType>(param.getType());
      if (paramType.getRank() == 2)
        return tensor::ExtractOp::create(nb, l, param, ValueRange{n, col});
      Value flat = arith::AddIOp::create(
          nb, l,
          arith::MulIOp::create(nb, l, n,
                                arith::ConstantIndexOp::create(nb, l, cols)),
          col);
      return tensor::ExtractOp::create(nb, l, param, ValueRange{flat});
    };
    // Bits [shift, shift + bits) of a byte as an i32.
    auto unpack = [&](OpBuilder &nb, Location l, Value byte,
                      Value position) -> Value {
      Value v = arith::ExtUIOp::create(nb, l, i32, byte);
      Value shift = arith::MulIOp::create(
          nb, l, arith::IndexCastOp::create(nb, l, i32, position),
          arith::ConstantIntOp::create(nb, l, bits, 32));
      v = arith::ShRUIOp::create(nb, l, v, shift);
      return arith::AndIOp::create(
          nb, l, v, arith::ConstantIntOp::create(nb, l, (1 << bits) - 1, 32));
    };
    Value weight =
        linalg::GenericOp::create(
            b, loc, TypeRange{weightType}, ValueRange{}, ValueRange{weightInit},
            ArrayRef<AffineMap>{id2}, parallelIterators(2),
            [&](OpBuilder &nb, Location l, ValueRange) {
              auto cst = [&](int64_t v) {
                return arith::ConstantIndexOp::create(nb, l, v);
              };
              Value n = linalg::IndexOp::create(nb, l, 0);
              Value k = linalg::IndexOp::create(nb, l, 1);
              Value kb = arith::DivUIOp::create(nb, l, k, cst(block));
              Value inBlock = arith::RemUIOp::create(nb, l, k, cst(block));
              Value byteIndex =
                  arith::DivUIOp::create(nb, l, inBlock, cst(perByte));
              Value position =
                  arith::RemUIOp::create(nb, l, inBlock, cst(perByte));
              Value byte = tensor::ExtractOp::create(
                  nb, l, packed, ValueRange{n, kb, byteIndex});
              Value q = arith::UIToFPOp::create(nb, l, floatType,
                                                unpack(nb, l, byte, position));
              Value scale = readParam(nb, l, scales, n, kb, kBlocks);
              Value zeroPoint;
              if (!hasZp) {
                zeroPoint = arith::ConstantOp::create(
                    nb, l, floatType,
                    nb.getFloatAttr(floatType, double(1 << (bits - 1))));
              } else if (floatZp) {
                zeroPoint = readParam(nb, l, zp, n, kb, kBlocks);
              } else {
                Value zpByte =
                    readParam(nb, l, zp, n,
                              arith::DivUIOp::create(nb, l, kb, cst(perByte)),
                              zpRowBytes);
                Value zpPosition =
                    arith::RemUIOp::create(nb, l, kb, cst(perByte));
                zeroPoint = arith::UIToFPOp::create(
                    nb, l, floatType, unpack(nb, l, zpByte, zpPosition));
              }
              Value w = arith::MulFOp::create(
                  nb, l, arith::SubFOp::create(nb, l, q, zeroPoint), scale);
              linalg::YieldOp::create(nb, l, w);
            })
            .getResult(0);

    // Y = A · Wᵀ over the rows of A.
    int64_t rank = ta.getRank();
    SmallVector<OpFoldResult> leading = getSizes(b, loc, a);
    leading.pop_back();
    Value x = a;
    if (rank == 1)
      x = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({1, ta.getDimSize(0)}, floatType), a,
          ArrayRef<ReassociationIndices>{{0, 1}},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1), getSize(b, loc, a, 0)});
    else
      x = collapseLeading(b, loc, a, rank - 1);
    SmallVector<OpFoldResult> sizes = {getSize(b, loc, x, 0),
                                       b.getIndexAttr(bigN)};
    // f16/bf16 accumulate (and add the bias) in f32, rounded once.
    Type accType = getAccumulatorType(floatType);
    Value acc = createAccumulator(b, loc, sizes, accType);
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    auto map = [&](ArrayRef<AffineExpr> exprs) {
      return AffineMap::get(3, 0, exprs, ctx);
    };
    auto matmul =
        linalg::MatmulOp::create(b, loc, TypeRange{acc.getType()},
                                 ValueRange{x, weight}, ValueRange{acc});
    matmul.setIndexingMapsAttr(
        b.getAffineMapArrayAttr({map({m, k}), map({n, k}), map({m, n})}));
    Value y = matmul.getResult(0);
    if (hasBias) {
      auto col = AffineMap::get(2, 0, {b.getAffineDimExpr(1)}, ctx);
      y = linalg::GenericOp::create(
              b, loc,
              TypeRange{cast<RankedTensorType>(y.getType()).clone(floatType)},
              ValueRange{y, bias},
              ValueRange{createEmpty(b, loc, sizes, floatType)},
              ArrayRef<AffineMap>{id2, col, id2}, parallelIterators(2),
              [&](OpBuilder &nb, Location l, ValueRange args) {
                Value sum = arith::AddFOp::create(
                    nb, l, args[0], convertIfFloat(nb, l, args[1], accType));
                linalg::YieldOp::create(nb, l,
                                        convertIfFloat(nb, l, sum, floatType));
              })
              .getResult(0);
    }
    y = convertElements(b, loc, y, floatType);
    if (rank == 1)
      y = tensor::CollapseShapeOp::create(
          b, loc, y, ArrayRef<ReassociationIndices>{{0, 1}});
    else
      y = expandLeading(b, loc, y, leading);
    rewriter.replaceOp(op, castTo(b, loc, y, type));
    return success();
  }
};

} // namespace

void mlir::peft::populateONNXQuantizationToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<MatMulIntegerLowering, DequantizeLinearLowering,
               QuantizeLinearLowering, DynamicQuantizeLinearLowering,
               MatMulNBitsLowering>(converter, patterns.getContext());
}
