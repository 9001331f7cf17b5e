#include "state.h"

#include <cstdint>

namespace myelin {

int new_tensor(State* st, int dtype, const i64* shape, int rank) {
  const i64 size = checked_size(shape, rank);
  Block* block = st->pool.acquire(std::size_t(size) * dtype_size(dtype));
  if (block == nullptr) throw backend_error("out of memory allocating " + format_shape(shape, rank) + " " + DTYPE_NAMES[dtype]);
  return st->insert(block, dtype, shape, rank, size, 0);
}

int new_view(State* st, const Tensor& src, const i64* shape, int rank) {
  glue::check_reshape(src.shape, src.rank, src.size, shape, rank);
  return new_slice_view(st, src, 0, shape, rank);
}

int new_slice_view(State* st, const Tensor& src, i64 element_offset, const i64* shape, int rank) {
  return st->insert_view(src, element_offset, shape, rank, [&](Block* block) { st->pool.retain(block); });
}

void release_tensor(State* st, int id) { st->pool.release(st->remove(id)); }

double* scratch(State* st, i64 n) {
  // Starts on a cache line (the kernels' vector loads then split lines only where their own
  // offsets do): 7 doubles of slack for the alignment.
  const std::size_t need = std::size_t(n) + 7;
  if (st->scratch.size() < need) st->scratch.resize(need);
  return reinterpret_cast<double*>((reinterpret_cast<std::uintptr_t>(st->scratch.data()) + 63) & ~std::uintptr_t(63));
}

napi_value throw_glue_error(napi_env env, State* st, const GlueError& e) { return glue::throw_error(env, st != nullptr ? &st->errors : nullptr, BACKEND, e); }

}  // namespace myelin
