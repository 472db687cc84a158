//===- ONNXElements.cpp - index arithmetic on small constants -------------===//

#include "ONNXElements.h"

using namespace mlir;

namespace mlir::peft::onnx_ir {

bool fitsLimit(ArrayRef<int64_t> shape, int64_t maxElements) {
  if (llvm::is_contained(shape, 0))
    return true;
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0 || d > maxElements)
      return false;
    count *= d;
    if (count > maxElements)
      return false;
  }
  return true;
}

SmallVector<Attribute> elementsOf(DenseElementsAttr attr) {
  return llvm::to_vector(attr.getValues<Attribute>());
}

SmallVector<int64_t> stridedIndices(ArrayRef<int64_t> shape,
                                    ArrayRef<int64_t> strides, int64_t offset) {
  int64_t count = ShapedType::getNumElements(shape);
  SmallVector<int64_t> result;
  result.reserve(count);
  SmallVector<int64_t> index(shape.size(), 0);
  int64_t flat = offset;
  for (int64_t k = 0; k < count; ++k) {
    result.push_back(flat);
    for (size_t d = shape.size(); d-- > 0;) {
      flat += strides[d];
      if (++index[d] < shape[d])
        break;
      flat -= strides[d] * index[d];
      index[d] = 0;
    }
  }
  return result;
}

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size());
  int64_t stride = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

SmallVector<int64_t> broadcastIndices(ArrayRef<int64_t> shape,
                                      ArrayRef<int64_t> result) {
  SmallVector<int64_t> strides(result.size(), 0);
  size_t offset = result.size() - shape.size();
  SmallVector<int64_t> own = stridesOf(shape);
  for (size_t d = 0; d < shape.size(); ++d)
    if (shape[d] != 1)
      strides[offset + d] = own[d];
  return stridedIndices(result, strides);
}

DenseElementsAttr gatherElements(DenseElementsAttr source,
                                 ArrayRef<int64_t> shape,
                                 ArrayRef<int64_t> from) {
  auto type = RankedTensorType::get(shape, source.getElementType());
  if (source.isSplat() && !from.empty())
    return DenseElementsAttr::get(type, source.getSplatValue<Attribute>());
  SmallVector<Attribute> values = elementsOf(source);
  SmallVector<Attribute> result;
  result.reserve(from.size());
  for (int64_t i : from)
    result.push_back(values[i]);
  return DenseElementsAttr::get(type, result);
}

std::optional<Shape> broadcastConstants(ArrayRef<DenseElementsAttr> inputs,
                                        int64_t maxElements) {
  Shape shape;
  for (DenseElementsAttr input : inputs) {
    if (!input)
      return std::nullopt;
    std::optional<Shape> next =
        broadcastShapes(shape, input.getType().getShape());
    if (!next)
      return std::nullopt;
    shape = std::move(*next);
  }
  if (!fitsLimit(shape, maxElements))
    return std::nullopt;
  return shape;
}

DenseElementsAttr concatElements(ArrayRef<DenseElementsAttr> inputs,
                                 int64_t axis, int64_t maxElements) {
  ArrayRef<int64_t> first = inputs.front().getType().getShape();
  Type elementType = inputs.front().getElementType();
  std::optional<int64_t> normalized = normalizeAxis(axis, first.size());
  if (!normalized)
    return {};
  Shape shape(first);
  shape[*normalized] = 0;
  for (DenseElementsAttr input : inputs) {
    ArrayRef<int64_t> s = input.getType().getShape();
    if (input.getElementType() != elementType || s.size() != first.size())
      return {};
    for (size_t d = 0; d < s.size(); ++d)
      if (static_cast<int64_t>(d) != *normalized && s[d] != first[d])
        return {};
    shape[*normalized] += s[*normalized];
  }
  if (!fitsLimit(shape, maxElements))
    return {};
  int64_t outer = ShapedType::getNumElements(first.take_front(*normalized));
  if (outer == 0)
    return DenseElementsAttr::get(RankedTensorType::get(shape, elementType),
                                  ArrayRef<Attribute>());
  SmallVector<SmallVector<Attribute>> values;
  for (DenseElementsAttr input : inputs)
    values.push_back(elementsOf(input));
  SmallVector<Attribute> result;
  for (int64_t o = 0; o < outer; ++o)
    for (const SmallVector<Attribute> &v : values) {
      size_t chunk = v.size() / outer;
      result.append(v.begin() + o * chunk, v.begin() + (o + 1) * chunk);
    }
  return DenseElementsAttr::get(RankedTensorType::get(shape, elementType),
                                result);
}

} // namespace mlir::peft::onnx_ir
