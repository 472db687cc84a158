// RUN: peft-opt %s -split-input-file --peft-lora-as-inputs=max-rank=16 | FileCheck %s
// RUN: peft-opt %s -split-input-file --peft-lora-as-inputs=max-rank=16 -mlir-print-debuginfo \
// RUN: | FileCheck %s --check-prefix=LOC

// A and B become zero-padded arguments named after the PEFT keys, the scale a
// one-element argument multiplying B; the op's own scale becomes 1.0 and the
// constant weights are gone. No onnx op is created: B is scaled by a
// broadcasting linalg.generic.
// CHECK-DAG:  #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:  #[[BC:.*]] = affine_map<(d0, d1) -> (0)>
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>,
// CHECK-SAME: %[[A:.*]]: tensor<16x64xf32> {onnx.name = "l.q_proj.lora_A.weight"},
// CHECK-SAME: %[[B:.*]]: tensor<96x16xf32> {onnx.name = "l.q_proj.lora_B.weight"},
// CHECK-SAME: %[[S:.*]]: tensor<1xf32> {onnx.name = "l.q_proj.lora_scale"})
// CHECK-NOT:  onnx.initializer "a"
// CHECK-NOT:  onnx.initializer "b"
// CHECK:      %[[Y:.*]] = peft.linear %[[X]]
// CHECK:      %[[E:.*]] = tensor.empty() : tensor<96x16xf32>
// CHECK:      %[[SB:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[BC]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[B]], %[[S]] : tensor<96x16xf32>, tensor<1xf32>) outs(%[[E]] : tensor<96x16xf32>)
// CHECK:        %[[P:.*]] = arith.mulf
// CHECK:        linalg.yield %[[P]]
// CHECK:      %[[Z:.*]] = peft.lora %[[X]], %[[Y]], %[[A]], %[[SB]] scale 1.000000e+00 adapter "default" : tensor<?x64xf32>, tensor<?x96xf32>, tensor<16x64xf32>, tensor<96x16xf32>
// CHECK:      return %[[Z]]
// The scaling is named in the layer's ONNX node scope.
// LOC: loc("/l/q_proj/lora_scale/Mul"
func.func @main(%x: tensor<?x64xf32>) -> tensor<?x96xf32> {
  %w = onnx.initializer "w" dense<0.5> : tensor<96x64xf32>
  %a = onnx.initializer "a" dense<0.25> : tensor<4x64xf32>
  %b = arith.constant dense<0.125> : tensor<96x4xf32>
  %y = peft.linear %x, %w layout out_in role q path "l.q_proj"
         : tensor<?x64xf32>, tensor<96x64xf32> -> tensor<?x96xf32>
  %z = peft.lora %x, %y, %a, %b scale 2.0 adapter "default"
         : tensor<?x64xf32>, tensor<?x96xf32>, tensor<4x64xf32>, tensor<96x4xf32>
  return %z : tensor<?x96xf32>
}

// -----

// Merged adapters, adapters that are already inputs and private functions are
// left alone; a named adapter's arguments carry its name; several layers get
// arguments in program order, after the existing ones, in f16 for an f16
// layer; an adapter of rank max-rank is fine.
// CHECK-LABEL: func.func @several
// CHECK-SAME: (%{{.*}}: tensor<2x8xf16>, %{{.*}}: tensor<16x8xf16>, %{{.*}}: tensor<8x16xf16> {onnx.name = "given"},
// CHECK-SAME: tensor<16x8xf16> {onnx.name = "m.0.fc.lora_A.sst2.weight"},
// CHECK-SAME: tensor<8x16xf16> {onnx.name = "m.0.fc.lora_B.sst2.weight"},
// CHECK-SAME: tensor<1xf16> {onnx.name = "m.0.fc.lora_scale.sst2"},
// CHECK-SAME: tensor<16x8xf16> {onnx.name = "m.1.fc.lora_A.weight"},
// CHECK-SAME: tensor<8x16xf16> {onnx.name = "m.1.fc.lora_B.weight"},
// CHECK-SAME: tensor<1xf16> {onnx.name = "m.1.fc.lora_scale"})
// CHECK:      peft.lora {{.*}} scale 1.000000e+00 adapter "sst2"
// CHECK:      peft.lora {{.*}} scale 5.000000e-01 merged
// CHECK:      peft.lora {{.*}} scale 1.000000e+00 :
// CHECK:      peft.lora {{.*}} scale 3.000000e+00 : {{.*}}, tensor<16x8xf16>, tensor<8x16xf16>
// CHECK-LABEL: func.func private @hidden
// CHECK-SAME: (%{{[^:]*}}: tensor<2x8xf16>) -> tensor<2x8xf16>
// CHECK:      peft.lora {{.*}} scale 2.000000e+00 :
func.func @several(%x: tensor<2x8xf16>, %a_in: tensor<16x8xf16>, %b_in: tensor<8x16xf16> {onnx.name = "given"}) -> tensor<2x8xf16> {
  %w = arith.constant dense<0.5> : tensor<8x8xf16>
  %a = arith.constant dense<0.25> : tensor<2x8xf16>
  %b = arith.constant dense<0.125> : tensor<8x2xf16>
  %a16 = arith.constant dense<0.25> : tensor<16x8xf16>
  %b16 = arith.constant dense<0.125> : tensor<8x16xf16>
  %y0 = peft.linear %x, %w layout out_in role up path "m.0.fc" : tensor<2x8xf16>, tensor<8x8xf16> -> tensor<2x8xf16>
  %z0 = peft.lora %x, %y0, %a, %b scale 2.0 adapter "sst2" : tensor<2x8xf16>, tensor<2x8xf16>, tensor<2x8xf16>, tensor<8x2xf16>
  %z1 = peft.lora %x, %z0, %a, %b scale 0.5 merged : tensor<2x8xf16>, tensor<2x8xf16>, tensor<2x8xf16>, tensor<8x2xf16>
  %y1 = peft.linear %z1, %w layout in_out role down path "m.1.fc" : tensor<2x8xf16>, tensor<8x8xf16> -> tensor<2x8xf16>
  %z2 = peft.lora %z1, %y1, %a16, %b16 scale 2.0 : tensor<2x8xf16>, tensor<2x8xf16>, tensor<16x8xf16>, tensor<8x16xf16>
  %z3 = peft.lora %z1, %z2, %a_in, %b_in scale 3.0 : tensor<2x8xf16>, tensor<2x8xf16>, tensor<16x8xf16>, tensor<8x16xf16>
  return %z3 : tensor<2x8xf16>
}

func.func private @hidden(%x: tensor<2x8xf16>) -> tensor<2x8xf16> {
  %w = arith.constant dense<0.5> : tensor<8x8xf16>
  %a = arith.constant dense<0.25> : tensor<2x8xf16>
  %b = arith.constant dense<0.125> : tensor<8x2xf16>
  %y = peft.linear %x, %w layout out_in role up path "h" : tensor<2x8xf16>, tensor<8x8xf16> -> tensor<2x8xf16>
  %z = peft.lora %x, %y, %a, %b scale 2.0 : tensor<2x8xf16>, tensor<2x8xf16>, tensor<2x8xf16>, tensor<8x2xf16>
  return %z : tensor<2x8xf16>
}
