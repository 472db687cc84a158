//===- ONNXDialect.td - onnx dialect definition ------------*- tablegen -*-===//
//
// The `onnx` dialect mirrors an ONNX graph one node per op so that models can
// be imported, rewritten and exported without loss. Its C++ namespace is
// `mlir::peft::onnx_ir` (`onnx` is the protobuf namespace).
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_DIALECT_ONNX_IR_ONNXDIALECT_TD
#define PEFT_DIALECT_ONNX_IR_ONNXDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def ONNX_Dialect : Dialect {
  let name = "onnx";
  let cppNamespace = "::mlir::peft::onnx_ir";
  let summary = "A one-to-one image of ONNX graphs";
  let description = [{
    Each ONNX node becomes one op named `onnx.<op_type>`; nodes whose operator
    has no typed op here become the generic `onnx.node`. Graph initializers
    are `onnx.initializer` ops, normally over `dense_resource` blobs.

    Conventions shared by every typed op (the importer and exporter rely on
    them):

    * Operands are the declared ONNX inputs in ONNX order, always present; an
      omitted optional input is the `none` result of `onnx.none`. Only
      variadic inputs (Concat, Einsum, Max, Min) are `Variadic`.
    * Results are the declared ONNX outputs; an absent optional output has
      type `none`. Split and If have variadic results.
    * Attributes carry the ONNX attribute name and are all optional; defaults
      are never materialized. Kinds map as INT → `i64` IntegerAttr,
      FLOAT → `f32` FloatAttr, STRING → StringAttr, INTS →
      `array<i64: ...>`, FLOATS → `array<f32: ...>`, STRINGS → array of
      strings, TENSOR → ElementsAttr.
    * Tensors may be unranked or have dynamic dimensions; verifiers check only
      what is known.

    Folds materialize their results as `onnx.Constant` ops with a `value`.
  }];
  let hasConstantMaterializer = 1;
}

//===----------------------------------------------------------------------===//
// Type and attribute constraints
//===----------------------------------------------------------------------===//

// An optional ONNX input or output: a tensor, or `none` when absent.
def ONNX_OptTensor : AnyTypeOf<[AnyTensor, NoneType], "tensor or none">;

// ONNX attribute kinds. All ONNX attributes are declared optional.
def ONNX_IntAttr : OptionalAttr<I64Attr>;                // INT
def ONNX_FloatAttr : OptionalAttr<F32Attr>;              // FLOAT
def ONNX_StringAttr : OptionalAttr<StrAttr>;             // STRING
def ONNX_IntsAttr : OptionalAttr<DenseI64ArrayAttr>;     // INTS
def ONNX_FloatsAttr : OptionalAttr<DenseF32ArrayAttr>;   // FLOATS
def ONNX_StringsAttr : OptionalAttr<StrArrayAttr>;       // STRINGS
def ONNX_TensorAttr : OptionalAttr<ElementsAttr>;        // TENSOR

//===----------------------------------------------------------------------===//
// Op base classes
//===----------------------------------------------------------------------===//

// A typed ONNX operator. The mnemonic is the ONNX op_type (or, for an op of
// another domain whose op_type ai.onnx also has, `<prefix>.<op_type>`);
// `numInputs` and `numOutputs` are the declared ONNX input/output counts (-1
// when variadic).
// They become static members used by the schema table (ONNXSchema.cpp), which
// checks them against the operand/result traits at compile time.
//
// Ops add their own C++ declarations with `onnxExtraClassDeclaration`;
// `extraClassDeclaration` is taken by the schema constants.
class ONNX_Op<string opType, int numInputs, int numOutputs,
              list<Trait> traits = [], string domain = "",
              string mnemonic = opType>
    : Op<ONNX_Dialect, mnemonic, traits> {
  string onnxOpType = opType;
  string onnxDomain = domain;
  int onnxNumInputs = numInputs;
  int onnxNumOutputs = numOutputs;
  code onnxExtraClassDeclaration = "";

  let extraClassDeclaration = [{
    /// The ONNX operator this op stands for.
    static constexpr ::llvm::StringLiteral kOpType = "}] # opType # [{";
    /// Its operator-set domain ("" for the default ai.onnx domain).
    static constexpr ::llvm::StringLiteral kDomain = "}] # domain # [{";
    /// Declared ONNX inputs/outputs (-1: variadic).
    static constexpr int kNumInputs = }] # numInputs # [{;
    static constexpr int kNumOutputs = }] # numOutputs # [{;
  }] # onnxExtraClassDeclaration;
}

// Elementwise unary ops, named after the ONNX input/output names.
class ONNX_UnaryXYOp<string opType, string summaryText>
    : ONNX_Op<opType, 1, 1, [Pure]> {
  let summary = summaryText;
  let arguments = (ins AnyTensor:$X);
  let results = (outs AnyTensor:$Y);
}
class ONNX_UnaryIOOp<string opType, string summaryText>
    : ONNX_Op<opType, 1, 1, [Pure]> {
  let summary = summaryText;
  let arguments = (ins AnyTensor:$input);
  let results = (outs AnyTensor:$output);
}
// Broadcasting binary ops A, B -> C.
class ONNX_BinaryOp<string opType, string summaryText,
                    list<Trait> traits = []>
    : ONNX_Op<opType, 2, 1, !listconcat([Pure], traits)> {
  let summary = summaryText;
  let arguments = (ins AnyTensor:$A, AnyTensor:$B);
  let results = (outs AnyTensor:$C);
}
// Reductions (opset 13/18): `axes` is an attribute in older opsets and an
// optional input in newer ones (ReduceSum from 13, the others from 18); both
// are declared, and at most one may be given.
class ONNX_ReduceOp<string opType, string summaryText>
    : ONNX_Op<opType, 2, 1, [Pure]> {
  let summary = summaryText;
  let arguments = (ins AnyTensor:$data, ONNX_OptTensor:$axes_input,
                   ONNX_IntsAttr:$axes, ONNX_IntAttr:$keepdims,
                   ONNX_IntAttr:$noop_with_empty_axes);
  let results = (outs AnyTensor:$reduced);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getKeepdimsOrDefault() {
      return getKeepdimsAttr() ? getKeepdimsAttr().getInt() : 1;
    }
    int64_t getNoopWithEmptyAxesOrDefault() {
      return getNoopWithEmptyAxesAttr() ? getNoopWithEmptyAxesAttr().getInt()
                                        : 0;
    }
  }];
}

// Structural ops of the dialect (lowercase mnemonics, not ONNX operators).
class ONNX_StructuralOp<string mnemonic, list<Trait> traits = []>
    : Op<ONNX_Dialect, mnemonic, traits>;

#endif // PEFT_DIALECT_ONNX_IR_ONNXDIALECT_TD
