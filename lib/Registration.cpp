//===- Registration.cpp - register peft-mlir's own dialects and passes ----===//
//
// Kept apart from InitAll.cpp so that the plugin can register our dialects and
// passes without pulling in (and compiling against) every upstream dialect.
//
//===----------------------------------------------------------------------===//

#include "peft/InitAll.h"

#include "peft/Conversion/Passes.h"
#include "peft/Dialect/ONNX/IR/ONNXDialect.h"
#include "peft/Dialect/ONNX/Transforms/Passes.h"
#include "peft/Dialect/Peft/IR/PeftDialect.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Pipelines/GPUPipeline.h"
#include "peft/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"

void mlir::peft::registerPeftDialects(DialectRegistry &registry) {
  registry.insert<PeftDialect>();
  registry.insert<onnx_ir::ONNXDialect>();
}

void mlir::peft::registerPeftPasses() {
  // Both peft-opt and a plugin host may call this; pipelines must be
  // registered once.
  static bool once = [] {
    registerPeftTransformsPasses();
    registerONNXTransformsPasses();
    registerPeftConversionPasses();
    registerPipelines();
    registerGPUPipeline();
    return true;
  }();
  (void)once;
}
