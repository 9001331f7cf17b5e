// The training step's fused kernels: the backward of bias + activation, multi-tensor Adam and
// SGD steps (one call updates every parameter), and reshape with its dimensions as numbers
// (no JS array to read: a reshape runs several times per step).
#include <cmath>
#include <limits>

#include "ops.h"

namespace myelin {

namespace {

/** The int32 elements of an Int32Array argument (its length in *n). */
std::int32_t* int32_array(Args& a, std::size_t i, std::size_t* n) {
  napi_typedarray_type type;
  void* data = nullptr;
  napi_value buffer;
  std::size_t offset = 0;
  if (napi_get_typedarray_info(a.env, a.at(i), &type, n, &data, &buffer, &offset) != napi_ok || type != napi_int32_array) {
    throw argument_error("argument " + std::to_string(i) + " is not an Int32Array");
  }
  return static_cast<std::int32_t*>(data);
}

/** The live tensor with id `id` (from a typed array, not an argument slot). */
Tensor& live_tensor(State* st, std::int32_t id) {
  if (id < 0 || std::size_t(id) >= st->tensors.size() || !st->tensors[std::size_t(id)].live) {
    throw GlueError{ErrorKind::Disposed, "backend 'cpu': handle " + std::to_string(id) + " is not live (disposed or never created)", "", F32};
  }
  return st->tensors[std::size_t(id)];
}

void check_like(const Tensor& p, const Tensor& t, const char* op, const char* what) {
  if (t.dtype != p.dtype || t.size != p.size) {
    throw shape_error(std::string(op) + ": " + what + " is " + format_shape(t.shape, t.rank) + " " + DTYPE_NAMES[t.dtype] + ", the parameter " +
                      format_shape(p.shape, p.rank) + " " + DTYPE_NAMES[p.dtype]);
  }
}

}  // namespace

/** reshapeN(x, rank, d0, d1, d2, d3): a view with up to four dimensions given as numbers. */
napi_value ReshapeDims(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    const int rank = a.i32(1);
    if (rank < 0 || rank > 4) throw argument_error("reshapeN: rank " + std::to_string(rank) + " is outside 0..4");
    i64 shape[4];
    for (int d = 0; d < rank; d++) {
      const double v = a.f64(std::size_t(2 + d));
      if (!(v >= 0) || v != double(i64(v)) || v > 9.0e15) throw shape_error("a dimension must be a non-negative integer, got " + std::to_string(v));
      shape[d] = i64(v);
    }
    return make_int(env, new_view(a.st, x, shape, rank));
  });
}

/** biasActivationBackward(g, y, act) -> [dz, dbias]: dz = g * act'(y) [rows, n], dbias = sum of dz's rows [n]. */
napi_value BiasActivationBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& g = a.tensor(0);
    const Tensor& y = a.tensor(1);
    const int act = a.i32(2);
    if (act < ACT_LINEAR || act > ACT_TANH) throw argument_error("unknown activation code " + std::to_string(act));
    if (!is_float(g.dtype)) throw unsupported("biasActivationBackward", g.dtype);
    if (g.rank != 2 || y.rank != 2 || g.shape[0] != y.shape[0] || g.shape[1] != y.shape[1] || g.dtype != y.dtype) {
      throw shape_error("biasActivationBackward: grad " + format_shape(g.shape, g.rank) + " " + DTYPE_NAMES[g.dtype] + " and output " + format_shape(y.shape, y.rank) +
                        " " + DTYPE_NAMES[y.dtype] + " must be [rows, n] of one shape and dtype");
    }
    const i64 rows = g.shape[0], n = g.shape[1];
    int ids[2] = {new_tensor(a.st, g.dtype, g.shape, 2), new_tensor(a.st, g.dtype, g.shape + 1, 1)};
    void* dz = tensor_at(a.st, ids[0]).data();
    void* db = tensor_at(a.st, ids[1]).data();
    const KernelTable& k = *a.st->k;
    const int dtype = g.dtype;
    const void *pg = g.data(), *py = y.data();
    parallel_for(a.st, rows, n * (act == ACT_LINEAR || act == ACT_RELU ? 1 : 2), [&](i64 b, i64 e) { k.bias_act_backward(dtype, act, pg, py, dz, n, b, e); });
    double* acc = scratch(a.st, n);
    parallel_for(a.st, n, rows, [&](i64 b, i64 e) { k.reduce_cols(0, dtype, dz, db, acc + b, 1, rows, n, b, e); });
    napi_value arr, v0, v1;
    napi_create_array_with_length(env, 2, &arr);
    napi_create_int32(env, ids[0], &v0);
    napi_create_int32(env, ids[1], &v1);
    napi_set_element(env, arr, 0, v0);
    napi_set_element(env, arr, 1, v1);
    return arr;
  });
}

namespace {

/** Elementwise clamped-log BCE (and its gradient times scale) over [b, e); returns the losses' sum. */
template <typename T>
double bce_range(const T* p, const T* y, T* loss, T* grad, T scale, i64 b, i64 e) {
  double total = 0;
  for (i64 i = b; i < e; i++) {
    const T pi = p[i], yi = y[i], q = T(1) - pi, ny = T(1) - yi;
    const T log_p = pi > T(0) ? std::log(pi) : -std::numeric_limits<T>::infinity();
    const T log_q = q > T(0) ? std::log(q) : -std::numeric_limits<T>::infinity();
    const bool in_p = log_p > T(-100), in_q = log_q > T(-100);
    const T l = -(yi * (in_p ? log_p : T(-100)) + ny * (in_q ? log_q : T(-100)));
    if (loss != nullptr) loss[i] = l;
    total += double(l);
    if (grad != nullptr) grad[i] = ((in_p ? -yi / pi : T(0)) + (in_q ? ny / q : T(0))) * scale;
  }
  return total;
}

}  // namespace

/**
 * binaryCrossEntropy(p, y, withGrad, reduction) -> [loss, grad | null]: elementwise
 * -(y clog(p) + (1 - y) clog(1 - p)), log clamped at -100; reduction 0 none (the input's shape),
 * 1 sum, 2 mean (a scalar, summed in double in index order on this thread). The gradient is the
 * clamped loss's exact derivative, divided by the size for the mean.
 */
napi_value BinaryCrossEntropy(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& p = a.tensor(0);
    const Tensor& y = a.tensor(1);
    const bool with_grad = a.boolean(2);
    const int reduction = a.i32(3);
    if (!is_float(p.dtype)) throw unsupported("binaryCrossEntropy", p.dtype);
    if (reduction < 0 || reduction > 2) throw argument_error("binaryCrossEntropy: unknown reduction code " + std::to_string(reduction));
    bool same = y.dtype == p.dtype && y.rank == p.rank;
    for (int d = 0; same && d < p.rank; d++) same = y.shape[d] == p.shape[d];
    if (!same) {
      throw shape_error("binaryCrossEntropy: probabilities " + format_shape(p.shape, p.rank) + " " + DTYPE_NAMES[p.dtype] + " and target " +
                        format_shape(y.shape, y.rank) + " " + DTYPE_NAMES[y.dtype] + " must have one shape and dtype");
    }
    const i64 n = p.size;
    int ids[2] = {new_tensor(a.st, p.dtype, p.shape, reduction == 0 ? p.rank : 0), with_grad ? new_tensor(a.st, p.dtype, p.shape, p.rank) : -1};
    void* loss = reduction == 0 ? tensor_at(a.st, ids[0]).data() : nullptr;
    void* grad = with_grad ? tensor_at(a.st, ids[1]).data() : nullptr;
    const double scale = reduction == 2 ? (n > 0 ? 1.0 / double(n) : 0.0) : 1.0;
    double total;
    if (p.dtype == F32) {
      total = bce_range(static_cast<const float*>(p.data()), static_cast<const float*>(y.data()), static_cast<float*>(loss), static_cast<float*>(grad),
                        float(scale), 0, n);
    } else {
      total = bce_range(static_cast<const double*>(p.data()), static_cast<const double*>(y.data()), static_cast<double*>(loss), static_cast<double*>(grad),
                        scale, 0, n);
    }
    if (reduction != 0) {
      if (reduction == 2) total /= double(n);
      void* out = tensor_at(a.st, ids[0]).data();
      if (p.dtype == F32) *static_cast<float*>(out) = float(total);
      else *static_cast<double*>(out) = total;
    }
    napi_value arr, v0, v1;
    napi_create_array_with_length(env, 2, &arr);
    napi_create_int32(env, ids[0], &v0);
    if (ids[1] < 0) napi_get_null(env, &v1);
    else napi_create_int32(env, ids[1], &v1);
    napi_set_element(env, arr, 0, v0);
    napi_set_element(env, arr, 1, v1);
    return arr;
  });
}

/**
 * adamUpdateMany(ids: Int32Array [p0, g0, m0, v0, p1, ...], out: Int32Array [p0', m0', v0', ...], constants...):
 * every parameter of one group in one call; every id and size is checked before any kernel runs.
 */
napi_value AdamUpdateMany(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    std::size_t n_in = 0, n_out = 0;
    const std::int32_t* in = int32_array(a, 0, &n_in);
    std::int32_t* out = int32_array(a, 1, &n_out);
    if (n_in % 4 != 0 || n_out != n_in / 4 * 3) throw argument_error("adamUpdateMany: expected 4 ids in and 3 out per parameter");
    const std::size_t count = n_in / 4;
    AdamConstants c{a.f64(2), a.f64(3), a.f64(4), a.f64(5), a.f64(6), a.f64(7), a.f64(8), a.f64(9), a.f64(10)};
    for (std::size_t j = 0; j < count; j++) {
      const Tensor& p = live_tensor(a.st, in[4 * j]);
      if (!is_float(p.dtype)) throw unsupported("adamUpdateMany", p.dtype);
      check_like(p, live_tensor(a.st, in[4 * j + 1]), "adamUpdateMany", "grad");
      check_like(p, live_tensor(a.st, in[4 * j + 2]), "adamUpdateMany", "m");
      check_like(p, live_tensor(a.st, in[4 * j + 3]), "adamUpdateMany", "v");
    }
    const KernelTable& k = *a.st->k;
    for (std::size_t j = 0; j < count; j++) {
      // Copies of the shapes: new_tensor may grow the table (a deque: references stay valid anyway).
      const Tensor& p = tensor_at(a.st, in[4 * j]);
      const int dtype = p.dtype;
      const i64 size = p.size;
      for (int o = 0; o < 3; o++) out[3 * j + o] = new_tensor(a.st, dtype, p.shape, p.rank);
      const void *pp = p.data(), *pg = tensor_at(a.st, in[4 * j + 1]).data();
      const void *pm = tensor_at(a.st, in[4 * j + 2]).data(), *pv = tensor_at(a.st, in[4 * j + 3]).data();
      void* po = tensor_at(a.st, out[3 * j]).data();
      void* mo = tensor_at(a.st, out[3 * j + 1]).data();
      void* vo = tensor_at(a.st, out[3 * j + 2]).data();
      parallel_for(a.st, size, 8, [&](i64 b, i64 e) { k.adam(dtype, pp, pg, pm, pv, po, mo, vo, c, b, e); });
    }
    return static_cast<napi_value>(nullptr);
  });
}

/**
 * sgdUpdateMany(ids: Int32Array [p0, g0, buf0 (or -1), ...], out: Int32Array [p0', buf0' (or -1), ...],
 * lr, momentum, dampening, weightDecay, nesterov): buffers are used (and made) only with momentum.
 */
napi_value SgdUpdateMany(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    std::size_t n_in = 0, n_out = 0;
    const std::int32_t* in = int32_array(a, 0, &n_in);
    std::int32_t* out = int32_array(a, 1, &n_out);
    if (n_in % 3 != 0 || n_out != n_in / 3 * 2) throw argument_error("sgdUpdateMany: expected 3 ids in and 2 out per parameter");
    const std::size_t count = n_in / 3;
    SgdConstants c{a.f64(2), a.f64(3), 1.0 - a.f64(4), a.f64(5), a.boolean(6), false};
    const bool momentum = c.momentum != 0;
    for (std::size_t j = 0; j < count; j++) {
      const Tensor& p = live_tensor(a.st, in[3 * j]);
      if (!is_float(p.dtype)) throw unsupported("sgdUpdateMany", p.dtype);
      check_like(p, live_tensor(a.st, in[3 * j + 1]), "sgdUpdateMany", "grad");
      if (momentum && in[3 * j + 2] >= 0) check_like(p, live_tensor(a.st, in[3 * j + 2]), "sgdUpdateMany", "momentum buffer");
    }
    const KernelTable& k = *a.st->k;
    for (std::size_t j = 0; j < count; j++) {
      const Tensor& p = tensor_at(a.st, in[3 * j]);
      const int dtype = p.dtype;
      const i64 size = p.size;
      out[2 * j] = new_tensor(a.st, dtype, p.shape, p.rank);
      out[2 * j + 1] = momentum ? new_tensor(a.st, dtype, p.shape, p.rank) : -1;
      SgdConstants cj = c;
      cj.first = momentum && in[3 * j + 2] < 0;
      const void* pp = p.data();
      const void* pg = tensor_at(a.st, in[3 * j + 1]).data();
      const void* pb = momentum && !cj.first ? tensor_at(a.st, in[3 * j + 2]).data() : nullptr;
      void* po = tensor_at(a.st, out[2 * j]).data();
      void* bo = momentum ? tensor_at(a.st, out[2 * j + 1]).data() : nullptr;
      parallel_for(a.st, size, 4, [&](i64 b, i64 e) { k.sgd(dtype, pp, pg, pb, po, bo, cj, b, e); });
    }
    return static_cast<napi_value>(nullptr);
  });
}

}  // namespace myelin
