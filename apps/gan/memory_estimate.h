// The memory a command needs, estimated before it starts, so that a run that
// cannot fit is refused in its first seconds with what to lower, instead of
// failing after an hour (or, on Linux, being killed by the OOM killer).
//
// Measured, not modelled: the command builds its networks and runs one
// training step (or one forward pass) on the chosen device at two batches, T
// and 2T images (T: the CPU threads, at least 2; 2 on CUDA), or at its own
// batch when that is no larger than T, while the engine's allocation counters
// (core/allocator.h) record the peak. What the larger batch needed more, per
// image, is the cost of one image (the activations kept for backward, the
// outputs); the rest does not grow with the batch. The estimate for batch B is
// that rest plus B times one image's cost.
// Not counted: the data set in host memory (already loaded, so already out of
// what is available), the gemm's small per-thread packing buffers, cuBLAS's
// own workspace, and the CUDA caching allocator's rounding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/device.h"
#include "layers/module.h"

namespace gan::app {

struct MemoryEstimate {
  Device device = Device::cpu();
  std::string setting;          // what the numbers are for, e.g. "batch 64 at 28 px"
  std::size_t parameters = 0;   // weights and buffers of every network
  std::size_t optimizer = 0;    // their gradients and the optimizers' moments (training only)
  std::size_t activations = 0;  // what grows with the batch: tensors kept for backward, outputs
  std::size_t workspace = 0;    // the rest: the pre-step snapshot, kernel scratch, data batches, image pools
  std::size_t total() const { return parameters + optimizer + activations + workspace; }
};

// What a probe built: the bytes of its networks' weights and buffers, and of
// their gradients plus optimizer state (0 when nothing trains). A probe that
// runs networks loaded before it (sampling, translation) returns zeros: its
// peak does not hold them; the caller sets MemoryEstimate::parameters.
struct ProbeSizes {
  std::size_t parameters = 0, optimizer = 0;
};
// Builds what the command builds and runs one step (or forward pass) at
// `batch` on the estimate's device; everything it allocates must be freed
// when it returns.
using MemoryProbe = std::function<ProbeSizes(int64_t batch)>;

// Runs the probe at two batches (once, at `batch`, when it is small) and
// scales to `batch`. `extra` is memory the probe's single step cannot show (the data
// batches the loader prepares ahead, CycleGAN's image pools, which fill over
// 50 steps); it is added to the workspace.
MemoryEstimate estimate_memory(Device device, int64_t batch, const std::string& setting, const MemoryProbe& probe,
                               std::size_t extra = 0);

// For training probes: the networks' weights and buffers, and their
// gradients plus `optimizer_slots` moments per weight (Adam 2, RMSprop 1).
ProbeSizes training_sizes(const std::vector<const Module*>& networks, int optimizer_slots);
std::size_t module_bytes(const Module& module);  // weights and buffers
std::size_t tensor_bytes(const Tensor& tensor);

struct AvailableMemory {
  std::size_t bytes = 0;
  std::string source;  // where the figure comes from, for messages
};
// What the command may use: on the CPU, MemAvailable of /proc/meminfo, or the
// room left under the process's cgroup memory.max when that is less; on CUDA
// the device's free memory. Plus what the engine's tensors hold already (a
// loaded generator: counted in the estimate too). The environment variable
// GAN_MEMORY_LIMIT_BYTES replaces the measured figure (tests use it; it also
// keeps a run within a budget on a shared machine).
AvailableMemory available_memory(Device device);

// "1.5 GiB", "300 MiB", "12 KiB", "100 B".
std::string format_bytes(std::size_t bytes);

// The breakdown --dry-run prints: each part, the total and what is available.
std::string memory_report(const MemoryEstimate& need, const AvailableMemory& available);

// What to lower, in the options of `command` ("train", "cyclegan train", ...).
std::string memory_advice(const std::string& command);

// OutOfMemoryError naming the estimate (and its parts) and what is available
// when the estimate does not fit; the app adds memory_advice. With `dry_run`
// the breakdown goes to `report` first, and the return value true says the
// command should stop there (status 0 when it fits).
bool check_memory(const MemoryEstimate& need, const std::string& command, bool dry_run, std::ostream& report);

}  // namespace gan::app
