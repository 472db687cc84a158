//===- TensorProto.cpp - ONNX TensorProto .pb files <-> HostTensor --------===//

#include "peft/Target/ONNX/TensorProto.h"
#include "peft/Support/Diagnostics.h"
#include "peft/Support/Npy.h"
#include "peft/Support/ShapeArithmetic.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "ONNXLibrary.h"

#include <cstring>

using namespace mlir::peft;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace {
std::optional<ElementKind> kindFromDataType(int32_t type) {
  switch (type) {
  case onnx::TensorProto::FLOAT:
    return ElementKind::F32;
  case onnx::TensorProto::UINT8:
    return ElementKind::U8;
  case onnx::TensorProto::INT8:
    return ElementKind::I8;
  case onnx::TensorProto::UINT16:
    return ElementKind::U16;
  case onnx::TensorProto::INT16:
    return ElementKind::I16;
  case onnx::TensorProto::INT32:
    return ElementKind::I32;
  case onnx::TensorProto::INT64:
    return ElementKind::I64;
  case onnx::TensorProto::BOOL:
    return ElementKind::Bool;
  case onnx::TensorProto::FLOAT16:
    return ElementKind::F16;
  case onnx::TensorProto::DOUBLE:
    return ElementKind::F64;
  case onnx::TensorProto::UINT32:
    return ElementKind::U32;
  case onnx::TensorProto::UINT64:
    return ElementKind::U64;
  case onnx::TensorProto::BFLOAT16:
    return ElementKind::BF16;
  default:
    return std::nullopt;
  }
}

int32_t dataTypeFromKind(ElementKind kind) {
  switch (kind) {
  case ElementKind::F32:
    return onnx::TensorProto::FLOAT;
  case ElementKind::U8:
    return onnx::TensorProto::UINT8;
  case ElementKind::I8:
    return onnx::TensorProto::INT8;
  case ElementKind::U16:
    return onnx::TensorProto::UINT16;
  case ElementKind::I16:
    return onnx::TensorProto::INT16;
  case ElementKind::I32:
    return onnx::TensorProto::INT32;
  case ElementKind::I64:
    return onnx::TensorProto::INT64;
  case ElementKind::Bool:
    return onnx::TensorProto::BOOL;
  case ElementKind::F16:
    return onnx::TensorProto::FLOAT16;
  case ElementKind::F64:
    return onnx::TensorProto::DOUBLE;
  case ElementKind::U32:
    return onnx::TensorProto::UINT32;
  case ElementKind::U64:
    return onnx::TensorProto::UINT64;
  case ElementKind::BF16:
    return onnx::TensorProto::BFLOAT16;
  }
  return onnx::TensorProto::UNDEFINED;
}

/// Copies a typed repeated field into `tensor`, narrowing each value to the
/// element width (ONNX stores int8/16, bool and the 16-bit floats' bits in
/// int32_data, uint32 in uint64_data). The caller has checked that `field`
/// holds one value per element.
template <typename Field>
void copyTypedField(const Field &field, HostTensor &tensor) {
  size_t width = getElementSize(tensor.getKind());
  char *out = static_cast<char *>(tensor.getData());
  for (int i = 0, e = field.size(); i < e; ++i) {
    auto value = field.Get(i);
    if (sizeof(value) == width) {
      std::memcpy(out + i * width, &value, width);
      continue;
    }
    // Narrowing integers keeps the low bytes on little-endian hosts.
    uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof(value));
    std::memcpy(out + i * width, &bits, width);
  }
}

/// The typed field that holds the values of a `kind` tensor, and its name.
template <typename Fn>
auto withTypedField(const onnx::TensorProto &proto, ElementKind kind, Fn fn) {
  switch (kind) {
  case ElementKind::F32:
    return fn(proto.float_data(), "float_data");
  case ElementKind::F64:
    return fn(proto.double_data(), "double_data");
  case ElementKind::I64:
    return fn(proto.int64_data(), "int64_data");
  case ElementKind::U32:
  case ElementKind::U64:
    return fn(proto.uint64_data(), "uint64_data");
  default:
    return fn(proto.int32_data(), "int32_data");
  }
}
} // namespace

Expected<HostTensor> mlir::peft::parseTensorProto(StringRef bytes,
                                                  StringRef name,
                                                  std::string *tensorName) {
  onnx::TensorProto proto;
  if (bytes.size() > INT32_MAX ||
      !proto.ParseFromArray(bytes.data(), int(bytes.size())))
    return fileError(name, "not a serialized onnx.TensorProto");
  if (proto.data_location() == onnx::TensorProto::EXTERNAL ||
      proto.external_data_size())
    return fileError(name, "tensors with external data are not supported");
  std::optional<ElementKind> kind = kindFromDataType(proto.data_type());
  if (!kind)
    return fileError(name, "unsupported TensorProto data_type " +
                               llvm::Twine(proto.data_type()));
  llvm::SmallVector<int64_t, 4> shape;
  for (int64_t dim : proto.dims()) {
    if (dim < 0)
      return fileError(name, "negative dimension " + llvm::Twine(dim));
    shape.push_back(dim);
  }
  if (tensorName)
    *tensorName = proto.name();

  // The dims are untrusted: the element and byte counts are computed without
  // wrapping around and compared with the data present before anything is
  // allocated.
  std::string described =
      HostTensor::view(*kind, shape, nullptr, nullptr).describe();
  // Size errors name the tensor too: a .pb file may hold any tensor.
  std::string prefix =
      proto.name().empty() ? "" : "tensor '" + proto.name() + "': ";
  std::optional<int64_t> numElements = getCheckedNumElements(shape);
  std::optional<int64_t> numBytes =
      getCheckedNumBytes(shape, getElementSize(*kind));
  if (!numElements || !numBytes)
    return fileError(name, prefix + "the shape of " + described +
                               " has more than 2^63 bytes");
  if (proto.has_raw_data()) {
    const std::string &raw = proto.raw_data();
    if (raw.size() != uint64_t(*numBytes))
      return fileError(name, prefix + "raw_data holds " +
                                 llvm::Twine(raw.size()) + " bytes, but " +
                                 described + " needs " +
                                 llvm::Twine(*numBytes));
    HostTensor tensor(*kind, shape);
    std::memcpy(tensor.getData(), raw.data(), raw.size());
    return tensor;
  }
  return withTypedField(
      proto, *kind,
      [&](const auto &field, StringRef fieldName) -> Expected<HostTensor> {
        if (field.size() != *numElements)
          return fileError(name, llvm::Twine(prefix) + fieldName + " holds " +
                                     llvm::Twine(field.size()) +
                                     " values, but " + described + " needs " +
                                     llvm::Twine(*numElements));
        HostTensor tensor(*kind, shape);
        copyTypedField(field, tensor);
        return tensor;
      });
}

Expected<HostTensor> mlir::peft::readTensorProtoFile(StringRef path,
                                                     std::string *tensorName) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   "cannot read '" + path +
                                       "': " + buffer.getError().message());
  return parseTensorProto((*buffer)->getBuffer(), path, tensorName);
}

std::string mlir::peft::serializeTensorProto(const HostTensor &tensor,
                                             StringRef tensorName) {
  onnx::TensorProto proto;
  proto.set_name(tensorName.str());
  proto.set_data_type(dataTypeFromKind(tensor.getKind()));
  for (int64_t size : tensor.getShape())
    proto.add_dims(size);
  llvm::ArrayRef<char> bytes = tensor.getBytes();
  proto.set_raw_data(bytes.data(), bytes.size());
  return proto.SerializeAsString();
}

Error mlir::peft::writeTensorProtoFile(StringRef path, const HostTensor &tensor,
                                       StringRef tensorName) {
  std::string bytes = serializeTensorProto(tensor, tensorName);
  Error err = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
    os << bytes;
    return Error::success();
  });
  if (err)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot write '" + path +
                                       "': " + llvm::toString(std::move(err)));
  return Error::success();
}

Expected<HostTensor> mlir::peft::readTensorFile(StringRef path) {
  StringRef ext = llvm::sys::path::extension(path);
  if (ext == ".npy")
    return readNpyFile(path);
  if (ext == ".pb")
    return readTensorProtoFile(path);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   "cannot read '" + path +
                                       "': " + buffer.getError().message());
  StringRef bytes = (*buffer)->getBuffer();
  if (bytes.starts_with("\x93NUMPY"))
    return parseNpy(bytes, path);
  return parseTensorProto(bytes, path);
}

Expected<HostTensor> mlir::peft::readTensorFile(StringRef path,
                                                ElementKind expected) {
  Expected<HostTensor> tensor = readTensorFile(path);
  if (tensor && expected == ElementKind::BF16 &&
      tensor->getKind() == ElementKind::U16)
    return tensor->bitcast(ElementKind::BF16);
  return tensor;
}
