// Reductions and data movement: reduce, argmax, sort, reshape, transpose, broadcastTo, slice, pad,
// concat, gather, scatterAdd.
#include "../kernels/movement.h"
#include "ops.h"

namespace myelin {

namespace {

/** Copies x viewed through `loop` (one operand, source strides) into a new contiguous tensor. */
void gather_copy(State* st, const Tensor& x, i64 offset, const Loop& loop, int out_id) {
  Tensor& out = tensor_at(st, out_id);
  const int elem = int(dtype_size(x.dtype));
  const char* src = static_cast<const char*>(x.data()) + offset * elem;
  void* dst = out.data();
  parallel_for(st, out.size, 1, [&](i64 b, i64 e) { strided_copy(elem, loop, src, dst, true, b, e); });
}

void fill_identity(Tensor& t, int op) {
  const std::uint64_t pattern = glue::reduce_identity_bits(op, t.dtype);
  fill_pattern(int(dtype_size(t.dtype)), t.data(), &pattern, t.size);
}

/** Checks that every index (int32: the shared plan checked) lies in [0, limit). */
void check_indices(const Tensor& idx, i64 limit, const char* op) {
  const std::int32_t* p = static_cast<const std::int32_t*>(idx.data());
  for (i64 i = 0; i < idx.size; i++) {
    if (p[i] < 0 || p[i] >= limit) throw argument_error(std::string(op) + ": index " + std::to_string(p[i]) + " is out of range [0, " + std::to_string(limit) + ")");
  }
}

}  // namespace

napi_value Reduce(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_reduce(a);
    const int op = call.op, naxes = call.naxes;
    const Tensor& x = call.x;
    const ReducePlan& plan = call.plan;
    const int id = new_tensor(a.st, x.dtype, plan.shape, plan.rank);
    Tensor& out = tensor_at(a.st, id);
    const int elem = int(dtype_size(x.dtype));
    if (naxes == 0) {
      std::memcpy(out.data(), x.data(), std::size_t(x.size) * elem);
      return make_int(env, id);
    }
    if (out.size == 0) return make_int(env, id);
    if (x.size == 0) {
      fill_identity(out, op);
      return make_int(env, id);
    }
    // Adjacent axes grouped into runs that are all reduced or all kept (the plan's).
    const int g = plan.groups;
    const i64* dims = plan.dims;
    const bool* red = plan.red;
    const KernelTable& k = *a.st->k;
    const void* src = x.data();
    void* dst = out.data();
    const int dtype = x.dtype;
    State* st = a.st;
    if (g == 0 || (g == 1 && !red[0])) {
      std::memcpy(dst, src, std::size_t(x.size) * elem);  // nothing of size > 1 is reduced
    } else if (red[g - 1] && (g == 1 || (g == 2 && !red[0]))) {
      const i64 n = dims[g - 1];
      const i64 rows = g == 2 ? dims[0] : 1;
      parallel_for(st, rows, n, [&](i64 b, i64 e) { k.reduce_rows(op, dtype, src, dst, n, b, e); });
    } else if (!red[g - 1] && (g == 2 || (g == 3 && !red[0]))) {
      const i64 cols = dims[g - 1], rows = dims[g - 2], outer = g == 3 ? dims[0] : 1;
      double* acc = scratch(st, cols);
      parallel_for(st, cols, rows * outer, [&](i64 b, i64 e) {
        k.reduce_cols(op, dtype, src, dst, acc + b, outer, rows, cols, b, e);
      });
    } else {
      // General pattern: move the reduced axes last (a transposed copy), then reduce rows.
      const CopyPlan moved = reduced_axes_last(x, plan);
      const Loop& loop = moved.loop;
      const i64 n = plan.reduced_size;
      const int tmp = new_tensor(st, dtype, moved.shape, moved.rank);
      gather_copy(st, x, 0, loop, tmp);
      const void* tsrc = tensor_at(st, tmp).data();
      const i64 rows = x.size / n;
      parallel_for(st, rows, n, [&](i64 b, i64 e) { k.reduce_rows(op, dtype, tsrc, dst, n, b, e); });
      release_tensor(st, tmp);
    }
    return make_int(env, id);
  });
}

napi_value Argmax(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_argmax(a);
    const Tensor& x = call.x;
    const AxisPlan& plan = call.plan;
    const i64 outer = plan.outer, length = plan.length, inner = plan.inner;
    const int id = new_tensor(a.st, I32, plan.shape, plan.rank);
    Tensor& out = tensor_at(a.st, id);
    std::int32_t* dst = static_cast<std::int32_t*>(out.data());
    if (length == 0 || out.size == 0) {
      std::memset(dst, 0, std::size_t(out.size) * 4);
      return make_int(env, id);
    }
    const void* src = x.data();
    const int dtype = x.dtype;
    parallel_for(a.st, outer, length * inner, [&](i64 b, i64 e) { argmax(dtype, src, dst, outer, length, inner, b, e); });
    return make_int(env, id);
  });
}

napi_value Sort(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_sort(a);
    const Tensor& x = call.x;
    const i64 rows = call.plan.rows, length = call.plan.length;
    const bool descending = call.descending;
    int ids[2] = {new_tensor(a.st, x.dtype, x.shape, x.rank), -1};
    ids[1] = new_tensor(a.st, I32, x.shape, x.rank);
    const void* src = x.data();
    void* values = tensor_at(a.st, ids[0]).data();
    std::int32_t* indices = static_cast<std::int32_t*>(tensor_at(a.st, ids[1]).data());
    const int dtype = x.dtype;
    // n log n comparisons per row
    i64 log_length = 1;
    while ((i64(1) << log_length) < length) log_length++;
    parallel_for(a.st, rows, length * log_length, [&](i64 b, i64 e) { sort_rows(dtype, src, values, indices, length, descending, b, e); });
    return id_array(env, ids, 2);
  });
}

napi_value Reshape(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_reshape(a);
    return make_int(env, new_view(a.st, call.x, call.shape, call.rank));
  });
}

napi_value Transpose(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [x, plan] = read_transpose(a);
    const int id = new_tensor(a.st, x.dtype, plan.shape, plan.rank);
    const Loop& loop = plan.loop;
    const int elem = int(dtype_size(x.dtype));
    if (loop.rank == 2 && loop.strides[0][0] == 1 && loop.strides[0][1] == loop.shape[0]) {
      // A plain 2-D transpose of a [rows, cols] source: copy in cache tiles.
      const i64 rows = loop.shape[1], cols = loop.shape[0];
      const void* src = x.data();
      void* dst = tensor_at(a.st, id).data();
      parallel_for(a.st, rows, cols, [&, rows = rows, cols = cols](i64 b, i64 e) { transpose2d(elem, src, dst, rows, cols, b, e); });
    } else {
      gather_copy(a.st, x, 0, loop, id);
    }
    return make_int(env, id);
  });
}

napi_value BroadcastTo(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [x, plan] = read_broadcast_to(a);
    const int id = new_tensor(a.st, x.dtype, plan.shape, plan.rank);
    gather_copy(a.st, x, 0, plan.loop, id);
    return make_int(env, id);
  });
}

napi_value Slice(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [x, plan] = read_slice(a);
    // A contiguous box (e.g. a batch of rows): a view sharing the block, no copy.
    if (contiguous_slice(plan)) return make_int(env, new_slice_view(a.st, x, plan.offset, plan.shape, plan.rank));
    const int id = new_tensor(a.st, x.dtype, plan.shape, plan.rank);
    if (plan.size > 0) gather_copy(a.st, x, plan.offset, plan.loop, id);
    return make_int(env, id);
  });
}

napi_value Pad(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [x, value, plan] = read_pad(a);
    const int id = new_tensor(a.st, x.dtype, plan.shape, x.rank);
    Tensor& out = tensor_at(a.st, id);
    const std::uint64_t pattern = glue::fill_bits(x.dtype, value);
    const int elem = int(dtype_size(x.dtype));
    fill_pattern(elem, out.data(), &pattern, out.size);
    if (x.size > 0) strided_copy(elem, plan.loop, x.data(), static_cast<char*>(out.data()) + plan.offset * elem, false, 0, x.size);
    return make_int(env, id);
  });
}

napi_value Concat(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_concat(a);
    const Tensor& first = *call.inputs[0];
    const i64 outer = call.plan.outer;
    const int id = new_tensor(a.st, first.dtype, call.plan.shape, first.rank);
    Tensor& out = tensor_at(a.st, id);
    const i64 row = outer == 0 ? 0 : out.size / outer;
    const int elem = int(dtype_size(first.dtype));
    i64 column = 0;
    for (const Tensor* t : call.inputs) {
      const i64 chunk = outer == 0 ? 0 : t->size / outer;
      if (chunk > 0) strided_copy(elem, concat_loop(outer, chunk, row), t->data(), static_cast<char*>(out.data()) + column * elem, false, 0, t->size);
      column += chunk;
    }
    return make_int(env, id);
  });
}

napi_value Gather(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [x, idx, plan] = read_gather(a);
    check_indices(*idx, plan.length, "gather");
    const int id = new_tensor(a.st, x.dtype, plan.shape, plan.rank);
    // An empty output may still have up to 2^50 outer rows: nothing to copy, so no loop over them.
    if (tensor_at(a.st, id).size == 0) return make_int(env, id);
    const void* src = x.data();
    const std::int32_t* ip = static_cast<const std::int32_t*>(idx->data());
    void* dst = tensor_at(a.st, id).data();
    const i64 count = idx->size, length = plan.length, inner = plan.inner;
    const int elem = int(dtype_size(x.dtype));
    parallel_for(a.st, plan.outer, count * inner, [&](i64 b, i64 e) { gather_rows(elem, src, ip, count, dst, length, inner, b, e); });
    return make_int(env, id);
  });
}

napi_value ScatterAdd(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [u, idx, plan] = read_scatter_add(a);
    check_indices(*idx, plan.length, "scatterAdd");
    const int id = new_tensor(a.st, u.dtype, plan.shape, plan.rank);
    Tensor& out = tensor_at(a.st, id);
    if (u.size == 0 || out.size == 0) {
      // Nothing to add (an empty output may still have up to 2^50 outer rows: no loop over them).
      if (out.size > 0) std::memset(out.data(), 0, std::size_t(out.size) * dtype_size(u.dtype));
      return make_int(env, id);
    }
    double* acc = nullptr;
    if (is_float(u.dtype)) {
      acc = scratch(a.st, out.size);
      std::memset(acc, 0, std::size_t(out.size) * sizeof(double));
    } else {
      std::memset(out.data(), 0, std::size_t(out.size) * 4);
    }
    scatter_add(u.dtype, u.data(), static_cast<const std::int32_t*>(idx->data()), idx->size, out.data(), acc, plan.outer, plan.length, plan.inner);
    return make_int(env, id);
  });
}

}  // namespace myelin
