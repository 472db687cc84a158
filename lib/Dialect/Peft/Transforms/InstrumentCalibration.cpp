//===- InstrumentCalibration.cpp - calibration statistics as outputs ------===//
//
// peft-instrument-calibration appends to every public function results that
// hold the calibration statistics of one call: Σ XᵀX at the input of every
// linear-like layer and the number of rows it summed. The driver
// (lib/API/Calibration.cpp) adds each result into the statistics named by its
// `peft.calibration` attribute, in f64, over all calibration inputs.
//
//===----------------------------------------------------------------------===//

#include "CalibrationIR.h"
#include "peft/Dialect/Peft/Analysis/ModuleRecognition.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTINSTRUMENTCALIBRATION
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {
constexpr StringLiteral kPass = "peft-instrument-calibration";

struct PeftInstrumentCalibrationPass
    : public peft::impl::PeftInstrumentCalibrationBase<
          PeftInstrumentCalibrationPass> {
  using Base::Base;
  void runOnOperation() override;

  /// Instruments one function; false after an error.
  bool instrument(func::FuncOp fn, llvm::StringSet<> &paths);

  bool wants(StringRef what) const {
    return statistics.empty() || llvm::is_contained(statistics, what);
  }
};
} // namespace

bool PeftInstrumentCalibrationPass::instrument(func::FuncOp fn,
                                               llvm::StringSet<> &paths) {
  // The layers of each distinct input value, in program order.
  llvm::MapVector<Value, SmallVector<std::string, 3>> layersByInput;
  DenseMap<Value, int64_t> featuresByInput;
  bool ok = true;
  fn.walk([&](LinearLikeOpInterface layer) {
    std::optional<StringRef> path = layer.getModulePath();
    if (!path || path->empty()) {
      layer.emitWarning(kPass)
          << ": the layer has no module path; it is not calibrated";
      return;
    }
    if (!paths.insert(*path).second) {
      layer.emitError(kPass) << ": two layers have the module path '" << *path
                             << "'; statistics are keyed by path";
      ok = false;
      return;
    }
    auto type = dyn_cast<RankedTensorType>(layer.getLinearInput().getType());
    if (!type || type.getRank() == 0 ||
        ShapedType::isDynamic(layer.getInFeatures()) ||
        !isa<FloatType>(type.getElementType())) {
      layer.emitError(kPass) << ": the layer's input must be a ranked float "
                                "tensor with a known number of features";
      ok = false;
      return;
    }
    layersByInput[layer.getLinearInput()].push_back(path->str());
    featuresByInput[layer.getLinearInput()] = layer.getInFeatures();
  });
  if (!ok || layersByInput.empty())
    return ok;

  // Heads and blocks need the modules of the graph.
  std::optional<ModelModules> modules;
  if (wants("heads") || wants("blocks")) {
    FailureOr<ModelModules> recognized = recognizeModules(fn);
    if (failed(recognized)) {
      fn.emitError(kPass) << ": per-head and block statistics need the "
                             "graph's modules (statistics=inputs gathers "
                             "the layer inputs only)";
      return false;
    }
    modules = std::move(*recognized);
  }

  auto ret = cast<func::ReturnOp>(fn.getBody().back().getTerminator());
  if (!keepOutputs) {
    llvm::BitVector all(fn.getNumResults(), true);
    if (failed(fn.eraseResults(all)))
      return false;
    ret.getOperandsMutable().clear();
  }
  OpBuilder b(ret);
  CalibrationStatistics stats;
  for (auto [input, layers] : layersByInput) {
    SmallVector<std::string> gramKeys, countKeys;
    for (const std::string &path : layers) {
      gramKeys.push_back(path + ".input_xtx");
      countKeys.push_back(path + ".input_tokens");
    }
    Location loc = input.getLoc();
    // The features may be known from the weight only (a reshape computed
    // at run time feeds o_proj).
    auto type = cast<RankedTensorType>(input.getType());
    if (type.isDynamicDim(type.getRank() - 1)) {
      SmallVector<int64_t> shape(type.getShape());
      shape.back() = featuresByInput[input];
      input = tensor::CastOp::create(b, loc, type.clone(shape), input);
    }
    stats.add(buildGram(b, loc, input), gramKeys);
    stats.add(buildRowCount(b, loc, input), countKeys);
  }
  if (modules) {
    for (TransformerBlock &block : modules->blocks) {
      std::optional<AttentionModule> &attention = block.attention;
      if (wants("heads") && attention) {
        LinearLikeOpInterface qLayer = attention->q.linear;
        LinearLikeOpInterface kLayer = attention->k.linear;
        std::optional<StringRef> qPath = qLayer.getModulePath();
        std::optional<StringRef> kPath = kLayer.getModulePath();
        if (!qPath || !kPath) {
          qLayer.emitError(kPass)
              << ": the attention's q and k layers need module paths";
          return false;
        }
        // A fused qkv has one path: the keys say which states they hold.
        std::string qKey = qPath->str(), kKey = kPath->str();
        const HeadStates &q = attention->query, &k = attention->key;
        Location loc = q.value.getLoc();
        stats.add(buildHeadGram(b, loc, q.value, q.headAxis, q.dimAxis),
                  {qKey + ".q_gram"});
        stats.add(buildHeadGram(b, loc, k.value, k.headAxis, k.dimAxis),
                  {kKey + ".k_gram"});
        stats.add(buildHeadRowCount(b, loc, q.value, q.headAxis, q.dimAxis),
                  {qKey + ".qk_tokens"});
      }
      if (wants("blocks") && block.input && block.output) {
        std::string key = block.pathPrefix.empty()
                              ? "blocks." + std::to_string(block.index)
                              : block.pathPrefix;
        stats.add(buildCosineDistance(b, block.output.getLoc(), block.input,
                                      block.output),
                  {key + ".block_influence"});
      }
    }
  }
  return succeeded(stats.appendTo(fn, ret));
}

void PeftInstrumentCalibrationPass::runOnOperation() {
  ModuleOp module = getOperation();
  llvm::StringSet<> paths;
  bool ok = true;
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn.isPublic() && !fn.isExternal())
      ok &= instrument(fn, paths);
  if (!ok)
    return signalPassFailure();
  if (paths.empty()) {
    emitError(module.getLoc(), kPass)
        << ": no linear layer with a module path to calibrate (run "
           "peft-raise-linear first)";
    return signalPassFailure();
  }
}
