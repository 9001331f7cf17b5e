// unfold (im2col), the windowed gather of contract v3: every size is checked here before the
// kernel runs.
#include "../kernels/unfold.h"
#include "ops.h"

namespace myelin {

namespace {

/** An integer argument >= min (and small enough that products of a few stay far inside i64). */
i64 window_arg(Args& a, size_t i, i64 min, const char* what) {
  const double v = a.f64(i);
  if (!(v >= double(min)) || v != std::floor(v) || v > 1.0e6) {
    throw argument_error(std::string("unfold: ") + what + " must be an integer in [" + std::to_string(min) + ", 1e6], got " + std::to_string(v));
  }
  return i64(v);
}

}  // namespace

/** unfold(x, kh, kw, sh, sw, ph, pw, dh, dw) -> [N, C*kh*kw, outH*outW]. */
napi_value Unfold(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    if (!is_float(x.dtype)) throw unsupported("unfold", x.dtype);
    if (x.rank != 4) throw shape_error("unfold: expected an NCHW tensor of rank 4, got " + format_shape(x.shape, x.rank));
    UnfoldGeometry g{};
    g.height = x.shape[2];
    g.width = x.shape[3];
    g.kh = window_arg(a, 1, 1, "kernel height");
    g.kw = window_arg(a, 2, 1, "kernel width");
    g.sh = window_arg(a, 3, 1, "stride height");
    g.sw = window_arg(a, 4, 1, "stride width");
    g.ph = window_arg(a, 5, 0, "padding height");
    g.pw = window_arg(a, 6, 0, "padding width");
    g.dh = window_arg(a, 7, 1, "dilation height");
    g.dw = window_arg(a, 8, 1, "dilation width");
    const i64 span_h = g.height + 2 * g.ph - g.dh * (g.kh - 1) - 1;
    const i64 span_w = g.width + 2 * g.pw - g.dw * (g.kw - 1) - 1;
    if (span_h < 0 || span_w < 0) throw shape_error("unfold: the window does not fit input " + format_shape(x.shape, x.rank));
    g.out_h = span_h / g.sh + 1;
    g.out_w = span_w / g.sw + 1;
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
