// Tests for core/io/atomic_file: whole-file reads, atomic writes that never
// damage the previous file on failure, and the writable-directory probe.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>

#include "core/io/atomic_file.h"
#include "io_test_util.h"

namespace fs = std::filesystem;
using namespace gan::io;
using namespace gan::io::testing;

namespace {

std::vector<std::string> dir_entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

}  // namespace

TEST(AtomicFile, WriteThenReadBack) {
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "data.bin");
  const auto a = pattern(100000, 1);
  write_file_atomic(path, a.data(), a.size());
  EXPECT_EQ(read_file(path), a);

  // Overwriting replaces the contents completely (shorter data, no leftovers).
  const auto b = pattern(10, 9);
  write_file_atomic(path, b.data(), b.size());
  EXPECT_EQ(read_file(path), b);

  // Zero bytes is a valid file.
  write_file_atomic(path, nullptr, 0);
  EXPECT_TRUE(read_file(path).empty());
  EXPECT_EQ(fs::file_size(path), 0u);

  // Only the target remains: no temporaries left behind.
  EXPECT_EQ(dir_entries(dir), std::vector<std::string>{"data.bin"});
}

TEST(AtomicFile, BareFileNameUsesCurrentDirectory) {
  const std::string dir = scratch_dir();
  const fs::path old_cwd = fs::current_path();
  fs::current_path(dir);
  const auto a = pattern(33, 3);
  EXPECT_NO_THROW(write_file_atomic("bare.bin", a.data(), a.size()));
  fs::current_path(old_cwd);
  EXPECT_EQ(read_file(join(dir, "bare.bin")), a);
}

TEST(AtomicFile, MissingDirectoryFailsWithReason) {
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "no/such/dir/out.bin");
  const auto a = pattern(10, 0);
  const std::string msg = io_error_message([&] { write_file_atomic(path, a.data(), a.size()); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
}

TEST(AtomicFile, ReadOnlyDirectoryKeepsOldFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: permission bits do not stop writes";
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "keep.bin");
  const auto old_data = pattern(64, 5);
  write_file_atomic(path, old_data.data(), old_data.size());
  ASSERT_EQ(::chmod(dir.c_str(), 0555), 0);
  const auto new_data = pattern(64, 6);
  const std::string msg = io_error_message([&] { write_file_atomic(path, new_data.data(), new_data.size()); });
  ::chmod(dir.c_str(), 0755);
  EXPECT_NE(msg.find("Permission denied"), std::string::npos) << msg;
  EXPECT_EQ(read_file(path), old_data);
  EXPECT_EQ(dir_entries(dir), std::vector<std::string>{"keep.bin"});
}

TEST(AtomicFile, UnwritableSystemDirectoryFails) {
  // /proc refuses new files even for root, which makes this check portable.
  if (!fs::exists("/proc/self")) GTEST_SKIP() << "no /proc";
  const auto a = pattern(8, 0);
  const std::string msg = io_error_message([&] { write_file_atomic("/proc/gan_io_test.bin", a.data(), a.size()); });
  EXPECT_NE(msg.find("/proc/gan_io_test.bin"), std::string::npos) << msg;
}

// A write that fails half way (here: the file size limit, standing in for a
// full disk) must leave the old file untouched and remove the temporary.
TEST(AtomicFile, FailedWriteKeepsOldFileAndRemovesTemporary) {
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "model.ckpt");
  const auto old_data = pattern(1000, 11);
  write_file_atomic(path, old_data.data(), old_data.size());

  // RLIMIT_FSIZE makes write() fail with EFBIG once the file passes 4 KiB
  // (SIGXFSZ is ignored so the process is not killed). Restored on scope exit.
  struct LimitGuard {
    rlimit saved{};
    void (*saved_handler)(int) = nullptr;
    LimitGuard() {
      getrlimit(RLIMIT_FSIZE, &saved);
      saved_handler = std::signal(SIGXFSZ, SIG_IGN);
      rlimit lowered = saved;
      lowered.rlim_cur = 4096;
      setrlimit(RLIMIT_FSIZE, &lowered);
    }
    ~LimitGuard() {
      setrlimit(RLIMIT_FSIZE, &saved);
      std::signal(SIGXFSZ, saved_handler);
    }
  };
  std::string msg;
  {
    LimitGuard guard;
    const auto big = pattern(1 << 20, 12);
    msg = io_error_message([&] { write_file_atomic(path, big.data(), big.size()); });
  }
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("File too large"), std::string::npos) << msg;
  EXPECT_EQ(read_file(path), old_data);
  EXPECT_EQ(dir_entries(dir), std::vector<std::string>{"model.ckpt"});
}

TEST(AtomicFile, TargetIsDirectoryFailsAndCleansUp) {
  const std::string dir = scratch_dir();
  const std::string target = join(dir, "occupied");
  fs::create_directories(join(target, "inner"));
  const auto a = pattern(16, 1);
  const std::string msg = io_error_message([&] { write_file_atomic(target, a.data(), a.size()); });
  EXPECT_NE(msg.find("renaming"), std::string::npos) << msg;
  EXPECT_TRUE(fs::is_directory(join(target, "inner")));
  EXPECT_EQ(dir_entries(dir), std::vector<std::string>{"occupied"});
}

TEST(AtomicFile, ReadFileErrorsNameTheFile) {
  const std::string dir = scratch_dir();
  const std::string missing = join(dir, "missing.bin");
  std::string msg = io_error_message([&] { read_file(missing); });
  EXPECT_NE(msg.find(missing), std::string::npos) << msg;
  EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;

  msg = io_error_message([&] { read_file(dir); });
  EXPECT_NE(msg.find("directory"), std::string::npos) << msg;
}

TEST(AtomicFile, ReadFileOfNonRegularFile) {
  // /proc files report size 0 but have contents: read_file must read to EOF.
  if (!fs::exists("/proc/self/status")) GTEST_SKIP() << "no /proc";
  EXPECT_FALSE(read_file("/proc/self/status").empty());
}

TEST(AtomicFile, CheckWritableDirCreatesAndLeavesNoProbe) {
  const std::string dir = join(scratch_dir(), "a/b/c");
  ASSERT_FALSE(fs::exists(dir));
  check_writable_dir(dir);
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_TRUE(fs::is_empty(dir));
  check_writable_dir(dir);  // existing directory is fine too
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(AtomicFile, CheckWritableDirRejectsFilesAndUnwritablePlaces) {
  const std::string dir = scratch_dir();
  const std::string file = join(dir, "plain.txt");
  write_bytes(file, {1, 2, 3});

  std::string msg = io_error_message([&] { check_writable_dir(file); });
  EXPECT_NE(msg.find("not a directory"), std::string::npos) << msg;

  const std::string below_file = join(file, "sub");
  msg = io_error_message([&] { check_writable_dir(below_file); });
  EXPECT_NE(msg.find(below_file), std::string::npos) << msg;

  if (fs::exists("/proc/self")) {
    msg = io_error_message([&] { check_writable_dir("/proc/gan_io_test_dir"); });
    EXPECT_NE(msg.find("/proc/gan_io_test_dir"), std::string::npos) << msg;
  }

  if (::geteuid() != 0) {
    const std::string ro = join(dir, "readonly");
    fs::create_directories(ro);
    ASSERT_EQ(::chmod(ro.c_str(), 0555), 0);
    msg = io_error_message([&] { check_writable_dir(ro); });
    ::chmod(ro.c_str(), 0755);
    EXPECT_NE(msg.find("not writable"), std::string::npos) << msg;
  }
}
