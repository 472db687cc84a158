//===- Passes.td - peft dialect transformation passes ------*- tablegen -*-===//

#ifndef PEFT_DIALECT_PEFT_TRANSFORMS_PASSES_TD
#define PEFT_DIALECT_PEFT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def PeftListLinears : Pass<"peft-list-linears"> {
  let summary = "Print a table of the recognized linear layers";
  let description = [{
    Walks every `peft.linear` nested under the operation and prints one row
    per layer: module path, role, input and output features, weight layout,
    whether it has a bias, and the source location (for imported ONNX models,
    the node name). The IR is not changed.

    Example: for

    ```mlir
    %0 = peft.linear %x, %wq layout in_out role q
           path "model.layers.0.self_attn.q_proj"
           : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
    ```

    `peft-opt --peft-list-linears -o /dev/null model.mlir` prints

    ```
    path                             role  in  out  layout  bias  location
    model.layers.0.self_attn.q_proj  q     64  64   in_out  no    model.mlir:3:6
    ```
  }];
  let options = [
    Option<"outputFile", "output", "std::string", /*default=*/"\"-\"",
           "Where to write the table ('-' for standard output)">
  ];
}

#endif // PEFT_DIALECT_PEFT_TRANSFORMS_PASSES_TD
