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

def PeftRaiseLinear : Pass<"peft-raise-linear", "func::FuncOp"> {
  let summary = "Recognize linear layers of an imported ONNX graph as peft.linear";
  let description = [{
    Rewrites every linear layer of an imported ONNX graph into `peft.linear`:

    - `MatMul(x, W)` with a constant 2-D weight (an initializer, possibly
      behind a `Transpose`), plus an optional `Add` of a constant bias;
    - `Gemm(x, W, C)` with `transA = 0`, any `transB`, `alpha`, `beta`
      (folded into new weight and bias blobs when not 1);
    - GPT-2 `Conv1D`: `Reshape → Gemm → Reshape` on an `[in, out]` weight.

    The module path comes from the exporter's node scope
    (`/model/layers.0/self_attn/q_proj/MatMul` gives
    `model.layers.0.self_attn.q_proj`), else from the weight's initializer
    name (`model.layers.0.self_attn.q_proj.weight`).

    The role is inferred from the graph topology, not from names: q and k
    feed the `QKᵀ` matmul (k through the transpose), v feeds the matmul after
    the softmax, o consumes the attention output, a projection whose output
    is split three ways into q, k and v is a fused `qkv`, gate and up meet at
    the product after the activation and down consumes it, and in a plain
    MLP the layer before the activation is up and the one after it down.
    Anything else is `other`.

    Example:

    ```mlir
    %w = onnx.initializer "onnx::MatMul_12" dense_resource<w> : tensor<64x64xf32>
    %y = "onnx.MatMul"(%x, %w) {onnx_node_name = ...}
           : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
    ```

    becomes

    ```mlir
    %y = peft.linear %x, %w layout in_out role q
           path "model.layers.0.self_attn.q_proj"
           : tensor<?x?x64xf32>, tensor<64x64xf32> -> tensor<?x?x64xf32>
    ```
  }];
  let dependentDialects = ["mlir::peft::PeftDialect"];
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

    `init` chooses the initialization: `zeros` and `kaiming` (PEFT's
    default: B = 0, A Kaiming-uniform with a = √5), `gaussian` (B = 0,
    A ~ N(0, 1/r²)), and `pissa` / `olora`, which take A and B from the SVD
    or QR of the base weight and rewrite the base weight to `W − s·B·A` so
    that the layer computes the same function. Random draws use `seed`.

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
    ListOption<"roles", "roles", "std::string",
               "Roles to adapt (q,k,v,o,qkv,gate,up,down,other)">,
    Option<"rank", "rank", "int64_t", /*default=*/"8", "LoRA rank r">,
    Option<"alpha", "alpha", "double", /*default=*/"8.0", "LoRA alpha">,
    Option<"rslora", "rslora", "bool", /*default=*/"false",
           "Scale by alpha/sqrt(r) (rank-stabilized LoRA)">,
    Option<"init", "init", "std::string", /*default=*/"\"kaiming\"",
           "zeros | gaussian | kaiming | pissa | olora">,
    ListOption<"rankPattern", "rank-pattern", "std::string",
               "Per-layer ranks, 'regex=rank' entries">,
    ListOption<"alphaPattern", "alpha-pattern", "std::string",
               "Per-layer alphas, 'regex=alpha' entries">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of the random initializations">,
    Option<"adapterName", "adapter", "std::string", /*default=*/"\"default\"",
           "Name of the adapter">
  ];
  let dependentDialects = ["mlir::peft::PeftDialect",
                           "mlir::peft::onnx_ir::ONNXDialect"];
}

def PeftLoadAdapter : Pass<"peft-load-adapter"> {
  let summary = "Attach a Hugging Face PEFT adapter read from disk";
  let description = [{
    Reads a PEFT adapter directory (`adapter_config.json` and
    `adapter_model.safetensors`) and attaches its adapters to the
    `peft.linear` layers they name. LoRA adapters (with `rank_pattern`,
    `alpha_pattern`, `use_rslora`, DoRA magnitude vectors) become
    `peft.lora`; IA³ adapters become `peft.ia3`. Tensors may be fp32, fp16
    or bf16; they are converted to the layer's element type.

    Keys `base_model.model.<path>.lora_A.weight` are matched to a layer by
    its module path (after the `module-map` prefix rewrites, `from=to`
    entries). A fused `qkv` layer (GPT-2 `c_attn`) takes adapters on its q,
    k and v slices as PEFT stores them. Every shape is checked against the
    layer; a key that matches no layer is an error naming it unless
    `allow-unmatched` is set. The safetensors file is memory-mapped and its
    header validated (offsets in range and consistent with dtype and shape).

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
    ListOption<"moduleMap", "module-map", "std::string",
               "Module path prefix rewrites, 'from=to' entries, applied to "
               "the adapter's paths">,
    Option<"allowUnmatched", "allow-unmatched", "bool", /*default=*/"false",
           "Warn about, rather than reject, keys that match no layer">,
    Option<"adapterName", "adapter", "std::string", /*default=*/"\"default\"",
           "Name given to the loaded adapter">
  ];
  let dependentDialects = ["mlir::peft::PeftDialect",
                           "mlir::peft::onnx_ir::ONNXDialect"];
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
  let dependentDialects = ["mlir::peft::onnx_ir::ONNXDialect"];
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
  let dependentDialects = ["mlir::peft::onnx_ir::ONNXDialect"];
}

def PeftLoraAsInputs : Pass<"peft-lora-as-inputs", "ModuleOp"> {
  let summary = "Turn adapter weights into function arguments (runtime adapters)";
  let description = [{
    Replaces the constant `A` and `B` of every unmerged `peft.lora` in the
    public functions with new function arguments of rank `max-rank`:
    `A` becomes `[max-rank, in]` and `B` `[out, max-rank]`, and the scale
    becomes an argument too (a 1-element tensor), so that one compiled model
    runs any adapter of rank ≤ `max-rank` (zero-padded rows of A and columns
    of B add nothing) without recompiling. The arguments are named after the
    PEFT keys (`<path>.lora_A.weight`, `<path>.lora_B.weight`,
    `<path>.lora_scale`), which become the graph input names on ONNX export
    and the names `peft-run --adapter` fills from an adapter directory.

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
                    %s: tensor<1xf32> {onnx.name = "l.q_proj.lora_scale"})
    ```
  }];
  let options = [
    Option<"maxRank", "max-rank", "int64_t", /*default=*/"0",
           "Rank the adapter arguments are padded to (required, > 0)">
  ];
  let dependentDialects = ["mlir::peft::PeftDialect"];
}

#endif // PEFT_DIALECT_PEFT_TRANSFORMS_PASSES_TD
