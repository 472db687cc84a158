//===- TileContractions.cpp - register tiles for matmuls on tensors -------===//
//
// peft-cpu-tile-contractions: matmuls are first cut into L2-sized panels of
// B, then into register tiles: an 8x32 block of C held in vector registers
// across the whole K loop (16 AVX-512 registers), fed by broadcasts of A and
// two vector loads of B per k, the classic outer-product micro-kernel (made
// by peft-cpu-vectorize-tiles). Shapes may be dynamic: full tiles are peeled
// from partial ones, and a partial tile is tiled again with smaller static
// tiles (M 8 -> 1, N 32 -> 8 -> 1), so no mask is ever needed.
//
//===----------------------------------------------------------------------===//

#include "peft/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::peft {
#define GEN_PASS_DEF_CPUTILECONTRACTIONS
#include "peft/Codegen/CPU/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;

namespace {

/// On a tile loop whose last iteration may be partial.
constexpr llvm::StringLiteral kPeelAttr = "peft.peel";

/// The M, N and K loops of a contraction the micro-kernel can run: one of
/// each plus batch loops, with N the innermost dimension of B and of C so
/// that both are read as contiguous vectors.
struct MatmulDims {
  SmallVector<int64_t> batch;
  int64_t m, n, k;
};

std::optional<MatmulDims> getMatmulDims(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
      dims->k.size() != 1 || op.getNumLoops() != dims->batch.size() + 3)
    return std::nullopt;
  unsigned n = dims->n.front();
  auto innermostIsN = [&](OpOperand &operand) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    return map.getNumResults() > 0 &&
           map.getResults().back() == getAffineDimExpr(n, op.getContext());
  };
  if (!innermostIsN(op->getOpOperand(1)) ||
      !innermostIsN(*op.getDpsInitOperand(0)))
    return std::nullopt;
  MatmulDims result{{}, dims->m.front(), n, dims->k.front()};
  result.batch.assign(dims->batch.begin(), dims->batch.end());
  return result;
}

/// Tiles `op` with `tileSizes` (0: not tiled) in `interchange` order (empty:
/// as is), records `state` (if any) on the tile op and marks the loops of
/// the `peel` dims with a step above 1 for peeling. Returns the tile op.
FailureOr<linalg::LinalgOp> tile(RewriterBase &rewriter, linalg::LinalgOp op,
                                 ArrayRef<int64_t> tileSizes,
                                 ArrayRef<int64_t> interchange,
                                 ArrayRef<int64_t> state,
                                 ArrayRef<int64_t> peel) {
  MLIRContext *ctx = op.getContext();
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(ctx, tileSizes));
  if (!interchange.empty())
    options.setInterchange(interchange);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return failure();
  rewriter.replaceOp(op, tiled->replacements);
  auto tileOp = dyn_cast<linalg::LinalgOp>(tiled->tiledOps.back());
  if (!tileOp)
    return failure();
  if (!state.empty())
    tileOp->setAttr(peft::kCPUMatmulTileAttrName,
                    DenseI64ArrayAttr::get(ctx, state));
  // One loop per tiled dim, outermost first, in interchange order.
  SmallVector<int64_t> order(interchange);
  if (order.empty())
    order = llvm::to_vector(llvm::seq<int64_t>(0, tileSizes.size()));
  auto loop = tiled->loops.begin();
  for (int64_t dim : order) {
    if (tileSizes[dim] == 0 || loop == tiled->loops.end())
      continue;
    auto forOp = dyn_cast<scf::ForOp>((loop++)->getOperation());
    if (forOp && tileSizes[dim] > 1 && llvm::is_contained(peel, dim))
      forOp->setAttr(kPeelAttr, UnitAttr::get(ctx));
  }
  return tileOp;
}

/// Gives `op` its own zero-filled (or otherwise filled) destination when it
/// shares a `linalg.fill` with other ops. CSE merges the identical fills of,
/// say, every MatMul of a model, and bufferization then copies the shared
/// buffer before each write (a strided memrefCopy once C is tiled in
/// panels). An alloc_tensor is never merged: each op gets a fill it writes
/// in place.
void privatizeFilledInit(RewriterBase &rewriter, linalg::LinalgOp op) {
  for (OpOperand &init : op.getDpsInitsMutable()) {
    auto fill = init.get().getDefiningOp<linalg::FillOp>();
    if (!fill || fill->getResult(0).hasOneUse())
      continue;
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    auto type = cast<RankedTensorType>(init.get().getType());
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0, e = type.getRank(); d < e; ++d)
      if (type.isDynamicDim(d))
        dynamicSizes.push_back(
            tensor::DimOp::create(rewriter, loc, init.get(), d));
    Value alloc =
        bufferization::AllocTensorOp::create(rewriter, loc, type, dynamicSizes);
    Value filled = linalg::FillOp::create(rewriter, loc, fill.getInputs(),
                                          ValueRange{alloc})
                       .getResult(0);
    rewriter.modifyOpInPlace(op, [&] { init.set(filled); });
  }
}

/// Peels the marked loops, outermost first, until none is left: the inner
/// loops of a peeled loop are cloned into its partial iteration, marks and
/// all, and are peeled there too. Afterwards the full tiles have constant
/// sizes (affine.min folded) and the partial ones dynamic sizes.
void peelMarkedLoops(RewriterBase &rewriter, func::FuncOp func) {
  while (true) {
    scf::ForOp marked;
    func.walk<WalkOrder::PreOrder>([&](scf::ForOp forOp) {
      if (!forOp->hasAttr(kPeelAttr))
        return WalkResult::advance();
      marked = forOp;
      return WalkResult::interrupt();
    });
    if (!marked)
      return;
    marked->removeAttr(kPeelAttr);
    scf::ForOp partial;
    rewriter.setInsertionPoint(marked);
    (void)scf::peelForLoopAndSimplifyBounds(rewriter, marked, partial);
  }
}

struct CPUTileContractionsPass
    : public peft::impl::CPUTileContractionsBase<CPUTileContractionsPass> {
  using CPUTileContractionsBase::CPUTileContractionsBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    auto positive = [](ArrayRef<int64_t> sizes) {
      return !sizes.empty() &&
             llvm::all_of(sizes, [](int64_t s) { return s > 0; });
    };
    if (!positive(*tilesM) || !positive(*tilesN) || panelK < 0 || panelN < 0)
      return emitError(UnknownLoc::get(ctx))
             << "peft-cpu-tile-contractions: tiles-m and tiles-n must be "
                "non-empty lists of positive sizes, panel-k and panel-n at "
                "least 0";
    // What --canonicalize does, plus affine.min/max folding from loop bounds
    // (a 256-wide panel in steps of 32 has no partial tile), between the
    // levels, so that full tiles get static types.
    RewritePatternSet patterns(ctx);
    scf::populateSCFForLoopCanonicalizationPatterns(patterns);
    for (Dialect *dialect : ctx->getLoadedDialects())
      dialect->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName op : ctx->getRegisteredOperations())
      op.getCanonicalizationPatterns(patterns, ctx);
    canonicalization = FrozenRewritePatternSet(std::move(patterns));
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<std::pair<linalg::LinalgOp, MatmulDims>> contractions;
    func.walk([&](linalg::LinalgOp op) {
      if (std::optional<MatmulDims> dims = getMatmulDims(op))
        contractions.emplace_back(op, *dims);
    });
    if (contractions.empty())
      return;
    IRRewriter rewriter(&getContext());
    for (auto &[op, dims] : contractions) {
      privatizeFilledInit(rewriter, op);
      (void)tileContraction(rewriter, op, dims);
    }
    for (size_t level = 0;; ++level) {
      peelMarkedLoops(rewriter, func);
      (void)applyPatternsGreedily(func, canonicalization);
      SmallVector<linalg::LinalgOp> remainders;
      func.walk([&](linalg::LinalgOp op) {
        if (op->hasAttr(peft::kCPUMatmulTileAttrName) && op.hasDynamicShape())
          remainders.push_back(op);
      });
      if (remainders.empty() || level == std::max(tilesM.size(), tilesN.size()))
        return;
      for (linalg::LinalgOp op : remainders)
        if (failed(retileRemainder(rewriter, op)))
          op->removeAttr(peft::kCPUMatmulTileAttrName);
    }
  }

  /// First the cache panels: B is read in panel-k x panel-n blocks that stay
  /// in L2 while every row tile of A passes over them (loops N, K). Then the
  /// register tiles: loops batch, M, N, K with tiles (1, ..., 8, 32, 1); a
  /// static dimension smaller than its tile is taken whole.
  LogicalResult tileContraction(RewriterBase &rewriter, linalg::LinalgOp op,
                                const MatmulDims &dims) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    auto exceeds = [&](int64_t dim, int64_t size) {
      return size > 0 &&
             (ShapedType::isDynamic(ranges[dim]) || ranges[dim] > size);
    };
    if (exceeds(dims.n, panelN) || exceeds(dims.k, panelK)) {
      SmallVector<int64_t> panel(op.getNumLoops(), 0);
      if (exceeds(dims.n, panelN))
        panel[dims.n] = panelN;
      if (exceeds(dims.k, panelK))
        panel[dims.k] = panelK;
      SmallVector<int64_t> interchange(dims.batch);
      interchange.append({dims.n, dims.k, dims.m});
      FailureOr<linalg::LinalgOp> panelOp = tile(
          rewriter, op, panel, interchange, /*state=*/{}, /*peel=*/{dims.n});
      if (failed(panelOp))
        return failure();
      op = *panelOp;
      ranges = op.getStaticLoopRanges();
    }
    SmallVector<int64_t> tileSizes(op.getNumLoops(), 1);
    for (auto [dim, tileSize] :
         {std::pair(dims.m, tilesM[0]), std::pair(dims.n, tilesN[0])})
      tileSizes[dim] = ShapedType::isDynamic(ranges[dim])
                           ? tileSize
                           : std::min(tileSize, ranges[dim]);
    SmallVector<int64_t> interchange(dims.batch);
    interchange.append({dims.m, dims.n, dims.k});
    return tile(rewriter, op, tileSizes, interchange,
                {dims.m, dims.n, /*levelM=*/0, /*levelN=*/0}, {dims.m, dims.n});
  }

  /// Next level for a tile whose M or N size is still dynamic (the remainder
  /// of a peeled loop); failure when there is none.
  LogicalResult retileRemainder(RewriterBase &rewriter, linalg::LinalgOp op) {
    ArrayRef<int64_t> state =
        op->getAttrOfType<DenseI64ArrayAttr>(peft::kCPUMatmulTileAttrName)
            .asArrayRef();
    int64_t m = state[0], n = state[1], levelM = state[2], levelN = state[3];
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<int64_t> tileSizes(op.getNumLoops(), 0);
    if (ShapedType::isDynamic(ranges[m])) {
      if (++levelM >= int64_t(tilesM.size()))
        return failure();
      tileSizes[m] = tilesM[levelM];
    }
    if (ShapedType::isDynamic(ranges[n])) {
      if (++levelN >= int64_t(tilesN.size()))
        return failure();
      tileSizes[n] = tilesN[levelN];
    }
    return tile(rewriter, op, tileSizes, {}, {m, n, levelM, levelN}, {m, n});
  }

  FrozenRewritePatternSet canonicalization;
};

} // namespace
