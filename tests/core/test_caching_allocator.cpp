// The caching allocator's bookkeeping over a fake backend: runs without a GPU.
// (The same logic over cudaMalloc is exercised in tests/kernels/test_cuda_parity.cpp.)
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>

#include "core/cuda/caching_allocator.h"
#include "core/error.h"

namespace gan::cuda {
namespace {

// Hands out host memory, counts calls, and refuses once `capacity` bytes are live.
struct FakeDevice {
  std::size_t capacity = std::size_t{64} << 20;
  std::size_t live = 0;
  int mallocs = 0, frees = 0;
  std::map<void*, std::size_t> blocks;  // live block -> size

  CachingAllocator::Backend backend() {
    CachingAllocator::Backend b;
    b.malloc = [this](std::size_t bytes) -> void* {
      ++mallocs;
      if (live + bytes > capacity) return nullptr;
      void* p = std::malloc(bytes);
      live += bytes;
      blocks.emplace(p, bytes);
      return p;
    };
    b.free = [this](void* p) {
      ++frees;
      const auto it = blocks.find(p);
      ASSERT_NE(it, blocks.end()) << "freed a block the fake never handed out";
      live -= it->second;
      blocks.erase(it);
      std::free(p);
    };
    b.mem_info = [this](std::size_t* f, std::size_t* t) {
      *f = capacity - live;
      *t = capacity;
      return true;
    };
    return b;
  }
};

TEST(CachingAllocator, RoundsSmallTo512AndLargeTo2MiB) {
  EXPECT_EQ(CachingAllocator::round_size(1), 512u);
  EXPECT_EQ(CachingAllocator::round_size(512), 512u);
  EXPECT_EQ(CachingAllocator::round_size(513), 1024u);
  EXPECT_EQ(CachingAllocator::round_size(std::size_t{1} << 20), std::size_t{1} << 20);
  EXPECT_EQ(CachingAllocator::round_size((std::size_t{1} << 20) + 1), std::size_t{2} << 20);
  EXPECT_EQ(CachingAllocator::round_size((std::size_t{2} << 20) + 1), std::size_t{4} << 20);
  EXPECT_THROW(CachingAllocator::round_size(~std::size_t{0}), OutOfMemoryError);
}

TEST(CachingAllocator, ReusesAFreedBlockWithoutAnotherMalloc) {
  FakeDevice dev;
  CachingAllocator a(dev.backend());
  void* p = a.allocate(1000);
  a.deallocate(p, 1000);
  void* q = a.allocate(1000);
  EXPECT_EQ(p, q);
  EXPECT_EQ(dev.mallocs, 1);
  a.deallocate(q, 1000);
  // Steady state: the same sequence of sizes again allocates nothing.
  for (int step = 0; step < 3; ++step) {
    void* x = a.allocate(3 << 20);
    void* y = a.allocate(700);
    void* z = a.allocate(3 << 20);
    a.deallocate(y, 700);
    a.deallocate(x, 3 << 20);
    a.deallocate(z, 3 << 20);
  }
  EXPECT_EQ(dev.mallocs, 3);  // 1000 B, and two 4 MiB blocks
  const AllocatorStats s = a.stats();
  EXPECT_EQ(s.num_cuda_malloc, 3u);
  EXPECT_EQ(s.bytes_in_use, 0u);
  EXPECT_EQ(s.bytes_cached, 1024u + 2 * (std::size_t{4} << 20));
  EXPECT_EQ(s.num_allocations, 11u);
  EXPECT_EQ(s.num_cache_hits, 8u);
  EXPECT_EQ(s.peak_bytes_in_use, 1024u + 2 * (std::size_t{4} << 20));
}

TEST(CachingAllocator, BestFitBoundsTheWaste) {
  FakeDevice dev;
  CachingAllocator a(dev.backend());
  void* big = a.allocate(10 << 20);  // 10 MiB block
  a.deallocate(big, 10 << 20);
  void* p = a.allocate(9 << 20);  // rounds to 10 MiB: exact fit
  EXPECT_EQ(p, big);
  a.deallocate(p, 9 << 20);
  void* q = a.allocate(8 << 20);  // 8 MiB: a 10 MiB block wastes 25%: allowed
  EXPECT_EQ(q, big);
  a.deallocate(q, 8 << 20);
  void* r = a.allocate(6 << 20);  // 6 MiB: 10 MiB would waste 67%: fresh block
  EXPECT_NE(r, big);
  void* s = a.allocate(512);  // small requests never take large blocks
  EXPECT_NE(s, big);
  a.deallocate(r, 6 << 20);
  a.deallocate(s, 512);
  EXPECT_EQ(dev.mallocs, 3);
  // The smallest fitting block wins.
  void* t = a.allocate(6 << 20);
  EXPECT_EQ(t, r);
  a.deallocate(t, 6 << 20);
}

TEST(CachingAllocator, EmptyCacheReturnsFreeBlocksOnly) {
  FakeDevice dev;
  CachingAllocator a(dev.backend());
  void* kept = a.allocate(4096);
  void* freed = a.allocate(8192);
  a.deallocate(freed, 8192);
  a.empty_cache();
  EXPECT_EQ(dev.frees, 1);
  EXPECT_EQ(dev.blocks.count(kept), 1u);
  EXPECT_EQ(a.stats().bytes_cached, 0u);
  EXPECT_EQ(a.stats().bytes_in_use, 4096u);
  a.deallocate(kept, 4096);
}

TEST(CachingAllocator, OutOfMemoryEmptiesTheCacheRetriesThenThrows) {
  FakeDevice dev;
  dev.capacity = std::size_t{16} << 20;
  CachingAllocator a(dev.backend());
  void* x = a.allocate(10 << 20);
  a.deallocate(x, 10 << 20);  // cached: 10 MiB of the 16
  // 12 MiB does not fit next to the cached block; after emptying the cache it does.
  void* y = a.allocate(12 << 20);
  EXPECT_NE(y, nullptr);
  EXPECT_EQ(dev.frees, 1);
  EXPECT_EQ(a.stats().num_oom, 1u);
  // 8 MiB cannot fit at all now: retried once, then a typed error naming the size.
  const std::size_t ask = (std::size_t{8} << 20) + 3;
  try {
    a.allocate(ask);
    FAIL() << "expected OutOfMemoryError";
  } catch (const OutOfMemoryError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(std::to_string(ask) + " bytes"), std::string::npos) << msg;
    EXPECT_NE(msg.find("free of"), std::string::npos) << msg;
    EXPECT_NE(msg.find("use smaller batches"), std::string::npos) << msg;  // the app adds its options
  }
  EXPECT_EQ(a.stats().num_oom, 3u);
  a.deallocate(y, 12 << 20);
}

TEST(CachingAllocator, RejectsForeignPointersAndDoubleFrees) {
  FakeDevice dev;
  CachingAllocator a(dev.backend());
  int local = 0;
  EXPECT_THROW(a.deallocate(&local, 4), ValueError);
  void* p = a.allocate(100);
  EXPECT_THROW(a.deallocate(p, 1 << 20), ValueError);  // wrong size
  a.deallocate(p, 100);
  EXPECT_THROW(a.deallocate(p, 100), ValueError);  // double free
  a.deallocate(nullptr, 0);                        // ignored
  EXPECT_EQ(a.allocate(0), nullptr);
}

}  // namespace
}  // namespace gan::cuda
