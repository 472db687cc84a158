//===- ONNXContribOps.cpp - verifiers of the onnxruntime contrib ops ------===//
//
// What the operand types make checkable of the com.microsoft ops that
// onnxruntime's transformer optimizer emits (and SimplifiedLayerNormalization,
// which it registers in the ai.onnx domain). Forms that onnxruntime accepts
// but onnx-decompose-contrib-ops does not expand are valid here; the pass
// rejects them.
//
//===----------------------------------------------------------------------===//

#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/ONNX/IR/ONNXShapes.h"

#include "llvm/Support/InterleavedRange.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::peft::onnx_ir;

namespace {

RankedTensorType ranked(Value value) {
  return dyn_cast<RankedTensorType>(value.getType());
}

bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// `value`, when ranked, has a rank in [minRank, maxRank].
LogicalResult verifyRank(Operation *op, Value value, StringRef name,
                         int64_t minRank, int64_t maxRank) {
  RankedTensorType type = ranked(value);
  if (!type || (type.getRank() >= minRank && type.getRank() <= maxRank))
    return success();
  InFlightDiagnostic diag = op->emitOpError("'")
                            << name << "' has rank " << type.getRank()
                            << "; expected ";
  if (minRank == maxRank)
    diag << minRank;
  else
    diag << minRank << " to " << maxRank;
  return diag;
}

/// `value`, when present and ranked, is 1-D of `extent` elements (the
/// hidden size a normalization or bias applies to).
LogicalResult verifyVector(Operation *op, Value value, StringRef name,
                           int64_t extent) {
  if (isNone(value))
    return success();
  if (failed(verifyRank(op, value, name, 1, 1)))
    return failure();
  RankedTensorType type = ranked(value);
  if (type && !compatible(type.getDimSize(0), extent))
    return op->emitOpError("'")
           << name << "' has " << type.getDimSize(0) << " elements; expected "
           << extent << " (the last dimension of the input)";
  return success();
}

/// The last extent of `value` (dynamic when unknown).
int64_t lastDim(Value value) {
  RankedTensorType type = ranked(value);
  return type && type.getRank() > 0 ? type.getShape().back()
                                    : ShapedType::kDynamic;
}

/// An integer operand of one of `widths` bits, when its type is known.
LogicalResult verifyIntegerElements(Operation *op, Value value, StringRef name,
                                    ArrayRef<unsigned> widths) {
  auto type = dyn_cast<ShapedType>(value.getType());
  if (!type || isa<NoneType>(type.getElementType()))
    return success();
  auto integer = dyn_cast<IntegerType>(type.getElementType());
  if (integer && llvm::is_contained(widths, integer.getWidth()))
    return success();
  return op->emitOpError("'")
         << name << "' has element type " << type.getElementType()
         << "; expected an integer type of "
         << llvm::interleaved(widths, " or ") << " bits";
}

/// SkipLayerNormalization and SkipSimplifiedLayerNormalization.
template <typename OpT> LogicalResult verifySkipNorm(OpT op) {
  if (failed(verifyRank(op, op.getInput(), "input", 2, 3)) ||
      failed(verifyRank(op, op.getSkip(), "skip", 2, 3)))
    return failure();
  int64_t hidden = lastDim(op.getInput());
  if (!compatible(lastDim(op.getSkip()), hidden))
    return op.emitOpError("'skip' has last dimension ")
           << lastDim(op.getSkip()) << "; expected " << hidden;
  if (auto input = ranked(op.getInput()))
    if (auto skip = ranked(op.getSkip()))
      if (!broadcastShapes(input.getShape(), skip.getShape()))
        return op.emitOpError("'skip' of type ")
               << skip << " does not broadcast to 'input' of type " << input;
  return verifyVector(op, op.getGamma(), "gamma", hidden);
}

} // namespace

LogicalResult EmbedLayerNormalizationOp::verify() {
  using Named = std::pair<Value, StringRef>;
  for (auto [value, name] :
       {Named{getInputIds(), "input_ids"},
        Named{getSegmentIds(), "segment_ids"}, Named{getMask(), "mask"},
        Named{getPositionIds(), "position_ids"}}) {
    if (isNone(value))
      continue;
    if (failed(verifyRank(*this, value, name, 2, 2)) ||
        failed(verifyIntegerElements(*this, value, name, {32})))
      return failure();
  }
  if (isNone(getSegmentIds()) != isNone(getSegmentEmbedding()))
    return emitOpError("'segment_ids' and 'segment_embedding' must be given "
                       "together");
  if (failed(verifyRank(*this, getWordEmbedding(), "word_embedding", 2, 2)) ||
      failed(verifyRank(*this, getPositionEmbedding(), "position_embedding", 2,
                        2)))
    return failure();
  if (!isNone(getSegmentEmbedding()) &&
      failed(
          verifyRank(*this, getSegmentEmbedding(), "segment_embedding", 2, 2)))
    return failure();
  int64_t hidden = lastDim(getWordEmbedding());
  for (Value table : {Value(getPositionEmbedding()), getSegmentEmbedding()})
    if (!isNone(table) && !compatible(lastDim(table), hidden))
      return emitOpError("embedding tables of different widths (")
             << hidden << " and " << lastDim(table) << ")";
  if (failed(verifyVector(*this, getGamma(), "gamma", hidden)) ||
      failed(verifyVector(*this, getBeta(), "beta", hidden)))
    return failure();
  return success();
}

std::optional<std::array<int64_t, 3>> MSAttentionOp::getQkvWidths() {
  if (DenseI64ArrayAttr sizes = getQkvHiddenSizesAttr()) {
    if (sizes.size() != 3)
      return std::nullopt;
    return std::array<int64_t, 3>{sizes[0], sizes[1], sizes[2]};
  }
  int64_t columns = lastDim(getWeights());
  if (ShapedType::isDynamic(columns) || columns % 3 != 0)
    return std::nullopt;
  return std::array<int64_t, 3>{columns / 3, columns / 3, columns / 3};
}

LogicalResult MSAttentionOp::verify() {
  if (!getNumHeadsAttr() || getNumHeadsAttr().getInt() <= 0)
    return emitOpError("requires a positive 'num_heads'");
  int64_t heads = getNumHeadsAttr().getInt();
  if (failed(verifyRank(*this, getInput(), "input", 3, 3)) ||
      failed(verifyRank(*this, getWeights(), "weights", 2, 2)))
    return failure();
  if (auto weights = ranked(getWeights()))
    if (!compatible(weights.getDimSize(0), lastDim(getInput())))
      return emitOpError("'weights' has ")
             << weights.getDimSize(0) << " rows; expected "
             << lastDim(getInput()) << " (the hidden size of 'input')";
  if (getQkvHiddenSizesAttr() && getQkvHiddenSizesAttr().size() != 3)
    return emitOpError("'qkv_hidden_sizes' must have 3 elements");
  int64_t columns = lastDim(getWeights());
  if (!getQkvHiddenSizesAttr() && !ShapedType::isDynamic(columns) &&
      columns % 3 != 0)
    return emitOpError("'weights' has ")
           << columns << " columns, not 3 equal q, k, v widths";
  if (std::optional<std::array<int64_t, 3>> sizes = getQkvWidths()) {
    for (int64_t size : *sizes)
      if (size <= 0 || size % heads != 0)
        return emitOpError("q, k, v widths ")
               << llvm::interleaved_array(*sizes)
               << " must be positive multiples of num_heads = " << heads;
    if ((*sizes)[0] != (*sizes)[1])
      return emitOpError("q and k widths differ (")
             << (*sizes)[0] << " and " << (*sizes)[1] << ")";
    if (!compatible(columns, (*sizes)[0] + (*sizes)[1] + (*sizes)[2]))
      return emitOpError("'weights' has ")
             << columns << " columns; 'qkv_hidden_sizes' add up to "
             << (*sizes)[0] + (*sizes)[1] + (*sizes)[2];
    if (failed(verifyVector(*this, getBias(), "bias",
                            (*sizes)[0] + (*sizes)[1] + (*sizes)[2])))
      return failure();
  }
  if (!isNone(getMaskIndex()) &&
      (failed(verifyRank(*this, getMaskIndex(), "mask_index", 1, 4)) ||
       failed(
           verifyIntegerElements(*this, getMaskIndex(), "mask_index", {32}))))
    return failure();
  return success();
}

LogicalResult SkipLayerNormalizationOp::verify() {
  if (failed(verifySkipNorm(*this)))
    return failure();
  int64_t hidden = lastDim(getInput());
  if (failed(verifyVector(*this, getBeta(), "beta", hidden)) ||
      failed(verifyVector(*this, getBias(), "bias", hidden)))
    return failure();
  return success();
}

LogicalResult SkipSimplifiedLayerNormalizationOp::verify() {
  if (failed(verifySkipNorm(*this)))
    return failure();
  return verifyVector(*this, getBias(), "bias", lastDim(getInput()));
}

LogicalResult SimplifiedLayerNormalizationOp::verify() {
  RankedTensorType x = ranked(getX());
  if (!x)
    return success();
  if (getAxisAttr()) {
    int64_t rank = x.getRank(), axis = getAxisAttr().getInt();
    if (axis < -rank || axis >= rank)
      return emitOpError("attribute 'axis' = ")
             << axis << " is out of range [" << -rank << ", " << rank
             << ") for rank " << rank;
  }
  if (auto scale = ranked(getScale()))
    if (!broadcastShapes(x.getShape(), scale.getShape()))
      return emitOpError("'scale' of type ")
             << scale << " does not broadcast to 'X' of type " << x;
  return success();
}

LogicalResult BiasGeluOp::verify() {
  return verifyVector(*this, getB(), "B", lastDim(getA()));
}

LogicalResult FastGeluOp::verify() {
  return verifyVector(*this, getBias(), "bias", lastDim(getX()));
}

LogicalResult GatherBlockQuantizedOp::verify() {
  int64_t bits = getBitsOrDefault();
  if (bits != 4 && bits != 8)
    return emitOpError("'bits' = ") << bits << "; expected 4 or 8";
  if (getBlockSizeAttr()) {
    int64_t block = getBlockSizeAttr().getInt();
    if (block < 16 || !llvm::isPowerOf2_64(block))
      return emitOpError("'block_size' = ")
             << block << "; expected a power of 2 of at least 16";
  }
  if (failed(verifyIntegerElements(*this, getData(), "data", {4, 8})) ||
      failed(verifyIntegerElements(*this, getIndices(), "indices", {32, 64})))
    return failure();
  if (auto data = ranked(getData())) {
    int64_t rank = data.getRank(), axis = getGatherAxisOrDefault();
    if (axis < -rank || axis >= rank)
      return emitOpError("attribute 'gather_axis' = ")
             << axis << " is out of range [" << -rank << ", " << rank
             << ") for rank " << rank;
  }
  return success();
}

LogicalResult MSRotaryEmbeddingOp::verify() {
  if (failed(verifyRank(*this, getInput(), "input", 3, 4)) ||
      failed(verifyRank(*this, getCosCache(), "cos_cache", 2, 3)) ||
      failed(verifyRank(*this, getSinCache(), "sin_cache", 2, 3)))
    return failure();
  return verifyIntegerElements(*this, getPositionIds(), "position_ids", {64});
}
