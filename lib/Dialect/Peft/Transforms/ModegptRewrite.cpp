//===- ModegptRewrite.cpp - IR rewrites of peft-modegpt -------------------===//

#include "ModegptRewrite.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Utils/Weights.h"

#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::peft;
using numerics::Matrix;

namespace {
/// `type` with its last dimension set to `size`.
RankedTensorType withLastDim(RankedTensorType type, int64_t size) {
  SmallVector<int64_t> shape(type.getShape());
  shape.back() = size;
  return type.clone(shape);
}

/// The name for a rewritten weight of `layer`: its old initializer or blob
/// name, else the layer's path.
std::string weightName(LinearLikeOpInterface layer, Value old,
                       StringRef suffix) {
  if (std::optional<Weight> w = Weight::lookup(old))
    if (!w->getName().empty())
      return w->getName().str();
  std::optional<StringRef> path = layer.getModulePath();
  return (path ? path->str() : std::string("layer")) + suffix.str();
}

/// Replaces the weight operand of `layer` by `w` [in, out] (y = x·W),
/// stored in the layer's layout and element type.
void setWeight(LinearLikeOpInterface layer, const Matrix<double> &w) {
  OpOperand *operand = layer.getDenseWeightOperand();
  Value old = operand->get();
  auto oldType = cast<RankedTensorType>(old.getType());
  int64_t in = w.getRows(), out = w.getCols();
  bool outIn = layer.getDenseWeightLayout() == WeightLayout::out_in;
  std::vector<double> values;
  values.reserve(in * out);
  if (outIn) {
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < in; ++i)
        values.push_back(w(i, o));
  } else {
    values = w.values();
  }
  SmallVector<int64_t> shape =
      outIn ? SmallVector<int64_t>{out, in} : SmallVector<int64_t>{in, out};
  OpBuilder builder(layer);
  Value weight = createWeight<double>(builder, layer->getLoc(),
                                      weightName(layer, old, ".weight"),
                                      oldType.clone(shape), values);
  operand->set(weight);
  eraseWeightIfDead(old);
}

/// Replaces the bias of `layer` by `bias`.
void setBias(LinearLikeOpInterface layer, ArrayRef<double> bias) {
  OpOperand *operand = layer.getBiasOperand();
  Value old = operand->get();
  auto oldType = cast<RankedTensorType>(old.getType());
  OpBuilder builder(layer);
  Value value = createWeight<double>(builder, layer->getLoc(),
                                     weightName(layer, old, ".bias"),
                                     withLastDim(oldType, bias.size()), bias);
  operand->set(value);
  eraseWeightIfDead(old);
}

void narrowOutput(LinearLikeOpInterface layer, int64_t size) {
  Value output = layer.getLinearOutput();
  output.setType(withLastDim(cast<RankedTensorType>(output.getType()), size));
}
} // namespace

FailureOr<Matrix<double>>
mlir::peft::readLinearWeight(LinearLikeOpInterface layer, StringRef pass,
                             bool inOut) {
  OpOperand *operand = layer.getDenseWeightOperand();
  if (!operand)
    return layer->emitError(pass)
           << ": layer " << layer.describeLayer()
           << " has no dense float weight (a quantized or factored layer "
              "cannot be compressed)";
  FailureOr<std::vector<double>> values = readConstantOperand<double>(
      layer, operand->get(), "the weight of layer " + layer.describeLayer());
  if (failed(values))
    return failure();
  int64_t in = layer.getInFeatures(), out = layer.getOutFeatures();
  bool storedOutIn = layer.getDenseWeightLayout() == WeightLayout::out_in;
  if (storedOutIn != inOut) {
    Matrix<double> w(inOut ? in : out, inOut ? out : in);
    w.values() = std::move(*values);
    return w;
  }
  // Stored the other way round: transpose.
  int64_t rows = storedOutIn ? out : in, cols = storedOutIn ? in : out;
  Matrix<double> w(cols, rows);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      w(c, r) = (*values)[r * cols + c];
  return w;
}

LogicalResult mlir::peft::keepOutputFeatures(LinearLikeOpInterface layer,
                                             ArrayRef<int64_t> kept,
                                             StringRef pass) {
  FailureOr<Matrix<double>> w = readLinearWeight(layer, pass, /*inOut=*/true);
  if (failed(w))
    return failure();
  Matrix<double> sliced(w->getRows(), kept.size());
  for (int64_t i = 0; i < w->getRows(); ++i)
    for (auto [c, index] : llvm::enumerate(kept))
      sliced(i, c) = (*w)(i, index);
  std::vector<double> bias;
  if (OpOperand *operand = layer.getBiasOperand()) {
    FailureOr<std::vector<double>> values = readConstantOperand<double>(
        layer, operand->get(), "the bias of layer " + layer.describeLayer());
    if (failed(values))
      return failure();
    for (int64_t index : kept)
      bias.push_back((*values)[index]);
  }
  return replaceOutputFeatures(layer, sliced, bias, pass);
}

LogicalResult mlir::peft::replaceOutputFeatures(LinearLikeOpInterface layer,
                                                const Matrix<double> &w,
                                                ArrayRef<double> bias,
                                                StringRef pass) {
  if (w.getRows() != layer.getInFeatures())
    return layer->emitError(pass)
           << ": internal error: a new weight of " << w.getRows()
           << " inputs for layer " << layer.describeLayer();
  if (layer.getBiasOperand() && int64_t(bias.size()) != w.getCols())
    return layer->emitError(pass)
           << ": internal error: the new bias of layer "
           << layer.describeLayer() << " has " << bias.size() << " values";
  setWeight(layer, w);
  if (layer.getBiasOperand())
    setBias(layer, bias);
  narrowOutput(layer, w.getCols());
  return success();
}

LogicalResult mlir::peft::replaceInputFeatures(LinearLikeOpInterface layer,
                                               const Matrix<double> &w,
                                               StringRef pass) {
  if (w.getCols() != layer.getOutFeatures())
    return layer->emitError(pass)
           << ": internal error: a new weight of " << w.getCols()
           << " outputs for layer " << layer.describeLayer();
  setWeight(layer, w);
  return success();
}

LogicalResult mlir::peft::resizeValuesBetween(ArrayRef<Operation *> ops,
                                              int64_t from, int64_t to,
                                              StringRef pass) {
  for (Operation *op : ops) {
    if (isa<onnx_ir::ReshapeOp, onnx_ir::ExpandOp, onnx_ir::SliceOp,
            onnx_ir::ConcatOp, onnx_ir::SplitOp, onnx_ir::TransposeOp,
            onnx_ir::GatherOp, onnx_ir::MatMulOp, onnx_ir::FlattenOp>(op))
      return op->emitError(pass)
             << ": cannot follow the inner dimension through '" << op->getName()
             << "' (only elementwise ops may lie between "
             << "the projections)";
    for (Value result : op->getResults()) {
      auto type = dyn_cast<RankedTensorType>(result.getType());
      if (type && type.getRank() > 0 && type.getShape().back() == from)
        result.setType(withLastDim(type, to));
    }
  }
  return success();
}

SmallVector<LinearLikeOpInterface>
mlir::peft::getModuleLinears(TransformerBlock &block) {
  llvm::SetVector<Operation *> ops;
  auto add = [&](LinearLikeOpInterface layer) {
    if (layer)
      ops.insert(layer.getOperation());
  };
  if (block.attention) {
    add(block.attention->q.linear);
    add(block.attention->k.linear);
    add(block.attention->v.linear);
    add(block.attention->o);
  }
  if (block.mlp) {
    add(block.mlp->gate);
    add(block.mlp->up);
    add(block.mlp->down);
  }
  SmallVector<LinearLikeOpInterface> layers;
  for (Operation *op : ops)
    layers.push_back(cast<LinearLikeOpInterface>(op));
  return layers;
}
