//===- LoraBankLowering.cpp - per-row routed adapter banks to linalg ------===//
//
// peft.lora_bank with task_ids lowers to a loop nest over tasks (outer) and
// row groups (inner): the rows of a group routed to the current task take
// the two skinny products at that task's own rank, on slices of the stacked
// (transposed) adapters, and the scaled update is added to their base rows.
// A group of another task costs one scalar compare; no task runs over rows
// it does not own, and B·A is never formed. Tasks go outermost so that a
// task's A and B stay in cache across the groups it serves.
//
//   y = base
//   for t in [0, T):                       // offsets o, ranks r = o[t+1]-o[t]
//     if r > 0:
//       for g in [0, G):  if task_ids[g] == t:
//         rows = [g·n, (g+1)·n)             // n = N / G
//         y[rows] = base[rows] + s_t · (x[rows]·Aᵀ[:, o:o+r])·Bᵀ[o:o+r, :]
//
//===----------------------------------------------------------------------===//

#include "../Accumulation.h"
#include "MatrixBuilders.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::matrix;

namespace {

/// A constant 1-D tensor of `values`.
Value constantVector(OpBuilder &b, Location loc, Type elementType,
                     ArrayRef<Attribute> values) {
  auto type =
      RankedTensorType::get({static_cast<int64_t>(values.size())}, elementType);
  return arith::ConstantOp::create(b, loc, type,
                                   DenseElementsAttr::get(type, values));
}

Value indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

/// Element `i` (an index) of the 1-D `vector`, as an index for integers and
/// in the accumulator type for floats.
Value element(OpBuilder &b, Location loc, Value vector, Value i,
              Type floatType = nullptr) {
  Value v = tensor::ExtractOp::create(b, loc, vector, ValueRange{i});
  if (floatType)
    return convertIfFloat(b, loc, v, floatType);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

struct LoraBankOpLowering : OpConversionPattern<LoraBankOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LoraBankOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!op.getTaskIds())
      return op.emitOpError("is not routed: run peft-route-tasks (a task per "
                            "row) or peft-select-task (one task) before "
                            "lowering");
    auto resultType = op.getResult().getType();
    if (ShapedType::isDynamic(resultType.getShape().back()))
      return rewriter.notifyMatchFailure(op, "dynamic output features");

    Location loc = op.getLoc();
    Type elementType = resultType.getElementType();
    Type accType = getAccumulatorType(elementType);
    Value x = collapseToMatrix(rewriter, loc, adaptor.getInput());
    Value base = collapseToMatrix(rewriter, loc, adaptor.getBase());
    Value aT = transposedAdapter(rewriter, loc, adaptor.getLoraA()); // [in, R]
    Value bT = transposedAdapter(rewriter, loc, adaptor.getLoraB()); // [R, out]
    Value ids = adaptor.getTaskIds();

    // The bank's layout as tensors: constants, or a runtime bank's inputs.
    Value offsets = adaptor.getRankOffsets(), scales = adaptor.getTaskScales();
    if (!op.isRuntime()) {
      SmallVector<Attribute> offsetAttrs, scaleAttrs;
      for (int64_t offset : op.getRankOffsetValues())
        offsetAttrs.push_back(rewriter.getI64IntegerAttr(offset));
      for (double scale : *op.getScales())
        scaleAttrs.push_back(rewriter.getFloatAttr(accType, scale));
      offsets = constantVector(rewriter, loc, rewriter.getI64Type(),
                               offsetAttrs);
      scales = constantVector(rewriter, loc, accType, scaleAttrs);
    }

    Value zero = indexConstant(rewriter, loc, 0);
    Value one = indexConstant(rewriter, loc, 1);
    Value numTasks =
        tensor::DimOp::create(rewriter, loc, scales, 0).getResult();
    Value numGroups = tensor::DimOp::create(rewriter, loc, ids, 0).getResult();
    Value rows = tensor::DimOp::create(rewriter, loc, x, 0).getResult();
    // Every group has rows / G rows; a batch that does not split evenly (or
    // rows with an empty task_ids) is a caller error the runtime reports.
    Value divisor = arith::MaxUIOp::create(rewriter, loc, numGroups, one);
    Value groupRows = arith::DivUIOp::create(rewriter, loc, rows, divisor);
    Value evenly = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::eq,
        arith::MulIOp::create(rewriter, loc, groupRows, numGroups), rows);
    cf::AssertOp::create(rewriter, loc, evenly,
                         "peft.lora_bank: the rows of the input do not split "
                         "into as many equal groups as task_ids has entries");
    Value in = tensor::DimOp::create(rewriter, loc, x, 1).getResult();
    Value out = indexConstant(rewriter, loc, resultType.getShape().back());

    auto taskLoop = scf::ForOp::create(
        rewriter, loc, zero, numTasks, one, ValueRange{base},
        [&](OpBuilder &b, Location l, Value t, ValueRange yTask) {
          Value offset = element(b, l, offsets, t);
          Value next = arith::AddIOp::create(b, l, t, one);
          Value rank = arith::SubIOp::create(
              b, l, element(b, l, offsets, next), offset);
          Value scale = element(b, l, scales, t, accType);
          Value taskId = arith::IndexCastOp::create(b, l, b.getI64Type(), t);
          Value hasRank = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::sgt, rank, zero);
          auto ifRank = scf::IfOp::create(
              b, l, hasRank,
              [&](OpBuilder &b, Location l) {
                Value aTask = tensor::ExtractSliceOp::create(
                    b, l, aT, ArrayRef<OpFoldResult>{zero, offset},
                    ArrayRef<OpFoldResult>{in, rank},
                    ArrayRef<OpFoldResult>{one, one});
                Value bTask = tensor::ExtractSliceOp::create(
                    b, l, bT, ArrayRef<OpFoldResult>{offset, zero},
                    ArrayRef<OpFoldResult>{rank, out},
                    ArrayRef<OpFoldResult>{one, one});
                auto groupLoop = scf::ForOp::create(
                    b, l, zero, numGroups, one, yTask,
                    [&](OpBuilder &b, Location l, Value g, ValueRange yGroup) {
                      Value id = tensor::ExtractOp::create(b, l, ids,
                                                           ValueRange{g});
                      Value mine = arith::CmpIOp::create(
                          b, l, arith::CmpIPredicate::eq, id, taskId);
                      auto ifMine = scf::IfOp::create(
                          b, l, mine,
                          [&](OpBuilder &b, Location l) {
                            scf::YieldOp::create(
                                b, l,
                                updateGroup(b, l, x, yGroup[0], aTask, bTask,
                                            scale, g, groupRows, in, out,
                                            elementType, accType));
                          },
                          [&](OpBuilder &b, Location l) {
                            scf::YieldOp::create(b, l, yGroup[0]);
                          });
                      scf::YieldOp::create(b, l, ifMine.getResult(0));
                    });
                scf::YieldOp::create(b, l, groupLoop.getResult(0));
              },
              [&](OpBuilder &b, Location l) {
                scf::YieldOp::create(b, l, yTask[0]);
              });
          scf::YieldOp::create(b, l, ifRank.getResult(0));
        });
    rewriter.replaceOp(op, expandFromMatrix(rewriter, loc,
                                            taskLoop.getResult(0),
                                            adaptor.getBase(), resultType));
    return success();
  }

  /// y with rows [g·n, (g+1)·n) replaced by base + s·(x·Aᵀ)·Bᵀ on them.
  static Value updateGroup(OpBuilder &b, Location l, Value x, Value y,
                           Value aTask, Value bTask, Value scale, Value g,
                           Value groupRows, Value in, Value out,
                           Type elementType, Type accType) {
    Value zero = indexConstant(b, l, 0);
    Value one = indexConstant(b, l, 1);
    Value first = arith::MulIOp::create(b, l, g, groupRows);
    Value xRows = tensor::ExtractSliceOp::create(
        b, l, x, ArrayRef<OpFoldResult>{first, zero},
        ArrayRef<OpFoldResult>{groupRows, in}, ArrayRef<OpFoldResult>{one, one});
    Value yRows = tensor::ExtractSliceOp::create(
        b, l, y, ArrayRef<OpFoldResult>{first, zero},
        ArrayRef<OpFoldResult>{groupRows, out},
        ArrayRef<OpFoldResult>{one, one});
    // As peft.lora: t rounded to the element type, u and the sum in the
    // accumulator type, the result rounded once.
    Value t = convertElements(b, l, matmul(b, l, xRows, aTask, false),
                              elementType);
    Value u = matmul(b, l, t, bTask, false);
    Value updated = elementwise(
        b, l, yRows, ValueRange{yRows, u}, {},
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value su = arith::MulFOp::create(nb, nl, scale, args[1]);
          Value sum = arith::AddFOp::create(
              nb, nl, convertIfFloat(nb, nl, args[0], accType), su);
          return convertIfFloat(nb, nl, sum, elementType);
        });
    return tensor::InsertSliceOp::create(b, l, updated, y,
                                         ArrayRef<OpFoldResult>{first, zero},
                                         ArrayRef<OpFoldResult>{groupRows, out},
                                         ArrayRef<OpFoldResult>{one, one});
  }
};

} // namespace

void mlir::peft::populateLoraBankLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LoraBankOpLowering>(patterns.getContext());
}
