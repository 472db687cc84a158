//===- ONNXExportQuantized.cpp - peft.qlinear as MatMulNBits or QDQ -------===//
//
// A `peft.qlinear` exports in one of two forms (ONNXExportOptions::
// quantizedForm, docs/quantization.md "ONNX"):
//
// MatMulNBits (default): onnxruntime's `com.microsoft.MatMulNBits`
// (../shared/REFERENCE.md §5): B [N, k_blocks, block·bits/8] uint8 holding
// q + 2^(b−1) packed along K (first value in the low bits), scales
// [N·k_blocks] in the activation type, zero points (asymmetric grids only)
// packed uint8 [N·ceil(k_blocks·bits/8)] as z + 2^(b−1), the bias as its
// sixth input. The block size is a power of two from 16 to 128 that divides
// the group size (or any, per channel): a group spanning several blocks
// repeats its scale. 3-bit weights and group sizes no such block divides
// have no MatMulNBits form and are an error.
//
// QDQ: DequantizeLinear(x [K, N] signed integers, scale, zero point) →
// MatMul (+ Add bias). Per channel: scale [N], axis 1; groups: scale
// [ceil(K/g), N], axis 0, block_size g (opset 21). 8-bit weights are INT8,
// 2-, 3- and 4-bit weights INT4 (opset 21; their values fit, so the
// widening is exact). Zero points (asymmetric grids) have x's type.
//
//===----------------------------------------------------------------------===//

#include "ONNXExportImpl.h"

#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/Codecs.h"

#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::detail;

namespace {
/// The ai.onnx opset the QDQ form of `op` needs: DequantizeLinear's axis
/// arrives in 13, INT4 and block_size in 21.
int64_t qdqOpset(QLinearOp op) {
  return op.getBits() == 8 && !op.getGroupSize() ? 13 : 21;
}

/// The MatMulNBits block size for `groupSize` (0: per channel) and K, or 0.
int64_t chooseBlockSize(int64_t groupSize, int64_t k) {
  if (!groupSize) {
    int64_t block = 16;
    while (block < 128 && block < k)
      block *= 2;
    return block;
  }
  for (int64_t block = 128; block >= 16; block /= 2)
    if (groupSize % block == 0)
      return block;
  return 0;
}
} // namespace

bool mlir::peft::detail::onlyFeedsQLinearParams(Value value) {
  return !value.use_empty() && llvm::all_of(value.getUses(), [](OpOperand &u) {
    auto q = dyn_cast<QLinearOp>(u.getOwner());
    return q && u.get() != q.getInput() &&
           (!q.getBias() || u.get() != q.getBias());
  });
}

namespace {
/// A qlinear's integers, scales and zero points (empty without), in f64.
struct QLinearValues {
  std::vector<double> q, scales, zeroPoints;
};
} // namespace

static FailureOr<QLinearValues> readQLinearValues(QLinearOp op,
                                                  StringRef layer) {
  auto read = [&](Value v, StringRef what) -> FailureOr<std::vector<double>> {
    return readConstantOperand<double>(op, v, what + " of layer " + layer);
  };
  FailureOr<std::vector<double>> q = read(op.getWeight(), "the weight");
  FailureOr<std::vector<double>> scales = read(op.getScales(), "the scales");
  if (failed(q) || failed(scales))
    return failure();
  QLinearValues values{std::move(*q), std::move(*scales), {}};
  if (op.getZeroPoints()) {
    FailureOr<std::vector<double>> z = read(op.getZeroPoints(), "zero points");
    if (failed(z))
      return failure();
    values.zeroPoints = std::move(*z);
  }
  return values;
}

std::optional<ONNXQuantizedForm>
mlir::peft::parseONNXQuantizedForm(StringRef name) {
  if (name == "matmulnbits")
    return ONNXQuantizedForm::MatMulNBits;
  if (name == "qdq")
    return ONNXQuantizedForm::QDQ;
  return std::nullopt;
}

LogicalResult ONNXExporter::exportQLinear(QLinearOp op, StringRef scope,
                                          onnx::GraphProto &graph) {
  if (options.quantizedForm == ONNXQuantizedForm::QDQ)
    return exportQLinearQDQ(op, scope, graph);
  return exportQLinearMatMulNBits(op, scope, graph);
}

LogicalResult ONNXExporter::exportQLinearMatMulNBits(QLinearOp op,
                                                     StringRef scope,
                                                     onnx::GraphProto &graph) {
  Location loc = op.getLoc();
  int64_t bits = op.getBits(), n = op.getOutFeatures(), k = op.getInFeatures();
  std::string layer = LinearLikeOpInterface(op).describeLayer();
  if (bits != 2 && bits != 4 && bits != 8)
    return op.emitError() << "layer " << layer << " has " << bits
                          << "-bit weights, which have no ONNX form "
                             "(MatMulNBits takes 2, 4 or 8 bits)";
  int64_t groupSize = op.getGroupSize() ? *op.getGroupSize() : 0;
  int64_t block = chooseBlockSize(groupSize, k);
  if (!block)
    return op.emitError() << "layer " << layer << ": no MatMulNBits block size "
                          << "(a power of two from 16 to 128) divides the "
                             "group size "
                          << groupSize;
  FailureOr<QLinearValues> read = readQLinearValues(op, layer);
  if (failed(read))
    return failure();
  const std::vector<double> *q = &read->q, *scales = &read->scales;
  const std::vector<double> &zps = read->zeroPoints;
  int64_t groups = op.getGroupsPerRow(), kBlocks = (k + block - 1) / block;
  int64_t blobBytes = block * bits / 8, offset = int64_t(1) << (bits - 1);
  auto groupOf = [&](int64_t col) { return groupSize ? col / groupSize : 0; };

  std::vector<uint8_t> packed(size_t(n * kBlocks * blobBytes));
  std::vector<int8_t> values(static_cast<size_t>(block));
  std::vector<double> blockScales(size_t(n * kBlocks));
  int64_t zpRowBytes = int64_t(codecs::packedBytes(size_t(kBlocks), int(bits)));
  std::vector<uint8_t> zpPacked(zps.empty() ? 0 : size_t(n * zpRowBytes));
  std::vector<int8_t> zpRow(static_cast<size_t>(kBlocks));
  for (int64_t row = 0; row < n; ++row) {
    for (int64_t kb = 0; kb < kBlocks; ++kb) {
      int64_t g = groupOf(kb * block);
      double zero = zps.empty() ? 0 : zps[row * groups + g];
      for (int64_t j = 0; j < block; ++j) {
        int64_t col = kb * block + j;
        // Padding past K holds the zero point: it dequantizes to 0.
        double v = col < k ? (*q)[row * k + col] : zero;
        values[j] = int8_t(uint8_t(int64_t(v) + offset));
      }
      codecs::packBits(values, int(bits),
                       &packed[size_t((row * kBlocks + kb) * blobBytes)]);
      blockScales[row * kBlocks + kb] = (*scales)[row * groups + g];
      zpRow[kb] = int8_t(uint8_t(int64_t(zero) + offset));
    }
    if (!zps.empty())
      codecs::packBits(zpRow, int(bits), &zpPacked[size_t(row * zpRowBytes)]);
  }

  MLIRContext *ctx = module.getContext();
  Builder b(ctx);
  Type u8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  std::string stem = op.getPath() ? op.getPath()->str() : scope.str();
  auto bType = RankedTensorType::get({n, kBlocks, blobBytes}, u8);
  FailureOr<std::string> bName =
      addInitializer(graph, stem + ".qweight",
                     DenseResourceElementsAttr::get(
                         bType, stem + ".matmulnbits",
                         HeapAsmResourceBlob::allocateAndCopyInferAlign(
                             ArrayRef<uint8_t>(packed))),
                     loc, /*allowExternal=*/true);
  Type floatType = op.getInput().getType().getElementType();
  auto sType = RankedTensorType::get({n * kBlocks}, floatType);
  FailureOr<std::string> sName = addInitializer(
      graph, stem + ".scales",
      createWeightBlob<double>(sType, blockScales, stem + ".scales_blocks"),
      loc, /*allowExternal=*/true);
  if (failed(bName) || failed(sName))
    return failure();
  std::string zName;
  if (!zps.empty()) {
    auto zType = RankedTensorType::get({n * zpRowBytes}, u8);
    FailureOr<std::string> z =
        addInitializer(graph, stem + ".zero_points",
                       DenseResourceElementsAttr::get(
                           zType, stem + ".zero_points_blocks",
                           HeapAsmResourceBlob::allocateAndCopyInferAlign(
                               ArrayRef<uint8_t>(zpPacked))),
                       loc, /*allowExternal=*/true);
    if (failed(z))
      return failure();
    zName = *z;
  }

  SmallVector<std::string> inputs = {nameOf(op.getInput()), *bName, *sName,
                                     zName};
  if (op.getBias()) {
    inputs.push_back(""); // g_idx
    inputs.push_back(nameOf(op.getBias()));
  } else if (zName.empty()) {
    inputs.pop_back();
  }
  onnx::NodeProto *node;
  names[op.getResult()] =
      addNode(graph, "MatMulNBits", scope + "/MatMulNBits", inputs, &node,
              graphOutputName(op.getResult()));
  node->set_domain("com.microsoft");
  auto intAttr = [&](StringRef name, int64_t v) {
    auto *a = node->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  };
  intAttr("K", k);
  intAttr("N", n);
  intAttr("bits", bits);
  intAttr("block_size", block);
  requireOpset("com.microsoft", 1);
  return success();
}

LogicalResult ONNXExporter::raiseOpsetForQuantizedForm() {
  if (options.quantizedForm != ONNXQuantizedForm::QDQ)
    return success();
  int64_t needed = 0;
  Operation *first = nullptr;
  module.walk([&](QLinearOp op) {
    if (qdqOpset(op) > needed) {
      needed = qdqOpset(op);
      first = op;
    }
  });
  int64_t current = opsetVersion();
  if (needed <= current)
    return success();
  // From opset 13 on, the forms this exporter writes stay valid up to 21
  // (reductions follow opsetVersion()); older graphs (Squeeze, Unsqueeze,
  // Split with attributes) would need a conversion that is not done.
  if (current < 13)
    return first->emitError()
           << "the QDQ form of layer "
           << LinearLikeOpInterface(first).describeLayer() << " needs opset "
           << needed << ", and a model at opset " << current
           << " is not raised past 13 (convert it to opset 13 or later "
              "first, or export MatMulNBits)";
  for (onnx::OperatorSetIdProto &opset : *builtModel->mutable_opset_import())
    if (opset.domain().empty() || opset.domain() == "ai.onnx")
      opset.set_version(needed);
  return success();
}

LogicalResult ONNXExporter::exportQLinearQDQ(QLinearOp op, StringRef scope,
                                             onnx::GraphProto &graph) {
  Location loc = op.getLoc();
  int64_t bits = op.getBits(), n = op.getOutFeatures(), k = op.getInFeatures();
  std::string layer = LinearLikeOpInterface(op).describeLayer();
  FailureOr<QLinearValues> read = readQLinearValues(op, layer);
  if (failed(read))
    return failure();
  const std::vector<double> *q = &read->q, *scales = &read->scales;
  const std::vector<double> &zps = read->zeroPoints;

  // x [K, N]: the transpose of q; scales and zero points [groups, N] (or
  // [N] per channel), the transpose of the op's [N, groups].
  int64_t groups = op.getGroupsPerRow();
  std::vector<int8_t> x(size_t(k * n));
  for (int64_t row = 0; row < n; ++row)
    for (int64_t col = 0; col < k; ++col)
      x[col * n + row] = int8_t(int64_t((*q)[row * k + col]));
  std::vector<double> s(size_t(groups * n));
  std::vector<int8_t> z(zps.empty() ? 0 : size_t(groups * n));
  for (int64_t row = 0; row < n; ++row)
    for (int64_t g = 0; g < groups; ++g) {
      s[g * n + row] = (*scales)[row * groups + g];
      if (!zps.empty())
        z[g * n + row] = int8_t(int64_t(zps[row * groups + g]));
    }

  MLIRContext *ctx = module.getContext();
  Type intType = IntegerType::get(ctx, bits == 8 ? 8 : 4);
  Type floatType = op.getInput().getType().getElementType();
  SmallVector<int64_t> paramShape = {n};
  if (op.getGroupSize())
    paramShape = {groups, n};
  std::string stem = op.getPath() ? op.getPath()->str() : scope.str();
  FailureOr<std::string> xName = addInitializer(
      graph, stem + ".qweight",
      createIntegerWeightBlob(RankedTensorType::get({k, n}, intType), x,
                              stem + ".qdq_weight"),
      loc, /*allowExternal=*/true);
  FailureOr<std::string> sName = addInitializer(
      graph, stem + ".scales",
      createWeightBlob<double>(RankedTensorType::get(paramShape, floatType), s,
                               stem + ".qdq_scales"),
      loc, /*allowExternal=*/true);
  if (failed(xName) || failed(sName))
    return failure();
  SmallVector<std::string> inputs = {*xName, *sName};
  if (!zps.empty()) {
    FailureOr<std::string> zName = addInitializer(
        graph, stem + ".zero_points",
        createIntegerWeightBlob(RankedTensorType::get(paramShape, intType), z,
                                stem + ".qdq_zero_points"),
        loc, /*allowExternal=*/true);
    if (failed(zName))
      return failure();
    inputs.push_back(*zName);
  }
  onnx::NodeProto *dq;
  std::string weight = addNode(graph, "DequantizeLinear",
                               scope + "/DequantizeLinear", inputs, &dq);
  if (op.getGroupSize()) {
    addIntAttribute(*dq, "axis", 0);
    addIntAttribute(*dq, "block_size", *op.getGroupSize());
  } else {
    addIntAttribute(*dq, "axis", 1);
  }
  std::string input = nameOf(op.getInput());
  std::string output = graphOutputName(op.getResult());
  if (!op.getBias()) {
    names[op.getResult()] = addNode(graph, "MatMul", scope + "/MatMul",
                                    {input, weight}, nullptr, output);
    return success();
  }
  std::string y = addNode(graph, "MatMul", scope + "/MatMul", {input, weight});
  names[op.getResult()] = addNode(graph, "Add", scope + "/Add",
                                  {y, nameOf(op.getBias())}, nullptr, output);
  return success();
}
