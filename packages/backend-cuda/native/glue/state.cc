#include "state.h"

#include <cmath>

namespace mc {

const char* const DTYPE_NAMES[4] = {"float32", "float64", "int32", "bool"};

std::string format_shape(const i64* shape, int rank) {
  std::string s = "[";
  for (int i = 0; i < rank; i++) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

i64 checked_size(const i64* shape, int rank) {
  i64 size = 1;
  for (int d = 0; d < rank; d++) {
    if (shape[d] < 0) throw shape_error("shape " + format_shape(shape, rank) + " has a negative dimension");
    if (shape[d] != 0 && size > (i64(1) << 50) / shape[d]) throw shape_error("shape " + format_shape(shape, rank) + " is too large");
    size *= shape[d];
  }
  return size;
}

Args::Args(napi_env e, napi_callback_info info) : env(e) {
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  st = static_cast<State*>(data);
}

napi_value Args::at(size_t i) const {
  if (i >= argc) throw argument_error("missing argument " + std::to_string(i));
  return argv[i];
}

int Args::i32(size_t i) const {
  int32_t v;
  if (napi_get_value_int32(env, at(i), &v) != napi_ok) throw argument_error("argument " + std::to_string(i) + " is not a number");
  return v;
}

double Args::f64(size_t i) const {
  double v;
  if (napi_get_value_double(env, at(i), &v) != napi_ok) throw argument_error("argument " + std::to_string(i) + " is not a number");
  return v;
}

bool Args::boolean(size_t i) const {
  bool v;
  if (napi_get_value_bool(env, at(i), &v) != napi_ok) throw argument_error("argument " + std::to_string(i) + " is not a boolean");
  return v;
}

int Args::dims(size_t i, i64* out, int max) const {
  napi_value arr = at(i);
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) throw argument_error("argument " + std::to_string(i) + " is not an array");
  if (n > uint32_t(max)) throw unsupported("shape", F32, "rank " + std::to_string(n) + " is above the limit of " + std::to_string(max));
  for (uint32_t k = 0; k < n; k++) {
    napi_value el;
    double d = NAN;
    napi_get_element(env, arr, k, &el);
    if (napi_get_value_double(env, el, &d) != napi_ok || !(d >= 0) || d != std::floor(d) || d > 9.0e15) {
      throw shape_error("a dimension must be a non-negative integer, got " + std::to_string(d) + " at index " + std::to_string(k));
    }
    out[k] = i64(d);
  }
  return int(n);
}

int Args::tensor_id(size_t i) const {
  const int id = i32(i);
  live_tensor(st, id);
  return id;
}

Tensor& Args::tensor(size_t i) const { return st->tensors[std::size_t(tensor_id(i))]; }

Context& Args::ctx() const {
  if (st->ctx == nullptr) throw backend_error("backend 'cuda': no GPU is open in this process (createCudaBackend() opens one; probe() says why it cannot)");
  return *st->ctx;
}

Tensor& live_tensor(State* st, std::int32_t id) {
  if (id < 0 || std::size_t(id) >= st->tensors.size() || !st->tensors[std::size_t(id)].live) {
    throw GlueError{ErrorKind::Disposed, "backend 'cuda': handle " + std::to_string(id) + " is not live (disposed or never created)", "", F32};
  }
  return st->tensors[std::size_t(id)];
}

int check_dtype(int dtype) {
  if (dtype < F32 || dtype > BOOL) throw argument_error("unknown dtype code " + std::to_string(dtype));
  return dtype;
}

void check_axis(int axis, int rank, const char* op) {
  if (axis < 0 || axis >= rank) throw argument_error(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
}

void strides_of(const i64* shape, int rank, i64* strides) {
  i64 s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
}

namespace {
int take_slot(State* st) {
  int id;
  if (!st->free_ids.empty()) {
    id = st->free_ids.back();
    st->free_ids.pop_back();
  } else {
    id = int(st->tensors.size());
    st->tensors.emplace_back();
  }
  st->live_tensors++;
  st->made_in_call.push_back(id);
  return id;
}

std::string mib(double bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
  return buf;
}
}  // namespace

Block* acquire_device(State* st, std::size_t bytes, const std::string& what) {
  if (st->ctx == nullptr) throw backend_error("backend 'cuda': no GPU is open in this process");
  Block* block = st->ctx->memory->acquire(bytes);
  if (block == nullptr) {
    const auto info = st->ctx->memory_info();
    GlueError e{ErrorKind::OutOfMemory, "", "", F32};
    e.requested = double(class_capacity(size_class_of(bytes)));
    e.free = double(info.first);
    e.message = "backend 'cuda': out of GPU memory on GPU " + std::to_string(st->ctx->device) + " (" + st->ctx->name + ") allocating " + what + ": requested " +
                std::to_string(std::size_t(e.requested)) + " bytes (" + mib(e.requested) + "), " + std::to_string(info.first) + " bytes (" + mib(double(info.first)) +
                ") free of " + mib(double(info.second)) + " after emptying the cache. Use a smaller batch or model, or free other GPU processes (nvidia-smi lists them).";
    throw e;
  }
  return block;
}

int new_tensor(State* st, int dtype, const i64* shape, int rank) {
  const i64 size = checked_size(shape, rank);
  Block* block = acquire_device(st, std::size_t(size) * dtype_size(dtype), format_shape(shape, rank) + " " + DTYPE_NAMES[dtype]);
  const int id = take_slot(st);
  Tensor& t = st->tensors[std::size_t(id)];
  t.block = block;
  t.dtype = dtype;
  t.rank = rank;
  t.size = size;
  t.offset = 0;
  for (int d = 0; d < rank; d++) t.shape[d] = shape[d];
  t.live = true;
  return id;
}

int new_view(State* st, const Tensor& src, const i64* shape, int rank) {
  const i64 size = checked_size(shape, rank);
  if (size != src.size) throw shape_error("cannot reshape " + format_shape(src.shape, src.rank) + " to " + format_shape(shape, rank));
  return new_slice_view(st, src, 0, shape, rank);
}

int new_slice_view(State* st, const Tensor& src, i64 element_offset, const i64* shape, int rank) {
  const i64 size = checked_size(shape, rank);
  if (element_offset < 0 || element_offset + size > src.size) throw shape_error("view out of bounds of " + format_shape(src.shape, src.rank));
  const std::size_t offset = src.offset + std::size_t(element_offset) * dtype_size(src.dtype);
  Block* block = src.block;
  const int dtype = src.dtype;
  block->owner->retain(block);
  const int id = take_slot(st);  // may grow the table: `src` is not used after this
  Tensor& t = st->tensors[std::size_t(id)];
  t.block = block;
  t.dtype = dtype;
  t.rank = rank;
  t.size = size;
  t.offset = offset;
  for (int d = 0; d < rank; d++) t.shape[d] = shape[d];
  t.live = true;
  return id;
}

void release_made_in_call(State* st) {
  if (st == nullptr) return;
  for (int id : st->made_in_call) {
    if (std::size_t(id) < st->tensors.size() && st->tensors[std::size_t(id)].live) release_tensor(st, id);
  }
  st->made_in_call.clear();
}

void release_tensor(State* st, int id) {
  Tensor& t = st->tensors[std::size_t(id)];
  t.block->owner->release(t.block);
  t.block = nullptr;
  t.live = false;
  st->live_tensors--;
  st->free_ids.push_back(id);
}

Scratch::Scratch(State* st, std::size_t bytes, const char* op) : block_(acquire_device(st, bytes, std::string("scratch for ") + op)) {}

void check_launch(const char* op) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) {
    throw backend_error(std::string("backend 'cuda': ") + op + " failed on the GPU: " + cuda_error_text(e) +
                        (e == cudaErrorIllegalAddress || e == cudaErrorLaunchFailure ? " (the CUDA context is now unusable: restart the process)" : ""));
  }
}

napi_value make_int(napi_env env, i64 v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

napi_value id_array(napi_env env, const int* ids, int count) {
  napi_value arr;
  napi_create_array_with_length(env, std::size_t(count), &arr);
  for (int i = 0; i < count; i++) {
    napi_value v;
    if (ids[i] < 0) napi_get_null(env, &v);
    else napi_create_int32(env, ids[i], &v);
    napi_set_element(env, arr, uint32_t(i), v);
  }
  return arr;
}

napi_value make_glue_error(napi_env env, State* st, const GlueError& e) {
  int slot = 0;
  switch (e.kind) {
    case ErrorKind::Backend: slot = 0; break;
    case ErrorKind::Shape: slot = 1; break;
    case ErrorKind::Unsupported: slot = 2; break;
    case ErrorKind::Disposed: slot = 3; break;
    case ErrorKind::Argument: slot = 4; break;
    case ErrorKind::OutOfMemory: slot = 5; break;
  }
  napi_value ctor = nullptr;
  if (st != nullptr && st->error_classes[slot] != nullptr) napi_get_reference_value(env, st->error_classes[slot], &ctor);
  napi_value error = nullptr;
  const std::string text = e.kind == ErrorKind::Unsupported
                               ? "backend 'cuda' does not support op '" + e.op + "' for dtype " + DTYPE_NAMES[e.dtype] + (e.message.empty() ? "" : ": " + e.message)
                               : e.message;
  if (ctor != nullptr) {
    if (e.kind == ErrorKind::Unsupported) {
      napi_value argv[4];
      napi_create_string_utf8(env, e.op.c_str(), NAPI_AUTO_LENGTH, &argv[0]);
      napi_create_string_utf8(env, DTYPE_NAMES[e.dtype], NAPI_AUTO_LENGTH, &argv[1]);
      napi_create_string_utf8(env, "cuda", NAPI_AUTO_LENGTH, &argv[2]);
      if (e.message.empty()) napi_get_undefined(env, &argv[3]);
      else napi_create_string_utf8(env, e.message.c_str(), NAPI_AUTO_LENGTH, &argv[3]);
      napi_new_instance(env, ctor, 4, argv, &error);
    } else if (e.kind == ErrorKind::OutOfMemory) {
      napi_value argv[3];
      napi_create_string_utf8(env, e.message.c_str(), NAPI_AUTO_LENGTH, &argv[0]);
      napi_create_double(env, e.requested, &argv[1]);
      napi_create_double(env, e.free, &argv[2]);
      napi_new_instance(env, ctor, 3, argv, &error);
    } else {
      napi_value msg;
      napi_create_string_utf8(env, e.message.c_str(), NAPI_AUTO_LENGTH, &msg);
      napi_new_instance(env, ctor, 1, &msg, &error);
    }
  }
  if (error == nullptr) {
    napi_value msg;
    napi_create_string_utf8(env, text.c_str(), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, nullptr, msg, &error);
  }
  return error;
}

napi_value throw_glue_error(napi_env env, State* st, const GlueError& e) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw(env, make_glue_error(env, st, e));
  return nullptr;
}

}  // namespace mc
