// The memory estimate every command makes before it starts
// (apps/gan/memory_estimate.h): its arithmetic on a probe of known size, that
// it grows with the batch and the image size, that --dry-run prints it and
// writes nothing, that a run over the limit is refused with the estimate and
// what to lower, and that it is close to the peak a real run reaches.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "app_test_util.h"
#include "apps/gan/memory_estimate.h"
#include "core/allocator.h"
#include "translation_test_util.h"

namespace gan::app {
namespace {

namespace fs = std::filesystem;
using namespace testing;  // app_test_util.h, translation_test_util.h

// GAN_MEMORY_LIMIT_BYTES set for a scope.
class MemoryLimit {
 public:
  explicit MemoryLimit(const std::string& bytes) { setenv("GAN_MEMORY_LIMIT_BYTES", bytes.c_str(), 1); }
  ~MemoryLimit() { unsetenv("GAN_MEMORY_LIMIT_BYTES"); }
};

// The bytes of a --dry-run report's line `what` ("total", "activations"),
// from its rounded figure ("35 MiB").
double report_bytes(const std::string& report, const std::string& what) {
  std::istringstream in(report);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string first;
    fields >> first;
    if (first != what) continue;
    if (what == "gradients") fields >> first >> first >> first;  // "and optimizer state"
    if (what == "workspace") fields >> first >> first;           // "(snapshot, scratch)"
    double v = 0;
    std::string unit;
    fields >> v >> unit;
    for (const char* u : {"B", "KiB", "MiB", "GiB", "TiB"}) {
      if (unit == u) return v;
      v *= 1024;
    }
  }
  ADD_FAILURE() << "no '" << what << "' line in:\n" << report;
  return 0;
}

TEST(MemoryEstimate, ScalesTheMeasuredPerImageCostToTheBatch) {
  // A probe that holds 1000 floats whatever the batch, 250 per image, and
  // reports 400 bytes of them as parameters.
  const MemoryProbe probe = [](int64_t b) {
    const Tensor fixed = Tensor::zeros({1000});
    const Tensor per_image = Tensor::zeros({b, 250});
    return ProbeSizes{400, 0};
  };
  const MemoryEstimate e = estimate_memory(Device::cpu(), 64, "test", probe, /*extra=*/7);
  EXPECT_EQ(e.activations, 64u * 1000u);
  EXPECT_EQ(e.parameters, 400u);
  EXPECT_EQ(e.workspace, 4000u - 400u + 7u);
  EXPECT_EQ(e.total(), 4000u + 64u * 1000u + 7u);
  // Batch 1 needs no second probe, and gives the same numbers for one image.
  EXPECT_EQ(estimate_memory(Device::cpu(), 1, "test", probe).total(), 5000u);
  // What the probe leaves behind is not counted, nor what was allocated before it.
  const Tensor held = Tensor::zeros({100000});
  EXPECT_EQ(estimate_memory(Device::cpu(), 1, "test", probe).total(), 5000u);
}

TEST(MemoryEstimate, AvailableMemoryIsMeasuredOrTakenFromTheEnvironment) {
  const AvailableMemory host = available_memory(Device::cpu());
  EXPECT_GT(host.bytes, std::size_t{1} << 20) << host.source;
  MemoryLimit limit("12345");
  const AvailableMemory given = available_memory(Device::cpu());
  EXPECT_EQ(given.bytes, 12345u);
  EXPECT_EQ(given.source, "GAN_MEMORY_LIMIT_BYTES");
  MemoryLimit bad("12k");
  EXPECT_THROW(available_memory(Device::cpu()), ValueError);
}

TEST(MemoryEstimate, GrowsWithBatchAndImageSize) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 64, 64);
  const auto estimate = [&](const std::string& batch, const std::string& size, const std::string& what) {
    std::vector<std::string> args = tiny_train_args(data, dir + "/run", 2);
    set_option(args, "batch-size", batch);
    set_option(args, "image-size", size);
    set_option(args, "dry-run", "");
    const CliResult r = run_gan(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return report_bytes(r.out, what);
  };
  const double small = estimate("8", "28", "activations");
  EXPECT_GT(small, 0);
  // Activations are per image: 4x the batch, about 4x the bytes (3.6x with 8
  // threads, where batch 8 is measured as it is, its scratch counted in).
  EXPECT_GT(estimate("32", "28", "activations"), 3 * small);
  EXPECT_LT(estimate("32", "28", "activations"), 5 * small);
  EXPECT_GT(estimate("8", "64", "activations"), 3 * small);  // 64 px: over 5x the pixels
  EXPECT_GT(estimate("32", "28", "total"), estimate("8", "28", "total"));
}

TEST(MemoryEstimate, DryRunPrintsTheEstimateAndWritesNothing) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 16);
  std::vector<std::string> args = tiny_train_args(data, dir + "/run", 2);
  set_option(args, "dry-run", "");
  CliResult r = run_gan(args);
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* part : {"parameters", "gradients and optimizer state", "activations", "workspace", "total",
                           "available"})
    EXPECT_CONTAINS(r.out, part);
  EXPECT_CONTAINS(r.out, "batch 8 at 28 px");
  EXPECT_FALSE(fs::exists(dir + "/run"));

  // The translation commands too; an --out that exists is left as it was.
  fs::create_directories(dir + "/cyclegan");
  std::vector<std::string> cyclegan = tiny_cyclegan_args(write_unpaired_bars(dir + "/bars", 6), dir + "/cyclegan", 2);
  set_option(cyclegan, "dry-run", "");
  r = run_gan(cyclegan);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.out, "batch 2 at 16 px");
  EXPECT_TRUE(fs::is_empty(dir + "/cyclegan"));
  std::vector<std::string> pix2pix = tiny_pix2pix_args(write_paired_bars(dir + "/pairs", 4, 68), dir + "/p2p", 2);
  set_option(pix2pix, "dry-run", "");
  r = run_gan(pix2pix);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.out, "batch 2 at 64 px");
  EXPECT_FALSE(fs::exists(dir + "/p2p"));

  // A resumed run's dry run leaves its checkpoint alone.
  ASSERT_EQ(run_gan(tiny_train_args(data, dir + "/run", 2)).status, 0);
  const std::string before = read_text(dir + "/run/checkpoint.ckpt");
  r = run_gan({"train", "--out", dir + "/run", "--resume", "--steps", "4", "--device", "cpu", "--dry-run"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(dir + "/run/checkpoint.ckpt"), before);
}

TEST(MemoryEstimate, ARunThatDoesNotFitIsRefusedBeforeItStarts) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 16);
  const std::string pairs = write_paired_bars(dir + "/pairs", 4, 68);
  // Trained models for `sample` and `translate`, before the limit.
  ASSERT_EQ(run_gan(tiny_train_args(data, dir + "/dcgan", 1)).status, 0);
  ASSERT_EQ(run_gan(tiny_pix2pix_args(pairs, dir + "/trained", 1)).status, 0);

  MemoryLimit limit("100000");  // 98 KiB: less than any model needs
  const auto expect_refused = [&](const CliResult& r, const std::string& advice) {
    EXPECT_EQ(r.status, 1);
    EXPECT_CONTAINS(r.err, "not enough memory for this run: it needs about ");
    EXPECT_CONTAINS(r.err, "activations");
    EXPECT_CONTAINS(r.err, "but 98 KiB is available (GAN_MEMORY_LIMIT_BYTES)");
    EXPECT_CONTAINS(r.err, advice);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line:\n" << r.err;
  };
  expect_refused(run_gan(tiny_train_args(data, dir + "/run", 2)), "lower --batch-size or --image-size");
  EXPECT_FALSE(fs::exists(dir + "/run"));
  // --dry-run shows the breakdown, then refuses the same way.
  std::vector<std::string> args = tiny_train_args(data, dir + "/run", 2);
  set_option(args, "dry-run", "");
  const CliResult dry = run_gan(args);
  expect_refused(dry, "lower --batch-size");
  EXPECT_CONTAINS(dry.out, "available                      98 KiB (GAN_MEMORY_LIMIT_BYTES)");
  expect_refused(run_gan(tiny_cyclegan_args(write_unpaired_bars(dir + "/bars", 6), dir + "/cyclegan", 2)),
                 "lower --batch-size, --image-size or --load-size");
  expect_refused(run_gan(tiny_pix2pix_args(pairs, dir + "/p2p", 2)),
                 "lower --batch-size, --image-size or --load-size");
  EXPECT_FALSE(fs::exists(dir + "/cyclegan"));
  EXPECT_FALSE(fs::exists(dir + "/p2p"));
  // Sampling and translating: checked before anything is written.
  expect_refused(run_gan({"sample", "--checkpoint", dir + "/dcgan/checkpoint.ckpt", "--n", "64", "--out",
                          dir + "/grid.png", "--device", "cpu"}),
                 "lower --n");
  EXPECT_FALSE(fs::exists(dir + "/grid.png"));
  expect_refused(run_gan({"translate", "--checkpoint", dir + "/trained/checkpoint.ckpt", "--in", pairs + "/val",
                          "--out", dir + "/translated", "--device", "cpu"}),
                 "lower --image-size or --batch-size");
  EXPECT_FALSE(fs::exists(dir + "/translated"));
}

// The estimate (the total of --dry-run) and what the run then allocates at
// its peak (the engine's counters over the whole run: data batches, image
// pools, sample grids and checkpoint writes included).
void expect_estimate_near_peak(std::vector<std::string> args, double factor) {
  std::vector<std::string> dry = args;
  set_option(dry, "dry-run", "");
  const CliResult estimate = run_gan(dry);
  ASSERT_EQ(estimate.status, 0) << estimate.err;
  const double estimated = report_bytes(estimate.out, "total");
  const std::size_t before = memory_counters(Device::cpu()).bytes_in_use;
  reset_peak_memory(Device::cpu());
  const CliResult run = run_gan(args);
  ASSERT_EQ(run.status, 0) << run.err;
  const double measured = static_cast<double>(memory_counters(Device::cpu()).peak_bytes_in_use - before);
  EXPECT_GT(estimated, measured / factor) << args[0] << ": estimated " << estimated << ", measured " << measured;
  EXPECT_LT(estimated, measured * factor) << args[0] << ": estimated " << estimated << ", measured " << measured;
}

// Within 20 % either way at small sizes (measured: a DCGAN at 32 px 3 to 6 %
// under at batches 8 and 32, a CycleGAN at batch 8 2 % under).
TEST(MemoryEstimate, IsWithinAFactorOfTheMeasuredPeak) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 64, 32);
  for (const char* batch : {"8", "32"}) {
    std::vector<std::string> args = tiny_train_args(data, dir + "/run" + batch, 3);
    set_option(args, "batch-size", batch);
    set_option(args, "image-size", "32");
    set_option(args, "ngf", "16");
    set_option(args, "ndf", "16");
    expect_estimate_near_peak(args, 1.2);
  }
  std::vector<std::string> cyclegan = tiny_cyclegan_args(write_unpaired_bars(dir + "/bars", 8, 36), dir + "/cg", 3);
  set_option(cyclegan, "image-size", "32");
  set_option(cyclegan, "load-size", "36");
  set_option(cyclegan, "batch-size", "8");
  set_option(cyclegan, "ngf", "8");
  expect_estimate_near_peak(cyclegan, 1.2);
}

}  // namespace
}  // namespace gan::app
