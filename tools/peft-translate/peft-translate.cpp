//===- peft-translate.cpp - ONNX <-> MLIR, MLIR -> PTX/cubin -----------===//
//
// Import an ONNX model into the onnx dialect, or export a module of onnx ops
// back to ONNX (with external data for large initializers), or compile a
// model through peft-lower-to-nvvm and write the device code it produces.
//
//===----------------------------------------------------------------------===//

#include "peft/Config.h"
#include "peft/InitAll.h"
#include "peft/Pipelines/GPUPipeline.h"
#include "peft/Target/ONNX/ONNXExport.h"
#include "peft/Target/ONNX/ONNXImport.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

static constexpr const char *kOverview = R"(peft-translate: ONNX <-> MLIR

Examples:
  # ONNX model -> MLIR (onnx dialect; weights as resource blobs)
  peft-translate --import-onnx model.onnx -o model.mlir

  # ... without printing megabytes of weights
  peft-translate --import-onnx model.onnx --mlir-elide-resource-strings-if-larger=64

  # MLIR -> ONNX; initializers >= 1 MiB go to model.onnx.data
  peft-translate --export-onnx model.mlir -o model.onnx --external-data-threshold=1048576

  # MLIR or ONNX -> the PTX / cubin of its kernels (peft-lower-to-nvvm)
  peft-translate --emit-ptx model.mlir -o model.ptx --gpu-chip=sm_90
  peft-translate --emit-cubin model.onnx -o model.cubin
)";

enum class Mode { None, Import, Export, EmitPTX, EmitCubin };

/// Runs peft-lower-to-nvvm on `module` and writes the device code of its one
/// gpu.binary (all kernels are merged into one gpu.module) to `output`.
static LogicalResult emitDeviceCode(ModuleOp module,
                                    const peft::LowerToNVVMOptions &options,
                                    StringRef output) {
  PassManager pm(module->getContext());
  if (failed(applyPassManagerCLOptions(pm)) ||
      failed(peft::buildLowerToNVVMPipeline(pm, options, llvm::errs())) ||
      failed(pm.run(module)))
    return failure();
  SmallVector<gpu::BinaryOp> binaries(module.getOps<gpu::BinaryOp>());
  if (binaries.empty())
    return module.emitError("peft-translate: the module has no GPU kernels");
  if (binaries.size() != 1 || binaries.front().getObjects().size() != 1)
    return binaries.front().emitError(
        "peft-translate: expected one gpu.binary with one object");
  auto object = cast<gpu::ObjectAttr>(binaries.front().getObjects()[0]);
  StringRef bytes = object.getObject().getValue();
  if (llvm::Error e = llvm::writeToOutput(output, [&](llvm::raw_ostream &os) {
        // PTX is embedded NUL-terminated for the driver's JIT.
        os << (object.getFormat() == gpu::CompilationTarget::Assembly
                   ? bytes.rtrim('\0')
                   : bytes);
        return llvm::Error::success();
      })) {
    llvm::errs() << "peft-translate: cannot write '" << output
                 << "': " << llvm::toString(std::move(e)) << "\n";
    return failure();
  }
  return success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  static cl::opt<Mode> mode(
      cl::desc("Translation:"),
      cl::values(clEnumValN(Mode::Import, "import-onnx",
                            "ONNX model (.onnx) -> MLIR (onnx dialect)"),
                 clEnumValN(Mode::Export, "export-onnx",
                            "MLIR (onnx dialect) -> ONNX model"),
                 clEnumValN(Mode::EmitPTX, "emit-ptx",
                            "MLIR or ONNX -> PTX of its GPU kernels"),
                 clEnumValN(Mode::EmitCubin, "emit-cubin",
                            "MLIR or ONNX -> cubin of its GPU kernels (needs "
                            "ptxas)")),
      cl::init(Mode::None));
  static cl::opt<std::string> input(cl::Positional, cl::desc("<input file>"),
                                    cl::init("-"));
  static cl::opt<std::string> output("o", cl::desc("Output file"),
                                     cl::value_desc("filename"), cl::init("-"));
  static cl::opt<bool> emitBytecode("emit-bytecode",
                                    cl::desc("Import: write MLIR bytecode"));
  static cl::opt<bool> stripLocations(
      "strip-locations",
      cl::desc("Import: do not print locations. They carry the ONNX node "
               "names, which export writes back; without them nodes are "
               "exported unnamed"));
  static cl::opt<bool> noShapeInference(
      "no-shape-inference",
      cl::desc("Import: do not run ONNX shape inference first"));
  static cl::opt<int64_t> externalThreshold(
      "external-data-threshold",
      cl::desc("Export: initializers of at least this many bytes go to the "
               "external data file (default: only when the model exceeds "
               "~1.8 GB, then every initializer >= 1 KiB)"),
      cl::init(-1));
  static cl::opt<std::string> externalFile(
      "external-data-file",
      cl::desc("Export: external data file name, relative to the model "
               "(default: <model>.data)"));
  static cl::opt<std::string> quantizedForm(
      "quantized-form",
      cl::desc("Export: how peft.qlinear layers are written: matmulnbits "
               "(com.microsoft.MatMulNBits, default) or qdq "
               "(DequantizeLinear -> MatMul; raises the opset to 13 or 21 "
               "as the layers need)"),
      cl::init("matmulnbits"));
  static cl::opt<std::string> gpuChip(
      "gpu-chip", cl::desc("--emit-ptx/--emit-cubin: GPU architecture"),
      cl::init("sm_90"));
  static cl::opt<std::string> gpuFeatures(
      "gpu-features", cl::desc("--emit-ptx/--emit-cubin: PTX features"),
      cl::init("+ptx80"));
  static cl::opt<unsigned> gpuOptLevel(
      "gpu-opt-level",
      cl::desc("--emit-ptx/--emit-cubin: NVPTX optimization level"),
      cl::init(3));
  static cl::opt<std::string> cudaPath(
      "cuda-path", cl::desc("--emit-ptx/--emit-cubin: CUDA toolkit (ptxas, "
                            "libdevice); default $CUDA_ROOT, $CUDA_HOME, "
                            "$CUDA_PATH, /usr/local/cuda"));
  registerAsmPrinterCLOptions();
  registerPassManagerCLOptions();
  registerMLIRContextCLOptions();
  cl::AddExtraVersionPrinter([](llvm::raw_ostream &os) {
    os << "peft-mlir " << PEFT_VERSION_STRING << " (built against MLIR "
       << PEFT_MLIR_VERSION_STRING << ", ONNX " << peft::getONNXLibraryVersion()
       << ")\n";
  });
  cl::ParseCommandLineOptions(argc, argv, kOverview);

  // Every dialect: export must be able to name what it cannot write.
  DialectRegistry registry;
  peft::registerAllDialects(registry);
  // The GPU path serializes gpu.modules: NVVM target and GPU translations.
  registerAllGPUToLLVMIRTranslations(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  switch (mode) {
  case Mode::None:
    llvm::errs() << "peft-translate: give --import-onnx, --export-onnx, "
                    "--emit-ptx or --emit-cubin (see --help)\n";
    return 1;
  case Mode::Import: {
    peft::ONNXImportOptions options;
    options.inferShapes = !noShapeInference;
    OwningOpRef<ModuleOp> module =
        peft::importONNXFile(input, context, options);
    if (!module)
      return 1;
    bool printFailed = false;
    if (llvm::Error e = llvm::writeToOutput(output, [&](llvm::raw_ostream &os) {
          if (emitBytecode)
            printFailed = failed(writeBytecodeToFile(*module, os));
          else
            module->print(os, OpPrintingFlags().enableDebugInfo(
                                  /*enable=*/!stripLocations));
          return llvm::Error::success();
        })) {
      llvm::errs() << "peft-translate: cannot write '" << output
                   << "': " << llvm::toString(std::move(e)) << "\n";
      return 1;
    }
    return printFailed ? 1 : 0;
  }
  case Mode::Export: {
    std::string error;
    auto file = openInputFile(input, &error);
    if (!file) {
      llvm::errs() << "peft-translate: " << error << "\n";
      return 1;
    }
    sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    OwningOpRef<ModuleOp> module =
        parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
    if (!module)
      return 1;
    peft::ONNXExportOptions options;
    options.externalDataThreshold = externalThreshold;
    options.externalDataFile = externalFile;
    if (auto form = peft::parseONNXQuantizedForm(quantizedForm)) {
      options.quantizedForm = *form;
    } else {
      llvm::errs() << "peft-translate: --quantized-form must be matmulnbits "
                      "or qdq, not '"
                   << quantizedForm << "'\n";
      return 1;
    }
    if (output == "-")
      return failed(peft::exportONNX(*module, llvm::outs(), options)) ? 1 : 0;
    return failed(peft::exportONNXFile(*module, output, options)) ? 1 : 0;
  }
  case Mode::EmitPTX:
  case Mode::EmitCubin: {
    peft::registerAllPasses(); // the pipeline is assembled from pass names
    OwningOpRef<ModuleOp> module;
    if (StringRef(input).ends_with(".onnx")) {
      module = peft::importONNXFile(input, context, peft::ONNXImportOptions());
    } else {
      std::string error;
      auto file = openInputFile(input, &error);
      if (!file) {
        llvm::errs() << "peft-translate: " << error << "\n";
        return 1;
      }
      sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
      module = parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
    }
    if (!module)
      return 1;
    peft::LowerToNVVMOptions options;
    options.chip = gpuChip;
    options.features = gpuFeatures;
    options.optLevel = gpuOptLevel;
    options.cudaPath = cudaPath;
    options.format = mode == Mode::EmitPTX ? peft::GPUBinaryFormat::Isa
                                           : peft::GPUBinaryFormat::Bin;
    return failed(emitDeviceCode(*module, options, output)) ? 1 : 0;
  }
  }
  return 1;
}
