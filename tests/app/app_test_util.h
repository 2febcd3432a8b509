// Helpers for the tests of the training app: a scratch directory per test, the
// tiny synthetic MNIST-style data set of io/io_test_util.h, and in-process runs
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
#include "io/io_test_util.h"  // EXPECT_CONTAINS, write_bar_dataset

namespace gan::app::testing {

using io::testing::write_bar_dataset;

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
