//===- Calibration.cpp - gather calibration statistics on the CPU ---------===//

#include "peft/API/Calibration.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::api;

namespace {
llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}
} // namespace

Calibrator::~Calibrator() = default;

llvm::Expected<std::unique_ptr<Calibrator>>
Calibrator::create(const Module &model, const CalibrationOptions &options) {
  // What the statistics describe, from the model as given.
  llvm::json::Array layers;
  model.get().walk([&](LinearLikeOpInterface layer) {
    std::optional<StringRef> path = layer.getModulePath();
    if (!path)
      return;
    layers.push_back(
        llvm::json::Object{{"path", *path},
                           {"role", stringifyEnum(layer.getLinearRole())},
                           {"in", layer.getInFeatures()},
                           {"out", layer.getOutFeatures()}});
  });

  std::unique_ptr<Calibrator> calibrator(new Calibrator(model.clone()));
  calibrator->options = options;
  std::string layersText;
  llvm::raw_string_ostream(layersText) << llvm::json::Value(std::move(layers));
  calibrator->layers = std::move(layersText);
  if (llvm::Error err = calibrator->model.runPipeline(
          "peft-instrument-calibration{keep-outputs=false}"))
    return std::move(err);
  auto exe = calibrator->model.getExecutable();
  if (!exe)
    return exe.takeError();
  auto fn = (*exe)->getFunction(options.entry);
  if (!fn)
    return fn.takeError();
  calibrator->function = *fn;

  auto func = calibrator->model.get().lookupSymbol<func::FuncOp>((*fn)->name);
  if (!func)
    return makeError("calibration: no function @" + (*fn)->name);
  for (unsigned i = 0, e = func.getNumResults(); i < e; ++i) {
    auto keys = func.getResultAttrOfType<ArrayAttr>(i, "peft.calibration");
    if (!keys)
      return makeError("calibration: result " + llvm::Twine(i) + " of @" +
                       (*fn)->name + " is not a statistic");
    std::vector<std::string> names;
    for (auto key : keys.getAsValueRange<StringAttr>()) {
      names.push_back(key.str());
      if (key.ends_with(calib::kInputXtx))
        calibrator->covariances.emplace_back(
            key.drop_back(calib::kInputXtx.size()).str(),
            cast<RankedTensorType>(func.getResultTypes()[i]).getDimSize(0));
    }
    calibrator->resultKeys.push_back(std::move(names));
  }
  return std::move(calibrator);
}

llvm::Error
Calibrator::add(llvm::ArrayRef<std::pair<std::string, HostTensor>> inputs) {
  auto outputs = model.run(inputs, function->name);
  if (!outputs)
    return outputs.takeError();
  int64_t tokens = 0;
  for (auto [keys, output] : llvm::zip_equal(resultKeys, *outputs)) {
    const HostTensor &tensor = output.second;
    ElementKind kind = tensor.getKind();
    if (kind != ElementKind::F32 && kind != ElementKind::F64 &&
        kind != ElementKind::I64)
      return makeError("calibration: statistic '" + keys.front() + "' is " +
                       tensor.describe() + ", not f32/f64/i64");
    // Widened once, however many statistics the result adds to.
    std::vector<double> wide;
    if (kind == ElementKind::F32) {
      llvm::ArrayRef<float> values = tensor.getValues<float>();
      wide.assign(values.begin(), values.end());
    }
    for (const std::string &key : keys) {
      if (kind == ElementKind::I64) {
        llvm::ArrayRef<int64_t> counts = tensor.getValues<int64_t>();
        if (llvm::Error err =
                stats.accumulateI64(key, tensor.getShape(), counts))
          return err;
        if (llvm::StringRef(key).ends_with(calib::kInputTokens))
          tokens = std::max(tokens, counts.front());
        continue;
      }
      llvm::ArrayRef<double> values = kind == ElementKind::F32
                                          ? llvm::ArrayRef<double>(wide)
                                          : tensor.getValues<double>();
      if (llvm::Error err = stats.accumulateF64(key, tensor.getShape(), values))
        return err;
    }
  }
  ++numSamples;
  numTokens += tokens;
  return llvm::Error::success();
}

const CalibrationStats &Calibrator::getStatistics() {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "{\"model\": " << llvm::json::Value(options.modelName)
     << ", \"samples\": " << numSamples << ", \"tokens\": " << numTokens
     << ", \"layers\": " << layers << "}";
  stats.setDescription(std::move(text));
  return stats;
}

std::vector<std::string> Calibrator::getWarnings() const {
  std::vector<std::string> warnings;
  for (auto &[path, features] : covariances) {
    auto tokens = stats.getI64(path + calib::kInputTokens.str(), {1});
    if (!tokens) {
      llvm::consumeError(tokens.takeError());
      continue;
    }
    if (tokens->front() < features)
      warnings.push_back(path + ": " + std::to_string(tokens->front()) +
                         " calibration tokens for " + std::to_string(features) +
                         " input features: Σ XᵀX is rank-deficient (the "
                         "passes regularize it with lambda)");
  }
  return warnings;
}

llvm::Error Calibrator::write(llvm::StringRef path) {
  return getStatistics().write(path);
}
