// Adapters written by Inputs/make_adapters.py (values 0.25, 0.5, ... for A,
// -1.0, -0.75, ... for B, exact in fp16 and bf16).
// RUN: rm -rf %t && %python %S/Inputs/make_adapters.py %t
// RUN: peft-opt %s --peft-load-adapter=path=%t/lora | FileCheck %s --check-prefix=LORA
// RUN: peft-opt %s --peft-load-adapter="path=%t/lora/adapter_model.safetensors adapter=sst2" | FileCheck %s --check-prefix=NAMED
// RUN: peft-opt %s --peft-load-adapter=path=%t/patterns | FileCheck %s --check-prefix=PATTERNS
// RUN: peft-opt %s --peft-load-adapter=path=%t/rslora | FileCheck %s --check-prefix=RSLORA
// RUN: peft-opt %s --peft-load-adapter=path=%t/dora | FileCheck %s --check-prefix=DORA
// RUN: peft-opt %s --peft-load-adapter=path=%t/f16 | FileCheck %s --check-prefix=HALF
// RUN: peft-opt %s --peft-load-adapter=path=%t/bf16 | FileCheck %s --check-prefix=HALF
// RUN: peft-opt %s --peft-load-adapter=path=%t/ia3 | FileCheck %s --check-prefix=IA3
// RUN: peft-opt %s --peft-load-adapter=path=%t/gpt2 | FileCheck %s --check-prefix=GPT2
// RUN: peft-opt %s --peft-load-adapter="path=%t/mapped module-map=encoder=x,decoder=model" | FileCheck %s --check-prefix=MAPPED
// RUN: not peft-opt %s --peft-load-adapter=path=%t/unmatched 2>&1 | FileCheck %s --check-prefix=UNMATCHED
// RUN: peft-opt %s --peft-load-adapter="path=%t/unmatched allow-unmatched=true" 2>&1 | FileCheck %s --check-prefix=ALLOWED
// RUN: peft-opt %s --peft-load-adapter=path=%t/lora --peft-load-adapter="path=%t/rslora adapter=second" | FileCheck %s --check-prefix=STACKED

func.func @block(%x: tensor<2x16xf32>, %h: tensor<2x32xf32>, %x16: tensor<2x16xf16>,
                 %wq: tensor<16x16xf32>, %wk: tensor<16x8xf32>, %wv: tensor<8x16xf32>,
                 %wd: tensor<32x16xf32>, %wc: tensor<16x48xf32>, %wq16: tensor<16x16xf16>)
    -> (tensor<2x16xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x16xf32>,
        tensor<2x48xf32>, tensor<2x16xf16>, tensor<2x16xf32>) {
  %q = peft.linear %x, %wq layout out_in role q path "model.layers.0.self_attn.q_proj"
         : tensor<2x16xf32>, tensor<16x16xf32> -> tensor<2x16xf32>
  %k = peft.linear %x, %wk layout in_out role k path "model.layers.0.self_attn.k_proj"
         : tensor<2x16xf32>, tensor<16x8xf32> -> tensor<2x8xf32>
  %v = peft.linear %x, %wv layout out_in role v path "model.layers.0.self_attn.v_proj"
         : tensor<2x16xf32>, tensor<8x16xf32> -> tensor<2x8xf32>
  %d = peft.linear %h, %wd layout in_out role down path "model.layers.0.mlp.down_proj"
         : tensor<2x32xf32>, tensor<32x16xf32> -> tensor<2x16xf32>
  %c = peft.linear %x, %wc layout in_out role qkv path "transformer.h.0.attn.c_attn"
         : tensor<2x16xf32>, tensor<16x48xf32> -> tensor<2x48xf32>
  %q16 = peft.linear %x16, %wq16 layout out_in role q path "model.layers.1.self_attn.q_proj"
         : tensor<2x16xf16>, tensor<16x16xf16> -> tensor<2x16xf16>
  // A second use of q's result: it must read the adapted value too.
  %qq = arith.addf %q, %q : tensor<2x16xf32>
  return %q, %k, %v, %d, %c, %q16, %qq : tensor<2x16xf32>, tensor<2x8xf32>, tensor<2x8xf32>,
      tensor<2x16xf32>, tensor<2x48xf32>, tensor<2x16xf16>, tensor<2x16xf32>
}

// r = 4, lora_alpha = 8: scale 2 on q and v; k, down, c_attn, q16 untouched.
// LORA-LABEL: func.func @block
// LORA:       %[[Q:.*]] = peft.linear %arg0, %arg3 {{.*}}q_proj"
// LORA-NEXT:  %[[A:.*]] = arith.constant dense_resource<model.layers.0.self_attn.q_proj.lora_A.default.weight{{.*}}> : tensor<4x16xf32>
// LORA-NEXT:  %[[B:.*]] = arith.constant dense_resource<model.layers.0.self_attn.q_proj.lora_B.default.weight{{.*}}> : tensor<16x4xf32>
// LORA-NEXT:  %[[QA:.*]] = peft.lora %arg0, %[[Q]], %[[A]], %[[B]] scale 2.000000e+00 adapter "default"
// LORA:       %[[V:.*]] = peft.linear %arg0, %arg5
// LORA-NEXT:  arith.constant dense_resource<model.layers.0.self_attn.v_proj.lora_A.default.weight{{.*}}> : tensor<4x16xf32>
// LORA-NEXT:  arith.constant dense_resource<model.layers.0.self_attn.v_proj.lora_B.default.weight{{.*}}> : tensor<8x4xf32>
// LORA-NEXT:  %[[VA:.*]] = peft.lora %arg0, %[[V]], {{.*}} scale 2.000000e+00
// LORA-NOT:   peft.lora
// LORA:       %[[QQ:.*]] = arith.addf %[[QA]], %[[QA]]
// LORA:       return %[[QA]], %{{.*}}, %[[VA]], %{{.*}}, %{{.*}}, %{{.*}}, %[[QQ]]
// A = 0.25, 0.5, 0.75, ... and B = -1.0, -0.75, ... as fp32 blobs.
// LORA:       q_proj.lora_A.default.weight: "0x040000000000803E0000003F0000403F0000803F
// LORA:       q_proj.lora_B.default.weight: "0x04000000000080BF000040BF000000BF000080BE00000000

// NAMED: arith.constant dense_resource<model.layers.0.self_attn.q_proj.lora_A.sst2.weight{{.*}}>
// NAMED: peft.lora {{.*}} adapter "sst2"

// rank_pattern {q_proj: 2}: q has r = 2, alpha 8, scale 4 (its keys carry
// the adapter name); alpha_pattern {v_proj: 32}: v has scale 32 / 4.
// PATTERNS: arith.constant dense_resource<model.layers.0.self_attn.q_proj.lora_A.default.weight{{.*}}> : tensor<2x16xf32>
// PATTERNS: peft.lora {{.*}} scale 4.000000e+00 {{.*}} tensor<2x16xf32>, tensor<16x2xf32>
// PATTERNS: peft.lora {{.*}} scale 8.000000e+00 {{.*}} tensor<4x16xf32>, tensor<8x4xf32>

// rsLoRA: 8 / sqrt(4).
// RSLORA-COUNT-2: peft.lora {{.*}} scale 4.000000e+00

// DoRA: .lora_magnitude_vector (q) and .lora_magnitude_vector.weight (v).
// DORA:      %[[M:.*]] = arith.constant dense_resource<model.layers.0.self_attn.q_proj.lora_magnitude_vector.default{{.*}}> : tensor<16xf32>
// DORA-NEXT: peft.lora {{.*}} magnitude %[[M]] scale 2.000000e+00
// DORA:      %[[MV:.*]] = arith.constant dense_resource<model.layers.0.self_attn.v_proj.lora_magnitude_vector.default{{.*}}> : tensor<8xf32>
// DORA-NEXT: peft.lora {{.*}} magnitude %[[MV]] scale 2.000000e+00
// DORA:      q_proj.lora_magnitude_vector.default: "0x040000000000803E0000003F

// fp16 / bf16 tensors become blobs of each layer's element type.
// HALF: peft.lora {{.*}} scale 1.000000e+00 adapter "default" : tensor<2x16xf32>, tensor<2x16xf32>, tensor<2x16xf32>, tensor<16x2xf32>
// HALF: peft.lora {{.*}} scale 1.000000e+00 adapter "default" : tensor<2x16xf16>, tensor<2x16xf16>, tensor<2x16xf16>, tensor<16x2xf16>
// HALF: layers.0.self_attn.q_proj.lora_A.default.weight: "0x040000000000803E0000003F0000403F0000803F
// HALF: layers.0.self_attn.q_proj.lora_B.default.weight: "0x04000000000080BF000040BF000000BF000080BE00000000
// HALF: layers.1.self_attn.q_proj.lora_A.default.weight: "0x0200000000340038003A003C
// HALF: layers.1.self_attn.q_proj.lora_B.default.weight: "0x0200000000BC00BA00B800B40000

// IA³: k scales its 8 outputs ([8, 1] stored), down_proj (feedforward) its
// 32 inputs ([1, 32] stored).
// IA3:      %[[K:.*]] = peft.linear %arg0, %arg4
// IA3-NEXT: %[[L:.*]] = arith.constant dense_resource<model.layers.0.self_attn.k_proj.ia3_l.default{{.*}}> : tensor<8xf32>
// IA3-NEXT: peft.ia3 %[[K]], %[[L]] adapter "default" : tensor<2x8xf32>, tensor<8xf32>
// IA3:      %[[D:.*]] = peft.linear %arg1, %arg6
// IA3-NEXT: %[[LD:.*]] = arith.constant dense_resource<model.layers.0.mlp.down_proj.ia3_l.default{{.*}}> : tensor<32xf32>
// IA3-NEXT: peft.ia3 %[[D]], %[[LD]] feedforward adapter "default" : tensor<2x16xf32>, tensor<32xf32>
// IA3-NOT:  peft.lora

// GPT-2's fused c_attn (Conv1D, in_out, fan_in_fan_out): one adapter on the
// whole [16, 48] layer, A [4, 16] and B [48, 4] as PEFT stores them.
// GPT2:      %[[C:.*]] = peft.linear %arg0, %arg7 layout in_out role qkv
// GPT2-NEXT: arith.constant dense_resource<transformer.h.0.attn.c_attn.lora_A.default.weight{{.*}}> : tensor<4x16xf32>
// GPT2-NEXT: arith.constant dense_resource<transformer.h.0.attn.c_attn.lora_B.default.weight{{.*}}> : tensor<48x4xf32>
// GPT2-NEXT: peft.lora %arg0, %[[C]], {{.*}} scale 2.000000e+00 adapter "default" : tensor<2x16xf32>, tensor<2x48xf32>, tensor<4x16xf32>, tensor<48x4xf32>

// decoder.layers.0.self_attn.q_proj -> model.layers.0.self_attn.q_proj.
// MAPPED: arith.constant dense_resource<model.layers.0.self_attn.q_proj.lora_A.default.weight{{.*}}>
// MAPPED: peft.lora

// A key that matches no layer: an error, then with allow-unmatched a warning
// and the other modules loaded.
// UNMATCHED: error: peft-load-adapter: module 'model.layers.7.self_attn.q_proj' of the adapter matches no linear layer (layers have paths like '{{.*}}'; see module-map)
// UNMATCHED-NOT: peft.lora
// ALLOWED: warning: peft-load-adapter: module 'model.layers.7.self_attn.q_proj' of the adapter matches no linear layer {{.*}}; ignored
// ALLOWED-COUNT-2: peft.lora

// Two adapters on one layer stack.
// STACKED:      %[[Q:.*]] = peft.linear %arg0, %arg3
// STACKED:      %[[L1:.*]] = peft.lora %arg0, %[[Q]], {{.*}} scale 2.000000e+00 adapter "default"
// STACKED:      %[[L2:.*]] = peft.lora %arg0, %[[L1]], {{.*}} scale 4.000000e+00 adapter "second"
// STACKED:      arith.addf %[[L2]], %[[L2]]
