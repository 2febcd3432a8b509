// `gan pix2pix train` end to end through the command line (in-process) on tiny
// generated pairs: training lowers the L1 loss, a resumed run equals an
// uninterrupted one bit for bit (the dropout stream included), and `gan
// translate` uses the direction the generator was trained for.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "app_test_util.h"
#include "apps/gan/pix2pix_trainer.h"
#include "core/io/atomic_file.h"
#include "core/io/checkpoint_format.h"
#include "core/io/image.h"
#include "core/io/safetensors.h"
#include "translation_test_util.h"

namespace gan::app {
namespace {

namespace fs = std::filesystem;
using namespace testing;  // app_test_util.h, translation_test_util.h

// Column `name` of losses.csv.
std::vector<double> csv_column(const std::string& path, const std::string& name) {
  std::istringstream in(read_text(path));
  std::string line;
  std::getline(in, line);
  std::istringstream header(line);
  size_t index = 0;
  for (std::string h; std::getline(header, h, ',') && h != name;) ++index;
  std::vector<double> out;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string f;
    for (size_t i = 0; i <= index; ++i) std::getline(fields, f, ',');
    out.push_back(std::stod(f));
  }
  return out;
}

TEST(Pix2Pix, ResumedRunEqualsUninterruptedRunBitForBit) {
  const std::string dir = scratch_dir(), data = write_paired_bars(dir + "/pairs", 6, 68);
  const auto args = [&](const std::string& out, int64_t steps) {
    std::vector<std::string> a = tiny_pix2pix_args(data, out, steps);
    set_option(a, "decay-steps", "0");  // a constant rate: the first run's schedule fits the longer one
    return a;
  };
  ASSERT_EQ(run_gan(args(dir + "/straight", 5)).status, 0);
  ASSERT_EQ(run_gan(args(dir + "/resumed", 2)).status, 0);
  const CliResult r = run_gan({"pix2pix", "train", "--out", dir + "/resumed", "--resume", "--steps", "5", "--device",
                               "cpu", "--log-every", "1", "--sample-every", "0", "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(dir + "/straight/losses.csv"), read_text(dir + "/resumed/losses.csv"));
  const io::Checkpoint a = io::load_checkpoint(dir + "/straight/checkpoint.ckpt");
  const io::Checkpoint b = io::load_checkpoint(dir + "/resumed/checkpoint.ckpt");
  ASSERT_EQ(a.records.size(), b.records.size());
  for (size_t i = 0; i < a.records.size(); ++i)
    EXPECT_TRUE(a.records[i].bytes == b.records[i].bytes) << a.records[i].name << " differs";
  EXPECT_EQ(a.metadata, b.metadata);
  // The 64 px U-Net has a dropout block, and its masks were drawn every step.
  EXPECT_GT(std::stoll(a.meta("G.dropout_rng_counter")), 0);
  // Rows of the sample grid: A, G(A), B for the 2 val/ pairs.
  const io::Image grid = io::load_image(dir + "/straight/samples/latest.png", 3);
  EXPECT_EQ(grid.width, 2 * 66 + 2);
  EXPECT_EQ(grid.height, 3 * 66 + 2);
}

TEST(Pix2Pix, AFewStepsLowerTheL1Loss) {
  const std::string dir = scratch_dir(), data = write_paired_bars(dir + "/pairs", 8, 36);
  std::vector<std::string> args = tiny_pix2pix_args(data, dir + "/run", 30);
  for (const auto& [name, value] : {std::pair{"image-size", "32"}, {"load-size", "36"}, {"ngf", "8"},
                                    {"batch-size", "4"}, {"decay-steps", "0"}, {"lr", "1e-3"}})
    set_option(args, name, value);
  const CliResult r = run_gan(args);
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<double> l1 = csv_column(dir + "/run/losses.csv", "L1");
  ASSERT_EQ(l1.size(), 30u);
  double start = 0, end = 0;
  for (size_t i = 0; i < 5; ++i) start += l1[i] / 5;
  for (size_t i = 20; i < 30; ++i) end += l1[i] / 10;
  // The target is the input's negative, which a U-Net learns fast (at 1e-3:
  // Adam moves each weight by about the rate per step, and 30 steps at 2e-4
  // only start the descent). This run: mean L1 ~0.91 over the first 5 steps,
  // ~0.23 over the last 10; the bound leaves about half of the drop as margin.
  EXPECT_LT(end, 0.6 * start) << start << " -> " << end;
}

TEST(Pix2Pix, TranslateUsesTheTrainedDirection) {
  const std::string dir = scratch_dir(), data = write_paired_bars(dir + "/pairs", 4, 36);
  std::vector<std::string> args = tiny_pix2pix_args(data, dir + "/run", 1);
  for (const auto& [name, value] :
       {std::pair{"image-size", "32"}, {"load-size", "36"}, {"direction", "BtoA"}, {"channels", "1"}})
    set_option(args, name, value);
  ASSERT_EQ(run_gan(args).status, 0);
  // The val/ pairs as single images to translate.
  const std::string ckpt = dir + "/run/checkpoint.ckpt";
  CliResult r = run_gan({"translate", "--checkpoint", ckpt, "--direction", "BtoA", "--in", data + "/val", "--out",
                         dir + "/out", "--device", "cpu"});
  ASSERT_EQ(r.status, 0) << r.err;
  const io::Image out = io::load_image(dir + "/out/img_100.png", 1);
  EXPECT_EQ(out.width, 32);
  r = run_gan({"translate", "--checkpoint", ckpt, "--direction", "AtoB", "--in", data + "/val", "--out",
               dir + "/out2", "--device", "cpu"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "trained BtoA");
  EXPECT_CONTAINS(r.err, "--direction AtoB");
  // A size the U-Net cannot take is refused in the option's terms.
  r = run_gan({"translate", "--checkpoint", ckpt, "--direction", "BtoA", "--in", data + "/val", "--out",
               dir + "/out3", "--image-size", "48", "--device", "cpu"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "--image-size 48: this pix2pix generator was trained at 32 px");
  EXPECT_CONTAINS(r.err, "try 32");
  EXPECT_EQ(r.err.find("num_downs"), std::string::npos) << r.err;
  r = run_gan({"translate", "--checkpoint", ckpt, "--direction", "BtoA", "--in", data + "/val", "--out",
               dir + "/out4", "--image-size", "64", "--device", "cpu"});
  EXPECT_EQ(r.status, 0) << r.err;
}

// The export keeps the direction the generator was trained for, so
// `translate --weights` checks it as it does for a checkpoint; a file without
// one (written by another program) is taken to map the way --direction asks.
TEST(Pix2Pix, TranslateFromExportedWeightsIsTheCheckpoints) {
  const std::string dir = scratch_dir(), data = write_paired_bars(dir + "/pairs", 4, 36);
  std::vector<std::string> args = tiny_pix2pix_args(data, dir + "/run", 1);
  for (const auto& [name, value] : {std::pair{"image-size", "32"}, {"load-size", "36"}, {"direction", "BtoA"}})
    set_option(args, name, value);
  ASSERT_EQ(run_gan(args).status, 0);
  const std::string ckpt = dir + "/run/checkpoint.ckpt", weights = dir + "/g.safetensors";
  CliResult r = run_gan({"export", "--checkpoint", ckpt, "--format", "safetensors", "--out", weights});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(io::load_safetensors(weights).meta("direction"), "BtoA");
  for (const std::string source : {"checkpoint", "weights"}) {
    r = run_gan({"translate", "--" + source, source == "weights" ? weights : ckpt, "--direction", "BtoA", "--in",
                 data + "/val", "--out", dir + "/" + source, "--device", "cpu"});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  EXPECT_EQ(read_text(dir + "/checkpoint/img_100.png"), read_text(dir + "/weights/img_100.png"));
  r = run_gan({"translate", "--weights", weights, "--direction", "AtoB", "--in", data + "/val", "--out",
               dir + "/wrong", "--device", "cpu"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "trained BtoA");

  io::Checkpoint w = io::load_safetensors(weights);
  std::erase_if(w.metadata, [](const auto& kv) { return kv.first == "direction"; });
  io::save_safetensors(dir + "/plain.safetensors", w);
  r = run_gan({"translate", "--weights", dir + "/plain.safetensors", "--direction", "AtoB", "--in", data + "/val",
               "--out", dir + "/plain", "--device", "cpu"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(dir + "/checkpoint/img_100.png"), read_text(dir + "/plain/img_100.png"));
}

TEST(Pix2Pix, OddWidthPairsAreRefusedNamingTheFile) {
  const std::string dir = scratch_dir();
  write_pngs(dir + "/pairs", "train", 2, [](int) {
    Rng g(1);
    return bar_image(35, true, g);
  });
  const CliResult r = run_gan(tiny_pix2pix_args(dir + "/pairs", dir + "/run", 1));
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "img_100.png is 35 x 35 pixels");
  EXPECT_CONTAINS(r.err, "input A on the left half");
}

// As for CycleGAN (test_cyclegan.cpp): the folder is recorded absolute with
// the identity of train/ and val/; moved, it is found by identity.
TEST(Pix2Pix, ResumeFindsMovedDataByIdentity) {
  const std::string dir = scratch_dir();
  write_paired_bars(dir + "/pairs", 4, 68);
  const fs::path cwd = fs::current_path();
  fs::current_path(dir);
  std::vector<std::string> args = tiny_pix2pix_args("pairs", dir + "/run", 1);
  set_option(args, "decay-steps", "0");
  const CliResult first = run_gan(args);
  fs::current_path(cwd);
  ASSERT_EQ(first.status, 0) << first.err;
  const io::Checkpoint ck = io::load_checkpoint(dir + "/run/checkpoint.ckpt");
  EXPECT_EQ(ck.meta("data"), (fs::path(dir) / "pairs").lexically_normal().string());
  EXPECT_EQ(ck.meta("data_identity").rfind("folder/8/", 0), 0u) << "4 training and 4 val pairs";

  fs::rename(dir + "/pairs", dir + "/moved");
  const std::vector<std::string> resume = {"pix2pix", "train", "--out", dir + "/run", "--resume", "--steps", "2",
                                           "--data", dir + "/moved", "--device", "cpu", "--quiet"};
  CliResult r = run_gan(resume);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");  // the same data: nothing to warn about
  // A file renamed is noticed.
  fs::rename(dir + "/moved/val/img_103.png", dir + "/moved/val/img_199.png");
  r = run_gan({"pix2pix", "train", "--out", dir + "/run", "--resume", "--steps", "3", "--device", "cpu", "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.err, "changed since the run started");
}

}  // namespace
}  // namespace gan::app
