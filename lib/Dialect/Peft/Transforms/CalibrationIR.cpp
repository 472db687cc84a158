//===- CalibrationIR.cpp - IR of calibration statistics -------------------===//

#include "CalibrationIR.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::peft;

namespace {

/// The type statistics of `elementType` values are summed in.
FloatType getAccumulatorType(Type elementType) {
  MLIRContext *ctx = elementType.getContext();
  if (elementType.isF64())
    return Float64Type::get(ctx);
  return Float32Type::get(ctx);
}

/// `x` as a matrix [rows, features]: leading dimensions collapsed, a vector
/// becomes one row.
Value collapseRows(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  if (rank == 2)
    return x;
  if (rank == 1) {
    auto rowType =
        RankedTensorType::get({1, type.getDimSize(0)}, type.getElementType());
    return tensor::ExpandShapeOp::create(
        b, loc, rowType, x, ArrayRef<ReassociationIndices>{{0, 1}});
  }
  ReassociationIndices rows;
  for (int64_t d = 0; d + 1 < rank; ++d)
    rows.push_back(d);
  return tensor::CollapseShapeOp::create(
      b, loc, x, ArrayRef<ReassociationIndices>{rows, {rank - 1}});
}

/// `value` converted to `type` (both floats).
Value convertFloat(OpBuilder &b, Location loc, Value value, FloatType type) {
  unsigned from = value.getType().getIntOrFloatBitWidth();
  if (value.getType() == type)
    return value;
  if (from < type.getWidth())
    return arith::ExtFOp::create(b, loc, type, value);
  return arith::TruncFOp::create(b, loc, type, value);
}

/// A linalg.generic adding lhs·rhs, both converted to the element type of
/// `init`, into `init` along the iteration space of `maps`.
Value sumOfProducts(OpBuilder &b, Location loc, Value lhs, Value rhs,
                    Value init, ArrayRef<AffineMap> maps,
                    ArrayRef<utils::IteratorType> iterators) {
  auto acc = cast<FloatType>(cast<ShapedType>(init.getType()).getElementType());
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{lhs, rhs}, ValueRange{init},
             maps, iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value p = convertFloat(nb, nloc, args[0], acc);
               Value q = convertFloat(nb, nloc, args[1], acc);
               Value product = arith::MulFOp::create(nb, nloc, p, q);
               Value sum = arith::AddFOp::create(nb, nloc, args[2], product);
               linalg::YieldOp::create(nb, nloc, sum);
             })
      .getResult(0);
}

} // namespace

Value mlir::peft::buildGram(OpBuilder &b, Location loc, Value x) {
  Value rows = collapseRows(b, loc, x);
  auto type = cast<RankedTensorType>(rows.getType());
  int64_t n = type.getDimSize(1);
  FloatType acc = getAccumulatorType(type.getElementType());
  Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{n, n}, acc);
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(acc, 0.0));
  Value init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);

  // (i, j, r): x[r, i]·x[r, j] summed over r. The right operand is read
  // with j innermost, the layout the CPU micro-kernel vectorizes.
  MLIRContext *ctx = b.getContext();
  AffineExpr i, j, r;
  bindDims(ctx, i, j, r);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {r, i}, ctx),
                                 AffineMap::get(3, 0, {r, j}, ctx),
                                 AffineMap::get(3, 0, {i, j}, ctx)};
  SmallVector<utils::IteratorType> iterators = {utils::IteratorType::parallel,
                                                utils::IteratorType::parallel,
                                                utils::IteratorType::reduction};
  return sumOfProducts(b, loc, rows, rows, init, maps, iterators);
}

Value mlir::peft::buildRowCount(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  Value count = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t d = 0; d + 1 < type.getRank(); ++d) {
    Value size = tensor::DimOp::create(b, loc, x, d);
    count = arith::MulIOp::create(b, loc, count, size);
  }
  Value count64 =
      arith::IndexCastOp::create(b, loc, b.getI64Type(), count).getResult();
  return tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({1}, b.getI64Type()), ValueRange{count64});
}

Value mlir::peft::buildHeadGram(OpBuilder &b, Location loc, Value x,
                                int64_t headAxis, int64_t dimAxis) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  // [heads, rows..., dim]: a transpose, then the rows collapsed.
  SmallVector<int64_t> perm = {headAxis};
  for (int64_t d = 0; d < rank; ++d)
    if (d != headAxis && d != dimAxis)
      perm.push_back(d);
  perm.push_back(dimAxis);
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  SmallVector<OpFoldResult> permuted;
  for (int64_t d : perm)
    permuted.push_back(sizes[d]);
  Value init = tensor::EmptyOp::create(b, loc, permuted, type.getElementType());
  Value moved =
      linalg::TransposeOp::create(b, loc, x, init, perm).getResult()[0];
  ReassociationIndices rows;
  for (int64_t d = 1; d + 1 < rank; ++d)
    rows.push_back(d);
  Value collapsed = moved;
  if (rank != 3)
    collapsed = tensor::CollapseShapeOp::create(
        b, loc, moved, ArrayRef<ReassociationIndices>{{0}, rows, {rank - 1}});
  int64_t heads = type.getDimSize(headAxis), dim = type.getDimSize(dimAxis);
  FloatType acc = getAccumulatorType(type.getElementType());
  Value empty =
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{heads, dim, dim}, acc);
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(acc, 0.0));
  Value out = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  MLIRContext *ctx = b.getContext();
  AffineExpr h, i, j, r;
  bindDims(ctx, h, i, j, r);
  SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {h, r, i}, ctx),
                                 AffineMap::get(4, 0, {h, r, j}, ctx),
                                 AffineMap::get(4, 0, {h, i, j}, ctx)};
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  return sumOfProducts(b, loc, collapsed, collapsed, out, maps, iterators);
}

Value mlir::peft::buildHeadRowCount(OpBuilder &b, Location loc, Value x,
                                    int64_t headAxis, int64_t dimAxis) {
  auto type = cast<RankedTensorType>(x.getType());
  Value count = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (d != headAxis && d != dimAxis)
      count = arith::MulIOp::create(b, loc, count,
                                    tensor::DimOp::create(b, loc, x, d));
  Value count64 =
      arith::IndexCastOp::create(b, loc, b.getI64Type(), count).getResult();
  return tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({1}, b.getI64Type()), ValueRange{count64});
}

Value mlir::peft::buildCosineDistance(OpBuilder &b, Location loc, Value a,
                                      Value x) {
  Value rowsA = collapseRows(b, loc, a);
  Value rowsB = collapseRows(b, loc, x);
  auto type = cast<RankedTensorType>(rowsA.getType());
  FloatType acc = getAccumulatorType(type.getElementType());
  MLIRContext *ctx = b.getContext();
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(acc, 0.0));
  OpFoldResult rows = tensor::getMixedSize(b, loc, rowsA, 0);

  // Per row: Σ_c u·v (one row reduction each for a·b, a·a and b·b).
  AffineExpr r, c;
  bindDims(ctx, r, c);
  AffineMap element = AffineMap::get(2, 0, {r, c}, ctx);
  AffineMap row = AffineMap::get(2, 0, {r}, ctx);
  auto rowDot = [&](Value u, Value v) -> Value {
    Value empty =
        tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{rows}, acc);
    Value init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
    return sumOfProducts(
        b, loc, u, v, init, {element, element, row},
        {utils::IteratorType::parallel, utils::IteratorType::reduction});
  };
  Value ab = rowDot(rowsA, rowsB);
  Value aa = rowDot(rowsA, rowsA);
  Value bb = rowDot(rowsB, rowsB);

  // Σ_r (1 − cos) into a 0-d tensor.
  Value scalarEmpty =
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, acc).getResult();
  Value scalarInit =
      linalg::FillOp::create(b, loc, zero, scalarEmpty).getResult(0);
  AffineExpr only;
  bindDims(ctx, only);
  AffineMap identity = AffineMap::get(1, 0, {only}, ctx);
  AffineMap scalar = AffineMap::get(1, 0, {}, ctx);
  Value total =
      linalg::GenericOp::create(
          b, loc, scalarInit.getType(), ValueRange{ab, aa, bb},
          ValueRange{scalarInit}, {identity, identity, identity, scalar},
          {utils::IteratorType::reduction},
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Value one =
                arith::ConstantOp::create(nb, nloc, nb.getFloatAttr(acc, 1.0));
            Value zeroF =
                arith::ConstantOp::create(nb, nloc, nb.getFloatAttr(acc, 0.0));
            Value norms = arith::MulFOp::create(nb, nloc, args[1], args[2]);
            // A zero row counts as cos = 1 (no change).
            Value positive = arith::CmpFOp::create(
                nb, nloc, arith::CmpFPredicate::OGT, norms, zeroF);
            Value root = math::SqrtOp::create(nb, nloc, norms);
            Value cosine = arith::DivFOp::create(nb, nloc, args[0], root);
            Value cos =
                arith::SelectOp::create(nb, nloc, positive, cosine, one);
            Value distance = arith::SubFOp::create(nb, nloc, one, cos);
            Value sum = arith::AddFOp::create(nb, nloc, args[3], distance);
            linalg::YieldOp::create(nb, nloc, sum);
          })
          .getResult(0);
  Value sum = tensor::ExtractOp::create(b, loc, total, ValueRange{});
  Value count = getValueOrCreateConstantIndexOp(b, loc, rows);
  Value count64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
  Value countF = arith::SIToFPOp::create(b, loc, acc, count64);
  return tensor::FromElementsOp::create(b, loc, RankedTensorType::get({2}, acc),
                                        ValueRange{sum, countF});
}

void CalibrationStatistics::add(Value value, ArrayRef<std::string> keys) {
  results.emplace_back(value,
                       SmallVector<std::string, 3>(keys.begin(), keys.end()));
}

LogicalResult CalibrationStatistics::appendTo(func::FuncOp fn,
                                              func::ReturnOp ret) {
  MLIRContext *ctx = fn.getContext();
  auto nameAttr = StringAttr::get(ctx, "onnx.name");
  auto keysAttr = StringAttr::get(ctx, kCalibrationAttr);
  SmallVector<Value> values;
  for (auto &[value, keys] : results) {
    SmallVector<Attribute> keyAttrs;
    for (const std::string &key : keys)
      keyAttrs.push_back(StringAttr::get(ctx, key));
    auto attrs = DictionaryAttr::get(
        ctx, {NamedAttribute(nameAttr, StringAttr::get(ctx, keys.front())),
              NamedAttribute(keysAttr, ArrayAttr::get(ctx, keyAttrs))});
    if (failed(fn.insertResult(fn.getNumResults(), value.getType(), attrs)))
      return failure();
    values.push_back(value);
  }
  ret.getOperandsMutable().append(values);
  return success();
}
