//===- ONNXOps.cpp - onnx op verifiers, folders and helpers ---------------===//

#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/ONNX/IR/ONNXShapes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::peft::onnx_ir;

#define GET_OP_CLASSES
#include "peft/Dialect/ONNX/IR/ONNXOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Two extents agree unless both are static and differ.
static bool compatibleDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// The ranked type of `value`, or null when unranked or not a tensor.
static RankedTensorType ranked(Value value) {
  return dyn_cast<RankedTensorType>(value.getType());
}

static Type elementTypeOf(Value value) {
  if (auto shaped = dyn_cast<ShapedType>(value.getType()))
    return shaped.getElementType();
  return nullptr;
}

/// Checks that the optional attribute `name` = `axis` lies in [-rank, rank)
/// (or [-rank, rank] when `inclusive`).
static LogicalResult verifyAxis(Operation *op, StringRef name,
                                IntegerAttr axisAttr, int64_t rank,
                                bool inclusive = false) {
  if (!axisAttr)
    return success();
  int64_t axis = axisAttr.getInt();
  int64_t upper = inclusive ? rank : rank - 1;
  if (axis < -rank || axis > upper)
    return op->emitOpError("attribute '")
           << name << "' = " << axis << " is out of range [" << -rank << ", "
           << rank << (inclusive ? "]" : ")") << " for rank " << rank;
  return success();
}

static LogicalResult verifyAxis(Operation *op, StringRef name,
                                IntegerAttr axisAttr, Value operand,
                                bool inclusive = false) {
  if (auto type = ranked(operand))
    return verifyAxis(op, name, axisAttr, type.getRank(), inclusive);
  return success();
}

static LogicalResult verifyFlag(Operation *op, StringRef name,
                                IntegerAttr attr) {
  if (attr && attr.getInt() != 0 && attr.getInt() != 1)
    return op->emitOpError("attribute '")
           << name << "' must be 0 or 1, got " << attr.getInt();
  return success();
}

/// Checks a list of axes for rank `rank`: each in [-rank, rank), none twice.
static LogicalResult verifyAxesList(Operation *op, ArrayRef<int64_t> axes,
                                    int64_t rank) {
  SmallVector<bool> seen(rank, false);
  for (int64_t axis : axes) {
    if (axis < -rank || axis >= rank)
      return op->emitOpError("axis ") << axis << " is out of range [" << -rank
                                      << ", " << rank << ") for rank " << rank;
    int64_t dim = axis < 0 ? axis + rank : axis;
    if (seen[dim])
      return op->emitOpError("axis ") << axis << " is given twice";
    seen[dim] = true;
  }
  return success();
}

/// Reductions: `axes` as an attribute (older opsets) or as an input (opset
/// 13 for ReduceSum, 18 for the others), never both; known axes in range.
static LogicalResult verifyReduce(Operation *op, Value data, Value axesInput,
                                  std::optional<ArrayRef<int64_t>> axesAttr) {
  bool hasInput = !isNone(axesInput);
  if (hasInput && axesAttr)
    return op->emitOpError(
        "has both the 'axes' attribute and an 'axes' input; at most one may "
        "be given");
  if (RankedTensorType type = ranked(axesInput)) {
    if (type.getRank() != 1 || !type.getElementType().isSignlessInteger(64))
      return op->emitOpError("'axes' input must be a 1-D tensor of i64, got ")
             << type;
  }
  RankedTensorType dataType = ranked(data);
  if (!dataType)
    return success();
  if (axesAttr)
    return verifyAxesList(op, *axesAttr, dataType.getRank());
  if (hasInput)
    if (std::optional<Shape> axes = getConstantIntValues(axesInput, 1 << 16))
      return verifyAxesList(op, *axes, dataType.getRank());
  return success();
}

#define PEFT_REDUCE_VERIFIER(Op)                                               \
  LogicalResult Op::verify() {                                                 \
    return verifyReduce(*this, getData(), getAxesInput(), getAxes());          \
  }
PEFT_REDUCE_VERIFIER(ReduceMeanOp)
PEFT_REDUCE_VERIFIER(ReduceSumOp)
PEFT_REDUCE_VERIFIER(ReduceL2Op)
PEFT_REDUCE_VERIFIER(ReduceMaxOp)
PEFT_REDUCE_VERIFIER(ReduceMinOp)
PEFT_REDUCE_VERIFIER(ReduceProdOp)
#undef PEFT_REDUCE_VERIFIER

static LogicalResult verifyBoolResult(Operation *op) {
  Type elementType = elementTypeOf(op->getResult(0));
  if (elementType && !elementType.isSignlessInteger(1))
    return op->emitOpError("result element type must be i1, got ")
           << elementType;
  return success();
}

/// The MLIR element type of ONNX TensorProto data type `dataType`; null for
/// invalid numbers and for types MLIR cannot express (STRING). `valid` tells
/// whether the number is a known data type.
static Type getElementTypeForDataType(MLIRContext *ctx, int64_t dataType,
                                      bool &valid) {
  valid = true;
  auto sl = [&](unsigned w) { return IntegerType::get(ctx, w); };
  auto ui = [&](unsigned w) {
    return IntegerType::get(ctx, w, IntegerType::Unsigned);
  };
  switch (dataType) {
  case 1: // FLOAT
    return Float32Type::get(ctx);
  case 2: // UINT8
    return ui(8);
  case 3: // INT8
    return sl(8);
  case 4: // UINT16
    return ui(16);
  case 5: // INT16
    return sl(16);
  case 6: // INT32
    return sl(32);
  case 7: // INT64
    return sl(64);
  case 8: // STRING
    return nullptr;
  case 9: // BOOL
    return sl(1);
  case 10: // FLOAT16
    return Float16Type::get(ctx);
  case 11: // DOUBLE
    return Float64Type::get(ctx);
  case 12: // UINT32
    return ui(32);
  case 13: // UINT64
    return ui(64);
  case 14: // COMPLEX64
    return ComplexType::get(Float32Type::get(ctx));
  case 15: // COMPLEX128
    return ComplexType::get(Float64Type::get(ctx));
  case 16: // BFLOAT16
    return BFloat16Type::get(ctx);
  case 17: // FLOAT8E4M3FN
    return Float8E4M3FNType::get(ctx);
  case 18: // FLOAT8E4M3FNUZ
    return Float8E4M3FNUZType::get(ctx);
  case 19: // FLOAT8E5M2
    return Float8E5M2Type::get(ctx);
  case 20: // FLOAT8E5M2FNUZ
    return Float8E5M2FNUZType::get(ctx);
  case 21: // UINT4
    return ui(4);
  case 22: // INT4
    return sl(4);
  case 23: // FLOAT4E2M1
    return Float4E2M1FNType::get(ctx);
  case 24: // FLOAT8E8M0
    return Float8E8M0FNUType::get(ctx);
  case 25: // UINT2
    return ui(2);
  case 26: // INT2
    return sl(2);
  default:
    valid = false;
    return nullptr;
  }
}

//===----------------------------------------------------------------------===//
// Structural ops
//===----------------------------------------------------------------------===//

OpFoldResult InitializerOp::fold(FoldAdaptor) { return getValueAttr(); }

LogicalResult InitializerOp::verify() {
  if (getName().empty())
    return emitOpError("requires a non-empty initializer name");
  if (cast<TypedAttr>(getValue()).getType() != getResult().getType())
    return emitOpError("result type ")
           << getResult().getType() << " differs from the value's type "
           << cast<TypedAttr>(getValue()).getType();
  return success();
}

void NodeOp::build(OpBuilder &builder, OperationState &state,
                   TypeRange resultTypes, ValueRange inputs, StringAttr opType,
                   StringAttr domain, DictionaryAttr attributes) {
  build(builder, state, resultTypes, inputs, opType, domain);
  if (attributes && !attributes.empty())
    state.addAttribute(kAttributesName, attributes);
}

DictionaryAttr NodeOp::getAttributes() {
  if (auto dict = (*this)->getAttrOfType<DictionaryAttr>(kAttributesName))
    return dict;
  return DictionaryAttr::get(getContext());
}

void NodeOp::setAttributes(DictionaryAttr attributes) {
  if (attributes && !attributes.empty())
    (*this)->setAttr(kAttributesName, attributes);
  else
    (*this)->removeAttr(kAttributesName);
}

/// Whether `attr` is one of the ONNX attribute kinds as the dialect maps them.
static bool isONNXAttributeKind(Attribute attr) {
  if (auto intAttr = dyn_cast<IntegerAttr>(attr))
    return intAttr.getType().isSignlessInteger(64);
  if (auto floatAttr = dyn_cast<FloatAttr>(attr))
    return floatAttr.getType().isF32();
  if (auto array = dyn_cast<ArrayAttr>(attr))
    return llvm::all_of(array, llvm::IsaPred<StringAttr>);
  return isa<StringAttr, DenseI64ArrayAttr, DenseF32ArrayAttr, ElementsAttr>(
      attr);
}

LogicalResult NodeOp::verify() {
  if (getOpType().empty())
    return emitOpError("requires a non-empty 'op_type'");
  Attribute attrs = (*this)->getAttr(kAttributesName);
  if (!attrs)
    return success();
  auto dict = dyn_cast<DictionaryAttr>(attrs);
  if (!dict)
    return emitOpError("'attributes' must be a dictionary, got ") << attrs;
  for (NamedAttribute named : dict)
    if (!isONNXAttributeKind(named.getValue()))
      return emitOpError("ONNX attribute '")
             << named.getName().getValue()
             << "' is not of an ONNX attribute kind (i64, f32, string, "
                "array<i64>, array<f32>, array of strings, elements): "
             << named.getValue();
  return success();
}

LogicalResult IfOp::verify() {
  Type condElement = elementTypeOf(getCond());
  if (!condElement.isSignlessInteger(1))
    return emitOpError("condition must be a tensor of i1, got ")
           << getCond().getType();
  for (auto [name, region] :
       {std::pair<StringRef, Region *>{"then_branch", &getThenBranch()},
        {"else_branch", &getElseBranch()}}) {
    auto yield = dyn_cast<YieldOp>(region->front().getTerminator());
    if (!yield)
      return emitOpError() << name << " must be terminated by 'onnx.yield'";
    if (yield.getNumOperands() != getNumResults())
      return emitOpError() << name << " yields " << yield.getNumOperands()
                           << " values but the op has " << getNumResults()
                           << " results";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult EqualOp::verify() { return verifyBoolResult(*this); }
LogicalResult LessOp::verify() { return verifyBoolResult(*this); }
LogicalResult GreaterOp::verify() { return verifyBoolResult(*this); }
LogicalResult LessOrEqualOp::verify() { return verifyBoolResult(*this); }
LogicalResult GreaterOrEqualOp::verify() { return verifyBoolResult(*this); }
LogicalResult AndOp::verify() { return verifyBoolResult(*this); }
LogicalResult OrOp::verify() { return verifyBoolResult(*this); }
LogicalResult XorOp::verify() { return verifyBoolResult(*this); }
LogicalResult IsNaNOp::verify() { return verifyBoolResult(*this); }

LogicalResult ModOp::verify() {
  int64_t fmod = getFmodAttr() ? getFmodAttr().getInt() : 0;
  if (fmod != 0 && fmod != 1)
    return emitOpError("'fmod' must be 0 or 1, got ") << fmod;
  return success();
}

LogicalResult GeluOp::verify() {
  if (StringAttr approximate = getApproximateAttr();
      approximate &&
      !llvm::is_contained({"none", "tanh"}, approximate.getValue()))
    return emitOpError("'approximate' must be \"none\" or \"tanh\", got \"")
           << approximate.getValue() << "\"";
  return success();
}

LogicalResult WhereOp::verify() {
  Type condElement = elementTypeOf(getCondition());
  if (!condElement.isSignlessInteger(1))
    return emitOpError("condition element type must be i1, got ")
           << condElement;
  return success();
}

LogicalResult CastOp::verify() {
  IntegerAttr to = getToAttr();
  if (!to)
    return emitOpError("requires attribute 'to'");
  bool valid;
  Type expected = getElementTypeForDataType(getContext(), to.getInt(), valid);
  if (!valid)
    return emitOpError("attribute 'to' = ")
           << to.getInt() << " is not an ONNX TensorProto data type";
  Type actual = elementTypeOf(getOutput());
  if (expected && actual != expected)
    return emitOpError("result element type ")
           << actual << " does not match 'to' = " << to.getInt() << " ("
           << expected << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::verify() {
  RankedTensorType a = ranked(getA()), b = ranked(getB());
  if ((a && a.getRank() < 1) || (b && b.getRank() < 1))
    return emitOpError("operands must have rank >= 1");
  if (!a || !b)
    return success();
  int64_t kA = a.getShape().back();
  int64_t kB =
      b.getRank() == 1 ? b.getDimSize(0) : b.getDimSize(b.getRank() - 2);
  if (!compatibleDims(kA, kB))
    return emitOpError("contracted dimensions differ: A has ")
           << kA << ", B has " << kB;
  return success();
}

LogicalResult GemmOp::verify() {
  if (failed(verifyFlag(*this, "transA", getTransAAttr())) ||
      failed(verifyFlag(*this, "transB", getTransBAttr())))
    return failure();
  RankedTensorType a = ranked(getA()), b = ranked(getB());
  if (a && a.getRank() != 2)
    return emitOpError("A must have rank 2, got ") << a.getRank();
  if (b && b.getRank() != 2)
    return emitOpError("B must have rank 2, got ") << b.getRank();
  if (!a || !b)
    return success();
  int64_t kA = a.getDimSize(getTransAOrDefault() ? 0 : 1);
  int64_t kB = b.getDimSize(getTransBOrDefault() ? 1 : 0);
  if (!compatibleDims(kA, kB))
    return emitOpError("inner dimensions differ: op(A) has K = ")
           << kA << ", op(B) has K = " << kB;
  return success();
}

LogicalResult EinsumOp::verify() {
  std::optional<StringRef> equationOpt = getEquation();
  if (!equationOpt || equationOpt->empty())
    return emitOpError("requires a non-empty 'equation'");
  StringRef equation = *equationOpt;
  for (char c : equation)
    if (!llvm::isAlpha(c) && !StringRef(",.-> ").contains(c))
      return emitOpError("equation '")
             << equation << "' contains the invalid character '" << c << "'";
  auto [lhs, rhs] = equation.split("->");
  if (rhs.contains("->") || lhs.contains('>') || lhs.contains('-') ||
      rhs.contains(','))
    return emitOpError("malformed equation '") << equation << "'";
  size_t terms = lhs.count(',') + 1;
  if (terms != getInputs().size())
    return emitOpError("equation '")
           << equation << "' has " << terms << " input terms but the op has "
           << getInputs().size() << " inputs";
  return success();
}

LogicalResult MatMulNBitsOp::verify() {
  if (!getKAttr() || !getNAttr() || !getBlockSizeAttr())
    return emitOpError("requires attributes 'K', 'N' and 'block_size'");
  if (getKAttr().getInt() <= 0 || getNAttr().getInt() <= 0)
    return emitOpError("'K' and 'N' must be positive");
  int64_t bits = getBitsOrDefault();
  if (bits != 2 && bits != 4 && bits != 8)
    return emitOpError("attribute 'bits' must be 2, 4 or 8, got ") << bits;
  int64_t blockSize = getBlockSizeAttr().getInt();
  if (blockSize < 16 || !llvm::isPowerOf2_64(blockSize))
    return emitOpError("attribute 'block_size' must be a power of two >= 16, "
                       "got ")
           << blockSize;
  if (RankedTensorType a = ranked(getA())) {
    if (a.getRank() < 1)
      return emitOpError("A must have rank >= 1");
    if (!compatibleDims(a.getShape().back(), getKAttr().getInt()))
      return emitOpError("A's last dimension ")
             << a.getShape().back()
             << " differs from K = " << getKAttr().getInt();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, "axis", getAxisAttr(), getInput());
}

LogicalResult LayerNormalizationOp::verify() {
  return verifyAxis(*this, "axis", getAxisAttr(), getX());
}

/// A float data type number for `stash_type`/`softmax_precision` (the
/// precisions ONNX allows there: FLOAT, FLOAT16, DOUBLE, BFLOAT16).
static LogicalResult verifyPrecision(Operation *op, StringRef name,
                                     IntegerAttr attr) {
  if (attr && !llvm::is_contained({1, 10, 11, 16}, attr.getInt()))
    return op->emitOpError("attribute '")
           << name << "' = " << attr.getInt()
           << " is not a float data type (1, 10, 11 or 16)";
  return success();
}

LogicalResult RMSNormalizationOp::verify() {
  if (failed(verifyAxis(*this, "axis", getAxisAttr(), getX())))
    return failure();
  if (getEpsilonAttr() && !(getEpsilonOrDefault() >= 0.0f))
    return emitOpError("attribute 'epsilon' must be >= 0");
  return verifyPrecision(*this, "stash_type", getStashTypeAttr());
}

LogicalResult RotaryEmbeddingOp::verify() {
  if (failed(verifyFlag(*this, "interleaved", getInterleavedAttr())))
    return failure();
  int64_t dim = getRotaryEmbeddingDimOrDefault();
  if (dim < 0 || dim % 2)
    return emitOpError("attribute 'rotary_embedding_dim' must be even and "
                       ">= 0, got ")
           << dim;
  if (getNumHeadsAttr() && getNumHeadsAttr().getInt() <= 0)
    return emitOpError("attribute 'num_heads' must be positive, got ")
           << getNumHeadsAttr().getInt();
  bool withPositions = !isNone(getPositionIds());
  if (RankedTensorType x = ranked(getX())) {
    if (x.getRank() != 3 && x.getRank() != 4)
      return emitOpError("input X must have rank 3 or 4, got ") << x;
    if (x.getRank() == 3 && !getNumHeadsAttr())
      return emitOpError("a 3-D input X needs the 'num_heads' attribute");
  }
  for (Value cache : {getCosCache(), getSinCache()})
    if (RankedTensorType type = ranked(cache);
        type && type.getRank() != (withPositions ? 2 : 3))
      return emitOpError("cos_cache and sin_cache must have rank ")
             << (withPositions ? 2 : 3)
             << (withPositions ? " with" : " without") << " position_ids, got "
             << type;
  if (RankedTensorType type = ranked(getPositionIds());
      type &&
      (type.getRank() != 2 || !type.getElementType().isSignlessInteger(64)))
    return emitOpError("position_ids must be a 2-D tensor of i64, got ")
           << type;
  return success();
}

LogicalResult AttentionOp::verify() {
  if (failed(verifyFlag(*this, "is_causal", getIsCausalAttr())) ||
      failed(verifyPrecision(*this, "softmax_precision",
                             getSoftmaxPrecisionAttr())))
    return failure();
  int64_t mode = getQkMatmulOutputModeOrDefault();
  if (mode < 0 || mode > 3)
    return emitOpError("attribute 'qk_matmul_output_mode' must be 0, 1, 2 or "
                       "3, got ")
           << mode;
  if (!(getSoftcapOrDefault() >= 0.0f))
    return emitOpError("attribute 'softcap' must be >= 0");
  if (getLeftWindowSizeOrDefault() < -1 || getRightWindowSizeOrDefault() < -1)
    return emitOpError("window sizes must be -1 (unbounded) or >= 0");
  for (IntegerAttr heads : {getQNumHeadsAttr(), getKvNumHeadsAttr()})
    if (heads && heads.getInt() <= 0)
      return emitOpError("head counts must be positive, got ")
             << heads.getInt();
  if (isNone(getPastKey()) != isNone(getPastValue()))
    return emitOpError("past_key and past_value must be given together");
  if (!isNone(getNonpadKvSeqlen()) && !isNone(getPastKey()))
    return emitOpError("nonpad_kv_seqlen (an external cache) and past_key "
                       "exclude each other");
  if (RankedTensorType type = ranked(getNonpadKvSeqlen());
      type &&
      (type.getRank() != 1 || !type.getElementType().isSignlessInteger(64)))
    return emitOpError("nonpad_kv_seqlen must be a 1-D tensor of i64, got ")
           << type;
  RankedTensorType q = ranked(getQ()), k = ranked(getK()), v = ranked(getV());
  int64_t rank = 0;
  for (RankedTensorType type : {q, k, v}) {
    if (!type)
      continue;
    if (type.getRank() != 3 && type.getRank() != 4)
      return emitOpError("Q, K and V must have rank 3 or 4, got ") << type;
    if (rank && type.getRank() != rank)
      return emitOpError("Q, K and V must have the same rank");
    rank = type.getRank();
  }
  if (rank == 3 && (!getQNumHeadsAttr() || !getKvNumHeadsAttr()))
    return emitOpError("3-D Q, K and V need the 'q_num_heads' and "
                       "'kv_num_heads' attributes");
  for (Value past : {getPastKey(), getPastValue()})
    if (RankedTensorType type = ranked(past); type && type.getRank() != 4)
      return emitOpError("past_key and past_value must have rank 4, got ")
             << type;
  return success();
}

//===----------------------------------------------------------------------===//
// Shape manipulation and indexing
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::verify() {
  return verifyAxis(*this, "axis", getAxisAttr(), getData());
}

LogicalResult FlattenOp::verify() {
  return verifyAxis(*this, "axis", getAxisAttr(), getInput(),
                    /*inclusive=*/true);
}

LogicalResult ReshapeOp::verify() {
  auto shapeType = cast<TensorType>(getShape().getType());
  if ((shapeType.hasRank() && shapeType.getRank() != 1) ||
      !shapeType.getElementType().isSignlessInteger(64))
    return emitOpError("shape operand must be a 1-D tensor of i64, got ")
           << shapeType;
  return success();
}

SmallVector<int64_t> TransposeOp::getPermOrDefault(int64_t rank) {
  if (std::optional<ArrayRef<int64_t>> perm = getPerm())
    return llvm::to_vector(*perm);
  return llvm::to_vector(llvm::reverse(llvm::seq<int64_t>(0, rank)));
}

LogicalResult TransposeOp::verify() {
  RankedTensorType input = ranked(getData());
  RankedTensorType result = ranked(getTransposed());
  if (input && result && input.getRank() != result.getRank())
    return emitOpError("result rank ")
           << result.getRank() << " differs from input rank "
           << input.getRank();
  std::optional<ArrayRef<int64_t>> perm = getPerm();
  if (!perm)
    return success();
  int64_t size = perm->size();
  if (input && size != input.getRank())
    return emitOpError("'perm' has ")
           << size << " entries but the input has rank " << input.getRank();
  SmallVector<bool> seen(size, false);
  for (int64_t p : *perm) {
    if (p < 0 || p >= size || seen[p])
      return emitOpError("'perm' is not a permutation of [0, ") << size << ")";
    seen[p] = true;
  }
  if (input && result)
    for (int64_t i = 0; i < size; ++i)
      if (!compatibleDims(result.getDimSize(i), input.getDimSize((*perm)[i])))
        return emitOpError("result dimension ")
               << i << " (" << result.getDimSize(i)
               << ") differs from input dimension " << (*perm)[i] << " ("
               << input.getDimSize((*perm)[i]) << ")";
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("requires at least one input");
  IntegerAttr axisAttr = getAxisAttr();
  if (!axisAttr)
    return emitOpError("requires attribute 'axis'");
  SmallVector<RankedTensorType> types;
  for (Value input : getInputs())
    if (RankedTensorType type = ranked(input))
      types.push_back(type);
  if (RankedTensorType result = ranked(getConcatResult()))
    types.push_back(result);
  if (types.empty())
    return success();
  int64_t rank = types.front().getRank();
  for (RankedTensorType type : types)
    if (type.getRank() != rank)
      return emitOpError("operands and result must have the same rank, got ")
             << type << " and " << types.front();
  if (failed(verifyAxis(*this, "axis", axisAttr, rank)))
    return failure();
  int64_t axis =
      axisAttr.getInt() < 0 ? axisAttr.getInt() + rank : axisAttr.getInt();
  for (int64_t d = 0; d < rank; ++d) {
    if (d == axis)
      continue;
    int64_t extent = ShapedType::kDynamic;
    for (RankedTensorType type : types) {
      int64_t dim = type.getDimSize(d);
      if (!compatibleDims(extent, dim))
        return emitOpError("non-concatenated dimension ")
               << d << " differs: " << extent << " vs " << dim;
      if (!ShapedType::isDynamic(dim))
        extent = dim;
    }
  }
  return success();
}

LogicalResult SplitOp::verify() {
  if (failed(verifyAxis(*this, "axis", getAxisAttr(), getInput())))
    return failure();
  int64_t numResults = getNumResults();
  bool hasSplitInput = !isNone(getSplitInput());
  if (hasSplitInput && (getNumOutputsAttr() || getSplit()))
    return emitOpError("has a 'split' input and the '")
           << (getNumOutputsAttr() ? "num_outputs" : "split")
           << "' attribute; at most one may be given";
  if (getNumOutputsAttr() && getSplit())
    return emitOpError("has both 'num_outputs' and 'split' attributes");
  // The extent being split, when the input's rank and that dim are static.
  int64_t extent = ShapedType::kDynamic, axis = getAxisOrDefault();
  if (RankedTensorType type = ranked(getInput())) {
    int64_t rank = type.getRank();
    extent = type.getDimSize(axis < 0 ? axis + rank : axis);
  }
  if (IntegerAttr numOutputs = getNumOutputsAttr()) {
    int64_t n = numOutputs.getInt();
    if (n != numResults)
      return emitOpError("'num_outputs' = ")
             << n << " but the op has " << numResults << " results";
    // Opset 18: chunks of ceil(extent / n), the last one what is left.
    // Checked only when the extent is known.
    int64_t chunk = n > 0 && !ShapedType::isDynamic(extent)
                        ? llvm::divideCeil(extent, n)
                        : 0;
    if (!ShapedType::isDynamic(extent) && chunk * (n - 1) > extent)
      return emitOpError("'num_outputs' = ")
             << n << " does not split dimension " << axis << " of extent "
             << extent << ": chunks of " << chunk << " leave "
             << extent - chunk * (n - 1) << " for the last output";
  }
  std::optional<Shape> sizes;
  if (std::optional<ArrayRef<int64_t>> split = getSplit())
    sizes = Shape(split->begin(), split->end());
  else if (hasSplitInput)
    sizes = getConstantIntValues(getSplitInput(), 1 << 16);
  if (sizes) {
    StringRef what = hasSplitInput ? "the 'split' input" : "'split'";
    if (static_cast<int64_t>(sizes->size()) != numResults)
      return emitOpError() << what << " has " << sizes->size()
                           << " entries but the op has " << numResults
                           << " results";
    int64_t total = 0;
    for (int64_t size : *sizes) {
      if (size < 0)
        return emitOpError() << what << " has a negative size " << size;
      total += size;
    }
    if (!ShapedType::isDynamic(extent) && total != extent)
      return emitOpError() << what << " sums to " << total << " but dimension "
                           << axis << " has extent " << extent;
  } else if (!hasSplitInput && !getNumOutputsAttr() &&
             !ShapedType::isDynamic(extent) && extent % numResults != 0) {
    return emitOpError("dimension ")
           << axis << " of extent " << extent << " does not split into "
           << numResults << " equal parts";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Pad
//===----------------------------------------------------------------------===//

LogicalResult PadOp::verify() {
  StringRef mode = getModeOrDefault();
  if (!llvm::is_contained({"constant", "reflect", "edge", "wrap"}, mode))
    return emitOpError("unknown 'mode' \"")
           << mode << "\" (constant, reflect, edge or wrap)";
  RankedTensorType data = ranked(getData());
  RankedTensorType pads = ranked(getPads());
  if (pads && pads.getRank() != 1)
    return emitOpError("'pads' must be 1-D, got ") << pads;
  int64_t numAxes = data ? data.getRank() : ShapedType::kDynamic;
  if (!isNone(getAxes())) {
    numAxes = ShapedType::kDynamic;
    if (std::optional<Shape> axes = getConstantIntValues(getAxes(), 1 << 16)) {
      numAxes = axes->size();
      if (data && failed(verifyAxesList(*this, *axes, data.getRank())))
        return failure();
    }
  }
  if (pads && !ShapedType::isDynamic(numAxes) && !pads.isDynamicDim(0) &&
      pads.getDimSize(0) != 2 * numAxes)
    return emitOpError("'pads' has ")
           << pads.getDimSize(0) << " entries, expected 2 x " << numAxes;
  return success();
}

LogicalResult ResizeOp::verify() {
  auto oneOf = [&](StringRef what, StringRef value,
                   ArrayRef<StringRef> allowed) -> LogicalResult {
    if (llvm::is_contained(allowed, value))
      return success();
    return emitOpError("unknown '") << what << "' \"" << value << "\" ("
                                    << llvm::join(allowed, ", ") << ")";
  };
  if (failed(
          oneOf("mode", getModeOrDefault(), {"nearest", "linear", "cubic"})) ||
      failed(oneOf("coordinate_transformation_mode",
                   getCoordinateTransformationModeOrDefault(),
                   {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                    "align_corners", "asymmetric", "tf_crop_and_resize"})) ||
      failed(oneOf(
          "nearest_mode", getNearestModeOrDefault(),
          {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"})) ||
      failed(oneOf("keep_aspect_ratio_policy",
                   getKeepAspectRatioPolicyOrDefault(),
                   {"stretch", "not_larger", "not_smaller"})))
    return failure();
  bool hasScales = !isNone(getScales()), hasSizes = !isNone(getSizes());
  if (RankedTensorType scales = ranked(getScales());
      scales && scales.getRank() == 1 && scales.getDimSize(0) == 0)
    hasScales = false; // an empty `scales` stands for an omitted one
  if (hasScales == hasSizes)
    return emitOpError("needs exactly one of 'scales' and 'sizes'");
  RankedTensorType data = ranked(getX());
  int64_t numAxes = data ? data.getRank() : ShapedType::kDynamic;
  if (std::optional<ArrayRef<int64_t>> axes = getAxes()) {
    numAxes = axes->size();
    if (data && failed(verifyAxesList(*this, *axes, data.getRank())))
      return failure();
  }
  for (auto [name, operand, factor] :
       {std::tuple<StringRef, Value, int64_t>{"scales", getScales(), 1},
        {"sizes", getSizes(), 1},
        {"roi", getRoi(), 2}}) {
    RankedTensorType type = ranked(operand);
    if (!type || (name == "scales" && !hasScales))
      continue;
    if (type.getRank() != 1)
      return emitOpError("'") << name << "' must be 1-D, got " << type;
    if (!ShapedType::isDynamic(numAxes) && !type.isDynamicDim(0) &&
        !(name == "roi" && type.getDimSize(0) == 0) &&
        type.getDimSize(0) != factor * numAxes)
      return emitOpError("'")
             << name << "' has " << type.getDimSize(0) << " entries, expected "
             << (factor == 2 ? "2 x " : "") << numAxes;
  }
  return success();
}

/// (De)QuantizeLinear: a scalar scale (per tensor), a 1-D one of the extent
/// of `axis` (per axis), or, with `block_size` > 0, one of the input's rank
/// with ceil(extent / block_size) entries along `axis` (blocked); the zero
/// point has the scale's shape.
static LogicalResult verifyQuantizeOperands(Operation *op, Value x, Value scale,
                                            Value zeroPoint, int64_t axis,
                                            int64_t blockSize) {
  if (blockSize < 0)
    return op->emitOpError("'block_size' must be >= 0, got ") << blockSize;
  RankedTensorType data = ranked(x), scales = ranked(scale);
  if (RankedTensorType zero = ranked(zeroPoint);
      zero && scales && zero.getShape() != scales.getShape())
    return op->emitOpError("zero point shape ")
           << zero << " differs from the scale's " << scales;
  if (!data || !scales)
    return success();
  int64_t rank = data.getRank();
  if (scales.getRank() == 0) {
    if (blockSize != 0)
      return op->emitOpError("'block_size' ")
             << blockSize << " needs a scale of the input's rank, got "
             << scales;
    return success();
  }
  std::optional<int64_t> dim = normalizeAxis(axis, rank);
  if (!dim)
    return op->emitOpError("'axis' ")
           << axis << " is out of range for rank " << rank;
  int64_t extent = data.getDimSize(*dim);
  if (blockSize == 0) {
    if (scales.getRank() != 1)
      return op->emitOpError("a per-axis scale must be 1-D (or give "
                             "'block_size' for blocks), got ")
             << scales;
    // A 1-element scale also stands for one scale of the whole tensor.
    if (!ShapedType::isDynamic(extent) && !scales.isDynamicDim(0) &&
        scales.getDimSize(0) != extent && scales.getDimSize(0) != 1)
      return op->emitOpError("the scale has ")
             << scales.getDimSize(0) << " entries for extent " << extent
             << " of axis " << *dim;
    return success();
  }
  if (scales.getRank() != rank)
    return op->emitOpError("a blocked scale must have the input's rank ")
           << rank << ", got " << scales;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t want = data.getDimSize(d), got = scales.getDimSize(d);
    if (ShapedType::isDynamic(want) || ShapedType::isDynamic(got))
      continue;
    if (d == *dim)
      want = llvm::divideCeil(want, blockSize);
    if (got != want)
      return op->emitOpError("the blocked scale has ")
             << got << " entries along dimension " << d << ", expected " << want
             << (d == *dim ? " (ceil(extent / block_size))" : " (the extent)");
  }
  return success();
}

LogicalResult QuantizeLinearOp::verify() {
  return verifyQuantizeOperands(*this, getX(), getYScale(), getYZeroPoint(),
                                getAxisOrDefault(), getBlockSizeOrDefault());
}

LogicalResult DequantizeLinearOp::verify() {
  return verifyQuantizeOperands(*this, getX(), getXScale(), getXZeroPoint(),
                                getAxisOrDefault(), getBlockSizeOrDefault());
}

LogicalResult TriluOp::verify() {
  return verifyFlag(*this, "upper", getUpperAttr());
}

//===----------------------------------------------------------------------===//
// Constants and generators
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  int present = !!getValueAttr() + !!getValueFloatAttr() +
                !!getValueFloatsAttr() + !!getValueIntAttr() +
                !!getValueIntsAttr() + !!getValueStringAttr() +
                !!getValueStringsAttr();
  if (present != 1)
    return emitOpError("requires exactly one of 'value', 'value_float', "
                       "'value_floats', 'value_int', 'value_ints', "
                       "'value_string', 'value_strings'; got ")
           << present;
  if (ElementsAttr value = getValueAttr()) {
    Type expected = value.getShapedType().getElementType();
    Type actual = elementTypeOf(getOutput());
    if (actual != expected)
      return emitOpError("result element type ")
             << actual << " differs from the value's element type " << expected;
  }
  return success();
}

LogicalResult RangeOp::verify() {
  for (auto [name, operand] : {std::pair<StringRef, Value>{"start", getStart()},
                               {"limit", getLimit()},
                               {"delta", getDelta()}})
    if (RankedTensorType type = ranked(operand); type && type.getRank() != 0)
      return emitOpError("'")
             << name << "' must be a scalar (rank 0), got " << type;
  return success();
}

Type mlir::peft::onnx_ir::getElementTypeForONNXDataType(MLIRContext *ctx,
                                                        int64_t dataType) {
  bool valid;
  return getElementTypeForDataType(ctx, dataType, valid);
}
