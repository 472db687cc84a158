//===- PeftOps.td - peft dialect ops -----------------------*- tablegen -*-===//

#ifndef PEFT_DIALECT_PEFT_IR_PEFTOPS_TD
#define PEFT_DIALECT_PEFT_IR_PEFTOPS_TD

include "peft/Dialect/Peft/IR/PeftDialect.td"
include "peft/Dialect/Peft/IR/PeftAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Peft_LinearOp : Peft_Op<"linear", [Pure]> {
  let summary = "a linear layer: y = x·Wᵀ + b";
  let description = [{
    A linear (fully connected) layer applied to the last dimension of
    `input`. The weight is stored either PyTorch-style (`out_in`,
    `W ∈ R^{out×in}`, computing `x·Wᵀ`) or pre-transposed the way ONNX
    exporters store it (`in_out`, `Wᵀ ∈ R^{in×out}`, computing `x·W`). The
    layout is recorded once, when the layer is recognized, so that export can
    write the weight back in the form it came in.

    `role` says what the layer does in its transformer block; `path` is the
    module path of the source framework (`model.layers.0.self_attn.q_proj`),
    used to match adapters and to name the layer in diagnostics.

    Example:

    ```mlir
    %y = peft.linear %x, %w, %b layout out_in role q
           path "model.layers.0.self_attn.q_proj"
           : tensor<?x?x64xf32>, tensor<128x64xf32>, tensor<128xf32>
           -> tensor<?x?x128xf32>
    ```
  }];

  let arguments = (ins
    RankedTensorOf<[AnyFloat]>:$input,
    2DTensorOf<[AnyFloat]>:$weight,
    Optional<1DTensorOf<[AnyFloat]>>:$bias,
    Peft_WeightLayoutAttr:$layout,
    Peft_LinearRoleAttr:$role,
    OptionalAttr<StrAttr>:$path
  );
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);

  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? `layout` `` $layout `role` `` $role
    (`path` $path^)? attr-dict `:` type($input) `,` type($weight)
    (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// Number of input features (the contracted dimension).
    int64_t getInFeatures();
    /// Number of output features.
    int64_t getOutFeatures();
  }];
}

#endif // PEFT_DIALECT_PEFT_IR_PEFTOPS_TD
