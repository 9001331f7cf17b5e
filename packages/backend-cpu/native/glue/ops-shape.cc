// Reductions and data movement: reduce, argmax, reshape, transpose, broadcastTo, slice, pad,
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
    const int op = reduce_op_arg(a, 0);
    const Tensor& x = a.tensor(1);
    i64 axes[MAX_RANK];
    const int naxes = a.dims(2, axes, MAX_RANK);
    const ReducePlan plan = plan_reduce(op, x, axes, naxes, a.boolean(3));
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
    const Tensor& x = a.tensor(0);
    const AxisPlan plan = plan_argmax(x, a.i32(1));
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

napi_value Reshape(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    i64 shape[MAX_RANK];
    const int rank = a.dims(1, shape, MAX_RANK);
    return make_int(env, new_view(a.st, x, shape, rank));
  });
}

napi_value Transpose(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    i64 perm[MAX_RANK];
    const int rank = a.dims(1, perm, MAX_RANK);
    const CopyPlan plan = plan_transpose(x, perm, rank);
    const int id = new_tensor(a.st, x.dtype, plan.shape, plan.rank);
    const Loop& loop = plan.loop;
    const int elem = int(dtype_size(x.dtype));
    if (loop.rank == 2 && loop.strides[0][0] == 1 && loop.strides[0][1] == loop.shape[0]) {
      // A plain 2-D transpose of a [rows, cols] source: copy in cache tiles.
      const i64 rows = loop.shape[1], cols = loop.shape[0];
      const void* src = x.data();
      void* dst = tensor_at(a.st, id).data();
      parallel_for(a.st, rows, cols, [&](i64 b, i64 e) { transpose2d(elem, src, dst, rows, cols, b, e); });
    } else {
      gather_copy(a.st, x, 0, loop, id);
    }
    return make_int(env, id);
  });
}

napi_value BroadcastTo(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    i64 shape[MAX_RANK];
    const int rank = a.dims(1, shape, MAX_RANK);
    const CopyPlan plan = plan_broadcast_to(x, shape, rank);
    const int id = new_tensor(a.st, x.dtype, plan.shape, plan.rank);
    const Loop& loop = plan.loop;
    gather_copy(a.st, x, 0, loop, id);
    return make_int(env, id);
  });
}

napi_value Slice(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    i64 begin[MAX_RANK], size[MAX_RANK];
    const int rb = a.dims(1, begin, MAX_RANK);
    const int rs = a.dims(2, size, MAX_RANK);
    const CopyPlan plan = plan_slice(x, begin, rb, size, rs);
    // A contiguous box (e.g. a batch of rows): a view sharing the block, no copy.
    if (contiguous_slice(plan)) return make_int(env, new_slice_view(a.st, x, plan.offset, size, rs));
    const int id = new_tensor(a.st, x.dtype, size, rs);
    if (plan.size > 0) gather_copy(a.st, x, plan.offset, plan.loop, id);
    return make_int(env, id);
  });
}

napi_value Pad(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    i64 pads[2 * MAX_RANK];
    const int np = a.dims(1, pads, 2 * MAX_RANK);
    const double value = a.f64(2);
    const PadPlan plan = plan_pad(x, pads, np);
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
    const auto ts = a.tensor_list(0, "concat");
    const int axis = a.i32(1);
    const std::vector<const TensorInfo*> infos(ts.begin(), ts.end());
    const ConcatPlan plan = plan_concat(infos.data(), int(ts.size()), axis);
    const Tensor& first = *ts[0];
    const i64* shape = plan.shape;
    const i64 outer = plan.outer;
    const int id = new_tensor(a.st, first.dtype, shape, first.rank);
    Tensor& out = tensor_at(a.st, id);
    const i64 row = outer == 0 ? 0 : out.size / outer;
    const int elem = int(dtype_size(first.dtype));
    i64 column = 0;
    for (const Tensor* t : ts) {
      const i64 chunk = outer == 0 ? 0 : t->size / outer;
      if (chunk > 0) {
        const Loop loop = concat_loop(outer, chunk, row);
        strided_copy(elem, loop, t->data(), static_cast<char*>(out.data()) + column * elem, false, 0, t->size);
      }
      column += chunk;
    }
    return make_int(env, id);
  });
}

napi_value Gather(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    const Tensor& idx = a.tensor(1);
    const int axis = a.i32(2);
    const AxisPlan plan = plan_gather(x, idx, axis);
    check_indices(idx, plan.length, "gather");
    const i64 outer = plan.outer, inner = plan.inner;
    const int id = new_tensor(a.st, x.dtype, plan.shape, plan.rank);
    const void* src = x.data();
    const std::int32_t* ip = static_cast<const std::int32_t*>(idx.data());
    void* dst = tensor_at(a.st, id).data();
    const i64 count = idx.size, length = x.shape[axis];
    const int elem = int(dtype_size(x.dtype));
    parallel_for(a.st, outer, count * inner, [&](i64 b, i64 e) { gather_rows(elem, src, ip, count, dst, length, inner, b, e); });
    return make_int(env, id);
  });
}

napi_value ScatterAdd(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& u = a.tensor(0);
    const Tensor& idx = a.tensor(1);
    const int axis = a.i32(2);
    const AxisPlan plan = plan_scatter_add(u, idx, axis, a.f64(3));
    check_indices(idx, plan.length, "scatterAdd");
    const i64 outer = plan.outer, dim = plan.length, inner = plan.inner;
    const int id = new_tensor(a.st, u.dtype, plan.shape, plan.rank);
    Tensor& out = tensor_at(a.st, id);
    double* acc = nullptr;
    if (is_float(u.dtype)) {
      acc = scratch(a.st, out.size);
      std::memset(acc, 0, std::size_t(out.size) * sizeof(double));
    } else {
      std::memset(out.data(), 0, std::size_t(out.size) * 4);
    }
    scatter_add(u.dtype, u.data(), static_cast<const std::int32_t*>(idx.data()), idx.size, out.data(), acc, outer, dim, inner);
    return make_int(env, id);
  });
}

}  // namespace myelin
