// Spectral normalisation by one power-iteration step per training forward
// (see spectral_norm.h).
#include "layers/spectral_norm.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"

namespace gan {

namespace {

constexpr double kEps = 1e-12;  // keeps a zero vector from dividing by zero

Tensor as_matrix(const Tensor& w) { return w.reshape({w.shape()[0], -1}); }

// x / ||x|| for a vector x [n].
Tensor unit(const Tensor& x) { return div(x, add(sqrt(sum(square(x))), kEps)); }

// W x for W [rows, cols] and x [cols] -> [rows].
Tensor matvec(const Tensor& w, const Tensor& x) { return matmul(w, x.reshape({-1, 1})).reshape({-1}); }

}  // namespace

SpectralNorm::SpectralNorm(const Tensor& w, Rng& rng) {
  GAN_CHECK(w.dim() >= 2 && w.numel() > 0, ValueError, "spectral norm needs a weight of 2 or more dimensions, got ",
            w.str());
  NoGradGuard no_grad;
  const Tensor m = as_matrix(w);
  u = unit(Tensor::randn({m.shape()[0]}, rng, w.dtype(), w.device()));
  v = unit(Tensor::randn({m.shape()[1]}, rng, w.dtype(), w.device()));
}

Tensor SpectralNorm::normalize(const Tensor& w, bool training) {
  if (training) {
    NoGradGuard no_grad;
    const Tensor m = as_matrix(w.detach());
    v.copy_(unit(matvec(m.transpose(0, 1), u)));
    u.copy_(unit(matvec(m, v)));
  }
  // sigma = u^T W v, differentiable in W only (u, v are buffers: no grad).
  const Tensor sigma = sum(mul(u, matvec(as_matrix(w), v)));
  return div(w, sigma);
}

double SpectralNorm::sigma(const Tensor& w) const {
  NoGradGuard no_grad;
  return sum(mul(u, matvec(as_matrix(w.detach()), v))).item();
}

}  // namespace gan
