// GAN objectives as differentiable functions of the discriminator's raw
// outputs (logits for BCE, unbounded critic scores for the others), and the
// WGAN-GP gradient penalty. docs/losses-and-metrics.md explains when to use
// which. Every loss is a mean over the batch, so its scale does not depend on
// the batch size.
//
//   loss     discriminator / critic                      generator
//   bce      BCE(D(x), 1) + BCE(D(G(z)), 0)              BCE(D(G(z)), 1)   (non-saturating)
//   wgan     mean D(G(z)) - mean D(x)                    -mean D(G(z))
//   wgan-gp  as wgan, plus gradient_penalty()            -mean D(G(z))
//   hinge    mean relu(1 - D(x)) + mean relu(1 + D(G(z)))  -mean D(G(z))
//   lsgan    1/2 mean (D(x) - 1)^2 + 1/2 mean D(G(z))^2  1/2 mean (D(G(z)) - 1)^2
//
// References:
//   bce      Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014
//            (the minimax D loss; the non-saturating G loss is the paper's
//            practical recommendation, Sec. 3).
//   wgan     Arjovsky, Chintala, Bottou, "Wasserstein GAN", ICML 2017.
//   wgan-gp  Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017.
//   hinge    Lim & Ye, "Geometric GAN", 2017; Miyato et al., "Spectral
//            Normalization for Generative Adversarial Networks", ICLR 2018.
//   lsgan    Mao et al., "Least Squares Generative Adversarial Networks",
//            ICCV 2017 (the a = 0, b = c = 1 coding).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/random.h"
#include "core/tensor.h"
#include "layers/module.h"

namespace gan {

enum class GanLoss { BCE, WGAN, WGAN_GP, Hinge, LSGAN };

// "bce", "wgan", "wgan-gp", "hinge", "lsgan" (the names the CLI accepts).
const char* gan_loss_name(GanLoss loss);
const std::vector<std::string>& gan_loss_names();
// Inverse of gan_loss_name; ValueError listing the valid names otherwise.
GanLoss parse_gan_loss(const std::string& name);

// The discriminator's (critic's) loss, to be minimised, from its outputs on a
// real batch and on a generated batch (pass the generated batch detached, so
// no gradient reaches the generator). Shapes may differ (each side is averaged
// on its own); device and dtype must match. For wgan-gp add gradient_penalty().
Tensor discriminator_loss(GanLoss loss, const Tensor& real_out, const Tensor& fake_out);

// The generator's loss, to be minimised, from D's outputs on generated images
// (not detached: the gradient flows back through D into G).
Tensor generator_loss(GanLoss loss, const Tensor& fake_out);

// WGAN-GP's penalty lambda * mean_i (||grad_x critic(x_i)||_2 - 1)^2 at random
// interpolates x_i = eps_i * real_i + (1 - eps_i) * fake_i, eps_i ~ U[0, 1) drawn
// from `rng` (one per sample, the same numbers on every device). real and fake
// are [N, ...] of the same shape, device and dtype; both are detached here.
// The critic must return one score per sample ([N] or [N, 1]) and must not mix
// samples (no batch norm: the penalty is per sample, and batch norm also
// refuses double backward). The result is differentiable w.r.t. the critic's
// parameters; add it to discriminator_loss() before backward().
Tensor gradient_penalty(Module& critic, const Tensor& real, const Tensor& fake, Rng& rng,
                        double lambda = 10.0);
// The same for a critic given as a function (a conditional critic with its
// class codes bound: the codes are constants, only the images are interpolated).
Tensor gradient_penalty(const std::function<Tensor(const Tensor&)>& critic, const Tensor& real, const Tensor& fake,
                        Rng& rng, double lambda = 10.0);

// The R1 penalty (Mescheder, Geiger, Nowozin, "Which Training Methods for GANs
// do actually Converge?", ICML 2018): gamma/2 * mean_i ||grad_x D(x_i)||^2 on
// real images, which pushes D towards zero gradient on the data. Same
// conditions on the critic as gradient_penalty (one score per sample, no
// mixing of samples: no batch norm). Differentiable w.r.t. D's parameters; the
// caller adds it to D's loss (StyleGAN2's lazy form: every k-th D step, times k).
Tensor r1_penalty(const std::function<Tensor(const Tensor&)>& critic, const Tensor& real, double gamma);

}  // namespace gan
