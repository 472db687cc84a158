//===- PeftOps.td - peft dialect ops -----------------------*- tablegen -*-===//

#ifndef PEFT_DIALECT_PEFT_IR_PEFTOPS_TD
#define PEFT_DIALECT_PEFT_IR_PEFTOPS_TD

include "peft/Dialect/Peft/IR/PeftDialect.td"
include "peft/Dialect/Peft/IR/PeftAttrs.td"
include "peft/Dialect/Peft/IR/PeftInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Peft_LinearOp : Peft_Op<"linear", [Pure,
    DeclareOpInterfaceMethods<Peft_LinearLikeOpInterface,
                              ["getDenseWeightOperand", "getDenseWeightLayout"]>]> {
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

def Peft_LoraBankOp : Peft_Op<"lora_bank", [Pure, AttrSizedOperandSegments,
    AllTypesMatch<["base", "result"]>,
    DeclareOpInterfaceMethods<Peft_AdapterOpInterface>]> {
  let summary = "a bank of per-task LoRA adapters with ragged ranks and "
                "per-row task routing";
  let description = [{
    One linear layer's adapters for several tasks (continual learning,
    ../shared/REFERENCE.md §2, docs/banks.md). Task `t` has its own rank
    `r_t` (ragged: `0` when the task does not adapt this layer) and scale
    `s_t`; its `A_t` is rows `o_t .. o_t + r_t` of the stacked `lora_a`
    (`[Σ r_t, in]`) and its `B_t` the same columns of the stacked `lora_b`
    (`[out, Σ r_t]`), `o_t = Σ_{u<t} r_u`.

    With `task_ids` (int64 `[batch]`, the index of each row's task in the
    bank's order, −1 for none) the rows of the input — all its dimensions
    but the last, flattened — are split into `batch` equal consecutive
    groups and group `g` computes

    ```
    y_g = base_g + s_t · (x_g · A_tᵀ) · B_tᵀ     with t = task_ids[g]
    ```

    at task `t`'s own rank; a group whose id is −1 (or outside the bank) is
    `base_g`. Lowering runs, task by task, the two skinny products of the
    rows routed to that task only: never one full pass per task, never a
    dense `B·A`. A bank without `task_ids` is not routed yet: it must go
    through `peft-route-tasks` or `peft-select-task` before it is lowered.

    The bank's layout comes from its attributes (`tasks`, `ranks`,
    `scales`), or, for a runtime bank (`peft-bank-as-inputs`), from the
    operands `rank_offsets` (`[T + 1]`, nondecreasing, `o_0 = 0`, last
    `≤` the capacity `lora_a` has rows for) and `task_scales` (`[T]`), which
    are then function arguments; the attributes are absent.

    A bank cannot be merged into the layer's weight: `peft-select-task`
    turns it into the selected task's `peft.lora`, which can.

    Example (two tasks, ranks 2 and 4, routed):

    ```mlir
    %z = peft.lora_bank %x, %y, %a, %b task_ids %ids
           tasks ["sst2", "mnli"] ranks [2, 4] scales [2.0, 1.0]
           : tensor<?x8x64xf32>, tensor<?x8x64xf32>, tensor<6x64xf32>,
             tensor<64x6xf32>, tensor<?xi64>
    ```
  }];

  let arguments = (ins
    RankedTensorOf<[AnyFloat]>:$input,
    RankedTensorOf<[AnyFloat]>:$base,
    2DTensorOf<[AnyFloat]>:$lora_a,
    2DTensorOf<[AnyFloat]>:$lora_b,
    Optional<1DTensorOf<[I64]>>:$task_ids,
    Optional<1DTensorOf<[I64]>>:$rank_offsets,
    Optional<1DTensorOf<[AnyFloat]>>:$task_scales,
    OptionalAttr<StrArrayAttr>:$tasks,
    OptionalAttr<DenseI64ArrayAttr>:$ranks,
    OptionalAttr<DenseF64ArrayAttr>:$scales,
    OptionalAttr<StrAttr>:$adapter
  );
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);

  let assemblyFormat = [{
    $input `,` $base `,` $lora_a `,` $lora_b
    (`task_ids` $task_ids^)?
    (`runtime` `(` $rank_offsets^ `:` type($rank_offsets) `,` $task_scales `:`
      type($task_scales) `)`)?
    (`tasks` $tasks^)? (`ranks` $ranks^)? (`scales` $scales^)?
    (`adapter` $adapter^)? attr-dict
    `:` type($input) `,` type($base) `,` type($lora_a) `,` type($lora_b)
    (`,` type($task_ids)^)?
  }];
  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// Whether the bank's layout comes from runtime operands.
    bool isRuntime() { return static_cast<bool>(getRankOffsets()); }
    /// The number of tasks (of task slots, for a runtime bank).
    int64_t getNumTasks();
    /// The row offset of each task in the stacked A, and the total rank,
    /// from `ranks` (a static bank only): T + 1 entries.
    ::llvm::SmallVector<int64_t> getRankOffsetValues();
    /// The index of `task` in `tasks`, or nullopt.
    std::optional<int64_t> lookupTask(::llvm::StringRef task);
  }];
}

def Peft_IntWeight : 2DTensorOf<[I<2>, I<3>, I<4>, I8]>;

def Peft_QLinearOp : Peft_Op<"qlinear", [Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<Peft_LinearLikeOpInterface>]> {
  let summary = "a linear layer with an integer weight: y = x·Ŵᵀ + b";
  let description = [{
    A linear layer whose weight is stored as b-bit integers (b = 2, 3, 4 or
    8, the width of the weight's element type) with float scales and
    optional zero points (../shared/REFERENCE.md §3, docs/quantization.md):

    ```
    Ŵ[o, i] = scales[o, g(i)] · (weight[o, i] − zero_points[o, g(i)])
    y = x · Ŵᵀ + bias
    ```

    The weight is `[out, in]` (PyTorch's layout), its integers signed
    (two's complement, packed in its blob as a little-endian bit stream).
    Without `group_size` there is one scale per output channel
    (`scales : [out, 1]`); with it, one per group of `group_size`
    consecutive input features (`[out, ceil(in / group_size)]`). Zero
    points, when present, have the scales' shape and the weight's type and
    live on the same signed grid (an asymmetric b-bit grid shifted down by
    2^(b−1)); without them the grid is symmetric. Lowering dequantizes
    inside the contraction: no float copy of the weight is ever formed.

    Example (int4, groups of 32; zero points and bias, when present, carry
    their types inline):

    ```mlir
    %y = peft.qlinear %x, %q scales %s group_size 32 role q
           path "model.layers.0.self_attn.q_proj"
           : tensor<?x64xf32>, tensor<128x64xi4>, tensor<128x2xf32>
           -> tensor<?x128xf32>
    %z = peft.qlinear %x, %q3 scales %s3 zero_points %zp : tensor<8x3xi3>
           bias %b : tensor<8xf16> group_size 32 role down
           : tensor<?x96xf16>, tensor<8x96xi3>, tensor<8x3xf16>
           -> tensor<?x8xf16>
    ```
  }];

  let arguments = (ins
    RankedTensorOf<[AnyFloat]>:$input,
    Peft_IntWeight:$weight,
    2DTensorOf<[AnyFloat]>:$scales,
    Optional<Peft_IntWeight>:$zero_points,
    Optional<1DTensorOf<[AnyFloat]>>:$bias,
    OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$group_size,
    Peft_LinearRoleAttr:$role,
    OptionalAttr<StrAttr>:$path
  );
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);

  let assemblyFormat = [{
    $input `,` $weight `scales` $scales
    (`zero_points` $zero_points^ `:` type($zero_points))?
    (`bias` $bias^ `:` type($bias))? (`group_size` $group_size^)?
    `role` `` $role (`path` $path^)? attr-dict
    `:` type($input) `,` type($weight) `,` type($scales) `->` type($result)
  }];
  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// The weight's bit width b.
    int64_t getBits() {
      return getWeight().getType().getElementType().getIntOrFloatBitWidth();
    }
    /// Scales (and zero points) per output row.
    int64_t getGroupsPerRow() {
      int64_t in = getInFeatures();
      return getGroupSize() ? (in + *getGroupSize() - 1) / *getGroupSize() : 1;
    }
  }];
}

def Peft_LrqatLinearOp : Peft_Op<"lrqat_linear", [Pure,
    DeclareOpInterfaceMethods<Peft_LinearLikeOpInterface>]> {
  let summary = "LR-QAT's training-time linear: a low-rank term on the "
                "integer grid";
  let description = [{
    The forward of a linear layer during LR-QAT (arXiv 2406.06385,
    ../shared/REFERENCE.md §3):

    ```
    Ŵ = s ⊙ clamp(round_half_even(Φ0 + (α/r)·A·B), −2^(b−1), 2^(b−1)−1)
    y = x · Ŵᵀ + bias
    ```

    `phi0` is the frozen `Φ0 = W0 / s0` `[out, in]`, downcast in one of
    three forms told apart by its element type: `i8` with `bits` < 8 is
    fixed point with 8 − b fractional bits ("Q4.4" for b = 4: the value is
    `phi0 / 2^(8−b)`); an integer type of width `bits` holds the integers
    themselves; a float type (f16, bf16, f32) the values. `lora_a` is
    `A ∈ R^{out×r}`, `lora_b` is `B ∈ R^{r×in}` (the reference code's
    orientation), `alpha` is α; `scales` and `group_size` are as for
    `peft.qlinear` (symmetric grid). `peft-fold-lrqat` turns the op into a
    `peft.qlinear` bit-exactly.

    ```mlir
    %y = peft.lrqat_linear %x, %phi, %s, %a, %b bits 4 alpha 1.0 role q
           : tensor<?x64xf32>, tensor<128x64xi8>, tensor<128x1xf32>,
             tensor<128x32xf32>, tensor<32x64xf32> -> tensor<?x128xf32>
    ```
  }];

  let arguments = (ins
    RankedTensorOf<[AnyFloat]>:$input,
    2DTensorOf<[I<2>, I<3>, I<4>, I8, F16, BF16, F32]>:$phi0,
    2DTensorOf<[AnyFloat]>:$scales,
    2DTensorOf<[AnyFloat]>:$lora_a,
    2DTensorOf<[AnyFloat]>:$lora_b,
    Optional<1DTensorOf<[AnyFloat]>>:$bias,
    ConfinedAttr<I64Attr, [IntMinValue<2>, IntMaxValue<8>]>:$bits,
    F64Attr:$alpha,
    OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$group_size,
    Peft_LinearRoleAttr:$role,
    OptionalAttr<StrAttr>:$path
  );
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);

  let assemblyFormat = [{
    $input `,` $phi0 `,` $scales `,` $lora_a `,` $lora_b (`bias` $bias^)?
    `bits` $bits `alpha` $alpha (`group_size` $group_size^)? `role` `` $role
    (`path` $path^)? attr-dict `:` type($input) `,` type($phi0) `,`
    type($scales) `,` type($lora_a) `,` type($lora_b) (`,` type($bias)^)?
    `->` type($result)
  }];
  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// The rank r (columns of A).
    int64_t getRank() { return getLoraA().getType().getDimSize(1); }
    /// α / r.
    double getLowRankScale() {
      return getAlpha().convertToDouble() / double(getRank());
    }
    /// Whether Φ0 is stored in fixed point (i8 with bits < 8).
    bool isFixedPointPhi() {
      Type t = getPhi0().getType().getElementType();
      return t.isInteger(8) && getBits() < 8;
    }
  }];
}

def Peft_LowRankOp : Peft_Op<"lowrank", [Pure,
    DeclareOpInterfaceMethods<Peft_LinearLikeOpInterface>]> {
  let summary = "a factored linear layer: y = x·Vᵀ·Uᵀ + b";
  let description = [{
    A linear layer whose weight is the product of two factors, `W ≈ U·V`
    with `U ∈ R^{out×k}` and `V ∈ R^{k×in}` (k ≥ 1), on the last dimension
    of `input`:

    ```
    y = (x · Vᵀ) · Uᵀ + bias
    ```

    `peft-lowrank-svd` creates it from a `peft.linear` (truncated or
    activation-whitened SVD, docs/modegpt.md); it holds k·(out + in)
    parameters instead of out·in. Lowering computes the two skinny products
    and never forms `U·V`; f16/bf16 layers accumulate in f32 and round
    `x·Vᵀ` to the element type before the second product (as two ONNX
    MatMuls do). The layer has no dense weight: merges refuse it, LoRA
    adapters stack on its output as on any linear layer. `role` and `path`
    are those of the layer it replaced.

    Example (k = 16):

    ```mlir
    %y = peft.lowrank %x, %u, %v, %b role down
           path "model.layers.0.mlp.down_proj"
           : tensor<?x128xf32>, tensor<64x16xf32>, tensor<16x128xf32>,
             tensor<64xf32> -> tensor<?x64xf32>
    ```
  }];

  let arguments = (ins
    RankedTensorOf<[AnyFloat]>:$input,
    2DTensorOf<[AnyFloat]>:$u,
    2DTensorOf<[AnyFloat]>:$v,
    Optional<1DTensorOf<[AnyFloat]>>:$bias,
    Peft_LinearRoleAttr:$role,
    OptionalAttr<StrAttr>:$path
  );
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);

  let assemblyFormat = [{
    $input `,` $u `,` $v (`,` $bias^)? `role` `` $role (`path` $path^)?
    attr-dict `:` type($input) `,` type($u) `,` type($v)
    (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// The rank k (columns of U, rows of V).
    int64_t getRank() { return getU().getType().getDimSize(1); }
  }];
}

#endif // PEFT_DIALECT_PEFT_IR_PEFTOPS_TD
