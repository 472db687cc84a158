// A matmul compiles to a kernel that stages A and B tiles in shared memory:
// blocks of 32x64 outputs, 32-wide K slabs (a 32x32 A tile, rows padded to
// 33 floats because threads read it across rows: 4224 bytes; a 32x64 B tile:
// 8 KiB), 16x16 threads with 2x4 outputs each.
// REQUIRES: nvptx
// RUN: peft-translate --emit-ptx %s -o - | FileCheck %s
// RUN: peft-translate --emit-ptx --gpu-chip=sm_80 --gpu-features=+ptx70 %s -o - \
// RUN: | FileCheck %s --check-prefix=SM80

// CHECK:     .version 8.0
// CHECK:     .target sm_90
// CHECK:     .visible .entry matmul_kernel(
// CHECK:     .visible .entry matmul_kernel_0(
// CHECK-DAG: .shared .align 4 .b8 __wg_matmul_kernel_0_{{[01]}}[4224];
// CHECK-DAG: .shared .align 4 .b8 __wg_matmul_kernel_0_{{[01]}}[8192];
// CHECK:     ld.global
// CHECK:     st.shared
// CHECK:     bar.sync
// CHECK:     ld.shared
// CHECK:     ld.shared
// CHECK:     st.global
// SM80:      .target sm_80

func.func @matmul(%a: tensor<128x256xf32>, %b: tensor<256x192xf32>) -> tensor<128x192xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<128x192xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<128x192xf32>) -> tensor<128x192xf32>
  %c = linalg.matmul ins(%a, %b : tensor<128x256xf32>, tensor<256x192xf32>)
                     outs(%init : tensor<128x192xf32>) -> tensor<128x192xf32>
  return %c : tensor<128x192xf32>
}
