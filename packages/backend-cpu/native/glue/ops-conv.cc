// unfold (im2col), the windowed gather of contract v3: every size is checked here before the
// kernel runs.
#include "../kernels/unfold.h"
#include "ops.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstring>
#include <type_traits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace myelin {

namespace {

/** The kernels' geometry of a checked window. */
UnfoldGeometry unfold_geometry(const WindowShape& w) {
  UnfoldGeometry g{};
  g.height = w.h;
  g.width = w.w;
  g.kh = w.kh;
  g.kw = w.kw;
  g.sh = w.sh;
  g.sw = w.sw;
  g.ph = w.ph;
  g.pw = w.pw;
  g.dh = w.dh;
  g.dw = w.dw;
  g.out_h = w.out_h;
  g.out_w = w.out_w;
  return g;
}

}  // namespace

/** unfold(x, kh, kw, sh, sw, ph, pw, dh, dw) -> [N, C*kh*kw, outH*outW]. */
napi_value Unfold(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    const UnfoldGeometry g = unfold_geometry(window_of(a, x, 1, "unfold"));
    const i64 planes = x.shape[0] * x.shape[1];
    const i64 taps = g.kh * g.kw;
    const i64 length = g.out_h * g.out_w;
    // Each factor is below 2^31 (dims) or 1e12 (taps, length); check the product before allocating.
    const double total = double(planes) * double(taps) * double(length);
    if (total > 9.0e15) throw argument_error("unfold: output of " + std::to_string(total) + " elements is too large");
    const i64 shape[3] = {x.shape[0], x.shape[1] * taps, length};
    const int id = new_tensor(a.st, x.dtype, shape, 3);
    const Tensor& out = tensor_at(a.st, id);
    if (out.size > 0) {
      const void* src = x.data();
      void* dst = tensor_at(a.st, id).data();
      const int elem = int(dtype_size(x.dtype));
      parallel_for(a.st, planes, taps * length, [&](i64 b, i64 e) { unfold_planes(elem, src, dst, g, b, e); });
    }
    return make_int(env, id);
  });
}

}  // namespace myelin

// The fused convolution (optional contract kernels conv2d / conv2dBackward): per image and group,
// im2col into a reused scratch buffer, then one GEMM; the backward runs the adjoint products and
// col2im (fold). Every size is checked before a kernel runs.
namespace myelin {

void gemm_into(State* st, bool ta, bool tb, i64 m, i64 n, i64 k, const float* A, const float* B, float* C);
void gemm_into(State* st, bool ta, bool tb, i64 m, i64 n, i64 k, const double* A, const double* B, double* C);

namespace {

struct ConvShape {
  ConvDims checked;  // what glue::conv_dims checked
  i64 n, c, o, cg, og, groups, k, length, plane;
  UnfoldGeometry g;
};

/** Checks x [N, C, H, W], weight [O, C/groups, kh, kw] and the window arguments from slot `first`. */
ConvShape conv_shape(Args& a, const Tensor& x, const Tensor& w, size_t first, const char* op) {
  const ConvDims d = conv_dims(a, x, w, first, op);
  ConvShape s{};
  s.checked = d;
  s.n = d.g.n;
  s.c = d.g.c;
  s.o = d.o;
  s.cg = d.cg;
  s.og = d.og;
  s.groups = d.groups;
  s.k = d.k;
  s.length = d.length;
  s.g = unfold_geometry(d.g);
  s.plane = s.g.height * s.g.width;
  // The scratch (one image's columns of one group) and the output must stay far inside i64.
  if (double(s.k) * double(s.length) > 4.0e9 || double(s.n) * double(s.o) * double(s.length) > 9.0e15) {
    throw argument_error(std::string(op) + ": the columns of " + std::to_string(s.k) + " x " + std::to_string(s.length) + " are too large");
  }
  return s;
}

/** A scratch of `count` elements of T (the state's reused buffer). */
template <typename T>
T* typed_scratch(State* st, i64 count) {
  return reinterpret_cast<T*>(scratch(st, (count * i64(sizeof(T)) + 7) / 8));
}

/** ceil(a / b) for b > 0 and any sign of a. */
inline i64 ceil_div_any(i64 a, i64 b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

/** The first output column whose tap (at col_offset) lies inside the image: ow * sw + col_offset >= 0. */
inline i64 window_begin(i64 col_offset, i64 sw, i64 out_w) { return std::min(out_w, std::max<i64>(0, ceil_div_any(-col_offset, sw))); }

/**
 * Columns are built for this many elements at most per chunk of images (at least one image):
 * small enough to stay in L2 between im2col and the GEMM (LeNet's layers at batch 64, 1 thread:
 * 2^17 runs forward ~2x and backward ~1.3-2.4x faster than 2^23, and beats one image at a time).
 */
constexpr i64 CONV_CHUNK_ELEMENTS = i64(1) << 17;

/** Images per chunk: the columns [k, images * L] of one group stay within CONV_CHUNK_ELEMENTS. */
i64 chunk_images(const ConvShape& s) {
  const i64 per_image = (s.k + s.og) * s.length;
  const i64 images = per_image > 0 ? CONV_CHUNK_ELEMENTS / per_image : s.n;
  return std::max<i64>(1, std::min(s.n, images));
}

/**
 * im2col of `images` images' group planes (x points at image 0's first plane of the group) into
 * cols [k, images * L]: row r of image i at cols + r * ld + i * L.
 */
template <typename T>
void im2col(const T* x, T* cols, const ConvShape& s, i64 images, i64 ld) {
  const UnfoldGeometry& g = s.g;
  const i64 ow_full = g.out_w;
  for (i64 i = 0; i < images; i++) {
    const T* image = x + i * s.c * s.plane;
    T* dst_image = cols + i * s.length;
    i64 r = 0;
    for (i64 p = 0; p < s.cg; p++) {
      const T* src = image + p * s.plane;
      for (i64 a = 0; a < g.kh; a++) {
        for (i64 b = 0; b < g.kw; b++, r++) {
          T* dst = dst_image + r * ld;
          const i64 col_offset = b * g.dw - g.pw;
          const i64 ow_begin = window_begin(col_offset, g.sw, ow_full);
          const i64 ow_end = std::max(ow_begin, std::min(ow_full, ceil_div_any(g.width - col_offset, g.sw)));
          for (i64 oh = 0; oh < g.out_h; oh++) {
            T* row_out = dst + oh * ow_full;
            const i64 row = oh * g.sh - g.ph + a * g.dh;
            if (row < 0 || row >= g.height) {
              std::fill(row_out, row_out + ow_full, T(0));
              continue;
            }
            const T* row_in = src + row * g.width + col_offset;
            std::fill(row_out, row_out + ow_begin, T(0));
            if (g.sw == 1) {
              std::copy(row_in + ow_begin, row_in + ow_end, row_out + ow_begin);
            } else {
              for (i64 ow = ow_begin; ow < ow_end; ow++) row_out[ow] = row_in[ow * g.sw];
            }
            std::fill(row_out + ow_end, row_out + ow_full, T(0));
          }
        }
      }
    }
  }
}

/** col2im: adds cols [k, images * L] (layout as im2col) back into the images' group planes. */
template <typename T>
void col2im_add(const T* cols, T* dx, const ConvShape& s, i64 images, i64 ld) {
  const UnfoldGeometry& g = s.g;
  for (i64 i = 0; i < images; i++) {
    T* image = dx + i * s.c * s.plane;
    const T* src_image = cols + i * s.length;
    i64 r = 0;
    for (i64 p = 0; p < s.cg; p++) {
      T* plane = image + p * s.plane;
      for (i64 a = 0; a < g.kh; a++) {
        for (i64 b = 0; b < g.kw; b++, r++) {
          const T* src = src_image + r * ld;
          const i64 col_offset = b * g.dw - g.pw;
          const i64 ow_begin = window_begin(col_offset, g.sw, g.out_w);
          const i64 ow_end = std::max(ow_begin, std::min(g.out_w, ceil_div_any(g.width - col_offset, g.sw)));
          for (i64 oh = 0; oh < g.out_h; oh++) {
            const i64 row = oh * g.sh - g.ph + a * g.dh;
            if (row < 0 || row >= g.height) continue;
            T* dst = plane + row * g.width;
            const T* row_src = src + oh * g.out_w;
            T* row_dst = dst + col_offset;
            if (g.sw == 1) {
              for (i64 ow = ow_begin; ow < ow_end; ow++) row_dst[ow] += row_src[ow];
            } else {
              for (i64 ow = ow_begin; ow < ow_end; ow++) row_dst[ow * g.sw] += row_src[ow];
            }
          }
        }
      }
    }
  }
}

/**
 * Forward: per chunk of images and group, cols [k, images * L], one GEMM W_g [og, k] x cols into
 * [og, images * L], then scattered to y [N, O, L] with the bias.
 */
template <typename T>
void conv_forward(State* st, const ConvShape& s, const T* x, const T* w, const T* bias, T* out) {
  const i64 chunk = chunk_images(s);
  T* cols = typed_scratch<T>(st, (s.k + s.og) * chunk * s.length);
  for (i64 n0 = 0; n0 < s.n; n0 += chunk) {
    const i64 images = std::min(chunk, s.n - n0);
    const i64 ld = images * s.length;
    T* product = cols + s.k * ld;
    for (i64 grp = 0; grp < s.groups; grp++) {
      im2col(x + (n0 * s.c + grp * s.cg) * s.plane, cols, s, images, ld);
      gemm_into(st, false, false, s.og, ld, s.k, w + grp * s.og * s.k, cols, product);
      for (i64 oc = 0; oc < s.og; oc++) {
        const i64 ch = grp * s.og + oc;
        const T b = bias != nullptr ? bias[ch] : T(0);
        for (i64 i = 0; i < images; i++) {
          const T* src = product + oc * ld + i * s.length;
          T* dst = out + ((n0 + i) * s.o + ch) * s.length;
          for (i64 l = 0; l < s.length; l++) dst[l] = src[l] + b;
        }
      }
    }
  }
}

/**
 * Backward per chunk of images and group: dY_g gathered into [og, images * L]; dW_g += dY_g
 * cols^T (one GEMM over images * L), dcols = W_g^T dY_g (one GEMM) folded back by col2im.
 */
template <typename T>
void conv_backward(State* st, const ConvShape& s, const T* grad, const T* x, const T* w, T* dx, T* dw, T* db) {
  const i64 chunk = chunk_images(s);
  T* cols = typed_scratch<T>(st, (s.k + s.og) * chunk * s.length + s.og * s.k);
  if (dx != nullptr) std::fill(dx, dx + s.n * s.c * s.plane, T(0));
  if (dw != nullptr) std::fill(dw, dw + s.o * s.k, T(0));
  if (db != nullptr) {
    for (i64 ch = 0; ch < s.o; ch++) {
      T total = 0;
      for (i64 i = 0; i < s.n; i++) {
        const T* row = grad + (i * s.o + ch) * s.length;
        for (i64 l = 0; l < s.length; l++) total += row[l];
      }
      db[ch] = total;
    }
  }
  // No columns (C = 0) or no output channels: dx and dw are zeros, and the loops below would walk
  // up to 2^50 images doing nothing.
  if ((dx == nullptr && dw == nullptr) || s.k == 0 || s.og == 0) return;
  for (i64 n0 = 0; n0 < s.n; n0 += chunk) {
    const i64 images = std::min(chunk, s.n - n0);
    const i64 ld = images * s.length;
    T* gathered = cols + s.k * ld;
    T* partial = gathered + s.og * ld;
    for (i64 grp = 0; grp < s.groups; grp++) {
      for (i64 oc = 0; oc < s.og; oc++) {
        for (i64 i = 0; i < images; i++) {
          const T* src = grad + ((n0 + i) * s.o + grp * s.og + oc) * s.length;
          std::copy(src, src + s.length, gathered + oc * ld + i * s.length);
        }
      }
      if (dw != nullptr) {
        im2col(x + (n0 * s.c + grp * s.cg) * s.plane, cols, s, images, ld);
        gemm_into(st, false, true, s.og, s.k, ld, gathered, cols, partial);
        T* target = dw + grp * s.og * s.k;
        for (i64 e = 0; e < s.og * s.k; e++) target[e] += partial[e];
      }
      if (dx != nullptr) {
        gemm_into(st, true, false, s.k, ld, s.og, w + grp * s.og * s.k, gathered, cols);
        col2im_add(cols, dx + (n0 * s.c + grp * s.cg) * s.plane, s, images, ld);
      }
    }
  }
}

/**
 * The direct kernels (conv.h) take float32, stride 1, dilation 1, one group, and rows that fill
 * most of their 16-column steps (LeNet: 28 of 32, 10 of 16, 14 of 16); the padded buffers of an
 * image must stay small. Elsewhere im2col + GEMM is faster.
 */
bool direct_applies(const ConvShape& s, int dtype, bool backward) {
  const UnfoldGeometry& g = s.g;
  if (dtype != F32 || s.groups != 1 || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1) return false;
  if (g.out_w > 128 || g.width > 128 || 8 * g.out_w < 5 * conv_padded_width(g.out_w, 1) || 8 * g.width < 5 * conv_padded_width(g.width, 1)) return false;
  // The transposed convolution (input gradient) pads by kernel - 1 - padding.
  if (g.ph >= g.kh || g.pw >= g.kw) return false;
  const double rows = double(std::max(g.height + 2 * g.ph, g.height + g.kh - 1));
  const double cols = double(std::max(g.width + 2 * g.pw, conv_padded_width(std::max(g.width, g.out_w), g.kw)));
  const double padded = double(std::max(s.c, s.o)) * rows * cols;
  if (padded > double(1 << 20)) return false;
  // The backward's buffers (the forward allocates none of them): the weight gradient's transposed
  // output gradient of one image and its partial sums, the input gradient's flipped weights.
  const double transposed = double(s.length) * double(s.o + CONV_LANES);
  return !backward || (transposed <= double(1 << 20) && double(s.o + CONV_LANES) * double(s.k) <= double(1 << 20));
}

/**
 * Copies n floats inline: the padded copies move rows of 10-28 floats tens of thousands of times
 * per LeNet step, where a memcpy call costs more than the copy.
 */
inline void copy_short(float* __restrict dst, const float* __restrict src, i64 n) {
  typedef float V4 __attribute__((vector_size(16), aligned(4)));
  i64 i = 0;
  for (; i + 4 <= n; i += 4) *reinterpret_cast<V4*>(dst + i) = *reinterpret_cast<const V4*>(src + i);
  if (n - i >= 2) {
    dst[i] = src[i];
    dst[i + 1] = src[i + 1];
    i += 2;
  }
  if (i < n) dst[i] = src[i];
}

/** Copies planes [planes, rows, cols] into the interior of zeroed padded planes [planes, hp, wp] at (top, left). */
void pad_planes(const float* src, float* dst, i64 planes, i64 rows, i64 cols, i64 hp, i64 wp, i64 top, i64 left) {
  for (i64 p = 0; p < planes; p++) {
    for (i64 r = 0; r < rows; r++) copy_short(dst + (p * hp + r + top) * wp + left, src + (p * rows + r) * cols, cols);
  }
}

/** Splits images [0, n) over the state's threads: f(chunk, begin, end) with chunk < chunks. */
template <typename F>
void image_chunks(State* st, i64 n, i64 chunks, F&& f) {
  if (chunks <= 1) {
    f(i64(0), i64(0), n);
    return;
  }
  thread_pool().for_chunks(chunks, [&](i64 c) { f(c, n * c / chunks, n * (c + 1) / chunks); });
}

i64 direct_chunks(State* st, const ConvShape& s) {
  const double work = double(s.n) * double(s.o) * double(s.k) * double(s.length);
  return st->threads > 1 && s.n > 1 && work >= 1.0e6 ? std::min<i64>(st->threads, s.n) : 1;
}

/** Forward, direct: each image padded into a scratch plane set (borders zeroed once per chunk). */
void conv_forward_direct(State* st, const ConvShape& s, const float* x, const float* w, const float* bias, float* out) {
  const UnfoldGeometry& g = s.g;
  const i64 hp = g.height + 2 * g.ph;
  const i64 wp = conv_padded_width(g.out_w, g.kw);
  const i64 per = s.c * hp * wp;
  const i64 chunks = direct_chunks(st, s);
  // The padding rows are skipped unless a weight is inf or NaN (0 * inf, as im2col + GEMM).
  const bool skip = st->ck->finite(w, s.o * s.k);
  const i64 row_lo = skip ? g.ph : 0, row_hi = skip ? g.ph + g.height : hp;
  float* scratch_all = typed_scratch<float>(st, chunks * per);
  image_chunks(st, s.n, chunks, [&](i64 c, i64 begin, i64 end) {
    float* xp = scratch_all + c * per;
    std::fill(xp, xp + per, 0.0f);
    for (i64 i = begin; i < end; i++) {
      pad_planes(x + i * s.c * s.plane, xp, s.c, g.height, g.width, hp, wp, g.ph, g.pw);
      st->ck->forward(xp, s.c, wp, w, bias, s.o, g.kh, g.kw, out + i * s.o * s.length, g.out_h, g.out_w, row_lo, row_hi);
    }
  });
}

/**
 * Backward, direct. dW (and db), one image at a time: the output gradient transposed to
 * channels last (gt), the input padded (xp), and the kernel's sums along the output channels into
 * dwt [c, kh, kw, o_pad]; with several threads each chunk of images adds into its own dwt,
 * summed and transposed to [o, c, kh, kw] at the end. dX: the transposed convolution, i.e. the
 * forward kernel over the gradient padded by kernel - 1 - padding with the flipped, transposed
 * weights.
 */
void conv_backward_direct(State* st, const ConvShape& s, const float* grad, const float* x, const float* w, float* dx, float* dw, float* db) {
  const UnfoldGeometry& g = s.g;
  const i64 hp = g.height + 2 * g.ph;  // = out_h + kh - 1 (stride 1, dilation 1)
  const i64 wp = g.width + 2 * g.pw;   // = out_w + kw - 1
  const i64 hp2 = g.height + g.kh - 1;  // out_h + 2 (kh - 1 - ph)
  const i64 wp2 = conv_padded_width(g.width, g.kw);
  const bool weights = dw != nullptr;
  const bool input = dx != nullptr;
  const i64 o_pad = (s.o + CONV_LANES - 1) / CONV_LANES * CONV_LANES;
  const i64 per_x = weights ? s.c * hp * wp : 0;
  const i64 per_g = weights ? s.length * o_pad : 0;
  const i64 per_dy = input ? s.o * hp2 * wp2 : 0;
  const i64 per_part = weights ? s.k * o_pad + o_pad : 0;
  // Each part starts on a 64-byte boundary (whole cache lines: the kernels' vector loads of gt and
  // dwt are then aligned).
  const auto lines = [](i64 floats) { return (floats + 15) / 16 * 16; };
  const i64 per = lines(per_x) + lines(per_g) + lines(per_dy) + lines(per_part);
  const i64 flipped = input ? s.c * s.o * g.kh * g.kw : 0;
  const i64 chunks = direct_chunks(st, s);
  float* scratch_all = typed_scratch<float>(st, chunks * per + flipped);
  float* wt = scratch_all + chunks * per;
  if (input) {
    for (i64 oc = 0; oc < s.o; oc++)
      for (i64 ci = 0; ci < s.c; ci++)
        for (i64 a = 0; a < g.kh; a++)
          for (i64 b = 0; b < g.kw; b++)
            wt[((ci * s.o + oc) * g.kh + a) * g.kw + b] = w[((oc * s.c + ci) * g.kh + (g.kh - 1 - a)) * g.kw + (g.kw - 1 - b)];
  }
  image_chunks(st, s.n, chunks, [&](i64 c, i64 begin, i64 end) {
    float* base = scratch_all + c * per;
    float* xp = base;
    float* gt = xp + lines(per_x);
    float* dyp = gt + lines(per_g);
    float* part_w = dyp + lines(per_dy);
    float* part_b = part_w + s.k * o_pad;
    // Zero once: the padding borders, gt's lanes from o and the partial sums.
    std::fill(base, base + per, 0.0f);
    for (i64 i = begin; i < end; i++) {
      if (weights) {
        pad_planes(x + i * s.c * s.plane, xp, s.c, g.height, g.width, hp, wp, g.ph, g.pw);
        st->ck->transpose(grad + i * s.o * s.length, gt, s.o, s.length, o_pad);
        st->ck->weight_grad(gt, o_pad, xp, s.c, hp, wp, g.kh, g.kw, g.out_h, g.out_w, part_w, db != nullptr ? part_b : nullptr);
      }
      if (input) {
        pad_planes(grad + i * s.o * s.length, dyp, s.o, g.out_h, g.out_w, hp2, wp2, g.kh - 1 - g.ph, g.kw - 1 - g.pw);
        // The weights are finite here (checked by the caller): the zero border rows are skipped.
        st->ck->forward(dyp, s.o, wp2, wt, nullptr, s.c, g.kh, g.kw, dx + i * s.c * s.plane, g.height, g.width, g.kh - 1 - g.ph,
                        g.kh - 1 - g.ph + g.out_h);
      }
    }
  });
  if (!weights) return;
  // dw [o, c, kh, kw] and db [o]: the chunks' partials [c * kh * kw, o_pad] summed and transposed.
  for (i64 c = 0; c < chunks; c++) {
    const float* part_w = scratch_all + c * per + lines(per_x) + lines(per_g) + lines(per_dy);
    for (i64 oc = 0; oc < s.o; oc++) {
      float* dst = dw + oc * s.k;
      for (i64 q = 0; q < s.k; q++) dst[q] = c == 0 ? part_w[q * o_pad + oc] : dst[q] + part_w[q * o_pad + oc];
    }
    if (db != nullptr) {
      for (i64 oc = 0; oc < s.o; oc++) db[oc] = c == 0 ? part_w[s.k * o_pad + oc] : db[oc] + part_w[s.k * o_pad + oc];
    }
  }
}

}  // namespace

/** conv2d(x, w, biasId or -1, sh, sw, ph, pw, dh, dw, groups) -> [N, O, outH, outW]. */
napi_value Conv2d(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    const Tensor& w = a.tensor(1);
    const ConvShape s = conv_shape(a, x, w, 3, "conv2d");
    const Tensor* bias = nullptr;
    if (a.i32(2) >= 0) {
      bias = &a.tensor(2);
      check_conv_bias(*bias, x, s.checked);
    }
    const i64 shape[4] = {s.n, s.o, s.g.out_h, s.g.out_w};
    const int id = new_tensor(a.st, x.dtype, shape, 4);
    const Tensor& out = tensor_at(a.st, id);
    if (out.size > 0) {
      if (s.k == 0) {
        std::memset(out.data(), 0, std::size_t(out.size) * dtype_size(x.dtype));
      }
      if (x.dtype == F32 && direct_applies(s, x.dtype, false)) {
        conv_forward_direct(a.st, s, static_cast<const float*>(x.data()), static_cast<const float*>(w.data()),
                            bias ? static_cast<const float*>(bias->data()) : nullptr, static_cast<float*>(out.data()));
      } else if (x.dtype == F32) {
        conv_forward<float>(a.st, s, static_cast<const float*>(x.data()), static_cast<const float*>(w.data()),
                            bias ? static_cast<const float*>(bias->data()) : nullptr, static_cast<float*>(out.data()));
      } else {
        conv_forward<double>(a.st, s, static_cast<const double*>(x.data()), static_cast<const double*>(w.data()),
                             bias ? static_cast<const double*>(bias->data()) : nullptr, static_cast<double*>(out.data()));
      }
    }
    return make_int(env, id);
  });
}

/**
 * conv2dBackward(grad, x, w, sh, sw, ph, pw, dh, dw, groups, needInput, needWeight, needBias)
 * -> [dx or null, dw or null, db or null].
 */
napi_value Conv2dBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& grad = a.tensor(0);
    const Tensor& x = a.tensor(1);
    const Tensor& w = a.tensor(2);
    const ConvShape s = conv_shape(a, x, w, 3, "conv2dBackward");
    check_conv_grad(grad, x, s.checked);
    int ids[3] = {-1, -1, -1};
    if (a.boolean(10)) ids[0] = new_tensor(a.st, x.dtype, x.shape, 4);
    if (a.boolean(11)) ids[1] = new_tensor(a.st, x.dtype, w.shape, 4);
    const i64 bias_shape[1] = {s.o};
    if (a.boolean(12)) ids[2] = new_tensor(a.st, x.dtype, bias_shape, 1);
    auto ptr = [&](int id) -> void* { return id < 0 ? nullptr : tensor_at(a.st, id).data(); };
    // The direct input gradient multiplies the weights by the gradient's zero border: only for
    // finite weights (0 * inf is NaN where the GEMM path, which never forms it, has +-inf).
    const bool direct = x.dtype == F32 && s.k > 0 && s.og > 0 && direct_applies(s, x.dtype, true) && (ids[1] >= 0 || ids[2] < 0) &&
                        (ids[0] < 0 || a.st->ck->finite(static_cast<const float*>(w.data()), w.size));
    if (direct) {
      conv_backward_direct(a.st, s, static_cast<const float*>(grad.data()), static_cast<const float*>(x.data()), static_cast<const float*>(w.data()),
                           static_cast<float*>(ptr(ids[0])), static_cast<float*>(ptr(ids[1])), static_cast<float*>(ptr(ids[2])));
    } else if (x.dtype == F32) {
      conv_backward<float>(a.st, s, static_cast<const float*>(grad.data()), static_cast<const float*>(x.data()), static_cast<const float*>(w.data()),
                           static_cast<float*>(ptr(ids[0])), static_cast<float*>(ptr(ids[1])), static_cast<float*>(ptr(ids[2])));
    } else {
      conv_backward<double>(a.st, s, static_cast<const double*>(grad.data()), static_cast<const double*>(x.data()), static_cast<const double*>(w.data()),
                            static_cast<double*>(ptr(ids[0])), static_cast<double*>(ptr(ids[1])), static_cast<double*>(ptr(ids[2])));
    }
    return id_array(env, ids, 3);
  });
}

}  // namespace myelin

// The fused max pooling (optional contract kernels maxPool2d / maxPool2dBackward): one pass over
// each window forward; backward, the window's gradient to its taps equal to the max (ties share).
namespace myelin {

namespace {

/** The window arguments (slots first..first+7) and the output size for x [N, C, H, W]. */
UnfoldGeometry pool_geometry(Args& a, const Tensor& x, size_t first, const char* op) { return unfold_geometry(pool_window(a, x, first, op)); }

/** Visits each window of each plane: visit(plane, y index, row range, col range). */
template <typename F>
void each_window(const UnfoldGeometry& g, i64 planes, F&& visit) {
  for (i64 p = 0; p < planes; p++) {
    for (i64 oh = 0; oh < g.out_h; oh++) {
      for (i64 ow = 0; ow < g.out_w; ow++) visit(p, (p * g.out_h + oh) * g.out_w + ow, oh * g.sh - g.ph, ow * g.sw - g.pw);
    }
  }
}

/** Windows that tile the image without padding or gaps (stride = kernel, dilation 1): no bounds checks. */
inline bool tiled(const UnfoldGeometry& g) { return g.sh == g.kh && g.sw == g.kw && g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1; }

/** The larger of a and b, a NaN on either side winning (as the composed max). */
template <typename T>
inline T pool_max(T a, T b) {
  return (b > a || b != b) ? b : a;
}

/** 2x2 windows with stride 2 (LeNet's pooling): branchless rows that the compiler vectorises. */
template <typename T>
void max_pool_forward_2x2(const T* __restrict x, T* __restrict y, const UnfoldGeometry& g, i64 planes) {
  const i64 plane = g.height * g.width;
  for (i64 p = 0; p < planes; p++) {
    for (i64 oh = 0; oh < g.out_h; oh++) {
      const T* __restrict r0 = x + p * plane + 2 * oh * g.width;
      const T* __restrict r1 = r0 + g.width;
      T* __restrict dst = y + (p * g.out_h + oh) * g.out_w;
      for (i64 ow = 0; ow < g.out_w; ow++) dst[ow] = pool_max(pool_max(r0[2 * ow], r0[2 * ow + 1]), pool_max(r1[2 * ow], r1[2 * ow + 1]));
    }
  }
}

template <typename T>
void max_pool_forward(const T* x, T* y, const UnfoldGeometry& g, i64 planes) {
  const i64 plane = g.height * g.width;
  if (tiled(g) && g.kh == 2 && g.kw == 2) return max_pool_forward_2x2(x, y, g, planes);
  if (tiled(g)) {
    for (i64 p = 0; p < planes; p++) {
      const T* src = x + p * plane;
      T* dst = y + p * g.out_h * g.out_w;
      for (i64 oh = 0; oh < g.out_h; oh++) {
        for (i64 ow = 0; ow < g.out_w; ow++) {
          const T* w0 = src + oh * g.kh * g.width + ow * g.kw;
          T best = w0[0];
          for (i64 i = 0; i < g.kh; i++) {
            // NaN wins and stays: NaN > v and v > NaN are both false.
            for (i64 j = 0; j < g.kw; j++) best = pool_max(best, w0[i * g.width + j]);
          }
          dst[oh * g.out_w + ow] = best;
        }
      }
    }
    return;
  }
  each_window(g, planes, [&](i64 p, i64 yi, i64 row0, i64 col0) {
    const T* src = x + p * plane;
    T best = -std::numeric_limits<T>::infinity();
    for (i64 i = 0; i < g.kh; i++) {
      const i64 row = row0 + i * g.dh;
      if (row < 0 || row >= g.height) continue;
      for (i64 j = 0; j < g.kw; j++) {
        const i64 col = col0 + j * g.dw;
        if (col < 0 || col >= g.width) continue;
        const T v = src[row * g.width + col];
        if (v > best || std::isnan(v)) best = v;
        if (std::isnan(best)) break;
      }
      if (std::isnan(best)) break;
    }
    y[yi] = best;
  });
}

/**
 * One window's 2x2 taps a b / c d with max m and gradient gm: each tap equal to m gets an equal
 * share; a window whose max matches no tap (a NaN max) gets NaN on every tap, as core's composed
 * rule (g / 0 * 0).
 */
template <typename T>
inline void pool_window_2x2(T m, T gm, T a, T b, T c, T d, T* d0, T* d1) {
  const int count = int(a == m) + int(b == m) + int(c == m) + int(d == m);
  if (count == 0) {
    d0[0] = d0[1] = d1[0] = d1[1] = std::numeric_limits<T>::quiet_NaN();
    return;
  }
  const T share = gm / T(count);
  d0[0] = a == m ? share : T(0);
  d0[1] = b == m ? share : T(0);
  d1[0] = c == m ? share : T(0);
  d1[1] = d == m ? share : T(0);
}

/** Tiled 2x2 windows (stride 2): every tap is written, no zeroing pass; SSE for 4 windows at once. */
template <typename T>
void max_pool_backward_2x2(const T* grad, const T* x, const T* y, T* dx, const UnfoldGeometry& g, i64 planes) {
  const i64 plane = g.height * g.width;
  for (i64 p = 0; p < planes; p++) {
    for (i64 oh = 0; oh < g.out_h; oh++) {
      const i64 row = p * plane + 2 * oh * g.width;
      const T* x0 = x + row;
      const T* x1 = x0 + g.width;
      T* d0 = dx + row;
      T* d1 = d0 + g.width;
      const T* ym = y + (p * g.out_h + oh) * g.out_w;
      const T* gm = grad + (p * g.out_h + oh) * g.out_w;
      i64 ow = 0;
#if defined(__SSE2__)
      if constexpr (std::is_same_v<T, float>) {
        const __m128 one = _mm_set1_ps(1.0f);
        const __m128 nan = _mm_set1_ps(std::numeric_limits<float>::quiet_NaN());
        for (; ow + 4 <= g.out_w; ow += 4) {
          const __m128 r0a = _mm_loadu_ps(x0 + 2 * ow), r0b = _mm_loadu_ps(x0 + 2 * ow + 4);
          const __m128 r1a = _mm_loadu_ps(x1 + 2 * ow), r1b = _mm_loadu_ps(x1 + 2 * ow + 4);
          const __m128 m = _mm_loadu_ps(ym + ow);
          const __m128 ea = _mm_cmpeq_ps(_mm_shuffle_ps(r0a, r0b, _MM_SHUFFLE(2, 0, 2, 0)), m);
          const __m128 eb = _mm_cmpeq_ps(_mm_shuffle_ps(r0a, r0b, _MM_SHUFFLE(3, 1, 3, 1)), m);
          const __m128 ec = _mm_cmpeq_ps(_mm_shuffle_ps(r1a, r1b, _MM_SHUFFLE(2, 0, 2, 0)), m);
          const __m128 ed = _mm_cmpeq_ps(_mm_shuffle_ps(r1a, r1b, _MM_SHUFFLE(3, 1, 3, 1)), m);
          const __m128 count = _mm_add_ps(_mm_add_ps(_mm_and_ps(ea, one), _mm_and_ps(eb, one)),
                                          _mm_add_ps(_mm_and_ps(ec, one), _mm_and_ps(ed, one)));
          const __m128 none = _mm_cmpeq_ps(count, _mm_setzero_ps());
          // count + 1 where none: no division by zero; those lanes take NaN instead.
          const __m128 quotient = _mm_div_ps(_mm_loadu_ps(gm + ow), _mm_add_ps(count, _mm_and_ps(none, one)));
          const __m128 share = _mm_or_ps(_mm_and_ps(none, nan), _mm_andnot_ps(none, quotient));
          const __m128 oa = _mm_and_ps(_mm_or_ps(ea, none), share), ob = _mm_and_ps(_mm_or_ps(eb, none), share);
          const __m128 oc = _mm_and_ps(_mm_or_ps(ec, none), share), od = _mm_and_ps(_mm_or_ps(ed, none), share);
          _mm_storeu_ps(d0 + 2 * ow, _mm_unpacklo_ps(oa, ob));
          _mm_storeu_ps(d0 + 2 * ow + 4, _mm_unpackhi_ps(oa, ob));
          _mm_storeu_ps(d1 + 2 * ow, _mm_unpacklo_ps(oc, od));
          _mm_storeu_ps(d1 + 2 * ow + 4, _mm_unpackhi_ps(oc, od));
        }
      }
#endif
      for (; ow < g.out_w; ow++) {
        pool_window_2x2(ym[ow], gm[ow], x0[2 * ow], x0[2 * ow + 1], x1[2 * ow], x1[2 * ow + 1], d0 + 2 * ow, d1 + 2 * ow);
      }
    }
  }
}

/** Zeroes what tiled windows leave uncovered: rows from out_h * kh, columns from out_w * kw. */
template <typename T>
void zero_untiled(T* dx, const UnfoldGeometry& g, i64 planes) {
  const i64 plane = g.height * g.width;
  const i64 rows = g.out_h * g.kh;
  const i64 cols = g.out_w * g.kw;
  if (rows == g.height && cols == g.width) return;
  for (i64 p = 0; p < planes; p++) {
    T* dst = dx + p * plane;
    if (cols < g.width) {
      for (i64 r = 0; r < rows; r++) std::fill(dst + r * g.width + cols, dst + (r + 1) * g.width, T(0));
    }
    std::fill(dst + rows * g.width, dst + plane, T(0));
  }
}

template <typename T>
void max_pool_backward(const T* grad, const T* x, const T* y, T* dx, const UnfoldGeometry& g, i64 planes) {
  const i64 plane = g.height * g.width;
  if (tiled(g)) {
    zero_untiled(dx, g, planes);
    if (g.kh == 2 && g.kw == 2) return max_pool_backward_2x2(grad, x, y, dx, g, planes);
    for (i64 p = 0; p < planes; p++) {
      const T* src = x + p * plane;
      T* dst = dx + p * plane;
      const i64 yp = p * g.out_h * g.out_w;
      for (i64 oh = 0; oh < g.out_h; oh++) {
        for (i64 ow = 0; ow < g.out_w; ow++) {
          const i64 at = oh * g.kh * g.width + ow * g.kw;
          const T best = y[yp + oh * g.out_w + ow];
          i64 count = 0;
          for (i64 i = 0; i < g.kh; i++)
            for (i64 j = 0; j < g.kw; j++) count += src[at + i * g.width + j] == best;
          if (count == 0) {
            for (i64 i = 0; i < g.kh; i++)
              for (i64 j = 0; j < g.kw; j++) dst[at + i * g.width + j] = std::numeric_limits<T>::quiet_NaN();
            continue;
          }
          const T share = grad[yp + oh * g.out_w + ow] / T(count);
          for (i64 i = 0; i < g.kh; i++)
            for (i64 j = 0; j < g.kw; j++) dst[at + i * g.width + j] = src[at + i * g.width + j] == best ? share : T(0);
        }
      }
    }
    return;
  }
  std::fill(dx, dx + planes * plane, T(0));
  each_window(g, planes, [&](i64 p, i64 yi, i64 row0, i64 col0) {
    const T* src = x + p * plane;
    T* dst = dx + p * plane;
    const T best = y[yi];
    i64 count = 0;
    for (i64 i = 0; i < g.kh; i++) {
      const i64 row = row0 + i * g.dh;
      if (row < 0 || row >= g.height) continue;
      for (i64 j = 0; j < g.kw; j++) {
        const i64 col = col0 + j * g.dw;
        if (col >= 0 && col < g.width && src[row * g.width + col] == best) count++;
      }
    }
    // A NaN max (count 0): NaN on every tap, as core's composed rule (g / 0 * 0).
    const T share = count > 0 ? grad[yi] / T(count) : std::numeric_limits<T>::quiet_NaN();
    for (i64 i = 0; i < g.kh; i++) {
      const i64 row = row0 + i * g.dh;
      if (row < 0 || row >= g.height) continue;
      for (i64 j = 0; j < g.kw; j++) {
        const i64 col = col0 + j * g.dw;
        if (col < 0 || col >= g.width) continue;
        const i64 at = row * g.width + col;
        if (count == 0) dst[at] += share;
        else if (src[at] == best) dst[at] += share;
      }
    }
  });
}

}  // namespace

/** maxPool2d(x, kh, kw, sh, sw, ph, pw, dh, dw) -> [N, C, outH, outW]. */
napi_value MaxPool2d(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    const UnfoldGeometry g = pool_geometry(a, x, 1, "maxPool2d");
    const i64 shape[4] = {x.shape[0], x.shape[1], g.out_h, g.out_w};
    const int id = new_tensor(a.st, x.dtype, shape, 4);
    const i64 planes = x.shape[0] * x.shape[1];
    void* out = tensor_at(a.st, id).data();
    // Planes split over the threads as the convolution before it split its images: each thread
    // pools what it wrote (still in its core's cache), and every window stays within its plane.
    const i64 in_plane = g.height * g.width, out_plane = g.out_h * g.out_w;
    parallel_for(a.st, planes, in_plane, [&](i64 b, i64 e) {
      if (x.dtype == F32) max_pool_forward(static_cast<const float*>(x.data()) + b * in_plane, static_cast<float*>(out) + b * out_plane, g, e - b);
      else max_pool_forward(static_cast<const double*>(x.data()) + b * in_plane, static_cast<double*>(out) + b * out_plane, g, e - b);
    });
    return make_int(env, id);
  });
}

/** maxPool2dBackward(grad, x, y, kh, kw, sh, sw, ph, pw, dh, dw) -> dx shaped as x. */
napi_value MaxPool2dBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& grad = a.tensor(0);
    const Tensor& x = a.tensor(1);
    const Tensor& y = a.tensor(2);
    const WindowShape window = pool_window(a, x, 3, "maxPool2dBackward");
    const UnfoldGeometry g = unfold_geometry(window);
    check_pool_outputs(grad, y, x, window);
    const int id = new_tensor(a.st, x.dtype, x.shape, 4);
    const i64 planes = x.shape[0] * x.shape[1];
    void* out = tensor_at(a.st, id).data();
    // Over planes, as the forward: every window, and so every write, stays within its plane.
    const i64 in_plane = g.height * g.width, out_plane = g.out_h * g.out_w;
    parallel_for(a.st, planes, 2 * in_plane, [&](i64 b, i64 e) {
      const i64 at = b * in_plane, yat = b * out_plane;
      if (x.dtype == F32) {
        max_pool_backward(static_cast<const float*>(grad.data()) + yat, static_cast<const float*>(x.data()) + at, static_cast<const float*>(y.data()) + yat,
                          static_cast<float*>(out) + at, g, e - b);
      } else {
        max_pool_backward(static_cast<const double*>(grad.data()) + yat, static_cast<const double*>(x.data()) + at, static_cast<const double*>(y.data()) + yat,
                          static_cast<double*>(out) + at, g, e - b);
      }
    });
    return make_int(env, id);
  });
}

}  // namespace myelin
