//===- ListModules.cpp - print the attention and MLP modules --------------===//

#include "Report.h"
#include "peft/Dialect/Peft/Analysis/ModuleRecognition.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTLISTMODULES
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {

/// `linear`'s path relative to the block prefix.
std::string relativePath(LinearLikeOpInterface linear, StringRef prefix) {
  std::optional<StringRef> path = linear.getModulePath();
  if (!path)
    return "<unnamed>";
  StringRef rel = *path;
  if (!prefix.empty() && rel.consume_front(prefix) && rel.consume_front("."))
    return rel.str();
  return path->str();
}

std::string member(StringRef role, LinearLikeOpInterface linear,
                   StringRef prefix) {
  return (role + "=" + relativePath(linear, prefix)).str();
}

std::string projection(StringRef role, const Projection &p, StringRef prefix) {
  std::string text = member(role, p.linear, prefix);
  if (p.isFused())
    text += llvm::formatv("[{0}:{1}]", p.begin, p.end).str();
  return text;
}

std::string shapeString(Value value) {
  auto type = dyn_cast_or_null<ShapedType>(value ? value.getType() : Type());
  if (!type || !type.hasRank())
    return "?";
  SmallVector<std::string> dims;
  for (int64_t d : type.getShape())
    dims.push_back(ShapedType::isDynamic(d) ? "?" : std::to_string(d));
  return llvm::join(dims, "x");
}

std::string formatScale(double scale) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%.6g", scale);
  return text;
}

/// Where a residual stream value comes from: its op's location (for an
/// imported model, the ONNX node name), or the function argument.
std::string valueName(Value value) {
  if (auto arg = dyn_cast<BlockArgument>(value))
    return "arg" + std::to_string(arg.getArgNumber());
  std::string name = describeLocation(value.getDefiningOp()->getLoc());
  if (value.getDefiningOp()->getNumResults() > 1)
    name += "#" + std::to_string(cast<OpResult>(value).getResultNumber());
  return name;
}

std::string plural(size_t n, StringRef word) {
  return std::to_string(n) + " " + word.str() + (n == 1 ? "" : "s");
}

struct PeftListModulesPass
    : public peft::impl::PeftListModulesBase<PeftListModulesPass> {
  using Base::Base;

  void runOnOperation() override {
    FailureOr<ModelModules> modules = recognizeModules(getOperation());
    if (failed(modules))
      return signalPassFailure();
    TableReport table({"block", "prefix", "module", "heads", "kv_heads",
                       "head_dim", "groups", "rotary", "table", "scale",
                       "activation", "inter", "x_in", "x_out", "linears"});
    size_t attentions = 0, mlps = 0;
    for (const TransformerBlock &block : modules->blocks) {
      std::string index = std::to_string(block.index);
      std::string prefix = block.pathPrefix.empty() ? "-" : block.pathPrefix;
      std::string in = valueName(block.input), out = valueName(block.output);
      if (const std::optional<AttentionModule> &a = block.attention) {
        ++attentions;
        SmallVector<std::string> linears;
        bool fused = a->q.linear == a->k.linear;
        if (fused)
          linears = {projection("q", a->q, block.pathPrefix),
                     projection("k", a->k, block.pathPrefix),
                     projection("v", a->v, block.pathPrefix)};
        else
          linears = {member("q", a->q.linear, block.pathPrefix),
                     member("k", a->k.linear, block.pathPrefix),
                     member("v", a->v.linear, block.pathPrefix)};
        linears.push_back(member("o", a->o, block.pathPrefix));
        bool rotary = a->rotary.kind != RotaryKind::None;
        table.addRow({index, prefix, "attention",
                      std::to_string(a->numQueryHeads),
                      std::to_string(a->numKVHeads), std::to_string(a->headDim),
                      std::to_string(a->groups),
                      stringifyRotaryKind(a->rotary.kind).str(),
                      rotary ? shapeString(a->rotary.cos) : "-",
                      a->scale ? formatScale(*a->scale) : "?", "-", "-", in,
                      out, llvm::join(linears, ",")});
      }
      if (const std::optional<MLPModule> &m = block.mlp) {
        ++mlps;
        SmallVector<std::string> linears;
        if (m->gate)
          linears.push_back(member("gate", m->gate, block.pathPrefix));
        linears.push_back(member("up", m->up, block.pathPrefix));
        linears.push_back(member("down", m->down, block.pathPrefix));
        table.addRow({index, prefix, "mlp", "-", "-", "-", "-", "-", "-", "-",
                      stringifyActivationKind(m->activation).str(),
                      std::to_string(m->getIntermediateSize()), in, out,
                      llvm::join(linears, ",")});
      }
    }
    for (LinearLikeOpInterface linear : modules->unassigned)
      table.addRow({"-", "-", "none", "-", "-", "-", "-", "-", "-", "-", "-",
                    "-", "-", "-",
                    member(stringifyEnum(linear.getLinearRole()), linear, "")});
    std::string footer = plural(modules->blocks.size(), "block") + ", " +
                         std::to_string(attentions) + " attention, " +
                         std::to_string(mlps) + " mlp, " +
                         plural(modules->unassigned.size(), "linear") +
                         " in no module";
    if (failed(table.write(outputFile, "stdout", getOperation()->getLoc(),
                           "peft-list-modules", footer)))
      return signalPassFailure();
    markAllAnalysesPreserved();
  }
};
} // namespace
