//===- FrontDoor.h - non-MLIR inputs for peft-opt ---------------*- C++ -*-===//
//
// peft-opt accepts model files as well as MLIR. An input recognized here is
// turned into a module in-process and then goes through exactly the same
// pass-pipeline and output handling as a `.mlir` input.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_TOOLS_FRONTDOOR_H
#define PEFT_TOOLS_FRONTDOOR_H

#include "peft/Target/ONNX/ONNXExport.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

namespace mlir::peft {

/// The kinds of input peft-opt can open.
enum class InputKind { MLIR, ONNX };

/// Classifies `path` by extension (`.onnx`) and, failing that, by content: an
/// ONNX ModelProto starts with field 1 (ir_version) as a varint, tag 0x08,
/// which neither MLIR text nor MLIR bytecode ("ML\xEFR") can.
InputKind classifyInput(llvm::StringRef path);

/// Whether `path` names an ONNX model to export to (by extension).
bool isONNXOutput(llvm::StringRef path);

/// Imports an input into a module (ONNX: lib/Target/ONNX; MLIR: parsed).
OwningOpRef<ModuleOp> importInput(InputKind kind, llvm::StringRef path,
                                  MLIRContext &context);

/// mlir-opt's main loop for a model input or output: import, run the
/// pipeline from the command line, then print (text or bytecode) to
/// `outputFilename`, or export it when it names an `.onnx` file. Outputs are
/// written through temporary files and only appear on success.
/// `quantizedForm` is how an ONNX output stores quantized linears.
LogicalResult
runFrontDoor(InputKind kind, llvm::StringRef inputFilename,
             llvm::StringRef outputFilename, DialectRegistry &registry,
             ONNXQuantizedForm quantizedForm = ONNXQuantizedForm::MatMulNBits);

} // namespace mlir::peft

#endif // PEFT_TOOLS_FRONTDOOR_H
