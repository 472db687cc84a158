//===- Passes.h - peft conversion passes ------------------------*- C++ -*-===//

#ifndef PEFT_CONVERSION_PASSES_H
#define PEFT_CONVERSION_PASSES_H

#include "peft/Conversion/ONNXToLinalg/ONNXToLinalg.h"
#include "peft/Conversion/PeftToLinalg/PeftToLinalg.h"

#include "mlir/Pass/Pass.h"

namespace mlir::peft {

#define GEN_PASS_REGISTRATION
#include "peft/Conversion/Passes.h.inc"

} // namespace mlir::peft

#endif // PEFT_CONVERSION_PASSES_H
