//===- Cleanup.cpp - fold shape arithmetic and refine types of onnx graphs ===//

#include "peft/Dialect/ONNX/IR/ONNXFolds.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/ONNX/IR/ONNXShapes.h"
#include "peft/Dialect/ONNX/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::peft {
#define GEN_PASS_DEF_ONNXCLEANUP
#include "peft/Dialect/ONNX/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::onnx_ir;

/// Output tensor names recorded by the importer, one per result.
static constexpr StringLiteral kOutputsAttrName = "onnx.outputs";

namespace {
/// Folds onnx ops under the pass's size limit. A new constant takes the
/// location (node name) and output name of the op it replaces.
struct FoldWithLimit : public RewritePattern {
  FoldWithLimit(MLIRContext *context, int64_t maxElements)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/2, context),
        maxElements(maxElements) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<ONNXDialect>(op->getDialect()) ||
        op->hasTrait<OpTrait::ConstantLike>())
      return failure();
    SmallVector<Attribute> operands;
    for (Value operand : op->getOperands()) {
      Attribute attr;
      (void)matchPattern(operand, m_Constant(&attr));
      operands.push_back(attr);
    }
    SmallVector<OpFoldResult> folded;
    if (failed(foldONNXOp(op, operands, maxElements, folded)))
      return failure();
    // Every foldable op has one result: nothing is created before a check
    // can still fail.
    for (auto [result, fold] : llvm::zip_equal(op->getResults(), folded))
      if (auto value = dyn_cast<Value>(fold);
          value && value.getType() != result.getType())
        return failure();

    auto names = op->getAttrOfType<ArrayAttr>(kOutputsAttrName);
    SmallVector<Value> replacements;
    for (auto [result, fold] : llvm::zip_equal(op->getResults(), folded)) {
      if (auto value = dyn_cast<Value>(fold)) {
        replacements.push_back(value);
        continue;
      }
      Operation *constant = op->getDialect()->materializeConstant(
          rewriter, cast<Attribute>(fold), result.getType(), op->getLoc());
      if (!constant)
        return failure();
      if (names && result.getResultNumber() < names.size())
        constant->setAttr(
            kOutputsAttrName,
            rewriter.getArrayAttr({names[result.getResultNumber()]}));
      replacements.push_back(constant->getResult(0));
    }
    rewriter.replaceOp(op, replacements);
    return success();
  }

  int64_t maxElements;
};

/// Gives results the shapes that their operands now determine.
struct RefineResultTypes : public RewritePattern {
  RefineResultTypes(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<ONNXDialect>(op->getDialect()))
      return failure();
    bool changed = false;
    for (auto [value, shape] :
         llvm::zip_equal(op->getResults(), inferResultShapes(op))) {
      Value result = value;
      auto type = dyn_cast<TensorType>(result.getType());
      if (!shape || !type || !acceptsRefinedType(result))
        continue;
      Type refined = refineType(type, *shape);
      if (refined == type)
        continue;
      rewriter.modifyOpInPlace(op, [&] { result.setType(refined); });
      // Users may now fold or refine in turn.
      for (Operation *user : result.getUsers())
        rewriter.modifyOpInPlace(user, [] {});
      changed = true;
    }
    return success(changed);
  }
};

struct ONNXCleanupPass : public peft::impl::ONNXCleanupBase<ONNXCleanupPass> {
  using Base::Base;

  void runOnOperation() override {
    if (maxFoldElements < 0) {
      getOperation().emitError("onnx-cleanup: max-fold-elements must be >= 0");
      return signalPassFailure();
    }
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    patterns.add<FoldWithLimit>(context, maxFoldElements);
    patterns.add<RefineResultTypes>(context);
    populateONNXCanonicalizationPatterns(patterns, maxFoldElements);

    // Folding goes through FoldWithLimit; the driver's own folding would use
    // the ops' default limit. Equal constants stay apart: merging them would
    // drop initializer names.
    GreedyRewriteConfig config;
    config.enableFolding(false)
        .enableConstantCSE(false)
        .setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    // Not converging within the iteration limit still leaves a valid graph.
    (void)applyPatternsGreedily(getOperation(), std::move(patterns), config);
  }
};
} // namespace
