//===- InitAll.cpp - register every peft-mlir dialect and pass ------------===//
//
// The only TU that includes the upstream "InitAll" headers: it is slow to
// compile, so nothing else should.
//
//===----------------------------------------------------------------------===//

#include "peft/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void mlir::peft::registerAllDialects(DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  registerPeftDialects(registry);
}

void mlir::peft::registerAllPasses() {
  mlir::registerAllPasses();
  registerPeftPasses();
}
