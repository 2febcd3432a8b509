// The history of generated images that CycleGAN's discriminators learn from
// (Shrivastava et al., "Learning from Simulated and Unsupervised Images through
// Adversarial Training", CVPR 2017; Zhu et al. 2017, Sec. 4): D is updated on a
// mix of the newest fakes and older ones, so it keeps rejecting what G
// produced a while ago and the two do not chase each other in circles.
//
// query(fakes) returns a batch of the same size, deciding image by image:
// while the pool holds fewer than `capacity` images, the new image is stored
// and returned; once it is full, with probability 1/2 a uniformly chosen stored
// image is returned and the new one takes its place, otherwise the new image
// is returned as it is. Capacity 0 turns the pool off (fakes pass through).
//
// The decisions come from the pool's own Philox stream, so the pool is a pure
// function of its seed and the queries; its images and the stream's position
// go into checkpoints (save / load), which keeps a resumed run exact.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/io/checkpoint_format.h"
#include "core/random.h"
#include "core/tensor.h"

namespace gan {

class ImagePool {
 public:
  ImagePool(int64_t capacity, uint64_t seed);

  // images [N, C, H, W] (detached copies are stored, on their device);
  // returns [N, C, H, W] without a graph.
  Tensor query(const Tensor& images);

  int64_t size() const { return static_cast<int64_t>(images_.size()); }
  int64_t capacity() const { return capacity_; }
  const Rng& generator() const { return rng_; }

  // Checkpoint records: "<prefix>images" [size, C, H, W] (absent while the
  // pool is empty) and metadata "<prefix>rng_counter".
  void save(io::Checkpoint& checkpoint, const std::string& prefix) const;
  // IoError naming `source` unless the checkpoint holds a valid pool for
  // images of `image_shape` [C, H, W]; changes nothing.
  void check(const io::Checkpoint& checkpoint, const std::string& prefix, const Shape& image_shape,
             const std::string& source) const;
  // check(), then replaces the pool's contents (placed on `device`) and position.
  void load(const io::Checkpoint& checkpoint, const std::string& prefix, const Shape& image_shape,
            const std::string& source, Device device);

 private:
  int64_t capacity_;
  Rng rng_;
  std::vector<Tensor> images_;  // [1, C, H, W] each; never modified in place
};

}  // namespace gan
