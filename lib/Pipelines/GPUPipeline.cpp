//===- GPUPipeline.cpp - linalg on tensors to CUDA (peft-lower-to-nvvm) ---===//
//
// The pipeline bufferizes, maps every linalg op to a gpu.launch
// (peft-gpu-map-linalg: block tiles, shared-memory operand tiles for
// contractions, thread tiles), moves the buffers kernels touch into device
// memory (peft-gpu-device-buffers), outlines the kernels into one gpu.module
// (peft-gpu-merge-kernel-modules) and lowers host and device code to LLVM,
// the device code to PTX/cubin in a gpu.binary.
//
//===----------------------------------------------------------------------===//

#include "peft/Pipelines/GPUPipeline.h"
#include "peft/Codegen/GPU/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <cstdlib>

using namespace mlir;

namespace {

/// The CUDA toolkit: the option, then the environment variables ptxas is
/// looked up with, then the usual install path.
std::string findCudaToolkit(StringRef option) {
  if (!option.empty())
    return option.str();
  for (const char *var : {"CUDA_ROOT", "CUDA_HOME", "CUDA_PATH"})
    if (const char *value = std::getenv(var); value && *value)
      return value;
  if (llvm::sys::fs::is_directory("/usr/local/cuda"))
    return "/usr/local/cuda";
  return "";
}

} // namespace

LogicalResult
mlir::peft::buildLowerToNVVMPipeline(OpPassManager &pm,
                                     const LowerToNVVMOptions &options,
                                     raw_ostream &errorStream) {
  StringRef format = options.format == GPUBinaryFormat::Isa   ? "isa"
                     : options.format == GPUBinaryFormat::Bin ? "bin"
                                                              : "fatbin";
  std::string toolkit = findCudaToolkit(options.cudaPath);
  std::string attach =
      llvm::formatv("chip={0} features={1} O={2}", options.chip.getValue(),
                    options.features.getValue(), options.optLevel.getValue())
          .str();
  // libdevice (math functions) is linked automatically only when MLIR finds
  // the toolkit itself; name it explicitly.
  SmallString<128> libdevice(toolkit);
  llvm::sys::path::append(libdevice, "nvvm", "libdevice", "libdevice.10.bc");
  if (!toolkit.empty() && llvm::sys::fs::exists(libdevice))
    attach += " l=" + libdevice.str().str();
  std::string binary = "format=" + format.str();
  if (!toolkit.empty())
    binary += " toolkit=" + toolkit;

  std::string pipeline =
      // Front: as peft-lower-to-llvm, then bufferize. onnx-cleanup folds
      // the shape arithmetic of exported models (Shape/Gather/Concat chains
      // feeding Reshape and Expand), which would otherwise leave dynamic
      // shapes that no kernel can be mapped for.
      "func.func(onnx-decompose-contrib-ops),"
      "func.func(onnx-decompose-fused-ops),"
      "func.func(onnx-cleanup,convert-onnx-to-linalg{index-checks=false}),"
      "func.func(convert-peft-qlinear-to-gpu,convert-peft-to-linalg{gathered-"
      "banks}),"
      "canonicalize,func.func(linalg-fuse-elementwise-ops),"
      "one-shot-bufferize{bufferize-function-boundaries "
      "function-boundary-type-conversion=identity-layout-map},"
      "canonicalize,cse,buffer-deallocation-pipeline,"
      "convert-bufferization-to-memref,"
      // Kernels and device memory.
      "peft-gpu-map-linalg,canonicalize,cse,peft-gpu-device-buffers,"
      "func.func(convert-linalg-to-loops,gpu-launch-sink-index-computations),"
      "gpu-kernel-outlining,"
      "peft-gpu-merge-kernel-modules,func.func(gpu-async-region)," +
      std::string(options.runtimeErrors ? "peft-cpu-runtime-errors," : "") +
      // Lowering, as upstream's gpu-lower-to-nvvm-pipeline.
      "convert-scf-to-cf,convert-nvvm-to-llvm,convert-func-to-llvm,"
      "expand-strided-metadata,nvvm-attach-target{" +
      attach +
      "},lower-affine,convert-arith-to-llvm,convert-index-to-llvm,"
      "canonicalize,cse,"
      "gpu.module(strip-debuginfo,convert-gpu-to-nvvm,"
      "llvm-optimize-for-nvvm-target,canonicalize,cse,"
      "reconcile-unrealized-casts),"
      "gpu-to-llvm,gpu-module-to-binary{" +
      binary +
      "},convert-math-to-llvm,canonicalize,cse,reconcile-unrealized-casts";
  return parsePassPipeline(pipeline, pm, errorStream);
}

void mlir::peft::registerGPUPipeline() {
  registerPeftGPUCodegenPasses();
  if (PassPipelineInfo::lookup("peft-lower-to-nvvm"))
    return;
  PassPipelineRegistration<LowerToNVVMOptions>(
      "peft-lower-to-nvvm",
      "Lower a module of peft/linalg ops on tensors (static shapes) to CUDA: "
      "tiled kernels (shared-memory tiles for matmuls) in a gpu.binary, host "
      "code in the LLVM dialect calling the mgpu* runtime",
      [](OpPassManager &pm, const LowerToNVVMOptions &options) {
        if (failed(buildLowerToNVVMPipeline(pm, options, llvm::errs())))
          llvm::report_fatal_error("peft-lower-to-nvvm: internal error: "
                                   "malformed pipeline");
      });
}
