//===- LoraUtils.h - helpers shared by the LoRA passes ----------*- C++ -*-===//
//
// Adapter selection and the layer/adapter walk that peft-merge-lora and
// peft-unmerge-lora share; matching and reading adapter files for
// peft-load-adapter and peft-add-task. The arithmetic lives in the adapters'
// merge/unmerge (AdapterOpInterface) and in peft/Support/Numerics.h.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_DIALECT_PEFT_TRANSFORMS_LORAUTILS_H
#define PEFT_LIB_DIALECT_PEFT_TRANSFORMS_LORAUTILS_H

#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Support/LowRank.h"

#include "llvm/ADT/StringMap.h"

#include <string>
#include <vector>

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

/// A LoRA adapter's factors read as double: s·B·A.
struct LoraFactors {
  numerics::Matrix<double> a, b;
  double scale = 1.0;
  lowrank::LowRankTerm getTerm() const { return {a.view(), b.view(), scale}; }
};

/// Reads A and B of `op` (constants), or emits an error at `op` naming
/// `pass` and the layer, and fails.
FailureOr<LoraFactors> readLoraFactors(LoraOp op, StringRef pass);

/// New constants holding `factors.a` and `factors.b` with `elementType`,
/// named as peft-load-adapter names the tensors of `adapter` on `layer`.
std::pair<Value, Value>
createLoraWeights(OpBuilder &builder, Location loc, LinearLikeOpInterface layer,
                  StringRef adapter, const lowrank::LowRankFactors &factors,
                  Type elementType);

/// Erases an adapter that passes its base through (its result becomes its
/// base); its parameters go when nothing else uses them.
void eraseAdapter(AdapterOpInterface adapter);
struct SafeTensor;

/// The layers below a root that have a module path, by path (a path may
/// occur in several functions).
struct LayersByPath {
  llvm::StringMap<SmallVector<LinearLikeOpInterface, 1>> layers;
  /// The first path seen, for diagnostics ("" when there is none).
  std::string firstPath;

  /// The layers at `path`, or null.
  const SmallVector<LinearLikeOpInterface, 1> *lookup(StringRef path) const;
  /// "module '<modulePath>' [(mapped to '<layerPath>')] of the adapter
  /// matches no linear layer (<hint>)".
  std::string describeUnmatched(StringRef modulePath,
                                StringRef layerPath) const;
};
LayersByPath collectLayersByPath(Operation *root);

/// Checks that an adapter can be attached to `linear` (static weight shape, a
/// float element type); errors start with `pass`.
LogicalResult checkAdaptableLayer(StringRef pass, LinearLikeOpInterface linear);

/// Decodes the adapter tensor `tensor` (described as `what`) for `linear`
/// after checking that its shape is `expected`; errors start with `pass` and
/// name the tensor, the shapes and the layer.
FailureOr<std::vector<double>>
readLayerAdapterTensor(StringRef pass, LinearLikeOpInterface linear,
                       const SafeTensor &tensor, ArrayRef<int64_t> expected,
                       StringRef what);

} // namespace mlir::peft

#endif // PEFT_LIB_DIALECT_PEFT_TRANSFORMS_LORAUTILS_H
