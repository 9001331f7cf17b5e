// Reductions and data movement: reduce, argmax, sort, reshape, transpose, broadcastTo, slice, pad,
// concat, gather, scatterAdd. Movement is one strided-copy kernel driven by a collapsed loop.
#include <cmath>
#include <optional>

#include "ops.h"

namespace mc {

namespace {

/** A new tensor holding x (from element plan.offset) read through plan's one-operand loop: transpose, broadcastTo, slice. */
int copy_out(Args& a, const Tensor& x, const CopyPlan& plan, const char* op) {
  Context& c = a.ctx();
  const int id = new_tensor(a.st, x.dtype, plan.shape, plan.rank);
  if (plan.size == 0) return id;
  const int elem = int(dtype_size(x.dtype));
  const char* src = static_cast<const char*>(x.data()) + plan.offset * elem;
  launch_strided_copy(c.stream, elem, plan.loop, src, tensor_at(a.st, id).data(), true);
  check_launch(op);
  return id;
}

void copy_device(State* st, void* dst, const void* src, std::size_t bytes, const char* op) {
  if (bytes == 0) return;
  const cudaError_t e = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, st->ctx->stream);
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw backend_error(std::string("backend 'cuda': ") + op + ": copy failed: " + cuda_error_text(e));
  }
}

const char* const REDUCE_NAMES[2] = {"sum", "max"};

}  // namespace

napi_value Reduce(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_reduce(a);
    const int op = call.op, naxes = call.naxes;
    const Tensor& x = call.x;
    const ReducePlan& plan = call.plan;
    Context& c = a.ctx();
    const int id = new_tensor(a.st, x.dtype, plan.shape, plan.rank);
    Tensor& out = tensor_at(a.st, id);
    const int dtype = x.dtype;
    const char* name = REDUCE_NAMES[op];
    if (naxes == 0) {
      copy_device(a.st, out.data(), x.data(), x.bytes(), name);
      return make_int(env, id);
    }
    if (out.size == 0) return make_int(env, id);
    if (x.size == 0) {
      launch_fill(c.stream, out.data(), int(dtype_size(dtype)), glue::reduce_identity_bits(op, dtype), out.size);
      check_launch(name);
      return make_int(env, id);
    }
    // Adjacent axes grouped into runs that are all reduced or all kept (the plan's).
    const int g = plan.groups;
    const i64* dims = plan.dims;
    const bool* red = plan.red;
    if (g == 0 || (g == 1 && !red[0])) {
      copy_device(a.st, out.data(), x.data(), x.bytes(), name);  // nothing of size > 1 is reduced
    } else if (red[g - 1] && (g == 1 || (g == 2 && !red[0]))) {
      launch_reduce_rows(c.stream, op, dtype, x.data(), out.data(), g == 2 ? dims[0] : 1, dims[g - 1]);
    } else if (!red[g - 1] && (g == 2 || (g == 3 && !red[0]))) {
      launch_reduce_cols(c.stream, op, dtype, x.data(), out.data(), g == 3 ? dims[0] : 1, dims[g - 2], dims[g - 1]);
    } else {
      // General pattern: move the reduced axes last (a strided copy), then reduce rows.
      const CopyPlan moved = reduced_axes_last(x, plan);
      const Loop& loop = moved.loop;
      const i64 n = plan.reduced_size;
      Scratch tmp(a.st, x.bytes(), name);
      launch_strided_copy(c.stream, int(dtype_size(dtype)), loop, x.data(), tmp.data(), true);
      launch_reduce_rows(c.stream, op, dtype, tmp.data(), out.data(), x.size / n, n);
    }
    check_launch(name);
    return make_int(env, id);
  });
}

napi_value Argmax(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [x, indices, plan] = read_argmax(a);
    Context& c = a.ctx();
    const int id = new_tensor(a.st, I32, plan.shape, plan.rank);
    Tensor& out = tensor_at(a.st, id);
    if (plan.length == 0) launch_fill(c.stream, out.data(), 4, 0, out.size);
    else launch_argmax(c.stream, x.dtype, x.data(), static_cast<std::int32_t*>(out.data()), plan.outer, plan.length, plan.inner);
    check_launch("argmax");
    return make_int(env, id);
  });
}

napi_value Sort(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_sort(a);
    const Tensor& x = call.x;
    const i64 rows = call.plan.rows, n = call.plan.length;
    Context& c = a.ctx();
    int ids[2] = {new_tensor(a.st, x.dtype, x.shape, x.rank), -1};
    ids[1] = new_tensor(a.st, I32, x.shape, x.rank);
    const i64 scratch_rows = sort_scratch_rows(rows, n);
    const std::size_t scratch_count = std::size_t(scratch_rows * n);
    // Rows longer than a shared-memory tile merge through one block: the values, then the indices.
    std::optional<Scratch> scratch;
    char* scratch_values = nullptr;
    std::int32_t* scratch_indices = nullptr;
    if (scratch_count > 0) {
      scratch.emplace(a.st, scratch_count * (dtype_size(x.dtype) + 4), "sort");
      scratch_values = static_cast<char*>(scratch->data());
      scratch_indices = reinterpret_cast<std::int32_t*>(scratch_values + scratch_count * dtype_size(x.dtype));
    }
    launch_sort(c.stream, x.dtype, x.data(), tensor_at(a.st, ids[0]).data(), static_cast<std::int32_t*>(tensor_at(a.st, ids[1]).data()), scratch_values,
                scratch_indices, rows, n, call.descending);
    check_launch("sort");
    return id_array(env, ids, 2);
  });
}

napi_value Reshape(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_reshape(a);
    return make_int(env, new_view(a.st, call.x, call.shape, call.rank));
  });
}

/** reshapeN(x, rank, d0, d1, d2, d3): a view with up to four dimensions given as numbers. */
napi_value ReshapeDims(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_reshape_dims(a);
    return make_int(env, new_view(a.st, call.x, call.shape, call.rank));
  });
}

napi_value Transpose(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [x, plan] = read_transpose(a);
    return make_int(env, copy_out(a, x, plan, "transpose"));
  });
}

napi_value BroadcastTo(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [x, plan] = read_broadcast_to(a);
    return make_int(env, copy_out(a, x, plan, "broadcastTo"));
  });
}

napi_value Slice(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [x, plan] = read_slice(a);
    // A contiguous box (e.g. a batch of rows): a view sharing the block, no copy.
    if (contiguous_slice(plan)) return make_int(env, new_slice_view(a.st, x, plan.offset, plan.shape, plan.rank));
    return make_int(env, copy_out(a, x, plan, "slice"));
  });
}

napi_value Pad(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [x, value, plan] = read_pad(a);
    Context& c = a.ctx();
    const int id = new_tensor(a.st, x.dtype, plan.shape, x.rank);
    Tensor& out = tensor_at(a.st, id);
    const int elem = int(dtype_size(x.dtype));
    launch_fill(c.stream, out.data(), elem, glue::fill_bits(x.dtype, value), out.size);  // stored as the dtype stores it (fromData's rules)
    if (x.size > 0) launch_strided_copy(c.stream, elem, plan.loop, x.data(), static_cast<char*>(out.data()) + plan.offset * elem, false);
    check_launch("pad");
    return make_int(env, id);
  });
}

napi_value Concat(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_concat(a);
    const Tensor& first = *call.inputs[0];
    const i64 outer = call.plan.outer;
    Context& c = a.ctx();
    const int id = new_tensor(a.st, first.dtype, call.plan.shape, first.rank);
    Tensor& out = tensor_at(a.st, id);
    const i64 row = outer == 0 ? 0 : out.size / outer;
    const int elem = int(dtype_size(first.dtype));
    i64 column = 0;
    for (const Tensor* t : call.inputs) {
      const i64 chunk = outer == 0 ? 0 : t->size / outer;
      if (chunk > 0) launch_strided_copy(c.stream, elem, concat_loop(outer, chunk, row), t->data(), static_cast<char*>(out.data()) + column * elem, false);
      column += chunk;
    }
    check_launch("concat");
    return make_int(env, id);
  });
}

napi_value Gather(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [x, idx, plan] = read_gather(a);
    Context& c = a.ctx();
    const int id = new_tensor(a.st, x.dtype, plan.shape, plan.rank);
    // Indices live on the device: the kernel range-checks each one (FLAG_GATHER, reported by the next read).
    launch_gather(c.stream, int(dtype_size(x.dtype)), x.data(), static_cast<const std::int32_t*>(idx->data()), idx->size, tensor_at(a.st, id).data(), plan.outer, plan.length,
                  plan.inner, c.flag);
    check_launch("gather");
    return make_int(env, id);
  });
}

napi_value ScatterAdd(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [u, idx, plan] = read_scatter_add(a);
    Context& c = a.ctx();
    const int id = new_tensor(a.st, u.dtype, plan.shape, plan.rank);
    Tensor& out = tensor_at(a.st, id);
    Scratch acc(a.st, is_float(u.dtype) ? std::size_t(out.size) * sizeof(double) : 8, "scatterAdd");
    launch_scatter_add(c.stream, u.dtype, u.data(), static_cast<const std::int32_t*>(idx->data()), idx->size, out.data(), static_cast<double*>(acc.data()), plan.outer, plan.length,
                       plan.inner, c.flag);
    check_launch("scatterAdd");
    return make_int(env, id);
  });
}

}  // namespace mc
