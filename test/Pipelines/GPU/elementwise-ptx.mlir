// Elementwise ops (bias add and ReLU, fused into one linalg.generic) become
// one kernel: blocks of 256 elements along the contiguous dimension, one
// element per thread, no shared memory. exp comes from libdevice.
// REQUIRES: nvptx
// RUN: peft-translate --emit-ptx %s -o - | FileCheck %s

// CHECK:      .target sm_90
// CHECK:      .visible .entry bias_relu_kernel(
// CHECK-NOT:  .shared
// CHECK:      add.rn.f32
// CHECK:      max.NaN.f32
// CHECK-NOT:  bar.sync
// CHECK:      .visible .entry softplus_kernel(
// CHECK-NOT:  .shared
// CHECK:      ex2.approx
// CHECK-NOT:  .shared
// CHECK-NOT:  __nv_

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @bias_relu(%x: tensor<16x512xf32>, %b: tensor<512xf32>) -> tensor<16x512xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<16x512xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<16x512xf32>, tensor<512xf32>) outs(%empty : tensor<16x512xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<16x512xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sum : tensor<16x512xf32>) outs(%empty : tensor<16x512xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<16x512xf32>
  return %relu : tensor<16x512xf32>
}

func.func @softplus(%x: tensor<1000xf32>) -> tensor<1000xf32> {
  %one = arith.constant 1.0 : f32
  %empty = tensor.empty() : tensor<1000xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%x : tensor<1000xf32>) outs(%empty : tensor<1000xf32>) {
  ^bb0(%a: f32, %o: f32):
    %e = math.exp %a : f32
    %s = arith.addf %e, %one : f32
    %l = math.log %s : f32
    linalg.yield %l : f32
  } -> tensor<1000xf32>
  return %y : tensor<1000xf32>
}
