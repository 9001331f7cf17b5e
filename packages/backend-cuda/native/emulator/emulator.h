// A CPU emulator of the CUDA execution model, for testing this addon's kernels and glue on
// machines without a GPU (CI, every contributor's laptop). It is not a product path: the real
// addon is compiled by nvcc; scripts/build-emulator.mjs compiles the same sources with g++
// against this header and ./cuda_runtime_api.h, into dist/native-emu/myelin_cuda.node, and the
// conformance suite runs on it. What it checks: every kernel's arithmetic, indexing and bounds
// (under AddressSanitizer too), block barriers and warp shuffles, and the glue's sizes. Its race
// check build (MC_EMU_RACECHECK, ThreadSanitizer: see emulator.cc) also finds data races between
// the threads of a block (a missing __syncthreads, shared memory reused too early) and between
// neighbouring blocks (two blocks writing one element without an atomic). What it cannot: timing,
// coalescing and atomics' order (atomics are read-modify-writes of one running thread).
//
// How it runs a launch: the blocks one after another; in a block, every CUDA thread is a fiber
// on its own stack, run round robin until it finishes or waits at __syncthreads or a warp
// shuffle, so barriers and shuffles have CUDA's meaning within the block.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <type_traits>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __restrict__ __restrict
#define __launch_bounds__(...)
#define __maxnreg__(...)
// A block's threads run one at a time in one OS thread and blocks run one after another, so a
// function-local static is exactly one block's shared memory. (The race check build rewrites
// each __shared__ declaration into a reference to mc_emu::shared_memory, so that neighbouring
// blocks have shared memory of their own, as on a GPU.)
#define __shared__ static

struct CUstream_st;

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

namespace mc_emu {

extern dim3 grid_dim, block_dim, block_idx, thread_idx;
/** Index of the running thread within its block (x fastest). */
unsigned linear_thread();
unsigned threads_in_block();
/**
 * Waits until every live thread of the block (-1) or of the running thread's warp (0) arrives.
 * A warp barrier takes the call's mask: when it opens, every lane a caller named must have
 * arrived (a named lane that exited instead is reported, see check_warp_mask).
 */
void barrier(int scope, unsigned mask = 0xffffffffu);
/**
 * Aborts when a warp-synchronous call (`what`: a shuffle or __syncwarp) has a `mask` that leaves
 * out the calling lane or names a lane its warp does not have (a block whose size is not a
 * multiple of 32); the warp barrier then reports a named lane that exited before the call. CUDA
 * leaves each undefined, and compute-sanitizer's synccheck reports them, but the emulator's warp
 * barrier alone would simply not wait for the missing lane.
 */
void check_warp_mask(unsigned mask, const char* what);
/** One 8-byte slot per thread of the running block, for the shuffles. */
extern unsigned long long* slots;
/** The running block's copy of the shared variable `key` (race check build). */
void* shared_memory(const void* key, std::size_t bytes, std::size_t align);

/** Runs one launch of the kernel `name` (its name for the trace: see emulator.cc). */
void run(const char* name, dim3 grid, dim3 block, const std::function<void()>& body);
/**
 * A launch on `stream` (null: the legacy default stream): run at once, or in the deferred mode
 * (MYELIN_CUDA_EMULATOR_ASYNC=1, see emulator.cc) queued on the stream until the host waits for it.
 */
void launch_on(const char* name, dim3 grid, dim3 block, CUstream_st* stream, std::function<void()> body);

template <typename Fn>
void launch(const char* name, dim3 grid, dim3 block, Fn&& body) {
  launch_on(name, grid, block, nullptr, std::function<void()>(std::forward<Fn>(body)));
}
template <typename Fn>
void launch(const char* name, dim3 grid, dim3 block, std::size_t, Fn&& body) {
  launch_on(name, grid, block, nullptr, std::function<void()>(std::forward<Fn>(body)));
}
template <typename Fn>
void launch(const char* name, dim3 grid, dim3 block, std::size_t, CUstream_st* stream, Fn&& body) {
  launch_on(name, grid, block, stream, std::function<void()>(std::forward<Fn>(body)));
}

/** The value `source` (a thread of this block) put in its slot, or `mine` when it is out of range. */
template <typename T>
T exchange(T mine, long source, bool valid, unsigned mask) {
  static_assert(sizeof(T) <= sizeof(unsigned long long), "a shuffle moves at most 8 bytes");
  const unsigned self = linear_thread();
  std::memcpy(&slots[self], &mine, sizeof(T));
  barrier(0, mask);
  T result = mine;
  if (valid && source >= 0 && source < long(threads_in_block())) std::memcpy(&result, &slots[source], sizeof(T));
  barrier(0, mask);
  return result;
}

}  // namespace mc_emu

#define threadIdx (::mc_emu::thread_idx)
#define blockIdx (::mc_emu::block_idx)
#define blockDim (::mc_emu::block_dim)
#define gridDim (::mc_emu::grid_dim)
constexpr int warpSize = 32;

inline void __syncthreads() { mc_emu::barrier(-1); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  mc_emu::check_warp_mask(mask, "__syncwarp");
  mc_emu::barrier(0, mask);
}

template <typename T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = warpSize) {
  mc_emu::check_warp_mask(mask, "__shfl_down_sync");
  const unsigned t = mc_emu::linear_thread();
  const unsigned lane = t % unsigned(width);
  return mc_emu::exchange(v, long(t) + long(delta), lane + delta < unsigned(width), mask);
}
template <typename T>
T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = warpSize) {
  mc_emu::check_warp_mask(mask, "__shfl_up_sync");
  const unsigned t = mc_emu::linear_thread();
  const unsigned lane = t % unsigned(width);
  return mc_emu::exchange(v, long(t) - long(delta), lane >= delta, mask);
}
template <typename T>
T __shfl_sync(unsigned mask, T v, int source, int width = warpSize) {
  mc_emu::check_warp_mask(mask, "__shfl_sync");
  const unsigned t = mc_emu::linear_thread();
  const long base = long(t) - long(t % unsigned(width));
  return mc_emu::exchange(v, base + long(unsigned(source) % unsigned(width)), true, mask);
}
template <typename T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = warpSize) {
  mc_emu::check_warp_mask(mask, "__shfl_xor_sync");
  const unsigned t = mc_emu::linear_thread();
  const unsigned lane = t % unsigned(width);
  const unsigned other = lane ^ unsigned(lane_mask);
  return mc_emu::exchange(v, long(t) - long(lane) + long(other), other < unsigned(width), mask);
}

// CUDA's device math lives in the global namespace, with float overloads.
using std::acos;
using std::acosh;
using std::asin;
using std::asinh;
using std::atan;
using std::atanh;
using std::ceil;
using std::copysign;
using std::cos;
using std::cosh;
using std::erf;
using std::exp;
using std::expm1;
using std::fabs;
using std::floor;
using std::fma;
using std::fmax;
using std::fmin;
using std::fmod;
using std::isfinite;
using std::isinf;
using std::isnan;
using std::log;
using std::log1p;
using std::pow;
using std::rint;
using std::round;
using std::signbit;
using std::sin;
using std::sinh;
using std::sqrt;
using std::tan;
using std::tanh;
using std::trunc;

namespace mc_emu {
template <typename T>
struct same {
  using type = T;
};
}  // namespace mc_emu

// Atomics: only one emulated thread runs at a time, so a read-modify-write is atomic. The race
// check build makes the read and the write relaxed atomic accesses, which ThreadSanitizer knows
// do not race with each other (and do not order anything, like CUDA's atomics).
namespace mc_emu {
template <typename T>
T atomic_read(const T* address) {
#ifdef MC_EMU_RACECHECK
  T value;
  __atomic_load(address, &value, __ATOMIC_RELAXED);
  return value;
#else
  return *address;
#endif
}
template <typename T>
void atomic_write(T* address, T value) {
#ifdef MC_EMU_RACECHECK
  __atomic_store(address, &value, __ATOMIC_RELAXED);
#else
  *address = value;
#endif
}
}  // namespace mc_emu

template <typename T>
T atomicAdd(T* address, typename mc_emu::same<T>::type value) {
  const T old = mc_emu::atomic_read(address);
  mc_emu::atomic_write(address, T(old + value));
  return old;
}
template <typename T>
T atomicOr(T* address, typename mc_emu::same<T>::type value) {
  const T old = mc_emu::atomic_read(address);
  mc_emu::atomic_write(address, T(old | value));
  return old;
}
template <typename T>
T atomicMax(T* address, typename mc_emu::same<T>::type value) {
  const T old = mc_emu::atomic_read(address);
  if (value > old) mc_emu::atomic_write(address, value);
  return old;
}
template <typename T>
T atomicMin(T* address, typename mc_emu::same<T>::type value) {
  const T old = mc_emu::atomic_read(address);
  if (value < old) mc_emu::atomic_write(address, value);
  return old;
}
template <typename T>
T atomicExch(T* address, typename mc_emu::same<T>::type value) {
  const T old = mc_emu::atomic_read(address);
  mc_emu::atomic_write(address, value);
  return old;
}
template <typename T>
T atomicCAS(T* address, typename mc_emu::same<T>::type compare, typename mc_emu::same<T>::type value) {
  const T old = mc_emu::atomic_read(address);
  if (old == compare) mc_emu::atomic_write(address, value);
  return old;
}

template <typename T>
T __ldg(const T* p) {
  return *p;
}
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
