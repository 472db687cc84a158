//===- VectorizeTiles.cpp - register tiles to vector.contract -------------===//
//
// peft-cpu-vectorize-tiles: the static-shaped tiles that
// peft-cpu-tile-contractions marked become vector.contract on values read
// once per tile, which convert-vector-to-llvm later turns into outer
// products (broadcast of A times a vector of B, accumulated into C).
// Half-precision operands of an f32 accumulator (f16/bf16 matmuls) are
// extended to f32 before the contract: upstream lowers only same-typed
// contracts in general (a batched one with mixed types is left behind).
//
//===----------------------------------------------------------------------===//

#include "peft/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::peft {
#define GEN_PASS_DEF_CPUVECTORIZETILES
#include "peft/Codegen/CPU/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;

namespace {

/// Extends the float operands of `contract` that are narrower than its
/// accumulator's element type to that type.
void widenOperands(RewriterBase &rewriter, vector::ContractionOp contract) {
  auto accType =
      dyn_cast<FloatType>(getElementTypeOrSelf(contract.getAccType()));
  if (!accType)
    return;
  rewriter.setInsertionPoint(contract);
  for (OpOperand *operand :
       {&contract.getLhsMutable(), &contract.getRhsMutable()}) {
    auto type = cast<VectorType>(operand->get().getType());
    auto elementType = dyn_cast<FloatType>(type.getElementType());
    if (!elementType || elementType.getWidth() >= accType.getWidth())
      continue;
    Value wide = arith::ExtFOp::create(rewriter, contract.getLoc(),
                                       type.clone(accType), operand->get());
    rewriter.modifyOpInPlace(contract, [&] { operand->set(wide); });
  }
}

struct CPUVectorizeTilesPass
    : public peft::impl::CPUVectorizeTilesBase<CPUVectorizeTilesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<linalg::LinalgOp> tiles;
    func.walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(peft::kCPUMatmulTileAttrName))
        tiles.push_back(op);
    });
    IRRewriter rewriter(ctx);
    for (linalg::LinalgOp op : tiles) {
      op->removeAttr(peft::kCPUMatmulTileAttrName);
      // Remainders that could not be given a static shape stay scalar.
      if (op.hasDynamicShape() || failed(linalg::vectorizeOpPrecondition(op)))
        continue;
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::VectorizationResult> result = linalg::vectorize(
          rewriter, op, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
          /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
          /*assumeDynamicDimsMatchVecSizes=*/false,
          /*createNamedContraction=*/true);
      if (succeeded(result))
        rewriter.replaceOp(op, result->replacements);
    }

    RewritePatternSet patterns(ctx);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorReductionToContractPatterns(patterns);
    vector::populateSinkVectorOpsPatterns(patterns);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
    func.walk([&](vector::ContractionOp contract) {
      widenOperands(rewriter, contract);
    });
  }
};

} // namespace
