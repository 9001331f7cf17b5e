#include "threads.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MYELIN_PAUSE() _mm_pause()
#define MYELIN_GETCSR() _mm_getcsr()
#define MYELIN_SETCSR(x) _mm_setcsr(x)
#else
#define MYELIN_PAUSE() ((void)0)
#define MYELIN_GETCSR() 0u
#define MYELIN_SETCSR(x) ((void)(x))
#endif

namespace myelin {

ThreadPool& thread_pool() {
  static ThreadPool* pool = new ThreadPool();  // never destroyed: workers may outlive static destructors
  return *pool;
}

ThreadPool::~ThreadPool() { stop_workers(); }

void ThreadPool::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    stopping_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  stopping_.store(false);
}

void ThreadPool::resize(int threads) {
  if (threads < 1) threads = 1;
  std::lock_guard<std::mutex> guard(run_mutex_);
  if (threads == threads_) return;
  stop_workers();
  threads_ = threads;
  for (int i = 1; i < threads; i++) workers_.emplace_back([this] { worker_loop(); });
}

void ThreadPool::work() {
  for (;;) {
    const std::int64_t i = next_.fetch_add(1, std::memory_order_acq_rel);
    if (i >= chunks_) return;
    fn_(ctx_, i);
    done_.fetch_add(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::worker_loop() {
  std::uint64_t seen = generation_.load(std::memory_order_acquire);
  for (;;) {
    // Spin briefly (back-to-back kernels), then sleep until the next job.
    std::uint64_t g = generation_.load(std::memory_order_acquire);
    for (int spin = 0; g == seen && spin < 4000; spin++) {
      MYELIN_PAUSE();
      g = generation_.load(std::memory_order_acquire);
    }
    if (g == seen) {
      std::unique_lock<std::mutex> lock(sleep_mutex_);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      g = generation_.load(std::memory_order_acquire);
    }
    seen = g;
    if (stopping_.load()) return;
    active_.fetch_add(1, std::memory_order_acq_rel);
    if (generation_.load(std::memory_order_acquire) == seen) {
      MYELIN_SETCSR(mxcsr_);
      work();
    }
    active_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::run(std::int64_t chunks, void (*fn)(void*, std::int64_t), void* ctx) {
  if (chunks <= 0) return;
  std::lock_guard<std::mutex> guard(run_mutex_);
  if (threads_ == 1 || chunks == 1) {
    for (std::int64_t i = 0; i < chunks; i++) fn(ctx, i);
    return;
  }
  while (active_.load(std::memory_order_acquire) != 0) MYELIN_PAUSE();
  fn_ = fn;
  ctx_ = ctx;
  mxcsr_ = MYELIN_GETCSR();
  chunks_ = chunks;
  done_.store(0, std::memory_order_release);
  next_.store(0, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  wake_.notify_all();
  work();
  while (done_.load(std::memory_order_acquire) < chunks) MYELIN_PAUSE();
  while (active_.load(std::memory_order_acquire) != 0) MYELIN_PAUSE();
}

}  // namespace myelin
