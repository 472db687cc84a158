//===- ONNXShapes.h - constants, shape vectors, shape functions -*- C++ -*-===//
//
// What folds and type refinement know about onnx values: the data of small
// constants, the partly known elements of shape vectors, and the ONNX shape
// functions. Dimensions and unknown elements use ShapedType::kDynamic.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_DIALECT_ONNX_IR_ONNXSHAPES_H
#define PEFT_DIALECT_ONNX_IR_ONNXSHAPES_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace mlir::peft::onnx_ir {

using Shape = llvm::SmallVector<int64_t>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

/// `attr` as a dense attribute of integer or float elements, when it has a
/// static shape, at most `maxElements` elements and data in memory (a dense
/// attribute, or a `dense_resource` blob in ONNX's byte layout); else null.
DenseElementsAttr getDenseElements(Attribute attr, int64_t maxElements);

/// The elements of an integer constant of at most `maxElements` elements,
/// extended to int64 by its signedness (i1 as 0/1); nullopt otherwise or when
/// an unsigned value exceeds INT64_MAX.
std::optional<Shape> getIntValues(Attribute attr, int64_t maxElements);

/// The elements of `value` when it is an integer constant (see getIntValues).
std::optional<Shape> getConstantIntValues(Value value, int64_t maxElements);

/// The ai.onnx opset the model around `op` imports (the `onnx.opset_import`
/// entries [domain, version] of its nearest ancestor that has them); 21 when
/// none is recorded.
int64_t getImportedOpset(Operation *op);

/// `axes` of Unsqueeze/Squeeze/Reduce*: the constant `input` (opset 13+), else
/// the attribute (older opsets); nullopt when neither is given. Failure when
/// the input is not a constant.
FailureOr<std::optional<Shape>>
getAxes(Value input, std::optional<llvm::ArrayRef<int64_t>> attr);

//===----------------------------------------------------------------------===//
// Shape vectors
//===----------------------------------------------------------------------===//

/// The elements of a 0-D or 1-D integer tensor as far as they are known, as
/// in Shape → Gather → Unsqueeze → Concat chains: `kDynamic` marks an element
/// known only at run time (e.g. a dynamic dimension of a graph input).
struct ShapeVector {
  Shape elements;
  bool isScalar = false;

  bool isFullyKnown() const;
};

/// What is known of the elements of `value`: constants, `Shape` of a ranked
/// tensor and what Concat/Gather/Slice/Unsqueeze/Squeeze/Cast/Identity make of
/// them; at least the length for a 1-D tensor of static size. nullopt when not
/// even that is known.
std::optional<ShapeVector> getShapeVector(Value value);

//===----------------------------------------------------------------------===//
// Shape functions (ONNX semantics; nullopt when the inputs are invalid)
//===----------------------------------------------------------------------===//

/// Numpy (multidirectional) broadcasting.
std::optional<Shape> broadcastShapes(llvm::ArrayRef<int64_t> a,
                                     llvm::ArrayRef<int64_t> b);

/// [start, end) of `Shape` over a tensor of rank `rank`.
std::pair<int64_t, int64_t> getShapeOpRange(int64_t rank,
                                            std::optional<int64_t> start,
                                            std::optional<int64_t> end);

std::optional<Shape> getUnsqueezeShape(llvm::ArrayRef<int64_t> input,
                                       llvm::ArrayRef<int64_t> axes);
/// `axes` nullopt: squeeze every dimension of size 1 (all must be static).
std::optional<Shape>
getSqueezeShape(llvm::ArrayRef<int64_t> input,
                std::optional<llvm::ArrayRef<int64_t>> axes);
/// `shape` is the (partly known) shape operand of Reshape; `input` nullopt
/// when the data is unranked.
std::optional<Shape>
getReshapeShape(std::optional<llvm::ArrayRef<int64_t>> input,
                llvm::ArrayRef<int64_t> shape, bool allowzero);

/// One axis of a Slice, normalized: the selected indices are
/// start + i * step for i in [0, count).
struct SliceRange {
  int64_t start, step, count;
};
/// Clamps `start`/`end` to `dim` per ONNX; nullopt when `step` is 0 or the
/// result is ambiguous (see the definition).
std::optional<SliceRange> getSliceRange(int64_t dim, int64_t start, int64_t end,
                                        int64_t step);

/// Number of elements of Range(start, limit, delta); nullopt when `delta` is
/// 0 or the count overflows.
std::optional<int64_t> getRangeLength(int64_t start, int64_t limit,
                                      int64_t delta);

/// Normalizes `axis` into [0, rank); nullopt when out of [-rank, rank).
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

//===----------------------------------------------------------------------===//
// Type refinement
//===----------------------------------------------------------------------===//

/// The shapes of `op`'s results as its operands' types and shape vectors
/// determine them, one entry per result (nullopt: not even the rank). Only
/// what holds for every valid execution is inferred.
llvm::SmallVector<std::optional<Shape>> inferResultShapes(Operation *op);

/// The result types of an onnxruntime contrib op (EmbedLayerNormalization,
/// com.microsoft.Attention, the Skip/Simplified normalizations, BiasGelu,
/// FastGelu, GatherBlockQuantized, com.microsoft.RotaryEmbedding) as its
/// operands determine them, one entry per result (null: element type not
/// known); nullopt for any other op.
std::optional<llvm::SmallVector<Type>> inferContribResultTypes(Operation *op);

/// `type` with the dimensions that the inferred `shape` knows; `type` itself
/// when the two disagree.
Type refineType(TensorType type, llvm::ArrayRef<int64_t> shape);

/// The element type of the results of `op` as its operands determine it
/// (an operand's type for arithmetic and data movement, `A`'s for
/// `com.microsoft.MatMulNBits`, i64 for `Shape`, i1 for comparisons), or
/// null when the rule is not known or the operand's type is not.
Type inferResultElementType(Operation *op);

/// Gives every result of `op` whose element type is unknown (`none`, what
/// the importer writes where ONNX's shape inference knew nothing: past
/// contrib ops it has no schema for) the type our own inference determines,
/// and every unranked result the shape our inference determines.
void fillUnknownResultTypes(Operation *op);

/// Whether every user of `value` accepts a more precise type: onnx ops other
/// than terminators (func.return and onnx.yield fix their operand types).
bool acceptsRefinedType(Value value);

} // namespace mlir::peft::onnx_ir

#endif // PEFT_DIALECT_ONNX_IR_ONNXSHAPES_H
