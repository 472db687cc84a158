//===- DeviceBuffers.cpp - kernel buffers in device memory ----------------===//
//
// peft-gpu-device-buffers: the buffers gpu.launch bodies use move to device
// memory (gpu.alloc, gpu.memcpy in and back); host ops that touch their
// contents get host copies, so the host only ever sees host memory.
//
//===----------------------------------------------------------------------===//

#include "peft/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::peft {
#define GEN_PASS_DEF_GPUDEVICEBUFFERS
#include "peft/Codegen/GPU/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;

namespace {

/// The buffer a chain of view-like ops (subview, cast, reshapes) looks into.
Value viewRoot(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>()) {
    if (view.getViewDest() != v)
      break;
    v = view.getViewSource();
  }
  return v;
}

/// Ops that read only a buffer's descriptor, never its contents: the host may
/// apply them to device buffers.
bool isDescriptorOnly(Operation *op, Value operand) {
  if (auto view = dyn_cast<ViewLikeOpInterface>(op))
    return view.getViewSource() == operand;
  return isa<memref::DimOp, memref::ExtractStridedMetadataOp,
             memref::ExtractAlignedPointerAsIndexOp, gpu::MemcpyOp,
             gpu::MemsetOp, gpu::DeallocOp>(op);
}

bool mayWrite(Operation *op, Value operand) {
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return !isDescriptorOnly(op, operand);
  SmallVector<MemoryEffects::EffectInstance> list;
  effects.getEffectsOnValue(operand, list);
  return llvm::any_of(list, [](const MemoryEffects::EffectInstance &e) {
    return isa<MemoryEffects::Write, MemoryEffects::Free>(e.getEffect());
  });
}

/// `root` and every view of it, transitively.
SmallVector<Value> viewsOf(Value root) {
  SmallVector<Value> values{root};
  for (size_t i = 0; i < values.size(); ++i)
    for (Operation *user : values[i].getUsers())
      if (auto view = dyn_cast<ViewLikeOpInterface>(user))
        if (view.getViewSource() == values[i])
          values.push_back(view.getViewDest());
  return values;
}

bool anyWrite(Value root, Operation *except) {
  for (Value v : viewsOf(root))
    for (OpOperand &use : v.getUses())
      if (use.getOwner() != except &&
          !isa<ViewLikeOpInterface>(use.getOwner()) &&
          mayWrite(use.getOwner(), v))
        return true;
  return false;
}

SmallVector<Value> dynamicSizes(OpBuilder &b, Location loc, Value buffer) {
  SmallVector<Value> sizes;
  auto type = cast<MemRefType>(buffer.getType());
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(memref::DimOp::create(b, loc, buffer, d));
  return sizes;
}

struct GPUDeviceBuffersPass
    : public peft::impl::GPUDeviceBuffersBase<GPUDeviceBuffersPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (failed(runOnFunction(func)))
        return signalPassFailure();
  }

  /// Device buffers freed before every return, and (host, device) pairs whose
  /// device contents go back to the host buffer there.
  SmallVector<Value> toFree;
  SmallVector<std::pair<Value, Value>> copyBack;

  LogicalResult runOnFunction(func::FuncOp func) {
    toFree.clear();
    copyBack.clear();
    SetVector<Value> roots;
    func.walk([&](gpu::LaunchOp launch) {
      SetVector<Value> used;
      getUsedValuesDefinedAbove(launch.getBody(), used);
      for (Value v : used)
        if (isa<MemRefType>(v.getType()))
          roots.insert(viewRoot(v));
    });
    if (roots.empty())
      return success();

    SmallVector<Value> device;
    for (Value root : roots) {
      FailureOr<Value> dev = moveToDevice(root);
      if (failed(dev))
        return failure();
      device.push_back(*dev);
    }
    for (Value dev : device)
      if (failed(mirrorHostUses(dev)))
        return failure();

    DominanceInfo dominance(func);
    SmallVector<func::ReturnOp> returns;
    func.walk([&](func::ReturnOp ret) { returns.push_back(ret); });
    for (func::ReturnOp ret : returns) {
      OpBuilder b(ret);
      for (auto [host, dev] : copyBack)
        gpu::MemcpyOp::create(b, ret.getLoc(), Type(), ValueRange(), host, dev);
      for (Value dev : toFree) {
        if (!dominance.properlyDominates(dev, ret))
          return ret.emitError("peft-lower-to-nvvm: device buffer does not "
                               "dominate the return (host control flow)");
        gpu::DeallocOp::create(b, ret.getLoc(), Type(), ValueRange(), dev);
      }
    }
    return success();
  }

  /// Returns the device buffer that replaces `root` for every use.
  FailureOr<Value> moveToDevice(Value root) {
    Location loc = root.getLoc();
    auto type = cast<MemRefType>(root.getType());
    if (!type.getLayout().isIdentity() || type.getMemorySpace())
      return emitError(loc, "peft-lower-to-nvvm: a kernel operand must be an "
                            "identity-layout buffer in the default memory "
                            "space, got ")
             << type;
    if (auto alloc = root.getDefiningOp<memref::AllocOp>()) {
      OpBuilder b(alloc);
      Value dev = gpu::AllocOp::create(b, loc, type, Type(), ValueRange(),
                                       alloc.getDynamicSizes(),
                                       alloc.getSymbolOperands(), false)
                      .getMemref();
      alloc.getResult().replaceAllUsesWith(dev);
      alloc.erase();
      bool freed = false;
      for (Value v : viewsOf(dev))
        for (Operation *user : llvm::make_early_inc_range(v.getUsers()))
          if (auto dealloc = dyn_cast<memref::DeallocOp>(user)) {
            OpBuilder b(dealloc);
            gpu::DeallocOp::create(b, dealloc.getLoc(), Type(), ValueRange(),
                                   dev);
            dealloc.erase();
            freed = true;
          }
      if (!freed)
        toFree.push_back(dev);
      return dev;
    }
    // Arguments, globals, anything else: a device copy for the kernels.
    OpBuilder b(root.getContext());
    if (auto arg = dyn_cast<BlockArgument>(root))
      b.setInsertionPointToStart(arg.getOwner());
    else
      b.setInsertionPointAfterValue(root);
    SmallVector<Value> sizes = dynamicSizes(b, loc, root);
    Value dev = gpu::AllocOp::create(b, loc, type, Type(), ValueRange(), sizes,
                                     ValueRange(), false)
                    .getMemref();
    auto in = gpu::MemcpyOp::create(b, loc, Type(), ValueRange(), dev, root);
    SmallPtrSet<Operation *, 4> keep{in};
    for (Value s : sizes)
      keep.insert(s.getDefiningOp());
    root.replaceAllUsesExcept(dev, keep);
    toFree.push_back(dev);
    if (!root.getDefiningOp<memref::GetGlobalOp>() && anyWrite(dev, in))
      copyBack.emplace_back(root, dev);
    return dev;
  }

  /// Host ops that read or write the contents of `dev` (or a view of it) get
  /// a host copy: copied from the device before, back after a write.
  LogicalResult mirrorHostUses(Value dev) {
    SmallVector<OpOperand *> hostUses;
    for (Value v : viewsOf(dev))
      for (OpOperand &use : v.getUses()) {
        Operation *user = use.getOwner();
        if (user->getParentOfType<gpu::LaunchOp>() || isDescriptorOnly(user, v))
          continue;
        if (isa<memref::DeallocOp>(user))
          return user->emitError("peft-lower-to-nvvm: deallocation of a view "
                                 "of a device buffer");
        hostUses.push_back(&use);
      }
    for (OpOperand *use : hostUses) {
      Operation *user = use->getOwner();
      Location loc = user->getLoc();
      OpBuilder b(user);
      SmallVector<Value> sizes = dynamicSizes(b, loc, dev);
      Value host = memref::AllocOp::create(
          b, loc, cast<MemRefType>(dev.getType()), sizes);
      gpu::MemcpyOp::create(b, loc, Type(), ValueRange(), host, dev);
      // Rebuild the views of `dev` that lead to the operand on `host`.
      SmallVector<Operation *> chain;
      for (Value v = use->get(); v != dev;
           v = cast<ViewLikeOpInterface>(v.getDefiningOp()).getViewSource())
        chain.push_back(v.getDefiningOp());
      IRMapping mapping;
      mapping.map(dev, host);
      for (Operation *view : llvm::reverse(chain))
        b.clone(*view, mapping);
      Value operand = use->get();
      bool written = mayWrite(user, operand);
      use->set(mapping.lookupOrDefault(operand));
      if (isa<func::ReturnOp>(user))
        continue; // the caller owns the host copy
      b.setInsertionPointAfter(user);
      if (written)
        gpu::MemcpyOp::create(b, loc, Type(), ValueRange(), dev, host);
      memref::DeallocOp::create(b, loc, host);
    }
    return success();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::peft::createGPUDeviceBuffersPass() {
  return std::make_unique<GPUDeviceBuffersPass>();
}
