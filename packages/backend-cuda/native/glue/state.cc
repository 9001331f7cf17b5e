#include "state.h"

#include <cstdio>

namespace mc {

Context& Args::ctx() const {
  if (st->ctx == nullptr) throw backend_error("backend 'cuda': no GPU is open in this process (createCudaBackend() opens one; probe() says why it cannot)");
  return *st->ctx;
}

namespace {
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
  return st->insert(block, dtype, shape, rank, size, 0);
}

int new_view(State* st, const Tensor& src, const i64* shape, int rank) {
  glue::check_reshape(src.shape, src.rank, src.size, shape, rank);
  return new_slice_view(st, src, 0, shape, rank);
}

int new_slice_view(State* st, const Tensor& src, i64 element_offset, const i64* shape, int rank) {
  return st->insert_view(src, element_offset, shape, rank, [](Block* block) { block->owner->retain(block); });
}

void release_made_in_call(State* st) {
  if (st != nullptr) st->release_made_in_call([](Block* block) { block->owner->release(block); });
}

void release_tensor(State* st, int id) {
  Block* block = st->remove(id);
  block->owner->release(block);
}

Scratch::Scratch(State* st, std::size_t bytes, const char* op) : block_(acquire_device(st, bytes, std::string("scratch for ") + op)) {}

void check_launch(const char* op) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) {
    throw backend_error(std::string("backend 'cuda': ") + op + " failed on the GPU: " + cuda_error_text(e) +
                        (e == cudaErrorIllegalAddress || e == cudaErrorLaunchFailure ? " (the CUDA context is now unusable: restart the process)" : ""));
  }
}

napi_value make_glue_error(napi_env env, State* st, const GlueError& e) { return glue::make_error(env, st != nullptr ? &st->errors : nullptr, BACKEND, e); }

napi_value throw_glue_error(napi_env env, State* st, const GlueError& e) { return glue::throw_error(env, st != nullptr ? &st->errors : nullptr, BACKEND, e); }

}  // namespace mc
