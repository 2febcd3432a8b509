// Helpers shared by the I/O tests: a fresh scratch directory per test (ctest
// runs tests in parallel, so each gets its own) and small file utilities.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"

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

}  // namespace gan::io::testing
