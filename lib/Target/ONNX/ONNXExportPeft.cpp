//===- ONNXExportPeft.cpp - peft ops as standard ONNX operators -----------===//
//
// `peft` ops become the standard operators they stand for (MatMul, Gemm,
// Transpose, Add, Mul), named after the layer's module path as torch.onnx
// would name them. Adapters whose weights are runtime inputs
// (peft-lora-as-inputs) export the same way, their A and B read from graph
// inputs instead of initializers. An unmerged DoRA adapter rescales the
// output rows by g = m / ‖W0 + s·B·A‖_row: B·A (Aᵀ·Bᵀ for an in_out weight)
// is added to the stored base weight, which is referenced and never copied,
// and its row norms are a ReduceL2 (axes an attribute before opset 18, an
// input from 18 on); y = g ⊙ (base − bias + s·u) + bias. DoRA with runtime
// adapter inputs is not supported (peft-lora-as-inputs rejects it).
//
//===----------------------------------------------------------------------===//

#include "ONNXExportImpl.h"

#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/Naming.h"

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::detail;

namespace {
/// A layer used only as the base of feedforward IA³ adapters: they compute
/// the product again on the scaled input, so the layer is not exported.
bool isReplacedByIA3(LinearOp op) {
  return !op->use_empty() && llvm::all_of(op->getUsers(), [](Operation *user) {
    auto ia3 = dyn_cast<IA3Op>(user);
    return ia3 && ia3.getFeedforward();
  });
}
} // namespace

bool mlir::peft::detail::onlyFeedsLowRankFactors(Value value) {
  return !value.use_empty() && llvm::all_of(value.getUses(), [](OpOperand &u) {
    auto op = dyn_cast<LowRankOp>(u.getOwner());
    return op && (&u == &op.getUMutable() || &u == &op.getVMutable());
  }) && Weight::lookup(value).has_value();
}

/// The transpose of the 2-D factor `value` as an initializer `name` when it
/// is a readable constant, else a Transpose node reading it.
FailureOr<std::string>
ONNXExporter::addTransposedFactor(onnx::GraphProto &graph, Value value,
                                  StringRef name, StringRef nodeScope,
                                  Location loc) {
  auto type = cast<RankedTensorType>(value.getType());
  std::optional<Weight> weight = Weight::lookup(value);
  if (!weight || !onlyFeedsLowRankFactors(value))
    return addNode(graph, "Transpose", nodeScope + "/Transpose",
                   {nameOf(value)});
  FailureOr<std::vector<double>> values = weight->readValues<double>();
  if (failed(values))
    return emitError(loc) << "cannot read the factor '" << name
                          << "' for export";
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  std::vector<double> transposed(values->size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      transposed[c * rows + r] = (*values)[r * cols + c];
  auto tType = RankedTensorType::get({cols, rows}, type.getElementType());
  return addInitializer(graph, name,
                        createWeightBlob<double>(tType, transposed, name), loc,
                        /*allowExternal=*/true);
}

std::string ONNXExporter::addNode(onnx::GraphProto &graph, StringRef opType,
                                  const Twine &name,
                                  ArrayRef<std::string> inputs,
                                  onnx::NodeProto **created,
                                  StringRef outputName) {
  onnx::NodeProto *node = graph.add_node();
  std::string base = name.str(), unique = base;
  for (unsigned i = 1; !usedNodeNames.insert(unique).second; ++i)
    unique = base + "_" + std::to_string(i);
  node->set_name(unique);
  node->set_op_type(opType.str());
  for (const std::string &input : inputs)
    node->add_input(input);
  std::string output =
      freshName(outputName.empty() ? unique + "_output_0" : outputName.str());
  node->add_output(output);
  if (created)
    *created = node;
  return output;
}

/// The graph output name (`onnx.name` of the result) that `value` is
/// returned as, directly or through merged adapters (which export nothing),
/// so that the node computing it writes it without an Identity.
std::string ONNXExporter::graphOutputName(Value value) {
  auto func = dyn_cast<func::FuncOp>(value.getParentRegion()->getParentOp());
  if (!func)
    return "";
  for (OpOperand &use : value.getUses()) {
    if (isa<func::ReturnOp>(use.getOwner())) {
      if (auto name = func.getResultAttrOfType<StringAttr>(
              use.getOperandNumber(), "onnx.name"))
        return name.str();
    } else if (auto lora = dyn_cast<LoraOp>(use.getOwner());
               lora && lora.getMerged() && lora.getBase() == value) {
      if (std::string name = graphOutputName(lora.getResult()); !name.empty())
        return name;
    }
  }
  return "";
}

FailureOr<std::string> ONNXExporter::addInitializer(onnx::GraphProto &graph,
                                                    StringRef name,
                                                    ElementsAttr value,
                                                    Location loc,
                                                    bool allowExternal) {
  onnx::TensorProto *tensor = graph.add_initializer();
  std::string tensorName = freshName(name);
  tensor->set_name(tensorName);
  if (failed(exportTensor(value, loc, *tensor, allowExternal)))
    return failure();
  return tensorName;
}

FailureOr<std::string> ONNXExporter::addScalar(onnx::GraphProto &graph,
                                               StringRef name, Type elementType,
                                               double value, Location loc) {
  auto type = RankedTensorType::get({}, elementType);
  auto attr = DenseElementsAttr::get(type, FloatAttr::get(elementType, value));
  return addInitializer(graph, name, cast<ElementsAttr>(attr), loc);
}

void mlir::peft::detail::addIntAttribute(onnx::NodeProto &node, StringRef name,
                                         int64_t value) {
  auto *attr = node.add_attribute();
  attr->set_name(name.str());
  attr->set_type(onnx::AttributeProto::INT);
  attr->set_i(value);
}

void mlir::peft::detail::addIntsAttribute(onnx::NodeProto &node, StringRef name,
                                          ArrayRef<int64_t> values) {
  auto *attr = node.add_attribute();
  attr->set_name(name.str());
  attr->set_type(onnx::AttributeProto::INTS);
  for (int64_t value : values)
    attr->add_ints(value);
}

/// The version of the default (ai.onnx) opset, as build() wrote it into the
/// model before exporting the graph.
int64_t ONNXExporter::opsetVersion() {
  for (const onnx::OperatorSetIdProto &opset : builtModel->opset_import())
    if (opset.domain().empty() || opset.domain() == "ai.onnx")
      return opset.version();
  return kDefaultOpsetVersion;
}

/// ReduceL2 of `input` over `axis`, the axis dropped: `axes` is an attribute
/// before opset 18 and an int64 input from 18 on.
FailureOr<std::string> ONNXExporter::addReduceL2(onnx::GraphProto &graph,
                                                 const Twine &name,
                                                 const std::string &input,
                                                 int64_t axis, Location loc) {
  SmallVector<std::string> inputs = {input};
  bool axesAsInput = opsetVersion() >= 18;
  if (axesAsInput) {
    Builder builder(module.getContext());
    auto type = RankedTensorType::get({1}, builder.getI64Type());
    auto attr = DenseElementsAttr::get(type, ArrayRef<int64_t>{axis});
    FailureOr<std::string> axes = addInitializer(graph, name.str() + "_axes",
                                                 cast<ElementsAttr>(attr), loc);
    if (failed(axes))
      return failure();
    inputs.push_back(*axes);
  }
  onnx::NodeProto *node;
  std::string output = addNode(graph, "ReduceL2", name, inputs, &node);
  if (!axesAsInput)
    addIntsAttribute(*node, "axes", {axis});
  addIntAttribute(*node, "keepdims", 0);
  return output;
}

/// y = x·W (+ b): MatMul for an in_out weight; for out_in, Gemm(transB=1)
/// on a 2-D input, else MatMul on a Transpose of the weight. The weight
/// itself is referenced, never rewritten.
std::string ONNXExporter::exportLinear(LinearOp op, const std::string &input,
                                       StringRef scope, onnx::GraphProto &graph,
                                       StringRef outputName) {
  std::string weight = nameOf(op.getWeight());
  std::string bias = op.getBias() ? nameOf(op.getBias()) : "";
  bool outIn = op.getLayout() == WeightLayout::out_in;
  if (outIn && op.getInput().getType().getRank() == 2) {
    SmallVector<std::string> inputs = {input, weight};
    if (!bias.empty())
      inputs.push_back(bias);
    onnx::NodeProto *gemm;
    std::string y =
        addNode(graph, "Gemm", scope + "/Gemm", inputs, &gemm, outputName);
    addIntAttribute(*gemm, "transB", 1);
    return y;
  }
  if (outIn)
    weight = addNode(graph, "Transpose", scope + "/Transpose", {weight});
  if (bias.empty())
    return addNode(graph, "MatMul", scope + "/MatMul", {input, weight}, nullptr,
                   outputName);
  std::string y = addNode(graph, "MatMul", scope + "/MatMul", {input, weight});
  return addNode(graph, "Add", scope + "/Add", {y, bias}, nullptr, outputName);
}

LogicalResult ONNXExporter::exportPeftOp(Operation *op,
                                         onnx::GraphProto &graph) {
  // The scope of a layer's nodes: its module path, else the location's
  // name, else a generic one (addNode makes node names unique).
  auto scopeFor = [&](LinearOp linear) -> std::string {
    if (linear && linear.getPath())
      return getNodeScope(*linear.getPath());
    if (std::string name = nodeName(linear ? linear.getLoc() : op->getLoc());
        !name.empty())
      return name;
    return "/linear";
  };
  auto adapterScope = [&](StringRef scope, StringRef what,
                          std::optional<StringRef> adapter) {
    std::string name = (scope + "/" + what).str();
    if (adapter && *adapter != "default")
      name += "/" + adapter->str();
    return name;
  };

  if (auto linear = dyn_cast<LinearOp>(op)) {
    if (!isReplacedByIA3(linear))
      names[linear.getResult()] =
          exportLinear(linear, nameOf(linear.getInput()), scopeFor(linear),
                       graph, graphOutputName(linear.getResult()));
    return success();
  }

  if (auto q = dyn_cast<QLinearOp>(op)) {
    std::string scope =
        q.getPath() ? getNodeScope(*q.getPath()) : scopeFor(LinearOp());
    return exportQLinear(q, scope, graph);
  }

  if (auto lowRank = dyn_cast<LowRankOp>(op)) {
    // y = (x·Vᵀ)·Uᵀ (+ b): two MatMuls on transposed initializers.
    std::string scope = lowRank.getPath() ? getNodeScope(*lowRank.getPath())
                                          : scopeFor(LinearOp());
    std::string stem = lowRank.getPath() ? lowRank.getPath()->str() : scope;
    Location loc = lowRank.getLoc();
    FailureOr<std::string> vt =
        addTransposedFactor(graph, lowRank.getV(), stem + ".lowrank_v_t",
                            scope + "/lowrank_v", loc);
    FailureOr<std::string> ut =
        addTransposedFactor(graph, lowRank.getU(), stem + ".lowrank_u_t",
                            scope + "/lowrank_u", loc);
    if (failed(vt) || failed(ut))
      return failure();
    std::string outputName = graphOutputName(lowRank.getResult());
    std::string t = addNode(graph, "MatMul", scope + "/lowrank_v/MatMul",
                            {nameOf(lowRank.getInput()), *vt});
    if (!lowRank.getBias()) {
      names[lowRank.getResult()] =
          addNode(graph, "MatMul", scope + "/lowrank_u/MatMul", {t, *ut},
                  nullptr, outputName);
      return success();
    }
    std::string y =
        addNode(graph, "MatMul", scope + "/lowrank_u/MatMul", {t, *ut});
    names[lowRank.getResult()] =
        addNode(graph, "Add", scope + "/Add", {y, nameOf(lowRank.getBias())},
                nullptr, outputName);
    return success();
  }

  if (auto lora = dyn_cast<LoraOp>(op)) {
    if (lora.getMerged()) {
      names[lora.getResult()] = nameOf(lora.getBase());
      return success();
    }
    std::string scope = scopeFor(lora.getLinear());
    std::string a = adapterScope(scope, "lora_A", lora.getAdapter());
    std::string b = adapterScope(scope, "lora_B", lora.getAdapter());
    std::string l = adapterScope(scope, "lora", lora.getAdapter());
    std::string at = addNode(graph, "Transpose", a + "/Transpose",
                             {nameOf(lora.getLoraA())});
    std::string t =
        addNode(graph, "MatMul", a + "/MatMul", {nameOf(lora.getInput()), at});
    std::string bt = addNode(graph, "Transpose", b + "/Transpose",
                             {nameOf(lora.getLoraB())});
    std::string u = addNode(graph, "MatMul", b + "/MatMul", {t, bt});
    double scale = lora.getScale().convertToDouble();
    std::string s;
    if (scale != 1.0) {
      auto scalar = addScalar(
          graph, adapterScope(scope, "lora_scale", lora.getAdapter()),
          lora.getBase().getType().getElementType(), scale, lora.getLoc());
      if (failed(scalar))
        return failure();
      s = *scalar;
      u = addNode(graph, "Mul", b + "/Mul", {u, s});
    }
    std::string outputName = graphOutputName(lora.getResult());
    if (!lora.getMagnitude()) {
      names[lora.getResult()] =
          addNode(graph, "Add", l + "/Add", {nameOf(lora.getBase()), u},
                  nullptr, outputName);
      return success();
    }

    // DoRA: y = g ⊙ (base − bias + s·u) + bias, g = m / ‖W0 + s·B·A‖_row.
    // The update is formed in the weight's own layout, B·A ([out, in]) or
    // Aᵀ·Bᵀ ([in, out]), so that W0 is referenced as it is stored.
    LinearOp linear = lora.getLinear();
    bool outIn = linear.getLayout() == WeightLayout::out_in;
    std::string n = l + "/weight_norm";
    std::string delta =
        outIn ? addNode(graph, "MatMul", n + "/MatMul",
                        {nameOf(lora.getLoraB()), nameOf(lora.getLoraA())})
              : addNode(graph, "MatMul", n + "/MatMul", {at, bt});
    if (!s.empty())
      delta = addNode(graph, "Mul", n + "/Mul", {delta, s});
    std::string adapted =
        addNode(graph, "Add", n + "/Add", {nameOf(linear.getWeight()), delta});
    FailureOr<std::string> norm = addReduceL2(graph, n + "/ReduceL2", adapted,
                                              outIn ? 1 : 0, lora.getLoc());
    if (failed(norm))
      return failure();
    std::string g =
        addNode(graph, "Div", l + "/Div", {nameOf(lora.getMagnitude()), *norm});
    std::string bias = linear.getBias() ? nameOf(linear.getBias()) : "";
    std::string v = nameOf(lora.getBase());
    if (!bias.empty())
      v = addNode(graph, "Sub", l + "/Sub", {v, bias});
    v = addNode(graph, "Add", l + "/Add", {v, u});
    if (bias.empty()) {
      names[lora.getResult()] =
          addNode(graph, "Mul", l + "/Mul", {v, g}, nullptr, outputName);
      return success();
    }
    v = addNode(graph, "Mul", l + "/Mul", {v, g});
    names[lora.getResult()] =
        addNode(graph, "Add", l + "/Add", {v, bias}, nullptr, outputName);
    return success();
  }

  if (auto bank = dyn_cast<LoraBankOp>(op)) {
    LinearLikeOpInterface layer = bank.getLayer();
    std::string scope = layer && layer.getModulePath()
                            ? getNodeScope(*layer.getModulePath())
                            : scopeFor(dyn_cast_or_null<LinearOp>(
                                  layer ? layer.getOperation() : nullptr));
    return exportLoraBank(
        bank, adapterScope(scope, "lora_bank", bank.getAdapter()), graph);
  }

  if (auto ia3 = dyn_cast<IA3Op>(op)) {
    LinearOp linear = ia3.getLinear();
    std::string scope = scopeFor(linear);
    std::string mul = adapterScope(scope, "ia3", ia3.getAdapter()) + "/Mul";
    std::string l = nameOf(ia3.getScaling());
    if (!ia3.getFeedforward()) {
      names[ia3.getResult()] =
          addNode(graph, "Mul", mul, {nameOf(ia3.getBase()), l}, nullptr,
                  graphOutputName(ia3.getResult()));
      return success();
    }
    std::string x = addNode(graph, "Mul", mul, {nameOf(linear.getInput()), l});
    names[ia3.getResult()] =
        exportLinear(linear, x, scope, graph, graphOutputName(ia3.getResult()));
    return success();
  }
  return op->emitError("cannot export '") << op->getName() << "' to ONNX";
}
