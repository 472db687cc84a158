//===- MatrixBuilders.cpp - linalg builders on [rows, n] matrices ---------===//

#include "MatrixBuilders.h"
#include "../Accumulation.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/Numerics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::peft;
using utils::IteratorType;

namespace mlir::peft::matrix {

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
/// transposed here, into a new blob, its rank dimension (`rankDim` of the
/// result) zero-padded to a multiple of 8 (no 1-wide register tiles; the
/// padding contributes exact zeros); a runtime one (peft-lora-as-inputs) by
/// a linalg.transpose, r·(in+out) elements per call.
Value transposedAdapter(OpBuilder &b, Location loc, Value value, int rankDim) {
  auto type = cast<RankedTensorType>(value.getType());
  std::optional<Weight> weight = Weight::lookup(value);
  if (weight && type.hasStaticShape() &&
      isSupportedWeightElementType(type.getElementType())) {
    // Read exactly (double holds every f16/bf16/f32/f64 value), so the
    // transposed blob has the very same values.
    FailureOr<std::vector<double>> values = weight->readValues<double>();
    if (succeeded(values)) {
      int64_t rows = type.getDimSize(1), cols = type.getDimSize(0);
      int64_t paddedRows = rows, paddedCols = cols;
      if (rankDim == 0)
        paddedRows = llvm::divideCeil(rows, 8) * 8;
      else if (rankDim == 1)
        paddedCols = llvm::divideCeil(cols, 8) * 8;
      std::vector<double> transposed(paddedRows * paddedCols, 0.0);
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j)
          transposed[i * paddedCols + j] = (*values)[j * rows + i];
      std::string name = weight->getName().empty()
                             ? std::string("adapter_t")
                             : weight->getName().str() + "_t";
      return arith::ConstantOp::create(
          b, loc,
          cast<TypedAttr>(createWeightBlob<double>(
              RankedTensorType::get({paddedRows, paddedCols},
                                    type.getElementType()),
              transposed, name)));
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
                  Type elementType) {
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

} // namespace mlir::peft::matrix
