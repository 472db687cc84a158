// A transformer MLP block on peft.linear (PyTorch weight layout), GELU (tanh
// form) and a residual: the host side calls the mgpu* runtime around one
// embedded device binary, and the PTX assembles.
// RUN: peft-opt %s --peft-lower-to-nvvm="format=isa" | FileCheck %s --check-prefix=HOST
// RUN: %if ptxas %{ peft-translate --emit-ptx %s -o %t.ptx %}
// RUN: %if ptxas %{ %ptxas -arch=sm_90 %t.ptx -o %t.cubin %}
// REQUIRES: nvptx

// HOST:      llvm.func @mlp_block(
// HOST:        llvm.call @mgpuStreamCreate()
// HOST:        llvm.call @mgpuMemAlloc(
// HOST:        llvm.call @mgpuMemcpy(
// HOST:        gpu.launch_func <%{{.*}} : !llvm.ptr> @mlp_block_kernel::@mlp_block_kernel
// HOST:        gpu.launch_func <%{{.*}} : !llvm.ptr> @mlp_block_kernel::@mlp_block_kernel_0
// HOST:        llvm.call @mgpuMemFree(
// HOST:        llvm.call @mgpuStreamSynchronize(
// HOST:        llvm.call @mgpuStreamDestroy(
// HOST:        llvm.return
// HOST:      gpu.binary @mlp_block_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80"
// HOST-SAME:   assembly = "
// HOST-NOT:  gpu.binary

#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @mlp_block(%x: tensor<16x64xf32>, %wu: tensor<256x64xf32>, %bu: tensor<256xf32>,
                     %wd: tensor<64x256xf32>, %bd: tensor<64xf32>) -> tensor<16x64xf32> {
  %half = arith.constant 0.5 : f32
  %one = arith.constant 1.0 : f32
  %k0 = arith.constant 0.7978845608 : f32
  %k1 = arith.constant 0.044715 : f32
  %h = peft.linear %x, %wu, %bu layout out_in role up
         : tensor<16x64xf32>, tensor<256x64xf32>, tensor<256xf32> -> tensor<16x256xf32>
  %e = tensor.empty() : tensor<16x256xf32>
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<16x256xf32>) outs(%e : tensor<16x256xf32>) {
  ^bb0(%v: f32, %o: f32):
    %v3 = arith.mulf %v, %v : f32
    %v3b = arith.mulf %v3, %v : f32
    %inner = arith.mulf %v3b, %k1 : f32
    %sum = arith.addf %v, %inner : f32
    %arg = arith.mulf %sum, %k0 : f32
    %t = math.tanh %arg : f32
    %t1 = arith.addf %t, %one : f32
    %hv = arith.mulf %v, %half : f32
    %r = arith.mulf %hv, %t1 : f32
    linalg.yield %r : f32
  } -> tensor<16x256xf32>
  %d = peft.linear %g, %wd, %bd layout out_in role down
         : tensor<16x256xf32>, tensor<64x256xf32>, tensor<64xf32> -> tensor<16x64xf32>
  %e2 = tensor.empty() : tensor<16x64xf32>
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%d, %x : tensor<16x64xf32>, tensor<16x64xf32>) outs(%e2 : tensor<16x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<16x64xf32>
  return %y : tensor<16x64xf32>
}
