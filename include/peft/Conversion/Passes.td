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

    `peft.lora` (unmerged) computes the two skinny products of the adapter
    on the collapsed input, both reading their weight transposed through
    the indexing maps, and adds the scaled update to the base:

    ```mlir
    %t = linalg.matmul indexing_maps = [(m, n, k) -> (m, k), (m, n, k) -> (n, k), ...]
           ins(%x, %A : tensor<?x64xf32>, tensor<8x64xf32>) ...   // [rows, r]
    %u = linalg.matmul indexing_maps = [... same ...]
           ins(%t, %B : tensor<?x8xf32>, tensor<96x8xf32>) ...    // [rows, out]
    %y = linalg.generic {...} ins(%base, %u ...) { base + s·u }
    ```

    `B·A` (`[out, in]`) is never formed for a plain LoRA adapter. A DoRA
    adapter (`magnitude`) needs the row norms of the adapted weight, so it
    forms `W0 + s·B·A` once to compute `g = m / ‖W0 + s·B·A‖_row` (an
    `[out]` vector, computed at run time; merge DoRA adapters to avoid
    it), then `y = g ⊙ (base − b + s·u) + b` (the layer's bias is not
    rescaled, as in Hugging Face PEFT). A `merged` adapter is replaced by
    its base.

    `peft.ia3` multiplies the layer output by `l` broadcast over the rows;
    with `feedforward` it scales the layer's input columns and computes a
    new product `(x ⊙ l)·W + b` with the layer's weight and bias (the
    layer's own product is then dead and removed by canonicalization).

    f16/bf16 layers accumulate in f32, as PyTorch and ONNX Runtime do: every
    matmul has an f32 accumulator, the bias, `base + s·u` and DoRA's norms
    and factor are computed in f32, and each op's result is rounded to its
    element type once (`t = x·Aᵀ` is rounded before its product with `Bᵀ`,
    as PyTorch's `lora_A` output is).

    A routed `peft.lora_bank` becomes, by default, a counting sort of its
    row groups by task and one gathered pair of matmuls per task at the
    task's own rank (docs/banks.md). With `gathered-banks` (the GPU pipeline)
    it becomes two all-parallel generics on static shapes instead: the
    shrink `x·A_tᵀ` over `[rows, R]` and the expand `·B_tᵀ` fused with
    `base + s_t·u`; every row reads its own task's rows of the stacks, and
    each reduction is a loop in the body whose trip count is the row's own
    rank (a shrink lane past it runs none). No data-dependent shapes, so
    each maps to a kernel.

    An op that has no lowering (e.g. a weight whose output extent is
    dynamic) is reported as an error at its location.
  }];
  let options = [
    Option<"gatheredBanks", "gathered-banks", "bool", /*default=*/"false",
           "Lower routed adapter banks as static-shaped gathered generics "
           "(for the GPU) instead of per-task grouped matmuls">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::cf::ControlFlowDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect",
    "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect"
  ];
}

def ConvertPeftQLinearToVector
    : Pass<"convert-peft-qlinear-to-vector", "func::FuncOp"> {
  let summary = "Lower int4/int8 peft.qlinear to a vectorized CPU kernel " #
                "that dequantizes in registers";
  let description = [{
    The CPU fast path of `peft.qlinear` (`peft-lower-to-llvm` runs it before
    `convert-peft-to-linalg`, which lowers every other qlinear to its scalar
    generic). A qlinear with a 4- or 8-bit weight (int4: a constant; int8:
    constant or runtime), `in` and every group size multiples of 32 and a
    static `out` becomes `scf.for` loops over `vector` ops on tensors, in which
    the packed weight is read, unpacked and scaled in registers and never
    written out as a float tensor:

    - chunks of 32 weights along `in`: 16 bytes (int4) read as
      `vector<16xi8>`, split into low and high nibbles by shifts
      (`arith.shli`/`arith.shrsi`: sign-extended), `arith.sitofp` to two
      `vector<16xf32>`; the activations of the chunk are read as
      `vector<32xf32>` (f16/bf16 extended) and `vector.deinterleave`d into
      even and odd lanes to match. int8 reads two `vector<16xi8>`.
    - the group's scale (and zero point, as `-z·s`) are scalars broadcast:
      `ŵ = q·s − z·s` by one `vector.fma`, so per-channel and grouped
      weights take the same path.
    - register tiles of `tile-m` rows × `tile-n` outputs: each chunk of a
      tile's `tile-n` weight rows is dequantized once and used by `tile-m`
      rows, accumulating `tile-m × tile-n` `vector<16xf32>` (16 AVX-512
      registers by default); the rows past a multiple of `tile-m` (all rows
      at M = 1: the GEMV) run 1 × `gemv-tile-n`, the outputs past a
      multiple of the tile 1 wide. M is dynamic.
    - loops: output tiles, then row tiles (so a tile's weight rows, read
      from memory once, stay in L1/L2 while every row tile passes over
      them), then the chunks of K; each accumulator is reduced
      (`vector.reduction`) and added into the f32 result. With `panel-k`
      set, an outer loop over K panels comes first (off by default).
    - bias and the one rounding to f16/bf16 follow, as in the generic path.

    Other qlinears (2 and 3 bits, `in` or a group size not a multiple of
    32) are left to `convert-peft-to-linalg`.

    Example:

    ```mlir
    %y = peft.qlinear %x, %q scales %s group_size 32 role q
           : tensor<?x64xf32>, tensor<16x64xi4>, tensor<16x2xf32> -> tensor<?x16xf32>
    ```

    becomes (abridged)

    ```mlir
    %bytes = arith.constant dense_resource<q> : tensor<512xi8>
    %y = scf.for %n = %c0 to %c16 step %c4 iter_args(%yn = %zero) -> (tensor<?x16xf32>) {
      %ym = scf.for %m = %c0 to %rows4 step %c4 iter_args(%t = %yn) -> (tensor<?x16xf32>) {
        %acc:16 = scf.for %k = %c0 to %c64 step %c32 iter_args(...) -> (vector<16xf32>, ...) {
          %b = vector.transfer_read %bytes[%off], %c0_i8 {in_bounds = [true]} : tensor<512xi8>, vector<16xi8>
          %sh = arith.shli %b, %c4v : vector<16xi8>
          %lo = arith.shrsi %sh, %c4v : vector<16xi8>
          %hi = arith.shrsi %b, %c4v : vector<16xi8>
          %flo = arith.sitofp %lo : vector<16xi8> to vector<16xf32>
          %wlo = arith.mulf %flo, %sv : vector<16xf32>
          ...
          %xv = vector.transfer_read %x[%m, %k], %f0 {in_bounds = [true]} : tensor<?x64xf32>, vector<32xf32>
          %even, %odd = vector.deinterleave %xv : vector<32xf32> -> vector<16xf32>
          %a0 = vector.fma %even, %wlo, %acc0 : vector<16xf32>
          %a1 = vector.fma %odd, %whi, %a0 : vector<16xf32>
          ...
        }
        %r0 = vector.reduction <add>, %acc#0 fastmath<reassoc> : vector<16xf32> into f32
        ...
        %row = vector.from_elements %r0, %r1, %r2, %r3 : vector<4xf32>
        ... (added into %t[%m + i, %n] by transfer_read / transfer_write)
      }
      scf.yield %ym : tensor<?x16xf32>
    }
    // then the rows past a multiple of 4, one at a time, 8 outputs a tile
    ```
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"4",
           "Rows of the register tile of the small-M GEMM (default: 4)">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"4",
           "Outputs of the register tile of the small-M GEMM (default: 4; "
           "tile-m x tile-n vector<16xf32> accumulators)">,
    Option<"gemvTileN", "gemv-tile-n", "int64_t", /*default=*/"8",
           "Outputs of the register tile of the rows past a multiple of "
           "tile-m (the M = 1 GEMV; default: 8)">,
    Option<"panelK", "panel-k", "int64_t", /*default=*/"0",
           "K panel, a multiple of 32 (default: 0, no panels: each weight "
           "row is one sequential stream, which measured faster at M = 1, "
           "16 and 128 than panels of 256 to 4096, bench/quant_matmul.py)">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect",
    "mlir::vector::VectorDialect"
  ];
}

def ConvertPeftQLinearToGPU
    : Pass<"convert-peft-qlinear-to-gpu", "func::FuncOp"> {
  let summary = "Lower int4 peft.qlinear to a split-K GPU kernel that " #
                "dequantizes in registers";
  let description = [{
    The GPU path of `peft.qlinear` (`peft-lower-to-nvvm` runs it before
    `convert-peft-to-linalg`). A qlinear with a constant int4 weight (and
    int4 zero points, if any), static shapes, f32 activations, and `in` and
    the group size multiples of 32 becomes one `gpu.launch` on the buffers of
    its operands (`bufferization.to_buffer`, read-only) writing a
    zero-filled result buffer:

    - a warp per output `n` (blocks of 32 x 8 threads: 8 outputs); lane `l`
      reads chunks `l, l + 32, ...` of the output's weight row, each one
      16-byte `vector.load` (`align 16`: `ld.global.v4` in PTX) of 32 int4
      weights, split into nibbles by shifts, converted and scaled in
      registers (`ŵ = q·s − z·s`), and multiplied with the matching
      deinterleaved 32 activations (two 16-byte loads... as `vector<32xf32>`)
      of each of up to 4 rows (`M` tiles of 4, 2 or 1, the grid's z);
    - split-K: the chunks of a row are divided into `split-k` ranges (the
      grid's y; default: about two chunks a lane, at most 16 ranges), so a
      single row (decode, M = 1) still launches out/8 x splits blocks;
    - each warp reduces its lanes (`gpu.shuffle xor` butterfly) and lane 0
      adds the partial sum into the result with `memref.atomic_rmw addf`;
    - bias and the rounding follow as linalg ops (their own kernels).

    Other qlinears (int2/3/8, f16/bf16 activations, dynamic shapes, extents
    that are not multiples of 32) are left to `convert-peft-to-linalg`'s
    scalar generic.

    Example:

    ```mlir
    %y = peft.qlinear %x, %q scales %s group_size 32 role q
           : tensor<1x64xf32>, tensor<16x64xi4>, tensor<16x2xf32> -> tensor<1x16xf32>
    ```

    becomes (abridged)

    ```mlir
    %xb = bufferization.to_buffer %x read_only : tensor<1x64xf32> to memref<1x64xf32>
    %wb = bufferization.to_buffer %bytes read_only : tensor<512xi8> to memref<512xi8>
    %y = memref.alloc() : memref<1x16xf32>
    linalg.fill ins(%zero : f32) outs(%y : memref<1x16xf32>)
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%c32, %c8, %c1) {
      ...
      %acc = scf.for %c = %first to %end step %c32 iter_args(%a = %zeros) -> (vector<16xf32>) {
        %p = vector.load %wb[%off] {alignment = 16 : i64} : memref<512xi8>, vector<16xi8>
        ... nibbles, sitofp, scale, deinterleaved activations, two vector.fma ...
      }
      %v = vector.reduction <add>, %acc : vector<16xf32> into f32
      %s1, %ok1 = gpu.shuffle xor %v, %c16_i32, %c32_i32 : f32
      ...
      scf.if %lane0 {
        memref.atomic_rmw addf %sum, %y[%m, %n] : (f32, memref<1x16xf32>) -> f32
      }
      gpu.terminator
    }
    %yt = bufferization.to_tensor %y restrict writable : memref<1x16xf32> to tensor<1x16xf32>
    ```
  }];
  let options = [
    Option<"splitK", "split-k", "int64_t", /*default=*/"0",
           "Ranges the K chunks of a row are split into (the grid's y; "
           "default 0: about two chunks a lane, 1 to 16)">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::bufferization::BufferizationDialect",
    "mlir::gpu::GPUDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect",
    "mlir::vector::VectorDialect"
  ];
}

def ConvertONNXToLinalg : Pass<"convert-onnx-to-linalg", "func::FuncOp"> {
  let summary = "Lower onnx ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites an imported ONNX graph (the `onnx` dialect) into structured ops
    on tensors with ONNX semantics: numpy broadcasting, dynamic batch and
    sequence dimensions computed at run time from `tensor.dim`, unsigned
    element types mapped to signless integers (operations that care use the
    unsigned arith ops). Graph initializers become `arith.constant` over the
    same blobs. `peft.linear` and other peft ops are left for
    `convert-peft-to-linalg`.

    f16/bf16 contractions (MatMul, Gemm, Einsum, MatMulNBits) and reductions
    (ReduceSum/Mean/L2, Softmax, LayerNormalization) accumulate in f32 and
    round to the element type once, as PyTorch and ONNX Runtime do; float
    math (Sqrt, Exp, Erf, Sigmoid, ...) is evaluated in f32 and rounded once.
    f32 and f64 are unchanged.

    Example:

    ```mlir
    %y = "onnx.Add"(%a, %b) : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    ```

    becomes

    ```mlir
    %d0 = tensor.dim %a, %c0 : tensor<?x4xf32>
    %e = tensor.empty(%d0) : tensor<?x4xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                          affine_map<(d0, d1) -> (d1)>,
                                          affine_map<(d0, d1) -> (d0, d1)>],
                         iterator_types = ["parallel", "parallel"]}
           ins(%a, %b : tensor<?x4xf32>, tensor<4xf32>) outs(%e : tensor<?x4xf32>) {
      ^bb0(%x: f32, %z: f32, %o: f32):
        %s = arith.addf %x, %z : f32
        linalg.yield %s : f32
    } -> tensor<?x4xf32>
    ```

    Gather indices outside `[-s, s)` are an error, as in ONNX Runtime: a
    compile-time one for constant indices, else a run-time check
    (`index-checks`) whose failure `peft-run` and `Module.run` report with
    the node's name.

    A node that cannot be lowered (an op with no lowering, an unranked or
    unknown-element-type value, an unsupported attribute value) is reported
    as an error naming the ONNX node, and the function is left unchanged.
  }];
  let options = [
    Option<"indexChecks", "index-checks", "bool", /*default=*/"true",
           "Check at run time that Gather indices lie in [-s, s) (a "
           "cf.assert: an error of the call under peft-run and Module.run, "
           "an abort elsewhere); constant indices are checked at compile "
           "time either way. Off in peft-lower-to-nvvm, whose host code "
           "cannot read device buffers">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::cf::ControlFlowDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect",
    "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect"
  ];
}

#endif // PEFT_CONVERSION_PASSES_TD
