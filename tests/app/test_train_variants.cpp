// Training variants of `gan train`: every GAN loss with its recipe, the
// conditional DCGAN and its class-row samples, and the quality metric during
// training (--eval-every) and after it (`gan eval`).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "app_test_util.h"
#include "apps/gan/classifier.h"
#include "apps/gan/dcgan_trainer.h"
#include "apps/gan/train_state.h"
#include "core/io/atomic_file.h"
#include "core/io/checkpoint_format.h"
#include "core/io/image.h"
#include "core/io/png_grid.h"
#include "layers/ema.h"
#include "layers/layers.h"

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

// 4 steps in one run equal 2 steps + --resume + 2 more, in losses.csv and in
// every checkpoint record (runs in DIR/straight and DIR/resumed).
template <typename Args>
void expect_exact_resume(const std::string& dir, const Args& args) {
  ASSERT_EQ(run_gan(args(dir + "/straight", 4)).status, 0);
  ASSERT_EQ(run_gan(args(dir + "/resumed", 2)).status, 0);
  const CliResult r = run_gan({"train", "--out", dir + "/resumed", "--resume", "--steps", "4", "--device", "cpu",
                               "--log-every", "1", "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(dir + "/straight/losses.csv"), read_text(dir + "/resumed/losses.csv"));
  expect_same_records(dir + "/straight/checkpoint.ckpt", dir + "/resumed/checkpoint.ckpt");
}

TEST(TrainVariants, EveryLossTrainsWithItsRecipe) {
  const std::string dir = scratch_dir();
  const io::ImageSet data = io::load_image_set("idx:" + write_bar_dataset(dir + "/data", 48), 28, 0);
  for (const std::string& name : gan_loss_names()) {
    TrainSettings s = TrainSettings::for_loss(parse_gan_loss(name));
    s.model.image_size = 28;
    s.model.nz = 8;
    s.model.ngf = s.model.ndf = 8;
    DcganTrainer trainer(s);
    io::BatchLoader loader(data, 8, 3);
    for (int step = 0; step < 2; ++step) {
      std::vector<io::Batch> batches;
      for (int64_t i = 0; i < trainer.batches_per_step(); ++i) batches.push_back(loader.next());
      const StepStats st = DcganTrainer::read_stats(trainer.step(batches));
      EXPECT_TRUE(st.finite()) << name;
    }
    const bool critic = name == "wgan" || name == "wgan-gp";
    EXPECT_EQ(trainer.batches_per_step(), critic ? 5 : 1) << name;
    // A trainer asked for the wrong number of batches says so.
    EXPECT_THROW(trainer.step({loader.next(), loader.next(), loader.next(), loader.next(), loader.next(), loader.next()}),
                 ValueError);
    bool has_batchnorm = false;
    trainer.discriminator().apply([&](Module& m) { has_batchnorm |= dynamic_cast<BatchNorm2d*>(&m) != nullptr; });
    EXPECT_EQ(has_batchnorm, name != "wgan-gp") << name << ": the WGAN-GP critic has no batch norm";
    if (name == "wgan") {
      // Weight clipping: every D parameter stays inside [-0.01, 0.01].
      for (const Tensor& p : trainer.discriminator().parameters())
        for (double v : p.to_vector<double>()) ASSERT_LE(std::abs(v), 0.01 + 1e-9);
    }
  }
  EXPECT_THROW(parse_gan_loss("wasserstein"), ValueError);
}

// bce at 28x28 trains by its measured recipe (G 3.2e-3, D 1.2e-3, Adam beta2
// 0.99, EMA 0.99; docs/losses-and-metrics.md) unless told otherwise; other
// sizes and losses keep the published one. Read from the checkpoint's meta.
TEST(TrainVariants, The28pxBceModelTrainsByItsMeasuredRecipe) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 16);
  int run = 0;
  auto recipe = [&](const std::vector<std::pair<std::string, std::string>>& options) {
    const std::string out = dir + "/run" + std::to_string(run++);
    std::vector<std::string> a = tiny_train_args(data, out, 1);
    for (const auto& [k, v] : options) set_option(a, k, v);
    const CliResult r = run_gan(a);
    EXPECT_EQ(r.status, 0) << r.err;
    const io::Checkpoint ck = io::load_checkpoint(out + "/checkpoint.ckpt");
    return ck.meta("lr_g") + " " + ck.meta("lr_d") + " " + ck.meta("beta2") + " " + ck.meta("ema_decay");
  };
  EXPECT_EQ(recipe({}), "0.0032 0.0012 0.99 0.99");
  EXPECT_EQ(recipe({{"lr", "0.0001"}}), "0.0001 0.0001 0.99 0.99") << "a rate given: no recipe rates";
  EXPECT_EQ(recipe({{"lr-g", "0.0004"}}), "0.0004 0.0002 0.99 0.99");
  EXPECT_EQ(recipe({{"beta2", "0.999"}, {"ema-decay", "0"}}), "0.0032 0.0012 0.999 0");
  EXPECT_EQ(recipe({{"loss", "hinge"}}), "0.0002 0.0002 0.999 0") << "other losses: the published recipe";
  EXPECT_EQ(recipe({{"image-size", "16"}}), "0.0002 0.0002 0.999 0") << "other sizes: the published recipe";
}

TEST(TrainVariants, WganGpRunResumesExactly) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 48);
  auto args = [&](const std::string& out, int64_t steps) {
    std::vector<std::string> a = tiny_train_args(data, out, steps);
    set_option(a, "loss", "wgan-gp");
    return a;
  };
  ASSERT_NO_FATAL_FAILURE(expect_exact_resume(dir, args));
  const io::Checkpoint b = io::load_checkpoint(dir + "/resumed/checkpoint.ckpt");
  EXPECT_EQ(b.meta("loss"), "wgan-gp");
  EXPECT_EQ(b.meta("n_critic"), "5");
  EXPECT_EQ(b.meta("lr"), "0.0001");
  // Resuming with another loss is refused.
  const CliResult other = run_gan({"train", "--out", dir + "/resumed", "--resume", "--steps", "6", "--loss", "hinge",
                                   "--device", "cpu", "--quiet"});
  EXPECT_EQ(other.status, 2);
  EXPECT_CONTAINS(other.err, "--loss hinge differs from the resumed run's wgan-gp");
}

// Spectral norm (both nets), lazy R1, DiffAugment and an EMA of G together:
// the run resumes byte for byte (u, v, the R1 schedule and the augmentation's
// random numbers are all in the checkpoint, and refreshing the average's
// batch-norm statistics leaves its u and v alone), R1 took batch norm out of
// D, and the options are recorded and checked on resume.
TEST(TrainVariants, StabilisersTrainAndResumeExactly) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 48);
  auto args = [&](const std::string& out, int64_t steps) {
    std::vector<std::string> a = tiny_train_args(data, out, steps);
    for (auto [k, v] : {std::pair{"spectral-norm", "both"}, {"r1-gamma", "1"}, {"r1-every", "2"},
                        {"diffaugment", "color,translation,cutout"}, {"ema-decay", "0.9"}})
      set_option(a, k, v);
    return a;
  };
  ASSERT_NO_FATAL_FAILURE(expect_exact_resume(dir, args));
  const io::Checkpoint ck = io::load_checkpoint(dir + "/resumed/checkpoint.ckpt");
  EXPECT_EQ(ck.meta("spectral_norm"), "both");
  EXPECT_EQ(ck.meta("r1_gamma"), "1");
  EXPECT_EQ(ck.meta("r1_every"), "2");
  EXPECT_EQ(ck.meta("diff_augment"), "color,translation,cutout");
  EXPECT_EQ(ck.meta("discriminator_batchnorm"), "0");
  EXPECT_TRUE(ck.has("D.main.0.weight_u"));
  EXPECT_TRUE(ck.has("G.main.0.weight_v"));
  // Another policy on resume is refused; a bad one is refused up front.
  const CliResult other = run_gan({"train", "--out", dir + "/resumed", "--resume", "--steps", "6", "--diffaugment",
                                   "color", "--device", "cpu", "--quiet"});
  EXPECT_EQ(other.status, 2);
  EXPECT_CONTAINS(other.err, "--diffaugment color differs from the resumed run's color,translation,cutout");
  std::vector<std::string> bad = tiny_train_args(data, dir + "/bad", 2);
  set_option(bad, "diffaugment", "colour");
  const CliResult refused = run_gan(bad);
  EXPECT_NE(refused.status, 0);
  EXPECT_CONTAINS(refused.err, "'colour' is not one of color, translation, cutout");
  EXPECT_FALSE(fs::exists(dir + "/bad/checkpoint.ckpt"));
}

// ADA: p starts at 0, moves by the images of each step over --ada-images
// (here 8 of 16: by 0.5, so it visibly moves and stays in [0, 1]), is logged
// as losses.csv's augment_p column, and resumes exactly; ADA without a
// DiffAugment policy is refused up front.
TEST(TrainVariants, AdaptiveAugmentationLogsItsProbabilityAndResumesExactly) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 48);
  auto args = [&](const std::string& out, int64_t steps) {
    std::vector<std::string> a = tiny_train_args(data, out, steps);
    for (auto [k, v] : {std::pair{"diffaugment", "translation,cutout"}, {"ada-target", "0.6"}, {"ada-images", "16"}})
      set_option(a, k, v);
    return a;
  };
  ASSERT_NO_FATAL_FAILURE(expect_exact_resume(dir, args));
  const std::string csv = read_text(dir + "/straight/losses.csv");
  ASSERT_EQ(csv.substr(0, csv.find('\n')), "step,loss_D,loss_G,D_x,D_G_z,augment_p,frechet,class_entropy");
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);
  std::vector<double> p;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string f; std::getline(in, f, ',');) fields.push_back(f);
    ASSERT_GE(fields.size(), 6u) << line;
    p.push_back(std::stod(fields[5]));
  }
  ASSERT_EQ(p.size(), 4u);
  double previous = 0.0;  // where ADA starts
  for (double v : p) {
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 1.0);
    EXPECT_TRUE(v == 0.0 || v == 1.0 || std::abs(std::abs(v - previous) - 0.5) < 1e-12) << csv;
    previous = v;
  }
  const io::Checkpoint ck = io::load_checkpoint(dir + "/resumed/checkpoint.ckpt");
  EXPECT_EQ(ck.meta("ada_target"), "0.6");
  EXPECT_EQ(std::stod(ck.meta("augment_p")), p.back());
  std::vector<std::string> bad = tiny_train_args(data, dir + "/bad", 2);
  set_option(bad, "ada-target", "0.6");
  const CliResult refused = run_gan(bad);
  EXPECT_EQ(refused.status, 2);
  EXPECT_CONTAINS(refused.err, "--ada-target adapts the probability of --diffaugment");
}

TEST(TrainVariants, ConditionalRunDrawsOneRowPerClass) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 32);
  std::vector<std::string> args = tiny_train_args(data, dir + "/run", 3);
  set_option(args, "conditional", "");
  const CliResult r = run_gan(args);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(io::load_checkpoint(dir + "/run/checkpoint.ckpt").meta("num_classes"), "10");
  // The training grid: 10 class rows of 8 columns of 28x28 with 2-pixel padding.
  const io::Image grid = io::load_image(dir + "/run/samples/latest.png", 1);
  EXPECT_EQ(grid.width, 8 * 30 + 2);
  EXPECT_EQ(grid.height, 10 * 30 + 2);

  const std::string ckpt = dir + "/run/checkpoint.ckpt";
  CliResult s = run_gan({"sample", "--checkpoint", ckpt, "--n", "20", "--out", dir + "/rows.png", "--device", "cpu"});
  ASSERT_EQ(s.status, 0) << s.err;
  const io::Image rows = io::load_image(dir + "/rows.png", 1);
  EXPECT_EQ(rows.width, 2 * 30 + 2);
  EXPECT_EQ(rows.height, 10 * 30 + 2);
  s = run_gan({"sample", "--checkpoint", ckpt, "--class", "1", "--n", "4", "--out", dir + "/one.png", "--device",
               "cpu"});
  ASSERT_EQ(s.status, 0) << s.err;
  s = run_gan({"sample", "--checkpoint", ckpt, "--class", "10", "--out", dir + "/x.png", "--device", "cpu"});
  EXPECT_EQ(s.status, 2);
  EXPECT_CONTAINS(s.err, "outside the generator's classes 0..9");

  // An unconditional generator refuses --class; a folder data set refuses --conditional.
  ASSERT_EQ(run_gan(tiny_train_args(data, dir + "/plain", 1)).status, 0);
  s = run_gan({"sample", "--checkpoint", dir + "/plain/checkpoint.ckpt", "--class", "1", "--out", dir + "/y.png",
               "--device", "cpu"});
  EXPECT_EQ(s.status, 2);
  EXPECT_CONTAINS(s.err, "--class needs a conditional generator");
  fs::create_directories(dir + "/pics");
  io::Image img;
  img.width = img.height = 28;
  img.channels = 1;
  img.pixels.assign(28 * 28, 90);
  for (int i = 0; i < 8; ++i) io::write_png(dir + "/pics/" + std::to_string(i) + ".png", img);
  std::vector<std::string> folder = tiny_train_args(data, dir + "/folder", 1);
  set_option(folder, "dataset", "folder:" + dir + "/pics");
  set_option(folder, "channels", "1");
  set_option(folder, "conditional", "");
  const CliResult f = run_gan(folder);
  EXPECT_EQ(f.status, 1);
  EXPECT_CONTAINS(f.err, "--conditional needs class labels");
}

TEST(TrainVariants, EvalEveryLogsTheMetricAndTheRunIsPlotted) {
  const std::string dir = scratch_dir();
  const std::string data = write_bar_dataset(dir + "/data", 64, 28, 7, /*test_split=*/true);
  // A small classifier of the bars (the metric only needs some feature extractor here).
  {
    Rng init(1);
    FashionClassifier classifier(ClassifierConfig{}, init);
    ClassifierTrainSettings cs;
    cs.epochs = 1;
    cs.batch_size = 16;
    cs.progress = false;
    std::ostringstream quiet;
    train_classifier(classifier, io::load_mnist_dir(data, true), io::load_mnist_dir(data, false), cs, quiet);
    save_classifier(dir + "/classifier.ckpt", classifier);
  }
  std::vector<std::string> args = tiny_train_args(data, dir + "/run", 4);
  for (auto [k, v] : {std::pair{"eval-every", "2"}, {"classifier", ""}, {"eval-samples", "16"}, {"log-every", "10"}})
    set_option(args, k, std::string(k) == "classifier" ? dir + "/classifier.ckpt" : v);
  const CliResult r = run_gan(args);
  ASSERT_EQ(r.status, 0) << r.err;
  // Rows at the evaluated steps 2 and 4, with the metric; the header names it.
  const std::string csv = read_text(dir + "/run/losses.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "step,loss_D,loss_G,D_x,D_G_z,frechet,class_entropy");
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);
  int evaluated = 0;
  while (std::getline(lines, line)) {
    EXPECT_NE(line.back(), ',') << "an evaluated row has the metric: " << line;
    ++evaluated;
  }
  EXPECT_EQ(evaluated, 2);
  EXPECT_TRUE(fs::exists(dir + "/run/losses.png"));

  // `gan eval` on the finished run.
  const CliResult e = run_gan({"eval", "--checkpoint", dir + "/run/checkpoint.ckpt", "--classifier",
                               dir + "/classifier.ckpt", "--samples", "16", "--device", "cpu"});
  ASSERT_EQ(e.status, 0) << e.err;
  EXPECT_CONTAINS(e.out, "frechet distance (Fashion-MNIST classifier features, not Inception FID)");
  EXPECT_CONTAINS(e.out, "class coverage entropy");
  // Refused before it generates anything when its estimate does not fit
  // (test_memory_estimate.cpp checks the other commands).
  setenv("GAN_MEMORY_LIMIT_BYTES", "100000", 1);
  const CliResult refused = run_gan({"eval", "--checkpoint", dir + "/run/checkpoint.ckpt", "--classifier",
                                     dir + "/classifier.ckpt", "--samples", "16", "--device", "cpu"});
  unsetenv("GAN_MEMORY_LIMIT_BYTES");
  EXPECT_EQ(refused.status, 1);
  EXPECT_CONTAINS(refused.err, "not enough memory for this run");
  EXPECT_CONTAINS(refused.err, "(GAN_MEMORY_LIMIT_BYTES); lower --samples");
  // Without a classifier, both say how to make one.
  const CliResult missing = run_gan({"eval", "--checkpoint", dir + "/run/checkpoint.ckpt", "--classifier",
                                     dir + "/nope.ckpt", "--device", "cpu"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_CONTAINS(missing.err, "gan classifier train");
}

// --ema-decay and TTUR's --lr-d / --lr-g: kept in the checkpoint, part of exact
// resumption, and the average is what the samples and `gan sample` use.
TEST(TrainVariants, EmaAndOwnLearningRatesResumeExactly) {
  const std::string dir = scratch_dir(), data = write_bar_dataset(dir + "/data", 40);
  auto args = [&](const std::string& out, int64_t steps) {
    std::vector<std::string> a = tiny_train_args(data, out, steps);
    for (auto [k, v] : {std::pair{"ema-decay", "0.9"}, {"lr-d", "0.0004"}, {"lr-g", "0.0001"}}) set_option(a, k, v);
    return a;
  };
  ASSERT_EQ(run_gan(args(dir + "/straight", 8)).status, 0);
  ASSERT_EQ(run_gan(args(dir + "/resumed", 4)).status, 0);
  const CliResult r = run_gan({"train", "--out", dir + "/resumed", "--resume", "--steps", "8", "--device", "cpu",
                               "--log-every", "1", "--sample-every", "0", "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(dir + "/straight/losses.csv"), read_text(dir + "/resumed/losses.csv"));
  expect_same_records(dir + "/straight/checkpoint.ckpt", dir + "/resumed/checkpoint.ckpt");
  const std::string ckpt = dir + "/resumed/checkpoint.ckpt";
  const io::Checkpoint ck = io::load_checkpoint(ckpt);
  EXPECT_EQ(ck.meta("ema_decay"), "0.9");
  EXPECT_EQ(ck.meta("lr_d"), "0.0004");
  EXPECT_EQ(ck.meta("lr_g"), "0.0001");
  // The average is its own record and differs from the trained weights.
  ASSERT_TRUE(ck.has("G_ema.main.0.weight"));
  EXPECT_FALSE(ck.get("G_ema.main.0.weight").bytes == ck.get("G.main.0.weight").bytes);
  // A resume that contradicts them is refused, naming the option.
  CliResult c = run_gan({"train", "--out", dir + "/resumed", "--resume", "--steps", "9", "--lr-g", "0.0002",
                         "--device", "cpu", "--quiet"});
  EXPECT_EQ(c.status, 2);
  EXPECT_CONTAINS(c.err, "--lr-g 0.0002 differs from the resumed run's 0.0001");
  c = run_gan({"train", "--out", dir + "/resumed", "--resume", "--steps", "9", "--ema-decay", "0", "--device", "cpu",
               "--quiet"});
  EXPECT_EQ(c.status, 2);
  EXPECT_CONTAINS(c.err, "--ema-decay 0 differs from the resumed run's 0.9");

  // `gan sample` draws from the average unless --no-ema; the two grids differ.
  CliResult s = run_gan({"sample", "--checkpoint", ckpt, "--n", "4", "--out", dir + "/ema.png", "--device", "cpu"});
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_CONTAINS(s.err, "from the moving average of G's weights");
  s = run_gan({"sample", "--checkpoint", ckpt, "--n", "4", "--out", dir + "/raw.png", "--no-ema", "--device", "cpu"});
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(s.err.find("moving average"), std::string::npos) << s.err;
  EXPECT_NE(io::load_image(dir + "/ema.png", 1).pixels, io::load_image(dir + "/raw.png", 1).pixels);
  bool averaged = false;
  const auto g = load_generator(ckpt, Device::cpu(), false, &averaged);
  EXPECT_TRUE(averaged);
  load_generator(ckpt, Device::cpu(), true, &averaged);
  EXPECT_FALSE(averaged);

  // The average's batch-norm statistics in the file are those of its own
  // weights: recomputing them from the same draws changes nothing. (Averaged
  // statistics, as ema_update leaves them, differ by ~1e-3 here: 100x the
  // tolerance.)
  const std::vector<NamedTensor> saved = g->named_buffers();
  std::vector<std::vector<double>> before;
  for (const auto& [name, t] : saved) before.push_back(t.to_vector<double>());
  Rng noise(stream_seed(meta_int(ck, "seed", ckpt), kEmaStatisticsStream));
  recompute_batch_norm_statistics(*g, 16, [&] { g->forward(Tensor::randn({64, g->config.nz}, noise)); });
  ASSERT_FALSE(saved.empty());
  for (size_t i = 0; i < saved.size(); ++i) {
    const std::vector<double> after = saved[i].second.to_vector<double>();
    for (size_t j = 0; j < after.size(); ++j)
      ASSERT_NEAR(after[j], before[i][j], 1e-5 * (1 + std::abs(before[i][j]))) << saved[i].first << "[" << j << "]";
  }
}

TEST(TrainVariants, DAndGGetTheirOwnLearningRates) {
  const std::string dir = scratch_dir();
  const io::ImageSet data = io::load_image_set("idx:" + write_bar_dataset(dir + "/data", 16), 28, 0);
  // A rate of 0 leaves a network's weights exactly as they were: with --lr 0,
  // only the network given its own rate moves.
  for (const bool d_trains : {true, false}) {
    TrainSettings s;
    s.model.image_size = 28;
    s.model.nz = 8;
    s.model.ngf = s.model.ndf = 4;
    s.lr = 0;
    (d_trains ? s.lr_d : s.lr_g) = 1e-3;
    DcganTrainer trainer(s);
    const auto g_before = trainer.generator().parameters()[0].to_vector<double>();
    const auto d_before = trainer.discriminator().parameters()[0].to_vector<double>();
    io::BatchLoader loader(data, 8, 3);
    ASSERT_TRUE(DcganTrainer::read_stats(trainer.step({loader.next()})).finite());
    EXPECT_EQ(trainer.discriminator().parameters()[0].to_vector<double>() != d_before, d_trains);
    EXPECT_EQ(trainer.generator().parameters()[0].to_vector<double>() != g_before, !d_trains);
  }
  // A rollback's halving scales both rates (and --lr), keeping their ratio.
  TrainSettings s;
  s.model.image_size = 28;
  s.model.nz = 8;
  s.model.ngf = s.model.ndf = 4;
  s.lr_d = 4e-4;
  s.lr_g = 1e-4;
  DcganTrainer trainer(s);
  EXPECT_EQ(trainer.learning_rate(), 4e-4);
  trainer.set_learning_rate(trainer.learning_rate() / 2);
  EXPECT_EQ(trainer.settings().d_lr(), 2e-4);
  EXPECT_EQ(trainer.settings().g_lr(), 0.5e-4);
  EXPECT_EQ(trainer.settings().lr, 1e-4);
  const io::Checkpoint ck = trainer.save_state();
  EXPECT_EQ(ck.meta("lr_d"), "0.0002");
  EXPECT_EQ(ck.meta("lr_g"), "0.00005");
}

TEST(TrainVariants, A128PixelDcganTrainsOnAFolderOfImages) {
  const std::string dir = scratch_dir();
  fs::create_directories(dir + "/pics");
  Rng rng(9);
  for (int i = 0; i < 4; ++i) {  // random RGB noise of odd sizes: cropped and resized to 128x128
    io::Image img;
    img.width = 150 + 10 * i;
    img.height = 140;
    img.channels = 3;
    img.pixels.resize(static_cast<size_t>(img.width * img.height * 3));
    for (uint8_t& p : img.pixels) p = static_cast<uint8_t>(rng.next_below(256));
    io::write_png(dir + "/pics/" + std::to_string(i) + ".png", img);
  }
  const std::vector<std::string> base = {"train",  "--dataset", "folder:" + dir + "/pics", "--device", "cpu",
                                         "--steps", "2",        "--ngf", "2", "--ndf", "2", "--nz", "8",
                                         "--batch-size", "2",   "--quiet"};
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--out", dir + "/run", "--image-size", "128", "--ema-decay", "0.99"});
  CliResult r = run_gan(args);
  ASSERT_EQ(r.status, 0) << r.err;
  const io::Checkpoint ck = io::load_checkpoint(dir + "/run/checkpoint.ckpt");
  EXPECT_EQ(ck.meta("image_height"), "128");
  EXPECT_EQ(ck.meta("image_width"), "128");
  EXPECT_EQ(ck.meta("step"), "2");
  // 64 samples of 128x128 RGB in an 8x8 grid with 2-pixel padding.
  const io::Image grid = io::load_image(dir + "/run/samples/latest.png", 3);
  EXPECT_EQ(grid.width, 8 * 130 + 2);
  EXPECT_EQ(grid.height, 8 * 130 + 2);

  // A rectangle: 64 high, 32 wide, in the checkpoint, the grid and `gan sample`.
  args = base;
  args.insert(args.end(), {"--out", dir + "/rect", "--image-size", "64x32"});
  r = run_gan(args);
  ASSERT_EQ(r.status, 0) << r.err;
  const io::Checkpoint rc = io::load_checkpoint(dir + "/rect/checkpoint.ckpt");
  EXPECT_EQ(rc.meta("image_height"), "64");
  EXPECT_EQ(rc.meta("image_width"), "32");
  EXPECT_FALSE(rc.has_meta("image_size")) << "older engines must not read it as a square";
  const io::Image rect = io::load_image(dir + "/rect/samples/latest.png", 3);
  EXPECT_EQ(rect.width, 8 * 34 + 2);
  EXPECT_EQ(rect.height, 8 * 66 + 2);
  const CliResult s = run_gan({"sample", "--checkpoint", dir + "/rect/checkpoint.ckpt", "--n", "2", "--out",
                               dir + "/two.png", "--device", "cpu"});
  ASSERT_EQ(s.status, 0) << s.err;
  const io::Image two = io::load_image(dir + "/two.png", 3);
  EXPECT_EQ(two.width, 2 * 34 + 2);
  EXPECT_EQ(two.height, 66 + 2);  // one row
  // Resuming with the size written another way is the same size; another one is refused.
  r = run_gan({"train", "--out", dir + "/rect", "--resume", "--steps", "3", "--image-size", "64x32", "--device",
               "cpu", "--quiet"});
  EXPECT_EQ(r.status, 0) << r.err;
  r = run_gan({"train", "--out", dir + "/rect", "--resume", "--steps", "4", "--image-size", "32x64", "--device",
               "cpu", "--quiet"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "--image-size 32x64 differs from the resumed run's 64x32");
  r = run_gan({"train", "--out", dir + "/bad", "--image-size", "64y32", "--device", "cpu", "--quiet"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "--image-size expects N or HxW (height x width)");
}

}  // namespace
}  // namespace gan::app
