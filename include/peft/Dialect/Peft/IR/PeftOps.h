//===- PeftOps.h - peft dialect ops, attributes and enums -------*- C++ -*-===//

#ifndef PEFT_DIALECT_PEFT_IR_PEFTOPS_H
#define PEFT_DIALECT_PEFT_IR_PEFTOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "peft/Dialect/Peft/IR/PeftDialect.h"

#include "peft/Dialect/Peft/IR/PeftEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "peft/Dialect/Peft/IR/PeftAttrs.h.inc"

#define GET_OP_CLASSES
#include "peft/Dialect/Peft/IR/PeftOps.h.inc"

#endif // PEFT_DIALECT_PEFT_IR_PEFTOPS_H
