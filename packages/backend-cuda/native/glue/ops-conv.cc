// Windows: unfold (im2col), conv2d and its backward as unfold + GEMM (+ fold, the col2im
// adjoint, for the input gradient), max pooling forward and backward.
#include <cmath>

#include "ops.h"

namespace mc {

namespace {

/** The kernels' window (kernels.h) of a checked WindowShape. */
Window to_window(const WindowShape& s) { return Window{s.n, s.c, s.h, s.w, s.kh, s.kw, s.sh, s.sw, s.ph, s.pw, s.dh, s.dw, s.out_h, s.out_w}; }

/** The columns (im2col) of the window must stay far inside i64. */
Window checked_columns(const WindowShape& s, const char* op) {
  const double total = double(s.n) * double(s.c) * double(s.kh * s.kw) * double(s.out_h * s.out_w);
  if (total > 9.0e15) throw argument_error(std::string(op) + ": the columns of " + std::to_string(total) + " elements are too large");
  return to_window(s);
}

/** x [N, C, H, W] float and the window arguments kernel, stride, padding, dilation from slot `first`. */
Window window_of(Args& a, const Tensor& x, size_t first, const char* op) { return checked_columns(glue::window_of(a, x, first, op), op); }

struct ConvShape {
  ConvDims checked;  // what glue::conv_dims checked
  Window g;
  i64 groups, o, og, cg, k, length;
  /** A 1x1 window, stride 1, no padding: the columns are the input itself. */
  bool pointwise() const { return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0; }
};

/** Checks x [N, C, H, W], weight [O, C/groups, kh, kw] and stride, padding, dilation, groups from slot `first`. */
ConvShape conv_shape(Args& a, const Tensor& x, const Tensor& w, size_t first, const char* op) {
  const ConvDims d = conv_dims(a, x, w, first, op);
  ConvShape s{};
  s.checked = d;
  s.g = checked_columns(d.g, op);
  s.groups = d.groups;
  s.o = d.o;
  s.og = d.og;
  s.cg = d.cg;
  s.k = d.k;
  s.length = d.length;
  if (double(s.g.n) * double(s.o) * double(s.length) > 9.0e15) throw argument_error(std::string(op) + ": the output is too large");
  return s;
}

}  // namespace

/** unfold(x, kh, kw, sh, sw, ph, pw, dh, dw) -> [N, C*kh*kw, outH*outW]. */
napi_value Unfold(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    const Window g = window_of(a, x, 1, "unfold");
    const i64 shape[3] = {g.n, g.c * g.kh * g.kw, g.out_h * g.out_w};
    Context& c = a.ctx();
    const int id = new_tensor(a.st, x.dtype, shape, 3);
    launch_unfold(c.stream, x.dtype, g, x.data(), tensor_at(a.st, id).data());
    check_launch("unfold");
    return make_int(env, id);
  });
}

/** conv2d(x, weight, bias | -1, sh, sw, ph, pw, dh, dw, groups) -> [N, O, outH, outW]. */
napi_value Conv2d(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    const Tensor& w = a.tensor(1);
    const Tensor* bias = a.i32(2) >= 0 ? &a.tensor(2) : nullptr;
    const ConvShape s = conv_shape(a, x, w, 3, "conv2d");
    if (bias != nullptr) check_conv_bias(*bias, x, s.checked);
    Context& c = a.ctx();
    const i64 shape[4] = {s.g.n, s.o, s.g.out_h, s.g.out_w};
    const int id = new_tensor(a.st, x.dtype, shape, 4);
    Tensor& out = tensor_at(a.st, id);
    const std::size_t elem = dtype_size(x.dtype);
    const i64 rows = s.g.c * s.g.kh * s.g.kw;  // column rows per image
    Scratch cols(a.st, s.pointwise() ? 8 : std::size_t(s.g.n * rows * s.length) * elem, "conv2d");
    const char* columns = static_cast<const char*>(s.pointwise() ? x.data() : cols.data());
    if (!s.pointwise()) launch_unfold(c.stream, x.dtype, s.g, x.data(), cols.data());
    for (i64 gi = 0; gi < s.groups; gi++) {
      const GemmCall call{false, false, s.og, s.length, s.k, s.g.n,
                          static_cast<const char*>(w.data()) + std::size_t(gi * s.og * s.k) * elem, s.k, 0,
                          columns + std::size_t(gi * s.k * s.length) * elem, s.length, rows * s.length,
                          static_cast<char*>(out.data()) + std::size_t(gi * s.og * s.length) * elem, s.length, s.o * s.length};
      gemm(a.st, x.dtype, call, "conv2d");
    }
    if (bias != nullptr) {
      Loop loop;
      const i64 out3[3] = {s.g.n, s.o, s.length};
      const i64 bias2[2] = {s.o, 1};
      const i64* shapes[2] = {out3, bias2};
      const int ranks[2] = {3, 2};
      broadcast_loop(loop, out3, 3, 2, shapes, ranks);
      launch_bias_activation(c.stream, x.dtype, ACT_LINEAR, out.data(), &loop, bias->data(), out.size);
    }
    check_launch("conv2d");
    return make_int(env, id);
  });
}

/** conv2dBackward(grad, x, weight, sh, sw, ph, pw, dh, dw, groups, needInput, needWeight, needBias) -> [dx, dw, db] (null where not asked). */
napi_value Conv2dBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& grad = a.tensor(0);
    const Tensor& x = a.tensor(1);
    const Tensor& w = a.tensor(2);
    const ConvShape s = conv_shape(a, x, w, 3, "conv2dBackward");
    const bool need_input = a.boolean(10), need_weight = a.boolean(11), need_bias = a.boolean(12);
    check_conv_grad(grad, x, s.checked);
    Context& c = a.ctx();
    const int dtype = x.dtype;
    const std::size_t elem = dtype_size(dtype);
    const i64 rows = s.g.c * s.g.kh * s.g.kw;
    const i64 bias_shape[1] = {s.o};
    // A failure below releases what this call made (guarded).
    int ids[3] = {-1, -1, -1};
    if (need_input) ids[0] = new_tensor(a.st, dtype, x.shape, 4);
    if (need_weight) ids[1] = new_tensor(a.st, dtype, w.shape, 4);
    if (need_bias) ids[2] = new_tensor(a.st, dtype, bias_shape, 1);
    const char* g = static_cast<const char*>(grad.data());
    const char* wd = static_cast<const char*>(w.data());
    const std::size_t cols_bytes = std::size_t(s.g.n * rows * s.length) * elem;
    if (need_input && s.g.n > 0 && x.size > 0) {
      // dcols[n] = W^T grad[n] per group, then fold (col2im) into dx; a pointwise window writes dx directly.
      Scratch dcols(a.st, s.pointwise() ? 8 : cols_bytes, "conv2dBackward");
      char* target = static_cast<char*>(s.pointwise() ? tensor_at(a.st, ids[0]).data() : dcols.data());
      for (i64 gi = 0; gi < s.groups; gi++) {
        const GemmCall call{true, false, s.k, s.length, s.og, s.g.n,
                            wd + std::size_t(gi * s.og * s.k) * elem, s.k, 0,
                            g + std::size_t(gi * s.og * s.length) * elem, s.length, s.o * s.length,
                            target + std::size_t(gi * s.k * s.length) * elem, s.length, rows * s.length};
        gemm(a.st, dtype, call, "conv2dBackward");
      }
      if (!s.pointwise()) launch_fold(c.stream, dtype, s.g, dcols.data(), tensor_at(a.st, ids[0]).data());
    } else if (need_input && x.size > 0) {
      launch_fill(c.stream, tensor_at(a.st, ids[0]).data(), int(elem), 0, x.size);
    }
    if (need_weight) {
      Tensor& dw = tensor_at(a.st, ids[1]);
      if (s.g.n == 0 || s.length == 0) {
        launch_fill(c.stream, dw.data(), int(elem), 0, dw.size);
      } else {
        // Per image dW_n = grad[n] cols[n]^T per group, then the sum over images (in double).
        Scratch cols(a.st, s.pointwise() ? 8 : cols_bytes, "conv2dBackward");
        const char* columns = static_cast<const char*>(s.pointwise() ? x.data() : cols.data());
        if (!s.pointwise()) launch_unfold(c.stream, dtype, s.g, x.data(), cols.data());
        const bool single = s.g.n == 1;
        Scratch per_image(a.st, single ? 8 : std::size_t(s.g.n * s.o * s.k) * elem, "conv2dBackward");
        char* target = static_cast<char*>(single ? dw.data() : per_image.data());
        for (i64 gi = 0; gi < s.groups; gi++) {
          const GemmCall call{false, true, s.og, s.k, s.length, s.g.n,
                              g + std::size_t(gi * s.og * s.length) * elem, s.length, s.o * s.length,
                              columns + std::size_t(gi * s.k * s.length) * elem, s.length, rows * s.length,
                              target + std::size_t(gi * s.og * s.k) * elem, s.k, s.o * s.k};
          gemm(a.st, dtype, call, "conv2dBackward");
        }
        if (!single) launch_reduce_cols(c.stream, 0, dtype, per_image.data(), dw.data(), 1, s.g.n, s.o * s.k);
      }
    }
    if (need_bias) {
      Tensor& db = tensor_at(a.st, ids[2]);
      if (grad.size == 0) {
        launch_fill(c.stream, db.data(), int(elem), 0, db.size);
      } else if (s.g.n == 1) {
        launch_reduce_rows(c.stream, 0, dtype, grad.data(), db.data(), s.o, s.length);
      } else {
        // [N, O, L] -> [O, N, L] (a strided copy), then one double sum per channel.
        Scratch moved(a.st, grad.bytes(), "conv2dBackward");
        const i64 shape[3] = {s.o, s.g.n, s.length};
        const i64 strides[1][MAX_RANK] = {{s.length, s.o * s.length, 1}};
        Loop loop;
        collapse_loop(loop, shape, 3, 1, strides);
        launch_strided_copy(c.stream, int(elem), loop, grad.data(), moved.data(), true);
        launch_reduce_rows(c.stream, 0, dtype, moved.data(), db.data(), s.o, s.g.n * s.length);
      }
    }
    check_launch("conv2dBackward");
    return id_array(env, ids, 3);
  });
}

namespace {
Window pool_window(Args& a, const Tensor& x, size_t first, const char* op) { return checked_columns(glue::pool_window(a, x, first, op), op); }
}  // namespace

/** maxPool2d(x, kh, kw, sh, sw, ph, pw, dh, dw) -> [N, C, outH, outW]. */
napi_value MaxPool2d(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    const Window g = pool_window(a, x, 1, "maxPool2d");
    const i64 shape[4] = {g.n, g.c, g.out_h, g.out_w};
    Context& c = a.ctx();
    const int id = new_tensor(a.st, x.dtype, shape, 4);
    launch_max_pool(c.stream, x.dtype, g, x.data(), tensor_at(a.st, id).data());
    check_launch("maxPool2d");
    return make_int(env, id);
  });
}

/** maxPool2dBackward(grad, x, y, kh, kw, sh, sw, ph, pw, dh, dw) -> dx shaped as x. */
napi_value MaxPool2dBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& grad = a.tensor(0);
    const Tensor& x = a.tensor(1);
    const Tensor& y = a.tensor(2);
    const WindowShape window = glue::pool_window(a, x, 3, "maxPool2dBackward");
    const Window g = checked_columns(window, "maxPool2dBackward");
    check_pool_outputs(grad, y, x, window);
    Context& c = a.ctx();
    const int id = new_tensor(a.st, x.dtype, x.shape, 4);
    Scratch share(a.st, y.bytes(), "maxPool2dBackward");
    launch_max_pool_backward(c.stream, x.dtype, g, grad.data(), x.data(), y.data(), share.data(), tensor_at(a.st, id).data());
    check_launch("maxPool2dBackward");
    return make_int(env, id);
  });
}

}  // namespace mc
