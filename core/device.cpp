#include "core/device.h"

#include "core/cuda_runtime.h"
#include "core/error.h"

namespace gan {

Device parse_device(const std::string& name) {
  if (name == "cpu") return Device::cpu();
  if (name == "auto") return cuda::available() ? Device::cuda() : Device::cpu();
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    int index = 0;
    if (name.size() > 5) {
      try {
        index = std::stoi(name.substr(5));
      } catch (const std::exception&) {
        throw ValueError("bad device '" + name + "': expected cpu, cuda, cuda:N or auto");
      }
    }
    cuda::require_available();
    return Device::cuda(index);
  }
  throw ValueError("unknown device '" + name + "': expected cpu, cuda, cuda:N or auto");
}

}  // namespace gan
