//===- LoraBankLowering.cpp - per-row routed adapter banks to linalg ------===//
//
// peft.lora_bank with task_ids lowers to gathered, segmented skinny products
// at each task's own rank:
//
//   1. a counting sort of the row groups by task id (scalar loops over the
//      G ids): `starts[t]` and `perm`, the groups of task t being
//      perm[starts[t] .. starts[t+1]); ids outside [0, T), and tasks of rank
//      0 on the layer, are not routed (their rows keep the base);
//   2. one gather of every routed row, in that order, into one matrix;
//   3. per task t with rows: two matmuls on its rows of the gathered matrix
//      and its slices of the transposed stacks ([in, r_t], [r_t, out]),
//      written into its rows of two buffers shared by all tasks (no
//      allocation per task);
//   4. one loop over the routed groups adds s_t·U to their rows of y, in
//      place.
//
// Every task runs one pair of GEMMs over exactly the rows routed to it, at
// its own rank; no task touches rows it does not own and B·A is never
// formed. A static bank is unrolled over its tasks, so that every task's
// slices have static shapes (the CPU micro-kernel's register tiles), and,
// when its stacks are constants, each task's rank is padded with zero
// columns to a multiple of 8 (never to the largest rank). A larger static
// bank loops over its tasks and switches on the task's padded rank, one
// static-shaped case per distinct rank; a runtime bank loops over its task
// slots with dynamic slices.
//
//===----------------------------------------------------------------------===//

#include "../Accumulation.h"
#include "MatrixBuilders.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Utils/Weights.h"

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

Value indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

/// Element `i` of the 1-D tensor `vector`, as an index (integers) or in
/// `floatType` (floats).
Value element(OpBuilder &b, Location loc, Value vector, Value i,
              Type floatType = nullptr) {
  Value v = tensor::ExtractOp::create(b, loc, vector, ValueRange{i});
  if (floatType)
    return convertIfFloat(b, loc, v, floatType);
  if (v.getType().isIndex())
    return v;
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

/// `vector` with `vector[i] = value`.
Value insertElement(OpBuilder &b, Location loc, Value vector, Value i,
                    Value value) {
  return tensor::InsertOp::create(b, loc, value, vector, ValueRange{i});
}

/// A zero-filled 1-D index tensor of `size` elements.
Value indexVector(OpBuilder &b, Location loc, Value size) {
  Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{size},
                                        b.getIndexType());
  return linalg::FillOp::create(b, loc, indexConstant(b, loc, 0), empty)
      .getResult(0);
}

/// The 2-D slice [rows at row0, cols at col0] of `value`.
Value slice2d(OpBuilder &b, Location loc, Value value, OpFoldResult row0,
              OpFoldResult col0, OpFoldResult rows, OpFoldResult cols) {
  OpFoldResult one = b.getIndexAttr(1);
  return tensor::ExtractSliceOp::create(
      b, loc, value, ArrayRef<OpFoldResult>{row0, col0},
      ArrayRef<OpFoldResult>{rows, cols}, ArrayRef<OpFoldResult>{one, one});
}

Value insert2d(OpBuilder &b, Location loc, Value source, Value dest,
               OpFoldResult row0, OpFoldResult rows, OpFoldResult cols) {
  OpFoldResult one = b.getIndexAttr(1);
  return tensor::InsertSliceOp::create(
      b, loc, source, dest, ArrayRef<OpFoldResult>{row0, b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{rows, cols}, ArrayRef<OpFoldResult>{one, one});
}

/// A for loop [0, count) threading `init`; `body(b, l, i, value)` returns
/// the next value.
Value forLoop(OpBuilder &b, Location loc, Value count, Value init,
              function_ref<Value(OpBuilder &, Location, Value, Value)> body) {
  return scf::ForOp::create(
             b, loc, indexConstant(b, loc, 0), count, indexConstant(b, loc, 1),
             ValueRange{init},
             [&](OpBuilder &nb, Location nl, Value i, ValueRange args) {
               scf::YieldOp::create(nb, nl, body(nb, nl, i, args[0]));
             })
      .getResult(0);
}

/// `cond ? then() : value` as an scf.if yielding one value.
Value ifThen(OpBuilder &b, Location loc, Value cond, Value value,
             function_ref<Value(OpBuilder &, Location)> then) {
  return scf::IfOp::create(
             b, loc, cond,
             [&](OpBuilder &nb, Location nl) {
               scf::YieldOp::create(nb, nl, then(nb, nl));
             },
             [&](OpBuilder &nb, Location nl) {
               scf::YieldOp::create(nb, nl, value);
             })
      .getResult(0);
}

/// The row groups sorted by task: `starts` ([T + 1]) and `perm` ([G]).
struct GroupsByTask {
  Value starts, perm;
};

/// Counting sort of the groups by their id in `ids` ([G] i64); ids outside
/// [0, numTasks), and tasks of rank 0 on this layer (equal `offsets`, i64
/// [T + 1]), are left out.
GroupsByTask sortGroups(OpBuilder &b, Location loc, Value ids, Value numGroups,
                        Value numTasks, Value offsets) {
  Value zero = indexConstant(b, loc, 0), one = indexConstant(b, loc, 1);
  auto taskOf = [&](OpBuilder &nb, Location nl, Value g) {
    Value id = tensor::ExtractOp::create(nb, nl, ids, ValueRange{g});
    Value t = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), id);
    Value nonNegative = arith::CmpIOp::create(
        nb, nl, arith::CmpIPredicate::sge, id,
        arith::ConstantIntOp::create(nb, nl, nb.getI64Type(), 0));
    Value below =
        arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, t, numTasks);
    Value inBank = arith::AndIOp::create(nb, nl, nonNegative, below);
    Value safe = arith::SelectOp::create(nb, nl, inBank, t, zero);
    Value rank = arith::SubIOp::create(
        nb, nl,
        element(nb, nl, offsets, arith::AddIOp::create(nb, nl, safe, one)),
        element(nb, nl, offsets, safe));
    Value hasRank =
        arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sgt, rank, zero);
    return std::make_pair(
        t, arith::AndIOp::create(nb, nl, inBank, hasRank).getResult());
  };
  Value slots = arith::AddIOp::create(b, loc, numTasks, one);
  // counts[t + 1] = number of groups of task t, then the prefix sums.
  Value counts = forLoop(
      b, loc, numGroups, indexVector(b, loc, slots),
      [&](OpBuilder &nb, Location nl, Value g, Value counts) {
        auto [task, isValid] = taskOf(nb, nl, g);
        Value t = task, valid = isValid;
        return ifThen(nb, nl, valid, counts, [&](OpBuilder &ib, Location il) {
          Value at = arith::AddIOp::create(ib, il, t, one);
          Value n =
              arith::AddIOp::create(ib, il, element(ib, il, counts, at), one);
          return insertElement(ib, il, counts, at, n);
        });
      });
  Value starts =
      forLoop(b, loc, numTasks, counts,
              [&](OpBuilder &nb, Location nl, Value t, Value starts) {
                Value next = arith::AddIOp::create(nb, nl, t, one);
                Value sum =
                    arith::AddIOp::create(nb, nl, element(nb, nl, starts, t),
                                          element(nb, nl, starts, next));
                return insertElement(nb, nl, starts, next, sum);
              });
  // perm: each group at its task's cursor (a copy of starts, advanced).
  auto scan = scf::ForOp::create(
      b, loc, zero, numGroups, one,
      ValueRange{indexVector(b, loc, numGroups), starts},
      [&](OpBuilder &nb, Location nl, Value g, ValueRange args) {
        auto [task, isValid] = taskOf(nb, nl, g);
        Value t = task, valid = isValid;
        auto placed = scf::IfOp::create(
            nb, nl, valid,
            [&](OpBuilder &ib, Location il) {
              Value at = element(ib, il, args[1], t);
              Value perm = insertElement(ib, il, args[0], at, g);
              Value cursor = insertElement(
                  ib, il, args[1], t, arith::AddIOp::create(ib, il, at, one));
              scf::YieldOp::create(ib, il, ValueRange{perm, cursor});
            },
            [&](OpBuilder &ib, Location il) {
              scf::YieldOp::create(ib, il, args);
            });
        scf::YieldOp::create(nb, nl, placed.getResults());
      });
  return {starts, scan.getResult(0)};
}

/// The transposed adapters of a static bank with constant A and B, each
/// task's contiguous (a column slice of one stacked [in, Σ r] Aᵀ would be
/// strided, which the CPU micro-kernel reads through a packing copy on every
/// call), each task's rank zero-padded to a multiple of 8 (the
/// micro-kernel's narrowest register tile: a rank of 51 would otherwise end
/// in 1-wide tiles); the padding contributes exact zeros. Either one
/// constant per task (`perTask`, for the unrolled form) or, for the loop
/// form, all tasks' padded [in, r'] blocks of Aᵀ one after the other in one
/// flat [in · Σ r'] constant (task t's block at in · o_t, taken by a 1-D
/// slice of the static size in · r' and expanded to [in, r'] inside the
/// switch case of its rank) and their Bᵀ rows in one [Σ r', out] constant
/// (already contiguous per task). Null when A or B is not a readable
/// constant.
struct TaskAdapters {
  SmallVector<Value> aT, bT;    // perTask: [in, r'], [r', out]; null: rank 0
  Value aStack, bStack;         // else: [in · Σ r'] (flat), [Σ r', out]
  SmallVector<int64_t> ranks;   // r', the padded ranks
  SmallVector<int64_t> offsets; // Σ_{u<t} r'_u
};

constexpr int64_t kRankTile = 8;

/// Static banks of more tasks than this are lowered as a loop over tasks
/// (dynamic ranks) rather than unrolled: the unrolled form chains every
/// task's writes to the shared buffers, which one-shot bufferization
/// analyses in time quadratic in the tasks.
constexpr int64_t kUnrollTasks = 16;

std::optional<TaskAdapters> splitConstantBank(OpBuilder &b, Location loc,
                                              LoraBankOp op, bool perTask) {
  std::optional<Weight> aWeight = Weight::lookup(op.getLoraA());
  std::optional<Weight> bWeight = Weight::lookup(op.getLoraB());
  auto aType = op.getLoraA().getType(), bType = op.getLoraB().getType();
  if (!aWeight || !bWeight || !aType.hasStaticShape() ||
      !bType.hasStaticShape() ||
      !isSupportedWeightElementType(aType.getElementType()))
    return std::nullopt;
  FailureOr<std::vector<double>> a = aWeight->readValues<double>();
  FailureOr<std::vector<double>> bValues = bWeight->readValues<double>();
  if (failed(a) || failed(bValues))
    return std::nullopt;
  int64_t in = aType.getDimSize(1), out = bType.getDimSize(0);
  int64_t total = aType.getDimSize(0);
  SmallVector<int64_t> offsets = op.getRankOffsetValues();
  Type elementType = aType.getElementType();
  std::string name = aWeight->getName().empty() ? std::string("bank")
                                                : aWeight->getName().str();
  auto constant = [&](ArrayRef<int64_t> shape, ArrayRef<double> values,
                      const Twine &suffix) {
    return arith::ConstantOp::create(
        b, loc,
        cast<TypedAttr>(
            createWeightBlob<double>(RankedTensorType::get(shape, elementType),
                                     values, (name + suffix).str())));
  };
  TaskAdapters tasks;
  int64_t width = 0;
  for (int64_t t = 0, e = op.getNumTasks(); t < e; ++t) {
    tasks.offsets.push_back(width);
    tasks.ranks.push_back(
        llvm::divideCeil(offsets[t + 1] - offsets[t], kRankTile) * kRankTile);
    width += tasks.ranks.back();
  }
  // The stacked form: at least one column, for a bank of rank-0 tasks.
  int64_t columns = std::max<int64_t>(width, 1);
  std::vector<double> aStack, bStack;
  if (!perTask) {
    aStack.assign(in * columns, 0.0);
    bStack.assign(columns * out, 0.0);
  }
  for (int64_t t = 0, e = op.getNumTasks(); t < e; ++t) {
    int64_t rank = offsets[t + 1] - offsets[t], padded = tasks.ranks[t];
    if (!perTask) {
      for (int64_t k = 0; k < rank; ++k) {
        int64_t from = offsets[t] + k, to = tasks.offsets[t] + k;
        for (int64_t i = 0; i < in; ++i)
          aStack[in * tasks.offsets[t] + i * padded + k] = (*a)[from * in + i];
        for (int64_t o = 0; o < out; ++o)
          bStack[to * out + o] = (*bValues)[o * total + from];
      }
      continue;
    }
    if (rank == 0) {
      tasks.aT.push_back(Value());
      tasks.bT.push_back(Value());
      continue;
    }
    std::vector<double> aT(in * padded, 0.0), bT(padded * out, 0.0);
    for (int64_t k = 0; k < rank; ++k) {
      int64_t from = offsets[t] + k;
      for (int64_t i = 0; i < in; ++i)
        aT[i * padded + k] = (*a)[from * in + i];
      for (int64_t o = 0; o < out; ++o)
        bT[k * out + o] = (*bValues)[o * total + from];
    }
    tasks.aT.push_back(constant({in, padded}, aT, ".task" + Twine(t) + "_t"));
    tasks.bT.push_back(
        constant({padded, out}, bT, ".task" + Twine(t) + "_b_t"));
  }
  if (!perTask) {
    tasks.aStack = constant({in * columns}, aStack, "_t_blocks");
    tasks.bStack = constant({columns, out}, bStack, "_b_t_padded");
  }
  return tasks;
}

struct LoraBankOpLowering : OpConversionPattern<LoraBankOp> {
  using OpConversionPattern::OpConversionPattern;

  /// What every task shares.
  struct Context {
    Value x, xSorted, ids, perm, starts, groupRows;
    OpFoldResult in, out;
    Type elementType, accType;
  };

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
    Context c;
    c.elementType = resultType.getElementType();
    c.accType = getAccumulatorType(c.elementType);
    c.x = collapseToMatrix(rewriter, loc, adaptor.getInput());
    c.ids = adaptor.getTaskIds();
    Value y = collapseToMatrix(rewriter, loc, adaptor.getBase());
    // One contiguous, padded constant per task for a constant static bank;
    // else the transposed stacks [in, R] and [R, out], sliced per task.
    std::optional<TaskAdapters> split;
    bool unrolled = !op.isRuntime() && op.getNumTasks() <= kUnrollTasks;
    if (!op.isRuntime())
      split = splitConstantBank(rewriter, loc, op, /*perTask=*/unrolled);
    Value aT =
        split ? Value() : transposedAdapter(rewriter, loc, adaptor.getLoraA());
    Value bT =
        split ? Value() : transposedAdapter(rewriter, loc, adaptor.getLoraB());

    Value one = indexConstant(rewriter, loc, 1);
    Value numGroups =
        tensor::DimOp::create(rewriter, loc, c.ids, 0).getResult();
    Value rows = tensor::DimOp::create(rewriter, loc, c.x, 0).getResult();
    // Every group has rows / G rows; a batch that does not split evenly (or
    // rows with an empty task_ids) is a caller error the runtime reports.
    Value divisor = arith::MaxUIOp::create(rewriter, loc, numGroups, one);
    c.groupRows = arith::DivUIOp::create(rewriter, loc, rows, divisor);
    Value evenly = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::eq,
        arith::MulIOp::create(rewriter, loc, c.groupRows, numGroups), rows);
    cf::AssertOp::create(rewriter, loc, evenly,
                         "peft.lora_bank: the rows of the input do not split "
                         "into as many equal groups as task_ids has entries");
    c.in = tensor::getMixedSize(rewriter, loc, c.x, 1);
    c.out = rewriter.getIndexAttr(resultType.getShape().back());

    // The scales as a vector in the accumulator type, for the scatter.
    Value scales;
    Value numTasks;
    if (!op.isRuntime()) {
      SmallVector<Attribute> scaleAttrs;
      // A named copy: the optional getScales() returns is a temporary.
      auto scaleValues = *op.getScales();
      for (double scale : scaleValues)
        scaleAttrs.push_back(rewriter.getFloatAttr(c.accType, scale));
      auto type = RankedTensorType::get(
          {static_cast<int64_t>(scaleAttrs.size())}, c.accType);
      scales = arith::ConstantOp::create(
          rewriter, loc, type, DenseElementsAttr::get(type, scaleAttrs));
      numTasks = indexConstant(rewriter, loc, op.getNumTasks());
    } else {
      scales = adaptor.getTaskScales();
      numTasks = tensor::DimOp::create(rewriter, loc, scales, 0).getResult();
    }
    // The layout as offsets, for the sort (tasks of rank 0 are not routed).
    Value offsetVector = adaptor.getRankOffsets();
    if (!op.isRuntime()) {
      SmallVector<Attribute> offsetAttrs;
      for (int64_t offset : op.getRankOffsetValues())
        offsetAttrs.push_back(rewriter.getI64IntegerAttr(offset));
      auto type = RankedTensorType::get(
          {static_cast<int64_t>(offsetAttrs.size())}, rewriter.getI64Type());
      offsetVector = arith::ConstantOp::create(
          rewriter, loc, type, DenseElementsAttr::get(type, offsetAttrs));
    }
    GroupsByTask sorted =
        sortGroups(rewriter, loc, c.ids, numGroups, numTasks, offsetVector);
    c.starts = sorted.starts;
    c.perm = sorted.perm;
    // Every routed row, gathered once in task order, and the buffers every
    // task's two products write their rows of: no allocation per task.
    Value routedGroups = element(rewriter, loc, c.starts, numTasks);
    Value routedRows =
        arith::MulIOp::create(rewriter, loc, routedGroups, c.groupRows);
    c.xSorted = gatherRows(rewriter, loc, c, indexConstant(rewriter, loc, 0),
                           routedRows);
    int64_t widest = split ? *llvm::max_element(split->ranks)
                           : cast<RankedTensorType>(aT.getType()).getDimSize(1);
    Value buffers[2] = {
        tensor::EmptyOp::create(
            rewriter, loc,
            ArrayRef<OpFoldResult>{routedRows, rewriter.getIndexAttr(widest)},
            c.accType),
        tensor::EmptyOp::create(rewriter, loc,
                                ArrayRef<OpFoldResult>{routedRows, c.out},
                                c.accType)};

    if (unrolled) {
      // Unrolled over the tasks: static ranks and shapes.
      SmallVector<int64_t> offsets = op.getRankOffsetValues();
      int64_t in = cast<RankedTensorType>(c.x.getType()).getDimSize(1);
      int64_t out = resultType.getShape().back();
      for (int64_t t = 0, e = op.getNumTasks(); t < e; ++t) {
        int64_t rank = offsets[t + 1] - offsets[t];
        if (rank == 0)
          continue;
        Value aTask, bTask;
        if (split) {
          aTask = split->aT[t];
          bTask = split->bT[t];
          rank = split->ranks[t];
        } else {
          aTask =
              slice2d(rewriter, loc, aT, rewriter.getIndexAttr(0),
                      rewriter.getIndexAttr(offsets[t]),
                      rewriter.getIndexAttr(in), rewriter.getIndexAttr(rank));
          bTask = slice2d(rewriter, loc, bT, rewriter.getIndexAttr(offsets[t]),
                          rewriter.getIndexAttr(0), rewriter.getIndexAttr(rank),
                          rewriter.getIndexAttr(out));
        }
        computeTask(rewriter, loc, c, buffers, indexConstant(rewriter, loc, t),
                    aTask, bTask, rewriter.getIndexAttr(rank));
      }
    } else {
      // A loop over the tasks, their ranks read from vectors: the runtime
      // bank's offsets, or a large static bank's padded blocks.
      auto i64Vector = [&](ArrayRef<int64_t> values) -> Value {
        SmallVector<Attribute> attrs;
        for (int64_t v : values)
          attrs.push_back(rewriter.getI64IntegerAttr(v));
        auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                          rewriter.getI64Type());
        return arith::ConstantOp::create(rewriter, loc, type,
                                         DenseElementsAttr::get(type, attrs));
      };
      Value offsets = adaptor.getRankOffsets();
      Value taskOffsets, ranks;
      if (split) {
        taskOffsets = i64Vector(split->offsets);
        ranks = i64Vector(split->ranks);
      } else if (!op.isRuntime()) {
        offsets = offsetVector;
      }
      Value zero = indexConstant(rewriter, loc, 0);
      auto loop = scf::ForOp::create(
          rewriter, loc, zero, numTasks, one, ValueRange(buffers),
          [&](OpBuilder &b, Location l, Value t, ValueRange args) {
            Value aTask, bTask, rank;
            if (split) {
              // Task t's padded columns of Aᵀ and rows of Bᵀ, at a static
              // rank: one case per distinct padded rank of the bank (at
              // most max-rank / 8 of them, however many tasks), so that the
              // products have the static shapes of the unrolled form.
              rank = element(b, l, ranks, t);
              Value offset = element(b, l, taskOffsets, t);
              SmallVector<int64_t> distinct;
              for (int64_t r : split->ranks)
                if (r > 0 && !llvm::is_contained(distinct, r))
                  distinct.push_back(r);
              llvm::sort(distinct);
              auto bufferTypes = ValueRange(args).getTypes();
              auto switchOp = scf::IndexSwitchOp::create(
                  b, l, bufferTypes, rank, distinct, distinct.size());
              // Rank 0 (not routed): the buffers as they are.
              b.setInsertionPointToStart(
                  &switchOp.getDefaultRegion().emplaceBlock());
              scf::YieldOp::create(b, l, args);
              for (auto [region, r] :
                   llvm::zip(switchOp.getCaseRegions(), distinct)) {
                b.setInsertionPointToStart(&region.emplaceBlock());
                // Task t's [in, r] block of the flat Aᵀ: contiguous.
                int64_t in = op.getLoraA().getType().getDimSize(1);
                Value flat = tensor::ExtractSliceOp::create(
                    b, l, split->aStack,
                    ArrayRef<OpFoldResult>{OpFoldResult(arith::MulIOp::create(
                        b, l, offset, indexConstant(b, l, in)))},
                    ArrayRef<OpFoldResult>{b.getIndexAttr(in * r)},
                    ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
                Value aCase = tensor::ExpandShapeOp::create(
                    b, l,
                    RankedTensorType::get(
                        {in, r}, cast<RankedTensorType>(split->aStack.getType())
                                     .getElementType()),
                    flat, ArrayRef<ReassociationIndices>{{0, 1}});
                Value bCase =
                    slice2d(b, l, split->bStack, offset, b.getIndexAttr(0),
                            b.getIndexAttr(r), c.out);
                Value next[2] = {args[0], args[1]};
                computeTask(b, l, c, next, t, aCase, bCase, b.getIndexAttr(r));
                scf::YieldOp::create(b, l, ValueRange(next));
              }
              b.setInsertionPointAfter(switchOp);
              scf::YieldOp::create(b, l, switchOp.getResults());
              return;
            } else {
              Value offset = element(b, l, offsets, t);
              rank = arith::SubIOp::create(
                  b, l,
                  element(b, l, offsets, arith::AddIOp::create(b, l, t, one)),
                  offset);
              aTask = slice2d(b, l, aT, b.getIndexAttr(0), offset, c.in, rank);
              bTask = slice2d(b, l, bT, offset, b.getIndexAttr(0), rank, c.out);
            }
            Value next[2] = {args[0], args[1]};
            computeTask(b, l, c, next, t, aTask, bTask, rank);
            scf::YieldOp::create(b, l, ValueRange(next));
          });
      buffers[0] = loop.getResult(0);
      buffers[1] = loop.getResult(1);
    }

    // Scatter: y's rows of each routed group += s_t · its rows of U.
    Value u = buffers[1];
    y = forLoop(
        rewriter, loc, routedGroups, y,
        [&](OpBuilder &b, Location l, Value j, Value yAll) {
          Value g = element(b, l, c.perm, j);
          Value t = element(b, l, c.ids, g);
          Value scale = element(b, l, scales, t, c.accType);
          Value to = arith::MulIOp::create(b, l, g, c.groupRows);
          Value yRows =
              slice2d(b, l, yAll, to, b.getIndexAttr(0), c.groupRows, c.out);
          Value uRows = slice2d(
              b, l, u, arith::MulIOp::create(b, l, j, c.groupRows).getResult(),
              b.getIndexAttr(0), c.groupRows, c.out);
          // In place on the group's rows of y: no new buffer per group.
          MLIRContext *ctx = b.getContext();
          AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
          Value updated =
              linalg::GenericOp::create(
                  b, l, yRows.getType(), ValueRange{uRows}, ValueRange{yRows},
                  ArrayRef<AffineMap>{id, id},
                  ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                                utils::IteratorType::parallel},
                  [&](OpBuilder &eb, Location el, ValueRange args) {
                    Value su = arith::MulFOp::create(eb, el, scale, args[0]);
                    Value sum = arith::AddFOp::create(
                        eb, el, convertIfFloat(eb, el, args[1], c.accType), su);
                    linalg::YieldOp::create(
                        eb, el, convertIfFloat(eb, el, sum, c.elementType));
                  })
                  .getResult(0);
          return insert2d(b, l, updated, yAll, to, c.groupRows, c.out);
        });
    rewriter.replaceOp(
        op, expandFromMatrix(rewriter, loc, y, adaptor.getBase(), resultType));
    return success();
  }

  /// The rows of the task's groups (perm[first ..], `taskRows` in all) of x,
  /// in that order: one generic reading x at a per-row source index.
  static Value gatherRows(OpBuilder &b, Location loc, const Context &c,
                          Value first, Value taskRows) {
    MLIRContext *ctx = b.getContext();
    auto par = utils::IteratorType::parallel;
    // source[r] = perm[first + r / n]·n + r % n.
    Value sourceInit = tensor::EmptyOp::create(
        b, loc, ArrayRef<OpFoldResult>{taskRows}, b.getIndexType());
    AffineMap id1 = AffineMap::getMultiDimIdentityMap(1, ctx);
    Value source =
        linalg::GenericOp::create(
            b, loc, sourceInit.getType(), ValueRange{}, ValueRange{sourceInit},
            ArrayRef<AffineMap>{id1}, ArrayRef<utils::IteratorType>{par},
            [&](OpBuilder &nb, Location nl, ValueRange) {
              Value r = linalg::IndexOp::create(nb, nl, 0);
              Value j = arith::DivUIOp::create(nb, nl, r, c.groupRows);
              Value w = arith::RemUIOp::create(nb, nl, r, c.groupRows);
              Value g = element(nb, nl, c.perm,
                                arith::AddIOp::create(nb, nl, first, j));
              Value row = arith::AddIOp::create(
                  nb, nl, arith::MulIOp::create(nb, nl, g, c.groupRows), w);
              linalg::YieldOp::create(nb, nl, row);
            })
            .getResult(0);
    Type elementType = cast<RankedTensorType>(c.x.getType()).getElementType();
    Value init = tensor::EmptyOp::create(
        b, loc, ArrayRef<OpFoldResult>{taskRows, c.in}, elementType);
    AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap rowOf = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
    return linalg::GenericOp::create(
               b, loc, init.getType(), ValueRange{source}, ValueRange{init},
               ArrayRef<AffineMap>{rowOf, id2},
               ArrayRef<utils::IteratorType>{par, par},
               [&](OpBuilder &nb, Location nl, ValueRange args) {
                 Value col = linalg::IndexOp::create(nb, nl, 1);
                 Value v = tensor::ExtractOp::create(nb, nl, c.x,
                                                     ValueRange{args[0], col});
                 linalg::YieldOp::create(nb, nl, v);
               })
        .getResult(0);
  }

  /// Task `t`'s two products on its rows of the gathered input, written
  /// into its rows of `buffers` (x·A_tᵀ [rows, widest] and U [rows, out],
  /// both in the accumulator type); zero rows when it has none.
  static void computeTask(OpBuilder &b, Location loc, const Context &c,
                          Value (&buffers)[2], Value t, Value aTask,
                          Value bTask, OpFoldResult rank) {
    Value one = indexConstant(b, loc, 1);
    Value first = element(b, loc, c.starts, t);
    Value count = arith::SubIOp::create(
        b, loc,
        element(b, loc, c.starts, arith::AddIOp::create(b, loc, t, one)),
        first);
    // No scf.if: a task without rows gets empty slices and its products
    // run zero rows. (An scf.if yielding both buffers per task made
    // one-shot bufferization's analysis quadratic in the number of tasks:
    // 32 s to compile a 64-task bank.)
    Location l = loc;
    Value row0 = arith::MulIOp::create(b, l, first, c.groupRows);
    Value rows = arith::MulIOp::create(b, l, count, c.groupRows);
    Value x = slice2d(b, l, c.xSorted, row0, b.getIndexAttr(0), rows, c.in);
    // x·A_tᵀ, rounded to the element type as peft.lora rounds it.
    Value xaRows =
        slice2d(b, l, buffers[0], row0, b.getIndexAttr(0), rows, rank);
    Value zero = floatConstant(b, l, c.accType, 0.0);
    xaRows = linalg::FillOp::create(b, l, zero, xaRows).getResult(0);
    xaRows = linalg::MatmulOp::create(b, l, TypeRange{xaRows.getType()},
                                      ValueRange{x, aTask}, ValueRange{xaRows})
                 .getResult(0);
    if (c.elementType != c.accType)
      xaRows = elementwise(b, l, xaRows, ValueRange{xaRows}, {},
                           [&](OpBuilder &eb, Location el, ValueRange args) {
                             Value narrow =
                                 convertIfFloat(eb, el, args[0], c.elementType);
                             return convertIfFloat(eb, el, narrow, c.accType);
                           });
    Value uRows =
        slice2d(b, l, buffers[1], row0, b.getIndexAttr(0), rows, c.out);
    uRows = linalg::FillOp::create(b, l, zero, uRows).getResult(0);
    uRows =
        linalg::MatmulOp::create(b, l, TypeRange{uRows.getType()},
                                 ValueRange{xaRows, bTask}, ValueRange{uRows})
            .getResult(0);
    buffers[0] = insert2d(b, l, xaRows, buffers[0], row0, rows, rank);
    buffers[1] = insert2d(b, l, uRows, buffers[1], row0, rows, c.out);
  }
};

/// The static-shaped form (`gathered-banks`, the GPU pipeline): no host
/// loops and no data-dependent shapes, two all-parallel generics, each point
/// a GPU thread. Row i of the collapsed input belongs to group g = i / n
/// (n = rows / G) and task t = task_ids[g]; with R the largest rank (the
/// capacity for a runtime bank),
///
///   t'[i, k] = Σ_{c < in} x[i, c] · Aᵀ[c, o_t + k]   if k < r_t, else 0
///   y[i, j]  = base[i, j] + s_t · Σ_{k < r_t} t'[i, k] · Bᵀ[o_t + k, j]
///
/// Each reduction is an scf.for in the body whose trip count is the row's
/// own rank (or, for the shrink lanes past it, zero): a row of rank r_t
/// costs r_t·(in + out) multiply-adds, as in the grouped CPU form, never R.
/// The stacks are read at computed indices (tensor.extract); rows of no task
/// keep the base.
struct GatheredLoraBankOpLowering : OpConversionPattern<LoraBankOp> {
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

    // The layout as tensors, and the widest rank.
    Value offsets = adaptor.getRankOffsets(), scales = adaptor.getTaskScales();
    int64_t width;
    if (!op.isRuntime()) {
      SmallVector<int64_t> values = op.getRankOffsetValues();
      SmallVector<Attribute> offsetAttrs, scaleAttrs;
      width = 0;
      for (auto [t, offset] : llvm::enumerate(values)) {
        offsetAttrs.push_back(rewriter.getI64IntegerAttr(offset));
        if (t + 1 < values.size())
          width = std::max(width, values[t + 1] - offset);
      }
      // A named copy: the optional getScales() returns is a temporary.
      auto scaleValues = *op.getScales();
      for (double scale : scaleValues)
        scaleAttrs.push_back(rewriter.getFloatAttr(accType, scale));
      auto vector = [&](Type type, ArrayRef<Attribute> attrs) {
        auto tensorType =
            RankedTensorType::get({static_cast<int64_t>(attrs.size())}, type);
        return arith::ConstantOp::create(
            rewriter, loc, tensorType,
            DenseElementsAttr::get(tensorType, attrs));
      };
      offsets = vector(rewriter.getI64Type(), offsetAttrs);
      scales = vector(accType, scaleAttrs);
    } else {
      width = cast<RankedTensorType>(aT.getType()).getDimSize(1);
      if (ShapedType::isDynamic(width))
        return rewriter.notifyMatchFailure(op, "dynamic bank capacity");
    }
    if (width == 0) {
      rewriter.replaceOp(op, adaptor.getBase());
      return success();
    }
    int64_t numTasks = cast<RankedTensorType>(scales.getType()).getDimSize(0);

    Value one = indexConstant(rewriter, loc, 1);
    Value numGroups = tensor::DimOp::create(rewriter, loc, ids, 0).getResult();
    Value rows = tensor::DimOp::create(rewriter, loc, x, 0).getResult();
    Value divisor = arith::MaxUIOp::create(rewriter, loc, numGroups, one);
    Value groupRows = arith::DivUIOp::create(rewriter, loc, rows, divisor);
    Value evenly = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::eq,
        arith::MulIOp::create(rewriter, loc, groupRows, numGroups), rows);
    cf::AssertOp::create(rewriter, loc, evenly,
                         "peft.lora_bank: the rows of the input do not split "
                         "into as many equal groups as task_ids has entries");

    // Inside a body: the task of row i, its offset and rank (rank 0 and
    // offset 0 for no task), all as indices.
    struct RowTask {
      Value task, offset, rank;
    };
    auto rowTask = [&](OpBuilder &b, Location l, Value i) {
      Value g = arith::DivUIOp::create(b, l, i, groupRows);
      Value id = tensor::ExtractOp::create(b, l, ids, ValueRange{g});
      Value zero64 = arith::ConstantIntOp::create(b, l, b.getI64Type(), 0);
      Value valid = arith::AndIOp::create(
          b, l,
          arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, id, zero64),
          arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::slt, id,
              arith::ConstantIntOp::create(b, l, b.getI64Type(), numTasks)));
      Value t = arith::IndexCastOp::create(
          b, l, b.getIndexType(),
          arith::SelectOp::create(b, l, valid, id, zero64));
      Value offset = element(b, l, offsets, t);
      Value rank = arith::SubIOp::create(
          b, l, element(b, l, offsets, arith::AddIOp::create(b, l, t, one)),
          offset);
      rank = arith::SelectOp::create(b, l, valid, rank, indexConstant(b, l, 0));
      return RowTask{t, offset, rank};
    };
    // Inside a body: Σ_{k < count} lhs(k) · rhs(k), in the accumulator
    // type, k in order (scf.for): the reduction of one output at the row's
    // own rank or, for the shrink lanes past it, of none.
    auto dot =
        [&](OpBuilder &b, Location l, Value count,
            function_ref<std::pair<Value, Value>(OpBuilder &, Location, Value)>
                operands) {
          return scf::ForOp::create(
                     b, l, indexConstant(b, l, 0), count,
                     indexConstant(b, l, 1),
                     ValueRange{floatConstant(b, l, accType, 0.0)},
                     [&](OpBuilder &nb, Location nl, Value k, ValueRange acc) {
                       auto [lhs, rhs] = operands(nb, nl, k);
                       Value product = arith::MulFOp::create(
                           nb, nl, convertIfFloat(nb, nl, lhs, accType),
                           convertIfFloat(nb, nl, rhs, accType));
                       scf::YieldOp::create(nb, nl,
                                            ValueRange{arith::AddFOp::create(
                                                nb, nl, acc[0], product)});
                     })
              .getResult(0);
        };

    int64_t in = cast<RankedTensorType>(x.getType()).getDimSize(1);
    if (ShapedType::isDynamic(in))
      return rewriter.notifyMatchFailure(op, "dynamic input features");
    Value inSize = indexConstant(rewriter, loc, in);
    OpFoldResult rowsSize = tensor::getMixedSize(rewriter, loc, x, 0);

    // t'[i, k] = Σ_c x[i, c] · Aᵀ[c, o_t + k] for k < r_t (else 0), rounded
    // to the element type as peft.lora rounds it: [rows, R], one lane per
    // (row, k); lanes past the row's rank do no work.
    Value tEmpty = tensor::EmptyOp::create(
        rewriter, loc,
        ArrayRef<OpFoldResult>{rowsSize, rewriter.getIndexAttr(width)},
        elementType);
    Value tPrime = elementwise(
        rewriter, loc, tEmpty, ValueRange{}, ValueRange{},
        [&](OpBuilder &b, Location l, ValueRange) {
          Value i = linalg::IndexOp::create(b, l, 0);
          Value k = linalg::IndexOp::create(b, l, 1);
          RowTask rt = rowTask(b, l, i);
          Value inRank = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult,
                                               k, rt.rank);
          Value count = arith::SelectOp::create(b, l, inRank, inSize,
                                                indexConstant(b, l, 0));
          Value column = arith::AddIOp::create(b, l, rt.offset, k);
          Value sum =
              dot(b, l, count, [&](OpBuilder &nb, Location nl, Value c) {
                return std::pair<Value, Value>{
                    tensor::ExtractOp::create(nb, nl, x, ValueRange{i, c}),
                    tensor::ExtractOp::create(nb, nl, aT,
                                              ValueRange{c, column})};
              });
          return convertIfFloat(b, l, sum, elementType);
        });
    // y[i, j] = base[i, j] + s_t · Σ_{k < r_t} t'[i, k] · Bᵀ[o_t + k, j]: one
    // lane per output, its loop at the row's own rank; rows of no task (rank
    // 0) keep the base unchanged.
    Value y = elementwise(
        rewriter, loc, base, ValueRange{base}, {},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value i = linalg::IndexOp::create(b, l, 0);
          Value j = linalg::IndexOp::create(b, l, 1);
          RowTask rt = rowTask(b, l, i);
          Value u =
              dot(b, l, rt.rank, [&](OpBuilder &nb, Location nl, Value k) {
                Value row = arith::AddIOp::create(nb, nl, rt.offset, k);
                return std::pair<Value, Value>{
                    tensor::ExtractOp::create(nb, nl, tPrime, ValueRange{i, k}),
                    tensor::ExtractOp::create(nb, nl, bT, ValueRange{row, j})};
              });
          Value s = element(b, l, scales, rt.task, accType);
          Value sum = arith::AddFOp::create(
              b, l, convertIfFloat(b, l, args[0], accType),
              arith::MulFOp::create(b, l, s, u));
          Value any = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ugt,
                                            rt.rank, indexConstant(b, l, 0));
          return arith::SelectOp::create(
                     b, l, any, convertIfFloat(b, l, sum, elementType), args[0])
              .getResult();
        });
    rewriter.replaceOp(
        op, expandFromMatrix(rewriter, loc, y, adaptor.getBase(), resultType));
    return success();
  }
};

} // namespace

void mlir::peft::populateLoraBankLoweringPatterns(RewritePatternSet &patterns,
                                                  bool gathered) {
  if (gathered)
    patterns.add<GatheredLoraBankOpLowering>(patterns.getContext());
  else
    patterns.add<LoraBankOpLowering>(patterns.getContext());
}
