//===- Passes.td - onnx dialect transformation passes ------*- tablegen -*-===//

#ifndef PEFT_DIALECT_ONNX_TRANSFORMS_PASSES_TD
#define PEFT_DIALECT_ONNX_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def ONNXCleanup : Pass<"onnx-cleanup", "func::FuncOp"> {
  let summary = "Fold shape arithmetic, refine static shapes, drop dead ops";
  let description = [{
    Exported models compute most of their shapes at run time: `Shape` →
    `Gather` → `Unsqueeze` → `Concat` → `Reshape` chains, `Constant` nodes,
    `ConstantOfShape`, `Range`, `Cast`, `Equal`/`Where` on i64 vectors. This
    pass

    * folds onnx ops whose inputs are constant, and shape computations whose
      selected dimensions are static (`Gather(Shape(x), 2)` when dim 2 of `x`
      is static), into `onnx.Constant` ops of at most `max-fold-elements`
      elements, so that weights are never copied;
    * merges adjacent constant inputs of `Concat`;
    * refines result types from what the operands now say (a `Reshape` to a
      constant shape, elementwise ops on static operands, ...), but only for
      values all of whose users are onnx ops (other than `onnx.yield`):
      `func.return` operands keep their types. A dimension that depends on a
      dynamic graph input dimension stays dynamic;
    * erases dead pure ops, including unused `onnx.none` and initializers.

    Equal constants are not merged, so every initializer keeps its name; a
    folded op's output name (`onnx.outputs`) and location move to the
    constant that replaces it.

    Example:

    ```mlir
    %s = "onnx.Shape"(%x) : (tensor<?x8xf32>) -> tensor<2xi64>
    %i = "onnx.Constant"() <{value = dense<1> : tensor<i64>}> : () -> tensor<i64>
    %d = "onnx.Gather"(%s, %i) <{axis = 0 : i64}> : (tensor<2xi64>, tensor<i64>) -> tensor<i64>
    ```

    becomes

    ```mlir
    %d = "onnx.Constant"() <{value = dense<8> : tensor<i64>}> : () -> tensor<i64>
    ```
  }];
  let options = [
    Option<"maxFoldElements", "max-fold-elements", "int64_t",
           /*default=*/"1024",
           "Largest constant, in elements, that a fold reads or creates">
  ];
  let dependentDialects = ["::mlir::peft::onnx_ir::ONNXDialect"];
}

def ONNXDecomposeFusedOps : Pass<"onnx-decompose-fused-ops", "func::FuncOp"> {
  let summary = "Expand the opset-23 fused transformer ops into standard onnx ops";
  let description = [{
    `RMSNormalization`, `RotaryEmbedding` and `Attention` (ai.onnx, opset 23)
    become the onnx ops of their ONNX function bodies, which
    `convert-onnx-to-linalg` lowers and every back end handles:

    * `RMSNormalization`: `Mul`, `ReduceMean` over `[axis, rank)`, `Add` of
      `epsilon`, `Sqrt`, `Reciprocal`, `Mul` by `scale`, computed in
      `stash_type` (a `Cast` when it differs from X's type);
    * `RotaryEmbedding`: 3-D or 4-D input brought to `[batch, seq, heads,
      head_size]`, `Gather` of the caches at `position_ids`, `Slice` of the
      rotated channels (halves, or even/odd pairs through a `Reshape` when
      `interleaved`), the rotation by `Mul`/`Sub`/`Add`, `Concat` back;
    * `Attention`: 3-D inputs split into heads, `Concat` of the past
      key/value, grouped-query heads repeated by `Unsqueeze`/`Expand`/
      `Reshape`, `Q·√scale · (K·√scale)ᵀ` by `MatMul`, softcap
      (`Div`/`Tanh`/`Mul`), the bias (`Where` of a boolean mask, `Pad` of a
      short one with -inf, the causal mask and Attention-25's sliding
      window as `Trilu` of a -inf `ConstantOfShape` offset by the past
      length), `Softmax` (in
      `softmax_precision`), the zero guard of fully masked rows
      (`ReduceMax`/`Equal`/`Where`) and the `MatMul` by V.

    A form this pass cannot expand (an unranked input, a head size that is
    not static where the expansion needs it) is an error naming the node
    and what is missing; the op is never left half rewritten.

    Example:

    ```mlir
    %y = "onnx.RMSNormalization"(%x, %s) <{epsilon = 1.0e-06 : f32}>
           : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    ```

    becomes

    ```mlir
    %sq = "onnx.Mul"(%x, %x) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    %axes = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}> : () -> tensor<1xi64>
    %none = onnx.none
    %mean = "onnx.ReduceMean"(%sq, %axes) : (tensor<2x8xf32>, tensor<1xi64>) -> tensor<2x1xf32>
    %eps = "onnx.Constant"() <{value = dense<1.0e-06> : tensor<f32>}> : () -> tensor<f32>
    %var = "onnx.Add"(%mean, %eps) : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
    %rms = "onnx.Sqrt"(%var) : (tensor<2x1xf32>) -> tensor<2x1xf32>
    %inv = "onnx.Reciprocal"(%rms) : (tensor<2x1xf32>) -> tensor<2x1xf32>
    %n = "onnx.Mul"(%x, %inv) : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
    %y = "onnx.Mul"(%n, %s) : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    ```
  }];
  let dependentDialects = ["::mlir::peft::onnx_ir::ONNXDialect"];
}

def ONNXDecomposeContribOps : Pass<"onnx-decompose-contrib-ops",
                                   "func::FuncOp"> {
  let summary = "Expand onnxruntime contrib ops into standard onnx ops";
  let description = [{
    Rewrites the fused ops of onnxruntime's transformer optimizer into the
    ai.onnx ops (opset 13 forms, any opset from 13 on) that
    `convert-onnx-to-linalg` lowers and the exporter writes, following
    onnxruntime's CPU kernels:

    * `SkipLayerNormalization`: Add(s) + `LayerNormalization` (its Mean and
      InvStdDev are the `mean`/`inv_std_var` outputs; the sum is
      `input_skip_bias_sum`);
    * `SimplifiedLayerNormalization`, `SkipSimplifiedLayerNormalization`:
      x · 1/sqrt(ReduceMean(x²) + ε) · scale;
    * `BiasGelu`, `FastGelu`: Add + the erf / tanh GELU as Erf / Tanh
      arithmetic (`onnx.Gelu` needs opset 20);
    * `EmbedLayerNormalization`: Gathers + Adds + `LayerNormalization`, and
      the `mask_index` (ones per mask row) by Equal + Cast + ReduceSum;
    * `com.microsoft.Attention` (packed `[hidden, 3·hidden]` weights, an
      optional bias, `mask_index` absent, 1-D end positions `[B]` or a 2-D
      key mask): one MatMul + Add + Split (GPT-2's c_attn form, so
      `peft-raise-linear` finds one `qkv` linear where the unfused model has
      `q`, `k`, `v`), Reshape/Transpose into heads, the scaled MatMul, the
      mask (and, with `unidirectional`, the causal mask) as an additive
      bias, Softmax, MatMul and the head merge.

    * `com.microsoft.RotaryEmbedding` (2-D position ids, halves or
      interleaved pairs, partial rotary): Gathers of the cos/sin rows,
      Slices, Mul/Sub/Add, Concat (Reshapes into heads and pairs).

    Forms it does not expand (key/value cache, attention bias, `[2·B]` and
    3-D/4-D masks, packed batching, non-f32 types, `GatherBlockQuantized`)
    are located errors.

    Example:

    ```mlir
    %y:4 = "onnx.SkipLayerNormalization"(%x, %skip, %gamma, %beta, %none)
        <{epsilon = 1.0e-05 : f32}>
        : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>, none)
        -> (tensor<2x8xf32>, none, none, none)
    ```

    becomes

    ```mlir
    %s = "onnx.Add"(%x, %skip)
        : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    %y, %mean, %inv_std_var = "onnx.LayerNormalization"(%s, %gamma, %beta)
        <{axis = -1 : i64, epsilon = 9.99999974E-6 : f32}>
        : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>)
        -> (tensor<2x8xf32>, tensor<2x1xf32>, tensor<2x1xf32>)
    ```
  }];
  let dependentDialects = ["::mlir::peft::onnx_ir::ONNXDialect"];
}

#endif // PEFT_DIALECT_ONNX_TRANSFORMS_PASSES_TD
