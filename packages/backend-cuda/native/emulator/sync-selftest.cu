// The emulator's warp-synchronous check, checked (scripts/build-emulator.mjs builds this into
// dist/native-emu/sync-selftest; src/warp-sync-check.test.ts runs it): a shuffle or __syncwarp
// whose mask names a lane that has exited, or that the block does not have, is undefined on a
// GPU (compute-sanitizer's synccheck reports it); the emulator's warp barrier alone would not
// wait for such a lane and give a plausible answer. One case a run:
//   sync-selftest clean | exited-lane | missing-lane
// Exit 0 with "ok <case>" when the results are right; the emulator aborts a bad case with its
// message on stderr.
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>
#include <vector>

namespace {

// A warp's sum of (lane + 1) by shuffles. `early_exit`: lanes 16..31 return first, and the rest
// still name them in the full mask.
__global__ void warp_total(int* out, bool early_exit) {
  const unsigned lane = threadIdx.x & 31;
  if (early_exit && lane >= 16) return;
  int v = int(lane) + 1;
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  __syncwarp();
  if (lane == 0) out[threadIdx.x >> 5] = v;
}

// A block of 48 threads: its second warp has lanes 0..15 only. `exact`: each warp names the
// lanes it has; else the full mask, which names 16 lanes the second warp lacks.
__global__ void partial_warp(int* out, bool exact) {
  const unsigned lane = threadIdx.x & 31;
  const unsigned mask = exact && threadIdx.x >= 32 ? 0x0000ffffu : 0xffffffffu;
  int v = int(lane) + 1;
  for (int o = 8; o > 0; o >>= 1) v += __shfl_xor_sync(mask, v, o);
  if (lane == 0) out[threadIdx.x >> 5] = v;
}

std::vector<int> run(void (*launch)(int*), int n) {
  void* p = nullptr;
  cudaMalloc(&p, sizeof(int) * n);
  int* out = static_cast<int*>(p);
  launch(out);
  std::vector<int> host(n);
  cudaMemcpy(host.data(), out, sizeof(int) * n, cudaMemcpyDeviceToHost);
  cudaFree(out);
  return host;
}

}  // namespace

int main(int argc, char** argv) {
  const char* which = argc > 1 ? argv[1] : "";
  bool ok = true;
  if (std::strcmp(which, "clean") == 0) {
    const std::vector<int> sums = run([](int* out) { warp_total<<<1, 64, 0, 0>>>(out, false); }, 2);
    ok = ok && sums[0] == 528 && sums[1] == 528;  // 1 + ... + 32
    // Lanes combine within groups of 16: 1 + ... + 16 in each warp's lane 0.
    const std::vector<int> partial = run([](int* out) { partial_warp<<<1, 48, 0, 0>>>(out, true); }, 2);
    ok = ok && partial[0] == 136 && partial[1] == 136;
  } else if (std::strcmp(which, "exited-lane") == 0) {
    run([](int* out) { warp_total<<<1, 64, 0, 0>>>(out, true); }, 2);
  } else if (std::strcmp(which, "missing-lane") == 0) {
    run([](int* out) { partial_warp<<<1, 48, 0, 0>>>(out, false); }, 2);
  } else {
    std::fprintf(stderr, "sync-selftest: unknown case '%s' (clean, exited-lane, missing-lane)\n", which);
    return 2;
  }
  std::printf("%s %s\n", ok ? "ok" : "wrong results:", which);
  return ok ? 0 : 1;
}
