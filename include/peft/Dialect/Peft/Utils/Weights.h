//===- Weights.h - one weight abstraction for every pass --------*- C++ -*-===//
//
// Every pass that reads or writes a weight goes through this file. A weight
// is a constant tensor held by an `onnx.initializer` or an `arith.constant`,
// over a `dense_resource` blob (the normal case: imported, mmap'd or heap)
// or a small inline `dense` attribute.
//
// Element types: f64 (read and written exactly), f32, f16, bf16, i8/ui8 and
// the sub-byte i2, i3, i4 (and unsigned) types, stored packed in their blob
// as a little-endian bit stream (peft/Support/Codecs.h gives the convention;
// for 4 bits it is ONNX's, low nibble first).
//
// Precision: a float weight is computed on in f64 when it is stored as f64
// and in f32 otherwise, and rounded once when stored back.
//
// Memory: rewriting a weight updates its blob in place when the blob is
// mutable and held by that one op with that one use. Otherwise a weight
// with that one use keeps its op and name and gets a new blob, and the old
// blob is released (heap freed; pages of a mapped external-data file handed
// back to the kernel); a shared weight is left to its other users and a new
// `arith.constant dense_resource` takes its place. A pass over a whole model
// so peaks at about the model's weights plus one layer. Passes create no
// `onnx.*` ops: a new weight's ONNX name travels as its resource key.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_DIALECT_PEFT_UTILS_WEIGHTS_H
#define PEFT_DIALECT_PEFT_UTILS_WEIGHTS_H

#include "peft/Support/Numerics.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"

#include <optional>
#include <vector>

namespace mlir::peft {

/// Whether weights of `type` can be read and rewritten as floats (f16,
/// bf16, f32, f64).
bool isSupportedWeightElementType(Type type);
/// Whether weights of `type` can be stored (the float types, i8, ui8, and
/// the packed i2, i3, i4 and unsigned forms).
bool isStorableWeightElementType(Type type);

/// Bytes a weight of `type` takes in its blob (4-bit types packed).
int64_t getWeightStorageBytes(RankedTensorType type);

/// A constant weight: the op holding it and its contents.
class Weight {
public:
  /// The weight `value` is, when it is defined by an `onnx.initializer` or
  /// an `arith.constant` of a ranked tensor; nullopt otherwise.
  static std::optional<Weight> lookup(Value value);
  /// The contents `attr` alone (no defining op), for readers of attributes.
  static std::optional<Weight> fromAttr(ElementsAttr attr);

  Operation *getDefiningOp() const { return def; }
  ElementsAttr getAttr() const { return attr; }
  RankedTensorType getType() const { return type; }
  Type getElementType() const { return type.getElementType(); }
  /// The ONNX tensor name of an `onnx.initializer`, else the resource key,
  /// else "".
  StringRef getName() const;

  /// The stored bytes as they are, without widening (blob data, or an
  /// inline attribute's raw data for non-splat float/8-bit types). Fails for
  /// a released or size-mismatched blob and for inline splats and 4-bit
  /// values (read those with readValues).
  FailureOr<ArrayRef<char>> getRawBytes() const;

  /// All elements converted to T (float or double), row-major. f64 → double
  /// is exact; integers are converted exactly. Fails for unsupported types
  /// and unreadable blobs.
  template <typename T> FailureOr<std::vector<T>> readValues() const;

private:
  Weight(Operation *def, ElementsAttr attr, RankedTensorType type)
      : def(def), attr(attr), type(type) {}
  Operation *def;
  ElementsAttr attr;
  RankedTensorType type;
};

/// The constant contents of `value`, or null (shorthand for lookup).
ElementsAttr getConstantWeight(Value value);
/// The ONNX tensor name of `value` when it is an `onnx.initializer`, else "".
StringRef getInitializerName(Value value);

/// Reads the constant operand `value` of `user` (described as `what` in
/// diagnostics) as T, or emits an error at `user` naming it and fails.
template <typename T>
FailureOr<std::vector<T>> readConstantOperand(Operation *user, Value value,
                                              const Twine &what);

/// Sanitizes a module path or tensor name into a resource key.
std::string blobNameFor(StringRef name);

/// A `dense_resource` attribute of `type` holding `values` (row-major), each
/// rounded once to the element type (float types only).
template <typename T>
ElementsAttr createWeightBlob(RankedTensorType type, ArrayRef<T> values,
                              StringRef blobName);

/// A new `arith.constant dense_resource` named `name` holding `values`.
template <typename T>
Value createWeight(OpBuilder &builder, Location loc, StringRef name,
                   RankedTensorType type, ArrayRef<T> values);

/// A `dense_resource` attribute of the integer `type` (i2, i3, i4, i8 or
/// their unsigned forms) holding `values` (row-major, each within the
/// type's range), packed as peft/Support/Codecs.h says.
ElementsAttr createIntegerWeightBlob(RankedTensorType type,
                                     ArrayRef<int8_t> values,
                                     StringRef blobName);
/// A new `arith.constant dense_resource` named `name` holding `values`.
Value createIntegerWeight(OpBuilder &builder, Location loc, StringRef name,
                          RankedTensorType type, ArrayRef<int8_t> values);

/// Erases `value`'s defining constant when nothing uses it any more, and
/// releases its blob when no other op holds it.
void eraseWeightIfDead(Value value);

/// A rewrite of one float weight, seen as a stored matrix (a 2-D weight as
/// it is laid out, a 1-D one as a single row) in its compute precision.
/// Implementations emit their own diagnostics.
class WeightUpdate {
public:
  virtual ~WeightUpdate();
  virtual LogicalResult apply(numerics::MatrixRef<float> w) = 0;
  virtual LogicalResult apply(numerics::MatrixRef<double> w) = 0;
  /// Whether each stored row's update depends on that row alone. Then an
  /// f16/bf16 weight is widened, updated and rounded back one cache-sized
  /// panel of rows at a time, panels in parallel, never as a whole f32 copy:
  /// prepareRows, then applyRows on every panel, then finishRows.
  virtual bool isRowLocal() const { return false; }
  /// Row-local updates: called once on the calling thread before any
  /// applyRows (read the update's operands here); may emit diagnostics.
  virtual LogicalResult prepareRows();
  /// Updates the stored rows [firstRow, firstRow + panel.rows). Called from
  /// several threads at once on disjoint panels: must neither emit
  /// diagnostics nor touch IR. BLAS runs single-threaded meanwhile.
  virtual void applyRows(numerics::MatrixRef<float> panel,
                         int64_t firstRow) const;
  /// Called once after every panel with the non-finite elements of the
  /// stored result, counted in the storage type (so an f16 overflow counts).
  virtual LogicalResult finishRows(const numerics::NonFinite<float> &stored);
};

/// Rewrites the float weight used by `operand` through `update`: in place
/// (see the file comment); else, when `operand` is its only use, the
/// weight's op keeps its name and gets a new blob (the old one is released);
/// else a new `arith.constant` named `newName` takes its place here. Emits an
/// error at the owner of `operand` and fails when the operand is not a readable
/// float constant; on failure of `update` the IR is unchanged unless the update
/// was in place.
LogicalResult rewriteWeight(OpOperand &operand, StringRef newName,
                            WeightUpdate &update);

/// rewriteWeight with a generic callable `fn(numerics::MatrixRef<T>)` for
/// T = float and double, returning LogicalResult.
template <typename Fn>
LogicalResult rewriteWeightWith(OpOperand &operand, StringRef newName,
                                Fn &&fn) {
  struct Impl final : WeightUpdate {
    explicit Impl(Fn &fn) : fn(fn) {}
    LogicalResult apply(numerics::MatrixRef<float> w) override { return fn(w); }
    LogicalResult apply(numerics::MatrixRef<double> w) override {
      return fn(w);
    }
    Fn &fn;
  } impl(fn);
  return rewriteWeight(operand, newName, impl);
}

/// Statistics of the weight rewrites done in this process (for benches and
/// tests of the memory policy).
struct WeightRewriteStats {
  int64_t inPlace = 0, copied = 0, released = 0;
};
WeightRewriteStats getWeightRewriteStats();

} // namespace mlir::peft

#endif // PEFT_DIALECT_PEFT_UTILS_WEIGHTS_H
