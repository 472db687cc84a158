// A hand-written linalg model: an MLP whose shapes miss every register tile
// (rows dynamic, 100 and 24 columns), a ReLU and a row-sum reduction, and
// attention-like scores from a batch_matmul with dynamic M, N and K plus a
// numerically stable softmax.
#id2 = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (j)>
#red = affine_map<(i, j) -> (i)>
func.func @mlp(%x: tensor<?x64xf32>, %w1: tensor<64x100xf32>, %b1: tensor<100xf32>,
               %w2: tensor<100x24xf32>) -> (tensor<?x24xf32>, tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %m = tensor.dim %x, %c0 : tensor<?x64xf32>
  %e1 = tensor.empty(%m) : tensor<?x100xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?x100xf32>) -> tensor<?x100xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<?x64xf32>, tensor<64x100xf32>)
                     outs(%z1 : tensor<?x100xf32>) -> tensor<?x100xf32>
  %r = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b1 : tensor<?x100xf32>, tensor<100xf32>) outs(%e1 : tensor<?x100xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %relu = arith.maximumf %s, %zero : f32
    linalg.yield %relu : f32
  } -> tensor<?x100xf32>
  %e2 = tensor.empty(%m) : tensor<?x24xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<?x24xf32>) -> tensor<?x24xf32>
  %y = linalg.matmul ins(%r, %w2 : tensor<?x100xf32>, tensor<100x24xf32>)
                     outs(%z2 : tensor<?x24xf32>) -> tensor<?x24xf32>
  %e3 = tensor.empty(%m) : tensor<?xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<?xf32>) -> tensor<?xf32>
  %sum = linalg.generic {indexing_maps = [#id2, #red], iterator_types = ["parallel", "reduction"]}
      ins(%y : tensor<?x24xf32>) outs(%z3 : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %y, %sum : tensor<?x24xf32>, tensor<?xf32>
}

#id3 = affine_map<(b, i, j) -> (b, i, j)>
#max3 = affine_map<(b, i, j) -> (b, i)>
func.func @attention(%q: tensor<?x?x?xf32>, %k: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %bs = tensor.dim %q, %c0 : tensor<?x?x?xf32>
  %m = tensor.dim %q, %c1 : tensor<?x?x?xf32>
  %n = tensor.dim %k, %c2 : tensor<?x?x?xf32>
  %e = tensor.empty(%bs, %m, %n) : tensor<?x?x?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %s = linalg.batch_matmul ins(%q, %k : tensor<?x?x?xf32>, tensor<?x?x?xf32>)
                           outs(%z : tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %em = tensor.empty(%bs, %m) : tensor<?x?xf32>
  %fm = linalg.fill ins(%ninf : f32) outs(%em : tensor<?x?xf32>) -> tensor<?x?xf32>
  %mx = linalg.generic {indexing_maps = [#id3, #max3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%s : tensor<?x?x?xf32>) outs(%fm : tensor<?x?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  %ex = linalg.generic {indexing_maps = [#id3, #max3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s, %mx : tensor<?x?x?xf32>, tensor<?x?xf32>) outs(%e : tensor<?x?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %x = math.exp %d : f32
    linalg.yield %x : f32
  } -> tensor<?x?x?xf32>
  %fz = linalg.fill ins(%zero : f32) outs(%em : tensor<?x?xf32>) -> tensor<?x?xf32>
  %den = linalg.generic {indexing_maps = [#id3, #max3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%ex : tensor<?x?x?xf32>) outs(%fz : tensor<?x?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  %p = linalg.generic {indexing_maps = [#id3, #max3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%ex, %den : tensor<?x?x?xf32>, tensor<?x?xf32>) outs(%e : tensor<?x?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<?x?x?xf32>
  return %p : tensor<?x?x?xf32>
}
