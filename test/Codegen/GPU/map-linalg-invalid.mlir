// RUN: peft-opt %s -split-input-file --peft-gpu-map-linalg -verify-diagnostics

func.func @dynamic(%x: memref<?x8xf32>, %y: memref<?x8xf32>) {
  // expected-error @below {{peft-lower-to-nvvm: GPU kernels need static shapes}}
  linalg.copy ins(%x : memref<?x8xf32>) outs(%y : memref<?x8xf32>)
  return
}

// -----

func.func @no_parallel_loop(%x: memref<8xf32>, %y: memref<f32>) {
  // expected-error @below {{peft-lower-to-nvvm: an op without parallel loops cannot be mapped to GPU threads}}
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]}
      ins(%x : memref<8xf32>) outs(%y : memref<f32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  }
  return
}

// -----

func.func @tensors(%x: tensor<8xf32>) -> tensor<8xf32> {
  %e = tensor.empty() : tensor<8xf32>
  // expected-error @below {{peft-lower-to-nvvm: linalg op on tensors after bufferization}}
  %y = linalg.copy ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}
