// The N-API glue's state and helpers: the handle table (dtype, shape and a block of device
// memory per handle), argument checking, typed errors. What backend-cpu's glue does alike is in
// myelin/glue.h (tooling/native-build); here is what is CUDA's (contexts, device memory, launch
// errors). Every size a kernel is given is derived from shapes checked against the allocation
// sizes; no kernel trusts a size from JavaScript. Checks run before any device call, so they
// also hold without a GPU.
#pragma once
#include <node_api.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <myelin/glue.h>  // shared with backend-cpu (tooling/native-build)
#include <myelin/entry-args.h>

#include "../common.h"
#include "../kernels/kernels.h"
#include "../runtime/allocator.h"
#include "../runtime/device.h"

namespace mc {

/** What a handle id refers to: a reference to a block of device memory, with the dtype and shape of this view. */
using Tensor = glue::TensorRecord<Block>;

/** The backend's name in its errors. */
constexpr const char* BACKEND = "cuda";
/** Error classes setErrorClasses takes: core's five, then CudaOutOfMemoryError. */
constexpr int ERROR_CLASSES = 6;

enum class GemmMode { Auto, Builtin };

/** One per Node environment (napi instance data). */
struct State : glue::HandleTable<Tensor> {
  State() : HandleTable(BACKEND) {}
  glue::ErrorClasses errors;
  std::map<int, Context*> contexts;  // by GPU index
  Context* ctx = nullptr;            // the context of the backend in use
  bool tf32 = false;
  GemmMode gemm_mode = GemmMode::Auto;
};

// ---- arguments -------------------------------------------------------------------------------

/** A call's arguments and this addon's state (glue::StateArgs), and the context in use. */
struct Args : glue::StateArgs<State> {
  using StateArgs::StateArgs;
  /** The context in use; a BackendError when no GPU was opened (call after validating). */
  Context& ctx() const;
};

// ---- results ---------------------------------------------------------------------------------

/** A new tensor of `dtype` and `shape` with fresh device storage; returns its id. */
int new_tensor(State* st, int dtype, const i64* shape, int rank);
/** A view sharing `src`'s block with another shape (same element count). */
int new_view(State* st, const Tensor& src, const i64* shape, int rank);
/** A view of `size(shape)` elements of `src`'s block starting `element_offset` elements into `src`. */
int new_slice_view(State* st, const Tensor& src, i64 element_offset, const i64* shape, int rank);
inline Tensor& tensor_at(State* st, int id) { return st->tensors[std::size_t(id)]; }
void release_tensor(State* st, int id);

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

/** Releases the tensors a failing entry point made (an OOM or a failed launch halfway through). */
void release_made_in_call(State* st);

/** Wraps a glue body: GlueError (and std::bad_alloc) become JS exceptions, after the tensors it made are released. */
template <typename F>
napi_value guarded(napi_env env, napi_callback_info info, F&& body) {
  Args args(env, info);
  if (args.st != nullptr) args.st->made_in_call.clear();
  return glue::catch_errors(
      env, args.st != nullptr ? &args.st->errors : nullptr, BACKEND, "out of host memory", [&] { return body(args); }, [&] { release_made_in_call(args.st); });
}

}  // namespace mc
