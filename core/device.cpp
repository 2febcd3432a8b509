#include "core/device.h"

#include <algorithm>
#include <cctype>

#include "core/cuda_runtime.h"
#include "core/error.h"

namespace gan {

Device parse_device(const std::string& name) {
  if (name == "cpu") return Device::cpu();
  if (name == "auto") return cuda::available() ? Device::cuda() : Device::cpu();
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    if (name != "cuda") {
      // Digits only: "cuda:1x", "cuda:-1" and "cuda:" are typos, not device 0.
      const std::string index = name.substr(5);
      const bool digits = !index.empty() && index.size() <= 3 &&
                          std::all_of(index.begin(), index.end(), [](unsigned char c) { return std::isdigit(c); });
      GAN_CHECK(digits, ValueError, "bad device '", name, "': expected cpu, cuda, cuda:0 or auto");
      // The engine drives one GPU; accepting cuda:1 would silently run on GPU 0.
      GAN_CHECK(std::stoi(index) == 0, ValueError, "device '", name,
                "' is not supported: the engine uses one GPU, cuda:0. "
                "Select another GPU with CUDA_VISIBLE_DEVICES=N and --device cuda");
    }
    try {
      cuda::require_available();
    } catch (const DeviceError& e) {
      throw DeviceError(detail::concat("cannot use device '", name, "': ", e.what()));
    }
    return Device::cuda();
  }
  throw ValueError("unknown device '" + name + "': expected cpu, cuda, cuda:0 or auto");
}

}  // namespace gan
