// peft-gpu-device-buffers: what kernels touch lives in device memory; the
// host keeps seeing host memory.
// RUN: peft-opt %s --peft-gpu-device-buffers | FileCheck %s

memref.global "private" constant @bias : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>

// Arguments and globals get device copies (only the written argument is
// copied back), allocations become gpu.alloc (their dealloc gpu.dealloc), a
// host read or write goes through a host copy, the result is returned in
// host memory, and every device buffer is freed before the return.
// CHECK-LABEL: func.func @kernels(
// CHECK-SAME:      %[[IN:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<4xf32>)
// CHECK-DAG:     %[[DOUT:.*]] = gpu.alloc () : memref<4xf32>
// CHECK-DAG:     gpu.memcpy %[[DOUT]], %[[OUT]]
// CHECK-DAG:     %[[DIN:.*]] = gpu.alloc () : memref<4xf32>
// CHECK-DAG:     gpu.memcpy %[[DIN]], %[[IN]]
// CHECK:         %[[G:.*]] = memref.get_global @bias
// CHECK:         %[[DG:.*]] = gpu.alloc () : memref<4xf32>
// CHECK:         gpu.memcpy %[[DG]], %[[G]]
// CHECK:         %[[TMP:.*]] = gpu.alloc () : memref<4xf32>
// CHECK:         %[[RES:.*]] = gpu.alloc () : memref<4xf32>
// CHECK:         gpu.launch
// CHECK:           memref.load %[[DIN]]
// CHECK:           memref.load %[[DG]]
// CHECK:           memref.store %{{.*}}, %[[TMP]]
// CHECK:           memref.store %{{.*}}, %[[DOUT]]
// CHECK:         %[[VIEW:.*]] = memref.subview %[[TMP]][1] [2] [1]
// CHECK:         gpu.launch
// CHECK:           memref.load %[[VIEW]]
// CHECK:         %[[H1:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         gpu.memcpy %[[H1]], %[[TMP]]
// CHECK:         %[[FIRST:.*]] = memref.load %[[H1]]
// CHECK:         memref.dealloc %[[H1]]
// CHECK:         %[[H2:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         gpu.memcpy %[[H2]], %[[RES]]
// CHECK:         memref.store %[[FIRST]], %[[H2]]
// CHECK:         gpu.memcpy %[[RES]], %[[H2]]
// CHECK:         memref.dealloc %[[H2]]
// CHECK:         gpu.dealloc %[[TMP]]
// CHECK:         %[[HOST:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         gpu.memcpy %[[HOST]], %[[RES]]
// CHECK-NOT:     gpu.memcpy %[[IN]]
// CHECK:         gpu.memcpy %[[OUT]], %[[DOUT]]
// CHECK-NOT:     gpu.memcpy %[[IN]]
// CHECK-DAG:     gpu.dealloc %[[DIN]]
// CHECK-DAG:     gpu.dealloc %[[DG]]
// CHECK-DAG:     gpu.dealloc %[[DOUT]]
// CHECK-DAG:     gpu.dealloc %[[RES]]
// CHECK:         return %[[HOST]]
func.func @kernels(%in: memref<4xf32>, %out: memref<4xf32>) -> memref<4xf32> {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %bias = memref.get_global @bias : memref<4xf32>
  %tmp = memref.alloc() : memref<4xf32>
  %res = memref.alloc() : memref<4xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
    %a = memref.load %in[%tx] : memref<4xf32>
    %b = memref.load %bias[%tx] : memref<4xf32>
    %s = arith.addf %a, %b : f32
    memref.store %s, %tmp[%tx] : memref<4xf32>
    memref.store %s, %out[%tx] : memref<4xf32>
    gpu.terminator
  }
  %view = memref.subview %tmp[1] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1], offset: 1>>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %v = memref.load %view[%c0] : memref<2xf32, strided<[1], offset: 1>>
    memref.store %v, %res[%tx] : memref<4xf32>
    gpu.terminator
  }
  %first = memref.load %tmp[%c1] : memref<4xf32>
  memref.store %first, %res[%c1] : memref<4xf32>
  memref.dealloc %tmp : memref<4xf32>
  return %res : memref<4xf32>
}

// No kernel, nothing moves.
// CHECK-LABEL: func.func @host_only
// CHECK-NOT:     gpu.
// CHECK:         return
func.func @host_only(%x: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %v = memref.load %x[%c0] : memref<4xf32>
  return %v : f32
}
