// A caching allocator: a released block goes back to the free list of its size class (four
// classes per power of two above 512 bytes), so a training step that repeats its shapes calls
// no cudaMalloc after the first. Blocks are reference-counted (reshapes and contiguous slices
// share storage). One allocator per device context, used from Node's main thread only; since
// all work of a context runs on its one stream, a block released here can be handed out again
// at once: the next use is ordered after every earlier use on that stream.
//
// In exact mode (MYELIN_CUDA_NO_CACHING=1, like PyTorch's PYTORCH_NO_CUDA_MEMORY_CACHING) each
// block is exactly the bytes asked for and goes back to the system at its last release, so that
// compute-sanitizer's memcheck (and AddressSanitizer on the emulator) sees an access one element
// past a tensor's end, not past its size class, and a use after release.
//
// The class is independent of CUDA (the system allocation is a pair of function pointers), so
// its size-class logic is tested on the host (see `allocatorTest` in glue/addon.cc).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mc {

class Allocator;

struct Block {
  void* data;
  std::size_t capacity;
  int refs;
  int size_class;  // -1 in exact mode: returned to the system at its last release
  Allocator* owner;
};

struct AllocatorStats {
  std::uint64_t system_allocations = 0;  // calls of the system allocator that succeeded
  std::uint64_t reuses = 0;              // acquisitions served from a free list
  std::uint64_t system_frees = 0;
  std::uint64_t live_blocks = 0;
  std::uint64_t live_bytes = 0;
  std::uint64_t cached_blocks = 0;
  std::uint64_t cached_bytes = 0;
};

/** The smallest block (and the class of every request up to it). */
constexpr std::size_t MIN_BLOCK = 512;

/** The size class of a request: 0 for up to 512 bytes, then four classes per power of two. */
int size_class_of(std::size_t bytes);
/** The capacity of a size class (what a request of that class gets). */
std::size_t class_capacity(int size_class);

class Allocator {
 public:
  using SystemAlloc = void* (*)(std::size_t bytes, void* user);  // nullptr on failure
  using SystemFree = void (*)(void* ptr, void* user);
  Allocator(SystemAlloc alloc, SystemFree free, void* user) : alloc_(alloc), free_(free), user_(user) {}
  ~Allocator();
  Allocator(const Allocator&) = delete;
  Allocator& operator=(const Allocator&) = delete;
  /**
   * A block of at least `bytes` bytes (refs = 1). When the system refuses, every cached block is
   * freed and the request is tried once more; nullptr if it still fails.
   */
  Block* acquire(std::size_t bytes);
  void retain(Block* b) { b->refs++; }
  /** Drops one reference; the last returns the block to its free list. */
  void release(Block* b);
  /** Returns every cached block to the system. */
  void empty_cache();
  const AllocatorStats& stats() const { return stats_; }
  /** Exact mode: no size classes, nothing cached (slower; for memory checkers). */
  bool exact = false;

 private:
  SystemAlloc alloc_;
  SystemFree free_;
  void* user_;
  std::vector<std::vector<Block*>> free_lists_;
  AllocatorStats stats_;
};

}  // namespace mc
