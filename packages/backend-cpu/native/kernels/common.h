// Shared definitions of the kernels: dtypes and op codes (myelin/native-types.h), JS number-conversion rules.
// Kernel sources are pure functions over pointers and sizes: no OS calls, no allocation,
// no threads (the runtime splits work into ranges and calls them), so they can also be
// compiled to WebAssembly.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#include <myelin/native-types.h>  // dtypes, op codes, MAX_RANK, Loop: shared with backend-cuda (tooling/native-build)

namespace myelin {

/** JavaScript's ToInt32: truncate toward zero, wrap modulo 2^32, NaN and +-Infinity -> 0. */
inline std::int32_t to_int32(double v) {
  if (!(v == v) || std::isinf(v)) return 0;
  double t = std::trunc(v);
  if (t >= -2147483648.0 && t < 2147483648.0) return static_cast<std::int32_t>(t);
  double m = std::fmod(t, 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(m));
}

/** Stores a double into a dtype's storage the way a JS typed-array store does. */
template <typename T> inline T store_as(double v);
template <> inline float store_as<float>(double v) { return static_cast<float>(v); }
template <> inline double store_as<double>(double v) { return v; }
template <> inline std::int32_t store_as<std::int32_t>(double v) { return to_int32(v); }
template <> inline std::uint8_t store_as<std::uint8_t>(double v) { return v != 0 ? 1 : 0; }

/** The larger of two values where a NaN on either side wins (the reference's rule). */
template <typename T> inline T max_nan(T best, T v) { return (!(v <= best) && best == best) ? v : best; }

}  // namespace myelin
