//===- Passes.h - GPU code generation passes --------------------*- C++ -*-===//

#ifndef PEFT_CODEGEN_GPU_PASSES_H
#define PEFT_CODEGEN_GPU_PASSES_H

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

#define GEN_PASS_DECL
#include "peft/Codegen/GPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "peft/Codegen/GPU/Passes.h.inc"

} // namespace mlir::peft

#endif // PEFT_CODEGEN_GPU_PASSES_H
