// Data-parallel training under mpirun (docs/distributed.md): 2 ranks with
// --sync-bn against one process with the same global batch, rank-0-only
// output, resuming across rank counts, and how a run ends when a rank fails
// or is killed. Built only when CMake found MPI (tests/CMakeLists.txt); each
// run is a tiny model on 1 thread per rank, a few seconds at most.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "app_test_util.h"

namespace gan::app {
namespace {

using testing::read_text;
using testing::scratch_dir;
using testing::write_bar_dataset;

namespace fs = std::filesystem;

// How close N ranks with --sync-bn come to one process: float32 sums over
// other partitions of the batch (per-rank partial sums, then the all-reduce)
// round differently, by ~1e-7 relative per operation; 20 Adam steps on a tiny
// model keep that far below 1e-4 (measured: equal in all 6 printed digits).
// Without --sync-bn the runs differ by ~1e-2 (batch statistics of half the
// batch), which the test also checks, so the tolerance is known to be tight
// enough to see a real difference.
constexpr double kRelTolerance = 1e-4;

struct ShellRun {
  int status = -1;
  std::string output;
};

// `command` through the shell with a time limit, stdout and stderr captured.
ShellRun shell(const std::string& command, const std::string& log, int timeout_s = 120) {
  const std::string line = "timeout -k 5 " + std::to_string(timeout_s) + " " + command + " > '" + log + "' 2>&1";
  const int raw = std::system(line.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw), read_text(log)};
}

// mpirun's own settings for this machine: root is allowed (CI containers run
// as root), and more ranks than cores.
void mpi_environment() {
  setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
  setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 1);
}

std::string joined(const std::vector<std::string>& args) {
  std::string s;
  for (const std::string& a : args) s += " '" + a + "'";
  return s;
}

std::string gan_command(int ranks, const std::vector<std::string>& args) {
  mpi_environment();
  const std::string gan = std::string(GAN_APP_BINARY) + joined(args);
  return ranks == 1 ? gan : std::string(GAN_MPIEXEC) + " -np " + std::to_string(ranks) + " " + gan;
}

std::vector<std::string> tiny_args(const std::string& data, const std::string& out, int64_t steps, bool sync_bn) {
  std::vector<std::string> a = testing::tiny_train_args(data, out, steps);
  a.insert(a.end(), {"--threads", "1"});
  if (sync_bn) a.push_back("--sync-bn");
  return a;
}

// losses.csv as numbers: step, loss_D, loss_G, D_x, D_G_z per row.
std::vector<std::vector<double>> read_losses(const std::string& path) {
  std::istringstream in(read_text(path));
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::istringstream fields(line);
    std::string f;
    for (int i = 0; i < 5 && std::getline(fields, f, ','); ++i) row.push_back(std::stod(f));
    rows.push_back(row);
  }
  return rows;
}

// The largest relative difference of the logged numbers of steps first..last.
double max_rel_difference(const std::string& csv_a, const std::string& csv_b, int64_t first, int64_t last) {
  const auto a = read_losses(csv_a), b = read_losses(csv_b);
  double worst = 0;
  int64_t compared = 0;
  for (const auto& ra : a)
    for (const auto& rb : b) {
      if (ra[0] != rb[0] || ra[0] < first || ra[0] > last) continue;
      for (size_t i = 1; i < ra.size(); ++i)
        worst = std::max(worst, std::abs(ra[i] - rb[i]) / std::max({std::abs(ra[i]), std::abs(rb[i]), 1e-3}));
      ++compared;
    }
  EXPECT_EQ(compared, last - first + 1) << "steps " << first << ".." << last << " missing in " << csv_a << " or "
                                        << csv_b;
  return worst;
}

int count(const std::string& text, const std::string& part) {
  int n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(Distributed, TwoRanksWithSyncBnMatchOneProcessWithTheGlobalBatch) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 64);
  const ShellRun one = shell(gan_command(1, tiny_args(data, dir + "/one", 20, true)), dir + "/one.log");
  ASSERT_EQ(one.status, 0) << one.output;
  // Without --quiet: the progress and the header must come from rank 0 alone.
  std::vector<std::string> args = tiny_args(data, dir + "/two", 20, true);
  args.erase(std::find(args.begin(), args.end(), "--quiet"));
  const ShellRun two = shell(gan_command(2, args), dir + "/two.log");
  ASSERT_EQ(two.status, 0) << two.output;
  EXPECT_EQ(count(two.output, "gan train: loading"), 1) << two.output;
  EXPECT_EQ(count(two.output, "gan train: done."), 1) << two.output;
  EXPECT_LE(max_rel_difference(dir + "/one/losses.csv", dir + "/two/losses.csv", 1, 20), kRelTolerance);
  // The one run directory: the files of one run, written once.
  EXPECT_TRUE(fs::exists(dir + "/two/checkpoint.ckpt"));
  EXPECT_EQ(read_losses(dir + "/two/losses.csv").size(), 20u);

  // Per-rank batch statistics (the default) are a different computation: the
  // comparison above is sharp enough to tell.
  const ShellRun per_rank = shell(gan_command(2, tiny_args(data, dir + "/per_rank", 20, false)), dir + "/per_rank.log");
  ASSERT_EQ(per_rank.status, 0) << per_rank.output;
  EXPECT_GT(max_rel_difference(dir + "/one/losses.csv", dir + "/per_rank/losses.csv", 1, 20), 10 * kRelTolerance);
}

TEST(Distributed, ResumeAcrossRankCountsContinuesTheSameRun) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 64);
  ASSERT_EQ(shell(gan_command(1, tiny_args(data, dir + "/straight", 20, true)), dir + "/s.log").status, 0);

  // 2 ranks to step 10, then one process to 20.
  ShellRun r = shell(gan_command(2, tiny_args(data, dir + "/two_one", 10, true)), dir + "/a.log");
  ASSERT_EQ(r.status, 0) << r.output;
  r = shell(gan_command(1, {"train", "--out", dir + "/two_one", "--resume", "--steps", "20", "--device", "cpu",
                            "--threads", "1", "--quiet"}),
            dir + "/b.log");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_LE(max_rel_difference(dir + "/straight/losses.csv", dir + "/two_one/losses.csv", 1, 20), kRelTolerance);

  // One process to step 10, then 2 ranks to 20 (rank 1 gets the checkpoint from rank 0).
  r = shell(gan_command(1, tiny_args(data, dir + "/one_two", 10, true)), dir + "/c.log");
  ASSERT_EQ(r.status, 0) << r.output;
  r = shell(gan_command(2, {"train", "--out", dir + "/one_two", "--resume", "--steps", "20", "--device", "cpu",
                            "--threads", "1", "--quiet", "--sync-bn"}),
            dir + "/d.log");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_LE(max_rel_difference(dir + "/straight/losses.csv", dir + "/one_two/losses.csv", 1, 20), kRelTolerance);
}

TEST(Distributed, AFailingRankStopsEveryRankWithItsMessage) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 64);
  std::vector<std::string> args = tiny_args(data, dir + "/run", 5, false);
  testing::set_option(args, "batch-size", "7");
  const auto start = std::chrono::steady_clock::now();
  const ShellRun r = shell(gan_command(2, args), dir + "/run.log", 60);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.status, 124) << "the ranks hung until the time limit:\n" << r.output;
  EXPECT_LT(seconds, 30);
  EXPECT_CONTAINS(r.output, "does not split evenly over 2 ranks");
  EXPECT_CONTAINS(r.output, "gan: error on rank");
}

TEST(Distributed, AKilledRankEndsTheRunInsteadOfHangingIt) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 64);
  // A long run in the background; its mpirun's pid and status go to files.
  const std::string script = dir + "/run.sh";
  std::ofstream(script) << gan_command(2, tiny_args(data, dir + "/run", 1000000, false)) << " > '" << dir
                        << "/run.log' 2>&1 &\necho $! > '" << dir << "/pid'\nwait $!\necho $? > '" << dir
                        << "/status'\n";
  ASSERT_EQ(std::system(("sh '" + script + "' &").c_str()), 0);
  const auto wait_for = [](const std::function<bool()>& done, double seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!done() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return done();
  };
  // Training has begun on both ranks once steps are logged.
  ASSERT_TRUE(wait_for([&] { return read_losses(dir + "/run/losses.csv").size() >= 3; }, 60)) << read_text(dir + "/run.log");
  const std::string mpirun_pid = read_text(dir + "/pid");
  const std::string children =
      read_text("/proc/" + std::to_string(std::stoi(mpirun_pid)) + "/task/" + std::to_string(std::stoi(mpirun_pid)) +
                "/children");
  std::istringstream ids(children);
  std::vector<int> ranks;
  for (int id = 0; ids >> id;) ranks.push_back(id);
  ASSERT_EQ(ranks.size(), 2u) << "mpirun's children: '" << children << "'";
  ASSERT_EQ(kill(ranks[1], SIGKILL), 0);
  // The survivor must not wait forever for its dead peer.
  ASSERT_TRUE(wait_for([&] { return !read_text(dir + "/status").empty(); }, 30))
      << "mpirun still runs 30 s after a rank was killed:\n" << read_text(dir + "/run.log");
  EXPECT_NE(std::stoi(read_text(dir + "/status")), 0);
  const std::string log = read_text(dir + "/run.log");
  EXPECT_CONTAINS(log, "signal 9");
  // What the run saved before is intact: its step-0 checkpoint.
  EXPECT_NO_THROW(io::load_checkpoint(dir + "/run/checkpoint.ckpt"));
}

}  // namespace
}  // namespace gan::app
