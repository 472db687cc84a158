//===- Numerics.h - compile-time linear algebra of the passes ---*- C++ -*-===//
//
// Every matrix product, decomposition and weight-folding kernel a pass runs at
// compile time lives here, over one small row-major matrix view: GEMM through
// CBLAS (OpenBLAS), SVD / QR / symmetric eigendecomposition / Cholesky /
// triangular solves / pseudo-inverse through LAPACK(E), and the LoRA, DoRA
// and IA³ merge kernels built on them. Passes call these; they keep no
// private copies of the arithmetic.
//
// Everything is instantiated for float and double: a pass computes in the
// precision of the weight it rewrites (f64 weights stay exact to f64; f32,
// f16 and bf16 weights are computed in f32 and rounded once when stored).
//
// This header depends on LLVM's ADT and Support libraries only.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_SUPPORT_NUMERICS_H
#define PEFT_SUPPORT_NUMERICS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cassert>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace mlir::peft::numerics {

/// A row-major view of a `rows` × `cols` matrix whose rows are `ld` elements
/// apart (ld ≥ cols). `T` may be const. Views never own memory.
template <typename T> struct MatrixRef {
  using value_type = std::remove_const_t<T>;
  T *data = nullptr;
  int64_t rows = 0, cols = 0, ld = 0;

  MatrixRef() = default;
  MatrixRef(T *data, int64_t rows, int64_t cols, int64_t ld = -1)
      : data(data), rows(rows), cols(cols), ld(ld < 0 ? cols : ld) {
    assert(rows >= 0 && cols >= 0 && this->ld >= cols && "bad matrix view");
  }
  /// A mutable view converts to a const one.
  template <typename U,
            typename = std::enable_if_t<std::is_same_v<const U, T> &&
                                        !std::is_same_v<U, T>>>
  MatrixRef(MatrixRef<U> other)
      : data(other.data), rows(other.rows), cols(other.cols), ld(other.ld) {}

  T &operator()(int64_t r, int64_t c) const { return data[r * ld + c]; }
  /// The `nr` × `nc` block whose top-left element is (r, c).
  MatrixRef block(int64_t r, int64_t c, int64_t nr, int64_t nc) const {
    assert(r >= 0 && c >= 0 && r + nr <= rows && c + nc <= cols);
    return MatrixRef(data + r * ld + c, nr, nc, ld);
  }
  MatrixRef rowRange(int64_t r, int64_t nr) const {
    return block(r, 0, nr, cols);
  }
  MatrixRef colRange(int64_t c, int64_t nc) const {
    return block(0, c, rows, nc);
  }
  int64_t size() const { return rows * cols; }
  bool isContiguous() const { return ld == cols; }
};

/// A dense row-major matrix that owns its elements.
template <typename T> class Matrix {
public:
  Matrix() = default;
  Matrix(int64_t rows, int64_t cols, T fill = T(0))
      : rows(rows), cols(cols), storage(rows * cols, fill) {}
  /// A copy of any view (converting the element type).
  template <typename U> static Matrix copyOf(MatrixRef<U> m) {
    Matrix out(m.rows, m.cols);
    for (int64_t r = 0; r < m.rows; ++r)
      for (int64_t c = 0; c < m.cols; ++c)
        out(r, c) = static_cast<T>(m(r, c));
    return out;
  }

  int64_t getRows() const { return rows; }
  int64_t getCols() const { return cols; }
  T &operator()(int64_t r, int64_t c) { return storage[r * cols + c]; }
  const T &operator()(int64_t r, int64_t c) const {
    return storage[r * cols + c];
  }
  T *data() { return storage.data(); }
  const T *data() const { return storage.data(); }
  std::vector<T> &values() { return storage; }
  const std::vector<T> &values() const { return storage; }
  MatrixRef<T> view() { return {storage.data(), rows, cols}; }
  MatrixRef<const T> view() const { return {storage.data(), rows, cols}; }
  operator MatrixRef<T>() { return view(); }
  operator MatrixRef<const T>() const { return view(); }

private:
  int64_t rows = 0, cols = 0;
  std::vector<T> storage;
};

/// Whether an operand of gemm is used as stored or transposed.
enum class Op : bool { N = false, T = true };

/// While alive, BLAS calls made by this process run in the calling thread
/// (OpenBLAS's worker threads are not woken). For callers that parallelize
/// over many small products themselves: OpenBLAS's workers spin between
/// calls and take the cores those callers need. A no-op with a BLAS that has
/// no thread control. Not reentrant across threads: create it on the thread
/// that starts the parallel work.
class SingleThreadedBlas {
public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas &) = delete;
  SingleThreadedBlas &operator=(const SingleThreadedBlas &) = delete;

private:
  int previous = 0;
};

/// C = alpha · op(A) · op(B) + beta · C through CBLAS. The shapes must agree
/// (asserted). With beta = 0, C is written without being read.
template <typename T>
void gemm(T alpha, MatrixRef<const T> a, Op opA, MatrixRef<const T> b, Op opB,
          T beta, MatrixRef<T> c);

/// op(A) · op(B) as a new matrix.
template <typename T>
Matrix<T> matmul(MatrixRef<const T> a, MatrixRef<const T> b, Op opA = Op::N,
                 Op opB = Op::N);

/// The transpose of `a` as a new matrix.
template <typename T> Matrix<T> transpose(MatrixRef<const T> a);

//===----------------------------------------------------------------------===//
// LAPACK
//===----------------------------------------------------------------------===//

/// A thin SVD A = U · diag(S) · Vᵀ of an m × n matrix, k = min(m, n):
/// U is m × k, S has k values in descending order, Vt is k × n. Without
/// vectors, U and Vt are empty.
template <typename T> struct SVD {
  Matrix<T> u;
  std::vector<T> s;
  Matrix<T> vt;
};
/// Computes the SVD with the divide-and-conquer driver (?gesdd).
template <typename T>
llvm::Expected<SVD<T>> svd(MatrixRef<const T> a, bool computeVectors = true);

/// A thin QR factorization A = Q · R of an m × n matrix, k = min(m, n):
/// Q is m × k with orthonormal columns, R is k × n upper trapezoidal.
template <typename T> struct QR { Matrix<T> q, r; };
template <typename T> llvm::Expected<QR<T>> qr(MatrixRef<const T> a);

/// The eigendecomposition of a symmetric n × n matrix (only its lower
/// triangle is read): eigenvalues ascending; with vectors, column j of
/// `vectors` is the unit eigenvector of values[j].
///
/// Calls ?syevd_work with the workspace sizes of LAPACK's documentation
/// (lwork = 1 + 6n + 2n², liwork = 3 + 5n): LAPACKE_ssyevd's own workspace
/// query rounds the size down through a float and fails at n ≥ 4096.
template <typename T> struct SymmetricEigen {
  std::vector<T> values;
  Matrix<T> vectors;
};
template <typename T>
llvm::Expected<SymmetricEigen<T>> symmetricEigen(MatrixRef<const T> a,
                                                 bool computeVectors = true);

/// The Cholesky factor L (lower triangular, zeros above the diagonal) of a
/// symmetric positive definite matrix, A = L · Lᵀ. Fails, naming the pivot,
/// when A is not positive definite.
template <typename T> llvm::Expected<Matrix<T>> cholesky(MatrixRef<const T> a);

/// The inverse of a lower triangular matrix (the upper triangle is not
/// read; the result's is zero) through ?trtri, n³/3 flops. Fails on a zero
/// diagonal element.
template <typename T>
llvm::Expected<Matrix<T>> lowerTriangularInverse(MatrixRef<const T> l);

/// Solves op(L) · X = B (side left) or X · op(L) = B (side right) in place
/// of `b`, for a triangular `l` (lower or upper as said; the other triangle
/// is not read).
enum class Side : bool { Left, Right };
enum class Triangle : bool { Lower, Upper };
template <typename T>
void solveTriangular(MatrixRef<const T> l, Triangle triangle, Op op, Side side,
                     MatrixRef<T> b);

/// The Moore–Penrose pseudo-inverse (n × m) of an m × n matrix through its
/// SVD; singular values at or below rcond · σ_max count as zero.
template <typename T>
llvm::Expected<Matrix<T>> pseudoInverse(MatrixRef<const T> a, T rcond = -1);

//===----------------------------------------------------------------------===//
// Weight-folding kernels (REFERENCE §1)
//===----------------------------------------------------------------------===//

/// A linear layer's weight as stored: `out_in` is W [out, in] (PyTorch),
/// `in_out` is Wᵀ [in, out] (ONNX MatMul). The kernels below take the stored
/// matrix and never transpose it.
enum class Layout : bool { OutIn, InOut };

/// W += scale · B · A for A [r, in] and B [out, r] (a LoRA merge; unmerge is
/// scale → −scale). One GEMM, in the weight's precision.
template <typename T>
void addLowRank(MatrixRef<T> w, Layout layout, MatrixRef<const T> a,
                MatrixRef<const T> b, T scale);

/// addLowRank on the stored rows [firstRow, firstRow + panel.rows) of W
/// only, given as `panel` (outputs for out_in, inputs for in_out): how a
/// half-precision weight is merged a panel at a time.
template <typename T>
void addLowRankRows(MatrixRef<T> panel, int64_t firstRow, Layout layout,
                    MatrixRef<const T> a, MatrixRef<const T> b, T scale);

/// The Euclidean norm of every output row of W (accumulated in double).
template <typename T>
std::vector<T> outputRowNorms(MatrixRef<const T> w, Layout layout);

/// W[o, :] *= factors[o] (one factor per output feature).
template <typename T>
void scaleOutputs(MatrixRef<T> w, Layout layout, llvm::ArrayRef<T> factors);

/// W[:, i] *= factors[i] (one factor per input feature).
template <typename T>
void scaleInputs(MatrixRef<T> w, Layout layout, llvm::ArrayRef<T> factors);

/// LoRA / DoRA merge: W' = W0 + s·B·A; with a DoRA `magnitude` m,
/// W' = m ⊙ (W0 + s·B·A) / ‖W0 + s·B·A‖_row. Returns the row norms the DoRA
/// merge divided by (what its unmerge needs), empty for plain LoRA.
template <typename T>
std::vector<T> mergeLora(MatrixRef<T> w, Layout layout, MatrixRef<const T> a,
                         MatrixRef<const T> b, T scale,
                         llvm::ArrayRef<T> magnitude = {});

/// The inverse of mergeLora: W0 = W' · (norms / m) − s·B·A for DoRA (the row
/// norms kept by the merge), W0 = W' − s·B·A otherwise.
template <typename T>
void unmergeLora(MatrixRef<T> w, Layout layout, MatrixRef<const T> a,
                 MatrixRef<const T> b, T scale,
                 llvm::ArrayRef<T> magnitude = {},
                 llvm::ArrayRef<T> norms = {});

/// The number of elements of W that are not finite, and the first one's
/// (row, column) in stored coordinates.
template <typename T> struct NonFinite {
  int64_t count = 0, row = -1, col = -1;
  T value = 0;
};
template <typename T> NonFinite<T> findNonFinite(MatrixRef<const T> w);

} // namespace mlir::peft::numerics

#endif // PEFT_SUPPORT_NUMERICS_H
