// RUN: peft-opt %s -split-input-file --convert-peft-qlinear-to-vector | FileCheck %s
// RUN: not peft-opt %s -split-input-file --convert-peft-qlinear-to-vector="panel-k=48" 2>&1 | FileCheck %s --check-prefix=OPTS

// OPTS: convert-peft-qlinear-to-vector: tile-m, tile-n and gemv-tile-n must be positive and panel-k a multiple of 32

// int4 in groups of 32: the packed bytes are read as vector<16xi8> from the
// weight's blob, split into nibbles by shifts, converted and scaled in
// registers and multiplied with the deinterleaved activations; a 4x4 GEMM
// tile (16 accumulators), then the rows past a multiple of 4 in 1x8 tiles.
// No float tensor of the weight's shape is formed.

// CHECK-LABEL: func.func @int4_groups
// CHECK-NOT: tensor<16x64xf32>
// CHECK-NOT: peft.qlinear
// CHECK-DAG: %[[BYTES:.*]] = arith.constant dense_resource<q> : tensor<512xi8>
// CHECK: scf.for %[[N:[a-z0-9_]+]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: scf.for %[[M:[a-z0-9_]+]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: scf.for %[[K:[a-z0-9_]+]] = {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: tensor.extract %{{.*}}[%[[N]], %{{.*}}] : tensor<16x2xf32>
// CHECK: %[[B:.*]] = vector.transfer_read %[[BYTES]][%{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<512xi8>, vector<16xi8>
// CHECK: %[[FOUR:.*]] = arith.constant dense<4> : vector<16xi8>
// CHECK: %[[SH:.*]] = arith.shli %[[B]], %[[FOUR]] : vector<16xi8>
// CHECK: %[[LO:.*]] = arith.shrsi %[[SH]], %[[FOUR]] : vector<16xi8>
// CHECK: %[[HI:.*]] = arith.shrsi %[[B]], %[[FOUR]] : vector<16xi8>
// CHECK: arith.sitofp %[[LO]] : vector<16xi8> to vector<16xf32>
// CHECK: arith.mulf
// CHECK: vector.transfer_read %{{.*}}[%{{.*}}, %[[K]]], %{{.*}} {in_bounds = [true]} : tensor<?x64xf32>, vector<32xf32>
// CHECK: vector.deinterleave %{{.*}} : vector<32xf32> -> vector<16xf32>
// CHECK: vector.fma
// CHECK: scf.yield
// CHECK: vector.reduction <add>, %{{.*}} fastmath<reassoc> : vector<16xf32> into f32
// CHECK: vector.from_elements {{.*}} : vector<4xf32>
// CHECK: vector.transfer_write {{.*}} : vector<4xf32>, tensor<?x16xf32>
// The GEMV rows: 8 accumulators.
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.transfer_write {{.*}} : vector<8xf32>, tensor<?x16xf32>
// CHECK-NOT: tensor<16x64xf32>
// CHECK: return
func.func @int4_groups(%x: tensor<?x64xf32>, %s: tensor<16x2xf32>) -> tensor<?x16xf32> {
  %q = arith.constant dense_resource<q> : tensor<16x64xi4>
  %y = peft.qlinear %x, %q scales %s group_size 32 role q : tensor<?x64xf32>, tensor<16x64xi4>, tensor<16x2xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

{-#
  dialect_resources: {
    builtin: {
      q: "0x010000001212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212"
    }
  }
#-}

// -----

// int8, a runtime weight, per-channel zero points, f16 activations and bias:
// two vector<16xi8> reads of the weight a chunk, ŵ = q·s − z·s by one fma,
// the activations extended to f32, bias and one rounding to f16 after.
// 6 outputs: one 4-wide tile and two 1-wide ones; 1x8 GEMV tiles do not fit.

// CHECK-LABEL: func.func @int8_zero_points_f16
// CHECK-NOT: tensor<6x64xf16>
// CHECK-NOT: tensor<6x64xf32>
// CHECK: tensor.extract %{{.*}} : tensor<6x1xi8>
// CHECK: arith.extsi
// CHECK: arith.negf
// CHECK: vector.transfer_read %arg1[%{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<6x64xi8>, vector<16xi8>
// CHECK: vector.transfer_read %arg1[%{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<6x64xi8>, vector<16xi8>
// CHECK: arith.sitofp %{{.*}} : vector<16xi8> to vector<16xf32>
// CHECK: vector.fma
// CHECK: vector.transfer_read %arg0{{.*}} : tensor<?x64xf16>, vector<16xf16>
// CHECK: arith.extf %{{.*}} : vector<16xf16> to vector<16xf32>
// CHECK: vector.transfer_write {{.*}} : vector<4xf32>, tensor<?x6xf32>
// CHECK: vector.transfer_write {{.*}} : vector<1xf32>, tensor<?x6xf32>
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: arith.truncf {{.*}} : f32 to f16
// CHECK-NOT: tensor<6x64xf32>
func.func @int8_zero_points_f16(%x: tensor<?x64xf16>, %q: tensor<6x64xi8>, %s: tensor<6x1xf16>, %b: tensor<6xf16>) -> tensor<?x6xf16> {
  %z = arith.constant dense<[[1], [-2], [3], [0], [5], [-6]]> : tensor<6x1xi8>
  %y = peft.qlinear %x, %q scales %s zero_points %z : tensor<6x1xi8> bias %b : tensor<6xf16> role o : tensor<?x64xf16>, tensor<6x64xi8>, tensor<6x1xf16> -> tensor<?x6xf16>
  return %y : tensor<?x6xf16>
}

// -----

// int4 zero points are read from their packed bytes, one value a group.
// CHECK-LABEL: func.func @int4_zero_points
// CHECK-DAG: %[[ZB:.*]] = arith.constant dense_resource<z> : tensor<16xi8>
// CHECK: tensor.extract %[[ZB]]
// CHECK: arith.sitofp %{{.*}} : i32 to f32
// CHECK: vector.fma
func.func @int4_zero_points(%x: tensor<?x64xf32>, %s: tensor<16x2xf32>) -> tensor<?x16xf32> {
  %q = arith.constant dense_resource<q> : tensor<16x64xi4>
  %z = arith.constant dense_resource<z> : tensor<16x2xi4>
  %y = peft.qlinear %x, %q scales %s zero_points %z : tensor<16x2xi4> group_size 32 role q : tensor<?x64xf32>, tensor<16x64xi4>, tensor<16x2xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

{-#
  dialect_resources: {
    builtin: {
      q: "0x010000001212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212",
      z: "0x01000000f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1"
    }
  }
#-}

// -----

// Left to convert-peft-to-linalg: 3-bit weights, an input extent that is not
// a multiple of 32, a group size that is not.
// CHECK-LABEL: func.func @left_alone
// CHECK: peft.qlinear {{.*}} tensor<4x64xi3>
// CHECK: peft.qlinear {{.*}} tensor<4x48xi8>
// CHECK: peft.qlinear {{.*}} group_size 16
func.func @left_alone(%x: tensor<?x64xf32>, %x48: tensor<?x48xf32>, %s: tensor<4x1xf32>, %s4: tensor<4x4xf32>, %q8: tensor<4x48xi8>, %q64: tensor<4x64xi8>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %q3 = arith.constant dense_resource<q3> : tensor<4x64xi3>
  %a = peft.qlinear %x, %q3 scales %s role o : tensor<?x64xf32>, tensor<4x64xi3>, tensor<4x1xf32> -> tensor<?x4xf32>
  %b = peft.qlinear %x48, %q8 scales %s role o : tensor<?x48xf32>, tensor<4x48xi8>, tensor<4x1xf32> -> tensor<?x4xf32>
  %c = peft.qlinear %x, %q64 scales %s4 group_size 16 role o : tensor<?x64xf32>, tensor<4x64xi8>, tensor<4x4xf32> -> tensor<?x4xf32>
  return %a, %b, %c : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      q3: "0x01000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}
