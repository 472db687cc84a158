//===- ONNXOps.h - onnx dialect ops -----------------------------*- C++ -*-===//

#ifndef PEFT_DIALECT_ONNX_IR_ONNXOPS_H
#define PEFT_DIALECT_ONNX_IR_ONNXOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "peft/Dialect/ONNX/IR/ONNXDialect.h"

#define GET_OP_CLASSES
#include "peft/Dialect/ONNX/IR/ONNXOps.h.inc"

namespace mlir::peft::onnx_ir {

/// True if `value` stands for an omitted optional input or an absent
/// optional output (its type is `none`).
inline bool isNone(Value value) {
  return value && llvm::isa<NoneType>(value.getType());
}

/// The MLIR element type of ONNX TensorProto data type `dataType` (1 =
/// FLOAT, 7 = INT64, ...); null for unknown numbers and STRING.
Type getElementTypeForONNXDataType(MLIRContext *ctx, int64_t dataType);

} // namespace mlir::peft::onnx_ir

#endif // PEFT_DIALECT_ONNX_IR_ONNXOPS_H
