// The race check's own test (scripts/build-emulator.mjs --race builds it into
// dist/native-emu-tsan/race-selftest; src/race-check.race.test.ts runs it): kernels with the
// races that CUDA code gets wrong, each of which the check must report, and the same kernels
// written correctly, which it must pass. One case a run:
//   race-selftest clean | missing-barrier | early-reuse | neighbour-blocks
// Exit 0 with "ok <case>" when the results are right; ThreadSanitizer ends a run that races
// with exit code 66 and its report.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

constexpr int kThreads = 256;
constexpr int kBlocks = 4;

// Each block's sum, tree-wise in shared memory; without `barrier` the steps race (a thread
// adds a partial sum that another thread is still writing).
__global__ void block_sums(const float* x, float* out, bool barrier) {
  __shared__ float s[kThreads];
  const unsigned t = threadIdx.x;
  s[t] = x[blockIdx.x * kThreads + t];
  __syncthreads();
  for (unsigned step = kThreads / 2; step > 0; step >>= 1) {
    if (t < step) s[t] += s[t + step];
    if (barrier) __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = s[0];
}

// Tiles through one shared buffer; without the second barrier a thread overwrites the tile
// while another still reads the previous one (write after read).
__global__ void tile_sums(const float* x, float* out, int tiles, bool second_barrier) {
  __shared__ float tile[kThreads];
  const unsigned t = threadIdx.x;
  float acc = 0;
  for (int k = 0; k < tiles; k++) {
    tile[t] = x[k * kThreads + t];
    __syncthreads();
    acc += tile[kThreads - 1 - t];
    if (second_barrier) __syncthreads();
  }
  out[t] = acc;
}

// Every block adds its first value into one total: correct with an atomic, a race between
// blocks without.
__global__ void grand_total(const float* x, float* total, bool atomic) {
  if (threadIdx.x != 0) return;
  const float v = x[blockIdx.x * kThreads];
  if (atomic)
    atomicAdd(total, v);
  else
    *total += v;
}

// A warp's sum by shuffles, then one value a warp through shared memory (block_sum's shape).
__global__ void warp_sums(const float* x, float* out) {
  __shared__ float warps[kThreads / 32];
  const unsigned t = threadIdx.x;
  float v = x[blockIdx.x * kThreads + t];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  if ((t & 31) == 0) warps[t >> 5] = v;
  __syncthreads();
  if (t == 0) {
    float sum = 0;
    for (int w = 0; w < kThreads / 32; w++) sum += warps[w];
    out[blockIdx.x] = sum;
  }
}

float* device_copy(const std::vector<float>& host) {
  void* p = nullptr;
  cudaMalloc(&p, host.size() * sizeof(float));
  cudaMemcpy(p, host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice);
  return static_cast<float*>(p);
}

std::vector<float> host_copy(const float* device, std::size_t n) {
  std::vector<float> host(n);
  cudaMemcpy(host.data(), device, n * sizeof(float), cudaMemcpyDeviceToHost);
  return host;
}

bool near(float a, float b) { return std::fabs(a - b) <= 1e-3f * (1.0f + std::fabs(b)); }

}  // namespace

int main(int argc, char** argv) {
  const char* which = argc > 1 ? argv[1] : "";
  const bool clean = std::strcmp(which, "clean") == 0;
  std::vector<float> values(kBlocks * kThreads);
  for (std::size_t i = 0; i < values.size(); i++) values[i] = float(i % 7) - 2.5f;
  float* x = device_copy(values);
  float* out = device_copy(std::vector<float>(kThreads, 0.0f));
  bool ok = true;

  if (clean || std::strcmp(which, "missing-barrier") == 0) {
    block_sums<<<kBlocks, kThreads>>>(x, out, clean);
    const std::vector<float> sums = host_copy(out, kBlocks);
    for (int b = 0; b < kBlocks; b++) {
      float expected = 0;
      for (int t = 0; t < kThreads; t++) expected += values[b * kThreads + t];
      ok = ok && near(sums[b], expected);
    }
  }
  if (clean || std::strcmp(which, "early-reuse") == 0) {
    tile_sums<<<1, kThreads>>>(x, out, kBlocks, clean);
    const std::vector<float> sums = host_copy(out, kThreads);
    for (int t = 0; t < kThreads; t++) {
      float expected = 0;
      for (int k = 0; k < kBlocks; k++) expected += values[k * kThreads + kThreads - 1 - t];
      ok = ok && near(sums[t], expected);
    }
  }
  if (clean || std::strcmp(which, "neighbour-blocks") == 0) {
    float* total = device_copy({0.0f});
    grand_total<<<kBlocks, kThreads>>>(x, total, clean);
    float expected = 0;
    for (int b = 0; b < kBlocks; b++) expected += values[b * kThreads];
    ok = ok && near(host_copy(total, 1)[0], expected);
    cudaFree(total);
  }
  if (clean) {
    warp_sums<<<kBlocks, kThreads>>>(x, out);
    const std::vector<float> sums = host_copy(out, kBlocks);
    for (int b = 0; b < kBlocks; b++) {
      float expected = 0;
      for (int t = 0; t < kThreads; t++) expected += values[b * kThreads + t];
      ok = ok && near(sums[b], expected);
    }
  }
  if (!clean && std::strcmp(which, "missing-barrier") != 0 && std::strcmp(which, "early-reuse") != 0 &&
      std::strcmp(which, "neighbour-blocks") != 0) {
    std::fprintf(stderr, "race-selftest: unknown case '%s' (clean, missing-barrier, early-reuse, neighbour-blocks)\n", which);
    return 2;
  }
  cudaFree(x);
  cudaFree(out);
  std::printf("%s %s\n", ok ? "ok" : "wrong results:", which);
  return ok ? 0 : 1;
}
