// The process's communicator (core/distributed.h): MPI when built with it
// (GAN_HAVE_MPI) and started by a launcher, else one rank; the differentiable
// all-reduce; and the bucketed gradient averaging that overlaps backward.
#include "core/distributed.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <unordered_map>

#include "core/autograd.h"
#include "core/cuda_runtime.h"
#include "core/error.h"
#include "core/ops.h"

#ifdef GAN_HAVE_MPI
#include <mpi.h>
#endif

namespace gan::dist {

namespace {

int g_rank = 0, g_size = 1;
bool g_mpi_started = false;
bool g_local = false;  // inside a LocalScope
bool g_sync_bn = false;

bool acting_alone() { return g_size == 1 || g_local; }

int env_int(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : 0;
}

#ifdef GAN_HAVE_MPI
void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw DistributedError(std::string(what) + " failed on rank " + std::to_string(g_rank) + ": " +
                         std::string(text, static_cast<size_t>(length)));
}

// MPI counts are int: long buffers go in pieces.
constexpr int64_t kMaxCount = int64_t{1} << 30;
#endif

}  // namespace

bool built_with_mpi() {
#ifdef GAN_HAVE_MPI
  return true;
#else
  return false;
#endif
}

bool built_with_nccl() {
#ifdef GAN_HAVE_NCCL
  return true;
#else
  return false;
#endif
}

int launcher_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"})
    if (const int n = env_int(name); n > 0) return n;
  return 1;
}

void init_from_launcher() {
  if (launcher_size() <= 1 || g_mpi_started) return;
#ifdef GAN_HAVE_MPI
  int provided = 0;
  // Only the main thread calls MPI (OpenMP's workers and the data loader never do).
  check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  g_mpi_started = true;
  // Errors come back as codes (check_mpi turns them into DistributedError)
  // instead of MPI's default of aborting the job without a word from the engine.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
#ifdef GAN_HAVE_NCCL
  // One GPU per rank on each machine, before anything touches CUDA.
  const int local = env_int("OMPI_COMM_WORLD_LOCAL_RANK");
  detail::nccl_select_device(local > 0 ? local : env_int("MPI_LOCALRANKID"));
#endif
#else
  throw DistributedError(
      "launched as " + std::to_string(launcher_size()) +
      " ranks (by mpirun), but this gan was built without MPI. Install OpenMPI (Debian: apt-get install "
      "libopenmpi-dev openmpi-bin, or scripts/setup.sh), then configure and build again (CMake finds it; "
      "-DGAN_WITH_MPI=ON is the default); or run gan without mpirun for one process");
#endif
}

void finalize() {
#ifdef GAN_HAVE_MPI
  if (!g_mpi_started) return;
#ifdef GAN_HAVE_NCCL
  detail::nccl_finalize();
#endif
  MPI_Finalize();
  g_mpi_started = false;
#endif
}

int rank() { return g_local ? 0 : g_rank; }
int size() { return acting_alone() ? 1 : g_size; }

LocalScope::LocalScope() : previous_(g_local) { g_local = true; }
LocalScope::~LocalScope() { g_local = previous_; }

void set_sync_batch_norm(bool on) { g_sync_bn = on; }
bool sync_batch_norm() { return g_sync_bn && !acting_alone(); }

namespace {

#ifdef GAN_HAVE_MPI
// In-place MPI_Allreduce of n values, in pieces of at most kMaxCount (MPI
// counts are int).
template <typename T>
void mpi_all_reduce(T* data, int64_t n, MPI_Datatype type, MPI_Op op) {
  for (int64_t at = 0; at < n; at += kMaxCount)
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, data + at, static_cast<int>(std::min(kMaxCount, n - at)), type, op,
                            MPI_COMM_WORLD),
              "MPI_Allreduce");
}
#endif

void host_all_reduce_sum(float* data, int64_t n) {
#ifdef GAN_HAVE_MPI
  mpi_all_reduce(data, n, MPI_FLOAT, MPI_SUM);
#else
  (void)data;
  (void)n;
#endif
}

}  // namespace

void all_reduce_sum(double* data, int64_t n) {
  if (acting_alone() || n == 0) return;
#ifdef GAN_HAVE_MPI
  mpi_all_reduce(data, n, MPI_DOUBLE, MPI_SUM);
#endif
}

void all_reduce_max(double* data, int64_t n) {
  if (acting_alone() || n == 0) return;
#ifdef GAN_HAVE_MPI
  mpi_all_reduce(data, n, MPI_DOUBLE, MPI_MAX);
#endif
}

void all_reduce_sum(float* data, int64_t n, Device device) {
  if (acting_alone() || n == 0) return;
  if (!device.is_cuda()) {
    host_all_reduce_sum(data, n);
    return;
  }
#ifdef GAN_HAVE_NCCL
  detail::nccl_all_reduce_sum(data, n);
#else
  // No NCCL: through the host (correct, and as slow as two PCIe copies).
  std::vector<float> host(static_cast<size_t>(n));
  cuda::copy_device_to_host(host.data(), data, host.size() * sizeof(float));
  host_all_reduce_sum(host.data(), n);
  cuda::copy_host_to_device(data, host.data(), host.size() * sizeof(float));
#endif
}

bool same_on_all_ranks(uint64_t value) {
  if (acting_alone()) return true;
#ifdef GAN_HAVE_MPI
  unsigned long long lo = value, hi = value;
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD), "MPI_Allreduce");
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
  return lo == hi;
#else
  return true;
#endif
}

void broadcast(std::vector<uint8_t>& bytes, int root) {
  if (acting_alone()) return;
#ifdef GAN_HAVE_MPI
  unsigned long long n = bytes.size();
  check_mpi(MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD), "MPI_Bcast");
  bytes.resize(static_cast<size_t>(n));
  for (unsigned long long at = 0; at < n; at += kMaxCount)
    check_mpi(MPI_Bcast(bytes.data() + at, static_cast<int>(std::min<unsigned long long>(kMaxCount, n - at)),
                        MPI_BYTE, root, MPI_COMM_WORLD),
              "MPI_Bcast");
#endif
}

void abort(const std::string& message, int status) {
  std::cerr << message << std::flush;
#ifdef GAN_HAVE_MPI
  if (g_mpi_started && g_size > 1) MPI_Abort(MPI_COMM_WORLD, status);
#endif
  std::exit(status);
}

uint64_t fnv1a(const void* data, std::size_t bytes, uint64_t hash) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) hash = (hash ^ p[i]) * 1099511628211ull;
  return hash;
}

// ---- the differentiable all-reduce ---------------------------------------------

namespace {

Tensor reduced_copy(const Tensor& t) {
  GAN_CHECK(t.dtype() == DType::F32, DTypeError, "all_reduce_sum: float32 tensors only, got ", t.str());
  Tensor out = t.detach().contiguous().clone();
  all_reduce_sum(out.data<float>(), out.numel(), out.device());
  return out;
}

struct AllReduceSumBackward : Node {
  const char* name() const override { return "AllReduceSumBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {all_reduce_sum(g)}; }
};

}  // namespace

Tensor all_reduce_sum(const Tensor& t) {
  if (acting_alone()) return t;
  Tensor out = reduced_copy(t);
  record(out, std::make_shared<AllReduceSumBackward>(), {t});
  return out;
}

// ---- bucketed gradient averaging -------------------------------------------------

namespace {

// The parameters' gradients, packed into buckets that are all-reduced as
// soon as each is complete.
class GradientReducer {
 public:
  GradientReducer(const std::vector<Tensor>& params, std::size_t bucket_bytes) {
    // Reverse order: backward finalises the last layers first.
    for (auto it = params.rbegin(); it != params.rend(); ++it) {
      const Tensor& p = *it;
      GAN_CHECK(p.dtype() == DType::F32, DTypeError, "gradient all-reduce: float32 parameters only, got ", p.str());
      if (buckets_.empty() || buckets_.back().bytes >= bucket_bytes) buckets_.emplace_back();
      Bucket& b = buckets_.back();
      where_[&p.impl()] = {buckets_.size() - 1, b.members.size()};
      b.members.push_back(p);
      b.grads.emplace_back();
      b.bytes += static_cast<std::size_t>(p.numel()) * sizeof(float);
    }
  }

  ~GradientReducer() {
#ifdef GAN_HAVE_MPI
    // Only after an exception: a started request must finish before its buffer goes.
    for (Bucket& b : buckets_)
      if (b.request != MPI_REQUEST_NULL) MPI_Wait(&b.request, MPI_STATUS_IGNORE);
#endif
  }

  // A leaf's gradient is final (LeafGradHookScope).
  void ready(const Tensor& leaf) {
    const auto it = where_.find(&leaf.impl());
    if (it == where_.end()) return;  // not one of ours (an input that requires grad)
    Bucket& b = buckets_[it->second.first];
    b.grads[it->second.second] = Tensor(leaf.impl().grad);
    if (++b.ready == b.members.size()) start(b);
    progress();
  }

  // Starts what backward did not complete, in bucket order (the same on every
  // rank), waits for all, and replaces each gradient by its mean over ranks.
  void finish() {
    for (Bucket& b : buckets_)
      if (!b.started) start(b);
    NoGradGuard no_grad;
    const double inverse = 1.0 / size();
    for (Bucket& b : buckets_) {
#ifdef GAN_HAVE_MPI
      check_mpi(MPI_Wait(&b.request, MPI_STATUS_IGNORE), "MPI_Wait (gradient all-reduce)");
#endif
      int64_t at = 0;
      for (size_t i = 0; i < b.members.size(); ++i) {
        const Tensor& p = b.members[i];
        const int64_t n = p.numel();
        // Out of place, as every gradient (core/autograd.h).
        if (b.grads[i].defined()) p.impl().grad = mul(b.buffer.slice(0, at, at + n).reshape(p.shape()), inverse).impl_ptr();
        at += n;
      }
    }
  }

 private:
  struct Bucket {
    std::vector<Tensor> members, grads;  // a gradient stays undefined when its parameter got none
    std::size_t bytes = 0, ready = 0;
    bool started = false;
    Tensor buffer;
#ifdef GAN_HAVE_MPI
    MPI_Request request = MPI_REQUEST_NULL;
#endif
  };

  void start(Bucket& b) {
    NoGradGuard no_grad;
    std::vector<Tensor> flat;
    for (size_t i = 0; i < b.members.size(); ++i) {
      const Tensor& p = b.members[i];
      flat.push_back(b.grads[i].defined() ? b.grads[i].detach().reshape({-1})
                                          : Tensor::zeros({p.numel()}, DType::F32, p.device()));
    }
    b.buffer = flat.size() == 1 ? flat[0].contiguous().clone() : concat(flat, 0);
    b.started = true;
    const int64_t n = b.buffer.numel();
    if (b.buffer.device().is_cuda()) {
      // NCCL queues the reduction on the engine's stream, behind the kernels
      // that made the gradients; the rest of backward queues behind it.
      all_reduce_sum(b.buffer.data<float>(), n, b.buffer.device());
      return;
    }
#ifdef GAN_HAVE_MPI
    GAN_CHECK(n < kMaxCount, DistributedError, "gradient bucket of ", n, " floats is too large for one MPI call");
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, b.buffer.data<float>(), static_cast<int>(n), MPI_FLOAT, MPI_SUM,
                             MPI_COMM_WORLD, &b.request),
              "MPI_Iallreduce (gradient bucket)");
#endif
  }

  // MPI moves a non-blocking collective on only inside MPI calls (OpenMPI has
  // no progress thread by default): poke it between backward nodes.
  void progress() {
#ifdef GAN_HAVE_MPI
    for (Bucket& b : buckets_) {
      if (b.request == MPI_REQUEST_NULL) continue;
      int done = 0;
      check_mpi(MPI_Test(&b.request, &done, MPI_STATUS_IGNORE), "MPI_Test (gradient all-reduce)");
    }
#endif
  }

  std::vector<Bucket> buckets_;
  std::unordered_map<const TensorImpl*, std::pair<size_t, size_t>> where_;  // bucket, index in it
};

}  // namespace

void backward_averaged(const Tensor& loss, const std::vector<Tensor>& parameters, std::size_t bucket_bytes) {
  if (acting_alone()) {
    loss.backward();
    return;
  }
  GradientReducer reducer(parameters, bucket_bytes);
  {
    const LeafGradHookScope hook([&](const Tensor& leaf) { reducer.ready(leaf); });
    loss.backward();
  }
  reducer.finish();
}

}  // namespace gan::dist
