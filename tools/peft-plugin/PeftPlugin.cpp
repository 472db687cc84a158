//===- PeftPlugin.cpp - peft dialect and passes as an mlir-opt plugin -----===//

#include "peft/InitAll.h"

#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"

using namespace mlir;

extern "C" LLVM_ATTRIBUTE_WEAK DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "PeftDialect", LLVM_VERSION_STRING,
          [](DialectRegistry *registry) {
            peft::registerPeftDialects(*registry);
            peft::registerPeftPasses();
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "PeftPasses", LLVM_VERSION_STRING,
          []() { peft::registerPeftPasses(); }};
}
