// Kernels over the last axis, one row at a time: softmax and layer norm with their backward
// (the attention scores' softmax and a Transformer's LayerNorms: one pass instead of five to
// fifteen composed ops each). This addon's own entry points: backend-cuda composes them.
#include <algorithm>
#include <cmath>
#include <string>

#include "ops.h"

namespace myelin {

namespace {

const void* data_or_null(const Tensor* t) { return t == nullptr ? nullptr : t->data(); }

/** Rows per block of layerNormBackward's weight and bias sums: fixed, so the result does not depend on the threads. */
constexpr i64 PARAM_BLOCK = 64;

}  // namespace

/** softmax(x) -> y: softmax over the last axis of a float tensor. */
napi_value Softmax(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_softmax(a);
    const Tensor& x = call.x;
    const RowLayout r = call.layout;
    const int id = new_tensor(a.st, x.dtype, x.shape, x.rank);
    void* y = tensor_at(a.st, id).data();
    const void* px = x.data();
    const KernelTable& k = *a.st->k;
    parallel_for(a.st, r.rows, r.n * 4, [&, dtype = x.dtype](i64 b, i64 e) { k.softmax_rows(dtype, px, y, r.n, b, e); });
    return make_int(env, id);
  });
}

/** softmaxBackward(grad, y) -> dx = y * (grad - sum(grad * y)) over the last axis. */
napi_value SoftmaxBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_softmax_backward(a);
    const Tensor& g = call.grad;
    const Tensor& y = call.y;
    const RowLayout r = call.layout;
    const int id = new_tensor(a.st, y.dtype, y.shape, y.rank);
    void* dx = tensor_at(a.st, id).data();
    const void *pg = g.data(), *py = y.data();
    const KernelTable& k = *a.st->k;
    parallel_for(a.st, r.rows, r.n * 2, [&, dtype = y.dtype](i64 b, i64 e) { k.softmax_backward_rows(dtype, pg, py, dx, r.n, b, e); });
    return make_int(env, id);
  });
}

/** layerNorm(x, weight | -1, bias | -1, eps) -> [y, mean, invStd]: over the last axis; mean and invStd [rows]. */
napi_value LayerNorm(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_layer_norm(a);
    const Tensor& x = call.x;
    const RowLayout r = call.layout;
    const Tensor *weight = call.weight, *bias = call.bias;
    const double eps = call.eps;
    const i64 stats[1] = {r.rows};
    const int ids[3] = {new_tensor(a.st, x.dtype, x.shape, x.rank), new_tensor(a.st, x.dtype, stats, 1), new_tensor(a.st, x.dtype, stats, 1)};
    void* p[3];
    for (int i = 0; i < 3; i++) p[i] = tensor_at(a.st, ids[i]).data();
    const void *px = x.data(), *pw = data_or_null(weight), *pb = data_or_null(bias);
    const KernelTable& k = *a.st->k;
    parallel_for(a.st, r.rows, r.n * 4,
                 [&, dtype = x.dtype](i64 b, i64 e) { k.layer_norm_rows(dtype, px, pw, pb, p[0], p[1], p[2], eps, r.n, b, e); });
    return id_array(env, ids, 3);
  });
}

/**
 * layerNormBackward(grad, x, weight | -1, mean, invStd, needInput, needWeight, needBias)
 * -> [dx | null, dweight | null, dbias | null] (see the contract's layerNormBackward).
 */
napi_value LayerNormBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_layer_norm_backward(a);
    const Tensor& g = call.grad;
    const Tensor& x = call.x;
    const RowLayout r = call.layout;
    const Tensor* weight = call.weight;
    const Tensor& mean = call.mean;
    const Tensor& inv_std = call.inv_std;
    const bool* need = call.need;
    const i64 features[1] = {r.n};
    const int ids[3] = {need[0] ? new_tensor(a.st, x.dtype, x.shape, x.rank) : -1, need[1] ? new_tensor(a.st, x.dtype, features, 1) : -1,
                        need[2] ? new_tensor(a.st, x.dtype, features, 1) : -1};
    const void *pg = g.data(), *px = x.data(), *pw = data_or_null(weight), *pm = mean.data(), *ps = inv_std.data();
    const KernelTable& k = *a.st->k;
    const int dtype = x.dtype;
    if (need[0]) {
      void* dx = tensor_at(a.st, ids[0]).data();
      parallel_for(a.st, r.rows, r.n * 4, [&](i64 b, i64 e) { k.layer_norm_backward_rows(dtype, pg, px, pw, pm, ps, dx, r.n, b, e); });
    }
    if (need[1] || need[2]) {
      // Per block of PARAM_BLOCK rows: double sums of g * xhat and g, then the blocks added in order.
      const i64 blocks = (r.rows + PARAM_BLOCK - 1) / PARAM_BLOCK;
      double* acc = scratch(a.st, blocks * 2 * r.n);
      for (i64 i = 0; i < blocks * 2 * r.n; i++) acc[i] = 0;
      parallel_for(a.st, blocks, PARAM_BLOCK * r.n * 2, [&](i64 b, i64 e) {
        for (i64 block = b; block < e; block++) {
          double* dw = acc + block * 2 * r.n;
          const i64 first = block * PARAM_BLOCK, last = std::min(r.rows, first + PARAM_BLOCK);
          k.layer_norm_param_rows(dtype, pg, px, pm, ps, need[1] ? dw : nullptr, need[2] ? dw + r.n : nullptr, r.n, first, last);
        }
      });
      for (int which = 1; which <= 2; which++) {
        if (!need[which]) continue;
        void* out = tensor_at(a.st, ids[which]).data();
        for (i64 i = 0; i < r.n; i++) {
          double s = 0;
          for (i64 block = 0; block < blocks; block++) s += acc[block * 2 * r.n + (which - 1) * r.n + i];
          if (dtype == F32) static_cast<float*>(out)[i] = float(s);
          else static_cast<double*>(out)[i] = s;
        }
      }
    }
    return id_array(env, ids, 3);
  });
}

}  // namespace myelin
