//===- LinearOpTest.cpp - peft.linear built from C++ ----------------------===//

#include "peft/Dialect/Peft/IR/PeftOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::peft;

namespace {
class LinearOpTest : public ::testing::Test {
protected:
  LinearOpTest() : builder(&ctx) {
    ctx.loadDialect<PeftDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }

  /// An SSA value of `type` with no defining op we care about.
  Value makeValue(RankedTensorType type) {
    OperationState state(builder.getUnknownLoc(), "test.source");
    state.addTypes(type);
    return builder.create(state)->getResult(0);
  }

  MLIRContext ctx;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
};

TEST_F(LinearOpTest, FeatureCountsFollowLayout) {
  ctx.allowUnregisteredDialects();
  auto f32 = builder.getF32Type();
  Value x = makeValue(RankedTensorType::get({2, 8}, f32));
  Value wOutIn = makeValue(RankedTensorType::get({16, 8}, f32));
  Value wInOut = makeValue(RankedTensorType::get({8, 16}, f32));
  auto resultType = RankedTensorType::get({2, 16}, f32);

  auto a = LinearOp::create(builder, builder.getUnknownLoc(), resultType, x,
                            wOutIn, Value(), WeightLayout::out_in,
                            LinearRole::q, builder.getStringAttr("m.q_proj"));
  auto b = LinearOp::create(builder, builder.getUnknownLoc(), resultType, x,
                            wInOut, Value(), WeightLayout::in_out,
                            LinearRole::up, StringAttr());
  EXPECT_EQ(a.getInFeatures(), 8);
  EXPECT_EQ(a.getOutFeatures(), 16);
  EXPECT_EQ(b.getInFeatures(), 8);
  EXPECT_EQ(b.getOutFeatures(), 16);
  EXPECT_EQ(a.getPath(), "m.q_proj");
  EXPECT_FALSE(b.getPath().has_value());
  EXPECT_TRUE(succeeded(verify(*module)));
}

TEST_F(LinearOpTest, VerifierRejectsFeatureMismatch) {
  ctx.allowUnregisteredDialects();
  auto f32 = builder.getF32Type();
  Value x = makeValue(RankedTensorType::get({2, 8}, f32));
  Value w = makeValue(RankedTensorType::get({8, 16}, f32));
  // Declared out_in, so the layer expects 16 input features, not 8.
  LinearOp::create(builder, builder.getUnknownLoc(),
                   RankedTensorType::get({2, 8}, f32), x, w, Value(),
                   WeightLayout::out_in, LinearRole::other, StringAttr());
  std::string message;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  EXPECT_TRUE(failed(verify(*module)));
  EXPECT_NE(message.find("input has 8 features"), std::string::npos) << message;
}
} // namespace
