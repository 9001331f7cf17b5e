// The checks of each entry point that both addons make alike, before any allocation or kernel:
// op codes, dtypes, shapes against each other, window arguments, and the output shapes and
// strided views derived from them. Each throws the typed error (glue.h) naming the op, the
// argument, the value seen and what was expected. The kernels' dispatch stays in each backend.
#pragma once
#include <cstdint>

#include "glue.h"

namespace myelin {
inline namespace glue {

// ---- elementwise -----------------------------------------------------------------------------

/** core's names of the unary and binary op codes (UnaryOp, BinaryOp), for errors. */
extern const char* const UNARY_NAMES[27];
extern const char* const BINARY_NAMES[13];

/** The unary op code in argument i; an ArgumentError for an unknown one. */
int unary_op_arg(const ArgReader& a, size_t i);
/** An UnsupportedOpError where `op` does not run on x's dtype (bool; int32 but for neg, abs, sign, relu). */
void check_unary(int op, const TensorInfo& x);
/** The binary op code in argument i; an ArgumentError for an unknown one. */
int binary_op_arg(const ArgReader& a, size_t i);

/** A broadcasting op's output (dtype, shape) and its loop over up to three operands. */
struct BroadcastPlan {
  int dtype = F32;
  int rank = 0;
  i64 shape[MAX_RANK] = {};
  Loop loop;
};
/** binary(op, x, y): one dtype, bool only for comparisons, mul, maximum and minimum; shapes broadcast. */
BroadcastPlan plan_binary(int op, const TensorInfo& x, const TensorInfo& y);
/** where(condition, x, y): a bool condition, x and y of one dtype; shapes broadcast. */
BroadcastPlan plan_where(const TensorInfo& condition, const TensorInfo& x, const TensorInfo& y);

/** fromData(values, shape, dtype)'s arguments: a typed array (not BigInt) of as many values as the shape has elements. */
struct FromDataArgs {
  napi_typedarray_type type;
  std::size_t length = 0;
  void* data = nullptr;
  i64 shape[MAX_RANK] = {};
  int rank = 0;
  int dtype = F32;
  i64 size = 0;
};
FromDataArgs from_data_args(const ArgReader& a);

// ---- reductions and movement -----------------------------------------------------------------

/** The reduce op code (0 sum, 1 max) in argument i; an ArgumentError for an unknown one. */
int reduce_op_arg(const ArgReader& a, size_t i);

/** reduce(op, x, axes, keepDims): the output shape, and x's dimensions grouped into runs that are all reduced or all kept. */
struct ReducePlan {
  int rank = 0;
  i64 shape[MAX_RANK] = {};
  bool reduced[MAX_RANK] = {};
  /** Adjacent dimensions of size > 1 merged while all reduced or all kept: `groups` runs of dims[g] elements, red[g] reduced. */
  int groups = 0;
  i64 dims[MAX_RANK] = {};
  bool red[MAX_RANK] = {};
  /** Elements reduced into each output element. */
  i64 reduced_size = 1;
};
ReducePlan plan_reduce(int op, const TensorInfo& x, const i64* axes, int naxes, bool keep);

/** An op along one axis of x: the output shape without it, and x as [outer, length, inner]. */
struct AxisPlan {
  int rank = 0;
  i64 shape[MAX_RANK] = {};
  i64 outer = 1, length = 1, inner = 1;
};
AxisPlan plan_argmax(const TensorInfo& x, int axis);

/** A sort along the last axis: x as [rows, length] (a scalar is one row of one). */
struct SortPlan {
  i64 rows = 0, length = 1;
};
SortPlan plan_sort(const TensorInfo& x);

/** An output read from x through strides (a transpose, broadcast or slice): its shape, x's element offset, the one-operand loop. */
struct CopyPlan {
  int rank = 0;
  i64 shape[MAX_RANK] = {};
  i64 strides[1][MAX_RANK] = {};
  i64 offset = 0;
  i64 size = 0;
  Loop loop;
};
CopyPlan plan_transpose(const TensorInfo& x, const i64* perm, int rank);
CopyPlan plan_broadcast_to(const TensorInfo& x, const i64* shape, int rank);
CopyPlan plan_slice(const TensorInfo& x, const i64* begin, int begin_rank, const i64* size, int size_rank);
/** x with its reduced axes moved last (a copy through strides), for reductions of no simpler pattern. */
CopyPlan reduced_axes_last(const TensorInfo& x, const ReducePlan& plan);
/** Whether a slice is one contiguous run of x (a view can share x's block). */
inline bool contiguous_slice(const CopyPlan& p) { return p.size > 0 && p.loop.rank == 1 && (p.loop.strides[0][0] == 1 || p.size == 1); }

/** pad(x, pads, value): the output shape, and where x goes in it (element offset, the loop writing x's elements). */
struct PadPlan {
  i64 shape[MAX_RANK] = {};
  i64 offset = 0;
  Loop loop;
};
PadPlan plan_pad(const TensorInfo& x, const i64* pads, int npads);

/** concat(tensors, axis): the output shape, and the output as [outer, row] (row = elements per outer index). */
struct ConcatPlan {
  i64 shape[MAX_RANK] = {};
  i64 outer = 1;
};
ConcatPlan plan_concat(const TensorInfo* const* ts, int n, int axis);
/** The loop copying one concat input (`chunk` elements per outer index) into a row of `row` elements. */
Loop concat_loop(i64 outer, i64 chunk, i64 row);

/** gather(x, indices, axis): int32 indices, the output shape, x as [outer, length, inner]. Index values are the backend's to check. */
AxisPlan plan_gather(const TensorInfo& x, const TensorInfo& indices, int axis);
/** scatterAdd(updates, indices, axis, dimSize): updates fit indices at axis; the output shape, as [outer, dimSize, inner]. */
AxisPlan plan_scatter_add(const TensorInfo& updates, const TensorInfo& indices, int axis, double dim_size);

/** reshapeN(x, rank, d0, d1, d2, d3): the dimensions given as numbers (from argument first); returns the rank. */
int reshape_dims_args(const ArgReader& a, size_t first, i64* shape);

// ---- linear algebra, losses, optimizers, normalisation ----------------------------------------

/** A batched matmul's sizes: [batch, m, k] x [batch, k, n]. */
struct MatmulDims {
  i64 batch, m, n, k;
};
MatmulDims check_matmul(const TensorInfo& x, const TensorInfo& y, bool ta, bool tb, const char* op);
/** An activation code (Activation); an ArgumentError for an unknown one. */
void check_activation(int act);
/** matmulBiasActivation's bias: x's dtype, broadcasting to the product's shape (checked when x and y are rank 3). */
void check_matmul_bias(const TensorInfo& x, const TensorInfo& y, const TensorInfo& bias, bool ta, bool tb);
/** An optimizer's state `what` has the parameter's dtype and size. */
void check_like(const TensorInfo& param, const TensorInfo& t, const char* op, const char* what);
/** A loss's reduction code: 0 none, 1 sum, 2 mean. */
void check_reduction(int reduction, const char* op);
/** softmaxCrossEntropy: float logits [rows, classes], int32 labels [rows]. */
void check_softmax_cross_entropy(const TensorInfo& logits, const TensorInfo& labels);
/** binaryCrossEntropy: float probabilities and a target of one shape and dtype; a known reduction. */
void check_binary_cross_entropy(const TensorInfo& p, const TensorInfo& target, int reduction);
/** biasActivationBackward: float grad and output [rows, n] of one shape and dtype; a known activation. */
void check_bias_activation_backward(const TensorInfo& grad, const TensorInfo& y, int act);
/** accumulate: a float32 or float64 sum and an x of its shape in float32, float64 or int32. */
void check_accumulate(const TensorInfo& sum, const TensorInfo& x);

/** adamUpdateMany's and sgdUpdateMany's id tables: `per_in` ids in and `per_out` out per parameter; returns the count. */
std::size_t check_id_tables(std::size_t n_in, std::size_t n_out, int per_in, int per_out, const char* op);

/** Checks Adam's [p, g, m, v] ids of `count` parameters in the table: live, float, one dtype and size each. */
template <typename Table>
void check_adam_ids(Table& table, const std::int32_t* in, std::size_t count, const char* op) {
  for (std::size_t j = 0; j < count; j++) {
    const TensorInfo& p = table.live(in[4 * j]);
    if (!is_float(p.dtype)) throw unsupported(op, p.dtype);
    check_like(p, table.live(in[4 * j + 1]), op, "grad");
    check_like(p, table.live(in[4 * j + 2]), op, "m");
    check_like(p, table.live(in[4 * j + 3]), op, "v");
  }
}

/** Checks SGD's [p, g, buffer or -1] ids of `count` parameters (the buffer only with momentum). */
template <typename Table>
void check_sgd_ids(Table& table, const std::int32_t* in, std::size_t count, bool momentum) {
  for (std::size_t j = 0; j < count; j++) {
    const TensorInfo& p = table.live(in[3 * j]);
    if (!is_float(p.dtype)) throw unsupported("sgdUpdateMany", p.dtype);
    check_like(p, table.live(in[3 * j + 1]), "sgdUpdateMany", "grad");
    if (momentum && in[3 * j + 2] >= 0) check_like(p, table.live(in[3 * j + 2]), "sgdUpdateMany", "momentum buffer");
  }
}

/** The int32 elements of an Int32Array argument (its length in *n). */
std::int32_t* int32_array_arg(const ArgReader& a, size_t i, std::size_t* n);

/** [N, C, ...] as samples, channels and values per channel per sample. */
struct NormLayout {
  i64 n, c, inner;
};
/** x of batchNorm: float, [N, C], [N, C, L] or [N, C, H, W]. */
NormLayout norm_layout(const TensorInfo& x, const char* op);
/** An optional per-channel tensor: [C] of x's dtype. */
void check_per_channel(const TensorInfo& t, const TensorInfo& x, const NormLayout& l, const char* op, const char* what);
/** The optional per-channel tensor in argument i (a negative id: none), checked against x. */
template <typename Args>
auto per_channel_arg(const Args& a, size_t i, const TensorInfo& x, const NormLayout& l, const char* op, const char* what) -> decltype(&a.tensor(i)) {
  if (a.i32(i) < 0) return nullptr;
  auto& t = a.tensor(i);
  check_per_channel(t, x, l, op, what);
  return &t;
}
/** batchNorm's statistics: both mean and variance or neither; eps >= 0; values per channel when computing them. */
void check_batch_norm(const TensorInfo& x, const NormLayout& l, bool has_mean, bool has_variance, double eps);
/** batchNormBackward's grad has x's shape and dtype. */
void check_batch_norm_grad(const TensorInfo& grad, const TensorInfo& x);

// ---- windows ---------------------------------------------------------------------------------

/** An NCHW window: the input [n, c, h, w], kernel, stride, padding, dilation, and the output size. */
struct WindowShape {
  i64 n, c, h, w;
  i64 kh, kw, sh, sw, ph, pw, dh, dw;
  i64 out_h, out_w;
};
/** An integer argument in [min, 1e6] (products of a few stay far inside i64); an ArgumentError naming the op and `what`. */
i64 window_arg(const ArgReader& a, size_t i, i64 min, const char* op, const char* what);
/** unfold's x (float, rank 4) and its window arguments kernel, stride, padding, dilation from slot `first`. */
WindowShape window_of(const ArgReader& a, const TensorInfo& x, size_t first, const char* op);
/** maxPool2d's: as window_of, with padding at most half the kernel. */
WindowShape pool_window(const ArgReader& a, const TensorInfo& x, size_t first, const char* op);
/** maxPool2dBackward's grad and y: [N, C, outH, outW] of x's dtype. */
void check_pool_outputs(const TensorInfo& grad, const TensorInfo& y, const TensorInfo& x, const WindowShape& g);

/** A grouped convolution's sizes: x [N, C, H, W], weight [O, C/groups, kh, kw]. */
struct ConvDims {
  WindowShape g;
  i64 groups, o, og, cg, k, length;
};
/** x, weight and stride, padding, dilation, groups from slot `first` (the backend adds its size limits). */
ConvDims conv_dims(const ArgReader& a, const TensorInfo& x, const TensorInfo& w, size_t first, const char* op);
/** conv2d's bias: [O] of x's dtype. */
void check_conv_bias(const TensorInfo& bias, const TensorInfo& x, const ConvDims& s);
/** conv2dBackward's grad: [N, O, outH, outW] of x's dtype. */
void check_conv_grad(const TensorInfo& grad, const TensorInfo& x, const ConvDims& s);

}  // namespace glue
}  // namespace myelin
