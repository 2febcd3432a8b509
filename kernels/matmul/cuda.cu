// CUDA GEMM, row-major: C[M,N] = alpha * op(A) @ op(B) + beta * C, on the
// engine gemm_engine() names (kernels/matmul/matmul.h).
//
// Own engine: the tiled implicit-GEMM kernel of the convolutions
// (kernels/conv/implicit_gemm.cu) given conv_gemm::dense_gemm, a product whose
// operands are plain strided matrices; its algorithm, decomposition (128x128,
// 64x64 or 16x128 block tiles, 8x8 or 4x4 register blocks, double-buffered
// shared memory, split-K with a fixed-order reduction) and costs are written
// there. It computes T = op(A) @ op(B); alpha = 1, beta = 0 (all matmul asks)
// writes T straight into C, anything else goes through a scratch T and one
// elementwise pass C = alpha*T + beta*C.
//
// Cublas engine: cuBLAS is column-major. A row-major [R,S] array is the
// column-major [S,R] array of the same bytes, i.e. its transpose, so the
// row-major product C = op(A) op(B) is computed as the column-major product
//   C^T (N x M) = op(B)^T (N x K) * op(A)^T (K x M):
// cublasSgemm(opB, opA, m = N, n = M, k = K, B, ldb, A, lda, C, ldc = N) with
//   B stored [K,N] (trans_b false): CUBLAS_OP_N, ld N;  [N,K] (true): CUBLAS_OP_T, ld K
//   A stored [M,K] (trans_a false): CUBLAS_OP_N, ld K;  [K,M] (true): CUBLAS_OP_T, ld M
// The handle (core/cuda/runtime.cu) is bound to the engine's stream and set to
// CUBLAS_PEDANTIC_MATH: float32 FMA arithmetic, no TF32, so results match the
// CPU backend to ~1e-6 relative. (TF32 would be several times faster on tensor
// cores but only ~1e-3 accurate; switch deliberately, not by default.)
//
// K == 0 (an empty sum), on both engines: C = beta * C by a small kernel, and
// C = 0 exactly when beta == 0 (BLAS convention: C is not read then), which
// cuBLAS does not promise for k = 0.
// Cost: 2*M*N*K FLOPs; at least (M*K + K*N + 2*M*N) * 4 bytes moved.
//
// TODO(bench): the own engine loads B one column per thread; for a transposed B
// (Linear's weight, stored [N, K]) neighbouring threads read addresses K
// floats apart, uncoalesced. If the GPU benchmark shows it, give dense_gemm a
// k-major B loader.
#include <climits>

#include "core/cuda/cuda_check.h"
#include "core/cuda/scratch.h"
#include "core/error.h"
#include "kernels/conv/implicit_gemm.h"
#include "kernels/matmul/matmul.h"

namespace gan::cuda {

namespace {

// c = alpha * t + beta * c; t == c scales in place; beta == 0 never reads c.
template <typename Index>
__global__ void axpby_kernel(const float* t, float alpha, float beta, float* c, Index n) {
  GAN_GRID_STRIDE_LOOP(Index, i, n) c[i] = beta == 0.0f ? alpha * t[i] : alpha * t[i] + beta * c[i];
}

void axpby(const float* t, float alpha, float beta, float* c, int64_t n) {
  with_index_type(n, [&](auto zero) {
    using Index = decltype(zero);
    axpby_kernel<Index><<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(t, alpha, beta, c,
                                                                               static_cast<Index>(n));
  });
  GAN_CUDA_CHECK_LAST();
}

int as_int(int64_t v, const char* what) {
  GAN_CHECK(v >= 0 && v <= INT_MAX, ValueError, "cuda::gemm: ", what, " = ", v,
            " does not fit cuBLAS's 32-bit sizes");
  return static_cast<int>(v);
}

void cublas_gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                 const float* B, float beta, float* C) {
  const int m = as_int(N, "N"), n = as_int(M, "M"), k = as_int(K, "K");
  const int ldb = trans_b ? k : m;  // the first cuBLAS operand is B
  const int lda = trans_a ? n : k;  // the second is A
  GAN_CUBLAS_CHECK(cublasSgemm(cublas_handle(), trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                               trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k, &alpha, B, ldb, A, lda, &beta, C, m));
}

void own_gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
              const float* B, float beta, float* C) {
  const conv_gemm::ConvGemm g = conv_gemm::dense_gemm(trans_a, trans_b, M, N, K);
  if (alpha == 1.0f && beta == 0.0f) return implicit_gemm(g, A, B, nullptr, C);
  Scratch<float> t(static_cast<size_t>(M * N));
  implicit_gemm(g, A, B, nullptr, t.get());
  axpby(t.get(), alpha, beta, C, M * N);
}

}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, const float* B,
          float beta, float* C) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (beta == 0.0f)
      GAN_CUDA_CHECK(cudaMemsetAsync(C, 0, static_cast<size_t>(M * N) * sizeof(float), current_stream()));
    else if (beta != 1.0f)
      axpby(C, beta, 0.0f, C, M * N);
    return;
  }
  if (gemm_engine() == GemmEngine::Cublas) return cublas_gemm(trans_a, trans_b, M, N, K, alpha, A, B, beta, C);
  own_gemm(trans_a, trans_b, M, N, K, alpha, A, B, beta, C);
}

}  // namespace gan::cuda
