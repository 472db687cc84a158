//===- CPURuntime.h - JIT-compile a module and call its functions -*- C++
//-*-===//
//
// The CPU runtime behind peft-run and Python's Module.run: lower a module of
// onnx/peft/linalg ops on tensors with peft-lower-to-llvm, JIT-compile it with
// the in-process mlir::ExecutionEngine, and call its public functions on
// HostTensors. Tensor arguments are passed as memref descriptors; results
// come back as descriptors of buffers the generated code malloc'ed, whose
// shapes may be known only at run time, and become HostTensors that own them.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_RUNTIME_CPURUNTIME_H
#define PEFT_RUNTIME_CPURUNTIME_H

#include "peft/Support/HostTensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace mlir::peft::runtime {

/// An argument or result of a callable function, as a caller sees it.
struct TensorSpec {
  /// `onnx.name` of the argument/result, else "argN" / "resultN".
  std::string name;
  ElementKind kind = ElementKind::F32;
  /// Negative sizes are dynamic.
  llvm::SmallVector<int64_t, 4> shape;
  /// `onnx.dim_params`: the symbolic name of each dim ("" where none).
  llvm::SmallVector<std::string, 4> dimParams;

  /// "input_ids: i64[batch x sequence]"-like text for messages.
  std::string describe() const;
};

/// A public function whose arguments and results are all tensors (or
/// identity-layout memrefs) of supported element types.
struct FunctionSignature {
  std::string name;
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;

  /// Index of the input called `name` (its onnx.name or argN), or -1.
  int lookupInput(llvm::StringRef name) const;
};

struct CPUCompileOptions {
  /// LLVM optimization level for the JIT (0-3).
  unsigned optLevel = 3;
  /// Shared libraries the generated code may call, besides
  /// libmlir_c_runner_utils and libmlir_runner_utils (always loaded).
  std::vector<std::string> sharedLibs;
  /// Lowering pass pipeline (textual, on builtin.module); empty means
  /// peft-lower-to-llvm{runtime-errors}. A failed run-time check of a
  /// module lowered with `runtime-errors` (peft-cpu-runtime-errors) is an
  /// error of the call; without it, it aborts the process.
  std::string pipeline;
  /// Called with the module once it is lowered to the LLVM dialect.
  std::function<void(ModuleOp)> onLowered;
};

/// A JIT-compiled module.
class CPUExecutable {
public:
  /// Lowers a copy of `module` (the caller's module is left as it is) with
  /// peft-lower-to-llvm and JIT-compiles it. Lowering errors carry the
  /// diagnostics (locations render as ONNX node names). Weights (resource
  /// blobs) are read in place, not copied: the module's context must outlive
  /// the executable.
  static llvm::Expected<std::unique_ptr<CPUExecutable>>
  compile(ModuleOp module, const CPUCompileOptions &options = {});
  ~CPUExecutable();

  /// Every callable function.
  llvm::ArrayRef<FunctionSignature> getFunctions() const { return functions; }
  /// The function called `name`; an empty name picks the only callable
  /// function (an ONNX model has exactly one).
  llvm::Expected<const FunctionSignature *>
  getFunction(llvm::StringRef name = {}) const;

  /// Calls `fn` with `inputs` in argument order. Checks element types, ranks,
  /// static sizes and that dims sharing an onnx.dim_params name agree; an
  /// error names the offending input. Inputs are not modified. A run-time
  /// check of the generated code that fails (a batch that does not split
  /// into task groups, say) abandons the call and is returned as an error
  /// with its message and location; what the call had allocated until then
  /// is not freed.
  llvm::Expected<std::vector<HostTensor>>
  run(const FunctionSignature &fn, llvm::ArrayRef<HostTensor> inputs) const;

  /// Puts named inputs in `fn`'s argument order; every input must be given
  /// exactly once.
  static llvm::Expected<std::vector<HostTensor>>
  orderInputs(const FunctionSignature &fn,
              llvm::ArrayRef<std::pair<std::string, HostTensor>> named);

private:
  CPUExecutable() = default;

  std::unique_ptr<ExecutionEngine> engine;
  std::vector<FunctionSignature> functions;
  /// Public functions that cannot be called from here, with the reason.
  std::vector<std::pair<std::string, std::string>> uncallable;
  /// The packed (`_mlir_ciface_`) entry point of each callable function,
  /// looked up once at compile time.
  llvm::StringMap<void (*)(void **)> entryPoints;
  /// The messages (with locations) of the module's run-time checks, by
  /// number (peft.runtime_errors).
  std::vector<std::string> runtimeErrors;
};

/// The signature of the public function `name` of `module` (an empty name
/// picks the only callable one), without compiling anything.
llvm::Expected<FunctionSignature> getFunctionSignature(ModuleOp module,
                                                       llvm::StringRef name);

/// Gives the tensor arguments of @`name` the static shapes of `inputs` (in
/// argument order): dynamic dims become the inputs' extents. Arguments used
/// only by onnx ops get the static type directly (onnx-cleanup propagates
/// it); others are cast back to their original type with tensor.cast, which
/// canonicalization folds into the linalg ops. Errors name the input whose
/// rank or static sizes disagree.
llvm::Error specializeFunction(ModuleOp module, llvm::StringRef name,
                               llvm::ArrayRef<HostTensor> inputs);

/// Loads the CUDA driver (libcuda.so.1), initializes it and checks that it
/// sees a device; the error reads "no CUDA device available: <reason>".
llvm::Error checkCUDADevice();

} // namespace mlir::peft::runtime

#endif // PEFT_RUNTIME_CPURUNTIME_H
