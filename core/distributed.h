// Data-parallel training across processes: the ranks of an MPI job (started
// by `mpirun -np N gan ...`) each train on their slice of every batch and
// average their gradients, so that all of them apply the same update.
//
// One communicator for the whole process. Without a launcher (plain `gan`),
// or in a build without MPI, it is the single-process one: rank 0 of 1, and
// every collective is the identity. With MPI (GAN_HAVE_MPI) host memory goes
// through MPI; device memory through NCCL when it is built (GAN_HAVE_NCCL),
// else it is staged through the host. docs/distributed.md has the design.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"

namespace gan::dist {

// Whether this build can run more than one rank, and how device memory is reduced.
bool built_with_mpi();
bool built_with_nccl();

// The rank count an MPI launcher asked for, read from its environment
// (OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_SIZE); 1 without one. Known even in a
// build without MPI, so that `gan` can say what is missing.
int launcher_size();

// Starts MPI when a launcher asked for more than one rank (a no-op
// otherwise, so a plain `gan` never loads MPI's state). DistributedError when
// this build has no MPI, saying how to get it. Call once, from main.
void init_from_launcher();
// Ends MPI after a normal exit (a no-op when it was never started).
void finalize();

int rank();
int size();
inline bool is_root() { return rank() == 0; }

// In-place sums over all ranks: every rank ends with the same totals. `data`
// lives on `device` (host memory for Device::cpu()).
void all_reduce_sum(float* data, int64_t n, Device device);
void all_reduce_sum(double* data, int64_t n);  // host memory
// The largest of every rank's values, element-wise (host memory).
void all_reduce_max(double* data, int64_t n);
// Whether every rank passed the same value.
bool same_on_all_ranks(uint64_t value);
// Root's bytes on every rank (others' vectors are resized).
void broadcast(std::vector<uint8_t>& bytes, int root = 0);

// Ends every rank of the job at once, with `message` printed by this one
// (MPI_Abort), so that no rank waits forever on one that failed. Without
// MPI it is std::exit(status).
[[noreturn]] void abort(const std::string& message, int status);

// Inside its scope this process acts alone: size() is 1 and collectives are
// the identity. For work that only some ranks do, or that each does apart
// (the memory probe before a run).
class LocalScope {
 public:
  LocalScope();
  ~LocalScope();
  LocalScope(const LocalScope&) = delete;
  LocalScope& operator=(const LocalScope&) = delete;

 private:
  bool previous_;
};

// The differentiable all-reduce: forward, the sum of `t` over ranks (a new
// tensor); backward, the sum over ranks of the incoming gradients (each rank's
// loss depends on every rank's input). The identity on one rank.
Tensor all_reduce_sum(const Tensor& t);

// --sync-bn: batch norm layers in training mode normalise with the statistics
// of the whole global batch (layers/layers.cpp) while this is on and size() > 1.
void set_sync_batch_norm(bool on);
bool sync_batch_norm();

// Bucket size of the gradient all-reduce (see backward_averaged).
inline constexpr std::size_t kDefaultBucketBytes = std::size_t{2} << 20;

// loss.backward(), then every parameter's gradient averaged over the ranks,
// so that each rank holds the gradient of the mean of all ranks' losses. The
// parameters (float32, on one device) are grouped into buckets of about
// `bucket_bytes` in reverse order (the order backward reaches them); a
// bucket's all-reduce starts as soon as the last of its gradients is final,
// while backward continues (core/autograd.h, LeafGradHookScope), and the call
// returns when all are done. A parameter that got no gradient keeps none. On
// one rank, exactly loss.backward().
void backward_averaged(const Tensor& loss, const std::vector<Tensor>& parameters,
                       std::size_t bucket_bytes = kDefaultBucketBytes);

// FNV-1a of bytes, for comparing state across ranks.
uint64_t fnv1a(const void* data, std::size_t bytes, uint64_t hash = 14695981039346656037ull);

namespace detail {
// NCCL (core/cuda/nccl.cpp, GAN_HAVE_NCCL): the sum over ranks of
// device memory on the engine's stream, and the GPU this rank uses.
void nccl_select_device(int local_rank);
void nccl_all_reduce_sum(float* device_data, int64_t n);
void nccl_finalize();
}  // namespace detail

}  // namespace gan::dist
