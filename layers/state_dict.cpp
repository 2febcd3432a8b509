#include "layers/state_dict.h"

#include <algorithm>
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
              ": the file was made with other model options (image size, channels, nz, ngf, ndf, classes)");
    GAN_CHECK(rec.dtype == record_type(t.dtype()), IoError, source, ": tensor '", key, "' is ",
              io::record_type_name(rec.dtype), " but the model expects ", to_string(t.dtype()));
  }
}

void check_no_unexpected(const io::Checkpoint& checkpoint, const std::string& prefix,
                         const std::vector<NamedTensor>& tensors, const std::string& source) {
  const std::string pytorch_counter = ".num_batches_tracked";
  for (const io::CheckpointRecord& rec : checkpoint.records) {
    if (rec.name.compare(0, prefix.size(), prefix) != 0) continue;
    if (rec.name.size() > pytorch_counter.size() &&
        rec.name.compare(rec.name.size() - pytorch_counter.size(), pytorch_counter.size(), pytorch_counter) == 0)
      continue;
    bool known = false;
    for (const auto& [name, t] : tensors) known = known || prefix + name == rec.name;
    GAN_CHECK(known, IoError, source, ": tensor '", rec.name, "' is not a tensor of the model (whose first is '",
              prefix, tensors.empty() ? std::string("?") : tensors.front().first,
              "'): the file was made for a different model or other model options");
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

std::vector<std::string> import_networks(const io::Checkpoint& weights, const std::vector<NamedNetwork>& networks,
                                         const std::string& source, bool require_all) {
  std::vector<std::string> present, all;
  for (const NamedNetwork& n : networks) {
    all.push_back(n.prefix);
    for (const io::CheckpointRecord& r : weights.records) {
      if (r.name.compare(0, n.prefix.size(), n.prefix) == 0) {
        present.push_back(n.prefix);
        break;
      }
    }
  }
  std::string wanted;
  for (const std::string& p : all) wanted += (wanted.empty() ? "'" : ", '") + p + "*'";
  GAN_CHECK(!present.empty(), IoError, source, ": no tensor is named ", wanted,
            (weights.records.empty() ? std::string(" (the file holds none)")
                                     : "; its first is '" + weights.records.front().name + "'"),
            ": names are the network prefix and the parameter path (docs/export.md)");
  for (const NamedNetwork& n : networks) {
    const bool here = std::find(present.begin(), present.end(), n.prefix) != present.end();
    GAN_CHECK(here || !require_all, IoError, source, ": no tensor is named '", n.prefix,
              "*': this needs that network's weights");
    if (!here) continue;
    const std::vector<NamedTensor> tensors = state_tensors(*n.module);
    check_no_unexpected(weights, n.prefix, tensors, source);
    check_tensors(weights, n.prefix, tensors, source);
  }
  for (const NamedNetwork& n : networks) {
    if (std::find(present.begin(), present.end(), n.prefix) != present.end())
      load_tensors(weights, n.prefix, state_tensors(*n.module), source);
  }
  return present;
}

}  // namespace gan
