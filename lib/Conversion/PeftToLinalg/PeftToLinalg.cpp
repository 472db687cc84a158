//===- PeftToLinalg.cpp - lower peft ops to linalg ------------------------===//

#include "peft/Conversion/PeftToLinalg/PeftToLinalg.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::peft {
#define GEN_PASS_DEF_CONVERTPEFTTOLINALG
#include "peft/Conversion/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {

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

/// peft.linear -> collapse, zero-filled linalg.matmul (transposed read for
/// out_in weights), broadcast bias add, expand.
struct LinearOpLowering : OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = op.getResult().getType();
    Type elementType = resultType.getElementType();
    int64_t outFeatures = op.getOutFeatures();
    if (ShapedType::isDynamic(outFeatures))
      return rewriter.notifyMatchFailure(op, "dynamic output features");

    Value x = collapseToMatrix(rewriter, loc, adaptor.getInput());
    OpFoldResult rows = tensor::getMixedSize(rewriter, loc, x, 0);
    SmallVector<OpFoldResult> matrixShape = {
        rows, rewriter.getIndexAttr(outFeatures)};
    Value empty =
        tensor::EmptyOp::create(rewriter, loc, matrixShape, elementType);
    Value zero = arith::ConstantOp::create(rewriter, loc, elementType,
                                           rewriter.getZeroAttr(elementType));
    Value acc = linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);

    MLIRContext *ctx = rewriter.getContext();
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    auto map = [&](ArrayRef<AffineExpr> exprs) {
      return AffineMap::get(3, 0, exprs, ctx);
    };
    auto matmul = linalg::MatmulOp::create(
        rewriter, loc, TypeRange{acc.getType()},
        ValueRange{x, adaptor.getWeight()}, ValueRange{acc});
    if (op.getLayout() == WeightLayout::out_in)
      matmul.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(
          {map({m, k}), map({n, k}), map({m, n})}));
    Value y = matmul.getResult(0);

    if (Value bias = adaptor.getBias()) {
      auto id = AffineMap::getMultiDimIdentityMap(2, ctx);
      auto col = AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx);
      y = linalg::GenericOp::create(
              rewriter, loc, empty.getType(), ValueRange{y, bias},
              ValueRange{empty}, ArrayRef<AffineMap>{id, col, id},
              ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                            utils::IteratorType::parallel},
              [](OpBuilder &b, Location l, ValueRange args) {
                Value sum = arith::AddFOp::create(b, l, args[0], args[1]);
                linalg::YieldOp::create(b, l, sum);
              })
              .getResult(0);
    }

    rewriter.replaceOp(
        op, expandFromMatrix(rewriter, loc, y, adaptor.getInput(), resultType));
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
  patterns.add<LinearOpLowering>(patterns.getContext());
}

void mlir::peft::configurePeftToLinalgTarget(ConversionTarget &target) {
  target.addIllegalDialect<PeftDialect>();
  target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                         tensor::TensorDialect>();
}
