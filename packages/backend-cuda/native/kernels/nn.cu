// Indexing (gather, scatterAdd), windows (unfold, its adjoint fold, max pooling) and the
// multi-tensor optimizer steps (one launch updates every parameter through a device table).
#include "device.cuh"
#include "kernels.h"

namespace mc {
namespace {

using u8 = std::uint8_t;
using i32 = std::int32_t;
using u32 = std::uint32_t;

/** A window's geometry in the index type of a launch: int when every index fits, else i64. */
template <typename I>
struct WindowOf {
  I n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w;
};

template <typename I>
WindowOf<I> window_as(const Window& g) {
  return WindowOf<I>{I(g.n), I(g.c), I(g.h), I(g.w), I(g.kh), I(g.kw), I(g.sh), I(g.sw), I(g.ph), I(g.pw), I(g.dh), I(g.dw), I(g.out_h), I(g.out_w)};
}

/** Whether the tensors of `sizes` elements and every intermediate coordinate of `g` fit int (32-bit division is much faster). */
bool narrow_window(const Window& g, i64 a, i64 b) {
  const i64 limit = i64(1) << 30;
  return a < limit * 2 && b < limit * 2 && g.h + 2 * g.ph + g.dh * g.kh + g.sh < limit && g.w + 2 * g.pw + g.dw * g.kw + g.sw < limit;
}

/** (o, j, in) of element i of an [outer, count, inner] index space; 32-bit division when it has fewer than 2^31 elements. */
__device__ inline void split3(i64 i, i64 count, i64 inner, bool narrow, i64& o, i64& j, i64& in) {
  if (narrow) {
    const unsigned u = unsigned(i), ui = unsigned(inner), uc = unsigned(count);
    in = u % ui;
    j = (u / ui) % uc;
    o = u / (ui * uc);
    return;
  }
  in = i % inner;
  j = (i / inner) % count;
  o = i / (inner * count);
}

/**
 * Where element i of an [outer, count, inner] index space lands in an [outer, dim, inner] tensor
 * whose middle axis is indexed by idx[j]: its offset, or -1 when idx[j] lies outside [0, dim).
 */
__device__ inline i64 indexed_offset(i64 i, const i32* __restrict__ idx, i64 count, i64 dim, i64 inner, bool narrow) {
  i64 o, j, in;
  split3(i, count, inner, narrow, o, j, in);
  const i32 k = idx[j];
  if (k < 0 || i64(k) >= dim) return -1;
  return (o * dim + k) * inner + in;
}

template <typename E>
__global__ void gather_kernel(const E* __restrict__ x, const i32* __restrict__ idx, i64 count, E* __restrict__ out, i64 outer, i64 length, i64 inner, int* flag) {
  const bool narrow = outer * count * inner < (i64(1) << 31);
  MC_GRID_LOOP(i, outer * count * inner) {
    const i64 at = indexed_offset(i, idx, count, length, inner, narrow);
    if (at < 0) {
      atomicOr(flag, FLAG_GATHER);
      out[i] = E(0);
    } else {
      out[i] = x[at];
    }
  }
}

__global__ void zero_double(double* p, i64 n) {
  MC_GRID_LOOP(i, n) p[i] = 0;
}

/** Adds into a float scatter's double accumulator. */
__device__ inline void scatter_add_into(double* at, double v) { atomicAdd(at, v); }
/** Adds into int32 storage, wrapping as int32 storage does. */
__device__ inline void scatter_add_into(i32* at, i32 v) { atomicAdd(reinterpret_cast<unsigned*>(at), u32(v)); }

/** Adds u [outer, count, inner] into acc [outer, dim, inner] at idx along the middle axis; a bad index raises FLAG_SCATTER. */
template <typename T, typename A>
__global__ void scatter_add_kernel(const T* __restrict__ u, const i32* __restrict__ idx, i64 count, A* acc, i64 outer, i64 dim, i64 inner, int* flag) {
  const bool narrow = outer * count * inner < (i64(1) << 31);
  MC_GRID_LOOP(i, outer * count * inner) {
    const i64 at = indexed_offset(i, idx, count, dim, inner, narrow);
    if (at < 0) {
      atomicOr(flag, FLAG_SCATTER);
      continue;
    }
    scatter_add_into(acc + at, A(u[i]));
  }
}

template <typename T>
__global__ void round_from_double(const double* __restrict__ acc, T* __restrict__ out, i64 n) {
  MC_GRID_LOOP(i, n) out[i] = T(acc[i]);
}


/** Calls tap(row, col) for each tap (i, j) of window (oh, ow) that lies inside the input, i outer. */
template <typename I, typename Tap>
__device__ inline void for_each_tap(const WindowOf<I>& g, I oh, I ow, Tap tap) {
  for (I i = 0; i < g.kh; i++) {
    const I row = oh * g.sh - g.ph + i * g.dh;
    if (row < 0 || row >= g.h) continue;
    for (I j = 0; j < g.kw; j++) {
      const I col = ow * g.sw - g.pw + j * g.dw;
      if (col >= 0 && col < g.w) tap(row, col);
    }
  }
}

/** Calls value(v) for each input value v under window e of [n * c, out_h, out_w] (taps in the padding skipped). */
template <typename T, typename I, typename Value>
__device__ inline void for_each_window_value(const WindowOf<I>& g, const T* __restrict__ x, I e, Value value) {
  const I ow = e % g.out_w;
  const I oh = (e / g.out_w) % g.out_h;
  const I plane = e / (g.out_w * g.out_h);
  const T* p = x + plane * g.h * g.w;
  for_each_tap(g, oh, ow, [&](I row, I col) { value(p[row * g.w + col]); });
}

/**
 * Calls window(oh, ow, i, j) for each window (oh, ow) whose tap (i, j) is input element
 * (row, col), i outer: the windows an input element feeds, in a fixed order.
 */
template <typename I, typename Window>
__device__ inline void for_each_window_of(const WindowOf<I>& g, I row, I col, Window window) {
  for (I i = 0; i < g.kh; i++) {
    const I y = row + g.ph - i * g.dh;
    if (y < 0 || y % g.sh != 0) continue;
    const I oh = y / g.sh;
    if (oh >= g.out_h) continue;
    for (I j = 0; j < g.kw; j++) {
      const I x = col + g.pw - j * g.dw;
      if (x < 0 || x % g.sw != 0) continue;
      const I ow = x / g.sw;
      if (ow < g.out_w) window(oh, ow, i, j);
    }
  }
}

/** One thread per element of cols [n, c*kh*kw, out_h*out_w]. */
template <typename T, typename I>
__global__ void unfold_kernel(WindowOf<I> g, const T* __restrict__ x, T* __restrict__ cols, i64 total) {
  MC_GRID_LOOP(e64, total) {
    const I e = I(e64);
    const I ow = e % g.out_w;
    I r = e / g.out_w;
    const I oh = r % g.out_h;
    r /= g.out_h;
    const I j = r % g.kw;
    r /= g.kw;
    const I i = r % g.kh;
    r /= g.kh;  // r = batch * c + channel
    const I row = oh * g.sh - g.ph + i * g.dh;
    const I col = ow * g.sw - g.pw + j * g.dw;
    cols[e] = (row >= 0 && row < g.h && col >= 0 && col < g.w) ? x[(r * g.h + row) * g.w + col] : T(0);
  }
}

/**
 * One thread per input element: the sum of every column entry that unfold read from it (the
 * windows are walked in a fixed order, so the result is deterministic). Accumulated in double.
 */
template <typename T, typename I>
__global__ void fold_kernel(WindowOf<I> g, const T* __restrict__ cols, T* __restrict__ dx, i64 total) {
  const I L = g.out_h * g.out_w;
  MC_GRID_LOOP(e64, total) {
    const I e = I(e64);
    const I col = e % g.w;
    const I row = (e / g.w) % g.h;
    const I plane = e / (g.w * g.h);  // batch * c + channel
    const I b = plane / g.c, ch = plane % g.c;
    double s = 0;
    for_each_window_of(g, row, col, [&](I oh, I ow, I i, I j) {
      s += double(cols[(b * g.c * g.kh * g.kw + (ch * g.kh + i) * g.kw + j) * L + oh * g.out_w + ow]);
    });
    dx[e] = T(s);
  }
}

template <typename T, typename I>
__global__ void max_pool_kernel(WindowOf<I> g, const T* __restrict__ x, T* __restrict__ y, i64 total) {
  MC_GRID_LOOP(e64, total) {
    const I e = I(e64);
    T best = T(-INFINITY);
    for_each_window_value(g, x, e, [&](T v) { best = max_nan(best, v); });
    y[e] = best;
  }
}

/** Per window: its gradient divided by the number of taps equal to the max (NaN when none is: a NaN max). */
template <typename T, typename I>
__global__ void pool_share_kernel(WindowOf<I> g, const T* __restrict__ grad, const T* __restrict__ x, const T* __restrict__ y, T* __restrict__ share, i64 total) {
  MC_GRID_LOOP(e64, total) {
    const I e = I(e64);
    const T best = y[e];
    I count = 0;
    for_each_window_value(g, x, e, [&](T v) { count += v == best ? 1 : 0; });
    share[e] = count > 0 ? grad[e] / T(count) : T(NAN);
  }
}

/** Per input element: the shares of the windows it is a tap of, where it equals the max (every tap of a NaN window). */
template <typename T, typename I>
__global__ void pool_backward_kernel(WindowOf<I> g, const T* __restrict__ x, const T* __restrict__ y, const T* __restrict__ share, T* __restrict__ dx, i64 total) {
  MC_GRID_LOOP(e64, total) {
    const I e = I(e64);
    const I col = e % g.w;
    const I row = (e / g.w) % g.h;
    const I plane = e / (g.w * g.h);
    const T v = x[e];
    T s = T(0);
    for_each_window_of(g, row, col, [&](I oh, I ow, I, I) {
      const I at = (plane * g.out_h + oh) * g.out_w + ow;
      const T best = y[at];
      if (best != best || v == best) s += share[at];  // a NaN max gives its NaN share to every tap
    });
    dx[e] = s;
  }
}

/** The entry owning chunk `chunk` (entries sorted by first_chunk). */
template <typename Entry>
__device__ inline int find_entry(const Entry* table, int entries, i64 chunk) {
  int lo = 0, hi = entries - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) >> 1;
    if (table[mid].first_chunk <= chunk) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The entry owning this block's chunk, and the chunk's elements [begin, end) in it. */
template <typename Entry>
__device__ inline const Entry& block_chunk(const Entry* table, int entries, i64& begin, i64& end) {
  const i64 chunk = blockIdx.x;
  const Entry& e = table[find_entry(table, entries, chunk)];
  begin = (chunk - e.first_chunk) * OPT_CHUNK;
  end = begin + OPT_CHUNK < e.size ? begin + OPT_CHUNK : e.size;
  return e;
}

template <typename T>
__global__ void adam_many_kernel(const AdamEntry* __restrict__ table, int entries, AdamConstants k) {
  i64 begin, end;
  const AdamEntry& e = block_chunk(table, entries, begin, end);
  const T* p = static_cast<const T*>(e.p);
  const T* g = static_cast<const T*>(e.g);
  const T* m = static_cast<const T*>(e.m);
  const T* v = static_cast<const T*>(e.v);
  T* po = static_cast<T*>(e.po);
  T* mo = static_cast<T*>(e.mo);
  T* vo = static_cast<T*>(e.vo);
  const T decay = T(k.decay), coupled = T(k.coupled_decay), b1 = T(k.b1), omb1 = T(k.one_minus_b1);
  const T b2 = T(k.b2), omb2 = T(k.one_minus_b2), step = T(k.step_size), corr2 = T(k.correction2), eps = T(k.eps);
  const bool use_decay = k.decay != 1, use_coupled = k.coupled_decay != 0;
  for (i64 i = begin + threadIdx.x; i < end; i += blockDim.x) {
    T w = p[i];
    if (use_decay) w = w * decay;
    const T grad = use_coupled ? T(g[i] + T(w * coupled)) : g[i];
    const T first = T(m[i] * b1) + T(grad * omb1);
    const T second = T(v[i] * b2) + T(T(grad * grad) * omb2);
    const T denom = T(sqrt(second) / corr2) + eps;
    po[i] = w - T(T(first / denom) * step);
    mo[i] = first;
    vo[i] = second;
  }
}

template <typename T>
__global__ void sgd_many_kernel(const SgdEntry* __restrict__ table, int entries, SgdConstants k) {
  i64 begin, end;
  const SgdEntry& e = block_chunk(table, entries, begin, end);
  const T* p = static_cast<const T*>(e.p);
  const T* g = static_cast<const T*>(e.g);
  const T* buf = static_cast<const T*>(e.buf);
  T* po = static_cast<T*>(e.po);
  T* bo = static_cast<T*>(e.bo);
  const T lr = T(k.lr), mom = T(k.momentum), omd = T(k.one_minus_dampening), wd = T(k.weight_decay);
  const bool use_wd = k.weight_decay != 0, use_mom = k.momentum != 0;
  for (i64 i = begin + threadIdx.x; i < end; i += blockDim.x) {
    T d = use_wd ? T(g[i] + T(p[i] * wd)) : g[i];
    if (use_mom) {
      const T nb = buf == nullptr ? d : T(T(buf[i] * mom) + T(d * omd));
      bo[i] = nb;
      d = k.nesterov ? T(d + T(nb * mom)) : nb;
    }
    po[i] = p[i] - T(d * lr);
  }
}

}  // namespace

void launch_gather(cudaStream_t s, int elem, const void* x, const std::int32_t* idx, i64 count, void* out, i64 outer, i64 length, i64 inner, int* flag) {
  const i64 n = outer * count * inner;
  if (n <= 0) return;
  const unsigned blocks = blocks_for(n);
  switch (elem) {
    case 1: gather_kernel<u8><<<blocks, THREADS, 0, s>>>(static_cast<const u8*>(x), idx, count, static_cast<u8*>(out), outer, length, inner, flag); break;
    case 4: gather_kernel<u32><<<blocks, THREADS, 0, s>>>(static_cast<const u32*>(x), idx, count, static_cast<u32*>(out), outer, length, inner, flag); break;
    default:
      gather_kernel<std::uint64_t><<<blocks, THREADS, 0, s>>>(static_cast<const std::uint64_t*>(x), idx, count, static_cast<std::uint64_t*>(out), outer, length, inner, flag);
      break;
  }
}

void launch_scatter_add(cudaStream_t s, int dtype, const void* u, const std::int32_t* idx, i64 count, void* out, double* acc, i64 outer, i64 dim, i64 inner, int* flag) {
  const i64 size = outer * dim * inner;
  const i64 n = outer * count * inner;
  if (dtype == I32) {
    if (size > 0) cudaMemsetAsync(out, 0, std::size_t(size) * 4, s);
    if (n > 0) scatter_add_kernel<i32, i32><<<blocks_for(n), THREADS, 0, s>>>(static_cast<const i32*>(u), idx, count, static_cast<i32*>(out), outer, dim, inner, flag);
    return;
  }
  if (size <= 0) return;
  zero_double<<<blocks_for(size), THREADS, 0, s>>>(acc, size);
  if (dtype == F32) {
    if (n > 0) scatter_add_kernel<float, double><<<blocks_for(n), THREADS, 0, s>>>(static_cast<const float*>(u), idx, count, acc, outer, dim, inner, flag);
    round_from_double<float><<<blocks_for(size), THREADS, 0, s>>>(acc, static_cast<float*>(out), size);
  } else {
    if (n > 0) scatter_add_kernel<double, double><<<blocks_for(n), THREADS, 0, s>>>(static_cast<const double*>(u), idx, count, acc, outer, dim, inner, flag);
    round_from_double<double><<<blocks_for(size), THREADS, 0, s>>>(acc, static_cast<double*>(out), size);
  }
}

namespace {

template <typename T, typename I>
void unfold_typed(cudaStream_t s, const Window& g, const void* x, void* cols, i64 total) {
  unfold_kernel<T, I><<<blocks_for(total), THREADS, 0, s>>>(window_as<I>(g), static_cast<const T*>(x), static_cast<T*>(cols), total);
}

template <typename T, typename I>
void fold_typed(cudaStream_t s, const Window& g, const void* cols, void* dx, i64 total) {
  fold_kernel<T, I><<<blocks_for(total), THREADS, 0, s>>>(window_as<I>(g), static_cast<const T*>(cols), static_cast<T*>(dx), total);
}

template <typename T, typename I>
void max_pool_typed(cudaStream_t s, const Window& g, const void* x, void* y, i64 total) {
  max_pool_kernel<T, I><<<blocks_for(total), THREADS, 0, s>>>(window_as<I>(g), static_cast<const T*>(x), static_cast<T*>(y), total);
}

template <typename T, typename I>
void max_pool_backward_typed(cudaStream_t s, const Window& g, const void* grad, const void* x, const void* y, void* share, void* dx, i64 windows, i64 total) {
  const WindowOf<I> w = window_as<I>(g);
  if (windows > 0) {
    pool_share_kernel<T, I><<<blocks_for(windows), THREADS, 0, s>>>(w, static_cast<const T*>(grad), static_cast<const T*>(x), static_cast<const T*>(y), static_cast<T*>(share),
                                                                      windows);
  }
  pool_backward_kernel<T, I><<<blocks_for(total), THREADS, 0, s>>>(w, static_cast<const T*>(x), static_cast<const T*>(y), static_cast<const T*>(share), static_cast<T*>(dx), total);
}

/** Runs `run(T{}, I{})` for the window's dtype (float or double) and index type (int where narrow_window allows, else i64). */
template <typename Run>
void with_window_types(int dtype, bool narrow, Run&& run) {
  if (dtype == F32) narrow ? run(float{}, int{}) : run(float{}, i64{});
  else narrow ? run(double{}, int{}) : run(double{}, i64{});
}

}  // namespace

void launch_unfold(cudaStream_t s, int dtype, const Window& g, const void* x, void* cols) {
  const i64 total = g.n * g.c * g.kh * g.kw * g.out_h * g.out_w;
  if (total <= 0) return;
  with_window_types(dtype, narrow_window(g, total, g.n * g.c * g.h * g.w),
                    [&](auto t, auto i) { unfold_typed<decltype(t), decltype(i)>(s, g, x, cols, total); });
}

void launch_fold(cudaStream_t s, int dtype, const Window& g, const void* cols, void* dx) {
  const i64 total = g.n * g.c * g.h * g.w;
  if (total <= 0) return;
  with_window_types(dtype, narrow_window(g, total, g.n * g.c * g.kh * g.kw * g.out_h * g.out_w),
                    [&](auto t, auto i) { fold_typed<decltype(t), decltype(i)>(s, g, cols, dx, total); });
}

void launch_max_pool(cudaStream_t s, int dtype, const Window& g, const void* x, void* y) {
  const i64 total = g.n * g.c * g.out_h * g.out_w;
  if (total <= 0) return;
  with_window_types(dtype, narrow_window(g, total, g.n * g.c * g.h * g.w),
                    [&](auto t, auto i) { max_pool_typed<decltype(t), decltype(i)>(s, g, x, y, total); });
}

void launch_max_pool_backward(cudaStream_t s, int dtype, const Window& g, const void* grad, const void* x, const void* y, void* share, void* dx) {
  const i64 windows = g.n * g.c * g.out_h * g.out_w;
  const i64 total = g.n * g.c * g.h * g.w;
  if (total <= 0) return;
  with_window_types(dtype, narrow_window(g, total, windows), [&](auto t, auto i) {
    max_pool_backward_typed<decltype(t), decltype(i)>(s, g, grad, x, y, share, dx, windows, total);
  });
}

void launch_adam_many(cudaStream_t s, int dtype, const AdamEntry* table, int entries, i64 chunks, const AdamConstants& k) {
  if (chunks <= 0 || entries <= 0) return;
  if (dtype == F32) adam_many_kernel<float><<<unsigned(chunks), THREADS, 0, s>>>(table, entries, k);
  else adam_many_kernel<double><<<unsigned(chunks), THREADS, 0, s>>>(table, entries, k);
}

void launch_sgd_many(cudaStream_t s, int dtype, const SgdEntry* table, int entries, i64 chunks, const SgdConstants& k) {
  if (chunks <= 0 || entries <= 0) return;
  if (dtype == F32) sgd_many_kernel<float><<<unsigned(chunks), THREADS, 0, s>>>(table, entries, k);
  else sgd_many_kernel<double><<<unsigned(chunks), THREADS, 0, s>>>(table, entries, k);
}

}  // namespace mc
