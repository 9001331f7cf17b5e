// Direct convolution kernels (see conv.h), compiled once per instruction set like gemm-isa.cc,
// with -ffp-contract=fast so that the multiply-adds become FMA instructions. Vectors (GCC vector
// extensions: 16 floats with AVX-512, 8 otherwise) run along the output row in the forward kernel,
// whose registers hold a block of output channels (and, with AVX-512's 32 registers, of output
// rows), and along the output channels in the weight gradient.
#include <cstring>
#include <utility>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

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
// 4 vectors of output channels x 5 taps (a 5x5 kernel's row: 20 accumulators).
constexpr int VBYTES = 64;
constexpr int OB_MAX = 6;
constexpr int RB_MAX = 4;
constexpr int OV_W = 4;
constexpr int TB = 5;
#else
// AVX2 and the portable build: two 8-float vectors per step, 16 registers. Six output channels
// of one row (12 accumulators, 2 row vectors and a broadcast: 15 of 16); the weight gradient
// 2 vectors of output channels x 5 taps (10 accumulators, 2 gradient vectors and a broadcast).
constexpr int VBYTES = 32;
constexpr int OB_MAX = 6;
constexpr int RB_MAX = 1;
constexpr int OV_W = 2;
constexpr int TB = 5;
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

/** Stores the first `count` (< LANES) lanes of v: a masked store where the instruction set has one. */
inline void store_first(float* p, V v, i64 count) {
#if defined(__AVX512F__)
  _mm512_mask_storeu_ps(p, __mmask16((1u << count) - 1u), __m512(v));
#elif defined(__AVX2__)
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  _mm256_maskstore_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(int(count)), lanes), __m256(v));
#else
  float tmp[LANES];
  store(tmp, v);
  for (i64 l = 0; l < count; l++) p[l] = tmp[l];
#endif
}

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
      for (int v = 0; v < NV; v++) {
        const i64 left = valid - v * LANES;
        if (left >= LANES) store(dst + v * LANES, acc[ob][r][v]);
        else if (left > 0) store_first(dst + v * LANES, acc[ob][r][v], left);
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
  const float* gt;
  i64 o_pad;
  const float* xp;
  i64 hp, wp, kh, kw, out_w;
};

/**
 * dwt[ci, a, b0 + t, ov0 * LANES ...] for OV vectors of output channels and T taps, over the
 * output rows [h0, h1): each gradient vector serves T taps, each input value (a broadcast) OV.
 */
template <int OV, int T>
inline void weight_block(const WeightArgs& p, i64 ci, i64 a, i64 b0, i64 ov0, i64 h0, i64 h1, float* __restrict dwt) {
  float* out = dwt + ((ci * p.kh + a) * p.kw + b0) * p.o_pad + ov0 * LANES;
  V acc[T][OV];
  for (int t = 0; t < T; t++)
    for (int v = 0; v < OV; v++) acc[t][v] = load(out + t * p.o_pad + v * LANES);
  for (i64 h = h0; h < h1; h++) {
    const float* __restrict x = p.xp + (ci * p.hp + h + a) * p.wp + b0;
    const float* __restrict g = p.gt + h * p.out_w * p.o_pad + ov0 * LANES;
    for (i64 w = 0; w < p.out_w; w++, g += p.o_pad) {
      V gv[OV];
      for (int v = 0; v < OV; v++) gv[v] = load_once(g + v * LANES);
      for (int t = 0; t < T; t++) {
        const float s = x[w + t];
        for (int v = 0; v < OV; v++) acc[t][v] += gv[v] * s;
      }
    }
  }
  for (int t = 0; t < T; t++)
    for (int v = 0; v < OV; v++) store(out + t * p.o_pad + v * LANES, acc[t][v]);
}

/** weight_block over a kernel row's taps from b0: TB at a time, then the remainder. */
template <int OV>
void weight_row(const WeightArgs& p, i64 ci, i64 a, i64 ov0, i64 h0, i64 h1, float* dwt) {
  i64 b0 = 0;
  for (; b0 + TB <= p.kw; b0 += TB) weight_block<OV, TB>(p, ci, a, b0, ov0, h0, h1, dwt);
  static_assert(TB == 5, "the switch below lists remainders of 1 to 4 taps");
  switch (p.kw - b0) {
    case 4: weight_block<OV, 4>(p, ci, a, b0, ov0, h0, h1, dwt); break;
    case 3: weight_block<OV, 3>(p, ci, a, b0, ov0, h0, h1, dwt); break;
    case 2: weight_block<OV, 2>(p, ci, a, b0, ov0, h0, h1, dwt); break;
    case 1: weight_block<OV, 1>(p, ci, a, b0, ov0, h0, h1, dwt); break;
    default: break;
  }
}

void weight_grad(const float* gt, i64 o_pad, const float* xp, i64 c, i64 hp, i64 wp, i64 kh, i64 kw, i64 out_h,
                 i64 out_w, float* dwt, float* dbt) {
  const WeightArgs p{gt, o_pad, xp, hp, wp, kh, kw, out_w};
  const i64 vectors = o_pad / LANES;
  // Rows of output positions whose gradient rows (out_w x o_pad floats each) stay in L1 (32 KiB)
  // while every input channel and tap passes over them.
  const i64 tile = out_w * o_pad > 0 ? (8192 / (out_w * o_pad) > 1 ? 8192 / (out_w * o_pad) : 1) : 1;
  for (i64 h0 = 0; h0 < out_h; h0 += tile) {
    const i64 h1 = h0 + tile < out_h ? h0 + tile : out_h;
    for (i64 ci = 0; ci < c; ci++) {
      for (i64 a = 0; a < kh; a++) {
        i64 ov0 = 0;
        for (; ov0 + OV_W <= vectors; ov0 += OV_W) weight_row<OV_W>(p, ci, a, ov0, h0, h1, dwt);
        static_assert(OV_W <= 4, "the switch below lists remainders of 1 to 3 vectors");
        switch (vectors - ov0) {
          case 3: weight_row<3>(p, ci, a, ov0, h0, h1, dwt); break;
          case 2: weight_row<2>(p, ci, a, ov0, h0, h1, dwt); break;
          case 1: weight_row<1>(p, ci, a, ov0, h0, h1, dwt); break;
          default: break;
        }
      }
    }
  }
  if (dbt == nullptr) return;
  for (i64 v = 0; v < vectors; v++) {
    V acc = load(dbt + v * LANES);
    for (i64 j = 0; j < out_h * out_w; j++) acc += load(gt + j * o_pad + v * LANES);
    store(dbt + v * LANES, acc);
  }
}

/**
 * Stage S of the in-register transpose: rows i and i + S (i & S == 0) trade their blocks of S
 * lanes, lo taking i's even blocks and j's even blocks moved up, hi the odd ones.
 */
template <int S, std::size_t... K>
inline void transpose_stage(V (&r)[LANES], std::index_sequence<K...>) {
  for (int i = 0; i < LANES; i++) {
    if ((i & S) != 0) continue;
    const V a = r[i], b = r[i + S];
    r[i] = __builtin_shufflevector(a, b, ((K & S) == 0 ? int(K) : LANES + int(K) - S)...);
    r[i + S] = __builtin_shufflevector(a, b, ((K & S) == 0 ? int(K) + S : LANES + int(K))...);
  }
}

template <int S>
inline void transpose_stages(V (&r)[LANES]) {
  if constexpr (S < LANES) {
    transpose_stage<S>(r, std::make_index_sequence<LANES>{});
    transpose_stages<2 * S>(r);
  }
}

void transpose(const float* g, float* gt, i64 o, i64 length, i64 o_pad) {
  const i64 whole = length / LANES * LANES;
  for (i64 o0 = 0; o0 < o; o0 += LANES) {
    const i64 rows = o - o0 < LANES ? o - o0 : LANES;
    // LANES x LANES blocks in registers (rows past o are zeros, written into gt's padding lanes,
    // which o_pad leaves room for).
    for (i64 l0 = 0; l0 < whole; l0 += LANES) {
      V r[LANES];
      for (int i = 0; i < LANES; i++) r[i] = i < rows ? load(g + (o0 + i) * length + l0) : V{};
      transpose_stages<1>(r);
      for (int i = 0; i < LANES; i++) store(gt + (l0 + i) * o_pad + o0, r[i]);
    }
    for (i64 l = whole; l < length; l++)
      for (i64 i = 0; i < rows; i++) gt[l * o_pad + o0 + i] = g[(o0 + i) * length + l];
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

const ConvKernels table = {MYELIN_STR(MYELIN_ISA), forward, weight_grad, transpose, finite};

}  // namespace
}  // namespace MYELIN_ISA

const ConvKernels& MYELIN_CAT(conv_kernels_, MYELIN_ISA)() { return MYELIN_ISA::table; }

}  // namespace myelin
