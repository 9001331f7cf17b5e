// What the native addons' glue and kernels (backend-cpu's g++ code, backend-cuda's .cc and .cu
// code) agree on: dtype and op codes (core's NATIVE_CODES), the rank limit, and the collapsed
// strided loop that describes a broadcasting or strided access. Host and device code alike.
#pragma once
#include <cstddef>
#include <cstdint>

#ifdef __CUDACC__
#define MYELIN_HD __host__ __device__
#else
#define MYELIN_HD
#endif

namespace myelin {

using i64 = std::int64_t;

enum DType : int { F32 = 0, F64 = 1, I32 = 2, BOOL = 3 };

MYELIN_HD inline std::size_t dtype_size(int dtype) { return dtype == F64 ? 8 : dtype == BOOL ? 1 : 4; }
MYELIN_HD inline bool is_float(int dtype) { return dtype == F32 || dtype == F64; }

enum UnaryOp : int {
  U_NEG, U_EXP, U_LOG, U_SQRT, U_ABS, U_SIGN, U_SIGMOID, U_TANH, U_RELU, U_ERF,
  U_SIN, U_COS, U_TAN, U_ASIN, U_ACOS, U_ATAN, U_SINH, U_COSH, U_ASINH, U_ACOSH, U_ATANH,
  U_LOG1P, U_EXPM1, U_FLOOR, U_CEIL, U_ROUND, U_TRUNC
};
enum BinaryOp : int { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE };
MYELIN_HD inline bool is_comparison(int op) { return op >= B_EQ; }
// Positions in core's NATIVE_CODES.activation. gelu, gelu_tanh and silu: backend-cpu only (backend-cuda refuses them).
enum Activation : int { ACT_LINEAR = 0, ACT_RELU = 1, ACT_SIGMOID = 2, ACT_TANH = 3, ACT_GELU = 4, ACT_GELU_TANH = 5, ACT_SILU = 6 };

/** The largest rank of a tensor (the handle tables' limit). */
constexpr int MAX_RANK = 16;
constexpr int MAX_OPERANDS = 3;

/**
 * A loop over an output of `size()` elements in row-major order, with each operand's element
 * strides per dimension (0 on a broadcast dimension). Adjacent dimensions are merged wherever
 * every operand is contiguous across them, so equal shapes become one flat dimension and a bias
 * add becomes rows of a flat loop. Kernels take it by value (CUDA: kernel parameter space).
 */
struct Loop {
  int rank = 1;  // >= 1 after collapsing
  int operands = 0;
  /** Fewer than 2^31 elements: GPU kernels decompose indices in 32 bits (64-bit division is slow there). */
  bool narrow = true;
  i64 shape[MAX_RANK] = {1};
  i64 strides[MAX_OPERANDS][MAX_RANK] = {};
  MYELIN_HD i64 size() const {
    i64 s = 1;
    for (int i = 0; i < rank; i++) s *= shape[i];
    return s;
  }
  /** Whether every operand walks the output contiguously (stride 1 on one flat dimension). */
  MYELIN_HD bool flat() const {
    if (rank != 1) return false;
    for (int k = 0; k < operands; k++)
      if (strides[k][0] != 1) return false;
    return true;
  }
};

/**
 * Builds the loop of an output `out_shape` whose operands have explicit `in_strides` (in
 * elements, per output dimension; 0 where broadcast). Dimensions of size 1 are dropped.
 * The caller checked out_rank <= MAX_RANK.
 */
inline void collapse_loop(Loop& loop, const i64* out_shape, int out_rank, int operands, const i64 (*in_strides)[MAX_RANK]) {
  loop.operands = operands;
  int r = 0;
  for (int d = 0; d < out_rank; d++) {
    if (out_shape[d] == 1) continue;
    if (r > 0) {
      bool merge = true;
      for (int k = 0; k < operands; k++)
        if (loop.strides[k][r - 1] != in_strides[k][d] * out_shape[d]) merge = false;
      if (merge) {
        loop.shape[r - 1] *= out_shape[d];
        for (int k = 0; k < operands; k++) loop.strides[k][r - 1] = in_strides[k][d];
        continue;
      }
    }
    loop.shape[r] = out_shape[d];
    for (int k = 0; k < operands; k++) loop.strides[k][r] = in_strides[k][d];
    r++;
  }
  if (r == 0) {
    loop.shape[0] = 1;
    for (int k = 0; k < operands; k++) loop.strides[k][0] = 0;
    r = 1;
  }
  loop.rank = r;
  loop.narrow = loop.size() < (i64(1) << 31);
}

/**
 * The loop of a broadcasting op: operands of `in_shapes` right-aligned against `out_shape`
 * (each dimension equal or 1: the caller checked), contiguous row-major storage.
 */
inline void broadcast_loop(Loop& loop, const i64* out_shape, int out_rank, int operands, const i64* const* in_shapes, const int* in_ranks) {
  i64 strides[MAX_OPERANDS][MAX_RANK];
  for (int k = 0; k < operands; k++) {
    i64 stride = 1;
    for (int d = out_rank - 1; d >= 0; d--) {
      const int id = d - (out_rank - in_ranks[k]);
      const i64 dim = id >= 0 ? in_shapes[k][id] : 1;
      strides[k][d] = dim == 1 ? 0 : stride;
      stride *= dim;
    }
  }
  collapse_loop(loop, out_shape, out_rank, operands, strides);
}

}  // namespace myelin
