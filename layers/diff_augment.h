// Differentiable augmentation (Zhao, Liu, Lin, Zhu, Han, "Differentiable
// Augmentation for Data-Efficient GAN Training", NeurIPS 2020): D sees real
// and generated images through the same random transformations, and because
// every transformation is built from differentiable ops, G's gradient flows
// back through the augmentation of its fakes. D then cannot memorise the
// training set as easily, which is what makes small data sets collapse.
//
// Policies (each applied to every image, or to each image with a probability
// p as in ADA, with fresh random parameters per image, all drawn from one Rng
// on the host, so any device gives the same augmentation and a run resumes
// exactly):
//   color        brightness + U(-0.5, 0.5); saturation x (0..2) around the
//                per-pixel channel mean; contrast x (0.5..1.5) around the
//                image mean
//   translation  shift by up to 1/8 of the side in each direction, zero fill
//   cutout       zero one square of half the side at a random place
// Built from the engine's ops (add, mul, mean, slice, concat), so it runs on
// CPU and CUDA alike; translation costs one slice per image.
#pragma once

#include <string>

#include "core/random.h"
#include "core/tensor.h"

namespace gan {

struct DiffAugmentPolicy {
  bool color = false, translation = false, cutout = false;
  bool any() const { return color || translation || cutout; }
};

// "none", or a comma-separated subset of color, translation, cutout (the
// paper's full policy is "color,translation,cutout"). ValueError otherwise.
DiffAugmentPolicy parse_diff_augment(const std::string& spec);
std::string diff_augment_name(const DiffAugmentPolicy& policy);  // "none" or "color,translation,..."

// x [N, C, H, W] through the policy's transformations, differentiable in x.
// Each transformation applies to each image with `probability` (ADA's p,
// Karras et al. 2020; 1 = always, as in DiffAugment, which then draws no
// extra random numbers).
Tensor diff_augment(const Tensor& x, const DiffAugmentPolicy& policy, Rng& rng, double probability = 1.0);

}  // namespace gan
