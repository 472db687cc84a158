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

#include <cmath>

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

/// Row-local: stored row r gets r added, so a panel applied at the wrong
/// offset shows. Records what finishRows was told.
struct AddRowIndex final : WeightUpdate {
  LogicalResult apply(numerics::MatrixRef<float>) override { return failure(); }
  LogicalResult apply(numerics::MatrixRef<double>) override {
    return failure();
  }
  bool isRowLocal() const override { return true; }
  LogicalResult prepareRows() override {
    ++prepared;
    return success();
  }
  void applyRows(numerics::MatrixRef<float> panel,
                 int64_t firstRow) const override {
    for (int64_t r = 0; r < panel.rows; ++r)
      for (int64_t c = 0; c < panel.cols; ++c)
        panel(r, c) += float(firstRow + r);
  }
  LogicalResult finishRows(const numerics::NonFinite<float> &bad) override {
    stored = bad;
    return success(bad.count == 0);
  }
  int prepared = 0;
  numerics::NonFinite<float> stored;
};

TEST_F(WeightsTest, HalfWeightIsUpdatedInParallelPanels) {
  // 1000 x 2500 f16 (5 MB: its own huge-page mapping), 48-row panels split
  // between the context's threads. Every element starts at 1; two start at
  // 65504 (the largest f16) and overflow to +inf once their row is added.
  int64_t rows = 1000, cols = 2500;
  std::vector<uint16_t> halves(rows * cols, 0x3C00);
  halves[950 * cols + 7] = halves[977 * cols] = 0x7BFF;
  auto type = RankedTensorType::get({rows, cols}, builder.getF16Type());
  AsmResourceBlob blob(
      ArrayRef<char>(reinterpret_cast<const char *>(halves.data()),
                     halves.size() * 2),
      alignof(uint16_t), nullptr, /*dataIsMutable=*/false);
  Value w = constant(type, "big", std::move(blob));
  Operation *user = use(w);
  AddRowIndex update;
  EXPECT_TRUE(failed(rewriteWeight(user->getOpOperand(0), "big.new", update)));
  EXPECT_EQ(update.prepared, 1);
  EXPECT_EQ(update.stored.count, 2);
  EXPECT_EQ(update.stored.row, 950);
  EXPECT_EQ(update.stored.col, 7);
  EXPECT_TRUE(std::isinf(update.stored.value));

  // Without the overflow, every row r holds 1 + r (exact in f16 up to 2048).
  halves[950 * cols + 7] = halves[977 * cols] = 0x3C00;
  AddRowIndex clean;
  ASSERT_TRUE(
      succeeded(rewriteWeight(user->getOpOperand(0), "big.new", clean)));
  EXPECT_EQ(clean.stored.count, 0);
  std::vector<float> values = read(user->getOperand(0));
  for (int64_t r = 0; r < rows; ++r) {
    float expected = float(1 + r);
    ASSERT_EQ(values[r * cols], expected) << "row " << r;
    ASSERT_EQ(values[r * cols + cols - 1], expected) << "row " << r;
  }
}

} // namespace
