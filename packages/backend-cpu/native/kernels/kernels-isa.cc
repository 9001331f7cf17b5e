// Elementwise, reduction and fused kernels. This one source is compiled three times by
// scripts/build-native.mjs: with -mavx512f..., with -mavx2 -mfma and for the baseline ISA,
// each time into its own namespace (MYELIN_ISA), and the runtime picks one table. The loops
// are written so that GCC vectorises them (contiguous fast paths, __restrict, no calls).
// -ffp-contract=off keeps a*b+c as two roundings: the results match cpu-reference's.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "kernels.h"

#ifndef MYELIN_ISA
#define MYELIN_ISA generic
#endif
#define MYELIN_CAT2(a, b) a##b
#define MYELIN_CAT(a, b) MYELIN_CAT2(a, b)
#define MYELIN_STR2(a) #a
#define MYELIN_STR(a) MYELIN_STR2(a)

// Only float32 (the training dtype) gets per-ISA copies; the baseline build (MYELIN_ALL_DTYPES)
// holds float64, int32 and bool too, and the other builds forward those dtypes to it. This keeps
// the build short: each copy of every loop costs compile time.
#ifdef MYELIN_ALL_DTYPES
#define MYELIN_OTHER(call) (call)
#else
#define MYELIN_OTHER(call) (kernels_generic().call)
#endif

// Vector types stay inside these functions (never an ABI boundary).
#pragma GCC diagnostic ignored "-Wpsabi"

namespace myelin {
namespace MYELIN_ISA {
namespace {

using u8 = std::uint8_t;
using i32 = std::int32_t;
using u32 = std::uint32_t;

// ---- unary ---------------------------------------------------------------------------------

template <typename T>
inline T sigmoid(T v) {
  T e = std::exp(-std::fabs(v));
  return v >= 0 ? T(1) / (T(1) + e) : e / (T(1) + e);
}

// float32 exp, sigmoid and tanh 8 at a time (libm's scalar expf/tanhf took ~4 ns per value).
// Cephes' single-precision algorithms (exp and tanh within 2 ulp of the exact value, sigmoid
// within 3: e / (1 + e) carries exp's error), with separate multiplies and adds (this file is
// built with -ffp-contract=off): the same bits from every instruction set, for every position
// in a tensor (tails go through the same code) and in the fused bias + activation as in unary.
typedef float VF __attribute__((vector_size(32), aligned(4)));
typedef std::int32_t VI __attribute__((vector_size(32)));

/** 2^n for whole n in [-126, 127], as bits. */
inline __attribute__((always_inline)) VF pow2(VI n) { return (VF)((n + 127) << 23); }

inline __attribute__((always_inline)) VF exp8(VF x) {
  const VF t = x * 1.44269504088896341f;
  // Round to nearest: adding and subtracting 1.5 * 2^23 (|t| < 2^22 here).
  const VF n = (t + 12582912.0f) - 12582912.0f;
  const VF r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  VF p = VF{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  // 2^n in two factors, so that n from -150 (results below FLT_MIN) to 128 stays in range;
  // n is clamped there first (beyond, and for NaN, the result is replaced below).
  const VF clamped = n > 128.0f ? VF{} + 128.0f : (n > -150.0f ? n : VF{} - 150.0f);
  const VI ni = __builtin_convertvector(clamped, VI);
  const VI half = ni >> 1;
  VF y = p * pow2(half) * pow2(ni - half);
  y = x > 88.72283935546875f ? VF{} + INFINITY : y;
  y = x < -103.972084045410f ? VF{} : y;
  return x != x ? x : y;
}

inline __attribute__((always_inline)) VF sigmoid8(VF x) {
  const VF negative_abs = x < 0.0f ? x : -x;
  const VF e = exp8(negative_abs);
  const VF one_plus = e + 1.0f;
  const VF y = x >= 0.0f ? 1.0f / one_plus : e / one_plus;
  return x != x ? x : y;
}

inline __attribute__((always_inline)) VF tanh8(VF x) {
  const VF a = x < 0.0f ? -x : x;
  // |x| < 0.625: an odd polynomial (no cancellation near 0); above, 1 - 2 / (e^{2|x|} + 1).
  const VF z = x * x;
  VF p = VF{} - 5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const VF small = p * z * x + x;
  const VF big_abs = 1.0f - 2.0f / (exp8(a + a) + 1.0f);
  const VF big = x < 0.0f ? -big_abs : big_abs;
  const VF y = a < 0.625f ? small : big;
  return (x != x || x == 0.0f) ? x : y;  // NaN, and the sign of zero
}

// float32 erf 8 at a time (libm's scalar erff took ~11 ns per value): our own near-minimax
// polynomials, fitted and checked by scripts/fit-erf.py (within 2 ulp of the exact value):
//   |x| <= 1:     x + x A(x^2)              (2 / sqrt(pi) is near 1: the last add carries the value)
//   1 < |x| < 4:  1 - exp(-x^2) B(1 / |x|)   (erfc(x) e^{x^2} is smooth in 1 / x)
//   |x| >= 4:     1                          (erfc(4) is below half an ulp of 1)
// and the sign of x (so erf(-0) = -0); NaN stays NaN.
inline __attribute__((always_inline)) VF erf8(VF x) {
  const VF a = x < 0.0f ? -x : x;
  const VF z = a * a;
  VF p = VF{} + 7.853892021e-05f;
  p = p * z - 8.010203601e-04f;
  p = p * z + 5.188329145e-03f;
  p = p * z - 2.685381286e-02f;
  p = p * z + 1.128358543e-01f;
  p = p * z - 3.761262596e-01f;
  p = p * z + 1.283791661e-01f;
  const VF small = a + a * p;
  const VF r = 1.0f / (a > 1.0f ? a : VF{} + 1.0f);  // the lanes that take `small` divide by 1
  VF q = VF{} - 1.137445122e-02f;
  q = q * r + 3.799812496e-02f;
  q = q * r + 4.030581098e-03f;
  q = q * r - 2.190736979e-01f;
  q = q * r + 4.809426069e-01f;
  q = q * r - 4.646685123e-01f;
  q = q * r + 4.016005993e-02f;
  q = q * r + 5.593157411e-01f;
  q = q * r + 2.530976781e-04f;
  const VF big = 1.0f - exp8(-z) * q;
  const VF y = a <= 1.0f ? small : (a < 4.0f ? big : VF{} + 1.0f);
  const VF signed_y = (VF)((VI)y | ((VI)x & std::int32_t(0x80000000u)));  // y >= 0: take x's sign bit
  return x != x ? x : signed_y;
}

/** y[i] = f(x[i]) for i in [b, e), 8 at a time; the tail through a padded vector. y may be x. */
template <typename F>
inline __attribute__((always_inline)) void map8(const float* x, float* y, i64 b, i64 e, F f) {
  i64 i = b;
  for (; i + 8 <= e; i += 8) *reinterpret_cast<VF*>(y + i) = f(*reinterpret_cast<const VF*>(x + i));
  if (i < e) {
    VF v = VF{};
    for (i64 j = i; j < e; j++) v[j - i] = x[j];
    v = f(v);
    for (i64 j = i; j < e; j++) y[j] = v[j - i];
  }
}

template <typename T>
void unary_float(int op, const T* __restrict x, T* __restrict y, i64 b, i64 e) {
  if constexpr (std::is_same_v<T, float>) {
    switch (op) {
      case U_EXP: return map8(x, y, b, e, [](const VF& v) __attribute__((always_inline)) { return exp8(v); });
      case U_SIGMOID: return map8(x, y, b, e, [](const VF& v) __attribute__((always_inline)) { return sigmoid8(v); });
      case U_TANH: return map8(x, y, b, e, [](const VF& v) __attribute__((always_inline)) { return tanh8(v); });
      case U_ERF: return map8(x, y, b, e, [](const VF& v) __attribute__((always_inline)) { return erf8(v); });
      default: break;
    }
  }
  switch (op) {
    case U_NEG: for (i64 i = b; i < e; i++) y[i] = -x[i]; break;
    case U_EXP: for (i64 i = b; i < e; i++) y[i] = std::exp(x[i]); break;
    case U_LOG: for (i64 i = b; i < e; i++) y[i] = std::log(x[i]); break;
    case U_SQRT: for (i64 i = b; i < e; i++) y[i] = std::sqrt(x[i]); break;
    case U_ABS: for (i64 i = b; i < e; i++) y[i] = std::fabs(x[i]); break;
    case U_SIGN:
      for (i64 i = b; i < e; i++) {
        T v = x[i];
        y[i] = v == v ? T((v > 0) - (v < 0)) : v;
      }
      break;
    case U_SIGMOID: for (i64 i = b; i < e; i++) y[i] = sigmoid(x[i]); break;
    case U_TANH: for (i64 i = b; i < e; i++) y[i] = std::tanh(x[i]); break;
    case U_RELU: for (i64 i = b; i < e; i++) y[i] = (x[i] > 0 || x[i] != x[i]) ? x[i] : T(0); break;  // NaN stays NaN
    case U_ERF: for (i64 i = b; i < e; i++) y[i] = std::erf(x[i]); break;  // float64 (float32: erf8)
    // libm's, per element (float32: sinf etc.); round is nearbyint in the default rounding mode,
    // ties to even, as torch.round
    case U_SIN: for (i64 i = b; i < e; i++) y[i] = std::sin(x[i]); break;
    case U_COS: for (i64 i = b; i < e; i++) y[i] = std::cos(x[i]); break;
    case U_TAN: for (i64 i = b; i < e; i++) y[i] = std::tan(x[i]); break;
    case U_ASIN: for (i64 i = b; i < e; i++) y[i] = std::asin(x[i]); break;
    case U_ACOS: for (i64 i = b; i < e; i++) y[i] = std::acos(x[i]); break;
    case U_ATAN: for (i64 i = b; i < e; i++) y[i] = std::atan(x[i]); break;
    case U_SINH: for (i64 i = b; i < e; i++) y[i] = std::sinh(x[i]); break;
    case U_COSH: for (i64 i = b; i < e; i++) y[i] = std::cosh(x[i]); break;
    case U_ASINH: for (i64 i = b; i < e; i++) y[i] = std::asinh(x[i]); break;
    case U_ACOSH: for (i64 i = b; i < e; i++) y[i] = std::acosh(x[i]); break;
    case U_ATANH: for (i64 i = b; i < e; i++) y[i] = std::atanh(x[i]); break;
    case U_LOG1P: for (i64 i = b; i < e; i++) y[i] = std::log1p(x[i]); break;
    case U_EXPM1: for (i64 i = b; i < e; i++) y[i] = std::expm1(x[i]); break;
    case U_FLOOR: for (i64 i = b; i < e; i++) y[i] = std::floor(x[i]); break;
    case U_CEIL: for (i64 i = b; i < e; i++) y[i] = std::ceil(x[i]); break;
    case U_ROUND: for (i64 i = b; i < e; i++) y[i] = std::nearbyint(x[i]); break;
    case U_TRUNC: for (i64 i = b; i < e; i++) y[i] = std::trunc(x[i]); break;
  }
}

void unary_int(int op, const i32* __restrict x, i32* __restrict y, i64 b, i64 e) {
  switch (op) {
    case U_NEG: for (i64 i = b; i < e; i++) y[i] = i32(u32(0) - u32(x[i])); break;
    case U_ABS: for (i64 i = b; i < e; i++) y[i] = x[i] < 0 ? i32(u32(0) - u32(x[i])) : x[i]; break;
    case U_SIGN: for (i64 i = b; i < e; i++) y[i] = (x[i] > 0) - (x[i] < 0); break;
    case U_RELU: for (i64 i = b; i < e; i++) y[i] = x[i] > 0 ? x[i] : 0; break;
    default: break;
  }
}

void unary(int op, int dtype, const void* x, void* y, i64 b, i64 e) {
  if (dtype == F32) return unary_float(op, static_cast<const float*>(x), static_cast<float*>(y), b, e);
#ifdef MYELIN_ALL_DTYPES
  if (dtype == F64) unary_float(op, static_cast<const double*>(x), static_cast<double*>(y), b, e);
  if (dtype == I32) unary_int(op, static_cast<const i32*>(x), static_cast<i32*>(y), b, e);
#else
  MYELIN_OTHER(unary(op, dtype, x, y, b, e));
#endif
}

// ---- cast ----------------------------------------------------------------------------------

template <typename From, typename To>
void cast_t(const From* __restrict x, To* __restrict y, i64 b, i64 e) {
  if constexpr (std::is_same_v<To, u8>) {
    for (i64 i = b; i < e; i++) y[i] = x[i] != 0 ? 1 : 0;
  } else if constexpr (std::is_same_v<To, i32> && std::is_floating_point_v<From>) {
    for (i64 i = b; i < e; i++) {
      From v = x[i];
      // The common case, in range, truncates directly; the rest follows JS's ToInt32.
      y[i] = (v > From(-2147483649.0) && v < From(2147483648.0)) ? i32(v) : to_int32(double(v));
    }
  } else {
    for (i64 i = b; i < e; i++) y[i] = To(x[i]);
  }
}

template <typename From>
void cast_from(int to, const From* x, void* y, i64 b, i64 e) {
  switch (to) {
    case F32: cast_t(x, static_cast<float*>(y), b, e); break;
    case F64: cast_t(x, static_cast<double*>(y), b, e); break;
    case I32: cast_t(x, static_cast<i32*>(y), b, e); break;
    case BOOL: cast_t(x, static_cast<u8*>(y), b, e); break;
  }
}

void cast(int from, int to, const void* x, void* y, i64 b, i64 e) {
#ifndef MYELIN_ALL_DTYPES
  if (from != F32 || to != F32) return MYELIN_OTHER(cast(from, to, x, y, b, e));
#endif
  switch (from) {
    case F32: cast_from(to, static_cast<const float*>(x), y, b, e); break;
    case F64: cast_from(to, static_cast<const double*>(x), y, b, e); break;
    case I32: cast_from(to, static_cast<const i32*>(x), y, b, e); break;
    case BOOL: cast_from(to, static_cast<const u8*>(x), y, b, e); break;
  }
}

// ---- binary --------------------------------------------------------------------------------

template <typename T, typename R, typename F>
__attribute__((noinline)) void binary_row(const T* __restrict a, i64 sa, const T* __restrict b, i64 sb, R* __restrict o, i64 n, F f) {
  if (sa == 1 && sb == 1) {
    for (i64 i = 0; i < n; i++) o[i] = f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const T y = *b;
    for (i64 i = 0; i < n; i++) o[i] = f(a[i], y);
  } else if (sa == 0 && sb == 1) {
    const T x = *a;
    for (i64 i = 0; i < n; i++) o[i] = f(x, b[i]);
  } else {
    for (i64 i = 0; i < n; i++) o[i] = f(a[i * sa], b[i * sb]);
  }
}

template <typename T, typename R, typename F>
void binary_loop(const Loop& loop, const void* av, const void* bv, void* ov, i64 begin, i64 end, F f) {
  const T* a = static_cast<const T*>(av);
  const T* b = static_cast<const T*>(bv);
  R* o = static_cast<R*>(ov);
  walk_rows(loop, begin, end, [&](const i64* off, const i64* inner, i64 pos, i64 len) {
    binary_row<T, R>(a + off[0], inner[0], b + off[1], inner[1], o + pos, len, f);
  });
}

template <typename T>
void binary_typed(int op, const Loop& L, const void* a, const void* b, void* o, i64 s, i64 e) {
  constexpr bool INT = std::is_same_v<T, i32>;
  constexpr bool BOOLEAN = std::is_same_v<T, u8>;
  switch (op) {
    case B_ADD:
      if constexpr (INT) binary_loop<T, T>(L, a, b, o, s, e, [](T x, T y) { return T(u32(x) + u32(y)); });
      else binary_loop<T, T>(L, a, b, o, s, e, [](T x, T y) { return T(x + y); });
      break;
    case B_SUB:
      if constexpr (INT) binary_loop<T, T>(L, a, b, o, s, e, [](T x, T y) { return T(u32(x) - u32(y)); });
      else binary_loop<T, T>(L, a, b, o, s, e, [](T x, T y) { return T(x - y); });
      break;
    case B_MUL:
      if constexpr (INT) binary_loop<T, T>(L, a, b, o, s, e, [](T x, T y) { return T(u32(x) * u32(y)); });
      else if constexpr (BOOLEAN) binary_loop<T, T>(L, a, b, o, s, e, [](T x, T y) { return T(x & y); });
      else binary_loop<T, T>(L, a, b, o, s, e, [](T x, T y) { return T(x * y); });
      break;
    case B_DIV:
      if constexpr (INT) binary_loop<T, T>(L, a, b, o, s, e, [](T x, T y) { return to_int32(double(x) / double(y)); });
      else binary_loop<T, T>(L, a, b, o, s, e, [](T x, T y) { return T(x / y); });
      break;
    case B_POW:
      if constexpr (INT) binary_loop<T, T>(L, a, b, o, s, e, [](T x, T y) { return to_int32(std::pow(double(x), double(y))); });
      else binary_loop<T, T>(L, a, b, o, s, e, [](T x, T y) { return T(std::pow(double(x), double(y))); });
      break;
    case B_MAX:
      binary_loop<T, T>(L, a, b, o, s, e, [](T x, T y) { return (x > y || x != x) ? x : y; });
      break;
    case B_MIN:
      binary_loop<T, T>(L, a, b, o, s, e, [](T x, T y) { return (x < y || x != x) ? x : y; });
      break;
    case B_EQ: binary_loop<T, u8>(L, a, b, o, s, e, [](T x, T y) { return u8(x == y); }); break;
    case B_NE: binary_loop<T, u8>(L, a, b, o, s, e, [](T x, T y) { return u8(x != y); }); break;
    case B_LT: binary_loop<T, u8>(L, a, b, o, s, e, [](T x, T y) { return u8(x < y); }); break;
    case B_LE: binary_loop<T, u8>(L, a, b, o, s, e, [](T x, T y) { return u8(x <= y); }); break;
    case B_GT: binary_loop<T, u8>(L, a, b, o, s, e, [](T x, T y) { return u8(x > y); }); break;
    case B_GE: binary_loop<T, u8>(L, a, b, o, s, e, [](T x, T y) { return u8(x >= y); }); break;
  }
}

void binary(int op, int dtype, const Loop& L, const void* a, const void* b, void* o, i64 s, i64 e) {
  if (dtype == F32) return binary_typed<float>(op, L, a, b, o, s, e);
#ifdef MYELIN_ALL_DTYPES
  switch (dtype) {
    case F64: binary_typed<double>(op, L, a, b, o, s, e); break;
    case I32: binary_typed<i32>(op, L, a, b, o, s, e); break;
    case BOOL: binary_typed<u8>(op, L, a, b, o, s, e); break;
  }
#else
  MYELIN_OTHER(binary(op, dtype, L, a, b, o, s, e));
#endif
}

// ---- where ---------------------------------------------------------------------------------

template <typename T>
void where_typed(const Loop& L, const void* cv, const void* av, const void* bv, void* ov, i64 begin, i64 end) {
  const u8* c = static_cast<const u8*>(cv);
  const T* a = static_cast<const T*>(av);
  const T* b = static_cast<const T*>(bv);
  T* o = static_cast<T*>(ov);
  walk_rows(L, begin, end, [&](const i64* off, const i64* inner, i64 pos, i64 len) {
    const u8* __restrict pc = c + off[0];
    const T* __restrict pa = a + off[1];
    const T* __restrict pb = b + off[2];
    T* __restrict po = o + pos;
    const i64 sc = inner[0], sa = inner[1], sb = inner[2];
    if (sc == 1 && sa == 1 && sb == 1) {
      for (i64 i = 0; i < len; i++) po[i] = pc[i] ? pa[i] : pb[i];
    } else if (sc == 1 && sa == 1 && sb == 0) {
      const T y = *pb;
      for (i64 i = 0; i < len; i++) po[i] = pc[i] ? pa[i] : y;
    } else if (sc == 1 && sa == 0 && sb == 1) {
      const T x = *pa;  // e.g. relu's gradient: where(x <= 0, 0, grad)
      for (i64 i = 0; i < len; i++) po[i] = pc[i] ? x : pb[i];
    } else {
      for (i64 i = 0; i < len; i++) po[i] = pc[i * sc] ? pa[i * sa] : pb[i * sb];
    }
  });
}

void where(int dtype, const Loop& L, const void* c, const void* a, const void* b, void* o, i64 s, i64 e) {
  if (dtype == F32) return where_typed<float>(L, c, a, b, o, s, e);
#ifdef MYELIN_ALL_DTYPES
  switch (dtype) {
    case F64: where_typed<double>(L, c, a, b, o, s, e); break;
    case I32: where_typed<i32>(L, c, a, b, o, s, e); break;
    case BOOL: where_typed<u8>(L, c, a, b, o, s, e); break;
  }
#else
  MYELIN_OTHER(where(dtype, L, c, a, b, o, s, e));
#endif
}

// ---- reductions ----------------------------------------------------------------------------

/** Sum of n floats in double with 8 running sums (a fixed order: deterministic). */
template <typename T>
inline double sum_row(const T* __restrict x, i64 n) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  i64 i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; j++) s[j] += double(x[i + j]);
  }
  for (; i < n; i++) s[0] += double(x[i]);
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

/**
 * The largest of best and x[0..n), NaN if any is NaN. Floats in 8 lanes (element i in lane i % 8,
 * the lanes combined in order, then the tail): one dependent max per element was ~1 ns, 8x the
 * sum's time. Among equal values each lane keeps its earliest; +0 and -0 compare equal, so which
 * zero a row of zeros of both signs returns is not specified (as in other SIMD libraries).
 */
template <typename T>
inline T max_row(const T* __restrict x, i64 n, T best) {
  if constexpr (std::is_floating_point_v<T>) {
    // max_nan lane by lane, as a select GCC compiles to vector compares and blends.
    typedef T V __attribute__((vector_size(8 * sizeof(T)), aligned(alignof(T))));
    V lane = V{} + best;
    i64 i = 0;
    for (; i + 8 <= n; i += 8) {
      const V v = *reinterpret_cast<const V*>(x + i);
      lane = (!(v <= lane) && lane == lane) ? v : lane;
    }
    for (int j = 0; j < 8; j++) best = max_nan(best, lane[j]);
    for (; i < n; i++) best = max_nan(best, x[i]);
  } else {
    for (i64 i = 0; i < n; i++) best = x[i] > best ? x[i] : best;
  }
  return best;
}

template <typename T>
T identity_max() {
  if constexpr (std::is_floating_point_v<T>) return -INFINITY;
  else if constexpr (std::is_same_v<T, i32>) return i32(-2147483647 - 1);
  else return T(0);
}

template <typename T>
void reduce_rows_typed(int op, const T* x, T* out, i64 n, i64 b, i64 e) {
  for (i64 r = b; r < e; r++) {
    const T* row = x + r * n;
    if (op == 0) {
      if constexpr (std::is_same_v<T, i32>) {
        u32 s = 0;
        for (i64 i = 0; i < n; i++) s += u32(row[i]);
        out[r] = i32(s);
      } else {
        out[r] = T(sum_row(row, n));
      }
    } else {
      out[r] = max_row(row, n, identity_max<T>());
    }
  }
}

void reduce_rows(int op, int dtype, const void* x, void* out, i64 n, i64 b, i64 e) {
  if (dtype == F32) return reduce_rows_typed(op, static_cast<const float*>(x), static_cast<float*>(out), n, b, e);
#ifndef MYELIN_ALL_DTYPES
  MYELIN_OTHER(reduce_rows(op, dtype, x, out, n, b, e));
#else
  switch (dtype) {
    case F64: reduce_rows_typed(op, static_cast<const double*>(x), static_cast<double*>(out), n, b, e); break;
    case I32: reduce_rows_typed(op, static_cast<const i32*>(x), static_cast<i32*>(out), n, b, e); break;
    case BOOL: reduce_rows_typed(op, static_cast<const u8*>(x), static_cast<u8*>(out), n, b, e); break;
  }
#endif
}

template <typename T>
void reduce_cols_typed(int op, const T* x, T* out, double* acc, i64 outer, i64 rows, i64 cols, i64 b, i64 e) {
  const i64 w = e - b;
  for (i64 o = 0; o < outer; o++) {
    const T* slab = x + o * rows * cols;
    T* dst = out + o * cols;
    if constexpr (std::is_floating_point_v<T>) {
      if (op == 0) {
        double* __restrict a = acc;
        for (i64 c = 0; c < w; c++) a[c] = 0;
        for (i64 r = 0; r < rows; r++) {
          const T* __restrict src = slab + r * cols + b;
          for (i64 c = 0; c < w; c++) a[c] += double(src[c]);
        }
        for (i64 c = 0; c < w; c++) dst[b + c] = T(a[c]);
        continue;
      }
    }
    T* __restrict d = dst + b;
    if (op == 0) {
      // int32 wraps like its storage (bool sums are refused before this).
      for (i64 c = 0; c < w; c++) d[c] = 0;
      for (i64 r = 0; r < rows; r++) {
        const T* __restrict src = slab + r * cols + b;
        for (i64 c = 0; c < w; c++) d[c] = T(u32(d[c]) + u32(src[c]));
      }
    } else {
      for (i64 c = 0; c < w; c++) d[c] = identity_max<T>();
      for (i64 r = 0; r < rows; r++) {
        const T* __restrict src = slab + r * cols + b;
        if constexpr (std::is_floating_point_v<T>) {
          for (i64 c = 0; c < w; c++) d[c] = max_nan(d[c], src[c]);
        } else {
          for (i64 c = 0; c < w; c++) d[c] = src[c] > d[c] ? src[c] : d[c];
        }
      }
    }
  }
}

void reduce_cols(int op, int dtype, const void* x, void* out, double* acc, i64 outer, i64 rows, i64 cols, i64 b,
                 i64 e) {
  if (dtype == F32) {
    return reduce_cols_typed(op, static_cast<const float*>(x), static_cast<float*>(out), acc, outer, rows, cols, b, e);
  }
#ifndef MYELIN_ALL_DTYPES
  MYELIN_OTHER(reduce_cols(op, dtype, x, out, acc, outer, rows, cols, b, e));
#else
  switch (dtype) {
    case F64:
      reduce_cols_typed(op, static_cast<const double*>(x), static_cast<double*>(out), acc, outer, rows, cols, b, e);
      break;
    case I32:
      reduce_cols_typed(op, static_cast<const i32*>(x), static_cast<i32*>(out), acc, outer, rows, cols, b, e);
      break;
    case BOOL:
      reduce_cols_typed(op, static_cast<const u8*>(x), static_cast<u8*>(out), acc, outer, rows, cols, b, e);
      break;
  }
#endif
}

// ---- fused ---------------------------------------------------------------------------------

template <typename T>
void adam_typed(const T* __restrict p, const T* __restrict g, const T* __restrict m, const T* __restrict v,
                T* __restrict po, T* __restrict mo, T* __restrict vo, const AdamConstants& k, i64 b, i64 e) {
  const T decay = T(k.decay), coupled = T(k.coupled_decay), b1 = T(k.b1), omb1 = T(k.one_minus_b1);
  const T b2 = T(k.b2), omb2 = T(k.one_minus_b2), step = T(k.step_size), corr2 = T(k.correction2), eps = T(k.eps);
  const bool use_decay = k.decay != 1, use_coupled = k.coupled_decay != 0;
  for (i64 i = b; i < e; i++) {
    T w = p[i];
    if (use_decay) w = w * decay;
    T grad = use_coupled ? T(g[i] + T(w * coupled)) : g[i];
    T first = T(m[i] * b1) + T(grad * omb1);
    T second = T(v[i] * b2) + T(T(grad * grad) * omb2);
    T denom = T(std::sqrt(second) / corr2) + eps;
    po[i] = w - T(T(first / denom) * step);
    mo[i] = first;
    vo[i] = second;
  }
}

void adam(int dtype, const void* p, const void* g, const void* m, const void* v, void* po, void* mo, void* vo,
          const AdamConstants& k, i64 b, i64 e) {
  if (dtype == F32) {
    adam_typed(static_cast<const float*>(p), static_cast<const float*>(g), static_cast<const float*>(m),
               static_cast<const float*>(v), static_cast<float*>(po), static_cast<float*>(mo), static_cast<float*>(vo),
               k, b, e);
  } else {
#ifndef MYELIN_ALL_DTYPES
    return MYELIN_OTHER(adam(dtype, p, g, m, v, po, mo, vo, k, b, e));
#endif
    adam_typed(static_cast<const double*>(p), static_cast<const double*>(g), static_cast<const double*>(m),
               static_cast<const double*>(v), static_cast<double*>(po), static_cast<double*>(mo),
               static_cast<double*>(vo), k, b, e);
  }
}

// GELU (exact and tanh form) and SiLU, each step rounded as core's composed primitives round it
// (gelu: (x * 0.5) * (erf(x * sqrt(1/2)) + 1); gelu_tanh: (x * 0.5) * (tanh((x + x * x * x *
// 0.044715) * sqrt(2/pi)) + 1); silu: x * sigmoid(x)), so fused and composed agree to the bit on
// float32 where the composed kernels are these same vector kernels.
constexpr double GELU_SQRT1_2 = 0.70710678118654752440;
constexpr double GELU_SQRT_2_PI = 0.79788456080286535588;      // sqrt(2 / pi)
constexpr double GELU_INV_SQRT_2PI = 0.39894228040143267794;  // 1 / sqrt(2 pi)
constexpr double GELU_KAPPA = 0.044715;

inline __attribute__((always_inline)) VF gelu8(VF x) {
  return (x * 0.5f) * (erf8(x * float(GELU_SQRT1_2)) + 1.0f);
}
inline __attribute__((always_inline)) VF gelu_tanh8(VF x) {
  return (x * 0.5f) * (tanh8((x + x * x * x * float(GELU_KAPPA)) * float(GELU_SQRT_2_PI)) + 1.0f);
}
inline __attribute__((always_inline)) VF silu8(VF x) { return x * sigmoid8(x); }

template <typename T>
inline T gelu1(T x) { return (x * T(0.5)) * (T(std::erf(x * T(GELU_SQRT1_2))) + T(1)); }
template <typename T>
inline T gelu_tanh1(T x) { return (x * T(0.5)) * (T(std::tanh((x + x * x * x * T(GELU_KAPPA)) * T(GELU_SQRT_2_PI))) + T(1)); }
template <typename T>
inline T silu1(T x) { return x * sigmoid(x); }

// Their derivatives at the pre-activation z (PyTorch's formulas), rounded as core's composed
// fallback (autograd/fused-gradients.ts) rounds them.
inline __attribute__((always_inline)) VF gelu_grad8(VF z) {
  const VF cdf = (erf8(z * float(GELU_SQRT1_2)) + 1.0f) * 0.5f;
  const VF pdf = exp8(z * z * -0.5f) * float(GELU_INV_SQRT_2PI);
  return cdf + z * pdf;
}
inline __attribute__((always_inline)) VF gelu_tanh_grad8(VF z) {
  const VF zz = z * z;
  const VF t = tanh8((z + zz * z * float(GELU_KAPPA)) * float(GELU_SQRT_2_PI));
  const VF left = (t + 1.0f) * 0.5f;
  const VF right = (z * 0.5f) * (1.0f - t * t) * float(GELU_SQRT_2_PI) * (zz * float(3 * GELU_KAPPA) + 1.0f);
  return left + right;
}
inline __attribute__((always_inline)) VF silu_grad8(VF z) {
  const VF s = sigmoid8(z);
  return s * (z * (1.0f - s) + 1.0f);
}
template <typename T>
inline T gelu_grad1(T z) {
  const T cdf = (T(std::erf(z * T(GELU_SQRT1_2))) + T(1)) * T(0.5);
  const T pdf = T(std::exp(z * z * T(-0.5))) * T(GELU_INV_SQRT_2PI);
  return cdf + z * pdf;
}
template <typename T>
inline T gelu_tanh_grad1(T z) {
  const T zz = z * z;
  const T t = T(std::tanh((z + zz * z * T(GELU_KAPPA)) * T(GELU_SQRT_2_PI)));
  const T left = (t + T(1)) * T(0.5);
  const T right = (z * T(0.5)) * (T(1) - t * t) * T(GELU_SQRT_2_PI) * (zz * T(3 * GELU_KAPPA) + T(1));
  return left + right;
}
template <typename T>
inline T silu_grad1(T z) {
  const T s = sigmoid(z);
  return s * (z * (T(1) - s) + T(1));
}

/** dz[i] = g[i] * f(z[i]) for i in [b, e), 8 at a time; the tail through padded vectors. */
template <typename F>
inline __attribute__((always_inline)) void map8_grad(const float* g, const float* z, float* dz, i64 b, i64 e, F f) {
  i64 i = b;
  for (; i + 8 <= e; i += 8)
    *reinterpret_cast<VF*>(dz + i) = *reinterpret_cast<const VF*>(g + i) * f(*reinterpret_cast<const VF*>(z + i));
  if (i < e) {
    VF gv = VF{}, zv = VF{};
    for (i64 j = i; j < e; j++) {
      gv[j - i] = g[j];
      zv[j - i] = z[j];
    }
    const VF v = gv * f(zv);
    for (i64 j = i; j < e; j++) dz[j] = v[j - i];
  }
}

/** y = act(z) for n values; y may be z (in place). */
template <typename T>
inline void activate(int act, const T* z, T* y, i64 n) {
  if constexpr (std::is_same_v<T, float>) {
    // In place too: map8 reads each vector before it writes it.
    switch (act) {
      case ACT_SIGMOID: return map8(z, y, 0, n, [](const VF& v) __attribute__((always_inline)) { return sigmoid8(v); });
      case ACT_TANH: return map8(z, y, 0, n, [](const VF& v) __attribute__((always_inline)) { return tanh8(v); });
      case ACT_GELU: return map8(z, y, 0, n, [](const VF& v) __attribute__((always_inline)) { return gelu8(v); });
      case ACT_GELU_TANH: return map8(z, y, 0, n, [](const VF& v) __attribute__((always_inline)) { return gelu_tanh8(v); });
      case ACT_SILU: return map8(z, y, 0, n, [](const VF& v) __attribute__((always_inline)) { return silu8(v); });
      default: break;
    }
  }
  switch (act) {
    case ACT_RELU: for (i64 i = 0; i < n; i++) y[i] = (z[i] > 0 || z[i] != z[i]) ? z[i] : T(0); break;
    case ACT_SIGMOID: for (i64 i = 0; i < n; i++) y[i] = sigmoid(z[i]); break;
    case ACT_TANH: for (i64 i = 0; i < n; i++) y[i] = std::tanh(z[i]); break;
    case ACT_GELU: for (i64 i = 0; i < n; i++) y[i] = gelu1(z[i]); break;
    case ACT_GELU_TANH: for (i64 i = 0; i < n; i++) y[i] = gelu_tanh1(z[i]); break;
    case ACT_SILU: for (i64 i = 0; i < n; i++) y[i] = silu1(z[i]); break;
    default:
      if (y != z) std::memcpy(y, z, std::size_t(n) * sizeof(T));
      break;
  }
}

template <typename T>
void bias_activation_typed(int act, T* y, T* out, const Loop* L, const T* bias, i64 n, i64 b, i64 e) {
  // out null: in place in y; else y keeps z = y + bias and out gets act(z).
  if (bias != nullptr) {
    walk_rows(*L, b * n, e * n, [&](const i64* off, const i64* inner, i64 pos, i64 len) {
      T* __restrict py = y + pos;
      const T* __restrict pb = bias + off[1];
      const i64 sb = inner[1];
      if (sb == 1) {
        for (i64 i = 0; i < len; i++) py[i] = py[i] + pb[i];
      } else {
        for (i64 i = 0; i < len; i++) py[i] = py[i] + pb[i * sb];
      }
      activate(act, py, out != nullptr ? out + pos : py, len);
    });
  } else {
    activate(act, y + b * n, out != nullptr ? out + b * n : y + b * n, (e - b) * n);
  }
}

void bias_activation(int dtype, int act, void* y, void* out, const Loop* L, const void* bias, i64 n, i64 b, i64 e) {
  if (dtype == F32)
    bias_activation_typed(act, static_cast<float*>(y), static_cast<float*>(out), L, static_cast<const float*>(bias), n, b, e);
#ifdef MYELIN_ALL_DTYPES
  else bias_activation_typed(act, static_cast<double*>(y), static_cast<double*>(out), L, static_cast<const double*>(bias), n, b, e);
#else
  else MYELIN_OTHER(bias_activation(dtype, act, y, out, L, bias, n, b, e));
#endif
}

template <typename T>
void softmax_xent_typed(const T* x, const i32* labels, i32 ignore, T* loss, T* grad, double scale, i64 n, i64 b, i64 e) {
  for (i64 r = b; r < e; r++) {
    if (labels[r] == ignore) {
      loss[r] = T(0);
      if (grad != nullptr) std::fill(grad + r * n, grad + (r + 1) * n, T(0));
      continue;
    }
    const T* __restrict row = x + r * n;
    T m = max_row(row, n, identity_max<T>());
    double s = 0;
    for (i64 i = 0; i < n; i++) s += double(std::exp(row[i] - m));
    const i32 label = labels[r];
    const double lse = double(m) + std::log(s);
    loss[r] = T(lse - double(row[label]));
    if (grad != nullptr) {
      T* __restrict g = grad + r * n;
      const double inv = 1.0 / s;
      for (i64 i = 0; i < n; i++) g[i] = T(double(std::exp(row[i] - m)) * inv * scale);
      g[label] = T(double(g[label]) - scale);
    }
  }
}

void softmax_xent(int dtype, const void* x, const i32* labels, i32 ignore, void* loss, void* grad, double scale, i64 n,
                  i64 b, i64 e) {
  if (dtype == F32) {
    softmax_xent_typed(static_cast<const float*>(x), labels, ignore, static_cast<float*>(loss),
                       static_cast<float*>(grad), scale, n, b, e);
  } else {
#ifndef MYELIN_ALL_DTYPES
    return MYELIN_OTHER(softmax_xent(dtype, x, labels, ignore, loss, grad, scale, n, b, e));
#endif
    softmax_xent_typed(static_cast<const double*>(x), labels, ignore, static_cast<double*>(loss),
                       static_cast<double*>(grad), scale, n, b, e);
  }
}

template <typename T>
void bias_act_backward_typed(int act, const T* __restrict g, const T* __restrict y, T* __restrict dz, i64 b, i64 e) {
  // gelu, gelu_tanh and silu: y is the pre-activation z.
  if constexpr (std::is_same_v<T, float>) {
    switch (act) {
      case ACT_GELU: return map8_grad(g, y, dz, b, e, [](const VF& v) __attribute__((always_inline)) { return gelu_grad8(v); });
      case ACT_GELU_TANH: return map8_grad(g, y, dz, b, e, [](const VF& v) __attribute__((always_inline)) { return gelu_tanh_grad8(v); });
      case ACT_SILU: return map8_grad(g, y, dz, b, e, [](const VF& v) __attribute__((always_inline)) { return silu_grad8(v); });
      default: break;
    }
  }
  switch (act) {
    case ACT_GELU: for (i64 i = b; i < e; i++) dz[i] = g[i] * gelu_grad1(y[i]); break;
    case ACT_GELU_TANH: for (i64 i = b; i < e; i++) dz[i] = g[i] * gelu_tanh_grad1(y[i]); break;
    case ACT_SILU: for (i64 i = b; i < e; i++) dz[i] = g[i] * silu_grad1(y[i]); break;
    case ACT_RELU: for (i64 i = b; i < e; i++) dz[i] = y[i] <= T(0) ? T(0) : g[i]; break;
    case ACT_SIGMOID: for (i64 i = b; i < e; i++) dz[i] = g[i] * T(y[i] * T(T(1) - y[i])); break;
    case ACT_TANH: for (i64 i = b; i < e; i++) dz[i] = g[i] * T(T(1) - T(y[i] * y[i])); break;
    default: for (i64 i = b; i < e; i++) dz[i] = g[i]; break;
  }
}

void bias_act_backward(int dtype, int act, const void* g, const void* y, void* dz, i64 n, i64 b, i64 e) {
  if (dtype == F32) {
    bias_act_backward_typed(act, static_cast<const float*>(g), static_cast<const float*>(y), static_cast<float*>(dz),
                            b * n, e * n);
  } else {
#ifndef MYELIN_ALL_DTYPES
    return MYELIN_OTHER(bias_act_backward(dtype, act, g, y, dz, n, b, e));
#endif
    bias_act_backward_typed(act, static_cast<const double*>(g), static_cast<const double*>(y),
                            static_cast<double*>(dz), b * n, e * n);
  }
}

template <typename T>
void sgd_typed(const T* __restrict p, const T* __restrict g, const T* __restrict buf, T* __restrict po,
               T* __restrict bo, const SgdConstants& k, i64 b, i64 e) {
  const T lr = T(k.lr), mom = T(k.momentum), omd = T(k.one_minus_dampening), wd = T(k.weight_decay);
  const bool use_wd = k.weight_decay != 0, use_mom = k.momentum != 0;
  for (i64 i = b; i < e; i++) {
    T d = use_wd ? T(g[i] + T(p[i] * wd)) : g[i];
    if (use_mom) {
      const T nb = k.first ? d : T(T(buf[i] * mom) + T(d * omd));
      bo[i] = nb;
      d = k.nesterov ? T(d + T(nb * mom)) : nb;
    }
    po[i] = p[i] - T(d * lr);
  }
}

void sgd(int dtype, const void* p, const void* g, const void* buf, void* po, void* bo, const SgdConstants& k, i64 b,
         i64 e) {
  if (dtype == F32) {
    sgd_typed(static_cast<const float*>(p), static_cast<const float*>(g), static_cast<const float*>(buf),
              static_cast<float*>(po), static_cast<float*>(bo), k, b, e);
  } else {
#ifndef MYELIN_ALL_DTYPES
    return MYELIN_OTHER(sgd(dtype, p, g, buf, po, bo, k, b, e));
#endif
    sgd_typed(static_cast<const double*>(p), static_cast<const double*>(g), static_cast<const double*>(buf),
              static_cast<double*>(po), static_cast<double*>(bo), k, b, e);
  }
}

// ---- rows: softmax and layer norm over the last axis ----------------------------------------

template <typename T>
inline void exp_in_place(T* __restrict y, i64 n) {
  if constexpr (std::is_same_v<T, float>) {
    map8(y, y, 0, n, [](const VF& v) __attribute__((always_inline)) { return exp8(v); });
  } else {
    for (i64 i = 0; i < n; i++) y[i] = std::exp(y[i]);
  }
}

template <typename T>
void softmax_rows_typed(const T* x, T* y, i64 n, i64 b, i64 e) {
  for (i64 r = b; r < e; r++) {
    const T* __restrict row = x + r * n;
    T* __restrict out = y + r * n;
    const T m = max_row(row, n, identity_max<T>());
    for (i64 i = 0; i < n; i++) out[i] = row[i] - m;
    exp_in_place(out, n);
    const T s = T(sum_row(out, n));
    for (i64 i = 0; i < n; i++) out[i] = out[i] / s;
  }
}

/** Sum over [0, n) of f(i) in double with 8 running sums, as sum_row. */
template <typename F>
inline double sum_lanes(i64 n, F f) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  i64 i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; j++) s[j] += f(i + j);
  }
  for (; i < n; i++) s[0] += f(i);
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

template <typename T>
void softmax_backward_rows_typed(const T* g, const T* y, T* dx, i64 n, i64 b, i64 e) {
  for (i64 r = b; r < e; r++) {
    const T* __restrict gr = g + r * n;
    const T* __restrict yr = y + r * n;
    T* __restrict out = dx + r * n;
    const T dot = T(sum_lanes(n, [gr, yr](i64 i) { return double(gr[i]) * double(yr[i]); }));
    for (i64 i = 0; i < n; i++) out[i] = yr[i] * (gr[i] - dot);
  }
}

template <typename T>
void layer_norm_rows_typed(const T* x, const T* w, const T* bias, T* y, T* mean, T* inv_std, double eps, i64 n, i64 b,
                           i64 e) {
  for (i64 r = b; r < e; r++) {
    const T* __restrict row = x + r * n;
    T* __restrict out = y + r * n;
    const double m = sum_row(row, n) / double(n);
    const double v = sum_lanes(n, [row, m](i64 i) {
                       const double d = double(row[i]) - m;
                       return d * d;
                     }) /
                     double(n);
    const double s = 1.0 / std::sqrt(v + eps);
    const T mt = T(m), st = T(s);
    for (i64 i = 0; i < n; i++) out[i] = (row[i] - mt) * st;
    if (w != nullptr)
      for (i64 i = 0; i < n; i++) out[i] = out[i] * w[i];
    if (bias != nullptr)
      for (i64 i = 0; i < n; i++) out[i] = out[i] + bias[i];
    mean[r] = mt;
    inv_std[r] = st;
  }
}

template <typename T>
void layer_norm_backward_rows_typed(const T* g, const T* x, const T* w, const T* mean, const T* inv_std, T* dx, i64 n,
                                    i64 b, i64 e) {
  for (i64 r = b; r < e; r++) {
    const T* __restrict gr = g + r * n;
    const T* __restrict xr = x + r * n;
    T* __restrict out = dx + r * n;
    const double m = double(mean[r]), s = double(inv_std[r]);
    // sum(dxhat) and sum(dxhat * (x - mean)) in double; one branch per row, not per element.
    double sum_d, sum_dx;
    if (w != nullptr) {
      sum_d = sum_lanes(n, [gr, w](i64 i) { return double(gr[i]) * double(w[i]); });
      sum_dx = sum_lanes(n, [gr, w, xr, m](i64 i) { return double(gr[i]) * double(w[i]) * (double(xr[i]) - m); });
    } else {
      sum_d = sum_row(gr, n);
      sum_dx = sum_lanes(n, [gr, xr, m](i64 i) { return double(gr[i]) * (double(xr[i]) - m); });
    }
    // dx = s (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) = s dxhat - s mean(dxhat) - (x - mean) s^3 sum_dx / n
    const T k_g = T(s), k_0 = T(s * sum_d / double(n)), k_x = T(s * s * s * sum_dx / double(n)), mt = T(m);
    if (w != nullptr) {
      for (i64 i = 0; i < n; i++) out[i] = k_g * (gr[i] * w[i]) - k_0 - (xr[i] - mt) * k_x;
    } else {
      for (i64 i = 0; i < n; i++) out[i] = k_g * gr[i] - k_0 - (xr[i] - mt) * k_x;
    }
  }
}

template <typename T>
void layer_norm_param_rows_typed(const T* g, const T* x, const T* mean, const T* inv_std, double* __restrict dw,
                                 double* __restrict db, i64 n, i64 b, i64 e) {
  for (i64 r = b; r < e; r++) {
    const T* __restrict gr = g + r * n;
    const T* __restrict xr = x + r * n;
    const double m = double(mean[r]), s = double(inv_std[r]);
    if (dw != nullptr)
      for (i64 i = 0; i < n; i++) dw[i] += double(gr[i]) * ((double(xr[i]) - m) * s);
    if (db != nullptr)
      for (i64 i = 0; i < n; i++) db[i] += double(gr[i]);
  }
}

void softmax_rows(int dtype, const void* x, void* y, i64 n, i64 b, i64 e) {
  if (dtype == F32) return softmax_rows_typed(static_cast<const float*>(x), static_cast<float*>(y), n, b, e);
#ifndef MYELIN_ALL_DTYPES
  MYELIN_OTHER(softmax_rows(dtype, x, y, n, b, e));
#else
  softmax_rows_typed(static_cast<const double*>(x), static_cast<double*>(y), n, b, e);
#endif
}

void softmax_backward_rows(int dtype, const void* g, const void* y, void* dx, i64 n, i64 b, i64 e) {
  if (dtype == F32)
    return softmax_backward_rows_typed(static_cast<const float*>(g), static_cast<const float*>(y),
                                       static_cast<float*>(dx), n, b, e);
#ifndef MYELIN_ALL_DTYPES
  MYELIN_OTHER(softmax_backward_rows(dtype, g, y, dx, n, b, e));
#else
  softmax_backward_rows_typed(static_cast<const double*>(g), static_cast<const double*>(y), static_cast<double*>(dx),
                              n, b, e);
#endif
}

void layer_norm_rows(int dtype, const void* x, const void* w, const void* bias, void* y, void* mean, void* inv_std,
                     double eps, i64 n, i64 b, i64 e) {
  if (dtype == F32)
    return layer_norm_rows_typed(static_cast<const float*>(x), static_cast<const float*>(w),
                                 static_cast<const float*>(bias), static_cast<float*>(y), static_cast<float*>(mean),
                                 static_cast<float*>(inv_std), eps, n, b, e);
#ifndef MYELIN_ALL_DTYPES
  MYELIN_OTHER(layer_norm_rows(dtype, x, w, bias, y, mean, inv_std, eps, n, b, e));
#else
  layer_norm_rows_typed(static_cast<const double*>(x), static_cast<const double*>(w), static_cast<const double*>(bias),
                        static_cast<double*>(y), static_cast<double*>(mean), static_cast<double*>(inv_std), eps, n, b,
                        e);
#endif
}

void layer_norm_backward_rows(int dtype, const void* g, const void* x, const void* w, const void* mean,
                              const void* inv_std, void* dx, i64 n, i64 b, i64 e) {
  if (dtype == F32)
    return layer_norm_backward_rows_typed(static_cast<const float*>(g), static_cast<const float*>(x),
                                          static_cast<const float*>(w), static_cast<const float*>(mean),
                                          static_cast<const float*>(inv_std), static_cast<float*>(dx), n, b, e);
#ifndef MYELIN_ALL_DTYPES
  MYELIN_OTHER(layer_norm_backward_rows(dtype, g, x, w, mean, inv_std, dx, n, b, e));
#else
  layer_norm_backward_rows_typed(static_cast<const double*>(g), static_cast<const double*>(x),
                                 static_cast<const double*>(w), static_cast<const double*>(mean),
                                 static_cast<const double*>(inv_std), static_cast<double*>(dx), n, b, e);
#endif
}

void layer_norm_param_rows(int dtype, const void* g, const void* x, const void* mean, const void* inv_std, double* dw,
                           double* db, i64 n, i64 b, i64 e) {
  if (dtype == F32)
    return layer_norm_param_rows_typed(static_cast<const float*>(g), static_cast<const float*>(x),
                                       static_cast<const float*>(mean), static_cast<const float*>(inv_std), dw, db, n,
                                       b, e);
#ifndef MYELIN_ALL_DTYPES
  MYELIN_OTHER(layer_norm_param_rows(dtype, g, x, mean, inv_std, dw, db, n, b, e));
#else
  layer_norm_param_rows_typed(static_cast<const double*>(g), static_cast<const double*>(x),
                              static_cast<const double*>(mean), static_cast<const double*>(inv_std), dw, db, n, b, e);
#endif
}

// ---- batch norm ----------------------------------------------------------------------------

// Sums in double over n values in 8 interleaved partial sums, added up in a fixed order at the
// end: the same result on every run and thread count, and 8 independent additions in flight
// instead of one chain (a single double accumulator waits ~4 cycles per element: batchNorm was
// 8% of a CNN epoch). Lane k takes elements k, k + 8, ...; the tail goes to lanes 0..n%8-1.
constexpr int kLanes = 8;  // double lanes: one AVX-512 vector

double add_lanes(const double (&acc)[kLanes]) {
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/** acc[k] += f(i) for the elements i of [0, n) of lane k. */
template <typename F>
void accumulate_lanes(double (&acc)[kLanes], i64 n, F f) {
  i64 i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int k = 0; k < kLanes; k++) acc[k] += f(i + k);
  for (int k = 0; i < n; i++, k++) acc[k] += f(i);
}

/** Channels [cb, ce): statistics (or the given ones) and the normalised output. Sums in double. */
template <typename T>
void batch_norm_channels_typed(const ChannelLayout& l, const T* x, const T* weight, const T* bias, const T* given_mean, const T* given_var, double eps, T* out, T* mean,
                         T* var, T* inv_std, i64 cb, i64 ce) {
  const double count = double(l.n * l.inner);
  for (i64 ch = cb; ch < ce; ch++) {
    double m, v;
    if (given_mean == nullptr) {
      double sums[kLanes] = {};
      for (i64 b = 0; b < l.n; b++) {
        const T* p = x + (b * l.c + ch) * l.inner;
        accumulate_lanes(sums, l.inner, [p](i64 i) { return double(p[i]); });
      }
      m = add_lanes(sums) / count;
      double squares[kLanes] = {};
      for (i64 b = 0; b < l.n; b++) {
        const T* p = x + (b * l.c + ch) * l.inner;
        accumulate_lanes(squares, l.inner, [p, m](i64 i) {
          const double d = double(p[i]) - m;
          return d * d;
        });
      }
      v = add_lanes(squares) / count;
    } else {
      m = double(given_mean[ch]);
      v = double(given_var[ch]);
    }
    const double s = 1.0 / std::sqrt(v + eps);
    // y = x * scale + shift, with scale = invStd * weight and shift = bias - mean * scale
    const T scale = T(s * (weight ? double(weight[ch]) : 1.0));
    const T shift = T((bias ? double(bias[ch]) : 0.0) - m * s * (weight ? double(weight[ch]) : 1.0));
    for (i64 b = 0; b < l.n; b++) {
      const i64 at = (b * l.c + ch) * l.inner;
      const T* p = x + at;
      T* o = out + at;
      for (i64 i = 0; i < l.inner; i++) o[i] = p[i] * scale + shift;
    }
    mean[ch] = T(m);
    var[ch] = T(v);
    inv_std[ch] = T(s);
  }
}

/** Channels [cb, ce) of batchNormBackward (see the contract); any output may be null. */
template <typename T>
void batch_norm_backward_channels_typed(const ChannelLayout& l, const T* g, const T* x, const T* weight, const T* mean, const T* inv_std, bool training, T* dx, T* dw, T* db,
                                  i64 cb, i64 ce) {
  const double count = double(l.n * l.inner);
  for (i64 ch = cb; ch < ce; ch++) {
    const double m = double(mean[ch]), s = double(inv_std[ch]);
    double gs[kLanes] = {}, gxs[kLanes] = {};
    for (i64 b = 0; b < l.n; b++) {
      const T* gp = g + (b * l.c + ch) * l.inner;
      const T* xp = x + (b * l.c + ch) * l.inner;
      accumulate_lanes(gs, l.inner, [gp](i64 i) { return double(gp[i]); });
      accumulate_lanes(gxs, l.inner, [gp, xp, m](i64 i) { return double(gp[i]) * (double(xp[i]) - m); });
    }
    const double sum_g = add_lanes(gs), sum_gx = add_lanes(gxs);
    const double sum_gxhat = sum_gx * s;
    if (dw != nullptr) dw[ch] = T(sum_gxhat);
    if (db != nullptr) db[ch] = T(sum_g);
    if (dx == nullptr) continue;
    const double w = weight ? double(weight[ch]) : 1.0;
    if (training) {
      // dx = s * (g w - w sum_g / M - xhat w sum_gxhat / M) = a g + b x + c
      const double a = s * w;
      const double bx = -s * w * sum_gxhat / count * s;
      const double c = -s * w * sum_g / count - bx * m;
      for (i64 b = 0; b < l.n; b++) {
        const i64 at = (b * l.c + ch) * l.inner;
        for (i64 i = 0; i < l.inner; i++) dx[at + i] = T(a * double(g[at + i]) + bx * double(x[at + i]) + c);
      }
    } else {
      const T a = T(s * w);
      for (i64 b = 0; b < l.n; b++) {
        const i64 at = (b * l.c + ch) * l.inner;
        for (i64 i = 0; i < l.inner; i++) dx[at + i] = g[at + i] * a;
      }
    }
  }
}

void batch_norm_channels(int dtype, const ChannelLayout& l, const void* x, const void* w, const void* bias,
                         const void* given_mean, const void* given_var, double eps, void* y, void* mean, void* var,
                         void* inv_std, i64 b, i64 e) {
  if (dtype == F32)
    return batch_norm_channels_typed(l, static_cast<const float*>(x), static_cast<const float*>(w),
                                     static_cast<const float*>(bias), static_cast<const float*>(given_mean),
                                     static_cast<const float*>(given_var), eps, static_cast<float*>(y),
                                     static_cast<float*>(mean), static_cast<float*>(var), static_cast<float*>(inv_std),
                                     b, e);
#ifndef MYELIN_ALL_DTYPES
  MYELIN_OTHER(batch_norm_channels(dtype, l, x, w, bias, given_mean, given_var, eps, y, mean, var, inv_std, b, e));
#else
  batch_norm_channels_typed(l, static_cast<const double*>(x), static_cast<const double*>(w),
                            static_cast<const double*>(bias), static_cast<const double*>(given_mean),
                            static_cast<const double*>(given_var), eps, static_cast<double*>(y),
                            static_cast<double*>(mean), static_cast<double*>(var), static_cast<double*>(inv_std), b, e);
#endif
}

void batch_norm_backward_channels(int dtype, const ChannelLayout& l, const void* g, const void* x, const void* w,
                                  const void* mean, const void* inv_std, bool training, void* dx, void* dw, void* db,
                                  i64 b, i64 e) {
  if (dtype == F32)
    return batch_norm_backward_channels_typed(l, static_cast<const float*>(g), static_cast<const float*>(x),
                                              static_cast<const float*>(w), static_cast<const float*>(mean),
                                              static_cast<const float*>(inv_std), training, static_cast<float*>(dx),
                                              static_cast<float*>(dw), static_cast<float*>(db), b, e);
#ifndef MYELIN_ALL_DTYPES
  MYELIN_OTHER(batch_norm_backward_channels(dtype, l, g, x, w, mean, inv_std, training, dx, dw, db, b, e));
#else
  batch_norm_backward_channels_typed(l, static_cast<const double*>(g), static_cast<const double*>(x),
                                     static_cast<const double*>(w), static_cast<const double*>(mean),
                                     static_cast<const double*>(inv_std), training, static_cast<double*>(dx),
                                     static_cast<double*>(dw), static_cast<double*>(db), b, e);
#endif
}

// ---- recurrent cells -------------------------------------------------------------------------
// One LSTM or GRU step per row, the gates' activations and products as the composed sigmoid,
// tanh, mul, add and sub kernels compute them, in the same order (float32: sigmoid8 and tanh8 on
// 8 lanes, the row's tail through a zero-padded vector; float64: the scalar ones): the forward
// gives the bits of the composed step.

/** A row's values 8 (float32) or 1 (float64) at a time: V, its loads and stores of `k` lanes. */
template <typename T>
struct Lanes;
template <>
struct Lanes<float> {
  using V = VF;
  static constexpr i64 width = 8;
  static inline __attribute__((always_inline)) V load(const float* p, i64 k) {
    if (k == 8) return *reinterpret_cast<const VF*>(p);
    VF v = VF{};
    for (i64 j = 0; j < k; j++) v[j] = p[j];
    return v;
  }
  static inline __attribute__((always_inline)) void store(float* p, V v, i64 k) {
    if (k == 8) *reinterpret_cast<VF*>(p) = v;
    else for (i64 j = 0; j < k; j++) p[j] = v[j];
  }
};
template <>
struct Lanes<double> {
  using V = double;
  static constexpr i64 width = 1;
  static inline double load(const double* p, i64) { return *p; }
  static inline void store(double* p, double v, i64) { *p = v; }
};

inline __attribute__((always_inline)) VF sigmoid_of(VF x) { return sigmoid8(x); }
inline __attribute__((always_inline)) VF tanh_of(VF x) { return tanh8(x); }
inline double sigmoid_of(double x) { return sigmoid(x); }
inline double tanh_of(double x) { return std::tanh(x); }

/** f(j, k) for the lanes j .. j + k of a row of n values. */
template <typename T, typename F>
inline __attribute__((always_inline)) void over_row(i64 n, F f) {
  constexpr i64 w = Lanes<T>::width;
  for (i64 j = 0; j < n; j += w) f(j, std::min(w, n - j));
}

template <typename T>
void lstm_cell_typed(const T* __restrict gates, const T* __restrict state, T* __restrict out, i64 h, i64 b, i64 e) {
  using L = Lanes<T>;
  for (i64 row = b; row < e; row++) {
    const T* a = gates + row * 4 * h;
    const T* c = state + row * 2 * h + h;
    T* y = out + row * 2 * h;
    over_row<T>(h, [&](i64 j, i64 k) __attribute__((always_inline)) {
      const auto i = sigmoid_of(L::load(a + j, k));
      const auto f = sigmoid_of(L::load(a + h + j, k));
      const auto g = tanh_of(L::load(a + 2 * h + j, k));
      const auto o = sigmoid_of(L::load(a + 3 * h + j, k));
      const auto fc = f * L::load(c + j, k);
      const auto ig = i * g;
      const auto c2 = fc + ig;
      L::store(y + h + j, c2, k);
      L::store(y + j, o * tanh_of(c2), k);
    });
  }
}

template <typename T>
void lstm_cell_backward_typed(const T* __restrict grad, const T* __restrict gates, const T* __restrict state,
                              T* __restrict dgates, T* __restrict dstate, i64 h, i64 b, i64 e) {
  using L = Lanes<T>;
  const T one = 1;
  for (i64 row = b; row < e; row++) {
    const T* a = gates + row * 4 * h;
    const T* c = state + row * 2 * h + h;
    const T* dh = grad + row * 2 * h;
    const T* dc_in = dh + h;
    T* da = dgates + row * 4 * h;
    T* ds = dstate + row * 2 * h;
    for (i64 j = 0; j < h; j++) ds[j] = T(0);
    over_row<T>(h, [&](i64 j, i64 k) __attribute__((always_inline)) {
      const auto i = sigmoid_of(L::load(a + j, k));
      const auto f = sigmoid_of(L::load(a + h + j, k));
      const auto g = tanh_of(L::load(a + 2 * h + j, k));
      const auto o = sigmoid_of(L::load(a + 3 * h + j, k));
      const auto cv = L::load(c + j, k);
      const auto t = tanh_of(f * cv + i * g);
      const auto gh = L::load(dh + j, k);
      const auto dc = L::load(dc_in + j, k) + gh * o * (one - t * t);
      L::store(da + j, (dc * g) * (i * (one - i)), k);
      L::store(da + h + j, (dc * cv) * (f * (one - f)), k);
      L::store(da + 2 * h + j, (dc * i) * (one - g * g), k);
      L::store(da + 3 * h + j, (gh * t) * (o * (one - o)), k);
      L::store(ds + h + j, dc * f, k);
    });
  }
}

template <typename T>
void gru_cell_typed(const T* __restrict gx, const T* __restrict gh, const T* __restrict hp, T* __restrict out, i64 h,
                    i64 b, i64 e) {
  using L = Lanes<T>;
  for (i64 row = b; row < e; row++) {
    const T* x = gx + row * 3 * h;
    const T* r_h = gh + row * 3 * h;
    const T* prev = hp + row * h;
    T* y = out + row * h;
    over_row<T>(h, [&](i64 j, i64 k) __attribute__((always_inline)) {
      const auto r = sigmoid_of(L::load(r_h + j, k) + L::load(x + j, k));
      const auto z = sigmoid_of(L::load(r_h + h + j, k) + L::load(x + h + j, k));
      const auto n = tanh_of(L::load(x + 2 * h + j, k) + L::load(r_h + 2 * h + j, k) * r);
      L::store(y + j, (L::load(prev + j, k) - n) * z + n, k);
    });
  }
}

template <typename T>
void gru_cell_backward_typed(const T* __restrict grad, const T* __restrict gx, const T* __restrict gh,
                             const T* __restrict hp, T* __restrict dgx, T* __restrict dgh, T* __restrict dh, i64 h,
                             i64 b, i64 e) {
  using L = Lanes<T>;
  const T one = 1;
  for (i64 row = b; row < e; row++) {
    const T* x = gx + row * 3 * h;
    const T* r_h = gh + row * 3 * h;
    const T* prev = hp + row * h;
    const T* g = grad + row * h;
    T* dx = dgx + row * 3 * h;
    T* dr_h = dgh + row * 3 * h;
    T* d_prev = dh + row * h;
    over_row<T>(h, [&](i64 j, i64 k) __attribute__((always_inline)) {
      const auto r = sigmoid_of(L::load(r_h + j, k) + L::load(x + j, k));
      const auto z = sigmoid_of(L::load(r_h + h + j, k) + L::load(x + h + j, k));
      const auto hn = L::load(r_h + 2 * h + j, k);
      const auto n = tanh_of(L::load(x + 2 * h + j, k) + hn * r);
      const auto gv = L::load(g + j, k);
      const auto dn = (gv * (one - z)) * (one - n * n);
      const auto dz = (gv * (L::load(prev + j, k) - n)) * (z * (one - z));
      const auto dr = (dn * hn) * (r * (one - r));
      L::store(dx + j, dr, k);
      L::store(dx + h + j, dz, k);
      L::store(dx + 2 * h + j, dn, k);
      L::store(dr_h + j, dr, k);
      L::store(dr_h + h + j, dz, k);
      L::store(dr_h + 2 * h + j, dn * r, k);
      L::store(d_prev + j, gv * z, k);
    });
  }
}

void lstm_cell_rows(int dtype, const void* gates, const void* state, void* out, i64 h, i64 b, i64 e) {
  if (dtype == F32)
    return lstm_cell_typed(static_cast<const float*>(gates), static_cast<const float*>(state), static_cast<float*>(out),
                           h, b, e);
#ifndef MYELIN_ALL_DTYPES
  MYELIN_OTHER(lstm_cell_rows(dtype, gates, state, out, h, b, e));
#else
  lstm_cell_typed(static_cast<const double*>(gates), static_cast<const double*>(state), static_cast<double*>(out), h,
                  b, e);
#endif
}

void lstm_cell_backward_rows(int dtype, const void* grad, const void* gates, const void* state, void* dgates,
                             void* dstate, i64 h, i64 b, i64 e) {
  if (dtype == F32)
    return lstm_cell_backward_typed(static_cast<const float*>(grad), static_cast<const float*>(gates),
                                    static_cast<const float*>(state), static_cast<float*>(dgates),
                                    static_cast<float*>(dstate), h, b, e);
#ifndef MYELIN_ALL_DTYPES
  MYELIN_OTHER(lstm_cell_backward_rows(dtype, grad, gates, state, dgates, dstate, h, b, e));
#else
  lstm_cell_backward_typed(static_cast<const double*>(grad), static_cast<const double*>(gates),
                           static_cast<const double*>(state), static_cast<double*>(dgates),
                           static_cast<double*>(dstate), h, b, e);
#endif
}

void gru_cell_rows(int dtype, const void* gx, const void* gh, const void* hp, void* out, i64 h, i64 b, i64 e) {
  if (dtype == F32)
    return gru_cell_typed(static_cast<const float*>(gx), static_cast<const float*>(gh), static_cast<const float*>(hp),
                          static_cast<float*>(out), h, b, e);
#ifndef MYELIN_ALL_DTYPES
  MYELIN_OTHER(gru_cell_rows(dtype, gx, gh, hp, out, h, b, e));
#else
  gru_cell_typed(static_cast<const double*>(gx), static_cast<const double*>(gh), static_cast<const double*>(hp),
                 static_cast<double*>(out), h, b, e);
#endif
}

void gru_cell_backward_rows(int dtype, const void* grad, const void* gx, const void* gh, const void* hp, void* dgx,
                            void* dgh, void* dh, i64 h, i64 b, i64 e) {
  if (dtype == F32)
    return gru_cell_backward_typed(static_cast<const float*>(grad), static_cast<const float*>(gx),
                                   static_cast<const float*>(gh), static_cast<const float*>(hp),
                                   static_cast<float*>(dgx), static_cast<float*>(dgh), static_cast<float*>(dh), h, b, e);
#ifndef MYELIN_ALL_DTYPES
  MYELIN_OTHER(gru_cell_backward_rows(dtype, grad, gx, gh, hp, dgx, dgh, dh, h, b, e));
#else
  gru_cell_backward_typed(static_cast<const double*>(grad), static_cast<const double*>(gx),
                          static_cast<const double*>(gh), static_cast<const double*>(hp), static_cast<double*>(dgx),
                          static_cast<double*>(dgh), static_cast<double*>(dh), h, b, e);
#endif
}

const KernelTable table = {
    MYELIN_STR(MYELIN_ISA), unary,        cast,         binary,          where,
    reduce_rows,            reduce_cols,  adam,         bias_activation, softmax_xent,
    bias_act_backward,      sgd,          softmax_rows, softmax_backward_rows, layer_norm_rows,
    layer_norm_backward_rows, layer_norm_param_rows, batch_norm_channels, batch_norm_backward_channels,
    lstm_cell_rows,         lstm_cell_backward_rows, gru_cell_rows, gru_cell_backward_rows,
};

}  // namespace
}  // namespace MYELIN_ISA

const KernelTable& MYELIN_CAT(kernels_, MYELIN_ISA)() { return MYELIN_ISA::table; }

}  // namespace myelin
