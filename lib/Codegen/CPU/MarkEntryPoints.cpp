//===- MarkEntryPoints.cpp - C interface and read-only arguments ----------===//
//
// peft-cpu-mark-entry-points: public function definitions are what a caller
// outside the module (the ExecutionEngine) calls.
//
//===----------------------------------------------------------------------===//

#include "peft/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::peft {
#define GEN_PASS_DEF_CPUMARKENTRYPOINTS
#include "peft/Codegen/CPU/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;

namespace {

struct CPUMarkEntryPointsPass
    : public peft::impl::CPUMarkEntryPointsBase<CPUMarkEntryPointsPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      if (!fn.isPublic() || fn.isExternal())
        continue;
      fn->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
      // The caller's input buffers are never written: bufferization copies
      // an argument before writing into it.
      for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
        if (isa<TensorType>(fn.getArgument(i).getType()))
          fn.setArgAttr(i, "bufferization.writable", BoolAttr::get(ctx, false));
    }
  }
};

} // namespace
