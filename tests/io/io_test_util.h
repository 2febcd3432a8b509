// Helpers shared by the I/O tests: a fresh scratch directory per test (ctest
// runs tests in parallel, so each gets its own), small file utilities, and a
// tiny synthetic MNIST-style data set written as IDX files (the app's tests
// train on it too).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/io/idx.h"
#include "core/random.h"

// EXPECT that `text` contains `part`, showing the text when it does not.
#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "'" << (part) << "' not in:\n" << (text)

namespace gan::io::testing {

// An empty directory GAN_TEST_TMPDIR/io/<suite>.<test>, created fresh.
inline std::string scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::path(GAN_TEST_TMPDIR) / "io" /
                              (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline std::string join(const std::string& dir, const std::string& name) {
  return (std::filesystem::path(dir) / name).string();
}

// Plain writes for test fixtures (deliberately not the code under test).
inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "test fixture: cannot write " << path;
}

inline std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Runs fn, expects an IoError, and returns its message ("" if none was thrown).
template <typename Fn>
std::string io_error_message(Fn&& fn) {
  try {
    fn();
  } catch (const gan::IoError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected gan::IoError, got another exception: " << e.what();
    return std::string("<wrong exception> ") + e.what();
  }
  ADD_FAILURE() << "expected gan::IoError, nothing was thrown";
  return "";
}

// n images of size x size in an MNIST-style directory (train split): class 0 a
// bright horizontal bar, class 1 a vertical one, at random positions on a dark,
// lightly noisy background. Easy for a discriminator to tell from G's early noise.
// With `test_split` a second, smaller set of the same kind is written as the test split (t10k-*).
inline std::string write_bar_dataset(const std::string& dir, int64_t n, int64_t size = 28, uint64_t seed = 7,
                                     bool test_split = false) {
  Rng rng(seed);
  IdxArray images{{n, size, size}, std::vector<uint8_t>(static_cast<size_t>(n * size * size))};
  IdxArray labels{{n}, std::vector<uint8_t>(static_cast<size_t>(n))};
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
  write_idx(dir + "/train-images-idx3-ubyte", images);
  write_idx(dir + "/train-labels-idx1-ubyte", labels);
  if (test_split) {
    const std::string test_dir = dir + "/.test";
    write_bar_dataset(test_dir, n / 2, size, seed + 1);
    std::filesystem::rename(test_dir + "/train-images-idx3-ubyte", dir + "/t10k-images-idx3-ubyte");
    std::filesystem::rename(test_dir + "/train-labels-idx1-ubyte", dir + "/t10k-labels-idx1-ubyte");
    std::filesystem::remove_all(test_dir);
  }
  return dir;
}

}  // namespace gan::io::testing
