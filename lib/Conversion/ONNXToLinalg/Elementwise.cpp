//===- Elementwise.cpp - elementwise onnx ops to linalg.generic -----------===//
//
// Each op becomes one all-parallel linalg.generic with numpy broadcasting
// (Broadcast.h) whose body applies the ONNX scalar semantics. Signedness is
// read from the imported operand types: the type converter made them
// signless.
//
//===----------------------------------------------------------------------===//

#include "../Accumulation.h"
#include "Broadcast.h"
#include "ShapeUtils.h"
#include "peft/Conversion/ONNXToLinalg/ONNXToLinalg.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::peft;
using onnx_to_linalg::matchFailure;

namespace {

/// The element types a scalar body works on: converted (signless) and
/// whether the imported type was unsigned. i1 counts as unsigned: true is 1
/// when it is compared, extended or converted.
struct ScalarTypes {
  SmallVector<Type> inputs;
  SmallVector<bool> unsignedInputs;
  Type result;
  bool unsignedResult = false;
};

using TypeCheck = bool (*)(const ScalarTypes &);
using ScalarBody = Value (*)(OpBuilder &, Location, ValueRange,
                             const ScalarTypes &);
using ScalarBodyRef =
    function_ref<Value(OpBuilder &, Location, ValueRange, const ScalarTypes &)>;

bool isUnsignedLike(Type type) {
  auto intType = dyn_cast<IntegerType>(getElementTypeOrSelf(type));
  return intType && (intType.isUnsigned() || intType.getWidth() == 1);
}

bool isNumeric(Type type) { return isa<IntegerType, FloatType>(type); }

//===----------------------------------------------------------------------===//
// Element type checks
//===----------------------------------------------------------------------===//

/// Every input has the result's element type, an integer or float.
bool sameNumeric(const ScalarTypes &t) {
  return isNumeric(t.result) &&
         llvm::all_of(t.inputs, [&](Type type) { return type == t.result; });
}

/// Every input has the result's element type, a float.
bool sameFloat(const ScalarTypes &t) {
  return isa<FloatType>(t.result) && sameNumeric(t);
}

bool allBool(const ScalarTypes &t) {
  return t.result.isInteger(1) && sameNumeric(t);
}

/// Equal/Less/Greater: two numeric inputs of one type, an i1 result.
bool comparison(const ScalarTypes &t) {
  return t.result.isInteger(1) && t.inputs.size() == 2 &&
         t.inputs[0] == t.inputs[1] && isNumeric(t.inputs[0]);
}

bool where(const ScalarTypes &t) {
  return t.inputs.size() == 3 && t.inputs[0].isInteger(1) &&
         t.inputs[1] == t.result && t.inputs[2] == t.result &&
         isNumeric(t.result);
}

/// Pow: a base of the result type and any exponent, neither bool.
bool powTypes(const ScalarTypes &t) {
  return t.inputs.size() == 2 && isNumeric(t.result) &&
         !t.result.isInteger(1) && t.inputs[0] == t.result &&
         isNumeric(t.inputs[1]) && !t.inputs[1].isInteger(1);
}

/// IsNaN: a float input, an i1 result.
bool floatToBool(const ScalarTypes &t) {
  return t.result.isInteger(1) && t.inputs.size() == 1 &&
         isa<FloatType>(t.inputs[0]);
}

bool numericToNumeric(const ScalarTypes &t) {
  return t.inputs.size() == 1 && isNumeric(t.inputs[0]) && isNumeric(t.result);
}

//===----------------------------------------------------------------------===//
// Scalar bodies
//===----------------------------------------------------------------------===//

Value constant(OpBuilder &b, Location loc, Type type, double value) {
  if (isa<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

/// Converts `value` to `to` with ONNX Cast semantics: float to integer
/// truncates toward zero, anything to bool is `!= 0`, unsigned (and bool)
/// sources zero-extend.
Value convertScalar(OpBuilder &b, Location loc, Value value, Type to,
                    bool fromUnsigned, bool toUnsigned) {
  Type from = value.getType();
  if (from == to)
    return value;
  if (to.isInteger(1)) {
    Value zero = constant(b, loc, from, 0);
    if (isa<FloatType>(from)) // NaN is true, as in C and numpy
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, value,
                                   zero);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, value, zero);
  }
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  if (fromFloat && toFloat) {
    if (fromFloat.getWidth() < toFloat.getWidth())
      return arith::ExtFOp::create(b, loc, to, value);
    if (fromFloat.getWidth() > toFloat.getWidth())
      return arith::TruncFOp::create(b, loc, to, value);
    // Same width, another format (f16 <-> bf16): exactly through f32.
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
    return arith::TruncFOp::create(b, loc, to, wide);
  }
  if (fromFloat)
    return toUnsigned ? arith::FPToUIOp::create(b, loc, to, value).getResult()
                      : arith::FPToSIOp::create(b, loc, to, value).getResult();
  if (toFloat)
    return fromUnsigned
               ? arith::UIToFPOp::create(b, loc, to, value).getResult()
               : arith::SIToFPOp::create(b, loc, to, value).getResult();
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (fromWidth < toWidth)
    return fromUnsigned ? arith::ExtUIOp::create(b, loc, to, value).getResult()
                        : arith::ExtSIOp::create(b, loc, to, value).getResult();
  if (fromWidth > toWidth)
    return arith::TruncIOp::create(b, loc, to, value);
  return value;
}

template <typename FloatOp, typename IntOp>
Value arithBinary(OpBuilder &b, Location loc, ValueRange args,
                  const ScalarTypes &t) {
  if (isa<FloatType>(t.result))
    return FloatOp::create(b, loc, args[0], args[1]);
  return IntOp::create(b, loc, args[0], args[1]);
}

/// Integer Div truncates toward zero (C semantics, as ONNX Runtime).
Value divide(OpBuilder &b, Location loc, ValueRange args,
             const ScalarTypes &t) {
  if (isa<FloatType>(t.result))
    return arith::DivFOp::create(b, loc, args[0], args[1]);
  if (t.unsignedResult)
    return arith::DivUIOp::create(b, loc, args[0], args[1]);
  return arith::DivSIOp::create(b, loc, args[0], args[1]);
}

/// x^y for integers by squaring, in the wrapping arithmetic of the base
/// type (exact where onnxruntime's double pow is). A negative exponent gives
/// what onnxruntime's static_cast<T>(std::pow(x, y)) truncates to: 1 for
/// x = 1, -1 or 1 by the parity of y for x = -1, else 0 (x = 0 is an
/// infinity there, whose conversion is undefined; 0 here).
Value integerPower(OpBuilder &b, Location loc, Value x, Value y,
                   const ScalarTypes &t) {
  Type type = x.getType(), exponentType = y.getType();
  Value one = constant(b, loc, type, 1), zero = constant(b, loc, type, 0);
  Value exponentOne = constant(b, loc, exponentType, 1);
  Value exponentZero = constant(b, loc, exponentType, 0);
  Value negative, bits = y;
  if (!t.unsignedInputs[1]) {
    negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, y,
                                     exponentZero);
    bits = arith::SelectOp::create(b, loc, negative, exponentZero, y);
  }
  auto isOdd = [&](OpBuilder &nb, Location l, Value e) {
    Value bit = arith::AndIOp::create(nb, l, e, exponentOne);
    return arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ne, bit,
                                 exponentZero);
  };
  // (result, base^(2^i), remaining exponent bits) until no bit is left.
  auto loop = scf::WhileOp::create(
      b, loc, TypeRange{type, type, exponentType}, ValueRange{one, x, bits},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value more = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ne,
                                           args[2], exponentZero);
        scf::ConditionOp::create(nb, l, more, args);
      },
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value product = arith::MulIOp::create(nb, l, args[0], args[1]);
        Value result = arith::SelectOp::create(nb, l, isOdd(nb, l, args[2]),
                                               product, args[0]);
        Value square = arith::MulIOp::create(nb, l, args[1], args[1]);
        Value rest = arith::ShRUIOp::create(nb, l, args[2], exponentOne);
        scf::YieldOp::create(nb, l, ValueRange{result, square, rest});
      });
  Value result = loop.getResult(0);
  if (!negative)
    return result;
  Value isOne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, one);
  Value inverse = arith::SelectOp::create(b, loc, isOne, one, zero);
  if (!t.unsignedInputs[0]) {
    Value minusOne = constant(b, loc, type, -1);
    Value isMinusOne =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, minusOne);
    Value sign =
        arith::SelectOp::create(b, loc, isOdd(b, loc, y), minusOne, one);
    inverse = arith::SelectOp::create(b, loc, isMinusOne, sign, inverse);
  }
  return arith::SelectOp::create(b, loc, negative, inverse, result);
}

/// Pow. A float base takes an integer exponent converted to its type (powf
/// of an integral float gives the sign a negative base needs). An integer
/// base with an integer exponent is an exact integer power; with a float
/// exponent it goes through f64 and truncates back, as onnxruntime's
/// static_cast<T>(std::pow(x, y)).
Value power(OpBuilder &b, Location loc, ValueRange args, const ScalarTypes &t) {
  Value x = args[0], y = args[1];
  if (isa<FloatType>(t.result)) {
    y = convertScalar(b, loc, y, t.result, t.unsignedInputs[1],
                      /*toUnsigned=*/false);
    return math::PowFOp::create(b, loc, x, y);
  }
  if (isa<IntegerType>(y.getType()))
    return integerPower(b, loc, x, y, t);
  Type f64 = b.getF64Type();
  x = convertScalar(b, loc, x, f64, t.unsignedInputs[0], /*toUnsigned=*/false);
  y = convertScalar(b, loc, y, f64, /*fromUnsigned=*/false,
                    /*toUnsigned=*/false);
  Value wide = math::PowFOp::create(b, loc, x, y);
  return convertScalar(b, loc, wide, t.result, /*fromUnsigned=*/false,
                       t.unsignedResult);
}

template <typename MathOp>
Value unaryMath(OpBuilder &b, Location loc, ValueRange args,
                const ScalarTypes &) {
  return MathOp::create(b, loc, args[0]);
}

Value reciprocal(OpBuilder &b, Location loc, ValueRange args,
                 const ScalarTypes &t) {
  return arith::DivFOp::create(b, loc, constant(b, loc, t.result, 1.0),
                               args[0]);
}

Value negate(OpBuilder &b, Location loc, ValueRange args,
             const ScalarTypes &t) {
  if (isa<FloatType>(t.result))
    return arith::NegFOp::create(b, loc, args[0]);
  return arith::SubIOp::create(b, loc, constant(b, loc, t.result, 0), args[0]);
}

Value absolute(OpBuilder &b, Location loc, ValueRange args,
               const ScalarTypes &t) {
  if (isa<FloatType>(t.result))
    return math::AbsFOp::create(b, loc, args[0]);
  if (t.unsignedResult)
    return args[0];
  return math::AbsIOp::create(b, loc, args[0]);
}

/// 1 / (1 + exp(-x)): exp overflows to inf for very negative x, giving 0.
Value sigmoid(OpBuilder &b, Location loc, ValueRange args,
              const ScalarTypes &t) {
  Value one = constant(b, loc, t.result, 1.0);
  Value negated = arith::NegFOp::create(b, loc, args[0]);
  Value exp = math::ExpOp::create(b, loc, negated);
  Value denominator = arith::AddFOp::create(b, loc, one, exp);
  return arith::DivFOp::create(b, loc, one, denominator);
}

/// Gelu (opset 20), approximate "none": x/2 · (1 + erf(x/√2)).
Value geluErf(OpBuilder &b, Location loc, ValueRange args,
              const ScalarTypes &t) {
  Value x = args[0];
  Value scaled = arith::MulFOp::create(
      b, loc, x, constant(b, loc, t.result, 0.7071067811865476));
  Value erf = math::ErfOp::create(b, loc, scaled);
  Value onePlus =
      arith::AddFOp::create(b, loc, constant(b, loc, t.result, 1.0), erf);
  Value half =
      arith::MulFOp::create(b, loc, x, constant(b, loc, t.result, 0.5));
  return arith::MulFOp::create(b, loc, half, onePlus);
}

/// Gelu, approximate "tanh": x/2 · (1 + tanh(√(2/π) · (x + 0.044715·x³))).
Value geluTanh(OpBuilder &b, Location loc, ValueRange args,
               const ScalarTypes &t) {
  Value x = args[0];
  Value cube =
      arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, x), x);
  Value inner = arith::AddFOp::create(
      b, loc, x,
      arith::MulFOp::create(b, loc, cube,
                            constant(b, loc, t.result, 0.044715)));
  Value tanh = math::TanhOp::create(
      b, loc,
      arith::MulFOp::create(b, loc, inner,
                            constant(b, loc, t.result, 0.7978845608028654)));
  Value onePlus =
      arith::AddFOp::create(b, loc, constant(b, loc, t.result, 1.0), tanh);
  Value half =
      arith::MulFOp::create(b, loc, x, constant(b, loc, t.result, 0.5));
  return arith::MulFOp::create(b, loc, half, onePlus);
}

/// `body` computed in f32 for f16/bf16 results and rounded once, as
/// onnxruntime's and PyTorch's kernels do: a composite or approximated
/// function (sigmoid, erf, ...) evaluated in half precision would round at
/// every step (erf was off by up to 3 ulps). Other types call `body` as is.
template <ScalarBody body>
Value inAccumulatorType(OpBuilder &b, Location loc, ValueRange args,
                        const ScalarTypes &t) {
  Type wide = getAccumulatorType(t.result);
  if (wide == t.result)
    return body(b, loc, args, t);
  ScalarTypes wideTypes = t;
  wideTypes.result = wide;
  SmallVector<Value> wideArgs;
  for (auto [arg, type] : llvm::zip_equal(args, wideTypes.inputs)) {
    wideArgs.push_back(convertIfFloat(b, loc, arg, wide));
    type = wideArgs.back().getType();
  }
  return convertFloat(b, loc, body(b, loc, wideArgs, wideTypes), t.result);
}

/// max/min that propagate NaN (numpy's maximum/minimum, ONNX's reference).
Value maximum(OpBuilder &b, Location loc, Value lhs, Value rhs,
              bool isUnsigned) {
  if (isa<FloatType>(lhs.getType()))
    return arith::MaximumFOp::create(b, loc, lhs, rhs);
  if (isUnsigned)
    return arith::MaxUIOp::create(b, loc, lhs, rhs);
  return arith::MaxSIOp::create(b, loc, lhs, rhs);
}

Value minimum(OpBuilder &b, Location loc, Value lhs, Value rhs,
              bool isUnsigned) {
  if (isa<FloatType>(lhs.getType()))
    return arith::MinimumFOp::create(b, loc, lhs, rhs);
  if (isUnsigned)
    return arith::MinUIOp::create(b, loc, lhs, rhs);
  return arith::MinSIOp::create(b, loc, lhs, rhs);
}

Value relu(OpBuilder &b, Location loc, ValueRange args, const ScalarTypes &t) {
  return maximum(b, loc, args[0], constant(b, loc, t.result, 0),
                 t.unsignedResult);
}

template <bool isMax>
Value variadicExtremum(OpBuilder &b, Location loc, ValueRange args,
                       const ScalarTypes &t) {
  Value result = args[0];
  for (Value arg : args.drop_front())
    result = isMax ? maximum(b, loc, result, arg, t.unsignedResult)
                   : minimum(b, loc, result, arg, t.unsignedResult);
  return result;
}

Value logicalNot(OpBuilder &b, Location loc, ValueRange args,
                 const ScalarTypes &t) {
  return arith::XOrIOp::create(b, loc, args[0], constant(b, loc, t.result, 1));
}

template <arith::CmpFPredicate floatPred, arith::CmpIPredicate signedPred,
          arith::CmpIPredicate unsignedPred>
Value compare(OpBuilder &b, Location loc, ValueRange args,
              const ScalarTypes &t) {
  if (isa<FloatType>(t.inputs[0]))
    return arith::CmpFOp::create(b, loc, floatPred, args[0], args[1]);
  return arith::CmpIOp::create(b, loc,
                               t.unsignedInputs[0] ? unsignedPred : signedPred,
                               args[0], args[1]);
}

Value select(OpBuilder &b, Location loc, ValueRange args, const ScalarTypes &) {
  return arith::SelectOp::create(b, loc, args[0], args[1], args[2]);
}

template <typename IntOp>
Value integerBinary(OpBuilder &b, Location loc, ValueRange args,
                    const ScalarTypes &) {
  return IntOp::create(b, loc, args[0], args[1]);
}

/// Mod with fmod = 0: the remainder takes the divisor's sign (Python's %;
/// on floats the spec asks for fmod = 1, the node tests use numpy's mod);
/// with fmod = 1 the dividend's (C's fmod; remf for floats).
template <bool fmod>
Value modulo(OpBuilder &b, Location loc, ValueRange args,
             const ScalarTypes &t) {
  Value x = args[0], y = args[1];
  bool isFloat = isa<FloatType>(t.result);
  if (!isFloat && t.unsignedResult)
    return arith::RemUIOp::create(b, loc, x, y);
  Value r = isFloat ? arith::RemFOp::create(b, loc, x, y).getResult()
                    : arith::RemSIOp::create(b, loc, x, y).getResult();
  if (fmod)
    return r;
  // A nonzero remainder of another sign than y moves by y.
  Value zero = constant(b, loc, t.result, 0);
  auto test = [&](arith::CmpFPredicate fp, arith::CmpIPredicate ip, Value v) {
    return isFloat ? arith::CmpFOp::create(b, loc, fp, v, zero).getResult()
                   : arith::CmpIOp::create(b, loc, ip, v, zero).getResult();
  };
  Value nonzero = test(arith::CmpFPredicate::ONE, arith::CmpIPredicate::ne, r);
  Value differ = arith::XOrIOp::create(
      b, loc, test(arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt, r),
      test(arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt, y));
  Value fix = arith::AndIOp::create(b, loc, nonzero, differ);
  Value moved = isFloat ? arith::AddFOp::create(b, loc, r, y).getResult()
                        : arith::AddIOp::create(b, loc, r, y).getResult();
  return arith::SelectOp::create(b, loc, fix, moved, r);
}

template <bool mean>
Value variadicSum(OpBuilder &b, Location loc, ValueRange args,
                  const ScalarTypes &t) {
  bool isFloat = isa<FloatType>(t.result);
  Value result = args[0];
  for (Value arg : args.drop_front())
    result = isFloat ? arith::AddFOp::create(b, loc, result, arg).getResult()
                     : arith::AddIOp::create(b, loc, result, arg).getResult();
  if (!mean)
    return result;
  Value n = constant(b, loc, t.result, double(args.size()));
  if (isFloat)
    return arith::DivFOp::create(b, loc, result, n);
  return t.unsignedResult
             ? arith::DivUIOp::create(b, loc, result, n).getResult()
             : arith::DivSIOp::create(b, loc, result, n).getResult();
}

/// Sign: 1 above 0, -1 below, else x itself (0, and NaN for floats).
Value sign(OpBuilder &b, Location loc, ValueRange args, const ScalarTypes &t) {
  Value x = args[0];
  Value zero = constant(b, loc, t.result, 0),
        one = constant(b, loc, t.result, 1);
  if (isa<FloatType>(t.result)) {
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
    Value negative =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero);
    Value minusOne = constant(b, loc, t.result, -1);
    return arith::SelectOp::create(
        b, loc, positive, one,
        arith::SelectOp::create(b, loc, negative, minusOne, x));
  }
  if (t.unsignedResult) {
    Value positive =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x, zero);
    return arith::SelectOp::create(b, loc, positive, one, zero);
  }
  Value positive =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, x, zero);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, zero);
  return arith::SelectOp::create(
      b, loc, positive, one,
      arith::SelectOp::create(b, loc, negative, constant(b, loc, t.result, -1),
                              zero));
}

Value isNaN(OpBuilder &b, Location loc, ValueRange args, const ScalarTypes &) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, args[0],
                               args[0]);
}

/// Softplus: log(1 + exp(x)) as max(x, 0) + log1p(exp(-|x|)), which
/// neither overflows for large x nor loses small values.
Value softplus(OpBuilder &b, Location loc, ValueRange args,
               const ScalarTypes &t) {
  Value x = args[0];
  Value zero = constant(b, loc, t.result, 0);
  Value positive = arith::MaximumFOp::create(b, loc, x, zero);
  Value negAbs = arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x));
  Value tail =
      math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, negAbs));
  return arith::AddFOp::create(b, loc, positive, tail);
}

/// Softsign: x / (1 + |x|).
Value softsign(OpBuilder &b, Location loc, ValueRange args,
               const ScalarTypes &t) {
  Value x = args[0];
  Value denominator = arith::AddFOp::create(
      b, loc, constant(b, loc, t.result, 1), math::AbsFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, x, denominator);
}

Value castElement(OpBuilder &b, Location loc, ValueRange args,
                  const ScalarTypes &t) {
  return convertScalar(b, loc, args[0], t.result, t.unsignedInputs[0],
                       t.unsignedResult);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// Replaces `op` by one broadcasting linalg.generic over `inputs` (its
/// converted tensor operands, `none`s left out; `originals` the imported
/// ones, for signedness) applying `body` once `check` accepts the types.
LogicalResult lowerElementwise(Operation *op, ValueRange inputs,
                               ValueRange originals,
                               const TypeConverter &converter,
                               ConversionPatternRewriter &rewriter,
                               TypeCheck check, ScalarBodyRef body) {
  auto resultType = dyn_cast_or_null<RankedTensorType>(
      converter.convertType(op->getResult(0).getType()));
  if (!resultType)
    return matchFailure(rewriter, op, "result is not a ranked tensor");
  ScalarTypes types;
  SmallVector<ArrayRef<int64_t>> shapes;
  for (auto [input, original] : llvm::zip_equal(inputs, originals)) {
    auto type = dyn_cast<RankedTensorType>(input.getType());
    if (!type)
      return matchFailure(rewriter, op, "operand is not a ranked tensor");
    types.inputs.push_back(type.getElementType());
    types.unsignedInputs.push_back(isUnsignedLike(original.getType()));
    shapes.push_back(type.getShape());
  }
  types.result = resultType.getElementType();
  types.unsignedResult = isUnsignedLike(op->getResult(0).getType());
  if (!check(types))
    return matchFailure(rewriter, op, "unsupported element types");
  if (!areBroadcastCompatible(shapes, resultType.getShape()))
    return matchFailure(rewriter, op, "shapes do not broadcast");
  Value result =
      createBroadcastGeneric(rewriter, op->getLoc(), inputs, resultType,
                             [&](OpBuilder &b, Location loc, ValueRange args) {
                               return body(b, loc, args, types);
                             });
  rewriter.replaceOp(op, result);
  return success();
}

/// An op whose every operand is a tensor read by the scalar body.
template <typename OpTy>
struct ElementwiseLowering : OpConversionPattern<OpTy> {
  ElementwiseLowering(const TypeConverter &converter, MLIRContext *ctx,
                      TypeCheck check, ScalarBody body)
      : OpConversionPattern<OpTy>(converter, ctx), check(check), body(body) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return lowerElementwise(op, adaptor.getOperands(), op->getOperands(),
                            *this->getTypeConverter(), rewriter, check, body);
  }

  TypeCheck check;
  ScalarBody body;
};

/// Clip: min(max(x, lo), hi) with either bound optional; lo > hi gives hi,
/// as ONNX specifies.
struct ClipLowering : OpConversionPattern<onnx_ir::ClipOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(onnx_ir::ClipOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<Value> inputs = {adaptor.getInput()};
    SmallVector<Value> originals = {op.getInput()};
    bool hasMin = !isa<NoneType>(adaptor.getMin().getType());
    bool hasMax = !isa<NoneType>(adaptor.getMax().getType());
    if (hasMin) {
      inputs.push_back(adaptor.getMin());
      originals.push_back(op.getMin());
    }
    if (hasMax) {
      inputs.push_back(adaptor.getMax());
      originals.push_back(op.getMax());
    }
    return lowerElementwise(
        op, inputs, originals, *getTypeConverter(), rewriter, sameNumeric,
        [&](OpBuilder &b, Location loc, ValueRange args, const ScalarTypes &t) {
          Value result = args[0];
          if (hasMin)
            result = maximum(b, loc, result, args[1], t.unsignedResult);
          if (hasMax)
            result = minimum(b, loc, result, args.back(), t.unsignedResult);
          return result;
        });
  }
};

/// Gelu: the erf or tanh form by `approximate`, in f32 for f16/bf16.
struct GeluLowering : OpConversionPattern<onnx_ir::GeluOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(onnx_ir::GeluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    StringAttr approximate = op.getApproximateAttr();
    bool tanh = approximate && approximate.getValue() == "tanh";
    return lowerElementwise(op, adaptor.getOperands(), op->getOperands(),
                            *getTypeConverter(), rewriter, sameFloat,
                            tanh ? inAccumulatorType<geluTanh>
                                 : inAccumulatorType<geluErf>);
  }
};

/// CastLike: Cast to the element type of `target_type` (the result's).
struct CastLikeLowering : OpConversionPattern<onnx_ir::CastLikeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(onnx_ir::CastLikeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return lowerElementwise(op, ValueRange{adaptor.getInput()},
                            ValueRange{op.getInput()}, *getTypeConverter(),
                            rewriter, numericToNumeric, castElement);
  }
};

/// Mod by `fmod`.
struct ModLowering : OpConversionPattern<onnx_ir::ModOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(onnx_ir::ModOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    bool fmod = op.getFmodAttr() && op.getFmodAttr().getInt() == 1;
    return lowerElementwise(op, adaptor.getOperands(), op->getOperands(),
                            *getTypeConverter(), rewriter, sameNumeric,
                            fmod ? modulo<true> : modulo<false>);
  }
};

template <typename OpTy>
void addElementwise(RewritePatternSet &patterns, const TypeConverter &converter,
                    TypeCheck check, ScalarBody body) {
  patterns.add<ElementwiseLowering<OpTy>>(converter, patterns.getContext(),
                                          check, body);
}

} // namespace

void mlir::peft::populateONNXElementwiseToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  using namespace onnx_ir;
  MLIRContext *ctx = patterns.getContext();
  // Arithmetic.
  addElementwise<AddOp>(patterns, converter, sameNumeric,
                        arithBinary<arith::AddFOp, arith::AddIOp>);
  addElementwise<SubOp>(patterns, converter, sameNumeric,
                        arithBinary<arith::SubFOp, arith::SubIOp>);
  addElementwise<MulOp>(patterns, converter, sameNumeric,
                        arithBinary<arith::MulFOp, arith::MulIOp>);
  addElementwise<DivOp>(patterns, converter, sameNumeric, divide);
  addElementwise<PowOp>(patterns, converter, powTypes,
                        inAccumulatorType<power>);
  addElementwise<NegOp>(patterns, converter, sameNumeric, negate);
  addElementwise<AbsOp>(patterns, converter, sameNumeric, absolute);
  addElementwise<ReluOp>(patterns, converter, sameNumeric, relu);
  addElementwise<MaxOp>(patterns, converter, sameNumeric,
                        variadicExtremum<true>);
  addElementwise<MinOp>(patterns, converter, sameNumeric,
                        variadicExtremum<false>);
  patterns.add<ClipLowering, GeluLowering>(converter, ctx);
  // Float math (f16/bf16 evaluated in f32, rounded once).
  addElementwise<SqrtOp>(patterns, converter, sameFloat,
                         inAccumulatorType<unaryMath<math::SqrtOp>>);
  addElementwise<ExpOp>(patterns, converter, sameFloat,
                        inAccumulatorType<unaryMath<math::ExpOp>>);
  addElementwise<LogOp>(patterns, converter, sameFloat,
                        inAccumulatorType<unaryMath<math::LogOp>>);
  addElementwise<ErfOp>(patterns, converter, sameFloat,
                        inAccumulatorType<unaryMath<math::ErfOp>>);
  addElementwise<TanhOp>(patterns, converter, sameFloat,
                         inAccumulatorType<unaryMath<math::TanhOp>>);
  addElementwise<CosOp>(patterns, converter, sameFloat,
                        inAccumulatorType<unaryMath<math::CosOp>>);
  addElementwise<SinOp>(patterns, converter, sameFloat,
                        inAccumulatorType<unaryMath<math::SinOp>>);
  addElementwise<ReciprocalOp>(patterns, converter, sameFloat,
                               inAccumulatorType<reciprocal>);
  addElementwise<SigmoidOp>(patterns, converter, sameFloat,
                            inAccumulatorType<sigmoid>);
  // Logic, comparisons, selection, conversion.
  addElementwise<NotOp>(patterns, converter, allBool, logicalNot);
  addElementwise<EqualOp>(
      patterns, converter, comparison,
      compare<arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq,
              arith::CmpIPredicate::eq>);
  addElementwise<LessOp>(
      patterns, converter, comparison,
      compare<arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt,
              arith::CmpIPredicate::ult>);
  addElementwise<GreaterOp>(
      patterns, converter, comparison,
      compare<arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt,
              arith::CmpIPredicate::ugt>);
  addElementwise<WhereOp>(patterns, converter, where, select);
  addElementwise<CastOp>(patterns, converter, numericToNumeric, castElement);
  patterns.add<CastLikeLowering, ModLowering>(converter, ctx);
  addElementwise<LessOrEqualOp>(
      patterns, converter, comparison,
      compare<arith::CmpFPredicate::OLE, arith::CmpIPredicate::sle,
              arith::CmpIPredicate::ule>);
  addElementwise<GreaterOrEqualOp>(
      patterns, converter, comparison,
      compare<arith::CmpFPredicate::OGE, arith::CmpIPredicate::sge,
              arith::CmpIPredicate::uge>);
  addElementwise<AndOp>(patterns, converter, allBool,
                        integerBinary<arith::AndIOp>);
  addElementwise<OrOp>(patterns, converter, allBool,
                       integerBinary<arith::OrIOp>);
  addElementwise<XorOp>(patterns, converter, allBool,
                        integerBinary<arith::XOrIOp>);
  addElementwise<IsNaNOp>(patterns, converter, floatToBool, isNaN);
  // More arithmetic and float math.
  addElementwise<SumOp>(patterns, converter, sameNumeric, variadicSum<false>);
  addElementwise<MeanOp>(patterns, converter, sameNumeric, variadicSum<true>);
  addElementwise<SignOp>(patterns, converter, sameNumeric, sign);
  addElementwise<FloorOp>(patterns, converter, sameFloat,
                          unaryMath<math::FloorOp>);
  addElementwise<CeilOp>(patterns, converter, sameFloat,
                         unaryMath<math::CeilOp>);
  addElementwise<RoundOp>(patterns, converter, sameFloat,
                          unaryMath<math::RoundEvenOp>);
  addElementwise<SoftplusOp>(patterns, converter, sameFloat,
                             inAccumulatorType<softplus>);
  addElementwise<SoftsignOp>(patterns, converter, sameFloat,
                             inAccumulatorType<softsign>);
}
