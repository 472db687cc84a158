//===- QLinearToGPU.cpp - int4 qlinear as a split-K GPU kernel ------------===//
//
// convert-peft-qlinear-to-gpu: the GPU path of int4 peft.qlinear. One
// gpu.launch on the buffers of the (static-shaped) operands: a warp per
// output, its lanes reading consecutive 16-byte chunks of the packed weight
// row (one 128-bit load each, 32 weights), unpacking and scaling them in
// registers for a tile of up to 4 rows; the K range is split over the grid's
// y dimension so that a single row (decode, M = 1) still gives enough warps
// to fill the device, and the warps' partial sums meet in the zero-filled
// result by atomic adds. Bias and rounding follow as linalg ops, mapped to
// kernels by peft-gpu-map-linalg like every other op.
//
//===----------------------------------------------------------------------===//

#include "MatrixBuilders.h"
#include "peft/Conversion/PeftToLinalg/PeftToLinalg.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::peft {
#define GEN_PASS_DEF_CONVERTPEFTQLINEARTOGPU
#include "peft/Conversion/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::matrix;

namespace {

constexpr int64_t kChunk = 32; // weights a lane reads at once (16 bytes)
constexpr int64_t kLanes = 16; // f32 lanes of each half of a chunk
constexpr int64_t kWarp = 32;  // threads of a warp (block x)
constexpr int64_t kWarpsPerBlock = 8;

/// Whether the kernel covers `op`: int4 weights (and zero points) that are
/// constants, static shapes, f32 activations, chunks inside groups.
bool isSupported(QLinearOp op) {
  auto weightType = op.getWeight().getType();
  if (weightType.getElementType().getIntOrFloatBitWidth() != 4 ||
      !weightType.hasStaticShape() || weightType.getDimSize(1) % kChunk ||
      op.getGroupSize().value_or(kChunk) % kChunk)
    return false;
  if (Value zp = op.getZeroPoints())
    if (cast<RankedTensorType>(zp.getType())
            .getElementType()
            .getIntOrFloatBitWidth() != 4)
      return false;
  return op.getInput().getType().hasStaticShape() &&
         op.getResult().getType().getElementType().isF32();
}

struct ConvertPeftQLinearToGPUPass
    : public peft::impl::ConvertPeftQLinearToGPUBase<
          ConvertPeftQLinearToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    if (splitK < 0) {
      emitError(getOperation().getLoc())
          << "convert-peft-qlinear-to-gpu: split-k must be at least 0";
      return signalPassFailure();
    }
    SmallVector<QLinearOp> ops;
    getOperation().walk([&](QLinearOp op) {
      if (isSupported(op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (QLinearOp op : ops)
      lower(rewriter, op);
  }

  void lower(IRRewriter &b, QLinearOp op) {
    Location loc = op.getLoc();
    b.setInsertionPoint(op);
    FailureOr<Value> bytes = packedBytesOf(b, loc, op.getWeight());
    FailureOr<Value> zpBytes = failure();
    if (op.getZeroPoints()) {
      zpBytes = packedBytesOf(b, loc, op.getZeroPoints());
      if (failed(zpBytes))
        return; // convert-peft-to-linalg reports a runtime int4 operand
    }
    if (failed(bytes))
      return;

    auto weightType = op.getWeight().getType();
    int64_t out = weightType.getDimSize(0), in = weightType.getDimSize(1);
    int64_t groupSize = op.getGroupSize().value_or(0);
    int64_t groups =
        cast<RankedTensorType>(op.getScales().getType()).getDimSize(1);
    Value x = collapseToMatrix(b, loc, op.getInput());
    int64_t rows = cast<RankedTensorType>(x.getType()).getDimSize(0);
    // Row tile: the largest of 4, 2, 1 dividing M (no partial tiles).
    int64_t tileM = rows % 4 == 0 ? 4 : rows % 2 == 0 ? 2 : 1;
    int64_t chunks = in / kChunk;
    // Split K so that each lane still reads about two chunks a split.
    int64_t splits =
        splitK > 0 ? splitK : std::clamp<int64_t>(chunks / (2 * kWarp), 1, 16);
    splits = std::min(splits, chunks);
    int64_t chunksPerSplit = (chunks + splits - 1) / splits;

    auto toBuffer = [&](Value tensor) -> Value {
      auto type = cast<RankedTensorType>(tensor.getType());
      return bufferization::ToBufferOp::create(
          b, loc, MemRefType::get(type.getShape(), type.getElementType()),
          tensor, /*readOnly=*/true);
    };
    Value xBuf = toBuffer(x);
    Value wBuf = toBuffer(*bytes);
    Value sBuf = toBuffer(op.getScales());
    Value zBuf = succeeded(zpBytes) ? toBuffer(*zpBytes) : Value();
    Type f32 = b.getF32Type();
    auto yType = MemRefType::get({rows, out}, f32);
    Value yBuf = memref::AllocOp::create(b, loc, yType);
    linalg::FillOp::create(b, loc, floatConstant(b, loc, f32, 0.0), yBuf);

    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    auto launch = gpu::LaunchOp::create(
        b, loc, index((out + kWarpsPerBlock - 1) / kWarpsPerBlock),
        index(splits), index(rows / tileM), index(kWarp), index(kWarpsPerBlock),
        index(1));
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&launch.getBody().front());
      Value lane = launch.getThreadIds().x;
      Value n = arith::AddIOp::create(
          b, loc,
          arith::MulIOp::create(b, loc, launch.getBlockIds().x,
                                index(kWarpsPerBlock)),
          launch.getThreadIds().y);
      Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                            n, index(out));
      auto ifOp = scf::IfOp::create(b, loc, inRange, /*withElse=*/false);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      Value m0 =
          arith::MulIOp::create(b, loc, launch.getBlockIds().z, index(tileM));
      Value cBegin = arith::MulIOp::create(b, loc, launch.getBlockIds().y,
                                           index(chunksPerSplit));
      Value cEnd = arith::MinUIOp::create(
          b, loc, arith::AddIOp::create(b, loc, cBegin, index(chunksPerSplit)),
          index(chunks));
      auto laneType = VectorType::get({kLanes}, f32);
      Value zero = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(laneType, b.getF32FloatAttr(0.0f)));
      SmallVector<Value> init(tileM, zero);
      auto kLoop = scf::ForOp::create(
          b, loc, arith::AddIOp::create(b, loc, cBegin, lane), cEnd,
          index(kWarp), init,
          [&](OpBuilder &, Location, Value c, ValueRange accs) {
            Value k = arith::MulIOp::create(b, loc, c, index(kChunk));
            Value g = groupSize
                          ? arith::DivUIOp::create(b, loc, k, index(groupSize))
                                .getResult()
                          : index(0);
            Value s = memref::LoadOp::create(b, loc, sBuf, ValueRange{n, g});
            Value sv = vector::BroadcastOp::create(b, loc, laneType, s);
            Value zs;
            if (zBuf) {
              Value z = readNibble(
                  b, loc, zBuf,
                  arith::AddIOp::create(
                      b, loc, arith::MulIOp::create(b, loc, n, index(groups)),
                      g));
              Value zf = arith::SIToFPOp::create(b, loc, f32, z);
              zs = vector::BroadcastOp::create(
                  b, loc, laneType,
                  arith::NegFOp::create(b, loc,
                                        arith::MulFOp::create(b, loc, zf, s)));
            }
            // One 128-bit load: row n starts at byte n·in/2 (in % 32 == 0),
            // chunk c 16 bytes further each.
            Value offset = arith::AddIOp::create(
                b, loc, arith::MulIOp::create(b, loc, n, index(in / 2)),
                arith::MulIOp::create(b, loc, c, index(kChunk / 2)));
            Value packed = vector::LoadOp::create(
                b, loc, VectorType::get({kLanes}, b.getI8Type()), wBuf,
                ValueRange{offset}, /*nontemporal=*/false, llvm::Align(16));
            auto [lo, hi] = splitNibbles(b, loc, packed);
            auto scale = [&](Value q) -> Value {
              Value f = arith::SIToFPOp::create(b, loc, laneType, q);
              return zs ? vector::FMAOp::create(b, loc, f, sv, zs).getResult()
                        : arith::MulFOp::create(b, loc, f, sv).getResult();
            };
            Value wLo = scale(lo), wHi = scale(hi);
            SmallVector<Value> next(accs);
            for (int64_t i = 0; i < tileM; ++i) {
              Value m =
                  i ? arith::AddIOp::create(b, loc, m0, index(i)).getResult()
                    : m0;
              Value xv = vector::LoadOp::create(
                  b, loc, VectorType::get({kChunk}, f32), xBuf,
                  ValueRange{m, k}, /*nontemporal=*/false, llvm::Align(16));
              auto halves = vector::DeinterleaveOp::create(b, loc, xv);
              next[i] =
                  vector::FMAOp::create(b, loc, halves.getRes1(), wLo, next[i]);
              next[i] =
                  vector::FMAOp::create(b, loc, halves.getRes2(), wHi, next[i]);
            }
            scf::YieldOp::create(b, loc, next);
          });
      Value isLeader = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                             lane, index(0));
      for (int64_t i = 0; i < tileM; ++i) {
        Value v = vector::ReductionOp::create(
            b, loc, vector::CombiningKind::ADD, kLoop.getResult(i));
        // Butterfly over the warp: every lane ends with the warp's sum.
        for (int32_t offset = kWarp / 2; offset > 0; offset /= 2) {
          Value other = gpu::ShuffleOp::create(b, loc, v, offset, kWarp,
                                               gpu::ShuffleMode::XOR)
                            .getShuffleResult();
          v = arith::AddFOp::create(b, loc, v, other);
        }
        Value m =
            i ? arith::AddIOp::create(b, loc, m0, index(i)).getResult() : m0;
        auto leader = scf::IfOp::create(b, loc, isLeader, /*withElse=*/false);
        OpBuilder::InsertionGuard inner(b);
        b.setInsertionPointToStart(&leader.getThenRegion().front());
        memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addf, v, yBuf,
                                    ValueRange{m, n});
      }
      b.setInsertionPointToEnd(&launch.getBody().front());
      gpu::TerminatorOp::create(b, loc);
    }
    Value y = bufferization::ToTensorOp::create(
        b, loc, RankedTensorType::get({rows, out}, f32), yBuf,
        /*restrict=*/true, /*writable=*/true);
    y = addBiasAndRound(b, loc, y, op.getBias(), f32);
    b.replaceOp(op, expandFromMatrix(b, loc, y, op.getInput(),
                                     op.getResult().getType()));
  }

  /// The signed nibble `linear` of the packed bytes `buffer` (i32).
  static Value readNibble(OpBuilder &b, Location loc, Value buffer,
                          Value linear) {
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    Type i32 = b.getI32Type();
    Value byte = memref::LoadOp::create(
        b, loc, buffer,
        ValueRange{arith::DivUIOp::create(b, loc, linear, index(2))});
    Value shift = arith::IndexCastOp::create(
        b, loc, i32,
        arith::MulIOp::create(b, loc,
                              arith::RemUIOp::create(b, loc, linear, index(2)),
                              index(4)));
    Value v = arith::ShRUIOp::create(
        b, loc, arith::ExtUIOp::create(b, loc, i32, byte), shift);
    Value up = arith::ConstantIntOp::create(b, loc, i32, 28);
    return arith::ShRSIOp::create(b, loc, arith::ShLIOp::create(b, loc, v, up),
                                  up);
  }
};

} // namespace
