// The CPU emulator's scheduler (fibers for CUDA threads) and its CUDA runtime API over host
// memory: see emulator.h for what it is for and what it checks.
//
// The race check build (MC_EMU_RACECHECK; scripts/build-emulator.mjs --race) compiles the
// kernels and the glue with ThreadSanitizer and this file without it, and tells ThreadSanitizer
// what orders what on a GPU, so that it reports every pair of accesses to one address, one a
// write, that a GPU could run in either order:
// - each CUDA thread runs as a ThreadSanitizer fiber; switching fibers orders nothing;
// - a launch: the host's accesses before it come before every thread's, and every thread's
//   before the host's after it (one stream, as the addon uses);
// - __syncthreads and the warp barriers of the shuffles: each thread's accesses before the
//   barrier come before every thread's after it (one sync object per generation parity, so a
//   thread that runs ahead to the next barrier orders nothing early);
// - blocks: neighbouring blocks (by linear index) run on two sets of fibers with shared memory
//   and shuffle slots of their own, and nothing orders one before the other, so a race between
//   them is reported; block k comes after block k-2 (their fibers and shared memory are the
//   same), so races between blocks further apart go unseen in one run. Generally, the set is
//   bit s of the block's linear index (MYELIN_CUDA_RACECHECK_BIT, 0 by default): blocks that
//   differ in that bit are unordered, so runs for bits 0..n-1 together cover every pair of
//   blocks of a grid of up to 2^n.
// Atomics are relaxed atomic accesses (emulator.h): they race with plain accesses only.
//
// The trace: with MYELIN_CUDA_EMULATOR_TRACE naming a file, every launch and every call of the
// runtime API that moves memory or waits for the device appends a line to it (`launch <kernel>
// <grid> <block>`, `memcpyAsync <kind> <bytes>`, `memcpy <kind> <bytes>`, `memset <bytes>`,
// `malloc <bytes>`, `sync stream|event|device`), so a test can count what a training step asks
// of a GPU: launches (each a few microseconds of host time on a real one) and waits.
//
// MYELIN_CUDA_EMULATOR_SKIP_KERNELS=1 makes every launch return at once without running its
// kernel (device memory starts zeroed): the results are meaningless, but what remains is the
// host's own cost of driving the engine (JavaScript, Node-API, glue, allocator), which is what
// bounds a launch-bound step on a GPU. For measuring only (the trace still lists each launch).
#include <ucontext.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "cuda_runtime_api.h"
#include "emulator.h"
#include "trace.h"

#if defined(__SANITIZE_ADDRESS__)
#define MC_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MC_EMU_ASAN 1
#endif
#endif
#ifdef MC_EMU_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef MC_EMU_RACECHECK
#include <sanitizer/tsan_interface.h>
#endif

#if defined(__x86_64__)
// A fiber switch without ucontext's signal-mask system calls (three per CUDA thread, most of
// an emulated run's time): save the callee-saved registers on the current stack, store its
// pointer, load the other's, restore its registers, return into it (System V x86-64 ABI).
extern "C" void mc_emu_switch(void** save, void* load);
asm(R"(
  .text
  .globl mc_emu_switch
  .hidden mc_emu_switch
  .type mc_emu_switch, @function
mc_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size mc_emu_switch, .-mc_emu_switch
)");
#define MC_EMU_FAST_SWITCH 1
#endif

namespace mc_emu {

dim3 grid_dim, block_dim, block_idx, thread_idx;

namespace {

bool skip_kernels() {
  static const bool skip = [] {
    const char* value = std::getenv("MYELIN_CUDA_EMULATOR_SKIP_KERNELS");
    return value != nullptr && std::strcmp(value, "1") == 0;
  }();
  return skip;
}

// Deep enough for the kernels' register tiles and a sanitizer's red zones.
constexpr std::size_t kStack = 256 * 1024;
constexpr unsigned kMaxThreads = 1024;
// A GPU's static shared memory per block is at most 48 KiB.
constexpr std::size_t kSharedBytes = 48 * 1024;

// Per block-parity state (the race check alternates two; the plain build uses the first):
// shuffle slots and shared memory.
unsigned long long g_slots[2][kMaxThreads];
alignas(256) unsigned char g_shared[2][kSharedBytes];
unsigned g_parity = 0;
// The shared variables of the running launch: each declaration's key and offset.
struct SharedVar {
  const void* key;
  std::size_t offset;
};
std::vector<SharedVar> g_shared_vars;
std::size_t g_shared_used = 0;

#ifdef MC_EMU_RACECHECK
// Sync objects: only their addresses matter to ThreadSanitizer.
char g_launch_sync, g_done_sync, g_parity_sync[2];
// [parity][0: the block, 1 + w: warp w][generation parity]
char g_barrier_sync[2][1 + kMaxThreads / 32][2];
void* g_tsan_fibers[2][kMaxThreads] = {};
void* g_tsan_host = nullptr;
#endif

struct Group {
  unsigned arrived = 0;
  unsigned generation = 0;
  // Warp groups: the lanes arrived in this generation, and the lanes their masks named.
  unsigned arrived_lanes = 0;
  unsigned named_lanes = 0;
};

struct Fiber {
#ifdef MC_EMU_FAST_SWITCH
  void* sp = nullptr;
#else
  ucontext_t context;
#endif
  dim3 index;
  bool done = false;
  bool started = false;
};

struct Block {
#ifdef MC_EMU_FAST_SWITCH
  void* scheduler = nullptr;
#else
  ucontext_t scheduler;
#endif
  std::vector<Fiber> fibers;
  // Per block parity (see g_parity): the race check must not see neighbouring blocks' threads
  // write one stack.
  std::vector<std::unique_ptr<char[]>> stacks[2];
  unsigned current = 0;
  unsigned live = 0;
  Group block_group;
  Group warp_groups[kMaxThreads / 32];
  unsigned warp_live[kMaxThreads / 32] = {};
  unsigned long progress = 0;
  const std::function<void()>* body = nullptr;
#ifdef MC_EMU_ASAN
  void* fake_stack = nullptr;
  const void* main_bottom = nullptr;
  std::size_t main_size = 0;
#endif
};

Block* g_block = nullptr;

void switch_to_fiber(Block& b, unsigned i) {
  b.current = i;
  thread_idx = b.fibers[i].index;
#ifdef MC_EMU_ASAN
  __sanitizer_start_switch_fiber(&b.fake_stack, b.stacks[g_parity][i].get(), kStack);
#endif
#ifdef MC_EMU_RACECHECK
  __tsan_switch_to_fiber(g_tsan_fibers[g_parity][i], __tsan_switch_to_fiber_no_sync);
#endif
#ifdef MC_EMU_FAST_SWITCH
  mc_emu_switch(&b.scheduler, b.fibers[i].sp);
#else
  swapcontext(&b.scheduler, &b.fibers[i].context);
#endif
#ifdef MC_EMU_ASAN
  // Back on the scheduler's stack. The bounds this would report are the fiber's (the stack we
  // came from): main_bottom/main_size must keep the scheduler's, which fiber_entry recorded, or
  // the next switch back here hands ASan a fiber's bounds as the main stack's (and a C++
  // exception on the main stack later trips its no-return check).
  __sanitizer_finish_switch_fiber(b.fake_stack, nullptr, nullptr);
#endif
}

void yield_to_scheduler(Block& b, bool finishing) {
#ifdef MC_EMU_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(finishing ? nullptr : &fake, b.main_bottom, b.main_size);
#endif
#ifdef MC_EMU_RACECHECK
  __tsan_switch_to_fiber(g_tsan_host, __tsan_switch_to_fiber_no_sync);
#endif
#ifdef MC_EMU_FAST_SWITCH
  mc_emu_switch(&b.fibers[b.current].sp, b.scheduler);
#else
  swapcontext(&b.fibers[b.current].context, &b.scheduler);
#endif
#ifdef MC_EMU_ASAN
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
  thread_idx = b.fibers[b.current].index;
}

/** Opens group g: a named lane that did not arrive (it exited) is reported. */
void open_group(Group& g) {
  const unsigned missing = g.named_lanes & ~g.arrived_lanes;
  if (missing != 0) {
    std::fprintf(stderr,
                 "myelin CUDA emulator: a warp shuffle or __syncwarp in block (%u, %u, %u) names lanes 0x%08x of warp %u, which exited "
                 "without reaching it: undefined on a GPU (every lane in the mask must reach the same call)\n",
                 block_idx.x, block_idx.y, block_idx.z, missing, g_block->current / 32);
    std::abort();
  }
  g.arrived = 0;
  g.arrived_lanes = 0;
  g.named_lanes = 0;
  g.generation++;
}

void release_if_complete(Group& g, unsigned live) {
  if (g.arrived > 0 && g.arrived >= live) open_group(g);
}

void fiber_entry() {
  Block& b = *g_block;
#ifdef MC_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &b.main_bottom, &b.main_size);
#endif
#ifdef MC_EMU_RACECHECK
  // After the host's work before the launch and after this fiber set's previous block.
  __tsan_acquire(&g_launch_sync);
  __tsan_acquire(&g_parity_sync[g_parity]);
#endif
  (*b.body)();
#ifdef MC_EMU_RACECHECK
  {
    // Before the host's work after the launch, the fiber set's next block, and what the other
    // threads do after the barriers they have yet to pass (the generation being gathered now;
    // not the one before, which threads that have passed it but not yet run again acquire).
    __tsan_release(&g_done_sync);
    __tsan_release(&g_parity_sync[g_parity]);
    const unsigned warp = b.current / 32;
    __tsan_release(&g_barrier_sync[g_parity][0][b.block_group.generation & 1]);
    __tsan_release(&g_barrier_sync[g_parity][1 + warp][b.warp_groups[warp].generation & 1]);
  }
#endif
  Fiber& f = b.fibers[b.current];
  f.done = true;
  b.live--;
  const unsigned warp = b.current / 32;
  b.warp_live[warp]--;
  b.progress++;
  release_if_complete(b.block_group, b.live);
  release_if_complete(b.warp_groups[warp], b.warp_live[warp]);
  yield_to_scheduler(b, true);
}

}  // namespace

unsigned long long* slots = g_slots[0];

void* shared_memory(const void* key, std::size_t bytes, std::size_t align) {
  for (const SharedVar& v : g_shared_vars)
    if (v.key == key) return g_shared[g_parity] + v.offset;
  const std::size_t offset = (g_shared_used + align - 1) / align * align;
  if (offset + bytes > kSharedBytes) {
    std::fprintf(stderr, "myelin CUDA emulator: a kernel declares more than %zu bytes of shared memory\n", kSharedBytes);
    std::abort();
  }
  g_shared_vars.push_back({key, offset});
  g_shared_used = offset + bytes;
  return g_shared[g_parity] + offset;
}

void check_warp_mask(unsigned mask, const char* what) {
  Block& b = *g_block;
  const unsigned warp = b.current / 32;
  const unsigned threads = threads_in_block();
  if (!(mask >> (b.current % 32) & 1u)) {
    std::fprintf(stderr, "myelin CUDA emulator: %s in block (%u, %u, %u), thread %u, with mask 0x%08x, which does not name the calling lane: undefined on a GPU\n",
                 what, block_idx.x, block_idx.y, block_idx.z, b.current, mask);
    std::abort();
  }
  for (unsigned lane = 0; lane < 32; lane++) {
    if ((mask >> lane & 1u) && warp * 32 + lane >= threads) {
      std::fprintf(stderr,
                   "myelin CUDA emulator: %s in block (%u, %u, %u), thread %u, names lane %u (mask 0x%08x), which the block does not have: "
                   "undefined on a GPU (every lane in the mask must reach the same call)\n",
                   what, block_idx.x, block_idx.y, block_idx.z, b.current, lane, mask);
      std::abort();
    }
  }
}

unsigned linear_thread() { return thread_idx.x + block_dim.x * (thread_idx.y + block_dim.y * thread_idx.z); }
unsigned threads_in_block() { return block_dim.x * block_dim.y * block_dim.z; }

void barrier(int scope, unsigned mask) {
  Block& b = *g_block;
  const unsigned warp = b.current / 32;
  Group& g = scope < 0 ? b.block_group : b.warp_groups[warp];
  const unsigned live = scope < 0 ? b.live : b.warp_live[warp];
  const unsigned generation = g.generation;
#ifdef MC_EMU_RACECHECK
  char* sync = &g_barrier_sync[g_parity][scope < 0 ? 0 : 1 + warp][generation & 1];
  __tsan_release(sync);
#endif
  g.arrived++;
  if (scope == 0) {
    g.arrived_lanes |= 1u << (b.current % 32);
    g.named_lanes |= mask;
  }
  if (g.arrived >= live) {
    open_group(g);
    b.progress++;
  } else {
    while (g.generation == generation) yield_to_scheduler(b, false);
  }
#ifdef MC_EMU_RACECHECK
  __tsan_acquire(sync);
#endif
}

namespace {

/** Aborts on a launch a GPU refuses: no threads, too many, an empty grid, or one past CUDA's grid limits (x up to 2^31 - 1, y and z up to 65535). */
void check_config(const char* name, dim3 grid, dim3 block) {
  const unsigned long long threads = 1ull * block.x * block.y * block.z;
  if (threads == 0 || threads > kMaxThreads || grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 0x7fffffffu || grid.y > 65535u ||
      grid.z > 65535u) {
    std::fprintf(stderr, "myelin CUDA emulator: invalid launch of %s (grid %ux%ux%u, block %ux%ux%u)\n", name, grid.x, grid.y, grid.z, block.x, block.y,
                 block.z);
    std::abort();
  }
}

void execute(dim3 grid, dim3 block, const std::function<void()>& body);

}  // namespace

void run(const char* name, dim3 grid, dim3 block, const std::function<void()>& body) {
  trace("launch %s %ux%ux%u %ux%ux%u", name, grid.x, grid.y, grid.z, block.x, block.y, block.z);
  if (skip_kernels()) return;
  check_config(name, grid, block);
  execute(grid, block, body);
}

namespace {

void execute(dim3 grid, dim3 block, const std::function<void()>& body) {
  const unsigned threads = block.x * block.y * block.z;
  static Block b;  // stacks are kept between launches
  g_block = &b;
  g_shared_vars.clear();
  g_shared_used = 0;
#ifdef MC_EMU_RACECHECK
  g_tsan_host = __tsan_get_current_fiber();
  __tsan_release(&g_launch_sync);
  const bool alternate = true;
  // MYELIN_CUDA_RACECHECK_BIT=s pairs blocks by bit s of their linear index instead of bit 0:
  // one run a bit covers every pair of blocks that differ in it (see the header comment).
  static const unsigned bit = [] {
    const char* value = std::getenv("MYELIN_CUDA_RACECHECK_BIT");
    const int s = value != nullptr ? std::atoi(value) : 0;
    return unsigned(s >= 0 && s < 31 ? s : 0);
  }();
#else
  const bool alternate = false;
  const unsigned bit = 0;
#endif
  b.body = &body;
  grid_dim = grid;
  block_dim = block;
  b.fibers.assign(threads, Fiber{});
  for (unsigned bz = 0; bz < grid.z; bz++)
    for (unsigned by = 0; by < grid.y; by++)
      for (unsigned bx = 0; bx < grid.x; bx++) {
        block_idx = dim3(bx, by, bz);
        g_parity = alternate ? ((bx + grid.x * (by + grid.y * bz)) >> bit) & 1u : 0u;
        slots = g_slots[g_parity];
        while (b.stacks[g_parity].size() < threads) b.stacks[g_parity].emplace_back(new char[kStack]);
#ifdef MC_EMU_RACECHECK
        for (unsigned i = 0; i < threads; i++)
          if (!g_tsan_fibers[g_parity][i]) g_tsan_fibers[g_parity][i] = __tsan_create_fiber(0);
#endif
        b.live = threads;
        b.block_group = Group{};
        for (unsigned w = 0; w < (threads + 31) / 32; w++) {
          b.warp_groups[w] = Group{};
          b.warp_live[w] = threads - w * 32 < 32 ? threads - w * 32 : 32;
        }
        for (unsigned i = 0; i < threads; i++) {
          Fiber& f = b.fibers[i];
          f.done = false;
          f.started = false;
          f.index = dim3(i % block.x, (i / block.x) % block.y, i / (block.x * block.y));
#ifdef MC_EMU_ASAN
          // A finished fiber never returned from its frames: clear their red zones before the
          // stack is used again.
          __asan_unpoison_memory_region(b.stacks[g_parity][i].get(), kStack);
#endif
#ifdef MC_EMU_FAST_SWITCH
          // The new stack as mc_emu_switch leaves one: six saved registers, then the address to
          // return to (fiber_entry), then a slot so that fiber_entry starts with the stack
          // pointer at 8 mod 16, as after a call.
          const std::uintptr_t top = (reinterpret_cast<std::uintptr_t>(b.stacks[g_parity][i].get()) + kStack) & ~std::uintptr_t{15};
          void** sp = reinterpret_cast<void**>(top);
          *--sp = nullptr;
          *--sp = reinterpret_cast<void*>(&fiber_entry);
          for (int r = 0; r < 6; r++) *--sp = nullptr;
          f.sp = sp;
#else
          getcontext(&f.context);
          f.context.uc_stack.ss_sp = b.stacks[g_parity][i].get();
          f.context.uc_stack.ss_size = kStack;
          f.context.uc_link = &b.scheduler;
          makecontext(&f.context, fiber_entry, 0);
#endif
        }
        while (b.live > 0) {
          const unsigned long before = b.progress;
          for (unsigned i = 0; i < threads; i++) {
            if (b.fibers[i].done) continue;
            if (!b.fibers[i].started) {
              b.fibers[i].started = true;
              b.progress++;
            }
            switch_to_fiber(b, i);
          }
          if (b.live > 0 && b.progress == before) {
            std::fprintf(stderr,
                         "myelin CUDA emulator: deadlock in block (%u, %u, %u): %u threads wait at a barrier that the others never reach "
                         "(a __syncthreads or shuffle under divergent control flow)\n",
                         bx, by, bz, b.live);
            std::abort();
          }
        }
      }
  thread_idx = dim3(0, 0, 0);
  block_idx = dim3(0, 0, 0);
#ifdef MC_EMU_RACECHECK
  __tsan_acquire(&g_done_sync);
#endif
}

}  // namespace

}  // namespace mc_emu

// ---- the runtime API on host memory -------------------------------------------------------
//
// Streams. By default every stream operation (a launch, an asynchronous copy or memset, a host
// function) runs at once, on the calling thread, as if the GPU were infinitely fast. The
// deferred mode (MYELIN_CUDA_EMULATOR_ASYNC=1) instead queues each on its stream and runs the
// queue only when the host waits for it: cudaStreamSynchronize, cudaEventSynchronize (up to the
// event), cudaDeviceSynchronize, and the calls that wait on a GPU too (cudaFree and cudaFreeHost
// wait for the whole device; a copy to or from pageable host memory waits for its stream first,
// as CUDA's does; the synchronous cudaMemcpy waits for the legacy default stream). A queue runs
// on the thread that waits (a read's libuv worker, say), under one lock, so the device still
// runs one operation at a time. cudaEventQuery answers cudaErrorNotReady until the host has
// waited past the event: the slowest GPU there could be. What this finds, that the immediate
// mode cannot: the host reading pinned memory before the copy into it ran, the host reusing a
// pinned staging buffer or a kernel argument before the stream consumed it, work on one stream
// that another stream's later work was assumed to see, anything that counts on a launch having
// finished when it returns. The trace adds `exec <kernel>` when a queued launch runs.

namespace {
thread_local cudaError_t g_last = cudaSuccess;  // per host thread, as CUDA's
cudaError_t record(cudaError_t e) {
  if (e != cudaSuccess) g_last = e;
  return e;
}

bool deferred() {
  static const bool on = [] {
    const char* value = std::getenv("MYELIN_CUDA_EMULATOR_ASYNC");
    const bool asked = value != nullptr && std::strcmp(value, "1") == 0;
#ifdef MC_EMU_RACECHECK
    if (asked) {
      // The race check orders the host's accesses before a launch by the launch's call, which a
      // deferred launch no longer is.
      std::fprintf(stderr, "myelin CUDA emulator: MYELIN_CUDA_EMULATOR_ASYNC=1 is not supported by the race check build\n");
      std::abort();
    }
#endif
    return asked;
  }();
  return on;
}

/** The device: every queue and everything that runs them. */
std::recursive_mutex g_device;
}  // namespace

struct CUstream_st {
  std::deque<std::function<void()>> queue;
  unsigned long long enqueued = 0;  // operations ever queued
  unsigned long long done = 0;      // operations ever run
  bool blocking = true;             // synchronizes with the legacy default stream
};
struct CUevent_st {
  CUstream_st* stream = nullptr;  // where it was last recorded
  unsigned long long target = 0;  // done once the stream has run this many operations
};

namespace {
CUstream_st g_legacy;                 // stream 0
std::vector<CUstream_st*> g_streams;  // the others, alive
std::map<std::uintptr_t, std::size_t> g_pinned;  // cudaMallocHost's blocks: start -> bytes

CUstream_st* stream_of(cudaStream_t s) { return s != nullptr ? s : &g_legacy; }

/** Runs `s`'s queue until it has run `target` operations (g_device held). */
void drain(CUstream_st* s, unsigned long long target) {
  while (s->done < target) {
    std::function<void()> op = std::move(s->queue.front());
    s->queue.pop_front();
    op();
    s->done++;
  }
}
void drain(CUstream_st* s) { drain(s, s->enqueued); }
void drain_device() {
  drain(&g_legacy);
  for (CUstream_st* s : g_streams) drain(s);
}

/** Queues `op` on stream `s` (deferred mode), or runs it now. */
void enqueue(cudaStream_t s, std::function<void()> op) {
  if (!deferred()) {
    op();
    return;
  }
  std::lock_guard<std::recursive_mutex> lock(g_device);
  CUstream_st* st = stream_of(s);
  // The legacy default stream waits for the blocking streams' earlier work, and they for its:
  // running that work now is one order a GPU could take.
  if (st == &g_legacy) {
    for (CUstream_st* other : g_streams)
      if (other->blocking) drain(other);
  } else if (st->blocking) {
    drain(&g_legacy);
  }
  st->queue.push_back(std::move(op));
  st->enqueued++;
}

bool pinned(const void* p, std::size_t bytes) {
  const std::uintptr_t at = reinterpret_cast<std::uintptr_t>(p);
  auto it = g_pinned.upper_bound(at);
  if (it == g_pinned.begin()) return false;
  --it;
  return at - it->first + bytes <= it->second;
}
}  // namespace

namespace mc_emu {
void launch_on(const char* name, dim3 grid, dim3 block, CUstream_st* stream, std::function<void()> body) {
  if (!deferred()) {
    run(name, grid, block, body);
    return;
  }
  trace("launch %s %ux%ux%u %ux%ux%u", name, grid.x, grid.y, grid.z, block.x, block.y, block.z);
  check_config(name, grid, block);  // refused at the launch, as a GPU does
  enqueue(stream, [name, grid, block, body = std::move(body)] {
    trace("exec %s", name);
    if (!skip_kernels()) execute(grid, block, body);
  });
}
}  // namespace mc_emu

cudaError_t cudaGetLastError() {
  const cudaError_t e = g_last;
  g_last = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError() { return g_last; }
const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    case cudaErrorNotReady: return "cudaErrorNotReady";
  }
  return "cudaErrorUnknown";
}
const char* cudaGetErrorString(cudaError_t error) { return error == cudaSuccess ? "no error" : "an error of the CPU emulator"; }
cudaError_t cudaDriverGetVersion(int* version) {
  *version = 13000;
  return cudaSuccess;
}
cudaError_t cudaRuntimeGetVersion(int* version) {
  *version = 13000;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (device != 0) return record(cudaErrorInvalidDevice);
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof prop->name, "Myelin CUDA emulator (CPU)");
  prop->totalGlobalMem = std::size_t{4} << 30;
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = 1;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int device) { return device == 0 ? cudaSuccess : record(cudaErrorInvalidDevice); }
cudaError_t cudaMemGetInfo(std::size_t* free, std::size_t* total) {
  *total = std::size_t{4} << 30;
  *free = *total;
  return cudaSuccess;
}
cudaError_t cudaMalloc(void** pointer, std::size_t bytes) {
  // 256-byte aligned as CUDA's allocations are, and exactly `bytes` long, so that
  // AddressSanitizer sees a kernel step one element past its buffer. Every byte is 0xFF (NaN in
  // float32 and float64, -1 in int32), so that a kernel reading memory nothing wrote (an output
  // accumulated without being cleared first, say) gives NaN or -1 instead of a lucky zero: the
  // emulator's stand-in for compute-sanitizer's initcheck. Zeroed when kernels are skipped.
  mc_emu::trace("malloc %zu", bytes);
  *pointer = nullptr;
  if (posix_memalign(pointer, 256, bytes > 0 ? bytes : 1) != 0) *pointer = nullptr;
  if (*pointer != nullptr) std::memset(*pointer, mc_emu::skip_kernels() ? 0 : 0xFF, bytes);
  return *pointer ? cudaSuccess : record(cudaErrorMemoryAllocation);
}
cudaError_t cudaFree(void* pointer) {
  // cudaFree waits for the device first (the work queued may still use the block).
  if (deferred()) {
    std::lock_guard<std::recursive_mutex> lock(g_device);
    drain_device();
  }
  std::free(pointer);
  return cudaSuccess;
}
cudaError_t cudaMallocHost(void** pointer, std::size_t bytes) {
  mc_emu::trace("mallocHost %zu", bytes);
  *pointer = nullptr;
  if (posix_memalign(pointer, 256, bytes > 0 ? bytes : 1) != 0) *pointer = nullptr;
  if (*pointer == nullptr) return record(cudaErrorMemoryAllocation);
  std::lock_guard<std::recursive_mutex> lock(g_device);
  g_pinned[reinterpret_cast<std::uintptr_t>(*pointer)] = bytes > 0 ? bytes : 1;
  return cudaSuccess;
}
cudaError_t cudaFreeHost(void* pointer) {
  std::lock_guard<std::recursive_mutex> lock(g_device);
  if (deferred()) drain_device();  // as cudaFree: the queued copies may still use it
  g_pinned.erase(reinterpret_cast<std::uintptr_t>(pointer));
  std::free(pointer);
  return cudaSuccess;
}
namespace {
const char* kind_name(cudaMemcpyKind kind) {
  switch (kind) {
    case cudaMemcpyHostToHost: return "HtoH";
    case cudaMemcpyHostToDevice: return "HtoD";
    case cudaMemcpyDeviceToHost: return "DtoH";
    case cudaMemcpyDeviceToDevice: return "DtoD";
    default: return "default";
  }
}
}  // namespace
cudaError_t cudaMemcpy(void* to, const void* from, std::size_t bytes, cudaMemcpyKind kind) {
  mc_emu::trace("memcpy %s %zu", kind_name(kind), bytes);
  if (deferred()) {
    // On the legacy default stream: after its earlier work and the blocking streams' (not after
    // a non-blocking stream's, such as the addon's), and done when it returns.
    std::lock_guard<std::recursive_mutex> lock(g_device);
    drain(&g_legacy);
    for (CUstream_st* s : g_streams)
      if (s->blocking) drain(s);
  }
  if (bytes > 0) std::memmove(to, from, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* to, const void* from, std::size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
  mc_emu::trace("memcpyAsync %s %zu", kind_name(kind), bytes);
  if (bytes == 0) return cudaSuccess;
  if (deferred()) {
    std::lock_guard<std::recursive_mutex> lock(g_device);
    const bool host_from = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyHostToHost;
    const bool host_to = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyHostToHost;
    if ((host_from && !pinned(from, bytes)) || (host_to && !pinned(to, bytes))) {
      // Pageable host memory: CUDA waits for the stream, then copies before returning.
      drain(stream_of(stream));
      std::memmove(to, from, bytes);
      return cudaSuccess;
    }
  }
  enqueue(stream, [to, from, bytes] { std::memmove(to, from, bytes); });
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void* to, int value, std::size_t bytes, cudaStream_t stream) {
  mc_emu::trace("memset %zu", bytes);
  if (bytes > 0) enqueue(stream, [to, value, bytes] { std::memset(to, value, bytes); });
  return cudaSuccess;
}
cudaError_t cudaLaunchHostFunc(cudaStream_t stream, cudaHostFn_t fn, void* user_data) {
  mc_emu::trace("hostFunc");
  enqueue(stream, [fn, user_data] { fn(user_data); });
  return cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags) {
  std::lock_guard<std::recursive_mutex> lock(g_device);
  *stream = new CUstream_st();
  (*stream)->blocking = (flags & cudaStreamNonBlocking) == 0;
  g_streams.push_back(*stream);
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  // Work still queued runs first (CUDA releases the stream once it is done).
  std::lock_guard<std::recursive_mutex> lock(g_device);
  drain(stream);
  g_streams.erase(std::remove(g_streams.begin(), g_streams.end(), stream), g_streams.end());
  delete stream;
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  mc_emu::trace("sync stream");
  std::lock_guard<std::recursive_mutex> lock(g_device);
  drain(stream_of(stream));
  return cudaSuccess;
}
cudaError_t cudaDeviceSynchronize() {
  mc_emu::trace("sync device");
  std::lock_guard<std::recursive_mutex> lock(g_device);
  drain_device();
  return cudaSuccess;
}
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned) {
  *event = new CUevent_st();
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete event;
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  std::lock_guard<std::recursive_mutex> lock(g_device);
  event->stream = stream_of(stream);
  event->target = event->stream->enqueued;
  return cudaSuccess;
}
cudaError_t cudaEventQuery(cudaEvent_t event) {
  std::lock_guard<std::recursive_mutex> lock(g_device);
  return event->stream == nullptr || event->stream->done >= event->target ? cudaSuccess : cudaErrorNotReady;
}
cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  mc_emu::trace("sync event");
  std::lock_guard<std::recursive_mutex> lock(g_device);
  if (event->stream != nullptr) drain(event->stream, event->target);
  return cudaSuccess;
}
