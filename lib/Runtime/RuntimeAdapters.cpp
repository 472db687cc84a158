//===- RuntimeAdapters.cpp - fill runtime adapter inputs from PEFT files --===//

#include "peft/Runtime/RuntimeAdapters.h"
#include "peft/Support/Diagnostics.h"
#include "peft/Support/Naming.h"
#include "peft/Support/PeftAdapter.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <cstring>
#include <map>

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::runtime;
using llvm::StringRef;

namespace {

/// The three inputs of one adapted layer (indices into the signature).
struct LayerInputs {
  int a = -1, b = -1, scale = -1;
};

/// Copies the float [rows, cols] tensor `t` into `out` (zero-filled) at
/// row `row0` and column `col0`, converting the element type.
llvm::Error copyAt(const SafeTensor &t, HostTensor &out, int64_t row0 = 0,
                   int64_t col0 = 0) {
  llvm::Expected<std::vector<double>> values = readAdapterTensor(t);
  if (!values)
    return values.takeError();
  size_t outSize = getElementSize(out.getKind());
  int64_t rows = t.shape[0], cols = t.shape[1];
  int64_t outCols = out.getShape()[1];
  char *outData = static_cast<char *>(out.getData());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      writeFloatElement(out.getKind(), (*values)[r * cols + c],
                        outData + ((row0 + r) * outCols + col0 + c) * outSize);
  return llvm::Error::success();
}

/// An error unless A [r, in] and B [out, r] fit the layer whose inputs are
/// `aSpec` ([., in]) and `bSpec` ([out, .]).
llvm::Error checkFits(const SafeTensor &a, const SafeTensor &b,
                      const TensorSpec &aSpec, const TensorSpec &bSpec,
                      StringRef weightsPath, StringRef path) {
  if (a.shape[1] == aSpec.shape[1] && b.shape[0] == bSpec.shape[0])
    return llvm::Error::success();
  return makeError("'" + weightsPath + "': layer '" + path + "': " +
                   a.describe() + " and " + b.describe() +
                   " do not fit the layer's [r x " +
                   llvm::Twine(aSpec.shape[1]) + "] and [" +
                   llvm::Twine(bSpec.shape[0]) + " x r]");
}

HostTensor zeros(const TensorSpec &spec) {
  HostTensor t(spec.kind, spec.shape);
  std::memset(t.getData(), 0, t.getNumBytes());
  return t;
}

/// Fills the inputs of one adapter from `source.dir`.
llvm::Error loadOne(const FunctionSignature &sig, const AdapterSource &source,
                    const std::map<std::string, LayerInputs> &layers,
                    std::vector<std::pair<std::string, HostTensor>> &result) {
  auto adapter = PeftAdapter::open(source.dir);
  if (!adapter)
    return adapter.takeError();
  const AdapterConfig &config = (*adapter)->getConfig();
  StringRef configPath = (*adapter)->getFiles().configPath;
  StringRef weightsPath = (*adapter)->getFiles().tensorsPath;
  if (config.peftType != PeftType::Lora)
    return makeError("'" + configPath +
                     "': only LoRA adapters can fill runtime adapter inputs");
  if (config.useDora)
    return makeError("'" + configPath +
                     "': DoRA adapters cannot run as runtime inputs (merge "
                     "them into the model instead)");

  // A module whose keys name another adapter is not this adapter's.
  auto moduleFor = [&](StringRef path) -> const AdapterModule * {
    const AdapterModule *module = (*adapter)->lookupModule(path);
    if (module && !module->adapterName.empty() &&
        module->adapterName != source.adapter)
      return nullptr;
    return module;
  };
  llvm::StringSet<> used;
  for (const auto &[path, inputs] : layers) {
    const TensorSpec &aSpec = sig.inputs[inputs.a];
    const TensorSpec &bSpec = sig.inputs[inputs.b];
    const TensorSpec &sSpec = sig.inputs[inputs.scale];
    HostTensor aOut = zeros(aSpec), bOut = zeros(bSpec), sOut = zeros(sSpec);
    if (const AdapterModule *module = moduleFor(path)) {
      used.insert(module->path);
      if (llvm::Error err = (*adapter)->checkModule(*module))
        return err;
      const SafeTensor *a = module->loraA, *b = module->loraB;
      int64_t rank = a->shape[0], maxRank = aSpec.shape[0];
      if (llvm::Error err = checkFits(*a, *b, aSpec, bSpec, weightsPath, path))
        return std::move(err);
      if (rank > maxRank)
        return makeError("'" + weightsPath + "': layer '" + path +
                         "' has rank " + llvm::Twine(rank) +
                         ", above the model's max-rank " +
                         llvm::Twine(maxRank));
      if (llvm::Error err = copyAt(*a, aOut))
        return err;
      if (llvm::Error err = copyAt(*b, bOut))
        return err;
      writeFloatElement(sOut.getKind(), config.scaleFor(path), sOut.getData());
    }
    result.emplace_back(aSpec.name, std::move(aOut));
    result.emplace_back(bSpec.name, std::move(bOut));
    result.emplace_back(sSpec.name, std::move(sOut));
  }

  if (!(*adapter)->getOtherTensors().empty())
    return makeError((*adapter)->describeOtherTensor(
        *(*adapter)->getOtherTensors().front()));
  for (const AdapterModule &module : (*adapter)->getModules())
    if (!used.contains(module.path))
      return makeError("'" + weightsPath + "': '" +
                       module.tensors().front()->name +
                       "' matches no runtime adapter input of @" + sig.name +
                       " (compile the model with peft-lora-as-inputs on that "
                       "layer, or check the module paths)");
  return llvm::Error::success();
}

} // namespace

llvm::Expected<AdapterSource>
mlir::peft::runtime::parseAdapterSource(StringRef value, StringRef option) {
  auto [name, dir] = value.split('=');
  if (!value.contains('='))
    return AdapterSource{"default", value.str()};
  if (name.empty() || dir.empty())
    return makeError(option + " expects DIR or NAME=DIR, got '" + value + "'");
  return AdapterSource{name.str(), dir.str()};
}

llvm::Expected<std::vector<std::pair<std::string, HostTensor>>>
mlir::peft::runtime::loadRuntimeAdapters(const FunctionSignature &sig,
                                         llvm::ArrayRef<AdapterSource> sources,
                                         StringRef option) {
  // adapter name -> layer path -> its three inputs.
  std::map<std::string, std::map<std::string, LayerInputs>> adapters;
  for (auto [i, spec] : llvm::enumerate(sig.inputs)) {
    std::string path, adapter;
    char which;
    if (!parseRuntimeAdapterInputName(spec.name, path, adapter, which))
      continue;
    LayerInputs &inputs = adapters[adapter][path];
    (which == 'A' ? inputs.a : which == 'B' ? inputs.b : inputs.scale) = i;
  }

  std::vector<std::pair<std::string, HostTensor>> result;
  llvm::StringSet<> seen;
  for (const AdapterSource &source : sources) {
    if (!seen.insert(source.adapter).second)
      return makeError(option + ": adapter '" + source.adapter +
                       "' given twice");
    auto it = adapters.find(source.adapter);
    if (it == adapters.end())
      return makeError(option + ": @" + sig.name +
                       " has no runtime inputs of adapter '" + source.adapter +
                       "' (compile it with peft-lora-as-inputs)");
    for (const auto &[path, inputs] : it->second) {
      if (inputs.a < 0 || inputs.b < 0 || inputs.scale < 0)
        return makeError("@" + sig.name + ": the runtime inputs of layer '" +
                         path +
                         "' are incomplete (lora_A, lora_B and "
                         "lora_scale are needed)");
      for (int index : {inputs.a, inputs.b, inputs.scale}) {
        const TensorSpec &spec = sig.inputs[index];
        int64_t expectedRank = index == inputs.scale ? 1 : 2;
        if (!isFloatKind(spec.kind) ||
            int64_t(spec.shape.size()) != expectedRank ||
            llvm::any_of(spec.shape, [](int64_t d) { return d < 0; }))
          return makeError("@" + sig.name + ": runtime adapter input " +
                           spec.describe() + " must be a static float tensor");
      }
    }
    if (llvm::Error err = loadOne(sig, source, it->second, result))
      return std::move(err);
  }
  return result;
}

llvm::Expected<std::vector<std::pair<std::string, HostTensor>>>
mlir::peft::runtime::loadMissingRuntimeAdapters(
    const FunctionSignature &sig, llvm::ArrayRef<AdapterSource> sources,
    llvm::ArrayRef<std::string> given, StringRef option) {
  return loadMissingRuntimeInputs(sig, sources, {}, given, option, option);
}

//===----------------------------------------------------------------------===//
// Runtime banks (peft-bank-as-inputs)
//===----------------------------------------------------------------------===//

namespace {
/// The four inputs of one runtime bank (indices into the signature).
struct BankInputs {
  int a = -1, b = -1, offsets = -1, scales = -1;
};
} // namespace

llvm::Expected<std::vector<std::pair<std::string, HostTensor>>>
mlir::peft::runtime::loadRuntimeBanks(const FunctionSignature &sig,
                                      llvm::ArrayRef<AdapterSource> tasks,
                                      StringRef option) {
  std::map<std::string, BankInputs> layers;
  for (auto [i, spec] : llvm::enumerate(sig.inputs)) {
    std::string path;
    char which;
    if (!parseRuntimeBankInputName(spec.name, path, which))
      continue;
    BankInputs &inputs = layers[path];
    (which == 'A'   ? inputs.a
     : which == 'B' ? inputs.b
     : which == 'o' ? inputs.offsets
                    : inputs.scales) = i;
  }
  if (layers.empty())
    return makeError(option + ": @" + sig.name +
                     " has no runtime bank inputs (compile it with "
                     "peft-bank-as-inputs)");

  // Open every task first: errors name its files.
  std::vector<std::unique_ptr<PeftAdapter>> adapters;
  llvm::StringSet<> names;
  for (const AdapterSource &task : tasks) {
    if (!names.insert(task.adapter).second)
      return makeError(option + ": task '" + task.adapter + "' given twice");
    auto adapter = PeftAdapter::open(task.dir);
    if (!adapter)
      return adapter.takeError();
    const AdapterConfig &config = (*adapter)->getConfig();
    StringRef configPath = (*adapter)->getFiles().configPath;
    if (config.peftType != PeftType::Lora || config.useDora)
      return makeError("'" + configPath +
                       "': a runtime bank task must be a plain LoRA adapter "
                       "(not DoRA or IA³)");
    if (!(*adapter)->getOtherTensors().empty())
      return makeError((*adapter)->describeOtherTensor(
          *(*adapter)->getOtherTensors().front()));
    adapters.push_back(std::move(*adapter));
  }

  std::vector<std::pair<std::string, HostTensor>> result;
  std::vector<llvm::StringSet<>> used(tasks.size());
  for (const auto &[path, inputs] : layers) {
    if (inputs.a < 0 || inputs.b < 0 || inputs.offsets < 0 || inputs.scales < 0)
      return makeError("@" + sig.name + ": the runtime bank inputs of layer '" +
                       path +
                       "' are incomplete (bank_A, bank_B, bank_offsets and "
                       "bank_scales are needed)");
    const TensorSpec &aSpec = sig.inputs[inputs.a];
    const TensorSpec &bSpec = sig.inputs[inputs.b];
    const TensorSpec &oSpec = sig.inputs[inputs.offsets];
    const TensorSpec &sSpec = sig.inputs[inputs.scales];
    for (const TensorSpec *spec : {&aSpec, &bSpec, &oSpec, &sSpec}) {
      bool isOffsets = spec == &oSpec;
      if ((isOffsets ? spec->kind != ElementKind::I64
                     : !isFloatKind(spec->kind)) ||
          int64_t(spec->shape.size()) !=
              (spec == &aSpec || spec == &bSpec ? 2 : 1) ||
          llvm::any_of(spec->shape, [](int64_t d) { return d < 0; }))
        return makeError("@" + sig.name + ": runtime bank input " +
                         spec->describe() + " must be a static " +
                         (isOffsets ? "int64" : "float") + " tensor");
    }
    int64_t capacity = aSpec.shape[0], slots = sSpec.shape[0];
    if (int64_t(tasks.size()) > slots)
      return makeError(option + ": " + llvm::Twine(tasks.size()) +
                       " tasks given but the bank of layer '" + path +
                       "' has " + llvm::Twine(slots) +
                       " slots (max-tasks of peft-bank-as-inputs)");
    HostTensor aOut = zeros(aSpec), bOut = zeros(bSpec), oOut = zeros(oSpec),
               sOut = zeros(sSpec);
    auto *offsets = static_cast<int64_t *>(oOut.getData());
    int64_t total = 0;
    std::string ranks;
    for (auto [t, adapter] : llvm::enumerate(adapters)) {
      offsets[t] = total;
      const AdapterModule *module = adapter->lookupModule(path);
      if (!module)
        continue;
      used[t].insert(module->path);
      if (llvm::Error err = adapter->checkModule(*module))
        return std::move(err);
      const SafeTensor *a = module->loraA, *b = module->loraB;
      StringRef weightsPath = adapter->getFiles().tensorsPath;
      if (llvm::Error err = checkFits(*a, *b, aSpec, bSpec, weightsPath, path))
        return std::move(err);
      int64_t rank = a->shape[0];
      ranks += (ranks.empty() ? "" : " + ") + std::to_string(rank) + " (" +
               tasks[t].adapter + ")";
      if (total + rank > capacity)
        return makeError(option + ": the tasks' ranks on layer '" + path +
                         "', " + ranks + ", exceed the bank's capacity " +
                         llvm::Twine(capacity) +
                         " (max-total-rank of peft-bank-as-inputs)");
      if (llvm::Error err = copyAt(*a, aOut, total, 0))
        return std::move(err);
      if (llvm::Error err = copyAt(*b, bOut, 0, total))
        return std::move(err);
      writeFloatElement(sOut.getKind(),
                        adapter->getConfig().scaleFor(module->path),
                        static_cast<char *>(sOut.getData()) +
                            t * getElementSize(sOut.getKind()));
      total += rank;
    }
    for (int64_t t = adapters.size(); t <= slots; ++t)
      offsets[t] = total;
    result.emplace_back(aSpec.name, std::move(aOut));
    result.emplace_back(bSpec.name, std::move(bOut));
    result.emplace_back(oSpec.name, std::move(oOut));
    result.emplace_back(sSpec.name, std::move(sOut));
  }
  for (auto [t, adapter] : llvm::enumerate(adapters))
    for (const AdapterModule &module : adapter->getModules())
      if (!used[t].contains(module.path))
        return makeError("'" + adapter->getFiles().tensorsPath + "': '" +
                         module.tensors().front()->name +
                         "' matches no runtime bank of @" + sig.name +
                         " (give that layer a bank with peft-bank-as-inputs "
                         "targets=, or check the module paths)");
  return result;
}

llvm::Expected<std::vector<std::pair<std::string, HostTensor>>>
mlir::peft::runtime::loadMissingRuntimeInputs(
    const FunctionSignature &sig, llvm::ArrayRef<AdapterSource> adapters,
    llvm::ArrayRef<AdapterSource> tasks, llvm::ArrayRef<std::string> given,
    StringRef adapterOption, StringRef taskOption) {
  std::vector<std::pair<std::string, HostTensor>> all;
  if (!adapters.empty()) {
    auto loaded = loadRuntimeAdapters(sig, adapters, adapterOption);
    if (!loaded)
      return loaded.takeError();
    all = std::move(*loaded);
  }
  if (!tasks.empty()) {
    auto loaded = loadRuntimeBanks(sig, tasks, taskOption);
    if (!loaded)
      return loaded.takeError();
    std::move(loaded->begin(), loaded->end(), std::back_inserter(all));
  }
  llvm::SmallDenseSet<int> givenIndices;
  for (const std::string &name : given)
    givenIndices.insert(sig.lookupInput(name));
  std::vector<std::pair<std::string, HostTensor>> missing;
  for (auto &[name, tensor] : all)
    if (!givenIndices.contains(sig.lookupInput(name)))
      missing.emplace_back(name, std::move(tensor));
  return missing;
}
