//===- Passes.h - passes of the peft pipelines ------------------*- C++ -*-===//

#ifndef PEFT_PIPELINES_PASSES_H
#define PEFT_PIPELINES_PASSES_H

#include "mlir/Pass/Pass.h"

#include <memory>

namespace mlir::peft {

/// `peft-gpu-map-linalg`: every linalg op on buffers becomes a gpu.launch;
/// contractions use shared-memory tiles for both operands.
std::unique_ptr<Pass> createGPUMapLinalgPass();

/// `peft-gpu-device-buffers`: buffers that kernels touch live in device
/// memory (gpu.alloc / gpu.memcpy); the host sees only host memory.
std::unique_ptr<Pass> createGPUDeviceBuffersPass();

/// `peft-gpu-merge-kernel-modules`: one gpu.module for all outlined kernels.
std::unique_ptr<Pass> createGPUMergeKernelModulesPass();

/// Set by `peft-cpu-tile-contractions` on the register tiles it makes (their
/// M and N loops and tile levels), read and removed by
/// `peft-cpu-vectorize-tiles`.
inline constexpr llvm::StringLiteral kCPUMatmulTileAttrName =
    "peft.matmul_tile";

// The peft-cpu-* passes have no `constructor`: their create<Name>()
// functions (with an options overload) are generated.
#define GEN_PASS_DECL
#include "peft/Pipelines/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "peft/Pipelines/Passes.h.inc"

} // namespace mlir::peft

#endif // PEFT_PIPELINES_PASSES_H
