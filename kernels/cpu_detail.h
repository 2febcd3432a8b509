// Internal helpers shared by the CPU kernels (kernels/*/cpu.cpp). Not part of
// the kernel interface: nothing outside kernels/ (and their tests) should
// include this.
//
// Threading rules every CPU kernel follows:
//  - OpenMP over an outer loop, only when the loop has enough work
//    (`if(n > kParallelThreshold)` for memory-bound loops);
//  - every output element is written by exactly one thread, and every sum is
//    accumulated in an order that does not depend on the number of threads or on
//    scheduling, so results are bitwise reproducible run to run.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <vector>

namespace gan::cpu::detail {

// An exception must not leave an OpenMP region: the runtime calls
// std::terminate (a std::bad_alloc inside a convolution once ended a run with
// "terminate called ..." and status 134). A loop body that can throw (it
// allocates) runs through run(): the first exception is kept, later bodies are
// skipped, and rethrow() raises it after the region, where it unwinds as usual
// (std::bad_alloc becomes the app's out-of-memory message). Allocate what a
// region needs before it where possible, so there is nothing to catch.
class ParallelErrors {
 public:
  template <typename F>
  void run(F&& body) noexcept {
    if (failed_.load(std::memory_order_relaxed)) return;
    try {
      body();
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (!first_) first_ = std::current_exception();
      failed_.store(true, std::memory_order_relaxed);
    }
  }
  void rethrow() const {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::exception_ptr first_;
};

// Memory-bound loops shorter than this run on one thread: forking costs a few
// microseconds, which is about what one core needs to stream this many elements.
inline constexpr int64_t kParallelThreshold = int64_t{1} << 15;

// Block size of deterministic_sum. Fixed (not derived from the thread count) so
// that the partial sums, and therefore the result, never depend on threading.
inline constexpr int64_t kSumBlock = int64_t{1} << 14;

// sum_{i<n} term(i) in double: the range is cut into fixed blocks of kSumBlock,
// each block is summed left to right (blocks in parallel), then the block sums
// are added in block order. `term` may have side effects per index (the losses
// write their gradient there).
template <typename F>
double deterministic_sum(int64_t n, F&& term) {
  const int64_t blocks = (n + kSumBlock - 1) / kSumBlock;
  if (blocks <= 1) {
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) s += term(i);
    return s;
  }
  std::vector<double> partial(static_cast<size_t>(blocks));
#pragma omp parallel for schedule(static) if (n > kParallelThreshold)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t begin = blk * kSumBlock;
    const int64_t end = begin + kSumBlock < n ? begin + kSumBlock : n;
    double s = 0.0;
    for (int64_t i = begin; i < end; ++i) s += term(i);
    partial[static_cast<size_t>(blk)] = s;
  }
  double s = 0.0;
  for (double v : partial) s += v;
  return s;
}

// The gemm of kernels/matmul/cpu.cpp with threading under the caller's control:
// the convolutions call it with parallel = false from inside their own
// parallel-over-images loop. The result does not depend on `parallel`.
template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, const T* B, T beta,
          T* C, bool parallel);

}  // namespace gan::cpu::detail
