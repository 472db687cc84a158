//===- Diagnostics.cpp - collect MLIR diagnostics into an llvm::Error -----===//

#include "peft/Support/Diagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"

using namespace mlir;

void mlir::peft::printLocation(llvm::raw_ostream &os, Location loc) {
  if (auto fileLoc = dyn_cast<FileLineColLoc>(loc))
    os << fileLoc.getFilename().getValue() << ":" << fileLoc.getLine() << ":"
       << fileLoc.getColumn();
  else if (auto nameLoc = dyn_cast<NameLoc>(loc))
    os << nameLoc.getName().getValue();
  else
    os << loc;
}

static llvm::StringRef severityName(DiagnosticSeverity severity) {
  switch (severity) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Note:
    return "note";
  case DiagnosticSeverity::Remark:
    return "remark";
  }
  return "error";
}

mlir::peft::DiagnosticCollector::DiagnosticCollector(MLIRContext &ctx)
    : handler(&ctx, [this](Diagnostic &diag) {
        llvm::raw_string_ostream os(text);
        printLocation(os, diag.getLocation());
        os << ": " << severityName(diag.getSeverity()) << ": " << diag << "\n";
        for (Diagnostic &note : diag.getNotes()) {
          printLocation(os, note.getLocation());
          os << ": note: " << note << "\n";
        }
        return success();
      }) {}

llvm::Error
mlir::peft::DiagnosticCollector::error(const llvm::Twine &what) const {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 what + (text.empty() ? "" : ":\n" + text));
}

llvm::Error mlir::peft::makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Error mlir::peft::fileError(llvm::StringRef name,
                                  const llvm::Twine &message) {
  return makeError("'" + name + "': " + message);
}
