// RUN: peft-opt %s -split-input-file --peft-list-linears -o /dev/null | FileCheck %s
// RUN: peft-opt %s --peft-list-linears="output=%t.txt" | FileCheck %s --check-prefix=IR
// RUN: FileCheck %s --input-file=%t.txt --check-prefix=FILE
// RUN: not peft-opt %s --peft-list-linears="output=%t.missing/dir/x.txt" -o /dev/null 2>&1 | FileCheck %s --check-prefix=ERR

// CHECK:      path                             op       role   in   out  layout  bias  weight  location
// CHECK-NEXT: model.layers.0.self_attn.q_proj  linear   q      64   128  out_in  yes   wq      {{.*}}list-linears.mlir:{{[0-9]+}}:8
// CHECK-NEXT: model.layers.0.mlp.down_proj     linear   down   128  64   in_out  no    -       {{.*}}list-linears.mlir:{{[0-9]+}}:8
// CHECK-NEXT: <unnamed>                        linear   other  ?    ?    out_in  no    -       /model/lm_head/MatMul
// CHECK-NEXT: model.layers.0.self_attn.k_proj  qlinear  k      64   16   -       no    k.q     {{.*}}list-linears.mlir:{{[0-9]+}}:8
// CHECK-NEXT: 4 linear layers
// IR: func.func @block
// FILE: 4 linear layers
func.func @block(%x: tensor<?x64xf32>, %bq: tensor<128xf32>, %wd: tensor<128x64xf32>, %wl: tensor<?x?xf32>, %s: tensor<16x1xf32>) {
  %wq = onnx.initializer "wq" dense<1.0> : tensor<128x64xf32>
  %q = peft.linear %x, %wq, %bq layout out_in role q path "model.layers.0.self_attn.q_proj"
         : tensor<?x64xf32>, tensor<128x64xf32>, tensor<128xf32> -> tensor<?x128xf32>
  %d = peft.linear %q, %wd layout in_out role down path "model.layers.0.mlp.down_proj"
         : tensor<?x128xf32>, tensor<128x64xf32> -> tensor<?x64xf32>
  %l = peft.linear %d, %wl layout out_in role other
         : tensor<?x64xf32>, tensor<?x?xf32> -> tensor<?x?xf32> loc("/model/lm_head/MatMul")
  %kq = arith.constant dense_resource<k.q> : tensor<16x64xi4>
  %k = peft.qlinear %x, %kq scales %s role k path "model.layers.0.self_attn.k_proj"
         : tensor<?x64xf32>, tensor<16x64xi4>, tensor<16x1xf32> -> tensor<?x16xf32>
  return
}

// -----

// CHECK: path  op  role  in  out  layout  bias  weight  location
// CHECK-NEXT: 0 linear layers
func.func @none() {
  return
}

// ERR: error: peft-list-linears: {{.*}}
