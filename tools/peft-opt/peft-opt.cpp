//===- peft-opt.cpp - the peft-mlir optimizer driver ----------------------===//
//
// mlir-opt with every upstream dialect and pass our pipelines use, plus ours,
// and a front door for model files (`peft-opt model.onnx --pass ...`).
//
//===----------------------------------------------------------------------===//

#include "peft/Config.h"
#include "peft/InitAll.h"
#include "peft/Target/ONNX/ONNXImport.h"
#include "peft/Tools/FrontDoor.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

static constexpr const char *kOverview =
    R"(peft-opt: low-rank rewriting of transformer models

Reads MLIR (text or bytecode) or an ONNX model (by extension or content),
runs the given passes and prints the result, like mlir-opt; an output named
*.onnx is exported as an ONNX model instead.

Examples:
  # Lower peft.linear layers to linalg and print the result.
  peft-opt model.mlir --convert-peft-to-linalg

  # List the linear layers of a model (table on stdout, IR discarded).
  peft-opt model.mlir --peft-list-linears -o /dev/null

  # Lower all the way to the LLVM dialect for CPU execution.
  peft-opt model.mlir --peft-lower-to-llvm -o model.llvm.mlir

  # Recognize the linear layers of an ONNX export and show their roles.
  peft-opt model.onnx --peft-raise-linear --peft-list-linears -o /dev/null

  # Load a Hugging Face PEFT adapter (save_pretrained directory), merge it
  # and write an ONNX model again (weights in merged.onnx.data when large).
  peft-opt model.onnx --peft-raise-linear --peft-load-adapter=path=adapter_dir \
    --peft-merge-lora=drop-adapters=true -o merged.onnx

  # New PiSSA adapters on q and v, then make adapters runtime inputs.
  peft-opt model.onnx --peft-raise-linear \
    --peft-insert-lora="targets=q_proj,v_proj rank=8 alpha=16 init=pissa" \
    --peft-lora-as-inputs=max-rank=16 -o runtime.mlir

  # Quantize to int4 groups of 32 and write QDQ (DequantizeLinear -> MatMul,
  # opset 21) instead of com.microsoft.MatMulNBits.
  peft-opt model.onnx --peft-raise-linear \
    --peft-quantize-weights="bits=4 granularity=group group-size=32" \
    --quantized-form=qdq -o model_w4.onnx

  # The same passes as an explicit pipeline.
  peft-opt model.mlir --pass-pipeline='builtin.module(func.func(convert-peft-to-linalg))'
)";

static llvm::cl::opt<std::string> quantizedForm(
    "quantized-form",
    llvm::cl::desc("How an .onnx output stores quantized linears: "
                   "matmulnbits (com.microsoft.MatMulNBits, default) or qdq "
                   "(DequantizeLinear -> MatMul)"),
    llvm::cl::init("matmulnbits"));

int main(int argc, char **argv) {
  peft::registerAllPasses();
  DialectRegistry registry;
  peft::registerAllDialects(registry);
  llvm::cl::AddExtraVersionPrinter([](llvm::raw_ostream &os) {
    os << "peft-mlir " << PEFT_VERSION_STRING << " (built against MLIR "
       << PEFT_MLIR_VERSION_STRING << ", ONNX " << peft::getONNXLibraryVersion()
       << ")\n";
  });

  auto [inputFilename, outputFilename] =
      registerAndParseCLIOptions(argc, argv, kOverview, registry);
  std::optional<peft::ONNXQuantizedForm> form =
      peft::parseONNXQuantizedForm(quantizedForm);
  if (!form) {
    llvm::errs() << "peft-opt: --quantized-form must be matmulnbits or qdq, "
                    "got '"
                 << quantizedForm << "'\n";
    return 1;
  }
  if (quantizedForm.getNumOccurrences() &&
      !peft::isONNXOutput(outputFilename)) {
    llvm::errs() << "peft-opt: --quantized-form applies to an .onnx output "
                    "(-o model.onnx)\n";
    return 1;
  }
  peft::InputKind kind = peft::classifyInput(inputFilename);
  if (kind != peft::InputKind::MLIR || peft::isONNXOutput(outputFilename))
    return asMainReturnCode(peft::runFrontDoor(
        kind, inputFilename, outputFilename, registry, *form));
  return asMainReturnCode(
      MlirOptMain(argc, argv, inputFilename, outputFilename, registry));
}
