//===- CalibrationIR.cpp - IR of calibration statistics -------------------===//

#include "CalibrationIR.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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
    auto rowType = RankedTensorType::get({1, type.getDimSize(0)},
                                         type.getElementType());
    return tensor::ExpandShapeOp::create(b, loc, rowType, x,
                                         ArrayRef<ReassociationIndices>{{0, 1}});
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
  SmallVector<utils::IteratorType> iterators = {
      utils::IteratorType::parallel, utils::IteratorType::parallel,
      utils::IteratorType::reduction};
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{rows, rows}, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value lhs = convertFloat(nb, nloc, args[0], acc);
        Value rhs = convertFloat(nb, nloc, args[1], acc);
        Value product = arith::MulFOp::create(nb, nloc, lhs, rhs);
        Value sum = arith::AddFOp::create(nb, nloc, args[2], product);
        linalg::YieldOp::create(nb, nloc, sum);
      });
  return generic.getResult(0);
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
