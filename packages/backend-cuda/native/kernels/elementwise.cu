// Elementwise kernels: fill, unary, cast, broadcasting binary and where, the strided copy that
// transpose / broadcastTo / slice / pad / concat share, and the bias + activation epilogue.
// Compiled with --fmad=false: a*b+c stays two roundings, as in backend-cpu and cpu-reference.
#include "device.cuh"
#include "kernels.h"

namespace mc {
namespace {

using u8 = std::uint8_t;
using i32 = std::int32_t;
using u32 = std::uint32_t;

template <typename E>
__global__ void fill_kernel(E* dst, E value, i64 n) {
  MC_GRID_LOOP(i, n) dst[i] = value;
}

template <typename T>
__device__ inline T unary_float(int op, T v) {
  switch (op) {
    case U_NEG: return -v;
    case U_EXP: return exp(v);
    case U_LOG: return log(v);
    case U_SQRT: return sqrt(v);
    case U_ABS: return fabs(v);
    case U_SIGN: return v == v ? T((v > T(0)) - (v < T(0))) : v;
    case U_SIGMOID: return sigmoid_of(v);
    case U_TANH: return tanh(v);
    case U_ERF: return erf(v);  // CUDA's erff (2 ulp) / erf (2 ulp)
    // CUDA's asinf / asin etc. (within 1 to 4 ulp; sin, cos and tan run in trig.cu); rint rounds
    // ties to even, as torch.round
    case U_ASIN: return asin(v);
    case U_ACOS: return acos(v);
    case U_ATAN: return atan(v);
    case U_SINH: return sinh(v);
    case U_COSH: return cosh(v);
    case U_ASINH: return asinh(v);
    case U_ACOSH: return acosh(v);
    case U_ATANH: return atanh(v);
    case U_LOG1P: return log1p(v);
    case U_EXPM1: return expm1(v);
    case U_FLOOR: return floor(v);
    case U_CEIL: return ceil(v);
    case U_ROUND: return rint(v);
    case U_TRUNC: return trunc(v);
    default: return (v > T(0) || v != v) ? v : T(0);  // relu: NaN stays NaN, -0 gives 0
  }
}

__device__ inline i32 unary_int(int op, i32 v) {
  switch (op) {
    case U_NEG: return i32(u32(0) - u32(v));
    case U_ABS: return v < 0 ? i32(u32(0) - u32(v)) : v;
    case U_SIGN: return (v > 0) - (v < 0);
    default: return v > 0 ? v : 0;  // relu
  }
}

template <typename T>
__global__ void unary_kernel(int op, const T* __restrict__ x, T* __restrict__ y, i64 n) {
  MC_GRID_LOOP(i, n) y[i] = unary_float(op, x[i]);
}

__global__ void unary_int_kernel(int op, const i32* __restrict__ x, i32* __restrict__ y, i64 n) {
  MC_GRID_LOOP(i, n) y[i] = unary_int(op, x[i]);
}

template <typename From, typename To>
__device__ inline To convert(From v) {
  if constexpr (std::is_same<To, u8>::value) {
    return v != From(0) ? 1 : 0;
  } else if constexpr (std::is_same<To, i32>::value && std::is_floating_point<From>::value) {
    return (v > From(-2147483649.0) && v < From(2147483648.0)) ? i32(v) : to_int32(double(v));
  } else {
    return To(v);
  }
}

template <typename From, typename To>
__global__ void cast_kernel(const From* __restrict__ x, To* __restrict__ y, i64 n) {
  MC_GRID_LOOP(i, n) y[i] = convert<From, To>(x[i]);
}

template <typename From>
void cast_from(cudaStream_t s, int to, const From* x, void* y, i64 n) {
  const unsigned blocks = blocks_for(n);
  switch (to) {
    case F32: cast_kernel<From, float><<<blocks, THREADS, 0, s>>>(x, static_cast<float*>(y), n); break;
    case F64: cast_kernel<From, double><<<blocks, THREADS, 0, s>>>(x, static_cast<double*>(y), n); break;
    case I32: cast_kernel<From, i32><<<blocks, THREADS, 0, s>>>(x, static_cast<i32*>(y), n); break;
    default: cast_kernel<From, u8><<<blocks, THREADS, 0, s>>>(x, static_cast<u8*>(y), n); break;
  }
}

/** A running sum's step: x cast to the sum's type, times scale (rounded: --fmad=false), plus the sum. */
template <typename T, typename X>
__global__ void accumulate_kernel(const T* __restrict__ sum, const X* __restrict__ x, T* __restrict__ out, T scale, i64 n) {
  MC_GRID_LOOP(i, n) out[i] = sum[i] + T(x[i]) * scale;
}

template <typename T>
void accumulate_into(cudaStream_t s, int x_dtype, const T* sum, const void* x, T* out, T scale, i64 n) {
  const unsigned blocks = blocks_for(n);
  switch (x_dtype) {
    case F32: accumulate_kernel<T, float><<<blocks, THREADS, 0, s>>>(sum, static_cast<const float*>(x), out, scale, n); break;
    case F64: accumulate_kernel<T, double><<<blocks, THREADS, 0, s>>>(sum, static_cast<const double*>(x), out, scale, n); break;
    default: accumulate_kernel<T, i32><<<blocks, THREADS, 0, s>>>(sum, static_cast<const i32*>(x), out, scale, n); break;
  }
}

/** An arithmetic op on T (the result is T); int32 wraps, bool mul is AND. */
template <typename T>
__device__ inline T arithmetic(int op, T x, T y) {
  if constexpr (std::is_same<T, i32>::value) {
    switch (op) {
      case B_ADD: return i32(u32(x) + u32(y));
      case B_SUB: return i32(u32(x) - u32(y));
      case B_MUL: return i32(u32(x) * u32(y));
      case B_DIV: return to_int32(double(x) / double(y));
      case B_POW: return to_int32(pow(double(x), double(y)));
      case B_MAX: return x > y ? x : y;
      default: return x < y ? x : y;
    }
  } else if constexpr (std::is_same<T, u8>::value) {
    switch (op) {
      case B_MUL: return T(x & y);
      case B_MAX: return x > y ? x : y;
      case B_MIN: return x < y ? x : y;
      case B_ADD: return T((x + y) != 0);
      case B_SUB: return T((x - y) != 0);
      default: return T(0);  // refused by the glue
    }
  } else {
    switch (op) {
      case B_ADD: return x + y;
      case B_SUB: return x - y;
      case B_MUL: return x * y;
      case B_DIV: return x / y;
      case B_POW: return T(pow(double(x), double(y)));
      case B_MAX: return (x > y || x != x) ? x : y;
      default: return (x < y || x != x) ? x : y;
    }
  }
}

template <typename T>
__device__ inline u8 compare(int op, T x, T y) {
  switch (op) {
    case B_EQ: return x == y;
    case B_NE: return x != y;
    case B_LT: return x < y;
    case B_LE: return x <= y;
    case B_GT: return x > y;
    default: return x >= y;
  }
}

template <typename T>
__global__ void arithmetic_flat(int op, const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ o, i64 n) {
  MC_GRID_LOOP(i, n) o[i] = arithmetic(op, a[i], b[i]);
}

template <typename T>
__global__ void arithmetic_loop(int op, Loop L, const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ o, i64 n) {
  MC_GRID_LOOP(i, n) {
    i64 off[MAX_OPERANDS];
    loop_offsets(L, i, off);
    o[i] = arithmetic(op, a[off[0]], b[off[1]]);
  }
}

template <typename T>
__global__ void compare_loop(int op, Loop L, const T* __restrict__ a, const T* __restrict__ b, u8* __restrict__ o, i64 n) {
  MC_GRID_LOOP(i, n) {
    i64 off[MAX_OPERANDS];
    loop_offsets(L, i, off);
    o[i] = compare(op, a[off[0]], b[off[1]]);
  }
}

template <typename T>
void binary_typed(cudaStream_t s, int op, const Loop& L, const void* a, const void* b, void* o) {
  const i64 n = L.size();
  const unsigned blocks = blocks_for(n);
  const T* pa = static_cast<const T*>(a);
  const T* pb = static_cast<const T*>(b);
  if (is_comparison(op)) {
    compare_loop<T><<<blocks, THREADS, 0, s>>>(op, L, pa, pb, static_cast<u8*>(o), n);
  } else if (L.flat()) {
    arithmetic_flat<T><<<blocks, THREADS, 0, s>>>(op, pa, pb, static_cast<T*>(o), n);
  } else {
    arithmetic_loop<T><<<blocks, THREADS, 0, s>>>(op, L, pa, pb, static_cast<T*>(o), n);
  }
}

template <typename E>
__global__ void where_kernel(Loop L, const u8* __restrict__ c, const E* __restrict__ a, const E* __restrict__ b, E* __restrict__ o, i64 n) {
  MC_GRID_LOOP(i, n) {
    i64 off[MAX_OPERANDS];
    loop_offsets(L, i, off);
    o[i] = c[off[0]] ? a[off[1]] : b[off[2]];
  }
}

template <typename E>
__global__ void strided_copy_kernel(Loop L, const E* __restrict__ src, E* __restrict__ dst, bool gather, i64 n) {
  MC_GRID_LOOP(i, n) {
    i64 off[MAX_OPERANDS];
    loop_offsets(L, i, off);
    if (gather) dst[i] = src[off[0]];
    else dst[off[0]] = src[i];
  }
}

template <typename T>
__global__ void bias_activation_kernel(int act, Loop L, T* __restrict__ y, const T* __restrict__ bias, i64 n) {
  MC_GRID_LOOP(i, n) {
    T v = y[i];
    if (bias != nullptr) {
      i64 off[MAX_OPERANDS];
      loop_offsets(L, i, off);
      v = v + bias[off[1]];
    }
    y[i] = activate(act, v);
  }
}

}  // namespace

void launch_fill(cudaStream_t s, void* dst, int elem, std::uint64_t pattern, i64 n) {
  if (n <= 0) return;
  const unsigned blocks = blocks_for(n);
  switch (elem) {
    case 1: fill_kernel<u8><<<blocks, THREADS, 0, s>>>(static_cast<u8*>(dst), u8(pattern), n); break;
    case 4: fill_kernel<u32><<<blocks, THREADS, 0, s>>>(static_cast<u32*>(dst), u32(pattern), n); break;
    default: fill_kernel<std::uint64_t><<<blocks, THREADS, 0, s>>>(static_cast<std::uint64_t*>(dst), pattern, n); break;
  }
}

void launch_unary(cudaStream_t s, int op, int dtype, const void* x, void* y, i64 n) {
  if (n <= 0) return;
  if (op == U_SIN || op == U_COS || op == U_TAN) return launch_trig(s, op, dtype, x, y, n);
  const unsigned blocks = blocks_for(n);
  switch (dtype) {
    case F32: unary_kernel<float><<<blocks, THREADS, 0, s>>>(op, static_cast<const float*>(x), static_cast<float*>(y), n); break;
    case F64: unary_kernel<double><<<blocks, THREADS, 0, s>>>(op, static_cast<const double*>(x), static_cast<double*>(y), n); break;
    default: unary_int_kernel<<<blocks, THREADS, 0, s>>>(op, static_cast<const i32*>(x), static_cast<i32*>(y), n); break;
  }
}

void launch_cast(cudaStream_t s, int from, int to, const void* x, void* y, i64 n) {
  if (n <= 0) return;
  switch (from) {
    case F32: cast_from(s, to, static_cast<const float*>(x), y, n); break;
    case F64: cast_from(s, to, static_cast<const double*>(x), y, n); break;
    case I32: cast_from(s, to, static_cast<const i32*>(x), y, n); break;
    default: cast_from(s, to, static_cast<const u8*>(x), y, n); break;
  }
}

void launch_accumulate(cudaStream_t s, int sum_dtype, int x_dtype, const void* sum, const void* x, void* out, double scale, i64 n) {
  if (n <= 0) return;
  if (sum_dtype == F32) accumulate_into(s, x_dtype, static_cast<const float*>(sum), x, static_cast<float*>(out), float(scale), n);
  else accumulate_into(s, x_dtype, static_cast<const double*>(sum), x, static_cast<double*>(out), scale, n);
}

void launch_binary(cudaStream_t s, int op, int dtype, const Loop& loop, const void* a, const void* b, void* out) {
  if (loop.size() <= 0) return;
  switch (dtype) {
    case F32: binary_typed<float>(s, op, loop, a, b, out); break;
    case F64: binary_typed<double>(s, op, loop, a, b, out); break;
    case I32: binary_typed<i32>(s, op, loop, a, b, out); break;
    default: binary_typed<u8>(s, op, loop, a, b, out); break;
  }
}

void launch_where(cudaStream_t s, int elem, const Loop& loop, const void* c, const void* a, const void* b, void* out) {
  const i64 n = loop.size();
  if (n <= 0) return;
  const unsigned blocks = blocks_for(n);
  const u8* pc = static_cast<const u8*>(c);
  switch (elem) {
    case 1: where_kernel<u8><<<blocks, THREADS, 0, s>>>(loop, pc, static_cast<const u8*>(a), static_cast<const u8*>(b), static_cast<u8*>(out), n); break;
    case 4: where_kernel<u32><<<blocks, THREADS, 0, s>>>(loop, pc, static_cast<const u32*>(a), static_cast<const u32*>(b), static_cast<u32*>(out), n); break;
    default:
      where_kernel<std::uint64_t><<<blocks, THREADS, 0, s>>>(loop, pc, static_cast<const std::uint64_t*>(a), static_cast<const std::uint64_t*>(b), static_cast<std::uint64_t*>(out), n);
      break;
  }
}

void launch_strided_copy(cudaStream_t s, int elem, const Loop& loop, const void* src, void* dst, bool gather) {
  const i64 n = loop.size();
  if (n <= 0) return;
  const unsigned blocks = blocks_for(n);
  switch (elem) {
    case 1: strided_copy_kernel<u8><<<blocks, THREADS, 0, s>>>(loop, static_cast<const u8*>(src), static_cast<u8*>(dst), gather, n); break;
    case 4: strided_copy_kernel<u32><<<blocks, THREADS, 0, s>>>(loop, static_cast<const u32*>(src), static_cast<u32*>(dst), gather, n); break;
    default:
      strided_copy_kernel<std::uint64_t><<<blocks, THREADS, 0, s>>>(loop, static_cast<const std::uint64_t*>(src), static_cast<std::uint64_t*>(dst), gather, n);
      break;
  }
}

void launch_bias_activation(cudaStream_t s, int dtype, int act, void* y, const Loop* bias_loop, const void* bias, i64 size) {
  if (size <= 0) return;
  Loop none;
  const Loop& L = bias_loop != nullptr ? *bias_loop : none;
  const unsigned blocks = blocks_for(size);
  if (dtype == F32) {
    bias_activation_kernel<float><<<blocks, THREADS, 0, s>>>(act, L, static_cast<float*>(y), bias_loop ? static_cast<const float*>(bias) : nullptr, size);
  } else {
    bias_activation_kernel<double><<<blocks, THREADS, 0, s>>>(act, L, static_cast<double*>(y), bias_loop ? static_cast<const double*>(bias) : nullptr, size);
  }
}

}  // namespace mc
