// CPU reference of ReflectionPad2d (the mapping is in reflection_pad2d.h).
//
// Threads: output rows (forward) or input rows (backward) of all planes in
// parallel; every element is written by one thread, and the backward adds its
// (at most 9) terms in the fixed order of reflection_pad::readers.
// Cost: forward reads up to n_in and writes n_out; backward reads n_out and
// writes n_in.
#include <vector>

#include "kernels/cpu_detail.h"
#include "kernels/reflection_pad2d/reflection_pad2d.h"

namespace gan::cpu {

namespace {

// The readers of each input coordinate of an axis, computed once per call.
struct AxisReaders {
  std::vector<int64_t> index;  // 3 slots per coordinate
  std::vector<int> count;
  AxisReaders(int64_t n, int64_t pad) : index(static_cast<size_t>(3 * n)), count(static_cast<size_t>(n)) {
    for (int64_t i = 0; i < n; ++i)
      count[static_cast<size_t>(i)] = reflection_pad::readers(i, n, pad, &index[static_cast<size_t>(3 * i)]);
  }
};

}  // namespace

template <typename T>
void reflection_pad2d_forward(const T* x, T* y, const ReflectionPad2dParams& p) {
  const int64_t OH = p.out_h(), OW = p.out_w();
  std::vector<int64_t> source_col(static_cast<size_t>(OW));
  for (int64_t q = 0; q < OW; ++q) source_col[static_cast<size_t>(q)] = reflection_pad::source(q, p.W, p.pad);
  const int64_t rows = p.planes * OH;
#pragma omp parallel for schedule(static) if (rows * OW > detail::kParallelThreshold)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t plane = r / OH, row = r % OH;
    const T* x_row = x + (plane * p.H + reflection_pad::source(row, p.H, p.pad)) * p.W;
    T* y_row = y + r * OW;
    for (int64_t q = 0; q < OW; ++q) y_row[q] = x_row[source_col[static_cast<size_t>(q)]];
  }
}

template <typename T>
void reflection_pad2d_backward(const T* dy, T* dx, const ReflectionPad2dParams& p) {
  const int64_t OH = p.out_h(), OW = p.out_w();
  const AxisReaders row_readers(p.H, p.pad), col_readers(p.W, p.pad);
  const int64_t rows = p.planes * p.H;
#pragma omp parallel for schedule(static) if (rows * p.W > detail::kParallelThreshold)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t plane = r / p.H, h = r % p.H;
    const int64_t* out_rows = &row_readers.index[static_cast<size_t>(3 * h)];
    const int n_rows = row_readers.count[static_cast<size_t>(h)];
    const T* dy_plane = dy + plane * OH * OW;
    T* dx_row = dx + r * p.W;
    for (int64_t w = 0; w < p.W; ++w) {
      const int64_t* out_cols = &col_readers.index[static_cast<size_t>(3 * w)];
      const int n_cols = col_readers.count[static_cast<size_t>(w)];
      T s = T(0);
      for (int a = 0; a < n_rows; ++a)
        for (int b = 0; b < n_cols; ++b) s += dy_plane[out_rows[a] * OW + out_cols[b]];
      dx_row[w] = s;
    }
  }
}

template void reflection_pad2d_forward<float>(const float*, float*, const ReflectionPad2dParams&);
template void reflection_pad2d_forward<double>(const double*, double*, const ReflectionPad2dParams&);
template void reflection_pad2d_backward<float>(const float*, float*, const ReflectionPad2dParams&);
template void reflection_pad2d_backward<double>(const double*, double*, const ReflectionPad2dParams&);

}  // namespace gan::cpu
