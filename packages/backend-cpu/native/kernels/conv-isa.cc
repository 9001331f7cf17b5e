// Direct convolution kernels (see conv.h), compiled once per instruction set like gemm-isa.cc,
// with -ffp-contract=fast so that the multiply-adds become FMA instructions. Vectors of 8 floats
// (GCC vector extensions) along the output row; registers hold a block of output channels.
#include <cstring>

#include "conv.h"

// The helpers below are internal (never an ABI boundary): the portable build's 32-byte vectors are fine.
#pragma GCC diagnostic ignored "-Wpsabi"

#ifndef MYELIN_ISA
#define MYELIN_ISA generic
#endif
#define MYELIN_CAT2(a, b) a##b
#define MYELIN_CAT(a, b) MYELIN_CAT2(a, b)
#define MYELIN_STR2(a) #a
#define MYELIN_STR(a) MYELIN_STR2(a)

namespace myelin {
namespace MYELIN_ISA {
namespace {

typedef float V __attribute__((vector_size(32), aligned(4)));
typedef std::int32_t VI __attribute__((vector_size(32), aligned(4)));
constexpr int LANES = 8;
constexpr int NV = int(CONV_COLS) / LANES;
static_assert(NV == 2, "the kernels below step two vectors at a time");

// V is declared 4-byte aligned: these are unaligned loads and stores.
inline V load(const float* p) { return *reinterpret_cast<const V*>(p); }
inline void store(float* p, V v) { *reinterpret_cast<V*>(p) = v; }

/** Output channels [o0, o0 + OB) of row oh, columns [ow0, ow0 + 16) (stored up to out_w). */
template <int OB>
inline void forward_block(const float* __restrict xp, i64 c, i64 hp, i64 wp, const float* __restrict w,
                          const float* bias, i64 kh, i64 kw, float* __restrict y, i64 o0, i64 oh, i64 ow0, i64 out_h,
                          i64 out_w) {
  const i64 taps = c * kh * kw;
  V acc[OB][NV];
  for (int ob = 0; ob < OB; ob++) {
    const float b = bias != nullptr ? bias[o0 + ob] : 0.0f;
    for (int v = 0; v < NV; v++) acc[ob][v] = V{} + b;
  }
  const float* wo = w + o0 * taps;
  for (i64 ci = 0; ci < c; ci++) {
    for (i64 a = 0; a < kh; a++) {
      const float* row = xp + (ci * hp + oh + a) * wp + ow0;
      const float* wt = wo + (ci * kh + a) * kw;
      for (i64 b = 0; b < kw; b++) {
        const V x0 = load(row + b), x1 = load(row + b + LANES);
        for (int ob = 0; ob < OB; ob++) {
          const float s = wt[ob * taps + b];
          acc[ob][0] += s * x0;
          acc[ob][1] += s * x1;
        }
      }
    }
  }
  const i64 valid = out_w - ow0;
  for (int ob = 0; ob < OB; ob++) {
    float* dst = y + ((o0 + ob) * out_h + oh) * out_w + ow0;
    if (valid >= CONV_COLS) {
      store(dst, acc[ob][0]);
      store(dst + LANES, acc[ob][1]);
    } else {
      float tmp[CONV_COLS];
      store(tmp, acc[ob][0]);
      store(tmp + LANES, acc[ob][1]);
      for (i64 l = 0; l < valid; l++) dst[l] = tmp[l];
    }
  }
}

/** Six output channels at a time (12 accumulators, 2 row vectors and a broadcast: 15 of AVX2's 16). */
constexpr int OB_MAX = 6;

void forward(const float* xp, i64 c, i64 wp, const float* w, const float* bias, i64 o, i64 kh, i64 kw, float* y,
             i64 out_h, i64 out_w) {
  const i64 hp = out_h + kh - 1;
  for (i64 oh = 0; oh < out_h; oh++) {
    for (i64 o0 = 0; o0 < o; o0 += OB_MAX) {
      const i64 ob = o - o0 < OB_MAX ? o - o0 : OB_MAX;
      for (i64 ow0 = 0; ow0 < out_w; ow0 += CONV_COLS) {
        switch (ob) {
          case 6: forward_block<6>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w); break;
          case 5: forward_block<5>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w); break;
          case 4: forward_block<4>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w); break;
          case 3: forward_block<3>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w); break;
          case 2: forward_block<2>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w); break;
          default: forward_block<1>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w); break;
        }
      }
    }
  }
}

inline float lane_sum(V v) { return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7])); }

/** Taps per step of the weight gradient: 2 channels x TB taps accumulators. */
constexpr int TB = 5;

/**
 * dw[o0 + ob, ci, a, b0 + t] += sum over the images' flat gradient planes of g * the input plane
 * shifted by a * wp + b0 + t, for OB channels and T taps of one kernel row.
 */
template <int OB, int T>
inline void weight_block(const float* __restrict g, i64 gs, const float* __restrict xp, i64 hp, i64 wp, i64 c, i64 o,
                         i64 kh, i64 kw, i64 ci, i64 a, i64 b0, i64 o0, i64 images, float* __restrict dw) {
  V acc[OB][T];
  for (int ob = 0; ob < OB; ob++)
    for (int t = 0; t < T; t++) acc[ob][t] = V{};
  for (i64 image = 0; image < images; image++) {
    const float* gi = g + (image * o + o0) * gs;
    const float* xi = xp + (image * c + ci) * hp * wp + a * wp + b0;
    for (i64 j = 0; j < gs; j += LANES) {
      V gv[OB];
      for (int ob = 0; ob < OB; ob++) gv[ob] = load(gi + ob * gs + j);
      for (int t = 0; t < T; t++) {
        const V x = load(xi + j + t);
        for (int ob = 0; ob < OB; ob++) acc[ob][t] += gv[ob] * x;
      }
    }
  }
  for (int ob = 0; ob < OB; ob++)
    for (int t = 0; t < T; t++) dw[(((o0 + ob) * c + ci) * kh + a) * kw + b0 + t] += lane_sum(acc[ob][t]);
}

template <int OB>
void weight_taps(const float* g, i64 gs, const float* xp, i64 hp, i64 wp, i64 c, i64 o, i64 kh, i64 kw, i64 ci, i64 a,
                 i64 o0, i64 images, float* dw) {
  i64 b0 = 0;
  for (; b0 + TB <= kw; b0 += TB) weight_block<OB, TB>(g, gs, xp, hp, wp, c, o, kh, kw, ci, a, b0, o0, images, dw);
  switch (kw - b0) {
    case 4: weight_block<OB, 4>(g, gs, xp, hp, wp, c, o, kh, kw, ci, a, b0, o0, images, dw); break;
    case 3: weight_block<OB, 3>(g, gs, xp, hp, wp, c, o, kh, kw, ci, a, b0, o0, images, dw); break;
    case 2: weight_block<OB, 2>(g, gs, xp, hp, wp, c, o, kh, kw, ci, a, b0, o0, images, dw); break;
    case 1: weight_block<OB, 1>(g, gs, xp, hp, wp, c, o, kh, kw, ci, a, b0, o0, images, dw); break;
    default: break;
  }
}

void weight_grad(const float* g, i64 gs, const float* xp, i64 c, i64 hp, i64 wp, i64 o, i64 kh, i64 kw, i64 images,
                 float* dw, float* db) {
  for (i64 o0 = 0; o0 < o; o0 += 2) {
    for (i64 ci = 0; ci < c; ci++) {
      for (i64 a = 0; a < kh; a++) {
        if (o - o0 >= 2) weight_taps<2>(g, gs, xp, hp, wp, c, o, kh, kw, ci, a, o0, images, dw);
        else weight_taps<1>(g, gs, xp, hp, wp, c, o, kh, kw, ci, a, o0, images, dw);
      }
    }
  }
  if (db == nullptr) return;
  for (i64 oc = 0; oc < o; oc++) {
    V acc[2] = {V{}, V{}};
    for (i64 image = 0; image < images; image++) {
      const float* plane = g + (image * o + oc) * gs;
      for (i64 j = 0; j < gs; j += 2 * LANES) {  // gs is a multiple of 2 * LANES
        acc[0] += load(plane + j);
        acc[1] += load(plane + j + LANES);
      }
    }
    db[oc] += lane_sum(acc[0] + acc[1]);
  }
}

bool finite(const float* x, i64 n) {
  // x * 0 is 0 for every finite x and NaN otherwise; NaN stays in the sum.
  V acc = V{};
  i64 i = 0;
  for (; i + LANES <= n; i += LANES) acc += load(x + i) * 0.0f;
  float tail = 0.0f;
  for (; i < n; i++) tail += x[i] * 0.0f;
  return lane_sum(acc) + tail == 0.0f;
}

const ConvKernels table = {MYELIN_STR(MYELIN_ISA), forward, weight_grad, finite};

}  // namespace
}  // namespace MYELIN_ISA

const ConvKernels& MYELIN_CAT(conv_kernels_, MYELIN_ISA)() { return MYELIN_ISA::table; }

}  // namespace myelin
