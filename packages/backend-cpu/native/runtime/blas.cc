#include "blas.h"

#include <dlfcn.h>

#include <cstdlib>

namespace myelin {

namespace {
Blas load() {
  Blas b;
  std::string tried;
  const char* env = std::getenv("MYELIN_CPU_BLAS");
  if (env != nullptr && std::string(env) == "none") {
    b.error = "disabled by MYELIN_CPU_BLAS=none";
    return b;
  }
  const char* candidates[] = {env, "libopenblas.so.0", "libopenblas.so", "libopenblasp-r0.so", nullptr};
  // OpenBLAS reads OPENBLAS_THREAD_TIMEOUT once, when it loads: ours is set for the dlopen only,
  // so that processes this one starts (a PyTorch baseline, say) inherit the user's environment.
  const char* user_timeout = std::getenv("OPENBLAS_THREAD_TIMEOUT");
  b.thread_timeout = user_timeout != nullptr ? std::string(user_timeout) + " (from the environment)"
                                             : std::string(BLAS_THREAD_TIMEOUT) + " (set by Myelin)";
  for (const char* name : candidates) {
    if (name == nullptr || *name == '\0') continue;
    if (user_timeout == nullptr) setenv("OPENBLAS_THREAD_TIMEOUT", BLAS_THREAD_TIMEOUT, 1);
    void* h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (user_timeout == nullptr) unsetenv("OPENBLAS_THREAD_TIMEOUT");
    if (h == nullptr) {
      tried += (tried.empty() ? "" : "; ") + std::string(dlerror());
      continue;
    }
    auto s = reinterpret_cast<SgemmFn>(dlsym(h, "cblas_sgemm"));
    auto d = reinterpret_cast<DgemmFn>(dlsym(h, "cblas_dgemm"));
    if (s == nullptr || d == nullptr) {
      tried += (tried.empty() ? "" : "; ") + std::string(name) + " has no cblas_sgemm/cblas_dgemm";
      dlclose(h);
      continue;
    }
    b.loaded = true;
    b.sgemm = s;
    b.dgemm = d;
    b.set_threads = reinterpret_cast<SetThreadsFn>(dlsym(h, "openblas_set_num_threads"));
    Dl_info info;
    b.path = dladdr(reinterpret_cast<void*>(s), &info) != 0 && info.dli_fname != nullptr ? info.dli_fname : name;
    return b;
  }
  b.error = tried.empty() ? "no candidate library" : tried;
  return b;
}
}  // namespace

const Blas& blas() {
  static const Blas instance = load();
  return instance;
}

}  // namespace myelin
