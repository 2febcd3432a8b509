#include "bench/common/bench_common.h"

#include <cstdio>
#include <cstring>
#include <sstream>

#include "core/error.h"
#include "core/random.h"

namespace gan::bench {

const std::vector<ConvLayer>& dcgan64_conv_layers() {
  static const std::vector<ConvLayer> layers = {
      {"G1_64px", true, 100, 512, 4, 1, 0, 1},  {"G2_64px", true, 512, 256, 4, 2, 1, 4},
      {"G3_64px", true, 256, 128, 4, 2, 1, 8},  {"G4_64px", true, 128, 64, 4, 2, 1, 16},
      {"G5_64px", true, 64, 3, 4, 2, 1, 32},    {"D1_64px", false, 3, 64, 4, 2, 1, 64},
      {"D2_64px", false, 64, 128, 4, 2, 1, 32}, {"D3_64px", false, 128, 256, 4, 2, 1, 16},
      {"D4_64px", false, 256, 512, 4, 2, 1, 8}, {"D5_64px", false, 512, 1, 4, 1, 0, 4},
  };
  return layers;
}

const std::vector<ConvLayer>& dcgan28_conv_layers() {
  static const std::vector<ConvLayer> layers = {
      {"G1_28px", true, 100, 128, 7, 1, 0, 1},  {"G2_28px", true, 128, 64, 4, 2, 1, 7},
      {"G3_28px", true, 64, 1, 4, 2, 1, 14},    {"D1_28px", false, 1, 64, 4, 2, 1, 28},
      {"D2_28px", false, 64, 128, 4, 2, 1, 14}, {"D3_28px", false, 128, 1, 7, 1, 0, 7},
  };
  return layers;
}

const ConvLayer& conv_layer(const std::string& name) {
  for (const auto* list : {&dcgan64_conv_layers(), &dcgan28_conv_layers()})
    for (const ConvLayer& l : *list)
      if (l.name == name) return l;
  throw ValueError(detail::concat("bench: no DCGAN layer named '", name, "' (see bench/common/bench_common.cpp)"));
}

Conv2dParams conv2d_params(const ConvLayer& l, int64_t batch) {
  GAN_CHECK(!l.transposed, ValueError, "bench: ", l.name, " is a transposed convolution");
  return make_conv2d_params(batch, l.in_channels, l.in_size, l.in_size, l.out_channels, l.kernel, l.kernel, l.stride,
                            l.pad);
}

ConvTranspose2dParams conv_transpose2d_params(const ConvLayer& l, int64_t batch) {
  GAN_CHECK(l.transposed, ValueError, "bench: ", l.name, " is a plain convolution");
  return make_conv_transpose2d_params(batch, l.in_channels, l.in_size, l.in_size, l.out_channels, l.kernel, l.kernel,
                                      l.stride, l.pad, 0);
}

const char* pass_suffix(ConvPass pass) {
  switch (pass) {
    case ConvPass::Forward: return "fwd";
    case ConvPass::BackwardData: return "bwd_data";
    case ConvPass::BackwardWeight: return "bwd_weight";
  }
  return "?";
}

ConvSizes conv_sizes(const Conv2dParams& p) {
  return {p.N * p.C * p.H * p.W, p.K * p.C * p.R * p.S, p.N * p.K * p.P * p.Q};
}

ConvSizes conv_sizes(const ConvTranspose2dParams& p) {
  return {p.N * p.C * p.H * p.W, p.C * p.K * p.R * p.S, p.N * p.K * p.P * p.Q};
}

std::string describe(const Conv2dParams& p) {
  std::ostringstream os;
  os << "x" << shape_label({p.N, p.C, p.H, p.W}) << " w" << shape_label({p.K, p.C, p.R, p.S}) << " y"
     << shape_label({p.N, p.K, p.P, p.Q}) << " s" << p.stride << " p" << p.pad;
  return os.str();
}

std::string describe(const ConvTranspose2dParams& p) {
  std::ostringstream os;
  os << "x" << shape_label({p.N, p.C, p.H, p.W}) << " w" << shape_label({p.C, p.K, p.R, p.S}) << " y"
     << shape_label({p.N, p.K, p.P, p.Q}) << " s" << p.stride << " p" << p.pad;
  return os.str();
}

double conv_min_bytes(const ConvSizes& s) { return 4.0 * static_cast<double>(s.x + s.w + s.y); }

std::vector<ConvOperand> conv_operands(const ConvSizes& s, ConvPass pass) {
  switch (pass) {
    case ConvPass::Forward: return {{"x", s.x}, {"w", s.w}, {"y", s.y}};
    case ConvPass::BackwardData: return {{"dy", s.y}, {"w", s.w}, {"dx", s.x}};
    case ConvPass::BackwardWeight: return {{"x", s.x}, {"dy", s.y}, {"dw", s.w}};
  }
  throw ValueError("bench: unknown convolution pass");
}

const std::vector<BatchNormShape>& dcgan64_batchnorm_shapes() {
  static const std::vector<BatchNormShape> shapes = {
      {"C512x4x4", "after G1, D4", 512, 4},
      {"C256x8x8", "after G2, D3", 256, 8},
      {"C128x16x16", "after G3, D2", 128, 16},
      {"C64x32x32", "after G4", 64, 32},
  };
  return shapes;
}

const std::vector<BatchNormShape>& dcgan28_batchnorm_shapes() {
  static const std::vector<BatchNormShape> shapes = {
      {"C128x7x7", "after G1, D2", 128, 7},
      {"C64x14x14", "after G2", 64, 14},
  };
  return shapes;
}

BatchNorm2dParams batchnorm_params(const BatchNormShape& s, int64_t batch) {
  BatchNorm2dParams p;
  p.N = batch, p.C = s.channels, p.HW = s.size * s.size;
  return p;
}

std::string batchnorm_label(const BatchNormShape& s, int64_t batch) {
  return detail::concat("x", shape_label({batch, s.channels, s.size, s.size}), " (", s.layers, ")");
}

double batchnorm_forward_bytes(int64_t n, int64_t channels) {
  return 8.0 * static_cast<double>(n) + 32.0 * static_cast<double>(channels);
}
double batchnorm_backward_bytes(int64_t n, int64_t channels) {
  return 12.0 * static_cast<double>(n) + 20.0 * static_cast<double>(channels);
}
double batchnorm_forward_flops(int64_t n) { return 5.0 * static_cast<double>(n); }
double batchnorm_backward_flops(int64_t n) { return 9.0 * static_cast<double>(n); }
double bce_bytes(int64_t n) { return 4.0 * (3.0 * static_cast<double>(n) + 1.0); }
double adam_bytes(int64_t n) { return 28.0 * static_cast<double>(n); }

std::vector<float> random_uniform(int64_t n, uint64_t seed, float low, float high) {
  std::vector<float> v(static_cast<size_t>(n));
  Rng rng(seed);
  rng.fill_uniform(v.data(), n, low, high);
  return v;
}

std::string bench_name(const std::string& op, const std::string& layer, int64_t batch, const std::string& impl) {
  if (batch > 0) return detail::concat(op, "/", layer, "/b", batch, "/", impl);
  return detail::concat(op, "/", layer, "/any/", impl);
}

std::string shape_label(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s.push_back(',');
    s.append(std::to_string(shape[i]));
  }
  return s.append("]");
}

void set_work_counters(benchmark::State& state, double flops, double bytes) {
  using benchmark::Counter;
  if (flops > 0) state.counters["FLOP/s"] = Counter(flops, Counter::kIsIterationInvariantRate);
  state.counters["B/s"] = Counter(bytes, Counter::kIsIterationInvariantRate);
  state.counters["flop"] = flops;
  state.counters["bytes"] = bytes;
}

namespace {
bool lists_tests_only(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const char* flag = "--benchmark_list_tests";
    if (std::strncmp(argv[i], flag, std::strlen(flag)) != 0) continue;
    const char* value = argv[i] + std::strlen(flag);
    return !(std::strcmp(value, "=false") == 0 || std::strcmp(value, "=0") == 0);
  }
  return false;
}
}  // namespace

int run_benchmarks(int argc, char** argv, const std::vector<std::string>& defaults, void (*before_run)()) {
  std::vector<std::string> storage = defaults;
  std::vector<char*> args{argv[0]};
  for (std::string& d : storage) args.push_back(d.data());
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  const bool list_only = lists_tests_only(argc, argv);
  int n = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  try {
    if (before_run && !list_only) before_run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace gan::bench
