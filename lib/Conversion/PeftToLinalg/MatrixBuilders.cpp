//===- MatrixBuilders.cpp - linalg builders on [rows, n] matrices ---------===//

#include "MatrixBuilders.h"
#include "../Accumulation.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/Codecs.h"
#include "peft/Support/Numerics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

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

/// y (an accumulator [rows, out]) + bias, rounded once to `elementType`.
Value addBiasAndRound(OpBuilder &b, Location loc, Value y, Value bias,
                      Type elementType) {
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

/// The bytes of the packed integer constant `value` ([rows, cols] of iB) as a
/// tensor<N x i8> over the same blob, or over a new blob packed from inline
/// values; failure for a value that is not a constant.
FailureOr<Value> packedBytesOf(OpBuilder &b, Location loc, Value value) {
  std::optional<Weight> weight = Weight::lookup(value);
  if (!weight)
    return failure();
  RankedTensorType type = weight->getType();
  auto bytesType =
      RankedTensorType::get({getWeightStorageBytes(type)}, b.getI8Type());
  auto resource = dyn_cast<DenseResourceElementsAttr>(weight->getAttr());
  if (!resource) {
    FailureOr<std::vector<double>> values = weight->readValues<double>();
    if (failed(values))
      return failure();
    std::vector<int8_t> ints(values->begin(), values->end());
    resource = cast<DenseResourceElementsAttr>(
        createIntegerWeightBlob(type, ints, weight->getName()));
  }
  return arith::ConstantOp::create(
             b, loc,
             DenseResourceElementsAttr::get(bytesType, resource.getRawHandle()))
      .getResult();
}

/// Inside a linalg body: the signed b-bit value at row-major index `linear`
/// of the packed `bytes` (tensor<N x i8>, `count` values), as an i32. A value
/// of a width that does not divide 8 may straddle two bytes.
Value unpackSigned(OpBuilder &b, Location loc, Value bytes, Value linear,
                   int64_t bits, int64_t count) {
  Type i32 = b.getI32Type();
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto i32c = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, loc, v, 32);
  };
  Value bit = arith::MulIOp::create(b, loc, linear, index(bits));
  Value byte = arith::DivUIOp::create(b, loc, bit, index(8));
  Value offset = arith::IndexCastOp::create(
      b, loc, i32, arith::RemUIOp::create(b, loc, bit, index(8)));
  Value window = arith::ExtUIOp::create(
      b, loc, i32, tensor::ExtractOp::create(b, loc, bytes, ValueRange{byte}));
  if (8 % bits) {
    int64_t last = int64_t(codecs::packedBytes(size_t(count), int(bits))) - 1;
    Value next = arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, byte, index(1)), index(last));
    Value high = arith::ExtUIOp::create(
        b, loc, i32,
        tensor::ExtractOp::create(b, loc, bytes, ValueRange{next}));
    window = arith::OrIOp::create(b, loc, window,
                                  arith::ShLIOp::create(b, loc, high, i32c(8)));
  }
  Value v = arith::ShRUIOp::create(b, loc, window, offset);
  // Sign-extend the low `bits` bits.
  Value up = i32c(32 - bits);
  return arith::ShRSIOp::create(b, loc, arith::ShLIOp::create(b, loc, v, up),
                                up);
}

std::pair<Value, Value> splitNibbles(OpBuilder &b, Location loc, Value bytes) {
  auto type = cast<VectorType>(bytes.getType());
  Value four = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, b.getI8IntegerAttr(4)));
  Value lo = arith::ShRSIOp::create(
      b, loc, arith::ShLIOp::create(b, loc, bytes, four), four);
  Value hi = arith::ShRSIOp::create(b, loc, bytes, four);
  return {lo, hi};
}

} // namespace mlir::peft::matrix
