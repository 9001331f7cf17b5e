// Direct convolution kernels (see conv.h), compiled once per instruction set like gemm-isa.cc,
// with -ffp-contract=fast so that the multiply-adds become FMA instructions. Vectors (GCC vector
// extensions: 16 floats with AVX-512, 8 otherwise) along the output row; registers hold a block of
// output channels (and, with AVX-512's 32 registers, of output rows).
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

#if defined(__AVX512F__)
// AVX-512: one 16-float vector per 16-column step, 32 registers. The forward block takes 4 output
// rows x 6 channels (24 accumulators; each weight broadcast serves 4 rows), the weight gradient
// 4 channels x 5 taps (a 5x5 kernel's row in one block).
constexpr int VBYTES = 64;
constexpr int OB_MAX = 6;
constexpr int RB_MAX = 4;
constexpr int OB_W = 4;
constexpr int TB = 5;
#else
// AVX2 and the portable build: two 8-float vectors per step, 16 registers. Six output channels
// of one row (12 accumulators, 2 row vectors and a broadcast: 15 of 16); the weight gradient
// 3 channels x 4 taps (12 accumulators, 3 gradient vectors and an input vector).
constexpr int VBYTES = 32;
constexpr int OB_MAX = 6;
constexpr int RB_MAX = 1;
constexpr int OB_W = 3;
constexpr int TB = 4;
#endif
typedef float V __attribute__((vector_size(VBYTES), aligned(4)));
typedef std::int32_t VI __attribute__((vector_size(VBYTES), aligned(4)));
constexpr int LANES = VBYTES / 4;
constexpr int NV = int(CONV_COLS) / LANES;
static_assert(NV * LANES == int(CONV_COLS), "a column step is a whole number of vectors");
static_assert(LANES <= int(CONV_LANES), "the glue pads and leaves slack for CONV_LANES floats");

// V is declared 4-byte aligned: these are unaligned loads and stores.
inline V load(const float* p) { return *reinterpret_cast<const V*>(p); }

/**
 * A loaded vector that several FMAs use: kept in a register (GCC otherwise folds the load into
 * each FMA as a memory operand, and the loop runs out of load ports before FMA units).
 */
inline V load_once(const float* p) {
  V v = load(p);
#if defined(__AVX512F__)
  __asm__("" : "+v"(v));  // any of the 32 registers ("x" would allow only the first 16)
#elif defined(__AVX__)
  __asm__("" : "+x"(v));
#endif
  return v;
}
inline void store(float* p, V v) { *reinterpret_cast<V*>(p) = v; }

/**
 * Output channels [o0, o0 + OB) of rows [oh, oh + RB), columns [ow0, ow0 + CONV_COLS) (stored up
 * to out_w), over the kernel rows [a0, a1): each weight is loaded once for the RB rows.
 */
template <int OB, int RB>
inline void forward_block(const float* __restrict xp, i64 c, i64 hp, i64 wp, const float* __restrict w,
                          const float* bias, i64 kh, i64 kw, float* __restrict y, i64 o0, i64 oh, i64 ow0, i64 out_h,
                          i64 out_w, i64 a0, i64 a1) {
  const i64 taps = c * kh * kw;
  V acc[OB][RB][NV];
  for (int ob = 0; ob < OB; ob++) {
    const float b = bias != nullptr ? bias[o0 + ob] : 0.0f;
    for (int r = 0; r < RB; r++)
      for (int v = 0; v < NV; v++) acc[ob][r][v] = V{} + b;
  }
  const float* wo = w + o0 * taps;
  for (i64 ci = 0; ci < c; ci++) {
    for (i64 a = a0; a < a1; a++) {
      const float* row = xp + (ci * hp + oh + a) * wp + ow0;
      const float* wt = wo + (ci * kh + a) * kw;
      for (i64 b = 0; b < kw; b++) {
        V x[RB][NV];
        for (int r = 0; r < RB; r++)
          for (int v = 0; v < NV; v++) x[r][v] = load_once(row + r * wp + b + v * LANES);
        for (int ob = 0; ob < OB; ob++) {
          const float s = wt[ob * taps + b];
          for (int r = 0; r < RB; r++)
            for (int v = 0; v < NV; v++) acc[ob][r][v] += s * x[r][v];
        }
      }
    }
  }
  const i64 valid = out_w - ow0;
  for (int ob = 0; ob < OB; ob++) {
    for (int r = 0; r < RB; r++) {
      float* dst = y + ((o0 + ob) * out_h + oh + r) * out_w + ow0;
      if (valid >= CONV_COLS) {
        for (int v = 0; v < NV; v++) store(dst + v * LANES, acc[ob][r][v]);
      } else {
        float tmp[CONV_COLS];
        for (int v = 0; v < NV; v++) store(tmp + v * LANES, acc[ob][r][v]);
        for (i64 l = 0; l < valid; l++) dst[l] = tmp[l];
      }
    }
  }
}

/** forward_block for `ob` <= OB_MAX channels (the channel count's remainder after whole blocks). */
template <int RB>
inline void forward_channels(i64 ob, const float* xp, i64 c, i64 hp, i64 wp, const float* w, const float* bias, i64 kh,
                             i64 kw, float* y, i64 o0, i64 oh, i64 ow0, i64 out_h, i64 out_w, i64 a0, i64 a1) {
  static_assert(OB_MAX == 6, "the switch below lists 1 to 6 channels");
  switch (ob) {
    case 6: forward_block<6, RB>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w, a0, a1); break;
    case 5: forward_block<5, RB>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w, a0, a1); break;
    case 4: forward_block<4, RB>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w, a0, a1); break;
    case 3: forward_block<3, RB>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w, a0, a1); break;
    case 2: forward_block<2, RB>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w, a0, a1); break;
    default: forward_block<1, RB>(xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w, a0, a1); break;
  }
}

/** forward_channels for `rb` <= RB rows (the row count's remainder after whole blocks). */
template <int RB>
inline void forward_rows(i64 rb, i64 ob, const float* xp, i64 c, i64 hp, i64 wp, const float* w, const float* bias, i64 kh,
                         i64 kw, float* y, i64 o0, i64 oh, i64 ow0, i64 out_h, i64 out_w, i64 a0, i64 a1) {
  if constexpr (RB > 1) {
    if (rb < RB) return forward_rows<RB - 1>(rb, ob, xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w, a0, a1);
  }
  forward_channels<RB>(ob, xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w, a0, a1);
}

void forward(const float* xp, i64 c, i64 wp, const float* w, const float* bias, i64 o, i64 kh, i64 kw, float* y,
             i64 out_h, i64 out_w, i64 row_lo, i64 row_hi) {
  const i64 hp = out_h + kh - 1;
  for (i64 oh = 0; oh < out_h; oh += RB_MAX) {
    const i64 rb = out_h - oh < RB_MAX ? out_h - oh : RB_MAX;
    // Only the kernel rows that reach [row_lo, row_hi) from some row of the block (the others
    // meet zero padding only); a row of the block may still read padding rows, which are zero.
    const i64 a0 = row_lo - oh - (rb - 1) > 0 ? row_lo - oh - (rb - 1) : 0;
    const i64 a1 = row_hi - oh < kh ? row_hi - oh : kh;
    for (i64 o0 = 0; o0 < o; o0 += OB_MAX) {
      const i64 ob = o - o0 < OB_MAX ? o - o0 : OB_MAX;
      for (i64 ow0 = 0; ow0 < out_w; ow0 += CONV_COLS)
        forward_rows<RB_MAX>(rb, ob, xp, c, hp, wp, w, bias, kh, kw, y, o0, oh, ow0, out_h, out_w, a0, a1);
    }
  }
}

/** The sum of a vector's lanes, pairwise. */
inline float lane_sum(V v) {
  float lanes[LANES];
  store(lanes, v);
  for (int width = LANES / 2; width > 0; width /= 2)
    for (int l = 0; l < width; l++) lanes[l] += lanes[l + width];
  return lanes[0];
}

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
  static_assert(TB <= 5, "the switch below lists remainders of 1 to 4 taps");
  switch (taps - q0) {
    case 4: weight_block<OB, 4>(p, ci, q0, o0, dw); break;
    case 3: weight_block<OB, 3>(p, ci, q0, o0, dw); break;
    case 2: weight_block<OB, 2>(p, ci, q0, o0, dw); break;
    case 1: weight_block<OB, 1>(p, ci, q0, o0, dw); break;
    default: break;
  }
}

void weight_grad(const float* g, i64 length, const float* xs, i64 plane, i64 channel, i64 row, i64 c, i64 o, i64 kh,
                 i64 kw, i64 images, float* dw, float* db) {
  const i64 stride = (length + CONV_LANES - 1) / CONV_LANES * CONV_LANES;  // as the glue pads g
  const WeightArgs p{g, length, stride, xs, plane, channel, row, c, o, kh, kw, images};
  // Channel by channel: one input channel's shifted planes (images x kw, contiguous) stay in L1
  // while every output channel's gradient rows pass over them (all channels' planes exceed L2).
  for (i64 ci = 0; ci < c; ci++) {
    i64 o0 = 0;
    for (; o0 + OB_W <= o; o0 += OB_W) weight_taps<OB_W>(p, ci, o0, dw);
    static_assert(OB_W <= 4, "the switch below lists remainders of 1 to 3 channels");
    switch (o - o0) {
      case 3: weight_taps<3>(p, ci, o0, dw); break;
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
