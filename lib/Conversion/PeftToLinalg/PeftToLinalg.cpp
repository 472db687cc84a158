//===- PeftToLinalg.cpp - lower peft ops to linalg ------------------------===//
//
// Every peft op becomes contractions and elementwise linalg ops on [rows, n]
// matrices: the leading dimensions of the input are collapsed into one row
// dimension (dynamic extents stay dynamic) and restored at the end. Weights
// are never copied or transposed: transposed reads are matmul indexing maps.
//
// f16/bf16 layers accumulate in f32, as PyTorch and ONNX Runtime do: the
// matmuls have f32 accumulators, everything computed from them (bias, the
// LoRA update, the DoRA row norms and scale) stays in f32, and each op's
// result is rounded to its element type once, at the end. (LoRA's x·Aᵀ is
// rounded before it is multiplied by Bᵀ, as PyTorch does.)
//
//===----------------------------------------------------------------------===//

#include "peft/Conversion/PeftToLinalg/PeftToLinalg.h"
#include "../Accumulation.h"
#include "MatrixBuilders.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/Codecs.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::peft {
#define GEN_PASS_DEF_CONVERTPEFTTOLINALG
#include "peft/Conversion/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

using namespace mlir::peft::matrix;

namespace {

using utils::IteratorType;

/// x [rows, in] · W (by `layout`) + bias: the body of a linear layer, with
/// the weight's element type (the bias added before the one rounding of an
/// f32 accumulator).
Value linearMatrix(OpBuilder &b, Location loc, Value x, Value weight,
                   WeightLayout layout, Value bias) {
  Type elementType = cast<RankedTensorType>(weight.getType()).getElementType();
  Value y = matmul(b, loc, x, weight, layout == WeightLayout::out_in);
  return addBiasAndRound(b, loc, y, bias, elementType);
}

/// peft.linear -> collapse, zero-filled linalg.matmul (transposed read for
/// out_in weights), broadcast bias add, expand.
struct LinearOpLowering : OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (ShapedType::isDynamic(op.getOutFeatures()))
      return rewriter.notifyMatchFailure(op, "dynamic output features");
    Location loc = op.getLoc();
    Value x = collapseToMatrix(rewriter, loc, adaptor.getInput());
    Value y = linearMatrix(rewriter, loc, x, adaptor.getWeight(),
                           op.getLayout(), adaptor.getBias());
    rewriter.replaceOp(op,
                       expandFromMatrix(rewriter, loc, y, adaptor.getInput(),
                                        op.getResult().getType()));
    return success();
  }
};

/// DoRA's per-output-row factor m / ‖W0 + s·B·A‖_row, an [out] vector in
/// the accumulator type (f32 for f16/bf16 weights). Only DoRA forms B·A
/// ([out, in]): the norm is of the adapted weight.
Value doraRowScale(OpBuilder &b, Location loc, Value weight,
                   WeightLayout layout, Value loraA, Value loraB,
                   Value magnitude, double scale) {
  MLIRContext *ctx = b.getContext();
  Value ba = matmul(b, loc, loraB, loraA, /*transposeRhs=*/false);
  Type elementType = cast<RankedTensorType>(ba.getType()).getElementType();

  // sumsq[o] = Σ_i (W0[o, i] + s·BA[o, i])², over (o, i).
  AffineExpr o, i;
  bindDims(ctx, o, i);
  auto map = [&](ArrayRef<AffineExpr> exprs) {
    return AffineMap::get(2, 0, exprs, ctx);
  };
  OpFoldResult out = tensor::getMixedSize(b, loc, ba, 0);
  Value empty =
      tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{out}, elementType);
  Value zero = floatConstant(b, loc, elementType, 0.0);
  Value acc = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  Value s = floatConstant(b, loc, elementType, scale);
  AffineMap weightMap =
      layout == WeightLayout::out_in ? map({o, i}) : map({i, o});
  Value sumsq =
      linalg::GenericOp::create(
          b, loc, acc.getType(), ValueRange{weight, ba}, ValueRange{acc},
          ArrayRef<AffineMap>{weightMap, map({o, i}), map({o})},
          ArrayRef<IteratorType>{IteratorType::parallel,
                                 IteratorType::reduction},
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value w = arith::AddFOp::create(
                nb, l, convertIfFloat(nb, l, args[0], elementType),
                arith::MulFOp::create(nb, l, s, args[1]));
            Value sq = arith::MulFOp::create(nb, l, w, w);
            linalg::YieldOp::create(
                nb, l, ValueRange{arith::AddFOp::create(nb, l, args[2], sq)});
          })
          .getResult(0);

  auto id = AffineMap::getMultiDimIdentityMap(1, ctx);
  return linalg::GenericOp::create(
             b, loc, acc.getType(), ValueRange{magnitude, sumsq},
             ValueRange{empty}, ArrayRef<AffineMap>{id, id, id},
             ArrayRef<IteratorType>{IteratorType::parallel},
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value norm = math::SqrtOp::create(nb, l, args[1]);
               Value m = convertIfFloat(nb, l, args[0], elementType);
               linalg::YieldOp::create(
                   nb, l, ValueRange{arith::DivFOp::create(nb, l, m, norm)});
             })
      .getResult(0);
}

/// peft.lora -> t = x·Aᵀ [rows, r], u = t·Bᵀ [rows, out] (on transposed
/// copies of the small A and B), then base + s·u; DoRA rescales the rows of the
/// layer's output without its bias. A merged adapter is the identity on base.
/// For f16/bf16, t is rounded to the element type (as PyTorch's lora_A output
/// is), u and the update stay in f32, and the result is rounded once.
struct LoraOpLowering : OpConversionPattern<LoraOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LoraOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getMerged()) {
      rewriter.replaceOp(op, adaptor.getBase());
      return success();
    }
    auto resultType = op.getResult().getType();
    if (ShapedType::isDynamic(resultType.getShape().back()))
      return rewriter.notifyMatchFailure(op, "dynamic output features");
    LinearOp linear = op.getLinear();
    if (op.getMagnitude() && !linear)
      return rewriter.notifyMatchFailure(op, "DoRA without its peft.linear");

    Location loc = op.getLoc();
    Type elementType = resultType.getElementType();
    Value x = collapseToMatrix(rewriter, loc, adaptor.getInput());
    Value base = collapseToMatrix(rewriter, loc, adaptor.getBase());
    // [in, r'] and [r', out], r' = r padded to a multiple of 8 (constants).
    Value aT = transposedAdapter(rewriter, loc, adaptor.getLoraA(),
                                 /*rankDim=*/1);
    Value bT = transposedAdapter(rewriter, loc, adaptor.getLoraB(),
                                 /*rankDim=*/0);
    // t is rounded to the element type, as the output of PyTorch's lora_A
    // layer is, so that both operands of the second matmul have one type.
    Value t = convertElements(
        rewriter, loc, matmul(rewriter, loc, x, aT, /*transposeRhs=*/false),
        cast<RankedTensorType>(aT.getType()).getElementType());
    Value u = matmul(rewriter, loc, t, bT, /*transposeRhs=*/false);
    Type accType = cast<RankedTensorType>(u.getType()).getElementType();
    Value s =
        floatConstant(rewriter, loc, accType, op.getScale().convertToDouble());
    // An operand of the update in the accumulator type; its result rounded.
    auto wide = [&](OpBuilder &b, Location l, Value v) {
      return convertIfFloat(b, l, v, accType);
    };
    auto narrow = [&](OpBuilder &b, Location l, Value v) {
      return convertIfFloat(b, l, v, elementType);
    };

    Value y;
    if (!op.getMagnitude()) {
      y = elementwise(
          rewriter, loc, base, ValueRange{base, u}, {},
          [&](OpBuilder &b, Location l, ValueRange args) {
            Value su = arith::MulFOp::create(b, l, s, args[1]);
            return narrow(b, l,
                          arith::AddFOp::create(b, l, wide(b, l, args[0]), su));
          });
    } else {
      // y = g ⊙ (base − b + s·u) + b with g = m / ‖W0 + s·B·A‖_row.
      Value weight = rewriter.getRemappedValue(linear.getWeight());
      Value bias = linear.getBias()
                       ? rewriter.getRemappedValue(linear.getBias())
                       : Value();
      Value g =
          doraRowScale(rewriter, loc, weight, linear.getLayout(),
                       adaptor.getLoraA(), adaptor.getLoraB(),
                       adaptor.getMagnitude(), op.getScale().convertToDouble());
      SmallVector<Value> vectors = {g};
      if (bias)
        vectors.push_back(bias);
      y = elementwise(rewriter, loc, base, ValueRange{base, u}, vectors,
                      [&](OpBuilder &b, Location l, ValueRange args) {
                        Value v = wide(b, l, args[0]);
                        Value biasValue = bias ? wide(b, l, args[3]) : Value();
                        if (bias)
                          v = arith::SubFOp::create(b, l, v, biasValue);
                        v = arith::AddFOp::create(
                            b, l, v, arith::MulFOp::create(b, l, s, args[1]));
                        v = arith::MulFOp::create(b, l, args[2], v);
                        if (bias)
                          v = arith::AddFOp::create(b, l, v, biasValue);
                        return narrow(b, l, v);
                      });
    }
    rewriter.replaceOp(
        op, expandFromMatrix(rewriter, loc, y, adaptor.getBase(), resultType));
    return success();
  }
};

/// peft.ia3 -> base ⊙ l (output features), or a new product (x ⊙ l)·Wᵀ + b
/// with the layer's weight (input features, `feedforward`); the layer's own
/// product is then dead.
struct IA3OpLowering : OpConversionPattern<IA3Op> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(IA3Op op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = op.getResult().getType();
    if (ShapedType::isDynamic(resultType.getShape().back()))
      return rewriter.notifyMatchFailure(op, "dynamic output features");
    Location loc = op.getLoc();
    auto mul = [](OpBuilder &b, Location l, ValueRange args) {
      return arith::MulFOp::create(b, l, args[0], args[1]);
    };

    Value y, like;
    if (!op.getFeedforward()) {
      like = adaptor.getBase();
      Value base = collapseToMatrix(rewriter, loc, like);
      y = elementwise(rewriter, loc, base, base, adaptor.getScaling(), mul);
    } else {
      LinearOp linear = op.getLinear();
      like = rewriter.getRemappedValue(linear.getInput());
      Value bias = linear.getBias()
                       ? rewriter.getRemappedValue(linear.getBias())
                       : Value();
      Value x = collapseToMatrix(rewriter, loc, like);
      Value scaled =
          elementwise(rewriter, loc, x, x, adaptor.getScaling(), mul);
      y = linearMatrix(rewriter, loc, scaled,
                       rewriter.getRemappedValue(linear.getWeight()),
                       linear.getLayout(), bias);
    }
    rewriter.replaceOp(op,
                       expandFromMatrix(rewriter, loc, y, like, resultType));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Quantized linears
//===----------------------------------------------------------------------===//

/// An integer operand of a quantized op ([rows, cols] of iB) read inside a
/// linalg body at (row, col): an i8 tensor through its own indexing map (the
/// body argument `arg`), a narrower one from its packed bytes.
struct IntOperand {
  Value tensor; // i8: a generic input; else the packed bytes
  int64_t bits = 8, rows = 0, cols = 0;

  static FailureOr<IntOperand> get(OpBuilder &b, Location loc, Value original,
                                   Value converted) {
    auto type = cast<RankedTensorType>(original.getType());
    IntOperand operand;
    operand.bits = type.getElementType().getIntOrFloatBitWidth();
    operand.rows = type.getDimSize(0);
    operand.cols = type.getDimSize(1);
    if (operand.bits == 8) {
      operand.tensor = converted;
      return operand;
    }
    FailureOr<Value> bytes = packedBytesOf(b, loc, original);
    if (failed(bytes))
      return failure();
    operand.tensor = *bytes;
    return operand;
  }
  bool isInput() const { return bits == 8; }
  /// The value as i32; `arg` is the body argument when isInput().
  Value read(OpBuilder &b, Location loc, Value arg, Value row,
             Value col) const {
    if (isInput())
      return arith::ExtSIOp::create(b, loc, b.getI32Type(), arg);
    Value linear = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, row,
                              arith::ConstantIndexOp::create(b, loc, cols)),
        col);
    return unpackSigned(b, loc, tensor, linear, bits, rows * cols);
  }
};

/// peft.qlinear -> one linalg.generic over (row, out, in) that unpacks the
/// integer weight, subtracts the zero point and scales it inside the
/// contraction (no float weight is formed), accumulating x·Ŵᵀ in f32 for
/// f16/bf16; then the bias and the one rounding, as for peft.linear.
struct QLinearOpLowering : OpConversionPattern<QLinearOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(QLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    MLIRContext *ctx = b.getContext();
    FailureOr<IntOperand> weight =
        IntOperand::get(b, loc, op.getWeight(), adaptor.getWeight());
    if (failed(weight))
      return op.emitOpError("lowering needs a constant packed weight (an "
                            "i8 weight may be a runtime value)");
    std::optional<IntOperand> zp;
    if (op.getZeroPoints()) {
      FailureOr<IntOperand> z =
          IntOperand::get(b, loc, op.getZeroPoints(), adaptor.getZeroPoints());
      if (failed(z))
        return op.emitOpError("lowering needs constant packed zero points");
      zp = *z;
    }
    Type elementType = op.getResult().getType().getElementType();
    Type accType = getAccumulatorType(elementType);
    Value x = collapseToMatrix(b, loc, adaptor.getInput());
    int64_t out = op.getOutFeatures();
    Value acc = zeroMatrix(b, loc, tensor::getMixedSize(b, loc, x, 0),
                           b.getIndexAttr(out), accType);

    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    auto map = [&](ArrayRef<AffineExpr> exprs) {
      return AffineMap::get(3, 0, exprs, ctx);
    };
    AffineExpr group = op.getGroupSize() ? k.floorDiv(*op.getGroupSize())
                                         : getAffineConstantExpr(0, ctx);
    SmallVector<Value> inputs = {x, adaptor.getScales()};
    SmallVector<AffineMap> maps = {map({m, k}), map({n, group})};
    if (weight->isInput()) {
      inputs.push_back(weight->tensor);
      maps.push_back(map({n, k}));
    }
    if (zp && zp->isInput()) {
      inputs.push_back(zp->tensor);
      maps.push_back(map({n, group}));
    }
    maps.push_back(map({m, n}));
    Value y =
        linalg::GenericOp::create(
            b, loc, acc.getType(), inputs, ValueRange{acc}, maps,
            ArrayRef<IteratorType>{IteratorType::parallel,
                                   IteratorType::parallel,
                                   IteratorType::reduction},
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value row = linalg::IndexOp::create(nb, l, 1);
              Value col = linalg::IndexOp::create(nb, l, 2);
              unsigned next = 2;
              Value q = weight->read(
                  nb, l, weight->isInput() ? args[next++] : Value(), row, col);
              if (zp) {
                Value g =
                    op.getGroupSize()
                        ? arith::DivUIOp::create(nb, l, col,
                                                 arith::ConstantIndexOp::create(
                                                     nb, l, *op.getGroupSize()))
                              .getResult()
                        : arith::ConstantIndexOp::create(nb, l, 0).getResult();
                Value z = zp->read(
                    nb, l, zp->isInput() ? args[next++] : Value(), row, g);
                q = arith::SubIOp::create(nb, l, q, z);
              }
              Value w = arith::MulFOp::create(
                  nb, l, arith::SIToFPOp::create(nb, l, accType, q),
                  convertIfFloat(nb, l, args[1], accType));
              Value prod = arith::MulFOp::create(
                  nb, l, convertIfFloat(nb, l, args[0], accType), w);
              linalg::YieldOp::create(
                  nb, l,
                  ValueRange{arith::AddFOp::create(nb, l, args.back(), prod)});
            })
            .getResult(0);
    y = addBiasAndRound(b, loc, y, adaptor.getBias(), elementType);
    rewriter.replaceOp(op, expandFromMatrix(b, loc, y, adaptor.getInput(),
                                            op.getResult().getType()));
    return success();
  }
};

/// peft.lrqat_linear -> the fake-quantized weight Ŵ = s ⊙ clamp(round(Φ0 +
/// (α/r)·A·B)) formed in f64 (as the fold computes it, so that the two agree
/// bit for bit on the integers), rounded to f32, then x·Ŵᵀ + bias like
/// peft.linear. This is the training-time forward: it forms Ŵ on purpose.
struct LrqatLinearOpLowering : OpConversionPattern<LrqatLinearOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LrqatLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    MLIRContext *ctx = b.getContext();
    Type f64 = b.getF64Type(), f32 = b.getF32Type();
    int64_t bits = op.getBits(), out = op.getOutFeatures(),
            in = op.getInFeatures();
    Type phiType = op.getPhi0().getType().getElementType();
    bool phiIsFloat = isa<FloatType>(phiType);
    std::optional<IntOperand> phiInt;
    if (!phiIsFloat) {
      FailureOr<IntOperand> p =
          IntOperand::get(b, loc, op.getPhi0(), adaptor.getPhi0());
      if (failed(p))
        return op.emitOpError("lowering needs a constant packed phi0 (an i8 "
                              "phi0 may be a runtime value)");
      phiInt = *p;
    }
    // A·B in f64.
    auto widen = [&](Value v) {
      auto type = cast<RankedTensorType>(v.getType());
      return elementwise(
          b, loc, v, ValueRange{v}, ValueRange{},
          [&](OpBuilder &nb, Location l, ValueRange args) {
            return convertIfFloat(nb, l, args[0], f64);
          },
          type.getElementType() == f64 ? Type() : f64);
    };
    Value ab = matmul(b, loc, widen(adaptor.getLoraA()),
                      widen(adaptor.getLoraB()), /*transposeRhs=*/false);

    AffineExpr o, i;
    bindDims(ctx, o, i);
    auto map = [&](ArrayRef<AffineExpr> exprs) {
      return AffineMap::get(2, 0, exprs, ctx);
    };
    AffineExpr group = op.getGroupSize() ? i.floorDiv(*op.getGroupSize())
                                         : getAffineConstantExpr(0, ctx);
    SmallVector<Value> inputs = {ab, adaptor.getScales()};
    SmallVector<AffineMap> maps = {map({o, i}), map({o, group})};
    bool phiInput = phiIsFloat || phiInt->isInput();
    if (phiInput) {
      inputs.push_back(phiIsFloat ? adaptor.getPhi0() : phiInt->tensor);
      maps.push_back(map({o, i}));
    }
    maps.push_back(map({o, i}));
    Value empty =
        tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{out, in}, f32);
    double sLr = op.getLowRankScale();
    double qmin = -std::ldexp(1.0, int(bits) - 1),
           qmax = std::ldexp(1.0, int(bits) - 1) - 1;
    bool fixed = op.isFixedPointPhi();
    Value what =
        linalg::GenericOp::create(
            b, loc, empty.getType(), inputs, ValueRange{empty}, maps,
            ArrayRef<IteratorType>{IteratorType::parallel,
                                   IteratorType::parallel},
            [&](OpBuilder &nb, Location l, ValueRange args) {
              auto cst = [&](double v) { return floatConstant(nb, l, f64, v); };
              Value phi;
              if (phiIsFloat) {
                phi = convertIfFloat(nb, l, args[2], f64);
              } else {
                Value v = phiInt->read(nb, l, phiInput ? args[2] : Value(),
                                       linalg::IndexOp::create(nb, l, 0),
                                       linalg::IndexOp::create(nb, l, 1));
                phi = arith::SIToFPOp::create(nb, l, f64, v);
                if (fixed)
                  phi = arith::MulFOp::create(
                      nb, l, phi, cst(std::ldexp(1.0, int(bits) - 8)));
              }
              Value v = arith::AddFOp::create(
                  nb, l, phi, arith::MulFOp::create(nb, l, cst(sLr), args[0]));
              Value q = math::RoundEvenOp::create(nb, l, v);
              q = arith::MaximumFOp::create(nb, l, q, cst(qmin));
              q = arith::MinimumFOp::create(nb, l, q, cst(qmax));
              Value w =
                  arith::MulFOp::create(nb, l, convertIfFloat(nb, l, q, f32),
                                        convertIfFloat(nb, l, args[1], f32));
              linalg::YieldOp::create(nb, l, w);
            })
            .getResult(0);
    Type elementType = op.getResult().getType().getElementType();
    Value x = collapseToMatrix(b, loc, adaptor.getInput());
    if (elementType != f32)
      x = elementwise(
          b, loc, x, ValueRange{x}, ValueRange{},
          [&](OpBuilder &nb, Location l, ValueRange args) {
            return convertIfFloat(nb, l, args[0], f32);
          },
          f32);
    Value y = matmul(b, loc, x, what, /*transposeRhs=*/true);
    y = addBiasAndRound(b, loc, y, adaptor.getBias(), elementType);
    rewriter.replaceOp(op, expandFromMatrix(b, loc, y, adaptor.getInput(),
                                            op.getResult().getType()));
    return success();
  }
};

/// peft.lowrank -> t = x·Vᵀ [rows, k], then t·Uᵀ + bias [rows, out]: two
/// skinny matmuls reading the factors transposed through their indexing
/// maps (no copy, never U·V). For f16/bf16, t is rounded to the element
/// type, as the first of two ONNX MatMuls rounds it.
struct LowRankOpLowering : OpConversionPattern<LowRankOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LowRankOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (ShapedType::isDynamic(op.getOutFeatures()))
      return rewriter.notifyMatchFailure(op, "dynamic output features");
    Location loc = op.getLoc();
    Type elementType = op.getResult().getType().getElementType();
    Value x = collapseToMatrix(rewriter, loc, adaptor.getInput());
    Value t = convertElements(
        rewriter, loc,
        matmul(rewriter, loc, x, adaptor.getV(), /*transposeRhs=*/true),
        elementType);
    Value y = matmul(rewriter, loc, t, adaptor.getU(), /*transposeRhs=*/true);
    y = addBiasAndRound(rewriter, loc, y, adaptor.getBias(), elementType);
    rewriter.replaceOp(op,
                       expandFromMatrix(rewriter, loc, y, adaptor.getInput(),
                                        op.getResult().getType()));
    return success();
  }
};

struct ConvertPeftToLinalgPass
    : public peft::impl::ConvertPeftToLinalgBase<ConvertPeftToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    ConversionTarget target(getContext());
    configurePeftToLinalgTarget(target);
    RewritePatternSet patterns(&getContext());
    populatePeftToLinalgPatterns(patterns, gatheredBanks);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void mlir::peft::populatePeftToLinalgPatterns(RewritePatternSet &patterns,
                                              bool gatheredBanks) {
  patterns.add<LinearOpLowering, LoraOpLowering, IA3OpLowering,
               QLinearOpLowering, LrqatLinearOpLowering, LowRankOpLowering>(
      patterns.getContext());
  populateLoraBankLoweringPatterns(patterns, gatheredBanks);
}

void mlir::peft::configurePeftToLinalgTarget(ConversionTarget &target) {
  target.addIllegalDialect<PeftDialect>();
  target.addLegalDialect<arith::ArithDialect, cf::ControlFlowDialect,
                         linalg::LinalgDialect, math::MathDialect,
                         scf::SCFDialect, tensor::TensorDialect>();
}
