//===- Passes.td - CPU code generation passes --------------*- tablegen -*-===//
//
// The peft-cpu-* passes that `peft-lower-to-llvm` (lib/Pipelines/Pipelines.cpp)
// runs between upstream ones; each is defined in lib/Codegen/CPU/<Name>.cpp
// and tested in test/Codegen/CPU/<name>.mlir.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_CODEGEN_CPU_PASSES_TD
#define PEFT_CODEGEN_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// CPU: peft-lower-to-llvm
//===----------------------------------------------------------------------===//

def CPUMarkEntryPoints
    : Pass<"peft-cpu-mark-entry-points", "::mlir::ModuleOp"> {
  let summary = "Give public function definitions a C interface and " #
                "read-only tensor arguments";
  let description = [{
    Public function definitions are what a caller outside the module (the
    ExecutionEngine, `peft-run`, the Python module) calls. Each gets
    `llvm.emit_c_interface` (a `_mlir_ciface_` wrapper that takes memref
    descriptors by pointer), and each of its tensor arguments
    `bufferization.writable = false`, so that one-shot bufferization copies
    an argument before writing into it and a caller's input buffers are never
    written. Private functions and declarations are left alone.

    Example:

    ```mlir
    func.func @main(%x: tensor<4xf32>, %n: index) -> tensor<4xf32> {
      return %x : tensor<4xf32>
    }
    func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32>
    ```

    becomes

    ```mlir
    func.func @main(%x: tensor<4xf32> {bufferization.writable = false},
                    %n: index) -> tensor<4xf32>
        attributes {llvm.emit_c_interface} {
      return %x : tensor<4xf32>
    }
    func.func private @helper(tensor<4xf32>) -> tensor<4xf32>
    ```
  }];
}

def CPUApproximateMath
    : Pass<"peft-cpu-approximate-math", "::mlir::func::FuncOp"> {
  let summary = "Replace f32 math ops with polynomial approximations that " #
                "LLVM can vectorize";
  let description = [{
    Calls to libm (`erff`, `expf`, `tanhf`, ...) keep LLVM's loop vectorizer
    off the elementwise loops of GELU and softmax. The math ops named in
    `ops` on f32 (scalars or vectors) become MLIR's branch-free polynomial
    approximations (`populateMathPolynomialApproximationPatterns`): plain
    arith ops, accurate to a few ulp (every test model stays within 1e-6 of
    onnxruntime). Other math ops, and other element types, are left alone.

    Example:

    ```mlir
    %y = math.erf %x : f32
    ```

    becomes (abridged)

    ```mlir
    %neg = arith.cmpf olt, %x, %zero : f32
    %nx = arith.negf %x : f32
    %ax = arith.select %neg, %nx, %x : f32
    ...
    %p1 = math.fma %ax, %p0, %a3 : f32
    ...
    %q = arith.divf %p, %d : f32
    ...
    %y = arith.select %neg, %nr, %r : f32
    ```
  }];
  let options = [
    ListOption<"ops", "ops", "std::string",
               "Math ops to approximate, without the `math.` prefix "
               "(default: erf,exp,tanh,log,log1p,expm1)",
               "llvm::cl::list_init<std::string>({\"erf\", \"exp\", "
               "\"tanh\", \"log\", \"log1p\", \"expm1\"})">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def CPUTileContractions
    : Pass<"peft-cpu-tile-contractions", "::mlir::func::FuncOp"> {
  let summary = "Tile matmul-like linalg contractions on tensors into " #
                "static-shaped register tiles, for peft-cpu-vectorize-tiles";
  let description = [{
    Every contraction on tensors with one M, one N and one K loop (plus batch
    loops), N being the innermost dimension of B and of C (`linalg.matmul`,
    batch matmuls, x·W; not x·Wᵀ), is tiled for an outer-product
    micro-kernel:

    1. cache panels: where N exceeds `panel-n` or K exceeds `panel-k`, B is
       cut into panels of that size (loops N, K, M), so that a panel stays in
       L2 while every row tile of A passes over it;
    2. register tiles: loops batch, M, N, K with tiles of the first sizes of
       `tiles-m` x `tiles-n` x 1 (a static dimension smaller than its tile is
       taken whole); the C tile (8x32 floats by default: 16 AVX-512
       registers) stays in registers across the K loop;
    3. full tiles are peeled from partial ones (`scf.for` peeling, outermost
       loop first), so a full tile has a static shape; a remainder whose M or
       N size is still dynamic is tiled again with the next size of the list
       (8 -> 1 in M, 32 -> 8 -> 1 in N by default), until every tile is
       static.

    Each tile op is marked `peft.matmul_tile = array<i64: m, n, levelM,
    levelN>` for `peft-cpu-vectorize-tiles`. A contraction whose C comes
    from a `linalg.fill` shared with other ops first gets a fill of its own
    (on a `bufferization.alloc_tensor`), so that bufferization writes it in
    place instead of copying the shared buffer before every write. Loops
    are canonicalized between the levels (affine.min/max folded from the
    loop bounds).

    Example:

    ```mlir
    %c = linalg.fill ins(%zero : f32) outs(%e : tensor<16x48xf32>) -> tensor<16x48xf32>
    %r = linalg.matmul ins(%a, %b : tensor<16x64xf32>, tensor<64x48xf32>)
                       outs(%c : tensor<16x48xf32>) -> tensor<16x48xf32>
    ```

    becomes (abridged: the N loop of 48 is peeled into a 32- and a 16-wide
    tile)

    ```mlir
    %r = scf.for %i = %c0 to %c16 step %c8 iter_args(%acc = %c) -> (tensor<16x48xf32>) {
      %full = scf.for %k = %c0 to %c64 step %c1 iter_args(%t = %acc) -> (tensor<16x48xf32>) {
        ...
        %m = linalg.matmul {peft.matmul_tile = array<i64: 0, 1, 0, 0>}
               ins(%a8x1, %b1x32 : tensor<8x1xf32>, tensor<1x32xf32>)
               outs(%c8x32 : tensor<8x32xf32>) -> tensor<8x32xf32>
        ...
      }
      %part = scf.for %k = %c0 to %c64 step %c1 iter_args(%t = %full) -> (tensor<16x48xf32>) {
        ...
        %m = linalg.matmul {peft.matmul_tile = array<i64: 0, 1, 0, 0>}
               ins(%a8x1, %b1x16 : tensor<8x1xf32>, tensor<1x16xf32>)
               outs(%c8x16 : tensor<8x16xf32>) -> tensor<8x16xf32>
        ...
      }
      scf.yield %part : tensor<16x48xf32>
    }
    ```
  }];
  let options = [
    ListOption<"tilesM", "tiles-m", "int64_t",
               "Register tile sizes in M (rows of C, broadcasts of A), "
               "largest first; each is the next level for a dynamic "
               "remainder (default: 8,1)",
               "llvm::cl::list_init<int64_t>({8, 1})">,
    ListOption<"tilesN", "tiles-n", "int64_t",
               "Register tile sizes in N (columns of C, vectors of B), "
               "largest first (default: 32,8,1)",
               "llvm::cl::list_init<int64_t>({32, 8, 1})">,
    Option<"panelK", "panel-k", "int64_t", /*default=*/"512",
           "K size of the cache panels of B (default: 512; 0: no panels "
           "in K)">,
    Option<"panelN", "panel-n", "int64_t", /*default=*/"256",
           "N size of the cache panels of B (default: 256; 0: no panels "
           "in N); 512x256 floats = 512 KiB stay in L2">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def CPUVectorizeTiles
    : Pass<"peft-cpu-vectorize-tiles", "::mlir::func::FuncOp"> {
  let summary = "Vectorize the register tiles made by " #
                "peft-cpu-tile-contractions into vector.contract";
  let description = [{
    Every linalg op marked `peft.matmul_tile` with a static shape becomes
    `vector.transfer_read`s of its operands, a `vector.contract` and a
    `vector.transfer_write` of C (`linalg::vectorize`); the mark is removed
    from all of them, and a tile that is still dynamic (a remainder the
    tile sizes could not make static) stays a scalar linalg op. Then
    transfer permutations are lowered, reductions folded into contractions
    and transfers of tensor slices folded, so that
    `loop-invariant-subset-hoisting` can keep the C tile in registers across
    the K loop. Unmarked ops are left alone.

    Example:

    ```mlir
    %r = linalg.matmul {peft.matmul_tile = array<i64: 0, 1, 0, 0>}
           ins(%a, %b : tensor<8x1xf32>, tensor<1x32xf32>)
           outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
    ```

    becomes

    ```mlir
    %va = vector.transfer_read %a[%c0, %c0], %cst {in_bounds = [true, true]} : tensor<8x1xf32>, vector<8x1xf32>
    %vb = vector.transfer_read %b[%c0, %c0], %cst {in_bounds = [true, true]} : tensor<1x32xf32>, vector<1x32xf32>
    %vc = vector.transfer_read %c[%c0, %c0], %cst {in_bounds = [true, true]} : tensor<8x32xf32>, vector<8x32xf32>
    %vr = vector.contract {indexing_maps = [#map, #map1, #map2],
                           iterator_types = ["parallel", "parallel", "reduction"],
                           kind = #vector.kind<add>} %va, %vb, %vc
            : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
    %r = vector.transfer_write %vr, %c[%c0, %c0] {in_bounds = [true, true]} : vector<8x32xf32>, tensor<8x32xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def CPUOutlineLoops : Pass<"peft-cpu-outline-loops", "::mlir::ModuleOp"> {
  let summary = "Outline each top-level loop nest of a function into a " #
                "private no-inline function";
  let description = [{
    LLVM's function passes are superlinear in the size of a function, and a
    whole transformer graph lowered into one function has thousands of
    blocks: outlining each top-level loop nest cuts JIT time several-fold.

    In every function definition with at least `min-loops` top-level
    `scf.for`/`scf.parallel` ops, each of them moves into a new private
    function `<name>_loop<i>` (internal linkage, `passthrough = ["noinline"]`,
    so that LLVM does not inline it straight back), called in its place.
    Constants the loop uses are cloned in, so it keeps its static bounds;
    every other value it uses becomes an argument, and its results the
    function's results.

    Example:

    ```mlir
    func.func @f(%x: memref<8xf32>, %y: memref<8xf32>) {
      ...
      scf.for %i = %c0 to %c8 step %c1 {
        %v = memref.load %x[%i] : memref<8xf32>
        %w = arith.mulf %v, %two : f32
        memref.store %w, %y[%i] : memref<8xf32>
      }
      scf.for %i = %c0 to %c8 step %c1 { ... %y ... }
      return
    }
    ```

    becomes

    ```mlir
    func.func @f(%x: memref<8xf32>, %y: memref<8xf32>) {
      ...
      call @f_loop0(%x, %y) : (memref<8xf32>, memref<8xf32>) -> ()
      call @f_loop1(%y) : (memref<8xf32>) -> ()
      return
    }
    func.func private @f_loop1(%y: memref<8xf32>)
        attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]} {
      ...
    }
    func.func private @f_loop0(%x: memref<8xf32>, %y: memref<8xf32>)
        attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]} {
      %two = arith.constant 2.000000e+00 : f32
      %c0 = arith.constant 0 : index
      ...
      scf.for %i = %c0 to %c8 step %c1 { ... }
      return
    }
    ```
  }];
  let options = [
    Option<"minLoops", "min-loops", "unsigned", /*default=*/"2",
           "Outline only functions with at least this many top-level "
           "loops (default: 2; a single loop is as small as the function "
           "gets)">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}


def CPURuntimeErrors : Pass<"peft-cpu-runtime-errors", "::mlir::ModuleOp"> {
  let summary = "Report failed run-time checks (cf.assert) through the " #
                "runtime's error handler instead of aborting the process";
  let description = [{
    A `cf.assert` that fails prints its message and aborts the process once
    lowered by `convert-cf-to-llvm`: under `peft-run` that is a crash, and
    in Python it takes the interpreter down. This pass numbers the
    `cf.assert` ops of the module's functions (host code; the kernels of a
    `gpu.module` are left alone) and replaces each by a call of
    `@peft_runtime_error(id)` when its condition is false. The messages and
    locations go into the module attribute `peft.runtime_errors`
    (`[[message, location], ...]`, indexed by `id`), which the runtime reads
    when it compiles the module. The runtime (`peft-run`, `Module.run`)
    defines the handler: it abandons the call (memory the generated code
    allocated before the check is not freed) and reports the message and
    location as an error of that call. The pass runs in `peft-lower-to-llvm`
    and `peft-lower-to-nvvm` when their `runtime-errors` option is set, as
    the runtime sets it; without it, modules stay runnable by `mlir-runner`,
    whose `cf.assert` aborts.

    Example:

    ```mlir
    func.func @f(%n: index, %m: index) {
      %ok = arith.cmpi eq, %n, %m : index
      cf.assert %ok, "n and m differ"
      return
    }
    ```

    becomes

    ```mlir
    module attributes {peft.runtime_errors = [["n and m differ", loc(...)]]} {
      func.func @f(%n: index, %m: index) {
        %ok = arith.cmpi eq, %n, %m : index
        %true = arith.constant true
        %failed = arith.xori %ok, %true : i1
        scf.if %failed {
          %c0 = arith.constant 0 : i64
          func.call @peft_runtime_error(%c0) : (i64) -> ()
        }
        return
      }
      func.func private @peft_runtime_error(i64)
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::scf::SCFDialect"
  ];
}

#endif // PEFT_CODEGEN_CPU_PASSES_TD
