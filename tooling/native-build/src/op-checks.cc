// The entry points' shared checks (see include/myelin/op-checks.h), compiled into each addon.
#include "myelin/op-checks.h"

#include <cmath>

namespace myelin {
inline namespace glue {

namespace {
std::string shape_and_dtype(const TensorInfo& t) { return format_shape(t.shape, t.rank) + " " + DTYPE_NAMES[t.dtype]; }

bool same_shape(const TensorInfo& a, const TensorInfo& b) {
  bool same = a.rank == b.rank;
  for (int d = 0; same && d < a.rank; d++) same = a.shape[d] == b.shape[d];
  return same;
}
}  // namespace

// ---- elementwise -----------------------------------------------------------------------------

const char* const UNARY_NAMES[27] = {
    "neg", "exp", "log", "sqrt", "abs", "sign", "sigmoid", "tanh", "relu", "erf",
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
    "log1p", "expm1", "floor", "ceil", "round", "trunc"};
const char* const BINARY_NAMES[13] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "equal", "notEqual", "less", "lessEqual", "greater", "greaterEqual"};

int unary_op_arg(const ArgReader& a, size_t i) {
  const int op = a.i32(i);
  if (op < U_NEG || op > U_TRUNC) throw argument_error("unknown unary op " + std::to_string(op));
  return op;
}

void check_unary(int op, const TensorInfo& x) {
  const bool int_ok = op == U_NEG || op == U_ABS || op == U_SIGN || op == U_RELU;
  if (x.dtype == BOOL || (x.dtype == I32 && !int_ok)) throw unsupported(UNARY_NAMES[op], x.dtype);
}

int binary_op_arg(const ArgReader& a, size_t i) {
  const int op = a.i32(i);
  if (op < B_ADD || op > B_GE) throw argument_error("unknown binary op " + std::to_string(op));
  return op;
}

BroadcastPlan plan_binary(int op, const TensorInfo& x, const TensorInfo& y) {
  if (x.dtype != y.dtype) throw argument_error(std::string(BINARY_NAMES[op]) + ": dtypes differ (" + DTYPE_NAMES[x.dtype] + ", " + DTYPE_NAMES[y.dtype] + ")");
  if (x.dtype == BOOL && !is_comparison(op) && op != B_MUL && op != B_MAX && op != B_MIN) throw unsupported(BINARY_NAMES[op], x.dtype);
  BroadcastPlan p;
  const TensorInfo* ts[2] = {&x, &y};
  p.rank = broadcast_shapes(ts, 2, p.shape);
  checked_size(p.shape, p.rank);  // before the loop multiplies its dimensions
  p.dtype = is_comparison(op) ? int(BOOL) : x.dtype;
  const i64* shapes[2] = {x.shape, y.shape};
  const int ranks[2] = {x.rank, y.rank};
  broadcast_loop(p.loop, p.shape, p.rank, 2, shapes, ranks);
  return p;
}

BroadcastPlan plan_where(const TensorInfo& condition, const TensorInfo& x, const TensorInfo& y) {
  if (condition.dtype != BOOL) throw argument_error(std::string("where: the condition must be bool, got ") + DTYPE_NAMES[condition.dtype]);
  if (x.dtype != y.dtype) throw argument_error(std::string("where: dtypes differ (") + DTYPE_NAMES[x.dtype] + ", " + DTYPE_NAMES[y.dtype] + ")");
  BroadcastPlan p;
  const TensorInfo* ts[3] = {&condition, &x, &y};
  p.rank = broadcast_shapes(ts, 3, p.shape);
  checked_size(p.shape, p.rank);  // before the loop multiplies its dimensions
  p.dtype = x.dtype;
  const i64* shapes[3] = {condition.shape, x.shape, y.shape};
  const int ranks[3] = {condition.rank, x.rank, y.rank};
  broadcast_loop(p.loop, p.shape, p.rank, 3, shapes, ranks);
  return p;
}

FromDataArgs from_data_args(const ArgReader& a) {
  FromDataArgs f;
  if (napi_get_typedarray_info(a.env, a.at(0), &f.type, &f.length, &f.data, nullptr, nullptr) != napi_ok) throw argument_error("fromData needs a typed array");
  f.rank = a.dims(1, f.shape, MAX_RANK);
  f.dtype = check_dtype(a.i32(2));
  f.size = checked_size(f.shape, f.rank);
  if (i64(f.length) != f.size) {
    throw shape_error("fromData got " + std::to_string(f.length) + " values for shape " + format_shape(f.shape, f.rank) + ": expected " + std::to_string(f.size));
  }
  if (f.type == napi_bigint64_array || f.type == napi_biguint64_array) throw argument_error("fromData does not take BigInt arrays");
  return f;
}

// ---- reductions and movement -----------------------------------------------------------------

int reduce_op_arg(const ArgReader& a, size_t i) {
  const int op = a.i32(i);
  if (op != 0 && op != 1) throw argument_error("unknown reduce op " + std::to_string(op));
  return op;
}

ReducePlan plan_reduce(int op, const TensorInfo& x, const i64* axes, int naxes, bool keep) {
  if (op == 0 && x.dtype == BOOL) throw unsupported("sum", BOOL, "cast to int32 or float32 first");
  ReducePlan p;
  for (int i = 0; i < naxes; i++) {
    if (axes[i] >= x.rank || (i > 0 && axes[i] <= axes[i - 1])) throw argument_error("reduce: axes must be sorted, unique and below rank " + std::to_string(x.rank));
    p.reduced[axes[i]] = true;
    p.reduced_size *= x.shape[axes[i]];
  }
  for (int d = 0; d < x.rank; d++) {
    if (!p.reduced[d]) p.shape[p.rank++] = x.shape[d];
    else if (keep) p.shape[p.rank++] = 1;
  }
  for (int d = 0; d < x.rank; d++) {
    if (x.shape[d] == 1) continue;
    if (p.groups > 0 && p.red[p.groups - 1] == p.reduced[d]) {
      p.dims[p.groups - 1] *= x.shape[d];
    } else {
      p.dims[p.groups] = x.shape[d];
      p.red[p.groups] = p.reduced[d];
      p.groups++;
    }
  }
  return p;
}

AxisPlan plan_argmax(const TensorInfo& x, int axis) {
  check_axis(axis, x.rank, "argmax");
  AxisPlan p;
  for (int d = 0; d < x.rank; d++) {
    if (d != axis) p.shape[p.rank++] = x.shape[d];
    if (d < axis) p.outer *= x.shape[d];
    if (d > axis) p.inner *= x.shape[d];
  }
  p.length = x.shape[axis];
  return p;
}

SortPlan plan_sort(const TensorInfo& x) {
  if (x.dtype == BOOL) throw unsupported("sort", x.dtype, "cast to int32 first");
  SortPlan p;
  p.length = x.rank == 0 ? 1 : x.shape[x.rank - 1];
  if (p.length > i64(INT32_MAX)) throw unsupported("sort", x.dtype, "an axis of " + std::to_string(p.length) + " elements (int32 indices)");
  p.rows = p.length == 0 ? 0 : x.size / p.length;
  return p;
}

CopyPlan plan_transpose(const TensorInfo& x, const i64* perm, int rank) {
  if (rank != x.rank) throw argument_error("transpose: permutation of rank " + std::to_string(rank) + " for a tensor of rank " + std::to_string(x.rank));
  CopyPlan p;
  bool seen[MAX_RANK] = {};
  i64 xs[MAX_RANK];
  strides_of(x.shape, x.rank, xs);
  for (int d = 0; d < rank; d++) {
    if (perm[d] >= rank || seen[perm[d]]) throw argument_error("transpose: " + format_shape(perm, rank) + " is not a permutation");
    seen[perm[d]] = true;
    p.shape[d] = x.shape[perm[d]];
    p.strides[0][d] = xs[perm[d]];
  }
  p.rank = rank;
  p.size = x.size;
  collapse_loop(p.loop, p.shape, rank, 1, p.strides);
  return p;
}

CopyPlan reduced_axes_last(const TensorInfo& x, const ReducePlan& plan) {
  CopyPlan p;
  i64 xs[MAX_RANK];
  strides_of(x.shape, x.rank, xs);
  for (bool last : {false, true}) {
    for (int d = 0; d < x.rank; d++) {
      if (plan.reduced[d] != last) continue;
      p.shape[p.rank] = x.shape[d];
      p.strides[0][p.rank++] = xs[d];
    }
  }
  p.size = x.size;
  collapse_loop(p.loop, p.shape, p.rank, 1, p.strides);
  return p;
}

CopyPlan plan_broadcast_to(const TensorInfo& x, const i64* shape, int rank) {
  if (rank != x.rank) throw shape_error("broadcastTo: cannot broadcast " + format_shape(x.shape, x.rank) + " to " + format_shape(shape, rank));
  CopyPlan p;
  i64 xs[MAX_RANK];
  strides_of(x.shape, x.rank, xs);
  for (int d = 0; d < rank; d++) {
    if (x.shape[d] != shape[d] && x.shape[d] != 1) throw shape_error("broadcastTo: cannot broadcast " + format_shape(x.shape, x.rank) + " to " + format_shape(shape, rank));
    p.shape[d] = shape[d];
    p.strides[0][d] = x.shape[d] == 1 ? 0 : xs[d];
  }
  p.rank = rank;
  p.size = checked_size(shape, rank);
  collapse_loop(p.loop, p.shape, rank, 1, p.strides);
  return p;
}

CopyPlan plan_slice(const TensorInfo& x, const i64* begin, int begin_rank, const i64* size, int size_rank) {
  if (begin_rank != x.rank || size_rank != x.rank) throw argument_error("slice: begin and size must have rank " + std::to_string(x.rank));
  CopyPlan p;
  i64 xs[MAX_RANK];
  strides_of(x.shape, x.rank, xs);
  for (int d = 0; d < x.rank; d++) {
    if (begin[d] + size[d] > x.shape[d]) {
      throw argument_error("slice: begin " + format_shape(begin, begin_rank) + " size " + format_shape(size, size_rank) + " is out of bounds of " + format_shape(x.shape, x.rank));
    }
    p.offset += begin[d] * xs[d];
    p.shape[d] = size[d];
    p.strides[0][d] = xs[d];
  }
  p.rank = size_rank;
  p.size = checked_size(size, size_rank);
  collapse_loop(p.loop, p.shape, p.rank, 1, p.strides);
  return p;
}

PadPlan plan_pad(const TensorInfo& x, const i64* pads, int npads) {
  if (npads != 2 * x.rank) throw argument_error("pad: expected " + std::to_string(x.rank) + " [before, after] pairs");
  PadPlan p;
  for (int d = 0; d < x.rank; d++) p.shape[d] = x.shape[d] + pads[2 * d] + pads[2 * d + 1];
  checked_size(p.shape, x.rank);
  i64 strides[1][MAX_RANK];
  strides_of(p.shape, x.rank, strides[0]);
  for (int d = 0; d < x.rank; d++) p.offset += pads[2 * d] * strides[0][d];
  collapse_loop(p.loop, x.shape, x.rank, 1, strides);
  return p;
}

ConcatPlan plan_concat(const TensorInfo* const* ts, int n, int axis) {
  const TensorInfo& first = *ts[0];
  check_axis(axis, first.rank, "concat");
  ConcatPlan p;
  for (int d = 0; d < first.rank; d++) p.shape[d] = first.shape[d];
  p.shape[axis] = 0;
  for (int i = 0; i < n; i++) {
    const TensorInfo& t = *ts[i];
    bool ok = t.rank == first.rank && t.dtype == first.dtype;
    for (int d = 0; ok && d < first.rank; d++) ok = d == axis || t.shape[d] == first.shape[d];
    if (!ok) throw shape_error("concat: " + shape_and_dtype(t) + " does not fit " + shape_and_dtype(first) + " on axis " + std::to_string(axis));
    p.shape[axis] += t.shape[axis];  // each at most 2^50 (checked_size): the sum is checked before it can overflow
    checked_size(p.shape, first.rank);
  }
  for (int d = 0; d < axis; d++) p.outer *= p.shape[d];
  return p;
}

Loop concat_loop(i64 outer, i64 chunk, i64 row) {
  const i64 dims[2] = {outer, chunk};
  const i64 strides[1][MAX_RANK] = {{row, 1}};
  Loop loop;
  collapse_loop(loop, dims, 2, 1, strides);
  return loop;
}

AxisPlan plan_gather(const TensorInfo& x, const TensorInfo& indices, int axis) {
  check_axis(axis, x.rank, "gather");
  if (indices.dtype != I32) throw argument_error(std::string("gather: indices must be int32, got ") + DTYPE_NAMES[indices.dtype]);
  if (x.rank - 1 + indices.rank > MAX_RANK) throw unsupported("gather", x.dtype, "output rank above " + std::to_string(MAX_RANK));
  AxisPlan p;
  for (int d = 0; d < axis; d++) {
    p.shape[p.rank++] = x.shape[d];
    p.outer *= x.shape[d];
  }
  for (int d = 0; d < indices.rank; d++) p.shape[p.rank++] = indices.shape[d];
  for (int d = axis + 1; d < x.rank; d++) {
    p.shape[p.rank++] = x.shape[d];
    p.inner *= x.shape[d];
  }
  p.length = x.shape[axis];
  return p;
}

AxisPlan plan_scatter_add(const TensorInfo& u, const TensorInfo& indices, int axis, double dim_size) {
  if (u.dtype == BOOL) throw unsupported("scatterAdd", BOOL, "cast to int32 or float32 first");
  if (indices.dtype != I32) throw argument_error(std::string("scatterAdd: indices must be int32, got ") + DTYPE_NAMES[indices.dtype]);
  if (!(dim_size >= 0) || dim_size != std::floor(dim_size) || dim_size > 9.0e15) throw argument_error("scatterAdd: dimSize must be a non-negative integer");
  const i64 dim = i64(dim_size);
  const std::string misfit = "scatterAdd: updates " + format_shape(u.shape, u.rank) + " do not fit indices " + format_shape(indices.shape, indices.rank) + " at axis " + std::to_string(axis);
  if (axis < 0 || axis > u.rank - indices.rank) throw shape_error(misfit);
  for (int d = 0; d < indices.rank; d++)
    if (u.shape[axis + d] != indices.shape[d]) throw shape_error(misfit);
  AxisPlan p;
  for (int d = 0; d < axis; d++) {
    p.shape[p.rank++] = u.shape[d];
    p.outer *= u.shape[d];
  }
  p.shape[p.rank++] = dim;
  for (int d = axis + indices.rank; d < u.rank; d++) {
    p.shape[p.rank++] = u.shape[d];
    p.inner *= u.shape[d];
  }
  p.length = dim;
  checked_size(p.shape, p.rank);
  return p;
}

int reshape_dims_args(const ArgReader& a, size_t first, i64* shape) {
  const int rank = a.i32(first);
  if (rank < 0 || rank > 4) throw argument_error("reshapeN: rank " + std::to_string(rank) + " is outside 0..4");
  for (int d = 0; d < rank; d++) {
    const double v = a.f64(first + 1 + std::size_t(d));
    if (!(v >= 0) || v != double(i64(v)) || v > 9.0e15) throw shape_error("a dimension must be a non-negative integer, got " + std::to_string(v));
    shape[d] = i64(v);
  }
  return rank;
}

// ---- linear algebra, losses, optimizers, normalisation ----------------------------------------

MatmulDims check_matmul(const TensorInfo& x, const TensorInfo& y, bool ta, bool tb, const char* op) {
  if (x.rank != 3 || y.rank != 3) throw shape_error(std::string(op) + ": operands must be rank 3, got " + format_shape(x.shape, x.rank) + " and " + format_shape(y.shape, y.rank));
  if (x.dtype != y.dtype) throw argument_error(std::string(op) + ": dtypes differ (" + DTYPE_NAMES[x.dtype] + ", " + DTYPE_NAMES[y.dtype] + ")");
  if (!is_float(x.dtype)) throw unsupported(op, x.dtype, "matmul runs on float32 and float64");
  MatmulDims d;
  d.batch = x.shape[0];
  d.m = ta ? x.shape[2] : x.shape[1];
  d.k = ta ? x.shape[1] : x.shape[2];
  const i64 k2 = tb ? y.shape[2] : y.shape[1];
  d.n = tb ? y.shape[1] : y.shape[2];
  if (y.shape[0] != d.batch || d.k != k2) {
    throw shape_error(std::string(op) + ": " + format_shape(x.shape, 3) + (ta ? "^T" : "") + " x " + format_shape(y.shape, 3) + (tb ? "^T" : "") + " do not fit");
  }
  return d;
}

void check_activation(int act) {
  if (act < ACT_LINEAR || act > ACT_SILU) throw argument_error("unknown activation code " + std::to_string(act));
}

void check_matmul_bias(const TensorInfo& x, const TensorInfo& y, const TensorInfo& bias, bool ta, bool tb) {
  if (bias.dtype != x.dtype) throw argument_error("matmulBiasActivation: the bias dtype differs from the operands'");
  if (x.rank != 3 || y.rank != 3) return;  // check_matmul says what is wrong
  const i64 out_shape[3] = {x.shape[0], ta ? x.shape[2] : x.shape[1], tb ? y.shape[1] : y.shape[2]};
  bool fits = bias.rank <= 3;
  for (int d = 0; fits && d < bias.rank; d++) {
    const i64 dim = bias.shape[d], target = out_shape[3 - bias.rank + d];
    fits = dim == 1 || dim == target;
  }
  if (!fits) throw shape_error("matmulBiasActivation: bias " + format_shape(bias.shape, bias.rank) + " does not broadcast to " + format_shape(out_shape, 3));
}

void check_like(const TensorInfo& p, const TensorInfo& t, const char* op, const char* what) {
  if (t.dtype != p.dtype || t.size != p.size) throw shape_error(std::string(op) + ": " + what + " is " + shape_and_dtype(t) + ", the parameter " + shape_and_dtype(p));
}

void check_reduction(int reduction, const char* op) {
  if (reduction < 0 || reduction > 2) throw argument_error(std::string(op) + ": unknown reduction code " + std::to_string(reduction));
}

void check_softmax_cross_entropy(const TensorInfo& x, const TensorInfo& labels) {
  if (!is_float(x.dtype)) throw unsupported("softmaxCrossEntropy", x.dtype);
  if (x.rank != 2 || labels.rank != 1 || labels.shape[0] != x.shape[0]) {
    throw shape_error("softmaxCrossEntropy: logits " + format_shape(x.shape, x.rank) + " and labels " + format_shape(labels.shape, labels.rank) + " must be [rows, classes] and [rows]");
  }
  if (labels.dtype != I32) throw argument_error("softmaxCrossEntropy: labels must be int32");
}

void check_binary_cross_entropy(const TensorInfo& p, const TensorInfo& y, int reduction) {
  if (!is_float(p.dtype)) throw unsupported("binaryCrossEntropy", p.dtype);
  check_reduction(reduction, "binaryCrossEntropy");
  if (y.dtype != p.dtype || !same_shape(y, p)) {
    throw shape_error("binaryCrossEntropy: probabilities " + shape_and_dtype(p) + " and target " + shape_and_dtype(y) + " must have one shape and dtype");
  }
}

void check_bias_activation_backward(const TensorInfo& g, const TensorInfo& y, int act) {
  check_activation(act);
  if (!is_float(g.dtype)) throw unsupported("biasActivationBackward", g.dtype);
  if (g.rank != 2 || y.rank != 2 || g.shape[0] != y.shape[0] || g.shape[1] != y.shape[1] || g.dtype != y.dtype) {
    throw shape_error("biasActivationBackward: grad " + shape_and_dtype(g) + " and output " + shape_and_dtype(y) + " must be [rows, n] of one shape and dtype");
  }
}

void check_accumulate(const TensorInfo& sum, const TensorInfo& x) {
  if (!is_float(sum.dtype)) throw unsupported("accumulate", sum.dtype, "the sum must be float32 or float64");
  if (x.dtype != F32 && x.dtype != F64 && x.dtype != I32) throw unsupported("accumulate", x.dtype, "the value added must be float32, float64 or int32");
  if (!same_shape(sum, x)) throw shape_error("accumulate: the value added " + shape_and_dtype(x) + " must have the sum's shape " + shape_and_dtype(sum));
}

std::size_t check_id_tables(std::size_t n_in, std::size_t n_out, int per_in, int per_out, const char* op) {
  if (n_in % std::size_t(per_in) != 0 || n_out != n_in / std::size_t(per_in) * std::size_t(per_out)) {
    throw argument_error(std::string(op) + ": expected " + std::to_string(per_in) + " ids in and " + std::to_string(per_out) + " out per parameter");
  }
  return n_in / std::size_t(per_in);
}

std::int32_t* int32_array_arg(const ArgReader& a, size_t i, std::size_t* n) {
  napi_typedarray_type type;
  void* data = nullptr;
  napi_value buffer;
  std::size_t offset = 0;
  if (napi_get_typedarray_info(a.env, a.at(i), &type, n, &data, &buffer, &offset) != napi_ok || type != napi_int32_array) {
    throw argument_error("argument " + std::to_string(i) + " is not an Int32Array");
  }
  return static_cast<std::int32_t*>(data);
}

NormLayout norm_layout(const TensorInfo& x, const char* op) {
  if (!is_float(x.dtype)) throw unsupported(op, x.dtype);
  if (x.rank < 2 || x.rank > 4) throw shape_error(std::string(op) + ": expected [N, C], [N, C, L] or [N, C, H, W], got " + format_shape(x.shape, x.rank));
  i64 inner = 1;
  for (int d = 2; d < x.rank; d++) inner *= x.shape[d];
  return {x.shape[0], x.shape[1], inner};
}

void check_per_channel(const TensorInfo& t, const TensorInfo& x, const NormLayout& l, const char* op, const char* what) {
  if (t.dtype != x.dtype || t.rank != 1 || t.shape[0] != l.c) {
    throw shape_error(std::string(op) + ": " + what + " must be [" + std::to_string(l.c) + "] " + DTYPE_NAMES[x.dtype] + ", got " + shape_and_dtype(t));
  }
}

void check_batch_norm(const TensorInfo& x, const NormLayout& l, bool has_mean, bool has_variance, double eps) {
  if (has_mean != has_variance) throw argument_error("batchNorm: pass both mean and variance, or neither");
  if (!has_mean && l.n * l.inner < 1) throw shape_error("batchNorm: no values per channel in " + format_shape(x.shape, x.rank));
  if (!(eps >= 0)) throw argument_error("batchNorm: eps must be >= 0, got " + std::to_string(eps));
}

void check_batch_norm_grad(const TensorInfo& g, const TensorInfo& x) {
  if (g.dtype != x.dtype || !same_shape(g, x)) throw shape_error("batchNormBackward: grad " + shape_and_dtype(g) + " differs from x " + shape_and_dtype(x));
}

// ---- windows ---------------------------------------------------------------------------------

i64 window_arg(const ArgReader& a, size_t i, i64 min, const char* op, const char* what) {
  const double v = a.f64(i);
  if (!(v >= double(min)) || v != std::floor(v) || v > 1.0e6) {
    throw argument_error(std::string(op) + ": " + what + " must be an integer in [" + std::to_string(min) + ", 1e6], got " + std::to_string(v));
  }
  return i64(v);
}

namespace {
/** x float [N, C, H, W] and the kernel, stride, padding, dilation arguments from slot `first`. */
WindowShape window_args(const ArgReader& a, const TensorInfo& x, size_t first, const char* op) {
  if (!is_float(x.dtype)) throw unsupported(op, x.dtype);
  if (x.rank != 4) throw shape_error(std::string(op) + ": expected an NCHW tensor of rank 4, got " + format_shape(x.shape, x.rank));
  WindowShape g{};
  g.n = x.shape[0];
  g.c = x.shape[1];
  g.h = x.shape[2];
  g.w = x.shape[3];
  g.kh = window_arg(a, first, 1, op, "kernel height");
  g.kw = window_arg(a, first + 1, 1, op, "kernel width");
  g.sh = window_arg(a, first + 2, 1, op, "stride height");
  g.sw = window_arg(a, first + 3, 1, op, "stride width");
  g.ph = window_arg(a, first + 4, 0, op, "padding height");
  g.pw = window_arg(a, first + 5, 0, op, "padding width");
  g.dh = window_arg(a, first + 6, 1, op, "dilation height");
  g.dw = window_arg(a, first + 7, 1, op, "dilation width");
  return g;
}

/** The output size; a ShapeError when the (dilated) window does not fit the padded input. */
void fit_window(WindowShape& g, const TensorInfo& x, const char* op) {
  const i64 span_h = g.h + 2 * g.ph - g.dh * (g.kh - 1) - 1;
  const i64 span_w = g.w + 2 * g.pw - g.dw * (g.kw - 1) - 1;
  if (span_h < 0 || span_w < 0) throw shape_error(std::string(op) + ": the window does not fit input " + format_shape(x.shape, x.rank));
  g.out_h = span_h / g.sh + 1;
  g.out_w = span_w / g.sw + 1;
  // An empty input (N = 0) may have planes of any size: bound the products the kernels form.
  if (double(g.out_h) * double(g.out_w) > double(i64(1) << 50)) {
    throw shape_error(std::string(op) + ": " + std::to_string(g.out_h) + " x " + std::to_string(g.out_w) + " windows of input " + format_shape(x.shape, x.rank) +
                      " are too many (at most 2^50)");
  }
}

/** unfold's and conv2d's columns of one image, [C * kh * kw, outH * outW]: at most 2^50 elements (the kernels' products of them stay inside i64). */
void check_columns(const WindowShape& g, const TensorInfo& x, const char* op) {
  if (double(g.c) * double(g.kh) * double(g.kw) * double(g.out_h) * double(g.out_w) > double(i64(1) << 50)) {
    throw shape_error(std::string(op) + ": the columns of one image of " + format_shape(x.shape, x.rank) + " (" + std::to_string(g.c) + " x " + std::to_string(g.kh) + " x " +
                      std::to_string(g.kw) + " rows of " + std::to_string(g.out_h) + " x " + std::to_string(g.out_w) + ") are too large (at most 2^50 elements)");
  }
}
}  // namespace

WindowShape window_of(const ArgReader& a, const TensorInfo& x, size_t first, const char* op) {
  WindowShape g = window_args(a, x, first, op);
  fit_window(g, x, op);
  check_columns(g, x, op);
  return g;
}

WindowShape pool_window(const ArgReader& a, const TensorInfo& x, size_t first, const char* op) {
  WindowShape g = window_args(a, x, first, op);
  if (2 * g.ph > g.kh || 2 * g.pw > g.kw) throw argument_error(std::string(op) + ": padding must be at most half the kernel");
  fit_window(g, x, op);
  return g;
}

void check_pool_outputs(const TensorInfo& grad, const TensorInfo& y, const TensorInfo& x, const WindowShape& g) {
  const i64 expected[4] = {g.n, g.c, g.out_h, g.out_w};
  for (const TensorInfo* t : {&grad, &y}) {
    bool ok = t->dtype == x.dtype && t->rank == 4;
    for (int d = 0; ok && d < 4; d++) ok = t->shape[d] == expected[d];
    if (!ok) throw shape_error("maxPool2dBackward: grad and y must be " + format_shape(expected, 4) + " " + DTYPE_NAMES[x.dtype] + ", got " + shape_and_dtype(*t));
  }
}

ConvDims conv_dims(const ArgReader& a, const TensorInfo& x, const TensorInfo& w, size_t first, const char* op) {
  if (!is_float(x.dtype)) throw unsupported(op, x.dtype);
  if (w.dtype != x.dtype) throw argument_error(std::string(op) + ": weight dtype " + DTYPE_NAMES[w.dtype] + " differs from the input's " + DTYPE_NAMES[x.dtype]);
  if (x.rank != 4 || w.rank != 4) throw shape_error(std::string(op) + ": input " + format_shape(x.shape, x.rank) + " and weight " + format_shape(w.shape, w.rank) + " must be rank 4");
  ConvDims s{};
  s.g.n = x.shape[0];
  s.g.c = x.shape[1];
  s.g.h = x.shape[2];
  s.g.w = x.shape[3];
  s.g.sh = window_arg(a, first, 1, op, "stride height");
  s.g.sw = window_arg(a, first + 1, 1, op, "stride width");
  s.g.ph = window_arg(a, first + 2, 0, op, "padding height");
  s.g.pw = window_arg(a, first + 3, 0, op, "padding width");
  s.g.dh = window_arg(a, first + 4, 1, op, "dilation height");
  s.g.dw = window_arg(a, first + 5, 1, op, "dilation width");
  s.groups = window_arg(a, first + 6, 1, op, "groups");
  s.o = w.shape[0];
  s.cg = w.shape[1];
  s.g.kh = w.shape[2];
  s.g.kw = w.shape[3];
  if (s.g.kh < 1 || s.g.kw < 1 || s.cg * s.groups != s.g.c || s.o % s.groups != 0) {
    throw shape_error(std::string(op) + ": input " + format_shape(x.shape, 4) + " with " + std::to_string(s.groups) + " group(s) does not fit weight " + format_shape(w.shape, 4));
  }
  fit_window(s.g, x, op);
  check_columns(s.g, x, op);
  s.og = s.o / s.groups;
  s.k = s.cg * s.g.kh * s.g.kw;
  s.length = s.g.out_h * s.g.out_w;
  return s;
}

void check_conv_bias(const TensorInfo& bias, const TensorInfo& x, const ConvDims& s) {
  if (bias.dtype != x.dtype || bias.rank != 1 || bias.shape[0] != s.o) {
    throw shape_error("conv2d: bias must be [" + std::to_string(s.o) + "] " + DTYPE_NAMES[x.dtype] + ", got " + shape_and_dtype(bias));
  }
}

void check_conv_grad(const TensorInfo& grad, const TensorInfo& x, const ConvDims& s) {
  const i64 expected[4] = {s.g.n, s.o, s.g.out_h, s.g.out_w};
  bool fits = grad.dtype == x.dtype && grad.rank == 4;
  for (int d = 0; fits && d < 4; d++) fits = grad.shape[d] == expected[d];
  if (!fits) throw shape_error("conv2dBackward: grad must be " + format_shape(expected, 4) + " " + DTYPE_NAMES[x.dtype] + ", got " + shape_and_dtype(grad));
}

}  // namespace glue
}  // namespace myelin
