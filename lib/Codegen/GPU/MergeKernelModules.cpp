//===- MergeKernelModules.cpp - one gpu.module for all kernels ------------===//
//
// peft-gpu-merge-kernel-modules: outlining gives every kernel its own
// gpu.module; one module makes one device binary (one PTX file, one
// cuModuleLoad).
//
//===----------------------------------------------------------------------===//

#include "peft/Codegen/GPU/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace mlir::peft {
#define GEN_PASS_DEF_GPUMERGEKERNELMODULES
#include "peft/Codegen/GPU/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;

namespace {

struct GPUMergeKernelModulesPass
    : public peft::impl::GPUMergeKernelModulesBase<GPUMergeKernelModulesPass> {
  void runOnOperation() override {
    ModuleOp top = getOperation();
    SmallVector<gpu::GPUModuleOp> modules(top.getOps<gpu::GPUModuleOp>());
    if (modules.size() < 2)
      return;
    gpu::GPUModuleOp target = modules.front();
    SymbolTable table(target);
    // (module, kernel) -> kernel in `target`. Outlining names the kernels of
    // one function alike (each alone in a module named uniquely).
    DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp module : llvm::drop_begin(modules)) {
      for (Operation &op :
           llvm::make_early_inc_range(module.getBody()->getOperations())) {
        auto symbol = dyn_cast<SymbolOpInterface>(op);
        StringAttr old = symbol ? symbol.getNameAttr() : StringAttr();
        if (old && table.lookup(old)) {
          auto function = dyn_cast<FunctionOpInterface>(op);
          if (function && function.isExternal()) {
            op.erase(); // intrinsics, libdevice functions
            continue;
          }
          if (!table.lookup(module.getNameAttr()))
            symbol.setName(module.getNameAttr());
        }
        op.remove();
        StringAttr now = table.insert(&op);
        if (old)
          renamed[{module.getNameAttr(), old}] = now;
      }
    }
    top.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr kernel = launch.getKernel();
      auto it =
          renamed.find({kernel.getRootReference(), kernel.getLeafReference()});
      if (it != renamed.end())
        launch.setKernelAttr(SymbolRefAttr::get(
            target.getNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
    });
    for (gpu::GPUModuleOp module : llvm::drop_begin(modules))
      module.erase();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::peft::createGPUMergeKernelModulesPass() {
  return std::make_unique<GPUMergeKernelModulesPass>();
}
