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

#if defined(__AVX512F__)
constexpr int VBYTES = 64;
constexpr int MR_F = 12, MR_D = 12;
#elif defined(__AVX2__)
constexpr int VBYTES = 32;
constexpr int MR_F = 6, MR_D = 6;
#else
constexpr int VBYTES = 16;
constexpr int MR_F = 4, MR_D = 4;
#endif

template <typename T, int MR, int NV>
void micro_kernel(i64 kc, const T* __restrict a, const T* __restrict b, T* __restrict c, i64 ldc, bool accumulate) {
  typedef T V __attribute__((vector_size(VBYTES), aligned(alignof(T))));
  constexpr int W = VBYTES / int(sizeof(T));
  constexpr int NR = W * NV;
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = V{};
  for (i64 p = 0; p < kc; p++) {
    V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) std::memcpy(&bv[v], b + p * NR + v * W, sizeof(V));
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      const T s = a[p * MR + r];
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] += s * bv[v];
    }
  }
#pragma GCC unroll 16
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

}  // namespace
}  // namespace MYELIN_ISA

const GemmKernel<float>& MYELIN_CAT(sgemm_kernel_, MYELIN_ISA)() { return MYELIN_ISA::skernel; }
const GemmKernel<double>& MYELIN_CAT(dgemm_kernel_, MYELIN_ISA)() { return MYELIN_ISA::dkernel; }

}  // namespace myelin
