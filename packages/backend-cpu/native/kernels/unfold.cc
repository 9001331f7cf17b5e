#include "unfold.h"

#include <algorithm>
#include <cstring>

namespace myelin {

namespace {

/** ceil(a / b) for b > 0 and any sign of a. */
inline i64 ceil_div(i64 a, i64 b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

template <typename T>
void unfold_typed(const T* x, T* out, const UnfoldGeometry& g, i64 begin, i64 end) {
  const i64 plane_in = g.height * g.width;
  const i64 length = g.out_h * g.out_w;
  for (i64 p = begin; p < end; p++) {
    const T* src = x + p * plane_in;
    T* dst = out + p * g.kh * g.kw * length;
    for (i64 i = 0; i < g.kh; i++) {
      for (i64 j = 0; j < g.kw; j++, dst += length) {
        const i64 col_offset = j * g.dw - g.pw;
        // ow in [ow_begin, ow_end) reads a column inside the image: 0 <= ow*sw + col_offset < width.
        const i64 ow_begin = std::min(g.out_w, std::max<i64>(0, ceil_div(-col_offset, g.sw)));
        const i64 ow_end = std::max(ow_begin, std::min(g.out_w, ceil_div(g.width - col_offset, g.sw)));
        for (i64 oh = 0; oh < g.out_h; oh++) {
          T* row_out = dst + oh * g.out_w;
          const i64 row = oh * g.sh - g.ph + i * g.dh;
          if (row < 0 || row >= g.height) {
            std::fill(row_out, row_out + g.out_w, T(0));
            continue;
          }
          std::fill(row_out, row_out + ow_begin, T(0));
          const T* row_in = src + row * g.width + col_offset;
          if (g.sw == 1) {
            std::memcpy(row_out + ow_begin, row_in + ow_begin, std::size_t(ow_end - ow_begin) * sizeof(T));
          } else {
            for (i64 ow = ow_begin; ow < ow_end; ow++) row_out[ow] = row_in[ow * g.sw];
          }
          std::fill(row_out + ow_end, row_out + g.out_w, T(0));
        }
      }
    }
  }
}

}  // namespace

void unfold_planes(int elem, const void* x, void* out, const UnfoldGeometry& g, i64 begin, i64 end) {
  if (elem == 8)
    unfold_typed(static_cast<const double*>(x), static_cast<double*>(out), g, begin, end);
  else
    unfold_typed(static_cast<const float*>(x), static_cast<float*>(out), g, begin, end);
}

}  // namespace myelin
