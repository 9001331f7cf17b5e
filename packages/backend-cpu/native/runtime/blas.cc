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
  for (const char* name : candidates) {
    if (name == nullptr || *name == '\0') continue;
    void* h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
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
