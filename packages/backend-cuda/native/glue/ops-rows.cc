// The fused kernels over the last axis (kernels/rows.cu): softmax and layer norm with their
// backward, for attention's scores and a Transformer's LayerNorms. Checked here as backend-cpu's
// ops-rows.cc checks them (the same errors), then one launch each on the context's stream (two
// for layerNormBackward's input and parameter gradients).
#include <cmath>
#include <string>

#include "ops.h"

namespace mc {

namespace {

const void* data_or_null(const Tensor* t) { return t == nullptr ? nullptr : t->data(); }

}  // namespace

/** softmax(x) -> y: softmax over the last axis of a float tensor. */
napi_value Softmax(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_softmax(a);
    const Tensor& x = call.x;
    const RowLayout r = call.layout;
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
    const auto call = read_softmax_backward(a);
    const Tensor& g = call.grad;
    const Tensor& y = call.y;
    const RowLayout r = call.layout;
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
    const auto call = read_layer_norm(a);
    const Tensor& x = call.x;
    const RowLayout r = call.layout;
    const Tensor *weight = call.weight, *bias = call.bias;
    const double eps = call.eps;
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
    const auto call = read_layer_norm_backward(a);
    const Tensor& g = call.grad;
    const Tensor& x = call.x;
    const RowLayout r = call.layout;
    const Tensor* weight = call.weight;
    const Tensor& mean = call.mean;
    const Tensor& inv_std = call.inv_std;
    const bool* need = call.need;
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
