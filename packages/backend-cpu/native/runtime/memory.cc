#include "memory.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace myelin {

namespace {
/** Size class and capacity: 64 bytes, then 2^e * (1 + q/4) for q = 1..4. */
void size_class(std::size_t bytes, int& cls, std::size_t& capacity) {
  if (bytes <= 64) {
    cls = 0;
    capacity = 64;
    return;
  }
  const int e = 63 - __builtin_clzll(static_cast<unsigned long long>(bytes - 1));  // 2^e < bytes <= 2^(e+1)
  const std::size_t base = std::size_t(1) << e;
  const std::size_t step = base >> 2;
  const std::size_t q = (bytes - base + step - 1) / step;  // 1..4
  capacity = base + q * step;
  cls = (e - 6) * 4 + int(q);
}

/** 64-byte aligned memory: whole 64-byte lines in the pool, exactly `bytes` (one for an empty tensor) in exact mode. */
void* allocate(std::size_t bytes, bool exact) {
  void* data = nullptr;
  const std::size_t size = exact ? (bytes > 0 ? bytes : 1) : (bytes + 63) & ~std::size_t(63);
  return posix_memalign(&data, 64, size) == 0 ? data : nullptr;
}

}  // namespace

BufferPool::~BufferPool() { trim(); }

Block* BufferPool::acquire(std::size_t bytes) {
  // Exact mode: exactly `bytes`, no size class (-1), never from a free list.
  int cls = -1;
  std::size_t capacity = bytes;
  if (!exact) {
    size_class(bytes, cls, capacity);
    if (std::size_t(cls) < free_.size() && !free_[cls].empty()) {
      Block* b = free_[cls].back();
      free_[cls].pop_back();
      b->refs = 1;
      stats_.reuses++;
      stats_.pooled_blocks--;
      stats_.pooled_bytes -= b->capacity;
      stats_.live_blocks++;
      stats_.live_bytes += b->capacity;
      return b;
    }
  }
  void* data = allocate(capacity, exact);
  if (data == nullptr) {
    trim();
    data = allocate(capacity, exact);
    if (data == nullptr) return nullptr;
  }
  // Exact mode's bytes start as 0xFF (NaN in float32/float64, -1 in int32): a kernel reading an
  // output before writing it gives NaN or -1, not whatever the allocator had there.
  if (exact) std::memset(data, 0xFF, capacity);
  Block* b = new (std::nothrow) Block{data, capacity, 1, cls};
  if (b == nullptr) {
    std::free(data);
    return nullptr;
  }
  stats_.system_allocations++;
  stats_.live_blocks++;
  stats_.live_bytes += capacity;
  return b;
}

void BufferPool::release(Block* b) {
  if (--b->refs > 0) return;
  stats_.live_blocks--;
  stats_.live_bytes -= b->capacity;
  if (b->size_class < 0 || stats_.pooled_bytes + b->capacity > max_pooled_bytes) {
    std::free(b->data);
    delete b;
    stats_.system_frees++;
    return;
  }
  if (std::size_t(b->size_class) >= free_.size()) free_.resize(std::size_t(b->size_class) + 1);
  free_[b->size_class].push_back(b);
  stats_.pooled_blocks++;
  stats_.pooled_bytes += b->capacity;
}

void BufferPool::trim() {
  for (auto& list : free_) {
    for (Block* b : list) {
      std::free(b->data);
      delete b;
      stats_.system_frees++;
    }
    stats_.pooled_blocks -= list.size();
    list.clear();
  }
  stats_.pooled_bytes = 0;
}

}  // namespace myelin
