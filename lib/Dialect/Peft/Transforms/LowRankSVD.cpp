//===- LowRankSVD.cpp - peft.linear -> peft.lowrank by truncated SVD ------===//
//
// Implements peft-lowrank-svd: option checks, selection, statistics lookup
// and IR policy only; the SVDs, whitening and rank rules are
// peft/Support/LowRankFactorization.h, the statistics file
// peft/Support/CalibrationStats.h.
//
//===----------------------------------------------------------------------===//

#include "ModegptRewrite.h"
#include "QuantizationUtils.h"
#include "Report.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/CalibrationStats.h"
#include "peft/Support/LowRankFactorization.h"

#include "llvm/Support/FormatVariadic.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTLOWRANKSVD
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;
using numerics::Matrix;

namespace {

constexpr StringLiteral kPass = "peft-lowrank-svd";

/// Adapters that read the layer's dense weight (DoRA, feedforward IA³) or
/// are folded into it (merged) cannot stay on a factored layer.
LogicalResult checkAdapters(LinearLikeOpInterface layer) {
  for (AdapterOpInterface adapter : getAdapterStack(layer)) {
    if (adapter.isMerged())
      return layer->emitError()
             << kPass << ": layer " << layer.describeLayer()
             << " has the merged adapter " << adapter.describeAdapter()
             << ": unmerge it first (the factorization would absorb it)";
    if (!adapter.passesBaseThrough())
      return layer->emitError()
             << kPass << ": layer " << layer.describeLayer()
             << " carries the adapter " << adapter.describeAdapter()
             << ", which reads the layer's dense weight; merge or remove it "
                "first";
  }
  return success();
}

struct PeftLowRankSvdPass
    : public peft::impl::PeftLowRankSvdBase<PeftLowRankSvdPass> {
  using Base::Base;

  /// The rank rule the options give, or an error at `loc`.
  FailureOr<lowrank::RankSpec> getRankSpec(Location loc) {
    int given =
        int(rank.hasValue()) + int(ratio.hasValue()) + int(energy.hasValue());
    if (given != 1)
      return emitError(loc) << kPass
                            << ": give exactly one of rank=, ratio= or "
                               "energy= (got "
                            << given << ")";
    if (rank.hasValue()) {
      if (rank < 1)
        return emitError(loc)
               << kPass << ": rank must be >= 1, got " << int64_t(rank);
      return lowrank::RankSpec{lowrank::RankRule::Rank, double(rank)};
    }
    if (ratio.hasValue()) {
      if (!(ratio >= 0 && ratio < 1))
        return emitError(loc) << kPass
                              << ": ratio must be in [0, 1) (the "
                                 "fraction of parameters removed), got "
                              << double(ratio);
      return lowrank::RankSpec{lowrank::RankRule::Ratio, double(ratio)};
    }
    if (!(energy > 0 && energy <= 1))
      return emitError(loc)
             << kPass << ": energy must be in (0, 1], got " << double(energy);
    return lowrank::RankSpec{lowrank::RankRule::Energy, double(energy)};
  }

  /// The factorization of `layer`'s weight `w`, whitened with the
  /// statistics when `stats` is set; diagnostics at the layer.
  FailureOr<lowrank::Factorization> factor(LinearLikeOpInterface layer,
                                           const Matrix<double> &w,
                                           const lowrank::RankSpec &spec,
                                           const CalibrationStats *stats) {
    auto fail = [&](llvm::Error err) {
      return layer->emitError() << kPass << ": layer " << layer.describeLayer()
                                << ": " << llvm::toString(std::move(err));
    };
    if (!stats) {
      auto f = lowrank::truncatedSvd(w, spec);
      if (!f)
        return fail(f.takeError());
      return std::move(*f);
    }
    std::optional<StringRef> path = layer.getModulePath();
    if (!path)
      return layer->emitError()
             << kPass
             << ": a layer without a module path has no "
                "calibration statistics (whitening=activation)";
    int64_t in = w.getCols();
    auto cov = stats->getInputCovariance(*path, in);
    if (!cov)
      return fail(cov.takeError());
    if (cov->tokens < in)
      layer->emitWarning() << kPass << ": layer " << layer.describeLayer()
                           << " was calibrated on " << cov->tokens
                           << " tokens, fewer than its " << in
                           << " input features: its covariance is "
                              "rank-deficient (lambda = "
                           << double(lambda) << " regularizes it)";
    auto s = lowrank::whiteningFactor(cov->xtx, lambda);
    if (!s)
      return fail(s.takeError());
    auto f = lowrank::whitenedSvd(w, *s, spec);
    if (!f)
      return fail(f.takeError());
    return std::move(*f);
  }

  void runOnOperation() override {
    Operation *root = getOperation();
    Location loc = root->getLoc();
    FailureOr<lowrank::RankSpec> spec = getRankSpec(loc);
    if (failed(spec))
      return signalPassFailure();
    bool whitened = whitening == LowRankWhitening::Activation;
    if (whitened && stats.empty()) {
      emitError(loc) << kPass
                     << ": whitening=activation needs a calibration "
                        "statistics file (stats=)";
      return signalPassFailure();
    }
    if (!whitened && !stats.empty()) {
      emitError(loc) << kPass
                     << ": stats= is read only with whitening=activation";
      return signalPassFailure();
    }
    if (!(lambda >= 0) || !std::isfinite(lambda)) {
      emitError(loc) << kPass << ": lambda must be finite and >= 0, got "
                     << double(lambda);
      return signalPassFailure();
    }
    FailureOr<SmallVector<LinearLikeOpInterface>> layers =
        selectFloatLayers(root, kPass, targets, targetRegex, roles);
    if (failed(layers))
      return signalPassFailure();
    std::optional<CalibrationStats> calibration;
    if (whitened) {
      auto read = CalibrationStats::read(stats);
      if (!read) {
        emitError(loc) << kPass << ": " << llvm::toString(read.takeError());
        return signalPassFailure();
      }
      calibration = std::move(*read);
    }

    std::vector<std::string> header = {"path",          "rank",
                                       "params before", "params after",
                                       "energy kept",   "pred. error"};
    if (whitened)
      header.push_back("rel. whitened error");
    TableReport table(header);
    OpBuilder builder(&getContext());
    for (LinearLikeOpInterface layer : *layers) {
      int64_t in = layer.getInFeatures(), out = layer.getOutFeatures();
      if (ShapedType::isDynamic(in) || ShapedType::isDynamic(out)) {
        layer->emitError() << kPass << ": layer " << layer.describeLayer()
                           << " has a dynamic weight shape";
        return signalPassFailure();
      }
      if (failed(checkAdapters(layer)))
        return signalPassFailure();
      FailureOr<Matrix<double>> w =
          readLinearWeight(layer, kPass, /*inOut=*/false);
      if (failed(w))
        return signalPassFailure();
      FailureOr<lowrank::Factorization> f =
          factor(layer, *w, *spec, calibration ? &*calibration : nullptr);
      if (failed(f))
        return signalPassFailure();
      int64_t k = f->getRank();
      std::string stem = getWeightStem(layer);
      std::vector<std::string> row = {
          stem,
          std::to_string(k),
          std::to_string(out * in),
          std::to_string(k * (out + in)),
          llvm::formatv("{0:f4}", f->energyKept()).str(),
          llvm::formatv("{0:e3}", f->droppedEnergy()).str()};
      if (whitened)
        row.push_back(llvm::formatv("{0:e3}", 1.0 - f->energyKept()).str());
      table.addRow(std::move(row));
      replace(builder, layer, *f, stem);
    }
    if (failed(
            table.write(report, "stderr", loc, kPass,
                        std::to_string(layers->size()) + " layer(s) factored")))
      return signalPassFailure();
  }

  /// Creates the factors before `layer` and a peft.lowrank on its input and
  /// bias; the layer is replaced and its dead weight released.
  void replace(OpBuilder &builder, LinearLikeOpInterface layer,
               const lowrank::Factorization &f, StringRef stem) {
    MLIRContext *ctx = builder.getContext();
    Location loc = layer->getLoc();
    builder.setInsertionPoint(layer);
    auto result = cast<RankedTensorType>(layer.getLinearOutput().getType());
    Type elementType = result.getElementType();
    int64_t k = f.getRank();
    Value u = createWeight<double>(
        builder, loc, (stem + ".lowrank_u").str(),
        RankedTensorType::get({f.u.getRows(), k}, elementType), f.u.values());
    Value v = createWeight<double>(
        builder, loc, (stem + ".lowrank_v").str(),
        RankedTensorType::get({k, f.v.getCols()}, elementType), f.v.values());
    OpOperand *bias = layer.getBiasOperand();
    std::optional<StringRef> path = layer.getModulePath();
    auto op =
        LowRankOp::create(builder, loc, result, layer.getLinearInput(), u, v,
                          bias ? bias->get() : Value(),
                          LinearRoleAttr::get(ctx, layer.getLinearRole()),
                          path ? builder.getStringAttr(*path) : StringAttr());
    replaceLayer(layer, op);
  }
};

} // namespace
