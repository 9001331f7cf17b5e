#include "allocator.h"

namespace mc {

int size_class_of(std::size_t bytes) {
  if (bytes <= MIN_BLOCK) return 0;
  // Power of two p with 2^p < bytes <= 2^(p+1); quarter steps inside [2^p, 2^(p+1)].
  int p = 63 - __builtin_clzll(static_cast<unsigned long long>(bytes - 1));
  const std::size_t base = std::size_t(1) << p;
  const std::size_t quarter = base / 4;
  const std::size_t step = (bytes - base + quarter - 1) / quarter;  // 1..4
  return 1 + (p - 9) * 4 + int(step) - 1;
}

std::size_t class_capacity(int size_class) {
  if (size_class <= 0) return MIN_BLOCK;
  const int p = 9 + (size_class - 1) / 4;
  const std::size_t base = std::size_t(1) << p;
  return base + (base / 4) * std::size_t((size_class - 1) % 4 + 1);
}

Allocator::~Allocator() { empty_cache(); }

Block* Allocator::acquire(std::size_t bytes) {
  // Exact mode: exactly `bytes`, no size class (-1), never from a free list.
  const int cls = exact ? -1 : size_class_of(bytes);
  if (cls >= 0 && std::size_t(cls) < free_lists_.size() && !free_lists_[std::size_t(cls)].empty()) {
    Block* b = free_lists_[std::size_t(cls)].back();
    free_lists_[std::size_t(cls)].pop_back();
    b->refs = 1;
    stats_.reuses++;
    stats_.cached_blocks--;
    stats_.cached_bytes -= b->capacity;
    stats_.live_blocks++;
    stats_.live_bytes += b->capacity;
    return b;
  }
  const std::size_t capacity = exact ? bytes : class_capacity(cls);
  const std::size_t size = capacity > 0 ? capacity : 1;  // an empty tensor still gets a valid pointer
  void* data = alloc_(size, user_);
  if (data == nullptr) {
    empty_cache();
    data = alloc_(size, user_);
    if (data == nullptr) return nullptr;
  }
  stats_.system_allocations++;
  stats_.live_blocks++;
  stats_.live_bytes += capacity;
  return new Block{data, capacity, 1, cls, this};
}

void Allocator::release(Block* b) {
  if (--b->refs > 0) return;
  stats_.live_blocks--;
  stats_.live_bytes -= b->capacity;
  if (b->size_class < 0) {
    free_(b->data, user_);
    stats_.system_frees++;
    delete b;
    return;
  }
  if (free_lists_.size() <= std::size_t(b->size_class)) free_lists_.resize(std::size_t(b->size_class) + 1);
  free_lists_[std::size_t(b->size_class)].push_back(b);
  stats_.cached_blocks++;
  stats_.cached_bytes += b->capacity;
}

void Allocator::empty_cache() {
  for (auto& list : free_lists_) {
    for (Block* b : list) {
      free_(b->data, user_);
      stats_.system_frees++;
      stats_.cached_blocks--;
      stats_.cached_bytes -= b->capacity;
      delete b;
    }
    list.clear();
  }
}

}  // namespace mc
