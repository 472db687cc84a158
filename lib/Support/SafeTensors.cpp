//===- SafeTensors.cpp - memory-mapped, validated .safetensors files ------===//
//
// Validation follows the reference implementation (huggingface/safetensors):
// known dtypes, non-negative shapes, `end - begin == numel * size`, offsets
// inside the data section and no two tensors sharing bytes. Unlike it, gaps
// between tensors are accepted: they are harmless to a reader.
//
//===----------------------------------------------------------------------===//

#include "peft/Support/SafeTensors.h"
#include "peft/Support/Diagnostics.h"
#include "peft/Support/ShapeArithmetic.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/JSON.h"

#include <algorithm>

using namespace mlir::peft;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace {
Error tensorError(StringRef file, StringRef tensor,
                  const llvm::Twine &message) {
  return fileError(file, "tensor '" + tensor + "': " + message);
}

/// Reads a JSON integer array; fails on anything else or negative values.
bool readNonNegativeInts(const llvm::json::Value *value,
                         llvm::SmallVectorImpl<int64_t> &out) {
  const llvm::json::Array *array = value ? value->getAsArray() : nullptr;
  if (!array)
    return false;
  for (const llvm::json::Value &element : *array) {
    std::optional<int64_t> v = element.getAsInteger();
    if (!v || *v < 0)
      return false;
    out.push_back(*v);
  }
  return true;
}
} // namespace

unsigned mlir::peft::getSafeTensorsDTypeSize(StringRef dtype) {
  return llvm::StringSwitch<unsigned>(dtype)
      .Cases({"F64", "I64", "U64", "C64"}, 8)
      .Cases({"F32", "I32", "U32"}, 4)
      .Cases({"F16", "BF16", "I16", "U16"}, 2)
      .Cases({"I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2", "F8_E8M0"}, 1)
      .Default(0);
}

std::optional<ElementKind>
mlir::peft::getSafeTensorsFloatKind(StringRef dtype) {
  return llvm::StringSwitch<std::optional<ElementKind>>(dtype)
      .Case("F16", ElementKind::F16)
      .Case("BF16", ElementKind::BF16)
      .Case("F32", ElementKind::F32)
      .Case("F64", ElementKind::F64)
      .Default(std::nullopt);
}

int64_t SafeTensor::getNumElements() const {
  // parse() accepted only shapes whose products fit, so this cannot fail.
  return getCheckedNumElements(shape).value_or(0);
}

std::string SafeTensor::describe() const {
  std::string text = dtype + "[";
  llvm::raw_string_ostream os(text);
  llvm::interleave(shape, os, "x");
  os << "]";
  return text;
}

Expected<std::unique_ptr<SafeTensorsFile>>
SafeTensorsFile::open(StringRef path) {
  // No null terminator and not volatile: the file can be mapped, not read.
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false,
                                            /*IsVolatile=*/false);
  if (!buffer)
    return fileError(path, "cannot open: " + buffer.getError().message());
  return parse(std::move(*buffer), path);
}

Expected<std::unique_ptr<SafeTensorsFile>>
SafeTensorsFile::parse(std::unique_ptr<llvm::MemoryBuffer> buffer,
                       StringRef name) {
  StringRef bytes = buffer->getBuffer();
  if (bytes.size() < 8)
    return fileError(name,
                     "not a safetensors file: " + llvm::Twine(bytes.size()) +
                         " bytes, shorter than the 8-byte header length");
  uint64_t headerSize = llvm::support::endian::read64le(bytes.data());
  if (headerSize > bytes.size() - 8)
    return fileError(name, "header length " + llvm::Twine(headerSize) +
                               " runs past the end of the file (" +
                               llvm::Twine(bytes.size()) + " bytes)");
  StringRef headerText = bytes.substr(8, headerSize);
  StringRef dataSection = bytes.substr(8 + headerSize);

  Expected<llvm::json::Value> header = llvm::json::parse(headerText);
  if (!header)
    return fileError(name,
                     "bad JSON header: " + llvm::toString(header.takeError()));
  const llvm::json::Object *root = header->getAsObject();
  if (!root)
    return fileError(name, "the JSON header is not an object");

  auto file = std::unique_ptr<SafeTensorsFile>(new SafeTensorsFile());
  file->name = name.str();
  for (const auto &[key, value] : *root) {
    StringRef tensorName = key;
    if (tensorName == "__metadata__") {
      const llvm::json::Object *meta = value.getAsObject();
      if (!meta)
        return fileError(name, "'__metadata__' is not an object");
      for (const auto &[metaKey, metaValue] : *meta) {
        std::optional<StringRef> text = metaValue.getAsString();
        if (!text)
          return fileError(name, "'__metadata__' entry '" + StringRef(metaKey) +
                                     "' is not a string");
        file->meta[metaKey.str()] = text->str();
      }
      continue;
    }
    const llvm::json::Object *entry = value.getAsObject();
    if (!entry)
      return tensorError(name, tensorName, "header entry is not an object");
    for (const auto &field : *entry)
      if (!llvm::is_contained({"dtype", "shape", "data_offsets"},
                              StringRef(field.first)))
        return tensorError(name, tensorName,
                           "unknown header field '" + StringRef(field.first) +
                               "'");
    SafeTensor tensor;
    tensor.name = tensorName.str();
    std::optional<StringRef> dtype = entry->getString("dtype");
    if (!dtype)
      return tensorError(name, tensorName, "missing or non-string 'dtype'");
    tensor.dtype = dtype->str();
    unsigned elementSize = getSafeTensorsDTypeSize(*dtype);
    if (!elementSize)
      return tensorError(name, tensorName,
                         "unknown or unsupported dtype '" + *dtype + "'");
    if (!readNonNegativeInts(entry->get("shape"), tensor.shape))
      return tensorError(name, tensorName,
                         "'shape' must be an array of non-negative integers");
    llvm::SmallVector<int64_t, 2> offsets;
    if (!readNonNegativeInts(entry->get("data_offsets"), offsets) ||
        offsets.size() != 2)
      return tensorError(name, tensorName,
                         "'data_offsets' must be [begin, end], two "
                         "non-negative integers");
    uint64_t begin = offsets[0], end = offsets[1];
    if (begin > end || end > dataSection.size())
      return tensorError(name, tensorName,
                         "data_offsets [" + llvm::Twine(begin) + ", " +
                             llvm::Twine(end) +
                             "] are out of range of the data section (" +
                             llvm::Twine(dataSection.size()) + " bytes)");
    // The product must not wrap around (a saturating product is not enough:
    // a later zero would bring it back to 0 and hide the overflow).
    std::optional<int64_t> expected =
        getCheckedNumBytes(tensor.shape, elementSize);
    if (!expected || uint64_t(*expected) != end - begin)
      return tensorError(name, tensorName,
                         llvm::Twine(end - begin) + " bytes of data for " +
                             tensor.describe() + ", which needs " +
                             (expected ? std::to_string(*expected)
                                       : std::string("more than 2^63")));
    tensor.data = llvm::ArrayRef<char>(dataSection.data() + begin, end - begin);
    file->entries.push_back(std::move(tensor));
  }

  // Overlap check on byte ranges sorted by start; empty tensors share none.
  std::vector<const SafeTensor *> byOffset;
  for (const SafeTensor &t : file->entries)
    if (!t.data.empty())
      byOffset.push_back(&t);
  llvm::sort(byOffset, [](const SafeTensor *a, const SafeTensor *b) {
    return a->data.data() < b->data.data();
  });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    const SafeTensor *prev = byOffset[i - 1], *cur = byOffset[i];
    if (cur->data.data() < prev->data.end())
      return tensorError(name, cur->name,
                         "data overlaps tensor '" + prev->name + "'");
  }

  llvm::sort(file->entries, [](const SafeTensor &a, const SafeTensor &b) {
    return a.name < b.name;
  });
  file->buffer = std::move(buffer);
  return file;
}

const SafeTensor *SafeTensorsFile::lookup(StringRef tensorName) const {
  auto it = llvm::partition_point(
      entries, [&](const SafeTensor &t) { return t.name < tensorName; });
  if (it == entries.end() || it->name != tensorName)
    return nullptr;
  return &*it;
}
