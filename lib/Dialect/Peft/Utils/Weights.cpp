//===- Weights.cpp - read and write weight blobs of peft passes -----------===//

#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Support/HostTensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"

#include <cstring>

using namespace mlir;
using namespace mlir::peft;

ElementsAttr mlir::peft::getConstantWeight(Value value) {
  if (!value)
    return {};
  Operation *def = value.getDefiningOp();
  if (auto init = dyn_cast_or_null<onnx_ir::InitializerOp>(def))
    return init.getValue();
  if (auto cst = dyn_cast_or_null<arith::ConstantOp>(def))
    return dyn_cast<ElementsAttr>(cst.getValue());
  return {};
}

StringRef mlir::peft::getInitializerName(Value value) {
  if (auto init = value.getDefiningOp<onnx_ir::InitializerOp>())
    return init.getName();
  return "";
}

bool mlir::peft::isSupportedWeightElementType(Type type) {
  return type.isF16() || type.isBF16() || type.isF32() || type.isF64();
}

std::vector<float> mlir::peft::decodeFloats(Type elementType,
                                            ArrayRef<char> bytes) {
  ElementKind kind = *getElementKind(elementType);
  size_t size = getElementSize(kind);
  std::vector<float> out(bytes.size() / size);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] =
        static_cast<float>(readElementAsDouble(kind, bytes.data() + i * size));
  return out;
}

void mlir::peft::encodeFloat(Type elementType, float value, char *out) {
  writeFloatElement(*getElementKind(elementType), value, out);
}

FailureOr<std::vector<float>> mlir::peft::readWeightAsF32(ElementsAttr attr) {
  if (!attr)
    return failure();
  auto type = cast<ShapedType>(attr.getType());
  Type elementType = type.getElementType();
  if (!isSupportedWeightElementType(elementType))
    return failure();
  int64_t count = type.getNumElements();
  size_t elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return failure();
    ArrayRef<char> data = blob->getData();
    if (data.size() != count * elementBytes)
      return failure();
    return decodeFloats(elementType, data);
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    std::vector<float> out;
    out.reserve(count);
    for (const APFloat &v : dense.getValues<APFloat>())
      out.push_back(elementType.isF64() ? float(v.convertToDouble()) : [&] {
        llvm::APFloat f = v;
        bool losesInfo;
        f.convert(llvm::APFloat::IEEEsingle(),
                  llvm::APFloat::rmNearestTiesToEven, &losesInfo);
        return f.convertToFloat();
      }());
    return out;
  }
  return failure();
}

std::string mlir::peft::blobNameFor(StringRef name) {
  std::string out;
  for (char c : name)
    out.push_back(llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_');
  if (out.empty() || llvm::isDigit(out.front()))
    out.insert(out.begin(), '_');
  return out;
}

ElementsAttr mlir::peft::createWeightBlob(RankedTensorType type,
                                          ArrayRef<float> values,
                                          StringRef blobName) {
  Type elementType = type.getElementType();
  assert(isSupportedWeightElementType(elementType) && "unsupported weight");
  assert(static_cast<int64_t>(values.size()) == type.getNumElements());
  size_t elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
      values.size() * elementBytes, /*align=*/elementBytes,
      /*dataIsMutable=*/true);
  char *data = blob.getMutableData().data();
  for (size_t i = 0; i < values.size(); ++i)
    encodeFloat(elementType, values[i], data + i * elementBytes);
  return DenseResourceElementsAttr::get(type, blobNameFor(blobName),
                                        std::move(blob));
}

Value mlir::peft::createWeight(OpBuilder &builder, Location loc, StringRef name,
                               RankedTensorType type, ArrayRef<float> values) {
  return onnx_ir::InitializerOp::create(builder, loc, name,
                                        createWeightBlob(type, values, name))
      .getResult();
}
