// Direct float32 convolution kernels (stride 1, dilation 1, one group) for small images and few
// channels (LeNet's layers), where im2col + GEMM spends more time building and folding columns
// than multiplying. Compiled once per instruction set (conv-isa.cc). Pure functions over
// pointers and sizes: the glue checks every size and lays out the padded buffers.
#pragma once
#include "common.h"

namespace myelin {

/** Output columns per step: one vector of 16 floats (AVX-512) or two of 8. Padded rows are multiples of this. */
constexpr i64 CONV_COLS = 16;
/**
 * Floats per vector of the widest kernels (AVX-512's 16): the weight gradient's channels-last
 * rows (o_pad) are a multiple of this, for every instruction set's kernels.
 */
constexpr i64 CONV_LANES = 16;

/** The padded row length the kernels read for `cols` outputs and `kw` taps. */
inline i64 conv_padded_width(i64 cols, i64 kw) { return (cols + CONV_COLS - 1) / CONV_COLS * CONV_COLS + kw - 1; }

struct ConvKernels {
  const char* name;
  /**
   * y [o, out_h, out_w] = bias (or 0) + sum over c, a < kh, b < kw of w[o, c, a, b] *
   * xp[c, h + a, w + b], for zero-padded input xp [c, out_h + kh - 1, wp] with
   * wp >= conv_padded_width(out_w, kw). Rows of xp outside [row_lo, row_hi) are zero and
   * skipped (their products are 0 for finite weights; pass 0, out_h + kh - 1 otherwise).
   */
  void (*forward)(const float* xp, i64 c, i64 wp, const float* w, const float* bias, i64 o, i64 kh, i64 kw, float* y,
                  i64 out_h, i64 out_w, i64 row_lo, i64 row_hi);
  /**
   * The weight gradient of one image, channels last: gt [out_h * out_w, o_pad] is the output
   * gradient transposed (output channels along the rows, zero from o to o_pad, a multiple of
   * CONV_LANES), xp [c, hp, wp] the zero-padded input with hp >= out_h + kh - 1 and
   * wp >= out_w + kw - 1. Then dwt [c, kh, kw, o_pad] += sum over h < out_h, w < out_w of
   * gt[h * out_w + w] * xp[ci, h + a, w + b], and dbt (or null) [o_pad] += the sum of gt's rows.
   * Vectors run along the output channels, so no lane is wasted and no sum crosses lanes.
   */
  void (*weight_grad)(const float* gt, i64 o_pad, const float* xp, i64 c, i64 hp, i64 wp, i64 kh, i64 kw, i64 out_h,
                      i64 out_w, float* dwt, float* dbt);
  /**
   * gt [length, o_pad] = the transpose of g [o, length], for o <= o_pad (a multiple of
   * CONV_LANES); lanes from o on are left as they are or written as zeros (the caller zeroes
   * them once).
   */
  void (*transpose)(const float* g, float* gt, i64 o, i64 length, i64 o_pad);
  /** Whether all n values are finite (no NaN, no infinity). */
  bool (*finite)(const float* x, i64 n);
};

const ConvKernels& conv_kernels_avx512();
const ConvKernels& conv_kernels_avx2();
const ConvKernels& conv_kernels_generic();

}  // namespace myelin
