//===- RuntimeErrors.cpp - failed run-time checks to the runtime ----------===//
//
// peft-cpu-runtime-errors: each cf.assert of the module's functions becomes
// a call of the runtime's error handler with the check's number when its
// condition is false; the messages and locations go into a module attribute.
//
//===----------------------------------------------------------------------===//

#include "peft/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::peft {
#define GEN_PASS_DEF_CPURUNTIMEERRORS
#include "peft/Codegen/CPU/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {

struct CPURuntimeErrorsPass
    : public peft::impl::CPURuntimeErrorsBase<CPURuntimeErrorsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    // Host functions only: a gpu.module's kernels are not walked.
    SmallVector<cf::AssertOp> asserts;
    for (auto fn : module.getOps<func::FuncOp>())
      fn.walk([&](cf::AssertOp op) { asserts.push_back(op); });
    if (asserts.empty())
      return;

    OpBuilder b(ctx);
    auto handlerType = b.getFunctionType({b.getI64Type()}, {});
    auto handler = module.lookupSymbol<func::FuncOp>(kRuntimeErrorHandlerName);
    if (!handler) {
      b.setInsertionPointToEnd(module.getBody());
      handler = func::FuncOp::create(b, module.getLoc(),
                                     kRuntimeErrorHandlerName, handlerType);
      handler.setPrivate();
    } else if (handler.getFunctionType() != handlerType ||
               !handler.isExternal()) {
      handler.emitError() << "@" << kRuntimeErrorHandlerName
                          << " is reserved for the runtime's error handler, a "
                             "declaration of type "
                          << handlerType;
      return signalPassFailure();
    }

    // Checks numbered after those of an earlier run.
    SmallVector<Attribute> errors;
    if (auto existing =
            module->getAttrOfType<ArrayAttr>(kRuntimeErrorsAttrName))
      llvm::append_range(errors, existing.getValue());
    for (cf::AssertOp op : asserts) {
      Location loc = op.getLoc();
      b.setInsertionPoint(op);
      Value failed = arith::XOrIOp::create(
          b, loc, op.getArg(),
          arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1));
      int64_t id = errors.size();
      scf::IfOp::create(b, loc, failed, [&](OpBuilder &nb, Location nl) {
        Value number =
            arith::ConstantIntOp::create(nb, nl, nb.getI64Type(), id);
        func::CallOp::create(nb, nl, handler, ValueRange{number});
        scf::YieldOp::create(nb, nl);
      });
      errors.push_back(b.getArrayAttr({op.getMsgAttr(), LocationAttr(loc)}));
      op.erase();
    }
    module->setAttr(kRuntimeErrorsAttrName, b.getArrayAttr(errors));
  }
};

} // namespace
