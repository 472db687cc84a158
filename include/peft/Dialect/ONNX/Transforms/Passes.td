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

#endif // PEFT_DIALECT_ONNX_TRANSFORMS_PASSES_TD
