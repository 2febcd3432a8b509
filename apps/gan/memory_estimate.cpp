#include "apps/gan/memory_estimate.h"

#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <sstream>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "core/allocator.h"
#include "core/cuda_runtime.h"
#include "core/error.h"

namespace gan::app {

namespace {

// Peak bytes the probe allocated beyond what was in use when it started.
std::size_t probe_peak(Device device, int64_t batch, const MemoryProbe& probe, ProbeSizes& sizes) {
  const std::size_t before = memory_counters(device).bytes_in_use;
  reset_peak_memory(device);
  sizes = probe(batch);
  if (device.is_cuda()) cuda::synchronize();
  const std::size_t peak = memory_counters(device).peak_bytes_in_use;
  return peak > before ? peak - before : 0;
}

// The first number on the line of `file` that starts with `key`; 0 when none.
std::size_t read_number(const std::string& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) {
      std::istringstream fields(line.substr(key.size()));
      std::size_t n = 0;
      if (fields >> n) return n;
    }
  return 0;
}

// The room left under the cgroup (v2) memory limit of this process; 0 when
// there is no limit (memory.max "max") or no cgroup v2.
std::size_t cgroup_room() {
  std::ifstream self("/proc/self/cgroup");
  std::string line, group;
  while (std::getline(self, line))
    if (line.rfind("0::", 0) == 0) group = line.substr(3);
  for (const std::string& dir : {"/sys/fs/cgroup" + group, std::string("/sys/fs/cgroup")}) {
    std::ifstream max_file(dir + "/memory.max");
    std::string max_text;
    if (!(max_file >> max_text)) continue;
    if (max_text == "max") return 0;
    const std::size_t limit = std::strtoull(max_text.c_str(), nullptr, 10);
    const std::size_t used = read_number(dir + "/memory.current", "");
    return limit > used ? limit - used : 1;  // 1: full (0 would mean "no limit")
  }
  return 0;
}

}  // namespace

MemoryEstimate estimate_memory(Device device, int64_t batch, const std::string& setting, const MemoryProbe& probe,
                               std::size_t extra) {
  MemoryEstimate e;
  e.device = device;
  e.setting = setting;
  // Two batches, lo < hi, large enough to take the path the run's batch
  // takes: on the CPU a convolution gives each thread a scratch buffer once
  // there are as many images as threads, and below that the peak is set by
  // scratch that does not grow with the batch, and the slope comes out low (a
  // DCGAN at 32 px on 2 threads: 0.31 MB an image from 1 to 2, 0.36 from 2 to
  // 4, 0.41 from 4 on). A batch no larger than lo is measured as it is.
  const int64_t base = device.is_cuda() ? 2 : std::max(2, omp_get_max_threads());
  const int64_t lo = std::min(batch, base), hi = std::min(batch, 2 * base);
  ProbeSizes sizes;
  const std::size_t at_hi = probe_peak(device, hi, probe, sizes);
  std::size_t per_image = 0;
  if (lo < hi) {
    const std::size_t at_lo = probe_peak(device, lo, probe, sizes);
    per_image = at_hi > at_lo ? (at_hi - at_lo) / static_cast<std::size_t>(hi - lo) : 0;
  } else {  // hi is the batch: all that is not parameters or optimizer state grows with it
    per_image = (at_hi - std::min(at_hi, sizes.parameters + sizes.optimizer)) / static_cast<std::size_t>(hi);
  }
#if defined(__GLIBC__)
  malloc_trim(0);  // hand the probes' freed memory back, or MemAvailable would count it as taken
#endif
  e.parameters = sizes.parameters;
  e.optimizer = sizes.optimizer;
  const std::size_t images_at_hi = std::min(at_hi, per_image * static_cast<std::size_t>(hi));
  const std::size_t fixed = at_hi - images_at_hi;
  e.activations = per_image * static_cast<std::size_t>(batch);
  e.workspace = fixed - std::min(fixed, e.parameters + e.optimizer) + extra;
  return e;
}

std::size_t tensor_bytes(const Tensor& t) { return static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype()); }

std::size_t module_bytes(const Module& module) {
  std::size_t bytes = 0;
  for (const NamedTensor& t : module.named_parameters()) bytes += tensor_bytes(t.second);
  for (const NamedTensor& t : module.named_buffers()) bytes += tensor_bytes(t.second);
  return bytes;
}

ProbeSizes training_sizes(const std::vector<const Module*>& networks, int optimizer_slots) {
  ProbeSizes s;
  for (const Module* m : networks) {
    s.parameters += module_bytes(*m);
    for (const Tensor& p : m->parameters())
      s.optimizer += tensor_bytes(p) * static_cast<std::size_t>(1 + optimizer_slots);
  }
  return s;
}

AvailableMemory available_memory(Device device) {
  AvailableMemory a;
  if (const char* limit = std::getenv("GAN_MEMORY_LIMIT_BYTES"); limit != nullptr && *limit != '\0') {
    char* end = nullptr;
    a.bytes = std::strtoull(limit, &end, 10);
    GAN_CHECK(end != nullptr && *end == '\0', ValueError, "GAN_MEMORY_LIMIT_BYTES='", limit,
              "' is not a number of bytes");
    a.source = "GAN_MEMORY_LIMIT_BYTES";
    return a;
  }
  if (device.is_cuda()) {
    a.bytes = cuda::free_memory();
    a.source = "free on " + cuda::device_name();
  } else {
    a.bytes = read_number("/proc/meminfo", "MemAvailable:") * 1024;  // given in kB
    a.source = "host memory available (MemAvailable)";
    if (const std::size_t room = cgroup_room(); room != 0 && room < a.bytes) {
      a.bytes = room;
      a.source = "room left under the cgroup's memory.max";
    }
    if (a.bytes == 0) {  // no /proc (not Linux): nothing to judge by, so no refusal
      a.bytes = SIZE_MAX / 2;
      a.source = "unknown (no /proc/meminfo)";
    }
  }
  a.bytes += memory_counters(device).bytes_in_use;
  return a;
}

std::string format_bytes(std::size_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char text[32];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
  return text;
}

std::string memory_report(const MemoryEstimate& need, const AvailableMemory& available) {
  std::ostringstream os;
  const auto row = [&](const char* what, std::size_t bytes) { os << "  " << what << format_bytes(bytes) << "\n"; };
  os << "memory estimate (" << need.setting << ", on " << need.device.str() << "):\n";
  row("parameters                     ", need.parameters);
  row("gradients and optimizer state  ", need.optimizer);
  row("activations                    ", need.activations);
  row("workspace (snapshot, scratch)  ", need.workspace);
  row("total                          ", need.total());
  os << "  available                      " << format_bytes(available.bytes) << " (" << available.source << ")\n";
  return os.str();
}

std::string memory_advice(const std::string& command) {
  if (command == "train") return "lower --batch-size or --image-size, or use a smaller model (--ngf, --ndf)";
  if (command == "cyclegan train" || command == "pix2pix train")
    return "lower --batch-size, --image-size or --load-size, or use a smaller model (--ngf, --ndf)";
  if (command == "translate") return "lower --image-size or --batch-size";
  if (command == "sample") return "lower --n (the images are generated in one batch)";
  if (command == "eval") return "lower --samples";
  if (command == "export") return "export fewer networks at a time (--which)";
  if (command == "classifier train") return "lower --batch-size";
  return "use smaller batches, images or models";
}

bool check_memory(const MemoryEstimate& need, const std::string& command, bool dry_run, std::ostream& report) {
  const AvailableMemory available = available_memory(need.device);
  if (dry_run) report << memory_report(need, available);
  GAN_CHECK(need.total() <= available.bytes, OutOfMemoryError, "not enough memory for this run: it needs about ",
            format_bytes(need.total()), " of ", need.device.is_cuda() ? "device" : "host", " memory (",
            need.setting, ": parameters ", format_bytes(need.parameters), ", gradients and optimizer state ",
            format_bytes(need.optimizer), ", activations ", format_bytes(need.activations), ", workspace ",
            format_bytes(need.workspace), ") but ", format_bytes(available.bytes), " is available (",
            available.source, ")");
  if (dry_run) report << "it fits; nothing was written (--dry-run)\n";
  return dry_run;
}

}  // namespace gan::app
