// General matrix multiply, row-major: C[M,N] = alpha * op(A) @ op(B) + beta * C,
// op(A) = A or A^T (A stored [M,K] or [K,M]). Cost: 2*M*N*K FLOPs;
// (M*K + K*N + 2*M*N) elements moved at best.
//
// The CPU version is a packed, register-blocked gemm (GotoBLAS-style) in plain
// C++ that the compiler vectorises; the CUDA version calls cuBLAS (allowed for
// Linear/matmul by design).
#pragma once

#include <cstdint>

namespace gan {

namespace cpu {
template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, const T* B,
          T beta, T* C);
}  // namespace cpu

namespace cuda {
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          const float* B, float beta, float* C);
}  // namespace cuda

}  // namespace gan
