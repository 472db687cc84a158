//===- HostTensor.h - a dense tensor in host memory -------------*- C++ -*-===//
//
// The value that crosses every boundary of the CPU runtime: read from .npy or
// ONNX TensorProto files, handed to JIT-compiled code as a memref, returned by
// it, written back out. Row-major, densely packed, 64-byte aligned when this
// class allocates it; a tensor may also view memory owned by someone else
// (a numpy array, a buffer malloc'ed by generated code).
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_SUPPORT_HOSTTENSOR_H
#define PEFT_SUPPORT_HOSTTENSOR_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace mlir::peft {

/// Element types a HostTensor can hold (the ONNX tensor types that have a
/// fixed byte size).
enum class ElementKind : uint8_t {
  Bool,
  I8,
  I16,
  I32,
  I64,
  U8,
  U16,
  U32,
  U64,
  F16,
  BF16,
  F32,
  F64,
};

/// Bytes per element (Bool: one byte holding 0 or 1).
size_t getElementSize(ElementKind kind);
/// Short name used in messages: "f32", "i64", "bool", ...
llvm::StringRef getElementKindName(ElementKind kind);
/// The inverse of getElementKindName.
std::optional<ElementKind> parseElementKind(llvm::StringRef name);
/// "2x?x384" (negative sizes print as '?'); "scalar" for rank 0.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

class HostTensor {
public:
  HostTensor() = default;
  /// Allocates a zero-filled tensor.
  HostTensor(ElementKind kind, llvm::ArrayRef<int64_t> shape);

  /// A tensor over `data`, which `owner` keeps alive (null: borrowed memory
  /// that must outlive the tensor).
  static HostTensor view(ElementKind kind, llvm::ArrayRef<int64_t> shape,
                         void *data, std::shared_ptr<void> owner);

  ElementKind getKind() const { return kind; }
  llvm::ArrayRef<int64_t> getShape() const { return shape; }
  int64_t getRank() const { return shape.size(); }
  int64_t getNumElements() const;
  size_t getNumBytes() const { return getNumElements() * getElementSize(kind); }
  void *getData() { return data; }
  const void *getData() const { return data; }
  llvm::ArrayRef<char> getBytes() const {
    return {static_cast<const char *>(data), getNumBytes()};
  }
  template <typename T> llvm::ArrayRef<T> getValues() const {
    return {static_cast<const T *>(data), size_t(getNumElements())};
  }
  template <typename T> llvm::MutableArrayRef<T> getMutableValues() {
    return {static_cast<T *>(data), size_t(getNumElements())};
  }
  /// "f32[2x7x384]".
  std::string describe() const;
  /// The same bytes seen as `newKind`, which must have the element size of
  /// this tensor's kind (shares the memory).
  HostTensor bitcast(ElementKind newKind) const;

private:
  ElementKind kind = ElementKind::F32;
  llvm::SmallVector<int64_t, 4> shape;
  void *data = nullptr;
  std::shared_ptr<void> owner;
};

/// Element-wise comparison of two tensors of the same kind and shape, in
/// double precision. A pair matches when |a - b| <= atol + rtol * |b|
/// (numpy.allclose with `expected` as b); NaNs match only NaNs. The
/// relative error is taken over the elements where b != 0.
struct CompareResult {
  double maxAbsError = 0;
  double maxRelError = 0;
  int64_t numMismatches = 0;
  /// Row-major index of the worst mismatch (or of the largest error).
  int64_t worstIndex = -1;
  double worstActual = 0, worstExpected = 0;
};
CompareResult compareTensors(const HostTensor &actual,
                             const HostTensor &expected, double rtol,
                             double atol);

/// The value of element `index` as a double (f16/bf16 converted).
double getElementAsDouble(const HostTensor &tensor, int64_t index);

/// The kind of an MLIR element type (signless integers are signed, i1 is
/// bool), or nullopt for types a HostTensor cannot hold.
std::optional<ElementKind> getElementKind(Type type);

/// Whether `kind` is f16, bf16, f32 or f64.
bool isFloatKind(ElementKind kind);

/// One element of `kind` stored at `p` (host byte order), as a double.
double readElementAsDouble(ElementKind kind, const void *p);

/// Stores `value` as one element of the float kind `kind` at `p`, rounded to
/// nearest even: a single rounding from double.
void writeFloatElement(ElementKind kind, double value, void *p);

} // namespace mlir::peft

#endif // PEFT_SUPPORT_HOSTTENSOR_H
