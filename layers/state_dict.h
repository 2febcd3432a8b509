// Saving and restoring named tensors (a module's parameters and buffers, an
// optimizer's state) through the checkpoint container (core/io/checkpoint_format.h).
//
// Values are stored as raw bytes in the tensor's dtype, so a restored model is
// bit-for-bit the saved one (what exact resumption needs). Loading checks every
// name, shape and dtype before it copies anything, so a checkpoint made for
// other model options is rejected with a message naming the first mismatch and
// leaves the model untouched.
#pragma once

#include <string>
#include <vector>

#include "core/io/checkpoint_format.h"
#include "layers/module.h"

namespace gan {

// Parameters then buffers, with their module-relative names.
std::vector<NamedTensor> state_tensors(const Module& module);

// Adds each tensor as the record "<prefix><name>" (copied to the host).
void save_tensors(io::Checkpoint& checkpoint, const std::string& prefix, const std::vector<NamedTensor>& tensors);

// IoError, naming `source` (the checkpoint's file), when a record
// "<prefix><name>" is missing or its shape or dtype differs from the tensor's.
void check_tensors(const io::Checkpoint& checkpoint, const std::string& prefix,
                   const std::vector<NamedTensor>& tensors, const std::string& source);

// IoError, naming `source`, for the first record whose name starts with
// `prefix` but is none of "<prefix><name>" (an import from another model
// must not be half used). PyTorch's BatchNorm counters ("....num_batches_tracked")
// are not model tensors here and are let through.
void check_no_unexpected(const io::Checkpoint& checkpoint, const std::string& prefix,
                         const std::vector<NamedTensor>& tensors, const std::string& source);

// check_tensors, then copies the records into the tensors (on whatever device
// they live).
void load_tensors(const io::Checkpoint& checkpoint, const std::string& prefix,
                  const std::vector<NamedTensor>& tensors, const std::string& source);

// One network of a weights file: the prefix of its records ("G.") and the
// module whose state_tensors they hold.
struct NamedNetwork {
  std::string prefix;
  Module* module;
};

// Loads imported weights (a safetensors file read with io::load_safetensors)
// into the networks that have records in it: all of them when `require_all`,
// else at least one. Everything is checked first (check_no_unexpected and
// check_tensors for each network with records), so a mismatch names the first
// bad tensor and changes nothing. Returns the prefixes loaded.
std::vector<std::string> import_networks(const io::Checkpoint& weights, const std::vector<NamedNetwork>& networks,
                                         const std::string& source, bool require_all);

}  // namespace gan
