//===- API.h - a small C++ API for embedding peft-mlir ----------*- C++ -*-===//
//
// What the Python package (and other embedders) need without touching MLIR
// internals: own a context with every dialect registered, parse, run a pass
// pipeline, print. Errors come back as text carrying the diagnostics.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_API_API_H
#define PEFT_API_API_H

#include "peft/Runtime/CPURuntime.h"
#include "peft/Runtime/RuntimeAdapters.h"
#include "peft/Support/HostTensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mlir::peft::api {

/// A parsed module together with the context that owns it.
class Module {
public:
  /// Parses MLIR text (or bytecode); `sourceName` names it in diagnostics.
  static llvm::Expected<Module> parse(llvm::StringRef source,
                                      llvm::StringRef sourceName = "<string>");
  /// Parses an MLIR file.
  static llvm::Expected<Module> parseFile(llvm::StringRef path);
  /// Imports an ONNX model (external data is memory-mapped, not copied).
  static llvm::Expected<Module> importONNX(llvm::StringRef path);

  /// Writes the module as an ONNX model. `externalDataThreshold` < 0 means
  /// external data only when the model needs it (> ~1.8 GB).
  /// `quantizedForm`: how quantized linears are written, "matmulnbits"
  /// (com.microsoft.MatMulNBits) or "qdq" (DequantizeLinear -> MatMul).
  llvm::Error exportONNX(llvm::StringRef path,
                         int64_t externalDataThreshold = -1,
                         llvm::StringRef externalDataFile = "",
                         llvm::StringRef quantizedForm = "matmulnbits");

  /// A copy of the module in the same context: weights (resource blobs) are
  /// shared, not copied.
  Module clone() const;
  /// Runs a textual pass pipeline (`builtin.module(...)` or a bare list of
  /// module passes) on the module in place.
  llvm::Error runPipeline(llvm::StringRef pipeline);
  /// Runs the verifier; the error lists the diagnostics.
  llvm::Error verify();
  /// Prints the module as MLIR text (`generic` for the generic op form).
  std::string str(bool generic = false) const;

  /// Runs function `entry` (empty: the module's only callable function, the
  /// graph of an ONNX model) on the CPU. Inputs are named by `onnx.name` or
  /// argN; outputs come back in result order, named by `onnx.name` or
  /// resultN. The module is JIT-compiled on the first call and kept until
  /// runPipeline changes it. `adapters` fill the runtime adapter inputs
  /// (peft-lora-as-inputs) that `inputs` leaves out from PEFT adapter
  /// directories, as `peft-run --adapter` does; a new adapter needs no
  /// recompilation. `tasks` fill the runtime banks (peft-bank-as-inputs),
  /// task t from tasks[t], as `peft-run --task-adapter` does.
  llvm::Expected<std::vector<std::pair<std::string, HostTensor>>>
  run(llvm::ArrayRef<std::pair<std::string, HostTensor>> inputs,
      llvm::StringRef entry = "",
      llvm::ArrayRef<runtime::AdapterSource> adapters = {},
      llvm::ArrayRef<runtime::AdapterSource> tasks = {});
  /// The JIT-compiled module (compiled on first use).
  llvm::Expected<runtime::CPUExecutable *> getExecutable();
  /// How many times this module has been JIT-compiled (once per run after a
  /// change by runPipeline).
  unsigned getCompileCount() const { return compileCount; }

  ModuleOp get() const { return *module; }
  MLIRContext &getContext() const { return *context; }

private:
  Module(std::shared_ptr<MLIRContext> context, OwningOpRef<ModuleOp> module)
      : context(std::move(context)), module(std::move(module)) {}

  std::shared_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<runtime::CPUExecutable> executable;
  unsigned compileCount = 0;
};

/// A context with every dialect peft-mlir uses loaded lazily.
std::shared_ptr<MLIRContext> createContext();

/// "peft-mlir X.Y.Z", the MLIR version it was built against ("MLIR 22.1.0")
/// and the ONNX library it links ("ONNX 1.23.2").
std::string getVersion();
std::string getMLIRVersion();
std::string getONNXVersion();

} // namespace mlir::peft::api

#endif // PEFT_API_API_H
