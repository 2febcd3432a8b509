// General matrix multiply, row-major: C[M,N] = alpha * op(A) @ op(B) + beta * C,
// op(A) = A or A^T (A stored [M,K] or [K,M]). Cost: 2*M*N*K FLOPs;
// (M*K + K*N + 2*M*N) elements moved at best.
//
// The CPU version is a packed, register-blocked gemm (GotoBLAS-style) in plain
// C++ that the compiler vectorises. The CUDA version runs on one of two
// engines (GemmEngine): the project's own tiled kernel, the implicit GEMM of
// the convolutions given a dense product (the default), or cuBLAS (the
// baseline, and an option).
#pragma once

#include <cstdint>
#include <string_view>

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

// Which code runs the CUDA gemm (matmul and Linear):
//   Cublas  cublasSgemm in pedantic FP32 (no TF32): the default, because it
//           was 2.4-2.9x faster than Own on an H200 at every shape
//           bench_kernels_cuda times (bench/results/nvidia-h200-2026-12-04.md);
//   Own     kernels/conv/implicit_gemm.cu with conv_gemm::dense_gemm: no
//           vendor library anywhere in a training step (a GPU simulator, which
//           cannot run cuBLAS, needs it; so does reading the whole engine).
// Chosen by set_gemm_engine(), else by the environment variable
// GAN_CUDA_GEMM=own|cublas read at the first CUDA gemm, else Cublas.
enum class GemmEngine { Own, Cublas };

GemmEngine gemm_engine();
void set_gemm_engine(GemmEngine engine);
// "own" or "cublas"; ValueError naming the valid names otherwise.
GemmEngine parse_gemm_engine(std::string_view name);
const char* gemm_engine_name(GemmEngine engine);

}  // namespace gan
