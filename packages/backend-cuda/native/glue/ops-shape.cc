// Reductions and data movement: reduce, argmax, reshape, transpose, broadcastTo, slice, pad,
// concat, gather, scatterAdd. Movement is one strided-copy kernel driven by a collapsed loop.
#include <cmath>

#include "ops.h"

namespace mc {

namespace {

/** Copies x (from element `offset`) viewed through the one-operand `loop` into tensor out_id. */
void gather_copy(State* st, const Tensor& x, i64 offset, const Loop& loop, int out_id, const char* op) {
  const int elem = int(dtype_size(x.dtype));
  const char* src = static_cast<const char*>(x.data()) + offset * elem;
  launch_strided_copy(st->ctx->stream, elem, loop, src, tensor_at(st, out_id).data(), true);
  check_launch(op);
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
    const int op = a.i32(0);
    if (op != 0 && op != 1) throw argument_error("unknown reduce op " + std::to_string(op));
    const Tensor& x = a.tensor(1);
    i64 axes[MAX_RANK];
    const int naxes = a.dims(2, axes, MAX_RANK);
    const bool keep = a.boolean(3);
    if (op == 0 && x.dtype == BOOL) throw unsupported("sum", BOOL, "cast to int32 or float32 first");
    bool reduced[MAX_RANK] = {};
    for (int i = 0; i < naxes; i++) {
      if (axes[i] >= x.rank || (i > 0 && axes[i] <= axes[i - 1])) throw argument_error("reduce: axes must be sorted, unique and below rank " + std::to_string(x.rank));
      reduced[axes[i]] = true;
    }
    i64 shape[MAX_RANK];
    int rank = 0;
    for (int d = 0; d < x.rank; d++) {
      if (!reduced[d]) shape[rank++] = x.shape[d];
      else if (keep) shape[rank++] = 1;
    }
    Context& c = a.ctx();
    const int id = new_tensor(a.st, x.dtype, shape, rank);
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
    // Collapse into groups of adjacent axes that are all reduced or all kept.
    i64 dims[MAX_RANK];
    bool red[MAX_RANK];
    int g = 0;
    for (int d = 0; d < x.rank; d++) {
      if (x.shape[d] == 1) continue;
      if (g > 0 && red[g - 1] == reduced[d]) {
        dims[g - 1] *= x.shape[d];
      } else {
        dims[g] = x.shape[d];
        red[g] = reduced[d];
        g++;
      }
    }
    if (g == 0 || (g == 1 && !red[0])) {
      copy_device(a.st, out.data(), x.data(), x.bytes(), name);  // nothing of size > 1 is reduced
    } else if (red[g - 1] && (g == 1 || (g == 2 && !red[0]))) {
      launch_reduce_rows(c.stream, op, dtype, x.data(), out.data(), g == 2 ? dims[0] : 1, dims[g - 1]);
    } else if (!red[g - 1] && (g == 2 || (g == 3 && !red[0]))) {
      launch_reduce_cols(c.stream, op, dtype, x.data(), out.data(), g == 3 ? dims[0] : 1, dims[g - 2], dims[g - 1]);
    } else {
      // General pattern: move the reduced axes last (a strided copy), then reduce rows.
      i64 xs[MAX_RANK], perm_shape[MAX_RANK], perm_strides[1][MAX_RANK];
      strides_of(x.shape, x.rank, xs);
      int r = 0;
      i64 n = 1;
      for (int d = 0; d < x.rank; d++)
        if (!reduced[d]) {
          perm_shape[r] = x.shape[d];
          perm_strides[0][r++] = xs[d];
        }
      for (int d = 0; d < x.rank; d++)
        if (reduced[d]) {
          perm_shape[r] = x.shape[d];
          perm_strides[0][r++] = xs[d];
          n *= x.shape[d];
        }
      Loop loop;
      collapse_loop(loop, perm_shape, r, 1, perm_strides);
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
    const Tensor& x = a.tensor(0);
    const int axis = a.i32(1);
    check_axis(axis, x.rank, "argmax");
    i64 shape[MAX_RANK];
    int rank = 0;
    i64 outer = 1, inner = 1;
    for (int d = 0; d < x.rank; d++) {
      if (d != axis) shape[rank++] = x.shape[d];
      if (d < axis) outer *= x.shape[d];
      if (d > axis) inner *= x.shape[d];
    }
    const i64 length = x.shape[axis];
    Context& c = a.ctx();
    const int id = new_tensor(a.st, I32, shape, rank);
    Tensor& out = tensor_at(a.st, id);
    if (length == 0) launch_fill(c.stream, out.data(), 4, 0, out.size);
    else launch_argmax(c.stream, x.dtype, x.data(), static_cast<std::int32_t*>(out.data()), outer, length, inner);
    check_launch("argmax");
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

/** reshapeN(x, rank, d0, d1, d2, d3): a view with up to four dimensions given as numbers. */
napi_value ReshapeDims(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    const int rank = a.i32(1);
    if (rank < 0 || rank > 4) throw argument_error("reshapeN: rank " + std::to_string(rank) + " is outside 0..4");
    i64 shape[4];
    for (int d = 0; d < rank; d++) {
      const double v = a.f64(std::size_t(2 + d));
      if (!(v >= 0) || v != double(i64(v)) || v > 9.0e15) throw shape_error("a dimension must be a non-negative integer, got " + std::to_string(v));
      shape[d] = i64(v);
    }
    return make_int(env, new_view(a.st, x, shape, rank));
  });
}

napi_value Transpose(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    i64 perm[MAX_RANK];
    const int rank = a.dims(1, perm, MAX_RANK);
    if (rank != x.rank) throw argument_error("transpose: permutation of rank " + std::to_string(rank) + " for a tensor of rank " + std::to_string(x.rank));
    bool seen[MAX_RANK] = {};
    i64 xs[MAX_RANK], shape[MAX_RANK], strides[1][MAX_RANK];
    strides_of(x.shape, x.rank, xs);
    for (int d = 0; d < rank; d++) {
      if (perm[d] >= rank || seen[perm[d]]) throw argument_error("transpose: " + format_shape(perm, rank) + " is not a permutation");
      seen[perm[d]] = true;
      shape[d] = x.shape[perm[d]];
      strides[0][d] = xs[perm[d]];
    }
    a.ctx();
    const int id = new_tensor(a.st, x.dtype, shape, rank);
    Loop loop;
    collapse_loop(loop, shape, rank, 1, strides);
    gather_copy(a.st, x, 0, loop, id, "transpose");
    return make_int(env, id);
  });
}

napi_value BroadcastTo(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    i64 shape[MAX_RANK];
    const int rank = a.dims(1, shape, MAX_RANK);
    if (rank != x.rank) throw shape_error("broadcastTo: cannot broadcast " + format_shape(x.shape, x.rank) + " to " + format_shape(shape, rank));
    i64 xs[MAX_RANK], strides[1][MAX_RANK];
    strides_of(x.shape, x.rank, xs);
    for (int d = 0; d < rank; d++) {
      if (x.shape[d] != shape[d] && x.shape[d] != 1) throw shape_error("broadcastTo: cannot broadcast " + format_shape(x.shape, x.rank) + " to " + format_shape(shape, rank));
      strides[0][d] = x.shape[d] == 1 ? 0 : xs[d];
    }
    a.ctx();
    const int id = new_tensor(a.st, x.dtype, shape, rank);
    Loop loop;
    collapse_loop(loop, shape, rank, 1, strides);
    gather_copy(a.st, x, 0, loop, id, "broadcastTo");
    return make_int(env, id);
  });
}

napi_value Slice(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    i64 begin[MAX_RANK], size[MAX_RANK], xs[MAX_RANK], strides[1][MAX_RANK];
    const int rb = a.dims(1, begin, MAX_RANK);
    const int rs = a.dims(2, size, MAX_RANK);
    if (rb != x.rank || rs != x.rank) throw argument_error("slice: begin and size must have rank " + std::to_string(x.rank));
    strides_of(x.shape, x.rank, xs);
    i64 offset = 0;
    for (int d = 0; d < x.rank; d++) {
      if (begin[d] + size[d] > x.shape[d]) {
        throw argument_error("slice: begin " + format_shape(begin, rb) + " size " + format_shape(size, rs) + " is out of bounds of " + format_shape(x.shape, x.rank));
      }
      offset += begin[d] * xs[d];
      strides[0][d] = xs[d];
    }
    Loop loop;
    collapse_loop(loop, size, rs, 1, strides);
    const i64 count = checked_size(size, rs);
    if (count > 0 && loop.rank == 1 && (loop.strides[0][0] == 1 || count == 1)) {
      // A contiguous box (e.g. a batch of rows): a view sharing the block, no copy.
      return make_int(env, new_slice_view(a.st, x, offset, size, rs));
    }
    a.ctx();
    const int id = new_tensor(a.st, x.dtype, size, rs);
    if (count > 0) gather_copy(a.st, x, offset, loop, id, "slice");
    return make_int(env, id);
  });
}

napi_value Pad(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    i64 pads[2 * MAX_RANK];
    const int np = a.dims(1, pads, 2 * MAX_RANK);
    const double value = a.f64(2);
    if (np != 2 * x.rank) throw argument_error("pad: expected " + std::to_string(x.rank) + " [before, after] pairs");
    i64 shape[MAX_RANK], os[MAX_RANK], strides[1][MAX_RANK];
    for (int d = 0; d < x.rank; d++) shape[d] = x.shape[d] + pads[2 * d] + pads[2 * d + 1];
    checked_size(shape, x.rank);
    Context& c = a.ctx();
    const int id = new_tensor(a.st, x.dtype, shape, x.rank);
    Tensor& out = tensor_at(a.st, id);
    const int elem = int(dtype_size(x.dtype));
    const std::uint64_t bits = glue::fill_bits(x.dtype, value);  // stored as the dtype stores it (fromData's rules)
    launch_fill(c.stream, out.data(), elem, bits, out.size);
    if (x.size > 0) {
      strides_of(shape, x.rank, os);
      i64 offset = 0;
      for (int d = 0; d < x.rank; d++) {
        offset += pads[2 * d] * os[d];
        strides[0][d] = os[d];
      }
      Loop loop;
      collapse_loop(loop, x.shape, x.rank, 1, strides);
      launch_strided_copy(c.stream, elem, loop, x.data(), static_cast<char*>(out.data()) + offset * elem, false);
    }
    check_launch("pad");
    return make_int(env, id);
  });
}

napi_value Concat(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    napi_value list = a.at(0);
    const int axis = a.i32(1);
    uint32_t n = 0;
    if (napi_get_array_length(env, list, &n) != napi_ok || n == 0) throw argument_error("concat needs a non-empty array of handles");
    std::vector<const Tensor*> ts(n);
    for (uint32_t i = 0; i < n; i++) {
      napi_value el;
      int32_t id = -1;
      napi_get_element(env, list, i, &el);
      if (napi_get_value_int32(env, el, &id) != napi_ok) throw argument_error("concat: element " + std::to_string(i) + " is not a handle id");
      ts[i] = &live_tensor(a.st, id);
    }
    const Tensor& first = *ts[0];
    check_axis(axis, first.rank, "concat");
    i64 shape[MAX_RANK];
    for (int d = 0; d < first.rank; d++) shape[d] = first.shape[d];
    shape[axis] = 0;
    for (const Tensor* t : ts) {
      bool ok = t->rank == first.rank && t->dtype == first.dtype;
      for (int d = 0; ok && d < first.rank; d++) ok = d == axis || t->shape[d] == first.shape[d];
      if (!ok) {
        throw shape_error("concat: " + format_shape(t->shape, t->rank) + " " + DTYPE_NAMES[t->dtype] + " does not fit " + format_shape(first.shape, first.rank) + " " +
                          DTYPE_NAMES[first.dtype] + " on axis " + std::to_string(axis));
      }
      shape[axis] += t->shape[axis];
    }
    Context& c = a.ctx();
    const int id = new_tensor(a.st, first.dtype, shape, first.rank);
    Tensor& out = tensor_at(a.st, id);
    i64 outer = 1;
    for (int d = 0; d < axis; d++) outer *= shape[d];
    const i64 row = outer == 0 ? 0 : out.size / outer;
    const int elem = int(dtype_size(first.dtype));
    i64 column = 0;
    for (const Tensor* t : ts) {
      const i64 chunk = outer == 0 ? 0 : t->size / outer;
      if (chunk > 0) {
        const i64 dims[2] = {outer, chunk};
        const i64 strides[1][MAX_RANK] = {{row, 1}};
        Loop loop;
        collapse_loop(loop, dims, 2, 1, strides);
        launch_strided_copy(c.stream, elem, loop, t->data(), static_cast<char*>(out.data()) + column * elem, false);
      }
      column += chunk;
    }
    check_launch("concat");
    return make_int(env, id);
  });
}

napi_value Gather(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    const Tensor& idx = a.tensor(1);
    const int axis = a.i32(2);
    check_axis(axis, x.rank, "gather");
    if (idx.dtype != I32) throw argument_error(std::string("gather: indices must be int32, got ") + DTYPE_NAMES[idx.dtype]);
    if (x.rank - 1 + idx.rank > MAX_RANK) throw unsupported("gather", x.dtype, "output rank above " + std::to_string(MAX_RANK));
    i64 shape[MAX_RANK];
    int rank = 0;
    i64 outer = 1, inner = 1;
    for (int d = 0; d < axis; d++) {
      shape[rank++] = x.shape[d];
      outer *= x.shape[d];
    }
    for (int d = 0; d < idx.rank; d++) shape[rank++] = idx.shape[d];
    for (int d = axis + 1; d < x.rank; d++) {
      shape[rank++] = x.shape[d];
      inner *= x.shape[d];
    }
    Context& c = a.ctx();
    const int id = new_tensor(a.st, x.dtype, shape, rank);
    // Indices live on the device: the kernel range-checks each one (FLAG_GATHER, reported by the next read).
    launch_gather(c.stream, int(dtype_size(x.dtype)), x.data(), static_cast<const std::int32_t*>(idx.data()), idx.size, tensor_at(a.st, id).data(), outer, x.shape[axis], inner,
                  c.flag);
    check_launch("gather");
    return make_int(env, id);
  });
}

napi_value ScatterAdd(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& u = a.tensor(0);
    const Tensor& idx = a.tensor(1);
    const int axis = a.i32(2);
    const double dim_arg = a.f64(3);
    if (u.dtype == BOOL) throw unsupported("scatterAdd", BOOL, "cast to int32 or float32 first");
    if (idx.dtype != I32) throw argument_error(std::string("scatterAdd: indices must be int32, got ") + DTYPE_NAMES[idx.dtype]);
    if (!(dim_arg >= 0) || dim_arg != std::floor(dim_arg) || dim_arg > 9.0e15) throw argument_error("scatterAdd: dimSize must be a non-negative integer");
    const i64 dim = i64(dim_arg);
    const std::string misfit = "scatterAdd: updates " + format_shape(u.shape, u.rank) + " do not fit indices " + format_shape(idx.shape, idx.rank) + " at axis " + std::to_string(axis);
    if (axis < 0 || axis + idx.rank > u.rank) throw shape_error(misfit);
    for (int d = 0; d < idx.rank; d++)
      if (u.shape[axis + d] != idx.shape[d]) throw shape_error(misfit);
    i64 shape[MAX_RANK];
    int rank = 0;
    i64 outer = 1, inner = 1;
    for (int d = 0; d < axis; d++) {
      shape[rank++] = u.shape[d];
      outer *= u.shape[d];
    }
    shape[rank++] = dim;
    for (int d = axis + idx.rank; d < u.rank; d++) {
      shape[rank++] = u.shape[d];
      inner *= u.shape[d];
    }
    const i64 out_size = checked_size(shape, rank);
    Context& c = a.ctx();
    const int id = new_tensor(a.st, u.dtype, shape, rank);
    const bool floats = is_float(u.dtype);
    Scratch acc(a.st, floats ? std::size_t(out_size) * sizeof(double) : 8, "scatterAdd");
    launch_scatter_add(c.stream, u.dtype, u.data(), static_cast<const std::int32_t*>(idx.data()), idx.size, tensor_at(a.st, id).data(), static_cast<double*>(acc.data()), outer,
                       dim, inner, c.flag);
    check_launch("scatterAdd");
    return make_int(env, id);
  });
}

}  // namespace mc
