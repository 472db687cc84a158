//===- PeftDialect.cpp - peft dialect registration ------------------------===//

#include "peft/Dialect/Peft/IR/PeftDialect.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::peft;

#include "peft/Dialect/Peft/IR/PeftOpsDialect.cpp.inc"

#include "peft/Dialect/Peft/IR/PeftEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "peft/Dialect/Peft/IR/PeftAttrs.cpp.inc"

void PeftDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "peft/Dialect/Peft/IR/PeftAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "peft/Dialect/Peft/IR/PeftOps.cpp.inc"
      >();
}
