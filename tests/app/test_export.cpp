// `gan export` and the imports (`gan sample --weights`, `gan train
// --init-from`): exported weights reproduce the engine's outputs exactly, and a
// mismatched file is refused naming the tensor. ExportReference also writes the
// files that tests/export/check_export.py runs through ONNX Runtime and the
// safetensors package (ctest runs it first with GAN_EXPORT_REFERENCE_DIR set).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>

#include "app_test_util.h"
#include "apps/gan/cyclegan_trainer.h"
#include "apps/gan/dcgan_trainer.h"
#include "apps/gan/pix2pix_trainer.h"
#include "core/autograd.h"
#include "core/io/png_grid.h"
#include "core/io/safetensors.h"
#include "layers/state_dict.h"
#include "models/onnx_export.h"
#include "translation_test_util.h"

namespace gan::app {
namespace {

using testing::CliResult;
using testing::run_gan;

// One network of a model kind, with the inputs it is checked on.
struct Net {
  std::string name;                                  // record prefix without the dot: "G", "G_AB"
  std::function<std::shared_ptr<Module>()> build;    // a fresh, untrained instance in eval mode
  std::vector<std::pair<std::string, Tensor>> inputs;  // by ONNX input name
  std::vector<int64_t> labels;                       // the "class" input, when conditional
  std::function<Tensor(Module&)> run;
};

Tensor images_in(Rng& rng, const Shape& shape) { return tanh(Tensor::randn(shape, rng)); }

// The checkpoint records `gan export` writes as network `net`: a DCGAN's G is
// the moving average of its weights when the run kept one (at 28x28 with bce
// it does by default), every other network itself.
std::string exported_prefix(const io::Checkpoint& ck, const std::string& net) {
  return net == "G" && keeps_generator_average(ck, "ck") ? "G_ema." : net + ".";
}

std::vector<Net> dcgan_nets(const DcganConfig& c, Rng& rng) {
  const Tensor z = Tensor::randn({4, c.nz}, rng);
  const Tensor x = images_in(rng, {4, c.channels, c.image_size, c.image_size});
  const std::vector<int64_t> labels = c.num_classes > 0 ? std::vector<int64_t>{0, 1, 1, 0} : std::vector<int64_t>{};
  auto codes = [c, labels] { return one_hot(labels, c.num_classes); };
  Net g{"G", [c] { Rng r(0); return std::make_shared<DcganGenerator>(c, r); }, {{"z", z}}, labels,
        [=](Module& m) {
          auto& gen = dynamic_cast<DcganGenerator&>(m);
          return c.num_classes > 0 ? gen.forward(z, codes()) : gen.forward(z);
        }};
  Net d{"D", [c] { Rng r(0); return std::make_shared<DcganDiscriminator>(c, r); }, {{"image", x}}, labels,
        [=](Module& m) {
          auto& dis = dynamic_cast<DcganDiscriminator&>(m);
          return c.num_classes > 0 ? dis.forward(x, codes()) : dis.forward(x);
        }};
  return {g, d};
}

template <typename M, typename Config>
Net image_net(const std::string& name, const Config& config, const Tensor& x) {
  return {name, [config] { Rng r(0); return std::make_shared<M>(config, r); }, {{"image", x}}, {},
          [x](Module& m) { return m.forward(x); }};
}

// The model kinds `gan` trains, each as a tiny run of a few steps (so batch
// norm's running statistics are no longer 0 and 1).
struct Kind {
  std::string name;
  std::vector<std::string> train;
  std::function<std::vector<Net>(const io::Checkpoint&, Rng&)> nets;
};

std::vector<Kind> kinds(const std::string& dir) {
  const std::string bars = testing::write_bar_dataset(dir + "/bars", 64);
  const std::string unpaired = testing::write_unpaired_bars(dir + "/unpaired", 6);
  const std::string paired = testing::write_paired_bars(dir + "/paired", 4, 68);
  auto dcgan = [](const io::Checkpoint& ck, Rng& rng) { return dcgan_nets(model_from_meta(ck, "ck"), rng); };
  std::vector<Kind> out;
  out.push_back({"dcgan", testing::tiny_train_args(bars, dir + "/dcgan/run", 3), dcgan});
  auto wgan = testing::tiny_train_args(bars, dir + "/dcgan-wgan-gp-64/run", 2);
  testing::set_option(wgan, "image-size", "64");
  testing::set_option(wgan, "ngf", "4");
  testing::set_option(wgan, "ndf", "4");
  testing::set_option(wgan, "loss", "wgan-gp");
  out.push_back({"dcgan-wgan-gp-64", wgan, dcgan});
  auto conditional = testing::tiny_train_args(bars, dir + "/dcgan-conditional/run", 3);
  testing::set_option(conditional, "conditional", "");
  out.push_back({"dcgan-conditional", conditional, dcgan});
  out.push_back({"cyclegan", testing::tiny_cyclegan_args(unpaired, dir + "/cyclegan/run", 2),
                 [](const io::Checkpoint& ck, Rng& rng) {
                   const CycleGanModel m = cyclegan_model_from_meta(ck, "ck");
                   const Tensor a = images_in(rng, {3, m.channels, 16, 16}), b = images_in(rng, {3, m.channels, 16, 16});
                   return std::vector<Net>{image_net<ResnetGenerator>("G_AB", m.generator(), a),
                                           image_net<ResnetGenerator>("G_BA", m.generator(), b),
                                           image_net<PatchDiscriminator>("D_A", m.discriminator(), a),
                                           image_net<PatchDiscriminator>("D_B", m.discriminator(), b)};
                 }});
  out.push_back({"pix2pix", testing::tiny_pix2pix_args(paired, dir + "/pix2pix/run", 2),
                 [](const io::Checkpoint& ck, Rng& rng) {
                   const Pix2PixModel m = pix2pix_model_from_meta(ck, "ck");
                   const Tensor a = images_in(rng, {2, m.channels, 64, 64});
                   const Tensor pair = images_in(rng, {2, 2 * m.channels, 64, 64});
                   return std::vector<Net>{image_net<UnetGenerator>("G", m.generator(), a),
                                           image_net<PatchDiscriminator>("D", m.discriminator(), pair)};
                 }});
  return out;
}

void add_tensor(io::Checkpoint& ck, const std::string& name, const Tensor& t) {
  save_tensors(ck, "", {{name, t}});
}

// Every model kind: train a few steps, export both formats, and check that the
// exported weights, imported into fresh networks, give the training
// checkpoint's outputs bit for bit. Leaves per kind, for check_export.py:
// run/checkpoint.ckpt, model.safetensors, model.<net>.onnx and reference.safetensors
// ("<net>.input.<name>" and "<net>.output", the engine's outputs).
TEST(ExportReference, EveryModelKindRoundTrips) {
  const char* env = std::getenv("GAN_EXPORT_REFERENCE_DIR");
  const std::string base = env && *env ? env : testing::scratch_dir();
  std::filesystem::create_directories(base);
  for (const Kind& kind : kinds(base)) {
    SCOPED_TRACE(kind.name);
    const std::string dir = base + "/" + kind.name, ck_path = dir + "/run/checkpoint.ckpt";
    std::filesystem::remove_all(dir);
    CliResult r = run_gan(kind.train);
    ASSERT_EQ(r.status, 0) << r.err;
    r = run_gan({"export", "--checkpoint", ck_path, "--format", "safetensors", "--which", "both", "--out",
                 dir + "/model.safetensors"});
    ASSERT_EQ(r.status, 0) << r.err;
    if (onnx_export_available()) {
      r = run_gan({"export", "--checkpoint", ck_path, "--which", "both", "--out", dir + "/model.onnx"});
      ASSERT_EQ(r.status, 0) << r.err;
    }

    const io::Checkpoint ck = io::load_checkpoint(ck_path);
    const io::Checkpoint weights = io::load_safetensors(dir + "/model.safetensors");
    EXPECT_EQ(weights.meta("model"), ck.meta("model"));
    Rng rng(11);
    io::Checkpoint reference;
    for (const Net& net : kind.nets(ck, rng)) {
      SCOPED_TRACE(net.name);
      if (onnx_export_available()) {
        EXPECT_TRUE(std::filesystem::exists(dir + "/model." + net.name + ".onnx"));
      }
      NoGradGuard no_grad;
      const std::shared_ptr<Module> trained = net.build(), imported = net.build();
      load_tensors(ck, exported_prefix(ck, net.name), state_tensors(*trained), ck_path);
      trained->eval();
      // The import's other networks must be there too (require_all), so that
      // the file's every tensor is checked.
      import_networks(weights, {{net.name + ".", imported.get()}}, "model.safetensors", true);
      imported->eval();
      const Tensor expected = net.run(*trained), got = net.run(*imported);
      ASSERT_EQ(expected.shape(), got.shape());
      EXPECT_EQ(expected.to_vector<float>(), got.to_vector<float>()) << "the import changed the outputs";
      for (const auto& [name, t] : net.inputs) add_tensor(reference, net.name + ".input." + name, t);
      if (!net.labels.empty())
        reference.add(net.name + ".input.class", io::RecordType::I64, {static_cast<int64_t>(net.labels.size())},
                      net.labels.data(), net.labels.size() * sizeof(int64_t));
      add_tensor(reference, net.name + ".output", expected);
    }
    io::save_safetensors(dir + "/reference.safetensors", reference);
  }
}

class Export : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::scratch_dir();
    data_ = testing::write_bar_dataset(dir_ + "/data", 32);
    const CliResult r = run_gan(testing::tiny_train_args(data_, dir_ + "/run", 2));
    ASSERT_EQ(r.status, 0) << r.err;
    checkpoint_ = dir_ + "/run/checkpoint.ckpt";
  }
  std::string export_weights(const std::string& which = "both") {
    const std::string out = dir_ + "/weights-" + which + ".safetensors";
    const CliResult r = run_gan({"export", "--checkpoint", checkpoint_, "--format", "safetensors", "--which", which,
                                 "--out", out});
    EXPECT_EQ(r.status, 0) << r.err;
    return out;
  }
  CliResult sample(const std::string& option, const std::string& file, const std::string& png) {
    return run_gan({"sample", option, file, "--n", "6", "--out", png, "--device", "cpu"});
  }
  std::string dir_, data_, checkpoint_;
};

TEST_F(Export, SampleFromWeightsIsTheCheckpointsGrid) {
  ASSERT_EQ(sample("--checkpoint", checkpoint_, dir_ + "/ck.png").status, 0);
  const CliResult r = sample("--weights", export_weights("G"), dir_ + "/w.png");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string a = testing::read_text(dir_ + "/ck.png"), b = testing::read_text(dir_ + "/w.png");
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b) << "the grids from the checkpoint and from its exported weights differ";
}

// A spectral-norm run (both networks) exports plain weights W / sigma: no
// u, v in the file, no spectral norm in its options, and the grid drawn from
// the file is the checkpoint's, byte for byte.
TEST_F(Export, SpectralNormIsFoldedIntoTheWeights) {
  auto args = testing::tiny_train_args(data_, dir_ + "/sn", 2);
  testing::set_option(args, "spectral-norm", "both");
  ASSERT_EQ(run_gan(args).status, 0);
  checkpoint_ = dir_ + "/sn/checkpoint.ckpt";
  const std::string file = export_weights("both");
  const io::Checkpoint w = io::load_safetensors(file);
  EXPECT_EQ(w.meta("spectral_norm"), "none");
  for (const auto& r : w.records) EXPECT_EQ(r.name.find("weight_u"), std::string::npos) << r.name;
  const io::Checkpoint ck = io::load_checkpoint(checkpoint_);
  EXPECT_FALSE(ck.get("G.main.0.weight").bytes == w.get("G.main.0.weight").bytes) << "the weight was not divided";
  ASSERT_EQ(sample("--checkpoint", checkpoint_, dir_ + "/ck.png").status, 0);
  const CliResult r = sample("--weights", file, dir_ + "/w.png");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(testing::read_text(dir_ + "/ck.png"), testing::read_text(dir_ + "/w.png"));
}

TEST_F(Export, SafetensorsHoldsTheChosenNetworksWithModelOptions) {
  const io::Checkpoint g = io::load_safetensors(export_weights("G"));
  const io::Checkpoint both = io::load_safetensors(export_weights("both"));
  EXPECT_EQ(g.meta("model"), "dcgan");
  EXPECT_EQ(g.meta("nz"), "8");
  EXPECT_EQ(g.meta("networks"), "G");
  EXPECT_EQ(both.meta("networks"), "G,D");
  EXPECT_EQ(g.records.front().name, "G.main.0.weight");
  EXPECT_TRUE(both.has("D.main.0.weight"));
  EXPECT_TRUE(both.has("G.main.1.running_var"));
  EXPECT_FALSE(g.has("D.main.0.weight"));
  for (const auto& r : both.records) EXPECT_NE(r.name.rfind("opt", 0), 0u) << "optimizer state exported: " << r.name;
  // The values are the checkpoint's, bit for bit: G's are its moving average's
  // (this 28x28 bce run keeps one by default).
  const io::Checkpoint ck = io::load_checkpoint(checkpoint_);
  ASSERT_EQ(exported_prefix(ck, "G"), "G_ema.");
  for (const auto& r : both.records) {
    const size_t dot = r.name.find('.');
    const std::string source = exported_prefix(ck, r.name.substr(0, dot)) + r.name.substr(dot + 1);
    EXPECT_TRUE(ck.get(source).bytes == r.bytes) << r.name << " is not " << source;
  }
}

TEST_F(Export, InitFromStartsFromTheFilesWeights) {
  const std::string weights = export_weights("both");
  auto args = testing::tiny_train_args(data_, dir_ + "/second", 1);
  testing::set_option(args, "init-from", weights);
  testing::set_option(args, "lr", "0");  // Adam with lr 0 leaves the parameters as loaded
  const CliResult r = run_gan(args);
  ASSERT_EQ(r.status, 0) << r.err;
  const io::Checkpoint first = io::load_checkpoint(checkpoint_);
  const io::Checkpoint second = io::load_checkpoint(dir_ + "/second/checkpoint.ckpt");
  for (const auto& [net, layer] : {std::pair{"G", "main.0.weight"}, {"G", "main.3.weight"}, {"D", "main.0.weight"},
                                    {"D", "main.2.weight"}}) {
    const std::string name = std::string(net) + "." + layer, source = exported_prefix(first, net) + layer;
    EXPECT_TRUE(first.get(source).bytes == second.get(name).bytes) << name << " is not the imported " << source;
  }
}

TEST_F(Export, InitFromNamesTheTensorWhoseShapeDiffers) {
  auto args = testing::tiny_train_args(data_, dir_ + "/second", 1);
  testing::set_option(args, "nz", "10");
  testing::set_option(args, "init-from", export_weights("G"));
  const CliResult r = run_gan(args);
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "tensor 'G.main.0.weight' has shape [8, 16, 7, 7] but the model expects [10, 16, 7, 7]");
}

TEST_F(Export, ImportNamesAnUnexpectedOrMissingTensor) {
  const std::string path = export_weights("G");
  io::Checkpoint w = io::load_safetensors(path);
  const float v = 1.0f;
  w.add("G.main.9.weight", io::RecordType::F32, {1}, &v, sizeof v);
  io::save_safetensors(dir_ + "/extra.safetensors", w);
  CliResult r = sample("--weights", dir_ + "/extra.safetensors", dir_ + "/x.png");
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "tensor 'G.main.9.weight' is not a tensor of the model");

  w = io::load_safetensors(path);
  w.records.erase(w.records.begin() + 1);  // G.main.1.weight
  io::save_safetensors(dir_ + "/missing.safetensors", w);
  r = sample("--weights", dir_ + "/missing.safetensors", dir_ + "/x.png");
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "no tensor named 'G.main.1.weight'");

  w = io::load_safetensors(path);
  w.metadata.clear();
  io::save_safetensors(dir_ + "/bare.safetensors", w);
  r = sample("--weights", dir_ + "/bare.safetensors", dir_ + "/x.png");
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "no model options");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/x.png"));
}

TEST_F(Export, SampleDrawsTheNoiseOfAFile) {
  // The same z through the checkpoint's generator, directly and by --noise.
  Rng rng(5);
  const Tensor z = Tensor::randn({3, 8}, rng);
  io::Checkpoint noise;
  save_tensors(noise, "", {{"z", z}});
  io::save_safetensors(dir_ + "/z.safetensors", noise);
  const CliResult r = run_gan({"sample", "--checkpoint", checkpoint_, "--noise", dir_ + "/z.safetensors", "--out",
                               dir_ + "/z.png", "--device", "cpu"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto g = load_generator(checkpoint_, Device::cpu());
  NoGradGuard no_grad;
  const Tensor images = g->forward(z);
  io::write_image_grid_png(dir_ + "/direct.png", images.data<float>(), 3, 1, 28, 28, 2);
  EXPECT_EQ(testing::read_text(dir_ + "/z.png"), testing::read_text(dir_ + "/direct.png"));

  noise = io::Checkpoint();
  save_tensors(noise, "", {{"z", Tensor::randn({3, 9}, rng)}});
  io::save_safetensors(dir_ + "/z9.safetensors", noise);
  const CliResult bad = run_gan({"sample", "--checkpoint", checkpoint_, "--noise", dir_ + "/z9.safetensors", "--out",
                                 dir_ + "/z9.png", "--device", "cpu"});
  EXPECT_EQ(bad.status, 1);
  EXPECT_CONTAINS(bad.err, "--noise needs a tensor 'z' of f32 [n, 8] (n >= 1) for this generator, got f32 [3, 9]");
}

TEST_F(Export, RefusesBadCommandLines) {
  CliResult r = run_gan({"export", "--checkpoint", checkpoint_, "--format", "safetensors", "--out", dir_ + "/w.onnx"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "writes a FILE.safetensors");
  r = run_gan({"sample", "--checkpoint", checkpoint_, "--weights", dir_ + "/w.safetensors", "--out", dir_ + "/x.png"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "either --checkpoint or --weights");
  r = run_gan({"sample", "--weights", checkpoint_, "--out", dir_ + "/x.png"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "give a FILE.safetensors");
  auto args = testing::tiny_train_args(data_, dir_ + "/run", 3);
  testing::set_option(args, "resume", "");
  testing::set_option(args, "init-from", dir_ + "/w.safetensors");
  r = run_gan(args);
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "--init-from starts a new run");
}

TEST_F(Export, CorruptWeightsFileIsReported) {
  const std::string path = export_weights("G");
  const std::vector<uint8_t> bytes = io::read_file(path);
  ASSERT_GT(bytes.size(), 10u);
  // The file less its last 10 bytes (a copy of the prefix: GCC's -O2 -Werror under the
  // sanitizers cannot prove that resize(size - 10) shrinks).
  const std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 10);
  io::write_file_atomic(dir_ + "/cut.safetensors", cut.data(), cut.size());
  const CliResult r = sample("--weights", dir_ + "/cut.safetensors", dir_ + "/x.png");
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "cut.safetensors: truncated or corrupt");
}

}  // namespace
}  // namespace gan::app
