// Template definitions of state.h.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define MYELIN_MXCSR 1
#endif

#include "../runtime/threads.h"

namespace myelin {

template <typename F>
void parallel_for(State* st, i64 n, i64 cost, F&& f) {
  const int threads = st->threads;
  if (threads <= 1 || n <= 1 || n * cost < PARALLEL_MIN) {
    if (n > 0) f(i64(0), n);
    return;
  }
  const i64 chunks = n < threads ? n : threads;
  thread_pool().for_chunks(chunks, [&](i64 c) {
    const i64 b = n * c / chunks;
    const i64 e = n * (c + 1) / chunks;
    if (e > b) f(b, e);
  });
}

template <typename F>
napi_value guarded(napi_env env, napi_callback_info info, F&& body) {
  Args args(env, info);
#ifdef MYELIN_MXCSR
  // Denormal results cost ~20x on x86 (microcode assists) and show up late in training (tiny
  // gradients, Adam's second moment): flush them to zero while the kernels run, as TensorFlow
  // does. The caller's MXCSR (V8 needs IEEE denormals) is restored before returning to JS.
  struct Mxcsr {
    unsigned saved;
    explicit Mxcsr(bool flush) : saved(_mm_getcsr()) {
      if (flush) _mm_setcsr(saved | 0x8040u);
    }
    ~Mxcsr() { _mm_setcsr(saved); }
  } mxcsr(args.st == nullptr || args.st->flush_denormals);
#endif
  if (args.st != nullptr) args.st->made_in_call.clear();
  return glue::catch_errors(env, args.st != nullptr ? &args.st->errors : nullptr, BACKEND, "out of memory", [&] { return body(args); }, [&] {
    // The tensors a failing entry point made (before a check or an allocation failed) are released.
    if (args.st != nullptr) args.st->release_made_in_call([&](Block* block) { args.st->pool.release(block); });
  });
}

}  // namespace myelin
