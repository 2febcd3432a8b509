// The ladder's table (kernels/conv/ladder/ladder.h). A constant array: which
// rung runs is chosen by name where it is called, never stored here.
#include "kernels/conv/ladder/ladder.h"

#include <string>

#include "core/error.h"

namespace gan {

namespace {

#if defined(GAN_HAVE_CUDA)
constexpr ConvGatherFn kNaive = cuda::conv::gather_naive;
constexpr ConvGatherFn kSmemTiling = cuda::conv::gather_smem_tiling;
constexpr ConvGatherFn kRegisterBlocking = cuda::conv::gather_register_blocking;
constexpr ConvGatherFn kVectorized = cuda::conv::gather_vectorized;
constexpr ConvGatherFn kImplicitGemm = cuda::conv::gather;
#else
// A CPU-only build has the table (names, summaries) but no kernels.
void no_cuda(const ConvFrame&, const float*, const float*, const float*, float*) {
  throw DeviceError("conv ladder: this build has no CUDA backend (configured without nvcc)");
}
constexpr ConvGatherFn kNaive = no_cuda, kSmemTiling = no_cuda, kRegisterBlocking = no_cuda, kVectorized = no_cuda,
                       kImplicitGemm = no_cuda;
#endif

constexpr ConvLadderRung kRungs[] = {
    {"1_naive", "one thread per output; every FMA loads its weight and input from global memory",
     "kernels/conv/ladder/1_naive.cu", kNaive},
    {"2_smem_tiling", "16x16 output tile per block; 16-wide K slices of A and B staged in shared memory",
     "kernels/conv/ladder/2_smem_tiling.cu", kSmemTiling},
    {"3_register_blocking", "64x64 tile, 4x4 outputs per thread accumulated in registers from fragments",
     "kernels/conv/ladder/3_register_blocking.cu", kRegisterBlocking},
    {"4_vectorized", "float4 weight loads, A transposed in shared memory, float4 fragment reads",
     "kernels/conv/ladder/4_vectorized.cu", kVectorized},
    {"5_implicit_gemm", "production: double-buffered 128x128 / 64x64 / 16x128 tiles, 8x8 or 4x4 per thread",
     "kernels/conv/implicit_gemm.cu", kImplicitGemm},
};

}  // namespace

std::span<const ConvLadderRung> conv_ladder() { return kRungs; }

const ConvLadderRung& conv_ladder_rung(std::string_view name) {
  std::string names;
  for (const ConvLadderRung& rung : kRungs) {
    if (name == rung.name) return rung;
    names += names.empty() ? "" : ", ";
    names += rung.name;
  }
  throw ValueError(detail::concat("conv ladder: no rung named '", name, "'; the rungs are ", names));
}

}  // namespace gan
