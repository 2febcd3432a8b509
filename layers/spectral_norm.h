// Spectral normalisation (Miyato, Kataoka, Koyama, Yoshida, "Spectral
// Normalization for Generative Adversarial Networks", ICLR 2018): a layer
// uses W / sigma(W) instead of W, where sigma is W's largest singular value,
// so that each layer is (about) 1-Lipschitz and D cannot sharpen without
// bound. W is read as a matrix [rows, cols] = [W.shape[0], the rest]: for
// Conv2d and Linear rows are the output channels; for ConvTranspose2d
// ([in, out, k, k]) the input channels (the reshape of the weight as stored;
// its singular values are a per-layer scale, not the operator norm of the
// convolution, for any of the three, as in the paper).
//
// sigma comes from power iteration: persistent unit vectors u [rows] and
// v [cols], one step per training forward,
//   v <- normalize(W^T u),  u <- normalize(W v),  sigma = u^T W v,
// with u and v constants (no gradient through the iteration, as the paper
// does) and sigma differentiable in W. In eval mode u and v stay put, so
// eval forwards are repeatable. u and v are buffers of the layer ("weight_u",
// "weight_v"): checkpoints and exact resume carry them.
//
// Cost per training forward: two matrix-vector products and one more for
// sigma, 6*rows*cols FLOPs, next to a convolution's 2*N*rows*cols*P*Q.
#pragma once

#include "core/random.h"
#include "core/tensor.h"

namespace gan {

struct SpectralNorm {
  Tensor u, v;  // [rows], [cols]: unit vectors, the layer's buffers

  // u, v drawn from N(0, 1) and normalised, on w's device.
  SpectralNorm(const Tensor& w, Rng& rng);
  // W / sigma(W) (w's shape); in training, one power-iteration step first.
  Tensor normalize(const Tensor& w, bool training);
  // The current estimate u^T W v, not recorded.
  double sigma(const Tensor& w) const;
};

}  // namespace gan
