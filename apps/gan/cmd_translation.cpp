// Image-to-image translation commands: `gan cyclegan train` (unpaired),
// `gan pix2pix train` (paired) and `gan translate` (apply a trained
// generator to images). The trainers are in cyclegan_trainer.h and
// pix2pix_trainer.h, the data layouts in core/io/translation_data.h, the run
// directory, resumption and the loop in train_loop.h; docs/style-transfer.md
// describes the methods.
//
// losses.csv columns: CycleGAN step, D_A, D_B, G_AB, G_BA, cycle_A, cycle_B,
// idt_A, idt_B, lr; pix2pix step, loss_D, loss_G, L1, D_x, D_G_z, lr.
#include <omp.h>

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "apps/gan/commands.h"
#include "apps/gan/cyclegan_trainer.h"
#include "apps/gan/memory_estimate.h"
#include "apps/gan/pix2pix_trainer.h"
#include "core/autograd.h"
#include "core/distributed.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/image.h"
#include "core/io/png_grid.h"
#include "core/io/safetensors.h"
#include "core/io/translation_data.h"

namespace gan::app {

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kDirections = {"AtoB", "BtoA"};

// ---- options shared by both training commands ----------------------------------------

// The CPU default runs' length, measured on 2 shared cores
// (docs/style-transfer.md): CycleGAN's 6000 steps (4 epochs of the default
// Fashion-MNIST classes) take about 21 minutes; pix2pix at 64 px does about
// 35 steps a second, so 20000 steps take about 10.
constexpr int64_t kCycleGanCpuSteps = 6000;
constexpr int64_t kPix2PixCpuSteps = 20000;
// The CPU default networks' width (ngf = ndf): a quarter of the papers' 64,
// which cuts the cost of a ResNet block 16-fold.
constexpr int64_t kCpuWidth = 16;

// The options of `gan cyclegan train` and `gan pix2pix train` that mean the
// same in both; each adds its own data, model and loss options.
void add_common_training_options(CommandSpec& c, const std::string& out, int64_t default_batch,
                                 const std::string& batch_help, const std::string& default_length) {
  c.add_choice("device", kDeviceChoices, "where to train; auto uses the GPU when there is one", "auto");
  c.add_int("load-size", "N", "images are loaded at N px, then randomly cropped to --image-size; 0 = image size x "
            "286/256 (the papers' 286 for 256)", 0).at_least(0);
  c.add_flag("no-flip", "no random left-right mirroring of the training images");
  c.add_flag("skip-bad-images", "image folders: leave out the files that cannot be decoded (and list them) "
             "instead of refusing to start");
  c.add_int("channels", "N", "image channels, 1 or 3; 0 = from the data", 0).at_least(0);
  c.add_int("epochs", "N", "passes over the data; 0 = unset", 0).at_least(0);
  c.add_int("steps", "N",
            "total training steps (instead of --epochs); 0 = unset: " + default_length,
            0)
      .at_least(0);
  c.add_int("batch-size", "N", batch_help, default_batch).at_least(1);
  c.add_int("ndf", "N", "discriminator width; 0 = 64 on a GPU (the paper's), 16 on the CPU", 0).at_least(0);
  c.add_int("d-layers", "N", "PatchGAN depth; 0 = 3 (70x70 patches), 2 for images of 32 px and less", 0)
      .at_least(0);
  c.add_double("lr", "X", "Adam learning rate", 2e-4).at_least(0);
  c.add_double("beta1", "X", "Adam beta1", 0.5).at_least(0).at_most(1);
  c.add_double("beta2", "X", "Adam beta2", 0.999).at_least(0).at_most(1);
  c.add_int("decay-start", "N", "steps at the full learning rate before it decays linearly; -1 = half the run", -1)
      .at_least(-1);
  c.add_int("decay-steps", "N",
            "steps of the linear decay to 0 after --decay-start; -1 = the rest of the run, 0 = no decay", -1)
      .at_least(-1);
  c.add_int("seed", "N", "random seed", 1).at_least(0);
  c.add_string("out", "DIR", "run directory for checkpoints, sample grids and losses", out);
  c.add_int("sample-count", "N", "test images in the sample grids", 8).at_least(1);
  add_loop_options(c, 500);
}

// What fixes a run besides the trainer's own settings: the data, its
// batching and augmentation. Stored in the checkpoint as run metadata.
struct DataOptions {
  std::string spec;  // --data, its folder absolute
  io::DatasetIdentity identity;
  std::string notice;  // a warning to show before training (the data changed)
  int64_t batch_size = 1;
  int64_t load_size = 0;
  bool flip = true;
  std::string direction = "AtoB";  // pix2pix: which half is the input
  int64_t sample_count = 8;
};

void put_data_meta(io::Checkpoint& ck, const DataOptions& d) {
  ck.put_meta("data", d.spec);
  ck.put_meta("data_identity", d.identity.meta());
  ck.put_meta("batch_size", std::to_string(d.batch_size));
  ck.put_meta("load_size", std::to_string(d.load_size));
  ck.put_meta("flip", d.flip ? "1" : "0");
  ck.put_meta("direction", d.direction);
}

DataOptions data_from_args(const ParsedArgs& a) {
  DataOptions d;
  d.spec = io::absolute_data_spec(a.get_string("data"));
  d.batch_size = a.get_int("batch-size");
  d.load_size = a.get_int("load-size");
  d.flip = !a.get_flag("no-flip");
  d.sample_count = a.get_int("sample-count");
  if (a.command() == "pix2pix train") d.direction = a.get_string("direction");
  return d;
}

DataOptions data_from_checkpoint(const io::Checkpoint& ck, const std::string& path, const ParsedArgs& a) {
  const DataOptions given = data_from_args(a);
  DataOptions d = given;
  const ResumedData data = resume_data(ck, path, a, "data", given.spec, io::absolute_data_spec, io::data_identity);
  d.spec = data.spec;
  d.identity = data.identity;
  d.notice = data.notice;
  d.batch_size = meta_int(ck, "batch_size", path);
  d.load_size = meta_int(ck, "load_size", path);
  d.flip = meta_int(ck, "flip", path) != 0;
  d.direction = ck.meta("direction");
  const ResumeCheck check(a, path);
  check("batch-size", given.batch_size, d.batch_size);
  check("load-size", given.load_size, d.load_size);
  check("no-flip", !given.flip, !d.flip);
  if (a.command() == "pix2pix train") check("direction", given.direction, d.direction);
  return d;
}

TranslationRecipe recipe_from_args(const ParsedArgs& a, Device device) {
  TranslationRecipe r;
  r.lr = a.get_double("lr");
  r.beta1 = a.get_double("beta1");
  r.beta2 = a.get_double("beta2");
  r.seed = static_cast<uint64_t>(a.get_int("seed"));
  r.device = device;
  r.schedule.decay_start = a.get_int("decay-start");  // -1: resolved once the run's length is known
  r.schedule.decay_steps = a.get_int("decay-steps");
  return r;
}

TranslationRecipe recipe_from_checkpoint(const io::Checkpoint& ck, const std::string& path, const ParsedArgs& a,
                                         Device device) {
  const TranslationRecipe given = recipe_from_args(a, device);
  TranslationRecipe r = given;
  r.lr = meta_double(ck, "lr", path);
  r.beta1 = meta_double(ck, "beta1", path);
  r.beta2 = meta_double(ck, "beta2", path);
  r.seed = static_cast<uint64_t>(meta_int(ck, "seed", path));
  r.schedule.decay_start = meta_int(ck, "decay_start", path);
  r.schedule.decay_steps = meta_int(ck, "decay_steps", path);
  const ResumeCheck check(a, path);
  check("lr", given.lr, r.lr);
  check("beta1", given.beta1, r.beta1);
  check("beta2", given.beta2, r.beta2);
  check("seed", given.seed, r.seed);
  check("decay-start", given.schedule.decay_start, r.schedule.decay_start);
  check("decay-steps", given.schedule.decay_steps, r.schedule.decay_steps);
  return r;
}

int64_t or_default(const ParsedArgs& a, const std::string& option, int64_t fallback) {
  return a.get_int(option) != 0 ? a.get_int(option) : fallback;
}

// What both training commands share: the run directory, and the data options
// and the recipe, from the checkpoint when resuming, else from the command line.
struct TranslationRun {
  explicit TranslationRun(const ParsedArgs& a);
  bool resuming() const { return dir.resuming(); }
  const io::Checkpoint& checkpoint() const { return dir.resumed(); }
  std::string path() const { return dir.checkpoint_path(); }
  // Model options given with --resume must match the stored ones (the fields'
  // metadata keys are the option names with '_' for '-').
  void check_resumed(const ModelFields& stored, const std::vector<std::pair<std::string, double>>& weights) const;

  const ParsedArgs& args;
  const Device device;
  const RunDirectory dir;
  DataOptions data;
  TranslationRecipe recipe;
};

// The device, once the command line is known to be consistent (before the run
// directory is touched).
Device checked_device(const ParsedArgs& a) {
  check_steps_or_epochs(a);
  const std::string data = a.get_string("data");  // a folder, unless it names IDX classes (no images written there)
  if (!io::is_class_spec(data)) refuse_out_inside_data(a.get_string("out"), data, a.command());
  if (a.get_int("threads") > 0) omp_set_num_threads(static_cast<int>(a.get_int("threads")));
  dist::set_sync_batch_norm(a.get_flag("sync-bn"));
  return parse_device(a.get_string("device"));
}

TranslationRun::TranslationRun(const ParsedArgs& a)
    : args(a), device(checked_device(a)), dir(a.get_string("out"), a.get_flag("resume")) {
  data = resuming() ? data_from_checkpoint(checkpoint(), path(), a) : data_from_args(a);
  recipe = resuming() ? recipe_from_checkpoint(checkpoint(), path(), a, device) : recipe_from_args(a, device);
}

void TranslationRun::check_resumed(const ModelFields& stored,
                                   const std::vector<std::pair<std::string, double>>& weights) const {
  const ResumeCheck check(args, path());
  for (const auto& [key, value] : stored) {
    std::string option = key;
    std::replace(option.begin(), option.end(), '_', '-');
    check(option, args.get_int(option), *value);
  }
  for (const auto& [option, value] : weights) check(option, args.get_double(option), value);
}

// How to load the run's data for a model of `image_size` and `channels`
// (0: the data's own). A fresh run without --load-size gets the default now,
// so the checkpoint records the size used.
io::TranslationDataOptions data_options(TranslationRun& run, int64_t image_size, int64_t channels) {
  DataOptions& d = run.data;
  if (d.load_size == 0) d.load_size = io::default_load_size(image_size);
  if (!d.notice.empty() && dist::is_root()) std::cerr << d.notice << "\n";  // a warning: shown with --quiet too
  if (!run.args.get_flag("quiet") && dist::is_root())
    std::cerr << "gan " << run.args.command() << ": loading " << d.spec << "\n";
  io::TranslationDataOptions o;
  o.image_size = image_size;
  o.load_size = d.load_size;
  o.channels = channels;
  o.test_images = d.sample_count;
  o.swap_halves = d.direction == "BtoA";
  o.bad_images = run.args.get_flag("skip-bad-images") ? io::BadImages::Skip : io::BadImages::Refuse;
  return o;
}

// What --skip-bad-images left out, on stderr (with --quiet too: the data is not all there).
void report_skipped(const TranslationRun& run, const io::TranslationData& data) {
  for (const io::ImageSet* set : {&data.train_a, &data.train_b, &data.test_a, &data.test_b})
    if (const std::string m = io::skipped_summary(*set); !m.empty())
      std::cerr << "gan " << run.args.command() << ": " << set->source << ": " << m << "\n";
}

// The run's batches and length. A fresh run's schedule gets its defaults for
// that length; a resumed run keeps its stored one, which must not end (reach a
// rate of 0) before the run does.
struct RunPlan {
  std::shared_ptr<io::TranslationBatches> source;
  int64_t total_steps = 0;
};

RunPlan plan_run(TranslationRun& run, const io::TranslationData& data, int64_t image_size, int64_t cpu_steps) {
  RunPlan plan;
  plan.source = std::make_shared<io::TranslationBatches>(data, run.data.batch_size, image_size, run.data.flip,
                                                     stream_seed(run.recipe.seed, kDataStream));
  const int64_t per_epoch = plan.source->batches_per_epoch();
  // Defaults sized for the machine: on the CPU a run of minutes
  // (kCycleGanCpuSteps, kPix2PixCpuSteps); on a GPU the papers' 200 epochs, or
  // 20 of the 6000-image Fashion-MNIST classes (the papers' data sets have a
  // few hundred to a thousand images).
  const int64_t gpu_epochs = io::is_class_spec(run.data.spec) ? 20 : 200;
  plan.total_steps =
      total_steps_from_args(run.args, per_epoch, run.device.is_cuda() ? gpu_epochs * per_epoch : cpu_steps);
  LinearDecaySchedule& s = run.recipe.schedule;
  if (s.decay_start < 0) s.decay_start = s.decay_steps == 0 ? 0 : plan.total_steps / 2;  // 0: no decay to start
  if (s.decay_steps < 0) s.decay_steps = std::max<int64_t>(0, plan.total_steps - s.decay_start);
  usage_check(s.end() >= plan.total_steps,
              "the learning rate reaches 0 at step " + std::to_string(s.end()) + " (--decay-start " +
                  std::to_string(s.decay_start) + " + --decay-steps " + std::to_string(s.decay_steps) +
                  "), before the run's last step " + std::to_string(plan.total_steps) +
                  ": later steps would not change the networks. Train fewer steps, or start a run with a longer "
                  "schedule",
              run.args.command());
  return plan;
}

// The loop for a built (and, when resuming, restored) trainer.
int run_loop(TranslationTrainer& trainer, const TranslationRun& run, const io::TranslationData& data,
             const RunPlan& plan, const std::string& model_line) {
  const ParsedArgs& a = run.args;
  const std::string command = a.command(), name = "gan " + command + ": ";
  const bool quiet = a.get_flag("quiet") || !dist::is_root();  // rank 0 speaks for a distributed run
  const int64_t per_epoch = plan.source->batches_per_epoch();
  const TranslationRecipe& r = trainer.recipe();
  if (!quiet) {
    std::cerr << name << data.describe() << "\n"
              << name << per_epoch << " steps of " << run.data.batch_size << " per epoch; " << model_line
              << "; Adam lr " << r.lr
              << (r.schedule.decay_steps == 0 ? std::string(" (constant)")
                                              : " for " + std::to_string(r.schedule.decay_start) +
                                                    " steps, then linearly to 0 over " +
                                                    std::to_string(r.schedule.decay_steps))
              << "; on " << r.device.str() << where_running(r.device) << "\n"
              << name << (run.resuming() ? "resuming at step " + std::to_string(trainer.steps_done()) + ", " : "")
              << "training to step " << plan.total_steps << " (" << std::fixed << std::setprecision(1)
              << static_cast<double>(plan.total_steps) / per_epoch << " epochs); writing to " << run.dir.path()
              << "/\n"
              << std::defaultfloat;
  }
  trainer.set_sample_images(io::image_set_tensor(data.test_a, r.device), io::image_set_tensor(data.test_b, r.device));
  TrainLoopOptions loop;
  loop.command = command;
  loop.total_steps = plan.total_steps;
  loop.log_every = a.get_int("log-every");
  loop.sample_every = a.get_int("sample-every");
  loop.checkpoint_every = a.get_int("checkpoint-every");
  loop.rollback_on_nan = a.get_string("on-nan") == "rollback";
  loop.quiet = quiet;
  const std::vector<std::string> columns = trainer.columns();
  loop.columns = {"step"};
  loop.columns.insert(loop.columns.end(), columns.begin(), columns.end());
  loop.plot_title = "gan " + command + ": " + run.data.spec;
  loop.args = &a;
  const std::shared_ptr<io::TranslationBatches> source = plan.source;
  loop.make_loader = [source](int64_t first) { return std::make_unique<io::BatchLoader>(source, first); };
  loop.put_run_meta = [&run](io::Checkpoint& ck) { put_data_meta(ck, run.data); };
  loop.format_values = [columns](const std::vector<double>& v) {
    std::ostringstream os;
    os << std::setprecision(3);
    for (size_t i = 0; i + 1 < columns.size(); ++i) os << (i ? "  " : "") << columns[i] << " " << v.at(i);
    return os.str();
  };
  return run_train_loop(trainer, run.dir, loop);
}

// The rest of a training command once its data is loaded: the model takes
// the data's channels and is validated, the run is planned, the trainer built
// (and restored when resuming), and the loop runs. `describe_model` gives the
// header line's model description. Before the trainer is built the run's
// memory is measured (memory_estimate.h) on trainers of its model that do one
// step on blank images; `extra` is memory that step cannot show (CycleGAN's
// full image pools), and on the CPU the loader's batches count too (the one in
// use and the two it prepares ahead, each of A and B images).
template <typename Trainer, typename Settings, typename Describe>
int train_translation(TranslationRun& run, Settings& s, const io::TranslationData& data, int64_t cpu_steps,
                      std::size_t extra, Describe&& describe_model) {
  s.model.channels = data.channels();
  s.model.validate();
  if (!run.resuming()) run.data.identity = io::data_identity(run.data.spec);  // after the load's clearer errors
  const RunPlan plan = plan_run(run, data, s.model.image_size, cpu_steps);
  s.recipe = run.recipe;
  const int64_t size = s.model.image_size, channels = s.model.channels;
  const std::string setting = "batch " + std::to_string(run.data.batch_size) + " at " + std::to_string(size) + " px";
  if (!run.device.is_cuda())
    extra += 3 * 2 * static_cast<std::size_t>(run.data.batch_size * channels * size * size) * sizeof(float);
  const MemoryEstimate need = estimate_memory(
      run.device, run.data.batch_size, setting,
      [&](int64_t b) {
        const dist::LocalScope alone;  // each rank measures its own memory: no collectives in the probe
        Trainer probe(s);
        io::Batch batch;
        batch.images = Tensor::zeros({b, channels, size, size});
        batch.images_b = Tensor::zeros({b, channels, size, size});
        probe.train_step({batch});
        return training_sizes(probe.networks(), 2);  // Adam
      },
      extra);
  if (check_memory(need, run.args.command(), run.args.get_flag("dry-run"), std::cout)) return 0;
  Trainer trainer(s);
  if (run.resuming()) trainer.restore_state(run.checkpoint(), run.path());
  return run_loop(trainer, run, data, plan, describe_model(trainer));
}

}  // namespace

// ---- gan cyclegan train ---------------------------------------------------------------

CommandSpec cyclegan_train_spec() {
  CommandSpec c("cyclegan train", "Train CycleGAN: unpaired translation between two image domains.",
                "Learns G_AB: A -> B and G_BA: B -> A from two sets of images with no pairs between them "
                "(Zhu et al. 2017): least-squares adversarial losses, cycle-consistency and identity L1 losses, "
                "a pool of 50 past fakes for the discriminators, Adam with a constant then linearly decaying "
                "learning rate. The default data needs no download: Fashion-MNIST sneakers (A) and ankle boots "
                "(B). Writes checkpoints, sample grids (rows: A, G_AB(A), G_BA(G_AB(A)), B, G_BA(B), "
                "G_AB(G_BA(B))) and losses to --out; --resume continues a run. See docs/style-transfer.md.");
  c.add_string("data", "SPEC",
               "DIR with trainA/ and trainB/ (optionally testA/, testB/), or fashion-mnist:CA,CB (two classes), or "
               "idx:DIR:CA,CB",
               "fashion-mnist:7,9");
  c.add_int("image-size", "N",
            "training crop, a multiple of 4; 0 = 32 for fashion-mnist and idx data; for image folders 256 on a GPU "
            "(the paper's), 64 on the CPU",
            0)
      .at_least(0);
  c.add_int("ngf", "N", "generator width; 0 = 64 on a GPU (the paper's), 16 on the CPU", 0).at_least(0);
  c.add_int("n-blocks", "N", "ResNet blocks per generator; 0 = 9 from 256 px, 6 below (the paper's)", 0).at_least(0);
  c.add_double("lambda-cycle", "X", "weight of the cycle-consistency L1 losses", 10).at_least(0);
  c.add_double("lambda-identity", "X", "weight of the identity L1 losses, relative to --lambda-cycle; 0 = off", 0.5)
      .at_least(0);
  c.add_int("pool-size", "N", "past fakes kept for each discriminator; 0 = no pool", 50).at_least(0);
  add_common_training_options(c, "runs/cyclegan", 4,
                              "images of each domain per step (the paper's is 1; 4 keeps the cores busier, and with "
                              "instance norm each image is still normalised on its own)",
                              std::to_string(kCycleGanCpuSteps) + " on the CPU; on a GPU 200 epochs (the paper's), "
                              "20 for Fashion-MNIST or IDX classes");
  return c;
}

int cmd_cyclegan_train(const ParsedArgs& a) {
  TranslationRun run(a);
  CycleGanSettings s;
  CycleGanModel& m = s.model;
  if (run.resuming()) {
    const io::Checkpoint& ck = run.checkpoint();
    m = cyclegan_model_from_meta(ck, run.path());
    s.lambda_cycle = meta_double(ck, "lambda_cycle", run.path());
    s.lambda_identity = meta_double(ck, "lambda_identity", run.path());
    s.pool_size = meta_int(ck, "pool_size", run.path());
    ModelFields stored = m.fields();
    stored.emplace_back("pool_size", &s.pool_size);
    run.check_resumed(stored, {{"lambda-cycle", s.lambda_cycle}, {"lambda-identity", s.lambda_identity}});
  } else {
    // Image folders: the paper's 256 px on a GPU; 64 on the CPU, where 256 px
    // takes ~100 s and ~4 GB a step (as pix2pix sizes its default).
    m.image_size = or_default(a, "image-size", io::is_class_spec(run.data.spec) ? 32 : run.device.is_cuda() ? 256 : 64);
    m.ngf = or_default(a, "ngf", run.device.is_cuda() ? 64 : kCpuWidth);
    m.ndf = or_default(a, "ndf", run.device.is_cuda() ? 64 : kCpuWidth);
    m.n_blocks = or_default(a, "n-blocks", m.image_size >= 256 ? 9 : 6);
    m.d_layers = or_default(a, "d-layers", m.image_size <= 32 ? 2 : 3);
    m.channels = a.get_int("channels");  // 0: from the data, below
    s.lambda_cycle = a.get_double("lambda-cycle");
    s.lambda_identity = a.get_double("lambda-identity");
    s.pool_size = a.get_int("pool-size");
  }
  const io::TranslationData data = io::load_unpaired(run.data.spec, data_options(run, m.image_size, m.channels));
  report_skipped(run, data);
  // Each pool fills up to pool_size fakes of its domain, in float32.
  const std::size_t pools =
      2 * static_cast<std::size_t>(s.pool_size * data.channels() * m.image_size * m.image_size) * sizeof(float);
  return train_translation<CycleGanTrainer>(run, s, data, kCycleGanCpuSteps, pools, [&](CycleGanTrainer& t) {
    std::ostringstream os;
    os << "CycleGAN " << describe(m) << " (2 x G " << t.generator_ab().parameter_count() << ", 2 x D "
       << t.discriminator_a().parameter_count() << " parameters), lambda_cycle " << s.lambda_cycle
       << ", lambda_identity " << s.lambda_identity << ", pool " << s.pool_size;
    return os.str();
  });
}

// ---- gan pix2pix train -----------------------------------------------------------------

CommandSpec pix2pix_train_spec() {
  CommandSpec c("pix2pix train", "Train pix2pix: translation learnt from aligned image pairs.",
                "Learns G: A -> B from pairs (Isola et al. 2017): a U-Net generator with dropout, a conditional "
                "PatchGAN that judges (input, output) pairs with BCE on its logits, plus lambda_l1 times the L1 "
                "distance to the target; Adam with a constant then linearly decaying learning rate. --data is a "
                "folder with train/ holding A|B images (input on the left half, target on the right), and "
                "optionally val/ or test/ for the sample grids (rows: A, G(A), B). See docs/style-transfer.md.");
  c.add_string("data", "DIR", "folder with train/ (and val/ or test/) of A|B images; needed unless --resume");
  c.add_choice("direction", kDirections, "AtoB: the left half is the input; BtoA: the right half is", "AtoB");
  c.add_int("image-size", "N", "training crop, a power of two from 32; 0 = 256 on a GPU (the paper's), 64 on the "
            "CPU", 0).at_least(0);
  c.add_int("ngf", "N", "generator width; 0 = 64 on a GPU (the paper's), 16 on the CPU", 0).at_least(0);
  c.add_double("lambda-l1", "X", "weight of the L1 distance to the target", 100).at_least(0);
  add_common_training_options(c, "runs/pix2pix", 1, "image pairs per step (the paper's 1)",
                              std::to_string(kPix2PixCpuSteps) + " on the CPU, 200 epochs (the paper's) on a GPU");
  return c;
}

int cmd_pix2pix_train(const ParsedArgs& a) {
  TranslationRun run(a);
  Pix2PixSettings s;
  Pix2PixModel& m = s.model;
  if (run.resuming()) {
    m = pix2pix_model_from_meta(run.checkpoint(), run.path());
    s.lambda_l1 = meta_double(run.checkpoint(), "lambda_l1", run.path());
    run.check_resumed(m.fields(), {{"lambda-l1", s.lambda_l1}});
  } else {
    usage_check(!run.data.spec.empty(), "which data? give --data DIR, a folder with train/ holding A|B images",
                "pix2pix train");
    m.image_size = or_default(a, "image-size", run.device.is_cuda() ? 256 : 64);
    m.ngf = or_default(a, "ngf", run.device.is_cuda() ? 64 : kCpuWidth);
    m.ndf = or_default(a, "ndf", run.device.is_cuda() ? 64 : kCpuWidth);
    m.d_layers = or_default(a, "d-layers", m.image_size <= 32 ? 2 : 3);
    m.channels = a.get_int("channels");  // 0: from the data, below
    s.lambda_l1 = a.get_double("lambda-l1");
  }
  const io::TranslationData data = io::load_paired(run.data.spec, data_options(run, m.image_size, m.channels));
  report_skipped(run, data);
  return train_translation<Pix2PixTrainer>(run, s, data, kPix2PixCpuSteps, 0, [&](Pix2PixTrainer& t) {
    std::ostringstream os;
    os << "pix2pix " << run.data.direction << ", " << describe(m) << " (G " << t.generator().parameter_count()
       << ", D " << t.discriminator().parameter_count() << " parameters), lambda_l1 " << s.lambda_l1;
    return os.str();
  });
}

// ---- gan translate ---------------------------------------------------------------------

CommandSpec translate_spec() {
  CommandSpec c("translate", "Translate images with a trained CycleGAN or pix2pix generator.",
                "Reads an image, or every image directly inside a folder, resizes and center-crops it to the "
                "model's training size (or --image-size), runs the generator for --direction and writes "
                "OUT/<name>.png for each; --grid also writes OUT/grid.png with each input beside its output. "
                "A CycleGAN checkpoint translates AtoB and BtoA; a pix2pix one the direction it was trained for. "
                "The model is a training checkpoint (--checkpoint) or the weights of 'gan export --format "
                "safetensors' (--weights).");
  c.add_string("checkpoint", "PATH",
               "checkpoint written by 'gan cyclegan train' or 'gan pix2pix train' (or give --weights)");
  c.add_string("weights", "FILE",
               "FILE.safetensors of generator weights instead of a checkpoint: from 'gan export', or from PyTorch "
               "with the names of docs/export.md");
  c.add_choice("direction", kDirections, "AtoB or BtoA", "AtoB");
  c.add_string("in", "PATH", "an image file, or a folder of images").required();
  c.add_string("out", "DIR", "folder for the translated images").required();
  c.add_flag("grid", "also write OUT/grid.png: inputs and outputs side by side");
  c.add_int("image-size", "N", "translate at N px (CycleGAN: a multiple of 4; pix2pix: a multiple of its training "
            "size); 0 = the training size", 0).at_least(0);
  c.add_int("batch-size", "N", "images per forward pass (each image is translated on its own either way)", 16)
      .at_least(1);
  c.add_choice("device", kDeviceChoices, "where to run; auto uses the GPU when there is one", "auto");
  return c;
}

int cmd_translate(const ParsedArgs& a) {
  const Device device = parse_device(a.get_string("device"));
  const std::string direction = a.get_string("direction");
  const std::string in = a.get_string("in"), out = a.get_string("out");
  const bool weights = !a.get_string("weights").empty();
  usage_check(weights != !a.get_string("checkpoint").empty(), "give either --checkpoint or --weights (one model)",
              "translate");
  const std::string path = a.get_string(weights ? "weights" : "checkpoint");
  usage_check(!weights || io::is_safetensors_path(path),
              "--weights '" + path + "': give a FILE.safetensors ('gan export --format safetensors' writes one)",
              "translate");
  const io::Checkpoint ck = weights ? io::load_safetensors(path) : io::load_checkpoint(path);
  GAN_CHECK(!weights || ck.has_meta("model"), IoError, path,
            ": its header has no model options (__metadata__ with model = cyclegan or pix2pix, image_size, "
            "channels, ngf, ...); 'gan export' writes them, and so does save_gan_safetensors of "
            "bench/pytorch_gan_models.py");
  const std::string model = ck.has_meta("model") ? ck.meta("model") : "missing";
  std::shared_ptr<Module> g;
  int64_t size = 0, channels = 0;
  if (model == "cyclegan") {
    const CycleGanModel m = cyclegan_model_from_meta(ck, path);
    g = load_cyclegan_generator(ck, path, direction == "AtoB", device, weights);
    size = m.image_size;
    channels = m.channels;
  } else if (model == "pix2pix") {
    // A weights file from elsewhere may not say which way it was trained:
    // then it is taken to map the way --direction asks.
    const std::string trained = ck.has_meta("direction") ? ck.meta("direction") : weights ? direction : "AtoB";
    GAN_CHECK(trained == "AtoB" || trained == "BtoA", IoError, path, ": metadata 'direction' is '", trained,
              "', not AtoB or BtoA: the ", weights ? "file" : "checkpoint", " is damaged");
    usage_check(direction == trained,
                path + " holds a pix2pix generator trained " + trained + " (it maps " + trained.substr(0, 1) +
                    " to " + trained.substr(3) + " only); pass --direction " + trained +
                    ", or train one for the other direction with 'gan pix2pix train --direction " + direction + "'",
                "translate");
    const Pix2PixModel m = pix2pix_model_from_meta(ck, path);
    g = load_pix2pix_generator(ck, path, device, weights);
    size = m.image_size;
    channels = m.channels;
  } else {
    throw IoError(path + " is not an image-to-image " + (weights ? "model" : "checkpoint") + " (its model is " +
                  model + "): translate needs one from 'gan cyclegan train' or 'gan pix2pix train'" +
                  (model == "dcgan" ? "; a DCGAN makes images from noise: use 'gan sample'" : ""));
  }
  if (a.get_int("image-size") > 0) {
    // Checked here, in the option's terms, rather than deep in the generator.
    const int64_t asked = a.get_int("image-size");
    if (model == "cyclegan")
      usage_check(asked % 4 == 0,
                  "--image-size " + std::to_string(asked) + ": a CycleGAN generator takes a multiple of 4 (it "
                      "downsamples twice by 2); try " + std::to_string(std::max<int64_t>(4, asked / 4 * 4)),
                  "translate");
    else
      usage_check(asked % size == 0,
                  "--image-size " + std::to_string(asked) + ": this pix2pix generator was trained at " +
                      std::to_string(size) + " px and takes multiples of that (its U-Net halves the image down to "
                      "1x1); try " + std::to_string(std::max(size, asked / size * size)),
                  "translate");
    size = asked;
  }

  std::error_code ec;
  const bool folder = fs::is_directory(in, ec);
  GAN_CHECK(folder || fs::is_regular_file(in, ec), IoError, "--in ", in, " is neither an image file nor a folder");
  const std::vector<std::string> files = folder ? io::list_image_files(in) : std::vector<std::string>{in};
  const std::string in_folder = folder ? in : fs::path(in).parent_path().string();
  usage_check(!fs::exists(out, ec) || !fs::equivalent(out, in_folder.empty() ? "." : in_folder, ec),
              "--out " + out + " is the folder of the inputs: the translations would overwrite them; choose another "
              "--out",
              "translate");
  // One output per input, named after it: two inputs must not share a name.
  std::map<std::string, std::string> outputs;  // output path -> its input
  for (const std::string& f : files) {
    const std::string target = (fs::path(out) / fs::path(f).stem()).string() + ".png";
    const auto [it, added] = outputs.emplace(target, f);
    if (!added) throw UsageError(f + " and " + it->second + " would both be written to " + target + "; rename one",
                                 "translate");
  }
  const std::string grid_path = (fs::path(out) / "grid.png").string();
  if (a.get_flag("grid") && outputs.count(grid_path) > 0)
    throw UsageError(outputs.at(grid_path) + " would be written to " + grid_path +
                         ", where --grid puts the sheet; rename it or leave out --grid",
                     "translate");
  // Forward passes of --batch-size images (measured at two small batches);
  // on the CPU the inputs and outputs of all images are held too.
  const int64_t per_pass = std::min<int64_t>(a.get_int("batch-size"), static_cast<int64_t>(files.size()));
  const std::size_t held =
      device.is_cuda() ? 0 : 2 * files.size() * static_cast<std::size_t>(channels * size * size) * sizeof(float);
  const std::string setting = "batch " + std::to_string(per_pass) + " at " + std::to_string(size) + " px";
  auto need = estimate_memory(
      device, per_pass, setting,
      [&](int64_t b) {
        NoGradGuard no_grad;
        g->forward(Tensor::zeros({b, channels, size, size}, DType::F32, device));
        return ProbeSizes{};
      },
      held);
  need.parameters = module_bytes(*g);  // loaded before the probe
  check_memory(need, "translate", false, std::cout);
  io::check_writable_dir(out);

  const io::ImageSet images = io::load_image_files(files, size, channels, in);
  const int64_t n = images.n, image_floats = images.image_bytes(), batch = a.get_int("batch-size");
  std::vector<float> inputs(static_cast<size_t>(n * image_floats)), results(inputs.size());
  for (int64_t i = 0; i < n; ++i)
    io::image_window_to_float(images, i, 0, 0, size, false, inputs.data() + i * image_floats);
  NoGradGuard no_grad;
  for (int64_t first = 0; first < n; first += batch) {
    const int64_t count = std::min(batch, n - first);
    const std::vector<float> chunk(inputs.begin() + first * image_floats,
                                   inputs.begin() + (first + count) * image_floats);
    const Tensor x = Tensor::from_vector(chunk, {count, channels, size, size}, DType::F32, device);
    const std::vector<float> y = g->forward(x).to_vector<float>();
    std::copy(y.begin(), y.end(), results.begin() + first * image_floats);
  }
  const int side = static_cast<int>(size), c = static_cast<int>(channels);
  for (int64_t i = 0; i < n; ++i) {
    const std::string target = (fs::path(out) / fs::path(files[static_cast<size_t>(i)]).stem()).string() + ".png";
    io::write_image_grid_png(target, results.data() + i * image_floats, 1, c, side, side, 1, /*padding=*/0);
  }
  if (a.get_flag("grid")) {
    // Input, output, input, output, ...: four pairs to a row.
    std::vector<float> sheet;
    for (int64_t i = 0; i < n; ++i)
      for (const std::vector<float>* v : {&inputs, &results})
        sheet.insert(sheet.end(), v->begin() + i * image_floats, v->begin() + (i + 1) * image_floats);
    io::write_image_grid_png(grid_path, sheet.data(), static_cast<int>(2 * n), c, side, side,
                             static_cast<int>(2 * std::min<int64_t>(n, 4)));
  }
  std::cerr << "gan translate: " << n << (n == 1 ? " image" : " images") << " " << direction << " with " << path
            << " -> " << out << "/" << (a.get_flag("grid") ? " (and grid.png)" : "") << "\n";
  return 0;
}

}  // namespace gan::app
