// The convolution ladder: numbered CUDA kernels for the gather pass
// (kernels/conv/frame.h: conv2d forward = conv_transpose2d backward-data),
// from one thread per output up to the production implicit GEMM, each a short
// file in kernels/conv/ladder/ that opens with what it changes and why. Every
// rung computes the same product (conv_gemm::gather_gemm), is checked by the
// same parity tests (tests/kernels/test_conv_ladder.cpp) and timed by the same
// runner (bench/kernels/conv_ladder_cuda.cpp); docs/kernels/convolution.md
// ("The ladder") walks it with its measured table.
//
// Selection is by name at the call site (conv_ladder_rung("3_register_blocking"));
// there is no global "current rung".
#pragma once

#include <span>
#include <string_view>

#include "kernels/conv/frame.h"

namespace gan {

// out = w ⋆ in (+ bias), the frame's gather; bias may be null. Launches on
// gan::cuda::current_stream() without synchronising, like cuda::conv::gather.
using ConvGatherFn = void (*)(const ConvFrame& f, const float* w, const float* in, const float* bias, float* out);

struct ConvLadderRung {
  const char* name;     // "1_naive", "2_smem_tiling", ...: the number is the rung's place
  const char* summary;  // one line: what this rung adds
  const char* file;     // where it is written
  ConvGatherFn gather;  // in a build without CUDA: throws DeviceError
};

// All rungs, in order; the last is the production kernel (cuda::conv::gather).
std::span<const ConvLadderRung> conv_ladder();

// The rung called `name`; throws ValueError listing the valid names if there is none.
const ConvLadderRung& conv_ladder_rung(std::string_view name);

namespace cuda::conv {

// Rungs 2-4 (rung 1 is gather_naive, rung 5 gather; both in frame.h).
void gather_smem_tiling(const ConvFrame& f, const float* w, const float* in, const float* bias, float* out);
void gather_register_blocking(const ConvFrame& f, const float* w, const float* in, const float* bias, float* out);
void gather_vectorized(const ConvFrame& f, const float* w, const float* in, const float* bias, float* out);

}  // namespace cuda::conv

}  // namespace gan
