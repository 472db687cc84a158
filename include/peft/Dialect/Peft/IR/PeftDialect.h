//===- PeftDialect.h - peft dialect declaration -----------------*- C++ -*-===//

#ifndef PEFT_DIALECT_PEFT_IR_PEFTDIALECT_H
#define PEFT_DIALECT_PEFT_IR_PEFTDIALECT_H

#include "mlir/IR/Dialect.h"

#include "peft/Dialect/Peft/IR/PeftOpsDialect.h.inc"

#endif // PEFT_DIALECT_PEFT_IR_PEFTDIALECT_H
