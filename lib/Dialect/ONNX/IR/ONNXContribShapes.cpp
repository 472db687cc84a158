//===- ONNXContribShapes.cpp - result types of the contrib ops ------------===//
//
// ONNX's shape inference has no schema for onnxruntime's contrib ops, so the
// importer writes their results as `tensor<*xnone>`; these rules give them
// the types onnxruntime's kernels produce (checked against onnxruntime in
// test/models/test_ort_optimized.py). Contrib ops have several results of
// different element types (EmbedLayerNormalization's i32 mask_index, the f32
// statistics of the normalizations), so the rules give whole types.
//
//===----------------------------------------------------------------------===//

#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/ONNX/IR/ONNXShapes.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::peft::onnx_ir;

namespace {

constexpr int64_t kDynamic = ShapedType::kDynamic;

Type elementOf(Value value) {
  auto type = dyn_cast<TensorType>(value.getType());
  if (!type || isa<NoneType>(type.getElementType()))
    return Type();
  return type.getElementType();
}

std::optional<Shape> shapeOf(Value value) {
  if (auto type = dyn_cast<RankedTensorType>(value.getType()))
    return Shape(type.getShape());
  return std::nullopt;
}

int64_t dimOf(Value value, int64_t dim) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() == 0)
    return kDynamic;
  if (dim < 0)
    dim += type.getRank();
  return dim >= 0 && dim < type.getRank() ? type.getDimSize(dim) : kDynamic;
}

int64_t merge(int64_t a, int64_t b) { return ShapedType::isDynamic(a) ? b : a; }

/// A tensor type of `element` (null when unknown) and `shape` (unranked when
/// unknown).
Type tensorOf(std::optional<Shape> shape, Type element) {
  if (!element)
    return Type();
  if (!shape)
    return UnrankedTensorType::get(element);
  return RankedTensorType::get(*shape, element);
}

/// The statistics of a normalization over the dimensions from `axis` on:
/// `input`'s shape with those dimensions 1.
std::optional<Shape> statisticsShape(Value input, int64_t axis) {
  std::optional<Shape> shape = shapeOf(input);
  if (!shape)
    return std::nullopt;
  std::optional<int64_t> from = normalizeAxis(axis, shape->size());
  if (!from)
    return std::nullopt;
  for (int64_t d = *from, e = shape->size(); d < e; ++d)
    (*shape)[d] = 1;
  return shape;
}

SmallVector<Type> inferEmbedLayerNorm(EmbedLayerNormalizationOp op) {
  Builder b(op.getContext());
  Type element = elementOf(op.getWordEmbedding());
  int64_t batch = dimOf(op.getInputIds(), 0), seq = dimOf(op.getInputIds(), 1);
  int64_t hidden =
      merge(dimOf(op.getWordEmbedding(), 1), dimOf(op.getGamma(), 0));
  Shape output{batch, seq, hidden};
  return {tensorOf(output, element), tensorOf(Shape{batch}, b.getI32Type()),
          tensorOf(output, element)};
}

SmallVector<Type> inferAttention(MSAttentionOp op) {
  Type element = elementOf(op.getInput());
  int64_t batch = dimOf(op.getInput(), 0), seq = dimOf(op.getInput(), 1);
  int64_t heads = op.getNumHeadsAttr() ? op.getNumHeadsAttr().getInt() : 0;
  std::optional<std::array<int64_t, 3>> sizes = op.getQkvWidths();
  int64_t vWidth = sizes ? (*sizes)[2] : kDynamic;
  int64_t headSize = sizes && heads > 0 ? (*sizes)[1] / heads : kDynamic;
  int64_t total = seq;
  if (!isNone(op.getPast())) {
    int64_t past = dimOf(op.getPast(), 3);
    total = ShapedType::isDynamic(past) || ShapedType::isDynamic(seq)
                ? kDynamic
                : past + seq;
  }
  return {
      tensorOf(Shape{batch, seq, vWidth}, element),
      tensorOf(Shape{2, batch, heads > 0 ? heads : kDynamic, total, headSize},
               element)};
}

/// SkipLayerNormalization and SkipSimplifiedLayerNormalization: output and
/// sum as the input, f32 statistics with the last dimension 1.
SmallVector<Type> inferSkipNorm(Operation *op) {
  Value input = op->getOperand(0);
  Type element = elementOf(input);
  Type f32 = Float32Type::get(op->getContext());
  Type stats = tensorOf(statisticsShape(input, -1), f32);
  return {tensorOf(shapeOf(input), element), stats, stats,
          tensorOf(shapeOf(input), element)};
}

SmallVector<Type> inferSimplifiedLayerNorm(SimplifiedLayerNormalizationOp op) {
  Type f32 = Float32Type::get(op.getContext());
  // onnxruntime's Y has the element type of `scale` (its type V).
  Type element = elementOf(op.getScale());
  if (!element)
    element = elementOf(op.getX());
  return {tensorOf(shapeOf(op.getX()), element),
          tensorOf(statisticsShape(op.getX(), op.getAxisOrDefault()), f32)};
}

SmallVector<Type> inferGatherBlockQuantized(GatherBlockQuantizedOp op) {
  Type element = elementOf(op.getScales());
  std::optional<Shape> data = shapeOf(op.getData());
  std::optional<Shape> indices = shapeOf(op.getIndices());
  if (!data || !indices)
    return {tensorOf(std::nullopt, element)};
  int64_t rank = data->size();
  std::optional<int64_t> gather =
      normalizeAxis(op.getGatherAxisOrDefault(), rank);
  std::optional<int64_t> quantize = normalizeAxis(
      op.getQuantizeAxisAttr() ? op.getQuantizeAxisAttr().getInt() : 1, rank);
  if (!gather || !quantize)
    return {Type()};
  // uint8 data packs 8/bits values a byte along the quantized axis.
  auto integer = dyn_cast_or_null<IntegerType>(elementOf(op.getData()));
  if (integer && integer.getWidth() == 8 && integer.isUnsigned() &&
      !ShapedType::isDynamic((*data)[*quantize]))
    (*data)[*quantize] *= 8 / op.getBitsOrDefault();
  Shape result(data->begin(), data->begin() + *gather);
  llvm::append_range(result, *indices);
  result.append(data->begin() + *gather + 1, data->end());
  return {tensorOf(result, element)};
}

} // namespace

std::optional<SmallVector<Type>>
mlir::peft::onnx_ir::inferContribResultTypes(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<SmallVector<Type>>>(op)
      .Case(inferEmbedLayerNorm)
      .Case(inferAttention)
      .Case<SkipLayerNormalizationOp, SkipSimplifiedLayerNormalizationOp>(
          [](Operation *op) { return inferSkipNorm(op); })
      .Case(inferSimplifiedLayerNorm)
      .Case<BiasGeluOp, FastGeluOp, MSRotaryEmbeddingOp>(
          [](Operation *op) -> SmallVector<Type> {
            Value input = op->getOperand(0);
            return {tensorOf(shapeOf(input), elementOf(input))};
          })
      .Case(inferGatherBlockQuantized)
      .Default([](Operation *) { return std::nullopt; });
}
