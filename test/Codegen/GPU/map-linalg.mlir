// peft-gpu-map-linalg: the kernel chosen for each kind of linalg op.
// RUN: peft-opt %s -split-input-file --peft-gpu-map-linalg -canonicalize -cse | FileCheck %s

// A matmul: 4x2 blocks of 32x64 outputs, 16x16 threads, a K loop over
// 32-wide slabs; the A and B slabs are copied into workgroup memory by all
// threads together (thread t copies elements t, t+256, ...) between barriers,
// then each thread computes 2x4 outputs from shared memory. A is read along
// K by threads on different rows: its rows are padded to 33 floats.
// CHECK-LABEL: func.func @matmul
// CHECK:       gpu.launch blocks(%{{[^)]*}}) in (%{{[a-z0-9_]+}} = %c4, %{{[a-z0-9_]+}} = %c2, %{{[a-z0-9_]+}} = %c1)
// CHECK-SAME:      threads(%[[TX:[a-z0-9_]+]], %[[TY:[a-z0-9_]+]], %{{[a-z0-9_]+}}) in (%[[BX:[a-z0-9_]+]] = %c16, %{{[a-z0-9_]+}} = %c16, %{{[a-z0-9_]+}} = %c1)
// CHECK-SAME:      workgroup(%[[B:[a-z0-9_]+]] : memref<32x64xf32, #gpu.address_space<workgroup>>, %[[A:[a-z0-9_]+]] : memref<32x33xf32, #gpu.address_space<workgroup>>)
// CHECK:         %[[ATILE:.*]] = memref.subview %[[A]][0, 0] [32, 32] [1, 1] {{.*}} to memref<32x32xf32, strided<[33, 1]>, #gpu.address_space<workgroup>>
// CHECK:         scf.for %[[K:.*]] = %c0 to %c128 step %c32 {
// CHECK:           gpu.barrier
// CHECK:           %[[ROW:.*]] = arith.muli %[[BX]], %[[TY]]
// CHECK:           %[[T:.*]] = arith.addi %[[TX]], %[[ROW]]
// CHECK:           scf.for %{{.*}} = %[[T]] to %c1024 step %{{.*}} {
// CHECK:             memref.load
// CHECK:             memref.store %{{.*}}, %[[ATILE]]
// CHECK:           gpu.barrier
// CHECK:           scf.for %{{.*}} = %[[T]] to %c2048 step %{{.*}} {
// CHECK:             memref.store %{{.*}}, %[[B]]
// CHECK:           gpu.barrier
// CHECK:           gpu.thread_id  x
// CHECK:           gpu.thread_id  y
// CHECK:           linalg.matmul ins(%{{.*}}, %{{.*}} : memref<2x32xf32, strided<[33, 1], offset: ?>, #gpu.address_space<workgroup>>, memref<32x4xf32, strided<[64, 1], offset: ?>, #gpu.address_space<workgroup>>) outs(%{{.*}} : memref<2x4xf32, strided<[256, 1], offset: ?>>)
// CHECK:           gpu.barrier
// CHECK-NOT:   memref.alloc
func.func @matmul(%a: memref<64x128xf32>, %b: memref<128x256xf32>, %c: memref<64x256xf32>) {
  linalg.matmul ins(%a, %b : memref<64x128xf32>, memref<128x256xf32>) outs(%c : memref<64x256xf32>)
  return
}

// -----

// x·Wᵀ with one row (decoding): 172 blocks of 64 outputs, one per thread;
// the W tile (64 x 32, read along K) is padded, the one-row x tile is not.
// CHECK-LABEL: func.func @gemv
// CHECK:       gpu.launch blocks(%{{[^)]*}}) in (%{{[a-z0-9_]+}} = %c172, %{{[a-z0-9_]+}} = %c1, %{{[a-z0-9_]+}} = %c1)
// CHECK-SAME:      threads(%{{[^)]*}}) in (%{{[a-z0-9_]+}} = %c64, %{{[a-z0-9_]+}} = %c1, %{{[a-z0-9_]+}} = %c1)
// CHECK-SAME:      workgroup(%{{[a-z0-9_]+}} : memref<64x33xf32, #gpu.address_space<workgroup>>, %{{[a-z0-9_]+}} : memref<1x32xf32, #gpu.address_space<workgroup>>)
// CHECK:         scf.for %{{.*}} = %c0 to %c4096 step %c32
func.func @gemv(%a: memref<1x4096xf32>, %b: memref<11008x4096xf32>, %c: memref<1x11008xf32>) {
  linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>]
    ins(%a, %b : memref<1x4096xf32>, memref<11008x4096xf32>) outs(%c : memref<1x11008xf32>)
  return
}

// -----

// The batch goes to grid z.
// CHECK-LABEL: func.func @batch
// CHECK:       gpu.launch blocks(%{{[^)]*}}) in (%{{[a-z0-9_]+}} = %c1, %{{[a-z0-9_]+}} = %c1, %{{[a-z0-9_]+}} = %c8)
// CHECK-SAME:      workgroup(%{{[a-z0-9_]+}} : memref<1x32x48xf32, #gpu.address_space<workgroup>>, %{{[a-z0-9_]+}} : memref<1x32x33xf32, #gpu.address_space<workgroup>>)
// CHECK:         gpu.block_id  z
// CHECK:         linalg.batch_matmul {{.*}} memref<1x2x32xf32, {{.*}}, memref<1x32x3xf32
func.func @batch(%a: memref<8x32x64xf32>, %b: memref<8x64x48xf32>, %c: memref<8x32x48xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<8x32x64xf32>, memref<8x64x48xf32>) outs(%c : memref<8x32x48xf32>)
  return
}

// -----

// Attention scores of an exported model, batch 1 x 4 heads: the unit batch
// loop is left untiled, so the heads go to grid z and the contraction still
// gets shared-memory tiles (K of 16 read across rows: padded to 17).
// CHECK-LABEL: func.func @attention_scores
// CHECK:       gpu.launch blocks(%{{[^)]*}}) in (%{{[a-z0-9_]+}} = %c1, %{{[a-z0-9_]+}} = %c1, %{{[a-z0-9_]+}} = %c4)
// CHECK-SAME:      threads(%{{[^)]*}}) in (%{{[a-z0-9_]+}} = %c8, %{{[a-z0-9_]+}} = %c8, %{{[a-z0-9_]+}} = %c1)
// CHECK-SAME:      workgroup(%{{[a-z0-9_]+}} : memref<1x1x16x8xf32, #gpu.address_space<workgroup>>, %{{[a-z0-9_]+}} : memref<1x1x8x17xf32, #gpu.address_space<workgroup>>)
// CHECK:         %[[HEAD:.*]] = gpu.block_id  z
// CHECK:         memref.subview %{{.*}}[0, %[[HEAD]], %{{.*}}, 0] [1, 1, 8, 16]
// CHECK:         gpu.barrier
func.func @attention_scores(%q: memref<1x4x8x16xf32>, %k: memref<1x4x16x8xf32>, %s: memref<1x4x8x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>,
                                   affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>,
                                   affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : memref<1x4x8x16xf32>, memref<1x4x16x8xf32>) outs(%s : memref<1x4x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %o, %p : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Elementwise: 256 consecutive elements per block, one per thread.
// CHECK-LABEL: func.func @relu
// CHECK:       gpu.launch blocks(%{{[^)]*}}) in (%{{[a-z0-9_]+}} = %c43, %{{[a-z0-9_]+}} = %c512, %{{[a-z0-9_]+}} = %c1)
// CHECK-SAME:      threads(%{{[^)]*}}) in (%{{[a-z0-9_]+}} = %c256, %{{[a-z0-9_]+}} = %c1, %{{[a-z0-9_]+}} = %c1) {
// CHECK:         linalg.generic {{.*}} ins(%{{.*}} : memref<1x1xf32, strided<[11008, 1], offset: ?>>)
// CHECK-NOT:     gpu.barrier
// CHECK:         gpu.terminator
func.func @relu(%x: memref<512x11008xf32>, %y: memref<512x11008xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<512x11008xf32>) outs(%y : memref<512x11008xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A reduction stays serial in each thread; threads split the rows.
// CHECK-LABEL: func.func @row_sum
// CHECK:       gpu.launch {{.*}} threads(%{{[^)]*}}) in (%{{[a-z0-9_]+}} = %c16, %{{[a-z0-9_]+}} = %c1, %{{[a-z0-9_]+}} = %c1)
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : memref<1x1000xf32
func.func @row_sum(%x: memref<16x1000xf32>, %y: memref<16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<16x1000xf32>) outs(%y : memref<16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Copies left by bufferization run as kernels too.
// CHECK-LABEL: func.func @copy
// CHECK:       gpu.launch {{.*}} threads(%{{[^)]*}}) in (%{{[a-z0-9_]+}} = %c24, %{{[a-z0-9_]+}} = %c1, %{{[a-z0-9_]+}} = %c1)
// CHECK:         linalg.copy
// CHECK-NOT:   memref.copy
func.func @copy(%x: memref<4x6xf32>, %y: memref<4x6xf32>) {
  memref.copy %x, %y : memref<4x6xf32> to memref<4x6xf32>
  return
}
