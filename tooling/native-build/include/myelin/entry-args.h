// Each shared entry point's arguments, read in the order both addons read them and checked
// (op-checks.h): what an entry point gets before its backend allocates and launches. `Args` is
// the addon's glue::StateArgs (tensor(i) gives its live tensor records).
#pragma once
#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "op-checks.h"

namespace myelin {
inline namespace glue {

/** The addon's tensor record type, as Args::tensor returns it. */
template <typename Args>
using TensorOf = std::remove_reference_t<decltype(std::declval<const Args&>().tensor(0))>;

// ---- storage and elementwise -----------------------------------------------------------------

/** fill(shape, value, dtype) */
struct FillCall {
  i64 shape[MAX_RANK] = {};
  int rank = 0;
  double value = 0;
  int dtype = F32;
};
inline FillCall read_fill(const ArgReader& a) {
  FillCall c;
  c.rank = a.dims(0, c.shape, MAX_RANK);
  c.value = a.f64(1);
  c.dtype = check_dtype(a.i32(2));
  checked_size(c.shape, c.rank);
  return c;
}

/** unary(op, x) */
template <typename Tensor>
struct UnaryCall {
  int op;
  const Tensor& x;
};
template <typename Args>
UnaryCall<TensorOf<Args>> read_unary(const Args& a) {
  const int op = unary_op_arg(a, 0);
  const auto& x = a.tensor(1);
  check_unary(op, x);
  return {op, x};
}

/** cast(x, dtype) */
template <typename Tensor>
struct CastCall {
  const Tensor& x;
  int to;
};
template <typename Args>
CastCall<TensorOf<Args>> read_cast(const Args& a) {
  const auto& x = a.tensor(0);
  return {x, check_dtype(a.i32(1))};
}

/** binary(op, x, y) and where(condition, x, y): operands and the broadcast output. */
template <typename Tensor>
struct BroadcastCall {
  int op;  // -1 for where
  const Tensor& condition;  // where only (x otherwise)
  const Tensor& x;
  const Tensor& y;
  BroadcastPlan plan;
};
template <typename Args>
BroadcastCall<TensorOf<Args>> read_binary(const Args& a) {
  const int op = binary_op_arg(a, 0);
  const auto& x = a.tensor(1);
  const auto& y = a.tensor(2);
  return {op, x, x, y, plan_binary(op, x, y)};
}
template <typename Args>
BroadcastCall<TensorOf<Args>> read_where(const Args& a) {
  const auto& condition = a.tensor(0);
  const auto& x = a.tensor(1);
  const auto& y = a.tensor(2);
  return {-1, condition, x, y, plan_where(condition, x, y)};
}

// ---- reductions and movement -----------------------------------------------------------------

/** reduce(op, x, axes, keepDims) */
template <typename Tensor>
struct ReduceCall {
  int op;
  const Tensor& x;
  int naxes;
  ReducePlan plan;
};
template <typename Args>
ReduceCall<TensorOf<Args>> read_reduce(const Args& a) {
  const int op = reduce_op_arg(a, 0);
  const auto& x = a.tensor(1);
  i64 axes[MAX_RANK];
  const int naxes = a.dims(2, axes, MAX_RANK);
  return {op, x, naxes, plan_reduce(op, x, axes, naxes, a.boolean(3))};
}

/** argmax(x, axis), gather(x, indices, axis), scatterAdd(updates, indices, axis, dimSize): x (or the updates) as [outer, length, inner]. */
template <typename Tensor>
struct AxisCall {
  const Tensor& x;
  const Tensor* indices;  // gather and scatterAdd
  AxisPlan plan;
};
template <typename Args>
AxisCall<TensorOf<Args>> read_argmax(const Args& a) {
  const auto& x = a.tensor(0);
  return {x, nullptr, plan_argmax(x, a.i32(1))};
}
template <typename Args>
AxisCall<TensorOf<Args>> read_gather(const Args& a) {
  const auto& x = a.tensor(0);
  const auto& indices = a.tensor(1);
  return {x, &indices, plan_gather(x, indices, a.i32(2))};
}
template <typename Args>
AxisCall<TensorOf<Args>> read_scatter_add(const Args& a) {
  const auto& updates = a.tensor(0);
  const auto& indices = a.tensor(1);
  const int axis = a.i32(2);
  return {updates, &indices, plan_scatter_add(updates, indices, axis, a.f64(3))};
}

/** sort(x, descending): x as [rows, length] over its last axis. */
template <typename Tensor>
struct SortCall {
  const Tensor& x;
  bool descending;
  SortPlan plan;
};
template <typename Args>
SortCall<TensorOf<Args>> read_sort(const Args& a) {
  const auto& x = a.tensor(0);
  return {x, a.boolean(1), plan_sort(x)};
}

/** reshape(x, shape) and reshapeN(x, rank, d0, d1, d2, d3): x and the view's shape (its size is new_view's to check). */
template <typename Tensor>
struct ReshapeCall {
  const Tensor& x;
  i64 shape[MAX_RANK];
  int rank;
};
template <typename Args>
ReshapeCall<TensorOf<Args>> read_reshape(const Args& a) {
  ReshapeCall<TensorOf<Args>> c{a.tensor(0), {}, 0};
  c.rank = a.dims(1, c.shape, MAX_RANK);
  return c;
}
template <typename Args>
ReshapeCall<TensorOf<Args>> read_reshape_dims(const Args& a) {
  ReshapeCall<TensorOf<Args>> c{a.tensor(0), {}, 0};
  c.rank = reshape_dims_args(a, 1, c.shape);
  return c;
}

/** transpose(x, perm), broadcastTo(x, shape), slice(x, begin, size): x and the strided view to copy out. */
template <typename Tensor>
struct CopyCall {
  const Tensor& x;
  CopyPlan plan;
};
/** x and a dimension list (argument 1), planned by `plan` (plan_transpose, plan_broadcast_to). */
template <typename Args>
CopyCall<TensorOf<Args>> read_copy(const Args& a, CopyPlan (*plan)(const TensorInfo&, const i64*, int)) {
  const auto& x = a.tensor(0);
  i64 dims[MAX_RANK];
  const int rank = a.dims(1, dims, MAX_RANK);
  return {x, plan(x, dims, rank)};
}
template <typename Args>
CopyCall<TensorOf<Args>> read_transpose(const Args& a) {
  return read_copy(a, plan_transpose);
}
template <typename Args>
CopyCall<TensorOf<Args>> read_broadcast_to(const Args& a) {
  return read_copy(a, plan_broadcast_to);
}
template <typename Args>
CopyCall<TensorOf<Args>> read_slice(const Args& a) {
  const auto& x = a.tensor(0);
  i64 begin[MAX_RANK], size[MAX_RANK];
  const int begin_rank = a.dims(1, begin, MAX_RANK);
  const int size_rank = a.dims(2, size, MAX_RANK);
  return {x, plan_slice(x, begin, begin_rank, size, size_rank)};
}

/** pad(x, pads, value) */
template <typename Tensor>
struct PadCall {
  const Tensor& x;
  double value;
  PadPlan plan;
};
template <typename Args>
PadCall<TensorOf<Args>> read_pad(const Args& a) {
  const auto& x = a.tensor(0);
  i64 pads[2 * MAX_RANK];
  const int npads = a.dims(1, pads, 2 * MAX_RANK);
  const double value = a.f64(2);
  return {x, value, plan_pad(x, pads, npads)};
}

/** concat(tensors, axis) */
template <typename Tensor>
struct ConcatCall {
  std::vector<const Tensor*> inputs;
  ConcatPlan plan;
};
template <typename Args>
ConcatCall<TensorOf<Args>> read_concat(const Args& a) {
  auto inputs = a.tensor_list(0, "concat");
  const int axis = a.i32(1);
  const std::vector<const TensorInfo*> infos(inputs.begin(), inputs.end());
  const ConcatPlan plan = plan_concat(infos.data(), int(infos.size()), axis);
  return {std::move(inputs), plan};
}

// ---- linear algebra, losses, optimizers, normalisation ----------------------------------------

/** matmulBiasActivation(x, y, bias | -1, act, transposeX, transposeY): the bias checked before the product is made. */
template <typename Tensor>
struct MatmulBiasCall {
  const Tensor& x;
  const Tensor& y;
  const Tensor* bias;
  int act;
  bool ta, tb;
};
template <typename Args>
MatmulBiasCall<TensorOf<Args>> read_matmul_bias_activation(const Args& a) {
  const auto& x = a.tensor(0);
  const auto& y = a.tensor(1);
  const int bias_id = a.i32(2);
  const int act = a.i32(3);
  const bool ta = a.boolean(4), tb = a.boolean(5);
  check_activation(act);
  const auto* bias = bias_id >= 0 ? &a.tensor(2) : nullptr;
  if (bias != nullptr) check_matmul_bias(x, y, *bias, ta, tb);
  return {x, y, bias, act, ta, tb};
}

/** binaryCrossEntropy(p, target, withGrad, reduction) and biasActivationBackward(grad, y, act): two operands and two settings. */
template <typename Tensor>
struct PairCall {
  const Tensor& a;
  const Tensor& b;
  bool with_grad;
  int code;  // the reduction, or the activation
};
template <typename Args>
PairCall<TensorOf<Args>> read_binary_cross_entropy(const Args& a) {
  const auto& p = a.tensor(0);
  const auto& target = a.tensor(1);
  const bool with_grad = a.boolean(2);
  const int reduction = a.i32(3);
  check_binary_cross_entropy(p, target, reduction);
  return {p, target, with_grad, reduction};
}
template <typename Args>
PairCall<TensorOf<Args>> read_bias_activation_backward(const Args& a) {
  const auto& grad = a.tensor(0);
  const auto& y = a.tensor(1);
  const int act = a.i32(2);
  check_bias_activation_backward(grad, y, act);
  return {grad, y, true, act};
}

/** accumulate(sum, x, scale): sum + cast(x) * scale */
template <typename Tensor>
struct AccumulateCall {
  const Tensor& sum;
  const Tensor& x;
  double scale;
};
template <typename Args>
AccumulateCall<TensorOf<Args>> read_accumulate(const Args& a) {
  const auto& sum = a.tensor(0);
  const auto& x = a.tensor(1);
  check_accumulate(sum, x);
  return {sum, x, a.f64(2)};
}

/**
 * adamUpdateMany's and sgdUpdateMany's Int32Array id tables and their parameter count: the ids in,
 * copied (the out array may overlap them, or a SharedArrayBuffer change them, after they are
 * checked), and the out array the new ids are written to.
 */
struct IdTables {
  std::vector<std::int32_t> in;
  std::int32_t* out;
  std::size_t count;
};
inline IdTables read_id_tables(const ArgReader& a, int per_in, int per_out, const char* op) {
  std::size_t n_in = 0, n_out = 0;
  const std::int32_t* in = int32_array_arg(a, 0, &n_in);
  std::int32_t* out = int32_array_arg(a, 1, &n_out);
  const std::size_t count = check_id_tables(n_in, n_out, per_in, per_out, op);
  return {std::vector<std::int32_t>(in, in + n_in), out, count};
}

/** batchNorm(x, weight | -1, bias | -1, mean | -1, variance | -1, eps) */
template <typename Tensor>
struct BatchNormCall {
  const Tensor& x;
  NormLayout layout;
  const Tensor* weight;
  const Tensor* bias;
  const Tensor* mean;
  const Tensor* variance;
  double eps;
};
template <typename Args>
BatchNormCall<TensorOf<Args>> read_batch_norm(const Args& a) {
  const auto& x = a.tensor(0);
  const NormLayout l = norm_layout(x, "batchNorm");
  const auto* weight = per_channel_arg(a, 1, x, l, "batchNorm", "weight");
  const auto* bias = per_channel_arg(a, 2, x, l, "batchNorm", "bias");
  const auto* mean = per_channel_arg(a, 3, x, l, "batchNorm", "mean");
  const auto* variance = per_channel_arg(a, 4, x, l, "batchNorm", "variance");
  const double eps = a.f64(5);
  check_batch_norm(x, l, mean != nullptr, variance != nullptr, eps);
  return {x, l, weight, bias, mean, variance, eps};
}

/** batchNormBackward(grad, x, weight | -1, mean, invStd, training, needInput, needWeight, needBias) */
template <typename Tensor>
struct BatchNormBackwardCall {
  const Tensor& grad;
  const Tensor& x;
  NormLayout layout;
  const Tensor* weight;
  const Tensor& mean;
  const Tensor& inv_std;
  bool training;
  bool need[3];
};
template <typename Args>
BatchNormBackwardCall<TensorOf<Args>> read_batch_norm_backward(const Args& a) {
  const auto& grad = a.tensor(0);
  const auto& x = a.tensor(1);
  const NormLayout l = norm_layout(x, "batchNormBackward");
  check_batch_norm_grad(grad, x);
  const auto* weight = per_channel_arg(a, 2, x, l, "batchNormBackward", "weight");
  const auto* mean = per_channel_arg(a, 3, x, l, "batchNormBackward", "mean");
  const auto* inv_std = per_channel_arg(a, 4, x, l, "batchNormBackward", "invStd");
  if (mean == nullptr || inv_std == nullptr) throw argument_error("batchNormBackward: mean and invStd are required");
  return {grad, x, l, weight, *mean, *inv_std, a.boolean(5), {a.boolean(6), a.boolean(7), a.boolean(8)}};
}

// ---- rows: the fused kernels over the last axis (softmax, layerNorm and their backward) --------

/** A float tensor's rows and row length (its last axis). */
struct RowLayout {
  i64 rows, n;
};

template <typename Tensor>
std::string describe_rows_arg(const Tensor& t) {
  return format_shape(t.shape, t.rank) + " " + DTYPE_NAMES[t.dtype];
}

/** x must be a float tensor of rank >= 1. */
template <typename Tensor>
RowLayout row_layout(const Tensor& x, const char* op, const char* what) {
  if (!is_float(x.dtype)) throw unsupported(op, x.dtype);
  if (x.rank < 1) throw shape_error(std::string(op) + ": " + what + " must have at least one axis, got " + describe_rows_arg(x));
  i64 rows = 1;
  for (int d = 0; d + 1 < x.rank; d++) rows *= x.shape[d];
  return {rows, x.shape[x.rank - 1]};
}

/** t must have x's dtype and shape. */
template <typename Tensor>
void check_same_rows(const Tensor& t, const Tensor& x, const char* op, const char* what, const char* other) {
  bool same = t.dtype == x.dtype && t.rank == x.rank;
  for (int d = 0; same && d < x.rank; d++) same = t.shape[d] == x.shape[d];
  if (!same) throw shape_error(std::string(op) + ": " + what + " " + describe_rows_arg(t) + " differs from " + other + " " + describe_rows_arg(x));
}

/** The optional [length] vector of x's dtype in argument i (a negative id: none). */
template <typename Args>
const TensorOf<Args>* row_vector_arg(const Args& a, size_t i, const TensorOf<Args>& x, i64 length, bool optional, const char* op, const char* what) {
  if (optional && a.i32(i) < 0) return nullptr;
  const auto& t = a.tensor(i);
  if (t.dtype != x.dtype || t.rank != 1 || t.shape[0] != length)
    throw shape_error(std::string(op) + ": " + what + " must be [" + std::to_string(length) + "] " + DTYPE_NAMES[x.dtype] + ", got " + describe_rows_arg(t));
  return &t;
}

/** softmax(x) */
template <typename Tensor>
struct SoftmaxCall {
  const Tensor& x;
  RowLayout layout;
};
template <typename Args>
SoftmaxCall<TensorOf<Args>> read_softmax(const Args& a) {
  const auto& x = a.tensor(0);
  return {x, row_layout(x, "softmax", "x")};
}

/** softmaxBackward(grad, y) */
template <typename Tensor>
struct SoftmaxBackwardCall {
  const Tensor& grad;
  const Tensor& y;
  RowLayout layout;
};
template <typename Args>
SoftmaxBackwardCall<TensorOf<Args>> read_softmax_backward(const Args& a) {
  const auto& g = a.tensor(0);
  const auto& y = a.tensor(1);
  const RowLayout r = row_layout(y, "softmaxBackward", "y");
  check_same_rows(g, y, "softmaxBackward", "grad", "y");
  return {g, y, r};
}

/** layerNorm(x, weight | -1, bias | -1, eps) */
template <typename Tensor>
struct LayerNormCall {
  const Tensor& x;
  RowLayout layout;
  const Tensor* weight;
  const Tensor* bias;
  double eps;
};
template <typename Args>
LayerNormCall<TensorOf<Args>> read_layer_norm(const Args& a) {
  const auto& x = a.tensor(0);
  const RowLayout r = row_layout(x, "layerNorm", "x");
  const auto* weight = row_vector_arg(a, 1, x, r.n, true, "layerNorm", "weight");
  const auto* bias = row_vector_arg(a, 2, x, r.n, true, "layerNorm", "bias");
  const double eps = a.f64(3);
  if (!(eps >= 0) || eps == INFINITY) throw argument_error("layerNorm: eps must be finite and >= 0, got " + std::to_string(eps));
  return {x, r, weight, bias, eps};
}

/** layerNormBackward(grad, x, weight | -1, mean, invStd, needInput, needWeight, needBias) */
template <typename Tensor>
struct LayerNormBackwardCall {
  const Tensor& grad;
  const Tensor& x;
  RowLayout layout;
  const Tensor* weight;
  const Tensor& mean;
  const Tensor& inv_std;
  bool need[3];
};
template <typename Args>
LayerNormBackwardCall<TensorOf<Args>> read_layer_norm_backward(const Args& a) {
  const auto& g = a.tensor(0);
  const auto& x = a.tensor(1);
  const RowLayout r = row_layout(x, "layerNormBackward", "x");
  check_same_rows(g, x, "layerNormBackward", "grad", "x");
  const auto* weight = row_vector_arg(a, 2, x, r.n, true, "layerNormBackward", "weight");
  const auto* mean = row_vector_arg(a, 3, x, r.rows, false, "layerNormBackward", "mean");
  const auto* inv_std = row_vector_arg(a, 4, x, r.rows, false, "layerNormBackward", "invStd");
  return {g, x, r, weight, *mean, *inv_std, {a.boolean(5), a.boolean(6), a.boolean(7)}};
}

}  // namespace glue
}  // namespace myelin
