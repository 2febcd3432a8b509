// NCCL for the all-reduce of device memory between the ranks' GPUs
// (core/distributed.h): one communicator, made on first use from a unique id
// that rank 0 draws and MPI broadcasts, and used on the engine's one stream,
// so a reduction is ordered after the kernels that wrote its input and before
// those that read its result, with no synchronisation. Built only with MPI,
// NCCL and CUDA (GAN_HAVE_NCCL); the file is empty otherwise.
#ifdef GAN_HAVE_NCCL

#include <cuda_runtime_api.h>
#include <mpi.h>
#include <nccl.h>

#include <string>

#include "core/cuda/cuda_check.h"
#include "core/distributed.h"
#include "core/error.h"

namespace gan::dist::detail {

namespace {

ncclComm_t g_comm = nullptr;

void check_nccl(ncclResult_t r, const char* what) {
  if (r == ncclSuccess) return;
  throw DistributedError(std::string(what) + " failed on rank " + std::to_string(rank()) + ": " +
                         ncclGetErrorString(r) + " (NCCL_DEBUG=INFO says more)");
}

ncclComm_t communicator() {
  if (g_comm) return g_comm;
  ncclUniqueId id{};
  if (rank() == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  if (MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
    throw DistributedError("MPI_Bcast of the NCCL id failed on rank " + std::to_string(rank()));
  check_nccl(ncclCommInitRank(&g_comm, size(), id, rank()), "ncclCommInitRank");
  return g_comm;
}

}  // namespace

void nccl_select_device(int local_rank) {
  int count = 0;
  // No GPU (a CPU run under mpirun): nothing to choose, and no error either.
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();
    return;
  }
  cudaSetDevice(local_rank % count);
}

void nccl_all_reduce_sum(float* device_data, int64_t n) {
  check_nccl(ncclAllReduce(device_data, device_data, static_cast<size_t>(n), ncclFloat, ncclSum, communicator(),
                           cuda::current_stream()),
             "ncclAllReduce");
}

void nccl_finalize() {
  if (!g_comm) return;
  ncclCommDestroy(g_comm);
  g_comm = nullptr;
}

}  // namespace gan::dist::detail

#endif  // GAN_HAVE_NCCL
