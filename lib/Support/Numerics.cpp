//===- Numerics.cpp - compile-time linear algebra of the passes -----------===//

#include "peft/Support/Numerics.h"
#include "peft/Support/Diagnostics.h"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir::peft;
using namespace mlir::peft::numerics;
using llvm::ArrayRef;

//===----------------------------------------------------------------------===//
// BLAS
//===----------------------------------------------------------------------===//

// OpenBLAS's thread control, weak so that any CBLAS links.
extern "C" {
__attribute__((weak)) void openblas_set_num_threads(int);
__attribute__((weak)) int openblas_get_num_threads(void);
}

SingleThreadedBlas::SingleThreadedBlas() {
  if (openblas_get_num_threads && openblas_set_num_threads) {
    previous = openblas_get_num_threads();
    openblas_set_num_threads(1);
  }
}

SingleThreadedBlas::~SingleThreadedBlas() {
  if (previous > 1 && openblas_set_num_threads)
    openblas_set_num_threads(previous);
}

static CBLAS_TRANSPOSE cblasOp(Op op) {
  return op == Op::T ? CblasTrans : CblasNoTrans;
}

static void gemmCall(int m, int n, int k, float alpha, const float *a, int lda,
                     CBLAS_TRANSPOSE ta, const float *b, int ldb,
                     CBLAS_TRANSPOSE tb, float beta, float *c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c,
              ldc);
}
static void gemmCall(int m, int n, int k, double alpha, const double *a,
                     int lda, CBLAS_TRANSPOSE ta, const double *b, int ldb,
                     CBLAS_TRANSPOSE tb, double beta, double *c, int ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c,
              ldc);
}

template <typename T>
void numerics::gemm(T alpha, MatrixRef<const T> a, Op opA, MatrixRef<const T> b,
                    Op opB, T beta, MatrixRef<T> c) {
  int64_t m = opA == Op::N ? a.rows : a.cols;
  int64_t k = opA == Op::N ? a.cols : a.rows;
  int64_t kb = opB == Op::N ? b.rows : b.cols;
  int64_t n = opB == Op::N ? b.cols : b.rows;
  (void)kb;
  assert(k == kb && c.rows == m && c.cols == n && "gemm shape mismatch");
  if (m == 0 || n == 0)
    return;
  if (k == 0) {
    // BLAS leaves C untouched for k = 0 only when beta = 1; be explicit.
    for (int64_t r = 0; r < m; ++r)
      for (int64_t col = 0; col < n; ++col)
        c(r, col) = beta == T(0) ? T(0) : beta * c(r, col);
    return;
  }
  // A view with one column may have ld < 1 in LAPACK's sense; BLAS wants
  // ld >= max(1, cols).
  auto ld = [](int64_t ld, int64_t cols) {
    return int(std::max<int64_t>({ld, cols, 1}));
  };
  gemmCall(int(m), int(n), int(k), alpha, a.data, ld(a.ld, a.cols),
           cblasOp(opA), b.data, ld(b.ld, b.cols), cblasOp(opB), beta, c.data,
           ld(c.ld, c.cols));
}

template <typename T>
Matrix<T> numerics::matmul(MatrixRef<const T> a, MatrixRef<const T> b, Op opA,
                           Op opB) {
  Matrix<T> c(opA == Op::N ? a.rows : a.cols, opB == Op::N ? b.cols : b.rows);
  gemm<T>(T(1), a, opA, b, opB, T(0), c.view());
  return c;
}

template <typename T> Matrix<T> numerics::transpose(MatrixRef<const T> a) {
  Matrix<T> t(a.cols, a.rows);
  for (int64_t r = 0; r < a.rows; ++r)
    for (int64_t c = 0; c < a.cols; ++c)
      t(c, r) = a(r, c);
  return t;
}

//===----------------------------------------------------------------------===//
// LAPACK
//===----------------------------------------------------------------------===//

static llvm::Error lapackError(const char *routine, lapack_int info) {
  if (info < 0)
    return makeError(llvm::Twine(routine) + ": argument " + llvm::Twine(-info) +
                     " had an illegal value");
  return makeError(llvm::Twine(routine) +
                   " did not converge (info = " + llvm::Twine(info) + ")");
}

static lapack_int gesdd(char job, lapack_int m, lapack_int n, float *a,
                        lapack_int lda, float *s, float *u, lapack_int ldu,
                        float *vt, lapack_int ldvt) {
  return LAPACKE_sgesdd(LAPACK_ROW_MAJOR, job, m, n, a, lda, s, u, ldu, vt,
                        ldvt);
}
static lapack_int gesdd(char job, lapack_int m, lapack_int n, double *a,
                        lapack_int lda, double *s, double *u, lapack_int ldu,
                        double *vt, lapack_int ldvt) {
  return LAPACKE_dgesdd(LAPACK_ROW_MAJOR, job, m, n, a, lda, s, u, ldu, vt,
                        ldvt);
}

template <typename T>
llvm::Expected<SVD<T>> numerics::svd(MatrixRef<const T> a,
                                     bool computeVectors) {
  int64_t m = a.rows, n = a.cols, k = std::min(m, n);
  SVD<T> result;
  result.s.assign(k, T(0));
  if (k == 0) {
    if (computeVectors) {
      result.u = Matrix<T>(m, 0);
      result.vt = Matrix<T>(0, n);
    }
    return result;
  }
  Matrix<T> work = Matrix<T>::copyOf(a);
  if (computeVectors) {
    result.u = Matrix<T>(m, k);
    result.vt = Matrix<T>(k, n);
  }
  // LAPACKE's row-major driver checks ldu >= k and ldvt >= n even when the
  // vectors are not referenced.
  T dummy[1];
  lapack_int info =
      gesdd(computeVectors ? 'S' : 'N', m, n, work.data(), n, result.s.data(),
            computeVectors ? result.u.data() : dummy, k,
            computeVectors ? result.vt.data() : dummy, n);
  if (info != 0)
    return lapackError("?gesdd (SVD)", info);
  return result;
}

static lapack_int geqrf(lapack_int m, lapack_int n, float *a, lapack_int lda,
                        float *tau) {
  return LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, m, n, a, lda, tau);
}
static lapack_int geqrf(lapack_int m, lapack_int n, double *a, lapack_int lda,
                        double *tau) {
  return LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, m, n, a, lda, tau);
}
static lapack_int orgqr(lapack_int m, lapack_int n, lapack_int k, float *a,
                        lapack_int lda, const float *tau) {
  return LAPACKE_sorgqr(LAPACK_ROW_MAJOR, m, n, k, a, lda, tau);
}
static lapack_int orgqr(lapack_int m, lapack_int n, lapack_int k, double *a,
                        lapack_int lda, const double *tau) {
  return LAPACKE_dorgqr(LAPACK_ROW_MAJOR, m, n, k, a, lda, tau);
}

template <typename T> llvm::Expected<QR<T>> numerics::qr(MatrixRef<const T> a) {
  int64_t m = a.rows, n = a.cols, k = std::min(m, n);
  QR<T> result{Matrix<T>(m, k), Matrix<T>(k, n)};
  if (k == 0)
    return result;
  Matrix<T> work = Matrix<T>::copyOf(a);
  std::vector<T> tau(k);
  if (lapack_int info = geqrf(m, n, work.data(), n, tau.data()))
    return lapackError("?geqrf (QR)", info);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i; j < n; ++j)
      result.r(i, j) = work(i, j);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < k; ++j)
      result.q(i, j) = work(i, j);
  if (lapack_int info = orgqr(m, k, k, result.q.data(), k, tau.data()))
    return lapackError("?orgqr (QR)", info);
  return result;
}

static lapack_int syevdWork(char jobz, lapack_int n, float *a, float *w,
                            float *work, lapack_int lwork, lapack_int *iwork,
                            lapack_int liwork) {
  return LAPACKE_ssyevd_work(LAPACK_ROW_MAJOR, jobz, 'L', n, a, n, w, work,
                             lwork, iwork, liwork);
}
static lapack_int syevdWork(char jobz, lapack_int n, double *a, double *w,
                            double *work, lapack_int lwork, lapack_int *iwork,
                            lapack_int liwork) {
  return LAPACKE_dsyevd_work(LAPACK_ROW_MAJOR, jobz, 'L', n, a, n, w, work,
                             lwork, iwork, liwork);
}

template <typename T>
llvm::Expected<SymmetricEigen<T>>
numerics::symmetricEigen(MatrixRef<const T> a, bool computeVectors) {
  if (a.rows != a.cols)
    return makeError("symmetricEigen: the matrix is " + llvm::Twine(a.rows) +
                     "x" + llvm::Twine(a.cols) + ", not square");
  int64_t n = a.rows;
  SymmetricEigen<T> result;
  result.values.assign(n, T(0));
  if (n == 0)
    return result;
  Matrix<T> work = Matrix<T>::copyOf(a);
  // LAPACK's documented minimum workspace (see the header).
  int64_t lwork = computeVectors ? 1 + 6 * n + 2 * n * n : 2 * n + 1;
  int64_t liwork = computeVectors ? 3 + 5 * n : 1;
  std::vector<T> scratch(lwork);
  std::vector<lapack_int> iscratch(liwork);
  if (lapack_int info = syevdWork(computeVectors ? 'V' : 'N', n, work.data(),
                                  result.values.data(), scratch.data(), lwork,
                                  iscratch.data(), liwork))
    return lapackError("?syevd (symmetric eigendecomposition)", info);
  if (computeVectors)
    result.vectors = std::move(work);
  return result;
}

static lapack_int potrf(lapack_int n, float *a) {
  return LAPACKE_spotrf(LAPACK_ROW_MAJOR, 'L', n, a, n);
}
static lapack_int potrf(lapack_int n, double *a) {
  return LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', n, a, n);
}

template <typename T>
llvm::Expected<Matrix<T>> numerics::cholesky(MatrixRef<const T> a) {
  if (a.rows != a.cols)
    return makeError("cholesky: the matrix is " + llvm::Twine(a.rows) + "x" +
                     llvm::Twine(a.cols) + ", not square");
  int64_t n = a.rows;
  Matrix<T> l = Matrix<T>::copyOf(a);
  if (n == 0)
    return l;
  lapack_int info = potrf(n, l.data());
  if (info > 0)
    return makeError("cholesky: the matrix is not positive definite (leading "
                     "minor " +
                     llvm::Twine(info) + " of " + llvm::Twine(n) + ")");
  if (info < 0)
    return lapackError("?potrf (Cholesky)", info);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = r + 1; c < n; ++c)
      l(r, c) = T(0);
  return l;
}

static lapack_int trtri(lapack_int n, float *a) {
  return LAPACKE_strtri(LAPACK_ROW_MAJOR, 'L', 'N', n, a, n);
}
static lapack_int trtri(lapack_int n, double *a) {
  return LAPACKE_dtrtri(LAPACK_ROW_MAJOR, 'L', 'N', n, a, n);
}

template <typename T>
llvm::Expected<Matrix<T>>
numerics::lowerTriangularInverse(MatrixRef<const T> l) {
  if (l.rows != l.cols)
    return makeError("lowerTriangularInverse: the matrix is " +
                     llvm::Twine(l.rows) + "x" + llvm::Twine(l.cols) +
                     ", not square");
  int64_t n = l.rows;
  Matrix<T> inverse(n, n);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c <= r; ++c)
      inverse(r, c) = l(r, c);
  if (n == 0)
    return inverse;
  lapack_int info = trtri(n, inverse.data());
  if (info > 0)
    return makeError("lowerTriangularInverse: the matrix is singular "
                     "(diagonal element " +
                     llvm::Twine(info) + " is zero)");
  if (info < 0)
    return lapackError("?trtri (triangular inverse)", info);
  return inverse;
}

static void trsm(CBLAS_SIDE side, CBLAS_UPLO uplo, CBLAS_TRANSPOSE trans, int m,
                 int n, const float *a, int lda, float *b, int ldb) {
  cblas_strsm(CblasRowMajor, side, uplo, trans, CblasNonUnit, m, n, 1.0f, a,
              lda, b, ldb);
}
static void trsm(CBLAS_SIDE side, CBLAS_UPLO uplo, CBLAS_TRANSPOSE trans, int m,
                 int n, const double *a, int lda, double *b, int ldb) {
  cblas_dtrsm(CblasRowMajor, side, uplo, trans, CblasNonUnit, m, n, 1.0, a, lda,
              b, ldb);
}

template <typename T>
void numerics::solveTriangular(MatrixRef<const T> l, Triangle triangle, Op op,
                               Side side, MatrixRef<T> b) {
  assert(l.rows == l.cols && "triangular matrix must be square");
  assert((side == Side::Left ? b.rows : b.cols) == l.rows &&
         "solveTriangular shape mismatch");
  if (b.rows == 0 || b.cols == 0)
    return;
  trsm(side == Side::Left ? CblasLeft : CblasRight,
       triangle == Triangle::Lower ? CblasLower : CblasUpper, cblasOp(op),
       int(b.rows), int(b.cols), l.data, int(std::max<int64_t>(l.ld, 1)),
       b.data, int(std::max<int64_t>(b.ld, 1)));
}

template <typename T>
llvm::Expected<Matrix<T>> numerics::pseudoInverse(MatrixRef<const T> a,
                                                  T rcond) {
  auto decomposition = svd<T>(a, /*computeVectors=*/true);
  if (!decomposition)
    return decomposition.takeError();
  int64_t m = a.rows, n = a.cols, k = std::min(m, n);
  if (rcond < T(0))
    rcond = std::numeric_limits<T>::epsilon() * T(std::max(m, n));
  T cutoff = k ? rcond * decomposition->s[0] : T(0);
  // A⁺ = V · diag(1/σ) · Uᵀ: scale the rows of Vᵀ, then (Vᵀ)ᵀ · Uᵀ.
  Matrix<T> &vt = decomposition->vt;
  for (int64_t i = 0; i < k; ++i) {
    T sigma = decomposition->s[i];
    T inverse = sigma > cutoff ? T(1) / sigma : T(0);
    for (int64_t j = 0; j < n; ++j)
      vt(i, j) *= inverse;
  }
  return matmul<T>(vt.view(), decomposition->u.view(), Op::T, Op::T);
}

//===----------------------------------------------------------------------===//
// Weight-folding kernels
//===----------------------------------------------------------------------===//

template <typename T>
void numerics::addLowRankRows(MatrixRef<T> panel, int64_t firstRow,
                              Layout layout, MatrixRef<const T> a,
                              MatrixRef<const T> b, T scale) {
  // out_in: W[o0:o1] += s·B[o0:o1]·A.  in_out: Wᵀ[i0:i1] += s·A[:, i0:i1]ᵀ·Bᵀ.
  if (layout == Layout::OutIn)
    gemm<T>(scale, b.rowRange(firstRow, panel.rows), Op::N, a, Op::N, T(1),
            panel);
  else
    gemm<T>(scale, a.colRange(firstRow, panel.rows), Op::T, b, Op::T, T(1),
            panel);
}

template <typename T>
void numerics::addLowRank(MatrixRef<T> w, Layout layout, MatrixRef<const T> a,
                          MatrixRef<const T> b, T scale) {
  addLowRankRows(w, 0, layout, a, b, scale);
}

template <typename T>
std::vector<T> numerics::outputRowNorms(MatrixRef<const T> w, Layout layout) {
  bool outIn = layout == Layout::OutIn;
  std::vector<double> sums(outIn ? w.rows : w.cols, 0.0);
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c) {
      double v = w(r, c);
      sums[outIn ? r : c] += v * v;
    }
  std::vector<T> norms(sums.size());
  for (size_t i = 0; i < sums.size(); ++i)
    norms[i] = static_cast<T>(std::sqrt(sums[i]));
  return norms;
}

/// W[r, c] *= factors[r] (`byRow`) or factors[c].
template <typename T>
static void scaleStored(MatrixRef<T> w, bool byRow, ArrayRef<T> factors) {
  assert(int64_t(factors.size()) == (byRow ? w.rows : w.cols));
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c)
      w(r, c) *= factors[byRow ? r : c];
}

template <typename T>
void numerics::scaleOutputs(MatrixRef<T> w, Layout layout,
                            ArrayRef<T> factors) {
  scaleStored(w, layout == Layout::OutIn, factors);
}

template <typename T>
void numerics::scaleInputs(MatrixRef<T> w, Layout layout, ArrayRef<T> factors) {
  scaleStored(w, layout == Layout::InOut, factors);
}

template <typename T>
std::vector<T> numerics::mergeLora(MatrixRef<T> w, Layout layout,
                                   MatrixRef<const T> a, MatrixRef<const T> b,
                                   T scale, ArrayRef<T> magnitude) {
  addLowRank(w, layout, a, b, scale);
  if (magnitude.empty())
    return {};
  std::vector<T> norms = outputRowNorms<T>(w, layout);
  std::vector<T> factors(norms.size());
  for (size_t o = 0; o < norms.size(); ++o)
    factors[o] = magnitude[o] / norms[o];
  scaleOutputs<T>(w, layout, factors);
  return norms;
}

template <typename T>
void numerics::unmergeLora(MatrixRef<T> w, Layout layout, MatrixRef<const T> a,
                           MatrixRef<const T> b, T scale, ArrayRef<T> magnitude,
                           ArrayRef<T> norms) {
  if (!magnitude.empty()) {
    assert(norms.size() == magnitude.size() && "DoRA unmerge needs the norms");
    std::vector<T> factors(norms.size());
    for (size_t o = 0; o < norms.size(); ++o)
      factors[o] = norms[o] / magnitude[o];
    scaleOutputs<T>(w, layout, factors);
  }
  addLowRank(w, layout, a, b, -scale);
}

template <typename T>
NonFinite<T> numerics::findNonFinite(MatrixRef<const T> w) {
  NonFinite<T> result;
  if (w.rows == 0 || w.cols == 0)
    return result;
  // A branch-free scan (it vectorizes) first: nearly every weight is finite.
  bool any = false;
  for (int64_t r = 0; r < w.rows; ++r) {
    const T *row = &w(r, 0);
    bool rowAny = false;
    for (int64_t c = 0; c < w.cols; ++c)
      rowAny |= !(row[c] - row[c] == T(0)); // NaN for ±inf and NaN
    any |= rowAny;
  }
  if (!any)
    return result;
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c)
      if (!std::isfinite(w(r, c)) && result.count++ == 0) {
        result.row = r;
        result.col = c;
        result.value = w(r, c);
      }
  return result;
}

//===----------------------------------------------------------------------===//
// Instantiations
//===----------------------------------------------------------------------===//

#define PEFT_NUMERICS_INSTANTIATE(T)                                           \
  template void numerics::gemm<T>(T, MatrixRef<const T>, Op,                   \
                                  MatrixRef<const T>, Op, T, MatrixRef<T>);    \
  template Matrix<T> numerics::matmul<T>(MatrixRef<const T>,                   \
                                         MatrixRef<const T>, Op, Op);          \
  template Matrix<T> numerics::transpose<T>(MatrixRef<const T>);               \
  template llvm::Expected<SVD<T>> numerics::svd<T>(MatrixRef<const T>, bool);  \
  template llvm::Expected<QR<T>> numerics::qr<T>(MatrixRef<const T>);          \
  template llvm::Expected<SymmetricEigen<T>> numerics::symmetricEigen<T>(      \
      MatrixRef<const T>, bool);                                               \
  template llvm::Expected<Matrix<T>> numerics::cholesky<T>(                    \
      MatrixRef<const T>);                                                     \
  template llvm::Expected<Matrix<T>> numerics::lowerTriangularInverse<T>(      \
      MatrixRef<const T>);                                                     \
  template void numerics::solveTriangular<T>(MatrixRef<const T>, Triangle, Op, \
                                             Side, MatrixRef<T>);              \
  template llvm::Expected<Matrix<T>> numerics::pseudoInverse<T>(               \
      MatrixRef<const T>, T);                                                  \
  template void numerics::addLowRankRows<T>(MatrixRef<T>, int64_t, Layout,     \
                                            MatrixRef<const T>,                \
                                            MatrixRef<const T>, T);            \
  template void numerics::addLowRank<T>(                                       \
      MatrixRef<T>, Layout, MatrixRef<const T>, MatrixRef<const T>, T);        \
  template std::vector<T> numerics::outputRowNorms<T>(MatrixRef<const T>,      \
                                                      Layout);                 \
  template void numerics::scaleOutputs<T>(MatrixRef<T>, Layout, ArrayRef<T>);  \
  template void numerics::scaleInputs<T>(MatrixRef<T>, Layout, ArrayRef<T>);   \
  template std::vector<T> numerics::mergeLora<T>(                              \
      MatrixRef<T>, Layout, MatrixRef<const T>, MatrixRef<const T>, T,         \
      ArrayRef<T>);                                                            \
  template void numerics::unmergeLora<T>(                                      \
      MatrixRef<T>, Layout, MatrixRef<const T>, MatrixRef<const T>, T,         \
      ArrayRef<T>, ArrayRef<T>);                                               \
  template NonFinite<T> numerics::findNonFinite<T>(MatrixRef<const T>);

PEFT_NUMERICS_INSTANTIATE(float)
PEFT_NUMERICS_INSTANTIATE(double)
