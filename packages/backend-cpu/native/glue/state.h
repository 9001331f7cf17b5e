// The N-API glue's state and helpers: the tensor table, argument checking, errors. What
// backend-cuda's glue does alike is in myelin/glue.h (tooling/native-build); here is what is
// the CPU's (the buffer pool, kernel tables, threads). Every size a kernel is given is derived
// from shapes checked here or there; no kernel trusts a size from JavaScript.
#pragma once
#include <node_api.h>

#include <cstring>
#include <string>
#include <vector>

#include <myelin/glue.h>  // shared with backend-cuda (tooling/native-build)
#include <myelin/entry-args.h>

#include "../kernels/common.h"
#include "../kernels/conv.h"
#include "../kernels/gemm.h"
#include "../kernels/kernels.h"
#include "../kernels/strided.h"
#include "../runtime/memory.h"

namespace myelin {

/** What a handle id refers to: a reference to a pool block, with the dtype and shape of this view. */
using Tensor = glue::TensorRecord<Block>;

/** The backend's name in its errors. */
constexpr const char* BACKEND = "cpu";
/** Error classes setErrorClasses takes: core's five (no backend-specific one). */
constexpr int ERROR_CLASSES = 5;

enum class GemmMode { Auto, Builtin, Blas };

/** One per Node environment (napi instance data). */
struct State : glue::HandleTable<Tensor> {
  State() : HandleTable(BACKEND) {}
  BufferPool pool;
  glue::ErrorClasses errors;
  const KernelTable* k = nullptr;
  const GemmKernel<float>* sk = nullptr;
  const NarrowGemmKernel<float>* sk_narrow = nullptr;  // for outputs of at most sk_narrow->width columns
  const GemmKernel<double>* dk = nullptr;
  const ConvKernels* ck = nullptr;  // direct float32 convolution (small images)
  std::string simd;
  GemmMode gemm_mode = GemmMode::Auto;
  int threads = 1;
  bool flush_denormals = true;  // FTZ/DAZ while our kernels and BLAS run (restored after)
  std::vector<float> pack_f;    // per-thread packing buffers of the built-in GEMM
  std::vector<double> pack_d;
  std::vector<double> scratch;  // double accumulators (reductions, scatterAdd)
};

// ---- arguments -------------------------------------------------------------------------------

using Args = glue::StateArgs<State>;

// ---- results ---------------------------------------------------------------------------------

/** A new tensor of `dtype` and `shape` with fresh storage; returns its id. */
int new_tensor(State* st, int dtype, const i64* shape, int rank);
/** A new view sharing `src`'s block with another shape (same element count); returns its id. */
int new_view(State* st, const Tensor& src, const i64* shape, int rank);
/** A view of `size(shape)` elements of `src`'s block starting `element_offset` elements into `src`. */
int new_slice_view(State* st, const Tensor& src, i64 element_offset, const i64* shape, int rank);
inline Tensor& tensor_at(State* st, int id) { return st->tensors[std::size_t(id)]; }
void release_tensor(State* st, int id);
/** Double scratch of n elements owned by the state (reused), 64-byte aligned. */
double* scratch(State* st, i64 n);

// ---- threading -------------------------------------------------------------------------------

/** Elements below which a kernel stays on the calling thread. */
constexpr i64 PARALLEL_MIN = 32768;

/**
 * Runs f(begin, end) over [0, n): on the calling thread when the work (n * cost) is small,
 * otherwise in one chunk per thread.
 */
template <typename F>
void parallel_for(State* st, i64 n, i64 cost, F&& f);

/** Wraps a glue body: GlueError (and std::bad_alloc) become JS exceptions. */
template <typename F>
napi_value guarded(napi_env env, napi_callback_info info, F&& body);

napi_value throw_glue_error(napi_env env, State* st, const GlueError& e);

}  // namespace myelin

#include "state-inl.h"
