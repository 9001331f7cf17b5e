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
  // The generation the workers start from, read here rather than by each new thread: a thread
  // that started late read the one stop_workers() had already moved on to, and waited forever
  // for a change (a resize right after another hung in join). run_mutex_ is held, so nothing
  // else moves it before the workers exist.
  const std::uint64_t start = generation_.load(std::memory_order_acquire);
  for (int i = 1; i < threads; i++) workers_.emplace_back([this, start] { worker_loop(start); });
}

void ThreadPool::work(std::uint64_t generation) {
  std::uint64_t t = ticket_.load(std::memory_order_acquire);
  for (;;) {
    if ((t >> 32) != (generation & 0xffffffffu)) return;  // another job now
    const std::uint64_t chunks = (t >> 16) & 0xffffu, next = t & 0xffffu;
    if (next >= chunks) return;  // all claimed
    if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    // The claim succeeded, so this job is unfinished: its fields are the ones published with it.
    MYELIN_SETCSR(mxcsr_);
    fn_(ctx_, std::int64_t(next));
    done_.fetch_add(1, std::memory_order_acq_rel);
    t = ticket_.load(std::memory_order_acquire);
  }
}

void ThreadPool::worker_loop(std::uint64_t seen) {
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
    work(seen);
  }
}

void ThreadPool::run(std::int64_t chunks, void (*fn)(void*, std::int64_t), void* ctx) {
  if (chunks <= 0) return;
  std::lock_guard<std::mutex> guard(run_mutex_);
  if (threads_ == 1 || chunks == 1 || chunks > 0xffff) {
    for (std::int64_t i = 0; i < chunks; i++) fn(ctx, i);
    return;
  }
  fn_ = fn;
  ctx_ = ctx;
  mxcsr_ = MYELIN_GETCSR();
  done_.store(0, std::memory_order_relaxed);
  std::uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    // The ticket first, then the generation that wakes the workers: a worker that sees the new
    // generation finds its ticket.
    generation = generation_.load(std::memory_order_relaxed) + 1;
    ticket_.store(((generation & 0xffffffffu) << 32) | (std::uint64_t(chunks) << 16), std::memory_order_release);
    generation_.store(generation, std::memory_order_release);
  }
  wake_.notify_all();
  work(generation);
  while (done_.load(std::memory_order_acquire) < chunks) MYELIN_PAUSE();
}

}  // namespace myelin
