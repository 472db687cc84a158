//===- ONNXToLinalg.h - lower onnx ops to linalg ----------------*- C++ -*-===//
//
// The patterns come in families, one file each under
// lib/Conversion/ONNXToLinalg/, each exposed by its populate function.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_CONVERSION_ONNXTOLINALG_ONNXTOLINALG_H
#define PEFT_CONVERSION_ONNXTOLINALG_ONNXTOLINALG_H

#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
namespace func {
class FuncOp;
} // namespace func

namespace peft {

#define GEN_PASS_DECL_CONVERTONNXTOLINALG
#include "peft/Conversion/Passes.h.inc"

/// Maps the types of imported ONNX values to what linalg/arith accept:
/// unsigned integer elements become signless of the same width, `none`
/// stays `none`; unranked tensors and tensors of unknown element type have
/// no conversion (their producers cannot be lowered).
class ONNXTypeConverter : public TypeConverter {
public:
  ONNXTypeConverter();
};

/// Every onnx-to-linalg pattern; `indexChecks` as the option of
/// convert-onnx-to-linalg.
void populateONNXToLinalgPatterns(const TypeConverter &converter,
                                  RewritePatternSet &patterns,
                                  bool indexChecks = true);

/// Elementwise ops with numpy broadcasting: unary math, binary arithmetic,
/// comparisons, logic, Where, Cast, Clip, Max/Min (Elementwise.cpp).
void populateONNXElementwiseToLinalgPatterns(const TypeConverter &converter,
                                             RewritePatternSet &patterns);

/// Reductions and normalizations: ReduceMean/Sum/L2, Softmax,
/// LayerNormalization (Reductions.cpp).
void populateONNXReductionToLinalgPatterns(const TypeConverter &converter,
                                           RewritePatternSet &patterns);

/// Contractions: MatMul (batched, broadcast), Gemm, Einsum in the forms
/// exporters emit (Contraction.cpp).
void populateONNXContractionToLinalgPatterns(const TypeConverter &converter,
                                             RewritePatternSet &patterns);

/// Quantized ops: MatMulInteger, MatMulNBits, (De)QuantizeLinear,
/// DynamicQuantizeLinear (Quantization.cpp).
void populateONNXQuantizationToLinalgPatterns(const TypeConverter &converter,
                                              RewritePatternSet &patterns);

/// Constants and data movement: initializer, Constant, Identity, Transpose,
/// Concat, Slice, Split, Gather, Trilu (DataMovement.cpp). With
/// `indexChecks`, Gather checks its indices at run time (cf.assert).
void populateONNXDataMovementToLinalgPatterns(const TypeConverter &converter,
                                              RewritePatternSet &patterns,
                                              bool indexChecks = true);

/// Pad in every mode, constant or run-time pads, constant axes (Pad.cpp).
void populateONNXPadToLinalgPatterns(const TypeConverter &converter,
                                     RewritePatternSet &patterns);

/// Resize (opsets 11-19): nearest, linear and cubic, every coordinate
/// transformation mode, scales or sizes (Resize.cpp).
void populateONNXResizeToLinalgPatterns(const TypeConverter &converter,
                                        RewritePatternSet &patterns);

/// Shapes: Shape, Reshape, Flatten, Unsqueeze, Squeeze, Expand,
/// ConstantOfShape, Range (Shape.cpp).
void populateONNXShapeToLinalgPatterns(const TypeConverter &converter,
                                       RewritePatternSet &patterns);

/// The ONNX node `op` came from, for diagnostics: "'<node name>' (<OpType>)".
std::string describeONNXNode(Operation *op);

} // namespace peft
} // namespace mlir

#endif // PEFT_CONVERSION_ONNXTOLINALG_ONNXTOLINALG_H
