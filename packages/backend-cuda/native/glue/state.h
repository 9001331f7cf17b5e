// The N-API glue's shared state and helpers: the handle table (dtype, shape and a block of
// device memory per handle), argument checking, typed errors. Every size a kernel is given is
// derived here from shapes this glue checked against the allocation sizes; no kernel trusts a
// size from JavaScript. Checks run before any device call, so they also hold without a GPU.
#pragma once
#include <node_api.h>

#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "../common.h"
#include "../kernels/kernels.h"
#include "../runtime/allocator.h"
#include "../runtime/device.h"

namespace mc {

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
  std::size_t bytes() const { return std::size_t(size) * dtype_size(dtype); }
};

enum class ErrorKind { Backend, Shape, Unsupported, Disposed, Argument, OutOfMemory };
constexpr int ERROR_CLASSES = 6;

/** Thrown inside the glue, turned into a JS error (of core's classes) at the boundary. */
struct GlueError {
  ErrorKind kind;
  std::string message;
  std::string op;  // Unsupported only
  int dtype = F32;
  double requested = 0, free = 0;  // OutOfMemory only
};

enum class GemmMode { Auto, Builtin };

/** One per Node environment (napi instance data). */
struct State {
  std::deque<Tensor> tensors;  // a deque: references stay valid when it grows
  std::vector<int> free_ids;
  i64 live_tensors = 0;
  napi_ref error_classes[ERROR_CLASSES] = {};
  std::map<int, Context*> contexts;  // by GPU index
  Context* ctx = nullptr;            // the context of the backend in use
  bool tf32 = false;
  GemmMode gemm_mode = GemmMode::Auto;
  /** Tensors made by the entry point running now: released if it fails (see guarded). */
  std::vector<int> made_in_call;
};

extern const char* const DTYPE_NAMES[4];

inline GlueError unsupported(const char* op, int dtype, const std::string& detail = "") { return GlueError{ErrorKind::Unsupported, detail, op, dtype}; }
inline GlueError shape_error(const std::string& message) { return GlueError{ErrorKind::Shape, message, "", F32}; }
inline GlueError backend_error(const std::string& message) { return GlueError{ErrorKind::Backend, message, "", F32}; }
inline GlueError argument_error(const std::string& message) { return GlueError{ErrorKind::Argument, message, "", F32}; }

std::string format_shape(const i64* shape, int rank);
i64 checked_size(const i64* shape, int rank);

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
  /** The context in use; a BackendError when no GPU was opened (call after validating). */
  Context& ctx() const;
};

int check_dtype(int dtype);
void check_axis(int axis, int rank, const char* op);
/** Contiguous row-major strides of a shape. */
void strides_of(const i64* shape, int rank, i64* strides);

// ---- results ---------------------------------------------------------------------------------

/** A new tensor of `dtype` and `shape` with fresh device storage; returns its id. */
int new_tensor(State* st, int dtype, const i64* shape, int rank);
/** A view sharing `src`'s block with another shape (same element count). */
int new_view(State* st, const Tensor& src, const i64* shape, int rank);
/** A view of `size(shape)` elements of `src`'s block starting `element_offset` elements into `src`. */
int new_slice_view(State* st, const Tensor& src, i64 element_offset, const i64* shape, int rank);
inline Tensor& tensor_at(State* st, int id) { return st->tensors[std::size_t(id)]; }
void release_tensor(State* st, int id);
Tensor& live_tensor(State* st, std::int32_t id);
napi_value make_int(napi_env env, i64 v);
/** A JS array of tensor ids, null where an id is negative (a result that was not asked for). */
napi_value id_array(napi_env env, const int* ids, int count);

/** Device scratch for one op: released (in stream order) when it goes out of scope. */
class Scratch {
 public:
  Scratch(State* st, std::size_t bytes, const char* op);
  ~Scratch() { block_->owner->release(block_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  void* data() const { return block_->data; }

 private:
  Block* block_;
};

/** Device memory of `bytes`, or the OutOfMemory error naming the request and the free memory. */
Block* acquire_device(State* st, std::size_t bytes, const std::string& what);

/** Throws a BackendError when the last launch failed (cudaGetLastError: no synchronisation). */
void check_launch(const char* op);

napi_value throw_glue_error(napi_env env, State* st, const GlueError& e);
/** The JS error object for `e` (for promise rejections). */
napi_value make_glue_error(napi_env env, State* st, const GlueError& e);

/** Wraps a glue body: GlueError (and std::bad_alloc) become JS exceptions. */
/** Releases the tensors a failing entry point made (an OOM or a failed launch halfway through). */
void release_made_in_call(State* st);

template <typename F>
napi_value guarded(napi_env env, napi_callback_info info, F&& body) {
  Args args(env, info);
  if (args.st != nullptr) args.st->made_in_call.clear();
  try {
    return body(args);
  } catch (const GlueError& e) {
    release_made_in_call(args.st);
    return throw_glue_error(env, args.st, e);
  } catch (const std::bad_alloc&) {
    release_made_in_call(args.st);
    return throw_glue_error(env, args.st, backend_error("out of host memory"));
  }
}


}  // namespace mc
