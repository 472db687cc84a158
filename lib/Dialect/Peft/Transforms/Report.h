//===- Report.h - aligned text tables the passes print ----------*- C++ -*-===//

#ifndef PEFT_LIB_DIALECT_PEFT_TRANSFORMS_REPORT_H
#define PEFT_LIB_DIALECT_PEFT_TRANSFORMS_REPORT_H

#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"

#include <string>
#include <vector>

namespace mlir::peft {

/// A table of strings printed with aligned columns and a closing line.
class TableReport {
public:
  explicit TableReport(std::vector<std::string> header)
      : rows{std::move(header)} {}
  void addRow(std::vector<std::string> row) { rows.push_back(std::move(row)); }
  size_t size() const { return rows.size() - 1; }
  void print(llvm::raw_ostream &os, StringRef footer) const;
  /// Prints to `destination`: a file, "-" for `stdoutOrStderr` ("stdout" or
  /// "stderr"), or "none" for nowhere. Emits an error at `loc` (prefixed
  /// with `pass`) and fails when the file cannot be written.
  LogicalResult write(StringRef destination, StringRef stdoutOrStderr,
                      Location loc, StringRef pass, StringRef footer) const;

private:
  std::vector<std::vector<std::string>> rows;
};

/// A location as the user knows it: an ONNX node name, or file:line:col.
std::string describeLocation(Location loc);

} // namespace mlir::peft

#endif // PEFT_LIB_DIALECT_PEFT_TRANSFORMS_REPORT_H
