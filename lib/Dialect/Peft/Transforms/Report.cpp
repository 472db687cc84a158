//===- Report.cpp - aligned text tables the passes print ------------------===//

#include "Report.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace mlir::peft;

void TableReport::print(llvm::raw_ostream &os, StringRef footer) const {
  std::vector<size_t> width;
  for (const auto &row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  }
  for (const auto &row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      os << row[i];
      if (i + 1 != row.size())
        os.indent(width[i] - row[i].size() + 2);
    }
    os << "\n";
  }
  if (!footer.empty())
    os << footer << "\n";
}

LogicalResult TableReport::write(StringRef destination,
                                 StringRef stdoutOrStderr, Location loc,
                                 StringRef pass, StringRef footer) const {
  if (destination == "none")
    return success();
  if (destination == "-" && stdoutOrStderr == "stderr") {
    print(llvm::errs(), footer);
    return success();
  }
  std::string error;
  auto file = openOutputFile(destination, &error);
  if (!file)
    return emitError(loc) << pass << ": " << error;
  print(file->os(), footer);
  file->keep();
  return success();
}

std::string mlir::peft::describeLocation(Location loc) {
  if (auto nameLoc = dyn_cast<NameLoc>(loc))
    return nameLoc.getName().str();
  if (auto fileLoc = dyn_cast<FileLineColLoc>(loc))
    return llvm::formatv("{0}:{1}:{2}", fileLoc.getFilename().getValue(),
                         fileLoc.getLine(), fileLoc.getColumn())
        .str();
  if (auto fused = dyn_cast<FusedLoc>(loc);
      fused && !fused.getLocations().empty())
    return describeLocation(fused.getLocations().front());
  return "-";
}
