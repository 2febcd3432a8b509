// matmul / linear on 2-D tensors through the gemm kernel, and the choice of
// the CUDA gemm's engine (kernels/matmul/matmul.h).
#include <atomic>
#include <cstdlib>
#include <string>

#include "core/dispatch.h"
#include "core/ops.h"
#include "kernels/matmul/matmul.h"

namespace gan {

GAN_KERNEL(gemm)

namespace {

// -1: not chosen yet (the environment decides at the first use).
std::atomic<int> g_gemm_engine{-1};

}  // namespace

GemmEngine parse_gemm_engine(std::string_view name) {
  if (name == "own") return GemmEngine::Own;
  if (name == "cublas") return GemmEngine::Cublas;
  throw ValueError(detail::concat("unknown CUDA gemm engine '", name, "': use own or cublas"));
}

const char* gemm_engine_name(GemmEngine engine) { return engine == GemmEngine::Cublas ? "cublas" : "own"; }

void set_gemm_engine(GemmEngine engine) { g_gemm_engine.store(static_cast<int>(engine)); }

GemmEngine gemm_engine() {
  int e = g_gemm_engine.load();
  if (e < 0) {
    const char* env = std::getenv("GAN_CUDA_GEMM");
    GemmEngine chosen = GemmEngine::Cublas;
    if (env != nullptr && *env != '\0') {
      try {
        chosen = parse_gemm_engine(env);
      } catch (const ValueError& err) {
        throw ValueError(detail::concat("GAN_CUDA_GEMM: ", err.what()));
      }
    }
    int expected = -1;
    g_gemm_engine.compare_exchange_strong(expected, static_cast<int>(chosen));
    e = g_gemm_engine.load();
  }
  return static_cast<GemmEngine>(e);
}

namespace {

// A 2-D operand as gemm wants it: contiguous, or the transpose of a
// contiguous matrix (passed with the transpose flag, no copy).
struct GemmOperand {
  Tensor t;
  bool transposed;
};

GemmOperand as_gemm_operand(const Tensor& x) {
  const Tensor d = x.detach();
  if (d.is_contiguous()) return {d, false};
  if (d.strides()[0] == 1 && d.strides()[1] == d.shape()[0]) return {d.transpose(0, 1), true};
  return {d.contiguous(), false};
}

struct MatmulBackward : Node {
  const char* name() const override { return "MatmulBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    const Tensor& a = inputs[0];
    const Tensor& b = inputs[1];
    return {needs_grad(0) ? matmul(g, b.transpose(0, 1)) : Tensor(),
            needs_grad(1) ? matmul(a.transpose(0, 1), g) : Tensor()};
  }
};

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  detail::check_defined("matmul", a, "the first operand");
  detail::check_defined("matmul", b, "the second operand");
  detail::check_same_device_dtype("matmul", {&a, &b});
  GAN_CHECK(a.dim() == 2 && b.dim() == 2 && a.shape()[1] == b.shape()[0], ShapeError,
            "matmul: shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()),
            " do not multiply (need [M, K] @ [K, N])");
  const int64_t M = a.shape()[0], K = a.shape()[1], N = b.shape()[1];
  Tensor out = Tensor::empty({M, N}, a.dtype(), a.device());
  if (out.numel() > 0) {
    const GemmOperand A = as_gemm_operand(a), B = as_gemm_operand(b);
    if (K == 0) {
      out.fill_(0.0);
    } else {
      kernel::gemm(A.transposed, B.transposed, M, N, K, 1.0, A.t, B.t, 0.0, out);
    }
  }
  record(out, std::make_shared<MatmulBackward>(), {a, b});
  return out;
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  detail::check_defined("linear", x, "the input");
  detail::check_defined("linear", w, "the weight");
  GAN_CHECK(x.dim() == 2 && w.dim() == 2 && x.shape()[1] == w.shape()[1], ShapeError, "linear: input ",
            shape_str(x.shape()), " does not match weight ", shape_str(w.shape()), " (need [B, in] and [out, in])");
  Tensor y = matmul(x, w.transpose(0, 1));
  if (b.defined()) {
    GAN_CHECK(b.dim() == 1 && b.shape()[0] == w.shape()[0], ShapeError, "linear: bias ", shape_str(b.shape()),
              " does not match weight ", shape_str(w.shape()));
    y = add(y, b);
  }
  return y;
}

}  // namespace gan
