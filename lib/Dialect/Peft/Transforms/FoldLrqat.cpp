//===- FoldLrqat.cpp - LR-QAT's low-rank term into integer weights --------===//
//
// Implements peft-fold-lrqat: IR policy only; the fold itself is
// quant::foldLowRank (peft/Support/Quantization.h).
//
//===----------------------------------------------------------------------===//

#include "QuantizationUtils.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTFOLDLRQAT
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;
namespace nm = mlir::peft::numerics;

namespace {

/// Φ0 of `op` decoded to its values (fixed point divided by 2^(8-b)).
FailureOr<std::vector<double>> readPhi(LrqatLinearOp op, StringRef where) {
  FailureOr<std::vector<double>> phi =
      readConstantOperand<double>(op, op.getPhi0(), "phi0" + where);
  if (failed(phi))
    return failure();
  if (op.isFixedPointPhi())
    for (double &v : *phi)
      v = quant::decodeFixedPoint(int8_t(v), int(op.getBits()));
  return phi;
}

LogicalResult fold(OpBuilder &builder, LrqatLinearOp op) {
  std::string where =
      " of layer " + LinearLikeOpInterface(op).describeLayer();
  FailureOr<std::vector<double>> phi = readPhi(op, where);
  if (failed(phi))
    return failure();
  FailureOr<std::vector<double>> a =
      readConstantOperand<double>(op, op.getLoraA(), "lora_a" + where);
  FailureOr<std::vector<double>> b =
      readConstantOperand<double>(op, op.getLoraB(), "lora_b" + where);
  if (failed(a) || failed(b))
    return failure();
  int64_t out = op.getOutFeatures(), in = op.getInFeatures(),
          rank = op.getRank();
  std::vector<int8_t> ints(size_t(out * in));
  quant::foldLowRank(nm::MatrixRef<const double>(phi->data(), out, in),
                     nm::MatrixRef<const double>(a->data(), out, rank),
                     nm::MatrixRef<const double>(b->data(), rank, in),
                     op.getLowRankScale(), int(op.getBits()), ints.data());

  Location loc = op.getLoc();
  builder.setInsertionPoint(op);
  std::string stem = getWeightStem(op);
  Value weight = createIntegerWeight(
      builder, loc, stem + ".qweight",
      RankedTensorType::get({out, in}, getIntType(builder.getContext(),
                                                  op.getBits())),
      ints);
  auto q = QLinearOp::create(
      builder, loc, op.getResult().getType(), op.getInput(), weight,
      op.getScales(), Value(), op.getBias(), op.getGroupSizeAttr(),
      op.getRoleAttr(), op.getPathAttr());
  Value phi0 = op.getPhi0(), loraA = op.getLoraA(), loraB = op.getLoraB();
  op.getResult().replaceAllUsesWith(q.getResult());
  op->erase();
  for (Value dead : {phi0, loraA, loraB})
    eraseWeightIfDead(dead);
  return success();
}

struct PeftFoldLrqatPass
    : public peft::impl::PeftFoldLrqatBase<PeftFoldLrqatPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<LrqatLinearOp> ops;
    getOperation()->walk([&](LrqatLinearOp op) { ops.push_back(op); });
    OpBuilder builder(&getContext());
    for (LrqatLinearOp op : ops)
      if (failed(fold(builder, op)))
        return signalPassFailure();
  }
};

} // namespace
