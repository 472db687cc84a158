//===- ONNXImport.h - ONNX ModelProto -> MLIR -------------------*- C++ -*-===//

#ifndef PEFT_TARGET_ONNX_ONNXIMPORT_H
#define PEFT_TARGET_ONNX_ONNXIMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir::peft {

struct ONNXImportOptions {
  /// Run ONNX shape inference first so intermediate values get types.
  bool inferShapes = true;
  /// Initializers of at most this many bytes become DenseElementsAttr (easy to
  /// fold); larger ones are DenseResourceElementsAttr blobs.
  int64_t inlineConstantBytes = 64;
};

/// Imports an ONNX model file into a module holding one func.func of `onnx`
/// ops. External data is resolved next to the model and memory-mapped.
/// Errors are emitted as diagnostics naming the file, tensor or node.
OwningOpRef<ModuleOp> importONNXFile(llvm::StringRef path, MLIRContext &ctx,
                                     const ONNXImportOptions &options = {});

/// Imports a serialized ModelProto held in memory; `path` names it in
/// diagnostics and locates external data.
OwningOpRef<ModuleOp> importONNXBuffer(llvm::StringRef bytes,
                                       llvm::StringRef path, MLIRContext &ctx,
                                       const ONNXImportOptions &options = {});

/// The release of the ONNX library that checks and shape-infers imported models
/// (linked statically; e.g. "1.23.2"), for `--version`.
llvm::StringRef getONNXLibraryVersion();

/// Registers the `import-onnx` translation (peft-translate).
void registerONNXImportTranslation();

} // namespace mlir::peft

#endif // PEFT_TARGET_ONNX_ONNXIMPORT_H
