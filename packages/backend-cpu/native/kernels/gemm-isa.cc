// GEMM micro-kernels, compiled once per instruction set like kernels-isa.cc (AVX-512: 12x32
// floats / 12x16 doubles in 24 zmm accumulators; AVX2+FMA: 6x16 / 6x8 in 12 ymm; portable:
// 4x16 / 4x8). GCC vector extensions give the SIMD code; this file alone is built with
// -ffp-contract=fast so that the multiply-adds become FMA instructions. Operands are loaded and
// stored through the (element-aligned) vector types, not std::memcpy: GCC 12 copied memcpy'd
// AVX2 vectors through the stack and kept the 6x16 kernel's accumulators there (14 instead of
// 90 GFLOP/s on one Zen 2 core; its AVX-512 code was unaffected).
#include <cstring>

#include "gemm.h"

#ifndef MYELIN_ISA
#define MYELIN_ISA generic
#endif
#define MYELIN_CAT2(a, b) a##b
#define MYELIN_CAT(a, b) MYELIN_CAT2(a, b)
#define MYELIN_STR2(a) #a
#define MYELIN_STR(a) MYELIN_STR2(a)

namespace myelin {
namespace MYELIN_ISA {
namespace {

// MR_N: rows per step of the narrow float kernel (one vector of columns), for outputs with few
// columns (a 10-class layer): the packed kernel would compute 32 columns to keep 10, and packing
// A costs as much as the arithmetic there.
#if defined(__AVX512F__)
constexpr int VBYTES = 64;
constexpr int MR_F = 12, MR_D = 12, MR_N = 24;
#elif defined(__AVX2__)
constexpr int VBYTES = 32;
constexpr int MR_F = 6, MR_D = 6, MR_N = 12;
#else
constexpr int VBYTES = 16;
constexpr int MR_F = 4, MR_D = 4, MR_N = 8;
#endif

/** tile [MR, W] = A rows [MR, kc] (strides rsa, csa; not packed) times packed B [kc, W]. */
template <typename T, int MR>
void narrow_rows(i64 kc, const T* __restrict a, i64 rsa, i64 csa, const T* __restrict b, T* __restrict tile) {
  typedef T V __attribute__((vector_size(VBYTES), aligned(alignof(T))));
  constexpr int W = VBYTES / int(sizeof(T));
  V acc[MR];
#pragma GCC unroll 32
  for (int r = 0; r < MR; r++) acc[r] = V{};
  for (i64 p = 0; p < kc; p++) {
    V bv;
    bv = *reinterpret_cast<const V*>(b + p * W);
#pragma GCC unroll 32
    for (int r = 0; r < MR; r++) acc[r] += a[r * rsa + p * csa] * bv;
  }
#pragma GCC unroll 32
  for (int r = 0; r < MR; r++) *reinterpret_cast<V*>(tile + r * W) = acc[r];
}

void narrow_kernel(i64 kc, const float* a, i64 rsa, i64 csa, const float* b, float* tile, int rows) {
  constexpr int W = VBYTES / 4;
  int r = 0;
  for (; r + MR_N <= rows; r += MR_N) narrow_rows<float, MR_N>(kc, a + r * rsa, rsa, csa, b, tile + r * W);
  for (; r + 4 <= rows; r += 4) narrow_rows<float, 4>(kc, a + r * rsa, rsa, csa, b, tile + r * W);
  for (; r < rows; r++) narrow_rows<float, 1>(kc, a + r * rsa, rsa, csa, b, tile + r * W);
}

/** micro_kernel with A and B read in place: a[p * lda + r] and the [kc, NR] panel at b + p * ldb. */
template <typename T, int MR, int NV>
void micro_kernel_ld(i64 kc, const T* __restrict a, i64 lda, const T* __restrict b, i64 ldb, T* __restrict c, i64 ldc,
                     bool accumulate) {
  typedef T V __attribute__((vector_size(VBYTES), aligned(alignof(T))));
  constexpr int W = VBYTES / int(sizeof(T));
  V acc[MR][NV];
#pragma GCC unroll 32
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = V{};
  for (i64 p = 0; p < kc; p++) {
    V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = *reinterpret_cast<const V*>(b + p * ldb + v * W);
#pragma GCC unroll 32
    for (int r = 0; r < MR; r++) {
      const T s = a[p * lda + r];
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] += s * bv[v];
    }
  }
#pragma GCC unroll 32
  for (int r = 0; r < MR; r++) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      T* dst = c + r * ldc + v * W;
      if (accumulate) {
        acc[r][v] += *reinterpret_cast<const V*>(dst);
      }
      *reinterpret_cast<V*>(dst) = acc[r][v];
    }
  }
}

/** The few-rows kernel: C [rows, NV vectors] = A (a[p * lda + r]) times B in place, rows <= MR_F. */
void wide_kernel(int rows, i64 kc, const float* a, i64 lda, const float* b, i64 ldb, float* c, i64 ldc) {
  constexpr int NV = 2;
  switch (rows) {
#define MYELIN_WIDE(R) \
  case R: \
    if constexpr (R <= MR_F) micro_kernel_ld<float, R, NV>(kc, a, lda, b, ldb, c, ldc, false); \
    break;
    MYELIN_WIDE(1) MYELIN_WIDE(2) MYELIN_WIDE(3) MYELIN_WIDE(4) MYELIN_WIDE(5) MYELIN_WIDE(6)
    MYELIN_WIDE(7) MYELIN_WIDE(8) MYELIN_WIDE(9) MYELIN_WIDE(10) MYELIN_WIDE(11) MYELIN_WIDE(12)
#undef MYELIN_WIDE
    default: break;
  }
}

template <typename T, int MR, int NV>
void micro_kernel(i64 kc, const T* __restrict a, const T* __restrict b, T* __restrict c, i64 ldc, bool accumulate) {
  micro_kernel_ld<T, MR, NV>(kc, a, MR, b, i64(NV) * (VBYTES / int(sizeof(T))), c, ldc, accumulate);
}

// The dot-product form of the narrow GEMM, for A rows and B columns both contiguous in k (a
// 10-class layer's forward x W^T): every lane of every multiply-add is used (the broadcast form
// keeps 10 of 16), one vector of partial sums per output, then W outputs at a time are reduced
// by a shuffle tree into one vector. Each output's sum is formed the same way wherever it sits.
typedef float VF __attribute__((vector_size(VBYTES), aligned(4)));
typedef int VI __attribute__((vector_size(VBYTES)));
constexpr int WF = VBYTES / 4;

/** One level of the tree: lanes hold partial sums in blocks of 2g per output; halves them to g. */
template <int G>
inline __attribute__((always_inline)) VF tree_level(VF u, VF v) {
  VI lo, hi;
  constexpr int NB = WF / G;  // output blocks of G lanes: the first half from u, the second from v
#pragma GCC unroll 16
  for (int o = 0; o < WF; o++) {
    const int ob = o / G, e = o % G;
    const int base = (ob < NB / 2 ? 0 : WF) + (ob % (NB / 2)) * 2 * G + e;
    lo[o] = base;
    hi[o] = base + G;
  }
  return __builtin_shuffle(u, v, lo) + __builtin_shuffle(u, v, hi);
}

template <int G>
inline __attribute__((always_inline)) void tree(VF* v, int count) {
  if constexpr (G >= 1) {
#pragma GCC unroll 16
    for (int i = 0; i < count / 2; i++) v[i] = tree_level<G>(v[2 * i], v[2 * i + 1]);
    tree<G / 2>(v, count / 2);
  }
}

/**
 * C [R, J] at c = R rows of A times J columns of B (R * J <= WF): one vector of partial sums per
 * output over the first kv (a multiple of WF) of k, reduced in registers by the tree, plus the
 * last k - kv terms one by one.
 */
template <int R, int J>
void dot_block(i64 k, i64 kv, const float* __restrict a, i64 rsa, const float* __restrict bt, i64 ldb,
               float* __restrict c, i64 ldc) {
  static_assert(R * J <= WF, "one tree reduces WF outputs");
  VF acc[WF];
#pragma GCC unroll 16
  for (int i = 0; i < WF; i++) acc[i] = VF{};
  for (i64 q = 0; q < kv; q += WF) {
    VF x[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) x[r] = *reinterpret_cast<const VF*>(a + r * rsa + q);
#pragma GCC unroll 8
    for (int j = 0; j < J; j++) {
      const VF w = *reinterpret_cast<const VF*>(bt + j * ldb + q);
#pragma GCC unroll 16
      for (int r = 0; r < R; r++) acc[r * J + j] += x[r] * w;
    }
  }
  tree<WF / 2>(acc, WF);
  alignas(64) float sums[WF];
  std::memcpy(sums, &acc[0], sizeof(VF));
  if (kv == k) {
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) std::memcpy(c + r * ldc, sums + r * J, J * sizeof(float));
    return;
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; r++) {
#pragma GCC unroll 8
    for (int j = 0; j < J; j++) {
      float s = sums[r * J + j];
      for (i64 q = kv; q < k; q++) s += a[r * rsa + q] * bt[j * ldb + q];
      c[r * ldc + j] = s;
    }
  }
}

/** Rows [i0, i1) of C, columns [j0, j0 + J): R rows at a time, then one by one. */
template <int R, int J>
void dot_columns(const GemmProblem<float>& p, i64 kv, i64 i0, i64 i1, i64 j0) {
  const float* bt = p.b + j0 * p.csb;
  i64 i = i0;
  for (; i + R <= i1; i += R) dot_block<R, J>(p.k, kv, p.a + i * p.rsa, p.rsa, bt, p.csb, p.c + i * p.ldc + j0, p.ldc);
  for (; i < i1; i++) dot_block<1, J>(p.k, kv, p.a + i * p.rsa, p.rsa, bt, p.csb, p.c + i * p.ldc + j0, p.ldc);
}

void narrow_dot(const GemmProblem<float>& p, i64 i0, i64 i1) {
  const i64 kv = p.k / WF * WF;
  i64 j = 0;
  // Blocks of 4 columns, WF / 4 rows; the last 1-3 columns with as many rows as fill a tree.
  for (; j + 4 <= p.n; j += 4) dot_columns<WF / 4, 4>(p, kv, i0, i1, j);
  switch (p.n - j) {
    case 3: dot_columns<WF / 3, 3>(p, kv, i0, i1, j); break;
    case 2: dot_columns<WF / 2, 2>(p, kv, i0, i1, j); break;
    case 1: dot_columns<WF, 1>(p, kv, i0, i1, j); break;
    default: break;
  }
}

constexpr int NV = 2;
const GemmKernel<float> skernel = {MYELIN_STR(MYELIN_ISA), MR_F, NV * VBYTES / 4, micro_kernel<float, MR_F, NV>};
const GemmKernel<double> dkernel = {MYELIN_STR(MYELIN_ISA), MR_D, NV * VBYTES / 8, micro_kernel<double, MR_D, NV>};
const NarrowGemmKernel<float> skernel_narrow = {MYELIN_STR(MYELIN_ISA) "-narrow", MR_N,   VBYTES / 4, narrow_kernel,
                                                 narrow_dot, MR_F, NV * VBYTES / 4, wide_kernel};

}  // namespace
}  // namespace MYELIN_ISA

const GemmKernel<float>& MYELIN_CAT(sgemm_kernel_, MYELIN_ISA)() { return MYELIN_ISA::skernel; }
const GemmKernel<double>& MYELIN_CAT(dgemm_kernel_, MYELIN_ISA)() { return MYELIN_ISA::dkernel; }
const NarrowGemmKernel<float>& MYELIN_CAT(sgemm_kernel_narrow_, MYELIN_ISA)() { return MYELIN_ISA::skernel_narrow; }

}  // namespace myelin
