//===- Passes.td - GPU code generation passes --------------*- tablegen -*-===//
//
// The peft-gpu-* passes that `peft-lower-to-nvvm`
// (lib/Pipelines/GPUPipeline.cpp) runs between upstream ones; each is defined
// in lib/Codegen/GPU/<Name>.cpp and tested in test/Codegen/GPU/<name>.mlir.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_CODEGEN_GPU_PASSES_TD
#define PEFT_CODEGEN_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

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

#endif // PEFT_CODEGEN_GPU_PASSES_TD
