// DiffAugment's three policies from differentiable ops (see diff_augment.h).
#include "layers/diff_augment.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "core/ops.h"

namespace gan {

namespace {

// Which images a transformation applies to: all of them at probability 1
// (no draw, so runs without ADA keep their random stream), else each with
// the given probability, one draw per image.
std::vector<bool> chosen(int64_t n, double probability, Rng& rng) {
  std::vector<bool> on(static_cast<size_t>(n), true);
  if (probability >= 1.0) return on;
  std::vector<double> u(static_cast<size_t>(n));
  rng.fill_uniform(u.data(), n, 0.0, 1.0);
  for (size_t i = 0; i < on.size(); ++i) on[i] = u[i] < probability;
  return on;
}

// One value per image, uniform in [low, high) for the chosen images and
// `identity` for the others, as a [N, 1, 1, 1] tensor on x's device.
Tensor per_image(double low, double high, double identity, const std::vector<bool>& on, Rng& rng,
                 const Tensor& like) {
  const auto n = static_cast<int64_t>(on.size());
  std::vector<double> v(on.size());
  rng.fill_uniform(v.data(), n, low, high);
  for (size_t i = 0; i < on.size(); ++i)
    if (!on[i]) v[i] = identity;
  return Tensor::from_vector(v, {n, 1, 1, 1}, like.dtype(), like.device());
}

Tensor color(const Tensor& x, const std::vector<bool>& on, Rng& rng) {
  Tensor y = add(x, per_image(-0.5, 0.5, 0.0, on, rng, x));  // brightness
  const Tensor pixel_mean = mean(y, {1}, true);
  y = add(mul(sub(y, pixel_mean), per_image(0.0, 2.0, 1.0, on, rng, x)), pixel_mean);  // saturation
  const Tensor image_mean = mean(y, {1, 2, 3}, true);
  return add(mul(sub(y, image_mean), per_image(0.5, 1.5, 1.0, on, rng, x)), image_mean);  // contrast
}

// Zeros of x's dtype and device with x's shape but `extent` along dim.
Tensor zeros_like_along(const Tensor& x, int64_t dim, int64_t extent) {
  Shape s = x.shape();
  s[static_cast<size_t>(dim)] = extent;
  return Tensor::zeros(s, x.dtype(), x.device());
}

Tensor translation(const Tensor& x, const std::vector<bool>& on, Rng& rng) {
  const int64_t n = x.shape()[0], h = x.shape()[2], w = x.shape()[3];
  const int64_t ph = h / 8, pw = w / 8;  // the largest shift, as in the paper (ratio 1/8)
  if (ph == 0 && pw == 0) return x;
  // Zero-pad by (ph, pw) on every side; image i is then the window at
  // (ph + dy_i, pw + dx_i) with dy_i in [-ph, ph], dx_i in [-pw, pw].
  Tensor padded = concat({zeros_like_along(x, 2, ph), x, zeros_like_along(x, 2, ph)}, 2);
  padded = concat({zeros_like_along(padded, 3, pw), padded, zeros_like_along(padded, 3, pw)}, 3);
  std::vector<Tensor> images;
  images.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const auto dy = static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(2 * ph + 1)));
    const auto dx = static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(2 * pw + 1)));
    if (!on[static_cast<size_t>(i)]) {  // drawn all the same: the stream does not depend on the choice
      images.push_back(x.slice(0, i, i + 1));
      continue;
    }
    images.push_back(padded.slice(0, i, i + 1).slice(2, dy, dy + h).slice(3, dx, dx + w));
  }
  return concat(images, 0);
}

Tensor cutout(const Tensor& x, const std::vector<bool>& on, Rng& rng) {
  const int64_t n = x.shape()[0], h = x.shape()[2], w = x.shape()[3];
  const int64_t ch = (h + 1) / 2, cw = (w + 1) / 2;  // half the side, as in the paper
  std::vector<double> mask(static_cast<size_t>(n * h * w), 1.0);
  for (int64_t i = 0; i < n; ++i) {
    // The square's centre anywhere in the image; the square is clipped at the border.
    const auto cy = static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(h)));
    const auto cx = static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(w)));
    if (!on[static_cast<size_t>(i)]) continue;
    for (int64_t y = std::max<int64_t>(0, cy - ch / 2); y < std::min(h, cy - ch / 2 + ch); ++y)
      for (int64_t xx = std::max<int64_t>(0, cx - cw / 2); xx < std::min(w, cx - cw / 2 + cw); ++xx)
        mask[static_cast<size_t>((i * h + y) * w + xx)] = 0.0;
  }
  return mul(x, Tensor::from_vector(mask, {n, 1, h, w}, x.dtype(), x.device()));
}

}  // namespace

DiffAugmentPolicy parse_diff_augment(const std::string& spec) {
  DiffAugmentPolicy p;
  if (spec == "none") return p;
  std::istringstream in(spec);
  std::string part;
  while (std::getline(in, part, ',')) {
    bool* flag = part == "color" ? &p.color : part == "translation" ? &p.translation : part == "cutout" ? &p.cutout
                                                                                                        : nullptr;
    GAN_CHECK(flag != nullptr && !*flag, ValueError, "DiffAugment policy '", spec, "': '", part,
              flag ? "' is listed twice" : "' is not one of color, translation, cutout",
              " (give none, or a comma-separated list such as color,translation,cutout)");
    *flag = true;
  }
  GAN_CHECK(p.any(), ValueError, "DiffAugment policy '", spec, "' is empty: give none, or e.g. color,translation");
  return p;
}

std::string diff_augment_name(const DiffAugmentPolicy& p) {
  if (!p.any()) return "none";
  std::string s;
  for (const auto& [on, name] : {std::pair{p.color, "color"}, {p.translation, "translation"}, {p.cutout, "cutout"}})
    if (on) s += (s.empty() ? "" : ",") + std::string(name);
  return s;
}

Tensor diff_augment(const Tensor& x, const DiffAugmentPolicy& policy, Rng& rng, double probability) {
  GAN_CHECK(x.dim() == 4 && x.shape()[0] > 0, ShapeError, "diff_augment: images must be [N, C, H, W] with N >= 1, got ",
            shape_str(x.shape()));
  GAN_CHECK(probability >= 0.0 && probability <= 1.0, ValueError, "diff_augment: the probability must be in [0, 1], got ",
            probability);
  const int64_t n = x.shape()[0];
  Tensor y = x;
  if (policy.color) y = color(y, chosen(n, probability, rng), rng);
  if (policy.translation) y = translation(y, chosen(n, probability, rng), rng);
  if (policy.cutout) y = cutout(y, chosen(n, probability, rng), rng);
  return y;
}

}  // namespace gan
