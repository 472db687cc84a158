// RUN: peft-opt %s --peft-insert-lora="targets=q_proj,v_proj rank=4 alpha=8" | FileCheck %s --check-prefix=NAMES
// RUN: peft-opt %s --peft-insert-lora="roles=k rank=2 alpha=4 rslora=true init=gaussian seed=3" | FileCheck %s --check-prefix=ROLES
// RUN: peft-opt %s --peft-insert-lora="targets=all-linear rank=4 alpha=4 rank-pattern=v_proj=2 alpha-pattern=q_proj=16" | FileCheck %s --check-prefix=ALL
// RUN: peft-opt %s --peft-insert-lora="target-regex=.*[.](q|k)_proj rank=4 init=zeros" | FileCheck %s --check-prefix=REGEX

// A tiny attention-style layer set: three projections and an output head.
func.func @layers(%x: tensor<?x8xf32>) -> tensor<?x16xf32> {
  %wq = onnx.initializer "wq" dense<0.5> : tensor<8x8xf32>
  %wk = onnx.initializer "wk" dense<0.25> : tensor<8x8xf32>
  %wv = onnx.initializer "wv" dense<0.125> : tensor<4x8xf32>
  %wh = onnx.initializer "wh" dense<1.0> : tensor<12x16xf32>
  %q = peft.linear %x, %wq layout out_in role q path "m.layers.0.self_attn.q_proj" : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
  %k = peft.linear %x, %wk layout out_in role k path "m.layers.0.self_attn.k_proj" : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
  %v = peft.linear %x, %wv layout out_in role v path "m.layers.0.self_attn.v_proj" : tensor<?x8xf32>, tensor<4x8xf32> -> tensor<?x4xf32>
  %qk = "onnx.Add"(%q, %k) : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %cat = "onnx.Concat"(%qk, %v) <{axis = 1 : i64}> : (tensor<?x8xf32>, tensor<?x4xf32>) -> tensor<?x12xf32>
  %h = peft.linear %cat, %wh layout in_out role other path "lm_head" : tensor<?x12xf32>, tensor<12x16xf32> -> tensor<?x16xf32>
  return %h : tensor<?x16xf32>
}

// Targets by dotted suffix; PEFT's default init (B = 0, A Kaiming); s = 8/4.
// NAMES-LABEL: func.func @layers
// NAMES: %[[Q:.*]] = peft.linear %[[X:[^,]*]], %{{.*}} layout out_in role q
// NAMES-NEXT: %[[A:.*]] = arith.constant dense_resource<m.layers.0.self_attn.q_proj.lora_A.default.weight{{.*}}> : tensor<4x8xf32>
// NAMES-NEXT: %[[B:.*]] = arith.constant dense_resource<m.layers.0.self_attn.q_proj.lora_B.default.weight{{.*}}> : tensor<8x4xf32>
// NAMES-NEXT: %[[QL:.*]] = peft.lora %[[X]], %[[Q]], %[[A]], %[[B]] scale 2.000000e+00 adapter "default"
// NAMES: %[[K:.*]] = peft.linear {{.*}} role k
// NAMES-NOT: peft.lora %{{.*}}, %[[K]]
// NAMES: %[[V:.*]] = peft.linear {{.*}} role v
// NAMES: dense_resource<m.layers.0.self_attn.v_proj.lora_A.default.weight{{.*}}> : tensor<4x8xf32>
// NAMES: dense_resource<m.layers.0.self_attn.v_proj.lora_B.default.weight{{.*}}> : tensor<4x4xf32>
// NAMES: %[[VL:.*]] = peft.lora %{{.*}}, %[[V]]
// NAMES: "onnx.Add"(%[[QL]], %[[K]])
// NAMES: "onnx.Concat"(%{{.*}}, %[[VL]])
// NAMES: %[[H:.*]] = peft.linear {{.*}} path "lm_head"
// NAMES-NOT: peft.lora
// NAMES: return %[[H]]

// By role, rsLoRA: s = 4/√2.
// ROLES-LABEL: func.func @layers
// ROLES-COUNT-1: peft.lora
// ROLES-SAME: scale 2.828427
// ROLES-NOT: peft.lora

// all-linear leaves the output head out; the patterns override rank and alpha.
// ALL-LABEL: func.func @layers
// ALL: dense_resource<m.layers.0.self_attn.q_proj.lora_A.default.weight{{.*}}> : tensor<4x8xf32>
// ALL: peft.lora {{.*}} scale 4.000000e+00
// ALL: dense_resource<m.layers.0.self_attn.k_proj.lora_A.default.weight{{.*}}> : tensor<4x8xf32>
// ALL: peft.lora {{.*}} scale 1.000000e+00
// ALL: dense_resource<m.layers.0.self_attn.v_proj.lora_A.default.weight{{.*}}> : tensor<2x8xf32>
// ALL: peft.lora {{.*}} scale 2.000000e+00
// ALL-NOT: lm_head.lora_A

// A whole-path regex.
// REGEX-LABEL: func.func @layers
// REGEX: q_proj.lora_A
// REGEX: k_proj.lora_A
// REGEX-NOT: v_proj.lora_A

