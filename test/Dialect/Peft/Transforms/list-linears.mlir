// RUN: peft-opt %s -split-input-file --peft-list-linears -o /dev/null | FileCheck %s
// RUN: peft-opt %s --peft-list-linears="output=%t.txt" | FileCheck %s --check-prefix=IR
// RUN: FileCheck %s --input-file=%t.txt --check-prefix=FILE
// RUN: not peft-opt %s --peft-list-linears="output=%t.missing/dir/x.txt" -o /dev/null 2>&1 | FileCheck %s --check-prefix=ERR

// CHECK:      path                             role  in  out  layout  bias  location
// CHECK-NEXT: model.layers.0.self_attn.q_proj  q     64  128  out_in  yes   {{.*}}list-linears.mlir:{{[0-9]+}}:8
// CHECK-NEXT: model.layers.0.mlp.down_proj     down  128 64   in_out  no    {{.*}}list-linears.mlir:{{[0-9]+}}:8
// CHECK-NEXT: <unnamed>                        other ?   ?    out_in  no    /model/lm_head/MatMul
// CHECK-NEXT: 3 linear layers
// IR: func.func @block
// FILE: 3 linear layers
func.func @block(%x: tensor<?x64xf32>, %wq: tensor<128x64xf32>, %bq: tensor<128xf32>, %wd: tensor<128x64xf32>, %wl: tensor<?x?xf32>) {
  %q = peft.linear %x, %wq, %bq layout out_in role q path "model.layers.0.self_attn.q_proj"
         : tensor<?x64xf32>, tensor<128x64xf32>, tensor<128xf32> -> tensor<?x128xf32>
  %d = peft.linear %q, %wd layout in_out role down path "model.layers.0.mlp.down_proj"
         : tensor<?x128xf32>, tensor<128x64xf32> -> tensor<?x64xf32>
  %l = peft.linear %d, %wl layout out_in role other
         : tensor<?x64xf32>, tensor<?x?xf32> -> tensor<?x?xf32> loc("/model/lm_head/MatMul")
  return
}

// -----

// CHECK: path  role  in  out  layout  bias  location
// CHECK-NEXT: 0 linear layers
func.func @none() {
  return
}

// ERR: error: peft-list-linears: {{.*}}
