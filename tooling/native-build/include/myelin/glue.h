// The N-API glue that backend-cpu's and backend-cuda's addons share: typed errors (thrown in the
// glue, turned into core's error classes at the boundary), argument reading, the checks every
// entry point makes before a kernel sees a size, the handle table, and result/registration
// helpers. Every size a kernel is given is derived from shapes checked here against the
// allocations they describe; no kernel trusts a size from JavaScript. Dependency-free (the
// C++17 standard library and node_api.h); compiled into each addon with src/glue.cc.
#pragma once
#include <node_api.h>

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "native-types.h"

namespace myelin {
// Inline: backend-cpu (namespace myelin) and backend-cuda (which uses namespace myelin) see these
// names unqualified; glue:: still names them where that reads better.
inline namespace glue {

// ---- errors ----------------------------------------------------------------------------------

/** The kinds of error, in the order of the classes setErrorClasses passes (core's, then the backend's). */
enum class ErrorKind { Backend, Shape, Unsupported, Disposed, Argument, OutOfMemory };
constexpr int ERROR_KINDS = 6;

/** Thrown inside the glue, turned into a JS error (of core's classes) at the boundary. */
struct GlueError {
  ErrorKind kind;
  std::string message;
  std::string op;  // Unsupported only
  int dtype = F32;
  double requested = 0, free = 0;  // OutOfMemory only
};

inline GlueError unsupported(const char* op, int dtype, const std::string& detail = "") { return GlueError{ErrorKind::Unsupported, detail, op, dtype}; }
inline GlueError shape_error(const std::string& message) { return GlueError{ErrorKind::Shape, message, "", F32}; }
inline GlueError backend_error(const std::string& message) { return GlueError{ErrorKind::Backend, message, "", F32}; }
inline GlueError argument_error(const std::string& message) { return GlueError{ErrorKind::Argument, message, "", F32}; }
inline GlueError disposed_error(const std::string& message) { return GlueError{ErrorKind::Disposed, message, "", F32}; }

extern const char* const DTYPE_NAMES[4];

struct ArgReader;

/** The JS error classes an addon was given (setErrorClasses), one per ErrorKind. */
struct ErrorClasses {
  napi_ref refs[ERROR_KINDS] = {};
  /** setErrorClasses(...): the first `count` arguments, in ErrorKind order (an ArgumentError for a missing one). */
  void set(const ArgReader& args, int count);
  void release(napi_env env);
};

/**
 * The JS error object for `e`: an instance of its class when `classes` has one, else an Error
 * with the same text. `backend` names the backend in UnsupportedOpError ("cpu", "cuda").
 */
napi_value make_error(napi_env env, const ErrorClasses* classes, const char* backend, const GlueError& e);
/** Throws `e` as make_error makes it (unless an exception is already pending); returns nullptr. */
napi_value throw_error(napi_env env, const ErrorClasses* classes, const char* backend, const GlueError& e);

/**
 * Runs an entry point's body: a GlueError (or std::bad_alloc, as a BackendError saying
 * `out_of_memory`) becomes a JS exception after `on_failure()` has undone what the body did.
 */
template <typename Body, typename OnFailure>
napi_value catch_errors(napi_env env, const ErrorClasses* classes, const char* backend, const char* out_of_memory, Body&& body, OnFailure&& on_failure) {
  try {
    return body();
  } catch (const GlueError& e) {
    on_failure();
    return throw_error(env, classes, backend, e);
  } catch (const std::bad_alloc&) {
    on_failure();
    return throw_error(env, classes, backend, backend_error(out_of_memory));
  }
}

// ---- checks ----------------------------------------------------------------------------------

/** "[2,3]" */
std::string format_shape(const i64* shape, int rank);
/**
 * The element count of a shape; a ShapeError for a negative dimension or for non-zero dimensions
 * whose product exceeds 2^50 (an empty tensor's too: its strides are products of them).
 */
i64 checked_size(const i64* shape, int rank);
/** A dtype code of core's NATIVE_CODES, or an ArgumentError naming the code. */
int check_dtype(int dtype);
/** An axis in [0, rank), or an ArgumentError naming the op, the axis and the rank. */
void check_axis(int axis, int rank, const char* op);
/** Contiguous row-major strides of a shape. */
void strides_of(const i64* shape, int rank, i64* strides);
/** The bit pattern (little-endian, dtype_size bytes used) of `value` stored as `dtype` stores it (a JS typed-array store). */
std::uint64_t fill_bits(int dtype, double value);
/** The bit pattern of a reduction's identity: 0 for sum (op 0); -Infinity, INT32_MIN or false for max (op 1). */
std::uint64_t reduce_identity_bits(int op, int dtype);

/** Output shape of broadcasting `n` tensors (NumPy rules); throws a ShapeError naming every shape. */
template <typename Tensor>
int broadcast_shapes(const Tensor* const* ts, int n, i64* out) {
  int rank = 0;
  for (int k = 0; k < n; k++) rank = ts[k]->rank > rank ? ts[k]->rank : rank;
  for (int d = 0; d < rank; d++) {
    i64 dim = 1;
    for (int k = 0; k < n; k++) {
      const int id = d - (rank - ts[k]->rank);
      const i64 v = id >= 0 ? ts[k]->shape[id] : 1;
      if (v == 1) continue;
      if (dim != 1 && dim != v) {
        std::string msg = "shapes do not broadcast:";
        for (int j = 0; j < n; j++) msg += " " + format_shape(ts[j]->shape, ts[j]->rank);
        throw shape_error(msg);
      }
      dim = v;
    }
    out[d] = dim;
  }
  return rank;
}

// ---- arguments -------------------------------------------------------------------------------

/** Whether `value` is a number that is exactly a 32-bit integer (not 0.5, NaN or 2^32); then *out is it. */
bool exact_int32(napi_env env, napi_value value, std::int32_t* out);

/** The arguments of one call (at most 16) and the addon's instance data; each reader checks its argument's type. */
struct ArgReader {
  napi_env env;
  size_t argc = 16;
  napi_value argv[16];
  void* instance = nullptr;
  ArgReader(napi_env e, napi_callback_info info);
  napi_value at(size_t i) const;
  /** A number that is exactly a 32-bit integer (a handle, axis or code); an ArgumentError naming the value otherwise. */
  int i32(size_t i) const;
  double f64(size_t i) const;
  bool boolean(size_t i) const;
  /** A non-negative integer dimension list (JS array of numbers) of at most `max` entries. */
  int dims(size_t i, i64* out, int max) const;
  /** A JS array of strings. */
  std::vector<std::string> strings(size_t i) const;
};

// ---- the handle table ------------------------------------------------------------------------

/** Checks that `shape` has as many elements as `from` (a reshape); returns the count. */
i64 check_reshape(const i64* from, int from_rank, i64 from_size, const i64* shape, int rank);
/**
 * Checks that a view of `shape` starting `element_offset` elements into a tensor of `from`
 * (`from_size` elements) lies inside it; returns the view's element count.
 */
i64 check_view(const i64* from, int from_rank, i64 from_size, i64 element_offset, const i64* shape, int rank);

/** A tensor's dtype and shape: what every check reads (op-checks.h). */
struct TensorInfo {
  int dtype = F32;
  int rank = 0;
  i64 size = 0;
  i64 shape[MAX_RANK] = {};
};

/** What a handle id refers to: a reference to a block, with the dtype and shape of this view. */
template <typename Block>
struct TensorRecord : TensorInfo {
  Block* block = nullptr;
  bool live = false;
  std::size_t offset = 0;  // bytes into the block (a contiguous slice is a view)
  void* data() const { return static_cast<char*>(block->data) + offset; }
  std::size_t bytes() const { return std::size_t(size) * dtype_size(dtype); }
};

/** The ids JavaScript holds: records in a deque (references stay valid when it grows), reused ids. */
template <typename Tensor>
struct HandleTable {
  /** The backend's name in its errors ("cpu", "cuda"). */
  const char* backend;
  std::deque<Tensor> tensors;
  std::vector<int> free_ids;
  i64 live_tensors = 0;
  /** Ids made by the entry point running now: released when it fails (an OOM or a check halfway through). */
  std::vector<int> made_in_call;

  explicit HandleTable(const char* backend_name) : backend(backend_name) {}

  /** The live record of `id`, or a DisposedTensorError naming the backend. */
  Tensor& live(std::int32_t id) {
    if (id < 0 || std::size_t(id) >= tensors.size() || !tensors[std::size_t(id)].live) {
      throw disposed_error(std::string("backend '") + backend + "': handle " + std::to_string(id) + " is not live (disposed or never created)");
    }
    return tensors[std::size_t(id)];
  }

  /** A new id for a reference to `block` (the caller acquired or retained it) with this view. */
  template <typename Block>
  int insert(Block* block, int dtype, const i64* shape, int rank, i64 size, std::size_t offset) {
    int id;
    if (!free_ids.empty()) {
      id = free_ids.back();
      free_ids.pop_back();
    } else {
      id = int(tensors.size());
      tensors.emplace_back();
    }
    live_tensors++;
    made_in_call.push_back(id);
    Tensor& t = tensors[std::size_t(id)];
    t.block = block;
    t.dtype = dtype;
    t.rank = rank;
    t.size = size;
    t.offset = offset;
    for (int d = 0; d < rank; d++) t.shape[d] = shape[d];
    t.live = true;
    return id;
  }

  /**
   * A new id for a view of `shape` starting `element_offset` elements into `src` (checked to lie
   * inside it), sharing src's block: `retain(block)` takes the view's reference first.
   */
  template <typename Retain>
  int insert_view(const Tensor& src, i64 element_offset, const i64* shape, int rank, Retain&& retain) {
    const i64 size = check_view(src.shape, src.rank, src.size, element_offset, shape, rank);
    const std::size_t offset = src.offset + std::size_t(element_offset) * dtype_size(src.dtype);
    retain(src.block);
    return insert(src.block, src.dtype, shape, rank, size, offset);  // may grow the table: `src` is read first
  }

  /** Frees id `id`; returns its block reference for the caller to release. */
  auto remove(int id) {
    Tensor& t = tensors[std::size_t(id)];
    auto* block = t.block;
    t.block = nullptr;
    t.live = false;
    live_tensors--;
    free_ids.push_back(id);
    return block;
  }

  /** Frees the ids the failing call made that are still live, passing each block to `release`. */
  template <typename Release>
  void release_made_in_call(Release&& release) {
    for (int id : made_in_call) {
      if (std::size_t(id) < tensors.size() && tensors[std::size_t(id)].live) release(remove(id));
    }
    made_in_call.clear();
  }
};

/** A call's arguments and the addon's state (a HandleTable): tensor arguments are live handles. */
template <typename State>
struct StateArgs : ArgReader {
  State* st;
  StateArgs(napi_env e, napi_callback_info info) : ArgReader(e, info), st(static_cast<State*>(instance)) {}
  /** The id in argument i, or a DisposedTensorError when it is not a live handle. */
  int tensor_id(size_t i) const {
    const int id = i32(i);
    st->live(id);
    return id;
  }
  auto& tensor(size_t i) const { return st->live(i32(i)); }
  /** A non-empty JS array of live handles (concat's inputs); errors name `op`. */
  auto tensor_list(size_t i, const char* op) const {
    using Tensor = typename std::remove_reference<decltype(st->tensors[0])>::type;
    napi_value list = at(i);
    uint32_t n = 0;
    if (napi_get_array_length(env, list, &n) != napi_ok || n == 0) throw argument_error(std::string(op) + " needs a non-empty array of handles");
    std::vector<const Tensor*> ts(n);
    for (uint32_t k = 0; k < n; k++) {
      napi_value el;
      std::int32_t id = -1;
      napi_get_element(env, list, k, &el);
      if (!exact_int32(env, el, &id)) throw argument_error(std::string(op) + ": element " + std::to_string(k) + " is not a handle id");
      ts[k] = &st->live(id);
    }
    return ts;
  }
};


// ---- results and registration ----------------------------------------------------------------

napi_value make_int(napi_env env, i64 v);
/** A JS array of tensor ids, null where an id is negative (a result that was not asked for). */
napi_value id_array(napi_env env, const int* ids, int count);
void set_string(napi_env env, napi_value obj, const char* key, const std::string& value);
void set_number(napi_env env, napi_value obj, const char* key, double value);
void set_bool(napi_env env, napi_value obj, const char* key, bool value);

/** One function of an addon's exports. */
struct Entry {
  const char* name;
  napi_callback fn;
};
/** Defines `entries` on `exports`; returns exports (for NAPI_MODULE_INIT). */
napi_value define_entries(napi_env env, napi_value exports, std::initializer_list<Entry> entries);

}  // namespace glue
}  // namespace myelin
