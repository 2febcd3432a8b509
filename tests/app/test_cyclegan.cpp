// `gan cyclegan train` and `gan translate` end to end through the command line
// (in-process) on tiny generated data: training lowers the cycle loss, a resumed
// run equals an uninterrupted one bit for bit (image pools included), the
// learning-rate schedule in the log, translation round trips through a saved
// checkpoint, and clear errors for bad layouts, contradicting options and NaN.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "app_test_util.h"
#include "apps/gan/cyclegan_trainer.h"
#include "core/autograd.h"
#include "core/io/atomic_file.h"
#include "core/io/checkpoint_format.h"
#include "core/io/image.h"
#include "core/io/translation_data.h"
#include "translation_test_util.h"

namespace gan::app {
namespace {

namespace fs = std::filesystem;
using namespace testing;  // app_test_util.h, translation_test_util.h

// losses.csv as a header and rows of numbers (an empty field reads as NaN).
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
  size_t col(const std::string& name) const {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  }
};

Csv read_csv(const std::string& path) {
  std::istringstream in(read_text(path));
  Csv csv;
  std::string line;
  std::getline(in, line);
  std::istringstream names(line);
  for (std::string n; std::getline(names, n, ',');) csv.header.push_back(n);
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::istringstream fields(line);
    for (std::string f; std::getline(fields, f, ',');) row.push_back(f.empty() ? std::nan("") : std::stod(f));
    csv.rows.push_back(row);
  }
  return csv;
}

void expect_same_records(const std::string& a_path, const std::string& b_path) {
  const io::Checkpoint a = io::load_checkpoint(a_path), b = io::load_checkpoint(b_path);
  ASSERT_EQ(a.records.size(), b.records.size());
  for (size_t i = 0; i < a.records.size(); ++i) {
    EXPECT_EQ(a.records[i].name, b.records[i].name);
    EXPECT_TRUE(a.records[i].bytes == b.records[i].bytes) << a.records[i].name << " differs";
  }
  EXPECT_EQ(a.metadata, b.metadata);
}

TEST(CycleGan, ResumedRunEqualsUninterruptedRunBitForBit) {
  const std::string dir = scratch_dir(), data = write_unpaired_bars(dir + "/bars", 6);
  // 9 steps straight: the pools (4 images) fill in two steps, then swap at
  // random. The schedule is fixed when a run starts: both runs ask for the
  // straight run's default (4 steps at the full rate, then 5 decaying).
  const auto args = [&](const std::string& out, int64_t steps) {
    std::vector<std::string> a = tiny_cyclegan_args(data, out, steps);
    set_option(a, "decay-start", "4");
    set_option(a, "decay-steps", "5");
    return a;
  };
  ASSERT_EQ(run_gan(args(dir + "/straight", 9)).status, 0);
  const CliResult first = run_gan(args(dir + "/resumed", 4));
  ASSERT_EQ(first.status, 0) << first.err;
  // The resumed run states no model option: everything comes from the checkpoint.
  const CliResult second = run_gan({"cyclegan", "train", "--out", dir + "/resumed", "--resume", "--steps", "9",
                                    "--device", "cpu", "--log-every", "1", "--sample-every", "0", "--quiet"});
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_EQ(read_text(dir + "/straight/losses.csv"), read_text(dir + "/resumed/losses.csv"));
  expect_same_records(dir + "/straight/checkpoint.ckpt", dir + "/resumed/checkpoint.ckpt");
  const io::Checkpoint ck = io::load_checkpoint(dir + "/straight/checkpoint.ckpt");
  EXPECT_EQ(ck.get("pool_A.images").shape, (std::vector<int64_t>{4, 3, 16, 16}));
  EXPECT_GT(std::stoll(ck.meta("pool_B.rng_counter")), 0) << "the pool never made a random choice";
  // The learning rate: constant for half the run (4 of 9 steps), then linearly to 0.
  const Csv csv = read_csv(dir + "/straight/losses.csv");
  ASSERT_EQ(csv.rows.size(), 9u);
  for (size_t i = 0; i < 9; ++i) {
    const double t = static_cast<double>(i);  // steps done before row i's step
    const double factor = t < 4 ? 1.0 : 1.0 - (t + 1 - 4) / 6;
    EXPECT_NEAR(csv.rows[i][csv.col("lr")], 2e-4 * factor, 2e-9) << "step " << i + 1;  // 6 digits in the CSV
  }
  // The sample grid: 6 rows of the 3 test images, 16 px with 2 px padding.
  const io::Image grid = io::load_image(dir + "/straight/samples/latest.png", 3);
  EXPECT_EQ(grid.width, 3 * 18 + 2);
  EXPECT_EQ(grid.height, 6 * 18 + 2);
  EXPECT_TRUE(fs::exists(dir + "/straight/losses.png"));
}

TEST(CycleGan, AFewStepsLowerTheCycleLoss) {
  const std::string dir = scratch_dir(), data = write_unpaired_bars(dir + "/bars", 16);
  std::vector<std::string> args = tiny_cyclegan_args(data, dir + "/run", 40);
  set_option(args, "ngf", "8");
  set_option(args, "batch-size", "4");
  set_option(args, "decay-steps", "0");  // a constant rate
  const CliResult r = run_gan(args);
  ASSERT_EQ(r.status, 0) << r.err;
  const Csv csv = read_csv(dir + "/run/losses.csv");
  ASSERT_EQ(csv.rows.size(), 40u);
  const auto mean_of = [&](const std::string& column, size_t from, size_t to) {
    double s = 0;
    for (size_t i = from; i < to; ++i) s += csv.rows[i][csv.col(column)] / static_cast<double>(to - from);
    return s;
  };
  // Reconstructing a bar image through both untrained generators is poor; the
  // lambda = 10 cycle term teaches them quickly. (This run: cycle_A ~0.72 over
  // the first 5 steps, ~0.2 over the last 10; half the drop is the margin.)
  for (const char* c : {"cycle_A", "cycle_B"}) {
    const double start = mean_of(c, 0, 5), end = mean_of(c, 30, 40);
    EXPECT_LT(end, 0.6 * start) << c << ": " << start << " -> " << end;
  }
  for (const std::vector<double>& row : csv.rows)
    for (double v : row) EXPECT_TRUE(std::isfinite(v));
}

TEST(CycleGan, TranslateRoundTripsThroughTheSavedCheckpoint) {
  const std::string dir = scratch_dir(), data = write_unpaired_bars(dir + "/bars", 6);
  ASSERT_EQ(run_gan(tiny_cyclegan_args(data, dir + "/run", 3)).status, 0);
  const std::string ckpt = dir + "/run/checkpoint.ckpt";
  for (const std::string direction : {"AtoB", "BtoA"}) {
    const std::string in = data + (direction == "AtoB" ? "/testA" : "/testB"), out = dir + "/out_" + direction;
    const CliResult r = run_gan({"translate", "--checkpoint", ckpt, "--direction", direction, "--in", in, "--out", out,
                                 "--grid", "--device", "cpu"});
    ASSERT_EQ(r.status, 0) << r.err;
    // Each output is the checkpoint's generator applied to the input (resized
    // from 20 to the training size 16), as PNG bytes.
    const io::Checkpoint ck = io::load_checkpoint(ckpt);
    const auto g = load_cyclegan_generator(ck, ckpt, direction == "AtoB", Device::cpu());
    const std::vector<std::string> files = io::list_image_files(in);
    ASSERT_EQ(files.size(), 4u);
    const io::ImageSet inputs = io::load_image_files(files, 16, 3, in);
    NoGradGuard no_grad;
    const std::vector<float> expected =
        g->forward(io::image_set_tensor(inputs, Device::cpu())).to_vector<float>();
    for (size_t i = 0; i < files.size(); ++i) {
      const io::Image png = io::load_image(out + "/" + fs::path(files[i]).stem().string() + ".png", 3);
      ASSERT_EQ(png.width, 16);
      ASSERT_EQ(png.height, 16);
      for (int c = 0; c < 3; ++c)
        for (int p = 0; p < 256; ++p) {
          const double want = std::round((std::clamp(expected[i * 768 + c * 256 + p], -1.0f, 1.0f) + 1) * 127.5);
          ASSERT_NEAR(png.pixels[static_cast<size_t>(p * 3 + c)], want, 1.0) << files[i] << " channel " << c;
        }
    }
    // The sheet: 4 input | output pairs in one row.
    const io::Image grid = io::load_image(out + "/grid.png", 3);
    EXPECT_EQ(grid.width, 8 * 18 + 2);
    EXPECT_EQ(grid.height, 18 + 2);
  }
  // A single file works too; a DCGAN checkpoint and --out = the inputs' folder are refused.
  CliResult r = run_gan({"translate", "--checkpoint", ckpt, "--in", data + "/testA/img_100.png", "--out",
                         dir + "/one", "--device", "cpu"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir + "/one/img_100.png"));
  r = run_gan({"translate", "--checkpoint", ckpt, "--in", data + "/testA", "--out", data + "/testA", "--device",
               "cpu"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "would overwrite them");
  const std::string idx = write_bar_dataset(dir + "/idx", 16);
  ASSERT_EQ(run_gan(tiny_train_args(idx, dir + "/dcgan", 1)).status, 0);
  r = run_gan({"translate", "--checkpoint", dir + "/dcgan/checkpoint.ckpt", "--in", data + "/testA", "--out",
               dir + "/x", "--device", "cpu"});
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "use 'gan sample'");
}

// `translate --weights`: the generators of 'gan export --format safetensors'
// translate exactly as the checkpoint does, and a file that is not one is
// refused saying what to give.
TEST(CycleGan, TranslateFromExportedWeightsIsTheCheckpoints) {
  const std::string dir = scratch_dir(), data = write_unpaired_bars(dir + "/bars", 6);
  ASSERT_EQ(run_gan(tiny_cyclegan_args(data, dir + "/run", 2)).status, 0);
  const std::string ckpt = dir + "/run/checkpoint.ckpt", weights = dir + "/g.safetensors";
  CliResult r = run_gan({"export", "--checkpoint", ckpt, "--format", "safetensors", "--out", weights});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const std::string direction : {"AtoB", "BtoA"}) {
    const std::string in = data + (direction == "AtoB" ? "/testA" : "/testB");
    for (const std::string source : {"checkpoint", "weights"}) {
      r = run_gan({"translate", "--" + source, source == "weights" ? weights : ckpt, "--direction", direction, "--in",
                   in, "--out", dir + "/" + source + direction, "--grid", "--device", "cpu"});
      ASSERT_EQ(r.status, 0) << r.err;
    }
    for (const std::string name : {"img_100.png", "grid.png"})
      EXPECT_EQ(read_text(dir + "/checkpoint" + direction + "/" + name),
                read_text(dir + "/weights" + direction + "/" + name))
          << direction << " " << name;
  }
  // Only the discriminators: the generator asked for is named as missing.
  r = run_gan({"export", "--checkpoint", ckpt, "--format", "safetensors", "--which", "D", "--out",
               dir + "/d.safetensors"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_gan({"translate", "--weights", dir + "/d.safetensors", "--direction", "BtoA", "--in", data + "/testB",
               "--out", dir + "/d", "--device", "cpu"});
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "no tensor is named 'G_BA.*'");
  r = run_gan({"translate", "--checkpoint", ckpt, "--weights", weights, "--in", data + "/testA", "--out", dir + "/x"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "either --checkpoint or --weights");
  r = run_gan({"translate", "--in", data + "/testA", "--out", dir + "/x"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "either --checkpoint or --weights");
  r = run_gan({"translate", "--weights", ckpt, "--in", data + "/testA", "--out", dir + "/x"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "give a FILE.safetensors");
  // A DCGAN's weights make images from noise.
  const std::string idx = write_bar_dataset(dir + "/idx", 16);
  ASSERT_EQ(run_gan(tiny_train_args(idx, dir + "/dcgan", 1)).status, 0);
  r = run_gan({"export", "--checkpoint", dir + "/dcgan/checkpoint.ckpt", "--format", "safetensors", "--out",
               dir + "/dcgan.safetensors"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_gan({"translate", "--weights", dir + "/dcgan.safetensors", "--in", data + "/testA", "--out", dir + "/x",
               "--device", "cpu"});
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "use 'gan sample'");
  EXPECT_FALSE(fs::exists(dir + "/x"));
}

// On the CPU an image folder trains at 64 px by default (the paper's 256 px
// took ~100 s and ~4 GB a step there); the GPU keeps 256.
TEST(CycleGan, ImageFolderDefaultSizeFitsTheCpu) {
  const std::string dir = scratch_dir(), data = write_unpaired_bars(dir + "/bars", 4, 70);
  const CliResult r = run_gan({"cyclegan", "train", "--data", data, "--out", dir + "/run", "--steps", "1", "--ngf",
                               "4", "--ndf", "4", "--n-blocks", "1", "--batch-size", "1", "--sample-count", "1",
                               "--device", "cpu", "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(io::load_checkpoint(dir + "/run/checkpoint.ckpt").meta("image_size"), "64");
}

TEST(CycleGan, BadRunsFailClearly) {
  const std::string dir = scratch_dir(), data = write_unpaired_bars(dir + "/bars", 6);
  // A folder without trainB/: the error names it and the layout, before anything is written.
  const std::string broken = dir + "/broken";
  fs::create_directories(broken);
  fs::rename(data + "/trainA", broken + "/trainA");
  CliResult r = run_gan(tiny_cyclegan_args(broken, dir + "/run_broken", 2));
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "has no trainB/ folder");
  EXPECT_CONTAINS(r.err, "DIR/trainA/ and DIR/trainB/");
  EXPECT_FALSE(fs::exists(dir + "/run_broken/checkpoint.ckpt"));
  fs::rename(broken + "/trainA", data + "/trainA");
  // A run directory among the training images (its losses.png would become one).
  r = run_gan(tiny_cyclegan_args(data, data + "/trainA", 2));
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "is inside the data folder");
  EXPECT_FALSE(fs::exists(data + "/trainA/.lock"));

  ASSERT_EQ(run_gan(tiny_cyclegan_args(data, dir + "/run", 2)).status, 0);
  // A resume that contradicts the checkpoint names the option.
  std::vector<std::string> args = tiny_cyclegan_args(data, dir + "/run", 4);
  set_option(args, "resume", "");
  set_option(args, "n-blocks", "2");
  r = run_gan(args);
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "--n-blocks 2 differs from the resumed run's 1");
  // ...and points at the command's help, after the message (not glued onto it).
  EXPECT_CONTAINS(r.err, "in another --out\nrun 'gan cyclegan train --help' for usage");
  // A resumed run cannot outrun its learning-rate schedule (0 from step 2 on).
  r = run_gan({"cyclegan", "train", "--out", dir + "/run", "--resume", "--steps", "5", "--device", "cpu", "--quiet"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "the learning rate reaches 0 at step 2");
  // An image size the generator cannot take.
  args = tiny_cyclegan_args(data, dir + "/run_odd", 2);
  set_option(args, "image-size", "18");
  r = run_gan(args);
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "multiple of 4");
  // NaN: an absurd learning rate, reported with the step and the layer.
  args = tiny_cyclegan_args(data, dir + "/run_nan", 10);
  set_option(args, "lr", "1e30");
  r = run_gan(args);
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "training produced NaN or Inf at step ");
  EXPECT_CONTAINS(r.err, "last good checkpoint is kept");
}

// The run records its --data folder absolute and the identity of the whole
// layout it reads (trainA/, trainB/, testA/, testB/), as `gan train` does: it
// resumes from another working directory, accepts its data at a new place,
// refuses other data and reports data that changed. Class specs record their
// IDX folder absolute too.
TEST(CycleGan, ResumeFindsMovedDataByIdentityAndRefusesOtherData) {
  const std::string dir = scratch_dir();
  write_unpaired_bars(dir + "/bars", 6);
  write_bar_dataset(dir + "/idx", 8);
  const fs::path cwd = fs::current_path();
  fs::current_path(dir);  // relative --data, resolved now and recorded absolute
  std::vector<std::string> args = tiny_cyclegan_args("bars", dir + "/run", 2);
  set_option(args, "decay-steps", "0");  // a constant rate: resumed runs may go on
  const CliResult first = run_gan(args);
  const CliResult classes = run_gan(tiny_cyclegan_args("idx:idx:0,1", dir + "/classes", 1));
  fs::current_path(cwd);
  ASSERT_EQ(first.status, 0) << first.err;
  ASSERT_EQ(classes.status, 0) << classes.err;
  const io::Checkpoint ck = io::load_checkpoint(dir + "/run/checkpoint.ckpt");
  EXPECT_EQ(ck.meta("data"), (fs::path(dir) / "bars").lexically_normal().string());
  EXPECT_EQ(ck.meta("data_identity").rfind("folder/20/", 0), 0u) << "6 + 6 training and 4 + 4 test images";
  const io::Checkpoint by_class = io::load_checkpoint(dir + "/classes/checkpoint.ckpt");
  EXPECT_EQ(by_class.meta("data"), "idx:" + (fs::path(dir) / "idx").lexically_normal().string() + ":0,1");
  EXPECT_EQ(by_class.meta("data_identity").rfind("idx/2/", 0), 0u) << "two IDX files";

  const auto resume = [&](int steps, const std::vector<std::string>& extra) {
    std::vector<std::string> a = {"cyclegan", "train", "--out", dir + "/run", "--resume", "--steps",
                                  std::to_string(steps), "--device", "cpu", "--quiet"};
    a.insert(a.end(), extra.begin(), extra.end());
    return run_gan(a);
  };
  CliResult r = resume(3, {});  // from another working directory
  ASSERT_EQ(r.status, 0) << r.err;
  fs::rename(dir + "/bars", dir + "/moved");
  r = resume(4, {});
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "is gone");
  EXPECT_CONTAINS(r.err, "resume with --data and its new place");
  r = resume(4, {"--data", dir + "/moved"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(io::load_checkpoint(dir + "/run/checkpoint.ckpt").meta("data"), dir + "/moved");
  // Other images (larger: other file sizes) in the same layout are refused.
  write_unpaired_bars(dir + "/other", 6, 24);
  r = resume(5, {"--data", dir + "/other"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "--data " + dir + "/other is not the data set this run was trained on");
  EXPECT_CONTAINS(r.err, "fingerprint");
  // A file added in a subfolder is reported before training goes on.
  fs::copy_file(dir + "/moved/testB/img_100.png", dir + "/moved/testB/img_199.png");
  r = resume(5, {});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.err, "gan cyclegan train: warning: the data set " + dir + "/moved changed since the run started");
}

}  // namespace
}  // namespace gan::app
