// Every host-side GPU op that gpu-to-llvm turns into a runtime call (and a
// launch, which the offloading translation turns into module and launch
// calls), for exports.test.
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @f(%a: memref<4xf32>) kernel { gpu.return }
  }
  func.func @calls(%h: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    %f0 = arith.constant 0.0 : f32
    %h0 = arith.constant 0 : i16
    %dev = arith.constant 0 : i32
    gpu.set_default_device %dev
    %t0 = gpu.wait async
    %d, %t1 = gpu.alloc async [%t0] () : memref<4xf32>
    %d16, %t2 = gpu.alloc async [%t1] () : memref<4xi16>
    %t3 = gpu.memcpy async [%t2] %d, %h : memref<4xf32>, memref<4xf32>
    %t4 = gpu.memset async [%t3] %d, %f0 : memref<4xf32>, f32
    %t5 = gpu.memset async [%t4] %d16, %h0 : memref<4xi16>, i16
    %t6 = gpu.launch_func async [%t5] @k::@f blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%d : memref<4xf32>)
    %t7 = gpu.launch_func async [%t5] @k::@f clusters in (%c1, %c1, %c1) blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%d : memref<4xf32>)
    %t8 = gpu.wait async [%t6, %t7]
    %t9 = gpu.dealloc async [%t8] %d : memref<4xf32>
    %t10 = gpu.dealloc async [%t9] %d16 : memref<4xi16>
    gpu.wait [%t10]
    %u = memref.cast %h : memref<4xf32> to memref<*xf32>
    gpu.host_register %u : memref<*xf32>
    gpu.host_unregister %u : memref<*xf32>
    return
  }
}
