//===- Weights.cpp - read and write weight blobs of peft passes -----------===//

#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/Endian.h"

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

static float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else { // subnormal: renormalize
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while (!(mant & 0x400));
      bits = sign | uint32_t(127 - 15 - e) << 23 | (mant & 0x3ff) << 13;
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::vector<float> mlir::peft::decodeFloats(Type elementType,
                                            ArrayRef<char> bytes) {
  using namespace llvm::support;
  std::vector<float> out;
  const char *p = bytes.data();
  if (elementType.isF32()) {
    out.resize(bytes.size() / 4);
    for (size_t i = 0; i < out.size(); ++i) {
      uint32_t bits = endian::read32le(p + 4 * i);
      std::memcpy(&out[i], &bits, 4);
    }
  } else if (elementType.isF64()) {
    out.resize(bytes.size() / 8);
    for (size_t i = 0; i < out.size(); ++i) {
      uint64_t bits = endian::read64le(p + 8 * i);
      double d;
      std::memcpy(&d, &bits, 8);
      out[i] = static_cast<float>(d);
    }
  } else if (elementType.isF16()) {
    out.resize(bytes.size() / 2);
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = halfToFloat(endian::read16le(p + 2 * i));
  } else if (elementType.isBF16()) {
    out.resize(bytes.size() / 2);
    for (size_t i = 0; i < out.size(); ++i) {
      uint32_t bits = uint32_t(endian::read16le(p + 2 * i)) << 16;
      std::memcpy(&out[i], &bits, 4);
    }
  }
  return out;
}

void mlir::peft::encodeFloat(Type elementType, float value, char *out) {
  using namespace llvm::support;
  if (elementType.isF32()) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    endian::write32le(out, bits);
    return;
  }
  if (elementType.isF64()) {
    double d = value;
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    endian::write64le(out, bits);
    return;
  }
  // f16 / bf16: one IEEE round-to-nearest-even from fp32.
  llvm::APFloat f(value);
  bool losesInfo;
  f.convert(elementType.isF16() ? llvm::APFloat::IEEEhalf()
                                : llvm::APFloat::BFloat(),
            llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  endian::write16le(out,
                    static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue()));
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
