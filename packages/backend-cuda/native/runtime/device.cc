#include "device.h"

#include <cstdlib>
#include <fstream>

#include "../kernels/kernels.h"

namespace mc {

std::string cuda_error_text(cudaError_t e) { return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e); }

int driver_version() {
  int v = 0;
  if (cudaDriverGetVersion(&v) != cudaSuccess) v = 0;
  return v;
}

int runtime_version() {
  int v = 0;
  if (cudaRuntimeGetVersion(&v) != cudaSuccess) v = 0;
  return v;
}

std::string cuda_version_text(int version) { return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10); }

std::string kernel_driver_text() {
  std::ifstream in("/proc/driver/nvidia/version");
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  return line;
}

cudaEvent_t Context::take_event() {
  if (!spare_events.empty()) {
    cudaEvent_t e = spare_events.back();
    spare_events.pop_back();
    return e;
  }
  cudaEvent_t e = nullptr;
  if (cudaEventCreateWithFlags(&e, cudaEventDisableTiming | cudaEventBlockingSync) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  return e;
}

void Context::reap() {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < pending.size(); i++) {
    if (cudaEventQuery(pending[i].second) == cudaSuccess) {
      pinned->release(pending[i].first);
      give_event(pending[i].second);
    } else {
      pending[kept++] = pending[i];
    }
  }
  pending.resize(kept);
  cudaGetLastError();  // cudaErrorNotReady is not an error here
}

std::pair<std::size_t, std::size_t> Context::memory_info() const {
  std::size_t free = 0, total = 0;
  if (cudaMemGetInfo(&free, &total) != cudaSuccess) {
    cudaGetLastError();
    return {0, 0};
  }
  return {free, total};
}

namespace {

void* device_alloc(std::size_t bytes, void*) {
  void* p = nullptr;
  if (cudaMalloc(&p, bytes) != cudaSuccess) {
    cudaGetLastError();  // an allocation failure is not sticky: clear it
    return nullptr;
  }
  return p;
}
void device_free(void* p, void*) { cudaFree(p); }
/** Exact mode's free: after the stream's earlier work (which may still use the block). */
void device_free_after_stream(void* p, void* stream) {
  cudaStreamSynchronize(*static_cast<cudaStream_t*>(stream));
  cudaFree(p);
}
void* pinned_alloc(std::size_t bytes, void*) {
  void* p = nullptr;
  if (cudaMallocHost(&p, bytes) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  return p;
}
void pinned_free(void* p, void*) { cudaFreeHost(p); }

const char* const DRIVER_STEPS =
    " Install the NVIDIA driver 580 or newer (it provides libcuda.so.1 and supports CUDA 13), e.g. from your distribution's nvidia-driver package or "
    "https://www.nvidia.com/drivers, then check with `nvidia-smi`.";

InitFailure fail(const std::string& code, const std::string& message) { return InitFailure{code, message}; }

}  // namespace

InitFailure classify_driver(int driver) {
  if (driver == 0) {
    return fail("no-driver", "no NVIDIA driver was found: libcuda.so.1 could not be loaded (cudaDriverGetVersion reports 0)." + std::string(DRIVER_STEPS));
  }
  if (driver < REQUIRED_DRIVER_CUDA) {
    const std::string module = kernel_driver_text();
    return fail("driver-too-old", "the NVIDIA driver supports CUDA " + cuda_version_text(driver) + " (cudaDriverGetVersion = " + std::to_string(driver) +
                                      (module.empty() ? "" : "; " + module) + "), but this addon is built with CUDA " + cuda_version_text(REQUIRED_DRIVER_CUDA) +
                                      " and needs a driver for CUDA " + cuda_version_text(REQUIRED_DRIVER_CUDA) + " or newer." + DRIVER_STEPS);
  }
  return InitFailure{"", ""};
}

Context* open_context(int device, const std::vector<std::string>& blas_candidates, bool builtin_gemm, InitFailure* failure) {
  const int driver = driver_version();
  InitFailure driver_failure = classify_driver(driver);
  if (!driver_failure.code.empty()) {
    *failure = driver_failure;
    return nullptr;
  }
  int count = 0;
  const cudaError_t counted = cudaGetDeviceCount(&count);
  if (counted == cudaErrorNoDevice || (counted == cudaSuccess && count == 0)) {
    cudaGetLastError();
    *failure = fail("no-device", "the NVIDIA driver (CUDA " + cuda_version_text(driver) + ") found no CUDA GPU (check `nvidia-smi` and CUDA_VISIBLE_DEVICES)");
    return nullptr;
  }
  if (counted == cudaErrorInsufficientDriver) {
    cudaGetLastError();
    *failure = fail("driver-too-old", "cudaGetDeviceCount reports " + cuda_error_text(counted) + " (the driver supports CUDA " + cuda_version_text(driver) + ", this addon needs " +
                                          cuda_version_text(REQUIRED_DRIVER_CUDA) + ")." + DRIVER_STEPS);
    return nullptr;
  }
  if (counted != cudaSuccess) {
    cudaGetLastError();
    *failure = fail("cuda-error", "cudaGetDeviceCount failed: " + cuda_error_text(counted));
    return nullptr;
  }
  if (device < 0 || device >= count) {
    *failure = fail("no-device", "GPU index " + std::to_string(device) + " was asked for, but " + std::to_string(count) + " GPU" + (count == 1 ? " is" : "s are") +
                                     " visible (indices 0.." + std::to_string(count - 1) + "; see CUDA_VISIBLE_DEVICES)");
    return nullptr;
  }
  cudaDeviceProp prop;
  cudaError_t e = cudaGetDeviceProperties(&prop, device);
  if (e == cudaSuccess) e = cudaSetDevice(device);
  if (e != cudaSuccess) {
    cudaGetLastError();
    *failure = fail("cuda-error", "GPU " + std::to_string(device) + " could not be opened: " + cuda_error_text(e));
    return nullptr;
  }
  if (prop.major < 8) {
    *failure = fail("unsupported-gpu", "GPU " + std::to_string(device) + " (" + prop.name + ") has compute capability " + std::to_string(prop.major) + "." +
                                           std::to_string(prop.minor) + "; the addon's kernels are built for 8.0 (Ampere) and newer");
    return nullptr;
  }
  Context* c = new Context();
  c->device = device;
  c->name = prop.name;
  c->cc_major = prop.major;
  c->cc_minor = prop.minor;
  c->total_memory = prop.totalGlobalMem;
  e = cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking);
  if (e == cudaSuccess) e = cudaMalloc(reinterpret_cast<void**>(&c->flag), 256);
  if (e == cudaSuccess) e = cudaMemsetAsync(c->flag, 0, sizeof(int), c->stream);
  if (e == cudaSuccess) {
    // A first kernel: fails here (not at the first op) when no kernel image fits this GPU.
    launch_fill(c->stream, reinterpret_cast<char*>(c->flag) + 64, 4, 0, 1);
    e = cudaGetLastError();
    if (e == cudaSuccess) e = cudaStreamSynchronize(c->stream);
  }
  if (e != cudaSuccess) {
    cudaGetLastError();
    const bool oom = e == cudaErrorMemoryAllocation;
    *failure = fail(oom ? "out-of-memory" : "cuda-error", "GPU " + std::to_string(device) + " (" + prop.name + ") could not run the addon's first kernel: " + cuda_error_text(e));
    if (c->stream != nullptr) cudaStreamDestroy(c->stream);
    if (c->flag != nullptr) cudaFree(c->flag);
    delete c;
    return nullptr;
  }
  const char* no_caching = std::getenv("MYELIN_CUDA_NO_CACHING");
  if (no_caching != nullptr && std::string(no_caching) == "1") {
    c->memory = new Allocator(device_alloc, device_free_after_stream, &c->stream);
    c->memory->exact = true;
  } else {
    c->memory = new Allocator(device_alloc, device_free, nullptr);
  }
  c->pinned = new Allocator(pinned_alloc, pinned_free, nullptr);
  if (builtin_gemm) {
    c->blas_error = "the built-in GEMM was asked for";
  } else if (!load_cublas(blas_candidates)) {
    c->blas_error = "cuBLAS was not found: " + cublas().error;
  } else {
    cublasHandle h = nullptr;
    const cublasStatus st = cublas().create(&h);
    if (st != CUBLAS_OK) {
      c->blas_error = "cuBLAS (" + cublas().path + ") loaded, but cublasCreate failed: " + cublas_status_name(st);
    } else if (cublas().set_stream(h, c->stream) != CUBLAS_OK) {
      cublas().destroy(h);
      c->blas_error = "cublasSetStream failed";
    } else {
      c->blas = h;
    }
  }
  return c;
}

}  // namespace mc
