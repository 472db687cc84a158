// f16 and bf16 matmuls accumulate in f32 on the GPU too: a kernel zeroes the
// f32 accumulator, the tiled kernel stages the 16-bit A and B tiles in
// shared memory (a 32x32 tile of A, rows padded to 33 halves: 2112 bytes; a
// 32x64 tile of B: 4096 bytes), widens each element to f32 and multiplies
// and adds in f32 into the f32 accumulator (32-bit stores), and one more
// kernel rounds the result to the element type.
// REQUIRES: nvptx
// RUN: peft-translate --emit-ptx %s -o - | FileCheck %s
// RUN: peft-translate --emit-ptx %s -o - | FileCheck %s --check-prefix=NOHALF

// CHECK:     .visible .entry matmul_f16_kernel(
// CHECK:     st.global.b32 {{.*}}, 0;
// CHECK:     .visible .entry matmul_f16_kernel_0(
// CHECK-DAG: .shared .align 2 .b8 __wg_matmul_f16_kernel_0_{{[01]}}[2112];
// CHECK-DAG: .shared .align 2 .b8 __wg_matmul_f16_kernel_0_{{[01]}}[4096];
// CHECK:     st.shared.b16
// CHECK:     bar.sync
// CHECK:     ld.shared
// CHECK:     cvt.f32.f16
// CHECK:     mul.rn.f32
// CHECK:     add.rn.f32
// CHECK:     st.global.b32
// CHECK:     .visible .entry matmul_f16_kernel_1(
// CHECK:     cvt.rn.f16.f32
// CHECK:     st.global.b16

// CHECK:     .visible .entry matmul_bf16_kernel(
// CHECK:     .visible .entry matmul_bf16_kernel_2(
// CHECK-DAG: .shared .align 2 .b8 __wg_matmul_bf16_kernel_2_{{[01]}}[2112];
// CHECK-DAG: .shared .align 2 .b8 __wg_matmul_bf16_kernel_2_{{[01]}}[4096];
// CHECK:     cvt.f32.bf16
// CHECK:     mul.rn.f32
// CHECK:     add.rn.f32
// CHECK:     st.global.b32
// CHECK:     .visible .entry matmul_bf16_kernel_3(
// CHECK:     cvt.rn.bf16.f32
// CHECK:     st.global.b16

// No arithmetic in half precision anywhere.
// NOHALF-NOT: {{(add|sub|mul|fma)(\.rn)?\.(b?f16|f16x2|bf16x2)}}

func.func @matmul_f16(%a: tensor<128x256xf16>, %b: tensor<256x192xf16>) -> tensor<128x192xf16> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<128x256xf16>, tensor<256x192xf16>) -> tensor<128x192xf16>
  return %y : tensor<128x192xf16>
}

func.func @matmul_bf16(%a: tensor<128x256xbf16>, %b: tensor<256x192xbf16>) -> tensor<128x192xbf16> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<128x256xbf16>, tensor<256x192xbf16>) -> tensor<128x192xbf16>
  return %y : tensor<128x192xbf16>
}
