// Module entry: per-environment state, opening a GPU (init), choosing the backend in use
// (configure), statistics, the host-only entries the tests use without a GPU (driverInfo,
// loadCublas, sizeClass, allocatorTest), and the table of entry points.
#include <cstdlib>
#include <string>

#include "ops.h"

namespace mc {

namespace {

void finalize(napi_env env, void* data, void*) {
  State* st = static_cast<State*>(data);
  st->errors.release(env);
  for (auto& t : st->tensors)
    if (t.live) t.block->owner->release(t.block);
  // The contexts (streams, cached memory) live until the process exits: the driver frees them.
  delete st;
}

using glue::set_bool;
using glue::set_number;
using glue::set_string;

void describe_versions(napi_env env, napi_value obj) {
  const int driver = driver_version();
  set_number(env, obj, "driverVersion", driver);
  set_string(env, obj, "driverCuda", driver == 0 ? "none" : cuda_version_text(driver));
  set_number(env, obj, "runtimeVersion", runtime_version());
  set_number(env, obj, "requiredDriverVersion", REQUIRED_DRIVER_CUDA);
  set_string(env, obj, "kernelDriver", kernel_driver_text());
}

/**
 * init(device, cublasCandidates, builtinGemm) -> { ok, code?, message?, ...details }: opens GPU
 * `device` (once per process; later calls return the same details). Never throws for a machine
 * that cannot run CUDA: `code` says why (see runtime/device.h).
 */
napi_value Init(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const int device = a.i32(0);
    const std::vector<std::string> candidates = a.strings(1);
    const bool builtin = a.boolean(2);
    napi_value obj;
    napi_create_object(env, &obj);
    describe_versions(env, obj);
    set_number(env, obj, "device", device);
    auto found = a.st->contexts.find(device);
    Context* c = found == a.st->contexts.end() ? nullptr : found->second;
    if (c == nullptr) {
      InitFailure failure;
      c = open_context(device, candidates, builtin, &failure);
      if (c == nullptr) {
        set_bool(env, obj, "ok", false);
        set_string(env, obj, "code", failure.code);
        set_string(env, obj, "message", failure.message);
        return obj;
      }
      a.st->contexts[device] = c;
    }
    set_bool(env, obj, "ok", true);
    set_string(env, obj, "name", c->name);
    set_string(env, obj, "computeCapability", std::to_string(c->cc_major) + "." + std::to_string(c->cc_minor));
    set_number(env, obj, "totalMemory", double(c->total_memory));
    cudaSetDevice(c->device);
    set_number(env, obj, "freeMemory", double(c->memory_info().first));
    if (a.st->ctx != nullptr) cudaSetDevice(a.st->ctx->device);
    set_string(env, obj, "gemm", c->blas != nullptr ? "cublas" : "builtin");
    set_string(env, obj, "allocator", c->memory->exact ? "exact" : "caching");
    set_string(env, obj, "cublasPath", c->blas != nullptr ? cublas().path : "");
    set_string(env, obj, "cublasError", c->blas_error);
    return obj;
  });
}

/** configure(device, tf32, builtinGemm): makes the context of `device` (opened by init) the one in use. */
napi_value Configure(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const int device = a.i32(0);
    auto found = a.st->contexts.find(device);
    if (found == a.st->contexts.end()) throw backend_error("backend 'cuda': GPU " + std::to_string(device) + " was not opened (init first)");
    if (a.st->ctx != found->second) {
      const cudaError_t e = cudaSetDevice(device);
      if (e != cudaSuccess) throw backend_error("backend 'cuda': cudaSetDevice(" + std::to_string(device) + ") failed: " + cuda_error_text(e));
      a.st->ctx = found->second;
    }
    a.st->tf32 = a.boolean(1);
    a.st->gemm_mode = a.boolean(2) ? GemmMode::Builtin : GemmMode::Auto;
    return static_cast<napi_value>(nullptr);
  });
}

napi_value Stats(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Context& c = a.ctx();
    const AllocatorStats& s = c.memory->stats();
    napi_value obj;
    napi_create_object(env, &obj);
    set_number(env, obj, "cudaMallocs", double(s.system_allocations));
    set_number(env, obj, "reuses", double(s.reuses));
    set_number(env, obj, "cudaFrees", double(s.system_frees));
    set_number(env, obj, "liveBlocks", double(s.live_blocks));
    set_number(env, obj, "liveBytes", double(s.live_bytes));
    set_number(env, obj, "cachedBlocks", double(s.cached_blocks));
    set_number(env, obj, "cachedBytes", double(s.cached_bytes));
    set_number(env, obj, "pinnedBytes", double(c.pinned->stats().live_bytes + c.pinned->stats().cached_bytes));
    set_number(env, obj, "liveTensors", double(a.st->live_tensors));
    return obj;
  });
}

/** emptyCache(): waits for the stream, then returns every cached block (device and pinned) to CUDA. */
napi_value EmptyCache(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    Context& c = a.ctx();
    cudaStreamSynchronize(c.stream);
    c.reap();
    c.memory->empty_cache();
    c.pinned->empty_cache();
    return static_cast<napi_value>(nullptr);
  });
}

/** synchronize(): waits until the stream has run everything enqueued; throws the first error met. */
napi_value Synchronize(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const cudaError_t e = cudaStreamSynchronize(a.ctx().stream);
    if (e != cudaSuccess) throw backend_error("backend 'cuda': the GPU reported " + cuda_error_text(e));
    return static_cast<napi_value>(nullptr);
  });
}

/** setErrorClasses(BackendError, ShapeError, UnsupportedOpError, DisposedTensorError, ArgumentError, CudaOutOfMemoryError) */
napi_value SetErrorClasses(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    a.st->errors.set(a, ERROR_CLASSES);
    return static_cast<napi_value>(nullptr);
  });
}

/** driverInfo() -> the driver's and the runtime's CUDA versions (no GPU needed). */
napi_value DriverInfo(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args&) {
    napi_value obj;
    napi_create_object(env, &obj);
    describe_versions(env, obj);
    return obj;
  });
}

/** classifyDriver(version) -> { code, message }: what init says for a driver of that CUDA version (code '' when it can run). */
napi_value ClassifyDriver(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const InitFailure f = classify_driver(a.i32(0));
    napi_value obj;
    napi_create_object(env, &obj);
    set_string(env, obj, "code", f.code);
    set_string(env, obj, "message", f.message);
    return obj;
  });
}

/** loadCublas(candidates) -> { loaded, path, error }: the loader alone (dlopen + symbols, no GPU needed). */
napi_value LoadCublas(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const bool loaded = load_cublas(a.strings(0));
    napi_value obj;
    napi_create_object(env, &obj);
    set_bool(env, obj, "loaded", loaded);
    set_string(env, obj, "path", loaded ? cublas().path : "");
    set_string(env, obj, "error", loaded ? "" : cublas().error);
    return obj;
  });
}

/** sizeClass(bytes) -> [class, capacity] of the caching allocator. */
napi_value SizeClass(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const double bytes = a.f64(0);
    if (!(bytes >= 0) || bytes > 9.0e15) throw argument_error("sizeClass: bytes must be a non-negative integer");
    const int cls = size_class_of(std::size_t(bytes));
    napi_value arr, v;
    napi_create_array_with_length(env, 2, &arr);
    napi_create_int32(env, cls, &v);
    napi_set_element(env, arr, 0, v);
    napi_create_double(env, double(class_capacity(cls)), &v);
    napi_set_element(env, arr, 1, v);
    return arr;
  });
}

/** Host memory within a budget; each block remembers its size, and freeing returns it to the budget. */
void* host_alloc(std::size_t bytes, void* user) {
  std::size_t* budget = static_cast<std::size_t*>(user);
  if (bytes > *budget) return nullptr;
  void* p = std::malloc(bytes + 16);
  if (p == nullptr) return nullptr;
  *budget -= bytes;
  *static_cast<std::size_t*>(p) = bytes;
  return static_cast<char*>(p) + 16;
}
void host_free(void* p, void* user) {
  char* base = static_cast<char*>(p) - 16;
  *static_cast<std::size_t*>(user) += *reinterpret_cast<std::size_t*>(base);
  std::free(base);
}

/**
 * allocatorTest(steps: number[][], budget, exact) -> stats: the allocator (in exact mode if
 * `exact`) over host memory (refusing beyond `budget` bytes in all), as a training loop uses it:
 * each step acquires a block of each of its sizes, then releases them all. `firstStepBytes` is
 * the capacity the first step's blocks had. Host-only, for the tests.
 */
napi_value AllocatorTest(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    napi_value steps = a.at(0);
    uint32_t count = 0;
    if (napi_get_array_length(env, steps, &count) != napi_ok) throw argument_error("allocatorTest: steps must be an array of arrays of sizes");
    std::size_t budget = std::size_t(a.f64(1));
    std::vector<std::vector<std::size_t>> plan(count);
    for (uint32_t s = 0; s < count; s++) {
      napi_value step;
      uint32_t n = 0;
      napi_get_element(env, steps, s, &step);
      if (napi_get_array_length(env, step, &n) != napi_ok) throw argument_error("allocatorTest: steps must be an array of arrays of sizes");
      for (uint32_t i = 0; i < n; i++) {
        napi_value el;
        double v = -1;
        napi_get_element(env, step, i, &el);
        if (napi_get_value_double(env, el, &v) != napi_ok || !(v >= 0) || v > 1e12) throw argument_error("allocatorTest: a size must be a number of bytes");
        plan[s].push_back(std::size_t(v));
      }
    }
    const bool exact = a.boolean(2);
    double failures = 0, first_step_bytes = 0;
    AllocatorStats stats;
    {
      Allocator pool(host_alloc, host_free, &budget);
      pool.exact = exact;
      std::vector<Block*> held;
      for (std::size_t s = 0; s < plan.size(); s++) {
        for (std::size_t bytes : plan[s]) {
          Block* b = pool.acquire(bytes);
          if (b == nullptr) failures++;
          else held.push_back(b);
          if (b != nullptr && s == 0) first_step_bytes += double(b->capacity);
        }
        for (Block* b : held) pool.release(b);
        held.clear();
      }
      stats = pool.stats();
    }
    napi_value obj;
    napi_create_object(env, &obj);
    set_number(env, obj, "systemAllocations", double(stats.system_allocations));
    set_number(env, obj, "reuses", double(stats.reuses));
    set_number(env, obj, "systemFrees", double(stats.system_frees));
    set_number(env, obj, "cachedBytes", double(stats.cached_bytes));
    set_number(env, obj, "failures", failures);
    set_number(env, obj, "firstStepBytes", first_step_bytes);
    return obj;
  });
}

}  // namespace

}  // namespace mc

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  using namespace mc;
  State* st = new State();
  napi_set_instance_data(env, st, finalize, nullptr);
  return glue::define_entries(env, exports, {
      {"init", Init},
      {"configure", Configure},
      {"stats", Stats},
      {"emptyCache", EmptyCache},
      {"synchronize", Synchronize},
      {"setErrorClasses", SetErrorClasses},
      {"driverInfo", DriverInfo},
      {"classifyDriver", ClassifyDriver},
      {"loadCublas", LoadCublas},
      {"sizeClass", SizeClass},
      {"allocatorTest", AllocatorTest},
      {"readSync", ReadSync},
      {"softmax", Softmax},
      {"softmaxBackward", SoftmaxBackward},
      {"layerNorm", LayerNorm},
      {"layerNormBackward", LayerNormBackward},
      MYELIN_SHARED_ENTRY_POINTS(MYELIN_REGISTER_ENTRY)
  });
}
