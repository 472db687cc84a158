//===- API.cpp - a small C++ API for embedding peft-mlir ------------------===//

#include "peft/API/API.h"
#include "peft/Config.h"
#include "peft/InitAll.h"
#include "peft/Support/Diagnostics.h"
#include "peft/Target/ONNX/ONNXExport.h"
#include "peft/Target/ONNX/ONNXImport.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace mlir::peft::api;
using mlir::peft::DiagnosticCollector;
using mlir::peft::HostTensor;

std::shared_ptr<MLIRContext> mlir::peft::api::createContext() {
  // Every pass, for the pipelines users write (the runtime registers only
  // those its own pipelines name).
  static bool registered = [] {
    registerAllPasses();
    return true;
  }();
  (void)registered;
  DialectRegistry registry;
  registerAllDialects(registry);
  auto ctx = std::make_shared<MLIRContext>(registry);
  ctx->allowUnregisteredDialects(false);
  return ctx;
}

llvm::Expected<Module> Module::parse(llvm::StringRef source,
                                     llvm::StringRef sourceName) {
  auto ctx = createContext();
  DiagnosticCollector diags(*ctx);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, sourceName), llvm::SMLoc());
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(ctx.get()));
  if (!module)
    return diags.error("failed to parse " + sourceName);
  return Module(std::move(ctx), std::move(module));
}

llvm::Expected<Module> Module::parseFile(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   "cannot read '" + path +
                                       "': " + buffer.getError().message());
  return parse((*buffer)->getBuffer(), path);
}

llvm::Expected<Module> Module::importONNX(llvm::StringRef path) {
  auto ctx = createContext();
  DiagnosticCollector diags(*ctx);
  OwningOpRef<ModuleOp> module = importONNXFile(path, *ctx);
  if (!module)
    return diags.error("failed to import " + path);
  return Module(std::move(ctx), std::move(module));
}

llvm::Error Module::exportONNX(llvm::StringRef path,
                               int64_t externalDataThreshold,
                               llvm::StringRef externalDataFile,
                               llvm::StringRef quantizedForm) {
  DiagnosticCollector diags(*context);
  ONNXExportOptions options;
  options.externalDataThreshold = externalDataThreshold;
  options.externalDataFile = externalDataFile.str();
  std::optional<ONNXQuantizedForm> form = parseONNXQuantizedForm(quantizedForm);
  if (!form)
    return llvm::createStringError(
        "quantized_form must be 'matmulnbits' or 'qdq', not '" +
        quantizedForm.str() + "'");
  options.quantizedForm = *form;
  if (failed(exportONNXFile(*module, path, options)))
    return diags.error("failed to export " + path);
  return llvm::Error::success();
}

Module Module::clone() const {
  return Module(context, OwningOpRef<ModuleOp>(module.get().clone()));
}

llvm::Error Module::runPipeline(llvm::StringRef pipeline) {
  DiagnosticCollector diags(*context);
  PassManager pm(context.get(), ModuleOp::getOperationName());
  std::string parseErrors;
  llvm::raw_string_ostream errStream(parseErrors);
  // The pass manager is the module's: accept both the anchored form and a
  // bare list of module-level passes.
  llvm::StringRef passes = pipeline.trim();
  if (passes.consume_front("builtin.module(") && !passes.consume_back(")"))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "invalid pass pipeline '" + pipeline +
                                       "': unbalanced parentheses");
  if (failed(parsePassPipeline(passes, pm, errStream)))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "invalid pass pipeline '" + pipeline +
                                       "': " + parseErrors);
  executable.reset();
  if (failed(pm.run(*module)))
    return diags.error("pass pipeline '" + pipeline + "' failed");
  return llvm::Error::success();
}

llvm::Error Module::verify() {
  DiagnosticCollector diags(*context);
  if (failed(mlir::verify(*module)))
    return diags.error("module failed to verify");
  return llvm::Error::success();
}

std::string Module::str(bool generic) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  if (generic)
    flags.printGenericOpForm();
  ModuleOp op = module.get();
  op.print(os, flags);
  return text;
}

llvm::Expected<mlir::peft::runtime::CPUExecutable *> Module::getExecutable() {
  if (!executable) {
    auto compiled = mlir::peft::runtime::CPUExecutable::compile(*module);
    if (!compiled)
      return compiled.takeError();
    executable = std::move(*compiled);
    ++compileCount;
  }
  return executable.get();
}

llvm::Expected<std::vector<std::pair<std::string, HostTensor>>>
Module::run(llvm::ArrayRef<std::pair<std::string, HostTensor>> inputs,
            llvm::StringRef entry,
            llvm::ArrayRef<mlir::peft::runtime::AdapterSource> adapters,
            llvm::ArrayRef<mlir::peft::runtime::AdapterSource> tasks) {
  auto exe = getExecutable();
  if (!exe)
    return exe.takeError();
  auto fn = (*exe)->getFunction(entry);
  if (!fn)
    return fn.takeError();
  std::vector<std::pair<std::string, HostTensor>> allInputs;
  if (!adapters.empty() || !tasks.empty()) {
    std::vector<std::string> given;
    for (const auto &input : inputs)
      given.push_back(input.first);
    auto filled = mlir::peft::runtime::loadMissingRuntimeInputs(
        **fn, adapters, tasks, given, "adapters", "tasks");
    if (!filled)
      return filled.takeError();
    allInputs = std::move(*filled);
  }
  // Copies share the caller's memory.
  allInputs.insert(allInputs.end(), inputs.begin(), inputs.end());
  auto ordered =
      mlir::peft::runtime::CPUExecutable::orderInputs(**fn, allInputs);
  if (!ordered)
    return ordered.takeError();
  auto outputs = (*exe)->run(**fn, *ordered);
  if (!outputs)
    return outputs.takeError();
  std::vector<std::pair<std::string, HostTensor>> named;
  for (auto [spec, tensor] : llvm::zip_equal((*fn)->outputs, *outputs))
    named.emplace_back(spec.name, std::move(tensor));
  return named;
}

std::string mlir::peft::api::getVersion() {
  return std::string("peft-mlir ") + PEFT_VERSION_STRING;
}
std::string mlir::peft::api::getMLIRVersion() {
  return std::string("MLIR ") + PEFT_MLIR_VERSION_STRING;
}
std::string mlir::peft::api::getONNXVersion() {
  return "ONNX " + getONNXLibraryVersion().str();
}
