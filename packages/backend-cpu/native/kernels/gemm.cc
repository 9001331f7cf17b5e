// The built-in GEMM's blocking and packing (the micro-kernels are in gemm-isa.cc). Loop order:
// a KC x NC block of B is packed (it stays in L2), then for each MC x KC block of A, each
// mr-row panel of A (kept in L1) meets every nr-column panel of B. Each element of C is
// summed over k in the same order whatever block of C a thread computes, so the result does
// not depend on how the work is split.
#include <cstring>

#include "gemm.h"

namespace myelin {
namespace {

template <typename T>
void pack_a(const GemmProblem<T>& p, i64 ic, i64 mc, i64 pc, i64 kc, int mr, T* dst) {
  for (i64 i = 0; i < mc; i += mr) {
    const i64 rows = mc - i < mr ? mc - i : mr;
    T* panel = dst + i * kc;
    if (p.rsa == 1 && p.csa != 1) {
      // A transposed in memory: each depth step reads `rows` contiguous values.
      for (i64 q = 0; q < kc; q++) {
        const T* src = p.a + (ic + i) + (pc + q) * p.csa;
        T* out = panel + q * mr;
        for (i64 r = 0; r < rows; r++) out[r] = src[r];
        for (i64 r = rows; r < mr; r++) out[r] = T(0);
      }
      continue;
    }
    for (i64 r = 0; r < mr; r++) {
      if (r >= rows) {
        for (i64 q = 0; q < kc; q++) panel[q * mr + r] = T(0);
        continue;
      }
      const T* src = p.a + (ic + i + r) * p.rsa + pc * p.csa;
      for (i64 q = 0; q < kc; q++) panel[q * mr + r] = src[q * p.csa];
    }
  }
}

template <typename T>
void pack_b(const GemmProblem<T>& p, i64 pc, i64 kc, i64 jc, i64 nc, int nr, T* dst) {
  for (i64 j = 0; j < nc; j += nr) {
    const i64 cols = nc - j < nr ? nc - j : nr;
    T* panel = dst + j * kc;
    if (p.rsb == 1 && p.csb != 1) {
      // B transposed in memory (a Linear layer's weight): read each column contiguously.
      // In 8 x 8 blocks, so that both the reads and the writes stay on a few cache lines.
      const T* base = p.b + pc + (jc + j) * p.csb;
      for (i64 c0 = 0; c0 < nr; c0 += 8) {
        for (i64 q0 = 0; q0 < kc; q0 += 8) {
          const i64 qn = kc - q0 < 8 ? kc - q0 : 8;
          const i64 c1 = c0 + 8 < nr ? c0 + 8 : nr;
          for (i64 c = c0; c < c1; c++) {
            if (c >= cols) {
              for (i64 q = 0; q < qn; q++) panel[(q0 + q) * nr + c] = T(0);
              continue;
            }
            const T* src = base + c * p.csb + q0;
            for (i64 q = 0; q < qn; q++) panel[(q0 + q) * nr + c] = src[q];
          }
        }
      }
      continue;
    }
    for (i64 q = 0; q < kc; q++) {
      const T* src = p.b + (pc + q) * p.rsb + (jc + j) * p.csb;
      T* out = panel + q * nr;
      if (p.csb == 1) {
        std::memcpy(out, src, std::size_t(cols) * sizeof(T));
      } else {
        for (i64 c = 0; c < cols; c++) out[c] = src[c * p.csb];
      }
      for (i64 c = cols; c < nr; c++) out[c] = T(0);
    }
  }
}

template <typename T>
void gemm_block_t(const GemmKernel<T>& kern, const GemmProblem<T>& p, i64 i0, i64 i1, i64 j0, i64 j1, T* pa,
                  T* pb) {
  const int mr = kern.mr, nr = kern.nr;
  if (p.k == 0) {
    for (i64 i = i0; i < i1; i++) {
      for (i64 j = j0; j < j1; j++) p.c[i * p.ldc + j] = T(0);
    }
    return;
  }
  alignas(64) T tile[16 * 64];
  // Depth blocks of equal size (784 = 2 x 392, not 384 + 384 + 16: a thin last block would
  // load and store all of C for a few multiply-adds).
  const i64 k_blocks = (p.k + GEMM_KC - 1) / GEMM_KC;
  const i64 kc_even = (p.k + k_blocks - 1) / k_blocks;
  for (i64 jc = j0; jc < j1; jc += GEMM_NC) {
    const i64 nc = j1 - jc < GEMM_NC ? j1 - jc : GEMM_NC;
    for (i64 pc = 0; pc < p.k; pc += kc_even) {
      const i64 kc = p.k - pc < kc_even ? p.k - pc : kc_even;
      const bool accumulate = pc > 0;
      pack_b(p, pc, kc, jc, nc, nr, pb);
      for (i64 ic = i0; ic < i1; ic += GEMM_MC) {
        const i64 mc = i1 - ic < GEMM_MC ? i1 - ic : GEMM_MC;
        pack_a(p, ic, mc, pc, kc, mr, pa);
        for (i64 ir = 0; ir < mc; ir += mr) {
          const i64 rows = mc - ir < mr ? mc - ir : mr;
          for (i64 jr = 0; jr < nc; jr += nr) {
            const i64 cols = nc - jr < nr ? nc - jr : nr;
            T* c = p.c + (ic + ir) * p.ldc + jc + jr;
            if (rows == mr && cols == nr) {
              kern.kernel(kc, pa + ir * kc, pb + jr * kc, c, p.ldc, accumulate);
            } else {
              kern.kernel(kc, pa + ir * kc, pb + jr * kc, tile, nr, false);
              for (i64 r = 0; r < rows; r++) {
                T* dst = c + r * p.ldc;
                const T* src = tile + r * nr;
                if (accumulate) {
                  for (i64 q = 0; q < cols; q++) dst[q] += src[q];
                } else {
                  for (i64 q = 0; q < cols; q++) dst[q] = src[q];
                }
              }
            }
          }
        }
      }
    }
  }
}

template <typename T>
void gemm_small_t(const GemmProblem<T>& p) {
  for (i64 i = 0; i < p.m; i++) {
    T* c = p.c + i * p.ldc;
    for (i64 j = 0; j < p.n; j++) c[j] = T(0);
    for (i64 q = 0; q < p.k; q++) {
      const T a = p.a[i * p.rsa + q * p.csa];
      const T* b = p.b + q * p.rsb;
      for (i64 j = 0; j < p.n; j++) c[j] += a * b[j * p.csb];
    }
  }
}

}  // namespace

void pack_b_narrow(const GemmProblem<float>& p, int width, float* dst) {
  for (i64 q = 0; q < p.k; q++) {
    const float* src = p.b + q * p.rsb;
    float* out = dst + q * width;
    for (i64 c = 0; c < p.n; c++) out[c] = src[c * p.csb];
    for (i64 c = p.n; c < width; c++) out[c] = 0.0f;
  }
}

void gemm_narrow(const NarrowGemmKernel<float>& kern, const GemmProblem<float>& p, const float* packed_b, i64 i0, i64 i1,
                 bool transpose_c) {
  alignas(64) float tile[MAX_NARROW_ROWS * 16];
  const int width = kern.width;
  for (i64 i = i0; i < i1; i += kern.mr) {
    const int rows = int(i1 - i < kern.mr ? i1 - i : kern.mr);
    kern.rows(p.k, p.a + i * p.rsa, p.rsa, p.csa, packed_b, tile, rows);
    if (transpose_c) {
      for (int r = 0; r < rows; r++) {
        for (i64 c = 0; c < p.n; c++) p.c[c * p.ldc + i + r] = tile[r * width + c];
      }
    } else {
      for (int r = 0; r < rows; r++) std::memcpy(p.c + (i + r) * p.ldc, tile + r * width, std::size_t(p.n) * sizeof(float));
    }
  }
}

void gemm_few_rows_pack(const NarrowGemmKernel<float>& kern, const GemmProblem<float>& p, float* pa, float* pb) {
  if (p.rsa != 1) {
    const i64 groups = (p.m + kern.wide_mr - 1) / kern.wide_mr;
    for (i64 g = 0; g < groups; g++) {
      const i64 i0 = p.m * g / groups, rows = p.m * (g + 1) / groups - i0;
      float* panel = pa + i0 * p.k;
      for (i64 r = 0; r < rows; r++) {
        const float* src = p.a + (i0 + r) * p.rsa;
        for (i64 q = 0; q < p.k; q++) panel[q * rows + r] = src[q * p.csa];
      }
    }
  }
  const i64 full = p.n / kern.wide_nr * kern.wide_nr;
  if (full < p.n) pack_b(p, 0, p.k, full, p.n - full, kern.wide_nr, pb);
}

void gemm_few_rows(const NarrowGemmKernel<float>& kern, const GemmProblem<float>& p, const float* pa, const float* pb,
                   i64 j0, i64 j1) {
  const int nr = kern.wide_nr;
  const i64 groups = (p.m + kern.wide_mr - 1) / kern.wide_mr;
  alignas(64) float tile[16 * 64];
  for (i64 g = 0; g < groups; g++) {
    const i64 i0 = p.m * g / groups;
    const int rows = int(p.m * (g + 1) / groups - i0);
    const float* a = p.rsa == 1 ? p.a + i0 : pa + i0 * p.k;
    const i64 lda = p.rsa == 1 ? p.csa : rows;
    for (i64 j = j0; j < j1; j += nr) {
      const i64 cols = j1 - j < nr ? j1 - j : nr;
      float* c = p.c + i0 * p.ldc + j;
      if (cols == nr) {
        kern.wide(rows, p.k, a, lda, p.b + j, p.rsb, c, p.ldc);
        continue;
      }
      kern.wide(rows, p.k, a, lda, pb, nr, tile, nr);
      for (i64 r = 0; r < rows; r++) std::memcpy(c + r * p.ldc, tile + r * nr, std::size_t(cols) * sizeof(float));
    }
  }
}

void gemm_small(const GemmProblem<float>& p) { gemm_small_t(p); }
void gemm_small(const GemmProblem<double>& p) { gemm_small_t(p); }

void gemm_block(const GemmKernel<float>& kern, const GemmProblem<float>& p, i64 i0, i64 i1, i64 j0, i64 j1,
                float* pack_a, float* pack_b) {
  gemm_block_t(kern, p, i0, i1, j0, j1, pack_a, pack_b);
}

void gemm_block(const GemmKernel<double>& kern, const GemmProblem<double>& p, i64 i0, i64 i1, i64 j0, i64 j1,
                double* pack_a, double* pack_b) {
  gemm_block_t(kern, p, i0, i1, j0, j1, pack_a, pack_b);
}

}  // namespace myelin
