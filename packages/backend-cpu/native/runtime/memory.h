// Size-bucketed buffer pool: a released buffer goes back to the free list of its size class
// (four classes per power of two), so a training step that repeats the same shapes allocates
// nothing after the first. Buffers are reference-counted so that reshapes share storage.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace myelin {

struct Block {
  void* data;  // 64-byte aligned, `capacity` bytes
  std::size_t capacity;
  int refs;
  int size_class;
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

 private:
  std::vector<std::vector<Block*>> free_;
  PoolStats stats_;
};

}  // namespace myelin
