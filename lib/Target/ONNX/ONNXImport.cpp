//===- ONNXImport.cpp - ONNX ModelProto -> MLIR ---------------------------===//
//
// One class walks the graph in node order with a value map keyed by tensor
// name. Nodes with a typed op in the `onnx` dialect become that op (fixed
// operand list, `onnx.none` for omitted optional inputs); any other node
// becomes `onnx.node` carrying op type, domain and attributes. Initializers
// become `onnx.initializer` over resource blobs; external data is mmap'd.
//
// This TU is compiled with exceptions: ONNX shape inference throws.
//
//===----------------------------------------------------------------------===//

#include "peft/Target/ONNX/ONNXImport.h"
#include "ONNXLibrary.h"
#include "peft/Dialect/ONNX/IR/ONNXDialect.h"
#include "peft/Dialect/ONNX/IR/ONNXShapes.h"
#include "peft/Support/ShapeArithmetic.h"
#include "peft/Target/ONNX/DataType.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include "onnx/checker.h"
#include "onnx/defs/schema.h"
#include "onnx/shape_inference/implementation.h"

#include <exception>

using namespace mlir;
using namespace mlir::peft;
namespace od = mlir::peft::onnx_data;

namespace {

class ONNXImporter {
public:
  ONNXImporter(MLIRContext &ctx, StringRef path,
               const ONNXImportOptions &options)
      : ctx(ctx), builder(&ctx), path(path.str()), options(options) {
    SmallString<256> dir(path);
    llvm::sys::path::remove_filename(dir);
    modelDir = dir.empty() ? std::string(".") : std::string(dir);
    fileLoc = FileLineColLoc::get(&ctx, path, 0, 0);
  }

  OwningOpRef<ModuleOp> importModel(onnx::ModelProto &model);

private:
  // Diagnostics ---------------------------------------------------------------
  InFlightDiagnostic error(Location loc) { return emitError(loc); }
  Location nodeLoc(const onnx::NodeProto &node) {
    if (node.name().empty())
      return NameLoc::get(builder.getStringAttr(node.op_type()), fileLoc);
    return NameLoc::get(builder.getStringAttr(node.name()), fileLoc);
  }
  Location tensorLoc(StringRef name) {
    return NameLoc::get(builder.getStringAttr(name), fileLoc);
  }

  // Types and tensors ---------------------------------------------------------
  FailureOr<Type> importElementType(int32_t dataType, Location loc,
                                    StringRef what);
  FailureOr<Type> importType(const onnx::TypeProto &type, Location loc,
                             StringRef what);
  FailureOr<ElementsAttr> importTensor(const onnx::TensorProto &tensor,
                                       Location loc);
  FailureOr<ArrayRef<char>>
  mapExternalData(const onnx::TensorProto &tensor, int64_t expectedBytes,
                  Location loc, std::shared_ptr<llvm::MemoryBuffer> &owner);

  // Graph ---------------------------------------------------------------------
  LogicalResult importNodes(const onnx::GraphProto &graph);
  LogicalResult importNode(const onnx::NodeProto &node);
  LogicalResult checkOpVersion(const onnx::NodeProto &node, StringRef what,
                               SmallVectorImpl<NamedAttribute> &attrs,
                               SmallVectorImpl<Value> &operands);
  FailureOr<Attribute> importAttribute(const onnx::AttributeProto &attr,
                                       Location loc);
  FailureOr<Value> lookup(StringRef name, Location loc, StringRef user);
  Value getNone(Location loc);
  /// The ONNX checker's complaint about `model`, or "" when it passes.
  std::string checkModel(const onnx::ModelProto &model);
  Type typeOfValue(StringRef name);

  MLIRContext &ctx;
  OpBuilder builder;
  std::string path, modelDir;
  Location fileLoc = UnknownLoc::get(&ctx);
  const ONNXImportOptions &options;

  /// Innermost scope last; subgraphs see their parents' values.
  SmallVector<llvm::StringMap<Value>> scopes;
  /// Types known from graph inputs/outputs/value_info (after inference).
  llvm::StringMap<const onnx::TypeProto *> knownTypes;
  /// Whole external data files, mapped once and shared by their tensors.
  llvm::StringMap<std::shared_ptr<llvm::MemoryBuffer>> externalFiles;
  /// The model's ai.onnx opset: which version of each operator its nodes are.
  int64_t opset = 0;
};
} // namespace

//===----------------------------------------------------------------------===//
// Types and tensors
//===----------------------------------------------------------------------===//

/// "[65536, 65536]": dims as the file gave them, for diagnostics.
static std::string formatDims(ArrayRef<int64_t> dims) {
  std::string text = "[";
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(dims, os);
  os << "]";
  return text;
}

FailureOr<Type> ONNXImporter::importElementType(int32_t dataType, Location loc,
                                                StringRef what) {
  if (Type type = od::getElementType(&ctx, dataType))
    return type;
  error(loc) << what << ": unsupported ONNX element type "
             << od::getDataTypeName(dataType) << " (" << dataType << ")";
  return failure();
}

FailureOr<Type> ONNXImporter::importType(const onnx::TypeProto &type,
                                         Location loc, StringRef what) {
  if (!type.has_tensor_type()) {
    error(loc) << what << ": only tensor types are supported";
    return failure();
  }
  const auto &tensorType = type.tensor_type();
  FailureOr<Type> elementType =
      importElementType(tensorType.elem_type(), loc, what);
  if (failed(elementType))
    return failure();
  if (!tensorType.has_shape())
    return Type(UnrankedTensorType::get(*elementType));
  SmallVector<int64_t> shape, staticShape;
  for (const auto &dim : tensorType.shape().dim()) {
    if (!dim.has_dim_value()) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    if (dim.dim_value() < 0) {
      error(loc) << what << " has negative dimension " << dim.dim_value();
      return failure();
    }
    shape.push_back(dim.dim_value());
    staticShape.push_back(dim.dim_value());
  }
  // Code downstream multiplies the static sizes (element counts, strides).
  if (!getCheckedNumElements(staticShape)) {
    error(loc) << what << ": the static sizes of its shape "
               << formatDims(staticShape) << " overflow int64";
    return failure();
  }
  return Type(RankedTensorType::get(shape, *elementType));
}

FailureOr<ArrayRef<char>>
ONNXImporter::mapExternalData(const onnx::TensorProto &tensor,
                              int64_t expectedBytes, Location loc,
                              std::shared_ptr<llvm::MemoryBuffer> &owner) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &entry : tensor.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset" || entry.key() == "length") {
      int64_t value;
      if (StringRef(entry.value()).getAsInteger(10, value) || value < 0) {
        error(loc) << "tensor '" << tensor.name() << "': external data "
                   << entry.key() << " '" << entry.value()
                   << "' is not a non-negative integer";
        return failure();
      }
      (entry.key() == "offset" ? offset : length) = value;
    }
  }
  if (location.empty()) {
    error(loc) << "tensor '" << tensor.name()
               << "': external data has no 'location'";
    return failure();
  }
  // The location must stay inside the model's directory.
  if (llvm::sys::path::is_absolute(location)) {
    error(loc) << "tensor '" << tensor.name() << "': external data location '"
               << location << "' is an absolute path";
    return failure();
  }
  for (StringRef part : llvm::make_range(llvm::sys::path::begin(location),
                                         llvm::sys::path::end(location)))
    if (part == "..") {
      error(loc) << "tensor '" << tensor.name() << "': external data location '"
                 << location << "' escapes the model directory";
      return failure();
    }
  SmallString<256> file(modelDir);
  llvm::sys::path::append(file, location);
  if (llvm::sys::fs::is_symlink_file(file)) {
    error(loc) << "tensor '" << tensor.name() << "': external data file '"
               << file << "' is a symbolic link";
    return failure();
  }

  std::shared_ptr<llvm::MemoryBuffer> &mapped = externalFiles[file];
  if (!mapped) {
    auto buffer = llvm::MemoryBuffer::getFile(file, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false,
                                              /*IsVolatile=*/false);
    if (!buffer) {
      error(loc) << "tensor '" << tensor.name()
                 << "': cannot open external data file '" << file
                 << "': " << buffer.getError().message();
      return failure();
    }
    mapped = std::move(*buffer);
  }
  int64_t fileSize = mapped->getBufferSize();
  // offset and length come from the model: compared without overflow.
  if (length < 0)
    length = offset <= fileSize ? fileSize - offset : 0;
  if (length != expectedBytes) {
    error(loc) << "tensor '" << tensor.name() << "': external data length "
               << length << " does not match its shape and type ("
               << expectedBytes << " bytes)";
    return failure();
  }
  if (offset > fileSize || length > fileSize - offset) {
    error(loc) << "tensor '" << tensor.name() << "': external data file '"
               << file << "' is too short (" << fileSize << " bytes, need "
               << uint64_t(offset) + uint64_t(length) << ")";
    return failure();
  }
  owner = mapped;
  return ArrayRef<char>(mapped->getBufferStart() + offset, length);
}

/// Packs the typed repeated fields of a TensorProto into ONNX raw_data layout.
template <typename Out, typename Field>
static void appendAs(std::string &raw, const Field &field) {
  for (auto v : field) {
    Out value = static_cast<Out>(v);
    raw.append(reinterpret_cast<const char *>(&value), sizeof(Out));
  }
}

FailureOr<ElementsAttr>
ONNXImporter::importTensor(const onnx::TensorProto &tensor, Location loc) {
  int32_t dataType = tensor.data_type();
  FailureOr<Type> elementType =
      importElementType(dataType, loc, "tensor '" + tensor.name() + "'");
  if (failed(elementType))
    return failure();
  SmallVector<int64_t> shape;
  for (int64_t d : tensor.dims()) {
    if (d < 0) {
      error(loc) << "tensor '" << tensor.name() << "' has negative dimension "
                 << d;
      return failure();
    }
    shape.push_back(d);
  }
  // The dims are untrusted: a wrapped-around product would make a tensor
  // with no data look complete (and its attribute invalid). Everything below
  // compares the data present with these checked sizes.
  std::optional<int64_t> checkedElements = getCheckedNumElements(shape);
  int64_t expectedBytes =
      checkedElements ? od::getRawDataSize(dataType, *checkedElements) : -1;
  if (expectedBytes < 0) {
    error(loc) << "tensor '" << tensor.name() << "': shape "
               << formatDims(shape) << " of " << od::getDataTypeName(dataType)
               << " elements has more than 2^63 bytes";
    return failure();
  }
  int64_t numElements = *checkedElements;
  auto type = RankedTensorType::get(shape, *elementType);

  ArrayRef<char> bytes;
  std::shared_ptr<llvm::MemoryBuffer> externalOwner;
  std::string packed;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    FailureOr<ArrayRef<char>> mapped =
        mapExternalData(tensor, expectedBytes, loc, externalOwner);
    if (failed(mapped))
      return failure();
    bytes = *mapped;
  } else if (tensor.has_raw_data()) {
    if (static_cast<int64_t>(tensor.raw_data().size()) != expectedBytes) {
      error(loc) << "tensor '" << tensor.name() << "': raw_data has "
                 << tensor.raw_data().size() << " bytes but " << type
                 << " needs " << expectedBytes;
      return failure();
    }
    bytes = ArrayRef<char>(tensor.raw_data().data(), tensor.raw_data().size());
  } else {
    int64_t count = -1;
    switch (dataType) {
    case od::kFloat:
      appendAs<float>(packed, tensor.float_data());
      count = tensor.float_data_size();
      break;
    case od::kDouble:
      appendAs<double>(packed, tensor.double_data());
      count = tensor.double_data_size();
      break;
    case od::kInt64:
      appendAs<int64_t>(packed, tensor.int64_data());
      count = tensor.int64_data_size();
      break;
    case od::kUInt32:
      appendAs<uint32_t>(packed, tensor.uint64_data());
      count = tensor.uint64_data_size();
      break;
    case od::kUInt64:
      appendAs<uint64_t>(packed, tensor.uint64_data());
      count = tensor.uint64_data_size();
      break;
    case od::kInt32:
      appendAs<int32_t>(packed, tensor.int32_data());
      count = tensor.int32_data_size();
      break;
    case od::kInt16:
    case od::kUInt16:
    case od::kFloat16:
    case od::kBFloat16:
      appendAs<uint16_t>(packed, tensor.int32_data());
      count = tensor.int32_data_size();
      break;
    case od::kInt8:
    case od::kUInt8:
    case od::kBool:
      appendAs<uint8_t>(packed, tensor.int32_data());
      count = tensor.int32_data_size();
      break;
    case od::kInt4:
    case od::kUInt4:
      // One int32_data entry per byte: two values, the first in the low
      // nibble (onnx.helper.make_tensor's layout).
      appendAs<uint8_t>(packed, tensor.int32_data());
      count = int64_t(packed.size()) == expectedBytes ? numElements : -1;
      break;
    default:
      error(loc) << "tensor '" << tensor.name()
                 << "': " << od::getDataTypeName(dataType)
                 << " data in typed fields is not supported (use raw_data)";
      return failure();
    }
    if (count != numElements) {
      if (dataType == od::kInt4 || dataType == od::kUInt4)
        error(loc) << "tensor '" << tensor.name() << "' holds " << packed.size()
                   << " packed bytes but " << type << " needs "
                   << expectedBytes;
      else
        error(loc) << "tensor '" << tensor.name() << "' holds " << count
                   << " values but " << type << " has " << numElements;
      return failure();
    }
    bytes = ArrayRef<char>(packed.data(), packed.size());
  }

  // Small tensors are plain dense attributes so shape arithmetic can fold.
  // Bool and 4-bit data keep ONNX's byte layout in a blob.
  bool plainLayout =
      dataType != od::kBool && dataType != od::kInt4 && dataType != od::kUInt4;
  if (plainLayout && expectedBytes <= options.inlineConstantBytes)
    return ElementsAttr(DenseElementsAttr::getFromRawBuffer(type, bytes));
  if (dataType == od::kBool && expectedBytes <= options.inlineConstantBytes) {
    SmallVector<bool> values(bytes.begin(), bytes.end());
    return ElementsAttr(DenseElementsAttr::get(type, values));
  }

  // Blobs are aligned to one element's storage (1, 2, 4 or 8 bytes).
  size_t align = od::getRawDataSize(dataType, 1);
  std::string key = tensor.name().empty() ? "onnx_tensor" : tensor.name();
  if (externalOwner && reinterpret_cast<uintptr_t>(bytes.data()) % align == 0) {
    // Zero copy: the blob points into the mapping and keeps it alive.
    AsmResourceBlob blob(
        bytes, align,
        [owner = std::move(externalOwner)](void *, size_t, size_t) {},
        /*dataIsMutable=*/false);
    return ElementsAttr(
        DenseResourceElementsAttr::get(type, key, std::move(blob)));
  }
  return ElementsAttr(DenseResourceElementsAttr::get(
      type, key, HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, align)));
}

//===----------------------------------------------------------------------===//
// Graph
//===----------------------------------------------------------------------===//

FailureOr<Value> ONNXImporter::lookup(StringRef name, Location loc,
                                      StringRef user) {
  for (auto &scope : llvm::reverse(scopes))
    if (auto it = scope.find(name); it != scope.end())
      return it->second;
  error(loc) << user << " uses tensor '" << name
             << "', which no earlier node, input or initializer defines";
  return failure();
}

Value ONNXImporter::getNone(Location loc) {
  OperationState state(loc, "onnx.none");
  state.addTypes(builder.getNoneType());
  return builder.create(state)->getResult(0);
}

Type ONNXImporter::typeOfValue(StringRef name) {
  if (auto it = knownTypes.find(name); it != knownTypes.end()) {
    // Unsupported or missing element types fall back to unknown.
    const auto &tensorType = it->second->tensor_type();
    if (Type element = od::getElementType(&ctx, tensorType.elem_type())) {
      if (!tensorType.has_shape())
        return UnrankedTensorType::get(element);
      // These types are hints (value_info may come from the file itself): a
      // negative size is unknown, a shape whose sizes overflow is unranked.
      SmallVector<int64_t> shape, staticShape;
      for (const auto &dim : tensorType.shape().dim()) {
        bool known = dim.has_dim_value() && dim.dim_value() >= 0;
        shape.push_back(known ? dim.dim_value() : ShapedType::kDynamic);
        if (known)
          staticShape.push_back(dim.dim_value());
      }
      if (!getCheckedNumElements(staticShape))
        return UnrankedTensorType::get(element);
      return RankedTensorType::get(shape, element);
    }
  }
  // Shape inference knew nothing: an unranked tensor of unknown element type.
  return UnrankedTensorType::get(builder.getNoneType());
}

FailureOr<Attribute>
ONNXImporter::importAttribute(const onnx::AttributeProto &attr, Location loc) {
  using AP = onnx::AttributeProto;
  if (!attr.ref_attr_name().empty()) {
    error(loc) << "attribute '" << attr.name()
               << "' refers to a function attribute, which is not supported";
    return failure();
  }
  AP::AttributeType kind = attr.type();
  if (kind == AP::UNDEFINED) {
    // Pre-IR-version-3 models leave the kind implicit.
    if (attr.has_f())
      kind = AP::FLOAT;
    else if (attr.has_i())
      kind = AP::INT;
    else if (attr.has_s())
      kind = AP::STRING;
    else if (attr.has_t())
      kind = AP::TENSOR;
    else if (attr.ints_size())
      kind = AP::INTS;
    else if (attr.floats_size())
      kind = AP::FLOATS;
    else if (attr.strings_size())
      kind = AP::STRINGS;
  }
  switch (kind) {
  case AP::FLOAT:
    return Attribute(builder.getF32FloatAttr(attr.f()));
  case AP::INT:
    return Attribute(builder.getI64IntegerAttr(attr.i()));
  case AP::STRING:
    return Attribute(builder.getStringAttr(attr.s()));
  case AP::INTS:
    return Attribute(builder.getDenseI64ArrayAttr(
        SmallVector<int64_t>(attr.ints().begin(), attr.ints().end())));
  case AP::FLOATS:
    return Attribute(builder.getDenseF32ArrayAttr(
        SmallVector<float>(attr.floats().begin(), attr.floats().end())));
  case AP::STRINGS: {
    SmallVector<StringRef> strings(attr.strings().begin(),
                                   attr.strings().end());
    return Attribute(builder.getStrArrayAttr(strings));
  }
  case AP::TENSOR: {
    FailureOr<ElementsAttr> tensor = importTensor(attr.t(), loc);
    if (failed(tensor))
      return failure();
    return Attribute(*tensor);
  }
  default:
    error(loc) << "attribute '" << attr.name() << "' of kind "
               << AP::AttributeType_Name(kind) << " is not supported";
    return failure();
  }
}

LogicalResult ONNXImporter::importNode(const onnx::NodeProto &node) {
  Location loc = nodeLoc(node);
  std::string what = "node '" + node.name() + "' (" + node.op_type() + ")";

  SmallVector<NamedAttribute> attrs;
  const onnx::GraphProto *thenBranch = nullptr, *elseBranch = nullptr;
  for (const auto &attr : node.attribute()) {
    if (attr.type() == onnx::AttributeProto::GRAPH) {
      if (node.op_type() == "If" && attr.name() == "then_branch")
        thenBranch = &attr.g();
      else if (node.op_type() == "If" && attr.name() == "else_branch")
        elseBranch = &attr.g();
      else
        return error(loc) << what << ": subgraph attribute '" << attr.name()
                          << "' is only supported on If";
      continue;
    }
    FailureOr<Attribute> value = importAttribute(attr, loc);
    if (failed(value))
      return failure();
    attrs.push_back(builder.getNamedAttr(attr.name(), *value));
  }

  SmallVector<Value> operands;
  for (const std::string &input : node.input()) {
    if (input.empty()) {
      operands.push_back(getNone(loc));
      continue;
    }
    FailureOr<Value> value = lookup(input, loc, what);
    if (failed(value))
      return failure();
    operands.push_back(*value);
  }

  if (failed(checkOpVersion(node, what, attrs, operands)))
    return failure();

  // A typed op when one exists and knows every attribute the node carries.
  const onnx_ir::OpSchema *schema =
      onnx_ir::lookupSchema(node.domain(), node.op_type());
  if (schema) {
    auto info = RegisteredOperationName::lookup(schema->opName, &ctx);
    auto known = info->getAttributeNames();
    for (const NamedAttribute &attr : attrs)
      if (!llvm::is_contained(known, attr.getName()))
        schema = nullptr;
    if (schema && schema->numInputs >= 0 &&
        static_cast<int>(operands.size()) > schema->numInputs)
      return error(loc) << what << " has " << operands.size() << " inputs; "
                        << node.op_type() << " takes at most "
                        << schema->numInputs;
  }
  if (node.op_type() == "If" && (!thenBranch || !elseBranch))
    return error(loc) << what << " lacks then_branch or else_branch";

  OperationState state(loc, schema ? schema->opName : "onnx.node");
  if (schema) {
    while (schema->numInputs >= 0 &&
           static_cast<int>(operands.size()) < schema->numInputs)
      operands.push_back(getNone(loc));
    state.addAttributes(attrs);
  } else {
    state.addAttribute("op_type", builder.getStringAttr(node.op_type()));
    state.addAttribute("domain", builder.getStringAttr(node.domain()));
    state.addAttribute("attributes", builder.getDictionaryAttr(attrs));
  }
  state.addOperands(operands);

  int numResults = node.output_size();
  if (schema && schema->numOutputs >= 0) {
    if (numResults > schema->numOutputs)
      return error(loc) << what << " has " << numResults << " outputs; "
                        << node.op_type() << " has at most "
                        << schema->numOutputs;
    numResults = schema->numOutputs;
  }
  for (int i = 0; i < numResults; ++i) {
    bool present = i < node.output_size() && !node.output(i).empty();
    state.addTypes(present ? typeOfValue(node.output(i))
                           : Type(builder.getNoneType()));
  }

  Region *regions[2] = {nullptr, nullptr};
  if (thenBranch) {
    regions[0] = state.addRegion();
    regions[1] = state.addRegion();
  }
  Operation *op = builder.create(state);
  // Past ops ONNX's shape inference has no schema for (contrib ops such as
  // MatMulNBits) it knows nothing: our own rules fill what they can.
  onnx_ir::fillUnknownResultTypes(op);
  SmallVector<StringRef> outputNames(node.output().begin(),
                                     node.output().end());
  op->setAttr("onnx.outputs", builder.getStrArrayAttr(outputNames));

  if (thenBranch) {
    const onnx::GraphProto *branches[2] = {thenBranch, elseBranch};
    for (int b = 0; b < 2; ++b) {
      OpBuilder::InsertionGuard guard(builder);
      Block *block = builder.createBlock(&op->getRegion(b));
      (void)block;
      scopes.emplace_back();
      if (failed(importNodes(*branches[b])))
        return failure();
      SmallVector<Value> yielded;
      for (const auto &output : branches[b]->output()) {
        FailureOr<Value> value = lookup(output.name(), loc, what);
        if (failed(value))
          return failure();
        yielded.push_back(*value);
      }
      OperationState yield(loc, "onnx.yield");
      yield.addOperands(yielded);
      builder.create(yield);
      scopes.pop_back();
    }
  }

  for (auto [i, name] : llvm::enumerate(node.output()))
    if (!name.empty())
      scopes.back()[name] = op->getResult(i);
  return success();
}

/// The operator versions after opset 23 whose semantics differ from the
/// opset-23 ones the onnx dialect implements only in forms named here: those
/// forms are errors naming the node and opset; an attribute at its default is
/// dropped. (Attention-24's nonpad_kv_seqlen and Attention-25's sliding windows
/// are part of onnx.Attention.)
/// Every other change of opsets 24-28 to an op with a typed op adds element
/// types only (float8e8m0, int2/uint2, float6, bf16 Einsum), which the importer
/// or the lowering rejects where unsupported.
LogicalResult
ONNXImporter::checkOpVersion(const onnx::NodeProto &node, StringRef what,
                             SmallVectorImpl<NamedAttribute> &attrs,
                             SmallVectorImpl<Value> &operands) {
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return success();
  Location loc = nodeLoc(node);
  StringRef opType = node.op_type();
  auto unsupported = [&](int64_t since) {
    return error(loc) << what << ": " << opType << "-" << since
                      << " (the model's opset " << opset << ") ";
  };
  // Drops attribute `name` when it holds `defaultValue`; fails otherwise.
  auto dropDefault = [&](StringRef name, Attribute defaultValue,
                         int64_t since) -> LogicalResult {
    auto *it = llvm::find_if(
        attrs, [&](NamedAttribute a) { return a.getName() == name; });
    if (it == attrs.end())
      return success();
    if (it->getValue() != defaultValue)
      return unsupported(since)
             << "attribute '" << name << "' = " << it->getValue()
             << " is not supported";
    attrs.erase(it);
    return success();
  };
  if (opType == "Cast" && opset >= 24) {
    // Cast-24: `round_mode` applies only to FLOAT8E8M0, whose rounding and
    // saturation the Cast lowering does not implement.
    for (NamedAttribute attr : attrs)
      if (attr.getName() == "to")
        if (auto to = dyn_cast<IntegerAttr>(attr.getValue());
            to && to.getInt() == onnx::TensorProto::FLOAT8E8M0)
          return unsupported(24) << "to FLOAT8E8M0 is not supported";
    llvm::erase_if(
        attrs, [](NamedAttribute a) { return a.getName() == "round_mode"; });
  }
  if (opType == "Resize" && opset < 11)
    // Resize-10 takes (X, scales): a different signature from the (X, roi,
    // scales, sizes) of opsets 11-19 that onnx.Resize models.
    return error(loc) << what << ": Resize-10 (the model's opset " << opset
                      << ", scales as the second input) is not supported; "
                         "convert the model to opset 11 or later";
  if (opType == "Range" && opset >= 27)
    // Range-27: `stash_type` only for float16/bfloat16, which the Range
    // lowering computes in float32, the default stash type.
    if (failed(dropDefault("stash_type", builder.getI64IntegerAttr(1), 27)))
      return failure();
  return success();
}

LogicalResult ONNXImporter::importNodes(const onnx::GraphProto &graph) {
  for (const auto &info : graph.value_info())
    knownTypes[info.name()] = &info.type();
  for (const auto &output : graph.output())
    knownTypes[output.name()] = &output.type();
  for (const auto &initializer : graph.initializer()) {
    Location loc = tensorLoc(initializer.name());
    FailureOr<ElementsAttr> value = importTensor(initializer, loc);
    if (failed(value))
      return failure();
    OperationState state(loc, "onnx.initializer");
    state.addAttribute("name", builder.getStringAttr(initializer.name()));
    state.addAttribute("value", *value);
    state.addTypes(value->getType());
    scopes.back()[initializer.name()] = builder.create(state)->getResult(0);
  }
  for (const auto &node : graph.node())
    if (failed(importNode(node)))
      return failure();
  return success();
}

/// Symbolic dimension names of a value, "" where a dimension has none.
static ArrayAttr dimParams(Builder &b, const onnx::TypeProto &type) {
  SmallVector<Attribute> names;
  if (type.has_tensor_type() && type.tensor_type().has_shape())
    for (const auto &dim : type.tensor_type().shape().dim())
      names.push_back(b.getStringAttr(dim.dim_param()));
  return b.getArrayAttr(names);
}

std::string ONNXImporter::checkModel(const onnx::ModelProto &model) {
  // onnx::checker::check_model(ModelProto) resolves external data against the
  // working directory; this is the same check with the model's directory.
  try {
    onnx::checker::CheckerContext ctx;
    ctx.set_ir_version(static_cast<int>(model.ir_version()));
    std::unordered_map<std::string, int> opsets;
    for (const auto &opset : model.opset_import())
      opsets[opset.domain()] = static_cast<int>(opset.version());
    ctx.set_opset_imports(opsets);
    ctx.set_model_dir(modelDir);
    onnx::checker::LexicalScopeContext scope;
    onnx::checker::check_graph(model.graph(), ctx, scope);
  } catch (const std::exception &e) {
    return e.what();
  }
  return "";
}

/// onnxruntime registers some contrib ops in the ai.onnx domain (its
/// transformer optimizer emits SimplifiedLayerNormalization there), which
/// the ONNX checker rejects. Nodes of such ops that we have a typed op for
/// and that ONNX defines at no opset move to a private domain while the
/// checker and shape inference run (which skip unknown domains); the
/// returned nodes go back afterwards.
static SmallVector<onnx::NodeProto *>
hideNonStandardNodes(onnx::ModelProto &model) {
  static constexpr const char *kHidden = "peft.hidden";
  SmallVector<onnx::NodeProto *> hidden;
  for (onnx::NodeProto &node : *model.mutable_graph()->mutable_node()) {
    if (!node.domain().empty() && node.domain() != "ai.onnx")
      continue;
    if (onnx::OpSchemaRegistry::Schema(node.op_type(), "") ||
        !onnx_ir::lookupSchema(node.domain(), node.op_type()))
      continue;
    node.set_domain(kHidden);
    hidden.push_back(&node);
  }
  if (!hidden.empty()) {
    auto *opset = model.add_opset_import();
    opset->set_domain(kHidden);
    opset->set_version(1);
  }
  return hidden;
}

static void restoreHiddenNodes(onnx::ModelProto &model,
                               ArrayRef<onnx::NodeProto *> hidden) {
  if (hidden.empty())
    return;
  for (onnx::NodeProto *node : hidden)
    node->set_domain("");
  model.mutable_opset_import()->RemoveLast();
}

OwningOpRef<ModuleOp> ONNXImporter::importModel(onnx::ModelProto &model) {
  if (options.inferShapes) {
    SmallVector<onnx::NodeProto *> hidden = hideNonStandardNodes(model);
    auto restore =
        llvm::make_scope_exit([&] { restoreHiddenNodes(model, hidden); });
    // libonnx's shape inference assumes a well-formed model (malformed ones
    // can crash it), so it runs only on models its checker accepts.
    std::string problem = checkModel(model);
    if (!problem.empty()) {
      emitWarning(fileLoc) << "the model fails the ONNX checker (" << problem
                           << "); importing without shape inference";
    } else {
      try {
        onnx::shape_inference::InferShapes(model);
      } catch (const std::exception &e) {
        // The graph may still be importable; types just stay unknown.
        emitWarning(fileLoc) << "ONNX shape inference failed: " << e.what();
      }
    }
  }
  const onnx::GraphProto &graph = model.graph();
  // Owned from the start: every early return below frees the partial module.
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());

  // Model-level metadata, kept verbatim for export.
  SmallVector<Attribute> opsets;
  for (const auto &opset : model.opset_import())
    opsets.push_back(
        builder.getArrayAttr({builder.getStringAttr(opset.domain()),
                              builder.getI64IntegerAttr(opset.version())}));
  for (const auto &opset : model.opset_import())
    if ((opset.domain().empty() || opset.domain() == "ai.onnx") &&
        (opset.version() < 1 || opset.version() > 28)) {
      emitError(fileLoc) << "unsupported ONNX opset " << opset.version()
                         << " (peft-mlir imports opsets 1 to 28)";
      return nullptr;
    }
  for (const auto &entry : model.opset_import())
    if (entry.domain().empty() || entry.domain() == "ai.onnx")
      opset = entry.version();
  (*module)->setAttr("onnx.opset_import", builder.getArrayAttr(opsets));
  (*module)->setAttr("onnx.ir_version",
                     builder.getI64IntegerAttr(model.ir_version()));
  (*module)->setAttr("onnx.producer_name",
                     builder.getStringAttr(model.producer_name()));
  (*module)->setAttr("onnx.producer_version",
                     builder.getStringAttr(model.producer_version()));
  if (!model.domain().empty())
    (*module)->setAttr("onnx.domain", builder.getStringAttr(model.domain()));
  if (model.model_version())
    (*module)->setAttr("onnx.model_version",
                       builder.getI64IntegerAttr(model.model_version()));
  if (!model.doc_string().empty())
    (*module)->setAttr("onnx.doc_string",
                       builder.getStringAttr(model.doc_string()));
  if (model.metadata_props_size()) {
    SmallVector<Attribute> props;
    for (const auto &prop : model.metadata_props())
      props.push_back(builder.getStrArrayAttr({prop.key(), prop.value()}));
    (*module)->setAttr("onnx.metadata_props", builder.getArrayAttr(props));
  }

  // Graph inputs that are also initializers are initializers (IR < 4).
  llvm::StringSet<> initializerNames;
  for (const auto &init : graph.initializer())
    initializerNames.insert(init.name());
  SmallVector<const onnx::ValueInfoProto *> inputs;
  SmallVector<Type> argTypes, resultTypes;
  for (const auto &input : graph.input()) {
    if (initializerNames.contains(input.name()))
      continue;
    FailureOr<Type> type = importType(input.type(), tensorLoc(input.name()),
                                      "graph input '" + input.name() + "'");
    if (failed(type))
      return nullptr;
    inputs.push_back(&input);
    argTypes.push_back(*type);
  }
  for (const auto &output : graph.output()) {
    FailureOr<Type> type = importType(output.type(), tensorLoc(output.name()),
                                      "graph output '" + output.name() + "'");
    if (failed(type))
      return nullptr;
    resultTypes.push_back(*type);
  }

  std::string funcName = graph.name().empty() ? "main_graph" : graph.name();
  auto func =
      func::FuncOp::create(builder, fileLoc, funcName,
                           builder.getFunctionType(argTypes, resultTypes));
  if (!graph.doc_string().empty())
    func->setAttr("onnx.doc_string", builder.getStringAttr(graph.doc_string()));
  for (auto [i, input] : llvm::enumerate(inputs)) {
    func.setArgAttr(i, "onnx.name", builder.getStringAttr(input->name()));
    func.setArgAttr(i, "onnx.dim_params", dimParams(builder, input->type()));
  }
  for (auto [i, output] : llvm::enumerate(graph.output())) {
    func.setResultAttr(i, "onnx.name", builder.getStringAttr(output.name()));
    func.setResultAttr(i, "onnx.dim_params", dimParams(builder, output.type()));
  }

  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToEnd(entry);
  scopes.emplace_back();
  for (auto [i, input] : llvm::enumerate(inputs))
    scopes.back()[input->name()] = entry->getArgument(i);
  if (failed(importNodes(graph)))
    return nullptr;

  SmallVector<Value> results;
  for (const auto &output : graph.output()) {
    FailureOr<Value> value =
        lookup(output.name(), tensorLoc(output.name()), "graph output");
    if (failed(value))
      return nullptr;
    // Inference may have refined (or not known) what the output declares.
    Value result = *value;
    Type declared = resultTypes[results.size()];
    if (result.getType() != declared) {
      auto fnType = func.getFunctionType();
      SmallVector<Type> newResults(fnType.getResults());
      newResults[results.size()] = result.getType();
      func.setType(builder.getFunctionType(fnType.getInputs(), newResults));
      func.setResultAttr(results.size(), "onnx.declared_type",
                         TypeAttr::get(declared));
    }
    results.push_back(result);
  }
  func::ReturnOp::create(builder, fileLoc, results);

  if (failed(verify(*module)))
    return nullptr;
  return module;
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp>
mlir::peft::importONNXBuffer(StringRef bytes, StringRef path, MLIRContext &ctx,
                             const ONNXImportOptions &options) {
  ctx.loadDialect<onnx_ir::ONNXDialect, func::FuncDialect>();
  Location loc = FileLineColLoc::get(&ctx, path, 0, 0);
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    emitError(loc) << "'" << path
                   << "' is larger than 2 GB: ONNX models that big keep "
                      "their weights in external data files";
    return nullptr;
  }
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    emitError(loc) << "'" << path
                   << "' is not a valid ONNX model (protobuf parse failed; "
                      "the file may be truncated or not an ONNX file)";
    return nullptr;
  }
  if (!model.has_graph()) {
    emitError(loc) << "'" << path << "' has no graph";
    return nullptr;
  }
  ONNXImporter importer(ctx, path, options);
  return importer.importModel(model);
}

OwningOpRef<ModuleOp>
mlir::peft::importONNXFile(StringRef path, MLIRContext &ctx,
                           const ONNXImportOptions &options) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(FileLineColLoc::get(&ctx, path, 0, 0))
        << "cannot open '" << path << "': " << buffer.getError().message();
    return nullptr;
  }
  return importONNXBuffer((*buffer)->getBuffer(), path, ctx, options);
}

StringRef mlir::peft::getONNXLibraryVersion() {
  return onnx::LAST_RELEASE_VERSION;
}

void mlir::peft::registerONNXImportTranslation() {
  TranslateToMLIRRegistration registration(
      "import-onnx", "Import an ONNX model (ModelProto) into the onnx dialect",
      [](llvm::SourceMgr &sourceMgr, MLIRContext *ctx) {
        const llvm::MemoryBuffer *buffer =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        return OwningOpRef<Operation *>(
            importONNXBuffer(buffer->getBuffer(), buffer->getBufferIdentifier(),
                             *ctx)
                .release());
      },
      [](DialectRegistry &registry) {
        registry.insert<onnx_ir::ONNXDialect, func::FuncDialect>();
      });
}
