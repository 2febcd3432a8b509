#include "bench/common/cudnn_ops.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/cuda/cuda_check.h"
#include "core/error.h"

namespace gan::bench {

void throw_cudnn_error(cudnnStatus_t status, const char* expr, const char* file, int line) {
  (void)cudaGetLastError();
  throw CudaError(detail::concat("cuDNN error: ", expr, " failed at ", file, ":", line, ": ",
                                 cudnnGetErrorString(status)));
}

cudnnHandle_t cudnn_handle() {
  static const cudnnHandle_t handle = [] {
    cudnnHandle_t h = nullptr;
    GAN_BENCH_CUDNN_CHECK(cudnnCreate(&h));
    GAN_BENCH_CUDNN_CHECK(cudnnSetStream(h, gan::cuda::current_stream()));
    return h;
  }();
  return handle;
}

void add_cudnn_context() {
  benchmark::AddCustomContext("cudnn_version_header", std::to_string(CUDNN_VERSION));
  benchmark::AddCustomContext("cudnn_version_library", std::to_string(cudnnGetVersion()));
}

namespace {

const char* algo_name(cudnnConvolutionFwdAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "IMPLICIT_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "IMPLICIT_PRECOMP_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "DIRECT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "FFT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "FFT_TILING";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "WINOGRAD";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "WINOGRAD_NONFUSED";
    default: return "FWD_ALGO_?";
  }
}

const char* algo_name(cudnnConvolutionBwdDataAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_0: return "BWD_DATA_ALGO_0";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_1: return "BWD_DATA_ALGO_1";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT: return "BWD_DATA_FFT";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING: return "BWD_DATA_FFT_TILING";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD: return "BWD_DATA_WINOGRAD";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED: return "BWD_DATA_WINOGRAD_NONFUSED";
    default: return "BWD_DATA_ALGO_?";
  }
}

const char* algo_name(cudnnConvolutionBwdFilterAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0: return "BWD_FILTER_ALGO_0";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1: return "BWD_FILTER_ALGO_1";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT: return "BWD_FILTER_FFT";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3: return "BWD_FILTER_ALGO_3";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED: return "BWD_FILTER_WINOGRAD_NONFUSED";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING: return "BWD_FILTER_FFT_TILING";
    default: return "BWD_FILTER_ALGO_?";
  }
}

const char* math_name(cudnnMathType_t m) {
  switch (m) {
    case CUDNN_FMA_MATH: return "FMA math";
    case CUDNN_DEFAULT_MATH: return "default math, TF32 off (NVIDIA_TF32_OVERRIDE=0)";
    default: return "tensor-op math";
  }
}

// FP32 without tensor cores: FMA math always; default math only when the
// process has TF32 switched off (default math may otherwise use TF32).
bool like_for_like(cudnnMathType_t m) {
  if (m == CUDNN_FMA_MATH) return true;
  const char* tf32 = std::getenv("NVIDIA_TF32_OVERRIDE");
  return m == CUDNN_DEFAULT_MATH && tf32 && std::strcmp(tf32, "0") == 0;
}

// The fastest acceptable result of a cudnnFind* call (they come sorted by time).
template <typename Perf>
const Perf& fastest_fp32(const std::vector<Perf>& results, int returned, const char* what) {
  std::string seen;
  for (int i = 0; i < returned; ++i) {
    const Perf& r = results[static_cast<size_t>(i)];
    if (r.status == CUDNN_STATUS_SUCCESS && like_for_like(r.mathType)) return r;
    seen += detail::concat(i ? ", " : "", algo_name(r.algo), " (", cudnnGetErrorString(r.status), ", ",
                           math_name(r.mathType), ")");
  }
  throw CudaError(detail::concat("cuDNN offered no FP32 FMA-math algorithm for ", what, "; it returned: ", seen,
                                 ". Run with NVIDIA_TF32_OVERRIDE=0 to accept default math with TF32 off."));
}

template <typename Perf>
std::string describe_choice(const Perf& r) {
  char ws[32];
  std::snprintf(ws, sizeof ws, "%.1f", static_cast<double>(r.memory) / (1 << 20));
  return detail::concat("cuDNN ", algo_name(r.algo), ", ", math_name(r.mathType), ", workspace ", ws, " MiB",
                        r.determinism == CUDNN_NON_DETERMINISTIC ? ", non-deterministic" : "");
}

}  // namespace

struct CudnnConv::Descriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t fwd_algo{};
  cudnnConvolutionBwdDataAlgo_t bwd_data_algo{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter_algo{};
  DeviceBuffer workspace[3];  // one per pass, sized by choose()
  std::string choice[3];
};

CudnnConv::CudnnConv(const Conv2dParams& p) : d_(std::make_unique<Descriptors>()) {
  const auto i = [](int64_t v) { return static_cast<int>(v); };
  GAN_BENCH_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d_->x));
  GAN_BENCH_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d_->y));
  GAN_BENCH_CUDNN_CHECK(cudnnCreateFilterDescriptor(&d_->w));
  GAN_BENCH_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&d_->conv));
  GAN_BENCH_CUDNN_CHECK(
      cudnnSetTensor4dDescriptor(d_->x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, i(p.N), i(p.C), i(p.H), i(p.W)));
  GAN_BENCH_CUDNN_CHECK(
      cudnnSetTensor4dDescriptor(d_->y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, i(p.N), i(p.K), i(p.P), i(p.Q)));
  GAN_BENCH_CUDNN_CHECK(
      cudnnSetFilter4dDescriptor(d_->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, i(p.K), i(p.C), i(p.R), i(p.S)));
  GAN_BENCH_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(d_->conv, i(p.pad), i(p.pad), i(p.stride), i(p.stride), 1,
                                                        1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  GAN_BENCH_CUDNN_CHECK(cudnnSetConvolutionMathType(d_->conv, CUDNN_FMA_MATH));
  // cuDNN must agree on the output shape, or the comparison is meaningless.
  int n = 0, c = 0, h = 0, w = 0;
  GAN_BENCH_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(d_->conv, d_->x, d_->w, &n, &c, &h, &w));
  GAN_CHECK(n == p.N && c == p.K && h == p.P && w == p.Q, ShapeError, "cuDNN computes output [", n, ",", c, ",", h,
            ",", w, "] for ", describe(p));
}

CudnnConv::~CudnnConv() {
  // Destroy calls only fail on a null descriptor; nothing to report at exit.
  cudnnDestroyConvolutionDescriptor(d_->conv);
  cudnnDestroyFilterDescriptor(d_->w);
  cudnnDestroyTensorDescriptor(d_->y);
  cudnnDestroyTensorDescriptor(d_->x);
}

const std::string& CudnnConv::choose(ConvPass pass) {
  const cudnnHandle_t h = cudnn_handle();
  const int slot = static_cast<int>(pass);
  int returned = 0;
  size_t workspace = 0;
  if (pass == ConvPass::Forward) {
    std::vector<cudnnConvolutionFwdAlgoPerf_t> r(CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
    GAN_BENCH_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(h, d_->x, d_->w, d_->conv, d_->y,
                                                               static_cast<int>(r.size()), &returned, r.data()));
    const auto& best = fastest_fp32(r, returned, "the forward convolution");
    d_->fwd_algo = best.algo, workspace = best.memory, d_->choice[slot] = describe_choice(best);
  } else if (pass == ConvPass::BackwardData) {
    std::vector<cudnnConvolutionBwdDataAlgoPerf_t> r(CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT);
    GAN_BENCH_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(h, d_->w, d_->y, d_->conv, d_->x,
                                                                    static_cast<int>(r.size()), &returned, r.data()));
    const auto& best = fastest_fp32(r, returned, "the backward-data convolution");
    d_->bwd_data_algo = best.algo, workspace = best.memory, d_->choice[slot] = describe_choice(best);
  } else {
    std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> r(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT);
    GAN_BENCH_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithm(h, d_->x, d_->y, d_->conv, d_->w,
                                                                      static_cast<int>(r.size()), &returned, r.data()));
    const auto& best = fastest_fp32(r, returned, "the backward-filter convolution");
    d_->bwd_filter_algo = best.algo, workspace = best.memory, d_->choice[slot] = describe_choice(best);
  }
  d_->workspace[slot] = DeviceBuffer(static_cast<int64_t>((workspace + sizeof(float) - 1) / sizeof(float)));
  return d_->choice[slot];
}

namespace {
size_t bytes_of(const DeviceBuffer& b) { return static_cast<size_t>(b.count()) * sizeof(float); }
const float kOne = 1.0f, kZero = 0.0f;
}  // namespace

void CudnnConv::forward(const float* x, const float* w, float* y) const {
  const DeviceBuffer& ws = d_->workspace[static_cast<int>(ConvPass::Forward)];
  GAN_BENCH_CUDNN_CHECK(cudnnConvolutionForward(cudnn_handle(), &kOne, d_->x, x, d_->w, w, d_->conv, d_->fwd_algo,
                                                ws.get(), bytes_of(ws), &kZero, d_->y, y));
}

void CudnnConv::backward_data(const float* dy, const float* w, float* dx) const {
  const DeviceBuffer& ws = d_->workspace[static_cast<int>(ConvPass::BackwardData)];
  GAN_BENCH_CUDNN_CHECK(cudnnConvolutionBackwardData(cudnn_handle(), &kOne, d_->w, w, d_->y, dy, d_->conv,
                                                     d_->bwd_data_algo, ws.get(), bytes_of(ws), &kZero, d_->x, dx));
}

void CudnnConv::backward_filter(const float* x, const float* dy, float* dw) const {
  const DeviceBuffer& ws = d_->workspace[static_cast<int>(ConvPass::BackwardWeight)];
  GAN_BENCH_CUDNN_CHECK(cudnnConvolutionBackwardFilter(cudnn_handle(), &kOne, d_->x, x, d_->y, dy, d_->conv,
                                                       d_->bwd_filter_algo, ws.get(), bytes_of(ws), &kZero, d_->w,
                                                       dw));
}

Conv2dParams adjoint_conv2d(const ConvTranspose2dParams& p) {
  Conv2dParams c = make_conv2d_params(p.N, p.K, p.P, p.Q, p.C, p.R, p.S, p.stride, p.pad);
  GAN_CHECK(c.P == p.H && c.Q == p.W, ShapeError, "the adjoint convolution of ", describe(p), " does not map back to ",
            p.H, "x", p.W, " (output_padding is not supported here)");
  return c;
}

CudnnBatchNorm::CudnnBatchNorm(const BatchNorm2dParams& p) : p_(p) {
  GAN_BENCH_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x_));
  GAN_BENCH_CUDNN_CHECK(cudnnCreateTensorDescriptor(&channel_));
  // H*W as one dimension: batch norm only sees N, C and the plane size.
  GAN_BENCH_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, static_cast<int>(p.N),
                                                   static_cast<int>(p.C), static_cast<int>(p.HW), 1));
  GAN_BENCH_CUDNN_CHECK(cudnnDeriveBNTensorDescriptor(channel_, x_, CUDNN_BATCHNORM_SPATIAL));
}

CudnnBatchNorm::~CudnnBatchNorm() {
  cudnnDestroyTensorDescriptor(channel_);
  cudnnDestroyTensorDescriptor(x_);
}

void CudnnBatchNorm::forward_train(const float* x, const float* gamma, const float* beta, float* y, float* save_mean,
                                   float* save_invstd, float* running_mean, float* running_var) const {
  GAN_BENCH_CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(
      cudnn_handle(), CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, x_, x, x_, y, channel_, gamma, beta, p_.momentum,
      running_mean, running_var, p_.eps, save_mean, save_invstd));
}

void CudnnBatchNorm::backward(const float* x, const float* dy, const float* gamma, const float* save_mean,
                              const float* save_invstd, float* dx, float* dgamma, float* dbeta) const {
  GAN_BENCH_CUDNN_CHECK(cudnnBatchNormalizationBackward(cudnn_handle(), CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, &kOne,
                                                        &kZero, x_, x, x_, dy, x_, dx, channel_, gamma, dgamma, dbeta,
                                                        p_.eps, save_mean, save_invstd));
}

}  // namespace gan::bench
