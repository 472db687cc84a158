//===- MapLinalg.cpp - linalg ops to gpu.launch kernels -------------------===//
//
// peft-gpu-map-linalg: a transform-dialect script written per linalg op
// (block tiles, shared-memory operand tiles for contractions, thread tiles)
// maps it to a gpu.launch; the shared tiles then become workgroup
// attributions, padded where threads read them across rows, and are filled
// by all threads of the block together.
//
//===----------------------------------------------------------------------===//

#include "peft/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/TransformOps/GPUTransformOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/TransformOps/DialectExtension.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::peft {
#define GEN_PASS_DEF_GPUMAPLINALG
#include "peft/Codegen/GPU/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;

namespace {

//===----------------------------------------------------------------------===//
// Kernel strategies: one transform-dialect sequence per linalg op
//===----------------------------------------------------------------------===//

/// Marks the payload op a generated sequence applies to.
constexpr llvm::StringLiteral kKernelAttr = "peft_gpu_kernel";

/// Largest divisor of `n` not above `cap`. Tiles that divide the (static)
/// iteration space leave no partial tiles, so every forall has a static trip
/// count (which the GPU mapping requires) and no tile needs padding.
int64_t divisorAtMost(int64_t n, int64_t cap) {
  for (int64_t d = std::min(n, cap); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// `[a, b, c]`, as transform ops print integer and attribute lists.
template <typename T> std::string list(ArrayRef<T> values) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "[";
  llvm::interleaveComma(values, os);
  os << "]";
  return text;
}

/// Mapping attributes for tiled loops with trip counts `counts` (loop order),
/// innermost to x: three dimensions within the hardware limits, else
/// linearized.
SmallVector<std::string> mappingFor(StringRef kind, ArrayRef<int64_t> counts) {
  bool fits3d = counts.size() <= 3;
  for (auto [i, c] : llvm::enumerate(llvm::reverse(counts)))
    fits3d &= i == 0 || c <= 65535;
  const char *xyz[] = {"x", "y", "z"};
  SmallVector<std::string> mapping;
  for (size_t i = 0; i < counts.size(); ++i) {
    size_t fromInner = counts.size() - 1 - i;
    mapping.push_back(
        fits3d
            ? llvm::formatv("#gpu.{0}<{1}>", kind, xyz[fromInner]).str()
            : llvm::formatv("#gpu.{0}<linear_dim_{1}>", kind, fromInner).str());
  }
  return mapping;
}

/// Contractions with one K loop: blocks of BM x BN outputs (of the innermost
/// M and N loops; one more parallel loop of more than one iteration, batch or
/// an outer M/N loop, goes to grid z in steps of 1), a K loop over BK-wide
/// slabs whose A and B tiles are promoted to workgroup memory, and a TY x TX
/// thread grid per block that computes (BM/TY) x (BN/TX) outputs per thread
/// from shared memory.
std::optional<std::string> contractionScript(linalg::LinalgOp op, int64_t id,
                                             ArrayRef<int64_t> ranges) {
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() ||
      dims->k.size() != 1 || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !op.hasPureBufferSemantics() ||
      op.getNumLoops() !=
          dims->batch.size() + dims->m.size() + dims->n.size() + dims->k.size())
    return std::nullopt;
  unsigned m = dims->m.back(), n = dims->n.back(), k = dims->k[0];
  // Unit outer loops (the batch of 1 of an exported model, before the heads
  // loop of attention) need no grid dimension: they are left untiled.
  SmallVector<unsigned> outer;
  for (ArrayRef<unsigned> loops : {ArrayRef<unsigned>(dims->batch),
                                   ArrayRef<unsigned>(dims->m).drop_back(),
                                   ArrayRef<unsigned>(dims->n).drop_back()})
    llvm::append_range(outer, llvm::make_filter_range(loops, [&](unsigned d) {
                         return ranges[d] != 1;
                       }));
  if (outer.size() > 1 || (!outer.empty() && ranges[outer[0]] > 65535))
    return std::nullopt;
  int64_t bm = divisorAtMost(ranges[m], 32);
  int64_t bn = divisorAtMost(ranges[n], 64);
  int64_t bk = divisorAtMost(ranges[k], 32);
  int64_t ty = divisorAtMost(bm, 16);
  int64_t tx = divisorAtMost(bn, std::min<int64_t>(64, 256 / ty));
  if (ranges[m] / bm > 65535)
    return std::nullopt;

  size_t numLoops = ranges.size();
  SmallVector<int64_t> blockTiles(numLoops, 0), kTiles(numLoops, 0),
      threadTiles(numLoops, 0);
  SmallVector<std::string> blockMap, threadMap;
  for (size_t d = 0; d < numLoops; ++d) {
    if (llvm::is_contained(outer, d)) {
      blockTiles[d] = 1;
      blockMap.push_back("#gpu.block<z>");
    } else if (d == m) {
      blockTiles[d] = bm;
      threadTiles[d] = bm / ty;
      blockMap.push_back("#gpu.block<y>");
      threadMap.push_back("#gpu.thread<y>");
    } else if (d == n) {
      blockTiles[d] = bn;
      threadTiles[d] = bn / tx;
      blockMap.push_back("#gpu.block<x>");
      threadMap.push_back("#gpu.thread<x>");
    } else if (d == k) {
      kTiles[d] = bk;
    }
  }
  return llvm::formatv(
             R"(
    %op{0} = transform.structured.match attributes {{{1} = {0} : i64} in %root : (!transform.any_op) -> !transform.any_op
    %blk{0}, %grid{0} = transform.structured.tile_using_forall %op{0} tile_sizes {2} (mapping = {3}) : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %kt{0}, %kl{0} = transform.structured.tile_using_for %blk{0} tile_sizes {4} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %sh{0} = transform.structured.promote %kt{0} {{operands_to_promote = [0, 1], mapping = [#gpu.memory_space<workgroup>]} : (!transform.any_op) -> !transform.any_op
    %th{0}, %tf{0} = transform.structured.tile_using_forall %sh{0} tile_sizes {5} (mapping = {6}) : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %launch{0} = transform.gpu.map_forall_to_blocks %grid{0} generate_gpu_launch : (!transform.any_op) -> !transform.any_op
    transform.gpu.map_nested_forall_to_threads %launch{0} block_dims = [{7}, {8}, 1] : (!transform.any_op) -> !transform.any_op
)",
             id, kKernelAttr, list<int64_t>(blockTiles),
             list<std::string>(blockMap), list<int64_t>(kTiles),
             list<int64_t>(threadTiles), list<std::string>(threadMap), tx, ty)
      .str();
}

/// Any other op: blocks of up to 256 points of the parallel loops (innermost
/// loop first, so that neighbouring threads touch neighbouring elements), one
/// point per thread; reduction loops stay serial in each thread.
FailureOr<std::string> genericScript(linalg::LinalgOp op, int64_t id,
                                     ArrayRef<int64_t> ranges) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<unsigned> parallel;
  for (auto [d, it] : llvm::enumerate(iterators))
    if (it == utils::IteratorType::parallel)
      parallel.push_back(d);
  if (parallel.empty())
    return op.emitError("peft-lower-to-nvvm: an op without parallel loops "
                        "cannot be mapped to GPU threads");
  SmallVector<int64_t> blockTiles(ranges.size(), 0),
      threadTiles(ranges.size(), 0);
  int64_t budget = 256, threads = 1;
  for (unsigned d : llvm::reverse(parallel)) {
    blockTiles[d] = divisorAtMost(ranges[d], budget);
    threadTiles[d] = 1;
    budget /= blockTiles[d];
    threads *= blockTiles[d];
  }
  SmallVector<int64_t> gridCounts;
  SmallVector<std::string> threadMap;
  for (auto [i, d] : llvm::enumerate(parallel)) {
    gridCounts.push_back(ranges[d] / blockTiles[d]);
    threadMap.push_back(
        llvm::formatv("#gpu.thread<linear_dim_{0}>", parallel.size() - 1 - i)
            .str());
  }
  return llvm::formatv(
             R"(
    %op{0} = transform.structured.match attributes {{{1} = {0} : i64} in %root : (!transform.any_op) -> !transform.any_op
    %blk{0}, %grid{0} = transform.structured.tile_using_forall %op{0} tile_sizes {2} (mapping = {3}) : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %th{0}, %tf{0} = transform.structured.tile_using_forall %blk{0} tile_sizes {4} (mapping = {5}) : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %launch{0} = transform.gpu.map_forall_to_blocks %grid{0} generate_gpu_launch : (!transform.any_op) -> !transform.any_op
    transform.gpu.map_nested_forall_to_threads %launch{0} block_dims = [{6}, 1, 1] sync_after_distribute = false : (!transform.any_op) -> !transform.any_op
)",
             id, kKernelAttr, list<int64_t>(blockTiles),
             list<std::string>(mappingFor("block", gridCounts)),
             list<int64_t>(threadTiles), list<std::string>(threadMap), threads)
      .str();
}

//===----------------------------------------------------------------------===//
// peft-gpu-map-linalg
//===----------------------------------------------------------------------===//

/// Whether threads read the shared tile `buffer` along its outer dimension
/// while the reduction runs along its innermost one (B of x·Wᵀ, say): then
/// the threads of a warp hit one bank at a time unless rows are padded.
bool readAcrossRows(Value view) {
  for (OpOperand &use : view.getUses()) {
    Operation *user = use.getOwner();
    if (auto sub = dyn_cast<memref::SubViewOp>(user)) {
      if (readAcrossRows(sub.getResult()))
        return true;
    } else if (auto linalgOp = dyn_cast<linalg::LinalgOp>(user)) {
      AffineMap map = linalgOp.getMatchingIndexingMap(&use);
      auto inner = dyn_cast<AffineDimExpr>(map.getResults().back());
      if (inner && linalgOp.getIteratorTypesArray()[inner.getPosition()] ==
                       utils::IteratorType::reduction)
        return true;
    }
  }
  return false;
}

bool needsPadding(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  return type.hasStaticShape() &&
         type.getNumElements() > type.getShape().back() &&
         type.getShape().back() > 1 && readAcrossRows(alloc.getResult());
}

/// Replaces `from` by `to`, a view of the same shape with other strides:
/// subviews of `from` are rebuilt on `to` (their types change), other users
/// (loads, stores, linalg ops) take any layout.
void replaceWithView(OpBuilder &b, Value from, Value to) {
  for (OpOperand &use : llvm::make_early_inc_range(from.getUses())) {
    auto sub = dyn_cast<memref::SubViewOp>(use.getOwner());
    if (!sub) {
      use.set(to);
      continue;
    }
    b.setInsertionPoint(sub);
    auto type = memref::SubViewOp::inferRankReducedResultType(
        sub.getType().getShape(), cast<MemRefType>(to.getType()),
        sub.getMixedOffsets(), sub.getMixedSizes(), sub.getMixedStrides());
    Value view = memref::SubViewOp::create(
        b, sub.getLoc(), type, to, sub.getMixedOffsets(), sub.getMixedSizes(),
        sub.getMixedStrides());
    replaceWithView(b, sub.getResult(), view);
    sub.erase();
  }
}

/// Promotion allocates the shared tiles at the top of the host function: they
/// become workgroup attributions of the one launch that uses them, rows
/// padded by one element where readAcrossRows.
LogicalResult attachWorkgroupBuffers(func::FuncOp func) {
  SmallVector<memref::AllocOp> allocs;
  func.walk([&](memref::AllocOp alloc) {
    auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(
        alloc.getType().getMemorySpace());
    if (space && space.getValue() == gpu::AddressSpace::Workgroup &&
        !alloc->getParentOfType<gpu::LaunchOp>())
      allocs.push_back(alloc);
  });
  for (memref::AllocOp alloc : allocs) {
    gpu::LaunchOp launch;
    for (Operation *user : alloc->getUsers()) {
      auto userLaunch = user->getParentOfType<gpu::LaunchOp>();
      if (!userLaunch || (launch && launch != userLaunch))
        return alloc.emitError("workgroup buffer used outside one kernel");
      launch = userLaunch;
    }
    if (!launch) {
      alloc.erase();
      continue;
    }
    MemRefType type = alloc.getType();
    if (!needsPadding(alloc)) {
      alloc.getResult().replaceAllUsesWith(
          launch.addWorkgroupAttribution(type, alloc.getLoc()));
      alloc.erase();
      continue;
    }
    SmallVector<int64_t> padded(type.getShape());
    ++padded.back();
    Value storage = launch.addWorkgroupAttribution(
        MemRefType::get(padded, type.getElementType(),
                        MemRefLayoutAttrInterface(), type.getMemorySpace()),
        alloc.getLoc());
    OpBuilder b = OpBuilder::atBlockBegin(&launch.getBody().front());
    SmallVector<OpFoldResult> zeros(type.getRank(), b.getIndexAttr(0)),
        ones(type.getRank(), b.getIndexAttr(1)),
        sizes = getAsIndexOpFoldResult(b.getContext(), type.getShape());
    Value tile = memref::SubViewOp::create(b, alloc.getLoc(), storage, zeros,
                                           sizes, ones);
    replaceWithView(b, alloc.getResult(), tile);
    alloc.erase();
  }
  return success();
}

/// Rewrites a tile copy that every thread of the block executes into a
/// cooperative one: thread t copies elements t, t + T, t + 2T, ... in
/// row-major order, so consecutive threads read consecutive addresses.
void distributeCopy(memref::CopyOp copy, gpu::LaunchOp launch) {
  OpBuilder b(copy);
  Location loc = copy.getLoc();
  gpu::KernelDim3 tid = launch.getThreadIds();
  gpu::KernelDim3 dim = launch.getBlockSize();
  auto mul = [&](Value x, Value y) {
    return arith::MulIOp::create(b, loc, x, y).getResult();
  };
  auto add = [&](Value x, Value y) {
    return arith::AddIOp::create(b, loc, x, y).getResult();
  };
  Value linear = add(tid.x, mul(dim.x, add(tid.y, mul(dim.y, tid.z))));
  Value count = mul(dim.x, mul(dim.y, dim.z));
  Value target = copy.getTarget();
  auto type = cast<MemRefType>(target.getType());
  SmallVector<Value> sizes;
  Value total = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t d = 0; d < type.getRank(); ++d) {
    sizes.push_back(memref::DimOp::create(b, loc, target, d));
    total = mul(total, sizes.back());
  }
  auto loop = scf::ForOp::create(b, loc, linear, total, count);
  b.setInsertionPointToStart(loop.getBody());
  SmallVector<Value> indices(type.getRank());
  Value rest = loop.getInductionVar();
  for (int64_t d = type.getRank() - 1; d >= 0; --d) {
    indices[d] = arith::RemUIOp::create(b, loc, rest, sizes[d]);
    rest = arith::DivUIOp::create(b, loc, rest, sizes[d]);
  }
  Value v = memref::LoadOp::create(b, loc, copy.getSource(), indices);
  memref::StoreOp::create(b, loc, v, target, indices);
  copy.erase();
}

struct GPUMapLinalgPass
    : public peft::impl::GPUMapLinalgBase<GPUMapLinalgPass> {
  void getDependentDialects(DialectRegistry &registry) const override {
    GPUMapLinalgBase::getDependentDialects(registry);
    linalg::registerTransformDialectExtension(registry);
    gpu::registerTransformDialectExtension(registry);
  }

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (failed(mapFunction(func)))
        return signalPassFailure();
  }

  LogicalResult mapFunction(func::FuncOp func) {
    // Copies that bufferization left between buffers become linalg.copy, so
    // they run as kernels like everything else.
    SmallVector<memref::CopyOp> copies;
    func.walk([&](memref::CopyOp copy) {
      if (!copy->getParentOfType<gpu::LaunchOp>())
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }

    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (!op->getParentOfType<gpu::LaunchOp>())
        ops.push_back(op);
    });
    std::string body;
    int64_t id = 0;
    for (linalg::LinalgOp op : ops) {
      if (!op.hasPureBufferSemantics())
        return op.emitError("peft-lower-to-nvvm: linalg op on tensors after "
                            "bufferization");
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      if (llvm::any_of(ranges, ShapedType::isDynamic))
        return op.emitError("peft-lower-to-nvvm: GPU kernels need static "
                            "shapes");
      if (llvm::is_contained(ranges, 0)) {
        op.erase(); // no iterations: nothing to compute
        continue;
      }
      std::optional<std::string> script = contractionScript(op, id, ranges);
      if (!script) {
        FailureOr<std::string> generic = genericScript(op, id, ranges);
        if (failed(generic))
          return failure();
        script = *generic;
      }
      op->setAttr(kKernelAttr, OpBuilder(op).getI64IntegerAttr(id++));
      body += *script;
    }
    if (id == 0)
      return success();

    std::string text =
        "module attributes {transform.with_named_sequence} {\n"
        "  transform.named_sequence @__transform_main(%root: !transform.any_op "
        "{transform.readonly}) {" +
        body + "    transform.yield\n  }\n}\n";
    OwningOpRef<ModuleOp> script =
        parseSourceString<ModuleOp>(text, ParserConfig(&getContext()));
    if (!script)
      return func.emitError("peft-lower-to-nvvm: internal error: malformed "
                            "kernel strategy:\n")
             << text;
    Operation *entry = transform::detail::findTransformEntryPoint(
        func, *script,
        transform::TransformDialect::kTransformEntryPointSymbolName);
    if (!entry ||
        failed(transform::applyTransformNamedSequence(
            func, entry, *script,
            transform::TransformOptions().enableExpensiveChecks(false))))
      return func.emitError("peft-lower-to-nvvm: mapping to GPU kernels "
                            "failed");
    func.walk([](Operation *op) { op->removeAttr(kKernelAttr); });

    if (failed(attachWorkgroupBuffers(func)))
      return failure();
    SmallVector<std::pair<memref::CopyOp, gpu::LaunchOp>> shared;
    func.walk([&](memref::CopyOp copy) {
      if (auto launch = copy->getParentOfType<gpu::LaunchOp>())
        shared.emplace_back(copy, launch);
    });
    for (auto [copy, launch] : shared)
      distributeCopy(copy, launch);
    return success();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::peft::createGPUMapLinalgPass() {
  return std::make_unique<GPUMapLinalgPass>();
}
