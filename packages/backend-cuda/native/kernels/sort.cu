// Sort along the last axis of x [rows, n]: values and int32 indices, in the contract's one
// order (NaN above +Infinity, -0 equal to +0, equal keys in ascending index order in both
// directions). Every comparison is on the pair (key, index), a strict total order in which no
// two elements are equal, so any correct sorting network gives exactly the stable sort.
//
// A block per row (grid-stride over the rows). A row of up to SORT_TILE values is sorted in
// shared memory by a bitonic network (padded to a power of two with elements that sort last).
// A longer row is sorted tile by tile the same way into the outputs, then the tiles are merged
// pairwise, pass by pass, between the outputs and a global scratch of the same size: each
// element's place in the merged run is its place in its own run plus the number of elements
// of the other run that sort before it (a binary search), so the threads of the block write
// disjoint positions with no ordering among them.
#include <type_traits>

#include "device.cuh"
#include "kernels.h"

namespace mc {
namespace {

using i32 = std::int32_t;

/** Values a block sorts in shared memory (a power of two). */
constexpr int SORT_TILE = 2048;
constexpr int SORT_THREADS = 256;
constexpr unsigned MAX_BLOCKS = 65536;

/** The contract's strict order of keys: NaN above everything (NaNs equal), -0 equal to +0. */
template <typename T>
__device__ inline bool key_less(T a, T b) {
  if constexpr (std::is_floating_point<T>::value) {
    if (b != b) return a == a;
  }
  return a < b;
}

/** Whether (ka, ia) sorts before (kb, ib): by key in the direction, then by ascending index. */
template <typename T>
__device__ inline bool before(T ka, i32 ia, T kb, i32 ib, bool descending) {
  const bool less = descending ? key_less(kb, ka) : key_less(ka, kb);
  if (less) return true;
  const bool greater = descending ? key_less(ka, kb) : key_less(kb, ka);
  return !greater && ia < ib;
}

/**
 * Sorts `count` (<= SORT_TILE) pairs of row[first..] in shared memory and writes them to
 * values/indices[first..]. Indices are positions in the whole row; padding (index -1) sorts last.
 */
template <typename T>
__device__ void sort_tile(const T* row, i64 first, int count, T* values, i32* indices, bool descending, T* keys, i32* idx) {
  int size = 1;
  while (size < count) size <<= 1;
  for (int t = threadIdx.x; t < size; t += blockDim.x) {
    const bool real = t < count;
    keys[t] = real ? row[first + t] : T(0);
    idx[t] = real ? i32(first + t) : -1;
  }
  __syncthreads();
  for (int k = 2; k <= size; k <<= 1) {
    for (int j = k >> 1; j > 0; j >>= 1) {
      for (int t = threadIdx.x; t < size / 2; t += blockDim.x) {
        const int lo = 2 * j * (t / j) + (t % j), hi = lo + j;
        const T klo = keys[lo], khi = keys[hi];
        const i32 ilo = idx[lo], ihi = idx[hi];
        // a sorts before b: padding last, otherwise the pair order
        const bool hi_first = ilo < 0 ? ihi >= 0 : ihi >= 0 && before(khi, ihi, klo, ilo, descending);
        const bool lo_first = ihi < 0 ? ilo >= 0 : ilo >= 0 && before(klo, ilo, khi, ihi, descending);
        const bool up = (lo & k) == 0;
        if (up ? hi_first : lo_first) {
          keys[lo] = khi;
          keys[hi] = klo;
          idx[lo] = ihi;
          idx[hi] = ilo;
        }
      }
      __syncthreads();
    }
  }
  for (int t = threadIdx.x; t < count; t += blockDim.x) {
    values[first + t] = keys[t];
    indices[first + t] = idx[t];
  }
  __syncthreads();  // before the next tile overwrites the shared arrays
}

/** How many of the pairs sv/si[0, len) sort before (k, i) (the run is sorted). */
template <typename T>
__device__ inline i64 count_before(const T* sv, const i32* si, i64 len, T k, i32 i, bool descending) {
  i64 lo = 0, hi = len;
  while (lo < hi) {
    const i64 mid = (lo + hi) / 2;
    if (before(sv[mid], si[mid], k, i, descending)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

template <typename T>
__global__ void sort_kernel(const T* __restrict__ x, T* __restrict__ values, i32* __restrict__ indices, T* __restrict__ scratch_values,
                            i32* __restrict__ scratch_indices, i64 rows, i64 n, bool descending) {
  __shared__ T keys[SORT_TILE];
  __shared__ i32 idx[SORT_TILE];
  for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* row = x + r * n;
    T* v = values + r * n;
    i32* ix = indices + r * n;
    for (i64 first = 0; first < n; first += SORT_TILE) {
      const int count = int(n - first < SORT_TILE ? n - first : SORT_TILE);
      sort_tile(row, first, count, v, ix, descending, keys, idx);
    }
    if (n <= SORT_TILE) continue;
    // Merge runs of `width` pairwise, ping-ponging between the outputs and the scratch.
    T* sv = v;
    i32* si = ix;
    T* dv = scratch_values + i64(blockIdx.x) * n;
    i32* di = scratch_indices + i64(blockIdx.x) * n;
    for (i64 width = SORT_TILE; width < n; width *= 2) {
      for (i64 e = threadIdx.x; e < n; e += blockDim.x) {
        const i64 run = e / width, start_own = run * width;
        const bool left = run % 2 == 0;
        const i64 start_other = left ? start_own + width : start_own - width;
        const i64 end_other = start_other + width < n ? start_other + width : n;
        const i64 len_other = left && start_other >= n ? 0 : end_other - start_other;
        const i64 merged_start = left ? start_own : start_other;
        const i64 pos = e - start_own + (len_other > 0 ? count_before(sv + start_other, si + start_other, len_other, sv[e], si[e], descending) : 0);
        dv[merged_start + pos] = sv[e];
        di[merged_start + pos] = si[e];
      }
      __syncthreads();
      T* tv = sv;
      sv = dv;
      dv = tv;
      i32* ti = si;
      si = di;
      di = ti;
    }
    if (sv != v) {
      for (i64 e = threadIdx.x; e < n; e += blockDim.x) {
        v[e] = sv[e];
        ix[e] = si[e];
      }
    }
    __syncthreads();  // before the next row
  }
}

unsigned sort_blocks(i64 rows) { return unsigned(rows < i64(MAX_BLOCKS) ? rows : i64(MAX_BLOCKS)); }

template <typename T>
void sort_typed(cudaStream_t s, const void* x, void* values, i32* indices, void* scratch_values, i32* scratch_indices, i64 rows, i64 n, bool descending) {
  const unsigned blocks = sort_blocks(rows);
  sort_kernel<T><<<blocks, SORT_THREADS, 0, s>>>(static_cast<const T*>(x), static_cast<T*>(values), indices, static_cast<T*>(scratch_values), scratch_indices, rows, n,
                                                 descending);
}

}  // namespace

i64 sort_scratch_rows(i64 rows, i64 n) { return n > SORT_TILE && rows > 0 ? i64(sort_blocks(rows)) : 0; }

void launch_sort(cudaStream_t s, int dtype, const void* x, void* values, std::int32_t* indices, void* scratch_values, std::int32_t* scratch_indices, i64 rows, i64 n,
                 bool descending) {
  if (rows <= 0 || n <= 0) return;
  switch (dtype) {
    case F32: sort_typed<float>(s, x, values, indices, scratch_values, scratch_indices, rows, n, descending); break;
    case F64: sort_typed<double>(s, x, values, indices, scratch_values, scratch_indices, rows, n, descending); break;
    default: sort_typed<i32>(s, x, values, indices, scratch_values, scratch_indices, rows, n, descending); break;
  }
}

}  // namespace mc
