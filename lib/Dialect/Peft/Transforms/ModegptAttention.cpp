//===- ModegptAttention.cpp - MoDeGPT on attention modules ----------------===//
//
// Type II (key-query, CR) and Type III (value-output, SVD) of peft-modegpt.
//
//===----------------------------------------------------------------------===//

#include "ModegptRewrite.h"

using namespace mlir;
using namespace mlir::peft;

LogicalResult mlir::peft::compressAttention(AttentionModule &attention,
                                            double phi,
                                            const CalibrationStats &stats,
                                            const AttentionOptions &options,
                                            AttentionReport &report) {
  LinearLikeOpInterface o = attention.o;
  return o->emitError(options.pass)
         << ": the attention module types (qk, vo) are not supported yet; "
            "use types=mlp";
}
