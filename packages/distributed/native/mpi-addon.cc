// @myelin/distributed's addon: the few MPI calls data-parallel training needs, over Open MPI's
// C API (linked against libmpi; see scripts/build-native.mjs). Every call is blocking and runs on
// the calling (main) thread, like torch.distributed's synchronous collectives.
//
//   libraryVersion() -> string           (works before init)
//   init() -> { rank, size, processor }  (MPI_Init_thread, MPI_THREAD_FUNNELED)
//   initialized(), finalized() -> bool
//   allReduce(typedArray, op)            in place; float32, float64, int32; op 0 sum, 1 max, 2 min
//   broadcast(typedArray, root)          in place; any typed array or Buffer (sent as bytes)
//   barrier(), abort(code), finalize()
#include <dlfcn.h>
#include <mpi.h>
#include <node_api.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <string>

namespace {

bool g_inited = false;
bool g_finalized = false;

#define CHECK_NAPI(env, call)                                          \
  do {                                                                 \
    if ((call) != napi_ok) {                                           \
      napi_throw_error((env), "MYELIN_MPI", "Node-API call failed: " #call); \
      return nullptr;                                                  \
    }                                                                  \
  } while (0)

napi_value throw_error(napi_env env, const std::string& message) {
  napi_throw_error(env, "MYELIN_MPI", message.c_str());
  return nullptr;
}

std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<std::size_t>(length));
}

napi_value check_mpi(napi_env env, int code, const char* what) {
  if (code == MPI_SUCCESS) return nullptr;
  return throw_error(env, std::string(what) + " failed: " + mpi_error_text(code));
}

bool require_active(napi_env env, const char* what) {
  if (!g_inited) {
    throw_error(env, std::string(what) + ": MPI is not initialised (call init() first)");
    return false;
  }
  if (g_finalized) {
    throw_error(env, std::string(what) + ": MPI was already finalised");
    return false;
  }
  return true;
}

napi_value make_bool(napi_env env, bool value) {
  napi_value v;
  napi_get_boolean(env, value, &v);
  return v;
}

napi_value make_int(napi_env env, int value) {
  napi_value v;
  napi_create_int32(env, value, &v);
  return v;
}

napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

struct Args {
  napi_value argv[3];
  size_t argc = 3;
};

bool get_args(napi_env env, napi_callback_info info, Args* args, size_t required, const char* what) {
  if (napi_get_cb_info(env, info, &args->argc, args->argv, nullptr, nullptr) != napi_ok || args->argc < required) {
    throw_error(env, std::string(what) + ": expected " + std::to_string(required) + " argument(s)");
    return false;
  }
  return true;
}

struct View {
  void* data = nullptr;
  size_t length = 0;  // elements
  size_t element = 1; // bytes per element
  MPI_Datatype type = MPI_BYTE;
};

/** A typed array or Buffer: its memory, length and MPI datatype (bytes unless `numeric`). */
bool get_view(napi_env env, napi_value value, bool numeric, View* view, const char* what) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  if (!is_typed) {
    throw_error(env, std::string(what) + ": expected a typed array");
    return false;
  }
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, &buffer, &offset) != napi_ok) {
    throw_error(env, std::string(what) + ": could not read the typed array");
    return false;
  }
  view->data = data;
  view->length = length;
  switch (type) {
    case napi_float32_array:
      view->element = 4;
      view->type = MPI_FLOAT;
      break;
    case napi_float64_array:
      view->element = 8;
      view->type = MPI_DOUBLE;
      break;
    case napi_int32_array:
      view->element = 4;
      view->type = MPI_INT;
      break;
    default:
      if (numeric) {
        throw_error(env, std::string(what) + ": only Float32Array, Float64Array and Int32Array can be reduced");
        return false;
      }
      // Broadcast any other array as bytes.
      view->element = 1;
      view->type = MPI_BYTE;
      view->length = length * (type == napi_int8_array || type == napi_uint8_array || type == napi_uint8_clamped_array ? 1
                               : type == napi_int16_array || type == napi_uint16_array                                  ? 2
                               : type == napi_uint32_array                                                               ? 4
                                                                                                                         : 8);
      return true;
  }
  if (!numeric) {
    view->length *= view->element;
    view->element = 1;
    view->type = MPI_BYTE;
  }
  return true;
}

// MPI counts are ints: large buffers go in chunks of at most 2^30 elements.
constexpr size_t kChunk = size_t{1} << 30;

napi_value LibraryVersion(napi_env env, napi_callback_info) {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string version(text, static_cast<size_t>(length));
  while (!version.empty() && (version.back() == '\n' || version.back() == '\0')) version.pop_back();
  napi_value v;
  CHECK_NAPI(env, napi_create_string_utf8(env, version.c_str(), version.size(), &v));
  return v;
}

napi_value Init(napi_env env, napi_callback_info) {
  if (g_finalized) return throw_error(env, "init: MPI was already finalised in this process (it cannot restart)");
  if (!g_inited) {
    // Node loads this addon with RTLD_LOCAL; Open MPI's plugins (dlopened by MPI_Init) look for
    // libmpi's symbols globally, so promote the already-loaded library first.
    dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
    int already = 0;
    MPI_Initialized(&already);
    if (!already) {
      int provided = 0;
      int code = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
      if (code != MPI_SUCCESS) return throw_error(env, "MPI_Init_thread failed: " + mpi_error_text(code));
    }
    g_inited = true;
  }
  int rank = 0, size = 1, length = 0;
  char name[MPI_MAX_PROCESSOR_NAME];
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Get_processor_name(name, &length);
  napi_value result, processor;
  CHECK_NAPI(env, napi_create_object(env, &result));
  CHECK_NAPI(env, napi_set_named_property(env, result, "rank", make_int(env, rank)));
  CHECK_NAPI(env, napi_set_named_property(env, result, "size", make_int(env, size)));
  CHECK_NAPI(env, napi_create_string_utf8(env, name, static_cast<size_t>(length), &processor));
  CHECK_NAPI(env, napi_set_named_property(env, result, "processor", processor));
  return result;
}

napi_value Initialized(napi_env env, napi_callback_info) { return make_bool(env, g_inited && !g_finalized); }

napi_value Finalized(napi_env env, napi_callback_info) { return make_bool(env, g_finalized); }

napi_value AllReduce(napi_env env, napi_callback_info info) {
  Args args;
  if (!get_args(env, info, &args, 2, "allReduce") || !require_active(env, "allReduce")) return nullptr;
  View view;
  if (!get_view(env, args.argv[0], true, &view, "allReduce")) return nullptr;
  int op_code = 0;
  CHECK_NAPI(env, napi_get_value_int32(env, args.argv[1], &op_code));
  MPI_Op op = op_code == 1 ? MPI_MAX : op_code == 2 ? MPI_MIN : MPI_SUM;
  if (op_code < 0 || op_code > 2) return throw_error(env, "allReduce: op must be 0 (sum), 1 (max) or 2 (min)");
  char* base = static_cast<char*>(view.data);
  for (size_t done = 0; done < view.length; done += kChunk) {
    const size_t count = view.length - done < kChunk ? view.length - done : kChunk;
    int code = MPI_Allreduce(MPI_IN_PLACE, base + done * view.element, static_cast<int>(count), view.type, op, MPI_COMM_WORLD);
    if (code != MPI_SUCCESS) return check_mpi(env, code, "MPI_Allreduce");
  }
  return undefined(env);
}

napi_value Broadcast(napi_env env, napi_callback_info info) {
  Args args;
  if (!get_args(env, info, &args, 2, "broadcast") || !require_active(env, "broadcast")) return nullptr;
  View view;
  if (!get_view(env, args.argv[0], false, &view, "broadcast")) return nullptr;
  int root = 0, size = 1;
  CHECK_NAPI(env, napi_get_value_int32(env, args.argv[1], &root));
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (root < 0 || root >= size) return throw_error(env, "broadcast: root " + std::to_string(root) + " is not a rank of 0.." + std::to_string(size - 1));
  char* base = static_cast<char*>(view.data);
  for (size_t done = 0; done < view.length; done += kChunk) {
    const size_t count = view.length - done < kChunk ? view.length - done : kChunk;
    int code = MPI_Bcast(base + done, static_cast<int>(count), MPI_BYTE, root, MPI_COMM_WORLD);
    if (code != MPI_SUCCESS) return check_mpi(env, code, "MPI_Bcast");
  }
  return undefined(env);
}

napi_value Barrier(napi_env env, napi_callback_info) {
  if (!require_active(env, "barrier")) return nullptr;
  int code = MPI_Barrier(MPI_COMM_WORLD);
  if (code != MPI_SUCCESS) return check_mpi(env, code, "MPI_Barrier");
  return undefined(env);
}

napi_value Abort(napi_env env, napi_callback_info info) {
  Args args;
  napi_get_cb_info(env, info, &args.argc, args.argv, nullptr, nullptr);
  int code = 1;
  if (args.argc >= 1) napi_get_value_int32(env, args.argv[0], &code);
  if (!g_inited || g_finalized) return make_bool(env, false);
  std::fflush(stdout);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);  // does not return: mpirun ends every rank
  return make_bool(env, true);
}

napi_value Finalize(napi_env env, napi_callback_info) {
  if (g_inited && !g_finalized) {
    int code = MPI_Finalize();
    g_finalized = true;
    if (code != MPI_SUCCESS) return check_mpi(env, code, "MPI_Finalize");
  }
  return undefined(env);
}

napi_value Register(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"libraryVersion", nullptr, LibraryVersion, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"init", nullptr, Init, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"initialized", nullptr, Initialized, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"finalized", nullptr, Finalized, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"allReduce", nullptr, AllReduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"broadcast", nullptr, Broadcast, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"barrier", nullptr, Barrier, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"abort", nullptr, Abort, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"finalize", nullptr, Finalize, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Register)
