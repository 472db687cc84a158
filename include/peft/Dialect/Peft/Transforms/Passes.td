//===- Passes.td - peft dialect transformation passes ------*- tablegen -*-===//

#ifndef PEFT_DIALECT_PEFT_TRANSFORMS_PASSES_TD
#define PEFT_DIALECT_PEFT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def PeftListLinears : Pass<"peft-list-linears"> {
  let summary = "Print a table of the recognized linear layers";
  let description = [{
    Walks every linear-like layer (`peft.linear`, `peft.qlinear`,
    `peft.lrqat_linear`) nested under the operation and prints one row per
    layer: module path, op, role, input and output features, weight layout
    (`-` without a dense float weight), whether it has a bias, the name of
    the weight it computes with (its initializer or resource name) and the
    source location (for imported ONNX models, the node name). The IR is not
    changed.

    Example: for

    ```mlir
    %wq = onnx.initializer "wq" dense_resource<wq> : tensor<64x64xf32>
    %0 = peft.linear %x, %wq layout in_out role q
           path "model.layers.0.self_attn.q_proj"
           : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
    ```

    `peft-opt --peft-list-linears -o /dev/null model.mlir` prints

    ```
    path                             op      role  in  out  layout  bias  weight  location
    model.layers.0.self_attn.q_proj  linear  q     64  64   in_out  no    wq      model.mlir:4:6
    ```
  }];
  let options = [
    Option<"outputFile", "output", "std::string", /*default=*/"\"-\"",
           "Where to write the table ('-' for standard output)">
  ];
}

def PeftListModules : Pass<"peft-list-modules"> {
  let summary = "Print the transformer blocks: attention and MLP modules";
  let description = [{
    Runs module recognition (`peft/Dialect/Peft/Analysis/ModuleRecognition.h`)
    on a raised graph (after `peft-raise-linear`) and prints one row per
    module: block index, the module path prefix its linears share, the kind
    (`attention`, `mlp`, or `none` for a linear in no module), for attention
    the query heads, key/value heads, head dim, query heads per key/value
    head, the rotary embedding (`none`, `half` for rotate_half, `interleaved`)
    and the shape of its cos table, and the softmax scale; for an MLP the
    activation (`silu`, `gelu_erf`, `gelu_tanh`, `gelu`, `relu`) and the
    intermediate size; the block's residual stream values `x_in`, `x_out`
    (the ops computing them); last the linears as `role=path` (paths relative
    to the prefix; a fused projection as `q=path[begin:end]`). Head counts come from
    the head split Reshape shapes and the weight widths, never from names. An
    ambiguous graph (inconsistent head shapes, a q/k/v/o/gate/up/down linear
    in no module, an o fed by two attentions, ...) is an error at the
    offending op. The IR is not changed.

    Example: for the LLaMA test model (`test/models/gen_models.py`,
    `llama_opset17`: 2 layers, 4 query / 2 key-value heads of 16, rotary,
    SwiGLU MLP of 128),
    `peft-opt llama_opset17.onnx --peft-raise-linear --peft-list-modules -o /dev/null`
    prints (block 1 elided; `x_in` / `x_out` name the ops computing the
    residual stream, here by ONNX node name)

    ```
    block  prefix          module     heads  kv_heads  head_dim  groups  rotary  table     scale  activation  inter  x_in                                  x_out                  linears
    0      model.layers.0  attention  4      2         16        2       half    1x1x?x16  0.25   -           -      /model/layers.0/input_layernorm/Cast  /model/layers.0/Add_1  q=self_attn.q_proj,k=self_attn.k_proj,v=self_attn.v_proj,o=self_attn.o_proj
    0      model.layers.0  mlp        -      -         -         -       -       -         -      silu        128    /model/layers.0/input_layernorm/Cast  /model/layers.0/Add_1  gate=mlp.gate_proj,up=mlp.up_proj,down=mlp.down_proj
    ...
    -      -               none       -      -         -         -       -       -         -      -           -      -                                     -                      other=lm_head
    2 blocks, 2 attention, 2 mlp, 1 linear in no module
    ```
  }];
  let options = [
    Option<"outputFile", "output", "std::string", /*default=*/"\"-\"",
           "Where to write the table ('-' for standard output)">
  ];
}

def PeftRaiseLinear : Pass<"peft-raise-linear", "func::FuncOp"> {
  let summary = "Recognize linear layers of an imported ONNX graph as peft.linear";
  let description = [{
    Rewrites every linear layer of an imported ONNX graph into `peft.linear`:

    - `MatMul(x, W)` with a constant 2-D weight: an initializer (`in_out`),
      or a parameter behind `Transpose(perm = [1, 0])` (`out_in`, the
      parameter itself is used), plus an optional following `Add` of a
      constant bias vector (either operand order);
    - `Gemm(x, W, C)` with `transA = 0`, any `transB`, `alpha`, `beta`
      (folded into new weight and bias blobs only when not 1; a `[1, out]`
      or scalar `C` becomes a new bias vector);
    - either of them between a `Reshape` of `x` to `[rows, in]` and a
      `Reshape` back to `x.shape[:-1] + [out]` (GPT-2's `Conv1D`, exported as
      `Reshape → Gemm → Reshape` on an `[in, out]` weight): the layer is
      then applied to `x` itself;
    - with a quantized weight, as `peft.qlinear` (docs/quantization.md,
      "ONNX"): `com.microsoft.MatMulNBits` with constant B, scales and zero
      points, and QDQ weights, i.e. any of the above whose weight is a
      `DequantizeLinear` of constant int8/uint8/int4/uint4 integers with
      scales per tensor, per output channel or in blocks along the input
      (unsigned integers and zero points shifted to the signed grid). A
      `DequantizeLinear` that maps onto no `peft.qlinear` exactly stays an
      onnx op.

    Products of two computed values (`QKᵀ`, attention × V) stay onnx ops.
    Result types of onnx ops are first refined from their operands (as
    `onnx-cleanup` does, folding nothing) so that inputs behind a `Reshape`
    to a computed shape are ranked.

    The module path comes from the exporter's node scope
    (`/model/layers.0/self_attn/q_proj/MatMul` gives
    `model.layers.0.self_attn.q_proj`), else from the weight's initializer
    name (`model.layers.0.self_attn.q_proj.weight`).

    The role is inferred from the graph topology, never from names, by a
    forward dataflow that follows values through data movement and
    elementwise ops (reshapes, transposes, slices, rotary arithmetic,
    scaling, masking): q and k feed the left and right operands of the
    `QKᵀ` product that reaches a softmax, v feeds the product with the
    softmax, o consumes the result of that product, a projection reaching
    two or three of q, k, v (split by `Split` or `Slice`s) is `qkv`, gate and
    up meet at the product after the activation (gate is the activated one)
    and down consumes it, and in a plain MLP (linear → GELU → linear, with
    a residual connection) the layer before the activation is up and the
    one after it down. Anything else is `other`. Layers that already were
    `peft.linear` keep their roles.

    Example:

    ```mlir
    %w = onnx.initializer "onnx::MatMul_12" dense_resource<w> : tensor<64x64xf32>
    %y = "onnx.MatMul"(%x, %w) : (tensor<?x?x64xf32>, tensor<64x64xf32>)
           -> tensor<?x?x64xf32> loc("/model/layers.0/self_attn/q_proj/MatMul")
    ```

    becomes

    ```mlir
    %y = peft.linear %x, %w layout in_out role q
           path "model.layers.0.self_attn.q_proj"
           : tensor<?x?x64xf32>, tensor<64x64xf32> -> tensor<?x?x64xf32>
    ```
  }];
  let dependentDialects = ["mlir::peft::PeftDialect",
                           "mlir::peft::onnx_ir::ONNXDialect",
                           "mlir::tensor::TensorDialect"];
}

def PeftInsertLora : Pass<"peft-insert-lora"> {
  let summary = "Attach new LoRA adapters to selected linear layers";
  let description = [{
    Adds a `peft.lora` to every `peft.linear` selected by `targets`,
    `target-regex` or `roles`, with Hugging Face PEFT's semantics
    (`LoraConfig`): `targets` entries match a module path exactly or as a
    dotted suffix (`q_proj` matches `model.layers.0.self_attn.q_proj`);
    `all-linear` selects every linear but the output head; `target-regex`
    must match the whole path; `roles` selects by inferred role.

    The scale is `alpha / rank` (`alpha / sqrt(rank)` with `rslora`);
    `rank-pattern` and `alpha-pattern` (`key=value` entries, the key a regex
    matched against the end of the path) override rank and alpha per layer.
    Unknown `init` or `roles` values and malformed pattern entries are
    rejected when the options are parsed, before any pass runs.

    `init` chooses the initialization: `kaiming` (PEFT's default: B = 0,
    A Kaiming-uniform with a = √5), `gaussian` (B = 0, A ~ N(0, 1/r²)),
    `zeros` (A = B = 0), and `pissa` / `olora`, which take A and B from the
    SVD or QR of the base weight (computed in double precision) and rewrite
    the base weight to `W − s·B·A` so that the layer computes the same
    function. Random draws use `seed` with our own generator: PEFT's
    distributions, not torch's bit stream.

    Example (`targets=q_proj rank=4 alpha=8`):

    ```mlir
    %y = peft.linear %x, %w layout out_in role q path "l.q_proj" : ...
    ```

    becomes

    ```mlir
    %y = peft.linear %x, %w layout out_in role q path "l.q_proj" : ...
    %a = onnx.initializer "l.q_proj.lora_A.default.weight" dense_resource<...> : tensor<4x64xf32>
    %b = onnx.initializer "l.q_proj.lora_B.default.weight" dense_resource<...> : tensor<64x4xf32>
    %z = peft.lora %x, %y, %a, %b scale 2.0 adapter "default" : ...
    ```
  }];
  let options = [
    ListOption<"targets", "targets", "std::string",
               "Module names to adapt (exact path or dotted suffix), or "
               "'all-linear'">,
    Option<"targetRegex", "target-regex", "std::string", /*default=*/"\"\"",
           "Regex that must match a whole module path">,
    // The role names are in llvm::cl::parser<LinearRole> (PassOptions.h):
    // `cl::values` would not reach the parser of a list's elements.
    ListOption<"roles", "roles", "::mlir::peft::LinearRole",
               "Roles to adapt, as peft-raise-linear inferred them: q, k, v, "
               "o, qkv, gate, up, down, other">,
    Option<"rank", "rank", "int64_t", /*default=*/"8", "LoRA rank r">,
    Option<"alpha", "alpha", "double", /*default=*/"8.0", "LoRA alpha">,
    Option<"rslora", "rslora", "bool", /*default=*/"false",
           "Scale by alpha/sqrt(r) (rank-stabilized LoRA)">,
    Option<"init", "init", "::mlir::peft::LoraInitKind",
           /*default=*/"::mlir::peft::LoraInitKind::Kaiming",
           "Initialization of A and B: zeros, gaussian, kaiming, pissa or "
           "olora",
           [{::llvm::cl::values(
             clEnumValN(::mlir::peft::LoraInitKind::Zeros, "zeros",
                        "A = B = 0"),
             clEnumValN(::mlir::peft::LoraInitKind::Gaussian, "gaussian",
                        "B = 0, A ~ N(0, 1/r^2)"),
             clEnumValN(::mlir::peft::LoraInitKind::Kaiming, "kaiming",
                        "B = 0, A Kaiming-uniform (a = sqrt(5)), PEFT's default"),
             clEnumValN(::mlir::peft::LoraInitKind::PiSSA, "pissa",
                        "A, B from the SVD of W; W becomes W - s*B*A"),
             clEnumValN(::mlir::peft::LoraInitKind::OLoRA, "olora",
                        "A, B from the QR of W; W becomes W - s*B*A"))}]>,
    ListOption<"rankPattern", "rank-pattern", "::mlir::peft::RankPatternEntry",
               "Per-layer ranks, 'regex=rank' entries (rank an integer > 0)">,
    ListOption<"alphaPattern", "alpha-pattern",
               "::mlir::peft::AlphaPatternEntry",
               "Per-layer alphas, 'regex=alpha' entries (alpha > 0)">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of the random initializations">,
    Option<"adapterName", "adapter", "std::string", /*default=*/"\"default\"",
           "Name of the adapter">
  ];
  let dependentDialects = ["mlir::peft::PeftDialect",
                           "mlir::arith::ArithDialect"];
}

def PeftLoadAdapter : Pass<"peft-load-adapter"> {
  let summary = "Attach a Hugging Face PEFT adapter read from disk";
  let description = [{
    Reads a PEFT adapter directory (`adapter_config.json` and
    `adapter_model.safetensors`; `path` may also name the safetensors file,
    with the config beside it) and attaches its adapters to the
    `peft.linear` layers they name. Run it on the module (or whatever holds
    every adapted layer): keys are matched against the layers below the
    operation it runs on.

    - LoRA (`peft_type: LORA`): keys
      `base_model.model.<path>.lora_A[.<name>].weight` `[r, in]` and
      `.lora_B[.<name>].weight` `[out, r]` become a `peft.lora` with
      initializers `<path>.lora_A.<adapter>.weight` and
      `<path>.lora_B.<adapter>.weight`. The rank and the scale (`α/r`, or
      `α/√r` with `use_rslora`) come from the config per layer, with
      PEFT 0.10's `rank_pattern` / `alpha_pattern` rules. With `use_dora` the
      `.lora_magnitude_vector[.weight]` `[out]` becomes the op's magnitude.
    - IA³ (`peft_type: IA3`): `.ia3_l` becomes a `peft.ia3`; it is stored
      `[out, 1]`, or `[1, in]` for the `feedforward_modules`.

    Tensors may be F32, F16, BF16 or F64; they are converted to the layer's
    element type. GPT-2's fused `c_attn` (a `qkv` layer in `in_out` layout)
    is one module to PEFT: one A `[r, in]` and B `[3h, r]` whatever
    `fan_in_fan_out` says. The adapter is stacked on adapters the layer
    already has (a DoRA adapter must be the first).

    Module paths are matched after the `module-map` prefix rewrites
    (`from=to` entries, the first whose `from` is a dotted prefix wins; an
    empty `to` strips the prefix). Every shape is checked against the layer
    and the rank against the config; errors name the key, the shapes and the
    layer. A key that matches no layer, or is no adapter tensor
    (`modules_to_save`, embeddings), is an error unless `allow-unmatched` is
    set, then a warning. `bias` other than `none` and other PEFT types are
    rejected. The safetensors file is memory-mapped and its header
    validated (offsets in range, consistent with dtype and shape, no
    overlaps). Nothing is changed unless the whole adapter loads.

    Example: `--peft-load-adapter=path=adapters/sst2` turns

    ```mlir
    %y = peft.linear %x, %w layout in_out role q path "model.layers.0.self_attn.q_proj" : ...
    ```

    into

    ```mlir
    %y = peft.linear %x, %w layout in_out role q path "model.layers.0.self_attn.q_proj" : ...
    %a = onnx.initializer "model.layers.0.self_attn.q_proj.lora_A.default.weight" dense_resource<...>
    %b = onnx.initializer "model.layers.0.self_attn.q_proj.lora_B.default.weight" dense_resource<...>
    %z = peft.lora %x, %y, %a, %b scale 2.0 adapter "default" : ...
    ```
  }];
  let options = [
    Option<"path", "path", "std::string", /*default=*/"\"\"",
           "Adapter directory (or its adapter_model.safetensors)">,
    ListOption<"moduleMap", "module-map", "::mlir::peft::ModuleMapEntry",
               "Module path prefix rewrites, 'from=to' entries, applied to "
               "the adapter's paths">,
    Option<"allowUnmatched", "allow-unmatched", "bool", /*default=*/"false",
           "Warn about, rather than reject, keys that match no layer">,
    Option<"adapterName", "adapter", "std::string", /*default=*/"\"default\"",
           "Name given to the loaded adapter">
  ];
  let dependentDialects = ["mlir::peft::PeftDialect",
                           "mlir::arith::ArithDialect"];
}

def PeftMergeLora : Pass<"peft-merge-lora"> {
  let summary = "Fold adapters into the base weights";
  let description = [{
    For every unmerged `peft.lora`, replaces the weight of its layer by a new
    blob `W' = W0 + s·B·A` (accumulated in fp32, rounded once to the weight's
    element type) and marks the adapter `merged`, so that it costs nothing
    at run time and `peft-unmerge-lora` can take it out again. DoRA adapters
    merge to `m ⊙ (W0 + s·B·A) / ‖W0 + s·B·A‖_row`; the row norms are kept on
    the op for the unmerge. `peft.ia3` is folded into the weight (and bias)
    and erased. A NaN or Inf in a merged weight is an error naming the layer.
    With `drop-adapters`, merged adapters are erased.

    Example:

    ```mlir
    %y = peft.linear %x, %w layout out_in role q : ...
    %z = peft.lora %x, %y, %a, %b scale 2.0 : ...
    ```

    becomes

    ```mlir
    %w1 = onnx.initializer "l.q_proj.weight.merged" dense_resource<...> : ...
    %y = peft.linear %x, %w1 layout out_in role q : ...
    %z = peft.lora %x, %y, %a, %b scale 2.0 merged : ...
    ```
  }];
  let options = [
    ListOption<"adapters", "adapters", "std::string",
               "Adapters to merge (default: all)">,
    Option<"dropAdapters", "drop-adapters", "bool", /*default=*/"false",
           "Erase merged adapters instead of keeping them for an unmerge">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def PeftUnmergeLora : Pass<"peft-unmerge-lora"> {
  let summary = "Take merged adapters back out of the base weights";
  let description = [{
    The inverse of `peft-merge-lora`: for every `merged` `peft.lora`, the
    layer's weight becomes `W' − s·B·A` (DoRA: `W'·‖·‖/m − s·B·A` with the
    kept row norms) and the adapter is active again.

    Example:

    ```mlir
    %z = peft.lora %x, %y, %a, %b scale 2.0 merged : ...
    ```

    becomes (with the layer's weight restored)

    ```mlir
    %z = peft.lora %x, %y, %a, %b scale 2.0 : ...
    ```
  }];
  let options = [
    ListOption<"adapters", "adapters", "std::string",
               "Adapters to unmerge (default: all)">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def PeftLoraAsInputs : Pass<"peft-lora-as-inputs", "ModuleOp"> {
  let summary = "Turn adapter weights into function arguments (runtime adapters)";
  let description = [{
    Replaces the constant `A` and `B` of every unmerged `peft.lora` in the
    public functions with new function arguments of rank `max-rank`:
    `A` becomes `[max-rank, in]` and `B` `[out, max-rank]`, and the scale
    becomes an argument too (a 1-element tensor), so that one compiled model
    runs any adapter of rank ≤ `max-rank` without recompiling.

    Contract of the arguments (what `peft-run --adapter` and an ONNX Runtime
    caller must pass):

    - `A` holds the adapter's `A ∈ R^{r×in}` in its first `r` rows and zeros
      below; `B` holds `B ∈ R^{out×r}` in its first `r` columns and zeros to
      the right. The zero rows/columns contribute exact zeros, so the result
      equals the unpadded adapter's up to the order of fp32 summation.
    - `scale` is the adapter's own `s` (`α/r`, `α/√r` for rsLoRA), not
      pre-multiplied into anything. The pass multiplies `B` by it with an
      elementwise `linalg.generic` (`[out, max-rank] · [1]`, a few thousand
      products per call; the ONNX exporter writes it as a `Mul`) and sets the
      op's `scale` to 1.0, so the op still computes `base + (x·Aᵀ)·(s·B)ᵀ`.
    - A layer without an adapter gets zeros (any scale): it computes its base.

    The arguments are appended to the function and named (`onnx.name`, the
    graph input names on ONNX export and the names `peft-run --adapter`
    fills) after the PEFT keys without their `base_model.model.` prefix:
    `<path>.lora_A.weight`, `<path>.lora_B.weight`, `<path>.lora_scale`
    (`<path>.lora_A.<adapter>.weight`, ... for an adapter not named
    `default`).

    Left alone: merged adapters (they cost nothing), adapters whose `A` or
    `B` is not a constant (already inputs) and private functions. Errors,
    which leave the function unchanged: `max-rank` missing or ≤ 0, an
    adapter of rank above `max-rank` (naming its layer), a DoRA adapter
    (its magnitude would have to be an input too; merge it first), a layer
    without a module path, and two arguments with the same name.

    Example (`max-rank=16`):

    ```mlir
    func.func @main(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
      ...
      %z = peft.lora %x, %y, %a, %b scale 2.0 : ..., tensor<4x64xf32>, tensor<64x4xf32>
    ```

    becomes

    ```mlir
    func.func @main(%x: tensor<?x64xf32>,
                    %a: tensor<16x64xf32> {onnx.name = "l.q_proj.lora_A.weight"},
                    %b: tensor<64x16xf32> {onnx.name = "l.q_proj.lora_B.weight"},
                    %s: tensor<1xf32> {onnx.name = "l.q_proj.lora_scale"}) -> tensor<?x64xf32> {
      ...
      %e = tensor.empty() : tensor<64x16xf32>
      %sb = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                             affine_map<(d0, d1) -> (0)>,
                                             affine_map<(d0, d1) -> (d0, d1)>],
                            iterator_types = ["parallel", "parallel"]}
          ins(%b, %s : tensor<64x16xf32>, tensor<1xf32>) outs(%e : tensor<64x16xf32>) {
        ^bb0(%bv: f32, %sv: f32, %out: f32):
          %p = arith.mulf %bv, %sv : f32
          linalg.yield %p : f32
      } -> tensor<64x16xf32>
      %z = peft.lora %x, %y, %a, %sb scale 1.0 : ..., tensor<16x64xf32>, tensor<64x16xf32>
    ```
  }];
  let options = [
    Option<"maxRank", "max-rank", "int64_t", /*default=*/"0",
           "Rank the adapter arguments are padded to (required, > 0)">
  ];
  let dependentDialects = ["mlir::peft::PeftDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def PeftAddTask : Pass<"peft-add-task"> {
  let summary = "Add a Hugging Face PEFT LoRA adapter to the bank as a new task";
  let description = [{
    Appends the adapter at `path` (a PEFT `save_pretrained` directory, or its
    safetensors file) to the module's adapter banks as task `name`
    (docs/banks.md). The modules of the adapter are matched to the layers
    as `peft-load-adapter` matches them (`module-map`, `allow-unmatched`);
    every tensor is read and checked against its layer before anything
    changes. On each layer the adapter touches, the task's `A` rows and `B`
    columns are appended to the bank's stacked `lora_a` / `lora_b` at the
    adapter's own rank (ragged: `rank_pattern` applies) with its scale
    (`α/r` or `α/√r`); a layer without a bank gets one, on top of its
    adapter stack, with the earlier tasks at rank 0; a banked layer the
    adapter leaves alone gets rank 0 for the new task. The earlier tasks'
    values are copied exactly: their outputs stay bit-identical. A bank that
    is routed already routes the new task too.

    Errors: a missing `name` or `path`, a task name the bank has, a DoRA or
    IA³ adapter (a bank holds plain LoRA tasks), banks that list different
    tasks, a runtime bank (its tasks come at run time), and the
    `peft-load-adapter` errors (shapes, ranks, unmatched keys).

    Example: `--peft-add-task="name=sst2 path=adapters/sst2"` then
    `--peft-add-task="name=mnli path=adapters/mnli"` on a layer both adapt
    (ranks 2 and 4) gives

    ```mlir
    %y = peft.linear %x, %w layout out_in role q path "model.layers.0.self_attn.q_proj" : ...
    %a = arith.constant dense_resource<...> : tensor<6x64xf32>
    %b = arith.constant dense_resource<...> : tensor<64x6xf32>
    %z = peft.lora_bank %x, %y, %a, %b tasks ["sst2", "mnli"] ranks [2, 4]
           scales [2.000000e+00, 1.000000e+00] : ...
    ```
  }];
  let options = [
    Option<"taskName", "name", "std::string", /*default=*/"\"\"",
           "Name of the new task (required, unique in the bank)">,
    Option<"path", "path", "std::string", /*default=*/"\"\"",
           "The task's PEFT adapter directory (or its "
           "adapter_model.safetensors)">,
    ListOption<"moduleMap", "module-map", "::mlir::peft::ModuleMapEntry",
               "Module path prefix rewrites, 'from=to' entries, applied to "
               "the adapter's paths">,
    Option<"allowUnmatched", "allow-unmatched", "bool", /*default=*/"false",
           "Warn about, rather than reject, keys that match no layer">
  ];
  let dependentDialects = ["mlir::peft::PeftDialect",
                           "mlir::arith::ArithDialect"];
}

def PeftSelectTask : Pass<"peft-select-task"> {
  let summary = "Specialize the adapter banks to one task";
  let description = [{
    Replaces every `peft.lora_bank` by the `peft.lora` of task `task` (its
    rows of `lora_a`, its columns of `lora_b`, its scale; the adapter is
    named after the task), or by nothing where the task has rank 0. The
    result runs that task for every row and can be merged
    (`peft-merge-lora`). A routing input (`peft-route-tasks`) that no bank
    reads any more is removed from its function.

    Errors: no `task`, a task the bank does not have (the message lists
    them), no bank, banks that list different tasks, a runtime bank.

    Example (`task=mnli`, the bank of `peft-add-task`'s example):

    ```mlir
    %z = peft.lora_bank %x, %y, %a, %b tasks ["sst2", "mnli"] ranks [2, 4]
           scales [2.000000e+00, 1.000000e+00] : ...
    ```

    becomes

    ```mlir
    %a1 = arith.constant dense_resource<...> : tensor<4x64xf32>
    %b1 = arith.constant dense_resource<...> : tensor<64x4xf32>
    %z = peft.lora %x, %y, %a1, %b1 scale 1.000000e+00 adapter "mnli" : ...
    ```
  }];
  let options = [
    Option<"taskName", "task", "std::string", /*default=*/"\"\"",
           "The task to keep (required)">
  ];
  let dependentDialects = ["mlir::peft::PeftDialect",
                           "mlir::arith::ArithDialect"];
}

def PeftInstrumentCalibration
    : Pass<"peft-instrument-calibration", "ModuleOp"> {
  let summary = "Add calibration statistics to a model's outputs";
  let description = [{
    Makes every public function compute, next to its own results, the
    statistics that MoDeGPT and activation-whitened SVD calibrate on, so that
    nothing but these sums leaves the compiled graph. For the input `X` of
    every linear-like layer that has a module path, with its rows (all
    dimensions but the last) flattened:

    - `<path>.input_xtx`: `Σ XᵀX` over the rows, `[in, in]`, accumulated in
      f32 (f64 for an f64 model) whatever the model's precision;
    - `<path>.input_tokens`: the number of rows, `tensor<1xi64>`.

    With module recognition (peft-list-modules), for every attention
    module and transformer block:

    - `<q_path>.q_gram`: per query head `Σ QᵀQ` on the post-rotary query
      states the score product reads, `[heads, d, d]`; `<k_path>.k_gram`:
      per key/value head `Σ KᵀK` on the post-rotary keys (before
      repeat_kv), `[kv_heads, d, d]`; `<q_path>.qk_tokens`: rows per head;
    - `<block>.block_influence`: `{Σ (1 − cos(x_in, x_out)), rows}` over
      the block's residual stream in and out, `<block>` the block's module
      path prefix (`model.layers.3`).

    `statistics` picks among `inputs`, `heads` and `blocks` (default: all;
    `heads` and `blocks` need the graph's modules recognized, and a graph
    that is ambiguous for recognition is an error).

    Layers that read the same value (q, k and v) share one sum. Each new
    result carries `peft.calibration = [keys...]`: the statistics it adds
    to, as the calibration driver (`peft-calibrate`, `Module.calibrate`)
    sums them in f64 over calibration inputs and writes them to the
    statistics file (docs/modegpt.md). Its `onnx.name` is the first key.

    With `keep-outputs=false` the function returns the statistics only, so
    that what computes nothing but the model's own outputs (an LM head) is
    removed as dead code: the calibration driver compiles it that way.

    Errors: two layers with the same module path, no layer to calibrate.
    Layers without a module path are skipped with a warning.

    Example:

    ```mlir
    func.func @main(%x: tensor<?x8x64xf32>) -> tensor<?x8x64xf32> {
      %0 = peft.linear %x, %w layout out_in role q path "attn.q_proj" ...
      return %0 : tensor<?x8x64xf32>
    }
    ```

    becomes

    ```mlir
    func.func @main(%x: tensor<?x8x64xf32>) -> (tensor<?x8x64xf32>,
        tensor<64x64xf32> {onnx.name = "attn.q_proj.input_xtx",
                           peft.calibration = ["attn.q_proj.input_xtx"]},
        tensor<1xi64> {onnx.name = "attn.q_proj.input_tokens",
                       peft.calibration = ["attn.q_proj.input_tokens"]}) {
      %0 = peft.linear %x, %w ...
      %rows = tensor.collapse_shape %x [[0, 1], [2]] ...
      %xtx = linalg.generic ... // Σ_r x[r, i]·x[r, j]
      ...
      return %0, %xtx, %count : ...
    }
    ```
  }];
  let options = [
    Option<"keepOutputs", "keep-outputs", "bool", /*default=*/"true",
           "Keep the function's own results before the statistics">,
    ListOption<"statistics", "statistics", "std::string",
               "What to gather: inputs, heads, blocks (default: all)">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect", "mlir::tensor::TensorDialect"
  ];
}

def PeftModegpt : Pass<"peft-modegpt", "ModuleOp"> {
  let summary = "MoDeGPT: training-free compression of the modules of a transformer";
  let description = [{
    Shrinks the inner dimensions of the recognized transformer modules
    (peft-list-modules) from calibration statistics (`peft-calibrate`,
    docs/calibration.md), reconstructing each module's output on the
    calibration data (REFERENCE §4, docs/modegpt.md):

    - `mlp` (Type I, Nyström): keeps the intermediate columns of largest
      ridge leverage score of `C = Σ HᵀH` (slicing the gate and up
      projections and their biases) and refits the down projection,
      `Ŵ_down = (SᵀCS)⁺·SᵀC·W_down`.
    - `vo` (Type III, whitened SVD): per key/value head j, the SVD of
      `C_λ^{1/2}·W_v,j·[W_o,h…]` over the query heads that read it
      (`C = Σ XᵀX` at v's input) keeps k = round((1 − φ)·d) of the head dim:
      `Ŵ_v,j = C_λ^{−1/2}·U_k`, `Ŵ_o = Σ_k·V_kᵀ`. v's bias is folded into
      o's bias (attention rows sum to 1); the value path's head-shape
      constants and types become k, the softmax scale is untouched.
    - `qk` (Type II, CR): per key/value group, the k head dims of W_q and
      W_k of largest score `√(Σ_h C_q,h,ii · C_k,ii)` (`Σ QᵀQ`, `Σ KᵀK` per
      head on post-rotary states) are kept, with no re-weighting; with
      rotate_half the dims go in pairs (i, i + d/2) and k is even. Shared
      cos/sin tables become per-head tables (a MatMul of the table with a
      one-hot [heads, d, k] selection); the query and key paths' head-shape
      constants and types become k; the softmax scale stays 1/√d of the
      original d. Reported error: the CR bound
      `Σ_h Σ_{i dropped} ‖q_h,i‖·‖k_i‖` on `‖Q_h·Kᵀ − Q_h,S·K_Sᵀ‖_F`.

    A fused qkv linear cut by a Split (GPT-2's c_attn) is rewritten in place:
    its q, k or v columns change and the Split gets the new widths. Softmax
    scale factors computed from shapes (GPT-2's `Shape(v)[-1] ** 0.5`) are
    first replaced by constants of their values.

    `ratio` is the fraction of the modules' parameters to remove. With
    `allocation=global`, block i loses `φᵢ` of its parameters, `φ =
    L·ratio·softmax(−s/eps)` from the block-influence scores `s` of the
    statistics, each capped at `max-layer-ratio` with the excess shared by
    the others (the mean is `ratio`); `allocation=uniform` gives every block
    `ratio`. The graph is rewritten with the smaller shapes: weights (new
    resource blobs), biases and the types of the values between the
    projections.

    A per-module report (to `report`, default standard error): block,
    module, sparsity, dimension before and after, parameters before and
    after, and the module's output error on the calibration data, absolute
    and relative to the module's output energy.

    Errors: no statistics file or a statistic missing or of the wrong shape
    (naming the key), a graph whose modules are ambiguous, a layer carrying
    adapters, options out of range.

    Example: with `ratio=0.25 stats=stats.safetensors types=mlp`,

    ```mlir
    %g = peft.linear %x, %wg layout out_in role gate ... -> tensor<?x?x1536xf32>
    %u = peft.linear %x, %wu layout out_in role up ... -> tensor<?x?x1536xf32>
    ... // silu(g) · u
    %d = peft.linear %h, %wd layout out_in role down ... -> tensor<?x?x576xf32>
    ```

    becomes (block 0 at φ = 0.25)

    ```mlir
    %g = peft.linear %x, %wg_1 layout out_in role gate ... -> tensor<?x?x1152xf32>
    %u = peft.linear %x, %wu_1 layout out_in role up ... -> tensor<?x?x1152xf32>
    ... // silu(g) · u on 1152 columns
    %d = peft.linear %h, %wd_1 layout out_in role down ... -> tensor<?x?x576xf32>
    ```
  }];
  let options = [
    Option<"ratio", "ratio", "double", /*default=*/"0.25",
           "Fraction of the modules' parameters to remove (0 ≤ ratio < 1)">,
    Option<"statsFile", "stats", "std::string", /*default=*/"\"\"",
           "Calibration statistics file (peft-calibrate)">,
    Option<"lambda", "lambda", "double", /*default=*/"0.01",
           "Covariance regularization (Type III whitening), relative to the "
           "covariance's mean diagonal">,
    Option<"ridge", "ridge", "double", /*default=*/"1.0",
           "Ridge of Type I's leverage scores, relative to the covariance's "
           "mean diagonal">,
    Option<"align", "align", "int64_t", /*default=*/"16",
           "Round kept MLP widths to a multiple of this (CPU/GPU tiles) in "
           "layers at least 50 times as wide, where it moves the layer's "
           "parameters by at most 1 % (1: no rounding)">,
    Option<"eps", "eps", "double", /*default=*/"0.015",
           "Temperature of the global allocation">,
    Option<"maxLayerRatio", "max-layer-ratio", "double", /*default=*/"0.8",
           "Largest sparsity of one block">,
    Option<"allocation", "allocation", "std::string", /*default=*/"\"global\"",
           "global (from block influence) or uniform">,
    ListOption<"types", "types", "std::string",
               "Module types to compress: mlp, qk, vo (default: all)">,
    Option<"report", "report", "std::string", /*default=*/"\"-\"",
           "Where to print the per-module report ('-': standard error, "
           "'none')">
  ];
  let dependentDialects = ["mlir::peft::PeftDialect"];
}

def PeftRouteTasks : Pass<"peft-route-tasks", "ModuleOp"> {
  let summary = "Route each row of a batch to its own task (a task_ids input)";
  let description = [{
    Gives every public function that holds adapter banks a new last input,
    `tensor<?xi64>` named `input-name` (`onnx.name`, the graph input on
    export and the name `peft-run` and `Module.run` fill), and makes each
    bank of the function read it: entry `g` is the index of the task of row
    group `g` in the bank's order (−1, or any index outside the bank, for
    the base model alone). The rows of a layer's input — its dimensions but
    the last, flattened — are split into as many equal consecutive groups as
    `task_ids` has entries: for `[batch, seq, in]` a group is one sequence,
    and the same holds for a `[batch·seq, in]` input (GPT-2's Conv1D).

    The banks are lowered (convert-peft-to-linalg) to gathered skinny
    products at each task's own rank, grouped by task; see
    docs/banks.md.

    Errors: no bank, a bank routed already, a bank outside a public
    function, an input of that name already there.

    Example:

    ```mlir
    func.func @main(%x: tensor<?x8x64xf32>) -> tensor<?x8x64xf32> {
      ...
      %z = peft.lora_bank %x, %y, %a, %b tasks ["sst2", "mnli"] ...
    ```

    becomes

    ```mlir
    func.func @main(%x: tensor<?x8x64xf32>,
                    %ids: tensor<?xi64> {onnx.name = "task_ids"}) -> tensor<?x8x64xf32> {
      ...
      %z = peft.lora_bank %x, %y, %a, %b task_ids %ids tasks ["sst2", "mnli"] ...
    ```
  }];
  let options = [
    Option<"inputName", "input-name", "std::string", /*default=*/"\"task_ids\"",
           "Name of the new routing input">
  ];
  let dependentDialects = ["mlir::peft::PeftDialect"];
}

def PeftBankAsInputs : Pass<"peft-bank-as-inputs", "ModuleOp"> {
  let summary = "Turn adapter banks into function arguments (runtime banks)";
  let description = [{
    Makes every adapter bank a runtime bank, and gives one to every layer
    the `targets` / `target-regex` / `roles` options select (PEFT's target
    rules, as `peft-insert-lora` has them), so that one compiled model runs
    any set of up to `max-tasks` LoRA tasks whose ranks on a layer add up to
    at most `max-total-rank`: tasks are added or replaced per call, without
    recompiling (`peft-run --task-adapter`, `Module.run(tasks=...)`).

    Each such layer gets four new arguments, named (`onnx.name`) after its
    module path:

    - `<path>.bank_A` `[max-total-rank, in]` and `<path>.bank_B`
      `[out, max-total-rank]`: the tasks' `A` rows and `B` columns stacked
      in task order, zeros after the last;
    - `<path>.bank_offsets` int64 `[max-tasks + 1]`: task `t` owns rows
      `offsets[t] .. offsets[t+1]` (equal offsets: rank 0 on this layer;
      unused slots repeat the total);
    - `<path>.bank_scales` `[max-tasks]`: each task's `α/r` (or `α/√r`).

    The bank op reads them as its runtime operands (`runtime(...)`). Banks
    that were routed stay routed and new banks join that routing; otherwise
    run `peft-route-tasks` afterwards. The tasks a bank held at compile time
    are dropped (a remark says so): a runtime bank gets its tasks at run
    time.

    Errors, which leave the module unchanged: `max-tasks` or
    `max-total-rank` ≤ 0, no layer to give a bank, a layer without a module
    path or outside a public function, two inputs with the same name, banks
    that list different tasks.

    Example (`max-tasks=4 max-total-rank=16 targets=q_proj`):

    ```mlir
    func.func @main(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
      %y = peft.linear %x, %w layout out_in role q path "l.q_proj" : ...
    ```

    becomes

    ```mlir
    func.func @main(%x: tensor<?x64xf32>,
                    %a: tensor<16x64xf32> {onnx.name = "l.q_proj.bank_A"},
                    %b: tensor<64x16xf32> {onnx.name = "l.q_proj.bank_B"},
                    %o: tensor<5xi64> {onnx.name = "l.q_proj.bank_offsets"},
                    %s: tensor<4xf32> {onnx.name = "l.q_proj.bank_scales"}) -> tensor<?x64xf32> {
      %y = peft.linear %x, %w layout out_in role q path "l.q_proj" : ...
      %z = peft.lora_bank %x, %y, %a, %b runtime(%o : tensor<5xi64>, %s : tensor<4xf32>) : ...
    ```
  }];
  let options = [
    Option<"maxTasks", "max-tasks", "int64_t", /*default=*/"0",
           "Task slots of every runtime bank (required, > 0)">,
    Option<"maxTotalRank", "max-total-rank", "int64_t", /*default=*/"0",
           "Rows of the stacked A (the sum of the tasks' ranks on a layer; "
           "required, > 0)">,
    ListOption<"targets", "targets", "std::string",
               "Module names to give a bank (exact path or dotted suffix), "
               "or 'all-linear'">,
    Option<"targetRegex", "target-regex", "std::string", /*default=*/"\"\"",
           "Regex that must match a whole module path">,
    ListOption<"roles", "roles", "::mlir::peft::LinearRole",
               "Roles to give a bank: q, k, v, o, qkv, gate, up, down, "
               "other">
  ];
  let dependentDialects = ["mlir::peft::PeftDialect"];
}

def PeftCombineAdapters : Pass<"peft-combine-adapters"> {
  let summary = "Combine LoRA adapters into a new one (PEFT's add_weighted_adapter)";
  let description = [{
    For every layer whose adapter stack holds unmerged plain `peft.lora`
    ops of the named `adapters`, computes the factors of one new adapter
    `name` from them with weights `wᵢ` and puts it on top of the stack,
    following Hugging Face PEFT 0.10's `add_weighted_adapter`. The new
    adapter has rank r', `lora_alpha = r'`, hence scale 1:

    - `cat`: r' = Σ rᵢ, `A' = [w₁s₁A₁; …]`, `B' = [B₁ …]`:
      `B'·A' = Σ wᵢ·sᵢ·Bᵢ·Aᵢ` exactly.
    - `svd`: the truncated SVD of `Σ wᵢ·sᵢ·Bᵢ·Aᵢ` at rank `rank` (default:
      the largest source rank), `B' = U·diag(σ)`, `A' = Vᵀ`; exact at full
      rank. PEFT 0.10 itself decomposes `Σ wᵢ·sᵢ²·Bᵢ·Aᵢ` (it weights the
      already scaled delta weight by `wᵢ·sᵢ`); `peft-svd-scaling=true`
      reproduces that. Both agree when every `sᵢ = 1`.
    - `linear`: equal ranks, `A' = Σ √(wᵢsᵢ)·Aᵢ`, `B' = Σ √(wᵢsᵢ)·Bᵢ`.
      This is NOT the weighted sum: `B'·A'` has the cross terms
      `√(wᵢsᵢwⱼsⱼ)·Bᵢ·Aⱼ`, i ≠ j.

    As in PEFT, one adapter is always combined with `linear`, and a layer
    that holds only some of the adapters combines those it has. The
    factors are computed in double (peft/Support/LowRank.h) and stored in
    the sources' element type.

    PEFT keeps the sources and the user then activates the new adapter
    (`set_adapter`). The IR has no inactive adapters: with `replace=true`
    (the default) the sources are removed, so the model computes what
    PEFT's model computes with only the new adapter active; with
    `replace=false` they stay in the stack and stay active (the layer adds
    them and the combination).

    Errors, which leave the IR unchanged: an adapter on no layer, a
    source that is DoRA, merged or not a LoRA, `linear` with unequal ranks
    or a negative `w·s`, a weight count other than the adapter count, a
    `rank` above `min(out, in, Σ rᵢ)`, and a `name` already in use on a
    layer. A per-layer table goes to `report`, with the relative distance
    `‖B'·A' − Σ wᵢ·sᵢ·Bᵢ·Aᵢ‖_F / ‖Σ wᵢ·sᵢ·Bᵢ·Aᵢ‖_F` (0 for `cat`; the
    truncation for `svd`; the cross terms for `linear`).

    Example (`mode=cat adapters=a,b weights=1.0,0.5 name=ab`):

    ```mlir
    %z1 = peft.lora %x, %y, %a1, %b1 scale 2.0 adapter "a" : ...
    %z2 = peft.lora %x, %z1, %a2, %b2 scale 1.0 adapter "b" : ...
    ```

    becomes

    ```mlir
    %a = arith.constant dense_resource<l.q_proj.lora_A.ab.weight> : tensor<12x64xf32>
    %b = arith.constant dense_resource<l.q_proj.lora_B.ab.weight> : tensor<64x12xf32>
    %z = peft.lora %x, %y, %a, %b scale 1.0 adapter "ab" : ...
    ```
  }];
  let options = [
    Option<"mode", "mode", "::mlir::peft::AdapterCombineMode",
           /*default=*/"::mlir::peft::AdapterCombineMode::Svd",
           "How to combine: cat, svd or linear (PEFT's combination_type)",
           [{::llvm::cl::values(
             clEnumValN(::mlir::peft::AdapterCombineMode::Cat, "cat",
                        "concatenate: rank = sum of ranks, the weighted sum"),
             clEnumValN(::mlir::peft::AdapterCombineMode::Svd, "svd",
                        "truncated SVD of the weighted sum"),
             clEnumValN(::mlir::peft::AdapterCombineMode::Linear, "linear",
                        "weighted sums of A and of B (equal ranks; "
                        "not the weighted sum of the products)"))}]>,
    ListOption<"adapters", "adapters", "std::string",
               "Adapters to combine (required)">,
    ListOption<"weights", "weights", "double",
               "One weight per adapter (required)">,
    Option<"rank", "rank", "int64_t", /*default=*/"0",
           "svd: rank of the new adapter (0: the largest source rank)">,
    Option<"name", "name", "std::string", /*default=*/"\"combined\"",
           "Name of the new adapter">,
    Option<"replace", "replace", "bool", /*default=*/"true",
           "Remove the source adapters (false: keep them, still active)">,
    Option<"peftSvdScaling", "peft-svd-scaling", "bool", /*default=*/"false",
           "svd: decompose sum w*s^2*B*A as PEFT 0.10 does, not sum w*s*B*A">,
    Option<"report", "report", "std::string", /*default=*/"\"-\"",
           "Where to write the per-layer table: '-' for standard error, a "
           "file, or 'none'">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def PeftSelectRank : Pass<"peft-select-rank"> {
  let summary = "Choose each LoRA adapter's rank by a policy and refactorize";
  let description = [{
    For every unmerged plain `peft.lora` (all, or those named in
    `adapters`), takes the thin SVD `U·diag(σ)·Vᵀ` of `s·B·A` without
    forming it (QR of `B` and `Aᵀ`, SVD of the r × r core), chooses a rank
    k by `policy`, and replaces `A` and `B` by the rank-k truncation:
    `A' = diag(√σ_k)·Vᵀ_k`, `B' = U_k·diag(√σ_k)/s` (the scale stays). The
    dropped energy `Σ_{i≥k} σᵢ²` is exactly the squared Frobenius error.
    An adapter whose rank does not change is left as it is; one whose rank
    becomes 0 is removed.

    Policies (peft/Support/LowRank.h, `RankPolicy`):

    - `energy`: the smallest k with `Σ_{i<k} σᵢ² ≥ tau·Σ σᵢ²`, tau in (0, 1].
    - `distance`: with `d = ‖ΔW − ΔW_ref‖_F / ‖ΔW_ref‖_F` against the adapter
      `reference` on the same layer (computed from small Gram matrices),
      `k = clamp(round(rmin + (rmax − rmin)·min(d, 1)), rmin, rmax)`: a
      task near the reference gets a small rank, a far one a large rank.
      The reference adapter itself is not changed.
    - `threshold`: keep every `σᵢ > sigma`: one threshold for every layer
      and adapter, so the rank follows where the updates have energy.

    k is never above `min(out, in, r)`. DoRA and merged adapters are
    skipped (an error when named in `adapters`). A table goes to `report`:
    adapter, layer, rank before and after, energy kept, parameters
    `r·(in + out)` before and after (and d for `distance`).

    Example (`policy=energy tau=0.9`, an adapter whose first two singular
    values carry 90 % of the energy):

    ```mlir
    %z = peft.lora %x, %y, %a, %b scale 2.0 : ..., tensor<8x64xf32>, tensor<64x8xf32>
    ```

    becomes

    ```mlir
    %a2 = arith.constant dense_resource<l.q_proj.lora_A.weight> : tensor<2x64xf32>
    %b2 = arith.constant dense_resource<l.q_proj.lora_B.weight> : tensor<64x2xf32>
    %z = peft.lora %x, %y, %a2, %b2 scale 2.0 : ..., tensor<2x64xf32>, tensor<64x2xf32>
    ```
  }];
  let options = [
    Option<"policy", "policy", "::mlir::peft::RankPolicyKind",
           /*default=*/"::mlir::peft::RankPolicyKind::Energy",
           "The rank rule: energy, distance or threshold",
           [{::llvm::cl::values(
             clEnumValN(::mlir::peft::RankPolicyKind::Energy, "energy",
                        "smallest rank keeping tau of sum sigma^2"),
             clEnumValN(::mlir::peft::RankPolicyKind::Distance, "distance",
                        "rank from rmin to rmax with the distance to "
                        "the reference adapter"),
             clEnumValN(::mlir::peft::RankPolicyKind::Threshold, "threshold",
                        "keep every singular value above sigma"))}]>,
    Option<"tau", "tau", "double", /*default=*/"0.99",
           "energy: share of sum sigma^2 to keep, in (0, 1]">,
    Option<"reference", "reference", "std::string", /*default=*/"\"\"",
           "distance: the reference adapter on the same layers">,
    Option<"rmin", "rmin", "int64_t", /*default=*/"1",
           "distance: rank at distance 0">,
    Option<"rmax", "rmax", "int64_t", /*default=*/"64",
           "distance: rank at distance 1 or more">,
    Option<"sigma", "sigma", "double", /*default=*/"0.0",
           "threshold: keep singular values above this">,
    ListOption<"adapters", "adapters", "std::string",
               "Adapters to re-rank (default: all but the reference)">,
    Option<"report", "report", "std::string", /*default=*/"\"-\"",
           "Where to write the per-layer table: '-' for standard error, a "
           "file, or 'none'">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def PeftQuantizeWeights : Pass<"peft-quantize-weights"> {
  let summary = "Quantize the weights of linear layers (peft.linear -> peft.qlinear)";
  let description = [{
    Replaces each selected `peft.linear` by a `peft.qlinear` whose weight is
    `bits`-bit integers with one scale per output channel or per group of
    `group-size` input features (docs/quantization.md): round to nearest,
    ties to even, on a symmetric grid (or, with `symmetric=false`, an
    asymmetric one with zero points). `scale=minmax` takes the min-max
    scales; `scale=lp` searches the clipping ratio minimizing `Σ|w − ŵ|^p`
    per channel or group (LR-QAT's initialization, `p = 4`). Adapters stacked
    on a layer stay on it. The float weight's blob is released.

    Without `targets`, `target-regex` or `roles`, every linear layer but the
    model's output head is quantized. A per-layer table (path, bits, groups,
    method, scale range, relative error `‖W − Ŵ‖² / ‖W‖²`) goes to `report`.

    Example (`bits=4 granularity=group group-size=32`):

    ```mlir
    %y = peft.linear %x, %w layout in_out role q path "l.q_proj"
           : tensor<?x64xf32>, tensor<64x128xf32> -> tensor<?x128xf32>
    ```

    becomes

    ```mlir
    %q = arith.constant dense_resource<l.q_proj.qweight> : tensor<128x64xi4>
    %s = arith.constant dense_resource<l.q_proj.scales> : tensor<128x2xf32>
    %y = peft.qlinear %x, %q scales %s group_size 32 role q path "l.q_proj"
           : tensor<?x64xf32>, tensor<128x64xi4>, tensor<128x2xf32>
           -> tensor<?x128xf32>
    ```
  }];
  let options = [
    ListOption<"targets", "targets", "std::string",
               "Module names (exact path or dotted suffix), or 'all-linear'">,
    Option<"targetRegex", "target-regex", "std::string", /*default=*/"\"\"",
           "Regex that must match a whole module path">,
    ListOption<"roles", "roles", "::mlir::peft::LinearRole",
               "Roles to select, as peft-raise-linear inferred them: q, k, "
               "v, o, qkv, gate, up, down, other">,
    Option<"bits", "bits", "int64_t", /*default=*/"4",
           "Integer width: 2, 3, 4 or 8">,
    Option<"granularity", "granularity", "::mlir::peft::QuantGranularity",
           /*default=*/"::mlir::peft::QuantGranularity::Channel",
           "One scale per output channel or per group of input features",
           [{::llvm::cl::values(
             clEnumValN(::mlir::peft::QuantGranularity::Channel, "channel",
                        "one scale per output row"),
             clEnumValN(::mlir::peft::QuantGranularity::Group, "group",
                        "one scale per group-size input features of a row"))}]>,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"128",
           "Input features per group (granularity=group)">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"true",
           "Symmetric grid (no zero points)">,
    Option<"scale", "scale", "::mlir::peft::ScaleMethod",
           /*default=*/"::mlir::peft::ScaleMethod::MinMax",
           "How scales are chosen",
           [{::llvm::cl::values(
             clEnumValN(::mlir::peft::ScaleMethod::MinMax, "minmax",
                        "the range of the channel or group"),
             clEnumValN(::mlir::peft::ScaleMethod::Lp, "lp",
                        "the clipping ratio minimizing the Lp error"))}]>,
    Option<"p", "p", "double", /*default=*/"4.0",
           "p of the Lp error (scale=lp)">,
    Option<"report", "report", "std::string", /*default=*/"\"-\"",
           "Where to write the per-layer table: '-' for standard error, a "
           "file, or 'none'">
  ];
  let dependentDialects = ["mlir::peft::PeftDialect",
                           "mlir::arith::ArithDialect"];
}

def PeftLrqatPrepare : Pass<"peft-lrqat-prepare"> {
  let summary = "Turn linear layers into LR-QAT training-time linears";
  let description = [{
    Replaces each selected `peft.linear` by a `peft.lrqat_linear`
    (../shared/REFERENCE.md §3): `s0` from the Lp scale search (`p`, per
    channel or group), `Φ0 = clamp(W0 / s0)` downcast to `phi` (`fixed`:
    int8 with `8 − bits` fractional bits; `int`: `bits`-bit integers;
    `float16`, `bfloat16`, `float32`), `A` `[out, rank]` zero, `B`
    `[rank, in]` Kaiming-uniform (a = √5, our generator seeded by `seed`),
    so the layer starts as its round-to-nearest quantization. Without a
    selection every linear layer but the output head is prepared.

    Example (`bits=4 phi=fixed rank=8`):

    ```mlir
    %y = peft.linear %x, %w layout out_in role q path "l.q_proj" : ...
    ```

    becomes

    ```mlir
    %y = peft.lrqat_linear %x, %phi, %s, %a, %b bits 4 alpha 1.0 role q
           path "l.q_proj" : tensor<?x64xf32>, tensor<128x64xi8>,
           tensor<128x1xf32>, tensor<128x8xf32>, tensor<8x64xf32>
           -> tensor<?x128xf32>
    ```
  }];
  let options = [
    ListOption<"targets", "targets", "std::string",
               "Module names (exact path or dotted suffix), or 'all-linear'">,
    Option<"targetRegex", "target-regex", "std::string", /*default=*/"\"\"",
           "Regex that must match a whole module path">,
    ListOption<"roles", "roles", "::mlir::peft::LinearRole",
               "Roles to select, as peft-raise-linear inferred them: q, k, "
               "v, o, qkv, gate, up, down, other">,
    Option<"bits", "bits", "int64_t", /*default=*/"4",
           "Integer width: 2, 3, 4 or 8">,
    Option<"granularity", "granularity", "::mlir::peft::QuantGranularity",
           /*default=*/"::mlir::peft::QuantGranularity::Channel",
           "One scale per output channel or per group of input features",
           [{::llvm::cl::values(
             clEnumValN(::mlir::peft::QuantGranularity::Channel, "channel",
                        "one scale per output row"),
             clEnumValN(::mlir::peft::QuantGranularity::Group, "group",
                        "one scale per group-size input features of a row"))}]>,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"128",
           "Input features per group (granularity=group)">,
    Option<"phi", "phi", "::mlir::peft::PhiFormat",
           /*default=*/"::mlir::peft::PhiFormat::Fixed",
           "How the frozen Φ0 is stored",
           [{::llvm::cl::values(
             clEnumValN(::mlir::peft::PhiFormat::Fixed, "fixed",
                        "int8 fixed point, 8 - bits fractional bits (Q4.4)"),
             clEnumValN(::mlir::peft::PhiFormat::Int, "int",
                        "bits-bit integers"),
             clEnumValN(::mlir::peft::PhiFormat::Float16, "float16", "f16"),
             clEnumValN(::mlir::peft::PhiFormat::BFloat16, "bfloat16", "bf16"),
             clEnumValN(::mlir::peft::PhiFormat::Float32, "float32", "f32"))}]>,
    Option<"rank", "rank", "int64_t", /*default=*/"32", "Rank r of A·B">,
    Option<"alpha", "alpha", "double", /*default=*/"1.0",
           "α (the low-rank scale is α/r)">,
    Option<"p", "p", "double", /*default=*/"4.0",
           "p of the Lp scale search">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of B's initialization">
  ];
  let dependentDialects = ["mlir::peft::PeftDialect",
                           "mlir::arith::ArithDialect"];
}

def PeftLrqatLoad : Pass<"peft-lrqat-load"> {
  let summary = "Load a trained LR-QAT checkpoint onto the linear layers";
  let description = [{
    Reads an LR-QAT checkpoint (docs/quantization.md: `lrqat_config.json`
    and `lrqat_model.safetensors`) and replaces the `peft.linear` of every
    module it lists by a `peft.lrqat_linear` with its `Φ0`, scales, `A` and
    `B` (the layer's bias is kept). The whole checkpoint is validated first
    (config fields, missing keys, dtypes, shapes against each layer,
    non-finite values, scales ≤ 0, `Φ0` off its grid, tensors of no listed
    module, modules matching no layer); any error names the file and the
    tensor and leaves the IR unchanged. `module-map` rewrites path prefixes
    as in `peft-load-adapter`.

    Example: `--peft-lrqat-load=path=ckpt` turns

    ```mlir
    %y = peft.linear %x, %w layout out_in role q path "l.q_proj" : ...
    ```

    into

    ```mlir
    %phi = arith.constant dense_resource<l.q_proj.phi0> : tensor<128x64xi8>
    ...
    %y = peft.lrqat_linear %x, %phi, %s, %a, %b bits 4 alpha 1.0 role q
           path "l.q_proj" : ...
    ```
  }];
  let options = [
    Option<"path", "path", "std::string", /*default=*/"\"\"",
           "Checkpoint directory (or its lrqat_model.safetensors)">,
    ListOption<"moduleMap", "module-map", "::mlir::peft::ModuleMapEntry",
               "Module path prefix rewrites, 'from=to' entries">
  ];
  let dependentDialects = ["mlir::peft::PeftDialect",
                           "mlir::arith::ArithDialect"];
}

def PeftFoldLrqat : Pass<"peft-fold-lrqat"> {
  let summary = "Fold LR-QAT's low-rank term into integer weights";
  let description = [{
    Replaces every `peft.lrqat_linear` by a `peft.qlinear` with
    `W_int = clamp(round_half_even(Φ0 + (α/r)·A·B), −2^(b−1), 2^(b−1)−1)`
    computed in f64 (A·B through BLAS), bit-exactly that formula, and the
    same scales; `Φ0`, `A` and `B` are dropped. The result is a plain
    `bits`-bit linear with no adapter cost.

    Example:

    ```mlir
    %y = peft.lrqat_linear %x, %phi, %s, %a, %b bits 4 alpha 1.0 role q : ...
    ```

    becomes

    ```mlir
    %q = arith.constant dense_resource<l.q_proj.qweight> : tensor<128x64xi4>
    %y = peft.qlinear %x, %q scales %s role q : ...
    ```
  }];
  let dependentDialects = ["mlir::peft::PeftDialect",
                           "mlir::arith::ArithDialect"];
}

def PeftMergeLoraQuantized : Pass<"peft-merge-lora-quantized"> {
  let summary = "Merge LoRA adapters into already-quantized linear layers";
  let description = [{
    For every plain (not DoRA), unmerged `peft.lora` whose layer is a
    `peft.qlinear`: dequantizes the weight, adds `s·B·A`, requantizes with
    the same scales and zero points (round half to even, clamped), and
    erases the adapter. A per-layer table goes to `report`: the error the
    requantization adds, `‖Ŵ' − (Ŵ + s·B·A)‖_F / ‖Ŵ + s·B·A‖_F`, relative to
    the unmerged float result, and how many integers changed.

    Example:

    ```mlir
    %y = peft.qlinear %x, %q scales %s role q : ...
    %z = peft.lora %x, %y, %a, %b scale 2.0 : ...
    ```

    becomes

    ```mlir
    %q1 = arith.constant dense_resource<l.q_proj.qweight.merged> : tensor<128x64xi4>
    %y = peft.qlinear %x, %q1 scales %s role q : ...
    ```
  }];
  let options = [
    ListOption<"adapters", "adapters", "std::string",
               "Adapters to merge (default: all)">,
    Option<"report", "report", "std::string", /*default=*/"\"-\"",
           "Where to write the per-layer table: '-' for standard error, a "
           "file, or 'none'">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def PeftLowRankSvd : Pass<"peft-lowrank-svd"> {
  let summary = "Factor linear layers by truncated SVD (plain or "
                "activation-whitened) into peft.lowrank";
  let description = [{
    The SVD baselines of MoDeGPT (docs/modegpt.md, "SVD baselines"): each
    selected float `peft.linear` (either layout) becomes a `peft.lowrank`
    computing `x·V'ᵀ·U'ᵀ + b` with `U' [out, k]`, `V' [k, in]` (new
    `dense_resource` blobs in the weight's element type, computed in f64 by
    peft/Support/LowRankFactorization.h):

    - `whitening=none`: truncated SVD `W = U·diag(σ)·Vᵀ`, `U' = U_k·diag(σ_k)`,
      `V' = V_kᵀ`; the squared error `‖W − U'V'‖_F²` is `Σ_{i≥k} σᵢ²`.
    - `whitening=activation` (SVD-LLM): with `C = Σ xᵀx` from the
      calibration statistics file `stats` (key `<path>.input_xtx`),
      regularized to `C + lambda·mean(diag C)·I`, and its Cholesky factor
      `S`, the SVD of `W·S` truncated to k gives `U' = U_k·diag(σ_k)`,
      `V' = V_kᵀ·S⁻¹`; `Σ_{i≥k} σᵢ²` is then the output error on the
      calibration data, `tr((W − Ŵ)·C·(W − Ŵ)ᵀ)`.

    Exactly one of `rank` (k; at most min(out, in)), `ratio` (ρ in [0, 1),
    the fraction of each layer's parameters removed: k = floor((1 − ρ)·
    out·in / (out + in)), at least 1) or `energy` (τ in (0, 1]: the smallest
    k keeping τ of Σσ²) must be given. Without `targets`, `target-regex` or
    `roles`, every linear layer but the model's output head is factored. A
    layer calibrated on fewer tokens than its input features gets a warning
    (its covariance is rank-deficient; `lambda` regularizes it).

    A table goes to `report`: layer, rank, parameters before and after,
    energy kept, the predicted squared error Σ dropped σ², and with
    whitening the relative whitened error (Σ dropped σ² / Σ σ²).

    Example (`rank=16`):

    ```mlir
    %y = peft.linear %x, %w, %b layout out_in role down path "l.down_proj"
           : tensor<?x128xf32>, tensor<64x128xf32>, tensor<64xf32>
           -> tensor<?x64xf32>
    ```

    becomes

    ```mlir
    %u = arith.constant dense_resource<l.down_proj.lowrank_u> : tensor<64x16xf32>
    %v = arith.constant dense_resource<l.down_proj.lowrank_v> : tensor<16x128xf32>
    %y = peft.lowrank %x, %u, %v, %b role down path "l.down_proj"
           : tensor<?x128xf32>, tensor<64x16xf32>, tensor<16x128xf32>,
             tensor<64xf32> -> tensor<?x64xf32>
    ```
  }];
  let options = [
    Option<"rank", "rank", "int64_t", /*default=*/"0",
           "The rank k of every selected layer">,
    Option<"ratio", "ratio", "double", /*default=*/"0.0",
           "Fraction of each layer's parameters removed, in [0, 1)">,
    Option<"energy", "energy", "double", /*default=*/"1.0",
           "Share of sum sigma^2 to keep, in (0, 1]">,
    Option<"whitening", "whitening", "::mlir::peft::LowRankWhitening",
           /*default=*/"::mlir::peft::LowRankWhitening::None",
           "Plain SVD of W, or SVD of W whitened by the input covariance",
           [{::llvm::cl::values(
             clEnumValN(::mlir::peft::LowRankWhitening::None, "none",
                        "truncated SVD of the weight"),
             clEnumValN(::mlir::peft::LowRankWhitening::Activation,
                        "activation",
                        "SVD-LLM: SVD of W·S, C = S·Sᵀ from stats"))}]>,
    Option<"stats", "stats", "std::string", /*default=*/"\"\"",
           "Calibration statistics file (whitening=activation)">,
    Option<"lambda", "lambda", "double", /*default=*/"1e-3",
           "Covariance regularization, relative to its mean diagonal">,
    ListOption<"targets", "targets", "std::string",
               "Module names (exact path or dotted suffix), or 'all-linear'">,
    Option<"targetRegex", "target-regex", "std::string", /*default=*/"\"\"",
           "Regex that must match a whole module path">,
    ListOption<"roles", "roles", "::mlir::peft::LinearRole",
               "Roles to select, as peft-raise-linear inferred them: q, k, "
               "v, o, qkv, gate, up, down, other">,
    Option<"report", "report", "std::string", /*default=*/"\"-\"",
           "Where to write the per-layer table: '-' for standard error, a "
           "file, or 'none'">
  ];
  let dependentDialects = ["mlir::peft::PeftDialect",
                           "mlir::arith::ArithDialect"];
}

#endif // PEFT_DIALECT_PEFT_TRANSFORMS_PASSES_TD
