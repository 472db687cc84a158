// peft-gpu-merge-kernel-modules: outlining gives each kernel a module and
// names the kernels of one function alike; one module holds them all after,
// renamed after their old modules, and the launches follow.
// RUN: peft-opt %s --peft-gpu-merge-kernel-modules | FileCheck %s
// RUN: peft-opt %s --peft-gpu-merge-kernel-modules | FileCheck %s --check-prefix=ONCE

// Declarations both modules had are kept once.
// ONCE:     llvm.func @__nv_expf(f32) -> f32
// ONCE-NOT: llvm.func @__nv_expf

// CHECK:     gpu.module @f_kernel {
// CHECK-DAG:   gpu.func @f_kernel(
// CHECK-DAG:   gpu.func @f_kernel_0(
// CHECK-DAG:   llvm.func @__nv_expf(f32) -> f32
// CHECK:     }
// CHECK-NOT: gpu.module
// CHECK:     func.func @f
// CHECK:       gpu.launch_func @f_kernel::@f_kernel blocks
// CHECK:       gpu.launch_func @f_kernel::@f_kernel_0 blocks
module attributes {gpu.container_module} {
  gpu.module @f_kernel {
    llvm.func @__nv_expf(f32) -> f32
    gpu.func @f_kernel(%x: memref<4xf32>) kernel { gpu.return }
  }
  gpu.module @f_kernel_0 {
    llvm.func @__nv_expf(f32) -> f32
    gpu.func @f_kernel(%x: memref<4xf32>) kernel { gpu.return }
  }
  func.func @f(%x: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    gpu.launch_func @f_kernel_0::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    return
  }
}
