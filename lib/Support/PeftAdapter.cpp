//===- PeftAdapter.cpp - Hugging Face PEFT adapter files ------------------===//

#include "peft/Support/PeftAdapter.h"
#include "peft/Support/Diagnostics.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <map>

using namespace mlir::peft;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace {
constexpr StringRef kKeyPrefix = "base_model.model.";
} // namespace

StringRef mlir::peft::getAdapterTensorKindName(AdapterTensorKind kind) {
  switch (kind) {
  case AdapterTensorKind::LoraA:
    return "lora_A";
  case AdapterTensorKind::LoraB:
    return "lora_B";
  case AdapterTensorKind::Magnitude:
    return "lora_magnitude_vector";
  case AdapterTensorKind::IA3:
    return "ia3_l";
  }
  llvm_unreachable("unknown adapter tensor kind");
}

std::optional<AdapterKey> mlir::peft::parseAdapterKey(StringRef key) {
  if (!key.consume_front(kKeyPrefix))
    return std::nullopt;
  llvm::SmallVector<StringRef> parts;
  key.split(parts, '.');
  // The last kind segment decides: a module may itself be called `lora_A`.
  for (int i = int(parts.size()) - 1; i > 0; --i) {
    std::optional<AdapterTensorKind> kind =
        llvm::StringSwitch<std::optional<AdapterTensorKind>>(parts[i])
            .Case("lora_A", AdapterTensorKind::LoraA)
            .Case("lora_B", AdapterTensorKind::LoraB)
            .Case("lora_magnitude_vector", AdapterTensorKind::Magnitude)
            .Case("ia3_l", AdapterTensorKind::IA3)
            .Default(std::nullopt);
    if (!kind)
      continue;
    llvm::ArrayRef<StringRef> rest = llvm::ArrayRef(parts).drop_front(i + 1);
    bool endsInWeight = !rest.empty() && rest.back() == "weight";
    llvm::ArrayRef<StringRef> name = endsInWeight ? rest.drop_back() : rest;
    bool weightAllowed = *kind != AdapterTensorKind::IA3;
    bool weightRequired =
        *kind == AdapterTensorKind::LoraA || *kind == AdapterTensorKind::LoraB;
    if (name.size() > 1 || (endsInWeight && !weightAllowed) ||
        (!endsInWeight && weightRequired) ||
        (name.size() == 1 && name[0] == ""))
      return std::nullopt;
    return AdapterKey{llvm::join(llvm::ArrayRef(parts).take_front(i), "."),
                      *kind, name.empty() ? "" : name[0].str()};
  }
  return std::nullopt;
}

std::string mlir::peft::getAdapterTensorName(StringRef modulePath,
                                             AdapterTensorKind kind,
                                             StringRef adapterName) {
  std::string name = (modulePath + "." + getAdapterTensorKindName(kind)).str();
  if (!adapterName.empty())
    name += ("." + adapterName).str();
  if (kind == AdapterTensorKind::LoraA || kind == AdapterTensorKind::LoraB)
    name += ".weight";
  return name;
}

std::string mlir::peft::getAdapterKey(StringRef modulePath,
                                      AdapterTensorKind kind,
                                      StringRef adapterName) {
  return (kKeyPrefix + getAdapterTensorName(modulePath, kind, adapterName))
      .str();
}

Expected<AdapterFiles> mlir::peft::locateAdapterFiles(StringRef path) {
  if (!llvm::sys::fs::exists(path))
    return makeError("'" + path +
                     "' does not exist (expected a PEFT adapter directory "
                     "with adapter_config.json and adapter_model.safetensors, "
                     "or its .safetensors file)");
  AdapterFiles files;
  llvm::SmallString<256> dir(path);
  if (llvm::sys::fs::is_directory(path)) {
    llvm::SmallString<256> tensors(dir), pickle(dir);
    llvm::sys::path::append(tensors, "adapter_model.safetensors");
    llvm::sys::path::append(pickle, "adapter_model.bin");
    if (!llvm::sys::fs::exists(tensors) && llvm::sys::fs::exists(pickle))
      return makeError("'" + dir +
                       "' holds adapter_model.bin (a pickle), which is not "
                       "supported; save the adapter with "
                       "safe_serialization=True");
    files.tensorsPath = tensors.str().str();
  } else {
    files.tensorsPath = path.str();
    llvm::sys::path::remove_filename(dir);
    if (dir.empty())
      dir = ".";
  }
  llvm::SmallString<256> config(dir);
  llvm::sys::path::append(config, "adapter_config.json");
  files.configPath = config.str().str();
  if (!llvm::sys::fs::exists(files.configPath))
    return makeError("no adapter config: '" + files.configPath +
                     "' does not exist");
  return files;
}

llvm::SmallVector<const SafeTensor *, 3> AdapterModule::tensors() const {
  llvm::SmallVector<const SafeTensor *, 3> result;
  for (const SafeTensor *t : {loraA, loraB, magnitude, ia3})
    if (t)
      result.push_back(t);
  return result;
}

Expected<std::unique_ptr<PeftAdapter>> PeftAdapter::open(StringRef path) {
  auto adapter = std::unique_ptr<PeftAdapter>(new PeftAdapter());
  Expected<AdapterFiles> files = locateAdapterFiles(path);
  if (!files)
    return files.takeError();
  adapter->files = std::move(*files);
  StringRef configPath = adapter->files.configPath;
  Expected<AdapterConfig> config = readAdapterConfig(configPath);
  if (!config)
    return config.takeError();
  adapter->config = std::move(*config);
  if (adapter->config.bias != "none")
    return fileError(configPath,
                     "bias '" + adapter->config.bias +
                         "' is not supported (only adapters without trained "
                         "biases, bias 'none', can be loaded)");
  Expected<std::unique_ptr<SafeTensorsFile>> file =
      SafeTensorsFile::open(adapter->files.tensorsPath);
  if (!file)
    return file.takeError();
  adapter->file = std::move(*file);

  // Tensors are sorted by name, so the tensors of a module are adjacent but
  // for modules whose paths extend another's (`a.lora_A` < `a.b.lora_A`):
  // group through a map.
  bool isLora = adapter->config.peftType == PeftType::Lora;
  std::map<std::string, AdapterModule> byPath;
  StringRef fileName = adapter->file->getName();
  for (const SafeTensor &tensor : adapter->file->tensors()) {
    std::optional<AdapterKey> key = parseAdapterKey(tensor.name);
    if (!key || (key->kind != AdapterTensorKind::IA3) != isLora) {
      adapter->others.push_back(&tensor);
      continue;
    }
    AdapterModule &module = byPath[key->modulePath];
    const SafeTensor *&slot =
        key->kind == AdapterTensorKind::LoraA   ? module.loraA
        : key->kind == AdapterTensorKind::LoraB ? module.loraB
        : key->kind == AdapterTensorKind::IA3   ? module.ia3
                                                : module.magnitude;
    if (slot)
      return fileError(fileName, "'" + tensor.name + "' and '" + slot->name +
                                     "' are the same tensor of module '" +
                                     key->modulePath + "'");
    llvm::SmallVector<const SafeTensor *, 3> earlier = module.tensors();
    if (!earlier.empty() && module.adapterName != key->adapterName)
      return fileError(fileName, "'" + tensor.name + "' and '" +
                                     earlier.front()->name +
                                     "' name different adapters");
    module.path = key->modulePath;
    module.adapterName = key->adapterName;
    slot = &tensor;
  }
  for (auto &[modulePath, module] : byPath)
    adapter->modules.push_back(std::move(module));
  return adapter;
}

const AdapterModule *PeftAdapter::lookupModule(StringRef path) const {
  auto it = llvm::partition_point(
      modules, [&](const AdapterModule &m) { return m.path < path; });
  if (it == modules.end() || it->path != path)
    return nullptr;
  return &*it;
}

std::string PeftAdapter::describeOtherTensor(const SafeTensor &tensor) const {
  bool isLora = config.peftType == PeftType::Lora;
  return ("'" + tensor.name + "' in '" + file->getName() + "' is not a " +
          (isLora ? "LoRA" : "IA3") + " adapter tensor (expected " +
          kKeyPrefix + "<module>." +
          (isLora ? "lora_A.weight, .lora_B.weight or .lora_magnitude_vector"
                  : "ia3_l") +
          ")")
      .str();
}

Error PeftAdapter::checkModule(const AdapterModule &module) const {
  StringRef fileName = file->getName();
  for (const SafeTensor *t : module.tensors())
    if (!getSafeTensorsFloatKind(t->dtype))
      return fileError(fileName, "tensor '" + t->name + "' has dtype " +
                                     t->dtype +
                                     "; expected F32, F16, BF16 or F64");
  auto checkRank = [&](const SafeTensor *t, size_t rank) -> Error {
    if (t->shape.size() == rank)
      return Error::success();
    return fileError(fileName, "tensor '" + t->name + "' is " + t->describe() +
                                   "; expected " + llvm::Twine(rank) +
                                   " dimensions");
  };
  if (config.peftType == PeftType::IA3)
    return module.ia3 ? checkRank(module.ia3, 2) : Error::success();

  if (!module.loraA || !module.loraB)
    return makeError("module '" + module.path + "' has " +
                     (module.loraA ? "lora_A" : "lora_B") + " but no " +
                     (module.loraA ? "lora_B" : "lora_A") + " in '" + fileName +
                     "'");
  if (bool(module.magnitude) != config.useDora)
    return makeError(
        "module '" + module.path + "' " +
        (config.useDora
             ? "lacks lora_magnitude_vector although use_dora is true"
             : "has lora_magnitude_vector although use_dora is false"));
  if (Error err = checkRank(module.loraA, 2))
    return err;
  if (Error err = checkRank(module.loraB, 2))
    return err;
  if (module.magnitude)
    if (Error err = checkRank(module.magnitude, 1))
      return err;
  int64_t rank = config.rankFor(module.path);
  if (module.loraA->shape[0] != rank)
    return fileError(fileName, "lora_A '" + module.loraA->name + "' has rank " +
                                   llvm::Twine(module.loraA->shape[0]) +
                                   " but adapter_config.json gives rank " +
                                   llvm::Twine(rank) + " to module '" +
                                   module.path + "' (r / rank_pattern)");
  if (module.loraB->shape[1] != rank)
    return fileError(fileName, "lora_B '" + module.loraB->name + "' is " +
                                   module.loraB->describe() +
                                   "; its columns should be the rank, " +
                                   llvm::Twine(rank) + ", as lora_A's rows");
  return Error::success();
}

Expected<std::vector<double>>
mlir::peft::readAdapterTensor(const SafeTensor &tensor) {
  std::optional<ElementKind> kind = getSafeTensorsFloatKind(tensor.dtype);
  if (!kind)
    return makeError("tensor '" + tensor.name + "' has dtype " + tensor.dtype +
                     "; expected F32, F16, BF16 or F64");
  size_t size = getElementSize(*kind);
  std::vector<double> values(tensor.data.size() / size);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = readElementAsDouble(*kind, tensor.data.data() + i * size);
  return values;
}
