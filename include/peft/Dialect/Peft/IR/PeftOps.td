//===- PeftOps.td - peft dialect ops -----------------------*- tablegen -*-===//

#ifndef PEFT_DIALECT_PEFT_IR_PEFTOPS_TD
#define PEFT_DIALECT_PEFT_IR_PEFTOPS_TD

include "peft/Dialect/Peft/IR/PeftDialect.td"
include "peft/Dialect/Peft/IR/PeftAttrs.td"
include "peft/Dialect/Peft/IR/PeftInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Peft_LinearOp : Peft_Op<"linear", [Pure,
    DeclareOpInterfaceMethods<Peft_LinearLikeOpInterface>]> {
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
}

def Peft_LoraOp : Peft_Op<"lora", [Pure, AttrSizedOperandSegments,
    AllTypesMatch<["base", "result"]>,
    DeclareOpInterfaceMethods<Peft_AdapterOpInterface>]> {
  let summary = "a low-rank adapter on a linear layer: y = base + s·(x·Aᵀ)·Bᵀ";
  let description = [{
    Adds a LoRA update to the output of a linear layer. `base` is the output
    of the layer the adapter belongs to, or the result of the adapter below
    it in the layer's stack (docs/lora.md, "Adapter stacks"), and `input`
    must be that layer's input. `lora_a` is `A ∈ R^{r×in}`, `lora_b` is
    `B ∈ R^{out×r}` and `scale` is `s` (`α/r`, or `α/√r` for rsLoRA):

    ```
    y = base + s · (x · Aᵀ) · Bᵀ
    ```

    Lowering computes the two skinny products and never materializes `B·A`.

    With `magnitude` (a vector `m ∈ R^{out}`) the adapter is DoRA and the
    base must be the layer's output itself:
    `y = m ⊙ (x·W0ᵀ + s·x·Aᵀ·Bᵀ) / ‖W0 + s·B·A‖_row + bias`, the norm taken
    per output row (Hugging Face PEFT's forward).

    `merged` says the update has been folded into the base weight
    (`peft-merge-lora`): the op is then the identity on `base` and only
    remembers `A`, `B` and `s` so that `peft-unmerge-lora` can take the update
    out again. `weight_norm` is set by the DoRA merge: the row norms
    `‖W0 + s·B·A‖` that the unmerge divides back out.

    `adapter` names the adapter (the PEFT adapter name, `default`).

    Example:

    ```mlir
    %y = peft.linear %x, %w layout out_in role q
           : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
    %z = peft.lora %x, %y, %a, %b scale 2.0 adapter "default"
           : tensor<?x64xf32>, tensor<?x64xf32>, tensor<8x64xf32>,
             tensor<64x8xf32>
    ```
  }];

  let arguments = (ins
    RankedTensorOf<[AnyFloat]>:$input,
    RankedTensorOf<[AnyFloat]>:$base,
    2DTensorOf<[AnyFloat]>:$lora_a,
    2DTensorOf<[AnyFloat]>:$lora_b,
    Optional<1DTensorOf<[AnyFloat]>>:$magnitude,
    Optional<1DTensorOf<[AnyFloat]>>:$weight_norm,
    F64Attr:$scale,
    OptionalAttr<StrAttr>:$adapter,
    UnitAttr:$merged
  );
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);

  let assemblyFormat = [{
    $input `,` $base `,` $lora_a `,` $lora_b
    (`magnitude` $magnitude^)? (`weight_norm` $weight_norm^)?
    `scale` $scale (`adapter` $adapter^)? (`merged` $merged^)? attr-dict
    `:` type($input) `,` type($base) `,` type($lora_a) `,` type($lora_b)
    (`,` type($magnitude)^)? (`,` type($weight_norm)^)?
  }];
  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// The peft.linear at the bottom of this adapter's stack, or null when
    /// the layer is another LinearLike op.
    LinearOp getLinear();
    /// The adapter rank r (rows of A).
    int64_t getRank() { return getLoraA().getType().getDimSize(0); }
  }];
}

def Peft_IA3Op : Peft_Op<"ia3", [Pure, AllTypesMatch<["base", "result"]>,
    DeclareOpInterfaceMethods<Peft_AdapterOpInterface>]> {
  let summary = "an IA³ adapter: learned rescaling of a linear layer";
  let description = [{
    IA³ (arXiv 2205.05638) on a linear layer. Without `feedforward` the
    value below it in the layer's adapter stack is scaled,
    `y = base ⊙ l` with `l ∈ R^{out}` (PEFT's k/v targets; the bias is
    scaled too); `base` is the layer's output or an adapter's result. With `feedforward` the layer's input features are scaled
    before the product, `y = (x ⊙ l)·Wᵀ + b` with `l ∈ R^{in}` (PEFT's
    `feedforward_modules`, the MLP down projection); such an adapter
    recomputes the layer, so its base must be the layer's output. `peft-merge-lora`
    folds both into the weight.

    ```mlir
    %y = peft.linear %x, %w layout out_in role k
           : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
    %z = peft.ia3 %y, %l : tensor<?x64xf32>, tensor<64xf32>
    ```
  }];

  let arguments = (ins
    RankedTensorOf<[AnyFloat]>:$base,
    1DTensorOf<[AnyFloat]>:$scaling,
    UnitAttr:$feedforward,
    OptionalAttr<StrAttr>:$adapter
  );
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);

  let assemblyFormat = [{
    $base `,` $scaling (`feedforward` $feedforward^)? (`adapter` $adapter^)?
    attr-dict `:` type($base) `,` type($scaling)
  }];
  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// The peft.linear at the bottom of this adapter's stack, or null.
    LinearOp getLinear();
  }];
}

#endif // PEFT_DIALECT_PEFT_IR_PEFTOPS_TD
