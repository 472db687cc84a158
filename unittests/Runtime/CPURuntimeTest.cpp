//===- CPURuntimeTest.cpp - the runtime in a context with only its input --===//
//
// The runtime registers what its pipelines use, not every upstream dialect
// and pass: a module parsed in a context that knows only the dialects of the
// module itself compiles and runs, here a peft.linear (convert-peft-to-linalg,
// the peft-cpu-* passes) after an onnx.Mul (onnx-cleanup,
// convert-onnx-to-linalg), tiled, vectorized and bufferized.
//
//===----------------------------------------------------------------------===//

#include "peft/Runtime/CPURuntime.h"
#include "peft/InitAll.h"
#include "peft/Pipelines/GPUPipeline.h"
#include "peft/Pipelines/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::runtime;

namespace {

constexpr const char *kModule = R"mlir(
func.func @main(%x: tensor<2x3xf32>) -> tensor<2x4xf32> {
  %two = arith.constant dense<2.0> : tensor<1xf32>
  %x2 = "onnx.Mul"(%x, %two) : (tensor<2x3xf32>, tensor<1xf32>) -> tensor<2x3xf32>
  %w = arith.constant dense<[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0],
                             [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]]> : tensor<4x3xf32>
  %b = arith.constant dense<[0.5, 0.5, 0.5, 0.5]> : tensor<4xf32>
  %y = peft.linear %x2, %w, %b layout out_in role other
         : tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
)mlir";

/// A context that knows the dialects of kModule and nothing else.
std::unique_ptr<MLIRContext> createInputContext() {
  DialectRegistry registry;
  registry.insert<arith::ArithDialect, func::FuncDialect>();
  registerPeftDialects(registry);
  return std::make_unique<MLIRContext>(registry);
}

TEST(CPURuntime, RunsInAContextWithOnlyTheModulesDialects) {
  auto ctx = createInputContext();
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(kModule, ctx.get());
  ASSERT_TRUE(module);

  auto exe = CPUExecutable::compile(*module);
  ASSERT_TRUE(static_cast<bool>(exe)) << llvm::toString(exe.takeError());
  // Only what the pipelines name was registered.
  EXPECT_TRUE(PassPipelineInfo::lookup("peft-lower-to-nvvm"));
  EXPECT_TRUE(PassInfo::lookup("one-shot-bufferize"));
  EXPECT_FALSE(PassInfo::lookup("sparsification"));
  EXPECT_FALSE(PassInfo::lookup("peft-merge-lora"));

  auto fn = (*exe)->getFunction();
  ASSERT_TRUE(static_cast<bool>(fn)) << llvm::toString(fn.takeError());
  HostTensor x(ElementKind::F32, {2, 3});
  auto xs = x.getMutableValues<float>();
  for (int i = 0; i < 6; ++i)
    xs[i] = float(i);
  auto outputs = (*exe)->run(**fn, {x});
  ASSERT_TRUE(static_cast<bool>(outputs))
      << llvm::toString(outputs.takeError());
  ASSERT_EQ(outputs->size(), 1u);
  // y = 2x · Wᵀ + 0.5: rows (0, 2, 4) and (6, 8, 10).
  const float expected[] = {0.5, 2.5, 4.5, 6.5, 6.5, 8.5, 10.5, 24.5};
  auto ys = (*outputs)[0].getValues<float>();
  ASSERT_EQ(ys.size(), 8u);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(ys[i], expected[i]) << "element " << i;
}

// What peft-run --device=cuda compiles with: the GPU pipeline down to a
// gpu.binary of PTX, from the same registrations.
TEST(CPURuntime, GPUPipelineNeedsNothingElse) {
  auto ctx = createInputContext();
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(kModule, ctx.get());
  ASSERT_TRUE(module);
  DialectRegistry registry;
  registerPipelineDialects(registry);
  ctx->appendDialectRegistry(registry);
  registerPipelinePasses();
  registerGPUPipeline();
  PassManager pm(ctx.get(), ModuleOp::getOperationName());
  std::string errors;
  llvm::raw_string_ostream errorStream(errors);
  ASSERT_TRUE(succeeded(parseModulePassPipeline(
      "peft-lower-to-nvvm{format=isa}", pm, errorStream)))
      << errors;
  ASSERT_TRUE(succeeded(pm.run(*module)));
  int binaries = 0;
  module->walk([&](Operation *op) {
    binaries += op->getName().getStringRef() == "gpu.binary";
  });
  EXPECT_EQ(binaries, 1);
}

} // namespace
