// RUN: peft-opt %s -split-input-file --convert-peft-to-linalg | FileCheck %s

// Unmerged LoRA: t = x·Aᵀ [rows, r] and u = t·Bᵀ [rows, out] as plain
// matmuls on transposed copies of the small A and B (runtime arguments here:
// linalg.transpose), then base + s·u. No [out, in] product B·A appears.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[RHST:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @lora
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>, %[[W:.*]]: tensor<96x64xf32>, %[[A:.*]]: tensor<8x64xf32>, %[[B:.*]]: tensor<96x8xf32>)
// CHECK:      %[[BASE:.*]] = linalg.matmul indexing_maps = [#[[LHS]], #[[RHST]], #[[OUT]]] ins(%{{.*}}, %[[W]] : tensor<?x64xf32>, tensor<96x64xf32>)
// CHECK:      %[[BASER:.*]] = tensor.reshape %[[BASE]]
// CHECK:      %[[X2:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<?x?x64xf32> into tensor<?x64xf32>
// CHECK:      %[[BASE2:.*]] = tensor.collapse_shape %[[BASER]] {{\[}}[0, 1], [2]] : tensor<?x?x96xf32> into tensor<?x96xf32>
// CHECK:      %[[AT:.*]] = linalg.transpose ins(%[[A]] : tensor<8x64xf32>) outs(%{{.*}} : tensor<64x8xf32>) permutation = [1, 0]
// CHECK:      %[[BT:.*]] = linalg.transpose ins(%[[B]] : tensor<96x8xf32>) outs(%{{.*}} : tensor<8x96xf32>) permutation = [1, 0]
// CHECK:      %[[T0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x8xf32>)
// CHECK:      %[[T:.*]] = linalg.matmul ins(%[[X2]], %[[AT]] : tensor<?x64xf32>, tensor<64x8xf32>) outs(%[[T0]] : tensor<?x8xf32>) -> tensor<?x8xf32>
// CHECK:      %[[U0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x96xf32>)
// CHECK:      %[[U:.*]] = linalg.matmul ins(%[[T]], %[[BT]] : tensor<?x8xf32>, tensor<8x96xf32>) outs(%[[U0]] : tensor<?x96xf32>) -> tensor<?x96xf32>
// CHECK:      %[[S:.*]] = arith.constant 2.500000e-01 : f32
// CHECK:      %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[BASE2]], %[[U]] : tensor<?x96xf32>, tensor<?x96xf32>)
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32, %[[Q:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:   %[[SU:.*]] = arith.mulf %[[S]], %[[Q]] : f32
// CHECK-NEXT:   %[[SUM:.*]] = arith.addf %[[P]], %[[SU]] : f32
// CHECK-NEXT:   linalg.yield %[[SUM]]
// CHECK:      %[[R:.*]] = tensor.reshape %[[Y]]
// CHECK:      return %[[R]]
// CHECK-NOT:  tensor<96x64xf32>
// CHECK-NOT:  peft.
func.func @lora(%x: tensor<?x?x64xf32>, %w: tensor<96x64xf32>, %a: tensor<8x64xf32>,
                %b: tensor<96x8xf32>) -> tensor<?x?x96xf32> {
  %y = peft.linear %x, %w layout out_in role q
         : tensor<?x?x64xf32>, tensor<96x64xf32> -> tensor<?x?x96xf32>
  %z = peft.lora %x, %y, %a, %b scale 0.25 adapter "default"
         : tensor<?x?x64xf32>, tensor<?x?x96xf32>, tensor<8x64xf32>, tensor<96x8xf32>
  return %z : tensor<?x?x96xf32>
}

// -----

// No [out, in] intermediate (B·A would be tensor<32x16xf32>) for plain
// LoRA, with an in_out base weight and a 2-D input; a dynamic rank works.
// CHECK-LABEL: func.func @lora_in_out
// CHECK-NOT:   tensor<32x16xf32>
// CHECK:       linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<16x32xf32>)
// CHECK-NOT:   tensor<32x16xf32>
// CHECK:       linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<16x?xf32>) outs(%{{.*}} : tensor<4x?xf32>)
// CHECK-NOT:   tensor<32x16xf32>
// CHECK:       linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x?xf32>, tensor<?x32xf32>) outs(%{{.*}} : tensor<4x32xf32>)
// CHECK-NOT:   tensor<32x16xf32>
// CHECK:       return
func.func @lora_in_out(%x: tensor<4x16xf32>, %w: tensor<16x32xf32>, %a: tensor<?x16xf32>,
                       %b: tensor<32x?xf32>) -> tensor<4x32xf32> {
  %y = peft.linear %x, %w layout in_out role v
         : tensor<4x16xf32>, tensor<16x32xf32> -> tensor<4x32xf32>
  %z = peft.lora %x, %y, %a, %b scale 2.0
         : tensor<4x16xf32>, tensor<4x32xf32>, tensor<?x16xf32>, tensor<32x?xf32>
  return %z : tensor<4x32xf32>
}

// -----

// Constant adapters are transposed at compile time into new blobs, the rank
// zero-padded to a multiple of 8 (2 -> 8: no 1-wide register tiles): no
// linalg.transpose runs.
// CHECK-LABEL: func.func @lora_constant
// CHECK-DAG:   %[[AT:.*]] = arith.constant dense_resource<[[ATB:[a-z_0-9]+]]> : tensor<16x8xf32>
// CHECK-DAG:   %[[BT:.*]] = arith.constant dense_resource<{{.*}}> : tensor<8x32xf32>
// CHECK-NOT:   linalg.transpose
// CHECK:       linalg.matmul ins(%{{.*}}, %[[AT]] : tensor<4x16xf32>, tensor<16x8xf32>)
// CHECK:       linalg.matmul ins(%{{.*}}, %[[BT]] : tensor<4x8xf32>, tensor<8x32xf32>)
// Row 0 of Aᵀ: the two values (0.5), six zeros.
// CHECK:       [[ATB]]: "0x040000000000003F0000003F0000000000000000000000000000000000000000000000000000003F
func.func @lora_constant(%x: tensor<4x16xf32>, %w: tensor<16x32xf32>) -> tensor<4x32xf32> {
  %a = arith.constant dense<0.5> : tensor<2x16xf32>
  %b = arith.constant dense<0.25> : tensor<32x2xf32>
  %y = peft.linear %x, %w layout in_out role v
         : tensor<4x16xf32>, tensor<16x32xf32> -> tensor<4x32xf32>
  %z = peft.lora %x, %y, %a, %b scale 2.0
         : tensor<4x16xf32>, tensor<4x32xf32>, tensor<2x16xf32>, tensor<32x2xf32>
  return %z : tensor<4x32xf32>
}

// -----

// Stacked adapters: each adds its own two products to the previous result.
// CHECK-LABEL: func.func @stacked
// CHECK-COUNT-5: linalg.matmul
// CHECK-NOT:     linalg.matmul
// CHECK:         return
func.func @stacked(%x: tensor<4x16xf32>, %w: tensor<32x16xf32>, %a: tensor<2x16xf32>,
                   %b: tensor<32x2xf32>, %a2: tensor<3x16xf32>, %b2: tensor<32x3xf32>) -> tensor<4x32xf32> {
  %y = peft.linear %x, %w layout out_in role v : tensor<4x16xf32>, tensor<32x16xf32> -> tensor<4x32xf32>
  %z = peft.lora %x, %y, %a, %b scale 2.0 adapter "one"
         : tensor<4x16xf32>, tensor<4x32xf32>, tensor<2x16xf32>, tensor<32x2xf32>
  %z2 = peft.lora %x, %z, %a2, %b2 scale 0.5 adapter "two"
         : tensor<4x16xf32>, tensor<4x32xf32>, tensor<3x16xf32>, tensor<32x3xf32>
  return %z2 : tensor<4x32xf32>
}

// -----

// A merged adapter is the identity on its base: only the layer's matmul.
// CHECK-LABEL: func.func @merged
// CHECK-SAME: -> tensor<4x32xf32>
// CHECK:      %[[MM:.*]] = linalg.matmul
// CHECK-NOT:  linalg
// CHECK:      return %[[MM]]
func.func @merged(%x: tensor<4x16xf32>, %w: tensor<32x16xf32>, %a: tensor<2x16xf32>,
                  %b: tensor<32x2xf32>) -> tensor<4x32xf32> {
  %y = peft.linear %x, %w layout out_in role v : tensor<4x16xf32>, tensor<32x16xf32> -> tensor<4x32xf32>
  %z = peft.lora %x, %y, %a, %b scale 2.0 merged
         : tensor<4x16xf32>, tensor<4x32xf32>, tensor<2x16xf32>, tensor<32x2xf32>
  return %z : tensor<4x32xf32>
}

// -----

// DoRA: the row norms of W0 + s·B·A (the only [out, in] product, B·A as a
// plain matmul), g = m / norm, then g ⊙ (base − b + s·u) + b.
// CHECK-DAG: #[[WMAP:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @dora
// CHECK-SAME: (%[[X:.*]]: tensor<4x16xf32>, %[[W:.*]]: tensor<32x16xf32>, %[[BIAS:.*]]: tensor<32xf32>, %[[A:.*]]: tensor<2x16xf32>, %[[B:.*]]: tensor<32x2xf32>, %[[M:.*]]: tensor<32xf32>)
// CHECK:      %[[BT:.*]] = linalg.transpose ins(%[[B]] : tensor<32x2xf32>)
// CHECK:      %[[U:.*]] = linalg.matmul ins(%{{.*}}, %[[BT]] : tensor<4x2xf32>, tensor<2x32xf32>)
// CHECK:      %[[BA:.*]] = linalg.matmul ins(%[[B]], %[[A]] : tensor<32x2xf32>, tensor<2x16xf32>) outs(%{{.*}} : tensor<32x16xf32>)
// CHECK:      %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[WMAP]], #[[WMAP]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[W]], %[[BA]] : tensor<32x16xf32>, tensor<32x16xf32>)
// CHECK:      %[[G:.*]] = linalg.generic {{.*}} ins(%[[M]], %[[SQ]] : tensor<32xf32>, tensor<32xf32>)
// CHECK:        math.sqrt
// CHECK:        arith.divf
// CHECK:      linalg.generic {indexing_maps = [#[[WMAP]], #[[WMAP]], #[[COL]], #[[COL]], #[[WMAP]]], iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %[[U]], %[[G]], %[[BIAS]] : tensor<4x32xf32>, tensor<4x32xf32>, tensor<32xf32>, tensor<32xf32>)
// CHECK:        arith.subf
// CHECK:        arith.mulf
// CHECK:        arith.addf
// CHECK:        arith.mulf
// CHECK:        arith.addf
func.func @dora(%x: tensor<4x16xf32>, %w: tensor<32x16xf32>, %bias: tensor<32xf32>, %a: tensor<2x16xf32>,
                %b: tensor<32x2xf32>, %m: tensor<32xf32>) -> tensor<4x32xf32> {
  %y = peft.linear %x, %w, %bias layout out_in role v
         : tensor<4x16xf32>, tensor<32x16xf32>, tensor<32xf32> -> tensor<4x32xf32>
  %z = peft.lora %x, %y, %a, %b magnitude %m scale 2.0
         : tensor<4x16xf32>, tensor<4x32xf32>, tensor<2x16xf32>, tensor<32x2xf32>, tensor<32xf32>
  return %z : tensor<4x32xf32>
}

// -----

// DoRA on an in_out weight reads W0 transposed in the norm reduction.
// CHECK-DAG: #[[WT:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-LABEL: func.func @dora_in_out
// CHECK: linalg.generic {indexing_maps = [#[[WT]], {{.*}}], iterator_types = ["parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<16x32xf32>, tensor<32x16xf32>)
// CHECK-NOT: arith.subf
func.func @dora_in_out(%x: tensor<4x16xf32>, %w: tensor<16x32xf32>, %a: tensor<2x16xf32>,
                       %b: tensor<32x2xf32>, %m: tensor<32xf32>) -> tensor<4x32xf32> {
  %y = peft.linear %x, %w layout in_out role v
         : tensor<4x16xf32>, tensor<16x32xf32> -> tensor<4x32xf32>
  %z = peft.lora %x, %y, %a, %b magnitude %m scale 2.0
         : tensor<4x16xf32>, tensor<4x32xf32>, tensor<2x16xf32>, tensor<32x2xf32>, tensor<32xf32>
  return %z : tensor<4x32xf32>
}

// -----

// IA³ on the outputs: base ⊙ l, l indexed by the column.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @ia3
// CHECK-SAME: %[[L:[^:]*]]: tensor<32xf16>)
// CHECK:      %[[MM:.*]] = linalg.matmul
// CHECK:      %[[BASE:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]]
// CHECK:      linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[BASE]], %[[L]] : tensor<?x32xf16>, tensor<32xf16>)
// CHECK:        arith.mulf
// CHECK-NOT:  linalg.matmul
func.func @ia3(%x: tensor<?x?x16xf16>, %w: tensor<32x16xf16>, %l: tensor<32xf16>) -> tensor<?x?x32xf16> {
  %y = peft.linear %x, %w layout out_in role k
         : tensor<?x?x16xf16>, tensor<32x16xf16> -> tensor<?x?x32xf16>
  %z = peft.ia3 %y, %l : tensor<?x?x32xf16>, tensor<32xf16>
  return %z : tensor<?x?x32xf16>
}

// -----

// IA³ feedforward: the input columns are scaled, then a new product with the
// layer's weight and bias; the layer's own product is dead.
// CHECK-LABEL: func.func @ia3_feedforward
// CHECK-SAME: (%[[X:.*]]: tensor<4x16xf32>, %[[W:.*]]: tensor<32x16xf32>, %[[BIAS:.*]]: tensor<32xf32>, %[[L:.*]]: tensor<16xf32>)
// CHECK:      %[[XS:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[L]] : tensor<4x16xf32>, tensor<16xf32>)
// CHECK:        arith.mulf
// CHECK:      %[[MM:.*]] = linalg.matmul indexing_maps = {{.*}} ins(%[[XS]], %[[W]] : tensor<4x16xf32>, tensor<32x16xf32>)
// CHECK:      %[[Y:.*]] = linalg.generic {{.*}} ins(%[[MM]], %[[BIAS]] : tensor<4x32xf32>, tensor<32xf32>)
// CHECK:      return %[[Y]]
func.func @ia3_feedforward(%x: tensor<4x16xf32>, %w: tensor<32x16xf32>, %bias: tensor<32xf32>,
                           %l: tensor<16xf32>) -> tensor<4x32xf32> {
  %y = peft.linear %x, %w, %bias layout out_in role down
         : tensor<4x16xf32>, tensor<32x16xf32>, tensor<32xf32> -> tensor<4x32xf32>
  %z = peft.ia3 %y, %l feedforward : tensor<4x32xf32>, tensor<16xf32>
  return %z : tensor<4x32xf32>
}
