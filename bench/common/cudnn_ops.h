// The cuDNN baselines the engine's kernels are compared with. Benchmarks only:
// cuDNN is linked into the benchmark programs, never into the engine.
//
// cuDNN 9's legacy ("v7") API is used: cudnnFind*/cudnnConvolution* for
// convolutions, cudnnBatchNormalizationForwardTraining/Backward for batch
// norm. cuDNN 9 marks these deprecated in favour of its graph API but ships
// them and they work; each result names the algorithm cuDNN picked.
//
// Like-for-like with the engine's FP32 FMA kernels: FP32 tensors, and every
// convolution descriptor set to CUDNN_FMA_MATH (no tensor cores, so no TF32).
// An algorithm is accepted only if cuDNN reports it ran with FMA math (or,
// when NVIDIA_TF32_OVERRIDE=0 disables TF32 process-wide, default math).
#pragma once

#include <cudnn.h>

#include <memory>
#include <string>

#include "bench/common/bench_common.h"
#include "bench/common/gpu_harness.h"
#include "kernels/batch_norm2d/batch_norm2d.h"

namespace gan::bench {

// Throws gan::CudaError naming the call and cuDNN's description of the status.
[[noreturn]] void throw_cudnn_error(cudnnStatus_t status, const char* expr, const char* file, int line);
#define GAN_BENCH_CUDNN_CHECK(expr)                                                           \
  do {                                                                                        \
    const cudnnStatus_t gan_cudnn_status_ = (expr);                                           \
    if (gan_cudnn_status_ != CUDNN_STATUS_SUCCESS)                                            \
      ::gan::bench::throw_cudnn_error(gan_cudnn_status_, #expr, __FILE__, __LINE__);          \
  } while (0)

// One handle for the process, bound to the engine's stream (so cuDNN and the
// engine's kernels are timed and captured the same way).
cudnnHandle_t cudnn_handle();
// cuDNN's version (header and library) into the benchmark context.
void add_cudnn_context();

// cuDNN convolution on the geometry of a Conv2d: x [N,C,H,W], w [K,C,R,S],
// y [N,K,P,Q], cross-correlation, no bias.
class CudnnConv {
 public:
  explicit CudnnConv(const Conv2dParams& p);
  ~CudnnConv();
  CudnnConv(const CudnnConv&) = delete;
  CudnnConv& operator=(const CudnnConv&) = delete;

  // Picks the algorithm for `pass` with cudnnFind*Algorithm (which times every
  // candidate once on scratch buffers) and sizes its workspace. Returns e.g.
  // "cuDNN IMPLICIT_PRECOMP_GEMM, FMA math, workspace 0.0 MiB".
  const std::string& choose(ConvPass pass);

  void forward(const float* x, const float* w, float* y) const;
  void backward_data(const float* dy, const float* w, float* dx) const;
  void backward_filter(const float* x, const float* dy, float* dw) const;

 private:
  struct Descriptors;
  std::unique_ptr<Descriptors> d_;
};

// The convolution whose backward-data is this transposed convolution's
// forward (its forward is the transposed convolution's backward-data; both
// share the backward-weight): input [N,K,P,Q], filter [C,K,R,S] read as
// K'=C output channels over C'=K input channels, output [N,C,H,W].
Conv2dParams adjoint_conv2d(const ConvTranspose2dParams& p);

// cuDNN batch norm over N, H, W per channel (CUDNN_BATCHNORM_SPATIAL), with
// the engine's eps and momentum, training mode.
class CudnnBatchNorm {
 public:
  explicit CudnnBatchNorm(const BatchNorm2dParams& p);
  ~CudnnBatchNorm();
  CudnnBatchNorm(const CudnnBatchNorm&) = delete;
  CudnnBatchNorm& operator=(const CudnnBatchNorm&) = delete;

  // Same buffers and meaning as gan::cuda::batch_norm2d_forward_train
  // (cuDNN's "saved inverse variance" is 1/sqrt(var + eps), the engine's invstd).
  void forward_train(const float* x, const float* gamma, const float* beta, float* y, float* save_mean,
                     float* save_invstd, float* running_mean, float* running_var) const;
  void backward(const float* x, const float* dy, const float* gamma, const float* save_mean,
                const float* save_invstd, float* dx, float* dgamma, float* dbeta) const;

 private:
  BatchNorm2dParams p_;
  cudnnTensorDescriptor_t x_ = nullptr, channel_ = nullptr;
};

}  // namespace gan::bench
