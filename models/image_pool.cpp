#include "models/image_pool.h"

#include <cstring>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"

namespace gan {

ImagePool::ImagePool(int64_t capacity, uint64_t seed) : capacity_(capacity), rng_(seed) {
  GAN_CHECK(capacity >= 0, ValueError, "image pool: the capacity must be >= 0 (0 turns the pool off), got ",
            capacity);
}

Tensor ImagePool::query(const Tensor& images) {
  NoGradGuard no_grad;
  GAN_CHECK(images.dim() == 4 && images.shape()[0] >= 1, ShapeError, "image pool: expected images [N, C, H, W], got ",
            shape_str(images.shape()));
  if (capacity_ == 0) return images.detach();
  GAN_CHECK(images_.empty() || Shape(images_[0].shape().begin() + 1, images_[0].shape().end()) ==
                                   Shape(images.shape().begin() + 1, images.shape().end()),
            ShapeError, "image pool: holds images of ", shape_str(images_.empty() ? Shape{} : images_[0].shape()),
            ", got a batch ", shape_str(images.shape()));
  std::vector<Tensor> out;
  for (int64_t i = 0; i < images.shape()[0]; ++i) {
    Tensor image = images.slice(0, i, i + 1).detach().clone();  // its own storage, not a view of the batch
    if (size() < capacity_) {
      images_.push_back(image);
      out.push_back(image);
    } else if (rng_.next_uniform() < 0.5) {
      const auto k = static_cast<size_t>(rng_.next_below(static_cast<uint64_t>(capacity_)));
      out.push_back(images_[k]);
      images_[k] = image;
    } else {
      out.push_back(image);
    }
  }
  return concat(out, 0);
}

void ImagePool::save(io::Checkpoint& ck, const std::string& prefix) const {
  ck.put_meta(prefix + "rng_counter", std::to_string(rng_.counter()));
  if (images_.empty()) return;
  NoGradGuard no_grad;
  const Tensor all = concat(images_, 0).to(Device::cpu()).contiguous();
  ck.add(prefix + "images", io::RecordType::F32, all.shape(), all.data_ptr(),
         static_cast<size_t>(all.numel()) * sizeof(float));
}

void ImagePool::check(const io::Checkpoint& ck, const std::string& prefix, const Shape& image_shape,
                      const std::string& source) const {
  meta_int(ck, prefix + "rng_counter", source);
  const std::string key = prefix + "images";
  if (!ck.has(key)) return;  // an empty pool
  const io::CheckpointRecord& rec = ck.get(key);
  const bool fits = rec.dtype == io::RecordType::F32 && rec.shape.size() == 4 && rec.shape[0] >= 1 &&
                    rec.shape[0] <= capacity_ && Shape(rec.shape.begin() + 1, rec.shape.end()) == image_shape;
  GAN_CHECK(fits, IoError, source, ": the image pool '", key, "' is ", io::record_type_name(rec.dtype), " ",
            shape_str(rec.shape), "; this run's pool holds up to ", capacity_, " f32 images of ",
            shape_str(image_shape), ": the checkpoint was made with other options");
}

void ImagePool::load(const io::Checkpoint& ck, const std::string& prefix, const Shape& image_shape,
                     const std::string& source, Device device) {
  check(ck, prefix, image_shape, source);
  std::vector<Tensor> images;
  const std::string key = prefix + "images";
  if (ck.has(key)) {
    const io::CheckpointRecord& rec = ck.get(key);
    Tensor all = Tensor::empty(rec.shape);
    std::memcpy(all.data_ptr(), rec.bytes.data(), rec.bytes.size());
    all = all.to(device);
    for (int64_t i = 0; i < rec.shape[0]; ++i) images.push_back(all.slice(0, i, i + 1).clone());
  }
  images_ = std::move(images);
  rng_.set_state(rng_.seed(), static_cast<uint64_t>(meta_int(ck, prefix + "rng_counter", source)));
}

}  // namespace gan
