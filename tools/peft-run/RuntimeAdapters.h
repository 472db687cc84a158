//===- RuntimeAdapters.h - adapter inputs from PEFT files -------*- C++ -*-===//
//
// A model compiled after `peft-lora-as-inputs` takes each adapter as three
// inputs, `<path>.lora_A[.<adapter>].weight` ([max-rank, in]),
// `<path>.lora_B[.<adapter>].weight` ([out, max-rank]) and
// `<path>.lora_scale[.<adapter>]` ([1]). `peft-run --adapter` fills them from
// a Hugging Face PEFT adapter directory: A and B zero-padded to max-rank, the
// scale from adapter_config.json (alpha/r or alpha/sqrt(r), rank_pattern and
// alpha_pattern applied), zeros for layers the adapter does not cover.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_TOOLS_PEFT_RUN_RUNTIMEADAPTERS_H
#define PEFT_TOOLS_PEFT_RUN_RUNTIMEADAPTERS_H

#include "peft/Runtime/CPURuntime.h"
#include "peft/Support/HostTensor.h"

#include "llvm/Support/Error.h"

#include <string>
#include <utility>
#include <vector>

namespace mlir::peft {

/// One `--adapter` entry: `DIR` (the adapter named "default") or
/// `NAME=DIR`.
struct AdapterSource {
  std::string adapter;
  std::string dir;
};

llvm::Expected<AdapterSource> parseAdapterSource(llvm::StringRef value);

/// The tensors of every runtime adapter input of `sig` that belongs to one
/// of `sources`, by input name. Errors name the file and the key or input.
llvm::Expected<std::vector<std::pair<std::string, HostTensor>>>
loadRuntimeAdapters(const runtime::FunctionSignature &sig,
                    llvm::ArrayRef<AdapterSource> sources);

} // namespace mlir::peft

#endif // PEFT_TOOLS_PEFT_RUN_RUNTIMEADAPTERS_H
