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

// check_tensors, then copies the records into the tensors (on whatever device
// they live).
void load_tensors(const io::Checkpoint& checkpoint, const std::string& prefix,
                  const std::vector<NamedTensor>& tensors, const std::string& source);

}  // namespace gan
