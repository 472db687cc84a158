//===- ONNXShapeInference.cpp - result shapes of onnx ops -----------------===//
//
// Infers result shapes from operand types and shape vectors, for refining the
// types the importer could not make precise (ONNX shape inference gives up on
// a Reshape whose shape is computed at run time). A dimension is static only
// when every valid execution gives it that size.
//
//===----------------------------------------------------------------------===//

#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/ONNX/IR/ONNXShapes.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::peft::onnx_ir;

using OptShape = std::optional<Shape>;

static OptShape shapeOf(Value value) {
  if (auto type = dyn_cast<RankedTensorType>(value.getType()))
    return Shape(type.getShape());
  return std::nullopt;
}

static OptShape broadcastAll(ValueRange operands) {
  Shape result;
  for (Value operand : operands) {
    OptShape shape = shapeOf(operand);
    if (!shape)
      return std::nullopt;
    OptShape next = broadcastShapes(result, *shape);
    if (!next)
      return std::nullopt;
    result = std::move(*next);
  }
  return result;
}

/// Merges two extents that must agree.
static int64_t mergeDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) ? b : a;
}

static OptShape inferMatMul(MatMulOp op) {
  OptShape a = shapeOf(op.getA()), b = shapeOf(op.getB());
  if (!a || !b || a->empty() || b->empty())
    return std::nullopt;
  bool aVector = a->size() == 1, bVector = b->size() == 1;
  if (aVector)
    a->insert(a->begin(), 1);
  if (bVector)
    b->push_back(1);
  OptShape result =
      broadcastShapes(ArrayRef(*a).drop_back(2), ArrayRef(*b).drop_back(2));
  if (!result)
    return std::nullopt;
  if (!aVector)
    result->push_back((*a)[a->size() - 2]);
  if (!bVector)
    result->push_back(b->back());
  return result;
}

static OptShape inferGemm(GemmOp op) {
  OptShape a = shapeOf(op.getA()), b = shapeOf(op.getB());
  if (!a || !b || a->size() != 2 || b->size() != 2)
    return std::nullopt;
  return Shape{(*a)[op.getTransAOrDefault() ? 1 : 0],
               (*b)[op.getTransBOrDefault() ? 0 : 1]};
}

template <typename ReduceOpT> static OptShape inferReduce(ReduceOpT op) {
  OptShape input = shapeOf(op.getData());
  if (!input)
    return std::nullopt;
  int64_t rank = input->size();
  bool keepdims = op.getKeepdimsOrDefault() != 0;
  FailureOr<std::optional<Shape>> axes =
      getAxes(op.getAxesInput(), op.getAxes());
  if (failed(axes)) {
    if (keepdims)
      return Shape(rank, ShapedType::kDynamic);
    // Run-time axes of a static length n > 0 drop n dims (ONNX axes are
    // distinct); which ones is known at run time only.
    auto axesType = dyn_cast<RankedTensorType>(op.getAxesInput().getType());
    if (!axesType || axesType.getRank() != 1 || axesType.isDynamicDim(0) ||
        axesType.getDimSize(0) == 0 || axesType.getDimSize(0) > rank)
      return std::nullopt;
    return Shape(rank - axesType.getDimSize(0), ShapedType::kDynamic);
  }
  SmallVector<bool> reduced(rank, true);
  if (*axes && !(*axes)->empty()) {
    reduced.assign(rank, false);
    for (int64_t axis : **axes) {
      std::optional<int64_t> i = normalizeAxis(axis, rank);
      if (!i)
        return std::nullopt;
      reduced[*i] = true;
    }
  } else if (op.getNoopWithEmptyAxesOrDefault()) {
    return input;
  }
  Shape result;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i])
      result.push_back((*input)[i]);
    else if (keepdims)
      result.push_back(1);
  }
  return result;
}

/// Pad: each padded dim grows by its begin and end pads (negative ones crop).
static OptShape inferPad(PadOp op) {
  OptShape input = shapeOf(op.getData());
  if (!input)
    return std::nullopt;
  int64_t rank = input->size();
  Shape axes;
  if (isNone(op.getAxes())) {
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  } else if (std::optional<Shape> given =
                 getConstantIntValues(op.getAxes(), 256)) {
    axes = *given;
  } else {
    return Shape(rank, ShapedType::kDynamic);
  }
  int64_t n = axes.size();
  std::optional<Shape> pads = getConstantIntValues(op.getPads(), 256);
  Shape result(*input);
  for (auto [i, axis] : llvm::enumerate(axes)) {
    std::optional<int64_t> dim = normalizeAxis(axis, rank);
    if (!dim)
      return std::nullopt;
    if (!pads || static_cast<int64_t>(pads->size()) != 2 * n ||
        ShapedType::isDynamic(result[*dim])) {
      result[*dim] = ShapedType::kDynamic;
      continue;
    }
    int64_t extent = result[*dim] + (*pads)[i] + (*pads)[i + n];
    result[*dim] = extent < 0 ? ShapedType::kDynamic : extent;
  }
  return result;
}

static OptShape inferFlatten(FlattenOp op) {
  OptShape input = shapeOf(op.getInput());
  if (!input)
    return std::nullopt;
  int64_t rank = input->size();
  int64_t axis = op.getAxisOrDefault();
  if (axis < -rank || axis > rank)
    return std::nullopt;
  if (axis < 0)
    axis += rank;
  auto product = [](ArrayRef<int64_t> dims) {
    return llvm::any_of(dims, ShapedType::isDynamic)
               ? ShapedType::kDynamic
               : ShapedType::getNumElements(dims);
  };
  return Shape{product(ArrayRef(*input).take_front(axis)),
               product(ArrayRef(*input).drop_front(axis))};
}

static OptShape inferConcat(ConcatOp op) {
  if (!op.getAxisAttr())
    return std::nullopt;
  OptShape result;
  std::optional<int64_t> axis;
  for (Value input : op.getInputs()) {
    OptShape shape = shapeOf(input);
    if (!shape)
      return std::nullopt;
    if (!result) {
      axis = normalizeAxis(op.getAxisAttr().getInt(), shape->size());
      if (!axis)
        return std::nullopt;
      result = shape;
      continue;
    }
    if (shape->size() != result->size())
      return std::nullopt;
    for (size_t d = 0; d < shape->size(); ++d) {
      int64_t &dim = (*result)[d];
      if (static_cast<int64_t>(d) != *axis)
        dim = mergeDims(dim, (*shape)[d]);
      else if (ShapedType::isDynamic(dim) || ShapedType::isDynamic((*shape)[d]))
        dim = ShapedType::kDynamic;
      else
        dim += (*shape)[d];
    }
  }
  return result;
}

static OptShape inferGather(GatherOp op) {
  OptShape data = shapeOf(op.getData()), indices = shapeOf(op.getIndices());
  if (!data || !indices)
    return std::nullopt;
  std::optional<int64_t> axis =
      normalizeAxis(op.getAxisOrDefault(), data->size());
  if (!axis)
    return std::nullopt;
  Shape result(data->begin(), data->begin() + *axis);
  llvm::append_range(result, *indices);
  result.append(data->begin() + *axis + 1, data->end());
  return result;
}

static OptShape inferSlice(SliceOp op) {
  OptShape data = shapeOf(op.getData());
  if (!data)
    return std::nullopt;
  int64_t rank = data->size();
  Shape unknown(rank, ShapedType::kDynamic);
  std::optional<ShapeVector> starts = getShapeVector(op.getStarts());
  std::optional<ShapeVector> ends = getShapeVector(op.getEnds());
  if (!starts || !ends || starts->isScalar ||
      starts->elements.size() != ends->elements.size())
    return unknown;
  size_t count = starts->elements.size();
  Shape axes, steps(count, 1);
  if (isNone(op.getAxes())) {
    axes = llvm::to_vector(llvm::seq<int64_t>(0, count));
  } else if (std::optional<ShapeVector> v = getShapeVector(op.getAxes());
             v && v->isFullyKnown() && v->elements.size() == count) {
    axes = v->elements;
  } else {
    return unknown;
  }
  if (!isNone(op.getSteps())) {
    std::optional<ShapeVector> v = getShapeVector(op.getSteps());
    if (!v || v->elements.size() != count)
      return unknown;
    steps = v->elements;
  }
  Shape result(*data);
  for (size_t k = 0; k < count; ++k) {
    std::optional<int64_t> axis = normalizeAxis(axes[k], rank);
    if (!axis)
      return std::nullopt;
    int64_t dim = (*data)[*axis];
    int64_t start = starts->elements[k], end = ends->elements[k];
    if (llvm::any_of(ArrayRef<int64_t>{dim, start, end, steps[k]},
                     ShapedType::isDynamic)) {
      result[*axis] = ShapedType::kDynamic;
      continue;
    }
    std::optional<SliceRange> range = getSliceRange(dim, start, end, steps[k]);
    if (!range)
      return std::nullopt;
    result[*axis] = range->count;
  }
  return result;
}

static OptShape inferReshape(ReshapeOp op) {
  std::optional<ShapeVector> shape = getShapeVector(op.getShape());
  if (!shape || shape->isScalar)
    return std::nullopt;
  OptShape data = shapeOf(op.getData());
  return getReshapeShape(data ? std::optional<ArrayRef<int64_t>>(*data)
                              : std::nullopt,
                         shape->elements, op.getAllowzeroOrDefault() != 0);
}

static OptShape inferExpand(ExpandOp op) {
  std::optional<ShapeVector> shape = getShapeVector(op.getShape());
  OptShape input = shapeOf(op.getInput());
  if (!shape || shape->isScalar || !input ||
      llvm::any_of(shape->elements, [](int64_t s) {
        return !ShapedType::isDynamic(s) && s < 0;
      }))
    return std::nullopt;
  return broadcastShapes(*input, shape->elements);
}

static OptShape inferConstantOfShape(ConstantOfShapeOp op) {
  std::optional<ShapeVector> shape = getShapeVector(op.getInput());
  if (!shape || shape->isScalar || llvm::any_of(shape->elements, [](int64_t s) {
        return !ShapedType::isDynamic(s) && s < 0;
      }))
    return std::nullopt;
  return shape->elements;
}

static OptShape inferRange(RangeOp op) {
  auto scalar = [](Value v) -> std::optional<int64_t> {
    std::optional<ShapeVector> vector = getShapeVector(v);
    if (!vector || !vector->isScalar || !vector->isFullyKnown())
      return std::nullopt;
    return vector->elements.front();
  };
  std::optional<int64_t> start = scalar(op.getStart()),
                         limit = scalar(op.getLimit()),
                         delta = scalar(op.getDelta());
  if (start && limit && delta)
    if (std::optional<int64_t> length = getRangeLength(*start, *limit, *delta))
      return Shape{*length};
  return Shape{ShapedType::kDynamic};
}

static OptShape inferTranspose(TransposeOp op) {
  OptShape input = shapeOf(op.getData());
  if (!input)
    return std::nullopt;
  SmallVector<int64_t> perm = op.getPermOrDefault(input->size());
  if (perm.size() != input->size())
    return std::nullopt;
  Shape result;
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(input->size()))
      return std::nullopt;
    result.push_back((*input)[p]);
  }
  return result;
}

template <typename SqueezeOpT>
static OptShape inferSqueezeLike(SqueezeOpT op, bool unsqueeze) {
  OptShape input = shapeOf(op.getData());
  FailureOr<std::optional<Shape>> axes =
      getAxes(op.getAxesInput(), op.getAxes());
  if (!input || failed(axes))
    return std::nullopt;
  if (unsqueeze)
    return *axes ? getUnsqueezeShape(*input, **axes) : std::nullopt;
  return getSqueezeShape(
      *input, *axes ? std::optional<ArrayRef<int64_t>>(**axes) : std::nullopt);
}

static void inferSplit(SplitOp op, SmallVectorImpl<OptShape> &results) {
  OptShape input = shapeOf(op.getInput());
  if (!input)
    return;
  std::optional<int64_t> axis =
      normalizeAxis(op.getAxisOrDefault(), input->size());
  if (!axis)
    return;
  int64_t n = op.getNumResults();
  int64_t dim = (*input)[*axis];
  Shape sizes(n, ShapedType::kDynamic);
  if (!isNone(op.getSplitInput())) {
    if (std::optional<Shape> v = getConstantIntValues(op.getSplitInput(), n))
      if (static_cast<int64_t>(v->size()) == n)
        sizes = *v;
  } else if (std::optional<ArrayRef<int64_t>> split = op.getSplit()) {
    if (static_cast<int64_t>(split->size()) == n)
      sizes.assign(split->begin(), split->end());
  } else if (!ShapedType::isDynamic(dim) && op.getNumOutputsAttr()) {
    // Opset 18: chunks of ceil(dim / n), the last one smaller.
    int64_t chunk = llvm::divideCeil(dim, n);
    if (chunk * (n - 1) < dim) {
      sizes.assign(n, chunk);
      sizes.back() = dim - chunk * (n - 1);
    }
  } else if (!ShapedType::isDynamic(dim) && dim % n == 0) {
    sizes.assign(n, dim / n);
  }
  for (int64_t i = 0; i < n; ++i) {
    Shape shape(*input);
    shape[*axis] = sizes[i] < 0 ? ShapedType::kDynamic : sizes[i];
    results[i] = shape;
  }
}

/// Attention: Y [B, Hq, S, Dv] (3-D: [B, S, Hq·Dv]), present_key
/// [B, Hkv, P+L, D], present_value [B, Hkv, P+L, Dv], qk_matmul_output
/// [B, Hq, S, P+L], with P the past length and L the new key length.
static void inferAttention(AttentionOp op, SmallVectorImpl<OptShape> &results) {
  OptShape q = shapeOf(op.getQ()), k = shapeOf(op.getK()),
           v = shapeOf(op.getV());
  if (!q || !k || !v || q->size() != k->size() || q->size() != v->size() ||
      (q->size() != 3 && q->size() != 4))
    return;
  constexpr int64_t kDyn = ShapedType::kDynamic;
  auto div = [](int64_t a, int64_t b) {
    return ShapedType::isDynamic(a) || b <= 0 || a % b ? kDyn : a / b;
  };
  auto add = [](int64_t a, int64_t b) {
    return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) ? kDyn : a + b;
  };
  bool is3D = q->size() == 3;
  int64_t batch = mergeDims(mergeDims((*q)[0], (*k)[0]), (*v)[0]);
  int64_t qHeads, kvHeads, seq, kvSeq, headSize, vHeadSize;
  if (is3D) {
    if (!op.getQNumHeadsAttr() || !op.getKvNumHeadsAttr())
      return;
    qHeads = op.getQNumHeadsAttr().getInt();
    kvHeads = op.getKvNumHeadsAttr().getInt();
    seq = (*q)[1];
    kvSeq = mergeDims((*k)[1], (*v)[1]);
    headSize = div((*q)[2], qHeads);
    vHeadSize = div((*v)[2], kvHeads);
  } else {
    qHeads = (*q)[1];
    kvHeads = mergeDims((*k)[1], (*v)[1]);
    seq = (*q)[2];
    kvSeq = mergeDims((*k)[2], (*v)[2]);
    headSize = (*q)[3];
    vHeadSize = (*v)[3];
  }
  int64_t past = 0;
  if (!isNone(op.getPastKey())) {
    OptShape pastKey = shapeOf(op.getPastKey());
    past = pastKey && pastKey->size() == 4 ? (*pastKey)[2] : kDyn;
  }
  int64_t total = add(past, kvSeq);
  if (is3D)
    results[0] =
        Shape{batch, seq,
              ShapedType::isDynamic(vHeadSize) ? kDyn : qHeads * vHeadSize};
  else
    results[0] = Shape{batch, qHeads, seq, vHeadSize};
  results[1] = Shape{batch, kvHeads, total, headSize};
  results[2] = Shape{batch, kvHeads, total, vHeadSize};
  results[3] = Shape{batch, qHeads, seq, total};
}

/// The shape of a single result.
static OptShape inferSingleResult(Operation *op) {
  return llvm::TypeSwitch<Operation *, OptShape>(op)
      .Case<SqrtOp, ReciprocalOp, NegOp, AbsOp, SigmoidOp, ReluOp, NotOp, ExpOp,
            LogOp, ErfOp, TanhOp, CosOp, SinOp, IdentityOp, CastOp, SoftmaxOp,
            TriluOp, ClipOp, GeluOp, RMSNormalizationOp, RotaryEmbeddingOp>(
          [](auto op) { return shapeOf(op->getOperand(0)); })
      .Case<AddOp, SubOp, MulOp, DivOp, PowOp, EqualOp, LessOp, GreaterOp,
            WhereOp, MaxOp, MinOp>(
          [](auto op) { return broadcastAll(op->getOperands()); })
      .Case([](ConstantOp op) -> OptShape {
        if (ElementsAttr value = op.getValueAttr())
          return Shape(value.getShapedType().getShape());
        return std::nullopt;
      })
      .Case([](ShapeOp op) {
        auto input = dyn_cast<RankedTensorType>(op.getData().getType());
        if (!input)
          return Shape{ShapedType::kDynamic};
        auto [start, end] = getShapeOpRange(
            input.getRank(),
            op.getStartAttr() ? std::optional(op.getStartAttr().getInt())
                              : std::nullopt,
            op.getEndAttr() ? std::optional(op.getEndAttr().getInt())
                            : std::nullopt);
        return Shape{end - start};
      })
      .Case<ReduceMeanOp, ReduceSumOp, ReduceL2Op, ReduceMaxOp, ReduceMinOp,
            ReduceProdOp>([](auto op) { return inferReduce(op); })
      .Case(inferPad)
      .Case([](UnsqueezeOp op) { return inferSqueezeLike(op, true); })
      .Case([](SqueezeOp op) { return inferSqueezeLike(op, false); })
      .Case(inferMatMul)
      .Case([](MatMulNBitsOp op) -> OptShape {
        // Y = A · dequant(B)ᵀ: A's leading dimensions and N.
        auto a = dyn_cast<RankedTensorType>(op.getA().getType());
        if (!a || a.getRank() < 1 || !op.getNAttr())
          return std::nullopt;
        Shape shape(a.getShape());
        shape.back() = op.getNAttr().getInt();
        return shape;
      })
      .Case(inferGemm)
      .Case(inferFlatten)
      .Case(inferConcat)
      .Case(inferGather)
      .Case(inferSlice)
      .Case(inferReshape)
      .Case(inferExpand)
      .Case(inferConstantOfShape)
      .Case(inferRange)
      .Case(inferTranspose)
      .Default([](Operation *) { return std::nullopt; });
}

SmallVector<OptShape> mlir::peft::onnx_ir::inferResultShapes(Operation *op) {
  SmallVector<OptShape> results(op->getNumResults());
  if (std::optional<SmallVector<Type>> types = inferContribResultTypes(op)) {
    for (auto [result, type] : llvm::zip_equal(results, *types))
      if (auto shaped = dyn_cast_or_null<RankedTensorType>(type))
        result = Shape(shaped.getShape());
    return results;
  }
  if (auto split = dyn_cast<SplitOp>(op))
    inferSplit(split, results);
  else if (auto norm = dyn_cast<LayerNormalizationOp>(op))
    results[0] = shapeOf(norm.getX());
  else if (auto attention = dyn_cast<AttentionOp>(op))
    inferAttention(attention, results);
  else if (op->getNumResults() == 1)
    results[0] = inferSingleResult(op);
  return results;
}

Type mlir::peft::onnx_ir::refineType(TensorType type, ArrayRef<int64_t> shape) {
  if (!type.hasRank())
    return RankedTensorType::get(shape, type.getElementType());
  if (type.getRank() != static_cast<int64_t>(shape.size()))
    return type;
  Shape refined(type.getShape());
  for (auto [dim, inferred] : llvm::zip_equal(refined, shape)) {
    if (ShapedType::isDynamic(dim))
      dim = inferred;
    else if (!ShapedType::isDynamic(inferred) && inferred != dim)
      return type;
  }
  return cast<RankedTensorType>(type).clone(refined);
}

bool mlir::peft::onnx_ir::acceptsRefinedType(Value value) {
  return llvm::all_of(value.getUsers(), [](Operation *user) {
    return isa<ONNXDialect>(user->getDialect()) &&
           !user->hasTrait<OpTrait::IsTerminator>();
  });
}

Type mlir::peft::onnx_ir::inferResultElementType(Operation *op) {
  auto elementOf = [](Value v) -> Type {
    auto type = dyn_cast<TensorType>(v.getType());
    if (!type || isa<NoneType>(type.getElementType()))
      return Type();
    return type.getElementType();
  };
  Builder b(op->getContext());
  return llvm::TypeSwitch<Operation *, Type>(op)
      .Case<ShapeOp>([&](auto) { return b.getI64Type(); })
      .Case<EqualOp, LessOp, GreaterOp, NotOp>(
          [&](auto) { return b.getI1Type(); })
      .Case([&](WhereOp where) { return elementOf(where.getOperand(1)); })
      .Case([&](RMSNormalizationOp norm) { return elementOf(norm.getScale()); })
      .Case<SqrtOp, ReciprocalOp, NegOp, AbsOp, SigmoidOp, ReluOp, ExpOp, LogOp,
            ErfOp, TanhOp, CosOp, SinOp, IdentityOp, SoftmaxOp, TriluOp, ClipOp,
            GeluOp, AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp,
            ReduceMeanOp, ReduceSumOp, ReduceL2Op, ReduceMaxOp, ReduceMinOp,
            ReduceProdOp, PadOp, UnsqueezeOp, SqueezeOp, MatMulOp, GemmOp,
            FlattenOp, ConcatOp, GatherOp, SliceOp, ReshapeOp, ExpandOp,
            TransposeOp, SplitOp, LayerNormalizationOp, MatMulNBitsOp,
            RotaryEmbeddingOp, AttentionOp>([&](Operation *op) {
        return op->getNumOperands() ? elementOf(op->getOperand(0)) : Type();
      })
      .Default([](Operation *) { return Type(); });
}

void mlir::peft::onnx_ir::fillUnknownResultTypes(Operation *op) {
  auto unknown = [](Value v) {
    auto type = dyn_cast<TensorType>(v.getType());
    return type && isa<NoneType>(type.getElementType());
  };
  if (llvm::none_of(op->getResults(), unknown)) {
    // Where ONNX knew the element type but not the rank (its broadcasting
    // of symbolic dimensions gives up), our shape rules may know more.
    auto unranked = [](Value v) {
      return isa<UnrankedTensorType>(v.getType());
    };
    if (llvm::none_of(op->getResults(), unranked))
      return;
    for (auto [result, shape] :
         llvm::zip_equal(op->getResults(), inferResultShapes(op)))
      if (shape && unranked(result))
        result.setType(refineType(cast<TensorType>(result.getType()), *shape));
    return;
  }
  if (std::optional<SmallVector<Type>> types = inferContribResultTypes(op)) {
    for (auto [result, type] : llvm::zip_equal(op->getResults(), *types))
      if (type && unknown(result))
        result.setType(type);
    return;
  }
  Type element = inferResultElementType(op);
  if (!element)
    return;
  SmallVector<OptShape> shapes = inferResultShapes(op);
  for (auto [result, shape] : llvm::zip_equal(op->getResults(), shapes)) {
    if (!unknown(result))
      continue;
    // LayerNormalization's stash outputs are f32 whatever the input.
    if (isa<LayerNormalizationOp>(op) && result.getResultNumber() > 0)
      continue;
    Type resultElement = element;
    // Attention's present_value has V's element type (T2), the rest Q's.
    if (auto attention = dyn_cast<AttentionOp>(op);
        attention && result.getResultNumber() == 2)
      if (auto v = dyn_cast<TensorType>(attention.getV().getType()))
        resultElement = v.getElementType();
    if (isa<NoneType>(resultElement))
      continue;
    result.setType(shape ? Type(RankedTensorType::get(*shape, resultElement))
                         : Type(UnrankedTensorType::get(resultElement)));
  }
}
