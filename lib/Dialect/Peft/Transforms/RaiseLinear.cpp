//===- RaiseLinear.cpp - recognize the linear layers of ONNX graphs -------===//
//
// --peft-raise-linear: MatMul by a constant weight (plus a bias Add), Gemm,
// and either of them between a Reshape to rows and a Reshape back (GPT-2's
// Conv1D) become peft.linear. The module path comes from the exporter's node
// scope, the role from the graph topology (RoleInference.cpp).
//
//===----------------------------------------------------------------------===//

#include "RoleInference.h"

#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/ONNX/IR/ONNXShapes.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/Codecs.h"
#include "peft/Support/Naming.h"
#include "peft/Support/ShapeArithmetic.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTRAISELINEAR
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;
using onnx_ir::Shape;

namespace {

//===----------------------------------------------------------------------===//
// Result types
//===----------------------------------------------------------------------===//

/// Gives the results of onnx ops the types their operands determine, in
/// program order, folding nothing (the rule of onnx-cleanup). The importer
/// leaves everything behind a Reshape to a computed shape unranked, and a
/// peft.linear needs a ranked input.
void refineResultTypes(Operation *root) {
  root->walk([](Operation *op) {
    if (!isa<onnx_ir::ONNXDialect>(op->getDialect()))
      return;
    for (auto [result, shape] :
         llvm::zip_equal(op->getResults(), onnx_ir::inferResultShapes(op))) {
      auto type = dyn_cast<TensorType>(result.getType());
      if (shape && type && onnx_ir::acceptsRefinedType(result))
        result.setType(onnx_ir::refineType(type, *shape));
    }
  });
}

/// Replaces `from` by `to`, which has a type at least as precise: onnx ops
/// take `to` itself, other users a tensor.cast back to the old type.
void replaceRefined(PatternRewriter &rewriter, Value from, Value to) {
  if (from.getType() == to.getType())
    return rewriter.replaceAllUsesWith(from, to);
  Value cast;
  for (OpOperand &use : llvm::make_early_inc_range(from.getUses())) {
    Operation *user = use.getOwner();
    Value replacement = to;
    if (!isa<onnx_ir::ONNXDialect>(user->getDialect()) ||
        user->hasTrait<OpTrait::IsTerminator>()) {
      if (!cast) {
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPointAfterValue(to);
        cast =
            tensor::CastOp::create(rewriter, to.getLoc(), from.getType(), to);
      }
      replacement = cast;
    }
    rewriter.modifyOpInPlace(user, [&] { use.set(replacement); });
  }
}

//===----------------------------------------------------------------------===//
// Shape vectors, symbolically
//===----------------------------------------------------------------------===//

/// One element of a shape vector: dimension `dim` of `source`, or the
/// constant `dim` when `source` is null.
struct DimExpr {
  Value source;
  int64_t dim;
};

/// The elements of a 0-D or 1-D integer value as Shape → Gather/Slice →
/// Unsqueeze → Concat chains compute them; nullopt when some element is
/// neither a constant nor a dimension of a ranked tensor.
std::optional<SmallVector<DimExpr>> traceShapeVector(Value value,
                                                     int depth = 0) {
  constexpr int64_t kMaxElements = 16;
  if (depth > 16)
    return std::nullopt;
  if (auto values = onnx_ir::getConstantIntValues(value, kMaxElements)) {
    SmallVector<DimExpr> result;
    for (int64_t v : *values)
      result.push_back({Value(), v});
    return result;
  }
  Operation *def = value.getDefiningOp();
  if (!def)
    return std::nullopt;
  auto trace = [&](Value operand) {
    return traceShapeVector(operand, depth + 1);
  };
  auto constant = [](Value v) {
    return onnx_ir::getConstantIntValues(v, kMaxElements);
  };

  if (auto shape = dyn_cast<onnx_ir::ShapeOp>(def)) {
    auto type = dyn_cast<RankedTensorType>(shape.getData().getType());
    if (!type)
      return std::nullopt;
    std::optional<int64_t> start, end;
    if (auto s = shape.getStart())
      start = static_cast<int64_t>(*s);
    if (auto e = shape.getEnd())
      end = static_cast<int64_t>(*e);
    auto [begin, stop] = onnx_ir::getShapeOpRange(type.getRank(), start, end);
    SmallVector<DimExpr> result;
    for (int64_t i = begin; i < stop; ++i)
      result.push_back({shape.getData(), i});
    return result;
  }
  // Scalar <-> one-element vector, and casts between integer types.
  if (isa<onnx_ir::CastOp, onnx_ir::IdentityOp, onnx_ir::SqueezeOp,
          onnx_ir::UnsqueezeOp>(def)) {
    auto elements = trace(def->getOperand(0));
    if (!elements || (!isa<onnx_ir::CastOp, onnx_ir::IdentityOp>(def) &&
                      elements->size() != 1))
      return std::nullopt;
    return elements;
  }
  if (auto concat = dyn_cast<onnx_ir::ConcatOp>(def)) {
    if (concat.getAxis() != 0 && concat.getAxis() != -1)
      return std::nullopt;
    SmallVector<DimExpr> result;
    for (Value input : concat.getInputs()) {
      auto elements = trace(input);
      if (!elements)
        return std::nullopt;
      llvm::append_range(result, *elements);
    }
    return result;
  }
  if (auto gather = dyn_cast<onnx_ir::GatherOp>(def)) {
    auto data = trace(gather.getData());
    auto indices = constant(gather.getIndices());
    if (gather.getAxisOrDefault() != 0 || !data || !indices)
      return std::nullopt;
    SmallVector<DimExpr> result;
    int64_t size = data->size();
    for (int64_t index : *indices) {
      if (index < -size || index >= size)
        return std::nullopt;
      result.push_back((*data)[index < 0 ? index + size : index]);
    }
    return result;
  }
  if (auto slice = dyn_cast<onnx_ir::SliceOp>(def)) {
    auto data = trace(slice.getData());
    auto starts = constant(slice.getStarts());
    auto ends = constant(slice.getEnds());
    if (!data || !starts || !ends || starts->size() != 1 || ends->size() != 1)
      return std::nullopt;
    if (!onnx_ir::isNone(slice.getAxes())) {
      auto axes = constant(slice.getAxes());
      if (!axes || axes->size() != 1 || ((*axes)[0] != 0 && (*axes)[0] != -1))
        return std::nullopt;
    }
    int64_t step = 1;
    if (!onnx_ir::isNone(slice.getSteps())) {
      auto steps = constant(slice.getSteps());
      if (!steps || steps->size() != 1)
        return std::nullopt;
      step = (*steps)[0];
    }
    auto range =
        onnx_ir::getSliceRange(data->size(), (*starts)[0], (*ends)[0], step);
    if (!range)
      return std::nullopt;
    SmallVector<DimExpr> result;
    for (int64_t i = 0; i < range->count; ++i)
      result.push_back((*data)[range->start + i * range->step]);
    return result;
  }
  return std::nullopt;
}

bool isConstant(const DimExpr &e, int64_t value) {
  return !e.source && e.dim == value;
}

/// Whether `reshape` turns its input x (last dimension `in`) into the
/// [rows, in] matrix of all its rows.
bool flattensRows(onnx_ir::ReshapeOp reshape, int64_t in) {
  auto type = dyn_cast<RankedTensorType>(reshape.getData().getType());
  auto shape = traceShapeVector(reshape.getShape());
  if (!type || type.getRank() < 2 || !shape || shape->size() != 2 ||
      (!ShapedType::isDynamic(type.getShape().back()) &&
       type.getShape().back() != in))
    return false;
  // Exports write the column count as `in` or as x.size(-1).
  const DimExpr &columns = (*shape)[1];
  if (!isConstant(columns, in) && !(columns.source == reshape.getData() &&
                                    columns.dim == type.getRank() - 1))
    return false;
  if (isConstant((*shape)[0], -1))
    return true;
  int64_t rows = 1;
  for (int64_t dim : type.getShape().drop_back()) {
    if (ShapedType::isDynamic(dim))
      return false;
    rows *= dim;
  }
  return isConstant((*shape)[0], rows);
}

/// Whether `reshape` gives a [rows, out] matrix the leading dimensions of
/// `x` back: its target shape is x.shape[:-1] + [out].
bool restoresRows(onnx_ir::ReshapeOp reshape, Value x, int64_t out) {
  auto type = cast<RankedTensorType>(x.getType());
  auto shape = traceShapeVector(reshape.getShape());
  if (!shape || static_cast<int64_t>(shape->size()) != type.getRank() ||
      !(isConstant(shape->back(), out) || isConstant(shape->back(), -1)))
    return false;
  for (int64_t i = 0, e = type.getRank() - 1; i < e; ++i) {
    const DimExpr &element = (*shape)[i];
    bool sameDim = element.source == x && element.dim == i;
    bool sameSize =
        !element.source && element.dim > 0 && element.dim == type.getDimSize(i);
    if (!sameDim && !sameSize)
      return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Module paths
//===----------------------------------------------------------------------===//

/// The module path of a layer: the node scope of `node` (the importer makes
/// node names NameLocs), else the name of its weight parameter without
/// `.weight`. Exports with constant folding name the weight `onnx::MatMul_N`,
/// so the scope comes first.
std::string modulePath(Operation *node, Value weight) {
  std::string path;
  node->getLoc()->walk([&](Location loc) {
    if (auto name = dyn_cast<NameLoc>(loc))
      path = getModulePathFromNodeName(name.getName().getValue());
    return path.empty() ? WalkResult::advance() : WalkResult::interrupt();
  });
  if (!path.empty())
    return path;
  StringRef parameter = getInitializerName(weight);
  // onnxruntime's quantizers name the integers `<weight>_quantized`.
  parameter.consume_back("_quantized");
  if (parameter.consume_back(".weight") && !parameter.empty())
    return parameter.str();
  return "";
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// The constant contents of `value`: an initializer, arith.constant or
/// onnx.Constant.
ElementsAttr constantOf(Value value) {
  if (ElementsAttr attr = getConstantWeight(value))
    return attr;
  ElementsAttr attr;
  if (value && matchPattern(value, m_Constant(&attr)))
    return attr;
  return {};
}

bool isFloatConstant(Value value, int64_t rank) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.getRank() == rank && type.hasStaticShape() &&
         isa<FloatType>(type.getElementType()) && constantOf(value);
}

/// A linear layer found in the graph, before it becomes a peft.linear.
struct LinearMatch {
  Value input;
  Value weight;
  WeightLayout layout;
  Value bias;                   // null when none
  Value result;                 // what the layer computes
  Operation *node;              // the MatMul or Gemm, whose name gives the path
  SmallVector<Operation *> ops; // every op the layer replaces, node first
  std::string path;             // for new weights' names; set by checkMatch
  /// Set when `weight` is this DequantizeLinear's result (or its transpose).
  onnx_ir::DequantizeLinearOp dq;

  int64_t weightDim(WeightLayout of) {
    return cast<RankedTensorType>(weight.getType())
        .getDimSize(layout == of ? 0 : 1);
  }
  int64_t in() { return weightDim(WeightLayout::in_out); }
  int64_t out() { return weightDim(WeightLayout::out_in); }
};

/// `b` as used in `x · b`: a constant [in, out] matrix, or the constant
/// [out, in] parameter behind a Transpose (exports without constant folding),
/// which is used as it is.
std::optional<std::pair<Value, WeightLayout>> matchWeight(Value b) {
  if (isFloatConstant(b, 2))
    return std::make_pair(b, WeightLayout::in_out);
  auto transpose = b.getDefiningOp<onnx_ir::TransposeOp>();
  if (transpose && isFloatConstant(transpose.getData(), 2) &&
      transpose.getPermOrDefault(2) == ArrayRef<int64_t>{1, 0})
    return std::make_pair(transpose.getData(), WeightLayout::out_in);
  return std::nullopt;
}

/// The constant-weight DequantizeLinear behind `b` as used in `x · b`: its
/// result directly ([in, out]) or through a Transpose ([out, in]).
std::optional<std::pair<onnx_ir::DequantizeLinearOp, WeightLayout>>
matchQuantizedWeight(Value b) {
  WeightLayout layout = WeightLayout::in_out;
  if (auto transpose = b.getDefiningOp<onnx_ir::TransposeOp>();
      transpose && transpose.getPermOrDefault(2) == ArrayRef<int64_t>{1, 0}) {
    b = transpose.getData();
    layout = WeightLayout::out_in;
  }
  auto dq = b.getDefiningOp<onnx_ir::DequantizeLinearOp>();
  auto type = dq ? dyn_cast<RankedTensorType>(b.getType()) : nullptr;
  if (!type || type.getRank() != 2 || !type.hasStaticShape() ||
      !isa<FloatType>(type.getElementType()) || !constantOf(dq.getX()))
    return std::nullopt;
  return std::make_pair(dq, layout);
}

/// A DequantizeLinear'd weight as peft.qlinear parameters ([out, in], the
/// signed grid of docs/quantization.md).
struct QuantizedWeight {
  int64_t bits = 0, groupSize = 0; // groupSize 0: per channel
  std::vector<int8_t> q;           // [out, in]
  std::vector<double> scales;      // [out, groups]
  std::vector<int8_t> zeroPoints;  // [out, groups]; empty: symmetric
};

/// Reads `dq` (constant x, scale, zero point) whose [rows, cols] result is a
/// weight of `layout`, when it maps exactly onto a peft.qlinear: x int8,
/// uint8, int4 or uint4; scales per tensor, per output channel (`axis` the
/// output dimension) or in blocks along the input dimension (`axis` the
/// input dimension, `block_size`); zero points of x's type and the scales'
/// shape. Unsigned values u become u − 2^(b−1), their zero points too.
FailureOr<QuantizedWeight> readQuantizedWeight(onnx_ir::DequantizeLinearOp dq,
                                               WeightLayout layout) {
  auto xType = dyn_cast<RankedTensorType>(dq.getX().getType());
  auto yType = cast<RankedTensorType>(dq.getY().getType());
  auto intType =
      xType ? dyn_cast<IntegerType>(xType.getElementType()) : nullptr;
  if (!intType || intType.isSigned() ||
      (intType.getWidth() != 8 && intType.getWidth() != 4) ||
      xType.getShape() != yType.getShape())
    return failure();
  bool isUnsigned = intType.isUnsigned();
  int64_t bits = intType.getWidth(), offset = isUnsigned ? 1 << (bits - 1) : 0;
  // Dimensions of x: rows, cols; which one is out.
  int64_t outAxis = layout == WeightLayout::in_out ? 1 : 0,
          inAxis = 1 - outAxis;
  int64_t out = xType.getDimSize(outAxis), in = xType.getDimSize(inAxis);

  auto scaleType = dyn_cast<RankedTensorType>(dq.getXScale().getType());
  ElementsAttr scaleAttr = constantOf(dq.getXScale());
  if (!scaleType || !scaleAttr || !scaleType.hasStaticShape() ||
      scaleType.getElementType() != yType.getElementType())
    return failure();
  Value zp = dq.getXZeroPoint();
  bool hasZp = !onnx_ir::isNone(zp);
  ElementsAttr zpAttr = hasZp ? constantOf(zp) : ElementsAttr();
  if (hasZp &&
      (!zpAttr ||
       cast<ShapedType>(zpAttr.getType()).getShape() != scaleType.getShape() ||
       getElementTypeOrSelf(zp) != intType))
    return failure();

  // How x's element (r, c) finds its scale in the scale tensor (row-major).
  int64_t axis = dq.getAxisOrDefault(), block = dq.getBlockSizeOrDefault();
  if (axis < 0)
    axis += 2;
  int64_t numScales = scaleType.getNumElements();
  int64_t groupSize = 0, groups = 1;
  enum class Kind { tensor, channel, blocked } kind;
  if (block == 0 && numScales == 1 && scaleType.getRank() <= 1) {
    kind = Kind::tensor;
  } else if (block == 0 && scaleType.getRank() == 1 && axis == outAxis &&
             numScales == out) {
    kind = Kind::channel;
  } else if (block > 0 && scaleType.getRank() == 2 && axis == inAxis &&
             scaleType.getDimSize(outAxis) == out &&
             scaleType.getDimSize(inAxis) == (in + block - 1) / block) {
    kind = Kind::blocked;
    if (block < in) {
      groupSize = block;
      groups = (in + block - 1) / block;
    }
  } else {
    return failure();
  }
  auto scaleIndex = [&](int64_t o, int64_t i) -> int64_t {
    switch (kind) {
    case Kind::tensor:
      return 0;
    case Kind::channel:
      return o;
    case Kind::blocked:
      int64_t kb = i / block, kBlocks = (in + block - 1) / block;
      return outAxis == 1 ? kb * out + o : o * kBlocks + kb;
    }
    llvm_unreachable("kind");
  };

  std::optional<Weight> xWeight = Weight::fromAttr(constantOf(dq.getX()));
  FailureOr<std::vector<double>> x = xWeight ? xWeight->readValues<double>()
                                             : FailureOr<std::vector<double>>();
  FailureOr<std::vector<double>> scales =
      Weight::fromAttr(scaleAttr)->readValues<double>();
  FailureOr<std::vector<double>> zps =
      hasZp ? Weight::fromAttr(zpAttr)->readValues<double>()
            : FailureOr<std::vector<double>>(std::vector<double>(numScales));
  if (!xWeight || failed(x) || failed(scales) || failed(zps))
    return failure();

  QuantizedWeight result;
  result.bits = bits;
  result.groupSize = groupSize;
  result.q.resize(size_t(out * in));
  result.scales.resize(size_t(out * groups));
  std::vector<int8_t> zeroPoints(size_t(out * groups));
  bool symmetric = true;
  int64_t span = groupSize ? groupSize : in;
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t i = 0; i < in; ++i) {
      int64_t flat = outAxis == 1 ? i * out + o : o * in + i;
      result.q[o * in + i] = int8_t(int64_t((*x)[flat]) - offset);
    }
    for (int64_t g = 0; g < groups; ++g) {
      int64_t index = scaleIndex(o, g * span);
      int64_t z = int64_t((*zps)[index]) - offset;
      result.scales[o * groups + g] = (*scales)[index];
      zeroPoints[o * groups + g] = int8_t(z);
      symmetric &= z == 0;
    }
  }
  if (!symmetric)
    result.zeroPoints = std::move(zeroPoints);
  return result;
}

/// Extends `match` to the rows around it: Reshape(x) to [rows, in] →
/// product → Reshape to x.shape[:-1] + [out] is the layer on x (GPT-2's
/// Conv1D exports as Reshape → Gemm → Reshape).
void matchRows(LinearMatch &match) {
  auto flatten = match.input.getDefiningOp<onnx_ir::ReshapeOp>();
  if (!flatten || !match.result.hasOneUse())
    return;
  auto restore = dyn_cast<onnx_ir::ReshapeOp>(*match.result.user_begin());
  if (!restore || !flattensRows(flatten, match.in()) ||
      !restoresRows(restore, flatten.getData(), match.out()))
    return;
  match.input = flatten.getData();
  match.result = restore.getReshaped();
  match.ops.push_back(restore);
  match.ops.push_back(flatten);
}

/// Whether `match` makes a valid peft.linear.
LogicalResult checkMatch(PatternRewriter &rewriter, LinearMatch &match) {
  auto inputType = dyn_cast<RankedTensorType>(match.input.getType());
  if (!inputType || inputType.getRank() < 1)
    return rewriter.notifyMatchFailure(match.node, "input is not ranked");
  Type elementType = inputType.getElementType();
  if (!isa<FloatType>(elementType) ||
      getElementTypeOrSelf(match.weight) != elementType ||
      (match.bias && getElementTypeOrSelf(match.bias) != elementType))
    return rewriter.notifyMatchFailure(match.node, "element types differ");
  int64_t features = inputType.getShape().back();
  if (!ShapedType::isDynamic(features) && features != match.in())
    return rewriter.notifyMatchFailure(match.node, "input features differ");
  match.path =
      modulePath(match.node, match.dq ? match.dq.getX() : match.weight);
  return success();
}

/// The peft.qlinear of `match` with the integers and scales of `w`.
Value createQLinear(PatternRewriter &rewriter, Location loc,
                    RankedTensorType resultType, const LinearMatch &match,
                    const QuantizedWeight &w) {
  MLIRContext *ctx = rewriter.getContext();
  auto weightType = cast<RankedTensorType>(match.weight.getType());
  int64_t out =
      weightType.getDimSize(match.layout == WeightLayout::out_in ? 0 : 1);
  int64_t in =
      weightType.getDimSize(match.layout == WeightLayout::out_in ? 1 : 0);
  int64_t groups = int64_t(w.scales.size()) / out;
  std::string stem = match.path.empty() ? "qdq" : match.path;
  auto intType = IntegerType::get(ctx, unsigned(w.bits));
  Value weight =
      createIntegerWeight(rewriter, loc, stem + ".qweight",
                          RankedTensorType::get({out, in}, intType), w.q);
  Value scales = createWeight<double>(
      rewriter, loc, stem + ".scales",
      RankedTensorType::get({out, groups}, weightType.getElementType()),
      w.scales);
  Value zeroPoints;
  if (!w.zeroPoints.empty())
    zeroPoints = createIntegerWeight(
        rewriter, loc, stem + ".zero_points",
        RankedTensorType::get({out, groups}, intType), w.zeroPoints);
  return QLinearOp::create(
      rewriter, loc, resultType, match.input, weight, scales, zeroPoints,
      match.bias,
      w.groupSize ? rewriter.getI64IntegerAttr(w.groupSize) : IntegerAttr(),
      LinearRoleAttr::get(ctx, LinearRole::other),
      match.path.empty() ? StringAttr() : rewriter.getStringAttr(match.path));
}

/// Creates the peft.linear (or, with `quantized`, the peft.qlinear) of a
/// checked `match` (role `other` until roles are inferred) and erases the ops
/// it replaces.
void raise(PatternRewriter &rewriter, LinearMatch &match,
           const QuantizedWeight *quantized = nullptr) {
  auto inputType = cast<RankedTensorType>(match.input.getType());
  Shape shape(inputType.getShape());
  shape.back() = match.out();
  // The graph may know dimensions that the input type does not.
  auto declared = dyn_cast<RankedTensorType>(match.result.getType());
  if (declared && declared.getRank() == inputType.getRank())
    for (auto [dim, known] : llvm::zip_equal(shape, declared.getShape()))
      if (ShapedType::isDynamic(dim))
        dim = known;
  auto resultType = RankedTensorType::get(shape, inputType.getElementType());

  SmallVector<Location> locs = llvm::map_to_vector(
      match.ops, [](Operation *op) { return op->getLoc(); });
  rewriter.setInsertionPointAfter(match.result.getDefiningOp());
  Location loc = rewriter.getFusedLoc(locs);
  StringAttr path =
      match.path.empty() ? StringAttr() : rewriter.getStringAttr(match.path);
  Value result;
  if (quantized) {
    result = createQLinear(rewriter, loc, resultType, match, *quantized);
  } else {
    result =
        LinearOp::create(rewriter, loc, resultType, match.input, match.weight,
                         match.bias, match.layout, LinearRole::other, path);
  }
  replaceRefined(rewriter, match.result, result);
  // Producers before consumers in `ops`: erase from the back once unused.
  SmallVector<Operation *> order(match.ops);
  llvm::sort(order,
             [](Operation *a, Operation *b) { return b->isBeforeInBlock(a); });
  for (Operation *op : order)
    if (op->use_empty())
      rewriter.eraseOp(op);
  if (match.dq && match.dq->use_empty()) {
    SmallVector<Value> params(match.dq->getOperands());
    rewriter.eraseOp(match.dq);
    for (Value v : params)
      if (Operation *def = v.getDefiningOp();
          def && def->use_empty() &&
          (isa<onnx_ir::InitializerOp>(def) ||
           def->hasTrait<OpTrait::ConstantLike>()))
        rewriter.eraseOp(def);
  }
}

/// Records the DequantizeLinear `dq` behind the weight operand `b` of
/// `match` (and the Transpose between them) as replaced by the layer. The
/// weight's name for the module path is the integer initializer's.
void addQuantizedWeight(LinearMatch &match, onnx_ir::DequantizeLinearOp dq,
                        Value b) {
  match.dq = dq;
  if (b != dq.getY())
    match.ops.push_back(b.getDefiningOp());
}

/// MatMul(x, W) with a constant 2-D W, plus an Add of a constant bias
/// vector. W may be a DequantizeLinear of constant integers (QDQ), which
/// becomes a peft.qlinear.
struct RaiseMatMul : public OpRewritePattern<onnx_ir::MatMulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx_ir::MatMulOp op,
                                PatternRewriter &rewriter) const override {
    auto weight = matchWeight(op.getB());
    auto quantized = weight ? std::nullopt : matchQuantizedWeight(op.getB());
    if (quantized)
      weight = std::make_pair(quantized->first.getY(), quantized->second);
    if (!weight)
      return rewriter.notifyMatchFailure(op, "B is not a constant matrix");
    LinearMatch match{op.getA(),
                      weight->first,
                      weight->second,
                      Value(),
                      op.getY(),
                      op,
                      {op},
                      "",
                      {}};
    if (quantized)
      addQuantizedWeight(match, quantized->first, op.getB());
    if (op->hasOneUse())
      if (auto add = dyn_cast<onnx_ir::AddOp>(*op->user_begin())) {
        Value bias = add.getA() == op.getY() ? add.getB() : add.getA();
        auto type = dyn_cast<RankedTensorType>(bias.getType());
        if (bias != op.getY() && isFloatConstant(bias, 1) &&
            type.getDimSize(0) == match.out()) {
          match.bias = bias;
          match.result = add.getC();
          match.ops.push_back(add);
        }
      }
    matchRows(match);
    if (failed(checkMatch(rewriter, match)))
      return failure();
    if (!match.dq) {
      raise(rewriter, match);
      return success();
    }
    FailureOr<QuantizedWeight> q = readQuantizedWeight(match.dq, match.layout);
    if (failed(q))
      return rewriter.notifyMatchFailure(
          op, "the DequantizeLinear has no exact peft.qlinear form");
    raise(rewriter, match, &*q);
    return success();
  }
};

/// The values of the constant `c` broadcast to a vector of `out` elements,
/// when `c` is a bias of a [rows, out] product (shape [], [1], [out],
/// [1, 1] or [1, out]).
FailureOr<std::vector<double>> readBias(Value c, int64_t out) {
  auto type = dyn_cast<RankedTensorType>(c.getType());
  ElementsAttr attr = constantOf(c);
  if (!type || !attr || type.getRank() > 2 ||
      (type.getRank() == 2 && type.getDimSize(0) != 1) ||
      (type.getNumElements() != 1 && type.getNumElements() != out) ||
      !isSupportedWeightElementType(type.getElementType()))
    return failure();
  // In double: alpha·w and beta·c round once to the weight's type, and f64
  // weights stay exact.
  FailureOr<std::vector<double>> values =
      Weight::fromAttr(attr)->readValues<double>();
  if (failed(values))
    return failure();
  if (values->size() == 1)
    values->assign(out, values->front());
  return values;
}

/// Gemm(x, B, C) with transA = 0: alpha and beta are folded into new weight
/// and bias blobs when they are not 1.
struct RaiseGemm : public OpRewritePattern<onnx_ir::GemmOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx_ir::GemmOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getTransAOrDefault() != 0)
      return rewriter.notifyMatchFailure(op, "A is transposed");
    auto weight = matchWeight(op.getB());
    auto quantized = weight ? std::nullopt : matchQuantizedWeight(op.getB());
    if (quantized)
      weight = std::make_pair(quantized->first.getY(), quantized->second);
    if (!weight)
      return rewriter.notifyMatchFailure(op, "B is not a constant matrix");
    WeightLayout layout = weight->second;
    if (op.getTransBOrDefault() != 0)
      layout = layout == WeightLayout::in_out ? WeightLayout::out_in
                                              : WeightLayout::in_out;
    LinearMatch match{op.getA(), weight->first, layout, Value(), op.getY(),
                      op,        {op},          "",     {}};
    if (quantized)
      addQuantizedWeight(match, quantized->first, op.getB());
    matchRows(match);
    if (failed(checkMatch(rewriter, match)))
      return failure();
    FailureOr<QuantizedWeight> q = failure();
    if (match.dq) {
      if (op.getAlphaOrDefault() != 1.0f)
        return rewriter.notifyMatchFailure(op, "alpha on a quantized weight");
      q = readQuantizedWeight(match.dq, match.layout);
      if (failed(q))
        return rewriter.notifyMatchFailure(
            op, "the DequantizeLinear has no exact peft.qlinear form");
    }

    // Read everything before creating anything.
    float alpha = op.getAlphaOrDefault(), beta = op.getBetaOrDefault();
    Value c = op.getC();
    bool hasBias = !onnx_ir::isNone(c);
    auto biasType = dyn_cast<RankedTensorType>(c.getType());
    bool keepBias = hasBias && beta == 1.0f && biasType &&
                    biasType.getShape() == ArrayRef<int64_t>{match.out()} &&
                    constantOf(c);
    FailureOr<std::vector<double>> biasValues;
    if (hasBias && !keepBias) {
      biasValues = readBias(c, match.out());
      if (failed(biasValues))
        return rewriter.notifyMatchFailure(op, "C is not a constant bias");
    }
    FailureOr<std::vector<double>> weightValues;
    if (alpha != 1.0f) {
      std::optional<Weight> weight = Weight::fromAttr(constantOf(match.weight));
      if (weight && isSupportedWeightElementType(weight->getElementType()))
        weightValues = weight->readValues<double>();
      else
        weightValues = failure();
      if (failed(weightValues))
        return rewriter.notifyMatchFailure(op, "unreadable weight");
    }

    rewriter.setInsertionPoint(op);
    std::string name = match.path.empty() ? "gemm" : match.path;
    if (alpha != 1.0f) {
      for (double &v : *weightValues)
        v *= alpha;
      match.weight = createWeight<double>(
          rewriter, op.getLoc(), name + ".weight",
          cast<RankedTensorType>(match.weight.getType()), *weightValues);
    }
    if (keepBias) {
      match.bias = c;
    } else if (hasBias) {
      for (double &v : *biasValues)
        v *= beta;
      auto type = RankedTensorType::get({match.out()},
                                        getElementTypeOrSelf(match.weight));
      match.bias = createWeight<double>(rewriter, op.getLoc(), name + ".bias",
                                        type, *biasValues);
    }
    raise(rewriter, match, match.dq ? &*q : nullptr);
    return success();
  }
};

/// The raw bytes of the uint8 constant `value` holding `count` bytes.
FailureOr<std::vector<uint8_t>> readBytes(Value value, int64_t count) {
  ElementsAttr attr = constantOf(value);
  if (!attr)
    return failure();
  std::optional<Weight> weight = Weight::fromAttr(attr);
  if (!weight || !weight->getElementType().isInteger(8) ||
      weight->getType().getNumElements() != count)
    return failure();
  if (FailureOr<ArrayRef<char>> raw = weight->getRawBytes(); succeeded(raw))
    return std::vector<uint8_t>(raw->begin(), raw->end());
  FailureOr<std::vector<double>> values = weight->readValues<double>();
  if (failed(values))
    return failure();
  std::vector<uint8_t> bytes(values->size());
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = uint8_t(int64_t((*values)[i]));
  return bytes;
}

/// com.microsoft MatMulNBits with constant B, scales and (uint8) zero
/// points: a peft.qlinear with groups of block_size (REFERENCE §5; the
/// inverse of the export in ONNXExportQuantized.cpp). Unsigned values
/// q + 2^(b−1) become the signed grid; a default or all-2^(b−1) zero point
/// is a symmetric grid.
struct RaiseMatMulNBits : public OpRewritePattern<onnx_ir::MatMulNBitsOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx_ir::MatMulNBitsOp op,
                                PatternRewriter &rewriter) const override {
    auto aType = dyn_cast<RankedTensorType>(op.getA().getType());
    if (!aType || aType.getRank() < 1 ||
        !isa<FloatType>(aType.getElementType()))
      return rewriter.notifyMatchFailure(op, "A is not a ranked float tensor");
    if (!op.getKAttr() || !op.getNAttr() || !op.getBlockSizeAttr() ||
        !onnx_ir::isNone(op.getGIdx()))
      return rewriter.notifyMatchFailure(op, "missing K/N/block_size or g_idx");
    int64_t k = op.getKAttr().getInt(), n = op.getNAttr().getInt(),
            bits = op.getBitsOrDefault(),
            block = op.getBlockSizeAttr().getInt();
    if ((bits != 2 && bits != 4 && bits != 8) || block < 16 ||
        (block & (block - 1)) || k < 1 || n < 1 ||
        !areCompatibleDims(aType.getShape().back(), k))
      return rewriter.notifyMatchFailure(op, "unsupported bits or shapes");
    int64_t kBlocks = (k + block - 1) / block, blob = block * bits / 8;
    int64_t offset = int64_t(1) << (bits - 1);
    FailureOr<std::vector<uint8_t>> packed =
        readBytes(op.getB(), n * kBlocks * blob);
    ElementsAttr scalesAttr = constantOf(op.getScales());
    std::optional<Weight> scalesWeight =
        scalesAttr ? Weight::fromAttr(scalesAttr) : std::nullopt;
    if (failed(packed) || !scalesWeight ||
        scalesWeight->getType().getNumElements() != n * kBlocks)
      return rewriter.notifyMatchFailure(op, "B or scales not constant");
    FailureOr<std::vector<double>> scales = scalesWeight->readValues<double>();
    if (failed(scales))
      return rewriter.notifyMatchFailure(op, "unreadable scales");
    int64_t zpRowBytes =
        int64_t(codecs::packedBytes(size_t(kBlocks), int(bits)));
    std::vector<int8_t> zeroPoints;
    bool asymmetric = false;
    Value zp = op.getZeroPoints();
    if (!onnx_ir::isNone(zp)) {
      FailureOr<std::vector<uint8_t>> zpBytes = readBytes(zp, n * zpRowBytes);
      if (failed(zpBytes))
        return rewriter.notifyMatchFailure(
            op, "zero points are not constant packed uint8");
      zeroPoints.resize(size_t(n * kBlocks));
      for (int64_t row = 0; row < n; ++row)
        for (int64_t kb = 0; kb < kBlocks; ++kb) {
          int64_t u = codecs::getPacked(&(*zpBytes)[size_t(row * zpRowBytes)],
                                        size_t(kBlocks), size_t(kb), int(bits),
                                        /*isSigned=*/false);
          zeroPoints[row * kBlocks + kb] = int8_t(u - offset);
          asymmetric |= u != offset;
        }
    }
    Value bias = op.getBias();
    Value result = op.getY();
    SmallVector<Operation *> replaced = {op};
    // onnxruntime's quantizer leaves a layer's bias as an Add after the
    // MatMulNBits: it becomes the qlinear's bias, as for MatMul + Add.
    if (onnx_ir::isNone(bias) && op->hasOneUse())
      if (auto add = dyn_cast<onnx_ir::AddOp>(*op->user_begin())) {
        Value other = add.getA() == op.getY() ? add.getB() : add.getA();
        auto type = dyn_cast<RankedTensorType>(other.getType());
        if (other != op.getY() && isFloatConstant(other, 1) &&
            type.getDimSize(0) == n &&
            type.getElementType() == aType.getElementType()) {
          bias = other;
          result = add.getC();
          replaced.push_back(add);
        }
      }
    if (!onnx_ir::isNone(bias)) {
      auto biasType = dyn_cast<RankedTensorType>(bias.getType());
      if (!biasType || biasType.getRank() != 1 ||
          biasType.getElementType() != aType.getElementType() ||
          !areCompatibleDims(biasType.getDimSize(0), n))
        return rewriter.notifyMatchFailure(op, "unsupported bias");
    } else {
      bias = Value();
    }

    std::vector<int8_t> q(size_t(n * k));
    for (int64_t row = 0; row < n; ++row)
      for (int64_t col = 0; col < k; ++col) {
        int64_t kb = col / block;
        const uint8_t *blockBytes =
            &(*packed)[size_t((row * kBlocks + kb) * blob)];
        int64_t u = codecs::getPacked(blockBytes, size_t(block),
                                      size_t(col % block), int(bits),
                                      /*isSigned=*/false);
        q[row * k + col] = int8_t(u - offset);
      }

    std::string path = modulePath(op, op.getB());
    std::string stem = path.empty() ? "matmulnbits" : path;
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    MLIRContext *ctx = rewriter.getContext();
    auto intType = IntegerType::get(ctx, unsigned(bits));
    Value weight =
        createIntegerWeight(rewriter, loc, stem + ".qweight",
                            RankedTensorType::get({n, k}, intType), q);
    Value scalesValue = createWeight<double>(
        rewriter, loc, stem + ".scales",
        RankedTensorType::get({n, kBlocks}, aType.getElementType()), *scales);
    Value zpValue;
    if (asymmetric)
      zpValue = createIntegerWeight(
          rewriter, loc, stem + ".zero_points",
          RankedTensorType::get({n, kBlocks}, intType), zeroPoints);
    Shape shape(aType.getShape());
    shape.back() = n;
    auto resultType = RankedTensorType::get(shape, aType.getElementType());
    auto qlinear = QLinearOp::create(
        rewriter, loc, resultType, op.getA(), weight, scalesValue, zpValue,
        bias, rewriter.getI64IntegerAttr(block),
        LinearRoleAttr::get(ctx, LinearRole::other),
        path.empty() ? StringAttr() : rewriter.getStringAttr(path));
    SmallVector<Value> inputs = {op.getB(), op.getScales(), zp};
    replaceRefined(rewriter, result, qlinear.getResult());
    for (Operation *dead : llvm::reverse(replaced))
      rewriter.eraseOp(dead);
    for (Value v : inputs)
      if (Operation *def = v.getDefiningOp();
          def && def->use_empty() && isa<onnx_ir::InitializerOp>(def))
        rewriter.eraseOp(def);
    return success();
  }
};

void populateRaiseLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseMatMul, RaiseGemm, RaiseMatMulNBits>(patterns.getContext());
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct PeftRaiseLinearPass
    : public peft::impl::PeftRaiseLinearBase<PeftRaiseLinearPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // onnxruntime's fused ops hide projections (Attention's q/k/v), the
    // activations (BiasGelu, FastGelu) and residual additions (Skip*Norm)
    // that roles are inferred from: they must be expanded first.
    WalkResult fused = func.walk([](Operation *op) {
      if (!isa<onnx_ir::MSAttentionOp, onnx_ir::EmbedLayerNormalizationOp,
               onnx_ir::SkipLayerNormalizationOp,
               onnx_ir::SkipSimplifiedLayerNormalizationOp,
               onnx_ir::SimplifiedLayerNormalizationOp, onnx_ir::BiasGeluOp,
               onnx_ir::FastGeluOp, onnx_ir::MSRotaryEmbeddingOp>(op))
        return WalkResult::advance();
      op->emitError("peft-raise-linear: ")
          << op->getName()
          << " hides the layers and roles it infers; run "
             "onnx-decompose-contrib-ops first";
      return WalkResult::interrupt();
    });
    if (fused.wasInterrupted())
      return signalPassFailure();
    refineResultTypes(func);
    llvm::DenseSet<Operation *> existing;
    func.walk([&](LinearLikeOpInterface op) { existing.insert(op); });

    RewritePatternSet patterns(&getContext());
    populateRaiseLinearPatterns(patterns);
    // Shape arithmetic stays as it is: folding is onnx-cleanup's business.
    GreedyRewriteConfig config;
    config.enableFolding(false)
        .enableConstantCSE(false)
        .setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(func, std::move(patterns), config))) {
      func.emitError("peft-raise-linear: rewriting did not converge");
      return signalPassFailure();
    }

    // Layers that were peft.linear already keep their roles.
    for (auto [op, role] : inferLinearRoles(func))
      if (!existing.contains(op))
        cast<LinearLikeOpInterface>(op).setLinearRole(role);
  }
};

} // namespace
