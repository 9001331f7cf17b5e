// Size-bucketed buffer pool: a released buffer goes back to the free list of its size class
// (four classes per power of two), so a training step that repeats the same shapes allocates
// nothing after the first. Buffers are reference-counted so that reshapes share storage.
// In exact mode (MYELIN_CPU_NO_CACHING=1) each block is exactly the bytes asked for and is
// freed at its last release: a memory checker then sees an access one element past a tensor's
// end (not past its size class) and a use after release (not a reuse from the pool); and its
// bytes start as 0xFF, so that a kernel reading memory nothing wrote gives NaN or -1.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace myelin {

struct Block {
  void* data;  // 64-byte aligned, `capacity` bytes
  std::size_t capacity;
  int refs;
  int size_class;  // -1 in exact mode: freed at its last release
};

struct PoolStats {
  std::uint64_t system_allocations = 0;  // blocks obtained from the system
  std::uint64_t reuses = 0;              // allocations served from a free list
  std::uint64_t system_frees = 0;        // blocks returned to the system
  std::uint64_t live_blocks = 0;
  std::uint64_t live_bytes = 0;
  std::uint64_t pooled_blocks = 0;
  std::uint64_t pooled_bytes = 0;
};

class BufferPool {
 public:
  ~BufferPool();
  /** A block of at least `bytes` bytes (refs = 1). Returns nullptr when the system refuses. */
  Block* acquire(std::size_t bytes);
  void retain(Block* b) { b->refs++; }
  /** Drops one reference; the last one returns the block to its free list. */
  void release(Block* b);
  /** Returns every pooled block to the system. */
  void trim();
  const PoolStats& stats() const { return stats_; }
  /** Pooled bytes above this limit are freed at once instead of kept. */
  std::size_t max_pooled_bytes = std::size_t(1) << 30;
  /** Exact mode: no size classes and no pooling (slower; for AddressSanitizer and the like). */
  bool exact = false;

 private:
  std::vector<std::vector<Block*>> free_;
  PoolStats stats_;
};

}  // namespace myelin
