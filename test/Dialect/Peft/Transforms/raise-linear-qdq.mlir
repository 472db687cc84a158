// RUN: peft-opt %s -split-input-file --peft-raise-linear | FileCheck %s

// QDQ weights (DequantizeLinear of constant integers feeding MatMul/Gemm)
// become peft.qlinear: the ONNX weight is [in, out], so the integers are
// transposed to [out, in], per-axis scales (axis 1 = out) become [out, 1]
// and blocks along axis 0 (in) become groups, scales [out, blocks]. The
// expected blobs are worked by hand below each case (little-endian; the first
// word of a blob is its alignment).

// int8 per output channel, no zero point: symmetric.
// x = [[1, 2], [3, 4], [5, -6]] ([in, out]) -> q = [[1, 3, 5], [2, 4, -6]];
// scales 0.5 = 0x3F000000, 0.25 = 0x3E800000.
// CHECK-LABEL: func.func @per_axis_int8
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>)
// CHECK-DAG: %[[Q:.*]] = arith.constant dense_resource<model.fc.qweight> : tensor<2x3xi8>
// CHECK-DAG: %[[S:.*]] = arith.constant dense_resource<model.fc.scales> : tensor<2x1xf32>
// CHECK: %[[Y:.*]] = peft.qlinear %[[X]], %[[Q]] scales %[[S]] role other path "model.fc" : tensor<?x3xf32>, tensor<2x3xi8>, tensor<2x1xf32> -> tensor<?x2xf32>
// CHECK-NOT: onnx.DequantizeLinear
// CHECK-NOT: onnx.initializer
// CHECK: return %[[Y]]
// CHECK: model.fc.qweight: "0x010000000103050204FA"
// CHECK: model.fc.scales: "0x040000000000003F0000803E"
func.func @per_axis_int8(%x: tensor<?x3xf32>) -> tensor<?x2xf32> {
  %none = onnx.none
  %q = onnx.initializer "fc.weight_quantized" dense<[[1, 2], [3, 4], [5, -6]]> : tensor<3x2xi8>
  %s = onnx.initializer "fc.weight_scale" dense<[0.5, 0.25]> : tensor<2xf32>
  %w = "onnx.DequantizeLinear"(%q, %s, %none) <{axis = 1 : i64}> : (tensor<3x2xi8>, tensor<2xf32>, none) -> tensor<3x2xf32>
  %y = "onnx.MatMul"(%x, %w) : (tensor<?x3xf32>, tensor<3x2xf32>) -> tensor<?x2xf32> loc("/model/fc/MatMul")
  return %y : tensor<?x2xf32>
}

// -----

// int4 in blocks of 2 along the input (axis 0; 5 rows: the last block is
// short) with zero points, and a bias Add.
// x rows (1,2) (3,4) (5,-6) (-8,7) (0,-1) -> q rows [1,3,5,-8,0], [2,4,-6,7,-1]
// packed two per byte, low nibble first: 31 85 20 A4 F7.
// scales [blocks, out] = [[.5,.25],[1,2],[4,8]] -> [out, groups]
// [[.5,1,4],[.25,2,8]]; zero points [[0,1],[0,0],[-1,0]] -> [[0,0,-1],[1,0,0]]
// -> nibbles 0,0 | F,1 | 0,0 = 00 1F 00.
// CHECK-LABEL: func.func @blocked_int4
// CHECK-DAG: %[[Q:.*]] = arith.constant dense_resource<model.fc.qweight> : tensor<2x5xi4>
// CHECK-DAG: %[[S:.*]] = arith.constant dense_resource<model.fc.scales> : tensor<2x3xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense_resource<model.fc.zero_points> : tensor<2x3xi4>
// CHECK: %[[Y:.*]] = peft.qlinear %{{.*}}, %[[Q]] scales %[[S]] zero_points %[[Z]] : tensor<2x3xi4> bias %{{.*}} : tensor<2xf32> group_size 2 role other path "model.fc" : tensor<?x5xf32>, tensor<2x5xi4>, tensor<2x3xf32> -> tensor<?x2xf32>
// CHECK-NOT: onnx.Add
// CHECK: return %[[Y]]
// CHECK: model.fc.qweight: "0x01000000318520A4F7"
// CHECK: model.fc.scales: "0x040000000000003F0000803F000080400000803E0000004000000041"
// CHECK: model.fc.zero_points: "0x01000000001F00"
func.func @blocked_int4(%x: tensor<?x5xf32>) -> tensor<?x2xf32> {
  %q = onnx.initializer "w" dense<[[1, 2], [3, 4], [5, -6], [-8, 7], [0, -1]]> : tensor<5x2xi4>
  %s = onnx.initializer "s" dense<[[0.5, 0.25], [1.0, 2.0], [4.0, 8.0]]> : tensor<3x2xf32>
  %z = onnx.initializer "z" dense<[[0, 1], [0, 0], [-1, 0]]> : tensor<3x2xi4>
  %b = onnx.initializer "fc.bias" dense<[0.5, 1.5]> : tensor<2xf32>
  %w = "onnx.DequantizeLinear"(%q, %s, %z) <{axis = 0 : i64, block_size = 2 : i64}> : (tensor<5x2xi4>, tensor<3x2xf32>, tensor<3x2xi4>) -> tensor<5x2xf32>
  %y = "onnx.MatMul"(%x, %w) : (tensor<?x5xf32>, tensor<5x2xf32>) -> tensor<?x2xf32> loc("/model/fc/MatMul")
  %z2 = "onnx.Add"(%y, %b) : (tensor<?x2xf32>, tensor<2xf32>) -> tensor<?x2xf32> loc("/model/fc/Add")
  return %z2 : tensor<?x2xf32>
}

// -----

// uint8 per channel: u - 128 on the signed grid, zero points too. A zero
// point of 128 everywhere is the symmetric grid (no zero points); [128, 130]
// is asymmetric: z = [0, 2].
// x = [[0, 128], [255, 130]] ([in, out]) -> q = [[-128, 127], [0, 2]]
// = 80 7F 00 02.
// CHECK-LABEL: func.func @per_axis_uint8
// CHECK: peft.qlinear %{{.*}}, %{{.*}} scales %{{.*}} role other path "sym" : tensor<3x2xf32>, tensor<2x2xi8>, tensor<2x1xf32>
// CHECK: peft.qlinear %{{.*}}, %{{.*}} scales %{{.*}} zero_points %{{.*}} : tensor<2x1xi8> role other path "asym" : tensor<3x2xf32>, tensor<2x2xi8>, tensor<2x1xf32>
// CHECK-NOT: onnx.DequantizeLinear
// CHECK: sym.qweight: "0x01000000807F0002"
// CHECK: asym.qweight: "0x01000000807F0002"
// CHECK: asym.zero_points: "0x010000000002"
func.func @per_axis_uint8(%x: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %q = onnx.initializer "q" dense<[[0, 128], [255, 130]]> : tensor<2x2xui8>
  %s = onnx.initializer "s" dense<[0.5, 0.25]> : tensor<2xf32>
  %z1 = onnx.initializer "z1" dense<[128, 128]> : tensor<2xui8>
  %z2 = onnx.initializer "z2" dense<[128, 130]> : tensor<2xui8>
  %w1 = "onnx.DequantizeLinear"(%q, %s, %z1) <{axis = 1 : i64}> : (tensor<2x2xui8>, tensor<2xf32>, tensor<2xui8>) -> tensor<2x2xf32>
  %w2 = "onnx.DequantizeLinear"(%q, %s, %z2) <{axis = -1 : i64}> : (tensor<2x2xui8>, tensor<2xf32>, tensor<2xui8>) -> tensor<2x2xf32>
  %y1 = "onnx.MatMul"(%x, %w1) : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32> loc("/sym/MatMul")
  %y2 = "onnx.MatMul"(%x, %w2) : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32> loc("/asym/MatMul")
  return %y1, %y2 : tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// uint4 per tensor without a zero point: the ONNX zero point is 0, i.e.
// z = -8 on the signed grid, and the one scale is repeated per channel.
// x = [[0, 8], [15, 9]] ([in, out]) -> q = [[-8, 7], [0, 1]]
// -> nibbles 8,7 | 0,1 = 78 10;
// z = [-8, -8] -> 88.
// CHECK-LABEL: func.func @per_tensor_uint4
// CHECK: peft.qlinear %{{.*}}, %{{.*}} scales %{{.*}} zero_points %{{.*}} : tensor<2x1xi4> role other path "pt" : tensor<3x2xf32>, tensor<2x2xi4>, tensor<2x1xf32>
// CHECK: pt.qweight: "0x010000007810"
// CHECK: pt.scales: "0x040000000000003F0000003F"
// CHECK: pt.zero_points: "0x0100000088"
func.func @per_tensor_uint4(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %none = onnx.none
  %q = onnx.initializer "q" dense<[[0, 8], [15, 9]]> : tensor<2x2xui4>
  %s = onnx.initializer "s" dense<0.5> : tensor<f32>
  %w = "onnx.DequantizeLinear"(%q, %s, %none) : (tensor<2x2xui4>, tensor<f32>, none) -> tensor<2x2xf32>
  %y = "onnx.MatMul"(%x, %w) : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32> loc("/pt/MatMul")
  return %y : tensor<3x2xf32>
}

// -----

// [out, in] integers behind a Transpose (axis 0 = out is per channel) and
// Gemm(transB = 1) with a bias C: the integers are already [out, in].
// Gemm(transB = 0) takes [in, out] integers as MatMul does:
// [[1, 4], [2, 5], [3, 6]] -> [[1, 2, 3], [4, 5, 6]].
// CHECK-LABEL: func.func @transposed
// CHECK: peft.qlinear %{{.*}}, %{{.*}} scales %{{.*}} role other path "t" : tensor<3x3xf32>, tensor<2x3xi8>, tensor<2x1xf32> -> tensor<3x2xf32>
// CHECK: peft.qlinear %{{.*}}, %{{.*}} scales %{{.*}} bias %{{.*}} : tensor<2xf32> group_size 2 role other path "g" : tensor<3x3xf32>, tensor<2x3xi8>, tensor<2x2xf32> -> tensor<3x2xf32>
// CHECK: peft.qlinear %{{.*}}, %{{.*}} scales %{{.*}} role other path "g0" : tensor<3x3xf32>, tensor<2x3xi8>, tensor<2x1xf32> -> tensor<3x2xf32>
// CHECK-NOT: onnx.Transpose
// CHECK-NOT: onnx.Gemm
// CHECK: t.qweight: "0x01000000010203040506"
// CHECK: g.qweight: "0x01000000010203040506"
// Blocks along axis 1 (in) of the [out, in] integers: [[.5, 1], [2, 4]].
// CHECK: g.scales: "0x040000000000003F0000803F0000004000008040"
// CHECK: g0.qweight: "0x01000000010203040506"
// CHECK: g0.scales: "0x040000000000003F0000803E"
func.func @transposed(%x: tensor<3x3xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
  %none = onnx.none
  %q = onnx.initializer "q" dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8>
  %s = onnx.initializer "s" dense<[0.5, 0.25]> : tensor<2xf32>
  %sb = onnx.initializer "sb" dense<[[0.5, 1.0], [2.0, 4.0]]> : tensor<2x2xf32>
  %b = onnx.initializer "b" dense<[0.5, 1.5]> : tensor<2xf32>
  %w = "onnx.DequantizeLinear"(%q, %s, %none) <{axis = 0 : i64}> : (tensor<2x3xi8>, tensor<2xf32>, none) -> tensor<2x3xf32>
  %wt = "onnx.Transpose"(%w) <{perm = array<i64: 1, 0>}> : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %y = "onnx.MatMul"(%x, %wt) : (tensor<3x3xf32>, tensor<3x2xf32>) -> tensor<3x2xf32> loc("/t/MatMul")
  %wb = "onnx.DequantizeLinear"(%q, %sb, %none) <{axis = 1 : i64, block_size = 2 : i64}> : (tensor<2x3xi8>, tensor<2x2xf32>, none) -> tensor<2x3xf32>
  %g = "onnx.Gemm"(%x, %wb, %b) <{transB = 1 : i64}> : (tensor<3x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<3x2xf32> loc("/g/Gemm")
  %qio = onnx.initializer "qio" dense<[[1, 4], [2, 5], [3, 6]]> : tensor<3x2xi8>
  %w0 = "onnx.DequantizeLinear"(%qio, %s, %none) <{axis = 1 : i64}> : (tensor<3x2xi8>, tensor<2xf32>, none) -> tensor<3x2xf32>
  %g0 = "onnx.Gemm"(%x, %w0, %none) : (tensor<3x3xf32>, tensor<3x2xf32>, none) -> tensor<3x2xf32> loc("/g0/Gemm")
  return %y, %g, %g0 : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// Left as onnx ops (they still run): scales per input row (axis 0 of the
// [in, out] weight), blocks along the output, int16 integers, integers
// that are not constant, and Gemm with alpha (not folded into the scales).
// CHECK-LABEL: func.func @not_raised
// CHECK-NOT: peft.qlinear
// CHECK-COUNT-5: onnx.DequantizeLinear
// CHECK-NOT: peft.qlinear
func.func @not_raised(%x: tensor<3x2xf32>, %qa: tensor<2x2xi8>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
  %none = onnx.none
  %q = onnx.initializer "q" dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %q16 = onnx.initializer "q16" dense<[[1, 2], [3, 4]]> : tensor<2x2xi16>
  %s = onnx.initializer "s" dense<[0.5, 0.25]> : tensor<2xf32>
  %sb = onnx.initializer "sb" dense<[[0.5], [0.25]]> : tensor<2x1xf32>
  %w1 = "onnx.DequantizeLinear"(%q, %s, %none) <{axis = 0 : i64}> : (tensor<2x2xi8>, tensor<2xf32>, none) -> tensor<2x2xf32>
  %y1 = "onnx.MatMul"(%x, %w1) : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %w2 = "onnx.DequantizeLinear"(%q, %sb, %none) <{axis = 1 : i64, block_size = 2 : i64}> : (tensor<2x2xi8>, tensor<2x1xf32>, none) -> tensor<2x2xf32>
  %y2 = "onnx.MatMul"(%x, %w2) : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %w3 = "onnx.DequantizeLinear"(%q16, %s, %none) <{axis = 1 : i64}> : (tensor<2x2xi16>, tensor<2xf32>, none) -> tensor<2x2xf32>
  %y3 = "onnx.MatMul"(%x, %w3) : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %w4 = "onnx.DequantizeLinear"(%qa, %s, %none) <{axis = 1 : i64}> : (tensor<2x2xi8>, tensor<2xf32>, none) -> tensor<2x2xf32>
  %y4 = "onnx.MatMul"(%x, %w4) : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %w5 = "onnx.DequantizeLinear"(%q, %s, %none) <{axis = 1 : i64}> : (tensor<2x2xi8>, tensor<2xf32>, none) -> tensor<2x2xf32>
  %y5 = "onnx.Gemm"(%x, %w5, %none) <{alpha = 2.0 : f32}> : (tensor<3x2xf32>, tensor<2x2xf32>, none) -> tensor<3x2xf32>
  return %y1, %y2, %y3, %y4, %y5 : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>
}
