// The fused kernels over the last axis (kernels/rows.cu): softmax and layer norm with their
// backward, for attention's scores and a Transformer's LayerNorms. Checked here as backend-cpu's
// ops-rows.cc checks them (the same errors), then one launch each on the context's stream (two
// for layerNormBackward's input and parameter gradients).
#include <cmath>
#include <string>

#include "ops.h"

namespace mc {

namespace {

std::string describe(const Tensor& t) { return format_shape(t.shape, t.rank) + " " + DTYPE_NAMES[t.dtype]; }

/** A float tensor of rank >= 1; its rows and row length (the last axis). */
struct Rows {
  i64 rows, n;
};
Rows rows_of(const Tensor& x, const char* op, const char* what) {
  if (!is_float(x.dtype)) throw unsupported(op, x.dtype);
  if (x.rank < 1) throw shape_error(std::string(op) + ": " + what + " must have at least one axis, got " + describe(x));
  i64 rows = 1;
  for (int d = 0; d + 1 < x.rank; d++) rows *= x.shape[d];
  return {rows, x.shape[x.rank - 1]};
}

void check_same(const Tensor& t, const Tensor& x, const char* op, const char* what, const char* other) {
  bool same = t.dtype == x.dtype && t.rank == x.rank;
  for (int d = 0; same && d < x.rank; d++) same = t.shape[d] == x.shape[d];
  if (!same) throw shape_error(std::string(op) + ": " + what + " " + describe(t) + " differs from " + other + " " + describe(x));
}

/** The optional [n] tensor in argument i (a negative id: none), of x's dtype. */
const Tensor* per_feature(Args& a, size_t i, const Tensor& x, i64 n, const char* op, const char* what) {
  if (a.i32(i) < 0) return nullptr;
  const Tensor& t = a.tensor(i);
  if (t.dtype != x.dtype || t.rank != 1 || t.shape[0] != n)
    throw shape_error(std::string(op) + ": " + what + " must be [" + std::to_string(n) + "] " + DTYPE_NAMES[x.dtype] + ", got " + describe(t));
  return &t;
}

/** The [rows] statistic in argument i, of x's dtype. */
const Tensor& per_row(Args& a, size_t i, const Tensor& x, i64 rows, const char* op, const char* what) {
  const Tensor& t = a.tensor(i);
  if (t.dtype != x.dtype || t.rank != 1 || t.shape[0] != rows)
    throw shape_error(std::string(op) + ": " + what + " must be [" + std::to_string(rows) + "] " + DTYPE_NAMES[x.dtype] + ", got " + describe(t));
  return t;
}

const void* data_or_null(const Tensor* t) { return t == nullptr ? nullptr : t->data(); }

}  // namespace

/** softmax(x) -> y: softmax over the last axis of a float tensor. */
napi_value Softmax(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    const Rows r = rows_of(x, "softmax", "x");
    Context& c = a.ctx();
    const int id = new_tensor(a.st, x.dtype, x.shape, x.rank);
    launch_softmax_rows(c.stream, x.dtype, x.data(), tensor_at(a.st, id).data(), r.rows, r.n);
    check_launch("softmax");
    return make_int(env, id);
  });
}

/** softmaxBackward(grad, y) -> dx = y * (grad - sum(grad * y)) over the last axis. */
napi_value SoftmaxBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& g = a.tensor(0);
    const Tensor& y = a.tensor(1);
    const Rows r = rows_of(y, "softmaxBackward", "y");
    check_same(g, y, "softmaxBackward", "grad", "y");
    Context& c = a.ctx();
    const int id = new_tensor(a.st, y.dtype, y.shape, y.rank);
    launch_softmax_backward_rows(c.stream, y.dtype, g.data(), y.data(), tensor_at(a.st, id).data(), r.rows, r.n);
    check_launch("softmaxBackward");
    return make_int(env, id);
  });
}

/** layerNorm(x, weight | -1, bias | -1, eps) -> [y, mean, invStd]: over the last axis; mean and invStd [rows]. */
napi_value LayerNorm(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    const Rows r = rows_of(x, "layerNorm", "x");
    const Tensor* weight = per_feature(a, 1, x, r.n, "layerNorm", "weight");
    const Tensor* bias = per_feature(a, 2, x, r.n, "layerNorm", "bias");
    const double eps = a.f64(3);
    if (!(eps >= 0) || eps == INFINITY) throw argument_error("layerNorm: eps must be finite and >= 0, got " + std::to_string(eps));
    Context& c = a.ctx();
    const i64 stats[1] = {r.rows};
    // A failure below releases what this call made (guarded).
    const int ids[3] = {new_tensor(a.st, x.dtype, x.shape, x.rank), new_tensor(a.st, x.dtype, stats, 1), new_tensor(a.st, x.dtype, stats, 1)};
    launch_layer_norm_rows(c.stream, x.dtype, x.data(), data_or_null(weight), data_or_null(bias), tensor_at(a.st, ids[0]).data(), tensor_at(a.st, ids[1]).data(),
                           tensor_at(a.st, ids[2]).data(), eps, r.rows, r.n);
    check_launch("layerNorm");
    return id_array(env, ids, 3);
  });
}

/**
 * layerNormBackward(grad, x, weight | -1, mean, invStd, needInput, needWeight, needBias)
 * -> [dx | null, dweight | null, dbias | null] (see the contract's layerNormBackward).
 */
napi_value LayerNormBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& g = a.tensor(0);
    const Tensor& x = a.tensor(1);
    const Rows r = rows_of(x, "layerNormBackward", "x");
    check_same(g, x, "layerNormBackward", "grad", "x");
    const Tensor* weight = per_feature(a, 2, x, r.n, "layerNormBackward", "weight");
    const Tensor& mean = per_row(a, 3, x, r.rows, "layerNormBackward", "mean");
    const Tensor& inv_std = per_row(a, 4, x, r.rows, "layerNormBackward", "invStd");
    const bool need[3] = {a.boolean(5), a.boolean(6), a.boolean(7)};
    Context& c = a.ctx();
    const i64 features[1] = {r.n};
    // A failure below releases what this call made (guarded).
    const int ids[3] = {need[0] ? new_tensor(a.st, x.dtype, x.shape, x.rank) : -1, need[1] ? new_tensor(a.st, x.dtype, features, 1) : -1,
                        need[2] ? new_tensor(a.st, x.dtype, features, 1) : -1};
    auto out = [&](int i) { return ids[i] < 0 ? nullptr : tensor_at(a.st, ids[i]).data(); };
    launch_layer_norm_backward_rows(c.stream, x.dtype, g.data(), x.data(), data_or_null(weight), mean.data(), inv_std.data(), out(0), out(1), out(2), r.rows, r.n);
    check_launch("layerNormBackward");
    return id_array(env, ids, 3);
  });
}

}  // namespace mc
