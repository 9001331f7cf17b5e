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
}  // namespace

BufferPool::~BufferPool() { trim(); }

Block* BufferPool::acquire(std::size_t bytes) {
  if (exact) {
    // Exactly `bytes` (posix_memalign takes any size; one byte for an empty tensor), every byte
    // 0xFF (NaN in float32/float64, -1 in int32): a kernel reading an output before writing it
    // gives NaN or -1, not whatever the allocator had there.
    void* data = nullptr;
    if (posix_memalign(&data, 64, bytes > 0 ? bytes : 1) != 0) return nullptr;
    std::memset(data, 0xFF, bytes);
    Block* b = new (std::nothrow) Block{data, bytes, 1, -1};
    if (b == nullptr) {
      std::free(data);
      return nullptr;
    }
    stats_.system_allocations++;
    stats_.live_blocks++;
    stats_.live_bytes += bytes;
    return b;
  }
  int cls;
  std::size_t capacity;
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
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t bytes_rounded = (capacity + 63) & ~std::size_t(63);
  void* data = std::aligned_alloc(64, bytes_rounded);
  if (data == nullptr) {
    trim();
    data = std::aligned_alloc(64, bytes_rounded);
    if (data == nullptr) return nullptr;
  }
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
