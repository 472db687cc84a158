//===- ONNXOps.td - onnx dialect ops -----------------------*- tablegen -*-===//
//
// One op per ONNX operator (opset 13-23 semantics) plus the structural ops
// `onnx.none`, `onnx.initializer`, `onnx.node` and `onnx.yield`. Typed ops
// have no custom assembly: they print in the generic form so that the
// importer can create any of them from an OperationState.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_DIALECT_ONNX_IR_ONNXOPS_TD
#define PEFT_DIALECT_ONNX_IR_ONNXOPS_TD

include "peft/Dialect/ONNX/IR/ONNXDialect.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Structural ops
//===----------------------------------------------------------------------===//

def ONNX_NoneOp : ONNX_StructuralOp<"none", [Pure]> {
  let summary = "the value of an omitted optional input";
  let description = [{
    Stands for an optional ONNX input that a node leaves out (an empty input
    name).

    ```mlir
    %none = onnx.none
    %y = "onnx.Gemm"(%a, %b, %none) : (tensor<2x3xf32>, tensor<3x4xf32>, none) -> tensor<2x4xf32>
    ```
  }];
  let results = (outs NoneType:$result);
  let assemblyFormat = "attr-dict";
  let builders = [OpBuilder<(ins), [{
    build($_builder, $_state, $_builder.getNoneType());
  }]>];
}

def ONNX_InitializerOp : ONNX_StructuralOp<"initializer",
    [ConstantLike, Pure, AllTypesMatch<["value", "result"]>]> {
  let summary = "a graph initializer";
  let description = [{
    An ONNX graph initializer: `name` is the ONNX tensor name and `value` its
    contents, normally a `dense_resource` blob. The result type is the type of
    `value`.

    ```mlir
    %w = onnx.initializer "onnx::MatMul_12" dense_resource<w> : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, ElementsAttr:$value);
  let results = (outs AnyTensor:$result);
  let assemblyFormat = "$name $value attr-dict";
  let builders = [
    OpBuilder<(ins "::mlir::StringAttr":$name, "::mlir::ElementsAttr":$value),
    [{
      build($_builder, $_state, value.getShapedType(), name, value);
    }]>,
    OpBuilder<(ins "::llvm::StringRef":$name, "::mlir::ElementsAttr":$value),
    [{
      build($_builder, $_state, $_builder.getStringAttr(name), value);
    }]>];
  let hasFolder = 1;
  let hasVerifier = 1;
}

def ONNX_NodeOp : ONNX_StructuralOp<"node"> {
  let summary = "a generic ONNX node";
  let description = [{
    Any ONNX node without a typed op: properties `op_type` (non-empty) and
    `domain` ("" for ai.onnx). Omitted optional inputs are `onnx.none`
    values; absent optional outputs have type `none`.

    The node's ONNX attributes are in the attribute `attributes`, a
    dictionary with the same kind mapping as the typed ops (INT → i64
    IntegerAttr, FLOAT → f32 FloatAttr, STRING → StringAttr, INTS →
    DenseI64ArrayAttr, FLOATS → DenseF32ArrayAttr, STRINGS → array of
    StringAttr, TENSOR → ElementsAttr). It cannot be a property: ODS reserves
    `getAttributes()` on op adaptors, so it is a discardable attribute that
    the verifier checks (absent means no attributes).

    ```mlir
    %y = "onnx.node"(%x) <{op_type = "HardSwish", domain = ""}>
           {attributes = {alpha = 2.0 : f32}} : (tensor<4xf32>) -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$inputs, StrAttr:$op_type,
                   DefaultValuedStrAttr<StrAttr, "">:$domain);
  let results = (outs Variadic<AnyType>:$outputs);
  let hasVerifier = 1;
  let builders = [OpBuilder<(ins "::mlir::TypeRange":$resultTypes,
      "::mlir::ValueRange":$inputs, "::mlir::StringAttr":$op_type,
      "::mlir::StringAttr":$domain, "::mlir::DictionaryAttr":$attributes)>];
  let extraClassDeclaration = [{
    /// Name of the (discardable) attribute holding the ONNX attributes.
    static constexpr ::llvm::StringLiteral kAttributesName = "attributes";
    /// The ONNX attributes; an empty dictionary when absent.
    ::mlir::DictionaryAttr getAttributes();
    /// Sets the ONNX attributes (removes the attribute when empty or null).
    void setAttributes(::mlir::DictionaryAttr attributes);
  }];
}

def ONNX_YieldOp : ONNX_StructuralOp<"yield",
    [Pure, Terminator, ReturnLike, HasParent<"IfOp">]> {
  let summary = "yields the outputs of an `onnx.If` branch";
  let arguments = (ins Variadic<AnyType>:$operands);
  let assemblyFormat = "attr-dict ($operands^ `:` type($operands))?";
  let builders = [OpBuilder<(ins), [{ /* nothing */ }]>];
}

//===----------------------------------------------------------------------===//
// Elementwise arithmetic
//===----------------------------------------------------------------------===//

def ONNX_AddOp : ONNX_BinaryOp<"Add", "broadcasting addition"> {
  let hasFolder = 1;
}
def ONNX_SubOp : ONNX_BinaryOp<"Sub", "broadcasting subtraction"> {
  let hasFolder = 1;
}
def ONNX_MulOp : ONNX_BinaryOp<"Mul", "broadcasting multiplication"> {
  let hasFolder = 1;
}
def ONNX_DivOp : ONNX_BinaryOp<"Div", "broadcasting division"> {
  let hasFolder = 1;
}

def ONNX_PowOp : ONNX_Op<"Pow", 2, 1, [Pure]> {
  let summary = "broadcasting power X^Y";
  let arguments = (ins AnyTensor:$X, AnyTensor:$Y);
  let results = (outs AnyTensor:$Z);
}

def ONNX_SqrtOp : ONNX_UnaryXYOp<"Sqrt", "square root">;
def ONNX_ReciprocalOp : ONNX_UnaryXYOp<"Reciprocal", "1/x">;
def ONNX_NegOp : ONNX_UnaryXYOp<"Neg", "negation">;
def ONNX_AbsOp : ONNX_UnaryXYOp<"Abs", "absolute value">;
def ONNX_SigmoidOp : ONNX_UnaryXYOp<"Sigmoid", "logistic sigmoid">;
def ONNX_ReluOp : ONNX_UnaryXYOp<"Relu", "max(x, 0)">;
def ONNX_NotOp : ONNX_UnaryXYOp<"Not", "logical not"> {
  let hasFolder = 1;
}
def ONNX_ExpOp : ONNX_UnaryIOOp<"Exp", "exponential">;
def ONNX_GeluOp : ONNX_UnaryXYOp<"Gelu", "Gaussian error linear unit (opset 20)"> {
  let description = [{
    `approximate` is `none` (default: x·Φ(x) with erf) or `tanh`.
  }];
  let arguments = (ins AnyTensor:$X, ONNX_StringAttr:$approximate);
  let hasVerifier = 1;
}
def ONNX_LogOp : ONNX_UnaryIOOp<"Log", "natural logarithm">;
def ONNX_ErfOp : ONNX_UnaryIOOp<"Erf", "error function">;
def ONNX_TanhOp : ONNX_UnaryIOOp<"Tanh", "hyperbolic tangent">;
def ONNX_CosOp : ONNX_UnaryIOOp<"Cos", "cosine">;
def ONNX_SinOp : ONNX_UnaryIOOp<"Sin", "sine">;

def ONNX_EqualOp : ONNX_BinaryOp<"Equal", "broadcasting A == B (i1 result)"> {
  let hasVerifier = 1;
  let hasFolder = 1;
}
def ONNX_LessOp : ONNX_BinaryOp<"Less", "broadcasting A < B (i1 result)"> {
  let hasVerifier = 1;
  let hasFolder = 1;
}
def ONNX_GreaterOp : ONNX_BinaryOp<"Greater",
                                   "broadcasting A > B (i1 result)"> {
  let hasVerifier = 1;
  let hasFolder = 1;
}
def ONNX_LessOrEqualOp : ONNX_BinaryOp<"LessOrEqual",
                                       "broadcasting A <= B (i1 result)"> {
  let hasVerifier = 1;
}
def ONNX_GreaterOrEqualOp : ONNX_BinaryOp<"GreaterOrEqual",
                                          "broadcasting A >= B (i1 result)"> {
  let hasVerifier = 1;
}
def ONNX_AndOp : ONNX_BinaryOp<"And", "broadcasting logical and (i1)"> {
  let hasVerifier = 1;
}
def ONNX_OrOp : ONNX_BinaryOp<"Or", "broadcasting logical or (i1)"> {
  let hasVerifier = 1;
}
def ONNX_XorOp : ONNX_BinaryOp<"Xor", "broadcasting logical xor (i1)"> {
  let hasVerifier = 1;
}
def ONNX_ModOp : ONNX_Op<"Mod", 2, 1, [Pure]> {
  let summary = "broadcasting remainder";
  let description = [{
    `fmod` = 0 (default): the sign of the divisor, as Python's `%` (the spec
    asks floats to use 1; 0 on floats follows numpy's `mod`, as the node
    tests do); `fmod` = 1: the sign of the dividend, as C's `fmod`.
  }];
  let arguments = (ins AnyTensor:$A, AnyTensor:$B, ONNX_IntAttr:$fmod);
  let results = (outs AnyTensor:$C);
  let hasVerifier = 1;
}
def ONNX_SumOp : ONNX_Op<"Sum", -1, 1, [Pure]> {
  let summary = "broadcasting elementwise sum of its inputs";
  let arguments = (ins Variadic<AnyTensor>:$data_0);
  let results = (outs AnyTensor:$sum);
}
def ONNX_MeanOp : ONNX_Op<"Mean", -1, 1, [Pure]> {
  let summary = "broadcasting elementwise mean of its inputs";
  let arguments = (ins Variadic<AnyTensor>:$data_0);
  let results = (outs AnyTensor:$mean);
}
def ONNX_FloorOp : ONNX_UnaryXYOp<"Floor", "round toward -inf">;
def ONNX_CeilOp : ONNX_UnaryXYOp<"Ceil", "round toward +inf">;
def ONNX_RoundOp : ONNX_UnaryXYOp<"Round", "round half to even">;
def ONNX_SignOp : ONNX_UnaryIOOp<"Sign", "-1, 0 or 1 by the sign">;
def ONNX_SoftplusOp : ONNX_UnaryXYOp<"Softplus", "log(exp(x) + 1)">;
def ONNX_SoftsignOp : ONNX_UnaryIOOp<"Softsign", "x / (1 + |x|)">;
def ONNX_IsNaNOp : ONNX_UnaryXYOp<"IsNaN", "x is NaN (i1 result)"> {
  let hasVerifier = 1;
}
def ONNX_CastLikeOp : ONNX_Op<"CastLike", 2, 1, [Pure]> {
  let summary = "element type conversion to the type of `target_type`";
  let description = [{
    Cast semantics (`saturate` only matters for float8, which is not
    supported); only the element type of `target_type` is read.
  }];
  let arguments = (ins AnyTensor:$input, AnyTensor:$target_type,
                   ONNX_IntAttr:$saturate);
  let results = (outs AnyTensor:$output);
}

def ONNX_WhereOp : ONNX_Op<"Where", 3, 1, [Pure]> {
  let summary = "broadcasting select: condition ? X : Y";
  let arguments = (ins AnyTensor:$condition, AnyTensor:$X, AnyTensor:$Y);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def ONNX_MaxOp : ONNX_Op<"Max", -1, 1, [Pure]> {
  let summary = "broadcasting elementwise maximum of its inputs";
  let arguments = (ins Variadic<AnyTensor>:$data_0);
  let results = (outs AnyTensor:$max);
}

def ONNX_MinOp : ONNX_Op<"Min", -1, 1, [Pure]> {
  let summary = "broadcasting elementwise minimum of its inputs";
  let arguments = (ins Variadic<AnyTensor>:$data_0);
  let results = (outs AnyTensor:$min);
}

def ONNX_ClipOp : ONNX_Op<"Clip", 3, 1, [Pure]> {
  let summary = "clamps to [min, max] (optional scalar inputs)";
  let arguments = (ins AnyTensor:$input, ONNX_OptTensor:$min,
                   ONNX_OptTensor:$max);
  let results = (outs AnyTensor:$output);
}

def ONNX_CastOp : ONNX_Op<"Cast", 1, 1, [Pure]> {
  let summary = "element type conversion";
  let description = [{
    `to` is an ONNX TensorProto data type number (1 = FLOAT, 7 = INT64, ...).
  }];
  let arguments = (ins AnyTensor:$input, ONNX_IntAttr:$to,
                   ONNX_IntAttr:$saturate);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getSaturateOrDefault() {
      return getSaturateAttr() ? getSaturateAttr().getInt() : 1;
    }
  }];
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def ONNX_MatMulOp : ONNX_Op<"MatMul", 2, 1, [Pure]> {
  let summary = "numpy-style matrix product";
  let arguments = (ins AnyTensor:$A, AnyTensor:$B);
  let results = (outs AnyTensor:$Y);
  let hasVerifier = 1;
}

def ONNX_GemmOp : ONNX_Op<"Gemm", 3, 1, [Pure]> {
  let summary = "Y = alpha·op(A)·op(B) + beta·C";
  let arguments = (ins AnyTensor:$A, AnyTensor:$B, ONNX_OptTensor:$C,
                   ONNX_FloatAttr:$alpha, ONNX_FloatAttr:$beta,
                   ONNX_IntAttr:$transA, ONNX_IntAttr:$transB);
  let results = (outs AnyTensor:$Y);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    float getAlphaOrDefault() {
      return getAlphaAttr() ? getAlphaAttr().getValueAsDouble() : 1.0f;
    }
    float getBetaOrDefault() {
      return getBetaAttr() ? getBetaAttr().getValueAsDouble() : 1.0f;
    }
    int64_t getTransAOrDefault() {
      return getTransAAttr() ? getTransAAttr().getInt() : 0;
    }
    int64_t getTransBOrDefault() {
      return getTransBAttr() ? getTransBAttr().getInt() : 0;
    }
  }];
}

def ONNX_EinsumOp : ONNX_Op<"Einsum", -1, 1, [Pure]> {
  let summary = "Einstein summation";
  let arguments = (ins Variadic<AnyTensor>:$Inputs, ONNX_StringAttr:$equation);
  let results = (outs AnyTensor:$Output);
  let hasVerifier = 1;
}

def ONNX_MatMulIntegerOp : ONNX_Op<"MatMulInteger", 4, 1, [Pure]> {
  let summary = "integer matrix product with optional zero points";
  let arguments = (ins AnyTensor:$A, AnyTensor:$B,
                   ONNX_OptTensor:$a_zero_point, ONNX_OptTensor:$b_zero_point);
  let results = (outs AnyTensor:$Y);
}

def ONNX_MatMulNBitsOp : ONNX_Op<"MatMulNBits", 6, 1, [Pure],
                                 "com.microsoft"> {
  let summary = "com.microsoft: A · dequant(B) with block-quantized B";
  let arguments = (ins AnyTensor:$A, AnyTensor:$B, AnyTensor:$scales,
                   ONNX_OptTensor:$zero_points, ONNX_OptTensor:$g_idx,
                   ONNX_OptTensor:$bias,
                   ONNX_IntAttr:$K, ONNX_IntAttr:$N, ONNX_IntAttr:$bits,
                   ONNX_IntAttr:$block_size, ONNX_IntAttr:$accuracy_level);
  let results = (outs AnyTensor:$Y);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getBitsOrDefault() {
      return getBitsAttr() ? getBitsAttr().getInt() : 4;
    }
    int64_t getAccuracyLevelOrDefault() {
      return getAccuracyLevelAttr() ? getAccuracyLevelAttr().getInt() : 0;
    }
  }];
}

//===----------------------------------------------------------------------===//
// Normalization, activations, reductions
//===----------------------------------------------------------------------===//

def ONNX_SoftmaxOp : ONNX_Op<"Softmax", 1, 1, [Pure]> {
  let summary = "softmax along `axis`";
  let description = [{
    The default of `axis` depends on the opset (1 before 13, -1 since), so
    there is no default accessor.
  }];
  let arguments = (ins AnyTensor:$input, ONNX_IntAttr:$axis);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
}

def ONNX_LayerNormalizationOp : ONNX_Op<"LayerNormalization", 3, 3, [Pure]> {
  let summary = "layer normalization over the dimensions from `axis` on";
  let arguments = (ins AnyTensor:$X, AnyTensor:$Scale, ONNX_OptTensor:$B,
                   ONNX_IntAttr:$axis, ONNX_FloatAttr:$epsilon,
                   ONNX_IntAttr:$stash_type);
  let results = (outs AnyTensor:$Y, ONNX_OptTensor:$Mean,
                  ONNX_OptTensor:$InvStdDev);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getAxisOrDefault() {
      return getAxisAttr() ? getAxisAttr().getInt() : -1;
    }
    float getEpsilonOrDefault() {
      return getEpsilonAttr() ? getEpsilonAttr().getValueAsDouble() : 1e-5f;
    }
    int64_t getStashTypeOrDefault() {
      return getStashTypeAttr() ? getStashTypeAttr().getInt() : 1;
    }
  }];
}

def ONNX_RMSNormalizationOp : ONNX_Op<"RMSNormalization", 2, 1, [Pure]> {
  let summary = "RMS normalization over the dimensions from `axis` on (opset 23)";
  let description = [{
    `Y = X / sqrt(mean(X², axes [axis, rank)) + epsilon) · scale`, the mean
    computed in the precision `stash_type` (an ONNX data type, default 1 =
    FLOAT). The result has the element type of `scale`. Lowered by
    `onnx-decompose-fused-ops`.
  }];
  let arguments = (ins AnyTensor:$X, AnyTensor:$scale, ONNX_IntAttr:$axis,
                   ONNX_FloatAttr:$epsilon, ONNX_IntAttr:$stash_type);
  let results = (outs AnyTensor:$Y);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getAxisOrDefault() {
      return getAxisAttr() ? getAxisAttr().getInt() : -1;
    }
    float getEpsilonOrDefault() {
      return getEpsilonAttr() ? getEpsilonAttr().getValueAsDouble() : 1e-5f;
    }
    int64_t getStashTypeOrDefault() {
      return getStashTypeAttr() ? getStashTypeAttr().getInt() : 1;
    }
  }];
}

def ONNX_RotaryEmbeddingOp : ONNX_Op<"RotaryEmbedding", 4, 1, [Pure]> {
  let summary = "rotary position embedding (ai.onnx, opset 23)";
  let description = [{
    `X` is `[batch, heads, seq, head_size]`, or `[batch, seq, hidden]` with
    the `num_heads` attribute. The first `rotary_embedding_dim` (default: all)
    channels of each head rotate by the angles of `cos_cache`/`sin_cache`
    (`[max_pos, dim/2]` indexed by the optional `position_ids`, else
    `[batch, seq, dim/2]`), as halves or, with `interleaved`, as even/odd
    pairs. Lowered by `onnx-decompose-fused-ops`.
  }];
  let arguments = (ins AnyTensor:$X, AnyTensor:$cos_cache,
                   AnyTensor:$sin_cache, ONNX_OptTensor:$position_ids,
                   ONNX_IntAttr:$interleaved, ONNX_IntAttr:$num_heads,
                   ONNX_IntAttr:$rotary_embedding_dim);
  let results = (outs AnyTensor:$Y);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getInterleavedOrDefault() {
      return getInterleavedAttr() ? getInterleavedAttr().getInt() : 0;
    }
    int64_t getRotaryEmbeddingDimOrDefault() {
      return getRotaryEmbeddingDimAttr()
                 ? getRotaryEmbeddingDimAttr().getInt() : 0;
    }
  }];
}

def ONNX_AttentionOp : ONNX_Op<"Attention", 7, 4, [Pure]> {
  let summary = "scaled dot-product attention (ai.onnx, opset 23)";
  let description = [{
    `softmax(softcap(Q·Kᵀ·scale) + bias)·V` over 4-D `[batch, heads, seq,
    head_size]` inputs, or 3-D `[batch, seq, hidden]` ones with
    `q_num_heads`/`kv_num_heads`. Fewer key/value heads than query heads is
    grouped-query attention (each key/value head serves consecutive query
    heads). `bias` sums the optional `attn_mask` (boolean: true attends; or
    additive) and, with `is_causal`, the causal mask offset by the length of
    `past_key`. `past_key`/`past_value` are prepended to K/V, giving the
    optional `present_key`/`present_value`; the optional
    `qk_matmul_output` is the score after the stage `qk_matmul_output_mode`
    names (0: Q·Kᵀ, 1: softcap, 2: bias, 3: softmax). A query row that every
    key is masked from gives zeros. `left_window_size`/`right_window_size`
    (Attention-25; -1, the default, is unbounded) restrict query i to the keys
    j with i + past - left <= j <= i + past + right. The optional
    `nonpad_kv_seqlen` (Attention-24, `[batch]` i64) marks K/V as an external
    cache whose keys from that count on are padding; the causal and window
    offsets are then `nonpad_kv_seqlen - seq` per batch. Lowered by
    `onnx-decompose-fused-ops`.
  }];
  let arguments = (ins AnyTensor:$Q, AnyTensor:$K, AnyTensor:$V,
                   ONNX_OptTensor:$attn_mask, ONNX_OptTensor:$past_key,
                   ONNX_OptTensor:$past_value,
                   ONNX_OptTensor:$nonpad_kv_seqlen,
                   ONNX_IntAttr:$is_causal, ONNX_IntAttr:$kv_num_heads,
                   ONNX_IntAttr:$q_num_heads,
                   ONNX_IntAttr:$qk_matmul_output_mode, ONNX_FloatAttr:$scale,
                   ONNX_FloatAttr:$softcap, ONNX_IntAttr:$softmax_precision,
                   ONNX_IntAttr:$left_window_size,
                   ONNX_IntAttr:$right_window_size);
  let results = (outs AnyTensor:$Y, ONNX_OptTensor:$present_key,
                  ONNX_OptTensor:$present_value,
                  ONNX_OptTensor:$qk_matmul_output);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getIsCausalOrDefault() {
      return getIsCausalAttr() ? getIsCausalAttr().getInt() : 0;
    }
    int64_t getQkMatmulOutputModeOrDefault() {
      return getQkMatmulOutputModeAttr()
                 ? getQkMatmulOutputModeAttr().getInt() : 0;
    }
    float getSoftcapOrDefault() {
      return getSoftcapAttr() ? getSoftcapAttr().getValueAsDouble() : 0.0f;
    }
    int64_t getLeftWindowSizeOrDefault() {
      return getLeftWindowSizeAttr() ? getLeftWindowSizeAttr().getInt() : -1;
    }
    int64_t getRightWindowSizeOrDefault() {
      return getRightWindowSizeAttr() ? getRightWindowSizeAttr().getInt() : -1;
    }
  }];
}

def ONNX_ReduceMeanOp : ONNX_ReduceOp<"ReduceMean", "mean over `axes`">;
def ONNX_ReduceSumOp : ONNX_ReduceOp<"ReduceSum", "sum over `axes`">;
def ONNX_ReduceL2Op : ONNX_ReduceOp<"ReduceL2", "L2 norm over `axes`">;
def ONNX_ReduceMaxOp : ONNX_ReduceOp<"ReduceMax", "maximum over `axes`">;
def ONNX_ReduceMinOp : ONNX_ReduceOp<"ReduceMin", "minimum over `axes`">;
def ONNX_ReduceProdOp : ONNX_ReduceOp<"ReduceProd", "product over `axes`">;

//===----------------------------------------------------------------------===//
// Shape manipulation and indexing
//===----------------------------------------------------------------------===//

def ONNX_GatherOp : ONNX_Op<"Gather", 2, 1, [Pure]> {
  let summary = "gathers slices of `data` along `axis`";
  let arguments = (ins AnyTensor:$data, AnyTensor:$indices,
                   ONNX_IntAttr:$axis);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getAxisOrDefault() {
      return getAxisAttr() ? getAxisAttr().getInt() : 0;
    }
  }];
  let hasFolder = 1;
}

def ONNX_ReshapeOp : ONNX_Op<"Reshape", 2, 1, [Pure]> {
  let summary = "reshapes `data` to the 1-D i64 `shape`";
  let arguments = (ins AnyTensor:$data, AnyTensor:$shape,
                   ONNX_IntAttr:$allowzero);
  let results = (outs AnyTensor:$reshaped);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getAllowzeroOrDefault() {
      return getAllowzeroAttr() ? getAllowzeroAttr().getInt() : 0;
    }
  }];
  let hasFolder = 1;
}

def ONNX_FlattenOp : ONNX_Op<"Flatten", 1, 1, [Pure]> {
  let summary = "flattens to 2-D around `axis`";
  let arguments = (ins AnyTensor:$input, ONNX_IntAttr:$axis);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getAxisOrDefault() {
      return getAxisAttr() ? getAxisAttr().getInt() : 1;
    }
  }];
}

def ONNX_TransposeOp : ONNX_Op<"Transpose", 1, 1, [Pure]> {
  let summary = "permutes dimensions (default: reverses them)";
  let arguments = (ins AnyTensor:$data, ONNX_IntsAttr:$perm);
  let results = (outs AnyTensor:$transposed);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    /// `perm`, or the reversal of [0, rank) when absent.
    ::llvm::SmallVector<int64_t> getPermOrDefault(int64_t rank);
  }];
  let hasFolder = 1;
}

def ONNX_UnsqueezeOp : ONNX_Op<"Unsqueeze", 2, 1, [Pure]> {
  let summary = "inserts unit dimensions at `axes`";
  let description = [{
    `axes` is an attribute before opset 13 and an input since; both are
    declared (the input is `onnx.none` when the attribute is used).
  }];
  let arguments = (ins AnyTensor:$data, ONNX_OptTensor:$axes_input,
                   ONNX_IntsAttr:$axes);
  let results = (outs AnyTensor:$expanded);
  let hasFolder = 1;
}

def ONNX_SqueezeOp : ONNX_Op<"Squeeze", 2, 1, [Pure]> {
  let summary = "removes unit dimensions (at `axes` or all)";
  let description = [{
    `axes` is an attribute before opset 13 and an optional input since; both
    are declared.
  }];
  let arguments = (ins AnyTensor:$data, ONNX_OptTensor:$axes_input,
                   ONNX_IntsAttr:$axes);
  let results = (outs AnyTensor:$squeezed);
  let hasFolder = 1;
}

def ONNX_ConcatOp : ONNX_Op<"Concat", -1, 1, [Pure]> {
  let summary = "concatenation along `axis` (required)";
  let arguments = (ins Variadic<AnyTensor>:$inputs, ONNX_IntAttr:$axis);
  let results = (outs AnyTensor:$concat_result);
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def ONNX_SliceOp : ONNX_Op<"Slice", 5, 1, [Pure]> {
  let summary = "strided slice (opset 10+ input form)";
  let arguments = (ins AnyTensor:$data, AnyTensor:$starts, AnyTensor:$ends,
                   ONNX_OptTensor:$axes, ONNX_OptTensor:$steps);
  let results = (outs AnyTensor:$output);
  let hasFolder = 1;
}

def ONNX_SplitOp : ONNX_Op<"Split", 2, -1, [Pure]> {
  let summary = "splits along `axis` into the results";
  let description = [{
    `split` is an attribute before opset 13 and an optional input since;
    both are declared, as is `num_outputs` (opset 18).
  }];
  let arguments = (ins AnyTensor:$input, ONNX_OptTensor:$split_input,
                   ONNX_IntAttr:$axis, ONNX_IntAttr:$num_outputs,
                   ONNX_IntsAttr:$split);
  let results = (outs Variadic<AnyTensor>:$outputs);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getAxisOrDefault() {
      return getAxisAttr() ? getAxisAttr().getInt() : 0;
    }
  }];
}

def ONNX_PadOp : ONNX_Op<"Pad", 4, 1, [Pure]> {
  let summary = "pads (or, with negative pads, crops) each dimension";
  let description = [{
    `pads` is a 1-D i64 input `[begin_0, ..., begin_n, end_0, ..., end_n]`
    over the dimensions named by the optional `axes` input (opset 18; all
    dimensions when absent). `mode` is `constant` (default, filled with the
    optional scalar `constant_value`, else 0), `reflect`, `edge` or `wrap`
    (opset 19).
  }];
  let arguments = (ins AnyTensor:$data, AnyTensor:$pads,
                   ONNX_OptTensor:$constant_value, ONNX_OptTensor:$axes,
                   ONNX_StringAttr:$mode);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    ::llvm::StringRef getModeOrDefault() {
      return getModeAttr() ? getModeAttr().getValue() : "constant";
    }
  }];
}

def ONNX_ResizeOp : ONNX_Op<"Resize", 4, 1, [Pure]> {
  let summary = "resizes `X` by interpolation (opsets 11-19)";
  let description = [{
    Opsets 11-19: `roi` (used by `tf_crop_and_resize`), and one of `scales`
    and `sizes`, over the dimensions named by `axes` (opset 18; all
    dimensions when absent). `mode` is `nearest` (default; `nearest_mode`
    round_prefer_floor by default, round_prefer_ceil, floor or ceil),
    `linear` or `cubic` (`cubic_coeff_a`, default -0.75, and
    `exclude_outside`); `coordinate_transformation_mode` half_pixel
    (default), half_pixel_symmetric (opset 19), pytorch_half_pixel,
    align_corners, asymmetric or tf_crop_and_resize (`extrapolation_value`
    outside the roi); `keep_aspect_ratio_policy` (opset 18) stretch, not_larger
    or not_smaller with `sizes`; `antialias` (opset 18) widens a
    downsampling linear or cubic filter. Opset 10's Resize (scales as the
    second input) is a different signature, refused at import.
  }];
  let arguments = (ins AnyTensor:$X, ONNX_OptTensor:$roi,
                   ONNX_OptTensor:$scales, ONNX_OptTensor:$sizes,
                   ONNX_IntAttr:$antialias, ONNX_IntsAttr:$axes,
                   ONNX_StringAttr:$coordinate_transformation_mode,
                   ONNX_FloatAttr:$cubic_coeff_a, ONNX_IntAttr:$exclude_outside,
                   ONNX_FloatAttr:$extrapolation_value,
                   ONNX_StringAttr:$keep_aspect_ratio_policy,
                   ONNX_StringAttr:$mode, ONNX_StringAttr:$nearest_mode);
  let results = (outs AnyTensor:$Y);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    ::llvm::StringRef getModeOrDefault() {
      return getModeAttr() ? getModeAttr().getValue() : "nearest";
    }
    ::llvm::StringRef getCoordinateTransformationModeOrDefault() {
      return getCoordinateTransformationModeAttr()
                 ? getCoordinateTransformationModeAttr().getValue()
                 : "half_pixel";
    }
    ::llvm::StringRef getNearestModeOrDefault() {
      return getNearestModeAttr() ? getNearestModeAttr().getValue()
                                  : "round_prefer_floor";
    }
    ::llvm::StringRef getKeepAspectRatioPolicyOrDefault() {
      return getKeepAspectRatioPolicyAttr()
                 ? getKeepAspectRatioPolicyAttr().getValue()
                 : "stretch";
    }
    double getCubicCoeffAOrDefault() {
      return getCubicCoeffAAttr() ? getCubicCoeffAAttr().getValueAsDouble()
                                  : -0.75;
    }
    double getExtrapolationValueOrDefault() {
      return getExtrapolationValueAttr()
                 ? getExtrapolationValueAttr().getValueAsDouble()
                 : 0.0;
    }
  }];
}

def ONNX_ShapeOp : ONNX_Op<"Shape", 1, 1, [Pure]> {
  let summary = "the shape of `data` as a 1-D i64 tensor";
  let arguments = (ins AnyTensor:$data, ONNX_IntAttr:$start,
                   ONNX_IntAttr:$end);
  let results = (outs AnyTensor:$shape);
  let onnxExtraClassDeclaration = [{
    int64_t getStartOrDefault() {
      return getStartAttr() ? getStartAttr().getInt() : 0;
    }
  }];
  let hasFolder = 1;
}

def ONNX_ExpandOp : ONNX_Op<"Expand", 2, 1, [Pure]> {
  let summary = "broadcasts `input` to `shape`";
  let arguments = (ins AnyTensor:$input, AnyTensor:$shape);
  let results = (outs AnyTensor:$output);
  let hasFolder = 1;
}

def ONNX_TriluOp : ONNX_Op<"Trilu", 2, 1, [Pure]> {
  let summary = "upper or lower triangle, offset by the optional `k`";
  let arguments = (ins AnyTensor:$input, ONNX_OptTensor:$k,
                   ONNX_IntAttr:$upper);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getUpperOrDefault() {
      return getUpperAttr() ? getUpperAttr().getInt() : 1;
    }
  }];
}

def ONNX_IdentityOp : ONNX_UnaryIOOp<"Identity", "identity"> {
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Constants and generators
//===----------------------------------------------------------------------===//

def ONNX_ConstantOp : ONNX_Op<"Constant", 0, 1, [ConstantLike, Pure]> {
  let summary = "a constant given by exactly one of its value attributes";
  let description = [{
    The result type may be less refined than the type of `value` (folds
    materialize constants with the type of the value they replace); it folds
    to `value`, or to the tensor that `value_int(s)`/`value_float(s)` denote.
  }];
  let arguments = (ins ONNX_TensorAttr:$value, ONNX_FloatAttr:$value_float,
                   ONNX_FloatsAttr:$value_floats, ONNX_IntAttr:$value_int,
                   ONNX_IntsAttr:$value_ints, ONNX_StringAttr:$value_string,
                   ONNX_StringsAttr:$value_strings);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def ONNX_ConstantOfShapeOp : ONNX_Op<"ConstantOfShape", 1, 1, [Pure]> {
  let summary = "a tensor of shape `input` filled with `value` (default 0.f)";
  let arguments = (ins AnyTensor:$input, ONNX_TensorAttr:$value);
  let results = (outs AnyTensor:$output);
  let hasFolder = 1;
}

def ONNX_RangeOp : ONNX_Op<"Range", 3, 1, [Pure]> {
  let summary = "[start, limit) by delta; scalar inputs";
  let arguments = (ins AnyTensor:$start, AnyTensor:$limit, AnyTensor:$delta);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def ONNX_QuantizeLinearOp : ONNX_Op<"QuantizeLinear", 3, 1, [Pure]> {
  let summary = "y = saturate(round(x / y_scale) + y_zero_point)";
  let arguments = (ins AnyTensor:$x, AnyTensor:$y_scale,
                   ONNX_OptTensor:$y_zero_point,
                   ONNX_IntAttr:$axis, ONNX_IntAttr:$block_size,
                   ONNX_IntAttr:$saturate, ONNX_IntAttr:$output_dtype);
  let results = (outs AnyTensor:$y);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getAxisOrDefault() {
      return getAxisAttr() ? getAxisAttr().getInt() : 1;
    }
    int64_t getBlockSizeOrDefault() {
      return getBlockSizeAttr() ? getBlockSizeAttr().getInt() : 0;
    }
    int64_t getSaturateOrDefault() {
      return getSaturateAttr() ? getSaturateAttr().getInt() : 1;
    }
  }];
}

def ONNX_DequantizeLinearOp : ONNX_Op<"DequantizeLinear", 3, 1, [Pure]> {
  let summary = "y = (x - x_zero_point) · x_scale";
  let description = [{
    Declares the same attributes as QuantizeLinear (`saturate` is not part
    of the ONNX operator; `output_dtype` arrives with opset 23).
  }];
  let arguments = (ins AnyTensor:$x, AnyTensor:$x_scale,
                   ONNX_OptTensor:$x_zero_point,
                   ONNX_IntAttr:$axis, ONNX_IntAttr:$block_size,
                   ONNX_IntAttr:$saturate, ONNX_IntAttr:$output_dtype);
  let results = (outs AnyTensor:$y);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getAxisOrDefault() {
      return getAxisAttr() ? getAxisAttr().getInt() : 1;
    }
    int64_t getBlockSizeOrDefault() {
      return getBlockSizeAttr() ? getBlockSizeAttr().getInt() : 0;
    }
  }];
}

def ONNX_DynamicQuantizeLinearOp : ONNX_Op<"DynamicQuantizeLinear", 1, 3,
                                           [Pure]> {
  let summary = "quantizes to ui8 with a computed scale and zero point";
  let arguments = (ins AnyTensor:$x);
  let results = (outs AnyTensor:$y, AnyTensor:$y_scale,
                  AnyTensor:$y_zero_point);
}

//===----------------------------------------------------------------------===//
// onnxruntime contrib ops (what its transformer optimizer emits)
//
// Typed so that their results are typed after import (ONNX's own shape
// inference has no schema for them) and so that onnx-decompose-contrib-ops
// can expand them into the standard ops above. Semantics are those of
// onnxruntime's CPU kernels (docs/onnx.md, "Contrib ops"). Op names are
// onnx.<op_type>, except `onnx.ms.Attention` and `onnx.ms.RotaryEmbedding`:
// ai.onnx has operators of those names (opset 23) with other semantics.
//===----------------------------------------------------------------------===//

def ONNX_EmbedLayerNormalizationOp : ONNX_Op<"EmbedLayerNormalization", 9, 3,
    [Pure], "com.microsoft"> {
  let summary = "com.microsoft: LayerNorm(word + position + segment embeddings)";
  let description = [{
    `output = LayerNormalization(word_embedding[input_ids] +
    position_embedding[position_ids or 0..S-1] + segment_embedding[segment_ids])
    · gamma + beta` over the hidden dimension; `input_ids`, `segment_ids`,
    `mask` and `position_ids` are i32 `[B, S]` (`position_ids` also `[1, S]`).
    `mask_index` (i32 `[B]`) counts the ones of each row of `mask` (zeros
    without a mask); `embedding_sum` is the sum before normalization.
  }];
  let arguments = (ins AnyTensor:$input_ids, ONNX_OptTensor:$segment_ids,
                   AnyTensor:$word_embedding, AnyTensor:$position_embedding,
                   ONNX_OptTensor:$segment_embedding, AnyTensor:$gamma,
                   AnyTensor:$beta, ONNX_OptTensor:$mask,
                   ONNX_OptTensor:$position_ids,
                   ONNX_FloatAttr:$epsilon, ONNX_IntAttr:$mask_index_type);
  let results = (outs AnyTensor:$output, ONNX_OptTensor:$mask_index,
                  ONNX_OptTensor:$embedding_sum);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    float getEpsilonOrDefault() {
      return getEpsilonAttr() ? getEpsilonAttr().getValueAsDouble() : 1e-12f;
    }
  }];
}

def ONNX_MSAttentionOp : ONNX_Op<"Attention", 7, 2, [Pure], "com.microsoft",
                                 "ms.Attention"> {
  let summary = "com.microsoft: multi-head self-attention with packed QKV";
  let description = [{
    `q, k, v = split(input · weights + bias)` (weights `[hidden_in,
    3·hidden]`, or `qkv_hidden_sizes`), each split into `num_heads` heads;
    `output = concat_heads(softmax(scale · q·kᵀ + mask) · v)` with `scale`
    defaulting to `1/sqrt(head_size)`. `mask_index` is i32 `[B]` (keys at or
    past the given end position are masked), `[2B]` (end and start
    positions), `[B, S_total]` (0 masks), `[B, S, S_total]` or
    `[B, 1, max, max]`; masked scores get `mask_filter_value` (-10000) added.
    `unidirectional` adds a causal mask. `past`/`present` hold the key/value
    cache `[2, B, N, S_past, head_size]`.
  }];
  let arguments = (ins AnyTensor:$input, AnyTensor:$weights,
                   ONNX_OptTensor:$bias, ONNX_OptTensor:$mask_index,
                   ONNX_OptTensor:$past, ONNX_OptTensor:$attention_bias,
                   ONNX_OptTensor:$past_sequence_length,
                   ONNX_IntAttr:$num_heads, ONNX_IntAttr:$unidirectional,
                   ONNX_IntsAttr:$qkv_hidden_sizes,
                   ONNX_IntAttr:$past_present_share_buffer,
                   ONNX_IntAttr:$do_rotary, ONNX_IntAttr:$rotary_embedding_dim,
                   ONNX_FloatAttr:$mask_filter_value, ONNX_FloatAttr:$scale);
  let results = (outs AnyTensor:$output, ONNX_OptTensor:$present);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getUnidirectionalOrDefault() {
      return getUnidirectionalAttr() ? getUnidirectionalAttr().getInt() : 0;
    }
    float getMaskFilterValueOrDefault() {
      return getMaskFilterValueAttr()
                 ? getMaskFilterValueAttr().getValueAsDouble()
                 : -10000.0f;
    }
    /// The q, k and v widths: `qkv_hidden_sizes`, else a third of the
    /// weights' columns each; nullopt when neither is known.
    std::optional<std::array<int64_t, 3>> getQkvWidths();
  }];
}

def ONNX_SkipLayerNormalizationOp : ONNX_Op<"SkipLayerNormalization", 5, 4,
    [Pure], "com.microsoft"> {
  let summary = "com.microsoft: LayerNorm(input + skip + bias)";
  let description = [{
    `s = input + skip (+ bias)`, `output = (s - mean) · inv_std_var · gamma
    (+ beta)` over the last dimension. `skip` is `input`'s shape or
    broadcasts to it (`[S, H]`, `[1, S, H]`). The optional outputs are
    `mean` and `inv_std_var` (f32, the last dimension 1) and
    `input_skip_bias_sum` (`s`).
  }];
  let arguments = (ins AnyTensor:$input, AnyTensor:$skip, AnyTensor:$gamma,
                   ONNX_OptTensor:$beta, ONNX_OptTensor:$bias,
                   ONNX_FloatAttr:$epsilon);
  let results = (outs AnyTensor:$output, ONNX_OptTensor:$mean,
                  ONNX_OptTensor:$inv_std_var,
                  ONNX_OptTensor:$input_skip_bias_sum);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    float getEpsilonOrDefault() {
      return getEpsilonAttr() ? getEpsilonAttr().getValueAsDouble() : 1e-12f;
    }
  }];
}

def ONNX_SkipSimplifiedLayerNormalizationOp
    : ONNX_Op<"SkipSimplifiedLayerNormalization", 4, 4, [Pure],
              "com.microsoft"> {
  let summary = "com.microsoft: RMSNorm(input + skip + bias)";
  let description = [{
    `s = input + skip (+ bias)`, `output = s · inv_std_var · gamma` with
    `inv_std_var = 1/sqrt(mean(s²) + epsilon)` over the last dimension.
    Outputs as SkipLayerNormalization (`mean` is declared by the schema but
    not computed by onnxruntime).
  }];
  let arguments = (ins AnyTensor:$input, AnyTensor:$skip, AnyTensor:$gamma,
                   ONNX_OptTensor:$bias, ONNX_FloatAttr:$epsilon);
  let results = (outs AnyTensor:$output, ONNX_OptTensor:$mean,
                  ONNX_OptTensor:$inv_std_var,
                  ONNX_OptTensor:$input_skip_bias_sum);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    float getEpsilonOrDefault() {
      return getEpsilonAttr() ? getEpsilonAttr().getValueAsDouble() : 1e-12f;
    }
  }];
}

def ONNX_SimplifiedLayerNormalizationOp
    : ONNX_Op<"SimplifiedLayerNormalization", 2, 2, [Pure]> {
  let summary = "onnxruntime (ai.onnx domain): RMSNorm over dims from `axis`";
  let description = [{
    `Y = X / sqrt(mean(X²) + epsilon) · scale` over the dimensions from
    `axis` (default -1) on; `inv_std_var` (optional) keeps the reduced
    dimensions as 1. onnxruntime registers it in the ai.onnx domain
    although it is not an ONNX operator.
  }];
  let arguments = (ins AnyTensor:$X, AnyTensor:$scale, ONNX_IntAttr:$axis,
                   ONNX_FloatAttr:$epsilon, ONNX_IntAttr:$stash_type);
  let results = (outs AnyTensor:$Y, ONNX_OptTensor:$inv_std_var);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getAxisOrDefault() {
      return getAxisAttr() ? getAxisAttr().getInt() : -1;
    }
    float getEpsilonOrDefault() {
      return getEpsilonAttr() ? getEpsilonAttr().getValueAsDouble() : 1e-5f;
    }
  }];
}

def ONNX_BiasGeluOp : ONNX_Op<"BiasGelu", 2, 1, [Pure], "com.microsoft"> {
  let summary = "com.microsoft: erf Gelu(A + B), B a bias over the last dim";
  let arguments = (ins AnyTensor:$A, AnyTensor:$B);
  let results = (outs AnyTensor:$C);
  let hasVerifier = 1;
}

def ONNX_FastGeluOp : ONNX_Op<"FastGelu", 2, 1, [Pure], "com.microsoft"> {
  let summary = "com.microsoft: tanh-approximated Gelu(X (+ bias))";
  let arguments = (ins AnyTensor:$X, ONNX_OptTensor:$bias);
  let results = (outs AnyTensor:$Y);
  let hasVerifier = 1;
}

def ONNX_GatherBlockQuantizedOp : ONNX_Op<"GatherBlockQuantized", 4, 1,
    [Pure], "com.microsoft"> {
  let summary = "com.microsoft: Gather of block-quantized data, dequantized";
  let description = [{
    Gathers `indices` along `gather_axis` (default 0) of `data` (int4/uint4,
    or uint8 holding `8/bits` values a byte along the last dimension) and
    dequantizes blocks of `block_size` (default 128) along `quantize_axis`
    (default last) with `scales` (and `zero_points`). The result has
    `scales`' element type. Typed only: no lowering yet.
  }];
  let arguments = (ins AnyTensor:$data, AnyTensor:$indices, AnyTensor:$scales,
                   ONNX_OptTensor:$zero_points, ONNX_IntAttr:$gather_axis,
                   ONNX_IntAttr:$quantize_axis, ONNX_IntAttr:$block_size,
                   ONNX_IntAttr:$bits);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
  let onnxExtraClassDeclaration = [{
    int64_t getGatherAxisOrDefault() {
      return getGatherAxisAttr() ? getGatherAxisAttr().getInt() : 0;
    }
    int64_t getBitsOrDefault() {
      return getBitsAttr() ? getBitsAttr().getInt() : 4;
    }
  }];
}

def ONNX_MSRotaryEmbeddingOp : ONNX_Op<"RotaryEmbedding", 4, 1, [Pure],
                                       "com.microsoft", "ms.RotaryEmbedding"> {
  let summary = "com.microsoft: rotary position embedding";
  let description = [{
    Rotates the first `rotary_embedding_dim` (default: all) channels of each
    head of `input` (`[B, S, hidden]` with `num_heads`, or `[B, N, S,
    head_size]`) by the `cos_cache`/`sin_cache` rows (`[positions,
    rotary/2]`) at `position_ids`: halves (x1, x2) → (x1·cos − x2·sin,
    x2·cos + x1·sin), or pairs (x[2i], x[2i+1]) when `interleaved`. The
    result has `input`'s type.
  }];
  let arguments = (ins AnyTensor:$input, AnyTensor:$position_ids,
                   AnyTensor:$cos_cache, AnyTensor:$sin_cache,
                   ONNX_IntAttr:$interleaved, ONNX_IntAttr:$is_packed_batching,
                   ONNX_IntAttr:$num_heads, ONNX_IntAttr:$rotary_embedding_dim,
                   ONNX_FloatAttr:$scale);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Control flow
//===----------------------------------------------------------------------===//

def ONNX_IfOp : ONNX_Op<"If", 1, -1,
    [RecursiveMemoryEffects, NoRegionArguments]> {
  let summary = "ONNX If: runs one of two single-block subgraphs";
  let description = [{
    Each branch is a single block without arguments, terminated by
    `onnx.yield` with one operand per result. Branches may use values from
    the enclosing graph.
  }];
  let arguments = (ins AnyTensor:$cond);
  let results = (outs Variadic<AnyType>:$outputs);
  let regions = (region SizedRegion<1>:$then_branch,
                        SizedRegion<1>:$else_branch);
  let hasVerifier = 1;
}

#endif // PEFT_DIALECT_ONNX_IR_ONNXOPS_TD
