// peft-cpu-tile-contractions: contractions on tensors with N innermost in B
// and C get cache panels of B, then register tiles (8x32 by default) marked
// peft.matmul_tile; partial tiles are peeled and dynamic remainders tiled
// again with the next sizes until they are static.
// RUN: peft-opt %s -split-input-file --peft-cpu-tile-contractions | FileCheck %s
// RUN: peft-opt %s -split-input-file \
// RUN:   --peft-cpu-tile-contractions="tiles-m=4 tiles-n=16,1 panel-n=0" \
// RUN:   | FileCheck %s --check-prefix=OPT
// RUN: peft-opt %s -split-input-file --peft-cpu-tile-contractions \
// RUN:   | FileCheck %s --check-prefix=STATIC
// RUN: not peft-opt %s -split-input-file \
// RUN:   --peft-cpu-tile-contractions="tiles-m=0" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BAD

// Every marked tile has a static shape.
// STATIC-NOT: peft.matmul_tile = {{.*}}?x

// BAD: error: peft-cpu-tile-contractions: tiles-m and tiles-n must be non-empty lists of positive sizes

// A 16x48 C: two 8-row tiles, each a full 32-wide tile and a peeled 16-wide
// one, both static; K runs innermost in steps of 1.
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME:      %[[A:.*]]: tensor<16x64xf32>, %[[B:.*]]: tensor<64x48xf32>)
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:     %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG:     %[[C64:.*]] = arith.constant 64 : index
// CHECK:         %[[FILL:.*]] = linalg.fill
// CHECK:         %[[R:.*]] = scf.for %[[I:.*]] = %[[C0]] to %[[C16]] step %[[C8]] iter_args(%[[ACC:.*]] = %[[FILL]])
// CHECK:           %[[FULL:.*]] = scf.for %[[K:.*]] = %[[C0]] to %[[C64]] step %[[C1]] iter_args(%[[T:.*]] = %[[ACC]])
// CHECK:             %[[AT:.*]] = tensor.extract_slice %[[A]][%[[I]], %[[K]]] [8, 1] [1, 1]
// CHECK:             %[[CT:.*]] = tensor.extract_slice %[[T]][%[[I]], 0] [8, 32] [1, 1]
// CHECK:             %[[BT:.*]] = tensor.extract_slice %[[B]][%[[K]], 0] [1, 32] [1, 1]
// CHECK:             %[[M:.*]] = linalg.matmul {peft.matmul_tile = array<i64: 0, 1, 0, 0>}
// CHECK-SAME:          ins(%[[AT]], %[[BT]] : tensor<8x1xf32>, tensor<1x32xf32>) outs(%[[CT]] : tensor<8x32xf32>)
// CHECK:             tensor.insert_slice %[[M]] into %[[T]][%[[I]], 0] [8, 32] [1, 1]
// CHECK:           %[[PART:.*]] = scf.for %{{.*}} = %[[C0]] to %[[C64]] step %[[C1]] iter_args(%{{.*}} = %[[FULL]])
// CHECK:             linalg.matmul {peft.matmul_tile = array<i64: 0, 1, 0, 0>}
// CHECK-SAME:          tensor<8x1xf32>, tensor<1x16xf32>) outs(%{{.*}} : tensor<8x16xf32>)
// CHECK:           scf.yield %[[PART]]
// CHECK:         return %[[R]]
// With tiles-m=4 tiles-n=16,1: 4x16 tiles, 48 = 3 x 16, nothing to peel.
// OPT-LABEL:   func.func @matmul(
// OPT:           scf.for
// OPT:             scf.for
// OPT:               scf.for
// OPT:                 linalg.matmul {peft.matmul_tile = array<i64: 0, 1, 0, 0>}
// OPT-SAME:              tensor<4x1xf32>, tensor<1x16xf32>) outs(%{{.*}} : tensor<4x16xf32>)
// OPT-NOT:       linalg.matmul
// OPT:           return
func.func @matmul(%a: tensor<16x64xf32>, %b: tensor<64x48xf32>) -> tensor<16x48xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x48xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<16x48xf32>) -> tensor<16x48xf32>
  %r = linalg.matmul ins(%a, %b : tensor<16x64xf32>, tensor<64x48xf32>) outs(%c : tensor<16x48xf32>) -> tensor<16x48xf32>
  return %r : tensor<16x48xf32>
}

// -----

// Two matmuls on one (CSE-merged) zero fill: the first gets a fill of its
// own on an alloc_tensor; the second is then the only user of the old one.
// CHECK-LABEL: func.func @shared_fill(
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[SHARED:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<8x32xf32>)
// CHECK:         %[[OWN:.*]] = bufferization.alloc_tensor() : tensor<8x32xf32>
// CHECK:         %[[OWNFILL:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[OWN]] : tensor<8x32xf32>)
// CHECK:         %[[R:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[OWNFILL]])
// CHECK:         %[[S:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[SHARED]])
// CHECK:         return %[[R]], %[[S]]
func.func @shared_fill(%a: tensor<8x16xf32>, %b: tensor<16x32xf32>, %w: tensor<16x32xf32>) -> (tensor<8x32xf32>, tensor<8x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %r = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  %s = linalg.matmul ins(%a, %w : tensor<8x16xf32>, tensor<16x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %r, %s : tensor<8x32xf32>, tensor<8x32xf32>
}

// -----

// N 512 > 256 and K 1024 > 512: 512x256 panels of B (loops N, K), then the
// register tiles inside a panel.
// CHECK-LABEL: func.func @panels(
// CHECK-SAME:      %[[A:.*]]: tensor<8x1024xf32>, %[[B:.*]]: tensor<1024x512xf32>,
// CHECK-DAG:     %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG:     %[[C512:.*]] = arith.constant 512 : index
// CHECK-DAG:     %[[C1024:.*]] = arith.constant 1024 : index
// CHECK:         scf.for %[[N:.*]] = %{{.*}} to %[[C512]] step %[[C256]]
// CHECK:           scf.for %[[K:.*]] = %{{.*}} to %[[C1024]] step %[[C512]]
// CHECK:             %[[PANEL:.*]] = tensor.extract_slice %[[B]][%[[K]], %[[N]]] [512, 256] [1, 1]
// CHECK:             scf.for
// CHECK:               scf.for
// CHECK:                 tensor.extract_slice %[[PANEL]]
// CHECK:                 linalg.matmul {peft.matmul_tile = array<i64: 0, 1, 0, 0>}
// CHECK-SAME:              tensor<8x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<8x32xf32>)
// With panel-n=0 only K is cut into panels.
// OPT-LABEL:   func.func @panels(
// OPT:           tensor.extract_slice %{{.*}} [512, 512] [1, 1]
func.func @panels(%a: tensor<8x1024xf32>, %b: tensor<1024x512xf32>, %c: tensor<8x512xf32>) -> tensor<8x512xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x1024xf32>, tensor<1024x512xf32>) outs(%c : tensor<8x512xf32>) -> tensor<8x512xf32>
  return %r : tensor<8x512xf32>
}

// -----

// Batch loops go outermost, one batch per tile.
// CHECK-LABEL: func.func @batch(
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             linalg.batch_matmul {peft.matmul_tile = array<i64: 1, 2, 0, 0>}
// CHECK-SAME:          tensor<1x8x1xf32>, tensor<1x1x32xf32>) outs(%{{.*}} : tensor<1x8x32xf32>)
func.func @batch(%a: tensor<2x8x4xf32>, %b: tensor<2x4x32xf32>, %c: tensor<2x8x32xf32>) -> tensor<2x8x32xf32> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<2x8x4xf32>, tensor<2x4x32xf32>) outs(%c : tensor<2x8x32xf32>) -> tensor<2x8x32xf32>
  return %r : tensor<2x8x32xf32>
}

// -----

// Dynamic M and N: full 8x32 tiles, then the remainders tiled again at the
// next levels (M 1; N 8, then 1) until every tile is static. The 8-wide N
// tiles never stay: peeling does not fold the affine.min of a retiled
// remainder (it is written in the outer loop's bounds, not in the peeled
// loop's), so full and partial 8-wide tiles alike go on to width 1.
// CHECK-LABEL: func.func @dynamic(
// CHECK-DAG:     peft.matmul_tile = array<i64: 0, 1, 0, 0>} ins(%{{.*}}, %{{.*}} : tensor<8x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<8x32xf32>)
// CHECK-DAG:     peft.matmul_tile = array<i64: 0, 1, 1, 0>} ins(%{{.*}}, %{{.*}} : tensor<1x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<1x32xf32>)
// CHECK-DAG:     peft.matmul_tile = array<i64: 0, 1, 0, 2>} ins(%{{.*}}, %{{.*}} : tensor<8x1xf32>, tensor<1x1xf32>) outs(%{{.*}} : tensor<8x1xf32>)
// CHECK-DAG:     peft.matmul_tile = array<i64: 0, 1, 1, 2>} ins(%{{.*}}, %{{.*}} : tensor<1x1xf32>, tensor<1x1xf32>) outs(%{{.*}} : tensor<1x1xf32>)
// CHECK:         return
func.func @dynamic(%a: tensor<?x64xf32>, %b: tensor<64x?xf32>, %c: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<?x64xf32>, tensor<64x?xf32>) outs(%c : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

// x·Wᵀ (N not innermost in B) and ops on buffers are left alone.
// CHECK-LABEL: func.func @not_candidates(
// CHECK-NOT:     scf.for
// CHECK-NOT:     peft.matmul_tile
// CHECK:         return
func.func @not_candidates(%a: tensor<8x16xf32>, %w: tensor<32x16xf32>, %c: tensor<8x32xf32>,
                          %ma: memref<8x16xf32>, %mb: memref<16x32xf32>, %mc: memref<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%a, %w : tensor<8x16xf32>, tensor<32x16xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  linalg.matmul ins(%ma, %mb : memref<8x16xf32>, memref<16x32xf32>) outs(%mc : memref<8x32xf32>)
  return %r : tensor<8x32xf32>
}
