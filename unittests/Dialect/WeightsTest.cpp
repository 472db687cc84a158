//===- WeightsTest.cpp - the weight abstraction's memory policy -----------===//
//
// rewriteWeight updates a blob in place when it may, otherwise gives the op a
// new blob and releases the old one, and leaves a shared weight to its other
// users. The expected values are worked out by hand.
//
//===----------------------------------------------------------------------===//

#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Dialect/ONNX/IR/ONNXDialect.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::peft;

namespace {

class WeightsTest : public ::testing::Test {
protected:
  WeightsTest() : builder(&ctx) {
    ctx.loadDialect<arith::ArithDialect, onnx_ir::ONNXDialect>();
    ctx.allowUnregisteredDialects();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }

  /// An `arith.constant dense_resource` over `blob`.
  Value constant(RankedTensorType type, StringRef key, AsmResourceBlob blob) {
    auto attr = DenseResourceElementsAttr::get(type, key, std::move(blob));
    return arith::ConstantOp::create(builder, builder.getUnknownLoc(),
                                     cast<TypedAttr>(attr))
        .getResult();
  }

  /// An unregistered op using `values` (the weight's users).
  Operation *use(ValueRange values) {
    OperationState state(builder.getUnknownLoc(), "test.use");
    state.addOperands(values);
    return builder.create(state);
  }

  static std::vector<float> read(Value v) {
    return *Weight::lookup(v)->readValues<float>();
  }

  MLIRContext ctx;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
};

/// Adds one to every element.
auto plusOne = [](auto w) -> LogicalResult {
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c)
      w(r, c) += 1;
  return success();
};

TEST_F(WeightsTest, UniquelyOwnedMutableBlobIsUpdatedInPlace) {
  auto type = RankedTensorType::get({2, 2}, builder.getF32Type());
  float init[] = {1, 2, 3, 4};
  Value w = constant(
      type, "w",
      HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(init)));
  const char *before = Weight::lookup(w)->getRawBytes()->data();
  Operation *user = use(w);
  WeightRewriteStats stats0 = getWeightRewriteStats();
  ASSERT_TRUE(
      succeeded(rewriteWeightWith(user->getOpOperand(0), "w.new", plusOne)));
  EXPECT_EQ(getWeightRewriteStats().inPlace, stats0.inPlace + 1);
  EXPECT_EQ(user->getOperand(0), w); // same op, same memory
  EXPECT_EQ(Weight::lookup(w)->getRawBytes()->data(), before);
  EXPECT_EQ(read(w), (std::vector<float>{2, 3, 4, 5}));
}

TEST_F(WeightsTest, ReadOnlyBlobIsReplacedAndReleased) {
  // A read-only view (like an mmap'd external-data tensor): its deleter
  // runs when the rewrite releases it.
  auto type = RankedTensorType::get({4}, builder.getF16Type());
  static const uint16_t halves[] = {0x3C00, 0x4000, 0x4200, 0x4400}; // 1..4
  bool deleted = false;
  AsmResourceBlob blob(
      ArrayRef<char>(reinterpret_cast<const char *>(halves), sizeof(halves)),
      alignof(uint16_t), [&](void *, size_t, size_t) { deleted = true; },
      /*dataIsMutable=*/false);
  auto init = onnx_ir::InitializerOp::create(
      builder, builder.getUnknownLoc(), "bias",
      DenseResourceElementsAttr::get(type, "bias", std::move(blob)));
  Operation *user = use(init.getResult());
  WeightRewriteStats stats0 = getWeightRewriteStats();
  ASSERT_TRUE(
      succeeded(rewriteWeightWith(user->getOpOperand(0), "bias.new", plusOne)));
  WeightRewriteStats stats = getWeightRewriteStats();
  EXPECT_EQ(stats.copied, stats0.copied + 1);
  EXPECT_EQ(stats.released, stats0.released + 1);
  EXPECT_TRUE(deleted);
  // The initializer keeps its ONNX name and gets the new values.
  EXPECT_EQ(user->getOperand(0), init.getResult());
  EXPECT_EQ(init.getName(), "bias");
  EXPECT_EQ(read(init.getResult()), (std::vector<float>{2, 3, 4, 5}));
}

TEST_F(WeightsTest, SharedWeightIsLeftToItsOtherUsers) {
  auto type = RankedTensorType::get({2}, builder.getF64Type());
  double init[] = {1.0 + std::ldexp(1.0, -40), -2};
  Value w = constant(
      type, "shared",
      HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<double>(init)));
  Operation *first = use(w);
  Operation *second = use(w);
  ASSERT_TRUE(succeeded(
      rewriteWeightWith(first->getOpOperand(0), "shared.new", plusOne)));
  EXPECT_NE(first->getOperand(0), w);
  EXPECT_EQ(second->getOperand(0), w);
  // f64 stays f64: 2 + 2^-40 survives.
  auto updated = *Weight::lookup(first->getOperand(0))->readValues<double>();
  EXPECT_EQ(updated[0], 2.0 + std::ldexp(1.0, -40));
  EXPECT_EQ((*Weight::lookup(w)->readValues<double>())[0], init[0]);
}

TEST_F(WeightsTest, HalfWeightsRoundOnceAndFourBitWeightsReadPacked) {
  // 1 + 2^-11 is not an f16; adding 2^-11 twice in f32 and rounding once
  // gives 1 + 2^-10, rounding after each step would stay at 1.
  auto f16 = RankedTensorType::get({1}, builder.getF16Type());
  Value h = constant(f16, "h",
                     HeapAsmResourceBlob::allocateAndCopyInferAlign(
                         ArrayRef<uint16_t>{0x3C00}));
  Operation *user = use(h);
  auto twice = [](auto w) -> LogicalResult {
    w(0, 0) += std::ldexp(1.0f, -11);
    w(0, 0) += std::ldexp(1.0f, -11);
    return success();
  };
  ASSERT_TRUE(
      succeeded(rewriteWeightWith(user->getOpOperand(0), "h.new", twice)));
  EXPECT_EQ(read(user->getOperand(0))[0], 1.0f + std::ldexp(1.0f, -10));

  // i4 [1, -1, 7] packed low nibble first: 0xF1, 0x07.
  auto i4 = RankedTensorType::get({3}, builder.getIntegerType(4));
  Value q = constant(i4, "q",
                     HeapAsmResourceBlob::allocateAndCopyInferAlign(
                         ArrayRef<uint8_t>{0xF1, 0x07}));
  EXPECT_EQ(getWeightStorageBytes(i4), 2);
  EXPECT_EQ(read(q), (std::vector<float>{1, -1, 7}));
}

} // namespace
