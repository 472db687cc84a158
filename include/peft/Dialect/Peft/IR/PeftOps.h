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

namespace mlir::peft {
class LinearLikeOpInterface;
class AdapterOpInterface;
/// The layer at the bottom of `adapter`'s stack (null in invalid IR).
LinearLikeOpInterface getAdapterLayer(Operation *adapter);
/// The interface verifier of every adapter op (see AdapterStack.cpp).
LogicalResult verifyAdapterOp(Operation *adapter);
} // namespace mlir::peft

#include "peft/Dialect/Peft/IR/PeftInterfaces.h.inc"

#define GET_OP_CLASSES
#include "peft/Dialect/Peft/IR/PeftOps.h.inc"

namespace mlir::peft {
/// The adapters stacked on `layer`, bottom (nearest the layer) to top.
/// Stops at a fork (two adapters on one base), which the verifier rejects.
SmallVector<AdapterOpInterface> getAdapterStack(LinearLikeOpInterface layer);
/// The value a new adapter on `layer` stacks on: the top adapter's result,
/// or the layer's output.
Value getAdapterStackTop(LinearLikeOpInterface layer);
/// Checks the stack rule for merging (`toMerged`) or unmerging `adapter`;
/// emits an error naming both adapters when another adapter of the stack
/// forbids it.
LogicalResult checkMergeStateChange(AdapterOpInterface adapter, bool toMerged);
} // namespace mlir::peft

#endif // PEFT_DIALECT_PEFT_IR_PEFTOPS_H
