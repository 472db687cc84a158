//===- DecomposeFusedOps.cpp - opset-23 fused ops as standard onnx ops ----===//
//
// RMSNormalization, RotaryEmbedding and Attention become the onnx ops of
// their ONNX function bodies. Every check that can fail runs before the first
// op is created, so a node is either expanded whole or left as it was with an
// error that names it.
//
//===----------------------------------------------------------------------===//

#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/ONNX/IR/ONNXShapes.h"
#include "peft/Dialect/ONNX/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>

namespace mlir::peft {
#define GEN_PASS_DEF_ONNXDECOMPOSEFUSEDOPS
#include "peft/Dialect/ONNX/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::onnx_ir;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

/// The ONNX data type number of a float element type (0 when not one).
int64_t onnxDataType(Type type) {
  if (type.isF32())
    return 1;
  if (type.isF16())
    return 10;
  if (type.isF64())
    return 11;
  if (type.isBF16())
    return 16;
  return 0;
}

/// "'name' (OpType)" for diagnostics: the node name the importer put in the
/// location, and the ONNX operator.
std::string describe(Operation *op) {
  std::string name;
  if (auto loc = dyn_cast<NameLoc>(op->getLoc()))
    name = loc.getName().str();
  return "'" + name + "' (" +
         op->getName().getStringRef().drop_front(sizeof("onnx.") - 1).str() +
         ")";
}

InFlightDiagnostic cannotExpand(Operation *op) {
  return op->emitError("onnx-decompose-fused-ops: cannot expand node ")
         << describe(op) << ": ";
}

/// Builds onnx ops at one location, typing each result by the dialect's own
/// inference (ONNXShapes.h).
class Expander {
public:
  Expander(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  template <typename OpT>
  Value make(ValueRange operands, ArrayRef<NamedAttribute> attrs = {}) {
    OperationState state(loc, OpT::getOperationName());
    state.addOperands(operands);
    state.addAttributes(attrs);
    state.addTypes(UnrankedTensorType::get(b.getNoneType()));
    Operation *op = b.create(state);
    fillUnknownResultTypes(op);
    Value result = op->getResult(0);
    auto type = dyn_cast<RankedTensorType>(result.getType());
    if (!type || isa<NoneType>(type.getElementType()))
      untyped = true;
    return result;
  }

  /// An op whose result type is given.
  template <typename OpT>
  Value makeTyped(Type type, ValueRange operands,
                  ArrayRef<NamedAttribute> attrs = {}) {
    OperationState state(loc, OpT::getOperationName());
    state.addOperands(operands);
    state.addAttributes(attrs);
    state.addTypes(type);
    return b.create(state)->getResult(0);
  }

  NamedAttribute attr(StringRef name, int64_t value) {
    return b.getNamedAttr(name, b.getI64IntegerAttr(value));
  }

  Value constant(DenseElementsAttr value) {
    return makeTyped<ConstantOp>(value.getType(), {},
                                 {b.getNamedAttr("value", value)});
  }
  Value i64s(ArrayRef<int64_t> values) {
    auto type = RankedTensorType::get({int64_t(values.size())}, b.getI64Type());
    return constant(DenseElementsAttr::get(type, values));
  }
  /// A 0-D float constant.
  Value scalar(Type element, double value) {
    auto type = RankedTensorType::get({}, element);
    return constant(DenseElementsAttr::get(
        type, {Attribute(FloatAttr::get(element, value))}));
  }
  Value none() { return NoneOp::create(b, loc).getResult(); }

  /// `x` as `element` (x itself when it already is).
  Value castTo(Value x, Type element) {
    auto type = cast<TensorType>(x.getType());
    if (type.getElementType() == element)
      return x;
    return makeTyped<CastOp>(type.clone(element), {x},
                             {attr("to", onnxDataType(element))});
  }
  Value reshape(Value x, ArrayRef<int64_t> shape) {
    return make<ReshapeOp>({x, i64s(shape)});
  }
  Value transpose(Value x, ArrayRef<int64_t> perm) {
    return make<TransposeOp>(
        {x}, {b.getNamedAttr("perm", b.getDenseI64ArrayAttr(perm))});
  }
  Value unsqueeze(Value x, ArrayRef<int64_t> axes) {
    return make<UnsqueezeOp>({x, i64s(axes)});
  }
  Value slice(Value x, int64_t start, int64_t end, int64_t axis) {
    return make<SliceOp>({x, i64s({start}), i64s({end}), i64s({axis}), none()});
  }
  Value concat(ValueRange inputs, int64_t axis) {
    return make<ConcatOp>(inputs, {attr("axis", axis)});
  }
  /// Dimension `dim` of `x` as a 1-D i64 tensor of one element.
  Value dimVector(Value x, int64_t dim) {
    int64_t extent = cast<RankedTensorType>(x.getType()).getDimSize(dim);
    if (!ShapedType::isDynamic(extent))
      return i64s({extent});
    return make<ShapeOp>({x}, {attr("start", dim), attr("end", dim + 1)});
  }

  OpBuilder &b;
  Location loc;
  /// Set when inference left a result untyped (a bug of the expansion).
  bool untyped = false;
};

int64_t dimOf(Value value, int64_t dim) {
  return cast<RankedTensorType>(value.getType()).getDimSize(dim);
}

/// The values replacing `op`'s results; results that are `none` are skipped.
/// A value whose type differs from the result's goes through an Identity with
/// the result's type (the importer's type may know more or less).
void replaceResults(Operation *op, ArrayRef<Value> values, Expander &e) {
  for (auto [result, value] : llvm::zip_equal(op->getResults(), values)) {
    if (isNone(result) || result.use_empty())
      continue;
    Value replacement = value;
    if (value.getType() != result.getType())
      replacement = e.makeTyped<IdentityOp>(result.getType(), {value});
    result.replaceAllUsesWith(replacement);
  }
}

//===----------------------------------------------------------------------===//
// RMSNormalization
//===----------------------------------------------------------------------===//

LogicalResult expand(RMSNormalizationOp op, OpBuilder &b) {
  auto xType = dyn_cast<RankedTensorType>(op.getX().getType());
  auto scaleType = dyn_cast<RankedTensorType>(op.getScale().getType());
  if (!xType || !scaleType)
    return cannotExpand(op) << "X and scale must be ranked";
  int64_t rank = xType.getRank();
  std::optional<int64_t> axis = normalizeAxis(op.getAxisOrDefault(), rank);
  Type stash = getElementTypeForONNXDataType(op.getContext(),
                                             op.getStashTypeOrDefault());
  if (!axis || !stash)
    return cannotExpand(op) << "invalid axis or stash_type";

  Expander e(b, op.getLoc());
  Value x = e.castTo(op.getX(), stash);
  Value mean = e.make<ReduceMeanOp>(
      {e.make<MulOp>({x, x}),
       e.i64s(llvm::to_vector(llvm::seq<int64_t>(*axis, rank)))});
  Value rms = e.make<SqrtOp>(
      {e.make<AddOp>({mean, e.scalar(stash, op.getEpsilonOrDefault())})});
  Value normalized = e.make<MulOp>({x, e.make<ReciprocalOp>({rms})});
  Value y = e.make<MulOp>(
      {e.castTo(normalized, scaleType.getElementType()), op.getScale()});
  if (e.untyped)
    return cannotExpand(op) << "internal error: an expanded value is untyped";
  replaceResults(op, {y}, e);
  return success();
}

//===----------------------------------------------------------------------===//
// RotaryEmbedding
//===----------------------------------------------------------------------===//

LogicalResult expand(RotaryEmbeddingOp op, OpBuilder &b) {
  auto xType = dyn_cast<RankedTensorType>(op.getX().getType());
  auto cosType = dyn_cast<RankedTensorType>(op.getCosCache().getType());
  if (!xType || !cosType ||
      !isa<RankedTensorType>(op.getSinCache().getType()) ||
      (!isNone(op.getPositionIds()) &&
       !isa<RankedTensorType>(op.getPositionIds().getType())))
    return cannotExpand(op)
           << "X, cos_cache, sin_cache and position_ids must be ranked";
  bool is3D = xType.getRank() == 3;
  int64_t headSize = xType.getShape().back();
  int64_t hidden = headSize, heads = 0;
  if (is3D) {
    heads = op.getNumHeadsAttr().getInt();
    if (ShapedType::isDynamic(hidden) || hidden % heads)
      return cannotExpand(op) << "the hidden size of a 3-D X must be static "
                                 "and a multiple of num_heads ("
                              << heads << "), got " << xType;
    headSize = hidden / heads;
  } else if (ShapedType::isDynamic(headSize)) {
    return cannotExpand(op)
           << "the head size of X must be static, got " << xType;
  }
  int64_t dim = op.getRotaryEmbeddingDimOrDefault();
  if (dim == 0)
    dim = headSize;
  if (dim > headSize || dim % 2)
    return cannotExpand(op)
           << "rotary_embedding_dim " << dim
           << " must be even and at most the head size " << headSize;
  int64_t half = dim / 2;
  int64_t cacheWidth = cosType.getShape().back();
  if (!ShapedType::isDynamic(cacheWidth) && cacheWidth != half)
    return cannotExpand(op) << "the caches have " << cacheWidth
                            << " columns, rotary_embedding_dim/2 is " << half;
  bool interleaved = op.getInterleavedOrDefault() != 0;

  Expander e(b, op.getLoc());
  // [batch, seq, heads, head_size]
  Value x = is3D ? e.reshape(op.getX(), {0, 0, heads, headSize})
                 : e.transpose(op.getX(), {0, 2, 1, 3});
  Value cos = op.getCosCache(), sin = op.getSinCache();
  if (!isNone(op.getPositionIds())) {
    cos = e.make<GatherOp>({cos, op.getPositionIds()}, {e.attr("axis", 0)});
    sin = e.make<GatherOp>({sin, op.getPositionIds()}, {e.attr("axis", 0)});
  }
  // [batch, seq, 1, dim/2] (and a trailing 1 for the pairs of interleaved).
  SmallVector<int64_t> cacheAxes =
      interleaved ? SmallVector<int64_t>{2, 4} : SmallVector<int64_t>{2};
  cos = e.unsqueeze(cos, cacheAxes);
  sin = e.unsqueeze(sin, cacheAxes);
  Value rotated = dim < headSize ? e.slice(x, 0, dim, 3) : x;
  Value x1, x2;
  if (interleaved) {
    rotated = e.reshape(rotated, {0, 0, 0, half, 2});
    x1 = e.slice(rotated, 0, 1, 4);
    x2 = e.slice(rotated, 1, 2, 4);
  } else {
    x1 = e.slice(rotated, 0, half, 3);
    x2 = e.slice(rotated, half, dim, 3);
  }
  Value real =
      e.make<SubOp>({e.make<MulOp>({cos, x1}), e.make<MulOp>({sin, x2})});
  Value imag =
      e.make<AddOp>({e.make<MulOp>({sin, x1}), e.make<MulOp>({cos, x2})});
  Value y;
  if (interleaved)
    y = e.reshape(e.concat({real, imag}, 4), {0, 0, 0, dim});
  else
    y = e.concat({real, imag}, 3);
  if (dim < headSize)
    y = e.concat({y, e.slice(x, dim, headSize, 3)}, 3);
  y = is3D ? e.reshape(y, {0, 0, hidden}) : e.transpose(y, {0, 2, 1, 3});
  if (e.untyped)
    return cannotExpand(op) << "internal error: an expanded value is untyped";
  replaceResults(op, {y}, e);
  return success();
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

/// What the Attention expansion needs to know before it builds anything.
struct AttentionPlan {
  bool is3D;
  int64_t qHeads, kvHeads, headSize, vHeadSize;
  float scale;
  Type element, softmaxElement;
  /// Columns of -inf that a short mask gets at its end.
  int64_t maskPad = 0;
  /// Query and key lengths (static) when nonpad_kv_seqlen is given.
  int64_t seq = 0, keys = 0;
};

FailureOr<AttentionPlan> planAttention(AttentionOp op) {
  auto q = dyn_cast<RankedTensorType>(op.getQ().getType());
  auto k = dyn_cast<RankedTensorType>(op.getK().getType());
  auto v = dyn_cast<RankedTensorType>(op.getV().getType());
  if (!q || !k || !v)
    return cannotExpand(op) << "Q, K and V must be ranked";
  for (Value past : {op.getPastKey(), op.getPastValue()})
    if (!isNone(past) && !isa<RankedTensorType>(past.getType()))
      return cannotExpand(op) << "past_key and past_value must be ranked";
  AttentionPlan plan;
  plan.is3D = q.getRank() == 3;
  plan.element = q.getElementType();
  if (k.getElementType() != plan.element || v.getElementType() != plan.element)
    return cannotExpand(op) << "Q, K and V of different element types";
  if (plan.is3D) {
    plan.qHeads = op.getQNumHeadsAttr().getInt();
    plan.kvHeads = op.getKvNumHeadsAttr().getInt();
    auto perHead = [](int64_t hidden, int64_t heads) {
      return ShapedType::isDynamic(hidden) || hidden % heads ? kDyn
                                                             : hidden / heads;
    };
    plan.headSize = perHead(q.getDimSize(2), plan.qHeads);
    int64_t kHeadSize = perHead(k.getDimSize(2), plan.kvHeads);
    plan.vHeadSize = perHead(v.getDimSize(2), plan.kvHeads);
    if (ShapedType::isDynamic(plan.headSize) ||
        ShapedType::isDynamic(plan.vHeadSize) || kHeadSize != plan.headSize)
      return cannotExpand(op)
             << "3-D Q, K and V need static hidden sizes that are multiples "
                "of q_num_heads/kv_num_heads with equal Q and K head sizes, "
                "got "
             << q << ", " << k << ", " << v;
  } else {
    plan.qHeads = q.getDimSize(1);
    plan.kvHeads = k.getDimSize(1);
    plan.headSize = q.getDimSize(3);
    plan.vHeadSize = v.getDimSize(3);
    if (ShapedType::isDynamic(plan.qHeads) ||
        ShapedType::isDynamic(plan.kvHeads) ||
        ShapedType::isDynamic(plan.headSize))
      return cannotExpand(op) << "4-D Q and K need static head counts and "
                                 "head size, got "
                              << q << ", " << k;
  }
  if (plan.qHeads % plan.kvHeads)
    return cannotExpand(op)
           << "q_num_heads " << plan.qHeads
           << " is not a multiple of kv_num_heads " << plan.kvHeads;
  if (plan.qHeads != plan.kvHeads && ShapedType::isDynamic(plan.vHeadSize))
    return cannotExpand(op)
           << "grouped-query attention needs a static V head size, got " << v;
  plan.scale = op.getScaleAttr()
                   ? op.getScaleAttr().getValueAsDouble()
                   : 1.0 / std::sqrt(static_cast<double>(plan.headSize));
  plan.softmaxElement = plan.element;
  if (IntegerAttr precision = op.getSoftmaxPrecisionAttr())
    plan.softmaxElement =
        getElementTypeForONNXDataType(op.getContext(), precision.getInt());

  if (!isNone(op.getAttnMask())) {
    auto mask = dyn_cast<RankedTensorType>(op.getAttnMask().getType());
    if (!mask || mask.getRank() == 0)
      return cannotExpand(op) << "attn_mask must be ranked with rank >= 1";
    Type maskElement = mask.getElementType();
    if (!maskElement.isSignlessInteger(1) && maskElement != plan.element)
      return cannotExpand(op)
             << "attn_mask must be boolean or of Q's element type "
             << plan.element << ", got " << mask;
    // The keys: the past ones and the new ones.
    int64_t kvSeq = k.getDimSize(plan.is3D ? 1 : 2), past = 0;
    if (!isNone(op.getPastKey()))
      past = dimOf(op.getPastKey(), 2);
    int64_t columns = mask.getShape().back();
    if (!ShapedType::isDynamic(columns) && !ShapedType::isDynamic(kvSeq) &&
        !ShapedType::isDynamic(past) && columns != past + kvSeq) {
      if (columns > past + kvSeq || columns == 1)
        return cannotExpand(op)
               << "attn_mask has " << columns << " columns for " << past + kvSeq
               << " keys (a shorter mask is padded, a "
               << "longer or single-column one is not supported)";
      plan.maskPad = past + kvSeq - columns;
    }
  }
  if (!isNone(op.getNonpadKvSeqlen())) {
    if (!isa<RankedTensorType>(op.getNonpadKvSeqlen().getType()))
      return cannotExpand(op) << "nonpad_kv_seqlen must be ranked";
    plan.seq = q.getDimSize(plan.is3D ? 1 : 2);
    plan.keys = k.getDimSize(plan.is3D ? 1 : 2);
    if (ShapedType::isDynamic(plan.seq) || ShapedType::isDynamic(plan.keys))
      return cannotExpand(op) << "nonpad_kv_seqlen needs static sequence "
                                 "lengths, got "
                              << q << ", " << k;
  }
  return plan;
}

/// The key or value heads repeated for grouped-query attention:
/// [B, Hkv, T, D] -> [B, Hq, T, D] with each head serving consecutive query
/// heads (the function body's Unsqueeze/Expand/Reshape).
Value repeatHeads(Expander &e, Value x, const AttentionPlan &plan,
                  int64_t headSize) {
  if (plan.qHeads == plan.kvHeads)
    return x;
  Value expanded = e.make<ExpandOp>(
      {e.unsqueeze(x, {2}), e.i64s({1, 1, plan.qHeads / plan.kvHeads, 1, 1})});
  return e.reshape(expanded, {0, plan.qHeads, -1, headSize});
}

/// [B, S, H·D] -> [B, H, S, D].
Value splitHeads(Expander &e, Value x, int64_t heads, int64_t headSize) {
  return e.transpose(e.reshape(x, {0, 0, heads, headSize}), {0, 2, 1, 3});
}

/// An external cache (Attention-24's nonpad_kv_seqlen, `n[b]` valid keys of
/// batch b): -inf for the padding keys j >= n[b], and the causal and window
/// bounds offset by n[b] - S per batch, on [B, 1, S, T].
Value addExternalCacheBias(Expander &e, AttentionOp op,
                           const AttentionPlan &plan, Value bias) {
  double negInf = -std::numeric_limits<double>::infinity();
  Value cols = e.i64s(llvm::to_vector(llvm::seq<int64_t>(0, plan.keys)));
  Value rows = e.reshape(
      e.i64s(llvm::to_vector(llvm::seq<int64_t>(0, plan.seq))), {plan.seq, 1});
  Value keyMinusQuery = e.make<SubOp>({cols, rows}); // [S, T]
  Value valid = e.reshape(op.getNonpadKvSeqlen(), {-1, 1, 1, 1});
  Value offset = e.make<SubOp>({valid, e.i64s({plan.seq})}); // [B, 1, 1, 1]
  auto add = [&](Value masked) {
    Value term = e.make<WhereOp>(
        {masked, e.scalar(plan.element, negInf), e.scalar(plan.element, 0.0)});
    bias = bias ? e.make<AddOp>({bias, term}) : term;
  };
  add(e.make<NotOp>({e.make<LessOp>({cols, valid})}));
  auto beyond = [&](int64_t by) {
    return e.make<GreaterOp>(
        {keyMinusQuery, e.make<AddOp>({offset, e.i64s({by})})});
  };
  if (op.getIsCausalOrDefault())
    add(beyond(0));
  if (int64_t right = op.getRightWindowSizeOrDefault(); right >= 0)
    add(beyond(right));
  if (int64_t left = op.getLeftWindowSizeOrDefault(); left >= 0)
    add(e.make<LessOp>(
        {keyMinusQuery, e.make<SubOp>({offset, e.i64s({left})})}));
  return bias;
}

/// The additive bias of the scores: the mask (a boolean one as 0/-inf, a
/// short one padded with -inf) plus, with is_causal, -inf where key j > query
/// i + past length, plus -inf outside the sliding window. Null when there is
/// none.
Value buildBias(Expander &e, AttentionOp op, const AttentionPlan &plan,
                Value q4, Value keys) {
  double negInf = -std::numeric_limits<double>::infinity();
  Value bias;
  if (Value mask = op.getAttnMask(); !isNone(mask)) {
    if (cast<TensorType>(mask.getType()).getElementType().isSignlessInteger(1))
      mask = e.make<WhereOp>(
          {mask, e.scalar(plan.element, 0.0), e.scalar(plan.element, negInf)});
    if (plan.maskPad) {
      int64_t rank = cast<RankedTensorType>(mask.getType()).getRank();
      SmallVector<int64_t> pads(2 * rank, 0);
      pads.back() = plan.maskPad;
      mask = e.make<PadOp>(
          {mask, e.i64s(pads), e.scalar(plan.element, negInf), e.none()});
    }
    bias = mask;
  }
  // -inf where key j lies beyond query i + past by more than `k` - 1
  // (`upper`: j - i >= k) or before it by more than -`k` - 1 (lower: j - i <=
  // k): Trilu of a -inf [S, T] tensor, `k` offset by the past length.
  auto band = [&](bool upper, int64_t k) {
    Value shape = e.concat({e.dimVector(q4, 2), e.dimVector(keys, 2)}, 0);
    auto type =
        RankedTensorType::get({dimOf(q4, 2), dimOf(keys, 2)}, plan.element);
    auto fill = DenseElementsAttr::get(
        RankedTensorType::get({1}, plan.element),
        {Attribute(FloatAttr::get(plan.element, negInf))});
    Value full = e.makeTyped<ConstantOfShapeOp>(
        type, {shape}, {e.b.getNamedAttr("value", fill)});
    Value offset = e.i64s({k});
    if (!isNone(op.getPastKey()))
      offset = e.make<AddOp>({e.dimVector(op.getPastKey(), 2), offset});
    Value masked =
        e.make<TriluOp>({full, offset}, {e.attr("upper", upper ? 1 : 0)});
    bias = bias ? e.make<AddOp>({bias, masked}) : masked;
  };
  int64_t right = op.getRightWindowSizeOrDefault();
  int64_t left = op.getLeftWindowSizeOrDefault();
  if (!isNone(op.getNonpadKvSeqlen()))
    return addExternalCacheBias(e, op, plan, bias);
  if (op.getIsCausalOrDefault())
    band(/*upper=*/true, 1);
  // Attention-25's sliding window, applied on top of mask and causality.
  if (right >= 0)
    band(/*upper=*/true, right + 1);
  if (left >= 0)
    band(/*upper=*/false, -left - 1);
  return bias;
}

LogicalResult expand(AttentionOp op, OpBuilder &b) {
  FailureOr<AttentionPlan> planned = planAttention(op);
  if (failed(planned))
    return failure();
  const AttentionPlan &plan = *planned;
  Expander e(b, op.getLoc());

  Value q = op.getQ(), k = op.getK(), v = op.getV();
  if (plan.is3D) {
    q = splitHeads(e, q, plan.qHeads, plan.headSize);
    k = splitHeads(e, k, plan.kvHeads, plan.headSize);
    v = splitHeads(e, v, plan.kvHeads, plan.vHeadSize);
  }
  if (!isNone(op.getPastKey())) {
    k = e.concat({op.getPastKey(), k}, 2);
    v = e.concat({op.getPastValue(), v}, 2);
  }
  Value presentKey = k, presentValue = v;
  k = repeatHeads(e, k, plan, plan.headSize);
  v = repeatHeads(e, v, plan, plan.vHeadSize);

  // Q·√scale · (K·√scale)ᵀ, as the function body scales.
  Value rootScale = e.scalar(plan.element, std::sqrt(double(plan.scale)));
  Value scores = e.make<MatMulOp>(
      {e.make<MulOp>({q, rootScale}),
       e.make<MulOp>({e.transpose(k, {0, 1, 3, 2}), rootScale})});
  Value raw = scores;
  if (float cap = op.getSoftcapOrDefault(); cap > 0.0f) {
    Value capValue = e.scalar(plan.element, cap);
    scores = e.make<MulOp>(
        {e.make<TanhOp>({e.make<DivOp>({scores, capValue})}), capValue});
  }
  Value capped = scores;
  Value bias = buildBias(e, op, plan, q, k);
  if (bias)
    scores = e.make<AddOp>({scores, bias});
  Value biased = scores;

  Value probs =
      e.castTo(e.make<SoftmaxOp>({e.castTo(scores, plan.softmaxElement)},
                                 {e.attr("axis", -1)}),
               plan.element);
  // A row whose keys are all masked gives zeros (not NaN). Only a mask, a
  // window or padding can mask a whole row: the causal mask keeps key 0.
  if (!isNone(op.getAttnMask()) || !isNone(op.getNonpadKvSeqlen()) ||
      op.getLeftWindowSizeOrDefault() >= 0 ||
      op.getRightWindowSizeOrDefault() >= 0) {
    double negInf = -std::numeric_limits<double>::infinity();
    Value rowMax =
        e.make<ReduceMaxOp>({bias, e.i64s({-1})}, {e.attr("keepdims", 1)});
    Value allMasked = e.make<EqualOp>({rowMax, e.scalar(plan.element, negInf)});
    probs = e.make<WhereOp>({allMasked, e.scalar(plan.element, 0.0), probs});
  }
  Value y = e.make<MatMulOp>({probs, v});
  if (plan.is3D)
    y = e.reshape(e.transpose(y, {0, 2, 1, 3}),
                  {0, 0, plan.qHeads * plan.vHeadSize});

  Value stages[] = {raw, capped, biased, probs};
  Value qkOutput = stages[op.getQkMatmulOutputModeOrDefault()];
  if (e.untyped)
    return cannotExpand(op) << "internal error: an expanded value is untyped";
  replaceResults(op, {y, presentKey, presentValue, qkOutput}, e);
  return success();
}

struct ONNXDecomposeFusedOpsPass
    : public peft::impl::ONNXDecomposeFusedOpsBase<ONNXDecomposeFusedOpsPass> {
  void runOnOperation() override {
    SmallVector<Operation *> fused;
    getOperation().walk([&](Operation *op) {
      if (isa<RMSNormalizationOp, RotaryEmbeddingOp, AttentionOp>(op))
        fused.push_back(op);
    });
    bool failedAny = false;
    OpBuilder b(&getContext());
    for (Operation *op : fused) {
      b.setInsertionPoint(op);
      LogicalResult expanded =
          llvm::TypeSwitch<Operation *, LogicalResult>(op)
              .Case<RMSNormalizationOp, RotaryEmbeddingOp, AttentionOp>(
                  [&](auto fusedOp) { return expand(fusedOp, b); });
      if (failed(expanded)) {
        failedAny = true;
        continue;
      }
      op->erase();
    }
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
