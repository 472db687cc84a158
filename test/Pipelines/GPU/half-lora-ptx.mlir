// An f16 DoRA layer and a bf16 LoRA layer compile to PTX whose arithmetic is
// all f32: the 16-bit operands are only converted (cvt.f32.f16/bf16 on load,
// cvt.rn.f16/bf16.f32 on the final stores), never added or multiplied.
// REQUIRES: nvptx
// RUN: peft-translate --emit-ptx %s -o - | FileCheck %s
// RUN: peft-translate --emit-ptx %s -o - | FileCheck %s --check-prefix=NOHALF

// CHECK:     .visible .entry dora_kernel(
// CHECK:     cvt.f32.f16
// CHECK:     cvt.rn.f16.f32
// CHECK:     .visible .entry lora_kernel
// CHECK:     cvt.f32.bf16
// CHECK:     cvt.rn.bf16.f32
// NOHALF-NOT: {{(add|sub|mul|fma|div|sqrt)(\.rn|\.approx|\.full)?\.(b?f16|f16x2|bf16x2)}}

func.func @dora(%x: tensor<4x64xf16>, %w: tensor<32x64xf16>, %bias: tensor<32xf16>,
                %a: tensor<8x64xf16>, %b: tensor<32x8xf16>, %m: tensor<32xf16>) -> tensor<4x32xf16> {
  %y = peft.linear %x, %w, %bias layout out_in role q
         : tensor<4x64xf16>, tensor<32x64xf16>, tensor<32xf16> -> tensor<4x32xf16>
  %z = peft.lora %x, %y, %a, %b magnitude %m scale 2.0
         : tensor<4x64xf16>, tensor<4x32xf16>, tensor<8x64xf16>, tensor<32x8xf16>, tensor<32xf16>
  return %z : tensor<4x32xf16>
}

func.func @lora(%x: tensor<4x64xbf16>, %w: tensor<32x64xbf16>, %a: tensor<8x64xbf16>,
                %b: tensor<32x8xbf16>) -> tensor<4x32xbf16> {
  %y = peft.linear %x, %w layout out_in role q
         : tensor<4x64xbf16>, tensor<32x64xbf16> -> tensor<4x32xbf16>
  %z = peft.lora %x, %y, %a, %b scale 2.0
         : tensor<4x64xbf16>, tensor<4x32xbf16>, tensor<8x64xbf16>, tensor<32x8xbf16>
  return %z : tensor<4x32xbf16>
}
