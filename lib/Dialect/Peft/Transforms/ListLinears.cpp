//===- ListLinears.cpp - print a table of peft.linear layers --------------===//

#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ToolOutputFile.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTLISTLINEARS
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {
/// Renders a location as the user knows it: an ONNX node name, or
/// file:line:col.
std::string describeLocation(Location loc) {
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

std::string dimString(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

struct PeftListLinearsPass
    : public peft::impl::PeftListLinearsBase<PeftListLinearsPass> {
  using Base::Base;

  void runOnOperation() override {
    using Row = std::array<std::string, 7>;
    SmallVector<Row> rows = {
        {"path", "role", "in", "out", "layout", "bias", "location"}};
    getOperation()->walk([&](LinearLikeOpInterface op) {
      std::optional<StringRef> path = op.getModulePath();
      // A layer without a dense weight (quantized, factored) has no layout.
      StringRef layout = op.getDenseWeightOperand()
                             ? stringifyEnum(op.getDenseWeightLayout())
                             : StringRef("-");
      rows.push_back({path ? path->str() : "<unnamed>",
                      stringifyEnum(op.getLinearRole()).str(),
                      dimString(op.getInFeatures()),
                      dimString(op.getOutFeatures()), layout.str(),
                      op.getBiasOperand() ? "yes" : "no",
                      describeLocation(op->getLoc())});
    });

    std::string error;
    auto file = openOutputFile(outputFile, &error);
    if (!file) {
      getOperation()->emitError("peft-list-linears: ") << error;
      return signalPassFailure();
    }
    std::array<size_t, 7> width{};
    for (const Row &row : rows)
      for (auto [i, cell] : llvm::enumerate(row))
        width[i] = std::max(width[i], cell.size());
    for (const Row &row : rows) {
      for (auto [i, cell] : llvm::enumerate(row)) {
        file->os() << cell;
        if (i + 1 != row.size())
          file->os().indent(width[i] - cell.size() + 2);
      }
      file->os() << "\n";
    }
    file->os() << (rows.size() - 1) << " linear layer"
               << (rows.size() == 2 ? "" : "s") << "\n";
    file->keep();
    markAllAnalysesPreserved();
  }
};
} // namespace
