//===- ONNXDialect.cpp - onnx dialect registration ------------------------===//

#include "peft/Dialect/ONNX/IR/ONNXDialect.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"

using namespace mlir;
using namespace mlir::peft::onnx_ir;

#include "peft/Dialect/ONNX/IR/ONNXOpsDialect.cpp.inc"

void ONNXDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "peft/Dialect/ONNX/IR/ONNXOps.cpp.inc"
      >();
}
