//===- Contraction.cpp - onnx contractions to linalg ----------------------===//
//
// MatMul picks the named op that fits (matmul, batch_matmul after collapsing
// batch dims, matvec, vecmat, dot) and falls back to a linalg.generic for
// broadcast batches; Gemm transposes through linalg.matmul indexing maps;
// Einsum becomes one linalg.generic from the parsed equation. The quantized
// forms (Quantization.cpp) reuse buildMatMul.
//
// Dynamic batch dimensions on both sides of a contraction are assumed equal
// at run time (exporters leave only batch/sequence sizes dynamic); a static
// 1 against anything else broadcasts.
//
// f16 and bf16 contractions accumulate in f32 (the named ops extend their
// operands to the accumulator's type) and round to the element type once, at
// the end, as PyTorch and ONNX Runtime do.
//
//===----------------------------------------------------------------------===//

#include "Contraction.h"
#include "../Accumulation.h"
#include "Broadcast.h"
#include "ShapeUtils.h"
#include "peft/Conversion/ONNXToLinalg/ONNXToLinalg.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/MapVector.h"

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::onnx_to_linalg;

namespace {

/// Body of a multiply-accumulate: acc + prod(inputs), the inputs extended
/// to the accumulator's type first when it is a wider float.
void buildMulAdd(OpBuilder &b, Location loc, ValueRange args) {
  Type accType = args.back().getType();
  auto operand = [&](Value arg) {
    return convertIfFloat(b, loc, arg, accType);
  };
  Value product = operand(args[0]);
  for (Value arg : args.drop_front().drop_back())
    product = createMul(b, loc, product, operand(arg));
  linalg::YieldOp::create(b, loc, createAdd(b, loc, args.back(), product));
}

//===----------------------------------------------------------------------===//
// MatMul
//===----------------------------------------------------------------------===//

/// Whether the batch dims of equal-rank batched operands can be collapsed
/// without broadcasting: no static 1 faces a size that may differ from 1.
bool batchDimsMatch(RankedTensorType a, RankedTensorType b) {
  for (int64_t d = 0, e = a.getRank() - 2; d < e; ++d) {
    int64_t x = a.getDimSize(d), y = b.getDimSize(d);
    if (x == y)
      continue;
    if (isStaticOne(x) || isStaticOne(y))
      return false;
    if (!ShapedType::isDynamic(x) && !ShapedType::isDynamic(y))
      return false;
  }
  return true;
}

/// numpy matmul as one linalg.generic: loops (batch..., m?, n?, k), 1-D
/// operands without m or n, static unit batch extents broadcast; the result
/// has element type `accType`.
Value buildGenericMatMul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                         Type accType) {
  auto ta = cast<RankedTensorType>(lhs.getType());
  auto tb = cast<RankedTensorType>(rhs.getType());
  int64_t ra = ta.getRank(), rb = tb.getRank();
  int64_t aBatch = std::max<int64_t>(ra - 2, 0);
  int64_t bBatch = std::max<int64_t>(rb - 2, 0);
  int64_t numBatch = std::max(aBatch, bBatch);
  bool hasM = ra >= 2, hasN = rb >= 2;
  int64_t numLoops = numBatch + hasM + hasN + 1;
  MLIRContext *ctx = b.getContext();
  AffineExpr k = b.getAffineDimExpr(numLoops - 1);
  AffineExpr m = b.getAffineDimExpr(numBatch);
  AffineExpr n = b.getAffineDimExpr(numBatch + (hasM ? 1 : 0));

  SmallVector<AffineExpr> aExprs, bExprs, outExprs;
  SmallVector<OpFoldResult> sizes;
  for (int64_t j = 0; j < numBatch; ++j) {
    int64_t ia = j - (numBatch - aBatch), ib = j - (numBatch - bBatch);
    int64_t da = ia >= 0 ? ta.getDimSize(ia) : 1;
    int64_t db = ib >= 0 ? tb.getDimSize(ib) : 1;
    bool aBroadcast = ia >= 0 && isStaticOne(da) && ib >= 0 && !isStaticOne(db);
    bool bBroadcast = ib >= 0 && isStaticOne(db) && ia >= 0 && !isStaticOne(da);
    if (ia >= 0)
      aExprs.push_back(aBroadcast ? b.getAffineConstantExpr(0)
                                  : b.getAffineDimExpr(j));
    if (ib >= 0)
      bExprs.push_back(bBroadcast ? b.getAffineConstantExpr(0)
                                  : b.getAffineDimExpr(j));
    outExprs.push_back(b.getAffineDimExpr(j));
    bool fromA = ia >= 0 && !aBroadcast &&
                 (ib < 0 || bBroadcast || !ShapedType::isDynamic(da) ||
                  ShapedType::isDynamic(db));
    sizes.push_back(fromA ? getSize(b, loc, lhs, ia)
                          : getSize(b, loc, rhs, ib));
  }
  if (hasM) {
    aExprs.push_back(m);
    outExprs.push_back(m);
    sizes.push_back(getSize(b, loc, lhs, ra - 2));
  }
  aExprs.push_back(k);
  bExprs.push_back(k);
  if (hasN) {
    bExprs.push_back(n);
    outExprs.push_back(n);
    sizes.push_back(getSize(b, loc, rhs, rb - 1));
  }
  SmallVector<utils::IteratorType> iterators = parallelIterators(numLoops);
  iterators.back() = utils::IteratorType::reduction;
  Value acc = createAccumulator(b, loc, sizes, accType);
  SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, aExprs, ctx),
                                 AffineMap::get(numLoops, 0, bExprs, ctx),
                                 AffineMap::get(numLoops, 0, outExprs, ctx)};
  return linalg::GenericOp::create(b, loc, TypeRange{acc.getType()},
                                   ValueRange{lhs, rhs}, ValueRange{acc}, maps,
                                   iterators, buildMulAdd)
      .getResult(0);
}

/// numpy matmul whose result has element type `accType`.
Value buildMatMulInto(OpBuilder &b, Location loc, Value lhs, Value rhs,
                      Type accType) {
  auto ta = cast<RankedTensorType>(lhs.getType());
  auto tb = cast<RankedTensorType>(rhs.getType());
  int64_t ra = ta.getRank(), rb = tb.getRank();
  auto contract = [&](auto opTag, Value x, Value y,
                      ArrayRef<OpFoldResult> sizes) -> Value {
    using NamedOp = decltype(opTag);
    Value acc = createAccumulator(b, loc, sizes, accType);
    return NamedOp::create(b, loc, TypeRange{acc.getType()}, ValueRange{x, y},
                           ValueRange{acc})
        .getResult(0);
  };
  auto size = [&](Value v, int64_t d) { return getSize(b, loc, v, d); };

  if (ra == 1 && rb == 1)
    return contract(linalg::DotOp(), lhs, rhs, {});
  if (ra == 1 && rb == 2)
    return contract(linalg::VecmatOp(), lhs, rhs, {size(rhs, 1)});
  if (ra == 2 && rb == 1)
    return contract(linalg::MatvecOp(), lhs, rhs, {size(lhs, 0)});
  if (ra == 2 && rb == 2)
    return contract(linalg::MatmulOp(), lhs, rhs, {size(lhs, 0), size(rhs, 1)});
  if (ra >= 3 && rb <= 2) {
    // [b..., M, K] x [K, N]: the leading dims are rows of one matmul.
    SmallVector<OpFoldResult> leading = getSizes(b, loc, lhs);
    leading.pop_back();
    Value x = collapseLeading(b, loc, lhs, ra - 1);
    Value y = rb == 2 ? contract(linalg::MatmulOp(), x, rhs,
                                 {size(x, 0), size(rhs, 1)})
                      : contract(linalg::MatvecOp(), x, rhs, {size(x, 0)});
    return expandLeading(b, loc, y, leading);
  }
  if (ra == rb && batchDimsMatch(ta, tb)) {
    int64_t numBatch = ra - 2;
    SmallVector<OpFoldResult> batch;
    for (int64_t d = 0; d < numBatch; ++d)
      batch.push_back(ta.isDynamicDim(d) ? size(rhs, d) : size(lhs, d));
    Value x = collapseLeading(b, loc, lhs, numBatch);
    Value y = collapseLeading(b, loc, rhs, numBatch);
    OpFoldResult flatBatch =
        ShapedType::isDynamic(cast<RankedTensorType>(x.getType()).getDimSize(0))
            ? size(y, 0)
            : size(x, 0);
    Value z = contract(linalg::BatchMatmulOp(), x, y,
                       {flatBatch, size(x, 1), size(y, 2)});
    return expandLeading(b, loc, z, batch);
  }
  return buildGenericMatMul(b, loc, lhs, rhs, accType);
}

} // namespace

Value onnx_to_linalg::buildMatMul(OpBuilder &b, Location loc, Value lhs,
                                  Value rhs) {
  Type elementType = cast<RankedTensorType>(lhs.getType()).getElementType();
  Value result =
      buildMatMulInto(b, loc, lhs, rhs, getAccumulatorType(elementType));
  return convertElements(b, loc, result, elementType);
}

namespace {

/// Whether buildMatMul accepts the converted operands.
bool canBuildMatMul(Value lhs, Value rhs) {
  auto ta = dyn_cast<RankedTensorType>(lhs.getType());
  auto tb = dyn_cast<RankedTensorType>(rhs.getType());
  return ta && tb && ta.getRank() >= 1 && tb.getRank() >= 1 &&
         ta.getElementType() == tb.getElementType() &&
         isa<IntegerType, FloatType>(ta.getElementType());
}

/// MatMul (numpy semantics).
struct MatMulLowering : ONNXConversion<onnx_ir::MatMulOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertResult(op.getY());
    if (!type || !canBuildMatMul(adaptor.getA(), adaptor.getB()))
      return matchFailure(rewriter, op, "unsupported operands");
    Value y =
        buildMatMul(rewriter, op.getLoc(), adaptor.getA(), adaptor.getB());
    rewriter.replaceOp(op, castTo(rewriter, op.getLoc(), y, type));
    return success();
  }
};

/// Gemm: linalg.matmul whose indexing maps read op(A) and op(B) in place;
/// alpha and beta·C (unidirectionally broadcast) in one elementwise generic,
/// or C as the accumulator when alpha is 1. f16/bf16 accumulate, scale and
/// add C in f32, rounded once at the end.
struct GemmLowering : ONNXConversion<onnx_ir::GemmOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value a = adaptor.getA(), bValue = adaptor.getB(), c = adaptor.getC();
    RankedTensorType type = convertResult(op.getY());
    auto ta = dyn_cast<RankedTensorType>(a.getType());
    auto tb = dyn_cast<RankedTensorType>(bValue.getType());
    bool hasC = !onnx_ir::isNone(c);
    auto tc = hasC ? dyn_cast<RankedTensorType>(c.getType()) : nullptr;
    if (!type || !ta || !tb || ta.getRank() != 2 || tb.getRank() != 2 ||
        (hasC && (!tc || tc.getRank() > 2)) ||
        ta.getElementType() != tb.getElementType())
      return matchFailure(rewriter, op, "unsupported operands");
    Type elementType = ta.getElementType();
    Type accType = getAccumulatorType(elementType);
    double alpha = op.getAlphaOrDefault(), beta = op.getBetaOrDefault();
    bool isFloat = isa<FloatType>(elementType);
    if (!isFloat && (alpha != 1.0 || (hasC && beta != 1.0)))
      return matchFailure(rewriter, op, "integer Gemm with scaling");
    if (hasC && beta == 0.0)
      hasC = false;

    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    MLIRContext *ctx = b.getContext();
    bool transA = op.getTransAOrDefault(), transB = op.getTransBOrDefault();
    SmallVector<OpFoldResult> sizes = {getSize(b, loc, a, transA ? 1 : 0),
                                       getSize(b, loc, bValue, transB ? 0 : 1)};
    for (int64_t d = 0; d < 2; ++d)
      if (!type.isDynamicDim(d))
        sizes[d] = b.getIndexAttr(type.getDimSize(d));
    SmallVector<int64_t> shape = getStaticShape(sizes);
    auto scalar = [&](double v) -> Value {
      return arith::ConstantOp::create(b, loc, accType,
                                       b.getFloatAttr(accType, v));
    };
    auto id = AffineMap::getMultiDimIdentityMap(2, ctx);

    // accScale * acc + beta * C broadcast to [M, N], computed in the
    // accumulator type, with elements of `outType`.
    auto scaledC = [&](Value acc, bool withAcc, double accScale,
                       Type outType) -> Value {
      SmallVector<Value> inputs;
      SmallVector<AffineMap> maps;
      if (withAcc) {
        inputs.push_back(acc);
        maps.push_back(id);
      }
      if (hasC) {
        inputs.push_back(c);
        maps.push_back(getBroadcastIndexingMap(ctx, tc.getShape(), 2));
      }
      maps.push_back(id);
      Value empty = createEmpty(b, loc, sizes, outType);
      return linalg::GenericOp::create(
                 b, loc, TypeRange{RankedTensorType::get(shape, outType)},
                 inputs, ValueRange{empty}, maps, parallelIterators(2),
                 [&](OpBuilder &nb, Location l, ValueRange args) {
                   Value sum;
                   if (withAcc) {
                     sum = args[0];
                     if (accScale != 1.0)
                       sum =
                           arith::MulFOp::create(nb, l, sum, scalar(accScale));
                   }
                   if (hasC) {
                     Value term =
                         convertIfFloat(nb, l, args[withAcc ? 1 : 0], accType);
                     if (beta != 1.0)
                       term = arith::MulFOp::create(nb, l, term, scalar(beta));
                     sum = sum ? createAdd(nb, l, sum, term) : term;
                   }
                   linalg::YieldOp::create(nb, l,
                                           convertIfFloat(nb, l, sum, outType));
                 })
          .getResult(0);
    };

    Value init = hasC && alpha == 1.0
                     ? scaledC(nullptr, /*withAcc=*/false, 1.0, accType)
                     : createAccumulator(b, loc, sizes, accType);
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    auto map = [&](ArrayRef<AffineExpr> exprs) {
      return AffineMap::get(3, 0, exprs, ctx);
    };
    auto matmul = linalg::MatmulOp::create(
        b, loc, TypeRange{RankedTensorType::get(shape, accType)},
        ValueRange{a, bValue}, ValueRange{init});
    if (transA || transB)
      matmul.setIndexingMapsAttr(b.getAffineMapArrayAttr(
          {transA ? map({k, m}) : map({m, k}),
           transB ? map({n, k}) : map({k, n}), map({m, n})}));
    Value y = matmul.getResult(0);
    if (alpha != 1.0)
      y = scaledC(y, /*withAcc=*/true, alpha, elementType);
    y = convertElements(b, loc, y, elementType);
    rewriter.replaceOp(op, castTo(b, loc, y, type));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

/// A parsed equation: per operand and for the output, one label per
/// dimension. Letters are their character codes; the ellipsis dims are
/// -1 - g for global (right-aligned) ellipsis dimension g.
struct EinsumSpec {
  SmallVector<SmallVector<int64_t>> inputs;
  SmallVector<int64_t> output;
};

/// Parses `term` into letters and the position of "..." (-1 when absent).
std::optional<std::pair<SmallVector<int64_t>, int64_t>>
parseTerm(StringRef term) {
  SmallVector<int64_t> letters;
  int64_t ellipsisAt = -1;
  while (!term.empty()) {
    if (term.consume_front("...")) {
      if (ellipsisAt >= 0)
        return std::nullopt;
      ellipsisAt = letters.size();
      continue;
    }
    if (!llvm::isAlpha(term.front()))
      return std::nullopt;
    letters.push_back(term.front());
    term = term.drop_front();
  }
  return std::make_pair(letters, ellipsisAt);
}

/// Parses an equation for operands of `ranks`; nullopt for a malformed one.
/// A label repeated within an input term reads that operand's diagonal.
std::optional<EinsumSpec> parseEinsum(StringRef equation,
                                      ArrayRef<int64_t> ranks) {
  std::string compact;
  for (char ch : equation)
    if (ch != ' ')
      compact.push_back(ch);
  StringRef text = compact;
  auto [lhs, rhs] = text.split("->");
  bool explicitOutput = text.contains("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != ranks.size())
    return std::nullopt;

  SmallVector<std::pair<SmallVector<int64_t>, int64_t>> parsed;
  int64_t numEllipsis = 0;
  for (auto [term, rank] : llvm::zip(terms, ranks)) {
    auto p = parseTerm(term);
    if (!p)
      return std::nullopt;
    int64_t extra = rank - static_cast<int64_t>(p->first.size());
    if (extra < 0 || (extra > 0 && p->second < 0))
      return std::nullopt;
    numEllipsis = std::max(numEllipsis, extra);
    parsed.push_back(*p);
  }
  EinsumSpec spec;
  llvm::MapVector<int64_t, int64_t> counts;
  for (auto [p, rank] : llvm::zip(parsed, ranks)) {
    SmallVector<int64_t> labels;
    int64_t extra = rank - static_cast<int64_t>(p.first.size());
    for (auto [i, letter] : llvm::enumerate(p.first)) {
      if (static_cast<int64_t>(i) == p.second)
        for (int64_t t = 0; t < extra; ++t)
          labels.push_back(-1 - (numEllipsis - extra + t));
      labels.push_back(letter);
    }
    if (p.second == static_cast<int64_t>(p.first.size()))
      for (int64_t t = 0; t < extra; ++t)
        labels.push_back(-1 - (numEllipsis - extra + t));
    // A label repeated within a term (a diagonal) counts once per use, so
    // the implicit output sums it, as numpy does.
    for (int64_t label : labels)
      ++counts[label];
    spec.inputs.push_back(labels);
  }

  if (explicitOutput) {
    auto p = parseTerm(rhs);
    if (!p)
      return std::nullopt;
    for (auto [i, letter] : llvm::enumerate(p->first)) {
      if (static_cast<int64_t>(i) == p->second)
        for (int64_t g = 0; g < numEllipsis; ++g)
          spec.output.push_back(-1 - g);
      spec.output.push_back(letter);
    }
    if (p->second == static_cast<int64_t>(p->first.size()))
      for (int64_t g = 0; g < numEllipsis; ++g)
        spec.output.push_back(-1 - g);
  } else {
    for (int64_t g = 0; g < numEllipsis; ++g)
      spec.output.push_back(-1 - g);
    SmallVector<int64_t> once;
    for (auto [label, count] : counts)
      if (label >= 0 && count == 1)
        once.push_back(label);
    llvm::sort(once);
    llvm::append_range(spec.output, once);
  }
  SmallVector<int64_t> sorted(spec.output);
  llvm::sort(sorted);
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    return std::nullopt;
  for (int64_t label : spec.output)
    if (!counts.count(label))
      return std::nullopt;
  return spec;
}

/// Einsum -> one linalg.generic: output labels are parallel loops, the other
/// labels reduction loops; the body multiplies the operands and accumulates.
/// A label repeated in one operand indexes all its dims with the same loop
/// (the diagonal).
struct EinsumLowering : ONNXConversion<onnx_ir::EinsumOp> {
  using ONNXConversion::ONNXConversion;

  LogicalResult
  matchAndRewrite(onnx_ir::EinsumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertResult(op.getOutput());
    ValueRange inputs = adaptor.getInputs();
    if (!type || inputs.empty() || !op.getEquation())
      return matchFailure(rewriter, op, "unsupported operands");
    SmallVector<int64_t> ranks;
    SmallVector<RankedTensorType> types;
    for (Value input : inputs) {
      auto inputType = dyn_cast<RankedTensorType>(input.getType());
      if (!inputType || inputType.getElementType() != type.getElementType())
        return matchFailure(rewriter, op, "unsupported operands");
      types.push_back(inputType);
      ranks.push_back(inputType.getRank());
    }
    if (!isa<IntegerType, FloatType>(type.getElementType()))
      return matchFailure(rewriter, op, "unsupported element type");
    std::optional<EinsumSpec> spec = parseEinsum(*op.getEquation(), ranks);
    if (!spec || static_cast<int64_t>(spec->output.size()) != type.getRank())
      return matchFailure(rewriter, op, "unsupported equation");

    // Loops: output labels, then the summed ones in order of appearance.
    llvm::MapVector<int64_t, int64_t> loopOf;
    for (int64_t label : spec->output)
      loopOf.insert({label, loopOf.size()});
    int64_t numParallel = loopOf.size();
    for (ArrayRef<int64_t> labels : spec->inputs)
      for (int64_t label : labels)
        loopOf.insert({label, loopOf.size()});
    int64_t numLoops = loopOf.size();

    // Per label: whether some operand has an extent other than a static 1
    // (then static-1 extents of that label broadcast).
    DenseMap<int64_t, bool> wide;
    for (auto [labels, inputType] : llvm::zip(spec->inputs, types))
      for (auto [d, label] : llvm::enumerate(labels))
        wide[label] |= !isStaticOne(inputType.getDimSize(d));

    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    MLIRContext *ctx = b.getContext();
    SmallVector<AffineMap> maps;
    for (auto [labels, inputType] : llvm::zip(spec->inputs, types)) {
      SmallVector<AffineExpr> exprs;
      for (auto [d, label] : llvm::enumerate(labels))
        exprs.push_back(isStaticOne(inputType.getDimSize(d)) && wide[label]
                            ? b.getAffineConstantExpr(0)
                            : b.getAffineDimExpr(loopOf[label]));
      maps.push_back(AffineMap::get(numLoops, 0, exprs, ctx));
    }
    SmallVector<OpFoldResult> sizes;
    for (int64_t label : spec->output) {
      OpFoldResult size = b.getIndexAttr(1);
      bool found = false;
      for (auto [i, labels] : llvm::enumerate(spec->inputs)) {
        auto it = llvm::find(labels, label);
        if (it == labels.end())
          continue;
        int64_t d = it - labels.begin();
        int64_t extent = types[i].getDimSize(d);
        if (isStaticOne(extent))
          continue;
        if (!found || !ShapedType::isDynamic(extent))
          size = getSize(b, loc, inputs[i], d);
        found = true;
        if (!ShapedType::isDynamic(extent))
          break;
      }
      sizes.push_back(size);
    }
    SmallVector<AffineExpr> outExprs;
    for (int64_t i = 0; i < numParallel; ++i)
      outExprs.push_back(b.getAffineDimExpr(i));
    maps.push_back(AffineMap::get(numLoops, 0, outExprs, ctx));
    SmallVector<utils::IteratorType> iterators = parallelIterators(numLoops);
    for (int64_t i = numParallel; i < numLoops; ++i)
      iterators[i] = utils::IteratorType::reduction;
    Value acc = createAccumulator(b, loc, sizes,
                                  getAccumulatorType(type.getElementType()));
    Value result =
        linalg::GenericOp::create(b, loc, TypeRange{acc.getType()}, inputs,
                                  ValueRange{acc}, maps, iterators, buildMulAdd)
            .getResult(0);
    result = convertElements(b, loc, result, type.getElementType());
    rewriter.replaceOp(op, castTo(b, loc, result, type));
    return success();
  }
};

} // namespace

void mlir::peft::populateONNXContractionToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<MatMulLowering, GemmLowering, EinsumLowering>(
      converter, patterns.getContext());
}
