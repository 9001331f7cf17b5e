// The N-API glue's shared state and helpers: the tensor table, argument checking, errors.
// Every size a kernel is given is derived here from shapes this file checked; no kernel
// trusts a size from JavaScript.
#pragma once
#include <node_api.h>

#include <cstring>
#include <string>
#include <deque>
#include <vector>

#include "../kernels/common.h"
#include "../kernels/conv.h"
#include "../kernels/gemm.h"
#include "../kernels/kernels.h"
#include "../kernels/strided.h"
#include "../runtime/memory.h"

namespace myelin {

/** What a handle id refers to: a reference to a block, with the dtype and shape of this view. */
struct Tensor {
  Block* block = nullptr;
  int dtype = F32;
  int rank = 0;
  i64 size = 0;
  i64 shape[MAX_RANK] = {};
  bool live = false;
  std::size_t offset = 0;  // bytes into the block (a contiguous slice is a view)
  void* data() const { return static_cast<char*>(block->data) + offset; }
};

enum class ErrorKind { Backend, Shape, Unsupported, Disposed, Argument };

/** Thrown inside the glue, turned into a JS error (of core's classes) at the boundary. */
struct GlueError {
  ErrorKind kind;
  std::string message;
  std::string op;  // Unsupported only
  int dtype = F32;
};

enum class GemmMode { Auto, Builtin, Blas };

/** One per Node environment (napi instance data). */
struct State {
  BufferPool pool;
  std::deque<Tensor> tensors;  // a deque: references stay valid when it grows
  std::vector<int> free_ids;
  i64 live_tensors = 0;
  napi_ref error_classes[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
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

extern const char* const DTYPE_NAMES[4];

inline GlueError unsupported(const char* op, int dtype, const std::string& detail = "") {
  return GlueError{ErrorKind::Unsupported, detail, op, dtype};
}
inline GlueError shape_error(const std::string& message) { return GlueError{ErrorKind::Shape, message, "", F32}; }
inline GlueError backend_error(const std::string& message) { return GlueError{ErrorKind::Backend, message, "", F32}; }
inline GlueError argument_error(const std::string& message) { return GlueError{ErrorKind::Argument, message, "", F32}; }

std::string format_shape(const i64* shape, int rank);

// ---- arguments -------------------------------------------------------------------------------

struct Args {
  napi_env env;
  State* st;
  size_t argc = 16;
  napi_value argv[16];
  Args(napi_env e, napi_callback_info info);
  napi_value at(size_t i) const;
  int i32(size_t i) const;
  double f64(size_t i) const;
  bool boolean(size_t i) const;
  /** A non-negative integer dimension list (JS array of numbers). */
  int dims(size_t i, i64* out, int max) const;
  Tensor& tensor(size_t i) const;
  int tensor_id(size_t i) const;
};

// ---- results ---------------------------------------------------------------------------------

/** A new tensor of `dtype` and `shape` with fresh storage; returns its id. */
int new_tensor(State* st, int dtype, const i64* shape, int rank);
/** A new view sharing `src`'s block with another shape (same element count); returns its id. */
int new_view(State* st, const Tensor& src, const i64* shape, int rank);
/** A view of `size(shape)` elements of `src`'s block starting `element_offset` elements into `src`. */
int new_slice_view(State* st, const Tensor& src, i64 element_offset, const i64* shape, int rank);
inline Tensor& tensor_at(State* st, int id) { return st->tensors[std::size_t(id)]; }
void release_tensor(State* st, int id);
napi_value make_int(napi_env env, i64 v);
/** A JS array of tensor ids, null where an id is negative (a result that was not asked for). */
napi_value id_array(napi_env env, const int* ids, int count);
/** Double scratch of n elements owned by the state (reused). */
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
