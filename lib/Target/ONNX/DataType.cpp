//===- DataType.cpp - ONNX TensorProto data types <-> MLIR types ----------===//

#include "peft/Target/ONNX/DataType.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::peft::onnx_data;

Type mlir::peft::onnx_data::getElementType(MLIRContext *ctx, int32_t dataType) {
  auto signless = [&](unsigned w) { return IntegerType::get(ctx, w); };
  auto unsignedTy = [&](unsigned w) {
    return IntegerType::get(ctx, w, IntegerType::Unsigned);
  };
  switch (dataType) {
  case kFloat:
    return Float32Type::get(ctx);
  case kFloat16:
    return Float16Type::get(ctx);
  case kBFloat16:
    return BFloat16Type::get(ctx);
  case kDouble:
    return Float64Type::get(ctx);
  case kInt8:
    return signless(8);
  case kInt16:
    return signless(16);
  case kInt32:
    return signless(32);
  case kInt64:
    return signless(64);
  case kUInt8:
    return unsignedTy(8);
  case kUInt16:
    return unsignedTy(16);
  case kUInt32:
    return unsignedTy(32);
  case kUInt64:
    return unsignedTy(64);
  case kBool:
    return signless(1);
  case kInt4:
    return signless(4);
  case kUInt4:
    return unsignedTy(4);
  default:
    return nullptr;
  }
}

std::optional<int32_t> mlir::peft::onnx_data::getDataType(Type type) {
  if (type.isF32())
    return kFloat;
  if (type.isF16())
    return kFloat16;
  if (type.isBF16())
    return kBFloat16;
  if (type.isF64())
    return kDouble;
  auto intType = dyn_cast<IntegerType>(type);
  if (!intType || intType.isSigned())
    return std::nullopt;
  bool isUnsigned = intType.isUnsigned();
  switch (intType.getWidth()) {
  case 1:
    return isUnsigned ? std::nullopt : std::optional<int32_t>(kBool);
  case 4:
    return isUnsigned ? kUInt4 : kInt4;
  case 8:
    return isUnsigned ? kUInt8 : kInt8;
  case 16:
    return isUnsigned ? kUInt16 : kInt16;
  case 32:
    return isUnsigned ? kUInt32 : kInt32;
  case 64:
    return isUnsigned ? kUInt64 : kInt64;
  default:
    return std::nullopt;
  }
}

int64_t mlir::peft::onnx_data::getRawDataSize(int32_t dataType,
                                              int64_t numElements) {
  // Sizes come from untrusted files: a count that does not fit is an error
  // (-1), never a wrapped-around size.
  if (numElements < 0)
    return -1;
  int64_t width;
  switch (dataType) {
  case kInt4:
  case kUInt4:
    // Two per byte; written so that numElements + 1 cannot overflow.
    return numElements / 2 + numElements % 2;
  case kBool:
  case kInt8:
  case kUInt8:
    width = 1;
    break;
  case kFloat16:
  case kBFloat16:
  case kInt16:
  case kUInt16:
    width = 2;
    break;
  case kFloat:
  case kInt32:
  case kUInt32:
    width = 4;
    break;
  case kDouble:
  case kInt64:
  case kUInt64:
    width = 8;
    break;
  default:
    return -1;
  }
  int64_t bytes;
  if (llvm::MulOverflow(numElements, width, bytes))
    return -1;
  return bytes;
}

const char *mlir::peft::onnx_data::getDataTypeName(int32_t dataType) {
  switch (dataType) {
  case kFloat:
    return "FLOAT";
  case kUInt8:
    return "UINT8";
  case kInt8:
    return "INT8";
  case kUInt16:
    return "UINT16";
  case kInt16:
    return "INT16";
  case kInt32:
    return "INT32";
  case kInt64:
    return "INT64";
  case kString:
    return "STRING";
  case kBool:
    return "BOOL";
  case kFloat16:
    return "FLOAT16";
  case kDouble:
    return "DOUBLE";
  case kUInt32:
    return "UINT32";
  case kUInt64:
    return "UINT64";
  case kBFloat16:
    return "BFLOAT16";
  case kUInt4:
    return "UINT4";
  case kInt4:
    return "INT4";
  default:
    return "UNKNOWN";
  }
}
