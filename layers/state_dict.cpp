#include "layers/state_dict.h"

#include <cstring>

#include "core/error.h"

namespace gan {

namespace {

io::RecordType record_type(DType t) { return t == DType::F32 ? io::RecordType::F32 : io::RecordType::F64; }

}  // namespace

std::vector<NamedTensor> state_tensors(const Module& module) {
  std::vector<NamedTensor> all = module.named_parameters();
  for (NamedTensor& b : module.named_buffers()) all.push_back(std::move(b));
  return all;
}

void save_tensors(io::Checkpoint& checkpoint, const std::string& prefix, const std::vector<NamedTensor>& tensors) {
  for (const auto& [name, t] : tensors) {
    const Tensor host = t.detach().to(Device::cpu()).contiguous();
    checkpoint.add(prefix + name, record_type(host.dtype()), host.shape(), host.data_ptr(),
                   static_cast<size_t>(host.numel()) * dtype_size(host.dtype()));
  }
}

void check_tensors(const io::Checkpoint& checkpoint, const std::string& prefix,
                   const std::vector<NamedTensor>& tensors, const std::string& source) {
  for (const auto& [name, t] : tensors) {
    const std::string key = prefix + name;
    GAN_CHECK(checkpoint.has(key), IoError, source, ": no tensor named '", key,
              "': the checkpoint was made for a different model");
    const io::CheckpointRecord& rec = checkpoint.get(key);
    GAN_CHECK(rec.shape == t.shape(), IoError, source, ": tensor '", key, "' has shape ", shape_str(rec.shape),
              " but the model expects ", shape_str(t.shape()),
              ": the checkpoint was made with other model options (image size, channels, nz, ngf, ndf)");
    GAN_CHECK(rec.dtype == record_type(t.dtype()), IoError, source, ": tensor '", key, "' is ",
              io::record_type_name(rec.dtype), " but the model expects ", to_string(t.dtype()));
  }
}

void load_tensors(const io::Checkpoint& checkpoint, const std::string& prefix,
                  const std::vector<NamedTensor>& tensors, const std::string& source) {
  check_tensors(checkpoint, prefix, tensors, source);  // a mismatch must not leave a half-loaded model
  for (const auto& [name, target] : tensors) {
    const io::CheckpointRecord& rec = checkpoint.get(prefix + name);
    Tensor t = target;  // a handle: copy_ writes into the shared tensor
    Tensor host = Tensor::empty(t.shape(), t.dtype(), Device::cpu());
    std::memcpy(host.data_ptr(), rec.bytes.data(), rec.bytes.size());
    t.copy_(host);
  }
}

}  // namespace gan
