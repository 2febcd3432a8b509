// Where a tensor's memory lives. One CUDA device is used (index 0); the index
// is kept so multi-GPU can be added without changing every signature.
#pragma once

#include <string>

namespace gan {

enum class DeviceType { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static Device cpu() { return {DeviceType::CPU, 0}; }
  static Device cuda(int i = 0) { return {DeviceType::CUDA, i}; }
  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }
};

// Parses "cpu", "cuda" or "cuda:0" (the one GPU the engine uses), or "auto"
// (cuda when available, else cpu). ValueError on anything else, including
// another GPU index; DeviceError saying why (CPU-only build, no driver, no
// device) when cuda is asked for and cannot be used.
Device parse_device(const std::string& name);

}  // namespace gan
