// CPU elementwise kernels: broadcast binary ops, ops with a scalar, unary math,
// fill, and strided copy between two layouts of the same shape.
//
// Strided walks (binary with broadcasting, strided_copy): the dimensions are
// first simplified (size-1 dims dropped, neighbours that are contiguous with
// each other for every operand merged, so a plain contiguous op becomes one
// dimension); then the flat output index range is walked with an odometer of
// per-dimension counters and per-operand offsets, running the innermost
// dimension as a tight loop with constant strides (fast paths for strides 1/0,
// which vectorise).
//
// Threads: the flat index range is cut into fixed chunks of kChunk elements;
// chunks run in parallel when there are more than kParallelThreshold elements.
// Each output element is written by one thread; there are no reductions.
//
// Cost: memory bound. binary reads 2n and writes n elements, unary/scalar/copy
// read n and write n, fill writes n. About one FLOP (or one libm call) per element.
#include <algorithm>
#include <cmath>
#include <functional>

#include "kernels/cpu_detail.h"
#include "kernels/elementwise/elementwise.h"

namespace gan::cpu {

namespace {

constexpr int64_t kChunk = int64_t{1} << 14;

// A simplified N-d iteration space shared by NOps operands.
template <int NOps>
struct Walk {
  int rank = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[NOps][kMaxDims] = {};
};

// Drops size-1 dims and merges dim d into the kept dim before it when, for every
// operand, stride[prev] == stride[d] * shape[d] (the two dims are one run).
template <int NOps>
Walk<NOps> simplify(int rank, const int64_t* shape, const int64_t* const (&strides)[NOps]) {
  Walk<NOps> w;
  for (int d = 0; d < rank; ++d) {
    if (shape[d] == 1) continue;
    if (w.rank > 0) {
      bool mergeable = true;
      for (int op = 0; op < NOps; ++op)
        mergeable = mergeable && w.strides[op][w.rank - 1] == strides[op][d] * shape[d];
      if (mergeable) {
        w.shape[w.rank - 1] *= shape[d];
        for (int op = 0; op < NOps; ++op) w.strides[op][w.rank - 1] = strides[op][d];
        continue;
      }
    }
    w.shape[w.rank] = shape[d];
    for (int op = 0; op < NOps; ++op) w.strides[op][w.rank] = strides[op][d];
    ++w.rank;
  }
  if (w.rank == 0) {  // a single element
    w.rank = 1;
    w.shape[0] = 1;
  }
  return w;
}

// Calls run(count, offsets) for each maximal run of the innermost dimension inside the flat
// index range [begin, end); offsets[op] is where operand op's run starts, its stride along the
// run is w.strides[op][rank - 1].
template <int NOps, typename Run>
void walk_range(const Walk<NOps>& w, int64_t begin, int64_t end, Run&& run) {
  const int last = w.rank - 1;
  int64_t idx[kMaxDims] = {};
  int64_t off[NOps] = {};
  int64_t rem = begin;
  for (int d = last; d >= 0; --d) {
    idx[d] = rem % w.shape[d];
    rem /= w.shape[d];
    for (int op = 0; op < NOps; ++op) off[op] += idx[d] * w.strides[op][d];
  }
  for (int64_t pos = begin; pos < end;) {
    const int64_t count = std::min(w.shape[last] - idx[last], end - pos);
    run(count, static_cast<const int64_t*>(off));
    pos += count;
    idx[last] += count;
    for (int op = 0; op < NOps; ++op) off[op] += count * w.strides[op][last];
    for (int d = last; d > 0 && idx[d] == w.shape[d]; --d) {  // carry
      idx[d] = 0;
      ++idx[d - 1];
      for (int op = 0; op < NOps; ++op) off[op] += w.strides[op][d - 1] - w.shape[d] * w.strides[op][d];
    }
  }
}

// Runs body(begin, end) over [0, n) in fixed chunks, in parallel when n is large.
template <typename Body>
void for_chunks(int64_t n, Body&& body) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (n > detail::kParallelThreshold)
  for (int64_t c = 0; c < chunks; ++c) body(c * kChunk, std::min(n, (c + 1) * kChunk));
}

// out[j] = f(a[j*sa], b[j*sb]) for j < n, with the common stride patterns spelled out so they vectorise.
template <typename T, typename F>
inline void binary_run(F f, const T* a, int64_t sa, const T* b, int64_t sb, T* out, int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t j = 0; j < n; ++j) out[j] = f(a[j], b[j]);
  } else if (sa == 1 && sb == 0) {
    const T bv = *b;
    for (int64_t j = 0; j < n; ++j) out[j] = f(a[j], bv);
  } else if (sa == 0 && sb == 1) {
    const T av = *a;
    for (int64_t j = 0; j < n; ++j) out[j] = f(av, b[j]);
  } else {
    for (int64_t j = 0; j < n; ++j) out[j] = f(a[j * sa], b[j * sb]);
  }
}

template <typename T, typename F>
void binary_impl(F f, const T* a, const T* b, T* out, const BroadcastIndexer& idx, int64_t n) {
  int64_t out_strides[kMaxDims] = {};
  for (int d = idx.rank - 1, s = 1; d >= 0; --d) {
    out_strides[d] = s;
    s *= idx.shape[d];
  }
  const int64_t* const strides[3] = {idx.a_strides, idx.b_strides, out_strides};
  const Walk<3> w = simplify<3>(idx.rank, idx.shape, strides);
  const int64_t sa = w.strides[0][w.rank - 1], sb = w.strides[1][w.rank - 1];
  for_chunks(n, [&](int64_t begin, int64_t end) {
    walk_range(w, begin, end, [&](int64_t count, const int64_t* off) {
      binary_run(f, a + off[0], sa, b + off[1], sb, out + off[2], count);
    });
  });
}

template <typename T, typename F>
void map_unary(F f, const T* x, T* y, int64_t n) {
  for_chunks(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = f(x[i]);
  });
}

}  // namespace

template <typename T>
void binary(BinaryOp op, const T* a, const T* b, T* out, const BroadcastIndexer& idx, int64_t n) {
  if (n <= 0) return;
  switch (op) {
    case BinaryOp::Add: return binary_impl(std::plus<T>{}, a, b, out, idx, n);
    case BinaryOp::Sub: return binary_impl(std::minus<T>{}, a, b, out, idx, n);
    case BinaryOp::Mul: return binary_impl(std::multiplies<T>{}, a, b, out, idx, n);
    case BinaryOp::Div: return binary_impl(std::divides<T>{}, a, b, out, idx, n);
  }
}

template <typename T>
void binary_scalar(BinaryOp op, const T* a, T s, T* out, int64_t n, bool scalar_first) {
  switch (op) {
    case BinaryOp::Add: return map_unary([s](T x) { return x + s; }, a, out, n);
    case BinaryOp::Mul: return map_unary([s](T x) { return x * s; }, a, out, n);
    case BinaryOp::Sub:
      if (scalar_first) return map_unary([s](T x) { return s - x; }, a, out, n);
      return map_unary([s](T x) { return x - s; }, a, out, n);
    case BinaryOp::Div:
      if (scalar_first) return map_unary([s](T x) { return s / x; }, a, out, n);
      return map_unary([s](T x) { return x / s; }, a, out, n);
  }
}

// IEEE semantics throughout: Log(0) = -inf, Log(<0) = NaN, Sqrt(<0) = NaN.
// Sign(x) is -1, 0 or +1 (Sign(+-0) = +-0, Sign(NaN) = NaN).
template <typename T>
void unary(UnaryOp op, const T* x, T* y, int64_t n) {
  switch (op) {
    case UnaryOp::Neg: return map_unary([](T v) { return -v; }, x, y, n);
    case UnaryOp::Exp: return map_unary([](T v) { return std::exp(v); }, x, y, n);
    case UnaryOp::Log: return map_unary([](T v) { return std::log(v); }, x, y, n);
    case UnaryOp::Sqrt: return map_unary([](T v) { return std::sqrt(v); }, x, y, n);
    case UnaryOp::Abs: return map_unary([](T v) { return std::abs(v); }, x, y, n);
    case UnaryOp::Sign: return map_unary([](T v) { return v > T(0) ? T(1) : (v < T(0) ? T(-1) : v); }, x, y, n);
    case UnaryOp::Square: return map_unary([](T v) { return v * v; }, x, y, n);
  }
}

template <typename T>
void fill(T* out, T value, int64_t n) {
  for_chunks(n, [&](int64_t begin, int64_t end) { std::fill(out + begin, out + end, value); });
}

template <typename T>
void strided_copy(const T* src, const StridedLayout& src_layout, T* dst, const StridedLayout& dst_layout) {
  int64_t n = 1;
  for (int d = 0; d < src_layout.rank; ++d) n *= src_layout.shape[d];
  if (n <= 0) return;
  const int64_t* const strides[2] = {src_layout.strides, dst_layout.strides};
  const Walk<2> w = simplify<2>(src_layout.rank, src_layout.shape, strides);
  const int64_t ss = w.strides[0][w.rank - 1], ds = w.strides[1][w.rank - 1];
  for_chunks(n, [&](int64_t begin, int64_t end) {
    walk_range(w, begin, end, [&](int64_t count, const int64_t* off) {
      const T* s = src + off[0];
      T* d = dst + off[1];
      if (ss == 1 && ds == 1) {
        std::copy(s, s + count, d);
      } else {
        for (int64_t j = 0; j < count; ++j) d[j * ds] = s[j * ss];
      }
    });
  });
}

#define GAN_INSTANTIATE(T)                                                                                  \
  template void binary<T>(BinaryOp, const T*, const T*, T*, const BroadcastIndexer&, int64_t);             \
  template void binary_scalar<T>(BinaryOp, const T*, T, T*, int64_t, bool);                                 \
  template void unary<T>(UnaryOp, const T*, T*, int64_t);                                                   \
  template void fill<T>(T*, T, int64_t);                                                                    \
  template void strided_copy<T>(const T*, const StridedLayout&, T*, const StridedLayout&);
GAN_INSTANTIATE(float)
GAN_INSTANTIATE(double)
#undef GAN_INSTANTIATE

}  // namespace gan::cpu
