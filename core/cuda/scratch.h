// Temporary device memory for a kernel sequence (partial sums and the like),
// from the caching allocator, so steady state does no cudaMalloc.
//
// Freed when it goes out of scope, typically right after the launches that use
// it and before they have run: safe because every kernel runs on the engine's
// one stream, so whoever gets the block next queues work behind them.
#pragma once

#include <cstddef>

#include "core/cuda_runtime.h"

namespace gan::cuda {

template <typename T>
class Scratch {
 public:
  explicit Scratch(std::size_t count) : bytes_(count * sizeof(T)), ptr_(static_cast<T*>(allocate(bytes_))) {}
  ~Scratch() { deallocate(ptr_, bytes_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  T* get() const { return ptr_; }

 private:
  std::size_t bytes_;
  T* ptr_;
};

}  // namespace gan::cuda
