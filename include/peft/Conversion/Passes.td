//===- Passes.td - peft conversion passes ------------------*- tablegen -*-===//

#ifndef PEFT_CONVERSION_PASSES_TD
#define PEFT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertPeftToLinalg : Pass<"convert-peft-to-linalg"> {
  let summary = "Lower peft ops to linalg, tensor and arith";
  let description = [{
    Rewrites `peft` ops into structured linalg ops on tensors, ready for the
    CPU (`peft-lower-to-llvm`) and GPU pipelines.

    `peft.linear` becomes one `linalg.matmul` over the input with its leading
    dimensions collapsed into rows (an `out_in` weight is read transposed
    through the matmul's `indexing_maps`, never copied), followed by a
    broadcast bias add. Dynamic leading dimensions stay dynamic.

    Example:

    ```mlir
    %y = peft.linear %x, %w, %b layout out_in role other
           : tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<?x3xf32>
    ```

    becomes

    ```mlir
    %e = tensor.empty(%rows) : tensor<?x3xf32>
    %z = linalg.fill ins(%cst : f32) outs(%e : tensor<?x3xf32>) -> tensor<?x3xf32>
    %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                        affine_map<(m, n, k) -> (n, k)>,
                                        affine_map<(m, n, k) -> (m, n)>]
           ins(%x, %w : tensor<?x4xf32>, tensor<3x4xf32>)
           outs(%z : tensor<?x3xf32>) -> tensor<?x3xf32>
    %y = linalg.generic {...} ins(%m, %b : ...) outs(%e : ...) { arith.addf }
    ```

    An op that has no lowering is reported as an error at its location.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::tensor::TensorDialect"
  ];
}

#endif // PEFT_CONVERSION_PASSES_TD
