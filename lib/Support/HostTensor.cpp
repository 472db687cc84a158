//===- HostTensor.cpp - a dense tensor in host memory ---------------------===//

#include "peft/Support/HostTensor.h"
#include "peft/Support/Codecs.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/APFloat.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/ErrorHandling.h"

#include <cassert>
#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace mlir::peft;

size_t mlir::peft::getElementSize(ElementKind kind) {
  switch (kind) {
  case ElementKind::Bool:
  case ElementKind::I8:
  case ElementKind::U8:
    return 1;
  case ElementKind::I16:
  case ElementKind::U16:
  case ElementKind::F16:
  case ElementKind::BF16:
    return 2;
  case ElementKind::I32:
  case ElementKind::U32:
  case ElementKind::F32:
    return 4;
  case ElementKind::I64:
  case ElementKind::U64:
  case ElementKind::F64:
    return 8;
  }
  llvm_unreachable("unknown element kind");
}

llvm::StringRef mlir::peft::getElementKindName(ElementKind kind) {
  switch (kind) {
  case ElementKind::Bool:
    return "bool";
  case ElementKind::I8:
    return "i8";
  case ElementKind::I16:
    return "i16";
  case ElementKind::I32:
    return "i32";
  case ElementKind::I64:
    return "i64";
  case ElementKind::U8:
    return "ui8";
  case ElementKind::U16:
    return "ui16";
  case ElementKind::U32:
    return "ui32";
  case ElementKind::U64:
    return "ui64";
  case ElementKind::F16:
    return "f16";
  case ElementKind::BF16:
    return "bf16";
  case ElementKind::F32:
    return "f32";
  case ElementKind::F64:
    return "f64";
  }
  llvm_unreachable("unknown element kind");
}

std::optional<ElementKind> mlir::peft::parseElementKind(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<ElementKind>>(name)
      .Case("bool", ElementKind::Bool)
      .Case("i8", ElementKind::I8)
      .Case("i16", ElementKind::I16)
      .Case("i32", ElementKind::I32)
      .Case("i64", ElementKind::I64)
      .Case("ui8", ElementKind::U8)
      .Case("ui16", ElementKind::U16)
      .Case("ui32", ElementKind::U32)
      .Case("ui64", ElementKind::U64)
      .Case("f16", ElementKind::F16)
      .Case("bf16", ElementKind::BF16)
      .Case("f32", ElementKind::F32)
      .Case("f64", ElementKind::F64)
      .Default(std::nullopt);
}

std::string mlir::peft::formatShape(llvm::ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string text;
  for (auto [i, size] : llvm::enumerate(shape)) {
    if (i)
      text += 'x';
    text += size < 0 ? std::string("?") : std::to_string(size);
  }
  return text;
}

HostTensor::HostTensor(ElementKind kind, llvm::ArrayRef<int64_t> shape)
    : kind(kind), shape(shape) {
  // Rounded up to the alignment (aligned_alloc requires it) and never zero,
  // so every tensor has a distinct, valid pointer.
  size_t bytes = std::max<size_t>(getNumBytes(), 1);
  bytes = (bytes + 63) / 64 * 64;
  data = std::aligned_alloc(64, bytes);
  if (!data)
    llvm::report_bad_alloc_error("HostTensor: out of memory");
  std::memset(data, 0, bytes);
  owner = std::shared_ptr<void>(data, std::free);
}

HostTensor HostTensor::view(ElementKind kind, llvm::ArrayRef<int64_t> shape,
                            void *data, std::shared_ptr<void> owner) {
  HostTensor tensor;
  tensor.kind = kind;
  tensor.shape.assign(shape.begin(), shape.end());
  tensor.data = data;
  tensor.owner = std::move(owner);
  return tensor;
}

int64_t HostTensor::getNumElements() const {
  int64_t n = 1;
  for (int64_t size : shape)
    n *= size;
  return n;
}

std::string HostTensor::describe() const {
  return getElementKindName(kind).str() + "[" + formatShape(shape) + "]";
}

HostTensor HostTensor::bitcast(ElementKind newKind) const {
  assert(getElementSize(newKind) == getElementSize(kind) &&
         "bitcast between element kinds of different sizes");
  return view(newKind, shape, data, owner);
}

double mlir::peft::getElementAsDouble(const HostTensor &tensor, int64_t index) {
  return readElementAsDouble(tensor.getKind(),
                             static_cast<const char *>(tensor.getData()) +
                                 index * getElementSize(tensor.getKind()));
}

double mlir::peft::readElementAsDouble(ElementKind kind, const void *p) {
  auto load = [p](auto zero) {
    decltype(zero) value;
    std::memcpy(&value, p, sizeof(value));
    return value;
  };
  switch (kind) {
  case ElementKind::Bool:
    return load(uint8_t()) != 0;
  case ElementKind::I8:
    return load(int8_t());
  case ElementKind::I16:
    return load(int16_t());
  case ElementKind::I32:
    return load(int32_t());
  case ElementKind::I64:
    return load(int64_t());
  case ElementKind::U8:
    return load(uint8_t());
  case ElementKind::U16:
    return load(uint16_t());
  case ElementKind::U32:
    return load(uint32_t());
  case ElementKind::U64:
    return load(uint64_t());
  case ElementKind::F16:
    return codecs::halfToFloat(load(uint16_t()));
  case ElementKind::BF16:
    return codecs::bf16ToFloat(load(uint16_t()));
  case ElementKind::F32:
    return load(float());
  case ElementKind::F64:
    return load(double());
  }
  llvm_unreachable("unknown element kind");
}

bool mlir::peft::isFloatKind(ElementKind kind) {
  return kind == ElementKind::F16 || kind == ElementKind::BF16 ||
         kind == ElementKind::F32 || kind == ElementKind::F64;
}

void mlir::peft::writeFloatElement(ElementKind kind, double value, void *p) {
  assert(isFloatKind(kind) && "not a float element kind");
  if (kind == ElementKind::F64) {
    std::memcpy(p, &value, sizeof(value));
    return;
  }
  if (kind == ElementKind::F32) {
    float f = static_cast<float>(value); // round to nearest even
    std::memcpy(p, &f, sizeof(f));
    return;
  }
  llvm::APFloat f(value);
  bool losesInfo;
  f.convert(kind == ElementKind::F16 ? llvm::APFloat::IEEEhalf()
                                     : llvm::APFloat::BFloat(),
            llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  uint16_t bits = static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue());
  std::memcpy(p, &bits, sizeof(bits));
}

std::optional<ElementKind> mlir::peft::getElementKind(Type type) {
  if (type.isF32())
    return ElementKind::F32;
  if (type.isF64())
    return ElementKind::F64;
  if (type.isF16())
    return ElementKind::F16;
  if (type.isBF16())
    return ElementKind::BF16;
  auto intType = dyn_cast<IntegerType>(type);
  if (!intType)
    return std::nullopt;
  bool isUnsigned = intType.isUnsigned();
  switch (intType.getWidth()) {
  case 1:
    return isUnsigned ? std::nullopt : std::optional(ElementKind::Bool);
  case 8:
    return isUnsigned ? ElementKind::U8 : ElementKind::I8;
  case 16:
    return isUnsigned ? ElementKind::U16 : ElementKind::I16;
  case 32:
    return isUnsigned ? ElementKind::U32 : ElementKind::I32;
  case 64:
    return isUnsigned ? ElementKind::U64 : ElementKind::I64;
  default:
    return std::nullopt;
  }
}

CompareResult mlir::peft::compareTensors(const HostTensor &actual,
                                         const HostTensor &expected,
                                         double rtol, double atol) {
  CompareResult result;
  double worstExcess = -1;
  for (int64_t i = 0, e = expected.getNumElements(); i < e; ++i) {
    double a = getElementAsDouble(actual, i);
    double b = getElementAsDouble(expected, i);
    bool match;
    double absError, excess;
    if (std::isnan(a) || std::isnan(b)) {
      match = std::isnan(a) && std::isnan(b);
      absError = match ? 0 : INFINITY;
      excess = match ? 0 : INFINITY;
    } else if (a == b) { // also equal infinities
      match = true;
      absError = excess = 0;
    } else {
      absError = std::fabs(a - b);
      double tolerance = atol + rtol * std::fabs(b);
      match = absError <= tolerance;
      excess = absError - tolerance;
      // Relative error is undefined where the reference is zero; the
      // absolute error covers those elements.
      if (b != 0)
        result.maxRelError =
            std::max(result.maxRelError, absError / std::fabs(b));
    }
    result.maxAbsError = std::max(result.maxAbsError, absError);
    if (!match)
      ++result.numMismatches;
    if (excess > worstExcess) {
      worstExcess = excess;
      result.worstIndex = i;
      result.worstActual = a;
      result.worstExpected = b;
    }
  }
  return result;
}
