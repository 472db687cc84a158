//===- ONNXExport.h - MLIR -> ONNX ModelProto -------------------*- C++ -*-===//

#ifndef PEFT_TARGET_ONNX_ONNXEXPORT_H
#define PEFT_TARGET_ONNX_ONNXEXPORT_H

#include "mlir/IR/BuiltinOps.h"

namespace mlir::peft {

struct ONNXExportOptions {
  /// Initializers of at least this many bytes go to the external data file.
  /// -1 (auto): only when the model would not fit a 2 GB protobuf, and then
  /// every initializer of 1 KiB or more.
  int64_t externalDataThreshold = -1;
  /// External data file, relative to the model's directory. Empty: the model
  /// file name with ".data" appended.
  std::string externalDataFile;
};

/// Writes the module (one func.func of `onnx` ops, as the importer makes it)
/// as an ONNX model. Both files are written to temporaries and renamed, so a
/// failure leaves no partial output. Errors are emitted as diagnostics.
LogicalResult exportONNXFile(ModuleOp module, llvm::StringRef path,
                             const ONNXExportOptions &options = {});

/// The bytes the module's weights (initializers and tensor constants with an
/// ONNX data type) take as ONNX raw data.
int64_t getONNXWeightBytes(ModuleOp module);

/// Serializes to a stream; fails if any initializer would need external data.
LogicalResult exportONNX(ModuleOp module, llvm::raw_ostream &os);

/// Registers the `export-onnx` translation (peft-translate).
void registerONNXExportTranslation();

} // namespace mlir::peft

#endif // PEFT_TARGET_ONNX_ONNXEXPORT_H
