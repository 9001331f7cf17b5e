// The shared N-API glue's functions (see include/myelin/glue.h), compiled into each addon.
#include "myelin/glue.h"

#include <cmath>
#include <cstring>

namespace myelin {
inline namespace glue {

const char* const DTYPE_NAMES[4] = {"float32", "float64", "int32", "bool"};

// ---- errors ----------------------------------------------------------------------------------

void ErrorClasses::set(const ArgReader& args, int count) {
  for (int i = 0; i < count && i < ERROR_KINDS; i++) {
    if (refs[i] != nullptr) napi_delete_reference(args.env, refs[i]);
    refs[i] = nullptr;
    napi_create_reference(args.env, args.at(std::size_t(i)), 1, &refs[i]);
  }
}

void ErrorClasses::release(napi_env env) {
  for (auto& ref : refs) {
    if (ref != nullptr) napi_delete_reference(env, ref);
    ref = nullptr;
  }
}

namespace {
napi_value string_value(napi_env env, const std::string& s) {
  napi_value v;
  napi_create_string_utf8(env, s.c_str(), NAPI_AUTO_LENGTH, &v);
  return v;
}
}  // namespace

napi_value make_error(napi_env env, const ErrorClasses* classes, const char* backend, const GlueError& e) {
  const int slot = int(e.kind);
  napi_value ctor = nullptr;
  if (classes != nullptr && classes->refs[slot] != nullptr) napi_get_reference_value(env, classes->refs[slot], &ctor);
  napi_value error = nullptr;
  if (ctor != nullptr) {
    if (e.kind == ErrorKind::Unsupported) {
      napi_value argv[4] = {string_value(env, e.op), string_value(env, DTYPE_NAMES[e.dtype]), string_value(env, backend), nullptr};
      if (e.message.empty()) napi_get_undefined(env, &argv[3]);
      else argv[3] = string_value(env, e.message);
      napi_new_instance(env, ctor, 4, argv, &error);
    } else if (e.kind == ErrorKind::OutOfMemory) {
      napi_value argv[3] = {string_value(env, e.message), nullptr, nullptr};
      napi_create_double(env, e.requested, &argv[1]);
      napi_create_double(env, e.free, &argv[2]);
      napi_new_instance(env, ctor, 3, argv, &error);
    } else {
      napi_value msg = string_value(env, e.message);
      napi_new_instance(env, ctor, 1, &msg, &error);
    }
  }
  if (error == nullptr) {
    const std::string text = e.kind == ErrorKind::Unsupported
                                 ? std::string("backend '") + backend + "' does not support op '" + e.op + "' for dtype " + DTYPE_NAMES[e.dtype] + (e.message.empty() ? "" : ": " + e.message)
                                 : e.message;
    napi_create_error(env, nullptr, string_value(env, text), &error);
  }
  return error;
}

napi_value throw_error(napi_env env, const ErrorClasses* classes, const char* backend, const GlueError& e) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw(env, make_error(env, classes, backend, e));
  return nullptr;
}

// ---- checks ----------------------------------------------------------------------------------

std::string format_shape(const i64* shape, int rank) {
  std::string s = "[";
  for (int i = 0; i < rank; i++) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

i64 checked_size(const i64* shape, int rank) {
  // The non-zero dimensions are bounded too: the strides and partial products of an empty tensor
  // (a shape such as [0, 2^40, 2^40]) are products of them, and must not overflow either.
  constexpr i64 limit = i64(1) << 50;
  i64 size = 1, nonzero = 1;
  for (int d = 0; d < rank; d++) {
    if (shape[d] < 0) throw shape_error("shape " + format_shape(shape, rank) + " has a negative dimension");
    if (shape[d] == 0) {
      size = 0;
      continue;
    }
    if (nonzero > limit / shape[d]) {
      throw shape_error("shape " + format_shape(shape, rank) + " is too large: its non-zero dimensions multiply to more than 2^50");
    }
    nonzero *= shape[d];
    size *= shape[d];
  }
  return size;
}

int check_dtype(int dtype) {
  if (dtype < F32 || dtype > BOOL) throw argument_error("unknown dtype code " + std::to_string(dtype));
  return dtype;
}

void check_axis(int axis, int rank, const char* op) {
  if (axis < 0 || axis >= rank) throw argument_error(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
}

void strides_of(const i64* shape, int rank, i64* strides) {
  i64 s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
}

std::uint64_t fill_bits(int dtype, double value) {
  std::uint64_t bits = 0;
  switch (dtype) {
    case F32: {
      const float v = static_cast<float>(value);
      std::memcpy(&bits, &v, 4);
      break;
    }
    case F64: std::memcpy(&bits, &value, 8); break;
    case I32: {
      // JavaScript's ToInt32: truncate, wrap modulo 2^32; NaN and +-Infinity -> 0.
      double t = !(value == value) || std::isinf(value) ? 0 : std::trunc(value);
      t = std::fmod(t, 4294967296.0);
      if (t < 0) t += 4294967296.0;
      bits = std::uint32_t(t);
      break;
    }
    default: bits = value != 0 ? 1 : 0; break;
  }
  return bits;
}

std::uint64_t reduce_identity_bits(int op, int dtype) {
  if (op != 1 || dtype == BOOL) return 0;
  if (dtype == I32) return 0x80000000u;
  return fill_bits(dtype, -INFINITY);
}

i64 check_reshape(const i64* from, int from_rank, i64 from_size, const i64* shape, int rank) {
  const i64 size = checked_size(shape, rank);
  if (size != from_size) throw shape_error("cannot reshape " + format_shape(from, from_rank) + " to " + format_shape(shape, rank));
  return size;
}

i64 check_view(const i64* from, int from_rank, i64 from_size, i64 element_offset, const i64* shape, int rank) {
  const i64 size = checked_size(shape, rank);
  if (element_offset < 0 || element_offset + size > from_size) throw shape_error("view out of bounds of " + format_shape(from, from_rank));
  return size;
}

// ---- arguments -------------------------------------------------------------------------------

ArgReader::ArgReader(napi_env e, napi_callback_info info) : env(e) {
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc > 16) argc = 16;  // napi_get_cb_info reports every argument passed, argv holds 16: at() reads no further
  napi_get_instance_data(env, &instance);
}

napi_value ArgReader::at(size_t i) const {
  if (i >= argc) throw argument_error("missing argument " + std::to_string(i));
  return argv[i];
}

namespace {
bool is_int32(double v) { return v >= -2147483648.0 && v <= 2147483647.0 && v == std::floor(v); }
}  // namespace

bool exact_int32(napi_env env, napi_value value, std::int32_t* out) {
  double v;
  if (napi_get_value_double(env, value, &v) != napi_ok || !is_int32(v)) return false;
  *out = std::int32_t(v);
  return true;
}

int ArgReader::i32(size_t i) const {
  // Exactly: napi_get_value_int32 would truncate 0.5 to handle 0 and wrap 2^32 to axis 0.
  double v;
  if (napi_get_value_double(env, at(i), &v) != napi_ok) throw argument_error("argument " + std::to_string(i) + " is not a number");
  if (!is_int32(v)) throw argument_error("argument " + std::to_string(i) + " must be a 32-bit integer, got " + std::to_string(v));
  return std::int32_t(v);
}

double ArgReader::f64(size_t i) const {
  double v;
  if (napi_get_value_double(env, at(i), &v) != napi_ok) throw argument_error("argument " + std::to_string(i) + " is not a number");
  return v;
}

bool ArgReader::boolean(size_t i) const {
  bool v;
  if (napi_get_value_bool(env, at(i), &v) != napi_ok) throw argument_error("argument " + std::to_string(i) + " is not a boolean");
  return v;
}

int ArgReader::dims(size_t i, i64* out, int max) const {
  napi_value arr = at(i);
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) throw argument_error("argument " + std::to_string(i) + " is not an array");
  if (n > uint32_t(max)) throw unsupported("shape", F32, "rank " + std::to_string(n) + " is above the limit of " + std::to_string(max));
  for (uint32_t k = 0; k < n; k++) {
    napi_value el;
    double d = NAN;
    napi_get_element(env, arr, k, &el);
    if (napi_get_value_double(env, el, &d) != napi_ok || !(d >= 0) || d != std::floor(d) || d > 9.0e15) {
      throw shape_error("a dimension must be a non-negative integer, got " + std::to_string(d) + " at index " + std::to_string(k));
    }
    out[k] = i64(d);
  }
  return int(n);
}

std::vector<std::string> ArgReader::strings(size_t i) const {
  napi_value arr = at(i);
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) throw argument_error("argument " + std::to_string(i) + " is not an array of strings");
  std::vector<std::string> out;
  for (uint32_t k = 0; k < n; k++) {
    napi_value el;
    napi_get_element(env, arr, k, &el);
    std::size_t length = 0;
    if (napi_get_value_string_utf8(env, el, nullptr, 0, &length) != napi_ok) throw argument_error("argument " + std::to_string(i) + " is not an array of strings");
    std::string s(length, '\0');
    napi_get_value_string_utf8(env, el, &s[0], length + 1, &length);
    out.push_back(s);
  }
  return out;
}

// ---- results and registration ----------------------------------------------------------------

napi_value make_int(napi_env env, i64 v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

napi_value id_array(napi_env env, const int* ids, int count) {
  napi_value arr;
  napi_create_array_with_length(env, std::size_t(count), &arr);
  for (int i = 0; i < count; i++) {
    napi_value v;
    if (ids[i] < 0) napi_get_null(env, &v);
    else napi_create_int32(env, ids[i], &v);
    napi_set_element(env, arr, uint32_t(i), v);
  }
  return arr;
}

void set_string(napi_env env, napi_value obj, const char* key, const std::string& value) { napi_set_named_property(env, obj, key, string_value(env, value)); }

void set_number(napi_env env, napi_value obj, const char* key, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

void set_bool(napi_env env, napi_value obj, const char* key, bool value) {
  napi_value v;
  napi_get_boolean(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

napi_value define_entries(napi_env env, napi_value exports, std::initializer_list<Entry> entries) {
  std::vector<napi_property_descriptor> props;
  props.reserve(entries.size());
  for (const Entry& e : entries) props.push_back({e.name, nullptr, e.fn, nullptr, nullptr, nullptr, napi_default, nullptr});
  napi_define_properties(env, exports, props.size(), props.data());
  return exports;
}

}  // namespace glue
}  // namespace myelin
