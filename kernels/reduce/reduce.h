// Sum reductions.
//
// sum_to reduces x (layout `in`, contiguous) to `out` (same rank; every dim is
// either equal to x's or 1): the gradient of broadcasting, bias gradients,
// sum/mean over chosen axes. Cost: reads n, writes out.numel().
#pragma once

#include "kernels/common.h"

namespace gan {

namespace cpu {
// in/out describe contiguous arrays (strides ignored; only shapes are read).
template <typename T>
void sum_to(const T* x, const StridedLayout& in, T* out, const StridedLayout& out_shape);
}  // namespace cpu

namespace cuda {
void sum_to(const float* x, const StridedLayout& in, float* out, const StridedLayout& out_shape);
}  // namespace cuda

}  // namespace gan
