//===- ModegptAttention.cpp - MoDeGPT on attention modules ----------------===//
//
// Type III (value-output, whitened SVD) of peft-modegpt; Type II (key-query,
// CR) is not supported yet and fails with an error.
//
// Type III shrinks the head dim of v and o from d to k per key/value head.
// The value path is found by walking forward from v's output through the
// module's head-shape ops (head split Reshape, Transpose, repeat_kv
// Unsqueeze/Expand/Reshape), the context product and the head merge to o's
// input. Its integer shape operands are walked backwards to the module's
// head-dim constants, whose entries d, kvHeads·d and heads·d become k,
// kvHeads·k and heads·k; a constant also used off the value path (by q or k)
// is cloned first. The path's result types are updated the same way and
// checked against the ONNX shape functions. Shapes read at run time from a
// value-path tensor (Shape → Gather → Concat → Expand) follow by themselves,
// but must only feed shapes of the value path: one that reaches a float
// value (a softmax scale computed from the shape of v) is an error.
//
//===----------------------------------------------------------------------===//

#include "ModegptRewrite.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/ONNX/IR/ONNXShapes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/Modegpt.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>

using namespace mlir;
using namespace mlir::peft;
using numerics::Matrix;
using numerics::MatrixRef;

namespace {
int64_t countParameters(LinearLikeOpInterface layer) {
  return layer.getInFeatures() * layer.getOutFeatures() +
         (layer.getBiasOperand() ? layer.getOutFeatures() : 0);
}

bool isIntegerTensor(Value value) {
  auto type = dyn_cast<ShapedType>(value.getType());
  return type && isa<IntegerType, IndexType>(type.getElementType());
}

/// The ops of the value path and the head-dim constants on their shapes.
struct ValuePath {
  /// From v's output to o's input, in program order.
  SmallVector<Operation *> ops;
  /// Head-dim constants that the path's shape operands read.
  SmallVector<Operation *> constants;
  /// The integer ops between those constants and the path.
  llvm::SetVector<Operation *> shapeOps;
};

/// Rewrites the head width entries of shapes: d → k, kv·d → kv·k,
/// heads·d → heads·k.
struct WidthMap {
  int64_t d, k, kvHeads, heads;
  std::optional<int64_t> map(int64_t x) const {
    if (x == d)
      return k;
    if (x == kvHeads * d)
      return kvHeads * k;
    if (x == heads * d)
      return heads * k;
    return std::nullopt;
  }
};

/// Walks the value path of `attention`.
FailureOr<ValuePath> findValuePath(AttentionModule &attention, StringRef pass) {
  LinearLikeOpInterface v = attention.v.linear, o = attention.o;
  llvm::DenseSet<Operation *> candidates(attention.headShapeOps.begin(),
                                         attention.headShapeOps.end());
  candidates.insert(attention.context);
  llvm::SetVector<Operation *> path;
  SmallVector<Value> work{v.getLinearOutput()};
  SmallVector<Operation *> readers;
  while (!work.empty()) {
    Value value = work.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (user == o.getOperation() && value == attention.output)
        continue;
      if (candidates.contains(user)) {
        if (path.insert(user))
          for (Value result : user->getResults())
            work.push_back(result);
        continue;
      }
      if (llvm::all_of(user->getResults(), isIntegerTensor) &&
          user->getNumResults() > 0) {
        readers.push_back(user);
        continue;
      }
      return user->emitError(pass)
             << ": Type III (vo): the value states of " << v.describeLayer()
             << " are read by '" << user->getName()
             << "' off the path to the output projection; cannot rewrite "
                "their head dim safely";
    }
  }
  if (!path.contains(attention.context))
    return attention.context->emitError(pass)
           << ": internal error: the value path of " << v.describeLayer()
           << " misses the context product";

  // Shapes read from value-path tensors may only feed shapes of the path.
  llvm::DenseSet<Operation *> visited;
  while (!readers.empty()) {
    Operation *op = readers.pop_back_val();
    if (!visited.insert(op).second)
      continue;
    for (Value result : op->getResults())
      for (Operation *user : result.getUsers()) {
        if (path.contains(user))
          continue;
        if (user->getNumResults() == 0 ||
            !llvm::all_of(user->getResults(), isIntegerTensor))
          return user->emitError(pass)
                 << ": Type III (vo): the head dim of the value states of "
                 << v.describeLayer() << " reaches '" << user->getName()
                 << "' through a computed shape (e.g. a softmax scale "
                    "computed from the shape of v); cannot rewrite safely";
        readers.push_back(user);
      }
  }

  ValuePath result;
  result.ops.assign(path.begin(), path.end());
  Block *block = v->getBlock();
  for (Operation *op : result.ops)
    if (op->getBlock() != block)
      return op->emitError(pass)
             << ": Type III (vo): the value path of " << v.describeLayer()
             << " leaves the block of its projection";
  llvm::sort(result.ops,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });

  // Backwards from the integer operands of the path to the constants.
  llvm::DenseSet<Operation *> headConstants(attention.headDimConstants.begin(),
                                            attention.headDimConstants.end());
  SmallVector<Value> shapes;
  for (Operation *op : result.ops)
    for (Value operand : op->getOperands())
      if (isIntegerTensor(operand))
        shapes.push_back(operand);
  llvm::DenseSet<Value> seen;
  while (!shapes.empty()) {
    Value value = shapes.pop_back_val();
    if (!seen.insert(value).second)
      continue;
    Operation *def = value.getDefiningOp();
    if (!def || path.contains(def))
      continue;
    if (headConstants.contains(def)) {
      if (!llvm::is_contained(result.constants, def))
        result.constants.push_back(def);
      continue;
    }
    result.shapeOps.insert(def);
    for (Value operand : def->getOperands())
      if (isIntegerTensor(operand))
        shapes.push_back(operand);
  }
  return result;
}

/// Gives `constant` (an onnx constant or initializer of integers) the
/// values `values`, in place.
LogicalResult setIntValues(Operation *constant, ArrayRef<int64_t> values,
                           StringRef pass) {
  auto type = cast<RankedTensorType>(constant->getResult(0).getType());
  auto elementType = dyn_cast<IntegerType>(type.getElementType());
  if (!elementType || type.getNumElements() != int64_t(values.size()))
    return constant->emitError(pass)
           << ": cannot rewrite this head-dim constant";
  SmallVector<APInt> data;
  for (int64_t x : values)
    data.push_back(APInt(elementType.getWidth(), x, /*isSigned=*/true));
  auto attr = DenseIntElementsAttr::get(type, data);
  if (auto c = dyn_cast<onnx_ir::ConstantOp>(constant)) {
    if (c->getAttr("value")) {
      c->setAttr("value", attr);
      return success();
    }
    if (c->getAttr("value_ints")) {
      OpBuilder builder(c);
      c->setAttr("value_ints", builder.getI64ArrayAttr(values));
      return success();
    }
    if (c->getAttr("value_int") && values.size() == 1) {
      OpBuilder builder(c);
      c->setAttr("value_int", builder.getI64IntegerAttr(values[0]));
      return success();
    }
  }
  if (auto init = dyn_cast<onnx_ir::InitializerOp>(constant)) {
    init->setAttr("value", attr);
    return success();
  }
  return constant->emitError(pass)
         << ": cannot rewrite this head-dim constant ('" << constant->getName()
         << "')";
}

/// Rewrites the constants and result types of the value path for head dim
/// `map.k`.
LogicalResult resizeValuePath(ValuePath &path, const WidthMap &map,
                              StringRef pass) {
  llvm::DenseSet<Operation *> owners(path.ops.begin(), path.ops.end());
  owners.insert(path.shapeOps.begin(), path.shapeOps.end());
  for (Operation *constant : path.constants) {
    std::optional<onnx_ir::Shape> values =
        onnx_ir::getConstantIntValues(constant->getResult(0), 16);
    if (!values)
      return constant->emitError(pass)
             << ": cannot read this head-dim constant";
    onnx_ir::Shape mapped = *values;
    for (int64_t &x : mapped)
      if (std::optional<int64_t> to = map.map(x))
        x = *to;
    // A constant shared with q or k: give the value path its own copy.
    Value value = constant->getResult(0);
    bool shared = llvm::any_of(value.getUsers(), [&](Operation *user) {
      return !owners.contains(user);
    });
    Operation *target = constant;
    if (shared) {
      OpBuilder builder(constant);
      target = builder.clone(*constant);
      if (auto init = dyn_cast<onnx_ir::InitializerOp>(target))
        init.setName((init.getName() + ".vo").str());
      value.replaceUsesWithIf(target->getResult(0), [&](OpOperand &use) {
        return owners.contains(use.getOwner());
      });
    }
    if (failed(setIntValues(target, mapped, pass)))
      return failure();
  }
  for (Operation *op : path.ops) {
    for (Value result : op->getResults()) {
      auto type = dyn_cast<RankedTensorType>(result.getType());
      if (!type || type.getRank() == 0 || isIntegerTensor(result) ||
          type.isDynamicDim(type.getRank() - 1))
        continue;
      std::optional<int64_t> last = map.map(type.getShape().back());
      if (!last)
        return op->emitError(pass)
               << ": Type III (vo): cannot follow the value head dim " << map.d
               << " through this op (result " << type << ")";
      SmallVector<int64_t> shape(type.getShape());
      shape.back() = *last;
      result.setType(type.clone(shape));
    }
    // The ONNX shape functions must agree with the new types.
    SmallVector<std::optional<onnx_ir::Shape>> inferred =
        onnx_ir::inferResultShapes(op);
    for (auto [result, shape] : llvm::zip(op->getResults(), inferred)) {
      auto type = dyn_cast<RankedTensorType>(result.getType());
      if (!type || !shape)
        continue;
      if (int64_t(shape->size()) != type.getRank())
        return op->emitError(pass) << ": Type III (vo): internal error: rank";
      for (auto [want, have] : llvm::zip(*shape, type.getShape()))
        if (!ShapedType::isDynamic(want) && !ShapedType::isDynamic(have) &&
            want != have)
          return op->emitError(pass)
                 << ": Type III (vo): after shrinking the head dim to " << map.k
                 << " this op computes a result of another shape "
                 << "than " << type << " (a head-dim shape the rewrite did "
                 << "not find)";
    }
  }
  return success();
}

FailureOr<std::vector<double>> readBias(LinearLikeOpInterface layer) {
  OpOperand *operand = layer.getBiasOperand();
  if (!operand)
    return std::vector<double>();
  return readConstantOperand<double>(
      layer, operand->get(), "the bias of layer " + layer.describeLayer());
}

/// Type III on `attention` at head dim k.
LogicalResult compressValueOutput(AttentionModule &attention, int64_t k,
                                  const CalibrationStats &stats,
                                  const AttentionOptions &options,
                                  AttentionReport &report) {
  StringRef pass = options.pass;
  LinearLikeOpInterface v = attention.v.linear, o = attention.o;
  int64_t d = attention.headDim, kv = attention.numKVHeads,
          heads = attention.numQueryHeads, g = attention.groups;
  if (attention.v.isFused())
    return v->emitError(pass) << ": Type III (vo): a fused qkv projection ("
                              << v.describeLayer() << ") is not supported yet";
  if (v.getOutFeatures() != kv * d || o.getInFeatures() != heads * d)
    return v->emitError(pass)
           << ": Type III (vo): " << v.describeLayer() << " has "
           << v.getOutFeatures() << " outputs and " << o.describeLayer() << " "
           << o.getInFeatures() << " inputs for " << kv << " and " << heads
           << " heads of " << d;
  if (d == kv || d == heads || (kv > 1 && d == heads * kv))
    return v->emitError(pass)
           << ": Type III (vo): the head dim " << d
           << " equals a head count; the shape constants are ambiguous";
  std::optional<StringRef> vPath = v.getModulePath();
  if (!vPath)
    return v->emitError(pass)
           << ": Type III (vo): the value projection needs a module path "
              "(the statistics are keyed by path)";

  FailureOr<Matrix<double>> wv = readLinearWeight(v, pass, /*inOut=*/true);
  FailureOr<Matrix<double>> wo = readLinearWeight(o, pass, /*inOut=*/true);
  if (failed(wv) || failed(wo))
    return failure();
  FailureOr<std::vector<double>> vBias = readBias(v), oBias = readBias(o);
  if (failed(vBias) || failed(oBias))
    return failure();
  if (!vBias->empty() && !o.getBiasOperand())
    return v->emitError(pass)
           << ": Type III (vo): " << v.describeLayer()
           << " has a bias but the output projection " << o.describeLayer()
           << " has none to fold it into";

  int64_t hidden = wv->getRows(), out = wo->getCols();
  auto covariance = stats.getInputCovariance(*vPath, hidden);
  if (!covariance)
    return v->emitError(pass) << ": " << llvm::toString(covariance.takeError());
  if (covariance->tokens < hidden)
    v->emitWarning(pass) << ": " << covariance->tokens
                         << " calibration tokens for the " << hidden
                         << "-wide input of " << *vPath
                         << ": Σ XᵀX is rank-deficient; Type III relies on "
                            "lambda";
  auto root = modegpt::symmetricSqrt(covariance->xtx, options.lambda);
  if (!root)
    return v->emitError(pass)
           << ": " << *vPath << ": " << llvm::toString(root.takeError());

  AttentionReport::Row row;
  row.module = "vo";
  row.dimBefore = d;
  row.dimAfter = k;
  row.paramsBefore = countParameters(v) + countParameters(o);

  Matrix<double> newV(hidden, kv * k), newO(heads * k, out);
  for (int64_t j = 0; j < kv; ++j) {
    Matrix<double> head(hidden, d);
    for (int64_t r = 0; r < hidden; ++r)
      for (int64_t c = 0; c < d; ++c)
        head(r, c) = (*wv)(r, j * d + c);
    std::vector<Matrix<double>> blocks;
    for (int64_t h = j * g; h < (j + 1) * g; ++h) {
      Matrix<double> block(d, out);
      for (int64_t r = 0; r < d; ++r)
        for (int64_t c = 0; c < out; ++c)
          block(r, c) = (*wo)(h * d + r, c);
      blocks.push_back(std::move(block));
    }
    SmallVector<MatrixRef<const double>> refs;
    for (const Matrix<double> &block : blocks)
      refs.push_back(block);
    auto result = modegpt::compressValueOutput(root->sqrt, root->inverseSqrt,
                                               head, refs, k);
    if (!result)
      return v->emitError(pass) << ": " << *vPath << " head " << j << ": "
                                << llvm::toString(result.takeError());
    for (int64_t r = 0; r < hidden; ++r)
      for (int64_t c = 0; c < k; ++c)
        newV(r, j * k + c) = result->value(r, c);
    for (int64_t i = 0; i < g; ++i)
      for (int64_t r = 0; r < k; ++r)
        for (int64_t c = 0; c < out; ++c)
          newO((j * g + i) * k + r, c) = result->outputs[i](r, c);
    row.error += result->error;
    row.total += result->total;
  }

  // v's bias: attention rows sum to 1, so it reaches o's output as
  // b_v (repeated per query head)ᵀ·W_o; fold it into o's bias.
  std::vector<double> newOBias = *oBias;
  if (!vBias->empty())
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t r = 0; r < d; ++r) {
        double b = (*vBias)[(h / g) * d + r];
        for (int64_t c = 0; c < out; ++c)
          newOBias[c] += b * (*wo)(h * d + r, c);
      }

  FailureOr<ValuePath> path = findValuePath(attention, pass);
  if (failed(path))
    return failure();
  std::vector<double> newVBias(vBias->empty() ? 0 : kv * k, 0.0);
  if (failed(replaceOutputFeatures(v, newV, newVBias, pass)) ||
      failed(replaceInputFeatures(o, newO, pass)))
    return failure();
  if (!vBias->empty()) {
    // o keeps its size; only its bias changes.
    OpOperand *operand = o.getBiasOperand();
    Value old = operand->get();
    OpBuilder builder(o);
    std::string name = o.getModulePath() ? o.getModulePath()->str() + ".bias"
                                         : std::string("o.bias");
    if (std::optional<Weight> w = Weight::lookup(old))
      if (!w->getName().empty())
        name = w->getName().str();
    operand->set(createWeight<double>(builder, o->getLoc(), name,
                                      cast<RankedTensorType>(old.getType()),
                                      newOBias));
    eraseWeightIfDead(old);
  }
  if (failed(resizeValuePath(*path, WidthMap{d, k, kv, heads}, pass)))
    return failure();
  row.paramsAfter = countParameters(v) + countParameters(o);
  report.rows.push_back(row);
  return success();
}
} // namespace

LogicalResult mlir::peft::compressAttention(AttentionModule &attention,
                                            double phi,
                                            const CalibrationStats &stats,
                                            const AttentionOptions &options,
                                            AttentionReport &report) {
  LinearLikeOpInterface o = attention.o;
  if (options.keyQuery)
    return o->emitError(options.pass)
           << ": Type II (qk, key-query) is not supported yet; use "
              "types=vo (and mlp)";
  int64_t d = attention.headDim;
  int64_t k = std::clamp<int64_t>(std::llround((1.0 - phi) * double(d)), 1, d);
  if (options.valueOutput)
    return compressValueOutput(attention, k, stats, options, report);
  return success();
}
