// The shared Philox-4x32-10 (core/philox.h) against the published known-answer
// vectors, and the Rng's block accounting that device kernels rely on.
#include <gtest/gtest.h>

#include <vector>

#include "core/philox.h"
#include "core/random.h"

namespace gan {
namespace {

void expect_block(const PhiloxBlock& got, const PhiloxBlock& want) {
  for (int j = 0; j < 4; ++j) EXPECT_EQ(got.word[j], want.word[j]) << "word " << j;
}

// Random123's tests/kat_vectors, the three "philox4x32 10" lines
// (counter words, key words -> output words).
TEST(Philox, KnownAnswerVectors) {
  expect_block(philox4x32_10(PhiloxBlock{{0, 0, 0, 0}}, 0, 0),
               PhiloxBlock{{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}});
  expect_block(philox4x32_10(PhiloxBlock{{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}}, 0xffffffffu,
                             0xffffffffu),
               PhiloxBlock{{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}});
  expect_block(philox4x32_10(PhiloxBlock{{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}}, 0xa4093822u,
                             0x299f31d0u),
               PhiloxBlock{{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}});
}

TEST(Philox, StreamFormPacksCounterAndSeedLowWordFirst) {
  const uint64_t counter = 0x0123456789abcdefull, seed = 0xfedcba9876543210ull;
  expect_block(philox4x32_10(counter, seed),
               philox4x32_10(PhiloxBlock{{0x89abcdefu, 0x01234567u, 0u, 0u}}, 0x76543210u, 0xfedcba98u));
}

// The generator's uniform draws are the stream's blocks in counter order: word
// j of block k scaled by 2^-32, which is what a kernel recomputes on the device.
TEST(Philox, GeneratorDrawsAreTheStreamBlocks) {
  Rng rng(42);
  std::vector<double> u(8);
  rng.fill_uniform(u.data(), 8, 0.0, 1.0);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(u[i], philox4x32_10(static_cast<uint64_t>(i / 4), 42).word[i % 4] / 4294967296.0) << i;
  EXPECT_EQ(rng.counter(), 2u);
}

TEST(Philox, ReserveBlocksAdvancesLikeDrawing) {
  Rng a(7), b(7);
  a.set_state(7, 5);
  b.set_state(7, 5);
  EXPECT_EQ(a.reserve_blocks(3), 5u);
  EXPECT_EQ(a.counter(), 8u);
  std::vector<double> skipped(12);
  b.fill_uniform(skipped.data(), 12, 0.0, 1.0);  // three blocks
  EXPECT_EQ(a.next_uniform(), b.next_uniform());
}

}  // namespace
}  // namespace gan
