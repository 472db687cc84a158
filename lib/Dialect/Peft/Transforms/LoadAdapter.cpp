//===- LoadAdapter.cpp - attach a Hugging Face PEFT adapter from disk -----===//
//
// The pass works in two phases: it reads and checks every tensor of the
// adapter against the layers first, and changes the IR only when all of
// them are usable, so a bad adapter leaves the module as it was.
//
//===----------------------------------------------------------------------===//

#include "LoraUtils.h"
#include "peft/Dialect/ONNX/IR/ONNXDialect.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/AdapterConfig.h"
#include "peft/Support/SafeTensors.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <map>

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTLOADADAPTER
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {
constexpr StringLiteral kKeyPrefix = "base_model.model.";

/// The tensors of one adapted module, by role.
struct ModuleTensors {
  const SafeTensor *loraA = nullptr;
  const SafeTensor *loraB = nullptr;
  const SafeTensor *magnitude = nullptr;
  const SafeTensor *ia3 = nullptr;
};

enum class TensorRole { LoraA, LoraB, Magnitude, IA3 };

/// Splits a PEFT key into module path and role:
/// `base_model.model.<path>.lora_A[.<adapter>].weight`, `.lora_B...`,
/// `.lora_magnitude_vector[.<adapter>][.weight]`, `.ia3_l[.<adapter>]`.
std::optional<std::pair<std::string, TensorRole>> parseKey(StringRef key) {
  if (!key.consume_front(kKeyPrefix))
    return std::nullopt;
  SmallVector<StringRef> parts;
  key.split(parts, '.');
  for (int i = int(parts.size()) - 1; i > 0; --i) {
    std::optional<TensorRole> role =
        llvm::StringSwitch<std::optional<TensorRole>>(parts[i])
            .Case("lora_A", TensorRole::LoraA)
            .Case("lora_B", TensorRole::LoraB)
            .Case("lora_magnitude_vector", TensorRole::Magnitude)
            .Case("ia3_l", TensorRole::IA3)
            .Default(std::nullopt);
    if (!role)
      continue;
    ArrayRef<StringRef> rest = ArrayRef(parts).drop_front(i + 1);
    bool endsInWeight = !rest.empty() && rest.back() == "weight";
    bool valid;
    switch (*role) {
    case TensorRole::LoraA:
    case TensorRole::LoraB:
      valid = endsInWeight && rest.size() <= 2;
      break;
    case TensorRole::Magnitude:
      valid = rest.size() <= (endsInWeight ? 2u : 1u);
      break;
    case TensorRole::IA3:
      valid = rest.size() <= 1 && !endsInWeight;
      break;
    }
    if (!valid)
      return std::nullopt;
    return std::make_pair(llvm::join(ArrayRef(parts).take_front(i), "."),
                          *role);
  }
  return std::nullopt;
}

/// The element type of a float safetensors dtype, or null.
Type floatTypeOf(MLIRContext *ctx, StringRef dtype) {
  return llvm::StringSwitch<Type>(dtype)
      .Case("F32", Float32Type::get(ctx))
      .Case("F16", Float16Type::get(ctx))
      .Case("BF16", BFloat16Type::get(ctx))
      .Case("F64", Float64Type::get(ctx))
      .Default(Type());
}

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string text = "[";
  llvm::raw_string_ostream os(text);
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << "?";
        else
          os << d;
      },
      ", ");
  os << "]";
  return text;
}

/// One adapter tensor, ready to become an initializer.
struct LoadedTensor {
  std::string key;
  SmallVector<int64_t> shape; // the shape of the new initializer
  std::vector<double> values;
};

/// What to attach to one layer.
struct Attachment {
  LinearOp linear;
  std::string adapterPath; // the PEFT module path, before module-map
  std::optional<LoadedTensor> loraA, loraB, magnitude, ia3;
  double scale = 1.0;
  bool feedforward = false;
};

struct PeftLoadAdapterPass
    : public peft::impl::PeftLoadAdapterBase<PeftLoadAdapterPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  LogicalResult locateFiles(std::string &configPath, std::string &tensorsPath);
  FailureOr<std::string> mapPath(StringRef path);
  FailureOr<LoadedTensor> loadTensor(LinearOp linear, const SafeTensor &tensor,
                                     ArrayRef<int64_t> expected,
                                     StringRef what);
  LogicalResult planModule(const AdapterConfig &config, StringRef path,
                           const ModuleTensors &tensors, LinearOp linear,
                           Attachment &plan);
  void attach(Attachment &plan);
  bool reportUnmatched(const Twine &message);
  LogicalResult groupTensors(const SafeTensorsFile &file, bool isLora,
                             std::map<std::string, ModuleTensors> &modules);
  LogicalResult checkComplete(const AdapterConfig &config, StringRef path,
                              const ModuleTensors &tensors, StringRef fileName);
};
} // namespace

/// Finds adapter_config.json and adapter_model.safetensors from `path`,
/// which names the directory or the safetensors file.
LogicalResult PeftLoadAdapterPass::locateFiles(std::string &configPath,
                                               std::string &tensorsPath) {
  Operation *root = getOperation();
  if (path.empty())
    return emitError(root->getLoc(),
                     "peft-load-adapter: the 'path' option is required "
                     "(an adapter directory or its .safetensors file)");
  SmallString<256> dir(path);
  if (!llvm::sys::fs::exists(path))
    return emitError(root->getLoc(), "peft-load-adapter: '")
           << path << "' does not exist";
  if (llvm::sys::fs::is_directory(path)) {
    SmallString<256> file(dir);
    llvm::sys::path::append(file, "adapter_model.safetensors");
    SmallString<256> bin(dir);
    llvm::sys::path::append(bin, "adapter_model.bin");
    if (!llvm::sys::fs::exists(file) && llvm::sys::fs::exists(bin))
      return emitError(root->getLoc(), "peft-load-adapter: '")
             << dir
             << "' holds adapter_model.bin (a pickle), which is not "
                "supported; save the adapter with safe_serialization=True";
    tensorsPath = file.str().str();
  } else {
    tensorsPath = path;
    llvm::sys::path::remove_filename(dir);
    if (dir.empty())
      dir = ".";
  }
  SmallString<256> config(dir);
  llvm::sys::path::append(config, "adapter_config.json");
  configPath = config.str().str();
  if (!llvm::sys::fs::exists(configPath))
    return emitError(root->getLoc(), "peft-load-adapter: no adapter config: '")
           << configPath << "' does not exist";
  return success();
}

/// Applies the first `module-map` entry whose `from` is a dotted prefix of
/// `path` (an empty `from` prefixes every path).
FailureOr<std::string> PeftLoadAdapterPass::mapPath(StringRef path) {
  for (StringRef entry : moduleMap) {
    auto [from, to] = entry.split('=');
    if (!entry.contains('='))
      return emitError(getOperation()->getLoc(),
                       "peft-load-adapter: module-map entry '")
             << entry << "' is not 'from=to'";
    std::string rest;
    if (from.empty())
      rest = ("." + path).str();
    else if (path == from || path.starts_with((from + ".").str()))
      rest = path.drop_front(from.size()).str();
    else
      continue;
    if (to.empty())
      return StringRef(rest).drop_front().str();
    return (to + rest).str();
  }
  return path.str();
}

/// Decodes `tensor` after checking it has `expected` elements arranged as
/// PEFT stores them (`expected` may be a 2-D shape whose product is the
/// vector length for IA³'s `[out, 1]`).
FailureOr<LoadedTensor>
PeftLoadAdapterPass::loadTensor(LinearOp linear, const SafeTensor &tensor,
                                ArrayRef<int64_t> expected, StringRef what) {
  if (ArrayRef<int64_t>(tensor.shape) != expected)
    return linear.emitError("peft-load-adapter: ")
           << what << " '" << tensor.name << "' has shape "
           << shapeString(tensor.shape) << " but the layer "
           << (linear.getPath() ? "'" + linear.getPath()->str() + "' " : "")
           << "(in " << linear.getInFeatures() << ", out "
           << linear.getOutFeatures() << ") needs " << shapeString(expected);
  Type type = floatTypeOf(&getContext(), tensor.dtype);
  if (!type)
    return linear.emitError("peft-load-adapter: ")
           << what << " '" << tensor.name << "' has dtype " << tensor.dtype
           << "; expected F32, F16, BF16 or F64";
  LoadedTensor loaded;
  loaded.key = tensor.name;
  loaded.shape.assign(expected.begin(), expected.end());
  // Safetensors sizes were checked against the shape when the file was read.
  loaded.values = decodeWeightElements<double>(
      type, tensor.data,
      int64_t(tensor.data.size()) / (type.getIntOrFloatBitWidth() / 8));
  return loaded;
}

/// Checks the tensors of the module at `path` against `linear` and fills
/// `plan`.
LogicalResult PeftLoadAdapterPass::planModule(const AdapterConfig &config,
                                              StringRef path,
                                              const ModuleTensors &tensors,
                                              LinearOp linear,
                                              Attachment &plan) {
  plan.linear = linear;
  plan.adapterPath = path.str();
  int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
  if (ShapedType::isDynamic(in) || ShapedType::isDynamic(out))
    return linear.emitError("peft-load-adapter: the layer's weight shape "
                            "must be static");
  if (!isSupportedWeightElementType(
          linear.getResult().getType().getElementType()))
    return linear.emitError("peft-load-adapter: unsupported element type ")
           << linear.getResult().getType().getElementType();

  if (config.peftType == PeftType::IA3) {
    plan.feedforward = config.isFeedforward(path);
    SmallVector<int64_t> shape = plan.feedforward
                                     ? SmallVector<int64_t>{1, in}
                                     : SmallVector<int64_t>{out, 1};
    auto loaded =
        loadTensor(linear, *tensors.ia3, shape,
                   plan.feedforward ? "ia3_l (feedforward)" : "ia3_l");
    if (failed(loaded))
      return failure();
    loaded->shape = {loaded->shape[0] * loaded->shape[1]};
    plan.ia3 = std::move(*loaded);
    return success();
  }

  int64_t rank = config.rankFor(path);
  if (tensors.loraA->shape.size() == 2 && tensors.loraA->shape[0] != rank)
    return linear.emitError("peft-load-adapter: lora_A '")
           << tensors.loraA->name << "' has rank " << tensors.loraA->shape[0]
           << " but adapter_config.json gives rank " << rank
           << " to this module (r / rank_pattern)";
  auto a = loadTensor(linear, *tensors.loraA, {rank, in}, "lora_A");
  if (failed(a))
    return failure();
  auto b = loadTensor(linear, *tensors.loraB, {out, rank}, "lora_B");
  if (failed(b))
    return failure();
  plan.loraA = std::move(*a);
  plan.loraB = std::move(*b);
  plan.scale = config.scaleFor(path);
  if (tensors.magnitude) {
    auto m =
        loadTensor(linear, *tensors.magnitude, {out}, "lora_magnitude_vector");
    if (failed(m))
      return failure();
    plan.magnitude = std::move(*m);
  }
  return success();
}

/// Creates the initializers and the adapter op after the layer (or after
/// the adapters already stacked on it).
void PeftLoadAdapterPass::attach(Attachment &plan) {
  LinearOp linear = plan.linear;
  Value top = getAdapterStackTop(linear);
  OpBuilder builder(&getContext());
  builder.setInsertionPointAfterValue(top);
  Location loc = linear.getLoc();
  Type elementType = cast<RankedTensorType>(top.getType()).getElementType();
  StringRef layerPath = linear.getPath() ? *linear.getPath() : "";
  auto weight = [&](const LoadedTensor &t, StringRef kind) {
    std::string name = (layerPath + "." + kind + "." + adapterName).str();
    if (kind.starts_with("lora_A") || kind.starts_with("lora_B"))
      name += ".weight";
    return createWeight<double>(builder, loc, name,
                                RankedTensorType::get(t.shape, elementType),
                                t.values);
  };
  StringAttr adapter = builder.getStringAttr(adapterName);
  Operation *adapterOp;
  if (plan.ia3) {
    Value scaling = weight(*plan.ia3, "ia3_l");
    adapterOp = IA3Op::create(builder, loc, top.getType(), top, scaling,
                              plan.feedforward, adapter);
  } else {
    Value a = weight(*plan.loraA, "lora_A");
    Value b = weight(*plan.loraB, "lora_B");
    Value m = plan.magnitude ? weight(*plan.magnitude, "lora_magnitude_vector")
                             : Value();
    adapterOp = LoraOp::create(builder, loc, top.getType(), linear.getInput(),
                               top, a, b, m, /*weight_norm=*/Value(),
                               builder.getF64FloatAttr(plan.scale), adapter,
                               /*merged=*/nullptr);
  }
  top.replaceAllUsesExcept(adapterOp->getResult(0), adapterOp);
}

/// An error or, with allow-unmatched, a warning about a tensor or module the
/// module has no place for; false when it is an error.
bool PeftLoadAdapterPass::reportUnmatched(const Twine &message) {
  Location loc = getOperation()->getLoc();
  if (allowUnmatched) {
    emitWarning(loc, "peft-load-adapter: ") << message << "; ignored";
    return true;
  }
  emitError(loc, "peft-load-adapter: ") << message;
  return false;
}

/// Groups the tensors by module path, rejecting what is not an adapter
/// tensor of the config's kind.
LogicalResult PeftLoadAdapterPass::groupTensors(
    const SafeTensorsFile &file, bool isLora,
    std::map<std::string, ModuleTensors> &modules) {
  bool ok = true;
  for (const SafeTensor &tensor : file.tensors()) {
    auto parsed = parseKey(tensor.name);
    bool loraRole = parsed && parsed->second != TensorRole::IA3;
    if (!parsed || loraRole != isLora) {
      ok &= reportUnmatched(
          "'" + tensor.name + "' in '" + file.getName() + "' is not a " +
          (isLora ? "LoRA" : "IA3") +
          " adapter tensor (expected base_model.model.<module>." +
          (isLora ? "lora_A.weight, .lora_B.weight or .lora_magnitude_vector"
                  : "ia3_l") +
          ")");
      continue;
    }
    ModuleTensors &entry = modules[parsed->first];
    const SafeTensor *&slot =
        parsed->second == TensorRole::LoraA   ? entry.loraA
        : parsed->second == TensorRole::LoraB ? entry.loraB
        : parsed->second == TensorRole::IA3   ? entry.ia3
                                              : entry.magnitude;
    if (slot) {
      emitError(getOperation()->getLoc(), "peft-load-adapter: '")
          << tensor.name << "' and '" << slot->name
          << "' are the same tensor of module '" << parsed->first << "'";
      ok = false;
    }
    slot = &tensor;
  }
  return success(ok);
}

/// Checks that a LoRA module has both matrices, and a magnitude exactly when
/// the config says DoRA.
LogicalResult PeftLoadAdapterPass::checkComplete(const AdapterConfig &config,
                                                 StringRef path,
                                                 const ModuleTensors &tensors,
                                                 StringRef fileName) {
  if (config.peftType != PeftType::Lora)
    return success();
  Location loc = getOperation()->getLoc();
  if (!tensors.loraA || !tensors.loraB)
    return emitError(loc, "peft-load-adapter: module '")
           << path << "' has " << (tensors.loraA ? "lora_A" : "lora_B")
           << " but no " << (tensors.loraA ? "lora_B" : "lora_A") << " in '"
           << fileName << "'";
  if (bool(tensors.magnitude) != config.useDora)
    return emitError(loc, "peft-load-adapter: module '")
           << path << "' "
           << (config.useDora
                   ? "lacks lora_magnitude_vector although use_dora is true"
                   : "has lora_magnitude_vector although use_dora is false");
  return success();
}

void PeftLoadAdapterPass::runOnOperation() {
  Operation *root = getOperation();
  std::string configPath, tensorsPath;
  if (failed(locateFiles(configPath, tensorsPath)))
    return signalPassFailure();
  auto fail = [&](llvm::Error err) {
    emitError(root->getLoc(), "peft-load-adapter: ")
        << llvm::toString(std::move(err));
    signalPassFailure();
  };
  llvm::Expected<AdapterConfig> config = readAdapterConfig(configPath);
  if (!config)
    return fail(config.takeError());
  if (config->bias != "none")
    return fail(llvm::createStringError(
        "'" + configPath + "': bias '" + config->bias +
        "' is not supported (only adapters without trained biases, bias "
        "'none', can be loaded)"));
  llvm::Expected<std::unique_ptr<SafeTensorsFile>> file =
      SafeTensorsFile::open(tensorsPath);
  if (!file)
    return fail(file.takeError());

  std::map<std::string, ModuleTensors> modules; // sorted: stable diagnostics
  bool ok = succeeded(
      groupTensors(**file, config->peftType == PeftType::Lora, modules));

  // Layers by path; a path may occur in several functions.
  llvm::StringMap<SmallVector<LinearOp, 1>> layers;
  std::string firstPath;
  root->walk([&](LinearOp linear) {
    if (!linear.getPath())
      return;
    if (firstPath.empty())
      firstPath = linear.getPath()->str();
    layers[*linear.getPath()].push_back(linear);
  });

  std::vector<Attachment> plans;
  for (auto &[path, tensors] : modules) {
    if (failed(checkComplete(*config, path, tensors, tensorsPath))) {
      ok = false;
      continue;
    }
    FailureOr<std::string> layerPath = mapPath(path);
    if (failed(layerPath))
      return signalPassFailure();
    auto it = layers.find(*layerPath);
    if (it == layers.end()) {
      ok &= reportUnmatched(
          "module '" + path +
          (*layerPath != path ? "' (mapped to '" + *layerPath + "')" : "'") +
          " of the adapter matches no peft.linear (" +
          (firstPath.empty()
               ? std::string("there are no peft.linear layers "
                             "with a path; run "
                             "peft-raise-linear first")
               : "layers have paths like '" + firstPath + "'; see module-map") +
          ")");
      continue;
    }
    for (LinearOp linear : it->second) {
      Attachment plan;
      if (failed(planModule(*config, path, tensors, linear, plan))) {
        ok = false;
        continue;
      }
      if (plan.magnitude &&
          llvm::any_of(linear.getResult().getUsers(),
                       [](Operation *op) { return isa<LoraOp>(op); })) {
        linear.emitError("peft-load-adapter: a DoRA adapter must sit directly "
                         "on its layer, which already has an adapter");
        ok = false;
        continue;
      }
      plans.push_back(std::move(plan));
    }
  }
  if (!ok)
    return signalPassFailure();
  for (Attachment &plan : plans)
    attach(plan);
}
