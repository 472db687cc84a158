//===- ONNXElements.h - index arithmetic on small constants -----*- C++ -*-===//
//
// Helpers of the onnx folds: element counts under a limit, numpy broadcasting
// and strided index maps over dense constants. Private to the IR library.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_DIALECT_ONNX_IR_ONNXELEMENTS_H
#define PEFT_LIB_DIALECT_ONNX_IR_ONNXELEMENTS_H

#include "peft/Dialect/ONNX/IR/ONNXShapes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace mlir::peft::onnx_ir {

/// Whether a tensor of shape `shape` has at most `maxElements` elements
/// (without overflowing on absurd shapes).
bool fitsLimit(ArrayRef<int64_t> shape, int64_t maxElements);

SmallVector<Attribute> elementsOf(DenseElementsAttr attr);

/// Row-major strides of `shape`.
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape);

/// For each element of a tensor of shape `shape`, in row-major order, the
/// index `offset + sum(i_d * strides[d])` of its multi-index (i_d).
SmallVector<int64_t> stridedIndices(ArrayRef<int64_t> shape,
                                    ArrayRef<int64_t> strides,
                                    int64_t offset = 0);

/// For each element of the broadcast shape `result`, the index of the element
/// of a tensor of shape `shape` that numpy broadcasting reads.
SmallVector<int64_t> broadcastIndices(ArrayRef<int64_t> shape,
                                      ArrayRef<int64_t> result);

/// The constant of shape `shape` whose i-th element is element `from[i]` of
/// `source`.
DenseElementsAttr gatherElements(DenseElementsAttr source,
                                 ArrayRef<int64_t> shape,
                                 ArrayRef<int64_t> from);

/// The broadcast shape of `inputs` if all are constant (non-null) and it has
/// at most `maxElements` elements.
std::optional<Shape> broadcastConstants(ArrayRef<DenseElementsAttr> inputs,
                                        int64_t maxElements);

/// Concatenation of constants along `axis`; null when invalid or too large.
DenseElementsAttr concatElements(ArrayRef<DenseElementsAttr> inputs,
                                 int64_t axis, int64_t maxElements);

/// Applies `fn` elementwise with numpy broadcasting to constants of element
/// values T (APInt or APFloat). `fn` returns nullopt where ONNX leaves the
/// result undefined, which blocks the fold.
template <typename T>
Attribute
mapElements(ArrayRef<DenseElementsAttr> inputs, Type resultElementType,
            int64_t maxElements,
            llvm::function_ref<std::optional<APInt>(ArrayRef<T>)> fn) {
  std::optional<Shape> shape = broadcastConstants(inputs, maxElements);
  if (!shape)
    return {};
  SmallVector<SmallVector<T>> values;
  SmallVector<SmallVector<int64_t>> indices;
  for (DenseElementsAttr input : inputs) {
    values.push_back(llvm::to_vector(input.getValues<T>()));
    indices.push_back(broadcastIndices(input.getType().getShape(), *shape));
  }
  int64_t count = ShapedType::getNumElements(*shape);
  SmallVector<APInt> result;
  result.reserve(count);
  SmallVector<T> args;
  for (int64_t k = 0; k < count; ++k) {
    args.clear();
    for (size_t j = 0; j < inputs.size(); ++j)
      args.push_back(values[j][indices[j][k]]);
    std::optional<APInt> value = fn(args);
    if (!value)
      return {};
    result.push_back(*value);
  }
  return DenseElementsAttr::get(
      RankedTensorType::get(*shape, resultElementType), result);
}

} // namespace mlir::peft::onnx_ir

#endif // PEFT_LIB_DIALECT_ONNX_IR_ONNXELEMENTS_H
