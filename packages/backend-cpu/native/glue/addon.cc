// Module entry: per-environment state, instruction-set choice, configuration (threads, GEMM),
// probe and pool statistics, and the table of entry points.
#include <cstdlib>
#include <string>

#include "../runtime/blas.h"
#include "../runtime/threads.h"
#include "ops.h"

namespace myelin {

namespace {

bool cpu_has_avx512() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool cpu_has_avx2() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

/** Picks the kernel tables: the best the CPU runs, or $MYELIN_CPU_SIMD (avx512, avx2, generic) if it can. */
void choose_isa(State* st) {
  const char* env = std::getenv("MYELIN_CPU_SIMD");
  std::string want = env != nullptr ? env : "";
  const bool avx512 = cpu_has_avx512() && (want.empty() || want == "avx512");
  const bool avx2 = cpu_has_avx2() && (want.empty() || want == "avx512" || want == "avx2");
  if (avx512) {
    st->k = &kernels_avx512();
    st->sk = &sgemm_kernel_avx512();
    st->sk_narrow = &sgemm_kernel_narrow_avx512();
    st->dk = &dgemm_kernel_avx512();
    st->ck = &conv_kernels_avx512();
    st->simd = "avx512";
  } else if (avx2) {
    st->k = &kernels_avx2();
    st->sk = &sgemm_kernel_avx2();
    st->sk_narrow = &sgemm_kernel_narrow_avx2();
    st->dk = &dgemm_kernel_avx2();
    st->ck = &conv_kernels_avx2();
    st->simd = "avx2";
  } else {
    st->k = &kernels_generic();
    st->sk = &sgemm_kernel_generic();
    st->sk_narrow = &sgemm_kernel_narrow_generic();
    st->dk = &dgemm_kernel_generic();
    st->ck = &conv_kernels_generic();
    st->simd = "generic";
  }
}

void apply_threads(State* st, int threads) {
  if (threads < 1) threads = 1;
  st->threads = threads;
  thread_pool().resize(threads);
  // OpenBLAS runs single-threaded on the pool's threads (gemm_blas): one pool for every kernel.
  if (blas().loaded && blas().set_threads != nullptr) blas().set_threads(1);
}

void finalize(napi_env env, void* data, void*) {
  State* st = static_cast<State*>(data);
  st->errors.release(env);
  for (Tensor& t : st->tensors) {
    if (t.live) st->pool.release(t.block);
  }
  delete st;
}

using glue::set_number;
using glue::set_string;

std::string gemm_name(const State* st) {
  if (st->gemm_mode != GemmMode::Builtin && blas().loaded) return "openblas (" + blas().path + ")";
  return "built-in " + st->simd;
}

/** configure(threads, gemmMode: 0 auto, 1 built-in, 2 blas, flushDenormals = true) */
napi_value Configure(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const int threads = a.i32(0);
    const int mode = a.i32(1);
    a.st->flush_denormals = a.argc < 3 || a.boolean(2);
    if (mode == 2 && !blas().loaded) throw backend_error("backend 'cpu': gemm 'openblas' was asked for, but OpenBLAS did not load (" + blas().error + "); install libopenblas0");
    a.st->gemm_mode = mode == 1 ? GemmMode::Builtin : mode == 2 ? GemmMode::Blas : GemmMode::Auto;
    if (threads != a.st->threads || thread_pool().size() != threads) apply_threads(a.st, threads);
    return static_cast<napi_value>(nullptr);
  });
}

napi_value Probe(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    napi_value obj;
    napi_create_object(env, &obj);
    set_string(env, obj, "gemm", gemm_name(a.st));
    set_string(env, obj, "simd", a.st->simd);
    set_string(env, obj, "memory", a.st->pool.exact ? "exact" : "pooled");
    set_number(env, obj, "threads", a.st->threads);
    set_string(env, obj, "blas", blas().loaded ? blas().path : "");
    set_string(env, obj, "blasError", blas().loaded ? "" : blas().error);
    return obj;
  });
}

napi_value Stats(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const PoolStats& s = a.st->pool.stats();
    napi_value obj;
    napi_create_object(env, &obj);
    set_number(env, obj, "systemAllocations", double(s.system_allocations));
    set_number(env, obj, "reuses", double(s.reuses));
    set_number(env, obj, "systemFrees", double(s.system_frees));
    set_number(env, obj, "liveBuffers", double(s.live_blocks));
    set_number(env, obj, "liveBytes", double(s.live_bytes));
    set_number(env, obj, "pooledBuffers", double(s.pooled_blocks));
    set_number(env, obj, "pooledBytes", double(s.pooled_bytes));
    set_number(env, obj, "liveTensors", double(a.st->live_tensors));
    return obj;
  });
}

napi_value TrimPool(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    a.st->pool.trim();
    return static_cast<napi_value>(nullptr);
  });
}

/** setErrorClasses(BackendError, ShapeError, UnsupportedOpError, DisposedTensorError, ArgumentError) */
napi_value SetErrorClasses(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    a.st->errors.set(a, ERROR_CLASSES);
    return static_cast<napi_value>(nullptr);
  });
}

}  // namespace

}  // namespace myelin

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  using namespace myelin;
  State* st = new State();
  choose_isa(st);
  napi_set_instance_data(env, st, finalize, nullptr);
  const char* gemm = std::getenv("MYELIN_CPU_GEMM");
  if (gemm != nullptr && std::string(gemm) == "builtin") st->gemm_mode = GemmMode::Builtin;
  const char* no_caching = std::getenv("MYELIN_CPU_NO_CACHING");
  st->pool.exact = no_caching != nullptr && std::string(no_caching) == "1";
  st->threads = 0;  // not configured yet: the first configure() sets the pool and BLAS threads
  return glue::define_entries(env, exports, {
      {"configure", Configure},
      {"probe", Probe},
      {"stats", Stats},
      {"trimPool", TrimPool},
      {"setErrorClasses", SetErrorClasses},
      {"readInto", ReadInto},
      {"matmulBiasActivationWithPreactivation", MatmulBiasActivationPreactivation},
      {"softmax", Softmax},
      {"softmaxBackward", SoftmaxBackward},
      {"layerNorm", LayerNorm},
      {"layerNormBackward", LayerNormBackward},
      {"lstmCell", LstmCell},
      {"lstmCellBackward", LstmCellBackward},
      {"gruCell", GruCell},
      {"gruCellBackward", GruCellBackward},
      MYELIN_SHARED_ENTRY_POINTS(MYELIN_REGISTER_ENTRY)
  });
}
