// The op-case table: every op of core/ops.h on the shapes, parameters and
// input distributions worth checking, each written once (in the manner of
// ggml's test-backend-ops). The same table drives
//   - the float64 finite-difference gradient checks on the CPU (kGradcheck),
//   - the CUDA-vs-CPU parity tests of the forward and of every input gradient
//     (kParity; the kSimulator subset is cheap enough for a GPU simulator),
//   - the op benchmarks (kBench), and the layer shapes of the kernel benchmarks
//     (the DCGAN layers below are the only place they are written).
// tests/ops/test_op_cases.cpp runs the first two, bench/ops/op_cases.cpp the third.
//
// A case runs through the public API only (Tensor and the ops), so it means
// the same on every device; `run` builds its output from its inputs.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "core/random.h"
#include "core/tensor.h"

namespace gan::op_cases {

// How an input's values are drawn.
enum class Dist {
  Normal,            // N(0, 1)
  Positive,          // uniform [0.5, 2): log, sqrt, divisors
  AwayFromZero,      // +-[0.1, 1): inputs of kinks (relu, abs, l1) kept off the kink for finite differences
  Offset,            // N(50, 1): a large mean, for the norms' variance
  Probability,       // uniform [0.05, 0.95]
  ProbabilityEdges,  // uniform [0, 1] with exact 0s and 1s mixed in
  BinaryTarget,      // 0 or 1
  SoftTarget,        // uniform [0, 1]
  LargeLogits,       // uniform [-100, 100]
  FarNegativeLogits  // every other value in [-103, -92] (sigmoid underflows to float32's subnormals), the rest N(0, 1)
};

// How an input is laid out in memory: contiguous, the transpose view of a
// contiguous array (last two dimensions), or a window of a wider array (rows
// with a gap between them).
enum class Layout { Contiguous, Transposed, Sliced };

struct Input {
  Shape shape;
  Dist dist = Dist::Normal;
  bool requires_grad = true;
  Layout layout = Layout::Contiguous;
};

enum Use : unsigned {
  kGradcheck = 1u << 0,  // small enough for float64 central differences of every element
  kParity = 1u << 1,     // CUDA vs CPU, forward and gradients
  kBench = 1u << 2,      // timed by bench/ops/op_cases.cpp
  kSimulator = 1u << 3,  // part of the parity subset cheap enough for a GPU simulator
};

struct OpCase {
  std::string family;  // the kernel family: kernels/<family>/
  std::string name;    // unique within the family; [A-Za-z0-9_]
  std::vector<Input> inputs;
  std::function<Tensor(const std::vector<Tensor>&)> run;
  unsigned uses = kGradcheck | kParity;
  double tolerance = 1e-5;  // parity: ||cuda - cpu|| / ||cpu|| of the output and of each gradient
  // float32 against float64 on the CPU: the bound when it must be looser than
  // `tolerance` (an ill-conditioned case; the case says why), else 0.
  double float32_tolerance = 0;
  double flops = 0;         // of the forward pass, when it is worth counting (convolutions, matmul)

  std::string id() const { return family + "_" + name; }  // a valid gtest parameter name
  bool has(Use u) const { return (uses & u) != 0; }
};

// gtest prints a case by its id (instead of its bytes) in test listings.
inline void PrintTo(const OpCase& c, std::ostream* os) { *os << c.id(); }

// Every case, in a fixed order.
const std::vector<OpCase>& all_cases();
// The cases with that use.
std::vector<OpCase> cases_for(Use use);

// A fresh input drawn from rng: the same values for the same rng state on every
// device and dtype (drawn in float64 on the host, then converted and moved).
// A leaf with requires_grad as the Input says.
Tensor make_input(const Input& in, Rng& rng, DType dtype, Device device);

// Bytes of every input and of the output (float32), what a memory-bound op
// must move at least once.
double min_bytes(const OpCase& c, const Shape& output_shape);

// ---- convolution shapes shared with the kernel-level tests ----

struct ConvShape {
  int64_t N, C, H, W, K, R, S, stride, pad, output_padding;
  bool bias;
};
// Shapes chosen for the edges of the CUDA tiling (tests/kernels/ also runs the
// kernels' index logic on them on the host).
const std::vector<ConvShape>& conv2d_edge_shapes();
const std::vector<ConvShape>& conv_transpose2d_edge_shapes();

// ---- the DCGAN layers (models/dcgan.cpp), for the tests and every benchmark ----

// One convolution of a DCGAN: square images and kernels, no bias (every conv
// of models/dcgan.cpp is created with bias = false).
struct ConvLayer {
  std::string name;  // "G2_64px": generator layer 2 of the 64x64 model
  bool transposed;   // ConvTranspose2d (generator) or Conv2d (discriminator)
  int64_t in_channels, out_channels, kernel, stride, pad, in_size;
};
// nz = 100, ngf = ndf = 64, 3 channels: G1..G5 then D1..D5.
const std::vector<ConvLayer>& dcgan64_conv_layers();
// nz = 100, ngf = ndf = 64, 1 channel: G1..G3, D1..D3.
const std::vector<ConvLayer>& dcgan28_conv_layers();
// The layer named `name` from either list; throws ValueError if there is none.
const ConvLayer& conv_layer(const std::string& name);

// The distinct batch-norm inputs of a DCGAN (channels and size of the conv
// output it normalises) and the layers that have them.
struct BatchNormShape {
  std::string name;    // "C256x8x8"
  std::string layers;  // "after G2, D3"
  int64_t channels, size;
};
const std::vector<BatchNormShape>& dcgan64_batch_norm_shapes();
const std::vector<BatchNormShape>& dcgan28_batch_norm_shapes();

}  // namespace gan::op_cases
