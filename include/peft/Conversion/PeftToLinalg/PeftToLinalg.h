//===- PeftToLinalg.h - lower peft ops to linalg ----------------*- C++ -*-===//

#ifndef PEFT_CONVERSION_PEFTTOLINALG_PEFTTOLINALG_H
#define PEFT_CONVERSION_PEFTTOLINALG_PEFTTOLINALG_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class ConversionTarget;
class RewritePatternSet;
class TypeConverter;

namespace peft {

#define GEN_PASS_DECL_CONVERTPEFTTOLINALG
#define GEN_PASS_DECL_CONVERTPEFTQLINEARTOVECTOR
#define GEN_PASS_DECL_CONVERTPEFTQLINEARTOGPU
#include "peft/Conversion/Passes.h.inc"

/// Adds the patterns that lower peft ops to linalg/tensor/arith;
/// `gatheredBanks` selects the static-shaped (GPU) form of routed banks.
void populatePeftToLinalgPatterns(RewritePatternSet &patterns,
                                  bool gatheredBanks = false);

/// Marks the peft ops illegal and their lowering targets legal.
void configurePeftToLinalgTarget(ConversionTarget &target);

} // namespace peft
} // namespace mlir

#endif // PEFT_CONVERSION_PEFTTOLINALG_PEFTTOLINALG_H
