// The built-in GEMM, used when cuBLAS is not found (or MYELIN_CUDA_GEMM=builtin): 64x64 output
// tiles per block of 256 threads, each thread a 4x4 register block, operands staged through
// shared memory in slices of K, any strides (so transposes and batch strides of 0 need no copy).
// Accumulates with explicit fused multiply-adds in the operand type.
#include <algorithm>
#include <cstdlib>

#include "device.cuh"
#include "kernels.h"

namespace mc {
namespace {

constexpr int BM = 64, BN = 64, BK = 16;

template <typename T>
struct GemmArgs {
  i64 m, n, k;
  const T* a;
  i64 a_row, a_col, stride_a;  // element (i, p) of op(A) at a[i * a_row + p * a_col]
  const T* b;
  i64 b_row, b_col, stride_b;  // element (p, j) of op(B) at b[p * b_row + j * b_col]
  T* c;
  i64 ldc, stride_c;
  i64 batch0;     // the batch of blockIdx.z == 0 (launches of at most grid_yz_chunk() batches each)
  i64 row_tile0;  // the row tile of blockIdx.y == 0 (likewise)
};

template <typename T>
__device__ inline T fma_of(T a, T b, T c) {
  return fma(a, b, c);
}

/** Where a block works: its batch's matrices and the first row and column of its TM x TN tile of C. */
template <typename T>
struct BlockTile {
  const T* a;
  const T* b;
  T* c;
  i64 m0, n0;
};

template <int TM, int TN, typename T>
__device__ __forceinline__ BlockTile<T> block_tile(const GemmArgs<T>& g) {
  const i64 batch = g.batch0 + blockIdx.z;
  return {g.a + batch * g.stride_a, g.b + batch * g.stride_b, g.c + batch * g.stride_c, (g.row_tile0 + i64(blockIdx.y)) * TM,
          i64(blockIdx.x) * TN};
}

/**
 * Stages one operand's slice in shared memory: S[kk][xx] = X[(x0 + xx) * x_step + (k0 + kk) * k_step]
 * for the TX rows (of op(A)) or columns (of op(B)) at x0 and the slice of K at k0, zero past
 * x_end or k_end. `k_fast`: K is the unit-stride axis, so consecutive threads walk along K
 * (else along X), which keeps the global loads coalesced.
 */
template <int TX, typename T, int TK, int ROW>
__device__ __forceinline__ void stage_slice(T (&S)[TK][ROW], const T* X, i64 x_step, i64 k_step, i64 x0, i64 x_end,
                                            i64 k0, i64 k_end, bool k_fast, int tid) {
  static_assert((TX * TK) % 256 == 0 && ROW >= TX, "a slice is whole loads of 256 threads");
#pragma unroll
  for (int l = 0; l < (TX * TK) / 256; l++) {
    const int e = tid + l * 256;
    const int kk = k_fast ? e % TK : e / TX;
    const int xx = k_fast ? e / TK : e % TX;
    const i64 gx = x0 + xx, gk = k0 + kk;
    S[kk][xx] = (gx < x_end && gk < k_end) ? X[gx * x_step + gk * k_step] : T(0);
  }
}

/**
 * Writes a thread's R x R register block into C, skipping what lies past the matrix: the thread
 * (tx, ty) of a 16 x 16 block holds runs of V rows (columns) 16 * V apart, so element (i, j) is
 * C[m0 + ty * V + i % V + (i / V) * 16 * V][n0 + tx * V + j % V + (j / V) * 16 * V].
 */
template <int V, typename T, int R>
__device__ __forceinline__ void store_block(const T (&acc)[R][R], const GemmArgs<T>& g, T* C, i64 m0, i64 n0, int tx,
                                            int ty) {
#pragma unroll
  for (int i = 0; i < R; i++) {
    const i64 gm = m0 + ty * V + i % V + (i / V) * 16 * V;
    if (gm >= g.m) continue;
#pragma unroll
    for (int j = 0; j < R; j++) {
      const i64 gn = n0 + tx * V + j % V + (j / V) * 16 * V;
      if (gn < g.n) C[gm * g.ldc + gn] = acc[i][j];
    }
  }
}

template <typename T>
__global__ void __launch_bounds__(256) gemm_kernel(GemmArgs<T> g) {
  __shared__ T As[BK][BM + 1];
  __shared__ T Bs[BK][BN + 1];
  const auto [A, B, C, m0, n0] = block_tile<BM, BN>(g);
  const int tid = threadIdx.x;
  const int tx = tid & 15, ty = tid >> 4;
  // Load maps: consecutive threads along the operand's unit-stride axis where it has one.
  const bool a_k_fast = g.a_col == 1;
  const bool b_n_fast = g.b_col == 1;
  T acc[4][4];
#pragma unroll
  for (int i = 0; i < 4; i++)
#pragma unroll
    for (int j = 0; j < 4; j++) acc[i][j] = T(0);
  for (i64 k0 = 0; k0 < g.k; k0 += BK) {
    stage_slice<BM>(As, A, g.a_row, g.a_col, m0, g.m, k0, g.k, a_k_fast, tid);
    stage_slice<BN>(Bs, B, g.b_col, g.b_row, n0, g.n, k0, g.k, !b_n_fast, tid);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; kk++) {
      T a[4], b[4];
#pragma unroll
      for (int i = 0; i < 4; i++) a[i] = As[kk][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; j++) b[j] = Bs[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = fma_of(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
  store_block<1>(acc, g, C, m0, n0, tx, ty);
}

/**
 * float32, large outputs: 128x128 tiles, each of the 256 threads an 8x8 register block (two 4x4
 * quadrants, 64 rows / columns apart), operand slices of 8 along K in shared memory read as
 * float4 (16 multiply-adds per shared load instead of 2).
 */
constexpr int LM = 128, LN = 128, LK = 8, LPAD = 4;

/** Four floats loaded from shared memory as one 16-byte access. */
struct alignas(16) Float4 {
  float x, y, z, w;
};

__global__ void __launch_bounds__(256) sgemm_large(GemmArgs<float> g) {
  alignas(16) __shared__ float As[LK][LM + LPAD];
  alignas(16) __shared__ float Bs[LK][LN + LPAD];
  const auto [A, B, C, m0, n0] = block_tile<LM, LN>(g);
  const int tid = threadIdx.x;
  const int tx = tid & 15, ty = tid >> 4;
  const bool a_k_fast = g.a_col == 1;
  const bool b_n_fast = g.b_col == 1;
  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; i++)
#pragma unroll
    for (int j = 0; j < 8; j++) acc[i][j] = 0.0f;
  for (i64 k0 = 0; k0 < g.k; k0 += LK) {
    stage_slice<LM>(As, A, g.a_row, g.a_col, m0, g.m, k0, g.k, a_k_fast, tid);
    stage_slice<LN>(Bs, B, g.b_col, g.b_row, n0, g.n, k0, g.k, !b_n_fast, tid);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < LK; kk++) {
      const Float4 a0 = *reinterpret_cast<const Float4*>(&As[kk][ty * 4]);
      const Float4 a1 = *reinterpret_cast<const Float4*>(&As[kk][ty * 4 + 64]);
      const Float4 b0 = *reinterpret_cast<const Float4*>(&Bs[kk][tx * 4]);
      const Float4 b1 = *reinterpret_cast<const Float4*>(&Bs[kk][tx * 4 + 64]);
      const float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int i = 0; i < 8; i++)
#pragma unroll
        for (int j = 0; j < 8; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
  store_block<4>(acc, g, C, m0, n0, tx, ty);
}

template <typename T>
__global__ void zero_matrix(T* c, i64 m, i64 n, i64 ldc, i64 stride_c, i64 batch) {
  MC_GRID_LOOP(e, batch * m * n) {
    const i64 j = e % n, i = (e / n) % m, b = e / (m * n);
    c[b * stride_c + i * ldc + j] = T(0);
  }
}

/**
 * Row tiles and batches per launch: CUDA refuses a gridDim.y or gridDim.z over 65535 (a GEMM of
 * over 65535 row tiles: 4.19M rows, or of as many batches), so larger ones take several launches.
 * The emulator build reads MYELIN_CUDA_EMULATOR_GRID_CHUNK, so that a test can run this
 * chunking on small matrices (the emulator refuses grids past CUDA's limits, as a GPU does).
 */
i64 grid_yz_chunk() {
#ifdef MYELIN_CUDA_EMULATOR
  static const i64 chunk = [] {
    const char* value = std::getenv("MYELIN_CUDA_EMULATOR_GRID_CHUNK");
    const long long n = value != nullptr ? std::atoll(value) : 0;
    return n >= 1 && n <= 65535 ? i64(n) : i64(65535);
  }();
  return chunk;
#else
  return 65535;
#endif
}

template <typename T>
void gemm_typed(cudaStream_t s, const GemmCall& call) {
  if (call.m <= 0 || call.n <= 0 || call.batch <= 0) return;
  T* c = static_cast<T*>(call.c);
  if (call.k <= 0) {
    zero_matrix<T><<<blocks_for(call.batch * call.m * call.n), THREADS, 0, s>>>(c, call.m, call.n, call.ldc, call.stride_c, call.batch);
    return;
  }
  GemmArgs<T> g;
  g.m = call.m;
  g.n = call.n;
  g.k = call.k;
  g.a = static_cast<const T*>(call.a);
  g.a_row = call.ta ? 1 : call.lda;
  g.a_col = call.ta ? call.lda : 1;
  g.stride_a = call.stride_a;
  g.b = static_cast<const T*>(call.b);
  g.b_row = call.tb ? 1 : call.ldb;
  g.b_col = call.tb ? call.ldb : 1;
  g.stride_b = call.stride_b;
  g.c = c;
  g.ldc = call.ldc;
  g.stride_c = call.stride_c;
  // Large float32 outputs take the 128x128 kernel; the rest (and float64) the 64x64 one.
  const bool large = std::is_same<T, float>::value && call.m >= 256 && call.n >= 256;
  const i64 tm = large ? LM : BM, tn = large ? LN : BN;
  // Column tiles on x (up to 2^31 - 1: more columns than any device memory holds).
  const unsigned tiles_x = unsigned((call.n + tn - 1) / tn);
  const i64 tiles_y = (call.m + tm - 1) / tm, chunk = grid_yz_chunk();
  for (i64 b0 = 0; b0 < call.batch; b0 += chunk) {
    for (i64 y0 = 0; y0 < tiles_y; y0 += chunk) {
      const dim3 grid(tiles_x, unsigned(std::min(chunk, tiles_y - y0)), unsigned(std::min(chunk, call.batch - b0)));
      g.batch0 = b0;
      g.row_tile0 = y0;
      if constexpr (std::is_same<T, float>::value) {
        if (large) {
          sgemm_large<<<grid, 256, 0, s>>>(g);
          continue;
        }
      }
      gemm_kernel<T><<<grid, 256, 0, s>>>(g);
    }
  }
}

}  // namespace

void launch_gemm_builtin(cudaStream_t s, int dtype, const GemmCall& call) {
  if (dtype == F32) gemm_typed<float>(s, call);
  else gemm_typed<double>(s, call);
}

}  // namespace mc
