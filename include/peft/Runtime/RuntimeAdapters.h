//===- RuntimeAdapters.h - adapter inputs from PEFT files -------*- C++ -*-===//
//
// A model compiled after `peft-lora-as-inputs` takes each adapter as three
// inputs, `<path>.lora_A[.<adapter>].weight` ([max-rank, in]),
// `<path>.lora_B[.<adapter>].weight` ([out, max-rank]) and
// `<path>.lora_scale[.<adapter>]` ([1]). `peft-run --adapter` and Python's
// `Module.run(adapters=...)` fill them from Hugging Face PEFT adapter
// directories (or their safetensors files), read by PeftAdapter.h as
// `peft-load-adapter` reads them: A and B zero-padded to max-rank, the scale
// from adapter_config.json (alpha/r or alpha/sqrt(r), rank_pattern and
// alpha_pattern applied), zeros for layers the adapter does not cover. One
// compiled module thereby runs any adapter of rank <= max-rank.
//
// Likewise, after `peft-bank-as-inputs`, `peft-run --task-adapter` and
// `Module.run(tasks=...)` fill the runtime banks with a list of tasks.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_RUNTIME_RUNTIMEADAPTERS_H
#define PEFT_RUNTIME_RUNTIMEADAPTERS_H

#include "peft/Runtime/CPURuntime.h"
#include "peft/Support/HostTensor.h"

#include "llvm/Support/Error.h"

#include <string>
#include <utility>
#include <vector>

namespace mlir::peft::runtime {

/// One adapter directory (or safetensors file) and the adapter name whose
/// inputs it fills.
struct AdapterSource {
  std::string adapter;
  std::string dir;
};

/// Parses `DIR` (the adapter named "default") or `NAME=DIR`. `option` names
/// the setting in the error ("--adapter" for peft-run).
llvm::Expected<AdapterSource> parseAdapterSource(llvm::StringRef value,
                                                 llvm::StringRef option);

/// The tensors of every runtime adapter input of `sig` that belongs to one
/// of `sources`, by input name. Errors name the file and the key or input;
/// those about the sources themselves start with `option`.
llvm::Expected<std::vector<std::pair<std::string, HostTensor>>>
loadRuntimeAdapters(const FunctionSignature &sig,
                    llvm::ArrayRef<AdapterSource> sources,
                    llvm::StringRef option);

/// loadRuntimeAdapters, less the inputs the caller gives itself: `given`
/// names them as `sig.lookupInput` does (onnx.name or argN), and explicit
/// inputs win. Every source is still read and checked in full.
llvm::Expected<std::vector<std::pair<std::string, HostTensor>>>
loadMissingRuntimeAdapters(const FunctionSignature &sig,
                           llvm::ArrayRef<AdapterSource> sources,
                           llvm::ArrayRef<std::string> given,
                           llvm::StringRef option);

/// The inputs of every runtime bank of `sig` (peft-bank-as-inputs:
/// `<path>.bank_A`, `.bank_B`, `.bank_offsets`, `.bank_scales`) filled from
/// `tasks`, in order: task t's A rows and B columns follow those of the
/// tasks before it, at its own rank (0 on a layer it does not adapt), its
/// scale from its adapter_config.json; unused slots and rows are zero-rank
/// and zero. Errors: no bank inputs, more tasks than slots, ranks above a
/// bank's capacity (naming the layer and the ranks), a module that matches
/// no bank, a DoRA or IA³ task, and the adapter file errors. `option` starts
/// the errors about the tasks themselves ("--task-adapter").
llvm::Expected<std::vector<std::pair<std::string, HostTensor>>>
loadRuntimeBanks(const FunctionSignature &sig,
                 llvm::ArrayRef<AdapterSource> tasks, llvm::StringRef option);

/// loadRuntimeAdapters for `adapters` and loadRuntimeBanks for `tasks`
/// (each skipped when empty), less the inputs in `given`.
llvm::Expected<std::vector<std::pair<std::string, HostTensor>>>
loadMissingRuntimeInputs(const FunctionSignature &sig,
                         llvm::ArrayRef<AdapterSource> adapters,
                         llvm::ArrayRef<AdapterSource> tasks,
                         llvm::ArrayRef<std::string> given,
                         llvm::StringRef adapterOption,
                         llvm::StringRef taskOption);

} // namespace mlir::peft::runtime

#endif // PEFT_RUNTIME_RUNTIMEADAPTERS_H
