//===- LoraUtils.h - helpers shared by the LoRA passes ----------*- C++ -*-===//
//
// Adapter selection and the layer/adapter walk that peft-merge-lora and
// peft-unmerge-lora share. The arithmetic lives in the adapters'
// merge/unmerge (AdapterOpInterface) and in peft/Support/Numerics.h.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_DIALECT_PEFT_TRANSFORMS_LORAUTILS_H
#define PEFT_LIB_DIALECT_PEFT_TRANSFORMS_LORAUTILS_H

#include "peft/Dialect/Peft/IR/PeftOps.h"

#include <string>

namespace mlir::peft {

/// Whether the adapter named `name` is one of `names` (an empty list selects
/// every adapter).
bool isSelectedAdapter(StringRef name, ArrayRef<std::string> names);

/// Changes the merge state of every selected adapter under `root`, layer by
/// layer: bottom-up when merging, top-down when unmerging, each change
/// checked against the stack rule first (checkMergeStateChange). Adapters
/// that are already in the wanted state are left alone. With `drop`, merged
/// adapters are erased afterwards. Returns failure when any change was
/// refused or failed (each with its error).
LogicalResult changeMergeState(Operation *root, ArrayRef<std::string> names,
                               bool toMerged, bool drop = false);

} // namespace mlir::peft

#endif // PEFT_LIB_DIALECT_PEFT_TRANSFORMS_LORAUTILS_H
