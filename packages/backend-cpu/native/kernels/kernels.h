// The kernel table: every vectorised kernel, compiled once per instruction set (AVX-512,
// AVX2+FMA, portable) from the same source (kernels-isa.cc); the runtime picks one table at
// load time. Every kernel works on a range [begin, end) of its output so the runtime can
// split it across threads; none allocates, locks or calls the OS.
#pragma once
#include "common.h"
#include "strided.h"

namespace myelin {

struct AdamConstants {
  double decay;          // 1 - lr * weightDecay (decoupled) or 1
  double coupled_decay;  // weightDecay (coupled) or 0
  double b1, one_minus_b1, b2, one_minus_b2, step_size, correction2, eps;
};

/** One SGD step's constants (torch.optim.SGD): see sgd in KernelTable. */
struct SgdConstants {
  double lr, momentum, one_minus_dampening, weight_decay;
  bool nesterov;
  bool first;  // no momentum buffer yet: buf = g
};

/** A batch norm's input [n, c, inner], contiguous. */
struct ChannelLayout {
  i64 n, c, inner;
};

struct KernelTable {
  const char* name;
  /** y[i] = op(x[i]) for i in [begin, end). */
  void (*unary)(int op, int dtype, const void* x, void* y, i64 begin, i64 end);
  /** y[i] = (to) x[i]. */
  void (*cast)(int from, int to, const void* x, void* y, i64 begin, i64 end);
  /** out[i] = op(a, b) over a 2-operand loop (comparisons write bool). */
  void (*binary)(int op, int dtype, const Loop& loop, const void* a, const void* b, void* out, i64 begin, i64 end);
  /** out[i] = c ? a : b over a 3-operand loop (condition, a, b). */
  void (*where)(int dtype, const Loop& loop, const void* c, const void* a, const void* b, void* out, i64 begin,
                i64 end);
  /** Reduce each of rows [begin, end) of length n (contiguous) into out[row] (dtype storage). */
  void (*reduce_rows)(int op, int dtype, const void* x, void* out, i64 n, i64 begin, i64 end);
  /**
   * Column reduce: x is [outer, rows, cols]; out[o, c] = reduce over r of x[o, r, c], for columns
   * [begin, end) of every outer slab. acc is scratch of (end - begin) doubles.
   */
  void (*reduce_cols)(int op, int dtype, const void* x, void* out, double* acc, i64 outer, i64 rows, i64 cols,
                      i64 begin, i64 end);
  /** One Adam step over [begin, end) (float32 or float64). */
  void (*adam)(int dtype, const void* p, const void* g, const void* m, const void* v, void* p_out, void* m_out,
               void* v_out, const AdamConstants& k, i64 begin, i64 end);
  /**
   * y = act(y + bias) in place for rows [begin, end) of an [rows, n] matrix; bias (optional) is
   * given by a 2-operand loop over the [rows, n] output (operand 1 = bias). With `out` (same
   * size as y, or null) y keeps z = y + bias and out gets act(z) (gelu and silu's backward needs z).
   */
  void (*bias_activation)(int dtype, int act, void* y, void* out, const Loop* bias_loop, const void* bias, i64 n,
                          i64 begin, i64 end);
  /**
   * Softmax cross-entropy per row of logits [rows, n] with integer labels: loss[r] =
   * logsumexp(x[r]) - x[r, label[r]]; if grad != null, grad[r] = softmax(x[r]) - onehot(label[r]),
   * times scale. A row labelled `ignore` gets loss 0 and a zero gradient row; every other label
   * must be in [0, n) (the glue checks them).
   */
  void (*softmax_xent)(int dtype, const void* x, const std::int32_t* labels, std::int32_t ignore, void* loss, void* grad,
                       double scale, i64 n, i64 begin, i64 end);
  /**
   * The backward of y = act(z) for rows [begin, end) of [rows, n] matrices: dz = g * act'(y),
   * written with y (relu: g where !(y <= 0) else 0; sigmoid: g * (y * (1 - y)); tanh:
   * g * (1 - y * y); linear: g). For gelu, gelu_tanh and silu y is the pre-activation z and
   * dz = g * act'(z) (PyTorch's derivatives).
   */
  void (*bias_act_backward)(int dtype, int act, const void* g, const void* y, void* dz, i64 n, i64 begin, i64 end);
  /**
   * One SGD step over [begin, end): d = g + wd * p; buf = first ? d : momentum * buf + (1 -
   * dampening) * d; d = nesterov ? d + momentum * buf : buf (momentum != 0); p = p - lr * d.
   * buf/buf_out are null without momentum.
   */
  void (*sgd)(int dtype, const void* p, const void* g, const void* buf, void* p_out, void* buf_out,
              const SgdConstants& k, i64 begin, i64 end);
  /**
   * Softmax of rows [begin, end) of [rows, n] (float): y = e / sum(e), e = exp(x - max), each
   * step rounded as the composed max, sub, exp, sum and div kernels round it (the same bits).
   */
  void (*softmax_rows)(int dtype, const void* x, void* y, i64 n, i64 begin, i64 end);
  /** The backward of softmax_rows for rows [begin, end): dx = y * (g - sum(g * y)), the sum in double. */
  void (*softmax_backward_rows)(int dtype, const void* g, const void* y, void* dx, i64 n, i64 begin, i64 end);
  /**
   * Layer norm of rows [begin, end) of [rows, n]: mean and biased variance in double, invStd =
   * 1 / sqrt(variance + eps), y = (x - mean) * invStd (* weight) (+ bias); weight and bias [n] or
   * null. mean and inv_std get one value per row.
   */
  void (*layer_norm_rows)(int dtype, const void* x, const void* weight, const void* bias, void* y, void* mean,
                          void* inv_std, double eps, i64 n, i64 begin, i64 end);
  /**
   * The input gradient of layer_norm_rows for rows [begin, end): with xhat = (x - mean) * invStd
   * and dxhat = g * weight (g without one), dx = invStd * (dxhat - mean(dxhat) - xhat *
   * mean(dxhat * xhat)), in double.
   */
  void (*layer_norm_backward_rows)(int dtype, const void* g, const void* x, const void* weight, const void* mean,
                                   const void* inv_std, void* dx, i64 n, i64 begin, i64 end);
  /**
   * The weight and bias gradients of layer_norm_rows, summed over rows [begin, end) into the
   * double accumulators dw[n] += g * xhat and db[n] += g (either may be null).
   */
  void (*layer_norm_param_rows)(int dtype, const void* g, const void* x, const void* mean, const void* inv_std,
                                double* dw, double* db, i64 n, i64 begin, i64 end);
  /**
   * Batch norm of channels [begin, end) of x: the batch's mean and biased variance in double
   * (given_mean null; 8 running sums per channel in a fixed order, the same on every instruction
   * set and thread count), or the given [c] mean and variance; y = x * scale + shift with scale =
   * invStd * weight and shift = bias - mean * scale (weight, bias [c] or null); mean, var and
   * inv_std get one value per channel.
   */
  void (*batch_norm_channels)(int dtype, const ChannelLayout& l, const void* x, const void* weight, const void* bias,
                              const void* given_mean, const void* given_var, double eps, void* y, void* mean,
                              void* var, void* inv_std, i64 begin, i64 end);
  /**
   * The backward of batch_norm_channels for channels [begin, end) (see the contract's
   * batchNormBackward); dx, dw and db may each be null.
   */
  void (*batch_norm_backward_channels)(int dtype, const ChannelLayout& l, const void* g, const void* x,
                                       const void* weight, const void* mean, const void* inv_std, bool training,
                                       void* dx, void* dw, void* db, i64 begin, i64 end);
  /**
   * One LSTM step for rows [begin, end): gates [rows, 4h] (i, f, g, o pre-activations) and state
   * [rows, 2h] = [h | c] give out [rows, 2h] = [o tanh(c') | c'], c' = f c + i g, each operation
   * rounded as the composed kernels round it (the same bits).
   */
  void (*lstm_cell_rows)(int dtype, const void* gates, const void* state, void* out, i64 h, i64 begin, i64 end);
  /**
   * The backward of lstm_cell_rows for rows [begin, end) with grad [rows, 2h] = [dh' | dc']:
   * dgates [rows, 4h] and dstate [rows, 2h] (h half zero), see the contract's lstmCellBackward.
   */
  void (*lstm_cell_backward_rows)(int dtype, const void* grad, const void* gates, const void* state, void* dgates,
                                  void* dstate, i64 h, i64 begin, i64 end);
  /**
   * One GRU step for rows [begin, end): gx and gh [rows, 3h] (r, z, n) and h [rows, h] give
   * out = (h - n) z + n with r = sigmoid(gh_r + gx_r), z = sigmoid(gh_z + gx_z), n = tanh(gx_n +
   * gh_n r), rounded as the composed kernels round it.
   */
  void (*gru_cell_rows)(int dtype, const void* gx, const void* gh, const void* h_prev, void* out, i64 h, i64 begin,
                        i64 end);
  /** The backward of gru_cell_rows for rows [begin, end): dgx, dgh [rows, 3h] and dh [rows, h] (the contract's gruCellBackward). */
  void (*gru_cell_backward_rows)(int dtype, const void* grad, const void* gx, const void* gh, const void* h_prev,
                                 void* dgx, void* dgh, void* dh, i64 h, i64 begin, i64 end);
};

const KernelTable& kernels_avx512();
const KernelTable& kernels_avx2();
const KernelTable& kernels_generic();

}  // namespace myelin
