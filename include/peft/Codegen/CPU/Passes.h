//===- Passes.h - CPU code generation passes --------------------*- C++ -*-===//

#ifndef PEFT_CODEGEN_CPU_PASSES_H
#define PEFT_CODEGEN_CPU_PASSES_H

#include "mlir/Pass/Pass.h"

#include <memory>

namespace mlir::peft {

/// Set by `peft-cpu-tile-contractions` on the register tiles it makes (their
/// M and N loops and tile levels), read and removed by
/// `peft-cpu-vectorize-tiles`.
inline constexpr llvm::StringLiteral kCPUMatmulTileAttrName =
    "peft.matmul_tile";

/// The function `peft-cpu-runtime-errors` calls with the number of a failed
/// check, `void(int64_t)`, which the runtime defines; and the module
/// attribute holding each number's [message, location].
inline constexpr llvm::StringLiteral kRuntimeErrorHandlerName =
    "peft_runtime_error";
inline constexpr llvm::StringLiteral kRuntimeErrorsAttrName =
    "peft.runtime_errors";

// The peft-cpu-* passes have no `constructor`: their create<Name>()
// functions (with an options overload) are generated.
#define GEN_PASS_DECL
#include "peft/Codegen/CPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "peft/Codegen/CPU/Passes.h.inc"

} // namespace mlir::peft

#endif // PEFT_CODEGEN_CPU_PASSES_H
