//===- ONNXExport.cpp - MLIR -> ONNX ModelProto ---------------------------===//
//
// Writes the function of `onnx` ops the importer produces (and our rewrites
// keep in that form) back as a ModelProto: node and tensor names, opsets and
// metadata are restored from the attributes the importer left; typed ops
// export their properties as ONNX attributes by one fixed kind mapping.
// `peft` ops become the standard operators they stand for (MatMul, Gemm,
// Transpose, Add, Mul), named after the layer's module path; constant
// tensors (`arith.constant`) become initializers.
//
//===----------------------------------------------------------------------===//

#include "peft/Target/ONNX/ONNXExport.h"
#include "peft/Dialect/ONNX/IR/ONNXDialect.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Target/ONNX/DataType.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace mlir::peft;
namespace od = mlir::peft::onnx_data;

namespace {

/// Protobuf's hard limit on one message.
constexpr int64_t kProtobufLimit = (int64_t(1) << 31) - 1;
/// Room left for the graph itself when deciding on external data.
constexpr int64_t kAutoExternalBudget = int64_t(1800) << 20;
constexpr int64_t kAutoExternalThreshold = 1024;

class ONNXExporter {
public:
  ONNXExporter(ModuleOp module, const ONNXExportOptions &options)
      : module(module), options(options) {}

  /// Builds the ModelProto. With `dataStream` set, initializers at or above
  /// the threshold are appended to it and referenced as `dataLocation`.
  LogicalResult build(onnx::ModelProto &model, llvm::raw_ostream *dataStream,
                      StringRef dataLocation);
  /// Whether any initializer needs external data under the options.
  bool needsExternalData();

private:
  func::FuncOp getGraphFunc();
  int64_t externalThreshold();
  LogicalResult exportGraph(Region &region, onnx::GraphProto &graph,
                            bool isMain);
  LogicalResult exportOp(Operation *op, onnx::GraphProto &graph);
  LogicalResult exportPeftOp(Operation *op, onnx::GraphProto &graph);
  std::string exportLinear(LinearOp op, const std::string &input,
                           StringRef scope, onnx::GraphProto &graph,
                           StringRef outputName);
  std::string addNode(onnx::GraphProto &graph, StringRef opType,
                      const Twine &name, ArrayRef<std::string> inputs,
                      onnx::NodeProto **created = nullptr,
                      StringRef outputName = "");
  std::string graphOutputName(Value value);
  FailureOr<std::string> addScalar(onnx::GraphProto &graph, StringRef name,
                                   Type elementType, double value,
                                   Location loc);
  LogicalResult exportTensor(ElementsAttr value, Location loc,
                             onnx::TensorProto &tensor, bool allowExternal);
  LogicalResult exportAttribute(StringRef name, Attribute value, Location loc,
                                onnx::AttributeProto &out);
  LogicalResult exportType(Type type, ArrayAttr dimParams, Location loc,
                           StringRef what, onnx::TypeProto &out);
  std::string freshName(StringRef hint);
  std::string nameOf(Value value);

  ModuleOp module;
  const ONNXExportOptions &options;
  llvm::raw_ostream *dataStream = nullptr;
  std::string dataLocation;
  int64_t dataOffset = 0;
  llvm::DenseMap<Value, std::string> names;
  llvm::StringSet<> usedNames, usedNodeNames;
  unsigned nextName = 0;
};

/// The tensor a weight-like op holds: an initializer or a tensor constant.
ElementsAttr getWeightValue(Operation *op) {
  if (auto init = dyn_cast<onnx_ir::InitializerOp>(op))
    return init.getValue();
  if (auto cst = dyn_cast<arith::ConstantOp>(op))
    return dyn_cast<ElementsAttr>(cst.getValue());
  return nullptr;
}

/// The ONNX node scope of a module path, as the torch exporter writes it:
/// `model.layers.0.mlp` -> `/model/layers.0/mlp`.
std::string scopeOf(StringRef path) {
  std::string scope;
  SmallVector<StringRef> parts;
  path.split(parts, '.');
  for (StringRef part : parts) {
    bool index = !part.empty() && !scope.empty() &&
                 llvm::all_of(part, [](char c) { return llvm::isDigit(c); });
    scope += (index ? "." : "/") + part.str();
  }
  return scope;
}

/// A layer used only as the base of feedforward IA³ adapters: they compute
/// the product again on the scaled input, so the layer is not exported.
bool isReplacedByIA3(LinearOp op) {
  return !op->use_empty() && llvm::all_of(op->getUsers(), [](Operation *user) {
    auto ia3 = dyn_cast<IA3Op>(user);
    return ia3 && ia3.getFeedforward();
  });
}
} // namespace

func::FuncOp ONNXExporter::getGraphFunc() {
  auto funcs = module.getOps<func::FuncOp>();
  if (std::distance(funcs.begin(), funcs.end()) != 1) {
    emitError(module.getLoc())
        << "ONNX export needs exactly one func.func (the graph) in the module";
    return nullptr;
  }
  return *funcs.begin();
}

int64_t ONNXExporter::externalThreshold() {
  if (options.externalDataThreshold >= 0)
    return options.externalDataThreshold;
  int64_t total = 0;
  module.walk([&](Operation *op) {
    ElementsAttr value = getWeightValue(op);
    if (!value)
      return;
    auto type = cast<ShapedType>(value.getType());
    if (auto dataType = od::getDataType(type.getElementType()))
      total += od::getRawDataSize(*dataType, type.getNumElements());
  });
  return total > kAutoExternalBudget ? kAutoExternalThreshold
                                     : std::numeric_limits<int64_t>::max();
}

bool ONNXExporter::needsExternalData() {
  int64_t threshold = externalThreshold();
  bool needed = false;
  module.walk([&](Operation *op) {
    ElementsAttr value = getWeightValue(op);
    if (!value)
      return;
    auto type = cast<ShapedType>(value.getType());
    if (auto dataType = od::getDataType(type.getElementType()))
      needed |=
          od::getRawDataSize(*dataType, type.getNumElements()) >= threshold;
  });
  return needed;
}

std::string ONNXExporter::freshName(StringRef hint) {
  std::string name = hint.str();
  while (name.empty() || usedNames.contains(name))
    name = (hint.empty() ? "peft_tensor_" : hint.str() + "_") +
           std::to_string(nextName++);
  usedNames.insert(name);
  return name;
}

std::string ONNXExporter::nameOf(Value value) {
  if (auto it = names.find(value); it != names.end())
    return it->second;
  return "";
}

LogicalResult ONNXExporter::exportType(Type type, ArrayAttr dimParams,
                                       Location loc, StringRef what,
                                       onnx::TypeProto &out) {
  auto shaped = dyn_cast<TensorType>(type);
  std::optional<int32_t> dataType =
      shaped ? od::getDataType(shaped.getElementType()) : std::nullopt;
  if (!dataType)
    return emitError(loc) << what << " has type " << type
                          << ", which has no ONNX tensor type";
  auto *tensorType = out.mutable_tensor_type();
  tensorType->set_elem_type(*dataType);
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked)
    return success();
  auto *shape = tensorType->mutable_shape();
  for (auto [i, dim] : llvm::enumerate(ranked.getShape())) {
    auto *d = shape->add_dim();
    StringRef param;
    if (dimParams && i < dimParams.size())
      if (auto s = dyn_cast<StringAttr>(dimParams[i]))
        param = s.getValue();
    if (!ShapedType::isDynamic(dim))
      d->set_dim_value(dim);
    else if (!param.empty())
      d->set_dim_param(param.str());
  }
  return success();
}

LogicalResult ONNXExporter::exportTensor(ElementsAttr value, Location loc,
                                         onnx::TensorProto &tensor,
                                         bool allowExternal) {
  auto type = cast<ShapedType>(value.getType());
  std::optional<int32_t> dataType = od::getDataType(type.getElementType());
  if (!dataType)
    return emitError(loc) << "tensor '" << tensor.name() << "' of type " << type
                          << " has no ONNX data type";
  tensor.set_data_type(*dataType);
  for (int64_t d : type.getShape())
    tensor.add_dims(d);
  int64_t numElements = type.getNumElements();
  int64_t bytes = od::getRawDataSize(*dataType, numElements);

  std::string owned;
  ArrayRef<char> data;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return emitError(loc)
             << "tensor '" << tensor.name() << "': resource blob '"
             << resource.getRawHandle().getKey() << "' has no data";
    data = blob->getData();
  } else if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    Type element = type.getElementType();
    if (element.isInteger(1)) {
      for (bool b : dense.getValues<bool>())
        owned.push_back(b ? 1 : 0);
    } else if (element.getIntOrFloatBitWidth() == 4) {
      owned.assign(bytes, 0);
      int64_t i = 0;
      for (APInt v : dense.getValues<APInt>()) {
        uint8_t nibble = v.getZExtValue() & 0xF;
        owned[i / 2] |= (i % 2) ? (nibble << 4) : nibble;
        ++i;
      }
    } else if (dense.isSplat()) {
      ArrayRef<char> one = dense.getRawData();
      for (int64_t i = 0; i < numElements; ++i)
        owned.append(one.begin(), one.end());
    } else {
      data = dense.getRawData();
    }
    if (!owned.empty() || numElements == 0)
      data = ArrayRef<char>(owned.data(), owned.size());
  } else {
    return emitError(loc) << "tensor '" << tensor.name()
                          << "': cannot export attribute " << value;
  }
  if (static_cast<int64_t>(data.size()) != bytes)
    return emitError(loc) << "tensor '" << tensor.name() << "' holds "
                          << data.size() << " bytes, " << type << " needs "
                          << bytes;

  if (allowExternal && dataStream && bytes >= externalThreshold()) {
    tensor.set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&](StringRef key, StringRef v) {
      auto *entry = tensor.add_external_data();
      entry->set_key(key.str());
      entry->set_value(v.str());
    };
    add("location", dataLocation);
    add("offset", std::to_string(dataOffset));
    add("length", std::to_string(bytes));
    dataStream->write(data.data(), data.size());
    dataOffset += bytes;
    return success();
  }
  tensor.set_raw_data(data.data(), data.size());
  return success();
}

LogicalResult ONNXExporter::exportAttribute(StringRef name, Attribute value,
                                            Location loc,
                                            onnx::AttributeProto &out) {
  using AP = onnx::AttributeProto;
  out.set_name(name.str());
  if (auto i = dyn_cast<IntegerAttr>(value)) {
    out.set_type(AP::INT);
    out.set_i(i.getValue().getSExtValue());
  } else if (auto f = dyn_cast<FloatAttr>(value)) {
    out.set_type(AP::FLOAT);
    out.set_f(static_cast<float>(f.getValueAsDouble()));
  } else if (auto s = dyn_cast<StringAttr>(value)) {
    out.set_type(AP::STRING);
    out.set_s(s.getValue().str());
  } else if (auto ints = dyn_cast<DenseI64ArrayAttr>(value)) {
    out.set_type(AP::INTS);
    for (int64_t v : ints.asArrayRef())
      out.add_ints(v);
  } else if (auto floats = dyn_cast<DenseF32ArrayAttr>(value)) {
    out.set_type(AP::FLOATS);
    for (float v : floats.asArrayRef())
      out.add_floats(v);
  } else if (auto strings = dyn_cast<ArrayAttr>(value);
             strings && llvm::all_of(strings, llvm::IsaPred<StringAttr>)) {
    out.set_type(AP::STRINGS);
    for (Attribute s : strings)
      out.add_strings(cast<StringAttr>(s).getValue().str());
  } else if (auto tensor = dyn_cast<ElementsAttr>(value)) {
    out.set_type(AP::TENSOR);
    return exportTensor(tensor, loc, *out.mutable_t(), /*allowExternal=*/false);
  } else {
    return emitError(loc) << "attribute '" << name << "' = " << value
                          << " has no ONNX attribute form";
  }
  return success();
}

/// The node name the importer recorded in the location, if any.
static std::string nodeName(Location loc) {
  if (auto nameLoc = dyn_cast<NameLoc>(loc))
    return nameLoc.getName().str();
  return "";
}

LogicalResult ONNXExporter::exportOp(Operation *op, onnx::GraphProto &graph) {
  Location loc = op->getLoc();
  if (isa<onnx_ir::NoneOp>(op)) {
    names[op->getResult(0)] = "";
    return success();
  }
  if (auto init = dyn_cast<onnx_ir::InitializerOp>(op)) {
    onnx::TensorProto *tensor = graph.add_initializer();
    std::string name = freshName(init.getName());
    tensor->set_name(name);
    names[init.getResult()] = name;
    return exportTensor(init.getValue(), loc, *tensor, /*allowExternal=*/true);
  }
  if (auto cst = dyn_cast<arith::ConstantOp>(op);
      cst && isa<TensorType>(cst.getType())) {
    auto value = dyn_cast<ElementsAttr>(cst.getValue());
    if (!value)
      return op->emitError("cannot export constant ") << cst.getValue();
    onnx::TensorProto *tensor = graph.add_initializer();
    std::string hint = "constant";
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
      hint = resource.getRawHandle().getKey().str();
    std::string name = freshName(hint);
    tensor->set_name(name);
    names[cst.getResult()] = name;
    return exportTensor(value, loc, *tensor, /*allowExternal=*/true);
  }
  if (isa<PeftDialect>(op->getDialect()))
    return exportPeftOp(op, graph);

  onnx::NodeProto *node = graph.add_node();
  std::string name = nodeName(loc);
  if (!name.empty())
    node->set_name(name);

  if (auto generic = dyn_cast<onnx_ir::NodeOp>(op)) {
    node->set_op_type(generic.getOpType().str());
    if (!generic.getDomain().empty())
      node->set_domain(generic.getDomain().str());
    for (NamedAttribute attr : generic.getAttributes())
      if (failed(exportAttribute(attr.getName(), attr.getValue(), loc,
                                 *node->add_attribute())))
        return failure();
  } else if (const onnx_ir::OpSchema *schema =
                 onnx_ir::lookupSchemaByOpName(op->getName().getStringRef())) {
    node->set_op_type(schema->opType.str());
    if (!schema->domain.empty())
      node->set_domain(schema->domain.str());
    if (auto props =
            dyn_cast_or_null<DictionaryAttr>(op->getPropertiesAsAttribute()))
      for (NamedAttribute attr : props)
        if (failed(exportAttribute(attr.getName(), attr.getValue(), loc,
                                   *node->add_attribute())))
          return failure();
  } else {
    return op->emitError("cannot export '")
           << op->getName()
           << "' to ONNX: export runs on the onnx dialect (lower or "
              "convert this op first)";
  }

  // Inputs: omitted optional inputs are "", trailing ones dropped.
  SmallVector<std::string> inputs;
  for (Value operand : op->getOperands())
    inputs.push_back(nameOf(operand));
  while (!inputs.empty() && inputs.back().empty())
    inputs.pop_back();
  for (const std::string &input : inputs)
    node->add_input(input);

  // If: both regions become subgraphs.
  if (auto ifOp = dyn_cast<onnx_ir::IfOp>(op)) {
    const char *branchNames[2] = {"then_branch", "else_branch"};
    for (int b = 0; b < 2; ++b) {
      auto *attr = node->add_attribute();
      attr->set_name(branchNames[b]);
      attr->set_type(onnx::AttributeProto::GRAPH);
      auto *subgraph = attr->mutable_g();
      subgraph->set_name(name + "_" + branchNames[b]);
      if (failed(exportGraph(op->getRegion(b), *subgraph, /*isMain=*/false)))
        return failure();
    }
  }

  auto recorded = op->getAttrOfType<ArrayAttr>("onnx.outputs");
  SmallVector<std::string> outputs;
  for (OpResult result : op->getResults()) {
    if (isa<NoneType>(result.getType())) {
      outputs.push_back("");
      continue;
    }
    StringRef hint;
    if (recorded && result.getResultNumber() < recorded.size())
      if (auto s = dyn_cast<StringAttr>(recorded[result.getResultNumber()]))
        hint = s.getValue();
    std::string resultName = freshName(hint);
    names[result] = resultName;
    outputs.push_back(resultName);
  }
  while (!outputs.empty() && outputs.back().empty())
    outputs.pop_back();
  for (const std::string &output : outputs)
    node->add_output(output);
  return success();
}

//===----------------------------------------------------------------------===//
// peft ops
//===----------------------------------------------------------------------===//

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
      return scopeOf(*linear.getPath());
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

LogicalResult ONNXExporter::exportGraph(Region &region, onnx::GraphProto &graph,
                                        bool isMain) {
  Block &block = region.front();
  for (Operation &op : block.without_terminator())
    if (failed(exportOp(&op, graph)))
      return failure();

  Operation *terminator = block.getTerminator();
  auto func = isMain ? cast<func::FuncOp>(region.getParentOp()) : nullptr;
  for (auto [i, value] : llvm::enumerate(terminator->getOperands())) {
    std::string wanted;
    ArrayAttr dimParams;
    Type type = value.getType();
    if (func) {
      if (auto s = func.getResultAttrOfType<StringAttr>(i, "onnx.name"))
        wanted = s.getValue().str();
      dimParams = func.getResultAttrOfType<ArrayAttr>(i, "onnx.dim_params");
      if (auto declared =
              func.getResultAttrOfType<TypeAttr>(i, "onnx.declared_type"))
        type = declared.getValue();
    }
    std::string have = nameOf(value);
    if (wanted.empty())
      wanted = have.empty() ? freshName("output") : have;
    if (have != wanted) {
      // The output carries another name than its producer's: alias it.
      onnx::NodeProto *identity = graph.add_node();
      identity->set_op_type("Identity");
      identity->add_input(have);
      usedNames.insert(wanted);
      identity->add_output(wanted);
    }
    onnx::ValueInfoProto *output = graph.add_output();
    output->set_name(wanted);
    if (failed(exportType(type, dimParams, terminator->getLoc(),
                          "graph output '" + wanted + "'",
                          *output->mutable_type())))
      return failure();
  }
  return success();
}

LogicalResult ONNXExporter::build(onnx::ModelProto &model,
                                  llvm::raw_ostream *stream,
                                  StringRef location) {
  dataStream = stream;
  dataLocation = location.str();
  func::FuncOp func = getGraphFunc();
  if (!func)
    return failure();
  if (func.isExternal())
    return func.emitError("ONNX export needs a function with a body");

  // Model metadata recorded by the importer, or defaults for new models.
  auto intAttr = [&](StringRef name, int64_t fallback) {
    if (auto a = module->getAttrOfType<IntegerAttr>(name))
      return a.getInt();
    return fallback;
  };
  auto strAttr = [&](StringRef name, StringRef fallback) {
    if (auto a = module->getAttrOfType<StringAttr>(name))
      return a.getValue().str();
    return fallback.str();
  };
  model.set_ir_version(intAttr("onnx.ir_version", 8));
  model.set_producer_name(strAttr("onnx.producer_name", "peft-mlir"));
  model.set_producer_version(strAttr("onnx.producer_version", ""));
  if (auto domain = strAttr("onnx.domain", ""); !domain.empty())
    model.set_domain(domain);
  if (int64_t version = intAttr("onnx.model_version", 0))
    model.set_model_version(version);
  if (auto doc = strAttr("onnx.doc_string", ""); !doc.empty())
    model.set_doc_string(doc);
  if (auto opsets = module->getAttrOfType<ArrayAttr>("onnx.opset_import")) {
    for (Attribute entry : opsets) {
      auto pair = dyn_cast<ArrayAttr>(entry);
      if (!pair || pair.size() != 2 || !isa<StringAttr>(pair[0]) ||
          !isa<IntegerAttr>(pair[1]))
        return emitError(module.getLoc())
               << "malformed onnx.opset_import entry " << entry;
      auto *opset = model.add_opset_import();
      opset->set_domain(cast<StringAttr>(pair[0]).getValue().str());
      opset->set_version(cast<IntegerAttr>(pair[1]).getInt());
    }
  } else {
    model.add_opset_import()->set_version(17);
  }
  if (auto props = module->getAttrOfType<ArrayAttr>("onnx.metadata_props"))
    for (Attribute entry : props)
      if (auto pair = dyn_cast<ArrayAttr>(entry); pair && pair.size() == 2) {
        auto *prop = model.add_metadata_props();
        prop->set_key(cast<StringAttr>(pair[0]).getValue().str());
        prop->set_value(cast<StringAttr>(pair[1]).getValue().str());
      }

  onnx::GraphProto *graph = model.mutable_graph();
  graph->set_name(func.getSymName().str());
  if (auto doc = func->getAttrOfType<StringAttr>("onnx.doc_string"))
    graph->set_doc_string(doc.getValue().str());
  for (BlockArgument arg : func.getArguments()) {
    unsigned i = arg.getArgNumber();
    std::string name = "input_" + std::to_string(i);
    if (auto s = func.getArgAttrOfType<StringAttr>(i, "onnx.name"))
      name = s.getValue().str();
    name = freshName(name);
    names[arg] = name;
    onnx::ValueInfoProto *input = graph->add_input();
    input->set_name(name);
    if (failed(
            exportType(arg.getType(),
                       func.getArgAttrOfType<ArrayAttr>(i, "onnx.dim_params"),
                       func.getLoc(), "graph input '" + name + "'",
                       *input->mutable_type())))
      return failure();
  }
  return exportGraph(func.getBody(), *graph, /*isMain=*/true);
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

/// Serializes `model`, refusing what protobuf cannot hold.
static LogicalResult serialize(ModuleOp module, const onnx::ModelProto &model,
                               std::string &bytes) {
  if (static_cast<int64_t>(model.ByteSizeLong()) > kProtobufLimit)
    return emitError(module.getLoc())
           << "the ONNX model would exceed protobuf's 2 GB limit; lower "
              "--external-data-threshold";
  if (!model.SerializeToString(&bytes))
    return emitError(module.getLoc()) << "protobuf serialization failed";
  return success();
}

LogicalResult mlir::peft::exportONNX(ModuleOp module, llvm::raw_ostream &os) {
  ONNXExportOptions options;
  ONNXExporter exporter(module, options);
  if (exporter.needsExternalData())
    return emitError(module.getLoc())
           << "the model needs an external data file: export it to a path";
  onnx::ModelProto model;
  std::string bytes;
  if (failed(exporter.build(model, nullptr, "")) ||
      failed(serialize(module, model, bytes)))
    return failure();
  os << bytes;
  return success();
}

LogicalResult mlir::peft::exportONNXFile(ModuleOp module, StringRef path,
                                         const ONNXExportOptions &options) {
  ONNXExporter exporter(module, options);
  onnx::ModelProto model;
  std::string bytes, dataBytes;
  bool external = path != "-" && exporter.needsExternalData();
  std::string location = options.externalDataFile;
  if (external && location.empty())
    location = llvm::sys::path::filename(path).str() + ".data";
  if (llvm::sys::path::is_absolute(location) ||
      StringRef(location).contains(".."))
    return emitError(module.getLoc())
           << "external data file '" << location
           << "' must be a plain name relative to the model";
  {
    llvm::raw_string_ostream dataStream(dataBytes);
    if (failed(exporter.build(model, external ? &dataStream : nullptr,
                              location)) ||
        failed(serialize(module, model, bytes)))
      return failure();
  }

  // Data file first, then the model; each through a temporary + rename.
  SmallString<256> dataPath(path);
  llvm::sys::path::remove_filename(dataPath);
  llvm::sys::path::append(dataPath, location);
  if (external) {
    if (llvm::Error e =
            llvm::writeToOutput(dataPath, [&](llvm::raw_ostream &os) {
              os << dataBytes;
              return llvm::Error::success();
            }))
      return emitError(module.getLoc())
             << "cannot write '" << dataPath
             << "': " << llvm::toString(std::move(e));
  }
  if (llvm::Error e = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
        os << bytes;
        return llvm::Error::success();
      })) {
    if (external)
      llvm::sys::fs::remove(dataPath);
    return emitError(module.getLoc())
           << "cannot write '" << path << "': " << llvm::toString(std::move(e));
  }
  return success();
}

void mlir::peft::registerONNXExportTranslation() {
  TranslateFromMLIRRegistration registration(
      "export-onnx", "Export a module of onnx ops as an ONNX model",
      [](Operation *op, llvm::raw_ostream &os) {
        auto module = dyn_cast<ModuleOp>(op);
        if (!module)
          return LogicalResult(op->emitError("expected a builtin.module"));
        return exportONNX(module, os);
      },
      [](DialectRegistry &registry) {
        registry.insert<onnx_ir::ONNXDialect, func::FuncDialect>();
      });
}
