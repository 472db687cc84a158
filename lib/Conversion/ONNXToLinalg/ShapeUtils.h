//===- ShapeUtils.h - helpers shared by onnx-to-linalg patterns -*- C++ -*-===//
//
// The base of the patterns (ONNXConversion), sizes as OpFoldResults (static
// extents fold, dynamic ones are tensor.dim), constants of the original or
// converted operands, run-time reads of shape vectors, and the reshapes that
// restore leading dimensions without splitting one dynamic extent into
// several with tensor.expand_shape.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_CONVERSION_ONNXTOLINALG_SHAPEUTILS_H
#define PEFT_LIB_CONVERSION_ONNXTOLINALG_SHAPEUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Transforms/DialectConversion.h"

#include <optional>

namespace mlir::peft::onnx_to_linalg {

/// The reasons the patterns gave for not lowering each op, recorded while an
/// instance is alive on this thread (the pass's analysis run), so that an op
/// nothing lowers is reported with them. Keyed by location and op name: the
/// analysis conversion runs the patterns on a clone.
class MatchFailureLog {
public:
  MatchFailureLog();
  ~MatchFailureLog();
  MatchFailureLog(const MatchFailureLog &) = delete;
  MatchFailureLog &operator=(const MatchFailureLog &) = delete;

  /// The distinct reasons recorded for ops at `op`'s location of its name,
  /// in order.
  ArrayRef<std::string> getReasons(Operation *op) const;

private:
  friend LogicalResult matchFailure(RewriterBase &, Operation *, const Twine &);
  llvm::DenseMap<std::pair<Location, OperationName>,
                 SmallVector<std::string, 1>>
      reasons;
  MatchFailureLog *previous;
};

/// rewriter.notifyMatchFailure(op, reason), also recorded in the active
/// MatchFailureLog. Patterns fail through this.
LogicalResult matchFailure(RewriterBase &rewriter, Operation *op,
                           const Twine &reason);

/// `type` converted to a ranked tensor type, or null when it has none.
RankedTensorType convertToRanked(const TypeConverter *converter, Type type);

/// Base of the onnx-to-linalg patterns: converts result types to ranked
/// tensors.
template <typename Op> struct ONNXConversion : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;

  RankedTensorType convertResult(Value result) const {
    return convertToRanked(this->getTypeConverter(), result.getType());
  }
};

/// `value` as `type`: unchanged when equal, else a tensor.cast.
Value castTo(OpBuilder &b, Location loc, Value value, Type type);

/// The extents of a ranked tensor: attributes where static, tensor.dim else.
SmallVector<OpFoldResult> getSizes(OpBuilder &b, Location loc, Value tensor);
OpFoldResult getSize(OpBuilder &b, Location loc, Value tensor, int64_t dim);

/// Static extents of `sizes` (kDynamic where not constant).
SmallVector<int64_t> getStaticShape(ArrayRef<OpFoldResult> sizes);

/// Whether a static extent is 1 (it broadcasts against any other).
bool isStaticOne(int64_t extent);

/// `shape` with its dynamic extents taken from `refined` where static (same
/// rank required; otherwise `shape` is returned).
SmallVector<int64_t> refineShape(ArrayRef<int64_t> shape,
                                 ArrayRef<int64_t> refined);

Value toIndex(OpBuilder &b, Location loc, OpFoldResult ofr);
Value indexConstant(OpBuilder &b, Location loc, int64_t value);
Value i64Constant(OpBuilder &b, Location loc, int64_t value);

/// tensor.empty of `sizes`.
Value createEmpty(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                  Type elementType);
/// Zero of an integer or float element type.
Value createZero(OpBuilder &b, Location loc, Type elementType);
/// tensor.empty of `sizes` filled with `scalar`.
Value createFilled(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   Value scalar);
/// A zero-filled accumulator of `sizes`.
Value createAccumulator(OpBuilder &b, Location loc,
                        ArrayRef<OpFoldResult> sizes, Type elementType);

/// `count` parallel iterators.
SmallVector<utils::IteratorType> parallelIterators(int64_t count);

/// The constant attribute behind `value` (through unrealized casts), or null.
ElementsAttr getConstantElements(Value value);

/// The elements of an integer constant of at most `maxElements` elements,
/// sign-extended (zero-extended for unsigned element types); dense and
/// dense_resource attributes are read.
std::optional<SmallVector<int64_t>> getConstantInts(Value value,
                                                    int64_t maxElements = 4096);
/// Tries the original operand, then its converted value.
std::optional<SmallVector<int64_t>>
getConstantInts(Value original, Value converted, int64_t maxElements = 4096);

/// Element `i` (row-major) of a static-shaped tensor as a scalar of its
/// element type; folds when `tensor` is a constant or tensor.from_elements.
Value extractElement(OpBuilder &b, Location loc, Value tensor, int64_t i);
/// Element `i` of an integer tensor, sign-extended (or truncated) to i64.
Value extractI64(OpBuilder &b, Location loc, Value tensor, int64_t i);

/// An integer scalar of any width, or an index, as an i64 / index value.
Value intToI64(OpBuilder &b, Location loc, Value value,
               bool isUnsigned = false);
Value i64ToIndex(OpBuilder &b, Location loc, Value value);
Value indexToI64(OpBuilder &b, Location loc, Value value);
/// `x` (an i64 value) as an OpFoldResult index (an attribute when constant).
OpFoldResult i64ToSize(OpBuilder &b, Location loc, Value x);

/// The extent `dim` of `tensor` as an i64 value.
Value dimI64(OpBuilder &b, Location loc, Value tensor, int64_t dim);

/// The elements of a 1-D integer tensor of static length as i64 values;
/// nullopt when its length is not static.
std::optional<SmallVector<Value>> readShapeVector(OpBuilder &b, Location loc,
                                                  Value shape);

/// Whether every extent of `type` is static and its element count at most
/// `maxElements`, with an integer element type: the shape vectors that are
/// rebuilt element by element so that chains of them fold.
bool isSmallIntVector(Type type, int64_t maxElements = 16);

/// The elements of a small static tensor, extracted one by one (folding
/// through constants and tensor.from_elements), rebuilt as `resultType`.
Value rebuildFromElements(OpBuilder &b, Location loc, ArrayRef<Value> elements,
                          RankedTensorType resultType);

/// Reshapes `value` to `sizes` with tensor.reshape (element order kept); the
/// result type is static where `sizes` are constant.
Value reshapeTo(OpBuilder &b, Location loc, Value value,
                ArrayRef<OpFoldResult> sizes);

/// Expands dimension 0 of `value` into `leading` (the others are kept):
/// tensor.expand_shape when at most one of `leading` is dynamic, else
/// tensor.reshape (MLIR 22's expand-strided-metadata crashes on an
/// expand_shape that splits one dynamic extent into several).
Value expandLeading(OpBuilder &b, Location loc, Value value,
                    ArrayRef<OpFoldResult> leading);

/// Collapses dimensions [0, count) of `value` into one (count >= 1).
Value collapseLeading(OpBuilder &b, Location loc, Value value, int64_t count);

/// The elements of the run-time `axes` (a 1-D integer tensor of static
/// length) as i64 values, negative ones counted from the end of `rank`.
SmallVector<Value> readRuntimeAxes(OpBuilder &b, Location loc, Value axes,
                                   int64_t rank);
/// Which of `rank` dims the run-time `axes` name, as i1 values.
SmallVector<Value> getRuntimeAxisMask(OpBuilder &b, Location loc, Value axes,
                                      int64_t rank);

/// The extents of `tensor` whose `dropped` flag (i1, one per dim) is false,
/// in order, as `resultShape.size()` sizes: static extents of `resultShape`
/// as they are, the others selected at run time.
SmallVector<OpFoldResult> getKeptSizes(OpBuilder &b, Location loc, Value tensor,
                                       ArrayRef<Value> dropped,
                                       ArrayRef<int64_t> resultShape);

/// tensor.extract_slice, or a tensor.empty when the slice is known to be
/// empty (a constant 0 size, or a constant offset at a static extent, which
/// MLIR 22's verifier rejects even for an empty slice).
Value extractSliceOrEmpty(OpBuilder &b, Location loc, Value source,
                          ArrayRef<OpFoldResult> offsets,
                          ArrayRef<OpFoldResult> sizes,
                          ArrayRef<OpFoldResult> strides);

/// Scalar helpers on integer-or-float values.
Value createAdd(OpBuilder &b, Location loc, Value x, Value y);
Value createMul(OpBuilder &b, Location loc, Value x, Value y);

/// Normalizes `axis` into [0, rank); nullopt when out of [-rank, rank).
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

} // namespace mlir::peft::onnx_to_linalg

#endif // PEFT_LIB_CONVERSION_ONNXTOLINALG_SHAPEUTILS_H
