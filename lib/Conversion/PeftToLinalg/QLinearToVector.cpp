//===- QLinearToVector.cpp - int4/int8 qlinear as a vectorized CPU kernel -===//
//
// convert-peft-qlinear-to-vector: the CPU fast path of peft.qlinear. The
// weight stays packed in memory; each chunk of 32 weights is read as bytes,
// unpacked, converted and scaled in vector registers and used at once by a
// tile of rows (GEMM) or one row (GEMV), so no float copy of it is formed.
// Written as scf/vector loops on tensors rather than as a tiled linalg
// generic: the unpacking of two nibbles into even and odd lanes (matched by
// a deinterleave of the activations) and the per-chunk broadcast of a group
// scale have no form that linalg vectorization produces from the scalar
// generic of convert-peft-to-linalg.
//
//===----------------------------------------------------------------------===//

#include "../Accumulation.h"
#include "MatrixBuilders.h"
#include "peft/Conversion/PeftToLinalg/PeftToLinalg.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::peft {
#define GEN_PASS_DEF_CONVERTPEFTQLINEARTOVECTOR
#include "peft/Conversion/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::matrix;

namespace {

/// Weights a chunk holds: 16 bytes of int4, 32 bytes of int8.
constexpr int64_t kChunk = 32;
/// Lanes of the f32 vectors (one AVX-512 register).
constexpr int64_t kLanes = kChunk / 2;

struct TileSizes {
  int64_t m, n;
};

/// Builds the kernel of one qlinear. Each chunk yields two vector<16xf32>
/// halves of weights and of activations that are multiplied pairwise: the
/// low and high nibbles of the bytes against the even and odd activations
/// (int4), or the two halves of the chunk (int8).
class KernelBuilder {
public:
  KernelBuilder(OpBuilder &b, Location loc, QLinearOp op, Value x, Value weight,
                Value scales, Value zeroPoints, int64_t zpBits)
      : b(b), loc(loc), x(x), weight(weight), scales(scales),
        zeroPoints(zeroPoints), zpBits(zpBits) {
    auto weightType = op.getWeight().getType();
    bits = weightType.getElementType().getIntOrFloatBitWidth();
    out = weightType.getDimSize(0);
    in = weightType.getDimSize(1);
    groupSize = op.getGroupSize().value_or(0);
    groups = cast<RankedTensorType>(scales.getType()).getDimSize(1);
    f32 = b.getF32Type();
    laneType = VectorType::get({kLanes}, f32);
  }

  /// y [rows, out] in f32 = x·Ŵᵀ, panel by panel.
  Value build(TileSizes gemm, int64_t gemvTileN, int64_t panelK) {
    Value rows = tensor::DimOp::create(b, loc, x, 0);
    // A static row extent stays static in the result type.
    Value y = zeroMatrix(b, loc, tensor::getMixedSize(b, loc, x, 0),
                         b.getIndexAttr(out), f32);
    // Rows past a multiple of the GEMM tile run the GEMV tile.
    Value gemmRows = arith::SubIOp::create(
        b, loc, rows, arith::RemUIOp::create(b, loc, rows, index(gemm.m)));
    auto panelBody = [&](Value y, Value kLo, Value kHi) {
      for (auto [mLo, mHi, tile] :
           {std::tuple(index(0), gemmRows, gemm),
            std::tuple(gemmRows, rows, TileSizes{1, gemvTileN})}) {
        int64_t full = out - out % tile.n;
        if (full > 0)
          y = tiles(y, kLo, kHi, mLo, mHi, tile.m, 0, full, tile.n);
        if (full < out)
          y = tiles(y, kLo, kHi, mLo, mHi, tile.m, full, out, 1);
      }
      return y;
    };
    if (panelK <= 0 || panelK >= in)
      return panelBody(y, index(0), index(in));
    auto panels = scf::ForOp::create(
        b, loc, index(0), index(in), index(panelK), ValueRange{y},
        [&](OpBuilder &, Location, Value kp, ValueRange iter) {
          Value kEnd = arith::MinUIOp::create(
              b, loc, arith::AddIOp::create(b, loc, kp, index(panelK)),
              index(in));
          scf::YieldOp::create(b, loc, panelBody(iter[0], kp, kEnd));
        });
    return panels.getResult(0);
  }

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value a, int64_t c) {
    return c ? arith::AddIOp::create(b, loc, a, index(c)).getResult() : a;
  }
  Value read(VectorType type, Value source, ValueRange indices) {
    Type element = type.getElementType();
    Value padding =
        isa<FloatType>(element)
            ? floatConstant(b, loc, element, 0.0)
            : arith::ConstantIntOp::create(b, loc, element, 0).getResult();
    return vector::TransferReadOp::create(b, loc, type, source, indices,
                                          padding, ArrayRef<bool>{true});
  }

  /// The dequantized weights of chunk `k` of output `n`, two halves.
  std::pair<Value, Value> weights(Value n, Value k) {
    Value g =
        groupSize
            ? arith::DivUIOp::create(b, loc, k, index(groupSize)).getResult()
            : index(0);
    Value s = convertIfFloat(
        b, loc, tensor::ExtractOp::create(b, loc, scales, ValueRange{n, g}),
        f32);
    Value zs;
    if (zeroPoints) {
      Value z;
      if (zpBits == 8) {
        z = arith::ExtSIOp::create(
            b, loc, b.getI32Type(),
            tensor::ExtractOp::create(b, loc, zeroPoints, ValueRange{n, g}));
      } else {
        Value linear = arith::AddIOp::create(
            b, loc, arith::MulIOp::create(b, loc, n, index(groups)), g);
        z = unpackSigned(b, loc, zeroPoints, linear, zpBits, out * groups);
      }
      Value zf = arith::SIToFPOp::create(b, loc, f32, z);
      zs = vector::BroadcastOp::create(
          b, loc, laneType,
          arith::NegFOp::create(b, loc, arith::MulFOp::create(b, loc, zf, s)));
    }
    Value sv = vector::BroadcastOp::create(b, loc, laneType, s);

    auto bytesType = VectorType::get({kLanes}, b.getI8Type());
    Value lo, hi;
    if (bits == 4) {
      // Byte i holds value 2i in its low nibble and 2i+1 in its high one.
      Value offset = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, n, index(in / 2)),
          arith::DivUIOp::create(b, loc, k, index(2)));
      std::tie(lo, hi) = splitNibbles(b, loc, read(bytesType, weight, offset));
    } else {
      lo = read(bytesType, weight, ValueRange{n, k});
      hi = read(bytesType, weight, ValueRange{n, add(k, kLanes)});
    }
    auto scale = [&](Value q) -> Value {
      Value f = arith::SIToFPOp::create(b, loc, laneType, q);
      return zs ? vector::FMAOp::create(b, loc, f, sv, zs).getResult()
                : arith::MulFOp::create(b, loc, f, sv).getResult();
    };
    return {scale(lo), scale(hi)};
  }

  /// The activations of chunk `k` of row `m` in f32, two halves matching
  /// weights().
  std::pair<Value, Value> activations(Value m, Value k) {
    Type element = cast<RankedTensorType>(x.getType()).getElementType();
    auto widen = [&](Value v) -> Value {
      if (element == f32)
        return v;
      return arith::ExtFOp::create(b, loc,
                                   cast<VectorType>(v.getType()).clone(f32), v);
    };
    if (bits == 4) {
      Value v =
          widen(read(VectorType::get({kChunk}, element), x, ValueRange{m, k}));
      auto halves = vector::DeinterleaveOp::create(b, loc, v);
      return {halves.getRes1(), halves.getRes2()};
    }
    auto half = VectorType::get({kLanes}, element);
    return {widen(read(half, x, ValueRange{m, k})),
            widen(read(half, x, ValueRange{m, add(k, kLanes)}))};
  }

  /// Adds x[mLo:mHi, kLo:kHi]·Ŵ[nLo:nHi, kLo:kHi]ᵀ into `y` in register
  /// tiles of tm x tn (nHi - nLo a multiple of tn; mHi - mLo of tm).
  Value tiles(Value y, Value kLo, Value kHi, Value mLo, Value mHi, int64_t tm,
              int64_t nLo, int64_t nHi, int64_t tn) {
    auto nLoop = scf::ForOp::create(
        b, loc, index(nLo), index(nHi), index(tn), ValueRange{y},
        [&](OpBuilder &, Location, Value n0, ValueRange nIter) {
          auto mLoop = scf::ForOp::create(
              b, loc, mLo, mHi, index(tm), nIter,
              [&](OpBuilder &, Location, Value m0, ValueRange mIter) {
                scf::YieldOp::create(b, loc,
                                     tile(mIter[0], kLo, kHi, m0, tm, n0, tn));
              });
          scf::YieldOp::create(b, loc, mLoop.getResults());
        });
    return nLoop.getResult(0);
  }

  /// One register tile: tm x tn accumulators over the chunks of [kLo, kHi),
  /// then reduced and added into y[m0 + i, n0 : n0 + tn].
  Value tile(Value y, Value kLo, Value kHi, Value m0, int64_t tm, Value n0,
             int64_t tn) {
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(laneType, b.getF32FloatAttr(0.0f)));
    SmallVector<Value> init(tm * tn, zero);
    auto kLoop = scf::ForOp::create(
        b, loc, kLo, kHi, index(kChunk), init,
        [&](OpBuilder &, Location, Value k, ValueRange accs) {
          SmallVector<std::pair<Value, Value>> w;
          for (int64_t j = 0; j < tn; ++j)
            w.push_back(weights(add(n0, j), k));
          SmallVector<Value> next(accs);
          for (int64_t i = 0; i < tm; ++i) {
            auto [xa, xb] = activations(add(m0, i), k);
            for (int64_t j = 0; j < tn; ++j) {
              Value &acc = next[i * tn + j];
              acc = vector::FMAOp::create(b, loc, xa, w[j].first, acc);
              acc = vector::FMAOp::create(b, loc, xb, w[j].second, acc);
            }
          }
          scf::YieldOp::create(b, loc, next);
        });
    auto rowType = VectorType::get({tn}, f32);
    for (int64_t i = 0; i < tm; ++i) {
      SmallVector<Value> sums;
      for (int64_t j = 0; j < tn; ++j)
        sums.push_back(vector::ReductionOp::create(
            b, loc, vector::CombiningKind::ADD, kLoop.getResult(i * tn + j),
            arith::FastMathFlags::reassoc));
      Value m = add(m0, i);
      Value sum = arith::AddFOp::create(
          b, loc, read(rowType, y, ValueRange{m, n0}),
          vector::FromElementsOp::create(b, loc, rowType, sums));
      y = vector::TransferWriteOp::create(b, loc, sum, y, ValueRange{m, n0},
                                          ArrayRef<bool>{true})
              .getResult();
    }
    return y;
  }

  OpBuilder &b;
  Location loc;
  Value x, weight, scales, zeroPoints;
  int64_t zpBits, bits = 0, out = 0, in = 0, groupSize = 0, groups = 0;
  Type f32;
  VectorType laneType;
};

/// Whether the kernel covers `op`: 4- or 8-bit weights, chunks that never
/// straddle a group, static extents and float activations of at most 32
/// bits.
bool isSupported(QLinearOp op) {
  auto weightType = op.getWeight().getType();
  int64_t bits = weightType.getElementType().getIntOrFloatBitWidth();
  if ((bits != 4 && bits != 8) || !weightType.hasStaticShape())
    return false;
  if (weightType.getDimSize(1) % kChunk ||
      op.getGroupSize().value_or(kChunk) % kChunk)
    return false;
  Type element = op.getResult().getType().getElementType();
  return element.isF32() || element.isF16() || element.isBF16();
}

/// An integer operand as the kernel reads it: i8 as is (it may be a runtime
/// value), narrower ones as the bytes of their constant (null if not one).
Value intOperand(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getElementType().getIntOrFloatBitWidth() == 8)
    return value;
  FailureOr<Value> bytes = packedBytesOf(b, loc, value);
  return succeeded(bytes) ? *bytes : Value();
}

struct ConvertPeftQLinearToVectorPass
    : public peft::impl::ConvertPeftQLinearToVectorBase<
          ConvertPeftQLinearToVectorPass> {
  using Base::Base;

  void runOnOperation() override {
    if (tileM < 1 || tileN < 1 || gemvTileN < 1 || panelK < 0 ||
        panelK % kChunk) {
      emitError(getOperation().getLoc())
          << "convert-peft-qlinear-to-vector: tile-m, tile-n and gemv-tile-n "
             "must be positive and panel-k a multiple of "
          << kChunk;
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
    Value weight = intOperand(b, loc, op.getWeight());
    Value zeroPoints;
    int64_t zpBits = 0;
    if (Value zp = op.getZeroPoints()) {
      zeroPoints = intOperand(b, loc, zp);
      zpBits = cast<RankedTensorType>(zp.getType())
                   .getElementType()
                   .getIntOrFloatBitWidth();
    }
    // A runtime narrow operand: convert-peft-to-linalg reports it.
    if (!weight || (op.getZeroPoints() && !zeroPoints))
      return;
    Value x = collapseToMatrix(b, loc, op.getInput());
    KernelBuilder kernel(b, loc, op, x, weight, op.getScales(), zeroPoints,
                         zpBits);
    Value y = kernel.build({tileM, tileN}, gemvTileN, panelK);
    Type elementType = op.getResult().getType().getElementType();
    y = addBiasAndRound(b, loc, y, op.getBias(), elementType);
    b.replaceOp(op, expandFromMatrix(b, loc, y, op.getInput(),
                                     op.getResult().getType()));
  }
};

} // namespace
