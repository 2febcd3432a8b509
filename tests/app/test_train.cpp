// The DCGAN training run end to end through the `gan` command line (in-process),
// on a tiny synthetic data set: exact resumption, D learning to separate real
// from fake, checkpoints that reject the wrong model or damage, sampling, and
// clear errors for bad runs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app_test_util.h"
#include "apps/gan/commands.h"
#include "apps/gan/dcgan_trainer.h"
#include "core/io/atomic_file.h"
#include "core/io/checkpoint_format.h"
#include "core/io/image.h"
#include "core/io/png_grid.h"

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

// The rows of losses.csv as parsed numbers (header dropped).
std::vector<std::vector<double>> csv_rows(const std::string& path) {
  std::istringstream in(read_text(path));
  std::string line;
  std::getline(in, line);
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::istringstream fields(line);
    // An empty field (a metric not measured at that step) reads as NaN.
    for (std::string f; std::getline(fields, f, ',');) row.push_back(f.empty() ? std::nan("") : std::stod(f));
    rows.push_back(row);
  }
  return rows;
}

TEST(Train, ResumedRunEqualsUninterruptedRunBitForBit) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 40);
  // 12 steps straight (the epoch is 5 batches, so the data order crosses two epoch boundaries).
  ASSERT_EQ(run_gan(tiny_train_args(data, dir + "/straight", 12)).status, 0);
  // 5 steps, then a resume to 12 that repeats none of the model options.
  const CliResult first = run_gan(tiny_train_args(data, dir + "/resumed", 5));
  ASSERT_EQ(first.status, 0) << first.err;
  const CliResult second = run_gan({"train", "--out", dir + "/resumed", "--resume", "--steps", "12", "--device", "cpu",
                                    "--log-every", "1", "--sample-every", "0", "--quiet"});
  ASSERT_EQ(second.status, 0) << second.err;

  // The same losses at every step (the CSV prints 6 digits: compare the checkpoints for the bits).
  EXPECT_EQ(read_text(dir + "/straight/losses.csv"), read_text(dir + "/resumed/losses.csv"));
  EXPECT_EQ(csv_rows(dir + "/resumed/losses.csv").size(), 12u);
  expect_same_records(dir + "/straight/checkpoint.ckpt", dir + "/resumed/checkpoint.ckpt");
  const io::Checkpoint a = io::load_checkpoint(dir + "/straight/checkpoint.ckpt");
  const io::Checkpoint b = io::load_checkpoint(dir + "/resumed/checkpoint.ckpt");
  EXPECT_EQ(a.meta("step"), "12");
  EXPECT_EQ(a.meta("noise_rng_counter"), b.meta("noise_rng_counter"));
}

TEST(Train, ConfigTomlHoldsTheRunsOptionsAndReadsBack) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 24);
  std::vector<std::string> args = tiny_train_args(data, dir + "/run", 2);
  ASSERT_EQ(run_gan(args).status, 0);
  const std::string config = dir + "/run/config.toml";
  const std::string text = read_text(config);
  EXPECT_CONTAINS(text, "\nsteps = 2\n");
  EXPECT_CONTAINS(text, "\nlr = 0.0002\n");
  EXPECT_CONTAINS(text, "\neval-samples = 2000\n");  // a default
  EXPECT_EQ(text.find("resume ="), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(config + ".tmp"));

  // The 28x28 bce model's own recipe, recorded as in force.
  EXPECT_CONTAINS(text, "\nlr-g = 0.0032\n");
  EXPECT_CONTAINS(text, "\nlr-d = 0.0012\n");
  EXPECT_CONTAINS(text, "\nbeta2 = 0.99\n");
  EXPECT_CONTAINS(text, "\nema-decay = 0.99\n");

  // Read back with --config, the file gives every option the run had (the
  // recipe's as resolved, every other as given or defaulted).
  const Cli cli = make_cli();
  const ParsedArgs original = cli.parse(args).args, reread = cli.parse({"train", "--config", config}).args;
  const CommandSpec spec = train_spec();  // options() refers into it: keep it alive
  for (const OptionSpec& o : spec.options()) {
    if (o.name == "config" || o.name == "lr-g" || o.name == "lr-d" || o.name == "beta2" || o.name == "ema-decay")
      continue;
    switch (o.kind) {
      case OptionKind::Flag: EXPECT_EQ(original.get_flag(o.name), reread.get_flag(o.name)) << o.name; break;
      case OptionKind::Int: EXPECT_EQ(original.get_int(o.name), reread.get_int(o.name)) << o.name; break;
      case OptionKind::Double: EXPECT_EQ(original.get_double(o.name), reread.get_double(o.name)) << o.name; break;
      default: EXPECT_EQ(original.get_string(o.name), reread.get_string(o.name)) << o.name;
    }
  }

  // A resumed run keeps the file's options and takes the new command line's.
  const CliResult resumed = run_gan({"train", "--out", dir + "/run", "--resume", "--steps", "3", "--device", "cpu",
                                     "--quiet"});
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  const std::string after = read_text(config);
  EXPECT_CONTAINS(after, "\nsteps = 3\n");
  EXPECT_CONTAINS(after, "\nngf = 8\n");  // from the first run, not the default 0
  EXPECT_CONTAINS(after, "\ndataset = \"idx:" + data + "\"\n");
  // ... and --config with --resume continues the run: the file agrees with the checkpoint.
  const CliResult again = run_gan({"train", "--config", config, "--resume", "--steps", "4"});
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(io::load_checkpoint(dir + "/run/checkpoint.ckpt").meta("step"), "4");

  // A loss with its own optimizer recipe records the settings in force, not bce's defaults.
  set_option(args, "out", dir + "/wgan");
  set_option(args, "steps", "1");
  args.insert(args.end(), {"--loss", "wgan"});
  ASSERT_EQ(run_gan(args).status, 0);
  EXPECT_CONTAINS(read_text(dir + "/wgan/config.toml"), "\nlr = 0.00005\n");
}

// --resume goes on at the cadence the run started with (losses.csv must not
// silently become sparser), unless the option is given again.
TEST(Train, ResumeKeepsTheLogAndCheckpointCadence) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 16);
  std::vector<std::string> args = tiny_train_args(data, dir + "/run", 4);
  set_option(args, "log-every", "2");
  args.insert(args.end(), {"--checkpoint-every", "2"});
  ASSERT_EQ(run_gan(args).status, 0);
  const auto steps_logged = [&] {
    std::vector<int64_t> steps;
    std::istringstream csv(read_text(dir + "/run/losses.csv"));
    std::string line;
    std::getline(csv, line);  // header
    while (std::getline(csv, line)) steps.push_back(std::stoll(line.substr(0, line.find(','))));
    return steps;
  };
  ASSERT_EQ(steps_logged(), (std::vector<int64_t>{2, 4}));
  CliResult r = run_gan({"train", "--out", dir + "/run", "--resume", "--steps", "8", "--device", "cpu", "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(steps_logged(), (std::vector<int64_t>{2, 4, 6, 8}));
  EXPECT_CONTAINS(read_text(dir + "/run/config.toml"), "\nlog-every = 2\n");
  EXPECT_CONTAINS(read_text(dir + "/run/config.toml"), "\ncheckpoint-every = 2\n");
  // Given again, the new value holds from then on.
  r = run_gan({"train", "--out", dir + "/run", "--resume", "--steps", "10", "--log-every", "1", "--device", "cpu",
               "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(steps_logged(), (std::vector<int64_t>{2, 4, 6, 8, 9, 10}));
  EXPECT_EQ(io::load_checkpoint(dir + "/run/checkpoint.ckpt").meta("log_every"), "1");
}

// The checkpoint knows its data set by identity (file count, names and sizes),
// not only by path: a run resumes from another working directory, after its
// folder moved (given with --dataset), and refuses another data set.
TEST(Train, ResumeFindsMovedDataByIdentityAndRefusesOtherData) {
  const std::string dir = scratch_dir();
  write_bar_dataset(dir + "/data", 16);
  const fs::path cwd = fs::current_path();
  fs::current_path(dir);  // a relative --dataset, resolved now and recorded absolute
  std::vector<std::string> args = tiny_train_args("data", dir + "/run", 2);
  set_option(args, "dataset", "idx:data");
  const CliResult first = run_gan(args);
  fs::current_path(cwd);
  ASSERT_EQ(first.status, 0) << first.err;
  const io::Checkpoint ck = io::load_checkpoint(dir + "/run/checkpoint.ckpt");
  EXPECT_EQ(ck.meta("dataset"), "idx:" + (fs::path(dir) / "data").lexically_normal().string());
  EXPECT_EQ(ck.meta("dataset_identity").rfind("idx/2/", 0), 0u) << "two IDX files";

  const auto resume = [&](int steps, const std::vector<std::string>& extra) {
    std::vector<std::string> a = {"train", "--out", dir + "/run", "--resume", "--steps", std::to_string(steps),
                                  "--device", "cpu", "--quiet"};
    a.insert(a.end(), extra.begin(), extra.end());
    return run_gan(a);
  };
  // From here (another working directory), without --dataset.
  CliResult r = resume(3, {});
  ASSERT_EQ(r.status, 0) << r.err;
  // Moved: the old place is gone, and the error says how to go on.
  fs::rename(dir + "/data", dir + "/moved");
  r = resume(4, {});
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "is gone");
  EXPECT_CONTAINS(r.err, "--dataset");
  // Given at its new place: same identity, accepted, and recorded for next time.
  r = resume(4, {"--dataset", "idx:" + dir + "/moved"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(io::load_checkpoint(dir + "/run/checkpoint.ckpt").meta("dataset"), "idx:" + dir + "/moved");
  r = resume(5, {});
  ASSERT_EQ(r.status, 0) << r.err;
  // Another data set (another size) is refused, naming both identities.
  write_bar_dataset(dir + "/other", 24);
  r = resume(6, {"--dataset", "idx:" + dir + "/other"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "is not the data set this run was trained on");
  EXPECT_CONTAINS(r.err, "fingerprint");
  // A folder that changed is reported before training goes on.
  std::ofstream(dir + "/moved/notes.txt") << "added";
  r = resume(6, {});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.err, "changed since the run started");
}

TEST(Train, DiscriminatorLearnsToTellRealFromFake) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 64);
  const CliResult r = run_gan(tiny_train_args(data, dir + "/run", 60));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto rows = csv_rows(dir + "/run/losses.csv");
  ASSERT_EQ(rows.size(), 60u);
  // Columns: step, loss_D, loss_G, D(x), D(G(z)). At the start D cannot tell
  // (both near 0.5, loss_D near 2 ln 2); over a few dozen steps on bars vs G's
  // early blur it learns to. (This run: the gap averages ~0.28 over steps 41..60,
  // loss_D falls by ~0.33; the bounds leave about half of that as margin.)
  EXPECT_NEAR(rows[0][3], 0.5, 0.1);
  EXPECT_NEAR(rows[0][4], 0.5, 0.1);
  EXPECT_NEAR(rows[0][1], 2 * std::log(2.0), 0.1);
  double gap = 0, loss_d = 0;
  for (size_t i = 40; i < 60; ++i) {
    gap += (rows[i][3] - rows[i][4]) / 20;
    loss_d += rows[i][1] / 20;
  }
  EXPECT_GT(gap, 0.15) << "mean D(x) - D(G(z)) over steps 41..60";
  EXPECT_LT(loss_d, rows[0][1] - 0.15) << "mean loss_D over steps 41..60";
}

TEST(Train, WritesSampleGridsAndSampleCommandUsesTheCheckpoint) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 16);
  std::vector<std::string> args = tiny_train_args(data, dir + "/run", 4);
  testing::set_option(args, "sample-every", "2");
  ASSERT_EQ(run_gan(args).status, 0);
  for (const char* f : {"step_000002.png", "step_000004.png", "latest.png"})
    EXPECT_TRUE(fs::exists(dir + "/run/samples/" + f)) << f;
  // 64 fixed-noise samples of 28x28 in an 8x8 grid with 2-pixel padding: 8*30+2 = 242.
  const io::Image grid = io::load_image(dir + "/run/samples/latest.png", 1);
  EXPECT_EQ(grid.width, 242);
  EXPECT_EQ(grid.height, 242);

  const CliResult s = run_gan({"sample", "--checkpoint", dir + "/run/checkpoint.ckpt", "--n", "10", "--out",
                               dir + "/grid.png", "--device", "cpu"});
  ASSERT_EQ(s.status, 0) << s.err;
  const io::Image sampled = io::load_image(dir + "/grid.png", 1);
  EXPECT_EQ(sampled.width, 4 * 30 + 2);  // ceil(sqrt(10)) = 4 columns, 3 rows
  EXPECT_EQ(sampled.height, 3 * 30 + 2);
  EXPECT_CONTAINS(s.err, "wrote 10 images");

  const CliResult one = run_gan({"sample", "--checkpoint", dir + "/run/checkpoint.ckpt", "--n", "1", "--out",
                                 dir + "/one.PNG", "--device", "cpu"});
  ASSERT_EQ(one.status, 0) << one.err;
  EXPECT_CONTAINS(one.err, "wrote 1 image to");
  // Only PNG is written: another ending is refused before any work, not written as PNG bytes.
  const CliResult jpg = run_gan({"sample", "--checkpoint", dir + "/run/checkpoint.ckpt", "--out", dir + "/x.jpg",
                                 "--device", "cpu"});
  EXPECT_EQ(jpg.status, 2);
  EXPECT_CONTAINS(jpg.err, "FILE.png");
  EXPECT_FALSE(fs::exists(dir + "/x.jpg"));
}

TEST(Train, CheckpointForAnotherModelOrDamagedIsRejected) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 16);
  ASSERT_EQ(run_gan(tiny_train_args(data, dir + "/run", 2)).status, 0);
  const std::string ckpt = dir + "/run/checkpoint.ckpt";

  // Another model: restore into a trainer with wider layers.
  TrainSettings s;
  s.model.image_size = 28;
  s.model.nz = 8;
  s.model.ngf = 16;
  s.model.ndf = 8;
  DcganTrainer other(s);
  try {
    other.restore_state(io::load_checkpoint(ckpt), ckpt);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_CONTAINS(e.what(), "made for another model");
    EXPECT_CONTAINS(e.what(), "ngf 8");
  }
  // A resume that contradicts the checkpoint's options is a usage error naming the option.
  const CliResult conflict = run_gan({"train", "--out", dir + "/run", "--resume", "--steps", "4", "--ngf", "16",
                                      "--device", "cpu", "--quiet"});
  EXPECT_EQ(conflict.status, 2);
  EXPECT_CONTAINS(conflict.err, "--ngf 16 differs from the resumed run's 8");
  // Numbers as written: the default lr reads 0.0002, not 0.00020000000000000001.
  const CliResult lr = run_gan({"train", "--out", dir + "/run", "--resume", "--steps", "4", "--lr", "0.001",
                                "--device", "cpu", "--quiet"});
  EXPECT_EQ(lr.status, 2);
  EXPECT_CONTAINS(lr.err, "--lr 0.001 differs from the resumed run's 0.0002 (in");

  // One flipped byte: the checksum catches it, and `gan sample` says so.
  std::vector<uint8_t> bytes = io::read_file(ckpt);
  bytes[bytes.size() / 2] ^= 0x40;
  io::write_file_atomic(dir + "/flipped.ckpt", bytes.data(), bytes.size());
  CliResult r = run_gan({"sample", "--checkpoint", dir + "/flipped.ckpt", "--out", dir + "/g.png", "--device", "cpu"});
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "checksum");
  // Truncated.
  io::write_file_atomic(dir + "/short.ckpt", bytes.data(), bytes.size() / 3);
  r = run_gan({"sample", "--checkpoint", dir + "/short.ckpt", "--out", dir + "/g.png", "--device", "cpu"});
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "short.ckpt");
  EXPECT_FALSE(fs::exists(dir + "/g.png"));
}

TEST(Train, BadRunsFailClearlyAndLoseNothing) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 16);
  // Options are given as name, value pairs (a flag with an empty value).
  auto train = [&](const std::vector<std::pair<std::string, std::string>>& options) {
    std::vector<std::string> args = tiny_train_args(data, dir + "/run", 2);
    for (const auto& [name, value] : options) testing::set_option(args, name, value);
    return run_gan(args);
  };
  // Nothing to resume yet.
  CliResult r = train({{"resume", ""}});
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "no checkpoint to resume");
  // A finished run is not overwritten by a second one.
  ASSERT_EQ(train({}).status, 0);
  const std::string before = read_text(dir + "/run/losses.csv");
  r = train({});
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "pass --resume to continue it");
  EXPECT_EQ(read_text(dir + "/run/losses.csv"), before);
  // Resuming to a step already reached says how to ask for more.
  r = train({{"resume", ""}});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "already done 2 steps");
  // Both --steps and --epochs.
  r = train({{"epochs", "1"}});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "either --steps or --epochs");
  // An unknown data set, and an --out that is a file: errors before any training.
  r = run_gan({"train", "--dataset", "imagenet", "--out", dir + "/x", "--device", "cpu", "--quiet"});
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "unknown --dataset 'imagenet'");
  std::ofstream(dir + "/afile") << "x";
  r = run_gan(tiny_train_args(data, dir + "/afile", 2));
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "afile");
  // An image size the model does not support.
  r = train({{"image-size", "48"}, {"out", dir + "/y"}});
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "image size 48 is not supported: use 28 (28x28), or a height and a width that are each a power of two from 16 to 256");
  EXPECT_FALSE(fs::exists(dir + "/y")) << "a run that never started leaves no folder, .lock or samples/";
  // ... nor does one whose data is missing; a folder that was there stays.
  fs::create_directories(dir + "/mine");
  r = run_gan({"train", "--dataset", "idx:" + dir + "/no-data", "--out", dir + "/mine", "--device", "cpu", "--quiet"});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(fs::is_directory(dir + "/mine"));
  EXPECT_TRUE(fs::is_empty(dir + "/mine"));
  // A run directory inside a folder data set (its losses.png would become a training image).
  fs::create_directories(dir + "/pics");
  for (const std::string& out : {dir + "/pics", dir + "/pics/run", dir + "/pics/"}) {
    r = run_gan({"train", "--dataset", "folder:" + dir + "/pics/", "--out", out, "--device", "cpu", "--quiet"});
    EXPECT_EQ(r.status, 2) << out;
    EXPECT_CONTAINS(r.err, "is inside the data folder");
  }
  EXPECT_FALSE(fs::exists(dir + "/pics/run"));
  // An undecodable file: refused with the way out, then left out with --skip-bad-images.
  io::Image img;
  img.width = img.height = 8;
  img.channels = 1;
  img.pixels.assign(64, 128);
  for (int i = 0; i < 4; ++i) io::write_png(dir + "/pics/ok" + std::to_string(i) + ".png", img);
  std::ofstream(dir + "/pics/broken.png") << "not a png";
  const std::vector<std::string> folder_run = {"train", "--dataset", "folder:" + dir + "/pics", "--out",
                                               dir + "/f", "--device", "cpu", "--steps", "1", "--image-size",
                                               "28", "--ngf", "4", "--ndf", "4", "--batch-size", "2", "--quiet"};
  r = run_gan(folder_run);
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "broken.png");
  EXPECT_CONTAINS(r.err, "--skip-bad-images");
  std::vector<std::string> skipping = folder_run;
  skipping.push_back("--skip-bad-images");
  r = run_gan(skipping);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.err, "skipped 1 of 5 image files");
  EXPECT_CONTAINS(r.err, "broken.png");
  // Absurd thread counts (100,000 once crashed inside libgomp) are refused before any work.
  r = train({{"threads", "100000"}, {"out", dir + "/z"}});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "--threads");
  EXPECT_CONTAINS(r.err, "must be at most");
  EXPECT_FALSE(fs::exists(dir + "/z"));
}

}  // namespace
}  // namespace gan::app
