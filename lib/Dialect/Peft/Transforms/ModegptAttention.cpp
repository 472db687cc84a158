//===- ModegptAttention.cpp - MoDeGPT on attention modules ----------------===//
//
// Type II (key-query, CR) and Type III (value-output, whitened SVD) of
// peft-modegpt.
//
// Both types resize a head path (findHeadPath / resizeHeadPath): the ops
// from a projection's output through the module's head-shape ops (head split
// Reshape, Transpose, repeat_kv Unsqueeze/Expand/Reshape, rotary embedding,
// scales) to the product that consumes the states. Its integer shape operands
// are walked backwards to the module's head-dim constants, whose entries d,
// kvHeads·d and heads·d become k, kvHeads·k and heads·k; a constant also used
// off the path is cloned first. The path's result types are updated the same
// way and checked against the ONNX shape functions (shape inference first).
// Shapes read at run time from a path tensor (Shape → Gather → Concat →
// Expand) follow by themselves but must only feed shapes of the path; reads
// of dims other than the head dim (a causal mask sliced by the sequence
// length) are allowed, and a head dim that reaches a float value other than
// a softmax scale factor is an error. Softmax scale factors computed from
// shapes are pinned to constants of their value first.
//
// Type III shrinks the head dim of v and o from d to k per key/value head:
// the value path runs from v's output through the context product and the
// head merge to o's input.
//
// Type II shrinks the head dim of q and k to k per key/value group (the same
// dims for the group's query heads). The query and key paths run from q's
// and k's outputs to the score product. With rotate_half the kept dims are
// pairs (i, i + d/2), ordered so that they are again pairs (j, j + k/2);
// rotate_half's split points follow (computed from the shape, or constants
// d/2 → k/2), and the cos/sin tables, shared by every head, become per-head
// tables: MatMul(table, S) with a one-hot S [heads, d, k]. The softmax scale
// is untouched (1/√d of the original d).
//
// A fused qkv linear (GPT-2's c_attn) keeps its other parts' columns; the
// one Split, or the one Slice per part, that cuts it apart gets the new part
// widths (FusedParts).
//
//===----------------------------------------------------------------------===//

#include "ModegptRewrite.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/ONNX/IR/ONNXShapes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/Modegpt.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
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

/// The parameters of the output features `p` takes from its linear.
int64_t countParameters(const Projection &p) {
  LinearLikeOpInterface layer = p.linear;
  int64_t width = p.end - p.begin;
  return layer.getInFeatures() * width + (layer.getBiasOperand() ? width : 0);
}

/// Erases the pure ops that computed `value` once nothing reads them.
void eraseDeadChain(Value value) {
  SmallVector<Operation *> work;
  if (Operation *def = value.getDefiningOp())
    work.push_back(def);
  llvm::DenseSet<Operation *> erased;
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (erased.contains(op) || !op->use_empty() || !isMemoryEffectFree(op))
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        work.push_back(def);
    erased.insert(op);
    op->erase();
  }
}

/// Replaces each scalar factor of the softmax scale that is computed at run
/// time (e.g. √ of the last dim of Shape(v) in GPT-2's export) by a constant
/// of its present value, so that shrinking a head dim keeps the scale at
/// 1/√d of the original d.
void pinScaleFactors(AttentionModule &attention) {
  for (Operation *op : attention.scaleOps) {
    if (!isa<onnx_ir::MulOp, onnx_ir::DivOp>(op))
      continue;
    for (OpOperand &operand : op->getOpOperands()) {
      Value value = operand.get();
      auto type = dyn_cast<RankedTensorType>(value.getType());
      if (!type || !type.hasStaticShape() || type.getNumElements() != 1 ||
          !isa<FloatType>(type.getElementType()) ||
          matchPattern(value, m_Constant()))
        continue;
      std::optional<double> factor = evaluateScalar(value);
      if (!factor)
        continue;
      OpBuilder builder(op);
      auto attr = DenseElementsAttr::get(
          type, builder.getFloatAttr(type.getElementType(), *factor));
      Value constant = arith::ConstantOp::create(builder, op->getLoc(), attr);
      operand.set(constant);
      eraseDeadChain(value);
    }
  }
}

/// How a fused projection's output (GPT-2's c_attn) is cut into its parts
/// on the last axis: by one Split, or by one Slice per part (steps 1). A
/// projection is one of the parts.
struct FusedParts {
  /// The fused linear's output.
  Value source;
  onnx_ir::SplitOp split;
  /// Without a Split: the Slices, one per part.
  SmallVector<onnx_ir::SliceOp> slices;
  /// The parts' column ranges [begin, end) in `source`.
  SmallVector<std::pair<int64_t, int64_t>> ranges;
  /// The projection's part.
  unsigned index = 0;

  Value part() const {
    if (split)
      return split->getResult(index);
    onnx_ir::SliceOp slice = slices[index];
    return slice.getResult();
  }
  SmallVector<int64_t> widths() const {
    return llvm::map_to_vector(
        ranges, [](auto range) { return range.second - range.first; });
  }
};

/// The ranges of `parts` after each part takes the width `widths[i]`: a part
/// moves by the change of the parts before it.
SmallVector<std::pair<int64_t, int64_t>>
resizedRanges(const FusedParts &parts, ArrayRef<int64_t> widths) {
  SmallVector<std::pair<int64_t, int64_t>> result;
  for (auto [begin, end] : parts.ranges) {
    int64_t shift = 0;
    for (auto [i, other] : llvm::enumerate(parts.ranges))
      if (other.second <= begin)
        shift += widths[i] - (other.second - other.first);
    result.push_back({begin + shift, begin + shift + widths[result.size()]});
  }
  return result;
}

FailureOr<FusedParts> findFusedParts(const Projection &p, StringRef type,
                                     StringRef pass) {
  LinearLikeOpInterface layer = p.linear;
  Value output = layer.getLinearOutput();
  auto fail = [&](const Twine &why) {
    return layer->emitError(pass)
           << ": " << type << ": the fused projection " << layer.describeLayer()
           << " [" << p.begin << ", " << p.end << ") " << why;
  };
  auto inputType = dyn_cast<RankedTensorType>(output.getType());
  if (!inputType || inputType.isDynamicDim(inputType.getRank() - 1))
    return fail("has an output of unknown width");
  int64_t rank = inputType.getRank();
  FusedParts result;
  result.source = output;
  bool found = false;
  auto addPart = [&](int64_t begin, int64_t end) {
    if (begin == p.begin && end == p.end) {
      result.index = result.ranges.size();
      found = true;
    }
    result.ranges.push_back({begin, end});
  };
  if (output.hasOneUse() && isa<onnx_ir::SplitOp>(*output.getUsers().begin())) {
    result.split = cast<onnx_ir::SplitOp>(*output.getUsers().begin());
    int64_t axis = result.split.getAxisOrDefault();
    if (axis != -1 && axis != rank - 1)
      return fail("is split on another axis than the last");
    int64_t offset = 0;
    for (Value part : result.split.getOutputs()) {
      auto partType = dyn_cast<RankedTensorType>(part.getType());
      if (!partType || partType.isDynamicDim(partType.getRank() - 1))
        return fail("is split into parts of unknown width");
      addPart(offset, offset + partType.getShape().back());
      offset += partType.getShape().back();
    }
  } else {
    for (Operation *user : output.getUsers()) {
      auto slice = dyn_cast<onnx_ir::SliceOp>(user);
      std::optional<std::pair<int64_t, int64_t>> range;
      if (slice && slice.getData() == output)
        range = getLastAxisSliceRange(slice);
      if (!range)
        return fail("is read by '" + user->getName().getStringRef() +
                    "', not only by one Split or by Slices of its last axis "
                    "with constant starts and ends and step 1");
      result.slices.push_back(slice);
      addPart(range->first, range->second);
    }
    for (auto [i, a] : llvm::enumerate(result.ranges))
      for (auto b : ArrayRef(result.ranges).drop_front(i + 1))
        if (a.first < b.second && b.first < a.second)
          return fail("is cut into overlapping Slices");
  }
  if (!found)
    return fail("is not one part of its Split or Slices");
  return result;
}

/// Gives the parts of `parts` the widths `widths`: a new `split` input (or
/// attribute, before opset 13) or new Slice starts and ends, and new result
/// types.
void resizeParts(const FusedParts &parts, ArrayRef<int64_t> widths) {
  auto narrow = [](Value part, int64_t size) {
    auto type = cast<RankedTensorType>(part.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape.back() = size;
    part.setType(type.clone(shape));
  };
  if (onnx_ir::SplitOp split = parts.split) {
    for (auto [part, size] : llvm::zip(split.getOutputs(), widths))
      narrow(part, size);
    OpBuilder builder(split);
    if (split.getSplitAttr()) {
      split.setSplitAttr(builder.getDenseI64ArrayAttr(widths));
      return;
    }
    auto type =
        RankedTensorType::get({int64_t(widths.size())}, builder.getI64Type());
    Value constant = arith::ConstantOp::create(
        builder, split.getLoc(), DenseIntElementsAttr::get(type, widths));
    Value old = split.getSplitInput();
    split->setOperand(1, constant);
    split.removeNumOutputsAttr();
    eraseDeadChain(old);
    return;
  }
  SmallVector<std::pair<int64_t, int64_t>> ranges =
      resizedRanges(parts, widths);
  for (auto [i, range] : llvm::enumerate(ranges)) {
    onnx_ir::SliceOp slice = parts.slices[i];
    int64_t width = widths[i];
    narrow(slice.getResult(), width);
    OpBuilder builder(slice);
    for (auto [operand, value] :
         {std::make_pair(&slice.getStartsMutable(), range.first),
          std::make_pair(&slice.getEndsMutable(), range.second)}) {
      Value old = operand->get();
      auto type = RankedTensorType::get(
          {1}, cast<TensorType>(old.getType()).getElementType());
      Value constant = arith::ConstantOp::create(
          builder, slice.getLoc(),
          DenseElementsAttr::get(
              type, ArrayRef<Attribute>(
                        builder.getIntegerAttr(type.getElementType(), value))));
      operand->set(constant);
      eraseDeadChain(old);
    }
  }
}

bool isIntegerTensor(Value value) {
  auto type = dyn_cast<ShapedType>(value.getType());
  return type && isa<IntegerType, IndexType>(type.getElementType());
}

/// The ops of a head path (the value path, or the query and key paths) and
/// the head-dim constants on their shapes.
struct HeadPath {
  /// In program order: from v's output to o's input, or from q's and k's
  /// outputs to (not including) the score product.
  SmallVector<Operation *> ops;
  /// Head-dim constants that the path's shape operands read.
  SmallVector<Operation *> constants;
  /// Integer constants on the split points of rotate_half's Slices (entries
  /// d/2 become k/2).
  SmallVector<Operation *> halfConstants;
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

/// What a head path is, for diagnostics: "Type III (vo)" and "the value
/// states of 'v'".
struct PathLabel {
  StringRef type;
  std::string states;
};

/// Whether `shape` (a Shape of a path tensor) is only read at dimensions
/// that do not carry the head dim (batch, heads, sequence lengths: a causal
/// mask sliced by the key length), so that its values do not change when
/// the head dim shrinks. `isHeadWidth` says whether a static size is d or a
/// multiple of it that shrinks.
bool readsOnlyFixedDims(onnx_ir::ShapeOp shape,
                        function_ref<bool(int64_t)> isHeadWidth) {
  auto type = dyn_cast<RankedTensorType>(shape.getData().getType());
  if (!type || shape.getStartAttr() || shape.getEndAttr())
    return false;
  int64_t rank = type.getRank();
  auto fixed = [&](int64_t axis) {
    if (axis < 0)
      axis += rank;
    return axis >= 0 && axis < rank &&
           (type.isDynamicDim(axis) || !isHeadWidth(type.getDimSize(axis)));
  };
  for (Operation *user : shape->getUsers()) {
    if (auto gather = dyn_cast<onnx_ir::GatherOp>(user)) {
      std::optional<onnx_ir::Shape> indices =
          onnx_ir::getConstantIntValues(gather.getIndices(), 16);
      if (gather.getData() != shape.getResult() || !indices ||
          (gather.getAxisAttr() && gather.getAxisAttr().getInt() != 0) ||
          !llvm::all_of(*indices, fixed))
        return false;
      continue;
    }
    if (auto slice = dyn_cast<onnx_ir::SliceOp>(user)) {
      std::optional<onnx_ir::Shape> starts =
          onnx_ir::getConstantIntValues(slice.getStarts(), 1);
      std::optional<onnx_ir::Shape> ends =
          onnx_ir::getConstantIntValues(slice.getEnds(), 1);
      auto isConstant = [](Value value, int64_t want) {
        if (onnx_ir::isNone(value))
          return true;
        std::optional<onnx_ir::Shape> values =
            onnx_ir::getConstantIntValues(value, 1);
        return values && values->size() == 1 && (*values)[0] == want;
      };
      if (slice.getData() != shape.getResult() || !starts || !ends ||
          starts->size() != 1 || ends->size() != 1 ||
          !isConstant(slice.getAxes(), 0) || !isConstant(slice.getSteps(), 1))
        return false;
      int64_t begin = (*starts)[0] < 0 ? (*starts)[0] + rank : (*starts)[0];
      int64_t end = (*ends)[0] < 0 ? (*ends)[0] + rank
                                   : std::min<int64_t>((*ends)[0], rank);
      for (int64_t axis = std::max<int64_t>(begin, 0); axis < end; ++axis)
        if (!fixed(axis))
          return false;
      continue;
    }
    return false;
  }
  return true;
}

/// Walks a head path of `attention` forward from `starts` through the ops in
/// `candidates`, stopping at `stop` (an op the path feeds but that keeps its
/// shape: the score product, or o reading the attention output).
FailureOr<HeadPath> findHeadPath(AttentionModule &attention,
                                 ArrayRef<Value> starts,
                                 const llvm::DenseSet<Operation *> &candidates,
                                 function_ref<bool(OpOperand &)> isStop,
                                 Operation *mustReach, const PathLabel &label,
                                 StringRef pass) {
  llvm::SetVector<Operation *> path;
  SmallVector<Value> work(starts.begin(), starts.end());
  SmallVector<Operation *> readers, dead;
  bool reached = false;
  int64_t d = attention.headDim;
  auto isHeadWidth = [&](int64_t size) {
    return size == d || size == attention.numKVHeads * d ||
           size == attention.numQueryHeads * d;
  };
  while (!work.empty()) {
    Value value = work.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (isStop(use)) {
        reached = true;
        continue;
      }
      if (isOpTriviallyDead(user)) {
        // Dead code (e.g. a permuted copy of the key states the exporter
        // left behind) would keep the old head dim: drop it.
        if (!llvm::is_contained(dead, user))
          dead.push_back(user);
        continue;
      }
      // Permutations and copies carry the head dim along (e.g. the key
      // states GPT-2's export permutes only to read their length).
      if (candidates.contains(user) ||
          isa<onnx_ir::TransposeOp, onnx_ir::IdentityOp>(user)) {
        if (path.insert(user))
          for (Value result : user->getResults())
            work.push_back(result);
        continue;
      }
      if (llvm::all_of(user->getResults(), isIntegerTensor) &&
          user->getNumResults() > 0) {
        auto shape = dyn_cast<onnx_ir::ShapeOp>(user);
        if (!shape || !readsOnlyFixedDims(shape, isHeadWidth))
          readers.push_back(user);
        continue;
      }
      return user->emitError(pass)
             << ": " << label.type << ": " << label.states << " are read by '"
             << user->getName()
             << "' off the attention's head path; cannot rewrite their head "
                "dim safely";
    }
  }
  for (Operation *op : dead)
    op->erase();
  if (!reached)
    return mustReach->emitError(pass)
           << ": internal error: " << label.states << " do not reach '"
           << mustReach->getName() << "'";

  // Shapes read from path tensors may only feed shapes of the path.
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
                 << ": " << label.type << ": the head dim of " << label.states
                 << " reaches '" << user->getName()
                 << "' through a computed shape (e.g. a softmax scale "
                    "computed from the shape of the states); cannot rewrite "
                    "safely";
        readers.push_back(user);
      }
  }

  HeadPath result;
  result.ops.assign(path.begin(), path.end());
  Value first = starts.front();
  Block *block = first.getParentBlock();
  for (Operation *op : result.ops)
    if (op->getBlock() != block)
      return op->emitError(pass)
             << ": " << label.type << ": the head path of " << label.states
             << " leaves the block of its projection";
  llvm::sort(result.ops,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });

  // Backwards from the integer operands of the path to the constants.
  llvm::DenseSet<Operation *> headConstants(attention.headDimConstants.begin(),
                                            attention.headDimConstants.end());
  llvm::DenseSet<Operation *> rotaryOps(attention.rotary.ops.begin(),
                                        attention.rotary.ops.end());
  SmallVector<Value> shapes;
  for (Operation *op : result.ops) {
    if (rotaryOps.contains(op) && isa<onnx_ir::SliceOp>(op)) {
      // rotate_half's split points: constants d/2, or computed from the
      // shape of the states (which then follow by themselves).
      for (Value operand : op->getOperands().drop_front()) {
        Operation *def = operand.getDefiningOp();
        if (def && def->getNumOperands() == 0 &&
            onnx_ir::getConstantIntValues(operand, 16) &&
            !llvm::is_contained(result.halfConstants, def))
          result.halfConstants.push_back(def);
      }
    }
    for (Value operand : op->getOperands())
      if (isIntegerTensor(operand))
        shapes.push_back(operand);
  }
  llvm::DenseSet<Value> seen;
  while (!shapes.empty()) {
    Value value = shapes.pop_back_val();
    if (!seen.insert(value).second)
      continue;
    Operation *def = value.getDefiningOp();
    if (!def || path.contains(def) ||
        llvm::is_contained(result.halfConstants, def))
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

/// Rewrites `constant`'s entries by `map` (entries it does not map stay);
/// a constant also read off `owners` is cloned first, the clone tagged
/// `suffix`.
LogicalResult
rewriteShapeConstant(Operation *constant,
                     function_ref<std::optional<int64_t>(int64_t)> map,
                     const llvm::DenseSet<Operation *> &owners,
                     StringRef suffix, StringRef pass) {
  std::optional<onnx_ir::Shape> values =
      onnx_ir::getConstantIntValues(constant->getResult(0), 16);
  if (!values)
    return constant->emitError(pass) << ": cannot read this head-dim constant";
  onnx_ir::Shape mapped = *values;
  for (int64_t &x : mapped)
    if (std::optional<int64_t> to = map(x))
      x = *to;
  if (mapped == *values)
    return success();
  Value value = constant->getResult(0);
  bool shared = llvm::any_of(value.getUsers(), [&](Operation *user) {
    return !owners.contains(user);
  });
  Operation *target = constant;
  if (shared) {
    OpBuilder builder(constant);
    target = builder.clone(*constant);
    if (auto init = dyn_cast<onnx_ir::InitializerOp>(target))
      init.setName((init.getName() + suffix).str());
    value.replaceUsesWithIf(target->getResult(0), [&](OpOperand &use) {
      return owners.contains(use.getOwner());
    });
  }
  return setIntValues(target, mapped, pass);
}

/// Rewrites the constants and result types of `path` for head dim `map.k`.
/// Result types come from the ONNX shape functions where they determine a
/// dimension; a last dimension they leave open is mapped by `map` (d → k).
LogicalResult resizeHeadPath(HeadPath &path, const WidthMap &map,
                             const PathLabel &label, StringRef suffix,
                             StringRef pass) {
  llvm::DenseSet<Operation *> owners(path.ops.begin(), path.ops.end());
  owners.insert(path.shapeOps.begin(), path.shapeOps.end());
  for (Operation *constant : path.constants)
    if (failed(rewriteShapeConstant(
            constant, [&](int64_t x) { return map.map(x); }, owners, suffix,
            pass)))
      return failure();
  for (Operation *constant : path.halfConstants)
    if (failed(rewriteShapeConstant(
            constant,
            [&](int64_t x) -> std::optional<int64_t> {
              if (x == map.d / 2)
                return map.k / 2;
              return std::nullopt;
            },
            owners, suffix, pass)))
      return failure();

  for (Operation *op : path.ops) {
    SmallVector<std::optional<onnx_ir::Shape>> inferred =
        onnx_ir::inferResultShapes(op);
    for (auto [index, result] : llvm::enumerate(op->getResults())) {
      auto type = dyn_cast<RankedTensorType>(result.getType());
      if (!type || type.getRank() == 0 || isIntegerTensor(result))
        continue;
      std::optional<onnx_ir::Shape> shape =
          index < inferred.size() ? inferred[index] : std::nullopt;
      if (shape && int64_t(shape->size()) != type.getRank())
        return op->emitError(pass)
               << ": " << label.type << ": internal error: rank";
      SmallVector<int64_t> dims(type.getShape());
      int64_t last = type.getRank() - 1;
      std::optional<int64_t> mapped;
      if (!type.isDynamicDim(last))
        mapped = map.map(dims[last]);
      for (int64_t axis = 0; axis <= last; ++axis) {
        int64_t want = shape ? (*shape)[axis] : ShapedType::kDynamic;
        if (axis == last && mapped && !ShapedType::isDynamic(want) &&
            want != *mapped)
          return op->emitError(pass)
                 << ": " << label.type << ": after shrinking the head dim to "
                 << map.k << " this op computes a result of another shape "
                 << "than expected (" << type << " had head dim " << map.d
                 << "; a head-dim shape the rewrite did not find)";
        if (!ShapedType::isDynamic(want))
          dims[axis] = want;
        else if (axis == last && mapped)
          dims[axis] = *mapped;
      }
      result.setType(type.clone(dims));
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
  Projection &vp = attention.v;
  int64_t vWidth = vp.end - vp.begin;
  std::optional<FusedParts> fused;
  if (vp.isFused()) {
    FailureOr<FusedParts> parts = findFusedParts(vp, "Type III (vo)", pass);
    if (failed(parts))
      return failure();
    fused = *parts;
  }
  if (vWidth != kv * d || o.getInFeatures() != heads * d)
    return v->emitError(pass)
           << ": Type III (vo): " << v.describeLayer() << " has " << vWidth
           << " outputs and " << o.describeLayer() << " " << o.getInFeatures()
           << " inputs for " << kv << " and " << heads << " heads of " << d;
  if (d == kv || d == heads || (g > 1 && d == heads * kv))
    return v->emitError(pass)
           << ": Type III (vo): the head dim " << d
           << " equals a head count; the shape constants are ambiguous";
  std::optional<StringRef> vPath = v.getModulePath();
  if (!vPath)
    return v->emitError(pass)
           << ": Type III (vo): the value projection needs a module path "
              "(the statistics are keyed by path)";

  FailureOr<Matrix<double>> wFull = readLinearWeight(v, pass, /*inOut=*/true);
  FailureOr<Matrix<double>> wo = readLinearWeight(o, pass, /*inOut=*/true);
  if (failed(wFull) || failed(wo))
    return failure();
  FailureOr<std::vector<double>> fullBias = readBias(v), oBias = readBias(o);
  if (failed(fullBias) || failed(oBias))
    return failure();
  // v's columns [begin, end) of its (possibly fused) linear.
  Matrix<double> wv(wFull->getRows(), vWidth);
  for (int64_t r = 0; r < wFull->getRows(); ++r)
    for (int64_t c = 0; c < vWidth; ++c)
      wv(r, c) = (*wFull)(r, vp.begin + c);
  std::vector<double> vBias;
  if (!fullBias->empty())
    vBias.assign(fullBias->begin() + vp.begin, fullBias->begin() + vp.end);
  if (!vBias.empty() && !o.getBiasOperand())
    return v->emitError(pass)
           << ": Type III (vo): " << v.describeLayer()
           << " has a bias but the output projection " << o.describeLayer()
           << " has none to fold it into";

  int64_t hidden = wv.getRows(), out = wo->getCols();
  auto covariance = stats.getInputCovariance(*vPath, hidden);
  if (!covariance)
    return v->emitError(pass) << ": " << llvm::toString(covariance.takeError());
  if (covariance->tokens < hidden)
    v->emitWarning(pass) << ": " << covariance->tokens
                         << " calibration tokens for the " << hidden
                         << "-wide input of " << *vPath
                         << ": Σ XᵀX is rank-deficient; Type III relies on "
                            "lambda";
  // Any R with RᵀR = C_λ whitens alike; Cholesky's is the cheap one.
  auto root = modegpt::choleskyWhitening(covariance->xtx, options.lambda);
  if (!root)
    return v->emitError(pass)
           << ": " << *vPath << ": " << llvm::toString(root.takeError());

  AttentionReport::Row row;
  row.module = "vo";
  row.dimBefore = d;
  row.dimAfter = k;
  row.paramsBefore = countParameters(vp) + countParameters(o);

  Matrix<double> newV(hidden, kv * k), newO(heads * k, out);
  for (int64_t j = 0; j < kv; ++j) {
    Matrix<double> head(hidden, d);
    for (int64_t r = 0; r < hidden; ++r)
      for (int64_t c = 0; c < d; ++c)
        head(r, c) = wv(r, j * d + c);
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
    auto result = modegpt::compressValueOutput(root->whiten, root->unwhiten,
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
  if (!vBias.empty())
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t r = 0; r < d; ++r) {
        double b = vBias[(h / g) * d + r];
        for (int64_t c = 0; c < out; ++c)
          newOBias[c] += b * (*wo)(h * d + r, c);
      }

  PathLabel label{"Type III (vo)", "the value states of " + v.describeLayer()};
  llvm::DenseSet<Operation *> candidates(attention.headShapeOps.begin(),
                                         attention.headShapeOps.end());
  candidates.insert(attention.context);
  Operation *oOp = o;
  Value vStates = fused ? fused->part() : v.getLinearOutput();
  FailureOr<HeadPath> path = findHeadPath(
      attention, {vStates}, candidates,
      [&](OpOperand &use) {
        return use.getOwner() == oOp && use.get() == attention.output;
      },
      oOp, label, pass);
  if (failed(path))
    return failure();
  if (!llvm::is_contained(path->ops, attention.context))
    return attention.context->emitError(pass)
           << ": internal error: the value path of " << v.describeLayer()
           << " misses the context product";
  std::vector<double> newVBias(vBias.empty() ? 0 : kv * k, 0.0);
  if (fused) {
    // The fused linear keeps its other columns; v's part of the Split
    // narrows.
    int64_t out = wFull->getCols(), newOut = out - vWidth + kv * k;
    Matrix<double> w(wFull->getRows(), newOut);
    for (int64_t r = 0; r < wFull->getRows(); ++r) {
      int64_t c2 = 0;
      for (int64_t c = 0; c < vp.begin; ++c)
        w(r, c2++) = (*wFull)(r, c);
      for (int64_t c = 0; c < kv * k; ++c)
        w(r, c2++) = newV(r, c);
      for (int64_t c = vp.end; c < out; ++c)
        w(r, c2++) = (*wFull)(r, c);
    }
    std::vector<double> bias;
    if (!fullBias->empty()) {
      bias.assign(fullBias->begin(), fullBias->begin() + vp.begin);
      bias.insert(bias.end(), newVBias.begin(), newVBias.end());
      bias.insert(bias.end(), fullBias->begin() + vp.end, fullBias->end());
    }
    if (failed(replaceOutputFeatures(v, w, bias, pass)))
      return failure();
    SmallVector<int64_t> widths = fused->widths();
    widths[fused->index] = kv * k;
    resizeParts(*fused, widths);
  } else if (failed(replaceOutputFeatures(v, newV, newVBias, pass))) {
    return failure();
  }
  vp.end = vp.begin + kv * k;
  if (failed(replaceInputFeatures(o, newO, pass)))
    return failure();
  if (!vBias.empty()) {
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
  if (failed(
          resizeHeadPath(*path, WidthMap{d, k, kv, heads}, label, ".vo", pass)))
    return failure();
  row.paramsAfter = countParameters(vp) + countParameters(o);
  report.rows.push_back(row);
  return success();
}

/// The per-head rotary table `table` [.., 1, seq, d] (or [seq, d]) gathered
/// at each head's kept dims: MatMul(table, S) with the one-hot S [heads, d,
/// k], S[h, kept[h][c], c] = 1, giving [.., heads, seq, k]. The products are
/// exact (one term is the table entry, the others are zeros).
FailureOr<Value> gatherRotaryTable(OpBuilder &builder, Value table,
                                   ArrayRef<std::vector<int64_t>> kept,
                                   int64_t d, StringRef name, Value &select,
                                   const PathLabel &label, Operation *user,
                                   StringRef pass) {
  auto type = dyn_cast<RankedTensorType>(table.getType());
  int64_t heads = kept.size(), k = kept.front().size();
  if (!type || type.getRank() < 2 || type.getShape().back() != d ||
      (type.getRank() >= 3 && type.getShape()[type.getRank() - 3] != 1) ||
      !isa<FloatType>(type.getElementType()))
    return user->emitError(pass)
           << ": " << label.type << ": the rotary table " << table.getType()
           << " is not [.., 1, seq, " << d
           << "] as broadcast against [.., heads, seq, " << d
           << "] states; not supported yet";
  Location loc =
      NameLoc::get(builder.getStringAttr(name + "/MatMul"), user->getLoc());
  auto selectType = RankedTensorType::get({heads, d, k}, type.getElementType());
  if (!select || select.getType() != selectType) {
    std::vector<double> values(heads * d * k, 0.0);
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t c = 0; c < k; ++c)
        values[(h * d + kept[h][c]) * k + c] = 1.0;
    select = createWeight<double>(builder, loc, name, selectType, values);
  }
  Value matrix = select;
  SmallVector<int64_t> shape(type.getShape());
  if (type.getRank() == 2)
    shape.insert(shape.begin(), heads);
  else
    shape[type.getRank() - 3] = heads;
  shape.back() = k;
  return onnx_ir::MatMulOp::create(builder, loc, type.clone(shape), table,
                                   matrix)
      .getResult();
}

/// Whether `states` are [.., heads, seq, headDim].
bool isHeadsSeqDim(const HeadStates &states) {
  auto type = dyn_cast<RankedTensorType>(states.value.getType());
  if (!type)
    return false;
  int64_t rank = type.getRank();
  return states.headAxis == rank - 3 && states.dimAxis == rank - 1;
}

/// Type II on `attention` at head dim k: per key/value group, the k head
/// dims of largest CR score √(Σ_h C_q,h,ii · C_k,ii) (in rotate_half pairs)
/// are kept in W_q and W_k; the rotary tables become per-head tables
/// gathered at those dims; the softmax scale is untouched.
LogicalResult compressKeyQuery(AttentionModule &attention, int64_t k,
                               const CalibrationStats &stats,
                               const AttentionOptions &options,
                               AttentionReport &report) {
  StringRef pass = options.pass;
  LinearLikeOpInterface q = attention.q.linear, kl = attention.k.linear;
  int64_t d = attention.headDim, kv = attention.numKVHeads,
          heads = attention.numQueryHeads, g = attention.groups;
  // Fused projections: the Split parts of q and k, and of v when it moves
  // with them.
  std::optional<FusedParts> splits[3];
  Projection *projections[3] = {&attention.q, &attention.k, &attention.v};
  for (int i = 0; i < 3; ++i) {
    if (!projections[i]->isFused() ||
        (i == 2 && attention.v.linear != attention.q.linear &&
         attention.v.linear != attention.k.linear))
      continue;
    FailureOr<FusedParts> found =
        findFusedParts(*projections[i], "Type II (qk)", pass);
    if (failed(found))
      return failure();
    splits[i] = *found;
  }
  int64_t qWidth = attention.q.end - attention.q.begin,
          kWidth = attention.k.end - attention.k.begin;
  if (qWidth != heads * d || kWidth != kv * d)
    return q->emitError(pass)
           << ": Type II (qk): " << q.describeLayer() << " has " << qWidth
           << " outputs and " << kl.describeLayer() << " " << kWidth << " for "
           << heads << " and " << kv << " heads of " << d;
  if (d == kv || d == heads || (g > 1 && d == heads * kv))
    return q->emitError(pass)
           << ": Type II (qk): the head dim " << d
           << " equals a head count; the shape constants are ambiguous";
  bool rotaryHalf = attention.rotary.kind == RotaryKind::Half;
  if (attention.rotary.kind == RotaryKind::Interleaved)
    return q->emitError(pass)
           << ": Type II (qk): interleaved rotary embeddings (pairs 2i, "
              "2i+1) are not supported yet";
  if (rotaryHalf &&
      (!isHeadsSeqDim(attention.query) || !isHeadsSeqDim(attention.key)))
    return q->emitError(pass)
           << ": Type II (qk): rotary embeddings on states not laid out as "
              "[.., heads, seq, head dim] are not supported yet";
  std::optional<StringRef> qPath = q.getModulePath(),
                           kPath = kl.getModulePath();
  if (!qPath || !kPath)
    return q->emitError(pass)
           << ": Type II (qk): the query and key projections need module "
              "paths (the statistics are keyed by path)";

  auto qGrams = stats.getQueryGrams(*qPath, heads, d);
  if (!qGrams)
    return q->emitError(pass) << ": " << llvm::toString(qGrams.takeError())
                              << " (Type II needs per-head Grams; calibrate "
                                 "with statistics=heads)";
  auto kGrams = stats.getKeyGrams(*kPath, *qPath, kv, d);
  if (!kGrams)
    return kl->emitError(pass) << ": " << llvm::toString(kGrams.takeError())
                               << " (Type II needs per-head Grams; calibrate "
                                  "with statistics=heads)";

  // The path first, so that an unsupported graph is refused unchanged.
  PathLabel label{"Type II (qk)", "the query and key states of " +
                                      q.describeLayer() + " and " +
                                      kl.describeLayer()};
  llvm::DenseSet<Operation *> candidates(attention.headShapeOps.begin(),
                                         attention.headShapeOps.end());
  candidates.insert(attention.rotary.ops.begin(), attention.rotary.ops.end());
  candidates.insert(attention.scaleOps.begin(), attention.scaleOps.end());
  Operation *scores = attention.scores;
  Value qOut = splits[0] ? splits[0]->part() : q.getLinearOutput();
  Value kOut = splits[1] ? splits[1]->part() : kl.getLinearOutput();
  FailureOr<HeadPath> path = findHeadPath(
      attention, {qOut, kOut}, candidates,
      [&](OpOperand &use) { return use.getOwner() == scores; }, scores, label,
      pass);
  if (failed(path))
    return failure();

  // The selection, one per key/value group, and the CR bound
  // Σ_h Σ_{i dropped} ‖q_h,i‖·‖k_i‖ on ‖Q_h·Kᵀ − Q_h,S·K_Sᵀ‖_F.
  AttentionReport::Row row;
  row.module = "qk";
  row.dimBefore = d;
  row.dimAfter = k;
  row.paramsBefore =
      countParameters(attention.q) + countParameters(attention.k);
  std::vector<std::vector<int64_t>> keptKV, keptQ;
  for (int64_t j = 0; j < kv; ++j) {
    std::vector<double> keyDiagonal(d);
    for (int64_t i = 0; i < d; ++i)
      keyDiagonal[i] = kGrams->heads[j](i, i);
    std::vector<std::vector<double>> queryDiagonals;
    for (int64_t h = j * g; h < (j + 1) * g; ++h) {
      std::vector<double> diagonal(d);
      for (int64_t i = 0; i < d; ++i)
        diagonal[i] = qGrams->heads[h](i, i);
      queryDiagonals.push_back(std::move(diagonal));
    }
    auto selected =
        modegpt::selectKeyQueryDims(queryDiagonals, keyDiagonal, k, rotaryHalf);
    if (!selected)
      return q->emitError(pass) << ": " << *qPath << " group " << j << ": "
                                << llvm::toString(selected.takeError());
    std::vector<bool> keep(d, false);
    for (int64_t i : *selected)
      keep[i] = true;
    for (const std::vector<double> &diagonal : queryDiagonals)
      for (int64_t i = 0; i < d; ++i) {
        double bound = std::sqrt(std::max(0.0, diagonal[i] * keyDiagonal[i]));
        row.total += bound;
        if (!keep[i])
          row.error += bound;
      }
    keptKV.push_back(*selected);
    for (int64_t i = 0; i < g; ++i)
      keptQ.push_back(*selected);
  }

  // Weights: the kept columns of each head.
  SmallVector<int64_t> qColumns, kColumns;
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t c : keptQ[h])
      qColumns.push_back(h * d + c);
  for (int64_t j = 0; j < kv; ++j)
    for (int64_t c : keptKV[j])
      kColumns.push_back(j * d + c);

  // Which path ops carry query states (the rest carry key states).
  llvm::DenseSet<Operation *> onPath(path->ops.begin(), path->ops.end());
  llvm::DenseSet<Operation *> queryOps;
  SmallVector<Value> work{qOut};
  while (!work.empty())
    for (Operation *user : work.pop_back_val().getUsers())
      if (onPath.contains(user) && queryOps.insert(user).second)
        for (Value result : user->getResults())
          work.push_back(result);

  // The rotary tables each Mul of the path reads: per-head tables for q
  // (heads) and k (kv heads).
  struct TableUse {
    OpOperand *operand;
    bool query;
  };
  SmallVector<TableUse> tableUses;
  if (rotaryHalf) {
    llvm::DenseSet<Operation *> rotaryOps(attention.rotary.ops.begin(),
                                          attention.rotary.ops.end());
    for (Operation *op : path->ops) {
      if (!rotaryOps.contains(op) || !isa<onnx_ir::MulOp>(op))
        continue;
      for (OpOperand &operand : op->getOpOperands()) {
        Value value = operand.get();
        Operation *def = value.getDefiningOp();
        if (value == qOut || value == kOut || (def && onPath.contains(def)))
          continue;
        tableUses.push_back({&operand, queryOps.contains(op)});
      }
    }
    if (tableUses.empty())
      return q->emitError(pass)
             << ": Type II (qk): internal error: no rotary tables on the "
                "query and key paths";
  }

  // Each linear keeps the selected columns of the projections it computes
  // (q and k may share one, with v) and all its other columns.
  std::pair<Projection *, ArrayRef<int64_t>> parts[] = {
      {&attention.q, qColumns}, {&attention.k, kColumns}};
  SmallVector<LinearLikeOpInterface, 2> layers{q};
  if (kl != q)
    layers.push_back(kl);
  for (LinearLikeOpInterface layer : layers) {
    SmallVector<int64_t> kept;
    for (int64_t c = 0, out = layer.getOutFeatures(); c < out; ++c) {
      bool keep = true;
      for (auto [projection, columns] : parts)
        if (projection->linear == layer && c >= projection->begin &&
            c < projection->end)
          keep = llvm::binary_search(columns, c - projection->begin);
      if (keep)
        kept.push_back(c);
    }
    if (failed(keepOutputFeatures(layer, kept, pass)))
      return failure();
  }
  // The Split or Slices of fused projections get the new widths, and the
  // fused projections their new ranges.
  llvm::MapVector<Value, SmallVector<int64_t>> newWidths;
  int64_t widths[2] = {heads * k, kv * k};
  for (int i = 0; i < 2; ++i)
    if (splits[i])
      newWidths.try_emplace(splits[i]->source, splits[i]->widths())
          .first->second[splits[i]->index] = widths[i];
  for (int i = 0; i < 3; ++i) {
    if (!splits[i] || !newWidths.contains(splits[i]->source))
      continue;
    std::pair<int64_t, int64_t> range = resizedRanges(
        *splits[i], newWidths.lookup(splits[i]->source))[splits[i]->index];
    projections[i]->begin = range.first;
    projections[i]->end = range.second;
  }
  for (auto &[source, partWidths] : newWidths) {
    const FusedParts &parts =
        **llvm::find_if(splits, [&, source = source](const auto &s) {
          return s && s->source == source;
        });
    resizeParts(parts, partWidths);
  }
  for (int i = 0; i < 2; ++i)
    if (!splits[i])
      projections[i]->end = projections[i]->begin + widths[i];

  // Per table value, for key (0) and query (1) states.
  llvm::DenseMap<Value, Value> gathered[2];
  Value selects[2];
  for (TableUse use : tableUses) {
    Value table = use.operand->get();
    Value &slot = gathered[use.query][table];
    if (!slot) {
      Operation *user = use.operand->getOwner();
      // Before the first path op that reads this table.
      for (Operation *op : path->ops)
        if (llvm::is_contained(op->getOperands(), table)) {
          user = op;
          break;
        }
      OpBuilder builder(user);
      std::string name = (use.query ? *qPath : *kPath).str() + ".rotary_select";
      FailureOr<Value> per =
          gatherRotaryTable(builder, table, use.query ? keptQ : keptKV, d, name,
                            selects[use.query], label, user, pass);
      if (failed(per))
        return failure();
      slot = *per;
    }
    use.operand->set(slot);
  }

  if (failed(
          resizeHeadPath(*path, WidthMap{d, k, kv, heads}, label, ".qk", pass)))
    return failure();
  row.paramsAfter = countParameters(attention.q) + countParameters(attention.k);
  report.rows.push_back(row);
  return success();
}
} // namespace

LogicalResult mlir::peft::compressAttention(AttentionModule &attention,
                                            double phi,
                                            const CalibrationStats &stats,
                                            const AttentionOptions &options,
                                            AttentionReport &report) {
  int64_t d = attention.headDim;
  if (options.keyQuery || options.valueOutput)
    pinScaleFactors(attention);
  if (options.keyQuery) {
    // rotate_half pairs are kept together: an even k.
    int64_t k =
        attention.rotary.kind == RotaryKind::None
            ? std::clamp<int64_t>(std::llround((1.0 - phi) * double(d)), 1, d)
            : 2 * std::clamp<int64_t>(
                      std::llround((1.0 - phi) * double(d) / 2.0), 1, d / 2);
    if (failed(compressKeyQuery(attention, k, stats, options, report)))
      return failure();
  }
  if (options.valueOutput) {
    int64_t k =
        std::clamp<int64_t>(std::llround((1.0 - phi) * double(d)), 1, d);
    return compressValueOutput(attention, k, stats, options, report);
  }
  return success();
}
