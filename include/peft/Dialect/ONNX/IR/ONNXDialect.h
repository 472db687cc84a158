//===- ONNXDialect.h - onnx dialect declaration -----------------*- C++ -*-===//
//
// The `onnx` dialect (C++ namespace mlir::peft::onnx_ir) and the schema table
// of its typed ops. Include ONNXOps.h for the op classes.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_DIALECT_ONNX_IR_ONNXDIALECT_H
#define PEFT_DIALECT_ONNX_IR_ONNXDIALECT_H

#include "mlir/IR/Dialect.h"

#include "peft/Dialect/ONNX/IR/ONNXOpsDialect.h.inc"

namespace mlir::peft::onnx_ir {

/// What the importer/exporter needs to know about a typed op.
struct OpSchema {
  llvm::StringRef opType; ///< ONNX op_type, e.g. "MatMul".
  llvm::StringRef domain; ///< "" (ai.onnx) or e.g. "com.microsoft".
  llvm::StringRef opName; ///< MLIR op name, e.g. "onnx.MatMul".
  int numInputs;          ///< Declared inputs; -1 when variadic.
  int numOutputs;         ///< Declared outputs; -1 when variadic.
};

/// The typed op for ONNX operator `opType` of `domain`, or nullptr when there
/// is none (use `onnx.node`). Domains "" and "ai.onnx" are the same.
const OpSchema *lookupSchema(llvm::StringRef domain, llvm::StringRef opType);

/// The schema of the typed op named `opName` ("onnx.MatMul"), or nullptr for
/// structural ops and unknown names.
const OpSchema *lookupSchemaByOpName(llvm::StringRef opName);

/// All typed ops, sorted by op name.
llvm::ArrayRef<OpSchema> getAllSchemas();

} // namespace mlir::peft::onnx_ir

#endif // PEFT_DIALECT_ONNX_IR_ONNXDIALECT_H
