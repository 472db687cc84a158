// Uses the installed peft-mlir API: parse a peft.linear, lower it, print.
#include "peft/API/API.h"

#include "llvm/Support/raw_ostream.h"

int main() {
  const char *source = R"mlir(
func.func @f(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>) -> tensor<2x3xf32> {
  %y = peft.linear %x, %w layout out_in role other
         : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
)mlir";
  auto module = mlir::peft::api::Module::parse(source);
  if (!module) {
    llvm::errs() << llvm::toString(module.takeError()) << "\n";
    return 1;
  }
  if (auto err = module->runPipeline("func.func(convert-peft-to-linalg)")) {
    llvm::errs() << llvm::toString(std::move(err)) << "\n";
    return 1;
  }
  llvm::outs() << module->str();
  return 0;
}
