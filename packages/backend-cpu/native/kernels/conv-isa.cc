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

/**
 * A loaded vector that several FMAs use: kept in a register (GCC otherwise folds the load into
 * each FMA as a memory operand, and the loop runs out of load ports before FMA units).
 */
inline V load_once(const float* p) {
  V v = load(p);
#if defined(__AVX__)
  __asm__("" : "+x"(v));
#endif
  return v;
}
inline void store(float* p, V v) { *reinterpret_cast<V*>(p) = v; }

/** Output channels [o0, o0 + OB) of row oh, columns [ow0, ow0 + 16) (stored up to out_w). */
template <int OB>
inline void forward_block(const float* __restrict xp, i64 c, i64 hp, i64 wp, const float* __restrict w,
                          const float* bias, i64 kh, i64 kw, float* __restrict y, i64 o0, i64 oh, i64 ow0, i64 out_h,
                          i64 out_w, i64 a0, i64 a1) {
  const i64 taps = c * kh * kw;
  V acc[OB][NV];
  for (int ob = 0; ob < OB; ob++) {
    const float b = bias != nullptr ? bias[o0 + ob] : 0.0f;
    for (int v = 0; v < NV; v++) acc[ob][v] = V{} + b;
  }
  const float* wo = w + o0 * taps;
  for (i64 ci = 0; ci < c; ci++) {
    for (i64 a = a0; a < a1; a++) {
      const float* row = xp + (ci * hp + oh + a) * wp + ow0;
      const float* wt = wo + (ci * kh + a) * kw;
      for (i64 b = 0; b < kw; b++) {
        const V x0 = load_once(row + b), x1 = load_once(row + b + LANES);
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
             i64 out_h, i64 out_w, i64 row_lo, i64 row_hi) {
  const i64 hp = out_h + kh - 1;
  for (i64 oh = 0; oh < out_h; oh++) {
    // Only the taps on rows [row_lo, row_hi) (the others are zero padding).
    const i64 a0 = row_lo - oh > 0 ? row_lo - oh : 0;
    const i64 a1 = row_hi - oh < kh ? row_hi - oh : kh;
    for (i64 o0 = 0; o0 < o; o0 += OB_MAX) {
      const i64 ob = o - o0 < OB_MAX ? o - o0 : OB_MAX;
      for (i64 ow0 = 0; ow0 < out_w; ow0 += CONV_COLS) {
        switch (ob) {
          case 6: forward_block<6>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w, a0, a1); break;
          case 5: forward_block<5>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w, a0, a1); break;
          case 4: forward_block<4>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w, a0, a1); break;
          case 3: forward_block<3>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w, a0, a1); break;
          case 2: forward_block<2>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w, a0, a1); break;
          default: forward_block<1>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w, a0, a1); break;
        }
      }
    }
  }
}

inline float lane_sum(V v) { return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7])); }

/**
 * The weight gradient's register block: OB output channels x TB taps, 12 accumulators (more
 * chains than an FMA's latency x 2 units), the OB gradient vectors and one input vector: AVX2's
 * 16 registers.
 */
constexpr int OB_W = 3;
constexpr int TB = 4;

/** The weight gradient's operands (see ConvKernels::weight_grad). */
struct WeightArgs {
  const float* g;
  i64 length, stride;
  const float* xs;
  i64 plane, channel, row, c, o, kh, kw, images;
};

/**
 * dw[o0 + ob, ci, q0 + t] += sum over the images and j < length of g[o0 + ob][j] *
 * xs[ci][image][b][j + a * row] for the flat taps q = q0 + t = a * kw + b: OB channels and T taps,
 * a vector at a time.
 */
template <int OB, int T>
inline void weight_block(const WeightArgs& p, i64 ci, i64 q0, i64 o0, float* __restrict dw) {
  V acc[OB][T];
  for (int ob = 0; ob < OB; ob++)
    for (int t = 0; t < T; t++) acc[ob][t] = V{};
  i64 offset[T];
  for (int t = 0; t < T; t++) offset[t] = (q0 + t) % p.kw * p.plane + (q0 + t) / p.kw * p.row;
  const i64 whole = p.length / LANES * LANES;
  const i64 rest = p.length - whole;
  VI mask;
  for (int l = 0; l < LANES; l++) mask[l] = l < rest ? -1 : 0;
  for (i64 image = 0; image < p.images; image++) {
    const float* __restrict gi = p.g + (image * p.o + o0) * p.stride;
    const float* __restrict xi = p.xs + ci * p.channel + image * p.kw * p.plane;
    for (i64 j = 0; j < whole; j += LANES) {
      V gv[OB];
      for (int ob = 0; ob < OB; ob++) gv[ob] = load(gi + ob * p.stride + j);
      for (int t = 0; t < T; t++) {
        const V x = load_once(xi + offset[t] + j);
        for (int ob = 0; ob < OB; ob++) acc[ob][t] += gv[ob] * x;
      }
    }
    if (rest > 0) {
      // The last partial vector: g's planes are padded with zeros, x is masked (0 * inf).
      V gv[OB];
      for (int ob = 0; ob < OB; ob++) gv[ob] = load(gi + ob * p.stride + whole);
      for (int t = 0; t < T; t++) {
        const V x = (V)((VI)load(xi + offset[t] + whole) & mask);
        for (int ob = 0; ob < OB; ob++) acc[ob][t] += gv[ob] * x;
      }
    }
  }
  const i64 taps = p.kh * p.kw;
  for (int ob = 0; ob < OB; ob++)
    for (int t = 0; t < T; t++) dw[((o0 + ob) * p.c + ci) * taps + q0 + t] += lane_sum(acc[ob][t]);
}

/** All kh x kw taps of input channel ci for OB output channels from o0. */
template <int OB>
void weight_taps(const WeightArgs& p, i64 ci, i64 o0, float* dw) {
  const i64 taps = p.kh * p.kw;
  i64 q0 = 0;
  for (; q0 + TB <= taps; q0 += TB) weight_block<OB, TB>(p, ci, q0, o0, dw);
  switch (taps - q0) {
    case 3: weight_block<OB, 3>(p, ci, q0, o0, dw); break;
    case 2: weight_block<OB, 2>(p, ci, q0, o0, dw); break;
    case 1: weight_block<OB, 1>(p, ci, q0, o0, dw); break;
    default: break;
  }
}

void weight_grad(const float* g, i64 length, const float* xs, i64 plane, i64 channel, i64 row, i64 c, i64 o, i64 kh,
                 i64 kw, i64 images, float* dw, float* db) {
  const i64 stride = (length + LANES - 1) / LANES * LANES;
  const WeightArgs p{g, length, stride, xs, plane, channel, row, c, o, kh, kw, images};
  // Channel by channel: one input channel's shifted planes (images x kw, contiguous) stay in L1
  // while every output channel's gradient rows pass over them (all channels' planes exceed L2).
  for (i64 ci = 0; ci < c; ci++) {
    i64 o0 = 0;
    for (; o0 + OB_W <= o; o0 += OB_W) weight_taps<OB_W>(p, ci, o0, dw);
    switch (o - o0) {
      case 2: weight_taps<2>(p, ci, o0, dw); break;
      case 1: weight_taps<1>(p, ci, o0, dw); break;
      default: break;
    }
  }
  if (db == nullptr) return;
  for (i64 oc = 0; oc < o; oc++) {
    V acc = V{};
    for (i64 image = 0; image < images; image++) {
      const float* plane_g = g + (image * o + oc) * stride;
      for (i64 j = 0; j < stride; j += LANES) acc += load(plane_g + j);  // zero-padded
    }
    db[oc] += lane_sum(acc);
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
