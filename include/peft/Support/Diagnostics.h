//===- Diagnostics.h - collect MLIR diagnostics into an llvm::Error -*- C++
//-*-===//

#ifndef PEFT_SUPPORT_DIAGNOSTICS_H
#define PEFT_SUPPORT_DIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir::peft {

/// An llvm::Error carrying `message` (no error code): how the support and
/// runtime libraries report bad input.
llvm::Error makeError(const llvm::Twine &message);

/// An error about the file or tensor `name`: "'name': message".
llvm::Error fileError(llvm::StringRef name, const llvm::Twine &message);

/// Prints `file:line:col` (or an ONNX node name) the way compilers do.
void printLocation(llvm::raw_ostream &os, Location loc);

/// Collects every diagnostic emitted in a context while alive, rendered with
/// locations, so that library calls can return them inside an llvm::Error.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(MLIRContext &ctx);

  /// An error whose message is `what`, then the collected diagnostics.
  llvm::Error error(const llvm::Twine &what) const;
  const std::string &getText() const { return text; }

private:
  std::string text;
  ScopedDiagnosticHandler handler;
};

} // namespace mlir::peft

#endif // PEFT_SUPPORT_DIAGNOSTICS_H
