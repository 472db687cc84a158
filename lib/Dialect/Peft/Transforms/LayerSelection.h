//===- LayerSelection.h - which linear layers a pass works on ---*- C++ -*-===//
//
// Hugging Face PEFT's target rules (LoraConfig's target_modules), shared by
// every pass that selects layers: `targets` entries match a module path
// exactly or as a dotted suffix, `all-linear` selects every linear layer but
// the model's output head, `target-regex` must match a whole path, `roles`
// selects by the role peft-raise-linear inferred.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_DIALECT_PEFT_TRANSFORMS_LAYERSELECTION_H
#define PEFT_LIB_DIALECT_PEFT_TRANSFORMS_LAYERSELECTION_H

#include "peft/Dialect/Peft/IR/PeftOps.h"

#include <string>

namespace mlir::peft {

/// Whether `value` reaches a function result through nothing but adapters
/// and shape-preserving data movement: the model's output head, which PEFT's
/// `all-linear` leaves out.
bool isOutputHead(Value value);

class LayerSelection {
public:
  /// Checks the options (the regex); errors are emitted at `loc` and name
  /// `pass`. An empty selection is an error unless `defaultAllLinear`, when
  /// it means `all-linear`.
  static FailureOr<LayerSelection> get(Location loc, StringRef pass,
                                       ArrayRef<std::string> targets,
                                       StringRef targetRegex,
                                       ArrayRef<LinearRole> roles,
                                       bool defaultAllLinear = false);

  bool contains(LinearLikeOpInterface layer) const;

private:
  bool allLinear = false;
  SmallVector<std::string> names;
  std::string regex;
  SmallVector<LinearRole> roles;
};

} // namespace mlir::peft

#endif // PEFT_LIB_DIALECT_PEFT_TRANSFORMS_LAYERSELECTION_H
