//===- QuantizationUtils.cpp - IR helpers of the quantization passes ------===//

#include "QuantizationUtils.h"
#include "LayerSelection.h"
#include "peft/Dialect/Peft/Utils/Weights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::peft;
namespace nm = mlir::peft::numerics;

FailureOr<nm::Matrix<float>>
mlir::peft::readWeightOutIn(LinearLikeOpInterface layer) {
  OpOperand *operand = layer.getDenseWeightOperand();
  if (!operand)
    return layer->emitError() << "layer " << layer.describeLayer()
                              << " has no dense float weight";
  FailureOr<std::vector<float>> values = readConstantOperand<float>(
      layer, operand->get(), "the weight of layer " + layer.describeLayer());
  if (failed(values))
    return failure();
  int64_t in = layer.getInFeatures(), out = layer.getOutFeatures();
  nm::Matrix<float> w(out, in);
  if (layer.getDenseWeightLayout() == WeightLayout::out_in) {
    w.values() = std::move(*values);
    return w;
  }
  for (int64_t i = 0; i < in; ++i)
    for (int64_t o = 0; o < out; ++o)
      w(o, i) = (*values)[i * out + o];
  return w;
}

FailureOr<quant::QuantSpec> mlir::peft::getGridSpec(Operation *root,
                                                    StringRef pass,
                                                    int64_t bits, bool grouped,
                                                    int64_t groupSize) {
  if (!quant::isSupportedBits(bits))
    return emitError(root->getLoc())
           << pass << ": bits must be 2, 3, 4 or 8, got " << bits;
  if (grouped && groupSize < 1)
    return emitError(root->getLoc())
           << pass << ": group-size must be >= 1, got " << groupSize;
  quant::QuantSpec spec;
  spec.bits = int(bits);
  spec.groupSize = grouped ? groupSize : 0;
  return spec;
}

FailureOr<SmallVector<LinearLikeOpInterface>>
mlir::peft::selectFloatLayers(Operation *root, StringRef pass,
                              ArrayRef<std::string> targets,
                              StringRef targetRegex,
                              ArrayRef<LinearRole> roles) {
  FailureOr<LayerSelection> selection =
      LayerSelection::get(root->getLoc(), pass, targets, targetRegex, roles,
                          /*defaultAllLinear=*/true);
  if (failed(selection))
    return failure();
  SmallVector<LinearLikeOpInterface> layers;
  root->walk([&](LinearLikeOpInterface layer) {
    if (layer.getDenseWeightOperand() && selection->contains(layer))
      layers.push_back(layer);
  });
  if (layers.empty())
    return emitError(root->getLoc())
           << pass << ": the selection matches no linear layer with a float "
                      "weight (run peft-raise-linear first? without targets= "
                      "the model's output head is left out)";
  return layers;
}

void mlir::peft::replaceLayer(LinearLikeOpInterface layer,
                              Operation *replacement) {
  Value oldWeight = layer.getDenseWeightOperand()
                        ? layer.getDenseWeightOperand()->get()
                        : Value();
  layer.getLinearOutput().replaceAllUsesWith(replacement->getResult(0));
  layer->erase();
  eraseWeightIfDead(oldWeight);
}

std::string mlir::peft::getWeightStem(LinearLikeOpInterface layer) {
  if (std::optional<StringRef> path = layer.getModulePath())
    return path->str();
  if (OpOperand *weight = layer.getDenseWeightOperand()) {
    StringRef name = getInitializerName(weight->get());
    if (!name.empty()) {
      name.consume_back(".weight");
      return name.str();
    }
  }
  return "linear";
}

QLinearOp mlir::peft::replaceWithQLinear(OpBuilder &builder,
                                         LinearLikeOpInterface layer,
                                         const quant::QuantizedMatrix &m,
                                         StringRef stem) {
  MLIRContext *ctx = builder.getContext();
  Location loc = layer->getLoc();
  builder.setInsertionPoint(layer);
  IntegerType intType = getIntType(ctx, m.spec.bits);
  Value weight = createIntegerWeight(
      builder, loc, (stem + ".qweight").str(),
      RankedTensorType::get({m.rows, m.cols}, intType), m.q);
  auto scalesType =
      RankedTensorType::get({m.rows, m.groups()}, builder.getF32Type());
  Value scales = createWeight<float>(builder, loc, (stem + ".scales").str(),
                                     scalesType, m.scales);
  Value zeroPoints;
  if (!m.zeroPoints.empty())
    zeroPoints = createIntegerWeight(
        builder, loc, (stem + ".zero_points").str(),
        RankedTensorType::get({m.rows, m.groups()}, intType), m.zeroPoints);
  OpOperand *bias = layer.getBiasOperand();
  auto result = cast<RankedTensorType>(layer.getLinearOutput().getType());
  std::optional<StringRef> path = layer.getModulePath();
  auto q = QLinearOp::create(
      builder, loc, result, layer.getLinearInput(), weight, scales, zeroPoints,
      bias ? bias->get() : Value(),
      m.spec.groupSize ? builder.getI64IntegerAttr(m.spec.groupSize)
                       : IntegerAttr(),
      LinearRoleAttr::get(ctx, layer.getLinearRole()),
      path ? builder.getStringAttr(*path) : StringAttr());
  replaceLayer(layer, q);
  return q;
}

/// The element type Φ0 is stored in.
static Type getPhiType(OpBuilder &b, PhiFormat phi, int64_t bits) {
  switch (phi) {
  case PhiFormat::Fixed:
    return b.getI8Type();
  case PhiFormat::Int:
    return getIntType(b.getContext(), bits);
  case PhiFormat::Float16:
    return b.getF16Type();
  case PhiFormat::BFloat16:
    return b.getBF16Type();
  case PhiFormat::Float32:
    return b.getF32Type();
  }
  llvm_unreachable("unknown phi format");
}

LrqatLinearOp mlir::peft::replaceWithLrqatLinear(OpBuilder &builder,
                                                 LinearLikeOpInterface layer,
                                                 const LrqatParams &params,
                                                 StringRef stem) {
  MLIRContext *ctx = builder.getContext();
  Location loc = layer->getLoc();
  builder.setInsertionPoint(layer);
  int64_t out = layer.getOutFeatures(), in = layer.getInFeatures();
  int64_t groups =
      params.groupSize ? (in + params.groupSize - 1) / params.groupSize : 1;
  Type phiType = getPhiType(builder, params.phi, params.bits);
  auto phiTensor = RankedTensorType::get({out, in}, phiType);
  Value phi;
  if (isa<IntegerType>(phiType)) {
    std::vector<int8_t> ints(params.phiStored.begin(), params.phiStored.end());
    phi = createIntegerWeight(builder, loc, (stem + ".phi0").str(), phiTensor,
                              ints);
  } else {
    phi = createWeight<double>(builder, loc, (stem + ".phi0").str(), phiTensor,
                               params.phiStored);
  }
  Type f32 = builder.getF32Type();
  auto f32Weight = [&](StringRef suffix, int64_t rows, int64_t cols,
                       ArrayRef<double> values) {
    return createWeight<double>(builder, loc, (stem + suffix).str(),
                                RankedTensorType::get({rows, cols}, f32),
                                values);
  };
  Value scales = f32Weight(".scale", out, groups, params.scales);
  Value a = f32Weight(".lora_A", out, params.rank, params.loraA);
  Value b = f32Weight(".lora_B", params.rank, in, params.loraB);
  OpOperand *bias = layer.getBiasOperand();
  std::optional<StringRef> path = layer.getModulePath();
  auto op = LrqatLinearOp::create(
      builder, loc, cast<RankedTensorType>(layer.getLinearOutput().getType()),
      layer.getLinearInput(), phi, scales, a, b, bias ? bias->get() : Value(),
      builder.getI64IntegerAttr(params.bits),
      builder.getF64FloatAttr(params.alpha),
      params.groupSize ? builder.getI64IntegerAttr(params.groupSize)
                       : IntegerAttr(),
      LinearRoleAttr::get(ctx, layer.getLinearRole()),
      path ? builder.getStringAttr(*path) : StringAttr());
  replaceLayer(layer, op);
  return op;
}

FailureOr<quant::QuantizedMatrix> mlir::peft::readQuantized(QLinearOp op) {
  quant::QuantizedMatrix m;
  m.rows = op.getOutFeatures();
  m.cols = op.getInFeatures();
  m.spec.bits = int(op.getBits());
  m.spec.groupSize = op.getGroupSize() ? *op.getGroupSize() : 0;
  m.spec.symmetric = !op.getZeroPoints();
  std::string where = " of layer " + LinearLikeOpInterface(op).describeLayer();
  auto ints = [&](Value v, StringRef what,
                  std::vector<int8_t> &out) -> LogicalResult {
    FailureOr<std::vector<double>> values =
        readConstantOperand<double>(op, v, what + where);
    if (failed(values))
      return failure();
    out.assign(values->begin(), values->end());
    return success();
  };
  if (failed(ints(op.getWeight(), "the integer weight", m.q)))
    return failure();
  FailureOr<std::vector<float>> scales =
      readConstantOperand<float>(op, op.getScales(), "the scales" + where);
  if (failed(scales))
    return failure();
  m.scales = std::move(*scales);
  if (op.getZeroPoints() &&
      failed(ints(op.getZeroPoints(), "the zero points", m.zeroPoints)))
    return failure();
  return m;
}
