//===- ONNXExport.cpp - MLIR -> ONNX ModelProto ---------------------------===//
//
// Writes the function of `onnx` ops the importer produces (and our rewrites
// keep in that form) back as a ModelProto: node and tensor names, opsets and
// metadata are restored from the attributes the importer left; typed ops
// export their properties as ONNX attributes by one fixed kind mapping.
// `peft` ops become the standard operators they stand for
// (ONNXExportPeft.cpp), elementwise linalg ops the operator they compute
// (ONNXExportLinalg.cpp); constant tensors (`arith.constant`) become
// initializers.
//
//===----------------------------------------------------------------------===//

#include "peft/Target/ONNX/ONNXExport.h"

#include "ONNXExportImpl.h"

#include "peft/Dialect/ONNX/IR/ONNXDialect.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/ONNX/IR/ONNXShapes.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Target/ONNX/DataType.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
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

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::detail;
namespace od = mlir::peft::onnx_data;

namespace {

/// Protobuf's hard limit on one message.
constexpr int64_t kProtobufLimit = (int64_t(1) << 31) - 1;
/// Room left for the graph itself when deciding on external data.
constexpr int64_t kAutoExternalBudget = int64_t(1800) << 20;
constexpr int64_t kAutoExternalThreshold = 1024;

/// The tensor a weight-like op holds: an initializer or a tensor constant.
ElementsAttr getWeightValue(Operation *op) {
  if (auto init = dyn_cast<onnx_ir::InitializerOp>(op))
    return init.getValue();
  if (auto cst = dyn_cast<arith::ConstantOp>(op))
    return dyn_cast<ElementsAttr>(cst.getValue());
  return nullptr;
}

/// Whether `value` is used, and only by merged peft.lora ops: the A, B (and
/// DoRA norms) a merged adapter keeps for an unmerge. Its update is already in
/// the weight, so the exported model does not need them.
bool onlyFeedsMergedAdapters(Value value) {
  return !value.use_empty() && llvm::all_of(value.getUsers(), [](Operation *u) {
    auto lora = dyn_cast<LoraOp>(u);
    return lora && lora.getMerged();
  });
}

/// Calls `fn` with the raw data size of every weight in `module` that has
/// an ONNX data type.
void forEachWeightSize(ModuleOp module, function_ref<void(int64_t)> fn) {
  module.walk([&](Operation *op) {
    ElementsAttr value = getWeightValue(op);
    if (!value)
      return;
    auto type = cast<ShapedType>(value.getType());
    if (auto dataType = od::getDataType(type.getElementType()))
      fn(od::getRawDataSize(*dataType, type.getNumElements()));
  });
}

/// The oldest IR version that can carry ai.onnx `opset`, after ONNX's version
/// table (onnx.helper.VERSION_TABLE); 0 up to opset 18, which IR 8 carries.
int64_t minIRVersionForOpset(int64_t opset) {
  static constexpr std::pair<int64_t, int64_t> kTable[] = {
      {28, 14}, {25, 13}, {24, 12}, {23, 11}, {21, 10}, {19, 9}};
  for (auto [firstOpset, irVersion] : kTable)
    if (opset >= firstOpset)
      return irVersion;
  return 0;
}

/// The oldest IR version that has element type `dataType`; 0 for those IR 8
/// has.
int64_t minIRVersionForDataType(int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT8E4M3FN:
  case onnx::TensorProto::FLOAT8E4M3FNUZ:
  case onnx::TensorProto::FLOAT8E5M2:
  case onnx::TensorProto::FLOAT8E5M2FNUZ:
    return 9;
  case onnx::TensorProto::INT4:
  case onnx::TensorProto::UINT4:
    return 10;
  case onnx::TensorProto::FLOAT4E2M1:
    return 11;
  default:
    return 0;
  }
}

int64_t minIRVersionForType(const onnx::TypeProto &type) {
  return type.has_tensor_type()
             ? minIRVersionForDataType(type.tensor_type().elem_type())
             : 0;
}

int64_t minIRVersionForGraph(const onnx::GraphProto &graph) {
  int64_t version = 0;
  for (const onnx::TensorProto &init : graph.initializer())
    version = std::max(version, minIRVersionForDataType(init.data_type()));
  for (const auto *infos :
       {&graph.input(), &graph.output(), &graph.value_info()})
    for (const onnx::ValueInfoProto &info : *infos)
      version = std::max(version, minIRVersionForType(info.type()));
  for (const onnx::NodeProto &node : graph.node())
    for (const onnx::AttributeProto &attr : node.attribute()) {
      if (attr.has_t())
        version =
            std::max(version, minIRVersionForDataType(attr.t().data_type()));
      for (const onnx::TensorProto &t : attr.tensors())
        version = std::max(version, minIRVersionForDataType(t.data_type()));
      if (attr.has_g())
        version = std::max(version, minIRVersionForGraph(attr.g()));
      for (const onnx::GraphProto &g : attr.graphs())
        version = std::max(version, minIRVersionForGraph(g));
    }
  return version;
}

/// The oldest IR version that can carry `model`: its ai.onnx opset and the
/// element types of its tensors; 0 when IR 8 can.
int64_t minIRVersion(const onnx::ModelProto &model) {
  int64_t version = minIRVersionForGraph(model.graph());
  for (const onnx::OperatorSetIdProto &opset : model.opset_import())
    if (opset.domain().empty() || opset.domain() == "ai.onnx")
      version = std::max(version, minIRVersionForOpset(opset.version()));
  return version;
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

int64_t mlir::peft::getONNXWeightBytes(ModuleOp module) {
  int64_t total = 0;
  forEachWeightSize(module, [&](int64_t bytes) { total += bytes; });
  return total;
}

int64_t ONNXExporter::externalThreshold() {
  if (options.externalDataThreshold >= 0)
    return options.externalDataThreshold;
  return getONNXWeightBytes(module) > kAutoExternalBudget
             ? kAutoExternalThreshold
             : std::numeric_limits<int64_t>::max();
}

bool ONNXExporter::needsExternalData() {
  int64_t threshold = externalThreshold();
  bool needed = false;
  forEachWeightSize(module,
                    [&](int64_t bytes) { needed |= bytes >= threshold; });
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

void ONNXExporter::requireOpset(StringRef domain, int64_t version) {
  for (const onnx::OperatorSetIdProto &opset : builtModel->opset_import())
    if (opset.domain() == domain)
      return;
  auto *opset = builtModel->add_opset_import();
  opset->set_domain(domain.str());
  opset->set_version(version);
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

std::string mlir::peft::detail::nodeName(Location loc) {
  if (auto nameLoc = dyn_cast<NameLoc>(loc))
    return nameLoc.getName().str();
  return "";
}

bool ONNXExporter::isReduceWithAxes(Operation *op) {
  return isa<onnx_ir::ReduceMeanOp, onnx_ir::ReduceSumOp, onnx_ir::ReduceL2Op,
             onnx_ir::ReduceMaxOp, onnx_ir::ReduceMinOp, onnx_ir::ReduceProdOp>(
      op);
}

/// A reduction's `axes` in the form of the model's opset, whichever form the
/// op holds: an attribute before opset 18 (13 for ReduceSum), an int64 input
/// from then on.
LogicalResult
ONNXExporter::exportReduceAxes(Operation *op, onnx::GraphProto &graph,
                               onnx::NodeProto &node,
                               SmallVectorImpl<std::string> &inputs) {
  int64_t inputOpset = isa<onnx_ir::ReduceSumOp>(op) ? 13 : 18;
  auto attr = op->getPropertiesAsAttribute();
  auto props = dyn_cast_or_null<DictionaryAttr>(attr);
  auto axes = props ? props.getAs<DenseI64ArrayAttr>("axes") : nullptr;
  if (opsetVersion() >= inputOpset) {
    if (!axes)
      return success();
    Builder builder(op->getContext());
    auto type = RankedTensorType::get({static_cast<int64_t>(axes.size())},
                                      builder.getI64Type());
    FailureOr<std::string> name = addInitializer(
        graph, node.name() + "_axes",
        cast<ElementsAttr>(DenseElementsAttr::get(type, axes.asArrayRef())),
        op->getLoc());
    if (failed(name))
      return failure();
    inputs[1] = *name;
    return success();
  }
  if (axes) {
    addIntsAttribute(node, "axes", axes.asArrayRef());
    return success();
  }
  if (inputs[1].empty())
    return success();
  std::optional<onnx_ir::Shape> values =
      onnx_ir::getConstantIntValues(op->getOperand(1), 1 << 16);
  if (!values)
    return op->emitError("a run-time 'axes' input needs opset ")
           << inputOpset << " or later; the model imports opset "
           << opsetVersion();
  addIntsAttribute(node, "axes", *values);
  inputs[1].clear();
  return success();
}

LogicalResult ONNXExporter::exportOp(Operation *op, onnx::GraphProto &graph) {
  Location loc = op->getLoc();
  if (isa<onnx_ir::NoneOp>(op)) {
    names[op->getResult(0)] = "";
    return success();
  }
  if (isa<onnx_ir::InitializerOp, arith::ConstantOp>(op) &&
      (onlyFeedsMergedAdapters(op->getResult(0)) ||
       onlyFeedsQLinearParams(op->getResult(0)) ||
       onlyFeedsLowRankFactors(op->getResult(0))))
    return success();
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
  if (isa<linalg::LinalgDialect, tensor::TensorDialect>(op->getDialect()))
    return exportLinalgOp(op, graph);

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
        if (!(isReduceWithAxes(op) && attr.getName() == "axes") &&
            failed(exportAttribute(attr.getName(), attr.getValue(), loc,
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
  if (isReduceWithAxes(op) &&
      failed(exportReduceAxes(op, graph, *node, inputs)))
    return failure();
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

  // Node names must be unique within a graph; a pass that splits or clones
  // an op keeps its location, so later ones get a suffix.
  llvm::StringSet<> nodeNames;
  for (onnx::NodeProto &node : *graph.mutable_node()) {
    if (node.name().empty() || nodeNames.insert(node.name()).second)
      continue;
    for (unsigned n = 1;; ++n) {
      std::string candidate = node.name() + "_" + std::to_string(n);
      if (nodeNames.insert(candidate).second) {
        node.set_name(candidate);
        break;
      }
    }
  }
  return success();
}

LogicalResult ONNXExporter::build(onnx::ModelProto &model,
                                  llvm::raw_ostream *stream,
                                  StringRef location) {
  builtModel = &model;
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
    model.add_opset_import()->set_version(kDefaultOpsetVersion);
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
  if (failed(raiseOpsetForQuantizedForm()) ||
      failed(exportGraph(func.getBody(), *graph, /*isMain=*/true)))
    return failure();
  // The recorded IR version (8 for a new model, the one that goes with opset
  // 17) moves up only when the model cannot be valid under it: a newer opset
  // than it carries (a model that version_converter raised keeps its IR
  // version), or int4/uint4 tensors (IR 10).
  model.set_ir_version(std::max(model.ir_version(), minIRVersion(model)));
  return success();
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

LogicalResult mlir::peft::exportONNX(ModuleOp module, llvm::raw_ostream &os,
                                     const ONNXExportOptions &options) {
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
  std::string bytes;
  bool external = path != "-" && exporter.needsExternalData();
  std::string location = options.externalDataFile;
  if (external && location.empty())
    location = llvm::sys::path::filename(path).str() + ".data";
  if (llvm::sys::path::is_absolute(location) ||
      StringRef(location).contains(".."))
    return emitError(module.getLoc())
           << "external data file '" << location
           << "' must be a plain name relative to the model";
  SmallString<256> dataPath(path);
  llvm::sys::path::remove_filename(dataPath);
  llvm::sys::path::append(dataPath, location);

  // The weights stream straight from their blobs into a temporary next to
  // the data file (never through memory), renamed once the model is
  // written: a failure leaves neither file half-written.
  std::optional<llvm::sys::fs::TempFile> dataFile;
  std::optional<llvm::raw_fd_ostream> dataStream;
  auto discardData = [&] {
    dataStream.reset();
    if (dataFile)
      consumeError(dataFile->discard());
  };
  if (external) {
    auto temp = llvm::sys::fs::TempFile::create(dataPath + "-%%%%%%.tmp");
    if (!temp)
      return emitError(module.getLoc())
             << "cannot create a temporary file next to '" << dataPath
             << "': " << llvm::toString(temp.takeError());
    dataFile.emplace(std::move(*temp));
    dataStream.emplace(dataFile->FD, /*shouldClose=*/false);
  }
  if (failed(
          exporter.build(model, external ? &*dataStream : nullptr, location)) ||
      failed(serialize(module, model, bytes))) {
    discardData();
    return failure();
  }
  if (external) {
    dataStream->flush();
    if (dataStream->has_error()) {
      std::string message = dataStream->error().message();
      dataStream->clear_error();
      discardData();
      return emitError(module.getLoc())
             << "cannot write '" << dataPath << "': " << message;
    }
    dataStream.reset();
  }
  if (llvm::Error e = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
        os << bytes;
        return llvm::Error::success();
      })) {
    discardData();
    return emitError(module.getLoc())
           << "cannot write '" << path << "': " << llvm::toString(std::move(e));
  }
  if (external)
    if (llvm::Error e = dataFile->keep(dataPath))
      return emitError(module.getLoc())
             << "cannot write '" << dataPath
             << "': " << llvm::toString(std::move(e));
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
