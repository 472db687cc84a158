//===- Npy.h - NumPy .npy files <-> HostTensor ------------------*- C++ -*-===//
//
// Format versions 1.0-3.0; little- and big-endian; C and Fortran order (both
// read into row-major); bool, int8-64, uint8-64, float16/32/64. Written files
// are version 1.0 (2.0 when the header needs it), little-endian, C order.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_SUPPORT_NPY_H
#define PEFT_SUPPORT_NPY_H

#include "peft/Support/HostTensor.h"

#include "llvm/Support/Error.h"

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir::peft {

/// Parses the bytes of a .npy file; `name` labels errors.
llvm::Expected<HostTensor> parseNpy(llvm::StringRef bytes,
                                    llvm::StringRef name);
/// Reads a .npy file.
llvm::Expected<HostTensor> readNpyFile(llvm::StringRef path);

/// Serializes `tensor` in .npy format. BF16 has no NumPy type: an error.
llvm::Error writeNpy(llvm::raw_ostream &os, const HostTensor &tensor);
/// Writes `tensor` to `path` through a temporary file renamed into place, so
/// a failure leaves no partial file.
llvm::Error writeNpyFile(llvm::StringRef path, const HostTensor &tensor);

} // namespace mlir::peft

#endif // PEFT_SUPPORT_NPY_H
