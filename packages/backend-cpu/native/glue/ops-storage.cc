// Storage and elementwise entry points: fromData, fill, read, release, unary, cast, binary, where.
#include "../kernels/movement.h"
#include "ops.h"

namespace myelin {

namespace {
template <typename S>
void convert_any(const S* src, void* dst, int dtype, i64 n) {
  for (i64 i = 0; i < n; i++) {
    const double v = double(src[i]);
    switch (dtype) {
      case F32: static_cast<float*>(dst)[i] = store_as<float>(v); break;
      case F64: static_cast<double*>(dst)[i] = v; break;
      case I32: static_cast<std::int32_t*>(dst)[i] = store_as<std::int32_t>(v); break;
      case BOOL: static_cast<std::uint8_t*>(dst)[i] = store_as<std::uint8_t>(v); break;
    }
  }
}

}  // namespace

napi_value FromData(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const FromDataArgs f = from_data_args(a);
    const int dtype = f.dtype;
    const i64 size = f.size;
    const void* data = f.data;
    const int id = new_tensor(a.st, dtype, f.shape, f.rank);
    void* dst = tensor_at(a.st, id).data();
    const KernelTable& k = *a.st->k;
    switch (f.type) {
      case napi_float32_array: k.cast(F32, dtype, data, dst, 0, size); break;
      case napi_float64_array: k.cast(F64, dtype, data, dst, 0, size); break;
      case napi_int32_array: k.cast(I32, dtype, data, dst, 0, size); break;
      case napi_uint8_array:
      case napi_uint8_clamped_array: k.cast(BOOL, dtype, data, dst, 0, size); break;
      case napi_int8_array: convert_any(static_cast<const std::int8_t*>(data), dst, dtype, size); break;
      case napi_int16_array: convert_any(static_cast<const std::int16_t*>(data), dst, dtype, size); break;
      case napi_uint16_array: convert_any(static_cast<const std::uint16_t*>(data), dst, dtype, size); break;
      case napi_uint32_array: convert_any(static_cast<const std::uint32_t*>(data), dst, dtype, size); break;
      default: break;  // BigInt arrays were refused above
    }
    return make_int(env, id);
  });
}

napi_value Fill(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const FillCall c = read_fill(a);
    const int id = new_tensor(a.st, c.dtype, c.shape, c.rank);
    Tensor& t = tensor_at(a.st, id);
    const std::uint64_t pattern = glue::fill_bits(c.dtype, c.value);
    fill_pattern(int(dtype_size(c.dtype)), t.data(), &pattern, t.size);
    return make_int(env, id);
  });
}

napi_value Read(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& t = a.tensor(0);
    const std::size_t bytes = std::size_t(t.size) * dtype_size(t.dtype);
    void* data = nullptr;
    napi_value buffer, out;
    if (napi_create_arraybuffer(env, bytes, &data, &buffer) != napi_ok) throw backend_error("read: could not allocate " + std::to_string(bytes) + " bytes");
    if (bytes > 0) std::memcpy(data, t.data(), bytes);
    static const napi_typedarray_type types[4] = {napi_float32_array, napi_float64_array, napi_int32_array, napi_uint8_array};
    napi_create_typedarray(env, types[t.dtype], std::size_t(t.size), buffer, 0, &out);
    return out;
  });
}

napi_value ReadInto(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& t = a.tensor(0);
    napi_typedarray_type type;
    size_t length;
    void* data;
    if (napi_get_typedarray_info(env, a.at(1), &type, &length, &data, nullptr, nullptr) != napi_ok) {
      throw argument_error("readInto needs a typed array to write to");
    }
    static const napi_typedarray_type types[4] = {napi_float32_array, napi_float64_array, napi_int32_array, napi_uint8_array};
    static const char* const array_names[4] = {"Float32Array", "Float64Array", "Int32Array", "Uint8Array"};
    if (type != types[t.dtype]) throw argument_error(std::string("readInto: a ") + DTYPE_NAMES[t.dtype] + " tensor reads into a " + array_names[t.dtype]);
    if (i64(length) != t.size) {
      throw shape_error("readInto: the tensor has " + std::to_string(t.size) + " elements, the array " + std::to_string(length));
    }
    if (length > 0) std::memcpy(data, t.data(), std::size_t(t.size) * dtype_size(t.dtype));
    return static_cast<napi_value>(nullptr);
  });
}

napi_value Release(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    release_tensor(a.st, a.tensor_id(0));
    return static_cast<napi_value>(nullptr);
  });
}

napi_value Unary(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [op, x] = read_unary(a);
    const int id = new_tensor(a.st, x.dtype, x.shape, x.rank);
    const void* src = x.data();
    void* dst = tensor_at(a.st, id).data();
    const KernelTable& k = *a.st->k;
    const i64 cost = op <= U_NEG || op == U_ABS || op == U_RELU ? 1 : 16;
    parallel_for(a.st, x.size, cost, [&, op = op, dtype = x.dtype](i64 b, i64 e) { k.unary(op, dtype, src, dst, b, e); });
    return make_int(env, id);
  });
}

napi_value Cast(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [x, to] = read_cast(a);
    const int id = new_tensor(a.st, to, x.shape, x.rank);
    const void* src = x.data();
    void* dst = tensor_at(a.st, id).data();
    const KernelTable& k = *a.st->k;
    parallel_for(a.st, x.size, 1, [&, from = x.dtype, to = to](i64 b, i64 e) { k.cast(from, to, src, dst, b, e); });
    return make_int(env, id);
  });
}

napi_value Binary(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_binary(a);
    const int id = new_tensor(a.st, call.plan.dtype, call.plan.shape, call.plan.rank);
    const void* pa = call.x.data();
    const void* pb = call.y.data();
    void* po = tensor_at(a.st, id).data();
    const KernelTable& k = *a.st->k;
    const int op = call.op, dtype = call.x.dtype;
    const i64 cost = op == B_POW ? 16 : 1;
    parallel_for(a.st, tensor_at(a.st, id).size, cost, [&](i64 b, i64 e) { k.binary(op, dtype, call.plan.loop, pa, pb, po, b, e); });
    return make_int(env, id);
  });
}

napi_value Where(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_where(a);
    const int dtype = call.x.dtype;
    const int id = new_tensor(a.st, dtype, call.plan.shape, call.plan.rank);
    const void *pc = call.condition.data(), *pa = call.x.data(), *pb = call.y.data();
    void* po = tensor_at(a.st, id).data();
    const KernelTable& k = *a.st->k;
    parallel_for(a.st, tensor_at(a.st, id).size, 1, [&](i64 b, i64 e) { k.where(dtype, call.plan.loop, pc, pa, pb, po, b, e); });
    return make_int(env, id);
  });
}

}  // namespace myelin
