// The built-in GEMM, used when no BLAS library is found (or when forced): packed panels,
// cache blocking and a register-tiled micro-kernel per instruction set (AVX-512, AVX2+FMA,
// portable). Pure computation: the caller provides the packing buffers and splits the work.
#pragma once
#include "common.h"

namespace myelin {

/** c (mr x nr, row stride ldc) = (or +=, when accumulate) packed A (kc x mr) times packed B (kc x nr). */
template <typename T>
using MicroKernel = void (*)(i64 kc, const T* a, const T* b, T* c, i64 ldc, bool accumulate);

template <typename T>
struct GemmKernel {
  const char* name;
  int mr, nr;
  MicroKernel<T> kernel;
};

/** Blocking: A blocks of MC x KC and B blocks of KC x NC are packed, then tiled by mr x nr. */
#ifndef MYELIN_GEMM_KC
#define MYELIN_GEMM_KC 384
#define MYELIN_GEMM_MC 96
#define MYELIN_GEMM_NC 1024
#endif
constexpr i64 GEMM_KC = MYELIN_GEMM_KC;
constexpr i64 GEMM_MC = MYELIN_GEMM_MC;
constexpr i64 GEMM_NC = MYELIN_GEMM_NC;

/** Elements each packing buffer needs (for any kernel of the tables below). */
constexpr i64 GEMM_PACK_A = GEMM_MC * GEMM_KC;
constexpr i64 GEMM_PACK_B = GEMM_NC * GEMM_KC;

/** A [m, k] (strides rsa, csa) times B [k, n] (rsb, csb) into C rows [i0, i1) and columns [j0, j1). */
template <typename T>
struct GemmProblem {
  i64 m, n, k;
  const T* a;
  i64 rsa, csa;
  const T* b;
  i64 rsb, csb;
  T* c;
  i64 ldc;
};

void gemm_block(const GemmKernel<float>& kern, const GemmProblem<float>& p, i64 i0, i64 i1, i64 j0, i64 j1,
                float* pack_a, float* pack_b);
void gemm_block(const GemmKernel<double>& kern, const GemmProblem<double>& p, i64 i0, i64 i1, i64 j0, i64 j1,
                double* pack_a, double* pack_b);

/**
 * C = A B by direct loops, no packing: for tiny products (an XOR network's 4x2x2), where a BLAS
 * call or the packing costs more than the arithmetic.
 */
void gemm_small(const GemmProblem<float>& p);
void gemm_small(const GemmProblem<double>& p);

const GemmKernel<float>& sgemm_kernel_avx512();
const GemmKernel<float>& sgemm_kernel_avx2();
const GemmKernel<float>& sgemm_kernel_generic();
/**
 * The narrow variant, for products with at most `width` output columns (a 10-class layer): B is
 * packed into one [k, width] panel, A is read in place (no packing: each row of A meets a single
 * panel), `rows` rows of A at a time into a [rows, width] tile (rows <= MAX_NARROW_ROWS).
 */
template <typename T>
struct NarrowGemmKernel {
  const char* name;
  int mr, width;
  void (*rows)(i64 kc, const T* a, i64 rsa, i64 csa, const T* b, T* tile, int rows);
  /**
   * The dot-product form, for n <= width with A rows and B columns contiguous in k (csa == 1,
   * rsb == 1: x W^T): C rows [i0, i1), every SIMD lane used.
   */
  void (*dot)(const GemmProblem<T>& p, i64 i0, i64 i1);
  /**
   * For few rows and B rows contiguous (csb == 1: a weight gradient dY^T x): C [rows, wide_nr]
   * = A (a[p * lda + r], rows <= wide_mr) times B [kc, wide_nr] read in place (row stride ldb).
   */
  int wide_mr, wide_nr;
  void (*wide)(int rows, i64 kc, const T* a, i64 lda, const T* b, i64 ldb, T* c, i64 ldc);
};
constexpr int MAX_NARROW_ROWS = 32;

/**
 * C rows [i0, i1) of a product with n <= kern.width, B already packed by pack_b_narrow. With
 * transpose_c, row i of the product is written as column i of p.c (row stride p.ldc): a product
 * with few ROWS runs as its transpose, C^T = B^T A^T.
 */
void gemm_narrow(const NarrowGemmKernel<float>& kern, const GemmProblem<float>& p, const float* packed_b, i64 i0, i64 i1,
                 bool transpose_c);
/**
 * Few rows (m <= 16, p.csb == 1), B read in place, the rows split into ceil(m / wide_mr) groups
 * of near-equal size (no padded rows). gemm_few_rows_pack packs A into [k, rows] panels unless it
 * is stored transposed (p.rsa == 1: read in place), needing m * k elements, and the last partial
 * strip of columns into [k, wide_nr] (k * wide_nr elements); gemm_few_rows then computes C
 * columns [j0, j1) (j0 a multiple of wide_nr).
 */
void gemm_few_rows_pack(const NarrowGemmKernel<float>& kern, const GemmProblem<float>& p, float* pack_a, float* pack_b);
void gemm_few_rows(const NarrowGemmKernel<float>& kern, const GemmProblem<float>& p, const float* pack_a,
                   const float* pack_b, i64 j0, i64 j1);
/** Packs all of B [k, n] into [k, width] (zero-padded columns); needs k * width elements. */
void pack_b_narrow(const GemmProblem<float>& p, int width, float* dst);

const NarrowGemmKernel<float>& sgemm_kernel_narrow_avx512();
const NarrowGemmKernel<float>& sgemm_kernel_narrow_avx2();
const NarrowGemmKernel<float>& sgemm_kernel_narrow_generic();
const GemmKernel<double>& dgemm_kernel_avx512();
const GemmKernel<double>& dgemm_kernel_avx2();
const GemmKernel<double>& dgemm_kernel_generic();

}  // namespace myelin
