//===- OutlineLoops.cpp - one function per top-level loop nest ------------===//
//
// peft-cpu-outline-loops: LLVM's function passes are superlinear in the size
// of a function, and a whole transformer graph lowered into one function has
// thousands of blocks: outlining each top-level loop nest cuts JIT time
// several-fold.
//
//===----------------------------------------------------------------------===//

#include "peft/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::peft {
#define GEN_PASS_DEF_CPUOUTLINELOOPS
#include "peft/Codegen/CPU/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;

namespace {

/// Moves `loop` into a new private, never-inlined function called in its
/// place. Captured constants are cloned in, so the loop keeps its static
/// bounds; every other captured value becomes an argument.
void outlineLoop(RewriterBase &rewriter, Operation *loop, func::FuncOp parent,
                 StringRef name) {
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(loop->getRegions(), captured);
  captured.insert(loop->getOperands().begin(), loop->getOperands().end());
  SmallVector<Value> args, constants;
  for (Value value : captured) {
    Operation *def = value.getDefiningOp();
    if (def && def->hasTrait<OpTrait::ConstantLike>())
      constants.push_back(value);
    else
      args.push_back(value);
  }
  Location loc = loop->getLoc();
  rewriter.setInsertionPointAfter(parent);
  auto fn =
      func::FuncOp::create(rewriter, loc, name,
                           rewriter.getFunctionType(ValueRange(args).getTypes(),
                                                    loop->getResultTypes()));
  // Internal, and kept out of line: LLVM would inline it straight back.
  fn.setPrivate();
  fn->setAttr("llvm.linkage", LLVM::LinkageAttr::get(rewriter.getContext(),
                                                     LLVM::Linkage::Internal));
  fn->setAttr("passthrough",
              rewriter.getArrayAttr({rewriter.getStringAttr("noinline")}));
  Block *entry = fn.addEntryBlock();
  IRMapping mapping;
  mapping.map(args, entry->getArguments());
  rewriter.setInsertionPointToStart(entry);
  for (Value value : constants)
    rewriter.clone(*value.getDefiningOp(), mapping);
  Operation *clone = rewriter.clone(*loop, mapping);
  func::ReturnOp::create(rewriter, loc, clone->getResults());
  rewriter.setInsertionPoint(loop);
  auto call = func::CallOp::create(rewriter, loc, fn, args);
  rewriter.replaceOp(loop, call.getResults());
}

struct CPUOutlineLoopsPass
    : public peft::impl::CPUOutlineLoopsBase<CPUOutlineLoopsPass> {
  using CPUOutlineLoopsBase::CPUOutlineLoopsBase;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SymbolTable symbols(getOperation());
    for (auto fn : llvm::to_vector(getOperation().getOps<func::FuncOp>())) {
      if (fn.isExternal())
        continue;
      SmallVector<Operation *> loops;
      for (Block &block : fn.getBody())
        for (Operation &op : block)
          if (isa<scf::ForOp, scf::ParallelOp>(op))
            loops.push_back(&op);
      // Fewer loops than that: the function is already small enough.
      if (loops.size() < minLoops)
        continue;
      for (auto [i, loop] : llvm::enumerate(loops)) {
        std::string name = (fn.getSymName() + "_loop" + Twine(i)).str();
        while (symbols.lookup(name))
          name += "_";
        outlineLoop(rewriter, loop, fn, name);
        symbols.insert(fn->getNextNode());
      }
    }
  }
};

} // namespace
