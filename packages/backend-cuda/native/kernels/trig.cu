// sin, cos and tan: the one unit whose kernels keep a stack frame. CUDA's sinf / cosf / tanf
// (and sin / cos / tan) reduce a huge argument (|x| > 105615 in float32; far larger in float64)
// with the Payne-Hanek method, whose table lives in local memory (32 bytes per float32 thread, 40 per
// float64), so build-native.mjs lets ptxas accept local memory here and nowhere else. Arguments
// below those bounds never touch the frame. Compiled with --fmad=false like the other units.
#include "device.cuh"
#include "kernels.h"

namespace mc {
namespace {

template <typename T>
__global__ void trig_kernel(int op, const T* __restrict__ x, T* __restrict__ y, i64 n) {
  // CUDA's sinf / cosf / tanf are within 2 to 4 ulp, sin / cos / tan within 2
  MC_GRID_LOOP(i, n) y[i] = op == U_SIN ? sin(x[i]) : op == U_COS ? cos(x[i]) : tan(x[i]);
}

}  // namespace

void launch_trig(cudaStream_t s, int op, int dtype, const void* x, void* y, i64 n) {
  if (n <= 0) return;
  const unsigned blocks = blocks_for(n);
  if (dtype == F32) trig_kernel<float><<<blocks, THREADS, 0, s>>>(op, static_cast<const float*>(x), static_cast<float*>(y), n);
  else trig_kernel<double><<<blocks, THREADS, 0, s>>>(op, static_cast<const double*>(x), static_cast<double*>(y), n);
}

}  // namespace mc
