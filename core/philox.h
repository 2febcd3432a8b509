// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC'11): a counter-based generator. Block `counter` under key `seed` is a pure
// function of the two, so any thread on any device can compute any block
// without shared state. core/random.cpp draws from it on the host; kernels that
// need random numbers per element (dropout) compute the same blocks on the
// device, which is what makes their output identical on the CPU and on CUDA.
#pragma once

#include <cstdint>

#include "core/host_device.h"

namespace gan {

struct PhiloxBlock {
  uint32_t word[4];  // 4 x 32 independent uniform random bits
};

// One block: the 128-bit counter `ctr` encrypted under the 64-bit key (k0, k1).
GAN_HOST_DEVICE PhiloxBlock philox4x32_10(PhiloxBlock ctr, uint32_t k0, uint32_t k1) {
  // Round multipliers and Weyl key increments from the paper.
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kKeyStep0 = 0x9E3779B9u, kKeyStep1 = 0xBB67AE85u;
  uint32_t c0 = ctr.word[0], c1 = ctr.word[1], c2 = ctr.word[2], c3 = ctr.word[3];
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kMul0) * c0;
    const uint64_t p1 = static_cast<uint64_t>(kMul1) * c2;
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += kKeyStep0;
    k1 += kKeyStep1;
  }
  return PhiloxBlock{{c0, c1, c2, c3}};
}

// The engine's streams: block number `counter` (the counter's high 64 bits are
// zero) under key `seed`.
GAN_HOST_DEVICE PhiloxBlock philox4x32_10(uint64_t counter, uint64_t seed) {
  const PhiloxBlock ctr{{static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32), 0u, 0u}};
  return philox4x32_10(ctr, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

}  // namespace gan
