//===- ONNXShapes.cpp - constants, shape vectors, shape functions ---------===//

#include "peft/Dialect/ONNX/IR/ONNXShapes.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace mlir::peft::onnx_ir;

/// Shape vectors are short; longer integer tensors are data, not shapes.
static constexpr int64_t kMaxShapeVectorLength = 256;
/// Bounds the walk up a chain of shape computations.
static constexpr unsigned kMaxShapeVectorDepth = 32;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

DenseElementsAttr mlir::peft::onnx_ir::getDenseElements(Attribute attr,
                                                        int64_t maxElements) {
  auto elements = dyn_cast_or_null<ElementsAttr>(attr);
  if (!elements)
    return {};
  ShapedType type = elements.getShapedType();
  if (!type.hasStaticShape() || type.getNumElements() > maxElements ||
      !type.getElementType().isIntOrFloat())
    return {};
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    return dense;
  auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
  if (!resource)
    return {};
  AsmResourceBlob *blob = resource.getRawHandle().getBlob();
  if (!blob)
    return {};
  // The importer keeps ONNX's layout in blobs: one byte per bool, packed
  // 4-bit (and 2-bit) values, little-endian otherwise.
  ArrayRef<char> data = blob->getData();
  int64_t count = type.getNumElements();
  if (type.getElementType().isInteger(1)) {
    if (static_cast<int64_t>(data.size()) != count)
      return {};
    SmallVector<bool> values(data.begin(), data.end());
    return DenseElementsAttr::get(type, values);
  }
  unsigned width = type.getElementType().getIntOrFloatBitWidth();
  if (width % 8 != 0 || static_cast<int64_t>(data.size()) != count * width / 8)
    return {};
  bool detectedSplat = false;
  if (!DenseElementsAttr::isValidRawBuffer(type, data, detectedSplat))
    return {};
  return DenseElementsAttr::getFromRawBuffer(type, data);
}

std::optional<Shape> mlir::peft::onnx_ir::getIntValues(Attribute attr,
                                                       int64_t maxElements) {
  DenseElementsAttr dense = getDenseElements(attr, maxElements);
  if (!dense)
    return std::nullopt;
  auto type = dyn_cast<IntegerType>(dense.getElementType());
  if (!type)
    return std::nullopt;
  bool zeroExtend = type.isUnsigned() || type.getWidth() == 1;
  Shape values;
  values.reserve(dense.getNumElements());
  for (const APInt &v : dense.getValues<APInt>()) {
    if (zeroExtend && v.getActiveBits() > 63)
      return std::nullopt;
    values.push_back(zeroExtend ? static_cast<int64_t>(v.getZExtValue())
                                : v.getSExtValue());
  }
  return values;
}

std::optional<Shape>
mlir::peft::onnx_ir::getConstantIntValues(Value value, int64_t maxElements) {
  Attribute attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  return getIntValues(attr, maxElements);
}

FailureOr<std::optional<Shape>>
mlir::peft::onnx_ir::getAxes(Value input,
                             std::optional<ArrayRef<int64_t>> attr) {
  if (input && !isNone(input)) {
    std::optional<Shape> values =
        getConstantIntValues(input, kMaxShapeVectorLength);
    if (!values)
      return failure();
    return std::optional<Shape>(std::move(*values));
  }
  if (attr)
    return std::optional<Shape>(Shape(attr->begin(), attr->end()));
  return std::optional<Shape>();
}

//===----------------------------------------------------------------------===//
// Shape vectors
//===----------------------------------------------------------------------===//

bool ShapeVector::isFullyKnown() const {
  return llvm::none_of(elements, ShapedType::isDynamic);
}

/// Only the length: a 0-D or 1-D tensor of static size.
static std::optional<ShapeVector> lengthOnly(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() > 1 || !type.hasStaticShape() ||
      type.getNumElements() > kMaxShapeVectorLength)
    return std::nullopt;
  return ShapeVector{Shape(type.getNumElements(), ShapedType::kDynamic),
                     type.getRank() == 0};
}

static std::optional<int64_t> optionalInt(IntegerAttr attr) {
  if (!attr)
    return std::nullopt;
  return attr.getInt();
}

/// A single known element of `value` (a 1-element starts/ends/... operand).
static std::optional<int64_t> knownScalar(const std::optional<ShapeVector> &v) {
  if (!v || v->elements.size() != 1 || !v->isFullyKnown())
    return std::nullopt;
  return v->elements.front();
}

/// Whether `axis` is the only axis of a 1-D tensor (0 or -1).
static bool isAxisZeroOf1D(int64_t axis) { return axis == 0 || axis == -1; }
static bool isAxisZeroOf1D(ArrayRef<int64_t> axes) {
  return axes.size() == 1 && isAxisZeroOf1D(axes[0]);
}

static std::optional<ShapeVector> shapeVectorOf(Value value, unsigned depth);

static std::optional<ShapeVector> shapeVectorOfDefiningOp(Operation *def,
                                                          unsigned depth) {
  auto vectorOf = [&](Value v) { return shapeVectorOf(v, depth + 1); };
  using Result = std::optional<ShapeVector>;
  return llvm::TypeSwitch<Operation *, Result>(def)
      .Case([&](ShapeOp op) -> Result {
        auto input = dyn_cast<RankedTensorType>(op.getData().getType());
        if (!input)
          return std::nullopt;
        auto [start, end] =
            getShapeOpRange(input.getRank(), optionalInt(op.getStartAttr()),
                            optionalInt(op.getEndAttr()));
        return ShapeVector{Shape(input.getShape().slice(start, end - start)),
                           false};
      })
      .Case([&](ConcatOp op) -> Result {
        if (!op.getAxisAttr() || !isAxisZeroOf1D(op.getAxisAttr().getInt()))
          return std::nullopt;
        ShapeVector result;
        for (Value input : op.getInputs()) {
          Result piece = vectorOf(input);
          if (!piece || piece->isScalar)
            return std::nullopt;
          llvm::append_range(result.elements, piece->elements);
        }
        return result;
      })
      .Case([&](UnsqueezeOp op) -> Result {
        Result data = vectorOf(op.getData());
        FailureOr<std::optional<Shape>> axes =
            getAxes(op.getAxesInput(), op.getAxes());
        if (!data || !data->isScalar || failed(axes) || !*axes ||
            !isAxisZeroOf1D(**axes))
          return std::nullopt;
        return ShapeVector{data->elements, false};
      })
      .Case([&](SqueezeOp op) -> Result {
        Result data = vectorOf(op.getData());
        FailureOr<std::optional<Shape>> axes =
            getAxes(op.getAxesInput(), op.getAxes());
        if (!data || data->isScalar || data->elements.size() != 1 ||
            failed(axes) || (*axes && !isAxisZeroOf1D(**axes)))
          return std::nullopt;
        return ShapeVector{data->elements, true};
      })
      .Case([&](GatherOp op) -> Result {
        Result data = vectorOf(op.getData());
        Result indices = vectorOf(op.getIndices());
        if (!data || data->isScalar || !indices || !indices->isFullyKnown() ||
            !isAxisZeroOf1D(op.getAxisOrDefault()))
          return std::nullopt;
        ShapeVector result{{}, indices->isScalar};
        int64_t size = data->elements.size();
        for (int64_t index : indices->elements) {
          std::optional<int64_t> i = normalizeAxis(index, size);
          if (!i)
            return std::nullopt;
          result.elements.push_back(data->elements[*i]);
        }
        return result;
      })
      .Case([&](SliceOp op) -> Result {
        Result data = vectorOf(op.getData());
        std::optional<int64_t> start = knownScalar(vectorOf(op.getStarts()));
        std::optional<int64_t> end = knownScalar(vectorOf(op.getEnds()));
        std::optional<int64_t> axis =
            isNone(op.getAxes()) ? 0 : knownScalar(vectorOf(op.getAxes()));
        std::optional<int64_t> step =
            isNone(op.getSteps()) ? 1 : knownScalar(vectorOf(op.getSteps()));
        if (!data || data->isScalar || !start || !end || !axis || !step ||
            !isAxisZeroOf1D(*axis))
          return std::nullopt;
        std::optional<SliceRange> range =
            getSliceRange(data->elements.size(), *start, *end, *step);
        if (!range)
          return std::nullopt;
        ShapeVector result;
        for (int64_t i = 0; i < range->count; ++i)
          result.elements.push_back(
              data->elements[range->start + i * range->step]);
        return result;
      })
      .Case([&](CastOp op) -> Result {
        // Any integer that getIntValues accepts fits in i64 unchanged.
        auto to = dyn_cast<IntegerType>(getElementTypeOrSelf(op.getOutput()));
        if (!to || !to.isSignless() || to.getWidth() != 64)
          return std::nullopt;
        return vectorOf(op.getInput());
      })
      .Case([&](IdentityOp op) { return vectorOf(op.getInput()); })
      .Default([](Operation *) { return std::nullopt; });
}

static std::optional<ShapeVector> shapeVectorOf(Value value, unsigned depth) {
  auto type = dyn_cast<TensorType>(value.getType());
  if (!type || !isa<IntegerType>(type.getElementType()) ||
      (type.hasRank() && type.getRank() > 1))
    return std::nullopt;
  Attribute attr;
  if (matchPattern(value, m_Constant(&attr))) {
    auto elements = dyn_cast<ElementsAttr>(attr);
    if (!elements || elements.getShapedType().getRank() > 1)
      return std::nullopt;
    if (std::optional<Shape> values = getIntValues(attr, kMaxShapeVectorLength))
      return ShapeVector{std::move(*values),
                         elements.getShapedType().getRank() == 0};
    return lengthOnly(value);
  }
  Operation *def = value.getDefiningOp();
  if (def && depth < kMaxShapeVectorDepth)
    if (std::optional<ShapeVector> result = shapeVectorOfDefiningOp(def, depth))
      return result;
  return lengthOnly(value);
}

std::optional<ShapeVector> mlir::peft::onnx_ir::getShapeVector(Value value) {
  return shapeVectorOf(value, 0);
}

//===----------------------------------------------------------------------===//
// Shape functions
//===----------------------------------------------------------------------===//

std::optional<int64_t> mlir::peft::onnx_ir::normalizeAxis(int64_t axis,
                                                          int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

std::optional<Shape> mlir::peft::onnx_ir::broadcastShapes(ArrayRef<int64_t> a,
                                                          ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  Shape result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    // A dynamic extent broadcast against a static one other than 1 must be 1
    // or equal to it, so the result is the static one either way.
    if (x == 1 || ShapedType::isDynamic(x))
      result[i] = y == 1 ? x : y;
    else if (y == 1 || ShapedType::isDynamic(y) || x == y)
      result[i] = x;
    else
      return std::nullopt;
  }
  return result;
}

std::pair<int64_t, int64_t>
mlir::peft::onnx_ir::getShapeOpRange(int64_t rank, std::optional<int64_t> start,
                                     std::optional<int64_t> end) {
  auto clampIndex = [&](int64_t i) {
    return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank);
  };
  int64_t first = start ? clampIndex(*start) : 0;
  int64_t last = end ? clampIndex(*end) : rank;
  return {first, std::max(first, last)};
}

std::optional<Shape>
mlir::peft::onnx_ir::getUnsqueezeShape(ArrayRef<int64_t> input,
                                       ArrayRef<int64_t> axes) {
  int64_t rank = input.size() + axes.size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t axis : axes) {
    std::optional<int64_t> i = normalizeAxis(axis, rank);
    if (!i || inserted[*i])
      return std::nullopt;
    inserted[*i] = true;
  }
  Shape result;
  const int64_t *next = input.begin();
  for (int64_t i = 0; i < rank; ++i)
    result.push_back(inserted[i] ? 1 : *next++);
  return result;
}

std::optional<Shape>
mlir::peft::onnx_ir::getSqueezeShape(ArrayRef<int64_t> input,
                                     std::optional<ArrayRef<int64_t>> axes) {
  int64_t rank = input.size();
  SmallVector<bool> removed(rank, false);
  if (axes) {
    for (int64_t axis : *axes) {
      std::optional<int64_t> i = normalizeAxis(axis, rank);
      if (!i || removed[*i] ||
          (!ShapedType::isDynamic(input[*i]) && input[*i] != 1))
        return std::nullopt;
      removed[*i] = true;
    }
  } else {
    for (int64_t i = 0; i < rank; ++i) {
      if (ShapedType::isDynamic(input[i]))
        return std::nullopt;
      removed[i] = input[i] == 1;
    }
  }
  Shape result;
  for (int64_t i = 0; i < rank; ++i)
    if (!removed[i])
      result.push_back(input[i]);
  return result;
}

/// Product of `dims`, or kDynamic when one is dynamic.
static int64_t productOf(ArrayRef<int64_t> dims) {
  if (llvm::any_of(dims, ShapedType::isDynamic))
    return ShapedType::kDynamic;
  return ShapedType::getNumElements(dims);
}

std::optional<Shape>
mlir::peft::onnx_ir::getReshapeShape(std::optional<ArrayRef<int64_t>> input,
                                     ArrayRef<int64_t> shape, bool allowzero) {
  Shape result;
  std::optional<size_t> inferred;
  bool hasZero = false;
  for (auto [i, s] : llvm::enumerate(shape)) {
    if (ShapedType::isDynamic(s)) {
      result.push_back(ShapedType::kDynamic);
    } else if (s == -1) {
      if (inferred)
        return std::nullopt;
      inferred = i;
      result.push_back(ShapedType::kDynamic);
    } else if (s == 0 && !allowzero) {
      if (!input)
        result.push_back(ShapedType::kDynamic);
      else if (i < input->size())
        result.push_back((*input)[i]);
      else
        return std::nullopt;
    } else if (s < 0) {
      return std::nullopt;
    } else {
      hasZero |= s == 0;
      result.push_back(s);
    }
  }
  if (inferred && hasZero)
    return std::nullopt; // allowzero = 1 with both 0 and -1
  int64_t total = input ? productOf(*input) : ShapedType::kDynamic;
  if (ShapedType::isDynamic(total))
    return result;
  if (inferred) {
    Shape others(result);
    others.erase(others.begin() + *inferred);
    int64_t known = productOf(others);
    if (ShapedType::isDynamic(known) || known == 0)
      return result;
    if (total % known != 0)
      return std::nullopt;
    result[*inferred] = total / known;
  } else if (int64_t count = productOf(result);
             !ShapedType::isDynamic(count) && count != total) {
    return std::nullopt;
  }
  return result;
}

std::optional<SliceRange> mlir::peft::onnx_ir::getSliceRange(int64_t dim,
                                                             int64_t start,
                                                             int64_t end,
                                                             int64_t step) {
  if (step == 0)
    return std::nullopt;
  // With a negative step, ONNX Runtime reads an `end` of INT32_MAX or
  // INT64_MAX as "to the beginning" where the spec clamps it to dim - 1: the
  // result would depend on who runs the model.
  if (step < 0 && (end == std::numeric_limits<int64_t>::max() ||
                   end == std::numeric_limits<int32_t>::max()))
    return std::nullopt;
  if (dim == 0)
    return SliceRange{0, step, 0};
  if (start < 0)
    start += dim;
  if (end < 0)
    end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    int64_t count =
        end > start ? llvm::divideCeil(uint64_t(end - start), uint64_t(step))
                    : 0;
    return SliceRange{start, step, count};
  }
  start = std::clamp<int64_t>(start, 0, dim - 1);
  end = std::clamp<int64_t>(end, -1, dim - 1);
  uint64_t stride = -static_cast<uint64_t>(step);
  int64_t count =
      start > end ? llvm::divideCeil(uint64_t(start - end), stride) : 0;
  return SliceRange{start, step, count};
}

std::optional<int64_t> mlir::peft::onnx_ir::getRangeLength(int64_t start,
                                                           int64_t limit,
                                                           int64_t delta) {
  int64_t diff;
  if (delta == 0 || llvm::SubOverflow(limit, start, diff))
    return std::nullopt;
  if (diff == 0 || (diff > 0) != (delta > 0))
    return 0;
  auto magnitude = [](int64_t v) {
    return v > 0 ? static_cast<uint64_t>(v) : -static_cast<uint64_t>(v);
  };
  uint64_t count = llvm::divideCeil(magnitude(diff), magnitude(delta));
  if (count > static_cast<uint64_t>(INT64_MAX))
    return std::nullopt;
  return static_cast<int64_t>(count);
}

int64_t mlir::peft::onnx_ir::getImportedOpset(Operation *op) {
  for (Operation *parent = op->getParentOp(); parent;
       parent = parent->getParentOp()) {
    auto opsets = parent->getAttrOfType<ArrayAttr>("onnx.opset_import");
    if (!opsets)
      continue;
    for (Attribute entry : opsets) {
      auto pair = dyn_cast<ArrayAttr>(entry);
      if (!pair || pair.size() != 2)
        continue;
      auto domain = dyn_cast<StringAttr>(pair[0]);
      auto version = dyn_cast<IntegerAttr>(pair[1]);
      if (domain && version &&
          (domain.getValue().empty() || domain.getValue() == "ai.onnx"))
        return version.getInt();
    }
  }
  return 21;
}
