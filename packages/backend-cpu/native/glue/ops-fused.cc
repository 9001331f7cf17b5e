// The training step's fused kernels: the backward of bias + activation, multi-tensor Adam and
// SGD steps (one call updates every parameter), and reshape with its dimensions as numbers
// (no JS array to read: a reshape runs several times per step).
#include <cmath>
#include <limits>

#include "ops.h"

namespace myelin {

namespace {

}  // namespace

/** reshapeN(x, rank, d0, d1, d2, d3): a view with up to four dimensions given as numbers. */
napi_value ReshapeDims(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_reshape_dims(a);
    return make_int(env, new_view(a.st, call.x, call.shape, call.rank));
  });
}

/** biasActivationBackward(g, y, act) -> [dz, dbias]: dz = g * act'(y) [rows, n], dbias = sum of dz's rows [n]. */
napi_value BiasActivationBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_bias_activation_backward(a);
    const Tensor& g = call.a;
    const Tensor& y = call.b;
    const int act = call.code;
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
    return id_array(env, ids, 2);
  });
}

namespace {

/** out = sum + T(x) * scale over [b, e): x cast to the sum's type, the product rounded before the add. */
template <typename T, typename U>
void accumulate_range(const T* sum, const U* x, T* out, T scale, i64 b, i64 e) {
  for (i64 i = b; i < e; i++) {
    const T term = T(x[i]) * scale;
    out[i] = sum[i] + term;
  }
}

template <typename T>
void accumulate_typed(const T* sum, int x_dtype, const void* x, T* out, double scale, i64 b, i64 e) {
  switch (x_dtype) {
    case F32: accumulate_range(sum, static_cast<const float*>(x), out, T(scale), b, e); break;
    case F64: accumulate_range(sum, static_cast<const double*>(x), out, T(scale), b, e); break;
    default: accumulate_range(sum, static_cast<const std::int32_t*>(x), out, T(scale), b, e); break;
  }
}

}  // namespace

/** accumulate(sum, x, scale): a running sum's step, sum + cast(x) * scale (fit's loss and metric sums). */
napi_value Accumulate(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_accumulate(a);
    const Tensor& sum = call.sum;
    const int id = new_tensor(a.st, sum.dtype, sum.shape, sum.rank);
    void* out = tensor_at(a.st, id).data();
    const void *ps = sum.data(), *px = call.x.data();
    const int x_dtype = call.x.dtype;
    const double scale = call.scale;
    parallel_for(a.st, sum.size, 1, [&, dtype = sum.dtype](i64 b, i64 e) {
      if (dtype == F32) accumulate_typed(static_cast<const float*>(ps), x_dtype, px, static_cast<float*>(out), scale, b, e);
      else accumulate_typed(static_cast<const double*>(ps), x_dtype, px, static_cast<double*>(out), scale, b, e);
    });
    return make_int(env, id);
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
    const auto call = read_binary_cross_entropy(a);
    const Tensor& p = call.a;
    const Tensor& y = call.b;
    const bool with_grad = call.with_grad;
    const int reduction = call.code;
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
    return id_array(env, ids, 2);
  });
}

/**
 * adamUpdateMany(ids: Int32Array [p0, g0, m0, v0, p1, ...], out: Int32Array [p0', m0', v0', ...], constants...):
 * every parameter of one group in one call; every id and size is checked before any kernel runs.
 */
napi_value AdamUpdateMany(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [in, out, count] = read_id_tables(a, 4, 3, "adamUpdateMany");
    AdamConstants c{a.f64(2), a.f64(3), a.f64(4), a.f64(5), a.f64(6), a.f64(7), a.f64(8), a.f64(9), a.f64(10)};
    check_adam_ids(*a.st, in.data(), count, "adamUpdateMany");
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
    const auto [in, out, count] = read_id_tables(a, 3, 2, "sgdUpdateMany");
    SgdConstants c{a.f64(2), a.f64(3), 1.0 - a.f64(4), a.f64(5), a.boolean(6), false};
    const bool momentum = c.momentum != 0;
    check_sgd_ids(*a.st, in.data(), count, momentum);
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

/**
 * batchNorm(x, weight | -1, bias | -1, mean | -1, variance | -1, eps) -> [y, mean, variance, invStd]:
 * per channel of x [N, C, ...], the batch's statistics (biased variance) when mean is -1, else the
 * given [C] mean and variance; y = (x - mean) * invStd * weight + bias.
 */
napi_value BatchNorm(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_batch_norm(a);
    const Tensor& x = call.x;
    const NormLayout& l = call.layout;
    const Tensor *weight = call.weight, *bias = call.bias, *given_mean = call.mean, *given_var = call.variance;
    const double eps = call.eps;
    const i64 channel[1] = {l.c};
    const int ids[4] = {new_tensor(a.st, x.dtype, x.shape, x.rank), new_tensor(a.st, x.dtype, channel, 1), new_tensor(a.st, x.dtype, channel, 1),
                        new_tensor(a.st, x.dtype, channel, 1)};
    void* p[4];
    for (int i = 0; i < 4; i++) p[i] = tensor_at(a.st, ids[i]).data();
    auto data = [](const Tensor* t) { return t == nullptr ? nullptr : t->data(); };
    const i64 per = l.n * l.inner * (given_mean == nullptr ? 3 : 1);
    const ChannelLayout layout{l.n, l.c, l.inner};
    parallel_for(a.st, l.c, per, [&](i64 b, i64 e) {
      a.st->k->batch_norm_channels(x.dtype, layout, x.data(), data(weight), data(bias), data(given_mean), data(given_var), eps, p[0], p[1], p[2], p[3], b, e);
    });
    return id_array(env, ids, 4);
  });
}

/**
 * batchNormBackward(grad, x, weight | -1, mean, invStd, training, needInput, needWeight, needBias)
 * -> [dx | null, dweight | null, dbias | null] (see the contract's batchNormBackward).
 */
napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_batch_norm_backward(a);
    const Tensor& x = call.x;
    const NormLayout& l = call.layout;
    const i64 channel[1] = {l.c};
    const int ids[3] = {call.need[0] ? new_tensor(a.st, x.dtype, x.shape, x.rank) : -1, call.need[1] ? new_tensor(a.st, x.dtype, channel, 1) : -1,
                        call.need[2] ? new_tensor(a.st, x.dtype, channel, 1) : -1};
    void* p[3];
    for (int i = 0; i < 3; i++) p[i] = ids[i] < 0 ? nullptr : tensor_at(a.st, ids[i]).data();
    const i64 per = l.n * l.inner * 2;
    const ChannelLayout layout{l.n, l.c, l.inner};
    parallel_for(a.st, l.c, per, [&](i64 b, i64 e) {
      a.st->k->batch_norm_backward_channels(x.dtype, layout, call.grad.data(), x.data(), call.weight ? call.weight->data() : nullptr, call.mean.data(),
                                            call.inv_std.data(), call.training, p[0], p[1], p[2], b, e);
    });
    return id_array(env, ids, 3);
  });
}

}  // namespace myelin
