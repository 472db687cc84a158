//===- ONNXExport.h - MLIR -> ONNX ModelProto -------------------*- C++ -*-===//

#ifndef PEFT_TARGET_ONNX_ONNXEXPORT_H
#define PEFT_TARGET_ONNX_ONNXEXPORT_H

#include "mlir/IR/BuiltinOps.h"

#include <optional>

namespace mlir::peft {

/// How `peft.qlinear` layers are written (docs/quantization.md, "ONNX").
enum class ONNXQuantizedForm {
  /// onnxruntime's `com.microsoft.MatMulNBits` (2, 4 or 8 bits).
  MatMulNBits,
  /// Standard ONNX: `DequantizeLinear` of a constant integer weight feeding
  /// `MatMul` (+ `Add` for the bias). Per-channel int8 needs opset 13; int4
  /// (2-, 3- and 4-bit weights) and groups (blocked scales) need opset 21:
  /// the model's opset is raised to what its layers need.
  QDQ,
};

/// The form named `name` ("matmulnbits" or "qdq"), or nullopt.
std::optional<ONNXQuantizedForm> parseONNXQuantizedForm(llvm::StringRef name);

struct ONNXExportOptions {
  /// Initializers of at least this many bytes go to the external data file.
  /// -1 (auto): only when the model would not fit a 2 GB protobuf, and then
  /// every initializer of 1 KiB or more.
  int64_t externalDataThreshold = -1;
  /// External data file, relative to the model's directory. Empty: the model
  /// file name with ".data" appended.
  std::string externalDataFile;
  /// How quantized linear layers are written.
  ONNXQuantizedForm quantizedForm = ONNXQuantizedForm::MatMulNBits;
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
LogicalResult exportONNX(ModuleOp module, llvm::raw_ostream &os,
                         const ONNXExportOptions &options = {});

/// Registers the `export-onnx` translation (peft-translate).
void registerONNXExportTranslation();

} // namespace mlir::peft

#endif // PEFT_TARGET_ONNX_ONNXEXPORT_H
