// Linear algebra and fused kernels: matmul (OpenBLAS or the built-in GEMM),
// matmulBiasActivation, adamUpdate, and softmax cross-entropy (forward + gradient).
#include <climits>
#include <type_traits>

#include "../runtime/blas.h"
#include "ops.h"

namespace myelin {

namespace {

constexpr i64 BLAS_INT_MAX = INT_MAX;

template <typename T>
const GemmKernel<T>& builtin_kernel(State* st);
template <>
const GemmKernel<float>& builtin_kernel<float>(State* st) { return *st->sk; }
template <>
const GemmKernel<double>& builtin_kernel<double>(State* st) { return *st->dk; }


template <typename T>
T* pack_buffers(State* st, int threads);
template <>
float* pack_buffers<float>(State* st, int threads) {
  const std::size_t need = std::size_t(threads) * std::size_t(GEMM_PACK_A + GEMM_PACK_B);
  if (st->pack_f.size() < need) st->pack_f.resize(need);
  return st->pack_f.data();
}
template <>
double* pack_buffers<double>(State* st, int threads) {
  const std::size_t need = std::size_t(threads) * std::size_t(GEMM_PACK_A + GEMM_PACK_B);
  if (st->pack_d.size() < need) st->pack_d.resize(need);
  return st->pack_d.data();
}

/**
 * Output columns up to which x W^T runs as dot products (any ISA: a 10-class layer on AVX2,
 * whose vectors hold 8 columns, too; the packed kernel would compute 16 columns to keep 10).
 */
constexpr i64 NARROW_DOT_COLUMNS = 16;

/** The narrow built-in GEMM (float, few columns or rows): returns false where it does not apply. */
bool gemm_narrow_any(State*, const GemmProblem<double>&) { return false; }
bool gemm_narrow_any(State* st, const GemmProblem<float>& problem) {
  const NarrowGemmKernel<float>& kern = *st->sk_narrow;
  const int threads = st->threads;
  const bool parallel = threads > 1 && double(problem.m) * double(problem.n) * double(problem.k) >= 64.0 * 64 * 64;
  if (problem.n <= NARROW_DOT_COLUMNS && problem.csa == 1 && problem.rsb == 1 && problem.k >= 2 * kern.width) {
    // Few columns, A rows and B columns contiguous in k (x W^T): dot products over full vectors.
    constexpr i64 unit = 4;
    const i64 units = (problem.m + unit - 1) / unit;
    if (!parallel || units < 2) {
      kern.dot(problem, 0, problem.m);
      return true;
    }
    const i64 chunks = units < threads ? units : threads;
    thread_pool().for_chunks(chunks, [&](i64 c) {
      const i64 b = units * c / chunks * unit;
      i64 e = units * (c + 1) / chunks * unit;
      if (e > problem.m) e = problem.m;
      kern.dot(problem, b, e);
    });
    return true;
  }
  const i64 nr_w = kern.wide_nr;
  if (problem.m <= 16 && problem.n > kern.width && problem.csb == 1 &&
      problem.m * problem.k <= GEMM_PACK_A && problem.k * nr_w <= GEMM_PACK_B) {
    // Few rows, B rows contiguous (a weight gradient dY^T x): A packed, B read in place.
    float* pa = pack_buffers<float>(st, 1);
    float* pb = pa + GEMM_PACK_A;
    gemm_few_rows_pack(kern, problem, pa, pb);
    const i64 units = (problem.n + nr_w - 1) / nr_w;
    if (!parallel || units < 2) {
      gemm_few_rows(kern, problem, pa, pb, 0, problem.n);
      return true;
    }
    const i64 chunks = units < threads ? units : threads;
    thread_pool().for_chunks(chunks, [&](i64 c) {
      const i64 b = units * c / chunks * nr_w;
      i64 e = units * (c + 1) / chunks * nr_w;
      if (e > problem.n) e = problem.n;
      gemm_few_rows(kern, problem, pa, pb, b, e);
    });
    return true;
  }
  // Few columns: as is. Few rows (a 10-class layer's weight gradient): as C^T = B^T A^T.
  const bool transpose_c = problem.n > kern.width && problem.m <= kern.width;
  const GemmProblem<float> p =
      transpose_c ? GemmProblem<float>{problem.n, problem.m, problem.k, problem.b, problem.csb, problem.rsb, problem.a, problem.csa, problem.rsa, problem.c, problem.ldc}
                  : problem;
  if (p.n > kern.width || p.k * kern.width > GEMM_PACK_B) return false;
  float* packed = pack_buffers<float>(st, 1) + GEMM_PACK_A;
  pack_b_narrow(p, kern.width, packed);
  const i64 units = (p.m + kern.mr - 1) / kern.mr;
  if (threads <= 1 || double(p.m) * double(p.k) * double(kern.width) < 64.0 * 64 * 64 || units < 2) {
    gemm_narrow(kern, p, packed, 0, p.m, transpose_c);
    return true;
  }
  const i64 chunks = units < threads ? units : threads;
  thread_pool().for_chunks(chunks, [&](i64 c) {
    const i64 b = units * c / chunks * kern.mr;
    i64 e = units * (c + 1) / chunks * kern.mr;
    if (e > p.m) e = p.m;
    gemm_narrow(kern, p, packed, b, e, transpose_c);
  });
  return true;
}

/** C (row stride ldc) = op(A) op(B), [m, n], A and B with row strides lda and ldb as stored. */
void call_blas(bool ta, bool tb, i64 m, i64 n, i64 k, const float* A, i64 lda, const float* B, i64 ldb, float* C, i64 ldc) {
  blas().sgemm(CBLAS_ROW_MAJOR, ta ? CBLAS_TRANS : CBLAS_NO_TRANS, tb ? CBLAS_TRANS : CBLAS_NO_TRANS, int(m), int(n), int(k), 1.0f, A,
               int(lda), B, int(ldb), 0.0f, C, int(ldc));
}
void call_blas(bool ta, bool tb, i64 m, i64 n, i64 k, const double* A, i64 lda, const double* B, i64 ldb, double* C, i64 ldc) {
  blas().dgemm(CBLAS_ROW_MAJOR, ta ? CBLAS_TRANS : CBLAS_NO_TRANS, tb ? CBLAS_TRANS : CBLAS_NO_TRANS, int(m), int(n), int(k), 1.0, A,
               int(lda), B, int(ldb), 0.0, C, int(ldc));
}

/**
 * OpenBLAS (single-threaded: see apply_threads) on the addon's own pool: C split into one block
 * of rows or columns (the larger side) per thread, each an OpenBLAS call on its slice. One pool
 * for every kernel: OpenBLAS's own threads competed with it for the cores (a 784-128-10 step at
 * batch 256 on 2 threads took 1.3 ms with them, 0.9 ms with one pool).
 */
template <typename T>
void gemm_blas(State* st, bool ta, bool tb, i64 m, i64 n, i64 k, const T* A, const T* B, T* C) {
  const i64 lda = ta ? m : k, ldb = tb ? k : n;
  const int threads = st->threads;
  const bool split_n = n >= m;
  const i64 side = split_n ? n : m;
  // Slices of at least 16 rows or columns, and enough work per thread to pay for the hand-off.
  // A BLAS without openblas_set_num_threads (MYELIN_CPU_BLAS naming another library) threads
  // itself: one call.
  const i64 chunks = blas().set_threads != nullptr ? std::min<i64>(threads, side / 16) : 1;
  if (chunks <= 1 || double(m) * double(n) * double(k) < 64.0 * 64 * 64) {
    call_blas(ta, tb, m, n, k, A, lda, B, ldb, C, n);
    return;
  }
  thread_pool().for_chunks(chunks, [&](i64 c) {
    // Slice boundaries on multiples of 16 (whole SIMD tiles in OpenBLAS's kernels).
    const i64 units = (side + 15) / 16;
    const i64 b = units * c / chunks * 16;
    const i64 e = std::min(side, units * (c + 1) / chunks * 16);
    if (e <= b) return;
    if (split_n) call_blas(ta, tb, m, e - b, k, A, lda, tb ? B + b * ldb : B + b, ldb, C + b, n);
    else call_blas(ta, tb, e - b, n, k, ta ? A + b : A + b * lda, lda, B, ldb, C + b * n, n);
  });
}

/**
 * Whether OpenBLAS runs this product. In auto mode the built-in float kernel takes x W^T with
 * k <= 128, m >= 128 and n >= 64 (a Transformer's projections and attention scores): measured
 * 3-24% faster than OpenBLAS's Haswell kernel there (4096x128x128: 84 vs 81 GFLOP/s, 128 x
 * [128x32x128]: 67 vs 54, 2048x128x2048: 98 vs 88), and slower on k = 512, a transposed A and
 * small products (64x120x84: 56 vs 66, a convolution's 16x100x150 weight gradient: 38 vs 50).
 */
template <typename T>
bool blas_runs(const State* st, bool ta, bool tb, i64 m, i64 n, i64 k) {
  if (st->gemm_mode == GemmMode::Builtin || !blas().loaded || m > BLAS_INT_MAX || n > BLAS_INT_MAX || k > BLAS_INT_MAX) return false;
  if (st->gemm_mode == GemmMode::Auto && std::is_same_v<T, float> && !ta && tb && k <= 128 && m >= 128 && n >= 64) return false;
  return true;
}

/**
 * C [m, n] = op(A) op(B) on the calling thread (k > 0), with its own packing buffers: a batch of
 * products split across the threads by batch entry runs each entry this way.
 */
template <typename T>
void gemm_serial(State* st, bool ta, bool tb, i64 m, i64 n, i64 k, const T* A, const T* B, T* C, T* pack) {
  const GemmProblem<T> p{m, n, k, A, ta ? 1 : k, ta ? m : 1, B, tb ? 1 : n, tb ? k : 1, C, n};
  if (m * n * k <= 4096) gemm_small(p);
  else if (blas_runs<T>(st, ta, tb, m, n, k)) call_blas(ta, tb, m, n, k, A, ta ? m : k, B, tb ? k : n, C, n);
  else gemm_block(builtin_kernel<T>(st), p, 0, m, 0, n, pack, pack + GEMM_PACK_A);
}

/** C [m, n] = op(A) op(B) for one batch entry. */
template <typename T>
void gemm(State* st, bool ta, bool tb, i64 m, i64 n, i64 k, const T* A, const T* B, T* C) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    std::memset(C, 0, std::size_t(m * n) * sizeof(T));
    return;
  }
  if (m * n * k <= 4096) {
    // Tiny: direct loops beat a BLAS call (~0.5 us) and packing.
    gemm_small(GemmProblem<T>{m, n, k, A, ta ? 1 : k, ta ? m : 1, B, tb ? 1 : n, tb ? k : 1, C, n});
    return;
  }
  if (blas_runs<T>(st, ta, tb, m, n, k)) {
    gemm_blas(st, ta, tb, m, n, k, A, B, C);
    return;
  }
  GemmProblem<T> p{m, n, k, A, ta ? 1 : k, ta ? m : 1, B, tb ? 1 : n, tb ? k : 1, C, n};
  if (gemm_narrow_any(st, p)) return;
  const GemmKernel<T>& kern = builtin_kernel<T>(st);
  const int threads = st->threads;
  const double work = double(m) * double(n) * double(k);
  if (threads <= 1 || work < 64.0 * 64 * 64) {
    T* pack = pack_buffers<T>(st, 1);
    gemm_block(kern, p, 0, m, 0, n, pack, pack + GEMM_PACK_A);
    return;
  }
  T* packs = pack_buffers<T>(st, threads);
  // Split the larger side of C into one block per thread, aligned to the micro-tile.
  const bool split_n = n >= m;
  const i64 side = split_n ? n : m;
  const i64 unit = split_n ? kern.nr : kern.mr;
  const i64 units = (side + unit - 1) / unit;
  const i64 chunks = units < threads ? units : threads;
  thread_pool().for_chunks(chunks, [&](i64 c) {
    const i64 b = units * c / chunks * unit;
    i64 e = units * (c + 1) / chunks * unit;
    if (e > side) e = side;
    T* pack = packs + c * (GEMM_PACK_A + GEMM_PACK_B);
    if (split_n) gemm_block(kern, p, 0, m, b, e, pack, pack + GEMM_PACK_A);
    else gemm_block(kern, p, b, e, 0, n, pack, pack + GEMM_PACK_A);
  });
}

/**
 * batch products [m, n] = op(A_i) op(B_i) (k > 0). With several threads and entries that share
 * out evenly among them (attention's [N * heads] products), each thread runs whole entries: one
 * hand-off for the batch instead of one per entry, and no entry split into slivers. A BLAS that
 * threads itself (no openblas_set_num_threads) keeps the entry-by-entry loop.
 */
template <typename T>
void batched_gemm(State* st, bool ta, bool tb, i64 batch, i64 m, i64 n, i64 k, const void* x, const void* y, void* out) {
  const T* A = static_cast<const T*>(x);
  const T* B = static_cast<const T*>(y);
  T* C = static_cast<T*>(out);
  const int threads = st->threads;
  const bool blas_threads_itself = blas().loaded && blas().set_threads == nullptr && blas_runs<T>(st, ta, tb, m, n, k);
  // Whole entries per thread when they share out evenly (or nearly: 4+ per thread).
  const bool even = batch % threads == 0 || batch >= 4 * i64(threads);
  if (threads > 1 && batch >= threads && even && !blas_threads_itself && double(batch) * double(m) * double(n) * double(k) >= 64.0 * 64 * 64) {
    T* packs = pack_buffers<T>(st, threads);
    const i64 chunks = threads;
    thread_pool().for_chunks(chunks, [&](i64 c) {
      T* pack = packs + c * (GEMM_PACK_A + GEMM_PACK_B);
      for (i64 i = batch * c / chunks; i < batch * (c + 1) / chunks; i++) gemm_serial(st, ta, tb, m, n, k, A + i * m * k, B + i * k * n, C + i * m * n, pack);
    });
    return;
  }
  for (i64 i = 0; i < batch; i++) gemm(st, ta, tb, m, n, k, A + i * m * k, B + i * k * n, C + i * m * n);
}

/** Checks a matmul's operands; returns the output id ([B, M, N]). */
int matmul_into(Args& a, const Tensor& x, const Tensor& y, bool ta, bool tb, const char* op) {
  const MatmulDims dims = check_matmul(x, y, ta, tb, op);
  const i64 batch = dims.batch, m = dims.m, n = dims.n, k = dims.k;
  const i64 shape[3] = {batch, m, n};
  const int id = new_tensor(a.st, x.dtype, shape, 3);
  Tensor& out = tensor_at(a.st, id);
  // An empty product (m or n of 0) may still have up to 2^50 batch entries: no loop over them.
  if (out.size == 0) return id;
  if (k == 0) {
    std::memset(out.data(), 0, std::size_t(out.size) * dtype_size(x.dtype));
    return id;
  }
  if (x.dtype == F32) batched_gemm<float>(a.st, ta, tb, batch, m, n, k, x.data(), y.data(), out.data());
  else batched_gemm<double>(a.st, ta, tb, batch, m, n, k, x.data(), y.data(), out.data());
  return id;
}

}  // namespace

// The dispatching GEMM (small loops, OpenBLAS or the built-in kernels) for the fused convolution.
void gemm_into(State* st, bool ta, bool tb, i64 m, i64 n, i64 k, const float* A, const float* B, float* C) { gemm<float>(st, ta, tb, m, n, k, A, B, C); }
void gemm_into(State* st, bool ta, bool tb, i64 m, i64 n, i64 k, const double* A, const double* B, double* C) { gemm<double>(st, ta, tb, m, n, k, A, B, C); }

napi_value Matmul(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    const Tensor& y = a.tensor(1);
    return make_int(env, matmul_into(a, x, y, a.boolean(2), a.boolean(3), "matmul"));
  });
}

namespace {

/**
 * matmulBiasActivation's body: the product into a new tensor, then bias + activation in place,
 * or (keep) the product + bias kept as z and act(z) written to a second new tensor of z's size.
 * ids[0] = the activation's output, ids[1] = z (keep) or -1.
 */
void matmul_bias_activation(Args& a, bool keep, int ids[2]) {
  const auto call = read_matmul_bias_activation(a);
  const Tensor& x = call.x;
  const Tensor* bias = call.bias;
  const int act = call.act;
  const int id = matmul_into(a, x, call.y, call.ta, call.tb, "matmulBiasActivation");
  ids[0] = id;
  ids[1] = -1;
  Tensor& z = tensor_at(a.st, id);
  Loop loop;
  if (bias != nullptr) {
    const i64* shapes[2] = {z.shape, bias->shape};
    const int ranks[2] = {3, bias->rank};
    make_loop(loop, z.shape, 3, 2, shapes, ranks);
  }
  void* out = nullptr;
  if (keep) {
    ids[1] = id;
    ids[0] = new_tensor(a.st, x.dtype, z.shape, 3);
    Tensor& y = tensor_at(a.st, ids[0]);
    if (y.size != z.size) throw argument_error("matmulBiasActivation: the output and z differ in size");
    out = y.data();
  } else if (bias == nullptr && act == ACT_LINEAR) {
    return;
  }
  // z may have moved in the table when the output was made: look it up again.
  Tensor& zt = tensor_at(a.st, id);
  const i64 n = zt.shape[2];
  const i64 rows = n == 0 ? 0 : zt.size / n;
  const KernelTable& k = *a.st->k;
  void* dst = zt.data();
  const void* pb = bias != nullptr ? bias->data() : nullptr;
  const int dtype = x.dtype;
  const i64 cost = act == ACT_LINEAR || act == ACT_RELU ? 1 : act >= ACT_GELU ? 32 : 16;
  parallel_for(a.st, rows, n * cost, [&](i64 b, i64 e) {
    k.bias_activation(dtype, act, dst, out, bias != nullptr ? &loop : nullptr, pb, n, b, e);
  });
}

}  // namespace

napi_value MatmulBiasActivation(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    int ids[2];
    matmul_bias_activation(a, false, ids);
    return make_int(env, ids[0]);
  });
}

/** matmulBiasActivationWithPreactivation(x, y, bias | -1, act, ta, tb) -> [act(z), z]. */
napi_value MatmulBiasActivationPreactivation(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    int ids[2];
    matmul_bias_activation(a, true, ids);
    return id_array(env, ids, 2);
  });
}

napi_value AdamUpdate(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& p = a.tensor(0);
    const Tensor& g = a.tensor(1);
    const Tensor& m = a.tensor(2);
    const Tensor& v = a.tensor(3);
    if (!is_float(p.dtype)) throw unsupported("adamUpdate", p.dtype);
    check_like(p, g, "adamUpdate", "grad");
    check_like(p, m, "adamUpdate", "m");
    check_like(p, v, "adamUpdate", "v");
    AdamConstants c{a.f64(4), a.f64(5), a.f64(6), a.f64(7), a.f64(8), a.f64(9), a.f64(10), a.f64(11), a.f64(12)};
    int ids[3];
    ids[0] = new_tensor(a.st, p.dtype, p.shape, p.rank);
    ids[1] = new_tensor(a.st, p.dtype, p.shape, p.rank);
    ids[2] = new_tensor(a.st, p.dtype, p.shape, p.rank);
    void* po = tensor_at(a.st, ids[0]).data();
    void* mo = tensor_at(a.st, ids[1]).data();
    void* vo = tensor_at(a.st, ids[2]).data();
    const KernelTable& k = *a.st->k;
    const int dtype = p.dtype;
    const void *pp = p.data(), *pg = g.data(), *pm = m.data(), *pv = v.data();
    parallel_for(a.st, p.size, 8, [&](i64 b, i64 e) { k.adam(dtype, pp, pg, pm, pv, po, mo, vo, c, b, e); });
    return id_array(env, ids, 3);
  });
}

napi_value SoftmaxCrossEntropy(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    const Tensor& labels = a.tensor(1);
    const bool with_grad = a.boolean(2);
    double scale = a.f64(3);  // a negative scale means 1 / kept rows (the mean's gradient)
    // Optional argument 4, the reduction: 0 none (per-row losses), 1 sum, 2 mean (over the kept
    // rows: a scalar, summed in double on this thread so the result does not depend on the thread
    // count). Argument 5: the label of rows that add no loss and no gradient (PyTorch's ignore_index).
    const int reduction = a.argc > 4 ? a.i32(4) : 0;
    check_reduction(reduction, "softmaxCrossEntropy");
    const std::int32_t ignore = a.argc > 5 ? a.i32(5) : -100;
    check_softmax_cross_entropy(x, labels);
    const i64 rows = x.shape[0], n = x.shape[1];
    const std::int32_t* lp = static_cast<const std::int32_t*>(labels.data());
    i64 kept = 0;
    for (i64 i = 0; i < rows; i++) {
      if (lp[i] == ignore) continue;
      if (lp[i] < 0 || lp[i] >= n)
        throw argument_error("softmaxCrossEntropy: label " + std::to_string(lp[i]) + " is out of range [0, " + std::to_string(n) + ") and is not ignoreIndex " +
                             std::to_string(ignore));
      kept++;
    }
    if (scale < 0) scale = kept > 0 ? 1.0 / double(kept) : 0.0;
    int ids[2] = {new_tensor(a.st, x.dtype, x.shape, 1), with_grad ? new_tensor(a.st, x.dtype, x.shape, 2) : -1};
    void* loss = tensor_at(a.st, ids[0]).data();
    void* grad = with_grad ? tensor_at(a.st, ids[1]).data() : nullptr;
    const KernelTable& k = *a.st->k;
    const int dtype = x.dtype;
    const void* px = x.data();
    parallel_for(a.st, rows, n * 16, [&](i64 b, i64 e) { k.softmax_xent(dtype, px, lp, ignore, loss, grad, scale, n, b, e); });
    if (reduction != 0) {
      double total = 0;
      if (dtype == F32) {
        for (i64 i = 0; i < rows; i++) total += double(static_cast<const float*>(loss)[i]);
      } else {
        for (i64 i = 0; i < rows; i++) total += static_cast<const double*>(loss)[i];
      }
      if (reduction == 2) total /= double(kept);  // 0 / 0 = NaN when every row is ignored, as PyTorch
      const int scalar = new_tensor(a.st, dtype, x.shape, 0);
      if (dtype == F32) *static_cast<float*>(tensor_at(a.st, scalar).data()) = float(total);
      else *static_cast<double*>(tensor_at(a.st, scalar).data()) = total;
      release_tensor(a.st, ids[0]);
      ids[0] = scalar;
    }
    return id_array(env, ids, 2);
  });
}

}  // namespace myelin
