// Device helpers shared by the kernel sources: launch geometry, JS number rules, NaN-aware max.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "../common.h"

namespace mc {

constexpr int THREADS = 256;

/** Blocks for a grid-stride loop over n elements (capped; the loops stride over the rest). */
inline unsigned blocks_for(i64 n, int threads = THREADS) {
  i64 b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  if (b > 65536) b = 65536;
  return unsigned(b);
}

#define MC_GRID_LOOP(i, n) for (i64 i = i64(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += i64(gridDim.x) * blockDim.x)

/** JavaScript's ToInt32: truncate toward zero, wrap modulo 2^32, NaN and +-Infinity -> 0. */
__device__ inline std::int32_t to_int32(double v) {
  if (!(v == v) || isinf(v)) return 0;
  const double t = trunc(v);
  if (t >= -2147483648.0 && t < 2147483648.0) return std::int32_t(t);
  double m = fmod(t, 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return std::int32_t(std::uint32_t(m));
}

/** The larger of two values where a NaN on either side wins (the reference's rule; `best` comes first). */
template <typename T>
__device__ inline T max_nan(T best, T v) {
  return (!(v <= best) && best == best) ? v : best;
}

template <typename T>
__device__ inline T sigmoid_of(T v) {
  const T e = exp(-fabs(v));
  return v >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
}

template <typename T>
__device__ inline T activate(int act, T v) {
  switch (act) {
    case ACT_RELU: return (v > T(0) || v != v) ? v : T(0);
    case ACT_SIGMOID: return sigmoid_of(v);
    case ACT_TANH: return tanh(v);
    default: return v;
  }
}

/**
 * Offsets of output element i in each operand of a loop. All MAX_OPERANDS are computed (an
 * operand the loop does not have has zero strides): loops of a compile-time length unroll, so
 * `off` stays in registers; a loop to L.operands put it in local memory (a stack frame, loads
 * and stores per element, in every strided kernel).
 */
__device__ inline void loop_offsets(const Loop& L, i64 i, i64 (&off)[MAX_OPERANDS]) {
#pragma unroll
  for (int k = 0; k < MAX_OPERANDS; k++) off[k] = 0;
  if (L.narrow) {
    // Every index and dimension fits 32 bits: the same decomposition with 32-bit division.
    unsigned rest = unsigned(i);
    for (int d = L.rank - 1; d >= 0; d--) {
      const unsigned dim = unsigned(L.shape[d]);
      const unsigned c = rest % dim;
      rest /= dim;
#pragma unroll
      for (int k = 0; k < MAX_OPERANDS; k++) off[k] += i64(c) * L.strides[k][d];
    }
    return;
  }
  for (int d = L.rank - 1; d >= 0; d--) {
    const i64 dim = L.shape[d];
    const i64 c = i % dim;
    i /= dim;
#pragma unroll
    for (int k = 0; k < MAX_OPERANDS; k++) off[k] += c * L.strides[k][d];
  }
}

/** Sum of a double over the block (blockDim.x a multiple of 32, at most 1024); the result in thread 0. */
__device__ inline double block_sum(double v, double* shared32) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) shared32[warp] = v;
  __syncthreads();
  v = 0;
  if (warp == 0) {
    const int warps = blockDim.x >> 5;
    v = lane < warps ? shared32[lane] : 0.0;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  }
  __syncthreads();
  return v;
}

}  // namespace mc
