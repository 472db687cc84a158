//===- GPUPipeline.h - lowering of linalg on tensors to CUDA ----*- C++ -*-===//

#ifndef PEFT_PIPELINES_GPUPIPELINE_H
#define PEFT_PIPELINES_GPUPIPELINE_H

#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir {
class OpPassManager;
namespace peft {

/// What the gpu.binary holds.
enum class GPUBinaryFormat { Isa, Bin, Fatbin };

/// Options of `peft-lower-to-nvvm`.
struct LowerToNVVMOptions : public PassPipelineOptions<LowerToNVVMOptions> {
  PassOptions::Option<std::string> chip{*this, "chip",
                                        llvm::cl::desc("GPU architecture"),
                                        llvm::cl::init("sm_90")};
  PassOptions::Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features (the default +ptx60 of upstream aborts "
                     "for sm_90)"),
      llvm::cl::init("+ptx80")};
  PassOptions::Option<GPUBinaryFormat> format{
      *this, "format", llvm::cl::desc("Device code in the gpu.binary"),
      llvm::cl::init(GPUBinaryFormat::Fatbin),
      llvm::cl::values(
          clEnumValN(GPUBinaryFormat::Isa, "isa", "PTX text"),
          clEnumValN(GPUBinaryFormat::Bin, "bin", "cubin (needs ptxas)"),
          clEnumValN(GPUBinaryFormat::Fatbin, "fatbin",
                     "fat binary (needs ptxas, fatbinary)"))};
  PassOptions::Option<unsigned> optLevel{
      *this, "opt-level", llvm::cl::desc("LLVM optimization level for NVPTX"),
      llvm::cl::init(3)};
  PassOptions::Option<bool> runtimeErrors{
      *this, "runtime-errors",
      llvm::cl::desc("Failed run-time checks (cf.assert) of the host code "
                     "call the runtime's error handler @peft_runtime_error, "
                     "which peft-run and Module.run define, instead of "
                     "aborting the process (peft-cpu-runtime-errors)"),
      llvm::cl::init(false)};
  PassOptions::Option<std::string> cudaPath{
      *this, "cuda-path",
      llvm::cl::desc("CUDA toolkit (ptxas, libdevice); default: $CUDA_ROOT, "
                     "$CUDA_HOME, $CUDA_PATH, then /usr/local/cuda")};
};

/// Appends the GPU lowering (peft/linalg on tensors -> LLVM dialect host code
/// with an embedded gpu.binary) to `pm`, anchored on a builtin.module.
/// Fails (with a message on `errorStream`) only for an internal error.
LogicalResult buildLowerToNVVMPipeline(OpPassManager &pm,
                                       const LowerToNVVMOptions &options,
                                       raw_ostream &errorStream);

/// Registers `peft-lower-to-nvvm` (once; later calls do nothing) and the
/// peft-gpu-* passes it runs.
void registerGPUPipeline();

} // namespace peft
} // namespace mlir

#endif // PEFT_PIPELINES_GPUPIPELINE_H
