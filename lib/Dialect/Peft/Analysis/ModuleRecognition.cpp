//===- ModuleRecognition.cpp - transformer modules of a raised graph ------===//
//
// Attention is found from its softmax: the score product Q·Kᵀ before it (a
// MatMul of two computed values, seen through the mask and the scale), the
// product with V after it. Each operand is followed back, one definition at a
// time, through data movement (Reshape, Transpose, Unsqueeze, Expand, Cast,
// ...), scaling by a scalar, the rotary embedding x·cos + rotate(x)·sin and
// the Split or Slice of a fused qkv, to the linear that computes it. The head
// split Reshape on each path gives the head count and head dim, checked
// against the linear's width. The context product is followed forward to o.
//
// An MLP is found from each linear that `peft-raise-linear` marked `down`:
// its input is followed back, through anything but linears, to the gate/up
// linears; the ops passed name the activation.
//
// Blocks pair each attention with the MLP after it. Their residual stream is
// where o and down are added back; a post-norm block (BERT) hands on the
// normalization after the MLP's addition, recognized as the same ops that
// lie between the attention's addition and the MLP's residual operand.
//
//===----------------------------------------------------------------------===//

#include "peft/Dialect/Peft/Analysis/ModuleRecognition.h"

#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/ONNX/IR/ONNXShapes.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <map>
#include <variant>

using namespace mlir;
using namespace mlir::peft;

StringRef mlir::peft::stringifyRotaryKind(RotaryKind kind) {
  switch (kind) {
  case RotaryKind::None:
    return "none";
  case RotaryKind::Half:
    return "half";
  case RotaryKind::Interleaved:
    return "interleaved";
  }
  return "?";
}

StringRef mlir::peft::stringifyActivationKind(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::Unknown:
    return "unknown";
  case ActivationKind::SiLU:
    return "silu";
  case ActivationKind::GeluErf:
    return "gelu_erf";
  case ActivationKind::GeluTanh:
    return "gelu_tanh";
  case ActivationKind::Gelu:
    return "gelu";
  case ActivationKind::Relu:
    return "relu";
  }
  return "?";
}

namespace {

std::string describe(LinearLikeOpInterface linear) {
  if (std::optional<StringRef> path = linear.getModulePath())
    return ("'" + *path + "'").str();
  return "<unnamed " + stringifyEnum(linear.getLinearRole()).str() + ">";
}

bool isNode(Operation *op, ArrayRef<StringRef> types) {
  auto node = dyn_cast<onnx_ir::NodeOp>(op);
  return node && llvm::is_contained(types, node.getOpType());
}

/// Ops that only move or convert data of their first operand.
bool isDataMovement(Operation *op) {
  return isa<onnx_ir::ReshapeOp, onnx_ir::TransposeOp, onnx_ir::UnsqueezeOp,
             onnx_ir::SqueezeOp, onnx_ir::FlattenOp, onnx_ir::ExpandOp,
             onnx_ir::CastOp, onnx_ir::IdentityOp>(op) ||
         isNode(op, {"Dropout"});
}

/// The linear whose output `value` is (the top of its adapter stack).
LinearLikeOpInterface linearOf(Value value) {
  Operation *def = value.getDefiningOp();
  if (!def)
    return {};
  LinearLikeOpInterface linear = dyn_cast<LinearLikeOpInterface>(def);
  if (!linear && isa<AdapterOpInterface>(def))
    linear = getAdapterLayer(def);
  if (linear && (getAdapterStackTop(linear) == value ||
                 linear.getLinearOutput() == value))
    return linear;
  return {};
}

/// The value of a one-element tensor when constant folding through scalar
/// arithmetic (Shape elements, Cast, Pow, Sqrt, ...) gives it.
std::optional<double> evalScalar(Value value, int depth = 0) {
  auto type = dyn_cast<ShapedType>(value.getType());
  if (depth > 12 || !type || !type.hasStaticShape() ||
      type.getNumElements() != 1)
    return std::nullopt;
  Attribute attr;
  if (matchPattern(value, m_Constant(&attr))) {
    DenseElementsAttr dense = onnx_ir::getDenseElements(attr, 1);
    if (!dense)
      return std::nullopt;
    if (isa<FloatType>(dense.getElementType())) {
      APFloat f = *dense.getValues<APFloat>().begin();
      bool loses;
      f.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &loses);
      return f.convertToDouble();
    }
    return static_cast<double>(
        (*dense.getValues<APInt>().begin()).getSExtValue());
  }
  if (type.getElementType().isInteger())
    if (std::optional<onnx_ir::ShapeVector> vec =
            onnx_ir::getShapeVector(value))
      if (vec->elements.size() == 1 && !ShapedType::isDynamic(vec->elements[0]))
        return static_cast<double>(vec->elements[0]);
  Operation *def = value.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (auto fill = dyn_cast<onnx_ir::ConstantOfShapeOp>(def)) {
    if (!fill.getValueAttr())
      return 0.0;
    DenseElementsAttr dense = onnx_ir::getDenseElements(fill.getValueAttr(), 1);
    if (!dense || !isa<FloatType>(dense.getElementType()))
      return std::nullopt;
    return (*dense.getValues<APFloat>().begin()).convertToDouble();
  }
  if (isa<onnx_ir::CastOp, onnx_ir::IdentityOp, onnx_ir::SqueezeOp,
          onnx_ir::UnsqueezeOp, onnx_ir::ReshapeOp>(def))
    return evalScalar(def->getOperand(0), depth + 1);
  auto unary = [&](auto fn) -> std::optional<double> {
    if (std::optional<double> x = evalScalar(def->getOperand(0), depth + 1))
      return fn(*x);
    return std::nullopt;
  };
  if (isa<onnx_ir::SqrtOp>(def))
    return unary([](double x) { return std::sqrt(x); });
  if (isa<onnx_ir::ReciprocalOp>(def))
    return unary([](double x) { return 1.0 / x; });
  if (isa<onnx_ir::NegOp>(def))
    return unary([](double x) { return -x; });
  if (!isa<onnx_ir::AddOp, onnx_ir::SubOp, onnx_ir::MulOp, onnx_ir::DivOp,
           onnx_ir::PowOp>(def))
    return std::nullopt;
  std::optional<double> a = evalScalar(def->getOperand(0), depth + 1);
  std::optional<double> b = evalScalar(def->getOperand(1), depth + 1);
  if (!a || !b)
    return std::nullopt;
  if (isa<onnx_ir::AddOp>(def))
    return *a + *b;
  if (isa<onnx_ir::SubOp>(def))
    return *a - *b;
  if (isa<onnx_ir::MulOp>(def))
    return *a * *b;
  if (isa<onnx_ir::DivOp>(def))
    return *a / *b;
  return std::pow(*a, *b);
}

/// For a Mul or Div of a tensor by a scalar: the factor it multiplies by and
/// the tensor operand.
std::optional<std::pair<double, Value>> matchScaling(Operation *op) {
  if (!isa<onnx_ir::MulOp, onnx_ir::DivOp>(op))
    return std::nullopt;
  bool div = isa<onnx_ir::DivOp>(op);
  for (unsigned i : {1u, 0u}) {
    if (div && i == 0)
      continue; // c / x is no scaling of x
    if (std::optional<double> c = evalScalar(op->getOperand(i)))
      if (*c != 0.0)
        return std::make_pair(div ? 1.0 / *c : *c, op->getOperand(1 - i));
  }
  return std::nullopt;
}

Value stripOps(Value value, ArrayRef<StringRef> names,
               SmallVectorImpl<Operation *> &ops) {
  while (Operation *def = value.getDefiningOp()) {
    if (!llvm::is_contained(names, def->getName().stripDialect()))
      break;
    ops.push_back(def);
    value = def->getOperand(0);
  }
  return value;
}

/// rotate(x) for rotate_half (Concat(−x₂, x₁) of two Slices on the last
/// axis) or the interleaved form (slices with step 2, stacked and
/// flattened): x and the kind.
std::optional<std::pair<Value, RotaryKind>>
matchRotate(Value value, SmallVectorImpl<Operation *> &ops) {
  SmallVector<Operation *> local;
  value = stripOps(value, {"Reshape", "Flatten", "Cast"}, local);
  auto concat = value.getDefiningOp<onnx_ir::ConcatOp>();
  if (!concat || concat.getInputs().size() != 2)
    return std::nullopt;
  local.push_back(concat);
  Value neg = stripOps(concat.getInputs()[0], {"Unsqueeze"}, local);
  Value pos = stripOps(concat.getInputs()[1], {"Unsqueeze"}, local);
  auto negOp = neg.getDefiningOp<onnx_ir::NegOp>();
  if (!negOp)
    return std::nullopt;
  local.push_back(negOp);
  auto hi = negOp->getOperand(0).getDefiningOp<onnx_ir::SliceOp>();
  auto lo = pos.getDefiningOp<onnx_ir::SliceOp>();
  if (!hi || !lo || hi.getData() != lo.getData())
    return std::nullopt;
  local.append({hi, lo});
  RotaryKind kind = RotaryKind::Half;
  if (!onnx_ir::isNone(lo.getSteps()))
    if (std::optional<onnx_ir::Shape> steps =
            onnx_ir::getConstantIntValues(lo.getSteps(), 8))
      if (steps->size() == 1 && (*steps)[0] == 2)
        kind = RotaryKind::Interleaved;
  ops.append(local);
  return std::make_pair(lo.getData(), kind);
}

/// One step of a path from a linear to a product, in forward order.
struct PathStep {
  Operation *op;
  Value result;
};

/// A path from a linear's output to a product operand.
struct Trace {
  Projection projection;
  SmallVector<PathStep> steps; // forward order once traced
  Rotary rotary;
  double scale = 1.0;
  bool scaleKnown = true;
  SmallVector<Operation *> scaleOps;
};

/// Follows `value` back to the linear computing it; see the file comment.
/// Emits an error at `at` and fails when the path leaves the recognized ops.
FailureOr<Trace> traceToLinear(Value value, Operation *at, StringRef what) {
  Trace trace;
  std::optional<std::pair<int64_t, int64_t>> range;
  for (int guard = 0; guard < 64; ++guard) {
    if (LinearLikeOpInterface linear = linearOf(value)) {
      std::reverse(trace.steps.begin(), trace.steps.end());
      int64_t out = linear.getOutFeatures();
      trace.projection = {linear, range ? range->first : 0,
                          range ? range->second : out};
      return trace;
    }
    Operation *def = value.getDefiningOp();
    if (!def)
      break;
    trace.steps.push_back({def, value});
    if (isDataMovement(def)) {
      value = def->getOperand(0);
      continue;
    }
    if (auto split = dyn_cast<onnx_ir::SplitOp>(def)) {
      auto type = cast<ShapedType>(split.getInput().getType());
      unsigned index = cast<OpResult>(value).getResultNumber();
      int64_t axis = split.getAxisOrDefault();
      if (type.hasRank() && (axis == -1 || axis == type.getRank() - 1)) {
        SmallVector<int64_t> sizes;
        for (Value piece : split.getOutputs()) {
          auto pieceType = cast<ShapedType>(piece.getType());
          sizes.push_back(pieceType.hasRank() ? pieceType.getShape().back()
                                              : ShapedType::kDynamic);
        }
        if (llvm::any_of(sizes, ShapedType::isDynamic))
          return at->emitError()
                 << "module recognition: the " << what
                 << " path splits a fused projection into parts of unknown "
                    "width";
        int64_t begin = 0;
        for (unsigned i = 0; i < index; ++i)
          begin += sizes[i];
        range = {begin, begin + sizes[index]};
      }
      value = split.getInput();
      continue;
    }
    if (auto slice = dyn_cast<onnx_ir::SliceOp>(def)) {
      range = getLastAxisSliceRange(slice);
      value = slice.getData();
      continue;
    }
    if (std::optional<std::pair<double, Value>> scaling = matchScaling(def)) {
      trace.scale *= scaling->first;
      trace.scaleOps.push_back(def);
      value = scaling->second;
      continue;
    }
    if (isa<onnx_ir::AddOp>(def)) {
      // x·cos + rotate(x)·sin, the products in either order.
      std::optional<Value> x;
      for (unsigned i : {0u, 1u}) {
        auto cosMul = def->getOperand(i).getDefiningOp<onnx_ir::MulOp>();
        auto sinMul = def->getOperand(1 - i).getDefiningOp<onnx_ir::MulOp>();
        if (!cosMul || !sinMul)
          continue;
        for (unsigned j : {0u, 1u}) {
          SmallVector<Operation *> ops;
          std::optional<std::pair<Value, RotaryKind>> rot =
              matchRotate(sinMul->getOperand(j), ops);
          if (!rot)
            continue;
          for (unsigned c : {0u, 1u}) {
            if (cosMul->getOperand(c) != rot->first)
              continue;
            x = rot->first;
            trace.rotary.kind = rot->second;
            trace.rotary.cos = cosMul->getOperand(1 - c);
            trace.rotary.sin = sinMul->getOperand(1 - j);
            trace.rotary.ops = std::move(ops);
            trace.rotary.ops.append({cosMul, sinMul, def});
            break;
          }
          if (x)
            break;
        }
        if (x)
          break;
      }
      if (x) {
        value = *x;
        continue;
      }
    }
    return def->emitError()
           << "module recognition: the " << what << " path of the attention at "
           << at->getLoc() << " passes through '" << def->getName()
           << "', which is neither data movement, a scaling, a rotary "
              "embedding nor a split of a fused projection";
  }
  return at->emitError() << "module recognition: the " << what
                         << " operand of this product comes from no linear";
}

/// The head split of a path: the Reshape [.., heads·headDim] → [.., heads,
/// headDim] nearest the linear, as (step index, heads, headDim).
std::optional<std::tuple<size_t, int64_t, int64_t>>
findHeadSplit(const Trace &trace) {
  for (auto [i, step] : llvm::enumerate(trace.steps)) {
    auto reshape = dyn_cast<onnx_ir::ReshapeOp>(step.op);
    if (!reshape)
      continue;
    auto in = cast<ShapedType>(reshape.getData().getType());
    auto out = cast<ShapedType>(reshape.getResult().getType());
    if (!in.hasRank() || !out.hasRank() || out.getRank() != in.getRank() + 1)
      continue;
    SmallVector<int64_t> dims(out.getShape());
    if (std::optional<onnx_ir::ShapeVector> shape =
            onnx_ir::getShapeVector(reshape.getShape()))
      if (shape->elements.size() == dims.size())
        for (auto [d, e] : llvm::zip(dims, shape->elements))
          if (ShapedType::isDynamic(d) && e > 0)
            d = e;
    int64_t heads = dims[dims.size() - 2], headDim = dims.back();
    int64_t width = in.getShape().back();
    if (ShapedType::isDynamic(heads) || ShapedType::isDynamic(headDim))
      return std::make_tuple(i, ShapedType::kDynamic, ShapedType::kDynamic);
    if (!ShapedType::isDynamic(width) && heads * headDim != width)
      continue;
    return std::make_tuple(i, heads, headDim);
  }
  return std::nullopt;
}

/// The head and head-dim axes of each value on the path after the head
/// split, as far as Transposes move them; stops at the first op that changes
/// the rank, or before the first step for which `stop(step, layout after it)`
/// holds.
HeadStates
followHeads(const Trace &trace, size_t split,
            function_ref<bool(const PathStep &, const HeadStates &)> stop) {
  Value splitValue = trace.steps[split].result;
  int64_t rank = cast<ShapedType>(splitValue.getType()).getRank();
  HeadStates states{splitValue, rank - 2, rank - 1};
  for (size_t i = split + 1; i < trace.steps.size(); ++i) {
    const PathStep &step = trace.steps[i];
    HeadStates next = states;
    next.value = step.result;
    if (auto transpose = dyn_cast<onnx_ir::TransposeOp>(step.op)) {
      SmallVector<int64_t> perm = transpose.getPermOrDefault(rank);
      next.headAxis = llvm::find(perm, states.headAxis) - perm.begin();
      next.dimAxis = llvm::find(perm, states.dimAxis) - perm.begin();
    } else if (auto type = dyn_cast<ShapedType>(step.result.getType());
               !type || !type.hasRank() || type.getRank() != rank) {
      break;
    }
    if (stop(step, next))
      break;
    states = next;
  }
  return states;
}

/// Integer constants feeding the non-data operands of `op` (shapes, split
/// sizes, slice bounds) through shape arithmetic.
void collectShapeConstants(Operation *op, SmallVectorImpl<Operation *> &out) {
  SmallVector<std::pair<Value, int>> work;
  for (Value operand : op->getOperands().drop_front())
    work.push_back({operand, 0});
  DenseSet<Operation *> seen;
  while (!work.empty()) {
    auto [value, depth] = work.pop_back_val();
    Operation *def = value.getDefiningOp();
    if (!def || depth > 8 || !seen.insert(def).second)
      continue;
    auto type = dyn_cast<ShapedType>(value.getType());
    if (!type || !type.getElementType().isInteger())
      continue;
    if (def->hasTrait<OpTrait::ConstantLike>() ||
        isa<onnx_ir::InitializerOp>(def)) {
      out.push_back(def);
      continue;
    }
    if (isa<onnx_ir::ShapeOp>(def))
      continue;
    for (Value operand : def->getOperands())
      work.push_back({operand, depth + 1});
  }
}

/// Recognizes the attention around `softmax`; nullopt (no error) when the
/// softmax is not between two products.
FailureOr<std::optional<AttentionModule>>
recognizeAttention(onnx_ir::SoftmaxOp softmax) {
  AttentionModule attention;
  attention.softmax = softmax;

  // Back from the softmax to the score product, through mask and scale.
  double scoreScale = 1.0;
  bool scaleKnown = true;
  std::function<Operation *(Value, int)> findScores =
      [&](Value value, int depth) -> Operation * {
    Operation *def = value.getDefiningOp();
    if (!def || depth > 8)
      return nullptr;
    if (isa<onnx_ir::MatMulOp>(def))
      return def;
    if (std::optional<std::pair<double, Value>> scaling = matchScaling(def)) {
      if (Operation *found = findScores(scaling->second, depth + 1)) {
        scoreScale *= scaling->first;
        attention.scaleOps.push_back(def);
        return found;
      }
      return nullptr;
    }
    if (isa<onnx_ir::CastOp, onnx_ir::IdentityOp, onnx_ir::AddOp,
            onnx_ir::SubOp, onnx_ir::WhereOp, onnx_ir::MulOp, onnx_ir::DivOp>(
            def)) {
      Operation *found = nullptr;
      for (Value operand : def->getOperands())
        if (Operation *f = findScores(operand, depth + 1)) {
          if (found && found != f)
            return nullptr;
          found = f;
        }
      if (found && isa<onnx_ir::MulOp, onnx_ir::DivOp>(def))
        scaleKnown = false; // a factor that is not a constant scalar
      return found;
    }
    return nullptr;
  };
  auto scores =
      dyn_cast_or_null<onnx_ir::MatMulOp>(findScores(softmax.getInput(), 0));
  if (!scores)
    return std::optional<AttentionModule>();

  // Forward from the softmax to the product with V.
  onnx_ir::MatMulOp context;
  SmallVector<Value> work{softmax.getResult()};
  while (!work.empty() && !context) {
    Value value = work.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (auto product = dyn_cast<onnx_ir::MatMulOp>(user);
          product && product.getA() == value)
        context = product;
      else if (isDataMovement(user) && !isa<onnx_ir::ExpandOp>(user))
        work.push_back(user->getResult(0));
    }
  }
  if (!context)
    return std::optional<AttentionModule>();
  attention.scores = scores;
  attention.context = context;

  FailureOr<Trace> qTrace = traceToLinear(scores.getA(), scores, "query");
  if (failed(qTrace))
    return failure();
  FailureOr<Trace> kTrace = traceToLinear(scores.getB(), scores, "key");
  if (failed(kTrace))
    return failure();
  FailureOr<Trace> vTrace = traceToLinear(context.getB(), context, "value");
  if (failed(vTrace))
    return failure();
  attention.q = qTrace->projection;
  attention.k = kTrace->projection;
  attention.v = vTrace->projection;

  // Heads from the head split Reshape of each path.
  auto heads =
      [&](Trace &trace,
          StringRef what) -> FailureOr<std::tuple<size_t, int64_t, int64_t>> {
    std::optional<std::tuple<size_t, int64_t, int64_t>> split =
        findHeadSplit(trace);
    LinearLikeOpInterface linear = trace.projection.linear;
    if (!split)
      return linear->emitError()
             << "module recognition: no Reshape splits the " << what
             << " projection " << describe(linear) << " into heads";
    auto [index, n, d] = *split;
    int64_t width = trace.projection.end - trace.projection.begin;
    if (ShapedType::isDynamic(n) || ShapedType::isDynamic(d))
      return trace.steps[index].op->emitError()
             << "module recognition: the head count of " << describe(linear)
             << " is not determined by the shape of this Reshape";
    if (n * d != width)
      return trace.steps[index].op->emitError()
             << "module recognition: " << n << " heads of " << d << " for the "
             << what << " projection " << describe(linear) << " of width "
             << width;
    return *split;
  };
  auto qHeads = heads(*qTrace, "query");
  if (failed(qHeads))
    return failure();
  auto kHeads = heads(*kTrace, "key");
  if (failed(kHeads))
    return failure();
  auto vHeads = heads(*vTrace, "value");
  if (failed(vHeads))
    return failure();
  attention.numQueryHeads = std::get<1>(*qHeads);
  attention.numKVHeads = std::get<1>(*kHeads);
  attention.headDim = std::get<2>(*qHeads);
  if (std::get<2>(*kHeads) != attention.headDim ||
      std::get<2>(*vHeads) != attention.headDim ||
      std::get<1>(*vHeads) != attention.numKVHeads ||
      attention.numQueryHeads % attention.numKVHeads != 0)
    return scores->emitError()
           << "module recognition: inconsistent heads: query "
           << describe(attention.q.linear) << " " << attention.numQueryHeads
           << "x" << attention.headDim << ", key "
           << describe(attention.k.linear) << " " << std::get<1>(*kHeads) << "x"
           << std::get<2>(*kHeads) << ", value " << describe(attention.v.linear)
           << " " << std::get<1>(*vHeads) << "x" << std::get<2>(*vHeads);
  attention.groups = attention.numQueryHeads / attention.numKVHeads;

  // States: Q unscaled as the product reads it; K before repeat_kv and the
  // transpose into Kᵀ.
  auto isScale = [&](const PathStep &step) {
    return llvm::is_contained(qTrace->scaleOps, step.op) ||
           llvm::is_contained(kTrace->scaleOps, step.op);
  };
  attention.query = followHeads(
      *qTrace, std::get<0>(*qHeads),
      [&](const PathStep &step, const HeadStates &) { return isScale(step); });
  attention.key = followHeads(
      *kTrace, std::get<0>(*kHeads),
      [&](const PathStep &step, const HeadStates &next) {
        if (isScale(step) ||
            isa<onnx_ir::UnsqueezeOp, onnx_ir::ExpandOp, onnx_ir::ReshapeOp>(
                step.op))
          return true;
        int64_t rank = cast<ShapedType>(step.result.getType()).getRank();
        return isa<onnx_ir::TransposeOp>(step.op) && next.dimAxis == rank - 2;
      });
  int64_t keyRank = cast<ShapedType>(attention.key.value.getType()).getRank();
  attention.keyTransposed = attention.key.dimAxis == keyRank - 1;

  // Rotary: both q and k or neither.
  if ((qTrace->rotary.kind == RotaryKind::None) !=
      (kTrace->rotary.kind == RotaryKind::None))
    return scores->emitError()
           << "module recognition: a rotary embedding on only one of "
           << describe(attention.q.linear) << " and "
           << describe(attention.k.linear);
  attention.rotary = qTrace->rotary;
  attention.rotary.ops.append(kTrace->rotary.ops);

  // Scale: on the scores, Q and K together.
  attention.scaleOps.append(qTrace->scaleOps);
  attention.scaleOps.append(kTrace->scaleOps);
  if (scaleKnown && qTrace->scaleKnown && kTrace->scaleKnown)
    attention.scale = scoreScale * qTrace->scale * kTrace->scale;

  // Forward from the context product to o.
  Value value = context.getResult();
  SmallVector<Operation *> merge;
  for (int guard = 0; guard < 16 && !attention.o; ++guard) {
    Operation *next = nullptr;
    for (Operation *user : value.getUsers()) {
      if (auto linear = dyn_cast<LinearLikeOpInterface>(user);
          linear && linear.getLinearInput() == value) {
        attention.o = linear;
        break;
      }
      if (isDataMovement(user))
        next = user;
    }
    if (attention.o || !next)
      break;
    merge.push_back(next);
    value = next->getResult(0);
  }
  if (!attention.o)
    return context->emitError()
           << "module recognition: the attention of "
           << describe(attention.q.linear) << " reaches no output projection";
  attention.output = value;

  // Ops and constants that carry the head shapes.
  for (Trace *trace : {&*qTrace, &*kTrace, &*vTrace})
    for (const PathStep &step : trace->steps)
      if (isDataMovement(step.op) ||
          isa<onnx_ir::SplitOp, onnx_ir::SliceOp>(step.op))
        if (!llvm::is_contained(attention.headShapeOps, step.op) &&
            !llvm::is_contained(attention.rotary.ops, step.op))
          attention.headShapeOps.push_back(step.op);
  attention.headShapeOps.append(merge);
  SmallVector<Operation *> constants;
  for (Operation *op : attention.headShapeOps)
    collectShapeConstants(op, constants);
  int64_t d = attention.headDim;
  DenseSet<int64_t> widths{d, d * attention.numQueryHeads,
                           d * attention.numKVHeads};
  for (Operation *op : constants) {
    std::optional<onnx_ir::Shape> values =
        onnx_ir::getConstantIntValues(op->getResult(0), 16);
    if (values &&
        llvm::any_of(*values, [&](int64_t x) { return widths.contains(x); }) &&
        !llvm::is_contained(attention.headDimConstants, op))
      attention.headDimConstants.push_back(op);
  }
  return std::optional<AttentionModule>(std::move(attention));
}

/// Recognizes the MLP whose down projection is `down`.
FailureOr<MLPModule> recognizeMLP(LinearLikeOpInterface down) {
  MLPModule mlp;
  mlp.down = down;
  mlp.hidden = down.getLinearInput();
  SmallVector<LinearLikeOpInterface> linears;
  SmallVector<Value> work{mlp.hidden};
  DenseSet<Operation *> seen;
  while (!work.empty()) {
    Value value = work.pop_back_val();
    if (LinearLikeOpInterface linear = linearOf(value)) {
      if (!llvm::is_contained(linears, linear))
        linears.push_back(linear);
      continue;
    }
    Operation *def = value.getDefiningOp();
    if (!def || matchPattern(value, m_Constant()) || !seen.insert(def).second)
      continue;
    if (seen.size() > 64)
      return down->emitError()
             << "module recognition: the input of " << describe(down)
             << " is no activation of nearby linears";
    mlp.activationOps.push_back(def);
    for (Value operand : def->getOperands())
      work.push_back(operand);
  }
  for (LinearLikeOpInterface linear : linears) {
    LinearRole role = linear.getLinearRole();
    LinearLikeOpInterface &slot = role == LinearRole::gate ? mlp.gate : mlp.up;
    if ((role != LinearRole::gate && role != LinearRole::up) || slot)
      return down->emitError()
             << "module recognition: the input of " << describe(down)
             << " is computed from " << describe(linear) << " (role "
             << stringifyEnum(role)
             << ") besides the MLP's gate and up projections";
    slot = linear;
  }
  if (!mlp.up)
    return down->emitError() << "module recognition: " << describe(down)
                             << " has no up projection";
  std::reverse(mlp.activationOps.begin(), mlp.activationOps.end());
  for (Operation *op : mlp.activationOps) {
    ActivationKind kind = ActivationKind::Unknown;
    if (isa<onnx_ir::ErfOp>(op))
      kind = ActivationKind::GeluErf;
    else if (isa<onnx_ir::TanhOp>(op))
      kind = ActivationKind::GeluTanh;
    else if (isa<onnx_ir::SigmoidOp>(op) || isNode(op, {"Silu", "Swish"}))
      kind = ActivationKind::SiLU;
    else if (isa<onnx_ir::GeluOp>(op) || isNode(op, {"Gelu", "FastGelu"}))
      kind = ActivationKind::Gelu;
    else if (isa<onnx_ir::ReluOp>(op))
      kind = ActivationKind::Relu;
    if (kind == ActivationKind::Unknown)
      continue;
    if (mlp.activation != ActivationKind::Unknown && mlp.activation != kind)
      return op->emitError()
             << "module recognition: two activations ("
             << stringifyActivationKind(mlp.activation) << ", "
             << stringifyActivationKind(kind) << ") before " << describe(down);
    mlp.activation = kind;
  }
  return mlp;
}

/// Where the output of `linear` is added back to the residual stream: the
/// Add and its other operand.
std::optional<std::pair<Operation *, Value>>
findResidualAdd(LinearLikeOpInterface linear) {
  Value value = getAdapterStackTop(linear);
  for (int guard = 0; guard < 8; ++guard) {
    Operation *next = nullptr;
    for (OpOperand &use : value.getUses()) {
      if (isa<onnx_ir::AddOp>(use.getOwner()))
        return std::make_pair(use.getOwner(), use.getOwner()->getOperand(
                                                  1 - use.getOperandNumber()));
      if (isDataMovement(use.getOwner()))
        next = use.getOwner();
    }
    if (!next)
      break;
    value = next->getResult(0);
  }
  return std::nullopt;
}

/// The ops on paths from `from` to `to` (both included when they are ops),
/// looking at most `limit` ops after `from`.
SmallVector<Operation *> opsBetween(Value from, Operation *to, size_t limit) {
  DenseSet<Value> reached{from};
  DenseSet<Operation *> forward;
  Operation *start = from.getDefiningOp();
  Block *block = to->getBlock();
  if (!start || start->getBlock() != block)
    return {};
  size_t count = 0;
  for (Operation *op = start->getNextNode(); op && count < limit;
       op = op->getNextNode(), ++count) {
    if (llvm::any_of(op->getOperands(),
                     [&](Value v) { return reached.contains(v); })) {
      forward.insert(op);
      reached.insert(op->result_begin(), op->result_end());
    }
    if (op == to)
      break;
  }
  if (!forward.contains(to))
    return {};
  SmallVector<Operation *> between;
  SmallVector<Operation *> work{to};
  DenseSet<Operation *> seen{to};
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    between.push_back(op);
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp();
          def && forward.contains(def) && seen.insert(def).second)
        work.push_back(def);
  }
  return between;
}

std::string opNames(ArrayRef<Operation *> ops) {
  SmallVector<std::string> names;
  for (Operation *op : ops)
    names.push_back(op->getName().getStringRef().str());
  llvm::sort(names);
  return llvm::join(names, ",");
}

Value stripCasts(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (!isa<onnx_ir::CastOp, onnx_ir::IdentityOp>(def))
      break;
    value = def->getOperand(0);
  }
  return value;
}

/// Sets the residual stream values of `block`.
LogicalResult findResiduals(TransformerBlock &block) {
  std::optional<std::pair<Operation *, Value>> attnAdd, mlpAdd;
  if (block.attention) {
    attnAdd = findResidualAdd(block.attention->o);
    if (!attnAdd)
      return block.attention->o->emitError()
             << "module recognition: the output of "
             << describe(block.attention->o)
             << " is not added to a residual stream";
  }
  if (block.mlp) {
    mlpAdd = findResidualAdd(block.mlp->down);
    if (!mlpAdd)
      return block.mlp->down->emitError()
             << "module recognition: the output of "
             << describe(block.mlp->down)
             << " is not added to a residual stream";
  }
  block.input = attnAdd ? attnAdd->second : mlpAdd->second;
  if (!mlpAdd) {
    block.output = attnAdd->first->getResult(0);
    return success();
  }
  block.output = mlpAdd->first->getResult(0);
  if (!attnAdd)
    return success();
  Value attnSum = attnAdd->first->getResult(0);
  Value mlpResidual = mlpAdd->second;
  if (stripCasts(mlpResidual) == attnSum)
    return success(); // pre-norm
  // Post-norm: the same normalization follows the MLP's addition.
  Operation *norm = mlpResidual.getDefiningOp();
  SmallVector<Operation *> attnNorm =
      norm ? opsBetween(attnSum, norm, 256) : SmallVector<Operation *>();
  if (attnNorm.empty())
    return block.mlp->down->emitError()
           << "module recognition: the residual stream of "
           << describe(block.mlp->down)
           << " does not come from the attention's residual addition";
  std::string want = opNames(attnNorm);
  for (Operation *op = mlpAdd->first->getNextNode(); op;
       op = op->getNextNode()) {
    if (op->getName() != norm->getName())
      continue;
    SmallVector<Operation *> between =
        opsBetween(block.output, op, 4 * attnNorm.size() + 64);
    if (!between.empty() && opNames(between) == want) {
      block.output = op->getResult(0);
      return success();
    }
    if (between.size() > 2 * attnNorm.size())
      break;
  }
  return mlpAdd->first->emitError()
         << "module recognition: no normalization like the one after the "
            "attention follows this residual addition of "
         << describe(block.mlp->down);
}

std::string commonPathPrefix(ArrayRef<LinearLikeOpInterface> linears) {
  std::optional<SmallVector<StringRef>> common;
  for (LinearLikeOpInterface linear : linears) {
    std::optional<StringRef> path = linear.getModulePath();
    if (!path)
      return "";
    SmallVector<StringRef> parts;
    path->split(parts, '.');
    if (!common) {
      common = parts;
      continue;
    }
    size_t n = 0;
    while (n < common->size() && n < parts.size() && (*common)[n] == parts[n])
      ++n;
    common->resize(n);
  }
  return common ? llvm::join(*common, ".") : "";
}

bool isModuleRole(LinearRole role) { return role != LinearRole::other; }

} // namespace

std::optional<double> mlir::peft::evaluateScalar(Value value) {
  return evalScalar(value);
}

FailureOr<ModelModules> mlir::peft::recognizeModules(Operation *root) {
  DenseMap<Operation *, size_t> order;
  SmallVector<onnx_ir::SoftmaxOp> softmaxes;
  SmallVector<LinearLikeOpInterface> linears;
  root->walk([&](Operation *op) {
    order[op] = order.size();
    if (auto softmax = dyn_cast<onnx_ir::SoftmaxOp>(op))
      softmaxes.push_back(softmax);
    else if (auto linear = dyn_cast<LinearLikeOpInterface>(op))
      linears.push_back(linear);
  });

  // Modules keyed by their last linear (o, down), in program order.
  std::map<size_t, std::variant<AttentionModule, MLPModule>> modules;
  DenseMap<Operation *, Operation *> owner; // linear -> its o or down
  auto claim = [&](LinearLikeOpInterface linear, Operation *last,
                   Operation *at) -> LogicalResult {
    auto [it, inserted] = owner.try_emplace(linear, last);
    if (inserted || it->second == last)
      return success();
    return at->emitError() << "module recognition: " << describe(linear)
                           << " belongs to two modules";
  };
  for (onnx_ir::SoftmaxOp softmax : softmaxes) {
    FailureOr<std::optional<AttentionModule>> attention =
        recognizeAttention(softmax);
    if (failed(attention))
      return failure();
    if (!*attention)
      continue;
    AttentionModule &a = **attention;
    if (owner.contains(a.o))
      return a.o->emitError() << "module recognition: " << describe(a.o)
                              << " is the output projection of two attentions";
    for (LinearLikeOpInterface linear :
         {a.q.linear, a.k.linear, a.v.linear, a.o})
      if (failed(claim(linear, a.o, a.scores)))
        return failure();
    modules.emplace(order[a.o], std::move(a));
  }
  for (LinearLikeOpInterface linear : linears) {
    if (linear.getLinearRole() != LinearRole::down)
      continue;
    FailureOr<MLPModule> mlp = recognizeMLP(linear);
    if (failed(mlp))
      return failure();
    for (LinearLikeOpInterface l : {mlp->gate, mlp->up, mlp->down})
      if (l && failed(claim(l, linear, linear)))
        return failure();
    modules.emplace(order[linear], std::move(*mlp));
  }

  ModelModules result;
  for (LinearLikeOpInterface linear : linears) {
    if (owner.contains(linear))
      continue;
    if (isModuleRole(linear.getLinearRole()))
      return linear->emitError()
             << "module recognition: " << describe(linear) << " has role "
             << stringifyEnum(linear.getLinearRole())
             << " but belongs to no recognized "
             << (llvm::is_contained({LinearRole::gate, LinearRole::up},
                                    linear.getLinearRole())
                     ? "MLP"
                     : "attention");
    result.unassigned.push_back(linear);
  }

  // An attention opens a block; an MLP joins the open one.
  for (auto &[position, module] : modules) {
    bool isAttention = std::holds_alternative<AttentionModule>(module);
    if (isAttention || result.blocks.empty() || result.blocks.back().mlp) {
      result.blocks.emplace_back();
      result.blocks.back().index = result.blocks.size() - 1;
    }
    TransformerBlock &block = result.blocks.back();
    if (isAttention)
      block.attention = std::get<AttentionModule>(std::move(module));
    else
      block.mlp = std::get<MLPModule>(std::move(module));
  }
  for (TransformerBlock &block : result.blocks) {
    SmallVector<LinearLikeOpInterface> members;
    if (block.attention)
      members.append({block.attention->q.linear, block.attention->k.linear,
                      block.attention->v.linear, block.attention->o});
    if (block.mlp) {
      if (block.mlp->gate)
        members.push_back(block.mlp->gate);
      members.append({block.mlp->up, block.mlp->down});
    }
    block.pathPrefix = commonPathPrefix(members);
    if (failed(findResiduals(block)))
      return failure();
  }
  return result;
}

std::optional<std::pair<int64_t, int64_t>>
mlir::peft::getLastAxisSliceRange(onnx_ir::SliceOp slice) {
  auto type = dyn_cast<RankedTensorType>(slice.getData().getType());
  if (!type || type.isDynamicDim(type.getRank() - 1))
    return std::nullopt;
  int64_t rank = type.getRank(), width = type.getShape().back();
  auto single = [](Value value) -> std::optional<int64_t> {
    std::optional<onnx_ir::Shape> values =
        onnx_ir::getConstantIntValues(value, 1);
    if (!values || values->size() != 1)
      return std::nullopt;
    return (*values)[0];
  };
  std::optional<int64_t> start = single(slice.getStarts()),
                         end = single(slice.getEnds());
  if (!start || !end)
    return std::nullopt;
  if (!onnx_ir::isNone(slice.getAxes())) {
    std::optional<int64_t> axis = single(slice.getAxes());
    if (!axis || (*axis != -1 && *axis != rank - 1))
      return std::nullopt;
  } else if (rank != 1) {
    return std::nullopt;
  }
  if (!onnx_ir::isNone(slice.getSteps()) && single(slice.getSteps()) != 1)
    return std::nullopt;
  auto clampIndex = [&](int64_t i) {
    return std::clamp<int64_t>(i < 0 ? i + width : i, 0, width);
  };
  return std::make_pair(clampIndex(*start), clampIndex(*end));
}
