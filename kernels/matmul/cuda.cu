// CUDA GEMM through cuBLAS, row-major: C[M,N] = alpha * op(A) @ op(B) + beta * C.
//
// cuBLAS is column-major. A row-major [R,S] array is the column-major [S,R]
// array of the same bytes, i.e. its transpose, so the row-major product
// C = op(A) op(B) is computed as the column-major product
//   C^T (N x M) = op(B)^T (N x K) * op(A)^T (K x M):
// cublasSgemm(opB, opA, m = N, n = M, k = K, B, ldb, A, lda, C, ldc = N) with
//   B stored [K,N] (trans_b false): CUBLAS_OP_N, ld N;  [N,K] (true): CUBLAS_OP_T, ld K
//   A stored [M,K] (trans_a false): CUBLAS_OP_N, ld K;  [K,M] (true): CUBLAS_OP_T, ld M
// The handle (core/cuda/runtime.cu) is bound to the engine's stream and set to
// CUBLAS_PEDANTIC_MATH: float32 FMA arithmetic, no TF32, so results match the
// CPU backend to ~1e-6 relative. (TF32 would be several times faster on tensor
// cores but only ~1e-3 accurate; switch deliberately, not by default.)
// K == 0 (an empty sum): C = beta * C by a small kernel, and C = 0 exactly when
// beta == 0 (BLAS convention: C is not read then), which cuBLAS does not
// promise for k = 0.
// Cost: 2*M*N*K FLOPs; at least (M*K + K*N + 2*M*N) * 4 bytes moved.
#include <climits>

#include "core/cuda/cuda_check.h"
#include "core/error.h"
#include "kernels/matmul/matmul.h"

namespace gan::cuda {

namespace {

template <typename Index>
__global__ void scale_kernel(float* c, float beta, Index n) {
  GAN_GRID_STRIDE_LOOP(Index, i, n) c[i] *= beta;
}

int as_int(int64_t v, const char* what) {
  GAN_CHECK(v >= 0 && v <= INT_MAX, ValueError, "cuda::gemm: ", what, " = ", v,
            " does not fit cuBLAS's 32-bit sizes");
  return static_cast<int>(v);
}

}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, const float* B,
          float beta, float* C) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    const int64_t n = M * N;
    if (beta == 0.0f) {
      GAN_CUDA_CHECK(cudaMemsetAsync(C, 0, static_cast<size_t>(n) * sizeof(float), current_stream()));
    } else if (beta != 1.0f) {
      with_index_type(n, [&](auto zero) {
        using Index = decltype(zero);
        scale_kernel<Index><<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(C, beta, static_cast<Index>(n));
      });
      GAN_CUDA_CHECK_LAST();
    }
    return;
  }
  const int m = as_int(N, "N"), n = as_int(M, "M"), k = as_int(K, "K");
  const int ldb = trans_b ? k : m;  // the first cuBLAS operand is B
  const int lda = trans_a ? n : k;  // the second is A
  GAN_CUBLAS_CHECK(cublasSgemm(cublas_handle(), trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                               trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k, &alpha, B, ldb, A, lda, &beta, C, m));
}

}  // namespace gan::cuda
