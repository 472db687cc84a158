// The PTX assembles with ptxas, and --emit-cubin writes a CUDA ELF for sm_90.
// REQUIRES: nvptx, ptxas
// RUN: rm -rf %t && mkdir -p %t
// RUN: peft-translate --emit-ptx %s -o %t/k.ptx
// RUN: %ptxas -arch=sm_90 %t/k.ptx -o %t/ptxas.cubin
// RUN: peft-translate --emit-cubin %s -o %t/k.cubin
// RUN: llvm-readelf -h -s %t/k.cubin | FileCheck %s

// CHECK: Magic: 7f 45 4c 46
// CHECK: Machine: NVIDIA CUDA architecture
// CHECK-DAG: FUNC {{.*}} scale_add_kernel{{$}}
// CHECK-DAG: FUNC {{.*}} scale_add_kernel_0{{$}}
// CHECK-DAG: FUNC {{.*}} scale_add_kernel_1{{$}}

#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @scale_add(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<64x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<64x64xf32>) -> tensor<64x64xf32>
  %c = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>)
                     outs(%init : tensor<64x64xf32>) -> tensor<64x64xf32>
  %d = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c, %a : tensor<64x64xf32>, tensor<64x64xf32>) outs(%empty : tensor<64x64xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<64x64xf32>
  return %d : tensor<64x64xf32>
}
