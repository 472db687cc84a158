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
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Utils/Weights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
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

namespace {

using utils::IteratorType;

/// Collapses all but the last dimension of `value` into one row dimension
/// (a rank-1 value gets a unit row dimension).
Value collapseToMatrix(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t rank = type.getRank();
  if (rank == 2)
    return value;
  if (rank == 1) {
    auto matrixType =
        RankedTensorType::get({1, type.getDimSize(0)}, type.getElementType());
    return tensor::ExpandShapeOp::create(
        b, loc, matrixType, value, ArrayRef<ReassociationIndices>{{0, 1}});
  }
  ReassociationIndices rows;
  for (int64_t i = 0; i < rank - 1; ++i)
    rows.push_back(i);
  return tensor::CollapseShapeOp::create(
      b, loc, value, ArrayRef<ReassociationIndices>{rows, {rank - 1}});
}

/// Restores the leading dimensions of `like` on a [rows, out] matrix.
///
/// Several dynamic leading dimensions are restored with tensor.reshape rather
/// than tensor.expand_shape: MLIR 22's expand-strided-metadata crashes on a
/// memref.expand_shape that splits one dynamic extent into several.
Value expandFromMatrix(OpBuilder &b, Location loc, Value matrix, Value like,
                       RankedTensorType resultType) {
  int64_t rank = resultType.getRank();
  if (rank == 2)
    return matrix;
  if (rank == 1)
    return tensor::CollapseShapeOp::create(
        b, loc, resultType, matrix, ArrayRef<ReassociationIndices>{{0, 1}});
  SmallVector<Value> shape;
  for (int64_t i = 0; i < rank - 1; ++i)
    shape.push_back(b.createOrFold<tensor::DimOp>(loc, like, i));
  shape.push_back(
      arith::ConstantIndexOp::create(b, loc, resultType.getShape().back()));
  Value shapeTensor = tensor::FromElementsOp::create(b, loc, shape);
  return tensor::ReshapeOp::create(b, loc, resultType, matrix, shapeTensor);
}

Value floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, value));
}

/// A zero-filled [rows, cols] accumulator.
Value zeroMatrix(OpBuilder &b, Location loc, OpFoldResult rows,
                 OpFoldResult cols, Type elementType) {
  Value empty = tensor::EmptyOp::create(
      b, loc, ArrayRef<OpFoldResult>{rows, cols}, elementType);
  Value zero = floatConstant(b, loc, elementType, 0.0);
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

/// lhs [M, K] times `rhs`, which is [N, K] (read transposed through the
/// indexing maps) when `transposeRhs`, else [K, N]; a zero-filled [M, N] in
/// the accumulator type of `rhs`'s elements (f32 for f16/bf16).
Value matmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
             bool transposeRhs) {
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  OpFoldResult rows = tensor::getMixedSize(b, loc, lhs, 0);
  OpFoldResult cols = tensor::getMixedSize(b, loc, rhs, transposeRhs ? 0 : 1);
  Value acc = zeroMatrix(b, loc, rows, cols,
                         getAccumulatorType(rhsType.getElementType()));
  auto op = linalg::MatmulOp::create(b, loc, TypeRange{acc.getType()},
                                     ValueRange{lhs, rhs}, ValueRange{acc});
  if (transposeRhs) {
    MLIRContext *ctx = b.getContext();
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    auto map = [&](ArrayRef<AffineExpr> exprs) {
      return AffineMap::get(3, 0, exprs, ctx);
    };
    op.setIndexingMapsAttr(
        b.getAffineMapArrayAttr({map({m, k}), map({n, k}), map({m, n})}));
  }
  return op.getResult(0);
}

/// The transpose of the 2-D adapter matrix `value` ([R, C] -> [C, R]), so
/// that the skinny adapter matmuls read their right operand with N innermost
/// (the layout the CPU micro-kernel vectorizes). A constant adapter is
/// transposed here, into a new blob; a runtime one (peft-lora-as-inputs) by
/// a linalg.transpose, r·(in+out) elements per call.
Value transposedAdapter(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  auto transposedType = RankedTensorType::get(
      {type.getDimSize(1), type.getDimSize(0)}, type.getElementType());
  std::optional<Weight> weight = Weight::lookup(value);
  if (weight && type.hasStaticShape() &&
      isSupportedWeightElementType(type.getElementType())) {
    // Read exactly (double holds every f16/bf16/f32/f64 value), so the
    // transposed blob has the very same values.
    FailureOr<std::vector<double>> values = weight->readValues<double>();
    if (succeeded(values)) {
      numerics::Matrix<double> transposed =
          numerics::transpose<double>(numerics::MatrixRef<const double>(
              values->data(), type.getDimSize(0), type.getDimSize(1)));
      std::string name = weight->getName().empty()
                             ? std::string("adapter_t")
                             : weight->getName().str() + "_t";
      return arith::ConstantOp::create(
          b, loc,
          cast<TypedAttr>(createWeightBlob<double>(transposedType,
                                                   transposed.values(), name)));
    }
  }
  SmallVector<OpFoldResult> sizes = {tensor::getMixedSize(b, loc, value, 1),
                                     tensor::getMixedSize(b, loc, value, 0)};
  Value init = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  return linalg::TransposeOp::create(b, loc, value, init,
                                     ArrayRef<int64_t>{1, 0})
      .getResult()[0];
}

/// An elementwise linalg.generic over a [rows, cols] matrix (`like` gives
/// the shape) whose inputs are matrices (`matrices`) and row vectors indexed
/// by the column (`vectors`); `body` maps the scalars, matrices first, to
/// the result, of `elementType` (null: that of `like`).
Value elementwise(OpBuilder &b, Location loc, Value like, ValueRange matrices,
                  ValueRange vectors,
                  function_ref<Value(OpBuilder &, Location, ValueRange)> body,
                  Type elementType = nullptr) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(like.getType());
  if (elementType)
    type = type.clone(elementType);
  Value empty = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, like), type.getElementType());
  auto id = AffineMap::getMultiDimIdentityMap(2, ctx);
  auto col = AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx);
  SmallVector<Value> inputs(matrices);
  llvm::append_range(inputs, vectors);
  SmallVector<AffineMap> maps(matrices.size(), id);
  maps.append(vectors.size(), col);
  maps.push_back(id);
  return linalg::GenericOp::create(
             b, loc, type, inputs, ValueRange{empty}, maps,
             ArrayRef<IteratorType>{IteratorType::parallel,
                                    IteratorType::parallel},
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, body(nb, l, args.drop_back()));
             })
      .getResult(0);
}

/// x [rows, in] · W (by `layout`) + bias: the body of a linear layer, with
/// the weight's element type (the bias added before the one rounding of an
/// f32 accumulator).
Value linearMatrix(OpBuilder &b, Location loc, Value x, Value weight,
                   WeightLayout layout, Value bias) {
  Type elementType = cast<RankedTensorType>(weight.getType()).getElementType();
  Value y = matmul(b, loc, x, weight, layout == WeightLayout::out_in);
  if (!bias)
    return convertElements(b, loc, y, elementType);
  Type accType = cast<RankedTensorType>(y.getType()).getElementType();
  return elementwise(
      b, loc, y, y, bias,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value sum = arith::AddFOp::create(
            nb, l, args[0], convertIfFloat(nb, l, args[1], accType));
        return convertIfFloat(nb, l, sum, elementType);
      },
      elementType);
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
    Value aT = transposedAdapter(rewriter, loc, adaptor.getLoraA());
    Value bT = transposedAdapter(rewriter, loc, adaptor.getLoraB());
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

struct ConvertPeftToLinalgPass
    : public peft::impl::ConvertPeftToLinalgBase<ConvertPeftToLinalgPass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    configurePeftToLinalgTarget(target);
    RewritePatternSet patterns(&getContext());
    populatePeftToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void mlir::peft::populatePeftToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LinearOpLowering, LoraOpLowering, IA3OpLowering>(
      patterns.getContext());
}

void mlir::peft::configurePeftToLinalgTarget(ConversionTarget &target) {
  target.addIllegalDialect<PeftDialect>();
  target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                         math::MathDialect, tensor::TensorDialect>();
}
