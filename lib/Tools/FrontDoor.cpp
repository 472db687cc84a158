//===- FrontDoor.cpp - non-MLIR inputs for peft-opt -----------------------===//

#include "peft/Tools/FrontDoor.h"
#include "peft/Target/ONNX/ONNXImport.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "peft/Target/ONNX/ONNXExport.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::peft;

bool mlir::peft::isONNXOutput(llvm::StringRef path) {
  return path.ends_with_insensitive(".onnx");
}

InputKind mlir::peft::classifyInput(llvm::StringRef path) {
  if (path.ends_with_insensitive(".onnx"))
    return InputKind::ONNX;
  if (path == "-")
    return InputKind::MLIR;
  auto buffer = llvm::MemoryBuffer::getFileSlice(path, /*MapSize=*/2,
                                                 /*Offset=*/0);
  if (!buffer || (*buffer)->getBufferSize() < 2)
    return InputKind::MLIR;
  llvm::StringRef head = (*buffer)->getBuffer();
  // Field 1, wire type 0, followed by a small ir_version varint.
  if (head[0] == '\x08' && static_cast<unsigned char>(head[1]) < 0x80)
    return InputKind::ONNX;
  return InputKind::MLIR;
}

OwningOpRef<ModuleOp> mlir::peft::importInput(InputKind kind,
                                              llvm::StringRef path,
                                              MLIRContext &context) {
  Location loc = FileLineColLoc::get(&context, path, 0, 0);
  switch (kind) {
  case InputKind::ONNX:
    return importONNXFile(path, context);
  case InputKind::MLIR:
    return parseSourceFile<ModuleOp>(path, ParserConfig(&context));
  }
  llvm_unreachable("unknown input kind");
}

LogicalResult mlir::peft::runFrontDoor(InputKind kind,
                                       llvm::StringRef inputFilename,
                                       llvm::StringRef outputFilename,
                                       DialectRegistry &registry,
                                       ONNXQuantizedForm quantizedForm) {
  MlirOptMainConfig config = MlirOptMainConfig::createFromCLOptions();
  MLIRContext context(registry);
  context.allowUnregisteredDialects(config.shouldAllowUnregisteredDialects());
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);

  // -mlir-timing reports import, passes and output, as mlir-opt does.
  DefaultTimingManager timingManager;
  applyDefaultTimingManagerCLOptions(timingManager);
  TimingScope timing = timingManager.getRootScope();

  OwningOpRef<ModuleOp> module;
  {
    TimingScope importTiming = timing.nest("Import");
    module = importInput(kind, inputFilename, context);
  }
  if (!module)
    return failure();

  PassManager pm(&context, ModuleOp::getOperationName(),
                 OpPassManager::Nesting::Implicit);
  if (failed(applyPassManagerCLOptions(pm)) ||
      failed(config.setupPassPipeline(pm)))
    return failure();
  if (config.shouldVerifyPasses())
    pm.enableVerifier(true);
  pm.enableTiming(timing);
  if (failed(pm.run(*module)))
    return failure();

  TimingScope outputTiming = timing.nest("Output");
  // An ONNX destination is exported. Its weights go to an external data file
  // when they would not fit a protobuf, and also when the input kept them in
  // one (its weights outweigh the model file): they then stream from their
  // blobs to disk instead of being copied through the protobuf.
  if (isONNXOutput(outputFilename)) {
    ONNXExportOptions options;
    options.quantizedForm = quantizedForm;
    uint64_t inputBytes = 0;
    if (kind == InputKind::ONNX &&
        !llvm::sys::fs::file_size(inputFilename, inputBytes) &&
        getONNXWeightBytes(*module) > int64_t(inputBytes))
      options.externalDataThreshold = 1024;
    return exportONNXFile(*module, outputFilename, options);
  }

  // llvm::writeToOutput writes a temporary next to the destination and
  // renames it: a failure while printing never leaves a half-written file.
  bool printFailed = false;
  llvm::Error error =
      llvm::writeToOutput(outputFilename, [&](llvm::raw_ostream &os) {
        if (config.shouldEmitBytecode()) {
          printFailed = failed(writeBytecodeToFile(*module, os));
        } else {
          module->print(os);
          os << "\n";
        }
        return llvm::Error::success();
      });
  if (error) {
    emitError(UnknownLoc::get(&context))
        << "cannot write '" << outputFilename
        << "': " << llvm::toString(std::move(error));
    return failure();
  }
  return failure(printFailed);
}
