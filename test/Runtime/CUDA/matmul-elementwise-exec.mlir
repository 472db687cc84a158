// Runs a matmul + bias + GELU-free ReLU + transposed matmul + row sums on the
// GPU (peft-lower-to-nvvm, kernels launched through libpeft_cuda_runtime.so)
// and on the CPU (peft-lower-to-llvm), and compares the printed numbers
// (<= 1e-4, relative above 1). The shapes give partial-size tiles (M = 48 ->
// 24-row blocks, N = 80 -> 40-column blocks) and a 3-step K loop. Inputs are
// computed in the module (sin/cos of the indices), on the device as well.
// REQUIRES: cuda-device
// RUN: peft-opt %s --peft-lower-to-nvvm \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%peft_cuda_runtime,%mlir_runner_utils,%mlir_c_runner_utils > %t.gpu
// RUN: peft-opt %s --peft-lower-to-nvvm="format=isa" \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%peft_cuda_runtime,%mlir_runner_utils,%mlir_c_runner_utils > %t.ptx-jit
// RUN: peft-opt %s --peft-lower-to-llvm \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils > %t.cpu
// RUN: %python %S/Inputs/compare_outputs.py %t.cpu %t.gpu 1e-4
// RUN: %python %S/Inputs/compare_outputs.py %t.cpu %t.ptx-jit 1e-4

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#row = affine_map<(d0, d1) -> (d0)>

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}

func.func @print(%t: tensor<?x?xf32>) {
  %m = bufferization.to_buffer %t : tensor<?x?xf32> to memref<?x?xf32>
  %u = memref.cast %m : memref<?x?xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @model(%x: tensor<48x96xf32>, %w1: tensor<96x80xf32>, %b1: tensor<80xf32>,
                 %w2: tensor<40x80xf32>) -> (tensor<48x40xf32>, tensor<48xf32>) {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<48x80xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<48x80xf32>) -> tensor<48x80xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<48x96xf32>, tensor<96x80xf32>) outs(%f1 : tensor<48x80xf32>) -> tensor<48x80xf32>
  %a = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b1 : tensor<48x80xf32>, tensor<80xf32>) outs(%e1 : tensor<48x80xf32>) {
  ^bb0(%v: f32, %b: f32, %o: f32):
    %s = arith.addf %v, %b : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<48x80xf32>
  %e2 = tensor.empty() : tensor<48x40xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<48x40xf32>) -> tensor<48x40xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>]
      ins(%a, %w2 : tensor<48x80xf32>, tensor<40x80xf32>) outs(%f2 : tensor<48x40xf32>) -> tensor<48x40xf32>
  %e3 = tensor.empty() : tensor<48xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<48xf32>) -> tensor<48xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%y : tensor<48x40xf32>) outs(%f3 : tensor<48xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %v, %acc : f32
    linalg.yield %s : f32
  } -> tensor<48xf32>
  return %y, %sum : tensor<48x40xf32>, tensor<48xf32>
}

// m[i, j] = sin(a * i + b * j), for each input.
func.func @main() {
  %c0 = arith.constant 0.37 : f32
  %c1 = arith.constant 0.11 : f32
  %c2 = arith.constant 0.05 : f32
  %c3 = arith.constant 0.29 : f32
  %e_x = tensor.empty() : tensor<48x96xf32>
  %x = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%e_x : tensor<48x96xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %jj = arith.index_cast %j : index to i32
    %fi = arith.sitofp %ii : i32 to f32
    %fj = arith.sitofp %jj : i32 to f32
    %xi = arith.mulf %fi, %c0 : f32
    %yj = arith.mulf %fj, %c1 : f32
    %s = arith.addf %xi, %yj : f32
    %v = math.sin %s : f32
    linalg.yield %v : f32
  } -> tensor<48x96xf32>
  %e_w1 = tensor.empty() : tensor<96x80xf32>
  %w1 = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%e_w1 : tensor<96x80xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %jj = arith.index_cast %j : index to i32
    %fi = arith.sitofp %ii : i32 to f32
    %fj = arith.sitofp %jj : i32 to f32
    %xi = arith.mulf %fi, %c1 : f32
    %yj = arith.mulf %fj, %c2 : f32
    %s = arith.addf %xi, %yj : f32
    %v = math.sin %s : f32
    linalg.yield %v : f32
  } -> tensor<96x80xf32>
  %e_w2 = tensor.empty() : tensor<40x80xf32>
  %w2 = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%e_w2 : tensor<40x80xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %jj = arith.index_cast %j : index to i32
    %fi = arith.sitofp %ii : i32 to f32
    %fj = arith.sitofp %jj : i32 to f32
    %xi = arith.mulf %fi, %c3 : f32
    %yj = arith.mulf %fj, %c0 : f32
    %s = arith.addf %xi, %yj : f32
    %v = math.sin %s : f32
    linalg.yield %v : f32
  } -> tensor<40x80xf32>
  %e_b = tensor.empty() : tensor<1x80xf32>
  %b = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%e_b : tensor<1x80xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %jj = arith.index_cast %j : index to i32
    %fi = arith.sitofp %ii : i32 to f32
    %fj = arith.sitofp %jj : i32 to f32
    %xi = arith.mulf %fi, %c2 : f32
    %yj = arith.mulf %fj, %c3 : f32
    %s = arith.addf %xi, %yj : f32
    %v = math.sin %s : f32
    linalg.yield %v : f32
  } -> tensor<1x80xf32>
  %b1 = tensor.collapse_shape %b [[0, 1]] : tensor<1x80xf32> into tensor<80xf32>
  %y, %sum = func.call @model(%x, %w1, %b1, %w2)
      : (tensor<48x96xf32>, tensor<96x80xf32>, tensor<80xf32>, tensor<40x80xf32>) -> (tensor<48x40xf32>, tensor<48xf32>)
  %dy = tensor.cast %y : tensor<48x40xf32> to tensor<?x?xf32>
  func.call @print(%dy) : (tensor<?x?xf32>) -> ()
  %s2 = tensor.expand_shape %sum [[0, 1]] output_shape [48, 1] : tensor<48xf32> into tensor<48x1xf32>
  %ds = tensor.cast %s2 : tensor<48x1xf32> to tensor<?x?xf32>
  func.call @print(%ds) : (tensor<?x?xf32>) -> ()
  return
}
