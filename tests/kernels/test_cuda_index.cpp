// The index math of the CUDA kernels (kernels/cuda_index.h,
// kernels/reduce/cuda_sum_to_plan.h), run on the CPU: dimension coalescing for
// broadcasts and strided copies, and the sum_to plan. No GPU needed; these are
// the same functions the kernels call.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/cuda_index.h"
#include "kernels/reduce/cuda_sum_to_plan.h"

namespace gan {
namespace {

using cuda_index::SumToKernel;
using cuda_index::SumToPlan;

StridedLayout layout(std::vector<int64_t> shape) {
  StridedLayout l;
  l.rank = static_cast<int>(shape.size());
  for (int d = 0; d < l.rank; ++d) l.shape[d] = shape[static_cast<size_t>(d)];
  cuda_index::contiguous_strides(l.rank, l.shape, l.strides);
  return l;
}

// Offsets by the definition: unravel i over the full shape, dot with strides.
void naive_offsets(const BroadcastIndexer& ix, int64_t i, int64_t& oa, int64_t& ob) {
  oa = ob = 0;
  for (int d = ix.rank - 1; d >= 0; --d) {
    const int64_t c = i % ix.shape[d];
    i /= ix.shape[d];
    oa += c * ix.a_strides[d];
    ob += c * ix.b_strides[d];
  }
}

// A random broadcast: a is a random permutation view (non-contiguous strides),
// b is contiguous over its own shape with random dims broadcast (stride 0).
BroadcastIndexer random_indexer(std::mt19937& rng) {
  BroadcastIndexer ix;
  ix.rank = std::uniform_int_distribution<int>(1, 6)(rng);
  for (int d = 0; d < ix.rank; ++d) ix.shape[d] = std::uniform_int_distribution<int64_t>(1, 4)(rng);
  // a: the strides of a contiguous array of a permuted shape, permuted back.
  std::vector<int> perm(static_cast<size_t>(ix.rank));
  std::iota(perm.begin(), perm.end(), 0);
  if (rng() % 2) std::shuffle(perm.begin(), perm.end(), rng);
  int64_t s = 1;
  for (int k = ix.rank - 1; k >= 0; --k) {
    const int d = perm[static_cast<size_t>(k)];
    ix.a_strides[d] = s;
    s *= ix.shape[d];
  }
  s = 1;
  for (int d = ix.rank - 1; d >= 0; --d) {
    const bool broadcast = rng() % 3 == 0;
    ix.b_strides[d] = broadcast ? 0 : s;
    if (!broadcast) s *= ix.shape[d];
  }
  return ix;
}

TEST(CudaIndex, CoalescePreservesEveryOffset) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 2000; ++trial) {
    const BroadcastIndexer ix = random_indexer(rng);
    const BroadcastIndexer c = cuda_index::coalesce(ix);
    ASSERT_LE(c.rank, ix.rank);
    const int64_t n = cuda_index::numel(ix.rank, ix.shape);
    ASSERT_EQ(cuda_index::numel(c.rank, c.shape), n);
    for (int64_t i = 0; i < n; ++i) {
      int64_t ea, eb, a32, b32, a64, b64;
      naive_offsets(ix, i, ea, eb);
      cuda_index::offsets<uint32_t>(c, static_cast<uint32_t>(i), a32, b32);
      cuda_index::offsets<int64_t>(c, i, a64, b64);
      ASSERT_EQ(a32, ea) << "trial " << trial << " i " << i;
      ASSERT_EQ(b32, eb) << "trial " << trial << " i " << i;
      ASSERT_EQ(a64, ea);
      ASSERT_EQ(b64, eb);
    }
  }
}

TEST(CudaIndex, CoalesceMergesTheDcganBiasBroadcast) {
  BroadcastIndexer ix;
  ix.rank = 4;
  const int64_t shape[] = {64, 128, 16, 16};
  const int64_t a[] = {128 * 256, 256, 16, 1};
  const int64_t b[] = {0, 1, 0, 0};
  for (int d = 0; d < 4; ++d) {
    ix.shape[d] = shape[d];
    ix.a_strides[d] = a[d];
    ix.b_strides[d] = b[d];
  }
  const BroadcastIndexer c = cuda_index::coalesce(ix);
  ASSERT_EQ(c.rank, 3);
  EXPECT_EQ(c.shape[0], 64);
  EXPECT_EQ(c.shape[1], 128);
  EXPECT_EQ(c.shape[2], 256);
  EXPECT_EQ(c.b_strides[0], 0);
  EXPECT_EQ(c.b_strides[1], 1);
  EXPECT_EQ(c.b_strides[2], 0);

  // Same-shape contiguous operands collapse to the identity (the fast path).
  BroadcastIndexer same = ix;
  for (int d = 0; d < 4; ++d) same.b_strides[d] = a[d];
  const BroadcastIndexer cs = cuda_index::coalesce(same);
  EXPECT_TRUE(cuda_index::is_identity_a(cs));
  EXPECT_TRUE(cuda_index::is_identity_b(cs));
  // A single element has rank 0.
  BroadcastIndexer one;
  one.rank = 3;
  for (int d = 0; d < 3; ++d) one.shape[d] = 1;
  EXPECT_EQ(cuda_index::coalesce(one).rank, 0);
}

TEST(CudaIndex, CopyIndexerMapsSourceAndDestination) {
  // Transpose a [3,5] (strides 1,3) into a contiguous [3,5].
  StridedLayout src = layout({3, 5});
  src.strides[0] = 1;
  src.strides[1] = 3;
  const StridedLayout dst = layout({3, 5});
  const BroadcastIndexer c = cuda_index::coalesce(cuda_index::copy_indexer(src, dst));
  for (int64_t i = 0; i < 15; ++i) {
    int64_t s, d;
    cuda_index::offsets<uint32_t>(c, static_cast<uint32_t>(i), s, d);
    EXPECT_EQ(d, i);
    EXPECT_EQ(s, (i % 5) * 3 + i / 5);
  }
}

TEST(CudaIndex, ChannelCursorVisitsEachElementOfItsChannelOnce) {
  for (int64_t N : {1, 2, 5}) {
    for (int64_t C : {1, 3}) {
      for (int64_t HW : {1, 2, 7, 16, 300, 1100}) {
        for (int64_t step : {1, 32, 256, 512}) {
          for (int64_t c = 0; c < C; ++c) {
            std::vector<int> seen(static_cast<size_t>(N * C * HW), 0);
            for (int64_t t = 0; t < step; ++t) {
              int64_t expect_j = t;
              for (auto k = cuda_index::make_channel_cursor(C, HW, c, t, step); k.n < N; cuda_index::advance(k)) {
                ASSERT_EQ(k.n * HW + k.hw, expect_j) << "N " << N << " HW " << HW << " step " << step;
                ASSERT_EQ(k.offset, (k.n * C + c) * HW + k.hw);
                ++seen[static_cast<size_t>(k.offset)];
                expect_j += step;
              }
              ASSERT_GE(expect_j, N * HW);
            }
            for (int64_t i = 0; i < N * C * HW; ++i)
              ASSERT_EQ(seen[static_cast<size_t>(i)], (i / HW) % C == c ? 1 : 0) << "offset " << i;
          }
        }
      }
    }
  }
}

// sum_to by the definition, in double.
std::vector<double> naive_sum_to(const std::vector<double>& x, const StridedLayout& in, const StridedLayout& out) {
  std::vector<double> r(static_cast<size_t>(cuda_index::numel(out.rank, out.shape)), 0.0);
  int64_t ostr[kMaxDims];
  cuda_index::contiguous_strides(out.rank, out.shape, ostr);
  for (int64_t i = 0; i < static_cast<int64_t>(x.size()); ++i) {
    int64_t rem = i, o = 0;
    for (int d = in.rank - 1; d >= 0; --d) {
      const int64_t c = rem % in.shape[d];
      rem /= in.shape[d];
      if (out.shape[d] != 1) o += c * ostr[d];
    }
    r[static_cast<size_t>(o)] += x[static_cast<size_t>(i)];
  }
  return r;
}

// What the kernels do with a plan: every (output, chunk, j) in order.
std::vector<double> planned_sum_to(const std::vector<double>& x, const SumToPlan& p, std::vector<int>& hits) {
  std::vector<double> r(static_cast<size_t>(p.num_out), 0.0);
  hits.assign(x.size(), 0);
  if (p.kernel == SumToKernel::Copy) {
    for (size_t i = 0; i < x.size(); ++i) {
      r[i] = x[i];
      ++hits[i];
    }
    return r;
  }
  if (p.kernel == SumToKernel::Zero) return r;
  for (int64_t o = 0; o < p.num_out; ++o) {
    const int64_t base = cuda_index::kept_offset(p, o);
    for (int64_t s = 0; s < p.splits; ++s) {
      const int64_t begin = s * p.chunk, end = std::min(p.reduce_size, begin + p.chunk);
      EXPECT_LT(begin, end) << "empty chunk";
      for (int64_t j = begin; j < end; ++j) {
        const int64_t off = base + cuda_index::reduced_offset<uint32_t>(p, static_cast<uint32_t>(j));
        EXPECT_EQ(off, base + cuda_index::reduced_offset<int64_t>(p, j));
        r[static_cast<size_t>(o)] += x[static_cast<size_t>(off)];
        ++hits[static_cast<size_t>(off)];
      }
    }
  }
  return r;
}

void check_plan(const std::vector<int64_t>& in_shape, const std::vector<int64_t>& out_shape, std::mt19937& rng) {
  const StridedLayout in = layout(in_shape), out = layout(out_shape);
  const SumToPlan p = cuda_index::make_sum_to_plan(in, out);
  const int64_t n = cuda_index::numel(in.rank, in.shape);
  ASSERT_EQ(p.num_out, cuda_index::numel(out.rank, out.shape));
  if (p.kernel != SumToKernel::Copy && p.kernel != SumToKernel::Zero) {
    ASSERT_EQ(p.num_out * p.reduce_size, n);
    ASSERT_GE(p.splits, 1);
    ASSERT_LE(p.splits, SumToPlan::kMaxSplits);
    ASSERT_GE(p.splits * p.chunk, p.reduce_size);
    ASSERT_LT((p.splits - 1) * p.chunk, p.reduce_size);
  }
  std::vector<double> x(static_cast<size_t>(n));
  // Integers: sums are exact in double, so any order must agree exactly.
  for (double& v : x) v = static_cast<double>(std::uniform_int_distribution<int>(-1000, 1000)(rng));
  std::vector<int> hits;
  const std::vector<double> got = planned_sum_to(x, p, hits);
  const std::vector<double> want = naive_sum_to(x, in, out);
  ASSERT_EQ(got, want);
  if (p.kernel != SumToKernel::Zero) {
    for (int h : hits) {
      ASSERT_EQ(h, 1) << "an input was read " << h << " times";
    }
  }
}

TEST(CudaSumToPlan, MatchesTheDefinitionOnRandomShapes) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 1500; ++trial) {
    const int rank = std::uniform_int_distribution<int>(1, 6)(rng);
    std::vector<int64_t> in(static_cast<size_t>(rank)), out(static_cast<size_t>(rank));
    for (int d = 0; d < rank; ++d) {
      in[static_cast<size_t>(d)] = std::uniform_int_distribution<int64_t>(1, 5)(rng);
      out[static_cast<size_t>(d)] = rng() % 2 ? 1 : in[static_cast<size_t>(d)];
    }
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    check_plan(in, out, rng);
  }
}

TEST(CudaSumToPlan, ChoosesKernelsAndSplitsForTypicalShapes) {
  std::mt19937 rng(7);
  // Bias gradient of a Linear layer: columns, one thread per output.
  SumToPlan p = cuda_index::make_sum_to_plan(layout({256, 1000}), layout({1, 1000}));
  EXPECT_EQ(p.kernel, SumToKernel::Thread);
  EXPECT_EQ(p.splits, 4);  // 256 rows / 64 per thread
  // Per-channel sum of DCGAN activations: block per channel, 4 chunks each.
  p = cuda_index::make_sum_to_plan(layout({64, 128, 16, 16}), layout({1, 128, 1, 1}));
  EXPECT_EQ(p.kernel, SumToKernel::Block);
  EXPECT_EQ(p.reduced_rank, 2);
  EXPECT_EQ(p.splits, 4);
  EXPECT_EQ(p.chunk, 4096);
  // Full reduction: two passes, 512 partials.
  p = cuda_index::make_sum_to_plan(layout({64, 128, 16, 16}), layout({1, 1, 1, 1}));
  EXPECT_EQ(p.kernel, SumToKernel::Block);
  EXPECT_EQ(p.num_out, 1);
  EXPECT_EQ(p.reduced_rank, 1);
  EXPECT_EQ(p.splits, 512);
  // Nothing reduced: a copy. A reduced zero extent: zeros.
  EXPECT_EQ(cuda_index::make_sum_to_plan(layout({4, 1, 5}), layout({4, 1, 5})).kernel, SumToKernel::Copy);
  EXPECT_EQ(cuda_index::make_sum_to_plan(layout({4, 0, 5}), layout({4, 1, 5})).kernel, SumToKernel::Zero);
  EXPECT_EQ(cuda_index::make_sum_to_plan(layout({}), layout({})).kernel, SumToKernel::Copy);
  // Wrong shapes are refused.
  EXPECT_THROW(cuda_index::make_sum_to_plan(layout({4, 5}), layout({2, 5})), ShapeError);
  EXPECT_THROW(cuda_index::make_sum_to_plan(layout({4, 5}), layout({5})), ShapeError);
  // Larger shapes through the emulation (splits > 1 in both kernels).
  check_plan({3, 9000}, {3, 1}, rng);
  check_plan({20000, 40}, {1, 40}, rng);
  check_plan({7, 3, 5000}, {1, 3, 1}, rng);
  check_plan({2, 70, 3, 33}, {1, 70, 1, 33}, rng);
}

}  // namespace
}  // namespace gan
