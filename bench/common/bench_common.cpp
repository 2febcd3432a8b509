#include "bench/common/bench_common.h"

#include <cstdio>
#include <cstring>
#include <sstream>

#include "core/error.h"
#include "core/random.h"

namespace gan::bench {

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
