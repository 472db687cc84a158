//===- PeftAdapter.h - Hugging Face PEFT adapter files ----------*- C++ -*-===//
//
// The one reader of PEFT adapter files, shared by `peft-load-adapter` and the
// runtime adapters (`peft-run --adapter`, `Module.run(adapters=)`). It finds
// `adapter_config.json` and `adapter_model.safetensors`, parses the config
// (AdapterConfig.h), splits every safetensors key into module path, tensor
// kind and adapter name with one key grammar, and checks what can be checked
// without a model: dtypes (F32, F16, BF16, F64, by getSafeTensorsFloatKind),
// tensor ranks, the LoRA rank against the config, complete LoRA modules, DoRA
// magnitudes exactly when `use_dora`, and `bias: none`. Matching modules to
// layers and checking their sizes is the caller's business.
//
// Key grammar (`<name>` is an optional adapter name, which PEFT's
// save_pretrained leaves out):
//
//   base_model.model.<path>.lora_A[.<name>].weight                  [r, in]
//   base_model.model.<path>.lora_B[.<name>].weight                  [out, r]
//   base_model.model.<path>.lora_magnitude_vector[.<name>][.weight] [out]
//   base_model.model.<path>.ia3_l[.<name>]          [out, 1] or [1, in]
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_SUPPORT_PEFTADAPTER_H
#define PEFT_SUPPORT_PEFTADAPTER_H

#include "peft/Support/AdapterConfig.h"
#include "peft/Support/HostTensor.h"
#include "peft/Support/SafeTensors.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::peft {

/// What an adapter tensor is.
enum class AdapterTensorKind { LoraA, LoraB, Magnitude, IA3 };

/// The key segment of `kind`: "lora_A", "lora_B", "lora_magnitude_vector" or
/// "ia3_l".
llvm::StringRef getAdapterTensorKindName(AdapterTensorKind kind);

/// A safetensors key split by the key grammar.
struct AdapterKey {
  std::string modulePath;
  AdapterTensorKind kind;
  /// The adapter name in the key, "" when there is none.
  std::string adapterName;
};

/// Splits `key` by the key grammar; nullopt when it is no adapter tensor
/// (`modules_to_save` copies, embeddings, biases, ...).
std::optional<AdapterKey> parseAdapterKey(llvm::StringRef key);

/// `<modulePath>.<kind>[.<adapterName>]`, then `.weight` for lora_A and
/// lora_B: a key without its `base_model.model.` prefix, the name
/// `peft-load-adapter` and `peft-insert-lora` give the adapter's weights.
std::string getAdapterTensorName(llvm::StringRef modulePath,
                                 AdapterTensorKind kind,
                                 llvm::StringRef adapterName = "");

/// The key PEFT writes for `kind` of the module at `modulePath`:
/// `base_model.model.` + getAdapterTensorName.
std::string getAdapterKey(llvm::StringRef modulePath, AdapterTensorKind kind,
                          llvm::StringRef adapterName = "");

/// The files of an adapter.
struct AdapterFiles {
  std::string configPath;
  std::string tensorsPath;
};

/// Finds the files from `path`, which names the adapter directory (holding
/// adapter_config.json and adapter_model.safetensors) or its safetensors file
/// (with adapter_config.json beside it). Errors name the missing file; a
/// directory holding only the pickle `adapter_model.bin` is an error that
/// says so. The safetensors file itself is checked when it is opened.
llvm::Expected<AdapterFiles> locateAdapterFiles(llvm::StringRef path);

/// The tensors of one adapted module.
struct AdapterModule {
  std::string path;
  /// The adapter name of its keys ("" when they name none).
  std::string adapterName;
  const SafeTensor *loraA = nullptr;
  const SafeTensor *loraB = nullptr;
  const SafeTensor *magnitude = nullptr;
  const SafeTensor *ia3 = nullptr;

  /// The tensors present, in the order A, B, magnitude, IA³.
  llvm::SmallVector<const SafeTensor *, 3> tensors() const;
};

/// An opened adapter: its config and its tensors grouped by module.
class PeftAdapter {
public:
  /// Locates, reads and parses the adapter at `path` (see
  /// locateAdapterFiles). Fails on a bad config, `bias` other than "none", a
  /// bad safetensors file, and two tensors of the same kind for one module or
  /// with different adapter names. Other checks are per module, by
  /// checkModule, so that a caller may report an unused module first.
  static llvm::Expected<std::unique_ptr<PeftAdapter>>
  open(llvm::StringRef path);

  const AdapterConfig &getConfig() const { return config; }
  const AdapterFiles &getFiles() const { return files; }
  const SafeTensorsFile &getTensorsFile() const { return *file; }

  /// The adapted modules, sorted by path.
  llvm::ArrayRef<AdapterModule> getModules() const { return modules; }
  /// The module at `path`, or null.
  const AdapterModule *lookupModule(llvm::StringRef path) const;

  /// The tensors that are no adapter tensors of the config's PEFT type, by
  /// name.
  llvm::ArrayRef<const SafeTensor *> getOtherTensors() const { return others; }
  /// "'<key>' in '<file>' is not a LoRA adapter tensor (expected ...)".
  std::string describeOtherTensor(const SafeTensor &tensor) const;

  /// The config's rules for one module: float dtypes, 2-D A and B with rank
  /// (rows of A, columns of B) as the config gives this module (r,
  /// rank_pattern), a 1-D magnitude exactly when `use_dora`, a 2-D `ia3_l`;
  /// for LoRA both A and B. Errors name the file and the tensor.
  llvm::Error checkModule(const AdapterModule &module) const;

private:
  PeftAdapter() = default;

  AdapterFiles files;
  AdapterConfig config;
  std::unique_ptr<SafeTensorsFile> file;
  std::vector<AdapterModule> modules;
  std::vector<const SafeTensor *> others;
};

/// The elements of a float adapter tensor (row-major) as doubles, exactly;
/// an error naming the tensor for another dtype.
llvm::Expected<std::vector<double>> readAdapterTensor(const SafeTensor &tensor);

} // namespace mlir::peft

#endif // PEFT_SUPPORT_PEFTADAPTER_H
