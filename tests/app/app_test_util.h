// Helpers for the tests of the training app: a scratch directory per test, a
// tiny synthetic MNIST-style data set written as IDX files, and in-process runs
// of the `gan` command line.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "apps/gan/app.h"
#include "core/io/atomic_file.h"
#include "core/io/checkpoint_format.h"
#include "core/io/idx.h"
#include "core/random.h"

// EXPECT that `text` contains `part`, showing the text when it does not.
#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "'" << (part) << "' not in:\n" << (text)

namespace gan::app::testing {

// A file's bytes as text; "" when it does not exist.
inline std::string read_text(const std::string& path) {
  if (!std::filesystem::exists(path)) return "";
  const std::vector<uint8_t> b = io::read_file(path);
  return std::string(b.begin(), b.end());
}

// Two training checkpoints hold the same records, bit for bit (what exact
// resumption promises).
inline void expect_same_records(const std::string& path_a, const std::string& path_b) {
  const io::Checkpoint a = io::load_checkpoint(path_a), b = io::load_checkpoint(path_b);
  ASSERT_EQ(a.records.size(), b.records.size());
  for (size_t i = 0; i < a.records.size(); ++i) {
    EXPECT_EQ(a.records[i].name, b.records[i].name);
    EXPECT_TRUE(a.records[i].bytes == b.records[i].bytes) << a.records[i].name << " differs";
  }
}

// An empty directory GAN_TEST_TMPDIR/app/<suite>.<test>, created fresh.
inline std::string scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir = std::filesystem::path(GAN_TEST_TMPDIR) / "app" /
                                    (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// n images of size x size in an MNIST-style directory (train split): class 0 a
// bright horizontal bar, class 1 a vertical one, at random positions on a dark,
// lightly noisy background. Easy for a discriminator to tell from G's early noise.
// With `test_split` a second, smaller set of the same kind is written as the test split (t10k-*).
inline std::string write_bar_dataset(const std::string& dir, int64_t n, int64_t size = 28, uint64_t seed = 7,
                                     bool test_split = false) {
  Rng rng(seed);
  io::IdxArray images{{n, size, size}, std::vector<uint8_t>(static_cast<size_t>(n * size * size))};
  io::IdxArray labels{{n}, std::vector<uint8_t>(static_cast<size_t>(n))};
  for (int64_t i = 0; i < n; ++i) {
    const int64_t cls = i % 2, at = 4 + static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(size - 8)));
    labels.data[static_cast<size_t>(i)] = static_cast<uint8_t>(cls);
    for (int64_t y = 0; y < size; ++y)
      for (int64_t x = 0; x < size; ++x) {
        const bool on = cls == 0 ? (y >= at && y < at + 3) : (x >= at && x < at + 3);
        const auto noise = static_cast<uint8_t>(rng.next_below(20));
        images.data[static_cast<size_t>((i * size + y) * size + x)] = on ? static_cast<uint8_t>(235 + noise) : noise;
      }
  }
  std::filesystem::create_directories(dir);
  io::write_idx(dir + "/train-images-idx3-ubyte", images);
  io::write_idx(dir + "/train-labels-idx1-ubyte", labels);
  if (test_split) {
    const std::string test_dir = dir + "/.test";
    write_bar_dataset(test_dir, n / 2, size, seed + 1);
    std::filesystem::rename(test_dir + "/train-images-idx3-ubyte", dir + "/t10k-images-idx3-ubyte");
    std::filesystem::rename(test_dir + "/train-labels-idx1-ubyte", dir + "/t10k-labels-idx1-ubyte");
    std::filesystem::remove_all(test_dir);
  }
  return dir;
}

struct CliResult {
  int status = -1;
  std::string out, err;
};

// Runs `gan args...` in-process. Handlers print results on std::cout and
// progress and messages on std::cerr, which are captured into `out` and `err`
// for the duration.
inline CliResult run_gan(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  CliResult r;
  std::streambuf* saved_out = std::cout.rdbuf(out.rdbuf());
  std::streambuf* saved_err = std::cerr.rdbuf(err.rdbuf());
  r.status = run_cli(args, out, err);
  std::cout.rdbuf(saved_out);
  std::cerr.rdbuf(saved_err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// The options of a tiny, fast DCGAN run on `data` writing into `out`.
inline std::vector<std::string> tiny_train_args(const std::string& data, const std::string& out, int64_t steps) {
  return {"train",      "--dataset", "idx:" + data, "--out",   out,  "--steps",       std::to_string(steps),
          "--image-size", "28",      "--nz",        "8",       "--ngf", "8",          "--ndf",
          "8",          "--batch-size", "8",        "--device", "cpu", "--log-every", "1",
          "--sample-every", "0",     "--quiet"};
}

// Sets --name to value in args (replacing a given value), or adds the flag
// --name when value is empty.
inline void set_option(std::vector<std::string>& args, const std::string& name, const std::string& value) {
  const std::string flag = "--" + name;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] != flag) continue;
    if (!value.empty()) args.at(i + 1) = value;
    return;
  }
  args.push_back(flag);
  if (!value.empty()) args.push_back(value);
}

}  // namespace gan::app::testing
