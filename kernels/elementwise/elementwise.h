// Elementwise kernels: binary ops with NumPy broadcasting, ops with a scalar,
// unary math, fill and strided copy (the engine's only data-movement kernel:
// contiguous(), slicing and concat all go through it).
//
// Cost: each is memory bound, one pass: binary reads 2n and writes n elements,
// unary/scalar read n and write n. No FLOP worth counting.
#pragma once

#include "kernels/common.h"  // BroadcastIndexer, StridedLayout

namespace gan {

enum class BinaryOp { Add, Sub, Mul, Div };
enum class UnaryOp { Neg, Exp, Log, Sqrt, Abs, Sign, Square };

namespace cpu {
template <typename T>
void binary(BinaryOp op, const T* a, const T* b, T* out, const BroadcastIndexer& idx, int64_t n);
// out[i] = a[i] op s, or s op a[i] when scalar_first (for s - a, s / a).
template <typename T>
void binary_scalar(BinaryOp op, const T* a, T s, T* out, int64_t n, bool scalar_first);
template <typename T>
void unary(UnaryOp op, const T* x, T* y, int64_t n);
template <typename T>
void fill(T* out, T value, int64_t n);
// Copy between two views of the same shape (src.shape must equal dst.shape).
template <typename T>
void strided_copy(const T* src, const StridedLayout& src_layout, T* dst, const StridedLayout& dst_layout);
}  // namespace cpu

namespace cuda {
void binary(BinaryOp op, const float* a, const float* b, float* out, const BroadcastIndexer& idx, int64_t n);
void binary_scalar(BinaryOp op, const float* a, float s, float* out, int64_t n, bool scalar_first);
void unary(UnaryOp op, const float* x, float* y, int64_t n);
void fill(float* out, float value, int64_t n);
void strided_copy(const float* src, const StridedLayout& src_layout, float* dst, const StridedLayout& dst_layout);
}  // namespace cuda

}  // namespace gan
