#include "cublas.h"

#include <dlfcn.h>
#include <sys/stat.h>

namespace mc {

CublasApi& cublas() {
  static CublasApi api;
  return api;
}

namespace {

bool is_file(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/** libcublasLt.so.N beside a libcublas.so.N given by path: loaded first, so the dependency resolves. */
void preload_lt(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return;
  const std::string dir = path.substr(0, slash + 1);
  const std::string file = path.substr(slash + 1);
  const std::size_t so = file.find(".so");
  if (file.rfind("libcublas", 0) != 0 || so == std::string::npos) return;
  const std::string lt = dir + "libcublasLt" + file.substr(so);
  if (is_file(lt)) dlopen(lt.c_str(), RTLD_NOW | RTLD_GLOBAL);
}

template <typename F>
bool bind(void* lib, F& slot, const char* name, const char* fallback, std::string& missing) {
  void* sym = dlsym(lib, name);
  if (sym == nullptr && fallback != nullptr) sym = dlsym(lib, fallback);
  if (sym == nullptr) {
    missing += missing.empty() ? name : std::string(", ") + name;
    return false;
  }
  slot = reinterpret_cast<F>(sym);
  return true;
}

}  // namespace

bool load_cublas(const std::vector<std::string>& candidates) {
  CublasApi& api = cublas();
  if (api.loaded) return true;
  std::string report;
  for (const std::string& candidate : candidates) {
    const bool by_path = candidate.find('/') != std::string::npos;
    if (by_path && !is_file(candidate)) {
      report += "\n  " + candidate + ": not found";
      continue;
    }
    if (by_path) preload_lt(candidate);
    dlerror();
    void* lib = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* why = dlerror();
      report += "\n  " + candidate + ": " + (why != nullptr ? why : "dlopen failed");
      continue;
    }
    CublasApi next;
    std::string missing;
    bind(lib, next.create, "cublasCreate_v2", "cublasCreate", missing);
    bind(lib, next.destroy, "cublasDestroy_v2", "cublasDestroy", missing);
    bind(lib, next.set_stream, "cublasSetStream_v2", "cublasSetStream", missing);
    bind(lib, next.set_math_mode, "cublasSetMathMode", nullptr, missing);
    // Optional: only for messages.
    std::string optional;
    bind(lib, next.get_version, "cublasGetVersion_v2", "cublasGetVersion", optional);
    bind(lib, next.status_string, "cublasGetStatusString", nullptr, optional);
    bind(lib, next.sgemm_strided_batched, "cublasSgemmStridedBatched", nullptr, missing);
    bind(lib, next.dgemm_strided_batched, "cublasDgemmStridedBatched", nullptr, missing);
    if (!missing.empty()) {
      report += "\n  " + candidate + ": loaded, but lacks " + missing;
      dlclose(lib);
      continue;
    }
#ifdef MYELIN_CUDA_EMULATOR
    // The emulator's cuBLAS stand-in (native/emulator/cublas) runs its GEMMs as host functions
    // on the handle's stream: it cannot link against this addon (loaded RTLD_LOCAL), so it is
    // handed the emulator's cudaLaunchHostFunc. Any other library lacks the symbol.
    if (void* bind_stream = dlsym(lib, "myelinEmulatorCublasBind"))
      reinterpret_cast<void (*)(void*)>(bind_stream)(reinterpret_cast<void*>(&cudaLaunchHostFunc));
#endif
    next.loaded = true;
    next.path = candidate;
    api = next;
    return true;
  }
  api.error = candidates.empty() ? "no candidates to try" : "tried, in order:" + report;
  return false;
}

std::string cublas_status_name(cublasStatus status) {
  const CublasApi& api = cublas();
  if (api.status_string != nullptr) {
    const char* s = api.status_string(status);
    if (s != nullptr) return s;
  }
  return "cuBLAS status " + std::to_string(status);
}

}  // namespace mc
