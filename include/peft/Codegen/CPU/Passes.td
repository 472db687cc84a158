//===- Passes.td - passes of the peft pipelines ------------*- tablegen -*-===//
//
// The passes `peft-lower-to-llvm` (peft-cpu-*, assembled in Pipelines.cpp) and
// `peft-lower-to-nvvm` (peft-gpu-*, assembled in GPUPipeline.cpp) run between
// upstream ones; each is defined in lib/Pipelines/<Name>.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_PIPELINES_PASSES_TD
#define PEFT_PIPELINES_PASSES_TD

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

//===----------------------------------------------------------------------===//
// GPU: peft-lower-to-nvvm
//===----------------------------------------------------------------------===//

def GPUMapLinalg : Pass<"peft-gpu-map-linalg", "::mlir::ModuleOp"> {
  let summary = "Map linalg ops on buffers (static shapes) to gpu.launch " #
                "kernels: blocks x threads, shared-memory A/B tiles for " #
                "contractions";
  let description = [{
    Every linalg op on buffers (after bufferization; `memref.copy` between
    buffers first becomes `linalg.copy`) in a `func.func` becomes one
    `gpu.launch`, by a transform-dialect script written for that op and
    applied in place:

    - a contraction with one K loop (matmul, batch matmul, x·Wᵀ) is tiled
      into blocks of up to 32 x 64 outputs (a batch or outer M/N loop goes to
      grid z), a K loop over slabs of up to 32 whose A and B tiles are copied
      into workgroup memory by all threads of the block together, and a
      grid of up to 256 threads (at most 16 rows) that each compute a few
      outputs from shared memory; a tile that threads read across its rows
      is padded by one element per row against bank conflicts;
    - any other op gets blocks of up to 256 points of its parallel loops
      (innermost first), one point per thread; reduction loops stay serial.

    Tile sizes divide the static loop ranges, so no tile is partial. Dynamic
    shapes, and ops without parallel loops, are reported as errors.

    Example:

    ```mlir
    func.func @matmul(%a: memref<64x128xf32>, %b: memref<128x256xf32>,
                      %c: memref<64x256xf32>) {
      linalg.matmul ins(%a, %b : memref<64x128xf32>, memref<128x256xf32>)
                    outs(%c : memref<64x256xf32>)
      return
    }
    ```

    becomes (after `-canonicalize -cse`, abridged)

    ```mlir
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c2, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c16, %sy = %c16, %sz = %c1)
               workgroup(%bt : memref<32x64xf32, #gpu.address_space<workgroup>>,
                         %at : memref<32x33xf32, #gpu.address_space<workgroup>>) {
      %a32 = memref.subview %at[0, 0] [32, 32] [1, 1] : ... to memref<32x32xf32, strided<[33, 1]>, ...>
      ...
      scf.for %k = %c0 to %c128 step %c32 {
        gpu.barrier
        scf.for %i = %t to %c1024 step %threads {  // A slab -> %a32
          ...
        }
        gpu.barrier
        scf.for %i = %t to %c2048 step %threads {  // B slab -> %bt
          ...
        }
        gpu.barrier
        linalg.matmul ins(%a2x32, %b32x4 : ...) outs(%c2x4 : memref<2x4xf32, ...>)
        gpu.barrier
      }
      gpu.terminator
    }
    ```
  }];
  let constructor = "::mlir::peft::createGPUMapLinalgPass()";
  let dependentDialects = [
    "::mlir::transform::TransformDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::linalg::LinalgDialect"
  ];
}

def GPUDeviceBuffers : Pass<"peft-gpu-device-buffers", "::mlir::ModuleOp"> {
  let summary = "Put the buffers that gpu.launch bodies use in device " #
                "memory: allocations become gpu.alloc, arguments and " #
                "globals are copied in (and written arguments back), the " #
                "host gets host copies";
  let description = [{
    Every buffer a `gpu.launch` body uses (through views: the buffer they look
    into) moves to device memory, while the host keeps seeing host memory:

    - a `memref.alloc` becomes `gpu.alloc` (its `memref.dealloc` becomes
      `gpu.dealloc`, or one is added before every return);
    - a function argument, a global or any other buffer gets a device copy
      (`gpu.alloc` + `gpu.memcpy`) freed before every return; one that is
      not a global and may be written is copied back there first;
    - a host op that reads or writes the contents of a device buffer gets a
      host copy (copied from the device before, back after a write), the
      views leading to it rebuilt on the copy; a returned buffer is returned
      as such a host copy.

    Ops that only read a buffer's descriptor (views, `memref.dim`, ...) stay
    on the device buffer. Kernel operands must have an identity layout in
    the default memory space.

    Example:

    ```mlir
    func.func @add(%x: memref<4xf32>, %y: memref<4xf32>) {
      %t = memref.alloc() : memref<4xf32>
      gpu.launch ... {
        %a = memref.load %x[%tx] : memref<4xf32>
        memref.store %a, %t[%tx] : memref<4xf32>
        memref.store %a, %y[%tx] : memref<4xf32>
        gpu.terminator
      }
      memref.dealloc %t : memref<4xf32>
      return
    }
    ```

    becomes

    ```mlir
    func.func @add(%x: memref<4xf32>, %y: memref<4xf32>) {
      %dy = gpu.alloc () : memref<4xf32>
      gpu.memcpy %dy, %y : memref<4xf32>, memref<4xf32>
      %dx = gpu.alloc () : memref<4xf32>
      gpu.memcpy %dx, %x : memref<4xf32>, memref<4xf32>
      %t = gpu.alloc () : memref<4xf32>
      gpu.launch ... {
        %a = memref.load %dx[%tx] : memref<4xf32>
        memref.store %a, %t[%tx] : memref<4xf32>
        memref.store %a, %dy[%tx] : memref<4xf32>
        gpu.terminator
      }
      gpu.dealloc %t : memref<4xf32>
      gpu.memcpy %y, %dy : memref<4xf32>, memref<4xf32>
      gpu.dealloc %dx : memref<4xf32>
      gpu.dealloc %dy : memref<4xf32>
      return
    }
    ```
  }];
  let constructor = "::mlir::peft::createGPUDeviceBuffersPass()";
  let dependentDialects = [
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def GPUMergeKernelModules
    : Pass<"peft-gpu-merge-kernel-modules", "::mlir::ModuleOp"> {
  let summary = "Move the kernels of all gpu.modules into the first one";
  let description = [{
    `gpu-kernel-outlining` gives every kernel its own `gpu.module`; one module
    makes one device binary (one PTX file, one `cuModuleLoad`). The symbols of
    the other modules move into the first one: a kernel whose name is taken
    there is renamed after its old module, an external function (intrinsics,
    libdevice) that is already there is dropped, and the `gpu.launch_func`
    ops follow the renamed kernels.

    Example:

    ```mlir
    gpu.module @f_kernel {
      llvm.func @__nv_expf(f32) -> f32
      gpu.func @f_kernel(%x: memref<4xf32>) kernel { gpu.return }
    }
    gpu.module @f_kernel_0 {
      llvm.func @__nv_expf(f32) -> f32
      gpu.func @f_kernel(%x: memref<4xf32>) kernel { gpu.return }
    }
    func.func @f(%x: memref<4xf32>) {
      gpu.launch_func @f_kernel::@f_kernel blocks in ... args(%x : memref<4xf32>)
      gpu.launch_func @f_kernel_0::@f_kernel blocks in ... args(%x : memref<4xf32>)
      return
    }
    ```

    becomes

    ```mlir
    gpu.module @f_kernel {
      llvm.func @__nv_expf(f32) -> f32
      gpu.func @f_kernel(%x: memref<4xf32>) kernel { gpu.return }
      gpu.func @f_kernel_0(%x: memref<4xf32>) kernel { gpu.return }
    }
    func.func @f(%x: memref<4xf32>) {
      gpu.launch_func @f_kernel::@f_kernel blocks in ... args(%x : memref<4xf32>)
      gpu.launch_func @f_kernel::@f_kernel_0 blocks in ... args(%x : memref<4xf32>)
      return
    }
    ```
  }];
  let constructor = "::mlir::peft::createGPUMergeKernelModulesPass()";
}

#endif // PEFT_PIPELINES_PASSES_TD
