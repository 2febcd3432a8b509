// Faults a long training run must survive (docs/reliability.md): a kill in the
// middle of writing a checkpoint, Ctrl-C, a full disk (a file-size limit), and
// NaN. The signal tests run the real `gan` binary as a child process.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "app_test_util.h"
#include "core/cuda_runtime.h"
#include "core/io/atomic_file.h"
#include "core/io/checkpoint_format.h"

namespace gan::app {
namespace {

namespace fs = std::filesystem;
using testing::CliResult;
using testing::expect_same_records;
using testing::read_text;
using testing::run_gan;
using testing::scratch_dir;
using testing::set_option;
using testing::tiny_train_args;
using testing::write_bar_dataset;

size_t csv_rows(const std::string& path) {
  const std::string text = read_text(path);
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  return lines > 0 ? lines - 1 : 0;
}

#ifdef GAN_APP_BINARY
// The `gan` binary as a child process with its output in `log`, optionally
// under a file-size limit (bytes; 0: none).
pid_t spawn_gan(const std::vector<std::string>& args, const std::string& log, rlim_t file_limit = 0,
                rlim_t memory_limit = 0) {
  // Nothing buffered may be left for the child to flush: with this process's
  // output going to a long log file, that flush would itself exceed the limit.
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    // Redirect first, then limit: the limit is for what `gan` writes.
    if (!freopen(log.c_str(), "w", stdout) || !freopen(log.c_str(), "a", stderr)) _exit(126);
    if (file_limit > 0) {
      const rlimit lim{file_limit, file_limit};
      setrlimit(RLIMIT_FSIZE, &lim);
    }
    if (memory_limit > 0) {  // address space, as `ulimit -v` sets it
      const rlimit lim{memory_limit, memory_limit};
      setrlimit(RLIMIT_AS, &lim);
    }
    std::vector<char*> argv{const_cast<char*>(GAN_APP_BINARY)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(GAN_APP_BINARY, argv.data());
    _exit(127);
  }
  return pid;
}

// Waits for the child; its exit code, or 128 + the signal that ended it.
int wait_status(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Polls until `done` holds (true) or ~20 s pass (false).
template <typename F>
bool wait_for(F&& done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(Faults, CtrlCStopsAfterACheckpointAndResumeFinishesTheRun) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 32);
  const pid_t pid = spawn_gan(tiny_train_args(data, dir + "/run", 100000), dir + "/log.txt");
  ASSERT_TRUE(wait_for([&] { return csv_rows(dir + "/run/losses.csv") >= 3; })) << read_text(dir + "/log.txt");
  kill(pid, SIGINT);
  EXPECT_EQ(wait_status(pid), 130) << read_text(dir + "/log.txt");
  EXPECT_CONTAINS(read_text(dir + "/log.txt"), "interrupted (SIGINT) at step");
  // tiny_train_args runs --quiet: no progress line, not even the final one.
  EXPECT_EQ(read_text(dir + "/log.txt").find("/100000"), std::string::npos) << read_text(dir + "/log.txt");
  // The checkpoint holds the step of the last logged row (the interrupted step).
  const io::Checkpoint ck = io::load_checkpoint(dir + "/run/checkpoint.ckpt");
  const int64_t step = std::stoll(ck.meta("step"));
  EXPECT_GE(step, 3);
  EXPECT_EQ(csv_rows(dir + "/run/losses.csv"), static_cast<size_t>(step));
  const CliResult r = run_gan({"train", "--out", dir + "/run", "--resume", "--steps", std::to_string(step + 2),
                               "--log-every", "1", "--device", "cpu", "--quiet"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(csv_rows(dir + "/run/losses.csv"), static_cast<size_t>(step + 2));
}

// What a scheduler, `timeout` or a container stop sends (SIGTERM), and what a
// dropped terminal sends (SIGHUP), stop the run as Ctrl-C does: the step
// finishes, the checkpoint is written, the status is 128 + the signal.
TEST(Faults, SigtermAndSighupStopAfterACheckpoint) {
  for (const auto& [sig, name] : {std::pair{SIGTERM, "SIGTERM"}, std::pair{SIGHUP, "SIGHUP"}}) {
    SCOPED_TRACE(name);
    const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 32);
    const pid_t pid = spawn_gan(tiny_train_args(data, dir + "/run", 100000), dir + "/log.txt");
    ASSERT_TRUE(wait_for([&] { return csv_rows(dir + "/run/losses.csv") >= 2; })) << read_text(dir + "/log.txt");
    kill(pid, sig);
    EXPECT_EQ(wait_status(pid), 128 + sig) << read_text(dir + "/log.txt");
    EXPECT_CONTAINS(read_text(dir + "/log.txt"), std::string("interrupted (") + name + ") at step");
    const io::Checkpoint ck = io::load_checkpoint(dir + "/run/checkpoint.ckpt");
    EXPECT_EQ(csv_rows(dir + "/run/losses.csv"), static_cast<size_t>(std::stoll(ck.meta("step"))));
  }
}

// A run that needs more memory than it may have ends with the out-of-memory
// message and status 1, wherever the allocation fails (the engine's allocator,
// or a kernel's scratch inside an OpenMP region, which once ended in
// std::terminate, status 134).
TEST(Faults, OutOfMemoryIsAnErrorNotACrash) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer reserves terabytes of address space: an address-space limit stops it first";
#else
  if (cuda::available()) GTEST_SKIP() << "a CUDA driver reserves address space beyond the limit this test sets";
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 256, 64);
  const std::vector<std::string> args = {"train",        "--dataset", "idx:" + data, "--image-size", "64",
                                         "--batch-size", "256",       "--steps",     "2",            "--out",
                                         dir + "/run",   "--device",  "cpu",         "--quiet"};
  const pid_t pid = spawn_gan(args, dir + "/log.txt", 0, rlim_t{1} << 30);  // 1 GiB; the run needs several
  EXPECT_EQ(wait_status(pid), 1) << read_text(dir + "/log.txt");
  const std::string log = read_text(dir + "/log.txt");
  EXPECT_CONTAINS(log, "out of host memory");
  EXPECT_CONTAINS(log, "lower --batch-size or --image-size");
  EXPECT_EQ(log.find("terminate"), std::string::npos) << log;
  // The advice names the command's own options: `sample` has --n, no --batch-size.
  ASSERT_EQ(run_gan(tiny_train_args(write_bar_dataset(dir + "/small", 16), dir + "/tiny", 1)).status, 0);
  const pid_t sample = spawn_gan({"sample", "--checkpoint", dir + "/tiny/checkpoint.ckpt", "--n", "400000", "--out",
                                  dir + "/grid.png", "--device", "cpu"},
                                 dir + "/sample_log.txt", 0, rlim_t{1} << 30);
  EXPECT_EQ(wait_status(sample), 1) << read_text(dir + "/sample_log.txt");
  EXPECT_CONTAINS(read_text(dir + "/sample_log.txt"), "lower --n");
  EXPECT_FALSE(fs::exists(dir + "/grid.png"));
#endif
}

TEST(Faults, ASecondRunInTheSameDirectoryIsRefused) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 32);
  const pid_t pid = spawn_gan(tiny_train_args(data, dir + "/run", 100000), dir + "/log.txt");
  ASSERT_TRUE(wait_for([&] { return csv_rows(dir + "/run/losses.csv") >= 1; })) << read_text(dir + "/log.txt");
  std::vector<std::string> args = tiny_train_args(data, dir + "/run", 100000);
  set_option(args, "resume", "");
  const CliResult r = run_gan(args);
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "another 'gan' training run is already running in");
  kill(pid, SIGINT);
  EXPECT_EQ(wait_status(pid), 130);
}

TEST(Faults, KillDuringCheckpointWritesNeverLosesTheRun) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 32);
  const int64_t steps = 30;
  // The uninterrupted reference.
  ASSERT_EQ(run_gan(tiny_train_args(data, dir + "/straight", steps)).status, 0);
  // The same run, checkpointing every step (so most of its time is spent writing
  // checkpoints), killed with SIGKILL at several moments and resumed each time.
  std::vector<std::string> args = tiny_train_args(data, dir + "/run", steps);
  set_option(args, "checkpoint-every", "1");
  int kills_inside_a_write = 0;
  for (int kill_round = 0; kill_round < 4; ++kill_round) {
    std::vector<std::string> a = args;
    if (kill_round > 0) set_option(a, "resume", "");
    const int64_t before = fs::exists(dir + "/run/checkpoint.ckpt")
                               ? std::stoll(io::load_checkpoint(dir + "/run/checkpoint.ckpt").meta("step"))
                               : -1;
    const pid_t pid = spawn_gan(a, dir + "/log.txt");
    // Let it get a few steps past where it started, then kill it mid-flight.
    wait_for([&] { return csv_rows(dir + "/run/losses.csv") >= static_cast<size_t>(before + 3); });
    std::this_thread::sleep_for(std::chrono::milliseconds(3 * kill_round));
    kill(pid, SIGKILL);
    wait_status(pid);
    // Whatever the moment, the checkpoint in place is complete and valid. (A
    // leftover temporary shows a kill that landed inside a write; the next
    // run removes it.)
    for (const auto& e : fs::directory_iterator(dir + "/run"))
      if (e.path().filename().string().rfind(".checkpoint.ckpt.tmp.", 0) == 0) ++kills_inside_a_write;
    const io::Checkpoint ck = io::load_checkpoint(dir + "/run/checkpoint.ckpt");
    EXPECT_GE(std::stoll(ck.meta("step")), before);
  }
  RecordProperty("kills_inside_a_checkpoint_write", kills_inside_a_write);
  // Resume to the end: the result is exactly the uninterrupted run's.
  set_option(args, "resume", "");
  const CliResult r = run_gan(args);
  ASSERT_EQ(r.status, 0) << r.err;
  for (const auto& e : fs::directory_iterator(dir + "/run"))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << "stale " << e.path();
  expect_same_records(dir + "/straight/checkpoint.ckpt", dir + "/run/checkpoint.ckpt");
  EXPECT_EQ(read_text(dir + "/straight/losses.csv"), read_text(dir + "/run/losses.csv"));
}

TEST(Faults, FullDiskStopsClearlyAndKeepsTheLastCheckpoint) {
  // A file-size limit (RLIMIT_FSIZE, what `ulimit -f` sets) makes writes past it
  // fail like a full disk. A minimal model keeps the checkpoint smaller than
  // the loss log will grow, so the log is what hits the limit mid-run.
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 32);
  auto minimal = [&](const std::string& out, int64_t steps) {
    std::vector<std::string> args = tiny_train_args(data, out, steps);
    for (const char* width : {"nz", "ngf", "ndf"}) set_option(args, width, "2");
    return args;
  };
  ASSERT_EQ(run_gan(minimal(dir + "/probe", 1)).status, 0);
  const auto ckpt_size = static_cast<rlim_t>(fs::file_size(dir + "/probe/checkpoint.ckpt"));
  ASSERT_LT(ckpt_size + 1000, 600 * 35u) << "the log of 600 steps (~40 bytes a row) must outgrow the limit";

  // No room for the first checkpoint: the run fails before training a step.
  EXPECT_EQ(wait_status(spawn_gan(minimal(dir + "/small", 600), dir + "/log1.txt", ckpt_size / 2)), 1);
  EXPECT_CONTAINS(read_text(dir + "/log1.txt"), "checkpoint.ckpt");
  EXPECT_EQ(csv_rows(dir + "/small/losses.csv"), 0u);
  EXPECT_FALSE(fs::exists(dir + "/small/checkpoint.ckpt"));

  // Room for checkpoints, but the log outgrows the limit: the run stops with an
  // error naming the file, and the last checkpoint is intact.
  std::vector<std::string> args = minimal(dir + "/mid", 600);
  set_option(args, "checkpoint-every", "5");
  EXPECT_EQ(wait_status(spawn_gan(args, dir + "/log2.txt", ckpt_size + 1000)), 1);
  const std::string log = read_text(dir + "/log2.txt");
  EXPECT_CONTAINS(log, "losses.csv");
  EXPECT_CONTAINS(log, "disk full");
  const io::Checkpoint ck = io::load_checkpoint(dir + "/mid/checkpoint.ckpt");
  EXPECT_GT(std::stoll(ck.meta("step")), 0);
}
#endif  // GAN_APP_BINARY

TEST(Faults, NanIsReportedWithTheStepAndTheLayer) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 16);
  // An absurd learning rate blows the weights up within a step or two.
  std::vector<std::string> args = tiny_train_args(data, dir + "/run", 20);
  set_option(args, "lr", "1e30");
  CliResult r = run_gan(args);
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "training produced NaN or Inf at step ");
  EXPECT_CONTAINS(r.err, "layer ");
  EXPECT_CONTAINS(r.err, "last good checkpoint is kept");
  EXPECT_NO_THROW(io::load_checkpoint(dir + "/run/checkpoint.ckpt"));

  // --on-nan rollback: back to the checkpoint with half the rate, three times, then stop.
  set_option(args, "out", dir + "/rollback");
  set_option(args, "on-nan", "rollback");
  set_option(args, "quiet", "");
  r = run_gan(args);
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "rolled back to step 0");
  EXPECT_CONTAINS(r.err, "rollback 3 of 3");
  EXPECT_CONTAINS(r.err, "after 3 rollbacks");
}

}  // namespace
}  // namespace gan::app
