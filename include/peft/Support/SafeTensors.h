//===- SafeTensors.h - memory-mapped .safetensors files ---------*- C++ -*-===//
//
// A safetensors file is an 8-byte little-endian header length N, N bytes of
// JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, ...,
// "__metadata__": {string: string}}` and then the data section; offsets are
// relative to the start of the data section. The header is validated in full
// when the file is opened, so every `SafeTensor::data` is in bounds and has
// exactly `product(shape) * dtype size` bytes.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_SUPPORT_SAFETENSORS_H
#define PEFT_SUPPORT_SAFETENSORS_H

#include "peft/Support/HostTensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mlir::peft {

/// One tensor of a safetensors file; `data` points into the mapped file.
struct SafeTensor {
  std::string name;
  /// The dtype as spelled in the header: "F32", "BF16", "I64", ...
  std::string dtype;
  llvm::SmallVector<int64_t, 4> shape;
  /// Little-endian elements, row-major; not necessarily aligned.
  llvm::ArrayRef<char> data;

  int64_t getNumElements() const;
  /// "F32[4x16]", for diagnostics.
  std::string describe() const;
};

/// The size in bytes of one element of a safetensors dtype ("F32" -> 4), or
/// 0 when the dtype is unknown or not byte-sized (F4, F6_*).
unsigned getSafeTensorsDTypeSize(llvm::StringRef dtype);

/// The HostTensor kind of a float dtype ("F16", "BF16", "F32", "F64"), or
/// nullopt for any other dtype.
std::optional<ElementKind> getSafeTensorsFloatKind(llvm::StringRef dtype);

class SafeTensorsFile {
public:
  /// Memory-maps `path` and validates its header. Errors name the file and,
  /// where there is one, the offending tensor.
  static llvm::Expected<std::unique_ptr<SafeTensorsFile>>
  open(llvm::StringRef path);

  /// Validates an in-memory file; `name` labels errors.
  static llvm::Expected<std::unique_ptr<SafeTensorsFile>>
  parse(std::unique_ptr<llvm::MemoryBuffer> buffer, llvm::StringRef name);

  /// The tensors, sorted by name.
  llvm::ArrayRef<SafeTensor> tensors() const { return entries; }
  /// The tensor called `name`, or null.
  const SafeTensor *lookup(llvm::StringRef name) const;
  /// The `__metadata__` entries (empty when there are none).
  const std::map<std::string, std::string> &metadata() const { return meta; }
  /// The path (or name) the file was opened with.
  llvm::StringRef getName() const { return name; }

private:
  SafeTensorsFile() = default;

  std::unique_ptr<llvm::MemoryBuffer> buffer;
  std::string name;
  std::vector<SafeTensor> entries;
  std::map<std::string, std::string> meta;
};

} // namespace mlir::peft

#endif // PEFT_SUPPORT_SAFETENSORS_H
