#include "movement.h"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

namespace myelin {

namespace {
using i32 = std::int32_t;
using u8 = std::uint8_t;

template <typename E>
void copy_rows(const Loop& loop, const void* src, void* dst, bool gather, i64 begin, i64 end) {
  const E* s = static_cast<const E*>(src);
  E* d = static_cast<E*>(dst);
  walk_rows(loop, begin, end, [&](const i64* off, const i64* inner, i64 pos, i64 len) {
    const i64 st = inner[0];
    if (gather) {
      const E* __restrict from = s + off[0];
      E* __restrict to = d + pos;
      if (st == 1) std::memcpy(to, from, std::size_t(len) * sizeof(E));
      else if (st == 0) for (i64 i = 0; i < len; i++) to[i] = *from;
      else for (i64 i = 0; i < len; i++) to[i] = from[i * st];
    } else {
      const E* __restrict from = s + pos;
      E* __restrict to = d + off[0];
      if (st == 1) std::memcpy(to, from, std::size_t(len) * sizeof(E));
      else for (i64 i = 0; i < len; i++) to[i * st] = from[i];
    }
  });
}

template <typename E>
void transpose_tiles(const E* x, E* out, i64 rows, i64 cols, i64 b, i64 e) {
  constexpr i64 T = 16;
  for (i64 r0 = b; r0 < e; r0 += T) {
    const i64 r1 = r0 + T < e ? r0 + T : e;
    for (i64 c0 = 0; c0 < cols; c0 += T) {
      const i64 c1 = c0 + T < cols ? c0 + T : cols;
      for (i64 c = c0; c < c1; c++) {
        E* __restrict o = out + c * rows;
        for (i64 r = r0; r < r1; r++) o[r] = x[r * cols + c];
      }
    }
  }
}

template <typename T>
void argmax_typed(const T* x, i32* out, i64 outer, i64 length, i64 inner, i64 b, i64 e) {
  // Rows [b, e) of the [outer, inner] output, walked by outer index.
  (void)outer;
  for (i64 o = b; o < e; o++) {
    const T* base = x + o * length * inner;
    i32* dst = out + o * inner;
    for (i64 j = 0; j < inner; j++) {
      T best = base[j];
      i32 index = 0;
      for (i64 k = 1; k < length; k++) {
        const T v = base[k * inner + j];
        if constexpr (std::is_floating_point_v<T>) {
          if (!(v <= best) && best == best) {
            best = v;
            index = i32(k);
          }
        } else if (v > best) {
          best = v;
          index = i32(k);
        }
      }
      dst[j] = index;
    }
  }
}

template <typename T>
void scatter_typed(const T* u, const i32* idx, i64 count, T* out, double* acc, i64 outer, i64 dim, i64 inner) {
  if constexpr (std::is_floating_point_v<T>) {
    const T* s = u;
    for (i64 o = 0; o < outer; o++) {
      for (i64 i = 0; i < count; i++, s += inner) {
        double* __restrict t = acc + (o * dim + idx[i]) * inner;
        for (i64 j = 0; j < inner; j++) t[j] += double(s[j]);
      }
    }
    const i64 n = outer * dim * inner;
    for (i64 i = 0; i < n; i++) out[i] = T(acc[i]);
  } else {
    (void)acc;
    const T* s = u;
    for (i64 o = 0; o < outer; o++) {
      for (i64 i = 0; i < count; i++, s += inner) {
        T* __restrict t = out + (o * dim + idx[i]) * inner;
        for (i64 j = 0; j < inner; j++) t[j] = T(std::uint32_t(t[j]) + std::uint32_t(s[j]));
      }
    }
  }
}
}  // namespace

bool make_strided_loop(Loop& loop, const i64* shape, int rank, const i64* strides) {
  if (rank > MAX_RANK) return false;
  loop.operands = 1;
  int r = 0;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 1) continue;
    if (r > 0 && loop.strides[0][r - 1] == strides[d] * shape[d]) {
      loop.shape[r - 1] *= shape[d];
      loop.strides[0][r - 1] = strides[d];
      continue;
    }
    loop.shape[r] = shape[d];
    loop.strides[0][r] = strides[d];
    r++;
  }
  if (r == 0) {
    loop.shape[0] = 1;
    loop.strides[0][0] = 0;
    r = 1;
  }
  loop.rank = r;
  return true;
}

void strided_copy(int elem, const Loop& loop, const void* src, void* dst, bool gather, i64 begin, i64 end) {
  switch (elem) {
    case 1: copy_rows<u8>(loop, src, dst, gather, begin, end); break;
    case 4: copy_rows<std::uint32_t>(loop, src, dst, gather, begin, end); break;
    case 8: copy_rows<std::uint64_t>(loop, src, dst, gather, begin, end); break;
  }
}

void transpose2d(int elem, const void* x, void* out, i64 rows, i64 cols, i64 b, i64 e) {
  switch (elem) {
    case 1: transpose_tiles(static_cast<const u8*>(x), static_cast<u8*>(out), rows, cols, b, e); break;
    case 4:
      transpose_tiles(static_cast<const std::uint32_t*>(x), static_cast<std::uint32_t*>(out), rows, cols, b, e);
      break;
    case 8:
      transpose_tiles(static_cast<const std::uint64_t*>(x), static_cast<std::uint64_t*>(out), rows, cols, b, e);
      break;
  }
}

void fill_pattern(int elem, void* dst, const void* value, i64 n) {
  if (elem == 1) {
    std::memset(dst, *static_cast<const u8*>(value), std::size_t(n));
  } else if (elem == 4) {
    std::uint32_t v;
    std::memcpy(&v, value, 4);
    std::uint32_t* d = static_cast<std::uint32_t*>(dst);
    for (i64 i = 0; i < n; i++) d[i] = v;
  } else {
    std::uint64_t v;
    std::memcpy(&v, value, 8);
    std::uint64_t* d = static_cast<std::uint64_t*>(dst);
    for (i64 i = 0; i < n; i++) d[i] = v;
  }
}

void gather_rows(int elem, const void* x, const i32* idx, i64 count, void* out, i64 length, i64 inner, i64 b,
                 i64 e) {
  const u8* src = static_cast<const u8*>(x);
  u8* dst = static_cast<u8*>(out);
  const std::size_t row = std::size_t(inner) * std::size_t(elem);
  for (i64 o = b; o < e; o++) {
    const u8* base = src + std::size_t(o * length) * row;
    u8* to = dst + std::size_t(o * count) * row;
    for (i64 t = 0; t < count; t++) std::memcpy(to + std::size_t(t) * row, base + std::size_t(idx[t]) * row, row);
  }
}

void scatter_add(int dtype, const void* u, const i32* idx, i64 count, void* out, double* acc, i64 outer, i64 dim,
                 i64 inner) {
  switch (dtype) {
    case F32:
      scatter_typed(static_cast<const float*>(u), idx, count, static_cast<float*>(out), acc, outer, dim, inner);
      break;
    case F64:
      scatter_typed(static_cast<const double*>(u), idx, count, static_cast<double*>(out), acc, outer, dim, inner);
      break;
    case I32:
      scatter_typed(static_cast<const i32*>(u), idx, count, static_cast<i32*>(out), acc, outer, dim, inner);
      break;
  }
}

namespace {

/** The contract's strict order of keys: NaN above everything (NaNs equal), -0 equal to +0. */
template <typename T>
bool key_less(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (b != b) return a == a;  // a number is below NaN; NaN is not below NaN
  }
  return a < b;
}

template <typename T>
void sort_rows_typed(const T* x, T* values, i32* indices, i64 length, bool descending, i64 b, i64 e) {
  std::vector<i32> order(static_cast<std::size_t>(length));
  for (i64 r = b; r < e; r++) {
    const T* row = x + r * length;
    for (i64 k = 0; k < length; k++) order[std::size_t(k)] = i32(k);
    // Ties broken by index make the (unstable) introsort's result that of a stable sort.
    if (descending) {
      std::sort(order.begin(), order.end(), [row](i32 i, i32 j) { return key_less(row[j], row[i]) || (!key_less(row[i], row[j]) && i < j); });
    } else {
      std::sort(order.begin(), order.end(), [row](i32 i, i32 j) { return key_less(row[i], row[j]) || (!key_less(row[j], row[i]) && i < j); });
    }
    T* vout = values + r * length;
    i32* iout = indices + r * length;
    for (i64 k = 0; k < length; k++) {
      const i32 i = order[std::size_t(k)];
      iout[k] = i;
      vout[k] = row[i];
    }
  }
}

}  // namespace

void sort_rows(int dtype, const void* x, void* values, i32* indices, i64 length, bool descending, i64 b, i64 e) {
  switch (dtype) {
    case F32: sort_rows_typed(static_cast<const float*>(x), static_cast<float*>(values), indices, length, descending, b, e); break;
    case F64: sort_rows_typed(static_cast<const double*>(x), static_cast<double*>(values), indices, length, descending, b, e); break;
    case I32: sort_rows_typed(static_cast<const i32*>(x), static_cast<i32*>(values), indices, length, descending, b, e); break;
  }
}

void argmax(int dtype, const void* x, i32* out, i64 outer, i64 length, i64 inner, i64 b, i64 e) {
  switch (dtype) {
    case F32: argmax_typed(static_cast<const float*>(x), out, outer, length, inner, b, e); break;
    case F64: argmax_typed(static_cast<const double*>(x), out, outer, length, inner, b, e); break;
    case I32: argmax_typed(static_cast<const i32*>(x), out, outer, length, inner, b, e); break;
    case BOOL: argmax_typed(static_cast<const u8*>(x), out, outer, length, inner, b, e); break;
  }
}

}  // namespace myelin
