// A device context: the GPU, its one stream, its caching allocators (device memory and pinned
// host staging), the device error flag, and cuBLAS's handle. Opened once per GPU index per Node
// environment; every backend on that GPU shares it (and so one stream: a block released by one
// backend is reused in stream order by any other).
#pragma once
#include <cuda_runtime_api.h>

#include <string>
#include <utility>
#include <vector>

#include "allocator.h"
#include "cublas.h"

namespace mc {

/** Why a context could not be opened: a stable code for TypeScript's error classes, and the message. */
struct InitFailure {
  std::string code;  // no-driver, driver-too-old, no-device, unsupported-gpu, out-of-memory, cuda-error
  std::string message;
};

/** The CUDA version the addon was built for (cudaRuntimeGetVersion's encoding). */
constexpr int REQUIRED_DRIVER_CUDA = 13000;

struct Context {
  int device = 0;
  cudaStream_t stream = nullptr;
  Allocator* memory = nullptr;  // device memory
  Allocator* pinned = nullptr;  // page-locked host staging for uploads and reads
  int* flag = nullptr;          // device int: FLAG_* bits raised by kernels since the last read
  cublasHandle blas = nullptr;
  std::string blas_error;  // why cuBLAS is not in use on this context
  int math_mode = -1;      // the cuBLAS math mode last set
  std::string name;
  int cc_major = 0, cc_minor = 0;
  std::size_t total_memory = 0;
  /** Pinned upload buffers still being copied, each with the event that marks its copy done. */
  std::vector<std::pair<Block*, cudaEvent_t>> pending;
  std::vector<cudaEvent_t> spare_events;

  /** An event from the pool (blocking-sync, no timing). */
  cudaEvent_t take_event();
  void give_event(cudaEvent_t e) { spare_events.push_back(e); }
  /** Releases the pinned upload buffers whose copy has completed. */
  void reap();
  /** Free and total device memory now (0, 0 when the query fails). */
  std::pair<std::size_t, std::size_t> memory_info() const;
};

/** The driver's CUDA version (0: no driver, libcuda.so.1 not found) and the runtime's. */
int driver_version();
int runtime_version();
/** "12.4" from 12040. */
std::string cuda_version_text(int version);
/** The kernel module's version line from /proc/driver/nvidia/version ("" when absent). */
std::string kernel_driver_text();

/** The failure for a driver's CUDA version (0: none) that cannot run the addon; code "" when it can. */
InitFailure classify_driver(int driver_version);

/**
 * Opens the context of GPU `device` (cuBLAS from `blas_candidates` unless `builtin_gemm`).
 * Returns nullptr and fills `failure` when the machine cannot run it.
 */
Context* open_context(int device, const std::vector<std::string>& blas_candidates, bool builtin_gemm, InitFailure* failure);

/** "name: description" of a CUDA error. */
std::string cuda_error_text(cudaError_t e);

}  // namespace mc
