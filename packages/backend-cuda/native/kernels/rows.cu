// Kernels over the last axis of x [rows, n]: softmax and layer normalisation with their backward
// (attention's scores and a Transformer's LayerNorms: one launch where core composes five to
// fifteen). A warp per row for rows of up to ROW_WARP_MAX values, a block per row beyond; every
// row loops over its columns, so any length runs. Sums are accumulated in double and reduced in
// a fixed order (warp shuffles, then the warps in order), so a result does not change from run to
// run. Rows go grid-stride: the loop bound is the same for every thread of a warp (warp mode) or
// of the block (block mode), so each shuffle and barrier is reached by all.
#include <type_traits>

#include "device.cuh"
#include "kernels.h"

namespace mc {
namespace {

constexpr unsigned FULL = 0xffffffffu;
/** The longest row a warp takes; longer rows get a block each. */
constexpr i64 ROW_WARP_MAX = 1024;
constexpr unsigned MAX_BLOCKS = 65536;

__device__ inline double warp_sum(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(FULL, v, o);
  return v;
}
template <typename T>
__device__ inline T warp_max(T v) {
  // Lane l combines with lane l + o, l first: NaN wins as in max_nan.
  for (int o = 16; o > 0; o >>= 1) v = max_nan(v, T(__shfl_down_sync(FULL, v, o)));
  return v;
}

/** The row's sum, in every thread of its warp (warp mode) or block. `shared`: 33 doubles. */
template <bool BLOCK>
__device__ inline double row_sum(double v, double* shared) {
  v = warp_sum(v);
  if constexpr (!BLOCK) {
    return __shfl_sync(FULL, v, 0);
  } else {
    if ((threadIdx.x & 31) == 0) shared[threadIdx.x >> 5] = v;
    __syncthreads();
    if (threadIdx.x == 0) {
      double total = 0;
      for (int w = 0; w < int(blockDim.x >> 5); w++) total += shared[w];
      shared[32] = total;
    }
    __syncthreads();
    const double total = shared[32];
    __syncthreads();  // before the next reduction writes `shared` again
    return total;
  }
}

/** The row's max (a NaN wins), in every thread of its warp or block. `shared`: 33 values. */
template <typename T, bool BLOCK>
__device__ inline T row_max(T v, T* shared) {
  v = warp_max(v);
  if constexpr (!BLOCK) {
    return __shfl_sync(FULL, v, 0);
  } else {
    if ((threadIdx.x & 31) == 0) shared[threadIdx.x >> 5] = v;
    __syncthreads();
    if (threadIdx.x == 0) {
      T best = shared[0];
      for (int w = 1; w < int(blockDim.x >> 5); w++) best = max_nan(best, shared[w]);
      shared[32] = best;
    }
    __syncthreads();
    const T best = shared[32];
    __syncthreads();
    return best;
  }
}

/** This thread's first column and column step, the first row and row step of the grid. */
template <bool BLOCK>
struct RowWalk {
  int first, step;
  i64 row, rows_step;
  __device__ RowWalk() {
    first = BLOCK ? int(threadIdx.x) : int(threadIdx.x & 31);
    step = BLOCK ? int(blockDim.x) : 32;
    const i64 per_block = BLOCK ? 1 : i64(blockDim.x >> 5);
    row = i64(blockIdx.x) * per_block + (BLOCK ? 0 : i64(threadIdx.x >> 5));
    rows_step = i64(gridDim.x) * per_block;
  }
};

/** y = exp(x - max) / sum(exp(x - max)) per row; a NaN or a non-finite max gives NaN (x - max is NaN). */
template <typename T, bool BLOCK>
__global__ void softmax_kernel(const T* __restrict__ x, T* __restrict__ y, i64 rows, i64 n) {
  __shared__ double sums[33];
  __shared__ T bests[33];
  const RowWalk<BLOCK> w;
  for (i64 row = w.row; row < rows; row += w.rows_step) {
    const T* p = x + row * n;
    T* q = y + row * n;
    T m = T(-INFINITY);
    for (i64 i = w.first; i < n; i += w.step) m = max_nan(m, p[i]);
    m = row_max<T, BLOCK>(m, bests);
    double s = 0;
    for (i64 i = w.first; i < n; i += w.step) s += double(T(exp(p[i] - m)));
    s = row_sum<BLOCK>(s, sums);
    for (i64 i = w.first; i < n; i += w.step) q[i] = T(double(T(exp(p[i] - m))) / s);
  }
}

/** dx = y * (g - sum(g * y)) per row. */
template <typename T, bool BLOCK>
__global__ void softmax_backward_kernel(const T* __restrict__ g, const T* __restrict__ y, T* __restrict__ dx, i64 rows, i64 n) {
  __shared__ double sums[33];
  const RowWalk<BLOCK> w;
  for (i64 row = w.row; row < rows; row += w.rows_step) {
    const T *pg = g + row * n, *py = y + row * n;
    double s = 0;
    for (i64 i = w.first; i < n; i += w.step) s += double(pg[i]) * double(py[i]);
    s = row_sum<BLOCK>(s, sums);
    for (i64 i = w.first; i < n; i += w.step) dx[row * n + i] = T(double(py[i]) * (double(pg[i]) - s));
  }
}

/** y = (x - mean) * invStd * weight + bias per row (two passes in double: the mean, then the biased variance). */
template <typename T, bool BLOCK>
__global__ void layer_norm_kernel(const T* __restrict__ x, const T* __restrict__ weight, const T* __restrict__ bias, T* __restrict__ y, T* __restrict__ mean,
                                  T* __restrict__ inv_std, double eps, i64 rows, i64 n) {
  __shared__ double sums[33];
  const RowWalk<BLOCK> w;
  for (i64 row = w.row; row < rows; row += w.rows_step) {
    const T* p = x + row * n;
    double s = 0;
    for (i64 i = w.first; i < n; i += w.step) s += double(p[i]);
    const double m = row_sum<BLOCK>(s, sums) / double(n);
    double q = 0;
    for (i64 i = w.first; i < n; i += w.step) {
      const double d = double(p[i]) - m;
      q += d * d;
    }
    const double r = 1.0 / sqrt(row_sum<BLOCK>(q, sums) / double(n) + eps);
    for (i64 i = w.first; i < n; i += w.step) {
      double v = (double(p[i]) - m) * r;
      if (weight != nullptr) v *= double(weight[i]);
      if (bias != nullptr) v += double(bias[i]);
      y[row * n + i] = T(v);
    }
    if (w.first == 0) {
      mean[row] = T(m);
      inv_std[row] = T(r);
    }
  }
}

/** dx = invStd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) per row, dxhat = g * weight. */
template <typename T, bool BLOCK>
__global__ void layer_norm_backward_kernel(const T* __restrict__ g, const T* __restrict__ x, const T* __restrict__ weight, const T* __restrict__ mean,
                                           const T* __restrict__ inv_std, T* __restrict__ dx, i64 rows, i64 n) {
  __shared__ double sums[33];
  const RowWalk<BLOCK> w;
  for (i64 row = w.row; row < rows; row += w.rows_step) {
    const T *pg = g + row * n, *px = x + row * n;
    const double m = double(mean[row]), r = double(inv_std[row]);
    double a = 0, b = 0;
    for (i64 i = w.first; i < n; i += w.step) {
      const double d = double(pg[i]) * (weight != nullptr ? double(weight[i]) : 1.0);
      a += d;
      b += d * (double(px[i]) - m) * r;
    }
    a = row_sum<BLOCK>(a, sums) / double(n);
    b = row_sum<BLOCK>(b, sums) / double(n);
    for (i64 i = w.first; i < n; i += w.step) {
      const double d = double(pg[i]) * (weight != nullptr ? double(weight[i]) : 1.0);
      dx[row * n + i] = T(r * (d - a - (double(px[i]) - m) * r * b));
    }
  }
}

/** Column tiles of the weight and bias sums: 32 columns by PARAM_ROW_GROUPS row groups per block. */
constexpr int PARAM_ROW_GROUPS = 8;

/** dw[c] = sum over rows of g * xhat, db[c] = sum over rows of g (either may be null); row groups added in order. */
template <typename T>
__global__ void __launch_bounds__(32 * PARAM_ROW_GROUPS)
    layer_norm_param_kernel(const T* __restrict__ g, const T* __restrict__ x, const T* __restrict__ mean, const T* __restrict__ inv_std, T* __restrict__ dw,
                            T* __restrict__ db, i64 rows, i64 n) {
  __shared__ double part_w[PARAM_ROW_GROUPS][32];
  __shared__ double part_b[PARAM_ROW_GROUPS][32];
  const int tx = threadIdx.x, ty = threadIdx.y;
  // The bound is the same for every thread of the block: its barriers are reached by all.
  for (i64 tile = blockIdx.x; tile * 32 < n; tile += gridDim.x) {
    const i64 c = tile * 32 + tx;
    double sw = 0, sb = 0;
    if (c < n) {
      for (i64 r = ty; r < rows; r += PARAM_ROW_GROUPS) {
        const double v = double(g[r * n + c]);
        sb += v;
        sw += v * (double(x[r * n + c]) - double(mean[r])) * double(inv_std[r]);
      }
    }
    part_w[ty][tx] = sw;
    part_b[ty][tx] = sb;
    __syncthreads();
    if (ty == 0 && c < n) {
      double tw = 0, tb = 0;
      for (int k = 0; k < PARAM_ROW_GROUPS; k++) {
        tw += part_w[k][tx];
        tb += part_b[k][tx];
      }
      if (dw != nullptr) dw[c] = T(tw);
      if (db != nullptr) db[c] = T(tb);
    }
    __syncthreads();
  }
}

unsigned row_blocks(i64 rows, i64 n) {
  const i64 per_block = n > ROW_WARP_MAX ? 1 : THREADS / 32;
  const i64 b = (rows + per_block - 1) / per_block;
  return unsigned(b < 1 ? 1 : b > MAX_BLOCKS ? MAX_BLOCKS : b);
}

/** Runs `launch(bool_constant<BLOCK>, blocks)` with the row geometry for rows of n values. */
template <typename Launch>
void by_row_length(i64 rows, i64 n, Launch&& launch) {
  if (n > ROW_WARP_MAX) launch(std::true_type{}, row_blocks(rows, n));
  else launch(std::false_type{}, row_blocks(rows, n));
}

template <typename T>
void softmax_typed(cudaStream_t s, const void* x, void* y, i64 rows, i64 n) {
  by_row_length(rows, n, [&](auto block, unsigned blocks) {
    softmax_kernel<T, decltype(block)::value><<<blocks, THREADS, 0, s>>>(static_cast<const T*>(x), static_cast<T*>(y), rows, n);
  });
}

template <typename T>
void softmax_backward_typed(cudaStream_t s, const void* g, const void* y, void* dx, i64 rows, i64 n) {
  by_row_length(rows, n, [&](auto block, unsigned blocks) {
    softmax_backward_kernel<T, decltype(block)::value><<<blocks, THREADS, 0, s>>>(static_cast<const T*>(g), static_cast<const T*>(y), static_cast<T*>(dx), rows, n);
  });
}

template <typename T>
void layer_norm_typed(cudaStream_t s, const void* x, const void* weight, const void* bias, void* y, void* mean, void* inv_std, double eps, i64 rows, i64 n) {
  by_row_length(rows, n, [&](auto block, unsigned blocks) {
    layer_norm_kernel<T, decltype(block)::value><<<blocks, THREADS, 0, s>>>(static_cast<const T*>(x), static_cast<const T*>(weight), static_cast<const T*>(bias),
                                                                             static_cast<T*>(y), static_cast<T*>(mean), static_cast<T*>(inv_std), eps, rows, n);
  });
}

template <typename T>
void layer_norm_backward_typed(cudaStream_t s, const void* g, const void* x, const void* weight, const void* mean, const void* inv_std, void* dx, void* dw, void* db,
                               i64 rows, i64 n) {
  const T *pg = static_cast<const T*>(g), *px = static_cast<const T*>(x), *pm = static_cast<const T*>(mean), *ps = static_cast<const T*>(inv_std);
  if (dx != nullptr) {
    by_row_length(rows, n, [&](auto block, unsigned blocks) {
      layer_norm_backward_kernel<T, decltype(block)::value><<<blocks, THREADS, 0, s>>>(pg, px, static_cast<const T*>(weight), pm, ps, static_cast<T*>(dx), rows, n);
    });
  }
  if (dw != nullptr || db != nullptr) {
    const i64 tiles = (n + 31) / 32;
    const unsigned blocks = unsigned(tiles > MAX_BLOCKS ? MAX_BLOCKS : tiles);
    layer_norm_param_kernel<T><<<blocks, dim3(32, PARAM_ROW_GROUPS), 0, s>>>(pg, px, pm, ps, static_cast<T*>(dw), static_cast<T*>(db), rows, n);
  }
}

}  // namespace

void launch_softmax_rows(cudaStream_t s, int dtype, const void* x, void* y, i64 rows, i64 n) {
  if (rows == 0 || n == 0) return;
  if (dtype == F32) softmax_typed<float>(s, x, y, rows, n);
  else softmax_typed<double>(s, x, y, rows, n);
}

void launch_softmax_backward_rows(cudaStream_t s, int dtype, const void* g, const void* y, void* dx, i64 rows, i64 n) {
  if (rows == 0 || n == 0) return;
  if (dtype == F32) softmax_backward_typed<float>(s, g, y, dx, rows, n);
  else softmax_backward_typed<double>(s, g, y, dx, rows, n);
}

void launch_layer_norm_rows(cudaStream_t s, int dtype, const void* x, const void* weight, const void* bias, void* y, void* mean, void* inv_std, double eps, i64 rows, i64 n) {
  if (rows == 0) return;
  if (dtype == F32) layer_norm_typed<float>(s, x, weight, bias, y, mean, inv_std, eps, rows, n);
  else layer_norm_typed<double>(s, x, weight, bias, y, mean, inv_std, eps, rows, n);
}

void launch_layer_norm_backward_rows(cudaStream_t s, int dtype, const void* g, const void* x, const void* weight, const void* mean, const void* inv_std, void* dx, void* dw,
                                     void* db, i64 rows, i64 n) {
  if (n == 0) return;
  if (rows == 0) {
    // No rows: the weight and bias sums are 0 (dx has no element).
    if (dw != nullptr) launch_fill(s, dw, dtype == F32 ? 4 : 8, 0, n);
    if (db != nullptr) launch_fill(s, db, dtype == F32 ? 4 : 8, 0, n);
    return;
  }
  if (dtype == F32) layer_norm_backward_typed<float>(s, g, x, weight, mean, inv_std, dx, dw, db, rows, n);
  else layer_norm_backward_typed<double>(s, g, x, weight, mean, inv_std, dx, dw, db, rows, n);
}

}  // namespace mc
