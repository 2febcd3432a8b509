// `gan export`: a training checkpoint's networks as ONNX graphs or as a
// safetensors weights file (the formats: models/onnx_export.h,
// core/io/safetensors.h; names and usage: docs/export.md). The app part is
// only this: which networks a checkpoint holds, rebuilt and loaded.
#include <cctype>
#include <functional>
#include <iostream>
#include <memory>

#include "apps/gan/commands.h"
#include "apps/gan/cyclegan_trainer.h"
#include "apps/gan/dcgan_trainer.h"
#include "apps/gan/pix2pix_trainer.h"
#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/version.h"
#include "layers/layers.h"
#include "layers/state_dict.h"
#include "models/onnx_export.h"

namespace gan::app {

namespace {

// One network of a checkpoint: its record prefix without the dot ("G_AB"),
// whether it is a generator, the loaded module, and its ONNX writer.
struct Network {
  std::string name;
  bool generator;
  std::shared_ptr<Module> module;
  std::function<void(const std::string& file)> to_onnx;
};

template <typename Net, typename Config>
Network load_network(const io::Checkpoint& ck, const std::string& source, const std::string& name, bool generator,
                     const Config& config, const std::string& record = "") {
  Rng unused(0);  // every weight comes from the checkpoint
  auto net = std::make_shared<Net>(config, unused);
  load_tensors(ck, (record.empty() ? name : record) + ".", state_tensors(*net), source);
  net->eval();
  return {name, generator, net, [net, name](const std::string& file) { export_onnx(file, *net, name + "."); }};
}

// The checkpoint's networks, and its model options as metadata.
std::vector<Network> networks_of(const io::Checkpoint& ck, const std::string& path, io::Checkpoint& options) {
  const std::string model = ck.has_meta("model") ? ck.meta("model") : "";
  if (model == "dcgan") {
    const DcganConfig c = model_from_meta(ck, path);
    // The generator `gan sample` uses: the moving average of its weights when the run kept one (--ema-decay).
    const bool ema = keeps_generator_average(ck, path);
    std::vector<Network> nets = {load_network<DcganGenerator>(ck, path, "G", true, c, ema ? "G_ema" : "G"),
                                 load_network<DcganDiscriminator>(ck, path, "D", false, c)};
    // Spectral norm is folded in: each weight becomes W / sigma with the
    // run's u and v, which is what an eval forward computes, so the exported
    // networks are plain ones with the same outputs.
    DcganConfig plain = c;
    plain.spectral_norm_d = plain.spectral_norm_g = false;
    for (Network& n : nets) fold_spectral_norm(*n.module);
    put_model_meta(options, plain);
    return nets;
  }
  if (model == "cyclegan") {
    const CycleGanModel m = cyclegan_model_from_meta(ck, path);
    put_cyclegan_meta(options, m);
    return {load_network<ResnetGenerator>(ck, path, "G_AB", true, m.generator()),
            load_network<ResnetGenerator>(ck, path, "G_BA", true, m.generator()),
            load_network<PatchDiscriminator>(ck, path, "D_A", false, m.discriminator()),
            load_network<PatchDiscriminator>(ck, path, "D_B", false, m.discriminator())};
  }
  if (model == "pix2pix") {
    const Pix2PixModel m = pix2pix_model_from_meta(ck, path);
    put_pix2pix_meta(options, m);
    // The direction it was trained for, which `gan translate --weights` checks.
    if (ck.has_meta("direction")) options.put_meta("direction", ck.meta("direction"));
    return {load_network<UnetGenerator>(ck, path, "G", true, m.generator()),
            load_network<PatchDiscriminator>(ck, path, "D", false, m.discriminator())};
  }
  throw IoError(path + ": metadata 'model' is " + (model.empty() ? "missing" : "'" + model + "'") +
                ": export needs a checkpoint of 'gan train', 'gan cyclegan train' or 'gan pix2pix train'");
}

bool ends_with(const std::string& s, const std::string& ending) {
  if (s.size() < ending.size()) return false;
  for (size_t i = 0; i < ending.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[s.size() - ending.size() + i])) != ending[i]) return false;
  }
  return true;
}

}  // namespace

CommandSpec export_spec() {
  CommandSpec c("export", "Export trained networks as ONNX or safetensors, for other runtimes and PyTorch.",
                "onnx: one inference graph per network (batch norm with its running statistics, dropout off); "
                "with several networks, --out's name gets each one's before .onnx (out.G_AB.onnx). safetensors: "
                "one file of all the chosen networks' weights, named G.main.0.weight and so on, with the model "
                "options in its metadata ('gan sample --weights', 'gan train --init-from' read it). Optimizer "
                "state is not exported. Names and examples: docs/export.md.");
  c.add_string("checkpoint", "PATH", "checkpoint of 'gan train', 'gan cyclegan train' or 'gan pix2pix train'")
      .required();
  c.add_choice("format", {"onnx", "safetensors"}, "onnx: inference graphs; safetensors: the weights", "onnx");
  c.add_string("out", "FILE", "FILE.onnx or FILE.safetensors to write").required();
  c.add_choice("which", {"G", "D", "both"},
               "the generator(s) (CycleGAN: G_AB and G_BA), the discriminator(s), or both", "G");
  return c;
}

int cmd_export(const ParsedArgs& a) {
  const std::string path = a.get_string("checkpoint"), out = a.get_string("out"), format = a.get_string("format");
  const std::string ending = format == "onnx" ? ".onnx" : ".safetensors";
  usage_check(ends_with(out, ending) && out.size() > ending.size(),
              "--out '" + out + "': --format " + format + " writes a FILE" + ending, "export");
  usage_check(format != "onnx" || onnx_export_available(),
              "this build has no ONNX export: install libonnx-dev, libprotobuf-dev and protobuf-compiler "
              "(scripts/setup.sh does) and rebuild; --format safetensors works without them",
              "export");
  const io::Checkpoint ck = io::load_checkpoint(path);
  io::Checkpoint weights;
  std::vector<Network> networks = networks_of(ck, path, weights);
  const std::string which = a.get_string("which");
  std::erase_if(networks, [&](const Network& n) { return which != "both" && n.generator != (which == "G"); });

  if (format == "safetensors") {
    weights.put_meta("engine_version", version());
    std::string names;
    for (const Network& n : networks) {
      save_tensors(weights, n.name + ".", state_tensors(*n.module));
      names += (names.empty() ? "" : ",") + n.name;
    }
    weights.put_meta("networks", names);
    io::save_safetensors(out, weights);
    std::cerr << "gan export: wrote " << names << " (" << weights.records.size() << " tensors) to " << out << "\n";
    return 0;
  }
  for (const Network& n : networks) {
    const std::string file =
        networks.size() == 1 ? out : out.substr(0, out.size() - ending.size()) + "." + n.name + ending;
    n.to_onnx(file);
    std::cerr << "gan export: wrote " << n.name << " to " << file << "\n";
  }
  return 0;
}

}  // namespace gan::app
