// GAN_HOST_DEVICE marks small functions that both the CPU code and the CUDA
// kernels call (index math, the Philox generator): nvcc compiles them for both
// sides, g++ sees plain inline functions. Sharing one definition is what lets
// the CPU tests check the exact arithmetic the kernels run.
#pragma once

#if defined(__CUDACC__)
#define GAN_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define GAN_HOST_DEVICE inline
#endif
