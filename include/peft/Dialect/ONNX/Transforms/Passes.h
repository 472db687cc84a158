//===- Passes.h - onnx dialect transformation passes ------------*- C++ -*-===//

#ifndef PEFT_DIALECT_ONNX_TRANSFORMS_PASSES_H
#define PEFT_DIALECT_ONNX_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::peft {

#define GEN_PASS_DECL
#include "peft/Dialect/ONNX/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "peft/Dialect/ONNX/Transforms/Passes.h.inc"

} // namespace mlir::peft

#endif // PEFT_DIALECT_ONNX_TRANSFORMS_PASSES_H
