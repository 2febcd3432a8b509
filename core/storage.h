// A block of memory on one device, shared by every tensor that views it.
#pragma once

#include <cstddef>

#include "core/allocator.h"
#include "core/device.h"

namespace gan {

class Storage {
 public:
  Storage(Device device, std::size_t bytes) : device_(device), bytes_(bytes), data_(allocate_bytes(device, bytes)) {}
  ~Storage() { deallocate_bytes(device_, data_, bytes_); }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  Device device_;
  std::size_t bytes_;
  void* data_;
};

}  // namespace gan
