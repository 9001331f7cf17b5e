// A small persistent thread pool: `threads - 1` workers plus the calling thread. Work is
// split into chunks claimed in any order; every kernel writes disjoint outputs per chunk,
// so results never depend on which thread ran which chunk.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace myelin {

class ThreadPool {
 public:
  ~ThreadPool();
  /** Total threads including the caller (>= 1). Starts or stops workers. */
  void resize(int threads);
  int size() const { return threads_; }
  /** Runs fn(ctx, chunk) for chunk in [0, chunks), the caller included; returns when all are done. */
  void run(std::int64_t chunks, void (*fn)(void*, std::int64_t), void* ctx);

  template <typename F>
  void for_chunks(std::int64_t chunks, F&& f) {
    run(chunks, [](void* c, std::int64_t i) { (*static_cast<F*>(c))(i); }, &f);
  }

 private:
  /** A worker's loop: waits for generations after `seen` (the one when it was made). */
  void worker_loop(std::uint64_t seen);
  void stop_workers();
  void work(std::uint64_t generation);

  int threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one job at a time (several Node environments may share the pool)
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<bool> stopping_{false};
  // One word per job: generation (32 bits) | chunks (16) | next chunk to claim (16). A worker
  // claims a chunk with a CAS on it, so a late worker can never claim a chunk of a finished job
  // nor read the job's fields before the job was published.
  std::atomic<std::uint64_t> ticket_{0};
  std::atomic<std::int64_t> done_{0};
  void (*fn_)(void*, std::int64_t) = nullptr;
  void* ctx_ = nullptr;
  unsigned mxcsr_ = 0;  // the caller's floating-point control word, copied by every worker
};

ThreadPool& thread_pool();

}  // namespace myelin
