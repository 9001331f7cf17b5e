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

/** Checks that every index lies in [0, limit). */
void check_indices(const Tensor& idx, i64 limit, const char* op) {
  if (idx.dtype != I32) throw argument_error(std::string(op) + ": indices must be int32, got " + DTYPE_NAMES[idx.dtype]);
  const std::int32_t* p = static_cast<const std::int32_t*>(idx.data());
  for (i64 i = 0; i < idx.size; i++) {
    if (p[i] < 0 || p[i] >= limit) throw argument_error(std::string(op) + ": index " + std::to_string(p[i]) + " is out of range [0, " + std::to_string(limit) + ")");
  }
}

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
    const int id = new_tensor(a.st, x.dtype, shape, rank);
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
      i64 xs[MAX_RANK], perm_shape[MAX_RANK], perm_strides[MAX_RANK];
      strides_of(x.shape, x.rank, xs);
      int r = 0;
      i64 n = 1;
      for (int d = 0; d < x.rank; d++) {
        if (!reduced[d]) { perm_shape[r] = x.shape[d]; perm_strides[r++] = xs[d]; }
      }
      for (int d = 0; d < x.rank; d++) {
        if (reduced[d]) { perm_shape[r] = x.shape[d]; perm_strides[r++] = xs[d]; n *= x.shape[d]; }
      }
      Loop loop;
      make_strided_loop(loop, perm_shape, r, perm_strides);
      const int tmp = new_tensor(st, dtype, perm_shape, r);
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
    const int id = new_tensor(a.st, I32, shape, rank);
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
    if (rank != x.rank) throw argument_error("transpose: permutation of rank " + std::to_string(rank) + " for a tensor of rank " + std::to_string(x.rank));
    bool seen[MAX_RANK] = {};
    i64 xs[MAX_RANK], shape[MAX_RANK], strides[MAX_RANK];
    strides_of(x.shape, x.rank, xs);
    for (int d = 0; d < rank; d++) {
      if (perm[d] >= rank || seen[perm[d]]) throw argument_error("transpose: " + format_shape(perm, rank) + " is not a permutation");
      seen[perm[d]] = true;
      shape[d] = x.shape[perm[d]];
      strides[d] = xs[perm[d]];
    }
    const int id = new_tensor(a.st, x.dtype, shape, rank);
    Loop loop;
    make_strided_loop(loop, shape, rank, strides);
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
    if (rank != x.rank) throw shape_error("broadcastTo: cannot broadcast " + format_shape(x.shape, x.rank) + " to " + format_shape(shape, rank));
    i64 xs[MAX_RANK], strides[MAX_RANK];
    strides_of(x.shape, x.rank, xs);
    for (int d = 0; d < rank; d++) {
      if (x.shape[d] != shape[d] && x.shape[d] != 1) throw shape_error("broadcastTo: cannot broadcast " + format_shape(x.shape, x.rank) + " to " + format_shape(shape, rank));
      strides[d] = x.shape[d] == 1 ? 0 : xs[d];
    }
    const int id = new_tensor(a.st, x.dtype, shape, rank);
    Loop loop;
    make_strided_loop(loop, shape, rank, strides);
    gather_copy(a.st, x, 0, loop, id);
    return make_int(env, id);
  });
}

napi_value Slice(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& x = a.tensor(0);
    i64 begin[MAX_RANK], size[MAX_RANK], xs[MAX_RANK];
    const int rb = a.dims(1, begin, MAX_RANK);
    const int rs = a.dims(2, size, MAX_RANK);
    if (rb != x.rank || rs != x.rank) throw argument_error("slice: begin and size must have rank " + std::to_string(x.rank));
    strides_of(x.shape, x.rank, xs);
    i64 offset = 0;
    for (int d = 0; d < x.rank; d++) {
      if (begin[d] + size[d] > x.shape[d]) throw argument_error("slice: begin " + format_shape(begin, rb) + " size " + format_shape(size, rs) + " is out of bounds of " + format_shape(x.shape, x.rank));
      offset += begin[d] * xs[d];
    }
    Loop loop;
    make_strided_loop(loop, size, rs, xs);
    i64 count = 1;
    for (int d = 0; d < rs; d++) count *= size[d];
    if (count > 0 && loop.rank == 1 && (loop.strides[0][0] == 1 || count == 1)) {
      // A contiguous box (e.g. a batch of rows): a view sharing the block, no copy.
      return make_int(env, new_slice_view(a.st, x, offset, size, rs));
    }
    const int id = new_tensor(a.st, x.dtype, size, rs);
    if (count > 0) gather_copy(a.st, x, offset, loop, id);
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
    i64 shape[MAX_RANK], os[MAX_RANK];
    for (int d = 0; d < x.rank; d++) shape[d] = x.shape[d] + pads[2 * d] + pads[2 * d + 1];
    const int id = new_tensor(a.st, x.dtype, shape, x.rank);
    Tensor& out = tensor_at(a.st, id);
    const std::uint64_t pattern = glue::fill_bits(x.dtype, value);
    const int elem = int(dtype_size(x.dtype));
    fill_pattern(elem, out.data(), &pattern, out.size);
    if (x.size > 0) {
      strides_of(shape, x.rank, os);
      i64 offset = 0;
      for (int d = 0; d < x.rank; d++) offset += pads[2 * d] * os[d];
      Loop loop;
      make_strided_loop(loop, x.shape, x.rank, os);
      strided_copy(elem, loop, x.data(), static_cast<char*>(out.data()) + offset * elem, false, 0, x.size);
    }
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
      int32_t id;
      napi_get_element(env, list, i, &el);
      if (napi_get_value_int32(env, el, &id) != napi_ok || id < 0 || std::size_t(id) >= a.st->tensors.size() || !a.st->tensors[std::size_t(id)].live) {
        throw GlueError{ErrorKind::Disposed, "backend 'cpu': concat got a handle that is not live", "", F32};
      }
      ts[i] = &a.st->tensors[std::size_t(id)];
    }
    const Tensor& first = *ts[0];
    check_axis(axis, first.rank, "concat");
    i64 shape[MAX_RANK];
    for (int d = 0; d < first.rank; d++) shape[d] = first.shape[d];
    shape[axis] = 0;
    for (const Tensor* t : ts) {
      bool ok = t->rank == first.rank && t->dtype == first.dtype;
      for (int d = 0; ok && d < first.rank; d++) ok = d == axis || t->shape[d] == first.shape[d];
      if (!ok) throw shape_error("concat: " + format_shape(t->shape, t->rank) + " " + DTYPE_NAMES[t->dtype] + " does not fit " + format_shape(first.shape, first.rank) + " " + DTYPE_NAMES[first.dtype] + " on axis " + std::to_string(axis));
      shape[axis] += t->shape[axis];
    }
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
        const i64 strides[2] = {row, 1};
        Loop loop;
        make_strided_loop(loop, dims, 2, strides);
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
    check_axis(axis, x.rank, "gather");
    check_indices(idx, x.shape[axis], "gather");
    if (x.rank - 1 + idx.rank > MAX_RANK) throw unsupported("gather", x.dtype, "output rank above " + std::to_string(MAX_RANK));
    i64 shape[MAX_RANK];
    int rank = 0;
    i64 outer = 1, inner = 1;
    for (int d = 0; d < axis; d++) { shape[rank++] = x.shape[d]; outer *= x.shape[d]; }
    for (int d = 0; d < idx.rank; d++) shape[rank++] = idx.shape[d];
    for (int d = axis + 1; d < x.rank; d++) { shape[rank++] = x.shape[d]; inner *= x.shape[d]; }
    const int id = new_tensor(a.st, x.dtype, shape, rank);
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
    const double dim_arg = a.f64(3);
    if (u.dtype == BOOL) throw unsupported("scatterAdd", BOOL, "cast to int32 or float32 first");
    if (!(dim_arg >= 0) || dim_arg != std::floor(dim_arg) || dim_arg > 9.0e15) throw argument_error("scatterAdd: dimSize must be a non-negative integer");
    const i64 dim = i64(dim_arg);
    if (axis < 0 || axis + idx.rank > u.rank) throw shape_error("scatterAdd: updates " + format_shape(u.shape, u.rank) + " do not fit indices " + format_shape(idx.shape, idx.rank) + " at axis " + std::to_string(axis));
    for (int d = 0; d < idx.rank; d++) {
      if (u.shape[axis + d] != idx.shape[d]) throw shape_error("scatterAdd: updates " + format_shape(u.shape, u.rank) + " do not fit indices " + format_shape(idx.shape, idx.rank) + " at axis " + std::to_string(axis));
    }
    check_indices(idx, dim, "scatterAdd");
    i64 shape[MAX_RANK];
    int rank = 0;
    i64 outer = 1, inner = 1;
    for (int d = 0; d < axis; d++) { shape[rank++] = u.shape[d]; outer *= u.shape[d]; }
    shape[rank++] = dim;
    for (int d = axis + idx.rank; d < u.rank; d++) { shape[rank++] = u.shape[d]; inner *= u.shape[d]; }
    const int id = new_tensor(a.st, u.dtype, shape, rank);
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
