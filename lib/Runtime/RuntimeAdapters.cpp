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

/// Copies the float [rows, cols] tensor `t` into the top-left corner of
/// `out` (zero-filled), converting the element type.
llvm::Error copyPadded(const SafeTensor &t, HostTensor &out) {
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
                        outData + (r * outCols + c) * outSize);
  return llvm::Error::success();
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
      if (a->shape[1] != aSpec.shape[1] || b->shape[0] != bSpec.shape[0])
        return makeError("'" + weightsPath + "': layer '" + path +
                         "': " + a->describe() + " and " + b->describe() +
                         " do not fit the layer's [r x " +
                         llvm::Twine(aSpec.shape[1]) + "] and [" +
                         llvm::Twine(bSpec.shape[0]) + " x r]");
      if (rank > maxRank)
        return makeError("'" + weightsPath + "': layer '" + path +
                         "' has rank " + llvm::Twine(rank) +
                         ", above the model's max-rank " +
                         llvm::Twine(maxRank));
      if (llvm::Error err = copyPadded(*a, aOut))
        return err;
      if (llvm::Error err = copyPadded(*b, bOut))
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
  auto adapters = loadRuntimeAdapters(sig, sources, option);
  if (!adapters)
    return adapters.takeError();
  llvm::SmallDenseSet<int> givenIndices;
  for (const std::string &name : given)
    givenIndices.insert(sig.lookupInput(name));
  std::vector<std::pair<std::string, HostTensor>> missing;
  for (auto &[name, tensor] : *adapters)
    if (!givenIndices.contains(sig.lookupInput(name)))
      missing.emplace_back(name, std::move(tensor));
  return missing;
}
