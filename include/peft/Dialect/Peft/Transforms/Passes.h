//===- Passes.h - peft dialect transformation passes ------------*- C++ -*-===//

#ifndef PEFT_DIALECT_PEFT_TRANSFORMS_PASSES_H
#define PEFT_DIALECT_PEFT_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "peft/Dialect/ONNX/IR/ONNXDialect.h"
#include "peft/Dialect/Peft/IR/PeftDialect.h"
#include "peft/Dialect/Peft/Transforms/PassOptions.h"

namespace mlir::peft {

#define GEN_PASS_DECL
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"

} // namespace mlir::peft

#endif // PEFT_DIALECT_PEFT_TRANSFORMS_PASSES_H
