// Reductions and the kernels built on them: reduce rows / columns, argmax, softmax
// cross-entropy, binary cross-entropy, the bias + activation backward, batch normalisation.
// Float sums are accumulated in double (as backend-cpu does) in a fixed order per launch
// geometry, so a result does not change from run to run.
#include "device.cuh"
#include "kernels.h"

namespace mc {
namespace {

using u8 = std::uint8_t;
using i32 = std::int32_t;
using u32 = std::uint32_t;

template <typename T>
__device__ inline T identity_max() {
  if constexpr (std::is_floating_point<T>::value) return T(-INFINITY);
  else if constexpr (std::is_same<T, i32>::value) return i32(-2147483647 - 1);
  else return T(0);
}

template <typename T>
__device__ inline T max_of(T best, T v) {
  if constexpr (std::is_floating_point<T>::value) return max_nan(best, v);
  else return v > best ? v : best;
}

/** The sum's accumulator: double for floats, wrapping uint32 for int32. */
template <typename T>
struct Acc {
  using type = double;
};
template <>
struct Acc<i32> {
  using type = u32;
};

template <typename A>
__device__ inline A warp_sum(A v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}
template <typename T>
__device__ inline T warp_max(T v) {
  // Lane l combines with lane l + o, l first: NaN wins as in max_nan.
  for (int o = 16; o > 0; o >>= 1) v = max_of(v, T(__shfl_down_sync(0xffffffffu, v, o)));
  return v;
}
__device__ inline u8 warp_max(u8 v) {
  for (int o = 16; o > 0; o >>= 1) {
    const u8 w = u8(__shfl_down_sync(0xffffffffu, unsigned(v), o));
    v = w > v ? w : v;
  }
  return v;
}

/** A warp per row: rows of at most a few thousand elements. 8 rows per block. */
template <typename T>
__global__ void reduce_rows_warp(int op, const T* __restrict__ x, T* __restrict__ out, i64 rows, i64 n) {
  const int lane = threadIdx.x & 31;
  const i64 warps = i64(gridDim.x) * (blockDim.x >> 5);
  for (i64 row = i64(blockIdx.x) * (blockDim.x >> 5) + (threadIdx.x >> 5); row < rows; row += warps) {  // warp-uniform
  const T* p = x + row * n;
  if (op == 0) {
    using A = typename Acc<T>::type;
    A s = 0;
    for (i64 i = lane; i < n; i += 32) s += A(p[i]);
    s = warp_sum(s);
    if (lane == 0) out[row] = T(s);
  } else {
    T best = identity_max<T>();
    for (i64 i = lane; i < n; i += 32) best = max_of(best, p[i]);
    best = warp_max(best);
    if (lane == 0) out[row] = best;
  }
  }
}

/** A block per row (long rows). */
template <typename T>
__global__ void reduce_rows_block(int op, const T* __restrict__ x, T* __restrict__ out, i64 n) {
  __shared__ double sums[32];
  __shared__ T bests[32];
  const T* p = x + i64(blockIdx.x) * n;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (op == 0) {
    using A = typename Acc<T>::type;
    A s = 0;
    for (i64 i = threadIdx.x; i < n; i += blockDim.x) s += A(p[i]);
    if constexpr (std::is_same<A, double>::value) {
      const double total = block_sum(s, sums);
      if (threadIdx.x == 0) out[blockIdx.x] = T(total);
    } else {
      s = warp_sum(s);
      __shared__ u32 parts[32];
      if (lane == 0) parts[warp] = s;
      __syncthreads();
      if (threadIdx.x == 0) {
        u32 t = 0;
        for (int w = 0; w < int(blockDim.x >> 5); w++) t += parts[w];
        out[blockIdx.x] = T(t);
      }
    }
  } else {
    T best = identity_max<T>();
    for (i64 i = threadIdx.x; i < n; i += blockDim.x) best = max_of(best, p[i]);
    best = warp_max(best);
    if (lane == 0) bests[warp] = best;
    __syncthreads();
    if (threadIdx.x == 0) {
      T b = bests[0];
      for (int w = 1; w < int(blockDim.x >> 5); w++) b = max_of(b, bests[w]);
      out[blockIdx.x] = b;
    }
  }
}

/** A thread per output column, rows in order (the same order as backend-cpu's column reduce). */
template <typename T>
__global__ void reduce_cols_kernel(int op, const T* __restrict__ x, T* __restrict__ out, i64 outer, i64 rows, i64 cols) {
  MC_GRID_LOOP(i, outer * cols) {
    const i64 o = i / cols, c = i % cols;
    const T* p = x + o * rows * cols + c;
    if (op == 0) {
      typename Acc<T>::type s = 0;
      for (i64 r = 0; r < rows; r++) s += typename Acc<T>::type(p[r * cols]);
      out[i] = T(s);
    } else {
      T best = identity_max<T>();
      for (i64 r = 0; r < rows; r++) best = max_of(best, p[r * cols]);
      out[i] = best;
    }
  }
}

/**
 * Many rows: a block per 32 columns of one outer slice, its 8 warps each summing every 8th row
 * (lanes on consecutive columns: coalesced), then the 8 partial results combined in warp order.
 * A fixed order, so the result does not change from run to run.
 */
template <typename T>
__global__ void reduce_cols_split(int op, const T* __restrict__ x, T* __restrict__ out, i64 rows, i64 cols) {
  using A = typename Acc<T>::type;
  __shared__ A sums[8][33];
  __shared__ T bests[8][33];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const i64 c = i64(blockIdx.x) * 32 + tx;
  const i64 o = blockIdx.y;
  const T* p = x + o * rows * cols + c;
  if (op == 0) {
    A s = 0;
    if (c < cols)
      for (i64 r = ty; r < rows; r += 8) s += A(p[r * cols]);
    sums[ty][tx] = s;
  } else {
    T best = identity_max<T>();
    if (c < cols)
      for (i64 r = ty; r < rows; r += 8) best = max_of(best, p[r * cols]);
    bests[ty][tx] = best;
  }
  __syncthreads();
  if (ty == 0 && c < cols) {
    if (op == 0) {
      A s = sums[0][tx];
      for (int w = 1; w < 8; w++) s += sums[w][tx];
      out[o * cols + c] = T(s);
    } else {
      T best = bests[0][tx];
      for (int w = 1; w < 8; w++) best = max_of(best, bests[w][tx]);
      out[o * cols + c] = best;
    }
  }
}

template <typename T>
__global__ void argmax_kernel(const T* __restrict__ x, i32* __restrict__ out, i64 outer, i64 length, i64 inner) {
  MC_GRID_LOOP(i, outer * inner) {
    const i64 o = i / inner, j = i % inner;
    const T* p = x + o * length * inner + j;
    T best = p[0];
    i32 index = 0;
    for (i64 k = 1; k < length; k++) {
      const T v = p[k * inner];
      if constexpr (std::is_floating_point<T>::value) {
        if (!(v <= best) && best == best) {
          best = v;
          index = i32(k);
        }
      } else if (v > best) {
        best = v;
        index = i32(k);
      }
    }
    out[i] = index;
  }
}

/** The gradient at logit `v` of a row with max `m` and 1 / (sum of exp) `inv`: the softmax times scale, less scale at the label. */
template <typename T>
__device__ inline T softmax_xent_grad(T v, T m, double inv, double scale, bool at_label) {
  const T g = T(double(T(exp(v - m))) * inv * scale);
  return at_label ? T(double(g) - scale) : g;
}

/** The reduced loss: each warp's sum in `partial`, added in warp order by thread 0 and divided by `divisor`. */
template <typename T, int WARPS>
__device__ inline void write_reduced_loss(double* partial, double warp_total, T* out, double divisor) {
  if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = warp_total;
  __syncthreads();
  if (threadIdx.x == 0) {
    double total = 0;
    for (int w = 0; w < WARPS; w++) total += partial[w];
    out[0] = T(total / divisor);
  }
}

/**
 * One row of softmax cross-entropy by one warp: the gradient row (grad may be null) and the row's
 * loss in storage precision, valid in lane 0 (NaN for a label out of range, which raises
 * FLAG_LABEL; 0 and a zero gradient row for the label `ignore`).
 */
template <typename T>
__device__ inline T softmax_xent_row(const T* __restrict__ p, i32 label, i32 ignore, T* __restrict__ g, double scale, i64 n, int* flag) {
  const int lane = threadIdx.x & 31;
  if (label == ignore) {  // warp-uniform: the whole warp has this row
    if (g != nullptr)
      for (i64 i = lane; i < n; i += 32) g[i] = T(0);
    return T(0);
  }
  T m = identity_max<T>();
  for (i64 i = lane; i < n; i += 32) m = max_nan(m, p[i]);
  m = warp_max(m);
  m = __shfl_sync(0xffffffffu, m, 0);
  double s = 0;
  for (i64 i = lane; i < n; i += 32) s += double(T(exp(p[i] - m)));
  s = warp_sum(s);
  s = __shfl_sync(0xffffffffu, s, 0);
  const bool valid = label >= 0 && i64(label) < n;
  T loss = T(0);
  if (lane == 0) {
    if (!valid) atomicOr(flag, FLAG_LABEL);
    const double lse = double(m) + log(s);
    loss = valid ? T(lse - double(p[label])) : T(NAN);
  }
  if (g != nullptr) {
    const double inv = 1.0 / s;
    for (i64 i = lane; i < n; i += 32) g[i] = softmax_xent_grad(p[i], m, inv, scale, valid && i == i64(label));
  }
  return loss;
}

/** The gradient scale of a mean over `kept` rows: 1 / kept, or 0 when none is kept (their gradient rows are 0 anyway). */
__device__ inline double mean_scale(double kept) { return kept > 0 ? 1.0 / kept : 0.0; }

/**
 * The number of labels other than `ignore`, the same in every thread of the block (which all
 * call it): a block sum through `partial` (one slot per warp), then broadcast in partial[0].
 */
__device__ inline double block_kept(const i32* __restrict__ labels, i32 ignore, i64 rows, double* partial) {
  double count = 0;
  for (i64 row = threadIdx.x; row < rows; row += blockDim.x) count += labels[row] != ignore ? 1.0 : 0.0;
  count = block_sum(count, partial);
  if (threadIdx.x == 0) partial[0] = count;
  __syncthreads();
  count = partial[0];
  __syncthreads();  // partial is written again by the caller
  return count;
}

/** kept[0] = the number of labels other than `ignore` (one block): a mean's divisor, for the launches after it. */
__global__ void __launch_bounds__(1024) count_kept_kernel(const i32* __restrict__ labels, i32 ignore, i64 rows, double* __restrict__ kept) {
  __shared__ double partial[32];
  const double count = block_kept(labels, ignore, rows, partial);
  if (threadIdx.x == 0) kept[0] = count;
}

/** A warp per row of logits: the per-row losses. With `kept` (a mean), the gradient scale is 1 / kept[0] in place of `scale`. */
template <typename T>
__global__ void softmax_xent_kernel(const T* __restrict__ x, const i32* __restrict__ labels, i32 ignore, T* __restrict__ loss, T* __restrict__ grad, double scale,
                                    const double* __restrict__ kept, i64 rows, i64 n, int* flag) {
  if (kept != nullptr) scale = mean_scale(kept[0]);
  const i64 warps = i64(gridDim.x) * (blockDim.x >> 5);
  for (i64 row = i64(blockIdx.x) * (blockDim.x >> 5) + (threadIdx.x >> 5); row < rows; row += warps) {  // warp-uniform
    const T l = softmax_xent_row(x + row * n, labels[row], ignore, grad != nullptr ? grad + row * n : nullptr, scale, n, flag);
    if ((threadIdx.x & 31) == 0) loss[row] = l;
  }
}

/**
 * The reduced loss in one launch (one block of WARPS warps, for a training batch): warp w takes
 * rows w, w + WARPS, ... and sums their losses in double in that order, then the WARPS sums are
 * added in warp order and divided by `divisor`: a fixed order, so the result does not change from
 * run to run. 32 warps for float32; 16 for float64, whose row code needs more than the 64
 * registers a thread of a 1024-thread block may have (it spilled on sm_100). The register cap
 * is what a block of that size may use, so the block always fits on a multiprocessor. With
 * `mean`, the block first counts the rows not labelled `ignore` and divides by that count (the
 * loss, and the gradient in place of `scale`); else by `divisor`.
 */
template <typename T, int WARPS>
__global__ void __maxnreg__(65536 / (WARPS * 32)) softmax_xent_reduced(const T* __restrict__ x, const i32* __restrict__ labels, i32 ignore, T* __restrict__ out,
                                                                   T* __restrict__ grad, double scale, double divisor, bool mean, i64 rows, i64 n, int* flag) {
  __shared__ double partial[WARPS];
  if (mean) {
    divisor = block_kept(labels, ignore, rows, partial);
    scale = mean_scale(divisor);
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  double acc = 0;
  for (i64 row = warp; row < rows; row += WARPS) {
    const T l = softmax_xent_row(x + row * n, labels[row], ignore, grad != nullptr ? grad + row * n : nullptr, scale, n, flag);
    if (lane == 0) acc += double(l);
  }
  write_reduced_loss<T, WARPS>(partial, acc, out, divisor);
}

/**
 * The reduced loss for rows of at most 32 classes (a classifier's logits): a thread per row, as a
 * warp per row would leave most of its lanes idle and walk a large batch 32 rows at a time.
 * Thread t takes rows t, t + WARPS * 32, ... and sums their losses in double in that order; each
 * warp adds its threads' sums (a fixed shuffle tree), thread 0 the warps' in warp order. Each row
 * as softmax_xent_row computes it: the max, the double sum of exp, the loss rounded to T.
 */
template <typename T, int WARPS>
__global__ void __maxnreg__(65536 / (WARPS * 32)) softmax_xent_reduced_narrow(const T* __restrict__ x, const i32* __restrict__ labels, i32 ignore, T* __restrict__ out,
                                                                             T* __restrict__ grad, double scale, double divisor, bool mean, i64 rows, i64 n, int* flag) {
  __shared__ double partial[WARPS];
  if (mean) {
    divisor = block_kept(labels, ignore, rows, partial);
    scale = mean_scale(divisor);
  }
  double acc = 0;
  for (i64 row = threadIdx.x; row < rows; row += WARPS * 32) {
    const T* p = x + row * n;
    if (labels[row] == ignore) {  // no loss, a zero gradient row
      if (grad != nullptr)
        for (i64 i = 0; i < n; i++) grad[row * n + i] = T(0);
      continue;
    }
    T m = identity_max<T>();
    for (i64 i = 0; i < n; i++) m = max_nan(m, p[i]);
    double s = 0;
    for (i64 i = 0; i < n; i++) s += double(T(exp(p[i] - m)));
    const i32 label = labels[row];
    const bool valid = label >= 0 && i64(label) < n;
    if (!valid) atomicOr(flag, FLAG_LABEL);
    const T loss = valid ? T(double(m) + log(s) - double(p[label])) : T(NAN);
    acc += double(loss);
    if (grad != nullptr) {
      T* g = grad + row * n;
      const double inv = 1.0 / s;
      for (i64 i = 0; i < n; i++) g[i] = softmax_xent_grad(p[i], m, inv, scale, valid && i == i64(label));
    }
  }
  write_reduced_loss<T, WARPS>(partial, warp_sum(acc), out, divisor);
}

/** out[0] = the sum of x / divisor (/ kept[0] where kept is given: a mean over the kept rows). */
template <typename T>
__global__ void __launch_bounds__(1024) sum_scalar_kernel(const T* __restrict__ x, T* __restrict__ out, i64 n, double divisor, const double* __restrict__ kept) {
  __shared__ double sums[32];
  double s = 0;
  for (i64 i = threadIdx.x; i < n; i += blockDim.x) s += double(x[i]);
  s = block_sum(s, sums);
  if (threadIdx.x == 0) out[0] = T(s / (kept != nullptr ? kept[0] : divisor));
}

template <typename T>
__global__ void bce_kernel(const T* __restrict__ p, const T* __restrict__ y, T* __restrict__ loss, T* __restrict__ grad, T scale, i64 n) {
  MC_GRID_LOOP(i, n) {
    const T pi = p[i], yi = y[i], q = T(1) - pi, ny = T(1) - yi;
    const T log_p = pi > T(0) ? T(log(pi)) : T(-INFINITY);
    const T log_q = q > T(0) ? T(log(q)) : T(-INFINITY);
    const bool in_p = log_p > T(-100), in_q = log_q > T(-100);
    loss[i] = -(yi * (in_p ? log_p : T(-100)) + ny * (in_q ? log_q : T(-100)));
    if (grad != nullptr) grad[i] = ((in_p ? -yi / pi : T(0)) + (in_q ? ny / q : T(0))) * scale;
  }
}


/** dz for one element: grad times the activation's derivative, written with y (core's rules). */
template <typename T>
__device__ inline T act_backward(int act, T g, T y) {
  switch (act) {
    case ACT_RELU: return y <= T(0) ? T(0) : g;
    case ACT_SIGMOID: return g * T(y * T(T(1) - y));
    case ACT_TANH: return g * T(T(1) - T(y * y));
    default: return g;
  }
}

/**
 * biasActivationBackward in one launch for small [rows, n] inputs: a block per 32 columns, its 8
 * warps each taking every 8th row, writing dz and summing it (in double) for the bias gradient;
 * the 8 partial sums are combined in warp order.
 */
template <typename T>
__global__ void bias_act_backward_kernel(int act, const T* __restrict__ g, const T* __restrict__ y, T* __restrict__ dz, i64 n) {
  MC_GRID_LOOP(i, n) dz[i] = act_backward(act, g[i], y[i]);
}

// A block of 32 columns x BACKWARD_ROWS threads: each thread walks its column's rows with a
// stride of BACKWARD_ROWS, four rows' loads in flight at a time (one block per 32 columns
// leaves few blocks for a [4096, 4096] gradient, so each must keep many loads in flight to use
// the memory bandwidth), adding in double in row order; the block then sums its threads' parts.
constexpr int BACKWARD_ROWS = 16;

template <typename T>
__global__ void __launch_bounds__(32 * BACKWARD_ROWS)
    bias_act_backward_fused(int act, const T* __restrict__ g, const T* __restrict__ y, T* __restrict__ dz, T* __restrict__ db, i64 rows, i64 n) {
  __shared__ double sums[BACKWARD_ROWS][33];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const i64 c = i64(blockIdx.x) * 32 + tx;
  double s = 0;
  if (c < n) {
    constexpr i64 R = BACKWARD_ROWS;
    i64 r = ty;
    for (; r + 3 * R < rows; r += 4 * R) {
      const i64 a0 = r * n + c, a1 = a0 + R * n, a2 = a1 + R * n, a3 = a2 + R * n;
      const T g0 = g[a0], g1 = g[a1], g2 = g[a2], g3 = g[a3];
      const T y0 = y[a0], y1 = y[a1], y2 = y[a2], y3 = y[a3];
      const T d0 = act_backward(act, g0, y0), d1 = act_backward(act, g1, y1);
      const T d2 = act_backward(act, g2, y2), d3 = act_backward(act, g3, y3);
      dz[a0] = d0;
      dz[a1] = d1;
      dz[a2] = d2;
      dz[a3] = d3;
      s += double(d0);
      s += double(d1);
      s += double(d2);
      s += double(d3);
    }
    for (; r < rows; r += R) {
      const i64 at = r * n + c;
      const T d = act_backward(act, g[at], y[at]);
      dz[at] = d;
      s += double(d);
    }
  }
  sums[ty][tx] = s;
  __syncthreads();
  if (ty == 0 && c < n) {
    double total = sums[0][tx];
    for (int w = 1; w < BACKWARD_ROWS; w++) total += sums[w][tx];
    db[c] = T(total);
  }
}

/** Element e (< n * inner) of channel ch of x [n, c, inner]; 32-bit division when x has fewer than 2^31 elements. */
__device__ inline i64 channel_at(i64 e, i64 ch, i64 c, i64 inner, bool narrow) {
  if (narrow) {
    const unsigned u = unsigned(e), in = unsigned(inner);
    return i64((u / in * unsigned(c) + unsigned(ch)) * in + u % in);
  }
  return ((e / inner) * c + ch) * inner + e % inner;
}

/** The channel of element i of x [n, c, inner]. */
__device__ inline i64 channel_of(i64 i, i64 c, i64 inner, bool narrow) {
  if (narrow) return i64((unsigned(i) / unsigned(inner)) % unsigned(c));
  return (i / inner) % c;
}

/** Blocks for the per-channel kernels: one per channel up to this many, then each takes several. */
constexpr i64 CHANNEL_BLOCKS = 1024;

/** A block per channel (several each beyond CHANNEL_BLOCKS): mean and biased variance (two passes in double), or the given ones. */
template <typename T>
__global__ void batch_norm_stats(const T* __restrict__ x, const T* __restrict__ weight, const T* __restrict__ bias, const T* __restrict__ given_mean,
                                 const T* __restrict__ given_var, double eps, T* mean, T* var, T* inv_std, double* coef, i64 n, i64 c, i64 inner) {
  __shared__ double sums[32];
  __shared__ double shared_mean;
  const i64 count = n * inner;
  const bool narrow = n * c * inner < (i64(1) << 31);
  // The bound is the same for every thread of the block: its barriers are reached by all.
  for (i64 ch = blockIdx.x; ch < c; ch += gridDim.x) {
  double m, v;
  if (given_mean == nullptr) {
    double s = 0;
    for (i64 e = threadIdx.x; e < count; e += blockDim.x) s += double(x[channel_at(e, ch, c, inner, narrow)]);
    s = block_sum(s, sums);
    if (threadIdx.x == 0) shared_mean = s / double(count);
    __syncthreads();
    m = shared_mean;
    double q = 0;
    for (i64 e = threadIdx.x; e < count; e += blockDim.x) {
      const double d = double(x[channel_at(e, ch, c, inner, narrow)]) - m;
      q += d * d;
    }
    q = block_sum(q, sums);
    v = q / double(count);
  } else {
    m = double(given_mean[ch]);
    v = double(given_var[ch]);
  }
  if (threadIdx.x == 0) {
    const double s = 1.0 / sqrt(v + eps);
    const double w = weight ? double(weight[ch]) : 1.0;
    coef[2 * ch] = s * w;                                  // scale
    coef[2 * ch + 1] = (bias ? double(bias[ch]) : 0.0) - m * s * w;  // shift
    mean[ch] = T(m);
    var[ch] = T(v);
    inv_std[ch] = T(s);
  }
  }
}

template <typename T>
__global__ void batch_norm_apply(const T* __restrict__ x, const double* __restrict__ coef, T* __restrict__ y, i64 total, i64 c, i64 inner) {
  const bool narrow = total < (i64(1) << 31);
  MC_GRID_LOOP(i, total) {
    const i64 ch = channel_of(i, c, inner, narrow);
    y[i] = x[i] * T(coef[2 * ch]) + T(coef[2 * ch + 1]);
  }
}

template <typename T>
__global__ void batch_norm_backward_sums(const T* __restrict__ g, const T* __restrict__ x, const T* __restrict__ mean, const T* __restrict__ inv_std, T* dw, T* db,
                                         double* sums_out, i64 n, i64 c, i64 inner) {
  __shared__ double sums[32];
  const i64 count = n * inner;
  const bool narrow = n * c * inner < (i64(1) << 31);
  for (i64 ch = blockIdx.x; ch < c; ch += gridDim.x) {
  const double m = double(mean[ch]);
  double sg = 0, sgx = 0;
  for (i64 e = threadIdx.x; e < count; e += blockDim.x) {
    const i64 at = channel_at(e, ch, c, inner, narrow);
    sg += double(g[at]);
    sgx += double(g[at]) * (double(x[at]) - m);
  }
  sg = block_sum(sg, sums);
  sgx = block_sum(sgx, sums);
  if (threadIdx.x == 0) {
    const double sgxhat = sgx * double(inv_std[ch]);
    if (dw != nullptr) dw[ch] = T(sgxhat);
    if (db != nullptr) db[ch] = T(sg);
    sums_out[2 * ch] = sg;
    sums_out[2 * ch + 1] = sgxhat;
  }
  }
}

template <typename T>
__global__ void batch_norm_backward_input(const T* __restrict__ g, const T* __restrict__ x, const T* __restrict__ weight, const T* __restrict__ mean,
                                          const T* __restrict__ inv_std, const double* __restrict__ sums, bool training, T* __restrict__ dx, i64 total, i64 c, i64 inner,
                                          double count) {
  const bool narrow = total < (i64(1) << 31);
  MC_GRID_LOOP(i, total) {
    const i64 ch = channel_of(i, c, inner, narrow);
    const double s = double(inv_std[ch]);
    const double w = weight ? double(weight[ch]) : 1.0;
    if (training) {
      const double m = double(mean[ch]);
      const double a = s * w;
      const double bx = -s * w * sums[2 * ch + 1] / count * s;
      const double cc = -s * w * sums[2 * ch] / count - bx * m;
      dx[i] = T(a * double(g[i]) + bx * double(x[i]) + cc);
    } else {
      dx[i] = g[i] * T(s * w);
    }
  }
}

template <typename T>
void reduce_rows_typed(cudaStream_t s, int op, const void* x, void* out, i64 rows, i64 n) {
  const T* px = static_cast<const T*>(x);
  T* po = static_cast<T*>(out);
  if (n > 2048 && rows <= 65535 * 16) {
    // Long rows: a block each (grid x up to 2^31 - 1).
    reduce_rows_block<T><<<unsigned(rows), THREADS, 0, s>>>(op, px, po, n);
  } else {
    reduce_rows_warp<T><<<blocks_for(rows, 8), THREADS, 0, s>>>(op, px, po, rows, n);
  }
}

}  // namespace

void launch_reduce_rows(cudaStream_t s, int op, int dtype, const void* x, void* out, i64 rows, i64 n) {
  if (rows <= 0) return;
  switch (dtype) {
    case F32: reduce_rows_typed<float>(s, op, x, out, rows, n); break;
    case F64: reduce_rows_typed<double>(s, op, x, out, rows, n); break;
    case I32: reduce_rows_typed<i32>(s, op, x, out, rows, n); break;
    default: reduce_rows_typed<u8>(s, 1, x, out, rows, n); break;  // bool: max only (sum refused by the glue)
  }
}

template <typename T>
static void reduce_cols_split_typed(cudaStream_t s, int op, const void* x, void* out, i64 outer, i64 rows, i64 cols) {
  const dim3 grid(unsigned((cols + 31) / 32), unsigned(outer));
  reduce_cols_split<T><<<grid, dim3(32, 8), 0, s>>>(op, static_cast<const T*>(x), static_cast<T*>(out), rows, cols);
}

void launch_reduce_cols(cudaStream_t s, int op, int dtype, const void* x, void* out, i64 outer, i64 rows, i64 cols) {
  const i64 n = outer * cols;
  if (n <= 0) return;
  if (rows >= 64 && outer <= 65535 && (cols + 31) / 32 <= 0x7fffffff) {
    // Many rows (a bias gradient over a batch): 8 warps share each column's rows.
    switch (dtype) {
      case F32: reduce_cols_split_typed<float>(s, op, x, out, outer, rows, cols); break;
      case F64: reduce_cols_split_typed<double>(s, op, x, out, outer, rows, cols); break;
      case I32: reduce_cols_split_typed<i32>(s, op, x, out, outer, rows, cols); break;
      default: reduce_cols_split_typed<u8>(s, 1, x, out, outer, rows, cols); break;
    }
    return;
  }
  const unsigned blocks = blocks_for(n);
  switch (dtype) {
    case F32: reduce_cols_kernel<float><<<blocks, THREADS, 0, s>>>(op, static_cast<const float*>(x), static_cast<float*>(out), outer, rows, cols); break;
    case F64: reduce_cols_kernel<double><<<blocks, THREADS, 0, s>>>(op, static_cast<const double*>(x), static_cast<double*>(out), outer, rows, cols); break;
    case I32: reduce_cols_kernel<i32><<<blocks, THREADS, 0, s>>>(op, static_cast<const i32*>(x), static_cast<i32*>(out), outer, rows, cols); break;
    default: reduce_cols_kernel<u8><<<blocks, THREADS, 0, s>>>(1, static_cast<const u8*>(x), static_cast<u8*>(out), outer, rows, cols); break;
  }
}

void launch_argmax(cudaStream_t s, int dtype, const void* x, std::int32_t* out, i64 outer, i64 length, i64 inner) {
  const i64 n = outer * inner;
  if (n <= 0) return;
  const unsigned blocks = blocks_for(n);
  switch (dtype) {
    case F32: argmax_kernel<float><<<blocks, THREADS, 0, s>>>(static_cast<const float*>(x), out, outer, length, inner); break;
    case F64: argmax_kernel<double><<<blocks, THREADS, 0, s>>>(static_cast<const double*>(x), out, outer, length, inner); break;
    case I32: argmax_kernel<i32><<<blocks, THREADS, 0, s>>>(static_cast<const i32*>(x), out, outer, length, inner); break;
    default: argmax_kernel<u8><<<blocks, THREADS, 0, s>>>(static_cast<const u8*>(x), out, outer, length, inner); break;
  }
}

void launch_count_kept(cudaStream_t s, const std::int32_t* labels, std::int32_t ignore, i64 rows, double* kept) {
  count_kept_kernel<<<1, 1024, 0, s>>>(labels, ignore, rows, kept);
}

void launch_softmax_xent(cudaStream_t s, int dtype, const void* x, const std::int32_t* labels, std::int32_t ignore, void* loss, void* grad, double scale, const double* kept,
                         i64 rows, i64 n, int* flag) {
  if (rows <= 0) return;
  const unsigned blocks = blocks_for(rows, 8);
  if (dtype == F32) {
    softmax_xent_kernel<float><<<blocks, THREADS, 0, s>>>(static_cast<const float*>(x), labels, ignore, static_cast<float*>(loss), static_cast<float*>(grad), scale, kept, rows, n,
                                                          flag);
  } else {
    softmax_xent_kernel<double><<<blocks, THREADS, 0, s>>>(static_cast<const double*>(x), labels, ignore, static_cast<double*>(loss), static_cast<double*>(grad), scale, kept,
                                                           rows, n, flag);
  }
}

void launch_softmax_xent_reduced(cudaStream_t s, int dtype, const void* x, const std::int32_t* labels, std::int32_t ignore, void* out, void* grad, double scale,
                                 double divisor, bool mean, i64 rows, i64 n, int* flag) {
  const bool narrow = n <= 32;
  if (dtype == F32) {
    const float* px = static_cast<const float*>(x);
    float* po = static_cast<float*>(out);
    float* pg = static_cast<float*>(grad);
    if (narrow) softmax_xent_reduced_narrow<float, 32><<<1, 32 * 32, 0, s>>>(px, labels, ignore, po, pg, scale, divisor, mean, rows, n, flag);
    else softmax_xent_reduced<float, 32><<<1, 32 * 32, 0, s>>>(px, labels, ignore, po, pg, scale, divisor, mean, rows, n, flag);
  } else {
    const double* px = static_cast<const double*>(x);
    double* po = static_cast<double*>(out);
    double* pg = static_cast<double*>(grad);
    if (narrow) softmax_xent_reduced_narrow<double, 16><<<1, 16 * 32, 0, s>>>(px, labels, ignore, po, pg, scale, divisor, mean, rows, n, flag);
    else softmax_xent_reduced<double, 16><<<1, 16 * 32, 0, s>>>(px, labels, ignore, po, pg, scale, divisor, mean, rows, n, flag);
  }
}

void launch_sum_scalar(cudaStream_t s, int dtype, const void* x, void* out, i64 n, double divisor, const double* kept) {
  if (dtype == F32) sum_scalar_kernel<float><<<1, 1024, 0, s>>>(static_cast<const float*>(x), static_cast<float*>(out), n, divisor, kept);
  else sum_scalar_kernel<double><<<1, 1024, 0, s>>>(static_cast<const double*>(x), static_cast<double*>(out), n, divisor, kept);
}

void launch_bce(cudaStream_t s, int dtype, const void* p, const void* y, void* loss, void* grad, double scale, i64 n) {
  if (n <= 0) return;
  const unsigned blocks = blocks_for(n);
  if (dtype == F32) {
    bce_kernel<float><<<blocks, THREADS, 0, s>>>(static_cast<const float*>(p), static_cast<const float*>(y), static_cast<float*>(loss), static_cast<float*>(grad), float(scale), n);
  } else {
    bce_kernel<double><<<blocks, THREADS, 0, s>>>(static_cast<const double*>(p), static_cast<const double*>(y), static_cast<double*>(loss), static_cast<double*>(grad), scale, n);
  }
}

void launch_bias_act_backward_fused(cudaStream_t s, int dtype, int act, const void* g, const void* y, void* dz, void* db, i64 rows, i64 n) {
  if (n <= 0) return;
  const dim3 grid(unsigned((n + 31) / 32));
  if (dtype == F32) {
    bias_act_backward_fused<float><<<grid, dim3(32, BACKWARD_ROWS), 0, s>>>(act, static_cast<const float*>(g), static_cast<const float*>(y), static_cast<float*>(dz), static_cast<float*>(db), rows, n);
  } else {
    bias_act_backward_fused<double><<<grid, dim3(32, BACKWARD_ROWS), 0, s>>>(act, static_cast<const double*>(g), static_cast<const double*>(y), static_cast<double*>(dz), static_cast<double*>(db), rows,
                                                                 n);
  }
}

void launch_bias_act_backward(cudaStream_t s, int dtype, int act, const void* g, const void* y, void* dz, i64 n) {
  if (n <= 0) return;
  const unsigned blocks = blocks_for(n);
  if (dtype == F32) {
    bias_act_backward_kernel<float><<<blocks, THREADS, 0, s>>>(act, static_cast<const float*>(g), static_cast<const float*>(y), static_cast<float*>(dz), n);
  } else {
    bias_act_backward_kernel<double><<<blocks, THREADS, 0, s>>>(act, static_cast<const double*>(g), static_cast<const double*>(y), static_cast<double*>(dz), n);
  }
}

template <typename T>
static void batch_norm_typed(cudaStream_t s, const void* x, const void* weight, const void* bias, const void* given_mean, const void* given_var, double eps, void* y, void* mean,
                             void* var, void* inv_std, double* coef, i64 n, i64 c, i64 inner) {
  batch_norm_stats<T><<<unsigned(std::min(c, CHANNEL_BLOCKS)), THREADS, 0, s>>>(static_cast<const T*>(x), static_cast<const T*>(weight), static_cast<const T*>(bias), static_cast<const T*>(given_mean),
                                                      static_cast<const T*>(given_var), eps, static_cast<T*>(mean), static_cast<T*>(var), static_cast<T*>(inv_std), coef, n, c,
                                                      inner);
  const i64 total = n * c * inner;
  if (total > 0) batch_norm_apply<T><<<blocks_for(total), THREADS, 0, s>>>(static_cast<const T*>(x), coef, static_cast<T*>(y), total, c, inner);
}

void launch_batch_norm(cudaStream_t s, int dtype, const void* x, const void* weight, const void* bias, const void* given_mean, const void* given_var, double eps, void* y,
                       void* mean, void* var, void* inv_std, double* scratch, i64 n, i64 c, i64 inner) {
  if (c <= 0) return;
  if (dtype == F32) batch_norm_typed<float>(s, x, weight, bias, given_mean, given_var, eps, y, mean, var, inv_std, scratch, n, c, inner);
  else batch_norm_typed<double>(s, x, weight, bias, given_mean, given_var, eps, y, mean, var, inv_std, scratch, n, c, inner);
}

template <typename T>
static void batch_norm_backward_typed(cudaStream_t s, const void* g, const void* x, const void* weight, const void* mean, const void* inv_std, bool training, void* dx, void* dw,
                                      void* db, double* scratch, i64 n, i64 c, i64 inner) {
  batch_norm_backward_sums<T><<<unsigned(std::min(c, CHANNEL_BLOCKS)), THREADS, 0, s>>>(static_cast<const T*>(g), static_cast<const T*>(x), static_cast<const T*>(mean), static_cast<const T*>(inv_std),
                                                              static_cast<T*>(dw), static_cast<T*>(db), scratch, n, c, inner);
  const i64 total = n * c * inner;
  if (dx != nullptr && total > 0) {
    batch_norm_backward_input<T><<<blocks_for(total), THREADS, 0, s>>>(static_cast<const T*>(g), static_cast<const T*>(x), static_cast<const T*>(weight),
                                                                       static_cast<const T*>(mean), static_cast<const T*>(inv_std), scratch, training, static_cast<T*>(dx),
                                                                       total, c, inner, double(n * inner));
  }
}

void launch_batch_norm_backward(cudaStream_t s, int dtype, const void* g, const void* x, const void* weight, const void* mean, const void* inv_std, bool training,
                                void* dx, void* dw, void* db, double* scratch, i64 n, i64 c, i64 inner) {
  if (c <= 0) return;
  if (dtype == F32) batch_norm_backward_typed<float>(s, g, x, weight, mean, inv_std, training, dx, dw, db, scratch, n, c, inner);
  else batch_norm_backward_typed<double>(s, g, x, weight, mean, inv_std, training, dx, dw, db, scratch, n, c, inner);
}

}  // namespace mc
