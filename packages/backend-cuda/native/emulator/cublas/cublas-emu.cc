// A cuBLAS stand-in for the CPU emulator: a shared library (built by scripts/build-emulator.mjs
// as dist/native-emu*/cublas/libcublas.so.13) that exports the functions native/runtime/cublas.cc
// binds, with cuBLAS's documented contract, so that the addon's cuBLAS call path (transposes,
// leading dimensions, batch strides, math modes, the fallback on a refused call) runs without a
// GPU. It is written from the cuBLAS documentation, not from what the glue passes:
// - column-major storage; C[i] = alpha op(A[i]) op(B[i]) + beta C[i] for i < batchCount, with
//   A[i] = A + i strideA (likewise B, C); op N (0), T (1) or C (2, the same as T for real types);
// - alpha and beta by host pointer (CUBLAS_POINTER_MODE_HOST, the default): read at the call;
// - CUBLAS_STATUS_NOT_INITIALIZED for a null or destroyed handle;
// - CUBLAS_STATUS_INVALID_VALUE when m, n, k or batchCount < 0, an op is not N, T or C,
//   lda < max(1, m) for transa N (max(1, k) otherwise), ldb < max(1, k) for transb N (max(1, n)
//   otherwise), ldc < max(1, m), or alpha or beta is null;
// - quick return (nothing read or written) when m, n or batchCount is 0; when k is 0 (or alpha
//   is 0, as the reference BLAS) C = beta C without reading A or B; when beta is 0, C is not read
//   (NaN there does not propagate).
// Each dot product is accumulated in the order of a plain loop over k, in float for S and
// double for D. The math mode is recorded with each call: CUBLAS_TF32_TENSOR_OP_MATH makes an S
// GEMM round its inputs to TF32 (10 explicit mantissa bits, to nearest, ties away, as a GPU's
// tensor cores take them; products and sums stay float32), so that a test sees which mode the
// glue left set; every other mode (and every D GEMM) computes the exact float32 / float64
// products, which cuBLAS's default and pedantic modes give (and which TF32 mode would also allow).
// Nothing else of cuBLAS is provided.
//
// Stream order: the GEMM runs as a host function enqueued on the handle's stream (the one
// cublasSetStream gave; none set: stream 0, which the emulator treats as the legacy default
// stream), so it runs after the kernels enqueued before it and before those after it, also when
// the emulator defers stream work until the host synchronizes. The stand-in cannot link against
// the addon (Node loads addons RTLD_LOCAL): the addon's loader (runtime/cublas.cc, emulator build
// only) calls myelinEmulatorCublasBind with its cudaLaunchHostFunc. Without that call (a stand-in
// loaded by something else) cublasCreate refuses with CUBLAS_STATUS_NOT_INITIALIZED.
//
// With MYELIN_CUDA_EMULATOR_TRACE naming a file (the emulator's trace, see emulator.cc), each
// GEMM call appends `cublas <S|D>gemmStridedBatched <opa><opb> m n k batch lda ldb ldc strideA
// strideB strideC mode <math mode> stream <stream> -> <status>`, and `cublas run
// <S|D>gemmStridedBatched m n k batch` when its stream runs it (later, in the emulator's deferred
// mode).
//
// A test hook: MYELIN_CUBLAS_EMU_STATUS=<status> makes each GEMM whose arguments pass the checks
// return that status (nothing run), so a test can drive the glue's fallback to its built-in GEMM
// (a refused call) and its error (CUBLAS_STATUS_EXECUTION_FAILED).
#include <atomic>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_set>

#include "../cuda_runtime_api.h"
#include "../trace.h"

#define MC_CUBLAS_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

// cublasStatus_t values (cublas_api.h).
constexpr int CUBLAS_STATUS_SUCCESS = 0;
constexpr int CUBLAS_STATUS_NOT_INITIALIZED = 1;
constexpr int CUBLAS_STATUS_ALLOC_FAILED = 3;
constexpr int CUBLAS_STATUS_INVALID_VALUE = 7;
constexpr int CUBLAS_STATUS_ARCH_MISMATCH = 8;
constexpr int CUBLAS_STATUS_MAPPING_ERROR = 11;
constexpr int CUBLAS_STATUS_EXECUTION_FAILED = 13;
constexpr int CUBLAS_STATUS_INTERNAL_ERROR = 14;
constexpr int CUBLAS_STATUS_NOT_SUPPORTED = 15;
constexpr int CUBLAS_STATUS_LICENSE_ERROR = 16;

// cublasOperation_t.
constexpr int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2;

// cublasMath_t: a mode, optionally ORed with CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION.
constexpr int CUBLAS_DEFAULT_MATH = 0, CUBLAS_TENSOR_OP_MATH = 1, CUBLAS_PEDANTIC_MATH = 2, CUBLAS_TF32_TENSOR_OP_MATH = 3,
              CUBLAS_FP32_EMULATED_BF16X9_MATH = 4, CUBLAS_FP64_EMULATED_FIXEDPOINT_MATH = 8, CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16;

// CUBLAS_VERSION of the cuBLAS this stands in for (major * 10000 + minor * 100 + patch).
constexpr int kVersion = 130000;

using LaunchHostFunc = cudaError_t (*)(cudaStream_t, cudaHostFn_t, void*);
std::atomic<LaunchHostFunc> g_launch{nullptr};

struct Handle {
  cudaStream_t stream = nullptr;
  int math_mode = CUBLAS_DEFAULT_MATH;  // taken by each GEMM at its call (see compute)
};

// The live handles: a destroyed (or never created) handle is not found, so it is refused with
// CUBLAS_STATUS_NOT_INITIALIZED instead of being read.
std::mutex g_mutex;
std::unordered_set<Handle*>& live_handles() {
  static auto* set = new std::unordered_set<Handle*>();  // never destroyed: a late call after exit stays safe
  return *set;
}

/** The live handle `handle` is, or null (g_mutex held). */
Handle* live_handle(void* handle) {
  auto found = live_handles().find(static_cast<Handle*>(handle));
  return found == live_handles().end() ? nullptr : *found;
}

/** The handle's state copied out under the lock; false when it is not a live handle. */
bool handle_state(void* handle, Handle* out) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const Handle* live = live_handle(handle);
  if (live == nullptr) return false;
  *out = *live;
  return true;
}

using mc_emu::trace;

bool valid_op(int op) { return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C; }
char op_letter(int op) { return op == CUBLAS_OP_N ? 'N' : op == CUBLAS_OP_T ? 'T' : op == CUBLAS_OP_C ? 'C' : '?'; }
int at_least_one(int v) { return v > 1 ? v : 1; }

/** One GEMM's arguments, by value: what the host function computes after the call returned. */
template <typename T>
struct Gemm {
  const char* name;  // a string literal, for the trace
  int math_mode;
  int transa, transb, m, n, k, batch;
  T alpha, beta;
  const T* a;
  int lda;
  long long stride_a;
  const T* b;
  int ldb;
  long long stride_b;
  T* c;
  int ldc;
  long long stride_c;
};

/**
 * Whether every element the GEMM touches lies within the address space (offsets in ptrdiff_t):
 * on a GPU an impossible address is an illegal-address fault; here it would be undefined
 * behaviour before any sanitizer saw it. Only reachable with absurd strides or leading dimensions.
 */
template <typename T>
bool offsets_fit(const Gemm<T>& g) {
  // The furthest element from the base, in elements, of a matrix of `rows` x `cols` with leading
  // dimension `ld` repeated `batch` times at `stride` (either sign).
  auto span = [&](long long rows, long long cols, long long ld, long long stride, bool read) {
    if (!read) return true;
    long long last_in_matrix = 0, last_batch = 0, total = 0;
    if (__builtin_mul_overflow(cols - 1, ld, &last_in_matrix)) return false;
    if (__builtin_add_overflow(last_in_matrix, rows - 1, &last_in_matrix)) return false;
    const long long magnitude = stride < 0 ? (stride == LLONG_MIN ? LLONG_MAX : -stride) : stride;
    if (__builtin_mul_overflow(static_cast<long long>(g.batch - 1), magnitude, &last_batch)) return false;
    if (__builtin_add_overflow(last_batch, last_in_matrix, &total)) return false;
    long long bytes = 0;
    return !__builtin_mul_overflow(total, static_cast<long long>(sizeof(T)), &bytes) && bytes < PTRDIFF_MAX / 2;
  };
  const bool reads_ab = g.k > 0 && g.alpha != T(0);
  const long long a_rows = g.transa == CUBLAS_OP_N ? g.m : g.k, a_cols = g.transa == CUBLAS_OP_N ? g.k : g.m;
  const long long b_rows = g.transb == CUBLAS_OP_N ? g.k : g.n, b_cols = g.transb == CUBLAS_OP_N ? g.n : g.k;
  return span(a_rows, a_cols, g.lda, g.stride_a, reads_ab) && span(b_rows, b_cols, g.ldb, g.stride_b, reads_ab) && span(g.m, g.n, g.ldc, g.stride_c, true);
}

/** A float32 rounded to TF32 (10 explicit mantissa bits; to nearest, ties away from zero). */
float to_tf32(float x) {
  std::uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  if ((bits & 0x7f800000u) == 0x7f800000u) return x;  // infinity, NaN
  bits = (bits + 0x1000u) & 0xffffe000u;
  std::memcpy(&x, &bits, sizeof bits);
  return x;
}

template <typename T>
T input(T v, bool) {
  return v;
}
template <>
float input<float>(float v, bool tf32) {
  return tf32 ? to_tf32(v) : v;
}

/** The computation itself (after the argument checks), on the host. */
template <typename T>
void compute(const Gemm<T>& g) {
  const bool reads_ab = g.k > 0 && g.alpha != T(0);
  const bool tf32 = (g.math_mode & ~CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION) == CUBLAS_TF32_TENSOR_OP_MATH;
  for (long long i = 0; i < g.batch; i++) {
    // A and B may be null when they are not read (k == 0): no offset is applied to them then.
    const T* a = reads_ab ? g.a + i * g.stride_a : nullptr;
    const T* b = reads_ab ? g.b + i * g.stride_b : nullptr;
    T* c = g.c + i * g.stride_c;
    for (long long col = 0; col < g.n; col++) {
      for (long long row = 0; row < g.m; row++) {
        T product = T(0);
        if (reads_ab) {
          T sum = T(0);
          for (long long p = 0; p < g.k; p++) {
            // op(A)[row, p] and op(B)[p, col], column-major.
            const T x = input(g.transa == CUBLAS_OP_N ? a[row + p * g.lda] : a[p + row * g.lda], tf32);
            const T y = input(g.transb == CUBLAS_OP_N ? b[p + col * g.ldb] : b[col + p * g.ldb], tf32);
            sum += x * y;
          }
          product = g.alpha * sum;
        }
        T& out = c[row + col * g.ldc];
        out = g.beta == T(0) ? product : product + g.beta * out;
      }
    }
  }
}

template <typename T>
void run_host(void* record) {
  Gemm<T>* g = static_cast<Gemm<T>*>(record);
  trace("cublas run %s %d %d %d %d", g->name, g->m, g->n, g->k, g->batch);
  compute(*g);
  delete g;
}

template <typename T>
int gemm_strided_batched(const char* name, void* handle, int transa, int transb, int m, int n, int k, const T* alpha, const T* a, int lda, long long stride_a, const T* b,
                         int ldb, long long stride_b, const T* beta, T* c, int ldc, long long stride_c, int batch) {
  Handle h;
  const bool live = handle_state(handle, &h);
  auto result = [&](int status) {
    trace("cublas %s %c%c %d %d %d %d %d %d %d %lld %lld %lld mode %d stream %p -> %d", name, op_letter(transa), op_letter(transb), m, n, k, batch, lda, ldb, ldc, stride_a,
          stride_b, stride_c, h.math_mode, static_cast<void*>(h.stream), status);
    return status;
  };
  if (!live) return result(CUBLAS_STATUS_NOT_INITIALIZED);
  if (m < 0 || n < 0 || k < 0 || batch < 0) return result(CUBLAS_STATUS_INVALID_VALUE);
  if (!valid_op(transa) || !valid_op(transb)) return result(CUBLAS_STATUS_INVALID_VALUE);
  if (lda < at_least_one(transa == CUBLAS_OP_N ? m : k)) return result(CUBLAS_STATUS_INVALID_VALUE);
  if (ldb < at_least_one(transb == CUBLAS_OP_N ? k : n)) return result(CUBLAS_STATUS_INVALID_VALUE);
  if (ldc < at_least_one(m)) return result(CUBLAS_STATUS_INVALID_VALUE);
  if (alpha == nullptr || beta == nullptr) return result(CUBLAS_STATUS_INVALID_VALUE);
  if (m == 0 || n == 0 || batch == 0) return result(CUBLAS_STATUS_SUCCESS);
  if (c == nullptr) return result(CUBLAS_STATUS_INVALID_VALUE);
  // The scalars are read now (host pointer mode): the caller's may be gone when the GEMM runs.
  const Gemm<T> g{name, h.math_mode, transa, transb, m, n, k, batch, *alpha, *beta, a, lda, stride_a, b, ldb, stride_b, c, ldc, stride_c};
  // A GPU would fault on these addresses (an execution failure); refuse them before the arithmetic overflows.
  if (!offsets_fit(g)) return result(CUBLAS_STATUS_EXECUTION_FAILED);
  if (const char* forced = std::getenv("MYELIN_CUBLAS_EMU_STATUS"); forced != nullptr && *forced != '\0') return result(std::atoi(forced));
  const LaunchHostFunc launch = g_launch.load();
  if (launch == nullptr) return result(CUBLAS_STATUS_NOT_INITIALIZED);
  Gemm<T>* record = new (std::nothrow) Gemm<T>(g);
  if (record == nullptr) return result(CUBLAS_STATUS_ALLOC_FAILED);
  if (launch(h.stream, &run_host<T>, record) != cudaSuccess) {
    delete record;
    return result(CUBLAS_STATUS_EXECUTION_FAILED);
  }
  return result(CUBLAS_STATUS_SUCCESS);
}

}  // namespace

/** Called by the emulator build's loader with its cudaLaunchHostFunc: the stream the GEMMs run in. */
MC_CUBLAS_EXPORT void myelinEmulatorCublasBind(void* launch_host_func) { g_launch.store(reinterpret_cast<LaunchHostFunc>(launch_host_func)); }

MC_CUBLAS_EXPORT int cublasCreate_v2(void** handle) {
  if (handle == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  *handle = nullptr;
  // Without the emulator's stream there is nowhere to run a GEMM in order.
  if (g_launch.load() == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  Handle* h = new (std::nothrow) Handle();
  if (h == nullptr) return CUBLAS_STATUS_ALLOC_FAILED;
  std::lock_guard<std::mutex> lock(g_mutex);
  live_handles().insert(h);
  *handle = h;
  return CUBLAS_STATUS_SUCCESS;
}

MC_CUBLAS_EXPORT int cublasDestroy_v2(void* handle) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  Handle* h = static_cast<Handle*>(handle);
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (live_handles().erase(h) == 0) return CUBLAS_STATUS_NOT_INITIALIZED;
  }
  // GEMMs still queued hold their arguments by value, never the handle.
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}

MC_CUBLAS_EXPORT int cublasSetStream_v2(void* handle, cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(g_mutex);
  Handle* h = live_handle(handle);
  if (h == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  h->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}

MC_CUBLAS_EXPORT int cublasSetMathMode(void* handle, int mode) {
  std::lock_guard<std::mutex> lock(g_mutex);
  Handle* h = live_handle(handle);
  if (h == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  const int base = mode & ~CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION;
  switch (base) {
    case CUBLAS_DEFAULT_MATH:
    case CUBLAS_TENSOR_OP_MATH:
    case CUBLAS_PEDANTIC_MATH:
    case CUBLAS_TF32_TENSOR_OP_MATH:
    case CUBLAS_FP32_EMULATED_BF16X9_MATH:
    case CUBLAS_FP64_EMULATED_FIXEDPOINT_MATH: break;
    default: return CUBLAS_STATUS_INVALID_VALUE;
  }
  h->math_mode = mode;
  return CUBLAS_STATUS_SUCCESS;
}

/** Not part of what the loader binds: lets the stand-in's self-test read the recorded mode back. */
MC_CUBLAS_EXPORT int cublasGetMathMode(void* handle, int* mode) {
  Handle h;
  if (!handle_state(handle, &h)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (mode == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  *mode = h.math_mode;
  return CUBLAS_STATUS_SUCCESS;
}

MC_CUBLAS_EXPORT int cublasGetVersion_v2(void* handle, int* version) {
  Handle h;
  if (!handle_state(handle, &h)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (version == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  *version = kVersion;
  return CUBLAS_STATUS_SUCCESS;
}

MC_CUBLAS_EXPORT const char* cublasGetStatusString(int status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS: the operation completed successfully";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED: the library was not initialized";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED: the resource allocation failed";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE: an invalid numeric value was used as an argument";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH: an absent device architectural feature is required";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR: an access to GPU memory space failed";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED: the GPU program failed to execute";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR: an internal operation failed";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED: the functionality requested is not supported";
    case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR: an error was detected when checking the current licensing";
  }
  return "unknown cuBLAS status";
}

MC_CUBLAS_EXPORT int cublasSgemmStridedBatched(void* handle, int transa, int transb, int m, int n, int k, const float* alpha, const float* a, int lda, long long stride_a,
                                               const float* b, int ldb, long long stride_b, const float* beta, float* c, int ldc, long long stride_c, int batch) {
  return gemm_strided_batched<float>("SgemmStridedBatched", handle, transa, transb, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c, batch);
}

MC_CUBLAS_EXPORT int cublasDgemmStridedBatched(void* handle, int transa, int transb, int m, int n, int k, const double* alpha, const double* a, int lda, long long stride_a,
                                               const double* b, int ldb, long long stride_b, const double* beta, double* c, int ldc, long long stride_c, int batch) {
  return gemm_strided_batched<double>("DgemmStridedBatched", handle, transa, transb, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c, batch);
}
