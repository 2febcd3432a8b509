// One whole training step of every model on CUDA against the same step on the
// CPU (needs a GPU or a GPU simulator; skipped otherwise): DCGAN with the bce
// and wgan-gp losses, CycleGAN and pix2pix, tiny sizes. Both trainers start
// from the same seed (the weights are drawn on the host), take the same batch
// and draw the same noise (Philox on both devices), so they must agree on
//   - the values the step logs (losses, D outputs): 1e-4 relative, or 1e-6
//     absolute near zero;
//   - the optimizer moments after the step (Adam's m is linear in the
//     gradient, v quadratic): 1e-3 relative per tensor. A tensor whose CPU
//     moments are at rounding level (a conv bias right before a
//     normalisation has a gradient that is zero but for rounding) must be at
//     rounding level on CUDA too;
//   - the weights and every other float tensor of the state: each element
//     within 1e-4 relative, except that Adam's first step moves a weight by
//     lr * sign(gradient) and a gradient within rounding of zero may take
//     either sign: at most 1% of a tensor's elements may differ, by at most
//     2 lr. A parameter whose whole gradient is at rounding level (its
//     moments are, above) may differ in every element, by at most 2 lr: a
//     conv bias right before an instance or batch norm has a true gradient
//     of zero (the norm removes any per-channel constant), so both devices
//     hold rounding noise and Adam turns it into +-lr of either sign;
//   - the integer records (step counts) exactly.
// Run with no cuBLAS call: the own gemm engine (GAN_CUDA_GEMM=own).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "apps/gan/cyclegan_trainer.h"
#include "apps/gan/dcgan_trainer.h"
#include "apps/gan/pix2pix_trainer.h"
#include "core/cuda_runtime.h"
#include "core/random.h"
#include "kernels/matmul/matmul.h"
#include "layers/gan_losses.h"
#include "tests/kernels/kernel_test_util.h"

namespace gan::app {
namespace {

#define GAN_SKIP_WITHOUT_CUDA_DEVICE()                                                           \
  do {                                                                                          \
    if (!::gan::cuda::available()) GTEST_SKIP() << "no usable CUDA device: GPU test not run";   \
  } while (0)

// n images [n, channels, size, size] uniform in [-1, 1], on the CPU.
Tensor random_images(int64_t n, int64_t channels, int64_t size, Rng& rng) {
  std::vector<double> v(static_cast<size_t>(n * channels * size * size));
  rng.fill_uniform(v.data(), static_cast<int64_t>(v.size()), -1.0, 1.0);
  return Tensor::from_vector(v, {n, channels, size, size});
}

std::vector<double> floats_of(const io::CheckpointRecord& r) {
  std::vector<double> out(static_cast<size_t>(r.numel()));
  for (size_t i = 0; i < out.size(); ++i) {
    if (r.dtype == io::RecordType::F32) {
      float f;
      std::memcpy(&f, r.bytes.data() + 4 * i, 4);
      out[i] = f;
    } else {
      std::memcpy(&out[i], r.bytes.data() + 8 * i, 8);
    }
  }
  return out;
}

using test::l2_distance;
using test::l2_norm;

bool is_moment(const std::string& name) {
  return name.find("adam_m") != std::string::npos || name.find("adam_v") != std::string::npos ||
         name.find("rmsprop_sq") != std::string::npos;
}

void expect_values_match(const std::vector<double>& cuda, const std::vector<double>& cpu) {
  ASSERT_EQ(cuda.size(), cpu.size());
  for (size_t i = 0; i < cpu.size(); ++i) {
    if (std::isnan(cpu[i])) {  // a value the step does not measure
      EXPECT_TRUE(std::isnan(cuda[i])) << "value " << i;
      continue;
    }
    EXPECT_NEAR(cuda[i], cpu[i], std::max(1e-6, 1e-4 * std::abs(cpu[i]))) << "value " << i;
  }
}

// The largest optimizer-moment tensor's norm: what "rounding level" is relative to.
double moment_scale_of(const io::Checkpoint& state) {
  double scale = 0;
  for (const io::CheckpointRecord& r : state.records)
    if (is_moment(r.name) && r.dtype == io::RecordType::F32) scale = std::max(scale, l2_norm(floats_of(r)));
  return scale;
}

// The parameters whose gradient is at rounding level on the CPU, by name. The
// optimizers' first moments (adam_m.<k>, optimizer after optimizer) follow the
// parameters in the order the state lists the networks, skipping buffers
// (running statistics) and other records; each is paired with the next
// parameter record of its shape.
std::vector<std::string> rounding_level_parameters(const io::Checkpoint& cpu, double moment_scale) {
  std::vector<const io::CheckpointRecord*> first_moments, candidates;
  for (const io::CheckpointRecord& r : cpu.records) {
    if (r.dtype != io::RecordType::F32) continue;
    if (r.name.find("adam_m.") != std::string::npos)
      first_moments.push_back(&r);
    else if (!is_moment(r.name) && r.name.find("running_") == std::string::npos)
      candidates.push_back(&r);
  }
  std::vector<std::string> out;
  size_t next = 0;
  for (const io::CheckpointRecord* p : candidates) {
    if (next == first_moments.size() || p->shape != first_moments[next]->shape) continue;  // not a parameter
    if (l2_norm(floats_of(*first_moments[next])) <= 1e-5 * moment_scale) out.push_back(p->name);
    ++next;
  }
  EXPECT_EQ(next, first_moments.size()) << "could not pair every first moment with a parameter";
  return out;
}

void expect_states_match(const io::Checkpoint& cuda, const io::Checkpoint& cpu, double lr) {
  ASSERT_EQ(cuda.records.size(), cpu.records.size());
  const double moment_scale = moment_scale_of(cpu);
  const std::vector<std::string> noise = rounding_level_parameters(cpu, moment_scale);
  int compared = 0;
  for (const io::CheckpointRecord& want : cpu.records) {
    SCOPED_TRACE(want.name);
    const io::CheckpointRecord& got = cuda.get(want.name);
    ASSERT_EQ(got.dtype, want.dtype);
    ASSERT_EQ(got.shape, want.shape);
    if (want.dtype != io::RecordType::F32 && want.dtype != io::RecordType::F64) {
      EXPECT_EQ(got.bytes, want.bytes);
      continue;
    }
    const std::vector<double> a = floats_of(got), b = floats_of(want);
    ++compared;
    if (is_moment(want.name)) {
      if (l2_norm(b) <= 1e-5 * moment_scale) {
        EXPECT_LE(l2_norm(a), 1e-4 * moment_scale) << "a gradient at rounding level on the CPU is not on CUDA";
      } else {
        EXPECT_LE(l2_distance(a, b), 1e-3 * l2_norm(b));
      }
      continue;
    }
    size_t loose = 0;
    for (size_t i = 0; i < b.size(); ++i) {
      const double d = std::abs(a[i] - b[i]);
      if (d <= 1e-4 * std::abs(b[i]) + 1e-7) continue;
      ++loose;
      EXPECT_LE(d, 2.0 * lr * (1 + 1e-3)) << "element " << i << ": " << a[i] << " vs " << b[i];
    }
    if (std::find(noise.begin(), noise.end(), want.name) != noise.end()) continue;  // every element may differ
    EXPECT_LE(static_cast<double>(loose), std::max(1.0, 0.01 * static_cast<double>(b.size())))
        << loose << " of " << b.size() << " elements differ by more than 1e-4 relative";
  }
  EXPECT_GT(compared, 0);
}

// The batches with every image value scaled by 1 + sign * 1e-6 * (-1, 0 or +1).
std::vector<io::Batch> nudged(const std::vector<io::Batch>& batches, double sign) {
  const auto nudge = [sign](const Tensor& t) {
    if (!t.defined()) return t;
    std::vector<double> v = t.to_vector();
    for (size_t i = 0; i < v.size(); ++i) v[i] *= 1.0 + sign * 1e-6 * (static_cast<double>((i * 7919) % 3) - 1.0);
    return Tensor::from_vector(v, t.shape());
  };
  std::vector<io::Batch> out = batches;
  for (io::Batch& b : out) {
    b.images = nudge(b.images);
    b.images_b = nudge(b.images_b);
  }
  return out;
}

// Parity only means something away from kinks: a ReLU input or an L1
// difference within rounding of zero lets float32 on either device take
// either side, and then every gradient upstream of it differs. (Seen on an
// H200: in the CycleGAN instance of batch seed 24 one ReLU input of 1,024 was
// 2.5e-7; CUDA took the other side from the CPU and the generators' gradients
// differed by 1-4%; nudging the CPU's own images by 1e-7 moved them the same.)
// So the step is repeated on the CPU with its images nudged by 1e-6 relative,
// both ways: every first moment must stay within 1e-4 (smooth instances move
// ~1e-6). A failure here is the test's instance, not the kernels: change its seed.
template <typename Trainer, typename Make>
void expect_away_from_kinks(Make&& make, const std::vector<io::Batch>& batches) {
  Trainer base = make(Device::cpu());
  ASSERT_TRUE(base.train_step(batches).finite);
  const io::Checkpoint want = base.save_state();
  const double moment_scale = moment_scale_of(want);
  for (double sign : {1.0, -1.0}) {
    Trainer other = make(Device::cpu());
    ASSERT_TRUE(other.train_step(nudged(batches, sign)).finite);
    const io::Checkpoint got = other.save_state();
    for (const io::CheckpointRecord& r : want.records) {
      if (r.name.find("adam_m.") == std::string::npos || r.dtype != io::RecordType::F32) continue;
      const std::vector<double> a = floats_of(got.get(r.name)), b = floats_of(r);
      if (l2_norm(b) <= 1e-5 * moment_scale) continue;  // rounding level (see expect_states_match)
      EXPECT_LE(l2_distance(a, b), 1e-4 * l2_norm(b))
          << r.name << ": a 1e-6 nudge of the images moves it; the instance sits on a kink: change its seed";
    }
  }
}

// Runs the same step on a CPU and a CUDA trainer made by make(device), the
// CUDA one on the project's own gemm (no cuBLAS call).
template <typename Trainer, typename Make>
void expect_step_matches(Make&& make, const std::vector<io::Batch>& batches, double lr) {
  struct OwnGemm {
    GemmEngine saved = gemm_engine();
    OwnGemm() { set_gemm_engine(GemmEngine::Own); }
    ~OwnGemm() { set_gemm_engine(saved); }
  } own_gemm;
  Trainer cpu = make(Device::cpu());
  Trainer cuda = make(Device::cuda());
  const StepResult want = cpu.train_step(batches);
  const StepResult got = cuda.train_step(batches);
  ASSERT_TRUE(want.finite);
  EXPECT_TRUE(got.finite);
  expect_values_match(got.values, want.values);
  expect_states_match(cuda.save_state(), cpu.save_state(), lr);
}

DcganTrainer make_dcgan(GanLoss loss, Device device) {
  TrainSettings s = TrainSettings::for_loss(loss);
  s.model.image_size = 28;
  s.model.channels = 1;
  s.model.nz = 8;
  s.model.ngf = s.model.ndf = 8;
  s.seed = 21;
  s.device = device;
  s.sample_count = 4;
  return DcganTrainer(s);
}

std::vector<io::Batch> dcgan_batches(int64_t count) {
  Rng rng(22);
  std::vector<io::Batch> batches(static_cast<size_t>(count));
  for (io::Batch& b : batches) b.images = random_images(4, 1, 28, rng);
  return batches;
}

CycleGanTrainer make_cyclegan(Device device) {
  CycleGanSettings s;
  s.model.image_size = 16;
  s.model.channels = 1;
  s.model.ngf = s.model.ndf = 4;
  s.model.n_blocks = 1;
  s.pool_size = 4;
  s.recipe.seed = 23;
  s.recipe.device = device;
  return CycleGanTrainer(s);
}

Pix2PixTrainer make_pix2pix(Device device) {
  Pix2PixSettings s;
  s.model.image_size = 32;
  s.model.channels = 1;
  s.model.ngf = s.model.ndf = 4;
  s.model.d_layers = 2;
  s.recipe.seed = 25;
  s.recipe.device = device;
  return Pix2PixTrainer(s);
}

// One batch of both domains. (The seeds were 24 for CycleGAN and 26 for
// pix2pix until an H200 showed the first on a kink: see expect_away_from_kinks,
// which finds both on one.)
std::vector<io::Batch> translation_batch(uint64_t seed, int64_t size) {
  Rng rng(seed);
  io::Batch b;
  b.images = random_images(2, 1, size, rng);
  b.images_b = random_images(2, 1, size, rng);
  return {b};
}

const auto kDcganBce = [](Device d) { return make_dcgan(GanLoss::BCE, d); };
const auto kDcganWganGp = [](Device d) { return make_dcgan(GanLoss::WGAN_GP, d); };
std::vector<io::Batch> cyclegan_batch() { return translation_batch(27, 16); }
std::vector<io::Batch> pix2pix_batch() { return translation_batch(27, 32); }
std::vector<io::Batch> wgan_gp_batches() {
  return dcgan_batches(make_dcgan(GanLoss::WGAN_GP, Device::cpu()).batches_per_step());
}

// The instances the CUDA tests use are smooth: checked on the CPU, so in CI too.
TEST(TrainStepInstance, DcganBceIsAwayFromKinks) { expect_away_from_kinks<DcganTrainer>(kDcganBce, dcgan_batches(1)); }
TEST(TrainStepInstance, DcganWganGpIsAwayFromKinks) {
  expect_away_from_kinks<DcganTrainer>(kDcganWganGp, wgan_gp_batches());
}
TEST(TrainStepInstance, CycleGanIsAwayFromKinks) {
  expect_away_from_kinks<CycleGanTrainer>(make_cyclegan, cyclegan_batch());
}
TEST(TrainStepInstance, Pix2PixIsAwayFromKinks) {
  expect_away_from_kinks<Pix2PixTrainer>(make_pix2pix, pix2pix_batch());
}

TEST(CudaTrainStep, DcganBceMatchesTheCpu) {
  GAN_SKIP_WITHOUT_CUDA_DEVICE();
  expect_step_matches<DcganTrainer>(kDcganBce, dcgan_batches(1), kDcganBce(Device::cpu()).settings().lr);
}

TEST(CudaTrainStep, DcganWganGpMatchesTheCpu) {
  GAN_SKIP_WITHOUT_CUDA_DEVICE();
  expect_step_matches<DcganTrainer>(kDcganWganGp, wgan_gp_batches(), kDcganWganGp(Device::cpu()).settings().lr);
}

TEST(CudaTrainStep, CycleGanMatchesTheCpu) {
  GAN_SKIP_WITHOUT_CUDA_DEVICE();
  expect_step_matches<CycleGanTrainer>(make_cyclegan, cyclegan_batch(), 2e-4);
}

TEST(CudaTrainStep, Pix2PixMatchesTheCpu) {
  GAN_SKIP_WITHOUT_CUDA_DEVICE();
  expect_step_matches<Pix2PixTrainer>(make_pix2pix, pix2pix_batch(), 2e-4);
}

}  // namespace
}  // namespace gan::app
