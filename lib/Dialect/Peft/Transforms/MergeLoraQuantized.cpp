//===- MergeLoraQuantized.cpp - LoRA into already-quantized weights -------===//
//
// Implements peft-merge-lora-quantized: dequantize, add s·B·A, requantize on
// the same grid. IR policy only; the arithmetic is numerics::addLowRank and
// quant::requantize.
//
//===----------------------------------------------------------------------===//

#include "LoraUtils.h"
#include "QuantizationUtils.h"
#include "Report.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTMERGELORAQUANTIZED
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;
namespace nm = mlir::peft::numerics;

namespace {

struct PeftMergeLoraQuantizedPass
    : public peft::impl::PeftMergeLoraQuantizedBase<
          PeftMergeLoraQuantizedPass> {
  using Base::Base;

  void runOnOperation() override {
    Operation *root = getOperation();
    constexpr StringRef pass = "peft-merge-lora-quantized";
    SmallVector<LoraOp> adapters;
    root->walk([&](LoraOp op) {
      LinearLikeOpInterface layer = op.getLayer();
      if (layer && isa<QLinearOp>(layer.getOperation()) && !op.getMerged() &&
          isSelectedAdapter(op.getAdapterName(), this->adapters))
        adapters.push_back(op);
    });
    TableReport table(
        {"path", "adapter", "rank", "requant. error", "changed ints"});
    OpBuilder builder(&getContext());
    for (LoraOp op : adapters) {
      auto q = cast<QLinearOp>(op.getLayer().getOperation());
      std::string layerName = LinearLikeOpInterface(q).describeLayer();
      if (op.getMagnitude()) {
        op.emitError() << pass << ": the DoRA adapter '" << op.getAdapterName()
                       << "' of layer " << layerName
                       << " cannot be merged into integer weights";
        return signalPassFailure();
      }
      FailureOr<quant::QuantizedMatrix> m = readQuantized(q);
      std::string where =
          " of adapter '" + op.getAdapterName().str() + "' on " + layerName;
      FailureOr<std::vector<float>> a =
          readConstantOperand<float>(op, op.getLoraA(), "lora_A" + where);
      FailureOr<std::vector<float>> b =
          readConstantOperand<float>(op, op.getLoraB(), "lora_B" + where);
      if (failed(m) || failed(a) || failed(b))
        return signalPassFailure();
      int64_t out = m->rows, in = m->cols, rank = op.getRank();
      // The unmerged float result Ŵ + s·B·A, then the same grid.
      nm::Matrix<float> target = quant::dequantize(*m);
      nm::addLowRank<float>(target.view(), nm::Layout::OutIn,
                            nm::MatrixRef<const float>(a->data(), rank, in),
                            nm::MatrixRef<const float>(b->data(), out, rank),
                            float(op.getScale().convertToDouble()));
      std::vector<int8_t> before = m->q;
      quant::requantize(target.view(), *m);
      int64_t changed = 0;
      for (size_t i = 0; i < before.size(); ++i)
        changed += before[i] != m->q[i];
      double error = quant::relativeError(target.view(), *m);

      std::string stem = getWeightStem(q);
      builder.setInsertionPoint(q);
      Value oldWeight = q.getWeight();
      Value weight = createIntegerWeight(
          builder, q.getLoc(), stem + ".qweight.merged",
          cast<RankedTensorType>(oldWeight.getType()), m->q);
      q.getWeightMutable().assign(weight);
      eraseWeightIfDead(oldWeight);
      Value loraA = op.getLoraA(), loraB = op.getLoraB();
      op.getResult().replaceAllUsesWith(op.getBase());
      op->erase();
      eraseWeightIfDead(loraA);
      eraseWeightIfDead(loraB);
      std::optional<StringRef> path = q.getPath();
      table.addRow({path ? path->str() : "<unnamed>",
                    op.getAdapterName().str(), std::to_string(rank),
                    llvm::formatv("{0:e3}", std::sqrt(error)).str(),
                    std::to_string(changed)});
    }
    if (failed(table.write(report, "stderr", root->getLoc(), pass,
                           std::to_string(table.size()) +
                               " adapter(s) merged into integer weights")))
      return signalPassFailure();
  }
};

} // namespace
