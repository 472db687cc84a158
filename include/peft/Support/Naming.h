//===- Naming.h - module paths and ONNX node scopes -------------*- C++ -*-===//
//
// torch.onnx names a node by the scope of the module that runs it:
// `/model/layers.0/self_attn/q_proj/MatMul` for the module path
// `model.layers.0.self_attn.q_proj`. The importer reads paths out of node
// names and the exporter (and passes that add nodes) writes them back; both
// directions live here so that they stay each other's inverse. So do the
// names of runtime adapter inputs, made by peft-lora-as-inputs and read back
// by the runtime that fills them from adapter files.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_SUPPORT_NAMING_H
#define PEFT_SUPPORT_NAMING_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace mlir::peft {

/// The ONNX node scope of a module path, as the torch exporter writes it:
/// `model.layers.0.mlp` -> `/model/layers.0/mlp` (a numeric component stays
/// joined to its parent by a dot).
std::string getNodeScope(llvm::StringRef modulePath);

/// The module path of the node named `nodeName`, whose last component is the
/// op: `/model/layers.0/mlp/MatMul` -> `model.layers.0.mlp`. "" when the name
/// has no scope.
std::string getModulePathFromNodeName(llvm::StringRef nodeName);

/// The names of the three inputs `peft-lora-as-inputs` makes for the adapter
/// `adapter` on the layer at `modulePath`: PEFT's safetensors keys without
/// their `base_model.model.` prefix, `<path>.lora_A.weight`,
/// `<path>.lora_B.weight` and `<path>.lora_scale` for the adapter "default",
/// with `.<adapter>` before `.weight` (and after `lora_scale`) otherwise.
struct RuntimeAdapterInputNames {
  std::string loraA, loraB, scale;
};
RuntimeAdapterInputNames getRuntimeAdapterInputNames(llvm::StringRef modulePath,
                                                     llvm::StringRef adapter);

/// The inverse of getRuntimeAdapterInputNames for one name: the layer path,
/// the adapter and which input it is ('A', 'B' or 's' for the scale); false
/// when `name` is not such an input name.
bool parseRuntimeAdapterInputName(llvm::StringRef name, std::string &modulePath,
                                  std::string &adapter, char &which);

/// The names of the four inputs `peft-bank-as-inputs` makes for the bank on
/// the layer at `modulePath`: `<path>.bank_A` ([capacity, in]),
/// `<path>.bank_B` ([out, capacity]), `<path>.bank_offsets` ([tasks + 1],
/// int64) and `<path>.bank_scales` ([tasks]).
struct RuntimeBankInputNames {
  std::string loraA, loraB, offsets, scales;
};
RuntimeBankInputNames getRuntimeBankInputNames(llvm::StringRef modulePath);

/// The inverse of getRuntimeBankInputNames for one name: the layer path and
/// which input it is ('A', 'B', 'o' or 's'); false for any other name.
bool parseRuntimeBankInputName(llvm::StringRef name, std::string &modulePath,
                               char &which);

} // namespace mlir::peft

#endif // PEFT_SUPPORT_NAMING_H
