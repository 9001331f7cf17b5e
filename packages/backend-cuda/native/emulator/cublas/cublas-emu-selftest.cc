// The cuBLAS stand-in's own contract (cublas-emu.cc), checked straight on the library without
// the addon: every argument check and its status, the quick returns, beta == 0 not reading C,
// k == 0, N/T/C with padded leading dimensions and batch strides against a reference computed from
// the definition, and the stream: each GEMM enqueued as a host function on the handle's stream
// with its arguments by value. Built by scripts/build-emulator.mjs beside the stand-in and run
// by src/emulator-cublas.test.ts:
//   cublas-emu-selftest <path of libcublas.so.13>
// Prints one line per failed check and a total; exits 1 when any failed.
#include <dlfcn.h>

#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <string>
#include <vector>

#include "../cuda_runtime_api.h"

namespace {

constexpr int SUCCESS = 0, NOT_INITIALIZED = 1, INVALID_VALUE = 7, EXECUTION_FAILED = 13;
constexpr int OP_N = 0, OP_T = 1, OP_C = 2;

int g_checks = 0, g_failures = 0;

void check(bool ok, const std::string& what) {
  g_checks++;
  if (ok) return;
  g_failures++;
  std::printf("FAIL: %s\n", what.c_str());
}
void check_status(int got, int want, const std::string& what) {
  check(got == want, what + ": status " + std::to_string(got) + ", want " + std::to_string(want));
}

// A stream as the emulator's host functions see it: queued, run when the test "synchronizes".
struct Queued {
  cudaStream_t stream;
  cudaHostFn_t fn;
  void* data;
};
std::deque<Queued> g_queue;
bool g_launch_fails = false;

cudaError_t fake_launch_host_func(cudaStream_t stream, cudaHostFn_t fn, void* data) {
  if (g_launch_fails) return cudaErrorLaunchFailure;
  g_queue.push_back({stream, fn, data});
  return cudaSuccess;
}
void synchronize() {
  while (!g_queue.empty()) {
    const Queued q = g_queue.front();
    g_queue.pop_front();
    q.fn(q.data);
  }
}

using Handle = void*;
struct Api {
  void (*bind)(void*);
  int (*create)(Handle*);
  int (*destroy)(Handle);
  int (*set_stream)(Handle, cudaStream_t);
  int (*set_math_mode)(Handle, int);
  int (*get_math_mode)(Handle, int*);
  int (*get_version)(Handle, int*);
  const char* (*status_string)(int);
  int (*sgemm)(Handle, int, int, int, int, int, const float*, const float*, int, long long, const float*, int, long long, const float*, float*, int, long long, int);
  int (*dgemm)(Handle, int, int, int, int, int, const double*, const double*, int, long long, const double*, int, long long, const double*, double*, int, long long,
               int);
};
Api api;

template <typename T>
int gemm(Handle h, int ta, int tb, int m, int n, int k, const T* alpha, const T* a, int lda, long long sa, const T* b, int ldb, long long sb, const T* beta, T* c, int ldc,
         long long sc, int batch) {
  if constexpr (sizeof(T) == 4) return api.sgemm(h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
  else return api.dgemm(h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
}

double value(int seed, long long i) { return std::sin(0.37 * double(i) + seed) + 0.25 * std::cos(1.3 * double(i) * double(seed + 1)); }

/**
 * op(A) op(B) on padded, batched column-major operands: the padding between rows, columns and
 * batches is NaN (read it and the result is NaN), C's padding a sentinel that must stay.
 */
template <typename T>
void product_case(Handle h, int ta, int tb, int m, int n, int k, int batch, T alpha, T beta, bool nan_c, long long stride_a_zero) {
  const char* ops = "NTC";
  const std::string name = std::string(sizeof(T) == 4 ? "S" : "D") + "gemm " + ops[ta] + ops[tb] + " m " + std::to_string(m) + " n " + std::to_string(n) + " k " +
                           std::to_string(k) + " batch " + std::to_string(batch) + " alpha " + std::to_string(double(alpha)) + " beta " + std::to_string(double(beta)) +
                           (stride_a_zero ? " strideA 0" : "");
  const int a_rows = ta == OP_N ? m : k, a_cols = ta == OP_N ? k : m;
  const int b_rows = tb == OP_N ? k : n, b_cols = tb == OP_N ? n : k;
  const int lda = a_rows + 2, ldb = b_rows + 3, ldc = m + 1;
  const long long sa = stride_a_zero ? 0 : (long long)lda * a_cols + 5, sb = (long long)ldb * b_cols + 7, sc = (long long)ldc * n + 4;
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const T sentinel = T(12345);
  std::vector<T> a(std::size_t(stride_a_zero ? lda * a_cols : sa * batch), nan), b(std::size_t(sb * batch), nan), c(std::size_t(sc * batch), sentinel);
  auto A = [&](int bi, int r, int col) -> T& { return a[std::size_t((stride_a_zero ? 0 : bi * sa) + r + (long long)col * lda)]; };
  auto B = [&](int bi, int r, int col) -> T& { return b[std::size_t(bi * sb + r + (long long)col * ldb)]; };
  auto Cm = [&](int bi, int r, int col) -> T& { return c[std::size_t(bi * sc + r + (long long)col * ldc)]; };
  for (int bi = 0; bi < (stride_a_zero ? 1 : batch); bi++)
    for (int col = 0; col < a_cols; col++)
      for (int r = 0; r < a_rows; r++) A(bi, r, col) = T(value(1 + bi, r * 31 + col));
  for (int bi = 0; bi < batch; bi++) {
    for (int col = 0; col < b_cols; col++)
      for (int r = 0; r < b_rows; r++) B(bi, r, col) = T(value(2 + bi, r * 17 + col));
    for (int col = 0; col < n; col++)
      for (int r = 0; r < m; r++) Cm(bi, r, col) = nan_c ? nan : T(value(3 + bi, r + col * 7));
  }
  const std::vector<T> before = c;
  const std::size_t queued = g_queue.size();
  T alpha_arg = alpha, beta_arg = beta;
  const int status = gemm<T>(h, ta, tb, m, n, k, &alpha_arg, a.data(), lda, stride_a_zero ? 0 : sa, b.data(), ldb, sb, &beta_arg, c.data(), ldc, sc, batch);
  check_status(status, SUCCESS, name);
  check(g_queue.size() == queued + 1, name + ": one host function enqueued");
  check(std::memcmp(c.data(), before.data(), c.size() * sizeof(T)) == 0, name + ": nothing computed before the stream runs");
  // Host pointer mode: the values at the call count, not what the pointers hold later.
  alpha_arg = T(-99);
  beta_arg = T(-77);
  synchronize();
  const double tolerance = sizeof(T) == 4 ? 2e-5 : 1e-13;
  int wrong = 0;
  for (int bi = 0; bi < batch; bi++) {
    for (int col = 0; col < n; col++) {
      for (int r = 0; r < m; r++) {
        double sum = 0;
        for (int p = 0; p < k; p++) {
          // op(A)[r, p], op(B)[p, col] from the definition (op C = op T for real types).
          const double x = ta == OP_N ? double(A(bi, r, p)) : double(A(bi, p, r));
          const double y = tb == OP_N ? double(B(bi, p, col)) : double(B(bi, col, p));
          sum += x * y;
        }
        const double old = double(before[std::size_t(bi * sc + r + (long long)col * ldc)]);
        const double scaled = beta == T(0) ? 0.0 : double(beta) * old;  // beta 0: C is not read
        const double want = double(alpha) * sum + scaled;
        const double got = double(Cm(bi, r, col));
        if (!(std::fabs(got - want) <= tolerance * (1 + std::fabs(double(alpha) * sum) + std::fabs(scaled)))) wrong++;
      }
    }
  }
  check(wrong == 0, name + ": " + std::to_string(wrong) + " elements differ from the definition");
  // Nothing outside the m x n corner of each C[i] is written.
  int touched = 0;
  for (long long i = 0; i < (long long)c.size(); i++) {
    const long long bi = i / sc, rest = i % sc, col = rest / ldc, r = rest % ldc;
    if (bi < batch && r < m && col < n) continue;
    if (!(c[std::size_t(i)] == sentinel)) touched++;
  }
  check(touched == 0, name + ": " + std::to_string(touched) + " elements outside C written");
}

template <typename T>
void argument_checks(Handle h) {
  const char* type = sizeof(T) == 4 ? "S" : "D";
  std::vector<T> a(64, T(1)), b(64, T(1)), c(64, T(7));
  const T one = T(1), zero = T(0);
  struct Case {
    const char* what;
    int ta, tb, m, n, k, lda, ldb, ldc, batch;
    bool null_alpha, null_beta;
    int want;
  };
  const Case cases[] = {
      {"valid: lds exactly the rows (N, N)", OP_N, OP_N, 2, 3, 4, 2, 4, 2, 2, false, false, SUCCESS},
      {"valid: lds exactly the rows (T, T)", OP_T, OP_T, 2, 3, 4, 4, 3, 2, 2, false, false, SUCCESS},
      {"valid: lds exactly the rows (C, N)", OP_C, OP_N, 2, 3, 4, 4, 4, 2, 2, false, false, SUCCESS},
      {"m < 0", OP_N, OP_N, -1, 3, 4, 2, 4, 2, 1, false, false, INVALID_VALUE},
      {"n < 0", OP_N, OP_N, 2, -1, 4, 2, 4, 2, 1, false, false, INVALID_VALUE},
      {"k < 0", OP_N, OP_N, 2, 3, -1, 2, 4, 2, 1, false, false, INVALID_VALUE},
      {"batchCount < 0", OP_N, OP_N, 2, 3, 4, 2, 4, 2, -1, false, false, INVALID_VALUE},
      {"transa unknown (3)", 3, OP_N, 2, 3, 4, 2, 4, 2, 1, false, false, INVALID_VALUE},
      {"transb unknown (-1)", OP_N, -1, 2, 3, 4, 2, 4, 2, 1, false, false, INVALID_VALUE},
      {"lda < m for transa N", OP_N, OP_N, 2, 3, 4, 1, 4, 2, 1, false, false, INVALID_VALUE},
      {"lda < k for transa T", OP_T, OP_N, 2, 3, 4, 3, 4, 2, 1, false, false, INVALID_VALUE},
      {"lda < k for transa C (with lda >= m)", OP_C, OP_N, 2, 3, 4, 2, 4, 2, 1, false, false, INVALID_VALUE},
      {"ldb < k for transb N", OP_N, OP_N, 2, 3, 4, 2, 3, 2, 1, false, false, INVALID_VALUE},
      {"ldb < n for transb T (with ldb >= k)", OP_N, OP_T, 2, 3, 2, 2, 2, 2, 1, false, false, INVALID_VALUE},
      {"ldc < m", OP_N, OP_N, 2, 3, 4, 2, 4, 1, 1, false, false, INVALID_VALUE},
      {"lda 0 with m 0 (max(1, m))", OP_N, OP_N, 0, 3, 4, 0, 4, 1, 1, false, false, INVALID_VALUE},
      {"ldb 0 with k 0 (max(1, k))", OP_N, OP_N, 2, 3, 0, 2, 0, 2, 1, false, false, INVALID_VALUE},
      {"ldc 0 with m 0 (max(1, m))", OP_N, OP_N, 0, 3, 4, 1, 4, 0, 1, false, false, INVALID_VALUE},
      {"alpha null", OP_N, OP_N, 2, 3, 4, 2, 4, 2, 1, true, false, INVALID_VALUE},
      {"beta null", OP_N, OP_N, 2, 3, 4, 2, 4, 2, 1, false, true, INVALID_VALUE},
      {"an invalid ld with batchCount 0 is still refused", OP_N, OP_N, 2, 3, 4, 1, 4, 2, 0, false, false, INVALID_VALUE},
      {"quick return: m 0", OP_N, OP_N, 0, 3, 4, 1, 4, 1, 2, false, false, SUCCESS},
      {"quick return: n 0", OP_N, OP_N, 2, 0, 4, 2, 4, 2, 2, false, false, SUCCESS},
      {"quick return: batchCount 0", OP_N, OP_N, 2, 3, 4, 2, 4, 2, 0, false, false, SUCCESS},
  };
  for (const Case& t : cases) {
    const std::size_t queued = g_queue.size();
    std::vector<T> out = c;
    const int status = gemm<T>(h, t.ta, t.tb, t.m, t.n, t.k, t.null_alpha ? nullptr : &one, a.data(), t.lda, 8, b.data(), t.ldb, 8, t.null_beta ? nullptr : &zero, out.data(),
                               t.ldc, 8, t.batch);
    const std::string what = std::string(type) + "gemmStridedBatched, " + t.what;
    check_status(status, t.want, what);
    const bool runs = t.want == SUCCESS && t.m > 0 && t.n > 0 && t.batch > 0;
    check(g_queue.size() == queued + (runs ? 1 : 0), what + (runs ? ": one host function enqueued" : ": nothing enqueued"));
    synchronize();
    if (!runs) check(out == c, what + ": C untouched");
  }
  // The handle is checked first.
  check_status(gemm<T>(nullptr, OP_N, OP_N, 2, 3, 4, &one, a.data(), 2, 8, b.data(), 4, 8, &zero, c.data(), 2, 8, 1), NOT_INITIALIZED, std::string(type) + "gemm on a null handle");
  check_status(gemm<T>(nullptr, OP_N, OP_N, -1, 3, 4, &one, a.data(), 2, 8, b.data(), 4, 8, &zero, c.data(), 2, 8, 1), NOT_INITIALIZED,
               std::string(type) + "gemm on a null handle with m < 0");
  // C null where C is written.
  check_status(gemm<T>(h, OP_N, OP_N, 2, 3, 4, &one, a.data(), 2, 8, b.data(), 4, 8, &zero, nullptr, 2, 8, 1), INVALID_VALUE, std::string(type) + "gemm with C null");
  // Offsets past the address space (a GPU would fault): refused as an execution failure, nothing run.
  const std::size_t queued = g_queue.size();
  check_status(gemm<T>(h, OP_N, OP_N, 2, 3, 4, &one, a.data(), 2, LLONG_MAX / 2, b.data(), 4, 8, &zero, c.data(), 2, 8, 3), EXECUTION_FAILED,
               std::string(type) + "gemm with strideA past the address space");
  check_status(gemm<T>(h, OP_N, OP_N, 2, 3, 4, &one, a.data(), 2, 8, b.data(), INT_MAX, 8, &zero, c.data(), INT_MAX, LLONG_MAX / 4, 2), EXECUTION_FAILED,
               std::string(type) + "gemm with strideC past the address space");
  check(g_queue.size() == queued, std::string(type) + "gemm past the address space enqueues nothing");
}

template <typename T>
void products(Handle h) {
  for (int ta : {OP_N, OP_T, OP_C})
    for (int tb : {OP_N, OP_T, OP_C}) product_case<T>(h, ta, tb, 5, 7, 3, 3, T(1), T(0), false, false);
  product_case<T>(h, OP_N, OP_T, 9, 4, 11, 2, T(1.5), T(-0.5), false, false);
  product_case<T>(h, OP_T, OP_N, 1, 1, 40, 1, T(1), T(0), false, false);
  // beta == 0: C is not read (NaN there does not propagate).
  product_case<T>(h, OP_T, OP_T, 6, 5, 4, 2, T(1), T(0), true, false);
  // One A for every batch (stride 0), as the glue's conv weights.
  product_case<T>(h, OP_N, OP_N, 4, 6, 5, 3, T(1), T(0), false, true);
  // k == 0: C = beta C, A and B not read.
  {
    const char* type = sizeof(T) == 4 ? "S" : "D";
    // Two 2 x 1 C at stride 3 (ldc 3); A and B null at strides 64: not read, not even offset.
    std::vector<T> c = {T(2), T(4), T(99), T(6), T(8), T(99)};
    const T alpha = T(1), beta = T(0.5), zero = T(0);
    check_status(gemm<T>(h, OP_N, OP_N, 2, 1, 0, &alpha, nullptr, 2, 64, nullptr, 1, 64, &beta, c.data(), 3, 3, 2), SUCCESS, std::string(type) + "gemm k 0");
    synchronize();
    check(c == std::vector<T>{T(1), T(2), T(99), T(3), T(4), T(99)}, std::string(type) + "gemm k 0 gives C = beta C");
    std::vector<T> d(6, std::numeric_limits<T>::quiet_NaN());
    check_status(gemm<T>(h, OP_N, OP_N, 2, 2, 0, &alpha, nullptr, 2, 0, nullptr, 1, 0, &zero, d.data(), 2, 0, 1), SUCCESS, std::string(type) + "gemm k 0 beta 0");
    synchronize();
    check(d[0] == T(0) && d[1] == T(0) && d[2] == T(0) && d[3] == T(0) && std::isnan(double(d[4])), std::string(type) + "gemm k 0 beta 0 gives zeros over NaN");
  }
}

/**
 * CUBLAS_TF32_TENSOR_OP_MATH: an S GEMM takes its inputs rounded to TF32 (10 explicit mantissa
 * bits), with the mode as it was at the call; D GEMMs and the other modes are exact.
 */
void tf32(Handle h) {
  // 1 + 2^-12 is not a TF32 value (it rounds to 1); 1 + 2^-11 + 2^-12 rounds away to 1 + 2^-10.
  const float a[2] = {1.0f + 0x1p-12f, 1.0f + 0x1p-11f + 0x1p-12f}, b[2] = {1.0f, 1.0f}, one = 1, zero = 0;
  const double a64[2] = {1.0 + 0x1p-40, 1.0}, b64[2] = {1.0, 1.0}, one64 = 1, zero64 = 0;
  float c[2] = {0, 0};
  double c64 = 0;
  auto run = [&](int mode_at_call, int mode_after) {
    check_status(api.set_math_mode(h, mode_at_call), SUCCESS, "cublasSetMathMode " + std::to_string(mode_at_call));
    // Two 1x1 products: c[i] = a[i] * b[i] (batch 2, strides 1).
    check_status(api.sgemm(h, OP_N, OP_N, 1, 1, 1, &one, a, 1, 1, b, 1, 1, &zero, c, 1, 1, 2), SUCCESS, "an S GEMM in mode " + std::to_string(mode_at_call));
    check_status(api.dgemm(h, OP_N, OP_T, 1, 1, 2, &one64, a64, 1, 0, b64, 1, 0, &zero64, &c64, 1, 0, 1), SUCCESS, "a D GEMM in mode " + std::to_string(mode_at_call));
    check_status(api.set_math_mode(h, mode_after), SUCCESS, "cublasSetMathMode " + std::to_string(mode_after));
    synchronize();
  };
  run(3, 0);
  check(c[0] == 1.0f && c[1] == 1.0f + 0x1p-10f, "TF32 mode rounds an S GEMM's inputs to TF32 (the mode at the call, not at the run)");
  check(c64 == 2.0 + 0x1p-40, "TF32 mode leaves a D GEMM exact");
  run(3 | 16, 0);
  check(c[0] == 1.0f && c[1] == 1.0f + 0x1p-10f, "TF32 mode with DISALLOW_REDUCED_PRECISION_REDUCTION rounds too");
  for (int mode : {0, 2}) {
    run(mode, 3);
    check(c[0] == a[0] && c[1] == a[1], "math mode " + std::to_string(mode) + " gives the exact float32 product (the mode at the call)");
  }
}

template <typename F>
bool bind(void* lib, F& slot, const char* name) {
  slot = reinterpret_cast<F>(dlsym(lib, name));
  if (slot == nullptr) std::printf("FAIL: the stand-in lacks %s\n", name);
  return slot != nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: cublas-emu-selftest <libcublas.so.13>\n");
    return 2;
  }
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    std::printf("FAIL: dlopen %s: %s\n", argv[1], dlerror());
    return 1;
  }
  bool found = bind(lib, api.bind, "myelinEmulatorCublasBind") & bind(lib, api.create, "cublasCreate_v2") & bind(lib, api.destroy, "cublasDestroy_v2") &
               bind(lib, api.set_stream, "cublasSetStream_v2") & bind(lib, api.set_math_mode, "cublasSetMathMode") &
               bind(lib, api.get_math_mode, "cublasGetMathMode") & bind(lib, api.get_version, "cublasGetVersion_v2") &
               bind(lib, api.status_string, "cublasGetStatusString") & bind(lib, api.sgemm, "cublasSgemmStridedBatched") &
               bind(lib, api.dgemm, "cublasDgemmStridedBatched");
  if (!found) return 1;

  // Not bound to a stream yet: no handle.
  Handle h = reinterpret_cast<Handle>(1);
  check_status(api.create(&h), NOT_INITIALIZED, "cublasCreate before the emulator bound its stream");
  check(h == nullptr, "cublasCreate before the bind leaves the handle null");
  api.bind(reinterpret_cast<void*>(&fake_launch_host_func));
  check_status(api.create(nullptr), INVALID_VALUE, "cublasCreate(NULL)");
  check_status(api.create(&h), SUCCESS, "cublasCreate");
  check(h != nullptr, "cublasCreate gives a handle");

  int version = 0;
  check_status(api.get_version(h, &version), SUCCESS, "cublasGetVersion");
  check(version >= 130000 && version < 140000, "cublasGetVersion says 13.x: " + std::to_string(version));
  check_status(api.get_version(nullptr, &version), NOT_INITIALIZED, "cublasGetVersion on a null handle");
  check(std::strstr(api.status_string(INVALID_VALUE), "CUBLAS_STATUS_INVALID_VALUE") != nullptr, "cublasGetStatusString names INVALID_VALUE");
  check(std::strstr(api.status_string(NOT_INITIALIZED), "CUBLAS_STATUS_NOT_INITIALIZED") != nullptr, "cublasGetStatusString names NOT_INITIALIZED");

  // Math modes: each documented mode (optionally with DISALLOW_REDUCED_PRECISION_REDUCTION) is
  // recorded; anything else is refused and leaves the mode as it was.
  for (int mode : {0, 1, 2, 3, 4, 8, 3 | 16, 0 | 16}) {
    int got = -1;
    check_status(api.set_math_mode(h, mode), SUCCESS, "cublasSetMathMode " + std::to_string(mode));
    check(api.get_math_mode(h, &got) == SUCCESS && got == mode, "cublasSetMathMode " + std::to_string(mode) + " is recorded");
  }
  for (int mode : {-1, 5, 6, 7, 9, 32, 3 | 32}) {
    int got = -1;
    check_status(api.set_math_mode(h, mode), INVALID_VALUE, "cublasSetMathMode " + std::to_string(mode));
    check(api.get_math_mode(h, &got) == SUCCESS && got == (0 | 16), "a refused math mode " + std::to_string(mode) + " changes nothing");
  }
  check_status(api.set_math_mode(nullptr, 0), NOT_INITIALIZED, "cublasSetMathMode on a null handle");
  tf32(h);
  check_status(api.set_math_mode(h, 0), SUCCESS, "cublasSetMathMode default");

  // Stream order: no stream set is stream 0; cublasSetStream's stream takes every later GEMM.
  {
    const float one = 1, zero = 0, a = 2, b = 3;
    float c = 0;
    check_status(api.sgemm(h, OP_N, OP_N, 1, 1, 1, &one, &a, 1, 0, &b, 1, 0, &zero, &c, 1, 0, 1), SUCCESS, "a 1x1 GEMM");
    check(g_queue.size() == 1 && g_queue.back().stream == nullptr, "a handle with no stream set enqueues on stream 0");
    synchronize();
    check(c == 6, "the 1x1 GEMM runs when its stream does");
    cudaStream_t stream = reinterpret_cast<cudaStream_t>(std::uintptr_t(0x5700));
    check_status(api.set_stream(h, stream), SUCCESS, "cublasSetStream");
    check_status(api.set_stream(nullptr, stream), NOT_INITIALIZED, "cublasSetStream on a null handle");
    check_status(api.sgemm(h, OP_N, OP_N, 1, 1, 1, &one, &a, 1, 0, &b, 1, 0, &zero, &c, 1, 0, 1), SUCCESS, "a 1x1 GEMM on a set stream");
    check(g_queue.size() == 1 && g_queue.back().stream == stream, "the GEMM is enqueued on the stream cublasSetStream gave");
    synchronize();
    // A failed enqueue is an execution failure (and leaks nothing: the ASan build checks).
    g_launch_fails = true;
    check_status(api.sgemm(h, OP_N, OP_N, 1, 1, 1, &one, &a, 1, 0, &b, 1, 0, &zero, &c, 1, 0, 1), EXECUTION_FAILED, "a GEMM whose host function cannot be enqueued");
    g_launch_fails = false;
  }

  argument_checks<float>(h);
  argument_checks<double>(h);
  products<float>(h);
  products<double>(h);

  // A GEMM still queued when its handle is destroyed runs from its own copy of the arguments.
  {
    Handle other = nullptr;
    check_status(api.create(&other), SUCCESS, "a second handle");
    const double one = 1, zero = 0, a = 4, b = 5;
    double c = 0;
    check_status(api.dgemm(other, OP_N, OP_N, 1, 1, 1, &one, &a, 1, 0, &b, 1, 0, &zero, &c, 1, 0, 1), SUCCESS, "a GEMM left queued");
    check_status(api.destroy(other), SUCCESS, "cublasDestroy with a GEMM queued");
    synchronize();
    check(c == 20, "the queued GEMM ran after its handle was destroyed");
    // A destroyed handle is refused everywhere.
    check_status(api.destroy(other), NOT_INITIALIZED, "cublasDestroy twice");
    check_status(api.set_stream(other, nullptr), NOT_INITIALIZED, "cublasSetStream on a destroyed handle");
    check_status(api.set_math_mode(other, 0), NOT_INITIALIZED, "cublasSetMathMode on a destroyed handle");
    check_status(api.dgemm(other, OP_N, OP_N, 1, 1, 1, &one, &a, 1, 0, &b, 1, 0, &zero, &c, 1, 0, 1), NOT_INITIALIZED, "a GEMM on a destroyed handle");
    check(g_queue.empty(), "nothing enqueued on a destroyed handle");
  }
  check_status(api.destroy(nullptr), NOT_INITIALIZED, "cublasDestroy(NULL)");
  check_status(api.destroy(h), SUCCESS, "cublasDestroy");

  std::printf("%d checks, %d failed\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
