// An exponential moving average (EMA) of a module's weights: a second copy of
// the module whose every parameter follows the trained one,
//   average = d * average + (1 - d) * trained,
// after each optimizer step. GAN generators sampled from the average are
// usually smoother and less noisy than the last iterate (Yazici et al. 2019;
// the "G_ema" of ProGAN, StyleGAN and BigGAN).
//
// The decay ramps up: update t (0 for the first) uses
//   d_t = min(decay, (1 + t) / (10 + t)),
// TensorFlow's ExponentialMovingAverage with num_updates: early updates move
// the average quickly (d_0 = 0.1) so that it does not stay anchored to the
// random initial weights for ~1 / (1 - decay) steps.
//
// Buffers (BatchNorm's running mean and variance) are averaged with the same
// d_t, not copied: a copy would describe the activations of the trained
// weights, which the average lags behind by ~1 / (1 - decay) steps. Averaged
// statistics are still only near those of the averaged weights (a network is
// not linear in its weights), so before the average generates anything its
// statistics are recomputed for its own weights by
// recompute_batch_norm_statistics ("standing statistics", Brock et al. 2019).
#pragma once

#include <cstdint>
#include <functional>

#include "layers/module.h"

namespace gan {

// d_t above; ValueError unless 0 <= decay < 1 and step >= 0.
double ema_decay_at(double decay, int64_t step);

// average <- d * average + (1 - d) * source for every parameter and buffer
// (state_tensors, matched by position; ShapeError naming the first tensor whose
// name or shape differs), outside autograd, on the tensors' device.
void ema_update(Module& average, const Module& source, double d);

// average <- source, every parameter and buffer: where an average starts.
void ema_reset(Module& average, const Module& source);

// Sets the running mean and variance of every BatchNorm2d in `model` to the
// plain average of the batch statistics of `batches` forward passes with the
// batch norms (and only they) in training mode, each run by `forward_batch`
// (which feeds the model a fresh batch): the statistics of the model's current
// weights, whatever the buffers held before. Every other layer runs in eval
// mode, so spectral norm's u and v do not move. Without autograd, and in this
// process alone (dist::LocalScope: no --sync-bn all-reduce, so one rank can
// call it); the model's mode and the layers' momentum are restored. Nothing runs when the model has no batch
// norm. ValueError unless batches > 0.
void recompute_batch_norm_statistics(Module& model, int64_t batches, const std::function<void()>& forward_batch);

}  // namespace gan
