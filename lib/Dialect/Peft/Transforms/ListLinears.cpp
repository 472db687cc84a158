//===- ListLinears.cpp - print a table of peft.linear layers --------------===//

#include "Report.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"

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
std::string dimString(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

struct PeftListLinearsPass
    : public peft::impl::PeftListLinearsBase<PeftListLinearsPass> {
  using Base::Base;

  void runOnOperation() override {
    TableReport table({"path", "op", "role", "in", "out", "layout", "bias",
                       "weight", "location"});
    getOperation()->walk([&](LinearLikeOpInterface op) {
      std::optional<StringRef> path = op.getModulePath();
      // A layer without a dense weight (quantized, factored) has no layout.
      StringRef layout = op.getDenseWeightOperand()
                             ? stringifyEnum(op.getDenseWeightLayout())
                             : StringRef("-");
      // The weight the layer computes with: the dense one, else the first
      // constant operand after the input (a packed integer weight, Φ0).
      std::string weight = "-";
      for (Value v : op->getOperands().drop_front())
        if (std::optional<Weight> w = Weight::lookup(v)) {
          if (!w->getName().empty())
            weight = w->getName().str();
          break;
        }
      table.addRow({path ? path->str() : "<unnamed>",
                    op->getName().stripDialect().str(),
                    stringifyEnum(op.getLinearRole()).str(),
                    dimString(op.getInFeatures()),
                    dimString(op.getOutFeatures()), layout.str(),
                    op.getBiasOperand() ? "yes" : "no", weight,
                    describeLocation(op->getLoc())});
    });
    std::string footer = std::to_string(table.size()) + " linear layer" +
                         (table.size() == 1 ? "" : "s");
    if (failed(table.write(outputFile, "stdout", getOperation()->getLoc(),
                           "peft-list-linears", footer)))
      return signalPassFailure();
    markAllAnalysesPreserved();
  }
};
} // namespace
