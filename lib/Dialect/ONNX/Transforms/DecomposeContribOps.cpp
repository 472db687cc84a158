//===- DecomposeContribOps.cpp - onnxruntime contrib ops as standard ops --===//
//
// --onnx-decompose-contrib-ops: expands the fused ops of onnxruntime's
// transformer optimizer into the standard onnx ops that convert-onnx-to-linalg
// lowers and the ONNX exporter writes at any opset from 13 on. The expansions
// follow onnxruntime's CPU kernels (docs/onnx.md, "Contrib ops"); GELUs
// become Erf/Tanh arithmetic (onnx.Gelu needs opset 20, and the role
// inference of peft-raise-linear sees Erf/Tanh as activations), and
// com.microsoft.Attention becomes one packed MatMul + Add + Split, the form of
// GPT-2's c_attn, so that peft-raise-linear finds its projection as a `qkv`
// linear.
//
//===----------------------------------------------------------------------===//

#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/ONNX/IR/ONNXShapes.h"
#include "peft/Dialect/ONNX/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

namespace mlir::peft {
#define GEN_PASS_DEF_ONNXDECOMPOSECONTRIBOPS
#include "peft/Dialect/ONNX/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::onnx_ir;

namespace {

// ONNX TensorProto data types used by the Casts below.
constexpr int64_t kOnnxInt32 = 6;
constexpr int64_t kOnnxInt64 = 7;

/// Creates onnx ops at one location, typing their results with the dialect's
/// own inference (what the importer does for every node).
struct Emitter {
  OpBuilder &b;
  Location loc;
  int64_t opset;

  /// An op whose result types our inference fills in.
  template <typename OpT, typename... Args> OpT make(Args &&...args) {
    Type unknown = UnrankedTensorType::get(b.getNoneType());
    SmallVector<Type> types(OpT::kNumOutputs < 0 ? 1 : OpT::kNumOutputs,
                            unknown);
    auto op = OpT::create(b, loc, types, std::forward<Args>(args)...);
    fillUnknownResultTypes(op);
    return op;
  }
  template <typename OpT, typename... Args> Value value(Args &&...args) {
    return make<OpT>(std::forward<Args>(args)...)->getResult(0);
  }

  Value constant(DenseElementsAttr value) {
    return ConstantOp::create(b, loc, value.getType(), value, nullptr, nullptr,
                              nullptr, nullptr, nullptr, nullptr);
  }
  Value i64s(ArrayRef<int64_t> values) {
    auto type = RankedTensorType::get({int64_t(values.size())}, b.getI64Type());
    return constant(DenseElementsAttr::get(type, values));
  }
  /// A 0-D constant of float type `element`.
  Value scalar(Type element, double v) {
    auto type = RankedTensorType::get({}, element);
    return constant(
        DenseElementsAttr::get(type, b.getFloatAttr(element, v).getValue()));
  }
  Value cast(Value input, Type element, int64_t onnxType) {
    auto type = llvm::cast<RankedTensorType>(input.getType()).clone(element);
    return CastOp::create(b, loc, type, input, b.getI64IntegerAttr(onnxType),
                          nullptr);
  }
  Value add(Value x, Value y) { return value<AddOp>(x, y); }
  Value mul(Value x, Value y) { return value<MulOp>(x, y); }

  /// Mean over `axes`, keeping them (ReduceMean's axes are an input from
  /// opset 18 on, an attribute before).
  Value reduceMean(Value x, ArrayRef<int64_t> axes) {
    IntegerAttr keep = b.getI64IntegerAttr(1);
    if (opset >= 18)
      return value<ReduceMeanOp>(x, i64s(axes), nullptr, keep, nullptr);
    return value<ReduceMeanOp>(x, NoneOp::create(b, loc),
                               b.getDenseI64ArrayAttr(axes), keep, nullptr);
  }
  /// Dimension `d` of ranked `x` as a 1-D i64 tensor of one element: a
  /// constant when static, else Slice(Shape(x)) (Shape's start/end need
  /// opset 15).
  Value dimVector(Value x, int64_t d) {
    int64_t size = llvm::cast<RankedTensorType>(x.getType()).getDimSize(d);
    if (!ShapedType::isDynamic(size))
      return i64s({size});
    Value shape = value<ShapeOp>(x, nullptr, nullptr);
    return value<SliceOp>(shape, i64s({d}), i64s({d + 1}), i64s({0}),
                          NoneOp::create(b, loc));
  }
  Value unsqueeze(Value x, ArrayRef<int64_t> axes) {
    return value<UnsqueezeOp>(x, i64s(axes), nullptr);
  }
  Value reshape(Value x, ArrayRef<int64_t> shape) {
    return value<ReshapeOp>(x, i64s(shape), nullptr);
  }
  Value transpose(Value x, ArrayRef<int64_t> perm) {
    return value<TransposeOp>(x, b.getDenseI64ArrayAttr(perm));
  }

  /// erf GELU, 0.5·x·(1 + erf(x/√2)), as onnxruntime's BiasGelu computes it.
  Value geluErf(Value x) {
    Type element = getElementTypeOrSelf(x.getType());
    Value erf = value<ErfOp>(mul(x, scalar(element, M_SQRT1_2)));
    return mul(mul(x, scalar(element, 0.5)), add(erf, scalar(element, 1.0)));
  }
  /// tanh GELU, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (FastGelu).
  Value geluTanh(Value x) {
    Type element = getElementTypeOrSelf(x.getType());
    Value cube = mul(mul(x, x), x);
    Value inner = add(x, mul(cube, scalar(element, 0.044715)));
    Value t = value<TanhOp>(mul(inner, scalar(element, std::sqrt(2 / M_PI))));
    return mul(mul(x, scalar(element, 0.5)), add(t, scalar(element, 1.0)));
  }

  /// RMS normalization over the dimensions from `axis` on: (x·inv_std_var,
  /// inv_std_var) with inv_std_var = 1/sqrt(mean(x²) + epsilon).
  std::pair<Value, Value> rmsNorm(Value x, int64_t axis, float epsilon) {
    int64_t rank = llvm::cast<RankedTensorType>(x.getType()).getRank();
    Type element = getElementTypeOrSelf(x.getType());
    SmallVector<int64_t> axes = llvm::to_vector(llvm::seq(axis, rank));
    Value meanSquare = reduceMean(mul(x, x), axes);
    Value invStd = value<ReciprocalOp>(
        value<SqrtOp>(add(meanSquare, scalar(element, epsilon))));
    return {mul(x, invStd), invStd};
  }

  /// LayerNormalization over the last dimension with all three results.
  LayerNormalizationOp layerNorm(Value x, Value gamma, Value beta,
                                 float epsilon) {
    auto type = llvm::cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> statsShape(type.getShape());
    statsShape.back() = 1;
    auto stats = RankedTensorType::get(statsShape, b.getF32Type());
    return LayerNormalizationOp::create(b, loc, type, stats, stats, x, gamma,
                                        beta, b.getI64IntegerAttr(-1),
                                        b.getF32FloatAttr(epsilon), nullptr);
  }
};

/// Replaces the results of `op` that are in use by `values` (null: an
/// output the decomposition does not produce; an error if it is used).
LogicalResult replaceResults(RewriterBase &rewriter, Operation *op,
                             ArrayRef<Value> values) {
  for (auto [result, given] : llvm::zip_equal(op->getResults(), values)) {
    Value value = given;
    if (result.use_empty())
      continue;
    if (!value)
      return op->emitOpError("result #")
             << result.getResultNumber()
             << " is used but onnx-decompose-contrib-ops does not compute it";
    if (value.getType() != result.getType()) {
      // The import recorded what ONNX knew of the result; the value the
      // expansion created takes that type when the two agree (onnx ops
      // accept either), so that func.return and other users see no change.
      if (failed(verifyCompatibleShape(value.getType(), result.getType())) ||
          getElementTypeOrSelf(value.getType()) !=
              getElementTypeOrSelf(result.getType()))
        return op->emitOpError("result #")
               << result.getResultNumber() << " of type " << result.getType()
               << " disagrees with its expansion's type " << value.getType();
      value.setType(result.getType());
    }
    rewriter.replaceAllUsesWith(result, value);
  }
  rewriter.eraseOp(op);
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// The expansions
//===----------------------------------------------------------------------===//

namespace {

/// Fails with a located error unless `value` (when present) is a ranked f32
/// tensor: the expansions compute in the input's type, which is onnxruntime's
/// arithmetic for f32 only (its f16 kernels accumulate in f32).
LogicalResult requireRankedF32(Operation *op, Value value, StringRef name) {
  if (isNone(value))
    return success();
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type)
    return op->emitOpError("'") << name << "' is unranked; "
                                << "onnx-decompose-contrib-ops needs its rank";
  if (!type.getElementType().isF32())
    return op->emitOpError("'")
           << name << "' has element type " << type.getElementType()
           << "; onnx-decompose-contrib-ops expands f32 only";
  return success();
}

using NamedValue = std::pair<Value, StringRef>;

LogicalResult requireRankedF32(Operation *op, ArrayRef<NamedValue> values) {
  for (auto [value, name] : values)
    if (failed(requireRankedF32(op, value, name)))
      return failure();
  return success();
}

LogicalResult decompose(Emitter &e, BiasGeluOp op,
                        SmallVectorImpl<Value> &out) {
  if (failed(requireRankedF32(op, op.getA(), "A")))
    return failure();
  out.push_back(e.geluErf(e.add(op.getA(), op.getB())));
  return success();
}

LogicalResult decompose(Emitter &e, FastGeluOp op,
                        SmallVectorImpl<Value> &out) {
  if (failed(requireRankedF32(op, op.getX(), "X")))
    return failure();
  Value x = op.getX();
  if (!isNone(op.getBias()))
    x = e.add(x, op.getBias());
  out.push_back(e.geluTanh(x));
  return success();
}

LogicalResult decompose(Emitter &e, SimplifiedLayerNormalizationOp op,
                        SmallVectorImpl<Value> &out) {
  if (failed(requireRankedF32(op, op.getX(), "X")) ||
      failed(requireRankedF32(op, op.getScale(), "scale")))
    return failure();
  int64_t rank = cast<RankedTensorType>(op.getX().getType()).getRank();
  std::optional<int64_t> axis = normalizeAxis(op.getAxisOrDefault(), rank);
  if (!axis)
    return op.emitOpError("'axis' is out of range");
  auto [normalized, invStd] =
      e.rmsNorm(op.getX(), *axis, op.getEpsilonOrDefault());
  out.append({e.mul(normalized, op.getScale()), invStd});
  return success();
}

/// SkipLayerNormalization and SkipSimplifiedLayerNormalization share the sum.
Value skipSum(Emitter &e, Value input, Value skip, Value bias) {
  Value sum = e.add(input, skip);
  return isNone(bias) ? sum : e.add(sum, bias);
}

LogicalResult decompose(Emitter &e, SkipLayerNormalizationOp op,
                        SmallVectorImpl<Value> &out) {
  if (failed(requireRankedF32(op, {{op.getInput(), "input"},
                                   {op.getSkip(), "skip"},
                                   {op.getGamma(), "gamma"},
                                   {op.getBeta(), "beta"},
                                   {op.getBias(), "bias"}})))
    return failure();
  Value sum = skipSum(e, op.getInput(), op.getSkip(), op.getBias());
  LayerNormalizationOp norm =
      e.layerNorm(sum, op.getGamma(), op.getBeta(), op.getEpsilonOrDefault());
  out.append({norm.getY(), norm.getMean(), norm.getInvStdDev(), sum});
  return success();
}

LogicalResult decompose(Emitter &e, SkipSimplifiedLayerNormalizationOp op,
                        SmallVectorImpl<Value> &out) {
  if (failed(requireRankedF32(op, {{op.getInput(), "input"},
                                   {op.getSkip(), "skip"},
                                   {op.getGamma(), "gamma"},
                                   {op.getBias(), "bias"}})))
    return failure();
  Value sum = skipSum(e, op.getInput(), op.getSkip(), op.getBias());
  int64_t rank = cast<RankedTensorType>(sum.getType()).getRank();
  auto [normalized, invStd] =
      e.rmsNorm(sum, rank - 1, op.getEpsilonOrDefault());
  // onnxruntime does not compute `mean` of the simplified normalization.
  out.append({e.mul(normalized, op.getGamma()), Value(), invStd, sum});
  return success();
}

LogicalResult decompose(Emitter &e, EmbedLayerNormalizationOp op,
                        SmallVectorImpl<Value> &out) {
  if (failed(requireRankedF32(
          op, {{op.getWordEmbedding(), "word_embedding"},
               {op.getPositionEmbedding(), "position_embedding"},
               {op.getSegmentEmbedding(), "segment_embedding"},
               {op.getGamma(), "gamma"},
               {op.getBeta(), "beta"}})))
    return failure();
  if (!isa<RankedTensorType>(op.getInputIds().getType()))
    return op.emitOpError("'input_ids' is unranked");
  OpBuilder &b = e.b;
  IntegerAttr axis0 = b.getI64IntegerAttr(0);
  Value ids = op.getInputIds();
  Value sum = e.value<GatherOp>(op.getWordEmbedding(), ids, axis0);
  Value positions;
  if (!isNone(op.getPositionIds())) {
    positions = e.value<GatherOp>(op.getPositionEmbedding(),
                                  op.getPositionIds(), axis0);
  } else {
    // Positions 0..S-1: the first S rows of the table.
    Value seq = e.dimVector(ids, 1);
    positions = e.value<SliceOp>(op.getPositionEmbedding(), e.i64s({0}), seq,
                                 e.i64s({0}), NoneOp::create(b, e.loc));
  }
  sum = e.add(sum, positions);
  if (!isNone(op.getSegmentIds()))
    sum = e.add(sum, e.value<GatherOp>(op.getSegmentEmbedding(),
                                       op.getSegmentIds(), axis0));
  LayerNormalizationOp norm =
      e.layerNorm(sum, op.getGamma(), op.getBeta(), op.getEpsilonOrDefault());

  // mask_index: the number of ones in each row of the mask, else zeros.
  Value maskIndex;
  if (!op.getMaskIndex().use_empty()) {
    Type i32 = b.getI32Type();
    if (!isNone(op.getMask())) {
      Value ones = e.value<EqualOp>(
          op.getMask(), e.constant(DenseElementsAttr::get(
                            RankedTensorType::get({}, i32), int32_t(1))));
      maskIndex =
          e.value<ReduceSumOp>(e.cast(ones, i32, kOnnxInt32), e.i64s({1}),
                               nullptr, b.getI64IntegerAttr(0), nullptr);
    } else {
      Value batch = e.dimVector(ids, 0);
      auto zero =
          DenseElementsAttr::get(RankedTensorType::get({1}, i32), int32_t(0));
      int64_t batchSize = cast<RankedTensorType>(ids.getType()).getDimSize(0);
      maskIndex = ConstantOfShapeOp::create(
          b, e.loc, RankedTensorType::get({batchSize}, i32), batch, zero);
    }
  }
  out.append({norm.getY(), maskIndex, sum});
  return success();
}

LogicalResult decompose(Emitter &e, MSRotaryEmbeddingOp op,
                        SmallVectorImpl<Value> &out) {
  auto unsupported = [&](StringRef what) {
    return op.emitOpError("with ")
           << what << " is not supported by onnx-decompose-contrib-ops";
  };
  if (failed(requireRankedF32(op, {{op.getInput(), "input"},
                                   {op.getCosCache(), "cos_cache"},
                                   {op.getSinCache(), "sin_cache"}})))
    return failure();
  if (op.getIsPackedBatchingAttr() && op.getIsPackedBatchingAttr().getInt())
    return unsupported("packed batching");
  if (op.getScaleAttr() && op.getScaleAttr().getValueAsDouble() != 1.0)
    return unsupported("a 'scale' other than 1");
  auto ids = dyn_cast<RankedTensorType>(op.getPositionIds().getType());
  auto cache = cast<RankedTensorType>(op.getCosCache().getType());
  if (!ids || ids.getRank() != 2)
    return unsupported("'position_ids' other than [batch, sequence]");
  if (cache.getRank() != 2 || ShapedType::isDynamic(cache.getDimSize(1)))
    return unsupported("a cos/sin cache other than [positions, rotary/2]");
  auto input = cast<RankedTensorType>(op.getInput().getType());
  int64_t heads = op.getNumHeadsAttr() ? op.getNumHeadsAttr().getInt() : 0;
  int64_t half = cache.getDimSize(1), rotary = 2 * half;
  Value x = op.getInput();
  if (input.getRank() == 3) {
    // [B, S, hidden] -> [B, S, N, head_size].
    int64_t hidden = input.getDimSize(2);
    if (heads <= 0 || ShapedType::isDynamic(hidden) || hidden % heads != 0)
      return unsupported("a 3-D input without a 'num_heads' dividing its "
                         "hidden size");
    x = e.reshape(x, {0, 0, heads, hidden / heads});
  }
  int64_t headSize = llvm::cast<RankedTensorType>(x.getType()).getDimSize(3);
  if (ShapedType::isDynamic(headSize) || rotary > headSize ||
      (op.getRotaryEmbeddingDimAttr() &&
       op.getRotaryEmbeddingDimAttr().getInt() != 0 &&
       op.getRotaryEmbeddingDimAttr().getInt() != rotary))
    return op.emitOpError("the cos/sin cache rows (")
           << half << ") do not fit the head size " << headSize
           << " and 'rotary_embedding_dim'";

  // cos/sin rows at the positions, broadcast over the heads: [B, S, 1, r/2]
  // for [B, S, N, h], [B, 1, S, r/2] for a 4-D [B, N, S, h] input.
  IntegerAttr axis0 = e.b.getI64IntegerAttr(0);
  int64_t headAxis = input.getRank() == 3 ? 2 : 1;
  Value cos = e.unsqueeze(
      e.value<GatherOp>(op.getCosCache(), op.getPositionIds(), axis0),
      {headAxis});
  Value sin = e.unsqueeze(
      e.value<GatherOp>(op.getSinCache(), op.getPositionIds(), axis0),
      {headAxis});
  Value none = NoneOp::create(e.b, e.loc);
  auto slice = [&](Value v, int64_t begin, int64_t end) {
    return e.value<SliceOp>(v, e.i64s({begin}), e.i64s({end}), e.i64s({-1}),
                            none);
  };
  auto concat = [&](ValueRange parts) {
    return e.value<ConcatOp>(parts, e.b.getI64IntegerAttr(-1));
  };
  // (x1, x2) -> (x1·cos - x2·sin, x2·cos + x1·sin)
  auto rotate = [&](Value x1, Value x2, Value c, Value s) {
    return std::pair{e.value<SubOp>(e.mul(x1, c), e.mul(x2, s)),
                     e.add(e.mul(x2, c), e.mul(x1, s))};
  };
  Value rotated;
  if (op.getInterleavedAttr() && op.getInterleavedAttr().getInt()) {
    // Pairs (x[2i], x[2i+1]): [.., r] as [.., r/2, 2].
    Value pairs = e.reshape(slice(x, 0, rotary), {0, 0, 0, half, 2});
    Value c = e.unsqueeze(cos, {-1}), s = e.unsqueeze(sin, {-1});
    auto [y1, y2] = rotate(slice(pairs, 0, 1), slice(pairs, 1, 2), c, s);
    rotated = e.reshape(concat({y1, y2}), {0, 0, 0, rotary});
  } else {
    auto [y1, y2] = rotate(slice(x, 0, half), slice(x, half, rotary), cos, sin);
    rotated = concat({y1, y2});
  }
  if (rotary < headSize)
    rotated = concat({rotated, slice(x, rotary, headSize)});
  if (input.getRank() == 3)
    rotated = e.reshape(rotated, {0, 0, input.getDimSize(2)});
  out.push_back(rotated);
  return success();
}

LogicalResult decompose(Emitter &e, MSAttentionOp op,
                        SmallVectorImpl<Value> &out) {
  auto unsupported = [&](StringRef what) {
    return op.emitOpError("with ")
           << what << " is not supported by onnx-decompose-contrib-ops";
  };
  if (!isNone(op.getPast()) || !op.getPresent().use_empty())
    return unsupported("a key/value cache (past/present)");
  if (!isNone(op.getAttentionBias()))
    return unsupported("'attention_bias'");
  if (!isNone(op.getPastSequenceLength()))
    return unsupported("'past_sequence_length'");
  if (op.getDoRotaryAttr() && op.getDoRotaryAttr().getInt() != 0)
    return unsupported("do_rotary");
  if (failed(requireRankedF32(op, {{op.getInput(), "input"},
                                   {op.getWeights(), "weights"},
                                   {op.getBias(), "bias"}})))
    return failure();
  std::optional<std::array<int64_t, 3>> widths = op.getQkvWidths();
  if (!widths)
    return op.emitOpError("needs static q, k, v widths");
  int64_t heads = op.getNumHeadsAttr().getInt();
  int64_t qkWidth = (*widths)[0], vWidth = (*widths)[2];
  int64_t headSize = qkWidth / heads, vHeadSize = vWidth / heads;

  // The mask as an additive bias on the scores, [B, 1, 1, S] (1-D end
  // positions or 2-D key masks) before the rest of the graph sees it.
  Value maskBias;
  Type element = getElementTypeOrSelf(op.getInput().getType());
  // The sequence positions 0..S-1 (i64 [S]), made once.
  Value positionsValue;
  auto positions = [&] {
    if (positionsValue)
      return positionsValue;
    Type i64 = e.b.getI64Type();
    auto scalar = RankedTensorType::get({}, i64);
    Value seq = e.dimVector(op.getInput(), 1);
    int64_t size =
        cast<RankedTensorType>(op.getInput().getType()).getDimSize(1);
    positionsValue =
        RangeOp::create(e.b, e.loc, RankedTensorType::get({size}, i64),
                        e.constant(DenseElementsAttr::get(scalar, int64_t(0))),
                        e.value<SqueezeOp>(seq, e.i64s({0}), nullptr),
                        e.constant(DenseElementsAttr::get(scalar, int64_t(1))));
    return positionsValue;
  };
  Value filter = e.scalar(element, op.getMaskFilterValueOrDefault());
  Value zero = e.scalar(element, 0.0);
  if (!isNone(op.getMaskIndex())) {
    auto mask = dyn_cast<RankedTensorType>(op.getMaskIndex().getType());
    auto input = cast<RankedTensorType>(op.getInput().getType());
    if (!mask)
      return op.emitOpError("'mask_index' is unranked");
    Value keep;
    if (mask.getRank() == 1) {
      if (!ShapedType::isDynamic(mask.getDimSize(0)) &&
          !ShapedType::isDynamic(input.getDimSize(0)) &&
          mask.getDimSize(0) != input.getDimSize(0))
        return unsupported("a 1-D 'mask_index' of start and end positions "
                           "([2·batch])");
      // Key j of batch b is kept when j < mask_index[b].
      Value keys = positions();
      Value ends = e.unsqueeze(
          e.cast(op.getMaskIndex(), e.b.getI64Type(), kOnnxInt64), {1});
      keep = e.value<LessOp>(keys, ends);
    } else if (mask.getRank() == 2) {
      keep = e.value<GreaterOp>(
          op.getMaskIndex(),
          e.constant(DenseElementsAttr::get(
              RankedTensorType::get({}, e.b.getI32Type()), int32_t(0))));
    } else {
      return unsupported("a 'mask_index' of rank " +
                         std::to_string(mask.getRank()));
    }
    maskBias = e.unsqueeze(e.value<WhereOp>(keep, zero, filter), {1, 2});
  }
  if (op.getUnidirectionalOrDefault() != 0) {
    // Query i sees keys j <= i: an [S, S] bias added to the padding mask's.
    Value keys = positions();
    Value queries = e.unsqueeze(keys, {1});
    Value one = e.constant(DenseElementsAttr::get(
        RankedTensorType::get({}, e.b.getI64Type()), int64_t(1)));
    Value keep = e.value<LessOp>(keys, e.add(queries, one));
    Value causal = e.value<WhereOp>(keep, zero, filter);
    maskBias = maskBias ? e.add(maskBias, causal) : causal;
  }

  // One packed projection, split into q, k, v (GPT-2's c_attn form).
  // Named into the node scope of the attention block (the fused node has
  // none; its output keeps the exporter's), so that peft-raise-linear gives
  // the layer a module path: `/encoder/layer.0/attention/self/qkv/MatMul`.
  Location packedLoc = e.loc;
  if (auto outputs = op->getAttrOfType<ArrayAttr>("onnx.outputs"))
    if (auto name =
            outputs.empty() ? StringAttr() : dyn_cast<StringAttr>(outputs[0]))
      if (size_t slash = name.getValue().rfind('/');
          slash != StringRef::npos && slash > 0)
        packedLoc = NameLoc::get(
            e.b.getStringAttr(name.getValue().take_front(slash + 1) +
                              "qkv/MatMul"),
            e.loc);
  Emitter packed{e.b, packedLoc, e.opset};
  Value qkv = packed.value<MatMulOp>(op.getInput(), op.getWeights());
  if (!isNone(op.getBias()))
    qkv = packed.add(qkv, op.getBias());
  Type unknown = UnrankedTensorType::get(e.b.getNoneType());
  auto split = SplitOp::create(e.b, e.loc, SmallVector<Type>(3, unknown), qkv,
                               e.i64s(*widths), e.b.getI64IntegerAttr(-1),
                               nullptr, nullptr);
  fillUnknownResultTypes(split);
  auto heads4 = [&](Value x, int64_t size, ArrayRef<int64_t> perm) {
    return e.transpose(e.reshape(x, {0, 0, heads, size}), perm);
  };
  Value q = heads4(split.getResult(0), headSize, {0, 2, 1, 3});
  Value kT = heads4(split.getResult(1), headSize, {0, 2, 3, 1});
  Value v = heads4(split.getResult(2), vHeadSize, {0, 2, 1, 3});

  float scale = op.getScaleAttr()
                    ? op.getScaleAttr().getValueAsDouble()
                    : 1.0 / std::sqrt(static_cast<double>(headSize));
  Value scores = e.mul(e.value<MatMulOp>(q, kT), e.scalar(element, scale));
  if (maskBias)
    scores = e.add(scores, maskBias);
  Value probs = e.value<SoftmaxOp>(scores, e.b.getI64IntegerAttr(-1));
  Value context = e.transpose(e.value<MatMulOp>(probs, v), {0, 2, 1, 3});
  out.append({e.reshape(context, {0, 0, vWidth}), Value()});
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {

struct DecomposeContribOpsPass
    : public peft::impl::ONNXDecomposeContribOpsBase<DecomposeContribOpsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<Operation *> contribOps;
    func.walk([&](Operation *op) {
      if (isa<EmbedLayerNormalizationOp, MSAttentionOp,
              SkipLayerNormalizationOp, SkipSimplifiedLayerNormalizationOp,
              SimplifiedLayerNormalizationOp, BiasGeluOp, FastGeluOp,
              GatherBlockQuantizedOp, MSRotaryEmbeddingOp>(op))
        contribOps.push_back(op);
    });
    if (contribOps.empty())
      return;
    int64_t opset = onnx_ir::getImportedOpset(func);
    IRRewriter rewriter(&getContext());
    bool failedAny = false;
    for (Operation *op : contribOps) {
      if (opset < 13) {
        op->emitOpError("is expanded into ai.onnx opset-13 forms; the model "
                        "imports opset ")
            << opset;
        failedAny = true;
        continue;
      }
      rewriter.setInsertionPoint(op);
      Emitter e{rewriter, op->getLoc(), opset};
      SmallVector<Value> values;
      LogicalResult result =
          llvm::TypeSwitch<Operation *, LogicalResult>(op)
              .Case<EmbedLayerNormalizationOp, MSAttentionOp,
                    SkipLayerNormalizationOp,
                    SkipSimplifiedLayerNormalizationOp,
                    SimplifiedLayerNormalizationOp, BiasGeluOp, FastGeluOp,
                    MSRotaryEmbeddingOp>(
                  [&](auto op) { return decompose(e, op, values); })
              .Default([](Operation *op) {
                return op->emitOpError(
                    "has no expansion into standard onnx ops yet "
                    "(onnx-decompose-contrib-ops)");
              });
      if (failed(result) || failed(replaceResults(rewriter, op, values)))
        failedAny = true;
    }
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
