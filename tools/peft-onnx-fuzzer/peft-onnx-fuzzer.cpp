//===- peft-onnx-fuzzer.cpp - libFuzzer target for the ONNX importer ------===//
//
// Feeds arbitrary bytes to the importer as a model file. Any outcome but a
// crash, a sanitizer report or a hang is fine: bad input must become a
// diagnostic. Inputs that start with the .npy magic go to the .npy reader
// instead, and every input is also read as a safetensors file: those readers
// take the same kind of untrusted sizes. Build with PEFT_ENABLE_FUZZER (clang);
// run e.g.
//   build/bin/peft-onnx-fuzzer -max_total_time=3600 corpus/
//
//===----------------------------------------------------------------------===//

#include "peft/InitAll.h"
#include "peft/Support/Npy.h"
#include "peft/Support/SafeTensors.h"
#include "peft/Target/ONNX/ONNXImport.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  // Errors are the expected outcome; only crashes and sanitizer reports count.
  llvm::consumeError(
      mlir::peft::SafeTensorsFile::parse(
          llvm::MemoryBuffer::getMemBuffer(bytes, "fuzz.safetensors",
                                           /*RequiresNullTerminator=*/false),
          "fuzz.safetensors")
          .takeError());
  if (bytes.starts_with("\x93NUMPY")) {
    llvm::consumeError(mlir::peft::parseNpy(bytes, "fuzz.npy").takeError());
    return 0;
  }

  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    mlir::peft::registerPeftDialects(*r);
    r->insert<mlir::func::FuncDialect>();
    return r;
  }();
  // A fresh context per input: no state carries over between runs.
  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler quiet(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });
  // External data resolves inside a directory that holds nothing.
  (void)mlir::peft::importONNXBuffer(bytes, "/nonexistent/fuzz.onnx", context);
  return 0;
}
