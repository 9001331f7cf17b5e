// GEMM micro-kernels, compiled once per instruction set like kernels-isa.cc (AVX-512: 12x32
// floats / 12x16 doubles in 24 zmm accumulators; AVX2+FMA: 6x16 / 6x8 in 12 ymm; portable:
// 4x16 / 4x8). GCC vector extensions give the SIMD code; this file alone is built with
// -ffp-contract=fast so that the multiply-adds become FMA instructions.
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
    std::memcpy(&bv, b + p * W, sizeof(V));
#pragma GCC unroll 32
    for (int r = 0; r < MR; r++) acc[r] += a[r * rsa + p * csa] * bv;
  }
#pragma GCC unroll 32
  for (int r = 0; r < MR; r++) std::memcpy(tile + r * W, &acc[r], sizeof(V));
}

void narrow_kernel(i64 kc, const float* a, i64 rsa, i64 csa, const float* b, float* tile, int rows) {
  constexpr int W = VBYTES / 4;
  int r = 0;
  for (; r + MR_N <= rows; r += MR_N) narrow_rows<float, MR_N>(kc, a + r * rsa, rsa, csa, b, tile + r * W);
  for (; r + 4 <= rows; r += 4) narrow_rows<float, 4>(kc, a + r * rsa, rsa, csa, b, tile + r * W);
  for (; r < rows; r++) narrow_rows<float, 1>(kc, a + r * rsa, rsa, csa, b, tile + r * W);
}

template <typename T, int MR, int NV>
void micro_kernel(i64 kc, const T* __restrict a, const T* __restrict b, T* __restrict c, i64 ldc, bool accumulate) {
  typedef T V __attribute__((vector_size(VBYTES), aligned(alignof(T))));
  constexpr int W = VBYTES / int(sizeof(T));
  constexpr int NR = W * NV;
  V acc[MR][NV];
#pragma GCC unroll 32
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = V{};
  for (i64 p = 0; p < kc; p++) {
    V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) std::memcpy(&bv[v], b + p * NR + v * W, sizeof(V));
#pragma GCC unroll 32
    for (int r = 0; r < MR; r++) {
      const T s = a[p * MR + r];
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
        V old;
        std::memcpy(&old, dst, sizeof(V));
        acc[r][v] += old;
      }
      std::memcpy(dst, &acc[r][v], sizeof(V));
    }
  }
}

constexpr int NV = 2;
const GemmKernel<float> skernel = {MYELIN_STR(MYELIN_ISA), MR_F, NV * VBYTES / 4, micro_kernel<float, MR_F, NV>};
const GemmKernel<double> dkernel = {MYELIN_STR(MYELIN_ISA), MR_D, NV * VBYTES / 8, micro_kernel<double, MR_D, NV>};
const NarrowGemmKernel<float> skernel_narrow = {MYELIN_STR(MYELIN_ISA) "-narrow", MR_N, VBYTES / 4, narrow_kernel};

}  // namespace
}  // namespace MYELIN_ISA

const GemmKernel<float>& MYELIN_CAT(sgemm_kernel_, MYELIN_ISA)() { return MYELIN_ISA::skernel; }
const GemmKernel<double>& MYELIN_CAT(dgemm_kernel_, MYELIN_ISA)() { return MYELIN_ISA::dkernel; }
const NarrowGemmKernel<float>& MYELIN_CAT(sgemm_kernel_narrow_, MYELIN_ISA)() { return MYELIN_ISA::skernel_narrow; }

}  // namespace myelin
