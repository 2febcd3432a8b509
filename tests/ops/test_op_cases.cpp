// The op-case table (tests/op_cases/op_cases.h) run three ways:
//
//   OpCaseGradcheck/Table.*         float64 on the CPU: autograd's gradient of
//                                   sum(f(inputs) * R) against central differences
//   OpCaseFloat32/Table.*           float32 against float64 on the CPU, forward and
//                                   gradients: the float32 kernels lose no more than
//                                   rounding (no overflow, no cancellation)
//   OpCaseParity/{Simulator,Gpu}.*  CUDA against the CPU reference on the same
//                                   float32 inputs, forward and every input gradient,
//                                   within the case's bound; skipped without a device.
//                                   Simulator/ is the subset cheap enough for a GPU
//                                   simulator:  --gtest_filter='OpCaseParity/Simulator.*'
//
// Memory is poisoned while a case runs (core/allocator.h): every new tensor
// starts as NaN, so an element a kernel forgets to write fails the comparison.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/allocator.h"
#include "core/autograd.h"
#include "core/cuda_runtime.h"
#include "core/ops.h"
#include "tests/gradcheck.h"
#include "tests/kernels/cuda_test_util.h"
#include "tests/op_cases/op_cases.h"

namespace gan {
namespace {

using op_cases::OpCase;

// A seed per case (its id), so adding a case changes no other case's inputs.
uint64_t seed_of(const OpCase& c) { return std::hash<std::string>{}(c.id()); }

std::vector<Tensor> make_inputs(const OpCase& c, DType dtype, Device device) {
  Rng rng(seed_of(c));
  std::vector<Tensor> inputs;
  for (const op_cases::Input& in : c.inputs) inputs.push_back(op_cases::make_input(in, rng, dtype, device));
  return inputs;
}

std::string case_name(const ::testing::TestParamInfo<OpCase>& info) { return info.param.id(); }

// The output and the gradient of sum(output * R) for every input (undefined
// where an input does not require grad or the gradient is absent), on the host
// as float64 vectors. R is drawn from the output's shape alone.
struct Result {
  std::vector<double> output;
  std::vector<std::vector<double>> grads;
  std::vector<bool> has_grad;
};

Result evaluate(const OpCase& c, std::vector<Tensor> inputs) {
  PoisonNewMemory poison;
  Result r;
  const Tensor out = c.run(inputs);
  r.output = out.to_vector<double>();
  if (out.requires_grad()) {
    Rng rng(7);
    const Tensor weights =
        Tensor::rand(out.shape(), rng, DType::F64, Device::cpu(), 0.5, 1.5).to(out.dtype()).to(out.device());
    sum(mul(out, weights)).backward();
  }
  for (const Tensor& in : inputs) {
    const bool has = in.requires_grad() && in.grad().defined();
    r.has_grad.push_back(has);
    r.grads.push_back(has ? in.grad().to_vector<double>() : std::vector<double>{});
  }
  return r;
}

// ||got - want|| / ||want|| <= tol, every element finite where want is.
::testing::AssertionResult close(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << got.size() << " elements, want " << want.size();
  double num = 0, den = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!std::isfinite(want[i]))
      return ::testing::AssertionFailure() << "the reference itself is not finite at element " << i << ": "
                                           << want[i];
    if (!std::isfinite(got[i]))
      return ::testing::AssertionFailure() << "element " << i << " is " << got[i] << ", want " << want[i]
                                           << " (unwritten, or overflow)";
    num += (got[i] - want[i]) * (got[i] - want[i]);
    den += want[i] * want[i];
  }
  const double rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  if (rel <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "relative error " << rel << " > " << tol;
}

void expect_same_result(const OpCase& c, const Result& got, const Result& want, double tol, const char* what) {
  EXPECT_TRUE(close(got.output, want.output, tol)) << c.id() << ": output, " << what;
  for (size_t k = 0; k < want.grads.size(); ++k) {
    ASSERT_EQ(got.has_grad[k], want.has_grad[k]) << c.id() << ": input " << k << " has a gradient on one side only";
    if (want.has_grad[k]) {
      EXPECT_TRUE(close(got.grads[k], want.grads[k], tol)) << c.id() << ": input " << k << " gradient, " << what;
    }
  }
}

// ---- the table itself ----

TEST(OpCaseTable, IdsAreUniqueValidAndEveryUseIsCovered) {
  std::set<std::string> ids;
  // Ids name gtest parameters, which allow only letters, digits and '_'.
  // (No std::regex: GCC 12 warns inside <regex> at -O2, and CI builds with -Werror.)
  const auto valid = [](const std::string& id) {
    return !id.empty() && std::all_of(id.begin(), id.end(), [](unsigned char ch) { return std::isalnum(ch) || ch == '_'; });
  };
  for (const OpCase& c : op_cases::all_cases()) {
    EXPECT_TRUE(valid(c.id())) << c.id();
    EXPECT_TRUE(ids.insert(c.id()).second) << "duplicate case " << c.id();
    EXPECT_TRUE(c.run) << c.id();
    EXPECT_GT(c.tolerance, 0.0) << c.id();
    // A float32 bound is a stated exception for an ill-conditioned case, never a loose default.
    EXPECT_LE(c.float32_tolerance, 0.1) << c.id();
    // The products state their cost (the benchmarks' FLOP/s); empty products cost nothing.
    if (c.family == "conv" || c.family == "matmul") {
      bool empty = false;
      for (const op_cases::Input& in : c.inputs) empty = empty || numel(in.shape) == 0;
      EXPECT_EQ(c.flops > 0, !empty) << c.id() << ": flops " << c.flops;
    }
  }
  for (op_cases::Use u : {op_cases::kGradcheck, op_cases::kParity, op_cases::kBench, op_cases::kSimulator}) {
    EXPECT_FALSE(op_cases::cases_for(u).empty()) << "no case for use " << u;
  }
}

TEST(OpCaseTable, ViewsAreNotContiguousAndDrawsAreReproducible) {
  Rng a(5), b(5);
  const Tensor t = op_cases::make_input({{3, 4}, op_cases::Dist::Normal, true, op_cases::Layout::Transposed}, a,
                                        DType::F32, Device::cpu());
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.shape(), (Shape{3, 4}));
  EXPECT_TRUE(t.requires_grad());
  const Tensor s = op_cases::make_input({{3, 4}, op_cases::Dist::Normal, false, op_cases::Layout::Sliced}, b,
                                        DType::F64, Device::cpu());
  EXPECT_FALSE(s.is_contiguous());
  Rng c(5);
  const Tensor u = op_cases::make_input({{3, 4}, op_cases::Dist::Normal, true, op_cases::Layout::Transposed}, c,
                                        DType::F64, Device::cpu());
  EXPECT_EQ(t.to_vector<double>().size(), 12u);
  const std::vector<double> tf = t.to_vector<double>(), ud = u.to_vector<double>();
  for (size_t i = 0; i < tf.size(); ++i) EXPECT_NEAR(tf[i], ud[i], 1e-6);  // same draw in either dtype
}

TEST(OpCaseTable, EdgeDistributionsHoldTheirEdges) {
  Rng rng(3);
  const auto values = [&](op_cases::Dist d) {
    return op_cases::make_input({{300}, d, false, op_cases::Layout::Contiguous}, rng, DType::F64, Device::cpu())
        .to_vector<double>();
  };
  int zeros = 0, ones = 0;
  for (double p : values(op_cases::Dist::ProbabilityEdges)) {
    EXPECT_TRUE(p >= 0.0 && p <= 1.0) << p;
    zeros += p == 0.0;
    ones += p == 1.0;
  }
  EXPECT_GT(zeros, 10);
  EXPECT_GT(ones, 10);
  double lo = 0, hi = 0;
  for (double x : values(op_cases::Dist::LargeLogits)) lo = std::fmin(lo, x), hi = std::fmax(hi, x);
  EXPECT_LT(lo, -90.0);
  EXPECT_GT(hi, 90.0);
  for (double x : values(op_cases::Dist::AwayFromZero)) EXPECT_GE(std::fabs(x), 0.1);
}

// ---- float64 gradient checks ----

class OpCaseGradcheck : public ::testing::TestWithParam<OpCase> {};

TEST_P(OpCaseGradcheck, MatchesCentralDifferences) {
  const OpCase& c = GetParam();
  testing::GradcheckOptions opt;
  opt.max_elements = 256;  // evenly spaced elements of the larger inputs
  PoisonNewMemory poison;
  EXPECT_EQ(testing::gradcheck(c.run, make_inputs(c, DType::F64, Device::cpu()), opt, seed_of(c)), 0) << c.id();
}

INSTANTIATE_TEST_SUITE_P(Table, OpCaseGradcheck, ::testing::ValuesIn(op_cases::cases_for(op_cases::kGradcheck)),
                         case_name);

// ---- float32 against float64 on the CPU ----

// The parity cases small enough to run in float64 on every CI run.
std::vector<OpCase> float32_cases() {
  std::vector<OpCase> out;
  for (const OpCase& c : op_cases::cases_for(op_cases::kParity))
    if (!c.has(op_cases::kBench)) out.push_back(c);
  return out;
}

// float32 inputs widened to float64 (the same values), on the CPU.
std::vector<Tensor> widened(const std::vector<Tensor>& f32) {
  std::vector<Tensor> f64;
  for (const Tensor& t : f32) f64.push_back(t.detach().to(DType::F64).set_requires_grad(t.requires_grad()));
  return f64;
}

class OpCaseFloat32 : public ::testing::TestWithParam<OpCase> {};

TEST_P(OpCaseFloat32, AgreesWithFloat64) {
  const OpCase& c = GetParam();
  // The same values on both sides (drawn in float32, widened), so only the
  // arithmetic differs.
  const std::vector<Tensor> f32 = make_inputs(c, DType::F32, Device::cpu());
  const Result want = evaluate(c, widened(f32));
  const Result got = evaluate(c, f32);
  const double tol = c.float32_tolerance > 0 ? c.float32_tolerance : std::max(c.tolerance, 1e-4);
  expect_same_result(c, got, want, tol, "float32 vs float64 on the CPU");
}

INSTANTIATE_TEST_SUITE_P(Table, OpCaseFloat32, ::testing::ValuesIn(float32_cases()), case_name);

// ---- CUDA against the CPU ----

class OpCaseParity : public ::testing::TestWithParam<OpCase> {};

TEST_P(OpCaseParity, CudaMatchesCpu) {
  GAN_SKIP_WITHOUT_CUDA();
  const OpCase& c = GetParam();
  const std::vector<Tensor> cpu_inputs = make_inputs(c, DType::F32, Device::cpu());
  const Result got = evaluate(c, make_inputs(c, DType::F32, Device::cuda()));
  if (c.float32_tolerance > 0) {
    // An ill-conditioned case: float32 on either device lands anywhere within
    // float32_tolerance of the exact answer, and the two devices round
    // differently (the GPU fuses a*b + c into one FMA). CUDA is held to the
    // bar the CPU's float32 meets (OpCaseFloat32): the float64 result.
    expect_same_result(c, got, evaluate(c, widened(cpu_inputs)), c.float32_tolerance, "cuda vs float64 on the cpu");
    return;
  }
  expect_same_result(c, got, evaluate(c, cpu_inputs), c.tolerance, "cuda vs cpu");
}

std::vector<OpCase> parity_cases(bool simulator) {
  std::vector<OpCase> out;
  for (const OpCase& c : op_cases::cases_for(op_cases::kParity))
    if (c.has(op_cases::kSimulator) == simulator) out.push_back(c);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Simulator, OpCaseParity, ::testing::ValuesIn(parity_cases(true)), case_name);
INSTANTIATE_TEST_SUITE_P(Gpu, OpCaseParity, ::testing::ValuesIn(parity_cases(false)), case_name);

}  // namespace
}  // namespace gan
