//===- ONNXExportPeft.cpp - peft ops as standard ONNX operators -----------===//
//
// `peft` ops become the standard operators they stand for (MatMul, Gemm,
// Transpose, Add, Mul), named after the layer's module path as torch.onnx
// would name them. Adapters whose weights are runtime inputs
// (peft-lora-as-inputs) export the same way, their A and B read from graph
// inputs instead of initializers.
//
//===----------------------------------------------------------------------===//

#include "ONNXExportImpl.h"

#include "peft/Dialect/Peft/Utils/Naming.h"

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

FailureOr<std::string> ONNXExporter::addScalar(onnx::GraphProto &graph,
                                               StringRef name, Type elementType,
                                               double value, Location loc) {
  auto type = RankedTensorType::get({}, elementType);
  auto attr = DenseElementsAttr::get(type, FloatAttr::get(elementType, value));
  onnx::TensorProto *tensor = graph.add_initializer();
  std::string tensorName = freshName(name);
  tensor->set_name(tensorName);
  if (failed(exportTensor(cast<ElementsAttr>(attr), loc, *tensor,
                          /*allowExternal=*/false)))
    return failure();
  return tensorName;
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
    auto *transB = gemm->add_attribute();
    transB->set_name("transB");
    transB->set_type(onnx::AttributeProto::INT);
    transB->set_i(1);
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

  if (auto lora = dyn_cast<LoraOp>(op)) {
    if (lora.getMerged()) {
      names[lora.getResult()] = nameOf(lora.getBase());
      return success();
    }
    if (lora.getMagnitude())
      return lora.emitError("merge DoRA adapters before export "
                            "(peft-merge-lora): the row norms of W0 + s·B·A "
                            "have no compact ONNX form");
    std::string scope = scopeFor(lora.getLinear());
    std::string a = adapterScope(scope, "lora_A", lora.getAdapter());
    std::string b = adapterScope(scope, "lora_B", lora.getAdapter());
    std::string at = addNode(graph, "Transpose", a + "/Transpose",
                             {nameOf(lora.getLoraA())});
    std::string t =
        addNode(graph, "MatMul", a + "/MatMul", {nameOf(lora.getInput()), at});
    std::string bt = addNode(graph, "Transpose", b + "/Transpose",
                             {nameOf(lora.getLoraB())});
    std::string u = addNode(graph, "MatMul", b + "/MatMul", {t, bt});
    double scale = lora.getScale().convertToDouble();
    if (scale != 1.0) {
      auto s = addScalar(
          graph, adapterScope(scope, "lora_scale", lora.getAdapter()),
          lora.getBase().getType().getElementType(), scale, lora.getLoc());
      if (failed(s))
        return failure();
      u = addNode(graph, "Mul", b + "/Mul", {u, *s});
    }
    names[lora.getResult()] = addNode(
        graph, "Add", adapterScope(scope, "lora", lora.getAdapter()) + "/Add",
        {nameOf(lora.getBase()), u}, nullptr,
        graphOutputName(lora.getResult()));
    return success();
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
