// RUN: peft-opt %s -split-input-file --convert-peft-qlinear-to-gpu | FileCheck %s
// RUN: not peft-opt %s --convert-peft-qlinear-to-gpu="split-k=-1" 2>&1 | FileCheck %s --check-prefix=OPTS

// OPTS: convert-peft-qlinear-to-gpu: split-k must be at least 0

// Decode (M = 1), K = 4096: 128 chunks of 32 weights split in 2 ranges (grid
// y), 8 outputs a block of 32 x 8 threads (grid x = 64 / 8), one row tile
// (grid z). Each lane loads 16 packed bytes at once (alignment 16), unpacks,
// scales by the group's scale and zero point, multiplies with the
// deinterleaved activations; the warp reduces by shuffles and lane 0 adds
// into the zero-filled result atomically. The weight stays packed.

// CHECK-LABEL: func.func @decode
// CHECK-NOT: tensor<64x4096xf32>
// CHECK-DAG: %[[X:.*]] = bufferization.to_buffer %arg0 read_only : tensor<1x4096xf32> to memref<1x4096xf32>
// CHECK-DAG: %[[W:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<131072xi8> to memref<131072xi8>
// CHECK-DAG: %[[Z:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<4096xi8> to memref<4096xi8>
// CHECK: %[[Y:.*]] = memref.alloc() : memref<1x64xf32>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[Y]] : memref<1x64xf32>)
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c8, {{.*}} = %c2, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c32, {{.*}} = %c8{{.*}}, {{.*}} = %c1{{.*}})
// CHECK: scf.if
// CHECK: scf.for {{.*}} -> (vector<16xf32>)
// CHECK: memref.load %{{.*}} : memref<64x128xf32>
// CHECK: memref.load %[[Z]]
// CHECK: vector.load %[[W]][%{{.*}}] {alignment = 16 : i64} : memref<131072xi8>, vector<16xi8>
// CHECK: arith.shrsi
// CHECK: arith.sitofp %{{.*}} : vector<16xi8> to vector<16xf32>
// CHECK: vector.fma
// CHECK: vector.load %[[X]][%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<1x4096xf32>, vector<32xf32>
// CHECK: vector.deinterleave
// CHECK: vector.reduction <add>
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK: memref.atomic_rmw addf %{{.*}}, %[[Y]][%{{.*}}, %{{.*}}] : (f32, memref<1x64xf32>) -> f32
// CHECK: gpu.terminator
// CHECK: bufferization.to_tensor %[[Y]] restrict writable
// CHECK: linalg.generic
// CHECK-NOT: tensor<64x4096xf32>
func.func @decode(%x: tensor<1x4096xf32>, %s: tensor<64x128xf32>, %b: tensor<64xf32>) -> tensor<1x64xf32> {
  %q = arith.constant dense<3> : tensor<64x4096xi4>
  %z = arith.constant dense<-1> : tensor<64x128xi4>
  %y = peft.qlinear %x, %q scales %s zero_points %z : tensor<64x128xi4> bias %b : tensor<64xf32> group_size 32 role q
         : tensor<1x4096xf32>, tensor<64x4096xi4>, tensor<64x128xf32> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// M = 16 (a 2 x 8 batch, collapsed): row tiles of 4 (grid z = 4), four
// accumulators a lane and four atomic adds a warp.
// CHECK-LABEL: func.func @prefill
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c8, {{.*}} = %c2, {{.*}} = %c4)
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-4: memref.atomic_rmw addf
func.func @prefill(%x: tensor<2x8x4096xf32>, %s: tensor<64x1xf32>) -> tensor<2x8x64xf32> {
  %q = arith.constant dense<3> : tensor<64x4096xi4>
  %y = peft.qlinear %x, %q scales %s role q
         : tensor<2x8x4096xf32>, tensor<64x4096xi4>, tensor<64x1xf32> -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// Left to convert-peft-to-linalg's generic: int8, f16 activations, a dynamic
// row extent.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: gpu.launch
// CHECK-COUNT-3: peft.qlinear
func.func @left_alone(%x: tensor<1x64xf32>, %xh: tensor<1x64xf16>, %xd: tensor<?x64xf32>,
                      %q8: tensor<4x64xi8>, %s: tensor<4x1xf32>, %sh: tensor<4x1xf16>)
    -> (tensor<1x4xf32>, tensor<1x4xf16>, tensor<?x4xf32>) {
  %q4 = arith.constant dense<1> : tensor<4x64xi4>
  %a = peft.qlinear %x, %q8 scales %s role o : tensor<1x64xf32>, tensor<4x64xi8>, tensor<4x1xf32> -> tensor<1x4xf32>
  %b = peft.qlinear %xh, %q4 scales %sh role o : tensor<1x64xf16>, tensor<4x64xi4>, tensor<4x1xf16> -> tensor<1x4xf16>
  %c = peft.qlinear %xd, %q4 scales %s role o : tensor<?x64xf32>, tensor<4x64xi4>, tensor<4x1xf32> -> tensor<?x4xf32>
  return %a, %b, %c : tensor<1x4xf32>, tensor<1x4xf16>, tensor<?x4xf32>
}
