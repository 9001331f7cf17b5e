// Storage and elementwise entry points: fromData, fill, read (asynchronous) and readSync,
// release, unary, cast, binary, where.
#include <cmath>

#include "ops.h"

namespace mc {

namespace {

/** JavaScript's ToInt32 on the host. */
std::int32_t to_int32_host(double v) {
  if (!(v == v) || std::isinf(v)) return 0;
  const double t = std::trunc(v);
  if (t >= -2147483648.0 && t < 2147483648.0) return static_cast<std::int32_t>(t);
  double m = std::fmod(t, 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(m));
}

template <typename S>
void convert_host(const S* src, void* dst, int dtype, i64 n) {
  for (i64 i = 0; i < n; i++) {
    const double v = double(src[i]);
    switch (dtype) {
      case F32: static_cast<float*>(dst)[i] = static_cast<float>(v); break;
      case F64: static_cast<double*>(dst)[i] = v; break;
      case I32: static_cast<std::int32_t*>(dst)[i] = to_int32_host(v); break;
      default: static_cast<std::uint8_t*>(dst)[i] = v != 0 ? 1 : 0; break;
    }
  }
}

std::string flag_text(int flag) {
  std::string ops;
  if (flag & FLAG_GATHER) ops += "gather";
  if (flag & FLAG_SCATTER) ops += std::string(ops.empty() ? "" : ", ") + "scatterAdd";
  if (flag & FLAG_LABEL) ops += std::string(ops.empty() ? "" : ", ") + "softmaxCrossEntropy (a label)";
  return "backend 'cuda': an index was out of range in " + ops +
         " since the last read (those elements were skipped or set to 0/NaN, nothing was read out of bounds); this read fails so the bad values are not used";
}

const napi_typedarray_type TYPED[4] = {napi_float32_array, napi_float64_array, napi_int32_array, napi_uint8_array};

/** A read in flight: the device copy into pinned memory, then the event that marks it done. */
struct PendingRead {
  State* st;
  Context* ctx;
  Block* pinned;
  cudaEvent_t event;
  cudaError_t status = cudaSuccess;
  std::size_t bytes;
  std::size_t flag_at;
  int dtype;
  i64 size;
  napi_deferred deferred = nullptr;
  napi_async_work work = nullptr;
};

/** Enqueues the copy of tensor t (and the error flag, which is then cleared) into pinned memory. */
PendingRead* start_read(State* st, const Tensor& t) {
  Context& c = *st->ctx;
  const std::size_t bytes = t.bytes();
  const std::size_t flag_at = (bytes + 7) / 8 * 8;
  Block* pinned = c.pinned->acquire(flag_at + 8);
  if (pinned == nullptr) throw backend_error("backend 'cuda': read could not allocate " + std::to_string(flag_at + 8) + " bytes of pinned host memory");
  cudaEvent_t event = c.take_event();
  cudaError_t e = event == nullptr ? cudaErrorMemoryAllocation : cudaSuccess;
  if (e == cudaSuccess && bytes > 0) e = cudaMemcpyAsync(pinned->data, t.data(), bytes, cudaMemcpyDeviceToHost, c.stream);
  if (e == cudaSuccess) e = cudaMemcpyAsync(static_cast<char*>(pinned->data) + flag_at, c.flag, sizeof(int), cudaMemcpyDeviceToHost, c.stream);
  if (e == cudaSuccess) e = cudaMemsetAsync(c.flag, 0, sizeof(int), c.stream);
  if (e == cudaSuccess) e = cudaEventRecord(event, c.stream);
  if (e != cudaSuccess) {
    cudaGetLastError();
    c.pinned->release(pinned);
    if (event != nullptr) c.give_event(event);
    throw backend_error("backend 'cuda': read failed: " + cuda_error_text(e));
  }
  return new PendingRead{st, &c, pinned, event, cudaSuccess, bytes, flag_at, t.dtype, t.size};
}

/** The typed array of a completed read, or the error; frees the read's resources. */
napi_value finish_read(napi_env env, PendingRead* r, bool* failed) {
  napi_value result = nullptr;
  *failed = true;
  if (r->status != cudaSuccess) {
    result = make_glue_error(env, r->st, backend_error("backend 'cuda': read failed on the GPU: " + cuda_error_text(r->status)));
  } else {
    int flag = 0;
    std::memcpy(&flag, static_cast<char*>(r->pinned->data) + r->flag_at, sizeof(int));
    if (flag != 0) {
      result = make_glue_error(env, r->st, argument_error(flag_text(flag)));
    } else {
      void* data = nullptr;
      napi_value buffer;
      if (napi_create_arraybuffer(env, r->bytes, &data, &buffer) != napi_ok) {
        result = make_glue_error(env, r->st, backend_error("backend 'cuda': read could not allocate " + std::to_string(r->bytes) + " bytes"));
      } else {
        if (r->bytes > 0) std::memcpy(data, r->pinned->data, r->bytes);
        napi_create_typedarray(env, TYPED[r->dtype], std::size_t(r->size), buffer, 0, &result);
        *failed = false;
      }
    }
  }
  r->ctx->pinned->release(r->pinned);
  r->ctx->give_event(r->event);
  return result;
}

void read_execute(napi_env, void* data) {
  PendingRead* r = static_cast<PendingRead*>(data);
  // On a libuv worker thread: waits for the copy without holding Node's event loop.
  cudaSetDevice(r->ctx->device);
  r->status = cudaEventSynchronize(r->event);
}

void read_complete(napi_env env, napi_status, void* data) {
  PendingRead* r = static_cast<PendingRead*>(data);
  bool failed = false;
  napi_value value = finish_read(env, r, &failed);
  if (failed) napi_reject_deferred(env, r->deferred, value);
  else napi_resolve_deferred(env, r->deferred, value);
  napi_delete_async_work(env, r->work);
  delete r;
}

}  // namespace

void upload(State* st, void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  Context& c = *st->ctx;
  c.reap();
  Block* pinned = c.pinned->acquire(bytes);
  if (pinned == nullptr) throw backend_error("backend 'cuda': could not allocate " + std::to_string(bytes) + " bytes of pinned host memory for an upload");
  std::memcpy(pinned->data, src, bytes);
  cudaEvent_t event = c.take_event();
  cudaError_t e = event == nullptr ? cudaErrorMemoryAllocation : cudaMemcpyAsync(dst, pinned->data, bytes, cudaMemcpyHostToDevice, c.stream);
  if (e == cudaSuccess) e = cudaEventRecord(event, c.stream);
  if (e != cudaSuccess) {
    cudaGetLastError();
    cudaStreamSynchronize(c.stream);
    c.pinned->release(pinned);
    if (event != nullptr) c.give_event(event);
    throw backend_error("backend 'cuda': upload failed: " + cuda_error_text(e));
  }
  c.pending.emplace_back(pinned, event);
}

napi_value FromData(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const FromDataArgs f = from_data_args(a);
    const int dtype = f.dtype;
    const i64 size = f.size;
    const void* data = f.data;
    const napi_typedarray_type type = f.type;
    a.ctx();
    const int id = new_tensor(a.st, dtype, f.shape, f.rank);
    Tensor& t = tensor_at(a.st, id);
    const bool same = (type == napi_float32_array && dtype == F32) || (type == napi_float64_array && dtype == F64) || (type == napi_int32_array && dtype == I32);
    // A failed upload releases the tensor (guarded).
    if (same) {
      upload(a.st, t.data(), data, t.bytes());
    } else {
      std::vector<unsigned char> host(t.bytes());
      switch (type) {
        case napi_float32_array: convert_host(static_cast<const float*>(data), host.data(), dtype, size); break;
        case napi_float64_array: convert_host(static_cast<const double*>(data), host.data(), dtype, size); break;
        case napi_int32_array: convert_host(static_cast<const std::int32_t*>(data), host.data(), dtype, size); break;
        case napi_int8_array: convert_host(static_cast<const std::int8_t*>(data), host.data(), dtype, size); break;
        case napi_int16_array: convert_host(static_cast<const std::int16_t*>(data), host.data(), dtype, size); break;
        case napi_uint16_array: convert_host(static_cast<const std::uint16_t*>(data), host.data(), dtype, size); break;
        case napi_uint32_array: convert_host(static_cast<const std::uint32_t*>(data), host.data(), dtype, size); break;
        default: convert_host(static_cast<const std::uint8_t*>(data), host.data(), dtype, size); break;
      }
      upload(a.st, t.data(), host.data(), t.bytes());
    }
    return make_int(env, id);
  });
}

napi_value Fill(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const FillCall f = read_fill(a);
    Context& c = a.ctx();
    const int id = new_tensor(a.st, f.dtype, f.shape, f.rank);
    Tensor& t = tensor_at(a.st, id);
    launch_fill(c.stream, t.data(), int(dtype_size(f.dtype)), glue::fill_bits(f.dtype, f.value), t.size);
    check_launch("fill");
    return make_int(env, id);
  });
}

napi_value Read(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& t = a.tensor(0);
    a.ctx();
    PendingRead* r = start_read(a.st, t);
    napi_value promise, name;
    napi_create_promise(env, &r->deferred, &promise);
    napi_create_string_utf8(env, "myelin-cuda-read", NAPI_AUTO_LENGTH, &name);
    if (napi_create_async_work(env, nullptr, name, read_execute, read_complete, r, &r->work) != napi_ok || napi_queue_async_work(env, r->work) != napi_ok) {
      // Without a worker: wait here, then settle the promise.
      r->status = cudaEventSynchronize(r->event);
      bool failed = false;
      napi_value value = finish_read(env, r, &failed);
      if (failed) napi_reject_deferred(env, r->deferred, value);
      else napi_resolve_deferred(env, r->deferred, value);
      if (r->work != nullptr) napi_delete_async_work(env, r->work);
      delete r;
    }
    return promise;
  });
}

napi_value ReadSync(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const Tensor& t = a.tensor(0);
    a.ctx();
    PendingRead* r = start_read(a.st, t);
    r->status = cudaEventSynchronize(r->event);
    bool failed = false;
    napi_value value = finish_read(env, r, &failed);
    delete r;
    if (failed) {
      napi_throw(env, value);
      return static_cast<napi_value>(nullptr);
    }
    return value;
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
    Context& c = a.ctx();
    const int id = new_tensor(a.st, x.dtype, x.shape, x.rank);
    launch_unary(c.stream, op, x.dtype, x.data(), tensor_at(a.st, id).data(), x.size);
    check_launch(UNARY_NAMES[op]);
    return make_int(env, id);
  });
}

napi_value Cast(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto [x, to] = read_cast(a);
    Context& c = a.ctx();
    const int id = new_tensor(a.st, to, x.shape, x.rank);
    launch_cast(c.stream, x.dtype, to, x.data(), tensor_at(a.st, id).data(), x.size);
    check_launch("cast");
    return make_int(env, id);
  });
}

/** accumulate(sum, x, scale): a running sum's step, sum + cast(x) * scale (fit's loss and metric sums). */
napi_value Accumulate(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_accumulate(a);
    Context& c = a.ctx();
    const int id = new_tensor(a.st, call.sum.dtype, call.sum.shape, call.sum.rank);
    launch_accumulate(c.stream, call.sum.dtype, call.x.dtype, call.sum.data(), call.x.data(), tensor_at(a.st, id).data(), call.scale, call.sum.size);
    check_launch("accumulate");
    return make_int(env, id);
  });
}

napi_value Binary(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_binary(a);
    Context& c = a.ctx();
    const int id = new_tensor(a.st, call.plan.dtype, call.plan.shape, call.plan.rank);
    Tensor& out = tensor_at(a.st, id);
    if (out.size > 0) launch_binary(c.stream, call.op, call.x.dtype, call.plan.loop, call.x.data(), call.y.data(), out.data());
    check_launch(BINARY_NAMES[call.op]);
    return make_int(env, id);
  });
}

napi_value Where(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const auto call = read_where(a);
    Context& c = a.ctx();
    const int dtype = call.x.dtype;
    const int id = new_tensor(a.st, dtype, call.plan.shape, call.plan.rank);
    Tensor& out = tensor_at(a.st, id);
    if (out.size > 0) launch_where(c.stream, int(dtype_size(dtype)), call.plan.loop, call.condition.data(), call.x.data(), call.y.data(), out.data());
    check_launch("where");
    return make_int(env, id);
  });
}

}  // namespace mc
