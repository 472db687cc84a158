//===- APITest.cpp - the embedding API: parse, run, print, errors ---------===//

#include "peft/API/API.h"

#include <gtest/gtest.h>

using namespace mlir::peft;

namespace {
constexpr const char *kLinear = R"mlir(
func.func @f(%x: tensor<?x4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %y = peft.linear %x, %w, %b layout out_in role o path "m.o_proj"
         : tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
)mlir";

TEST(API, ParseRunPrint) {
  auto module = api::Module::parse(kLinear);
  ASSERT_TRUE(static_cast<bool>(module)) << llvm::toString(module.takeError());
  EXPECT_NE(module->str().find("peft.linear"), std::string::npos);
  llvm::Error err = module->runPipeline("func.func(convert-peft-to-linalg)");
  ASSERT_FALSE(static_cast<bool>(err)) << llvm::toString(std::move(err));
  std::string text = module->str();
  EXPECT_EQ(text.find("peft.linear"), std::string::npos) << text;
  EXPECT_NE(text.find("linalg.matmul"), std::string::npos) << text;
}

TEST(API, ParseErrorCarriesDiagnostic) {
  auto module = api::Module::parse("func.func @f( {", "broken.mlir");
  ASSERT_FALSE(static_cast<bool>(module));
  std::string message = llvm::toString(module.takeError());
  EXPECT_NE(message.find("broken.mlir:1:"), std::string::npos) << message;
}

TEST(API, UnknownPassIsAnError) {
  auto module = api::Module::parse(kLinear);
  ASSERT_TRUE(static_cast<bool>(module)) << llvm::toString(module.takeError());
  llvm::Error err = module->runPipeline("no-such-pass");
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("no-such-pass"),
            std::string::npos);
}

TEST(API, Version) {
  EXPECT_EQ(api::getVersion().rfind("peft-mlir ", 0), 0u);
  EXPECT_EQ(api::getMLIRVersion().rfind("MLIR 22", 0), 0u);
}
} // namespace
