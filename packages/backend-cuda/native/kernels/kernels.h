// The launchers of every CUDA kernel (defined in kernels/*.cu). Each enqueues work on `stream`
// and returns without synchronising; the glue checks cudaGetLastError after each call. Every
// size and pointer passed here was derived by the glue from shapes it validated against the
// allocations (see glue/state.h); kernels that read indices from device memory range-check
// them and raise a bit of `flag` instead of reading out of bounds.
#pragma once
#include <cuda_runtime_api.h>

#include "../common.h"

namespace mc {

// ---- elementwise (elementwise.cu) -----------------------------------------------------------
/** dst[i] = the `elem`-byte pattern, i < n. */
void launch_fill(cudaStream_t s, void* dst, int elem, std::uint64_t pattern, i64 n);
void launch_unary(cudaStream_t s, int op, int dtype, const void* x, void* y, i64 n);
/** The float unary ops sin, cos and tan (trig.cu: the one unit with a stack frame). */
void launch_trig(cudaStream_t s, int op, int dtype, const void* x, void* y, i64 n);
void launch_cast(cudaStream_t s, int from, int to, const void* x, void* y, i64 n);
/** out[i] = sum[i] + To(x[i]) * To(scale), i < n: a running sum's step (sum float32/float64; x float32/float64/int32). */
void launch_accumulate(cudaStream_t s, int sum_dtype, int x_dtype, const void* sum, const void* x, void* out, double scale, i64 n);
/** out[i] = op(a, b) over a 2-operand loop; comparisons write bool. */
void launch_binary(cudaStream_t s, int op, int dtype, const Loop& loop, const void* a, const void* b, void* out);
/** out[i] = c ? a : b over a 3-operand loop (condition, a, b), `elem`-byte elements. */
void launch_where(cudaStream_t s, int elem, const Loop& loop, const void* c, const void* a, const void* b, void* out);
/**
 * A one-operand strided copy of loop.size() elements: gather (dst contiguous, src through the
 * loop's strides) or scatter (src contiguous, dst through the strides).
 */
void launch_strided_copy(cudaStream_t s, int elem, const Loop& loop, const void* src, void* dst, bool gather);
/** y = act(y + bias) in place over [rows, n]; bias (may be null) walked by a 2-operand loop (operand 1). */
void launch_bias_activation(cudaStream_t s, int dtype, int act, void* y, const Loop* bias_loop, const void* bias, i64 size);

// ---- reductions and losses (reduce.cu) ----------------------------------------------------
/** out[r] = reduce(x[r, 0..n)) for rows r < rows (op 0 sum, 1 max). */
void launch_reduce_rows(cudaStream_t s, int op, int dtype, const void* x, void* out, i64 rows, i64 n);
/** out[o, c] = reduce over r of x[o, r, c]. */
void launch_reduce_cols(cudaStream_t s, int op, int dtype, const void* x, void* out, i64 outer, i64 rows, i64 cols);
/** out[o, i] = the first index along the middle axis of x [outer, length, inner] holding the max (NaN wins). */
void launch_argmax(cudaStream_t s, int dtype, const void* x, std::int32_t* out, i64 outer, i64 length, i64 inner);
/** Rows of n values the sort's scratch holds (a row per block, 0 when every row fits shared memory). */
i64 sort_scratch_rows(i64 rows, i64 n);
/**
 * values, indices = x [rows, n] sorted along its rows (see sort.cu for the order); rows longer than
 * the shared tile merge through scratch_values / scratch_indices of sort_scratch_rows(rows, n) rows.
 */
void launch_sort(cudaStream_t s, int dtype, const void* x, void* values, std::int32_t* indices, void* scratch_values, std::int32_t* scratch_indices, i64 rows, i64 n,
                 bool descending);
/** kept[0] (device) = the number of labels[0..rows) other than `ignore`, as a double: a mean's divisor for the launches after it. */
void launch_count_kept(cudaStream_t s, const std::int32_t* labels, std::int32_t ignore, i64 rows, double* kept);
/**
 * Per row of x [rows, n]: loss[r] = logsumexp - x[label]; grad (may be null) = (softmax - onehot) * scale, or * 1 / kept[0]
 * where kept (device, may be null) is given. A row labelled `ignore` has loss 0 and a zero gradient row.
 */
void launch_softmax_xent(cudaStream_t s, int dtype, const void* x, const std::int32_t* labels, std::int32_t ignore, void* loss, void* grad, double scale, const double* kept,
                         i64 rows, i64 n, int* flag);
/**
 * softmax cross-entropy reduced to out[0] = (the sum of the row losses) / divisor in one launch (one block: for batches of modest
 * size); with `mean`, divided by the rows not labelled `ignore` instead, the gradient too (scale and divisor unused).
 */
void launch_softmax_xent_reduced(cudaStream_t s, int dtype, const void* x, const std::int32_t* labels, std::int32_t ignore, void* out, void* grad, double scale,
                                 double divisor, bool mean, i64 rows, i64 n, int* flag);
/** out[0] = sum(x[0..n)) (accumulated in double) / divisor (/ kept[0] where kept, on the device, is given), in dtype storage (always written, also for n = 0). */
void launch_sum_scalar(cudaStream_t s, int dtype, const void* x, void* out, i64 n, double divisor, const double* kept = nullptr);
/** Elementwise clamped binary cross-entropy: loss (the input's shape) and grad * scale (may be null). */
void launch_bce(cudaStream_t s, int dtype, const void* p, const void* y, void* loss, void* grad, double scale, i64 n);
/** dz = g * act'(y) elementwise (written with y, as core's rules). */
void launch_bias_act_backward(cudaStream_t s, int dtype, int act, const void* g, const void* y, void* dz, i64 n);
/** dz as above for g, y [rows, n], and db [n] = the sum of dz's rows, in one launch (small inputs: one block per 32 columns). */
void launch_bias_act_backward_fused(cudaStream_t s, int dtype, int act, const void* g, const void* y, void* dz, void* db, i64 rows, i64 n);
/**
 * batchNorm over x [n, c, inner]: per channel the batch's mean and biased variance (or the given
 * ones), y = x * scale + shift; writes mean, variance and invStd [c].
 */
void launch_batch_norm(cudaStream_t s, int dtype, const void* x, const void* weight, const void* bias, const void* given_mean, const void* given_var, double eps, void* y,
                       void* mean, void* var, void* inv_std, double* scratch, i64 n, i64 c, i64 inner);
/** batchNormBackward (see the contract); dx, dw, db may be null. scratch: 2c doubles. */
void launch_batch_norm_backward(cudaStream_t s, int dtype, const void* g, const void* x, const void* weight, const void* mean, const void* inv_std, bool training,
                                void* dx, void* dw, void* db, double* scratch, i64 n, i64 c, i64 inner);

// ---- rows of the last axis (rows.cu) -------------------------------------------------------
/** y = softmax of each row of x [rows, n] (NaN for a row holding NaN or whose max is not finite). */
void launch_softmax_rows(cudaStream_t s, int dtype, const void* x, void* y, i64 rows, i64 n);
/** dx = y * (g - sum(g * y)) per row of [rows, n]. */
void launch_softmax_backward_rows(cudaStream_t s, int dtype, const void* g, const void* y, void* dx, i64 rows, i64 n);
/** Layer norm of each row of x [rows, n] (weight, bias [n] or null); writes y, and mean and invStd [rows]. */
void launch_layer_norm_rows(cudaStream_t s, int dtype, const void* x, const void* weight, const void* bias, void* y, void* mean, void* inv_std, double eps, i64 rows, i64 n);
/** layerNormBackward (see the contract): dx [rows, n], dw and db [n]; each may be null. */
void launch_layer_norm_backward_rows(cudaStream_t s, int dtype, const void* g, const void* x, const void* weight, const void* mean, const void* inv_std, void* dx, void* dw,
                                     void* db, i64 rows, i64 n);

// ---- indexing, windows and optimizers (nn.cu) ---------------------------------------------
/** out[o, j, i] = x[o, idx[j], i]; an index outside [0, length) writes 0 and sets FLAG_GATHER. */
void launch_gather(cudaStream_t s, int elem, const void* x, const std::int32_t* idx, i64 count, void* out, i64 outer, i64 length, i64 inner, int* flag);
/**
 * out [outer, dim, inner] = 0, then out[o, idx[j], i] += u[o, j, i] (atomics: the order of the
 * additions is not fixed). Floats accumulate in `acc` (outer*dim*inner doubles) and are rounded
 * once; an index outside [0, dim) is skipped and sets FLAG_SCATTER.
 */
void launch_scatter_add(cudaStream_t s, int dtype, const void* u, const std::int32_t* idx, i64 count, void* out, double* acc, i64 outer, i64 dim, i64 inner, int* flag);

struct Window {
  i64 n, c, h, w;  // input [n, c, h, w]
  i64 kh, kw, sh, sw, ph, pw, dh, dw;
  i64 out_h, out_w;
};
/** im2col: x [n, c, h, w] -> [n, c*kh*kw, out_h*out_w] (0 in the padding). */
void launch_unfold(cudaStream_t s, int dtype, const Window& g, const void* x, void* cols);
/** col2im: dx [n, c, h, w] = the sum over windows of cols [n, c*kh*kw, out_h*out_w] (no atomics). */
void launch_fold(cudaStream_t s, int dtype, const Window& g, const void* cols, void* dx);
void launch_max_pool(cudaStream_t s, int dtype, const Window& g, const void* x, void* y);
void launch_max_pool_backward(cudaStream_t s, int dtype, const Window& g, const void* grad, const void* x, const void* y, void* share, void* dx);

/** One parameter of a multi-tensor optimizer launch (a device table of these). */
struct AdamEntry {
  const void *p, *g, *m, *v;
  void *po, *mo, *vo;
  i64 size;
  i64 first_chunk;  // prefix sum of the chunks of the entries before
};
struct AdamConstants {
  double decay, coupled_decay, b1, one_minus_b1, b2, one_minus_b2, step_size, correction2, eps;
};
struct SgdEntry {
  const void *p, *g, *buf;  // buf null: the first step (buf = d)
  void *po, *bo;            // bo null without momentum
  i64 size;
  i64 first_chunk;
};
struct SgdConstants {
  double lr, momentum, one_minus_dampening, weight_decay;
  bool nesterov;
};
/** Elements per block of the multi-tensor kernels. */
constexpr i64 OPT_CHUNK = 4096;
void launch_adam_many(cudaStream_t s, int dtype, const AdamEntry* table, int entries, i64 chunks, const AdamConstants& k);
void launch_sgd_many(cudaStream_t s, int dtype, const SgdEntry* table, int entries, i64 chunks, const SgdConstants& k);

// ---- GEMM (gemm.cu) -------------------------------------------------------------------------
/**
 * Row-major batched C[b] (m x n, ldc, stride_c) = op(A[b]) op(B[b]); op(A) is m x k: A[i*lda + p]
 * or, transposed, A[p*lda + i]; op(B) is k x n alike. Batch strides may be 0 (a shared operand).
 */
struct GemmCall {
  bool ta, tb;
  i64 m, n, k, batch;
  const void* a;
  i64 lda, stride_a;
  const void* b;
  i64 ldb, stride_b;
  void* c;
  i64 ldc, stride_c;
};
/** The built-in tiled GEMM (float32 or float64). */
void launch_gemm_builtin(cudaStream_t s, int dtype, const GemmCall& call);

}  // namespace mc
