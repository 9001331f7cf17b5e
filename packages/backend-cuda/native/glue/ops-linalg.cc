// Linear algebra and the training step's fused kernels: matmul (cuBLAS or the built-in GEMM),
// matmulBiasActivation, softmax and binary cross-entropy, the bias + activation backward,
// Adam / AdamW and SGD as multi-tensor launches, batch normalisation.
#include <climits>
#include <optional>

#include "ops.h"

namespace mc {

namespace {

bool fits_int(i64 v) { return v >= 0 && v <= INT_MAX; }

/** Checks a matmul's operands; returns the output id ([B, M, N]) with the product computed. */
int matmul_into(Args& a, const Tensor& x, const Tensor& y, bool ta, bool tb, const char* op) {
  const MatmulDims dims = check_matmul(x, y, ta, tb, op);
  const i64 batch = dims.batch, m = dims.m, n = dims.n, k = dims.k;
  a.ctx();
  const i64 shape[3] = {batch, m, n};
  const int id = new_tensor(a.st, x.dtype, shape, 3);
  GemmCall call{ta, tb, m, n, k, batch, x.data(), ta ? m : k, m * k, y.data(), tb ? k : n, k * n, tensor_at(a.st, id).data(), n, m * n};
  gemm(a.st, x.dtype, call, op);
  return id;
}

i64 chunks_of(i64 size) { return (size + OPT_CHUNK - 1) / OPT_CHUNK; }

/**
 * One launch per dtype over the parameters of that dtype (parameter j's tensor is in[stride * j]):
 * `entry(j, p, first_chunk)` makes its table entry, `launch(dtype, device_table, entries, chunks)`
 * runs the uploaded table.
 */
template <typename Entry, typename MakeEntry, typename Launch>
void run_tables(State* st, const std::int32_t* in, std::size_t stride, std::size_t count, const char* op, MakeEntry&& entry, Launch&& launch) {
  for (int dtype : {int(F32), int(F64)}) {
    std::vector<Entry> table;
    i64 chunks = 0;
    for (std::size_t j = 0; j < count; j++) {
      const Tensor& p = tensor_at(st, in[stride * j]);
      if (p.dtype != dtype) continue;
      table.push_back(entry(j, p, chunks));
      chunks += chunks_of(p.size);
    }
    if (table.empty()) continue;
    if (chunks > INT_MAX) throw unsupported(op, dtype, "more than 2^31 blocks of parameters in one call");
    const std::size_t bytes = table.size() * sizeof(Entry);
    Scratch device_table(st, bytes, op);
    upload(st, device_table.data(), table.data(), bytes);
    launch(dtype, static_cast<const Entry*>(device_table.data()), int(table.size()), chunks);
    check_launch(op);
  }
}

/** Runs Adam over parameters `in` ([p, g, m, v] ids each) into `out` ([p', m', v'] ids each): one launch per dtype. */
void adam_many(State* st, const std::int32_t* in, std::int32_t* out, std::size_t count, const AdamConstants& k, const char* op) {
  check_adam_ids(*st, in, count, op);
  if (st->ctx == nullptr) throw backend_error("backend 'cuda': no GPU is open in this process");
  // Called only inside guarded entry points: a failure releases the tensors made here.
  for (std::size_t j = 0; j < count; j++) {
    const Tensor& p = tensor_at(st, in[4 * j]);
    for (int o = 0; o < 3; o++) out[3 * j + o] = new_tensor(st, p.dtype, p.shape, p.rank);
  }
  run_tables<AdamEntry>(
      st, in, 4, count, op,
      [&](std::size_t j, const Tensor& p, i64 first_chunk) {
        return AdamEntry{p.data(), tensor_at(st, in[4 * j + 1]).data(), tensor_at(st, in[4 * j + 2]).data(), tensor_at(st, in[4 * j + 3]).data(),
                         tensor_at(st, out[3 * j]).data(), tensor_at(st, out[3 * j + 1]).data(), tensor_at(st, out[3 * j + 2]).data(), p.size, first_chunk};
      },
      [&](int dtype, const AdamEntry* table, int entries, i64 chunks) { launch_adam_many(st->ctx->stream, dtype, table, entries, chunks, k); });
}

const void* data_or_null(const Tensor* t) { return t == nullptr ? nullptr : t->data(); }

/**
 * Writes `count` per-element losses with `losses(into)`: into the loss output itself for reduction
 * 'none' (0), else into scratch that one more launch sums into the scalar loss (divided by `divisor`).
 */
template <typename F>
void losses_reduced(Args& a, int dtype, int reduction, int loss_id, i64 count, double divisor, const char* op, F&& losses, const double* kept = nullptr) {
  void* loss = tensor_at(a.st, loss_id).data();
  if (reduction == 0) {
    losses(loss);
    return;
  }
  Scratch per_element(a.st, std::size_t(count) * dtype_size(dtype), op);
  losses(per_element.data());
  launch_sum_scalar(a.ctx().stream, dtype, per_element.data(), loss, count, divisor, kept);
}

}  // namespace

void gemm(State* st, int dtype, const GemmCall& call, const char* op) {
  Context& c = *st->ctx;
  if (call.m <= 0 || call.n <= 0 || call.batch <= 0) return;
  const bool ints = fits_int(call.m) && fits_int(call.n) && fits_int(call.k) && fits_int(call.batch) && fits_int(call.lda) && fits_int(call.ldb) && fits_int(call.ldc);
  if (c.blas != nullptr && st->gemm_mode == GemmMode::Auto && call.k > 0 && ints) {
    const int mode = dtype == F32 && st->tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH;
    if (c.math_mode != mode) {
      const cublasStatus s = cublas().set_math_mode(c.blas, mode);
      if (s != CUBLAS_OK) throw backend_error(std::string("backend 'cuda': cublasSetMathMode failed: ") + cublas_status_name(s));
      c.math_mode = mode;
    }
    // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: B first, m and n swapped.
    const int opb = call.tb ? CUBLAS_OP_T : CUBLAS_OP_N;
    const int opa = call.ta ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasStatus s;
    if (dtype == F32) {
      const float one = 1.0f, zero = 0.0f;
      s = cublas().sgemm_strided_batched(c.blas, opb, opa, int(call.n), int(call.m), int(call.k), &one, static_cast<const float*>(call.b), int(call.ldb), call.stride_b,
                                         static_cast<const float*>(call.a), int(call.lda), call.stride_a, &zero, static_cast<float*>(call.c), int(call.ldc), call.stride_c,
                                         int(call.batch));
    } else {
      const double one = 1.0, zero = 0.0;
      s = cublas().dgemm_strided_batched(c.blas, opb, opa, int(call.n), int(call.m), int(call.k), &one, static_cast<const double*>(call.b), int(call.ldb), call.stride_b,
                                         static_cast<const double*>(call.a), int(call.lda), call.stride_a, &zero, static_cast<double*>(call.c), int(call.ldc), call.stride_c,
                                         int(call.batch));
    }
    if (s == CUBLAS_OK) {
      check_launch(op);
      return;
    }
    // A status that is not an execution failure (e.g. an argument cuBLAS refuses): this call runs
    // on the built-in GEMM instead, and probe-visible state records why.
    cudaGetLastError();
    if (s == CUBLAS_STATUS_EXECUTION_FAILED) throw backend_error(std::string("backend 'cuda': ") + op + ": cuBLAS GEMM failed: " + cublas_status_name(s));
    c.blas_error = std::string("a cuBLAS GEMM returned ") + cublas_status_name(s) + " (m " + std::to_string(call.m) + ", n " + std::to_string(call.n) + ", k " +
                   std::to_string(call.k) + "); that call ran on the built-in GEMM";
  }
  if (call.m > i64(65535) * 64 || (call.n + 63) / 64 > INT_MAX) throw unsupported(op, dtype, "the output is too large for the built-in GEMM's grid; install cuBLAS");
  launch_gemm_builtin(c.stream, dtype, call);
  check_launch(op);
}

napi_value Matmul(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    const Tensor& y = a.tensor(1);
    return make_int(env, matmul_into(a, x, y, a.boolean(2), a.boolean(3), "matmul"));
  });
}

napi_value MatmulBiasActivation(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_matmul_bias_activation(a);
    const Tensor& x = call.x;
    const Tensor* bias = call.bias;
    const int act = call.act;
    // gelu, gelu_tanh and silu are backend-cpu's (this backend lists no fusedActivations: core composes them).
    if (act > ACT_TANH) throw unsupported("matmulBiasActivation", x.dtype, "activation code " + std::to_string(act) + " (gelu, gelu_tanh, silu) is not fused on cuda");
    const int id = matmul_into(a, x, call.y, call.ta, call.tb, "matmulBiasActivation");
    Tensor& out = tensor_at(a.st, id);
    if (bias == nullptr && act == ACT_LINEAR) return make_int(env, id);
    Loop loop;
    if (bias != nullptr) {
      const i64* shapes[2] = {out.shape, bias->shape};
      const int ranks[2] = {3, bias->rank};
      broadcast_loop(loop, out.shape, 3, 2, shapes, ranks);
    }
    launch_bias_activation(a.st->ctx->stream, x.dtype, act, out.data(), bias != nullptr ? &loop : nullptr, bias != nullptr ? bias->data() : nullptr, out.size);
    check_launch("matmulBiasActivation");
    return make_int(env, id);
  });
}

napi_value SoftmaxCrossEntropy(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    const Tensor& labels = a.tensor(1);
    const bool with_grad = a.boolean(2);
    // A negative scale asks for a mean's gradient: 1 / the rows not labelled `ignore`, which the
    // kernels count on the device (the labels are not read here).
    const double scale = a.f64(3);
    const int reduction = a.i32(4);
    const std::int32_t ignore = a.i32(5);  // PyTorch's ignore_index: no loss, no gradient, not counted
    check_softmax_cross_entropy(x, labels);
    check_reduction(reduction, "softmaxCrossEntropy");
    if ((scale < 0) != (reduction == 2))
      throw argument_error("softmaxCrossEntropy: the mean (reduction 2) goes with gradient scale -1 and only it, got reduction " + std::to_string(reduction) + " and scale " +
                           std::to_string(scale));
    const i64 rows = x.shape[0], n = x.shape[1];
    Context& c = a.ctx();
    int ids[2] = {new_tensor(a.st, x.dtype, x.shape, reduction == 0 ? 1 : 0), with_grad ? new_tensor(a.st, x.dtype, x.shape, 2) : -1};
    void* grad_data = with_grad ? tensor_at(a.st, ids[1]).data() : nullptr;
    const std::int32_t* lp = static_cast<const std::int32_t*>(labels.data());
    if (reduction != 0 && rows <= 8192 && rows * n <= (i64(1) << 22)) {
      // A training batch: losses, gradient and their reduction in one launch (a mean counts its rows there).
      launch_softmax_xent_reduced(c.stream, x.dtype, x.data(), lp, ignore, tensor_at(a.st, ids[0]).data(), grad_data, scale, 1.0, reduction == 2, rows, n,
                                  c.flag);
      check_launch("softmaxCrossEntropy");
      return id_array(env, ids, 2);
    }
    // A mean over many rows: the count first, read by the two launches after it.
    std::optional<Scratch> kept;
    if (reduction == 2) {
      kept.emplace(a.st, sizeof(double), "softmaxCrossEntropy");
      launch_count_kept(c.stream, lp, ignore, rows, static_cast<double*>(kept->data()));
    }
    const double* kept_data = kept ? static_cast<const double*>(kept->data()) : nullptr;
    // Labels live on the device: the kernel range-checks each (FLAG_LABEL, reported by the next read).
    losses_reduced(
        a, x.dtype, reduction, ids[0], rows, 1.0, "softmaxCrossEntropy",
        [&](void* loss) { launch_softmax_xent(c.stream, x.dtype, x.data(), lp, ignore, loss, grad_data, scale, kept_data, rows, n, c.flag); },
        kept_data);
    check_launch("softmaxCrossEntropy");
    return id_array(env, ids, 2);
  });
}

napi_value BinaryCrossEntropy(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_binary_cross_entropy(a);
    const Tensor& p = call.a;
    const Tensor& y = call.b;
    const bool with_grad = call.with_grad;
    const int reduction = call.code;
    const i64 n = p.size;
    Context& c = a.ctx();
    int ids[2] = {new_tensor(a.st, p.dtype, p.shape, reduction == 0 ? p.rank : 0), with_grad ? new_tensor(a.st, p.dtype, p.shape, p.rank) : -1};
    const double scale = reduction == 2 ? (n > 0 ? 1.0 / double(n) : 0.0) : 1.0;
    losses_reduced(a, p.dtype, reduction, ids[0], n, reduction == 2 ? double(n) : 1.0, "binaryCrossEntropy", [&](void* loss) {
      launch_bce(c.stream, p.dtype, p.data(), y.data(), loss, with_grad ? tensor_at(a.st, ids[1]).data() : nullptr, scale, n);
    });
    check_launch("binaryCrossEntropy");
    return id_array(env, ids, 2);
  });
}

napi_value BiasActivationBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_bias_activation_backward(a);
    const Tensor& g = call.a;
    const Tensor& y = call.b;
    const int act = call.code;
    if (act > ACT_TANH) throw unsupported("biasActivationBackward", g.dtype, "activation code " + std::to_string(act) + " (gelu, gelu_tanh, silu) is not fused on cuda");
    const i64 rows = g.shape[0], n = g.shape[1];
    Context& c = a.ctx();
    int ids[2] = {new_tensor(a.st, g.dtype, g.shape, 2), new_tensor(a.st, g.dtype, g.shape + 1, 1)};
    void* dz = tensor_at(a.st, ids[0]).data();
    if (g.size <= (i64(1) << 20) && (n + 31) / 32 <= INT_MAX) {
      // A training step's small layers: one launch (a block per 32 columns covers the whole input).
      launch_bias_act_backward_fused(c.stream, g.dtype, act, g.data(), y.data(), dz, tensor_at(a.st, ids[1]).data(), rows, n);
    } else {
      // Large inputs: an elementwise kernel over every element, then the column sums (more blocks in flight).
      launch_bias_act_backward(c.stream, g.dtype, act, g.data(), y.data(), dz, g.size);
      if (n > 0) launch_reduce_cols(c.stream, 0, g.dtype, dz, tensor_at(a.st, ids[1]).data(), 1, rows, n);
    }
    check_launch("biasActivationBackward");
    return id_array(env, ids, 2);
  });
}

napi_value AdamUpdate(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const std::int32_t in[4] = {a.i32(0), a.i32(1), a.i32(2), a.i32(3)};
    AdamConstants k{a.f64(4), a.f64(5), a.f64(6), a.f64(7), a.f64(8), a.f64(9), a.f64(10), a.f64(11), a.f64(12)};
    std::int32_t out[3] = {-1, -1, -1};
    adam_many(a.st, in, out, 1, k, "adamUpdate");
    const int ids[3] = {out[0], out[1], out[2]};
    return id_array(env, ids, 3);
  });
}

/**
 * adamUpdateMany(ids: Int32Array [p0, g0, m0, v0, p1, ...], out: Int32Array [p0', m0', v0', ...], constants...):
 * every parameter of one group in one launch; every id and size is checked before any kernel runs.
 */
napi_value AdamUpdateMany(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [in, out, count] = read_id_tables(a, 4, 3, "adamUpdateMany");
    AdamConstants k{a.f64(2), a.f64(3), a.f64(4), a.f64(5), a.f64(6), a.f64(7), a.f64(8), a.f64(9), a.f64(10)};
    adam_many(a.st, in.data(), out, count, k, "adamUpdateMany");
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
    SgdConstants k{a.f64(2), a.f64(3), 1.0 - a.f64(4), a.f64(5), a.boolean(6)};
    const bool momentum = k.momentum != 0;
    check_sgd_ids(*a.st, in.data(), count, momentum);
    a.ctx();
    // -1 where there is no momentum buffer; a failure releases what this call made (guarded).
    for (std::size_t j = 0; j < 2 * count; j++) out[j] = -1;
    for (std::size_t j = 0; j < count; j++) {
      const Tensor& p = tensor_at(a.st, in[3 * j]);
      out[2 * j] = new_tensor(a.st, p.dtype, p.shape, p.rank);
      if (momentum) out[2 * j + 1] = new_tensor(a.st, p.dtype, p.shape, p.rank);
    }
    run_tables<SgdEntry>(
        a.st, in.data(), 3, count, "sgdUpdateMany",
        [&](std::size_t j, const Tensor& p, i64 first_chunk) {
          const void* buf = momentum && in[3 * j + 2] >= 0 ? tensor_at(a.st, in[3 * j + 2]).data() : nullptr;
          return SgdEntry{p.data(), tensor_at(a.st, in[3 * j + 1]).data(), buf, tensor_at(a.st, out[2 * j]).data(), momentum ? tensor_at(a.st, out[2 * j + 1]).data() : nullptr,
                          p.size, first_chunk};
        },
        [&](int dtype, const SgdEntry* table, int entries, i64 chunks) { launch_sgd_many(a.st->ctx->stream, dtype, table, entries, chunks, k); });
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
    if (l.c > INT_MAX) throw unsupported("batchNorm", x.dtype, "too many channels");
    Context& c = a.ctx();
    const i64 channel[1] = {l.c};
    // A failure below releases what this call made (guarded).
    int ids[4];
    ids[0] = new_tensor(a.st, x.dtype, x.shape, x.rank);
    for (int i = 1; i < 4; i++) ids[i] = new_tensor(a.st, x.dtype, channel, 1);
    Scratch coef(a.st, std::size_t(2 * l.c + 1) * sizeof(double), "batchNorm");
    launch_batch_norm(c.stream, x.dtype, x.data(), data_or_null(weight), data_or_null(bias), data_or_null(given_mean), data_or_null(given_var), eps, tensor_at(a.st, ids[0]).data(),
                      tensor_at(a.st, ids[1]).data(), tensor_at(a.st, ids[2]).data(), tensor_at(a.st, ids[3]).data(), static_cast<double*>(coef.data()), l.n, l.c, l.inner);
    check_launch("batchNorm");
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
    if (l.c > INT_MAX) throw unsupported("batchNormBackward", x.dtype, "too many channels");
    Context& c = a.ctx();
    const i64 channel[1] = {l.c};
    // A failure below releases what this call made (guarded).
    int ids[3] = {-1, -1, -1};
    if (call.need[0]) ids[0] = new_tensor(a.st, x.dtype, x.shape, x.rank);
    if (call.need[1]) ids[1] = new_tensor(a.st, x.dtype, channel, 1);
    if (call.need[2]) ids[2] = new_tensor(a.st, x.dtype, channel, 1);
    auto out = [&](int i) { return ids[i] < 0 ? nullptr : tensor_at(a.st, ids[i]).data(); };
    Scratch sums(a.st, std::size_t(2 * l.c + 1) * sizeof(double), "batchNormBackward");
    launch_batch_norm_backward(c.stream, x.dtype, call.grad.data(), x.data(), data_or_null(call.weight), call.mean.data(), call.inv_std.data(), call.training, out(0), out(1), out(2),
                               static_cast<double*>(sums.data()), l.n, l.c, l.inner);
    check_launch("batchNormBackward");
    return id_array(env, ids, 3);
  });
}

}  // namespace mc
