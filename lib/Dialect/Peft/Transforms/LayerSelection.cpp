//===- LayerSelection.cpp - which linear layers a pass works on -----------===//

#include "LayerSelection.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Support/AdapterConfig.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace mlir::peft;

bool mlir::peft::isOutputHead(Value value) {
  SmallVector<Value> work = {value};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    for (Operation *user : v.getUsers()) {
      if (isa<func::ReturnOp>(user))
        return true;
      if (isa<AdapterOpInterface, onnx_ir::ReshapeOp, onnx_ir::TransposeOp,
              onnx_ir::CastOp, onnx_ir::IdentityOp>(user))
        llvm::append_range(work, user->getResults());
    }
  }
  return false;
}

FailureOr<LayerSelection>
LayerSelection::get(Location loc, StringRef pass, ArrayRef<std::string> targets,
                    StringRef targetRegex, ArrayRef<LinearRole> roles,
                    bool defaultAllLinear) {
  LayerSelection s;
  if (targets.empty() && targetRegex.empty() && roles.empty()) {
    if (!defaultAllLinear)
      return emitError(loc) << pass << ": no layers selected: give targets=, "
                                       "target-regex= or roles=";
    s.allLinear = true;
    return s;
  }
  for (const std::string &t : targets) {
    if (t == "all-linear")
      s.allLinear = true;
    else
      s.names.push_back(t);
  }
  if (!targetRegex.empty()) {
    if (auto translated = translatePythonRegex(targetRegex); !translated)
      return emitError(loc) << pass << ": bad target-regex '" << targetRegex
                            << "': " << llvm::toString(translated.takeError());
    s.regex = targetRegex.str();
  }
  s.roles.assign(roles.begin(), roles.end());
  return s;
}

bool LayerSelection::contains(LinearLikeOpInterface layer) const {
  std::optional<StringRef> path = layer.getModulePath();
  return llvm::is_contained(roles, layer.getLinearRole()) ||
         (allLinear && !isOutputHead(layer.getLinearOutput())) ||
         (path && matchesModuleList(names, *path)) ||
         (path && !regex.empty() && fullMatchPythonRegex(regex, *path));
}
