// unfold (im2col) over NCHW planes. A pure function over pointers and sizes, like every kernel.
#pragma once
#include "common.h"

namespace myelin {

/** The window geometry of unfold; out_h and out_w are the window counts (>= 1). */
struct UnfoldGeometry {
  i64 height, width;
  i64 kh, kw, sh, sw, ph, pw, dh, dw;
  i64 out_h, out_w;
};

/**
 * For planes [begin, end) of x ([planes, height, width], elem = 4 or 8 bytes): writes each
 * plane's kh*kw rows of out_h*out_w columns to out ([planes, kh*kw, out_h*out_w]),
 * out[p, i*kw + j, oh*out_w + ow] = x[p, oh*sh - ph + i*dh, ow*sw - pw + j*dw], 0 in the padding.
 */
void unfold_planes(int elem, const void* x, void* out, const UnfoldGeometry& g, i64 begin, i64 end);

}  // namespace myelin
