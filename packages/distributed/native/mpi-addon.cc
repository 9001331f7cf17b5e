// @myelin/distributed's addon: the few MPI calls data-parallel training needs, over Open MPI's
// C API (linked against libmpi; see scripts/build-native.mjs). Every call is blocking and runs on
// the calling (main) thread, like torch.distributed's synchronous collectives.
//
//   libraryVersion() -> string           (works before init)
//   init() -> { rank, size, processor }  (MPI_Init_thread, MPI_THREAD_FUNNELED)
//   initialized(), finalized() -> bool
//   allReduce(typedArray, op)            in place; float32, float64, int32; op 0 sum, 1 max, 2 min,
//                                        3 mean (sum / size; float32 and float64 only)
//   allReduceParts(parts, out, op)      sum (0) or mean (3) of float arrays (or counts of zeros)
//                                        laid end to end, into `out` (their lengths add up to its)
//   sharedMemory() -> bool               whether float sums take the shared-memory path (below)
//   broadcast(typedArray, root)          in place; any typed array or Buffer (sent as bytes)
//   barrier(), abort(code), finalize()
#include <dlfcn.h>
#include <mpi.h>
#include <node_api.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#endif

namespace {

bool g_inited = false;
bool g_finalized = false;

// ---- the shared-memory all-reduce ------------------------------------------------------------
// When every rank of MPI_COMM_WORLD runs on this node, float sums and means skip MPI_Allreduce
// (whose copy-in/copy-out through the shared-memory transport costs several passes over the
// buffer): each rank copies its values into its own segment of an MPI-3 shared-memory window
// (MPI_Win_allocate_shared), one barrier over the node's ranks, then each rank sums every
// rank's segment, in rank order, straight into its output and scales it (mean). Same operations
// in the same order on every rank, so the replicas get identical bits. Each segment has two
// halves used alternately, so the next call's copy-in cannot overwrite values a slower rank is
// still reading: one barrier per call, not two. Ranks on several nodes (or
// MYELIN_MPI_SHARED_MEMORY=0 on any rank) use MPI_Allreduce.
//
// The barrier (Linux) is a counter in the window that spins for up to kSpinNs and then sleeps on
// a futex, where MPI_Barrier would spin until the last rank arrives: on a machine with other
// work, a rank spinning for a descheduled peer takes the core that peer needs. Elsewhere,
// MPI_Barrier.
MPI_Comm g_node = MPI_COMM_NULL;
bool g_shm = false;
MPI_Win g_win = MPI_WIN_NULL;
std::vector<char*> g_segments;  // each rank's segment, as mapped in this process
size_t g_half = 0;              // bytes in each half of a segment
int g_parity = 0;
constexpr size_t kShmMaxHalf = size_t{1} << 20;  // larger arrays go in chunks of 1 MiB (a small /dev/shm)
constexpr size_t kControl = 64;  // bytes before each segment's halves; rank 0's hold the barrier
constexpr long kSpinNs = 200'000;

/** The node barrier's state, in rank 0's control bytes. */
struct NodeBarrier {
  std::atomic<uint32_t> arrived;
  std::atomic<uint32_t> generation;  // bumped by the last rank to arrive; the futex word
  std::atomic<uint32_t> sleepers;
};
static_assert(sizeof(NodeBarrier) <= kControl, "the barrier fits in the control bytes");
static_assert(std::atomic<uint32_t>::is_always_lock_free, "atomics shared between processes must be lock-free");
NodeBarrier* g_barrier = nullptr;

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

/** Decides (collectively, once, after MPI_Init) whether the shared-memory path is used. */
int setup_shared_memory() {
  int world = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  int code = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &g_node);
  if (code != MPI_SUCCESS) return code;
  int local = 1;
  MPI_Comm_size(g_node, &local);
  const char* env = std::getenv("MYELIN_MPI_SHARED_MEMORY");
  int wanted = world > 1 && local == world && !(env != nullptr && std::strcmp(env, "0") == 0) ? 1 : 0;
  // Every rank must take the same path: on only if all want it.
  code = MPI_Allreduce(MPI_IN_PLACE, &wanted, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (code != MPI_SUCCESS) return code;
  g_shm = wanted == 1;
  return MPI_SUCCESS;
}

void free_window() {
  if (g_win != MPI_WIN_NULL) {
    MPI_Win_unlock_all(g_win);
    MPI_Win_free(&g_win);
  }
  g_win = MPI_WIN_NULL;
  g_segments.clear();
  g_barrier = nullptr;
  g_half = 0;
}

/** A window whose halves hold at least `bytes` (collective over the node; same `bytes` everywhere). */
int ensure_window(size_t bytes) {
  if (bytes <= g_half) return MPI_SUCCESS;
  free_window();
  size_t half = size_t{64} << 10;
  while (half < bytes) half *= 2;
  if (half > kShmMaxHalf) half = kShmMaxHalf;
  char* mine = nullptr;
  MPI_Info info;
  MPI_Info_create(&info);
  MPI_Info_set(info, "alloc_shared_noncontig", "true");  // each segment near its own rank
  int code = MPI_Win_allocate_shared(static_cast<MPI_Aint>(kControl + 2 * half), 1, info, g_node, &mine, &g_win);
  MPI_Info_free(&info);
  if (code != MPI_SUCCESS) {
    g_win = MPI_WIN_NULL;
    return code;
  }
  int local = 1;
  MPI_Comm_size(g_node, &local);
  g_segments.assign(static_cast<size_t>(local), nullptr);
  for (int r = 0; r < local; r++) {
    MPI_Aint size = 0;
    int unit = 0;
    void* base = nullptr;
    code = MPI_Win_shared_query(g_win, r, &size, &unit, &base);
    if (code != MPI_SUCCESS) return code;
    // Never trust a size we did not check: every segment must hold the control bytes and both halves.
    if (base == nullptr || size < static_cast<MPI_Aint>(kControl + 2 * half)) return MPI_ERR_SIZE;
    g_segments[static_cast<size_t>(r)] = static_cast<char*>(base);
  }
  code = MPI_Win_lock_all(MPI_MODE_NOCHECK, g_win);  // a passive epoch, for MPI_Win_sync
  if (code != MPI_SUCCESS) return code;
  g_barrier = reinterpret_cast<NodeBarrier*>(g_segments[0]);
  int rank = 0;
  MPI_Comm_rank(g_node, &rank);
  if (rank == 0) new (g_barrier) NodeBarrier{{0}, {0}, {0}};
  MPI_Win_sync(g_win);
  code = MPI_Barrier(g_node);  // the barrier's state is set before anyone uses it
  if (code != MPI_SUCCESS) return code;
  g_half = half;
  g_parity = 0;
  return MPI_SUCCESS;
}

#ifdef __linux__
long futex(std::atomic<uint32_t>* word, int op, uint32_t value, const timespec* timeout) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op, value, timeout, nullptr, 0);
}

long elapsed_ns(const timespec& since) {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since.tv_sec) * 1'000'000'000L + (now.tv_nsec - since.tv_nsec);
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}
#endif

/**
 * Returns once every rank of the node has called it. The last to arrive bumps the generation
 * (seq_cst, after its acq_rel arrival: every rank's earlier writes are visible to the waiters'
 * acquire loads). Waiters spin for up to kSpinNs, then sleep on the generation (a shared futex:
 * not FUTEX_PRIVATE, the word is in memory mapped by several processes), re-checking every 10 ms.
 * While waiting they still drive MPI's progress engine now and then (MPI_Iprobe on the node
 * communicator, where no message is ever sent), as MPI_Barrier would: a peer finishing an
 * earlier operation may need this rank's progress.
 */
int node_barrier() {
#ifdef __linux__
  NodeBarrier* b = g_barrier;
  const uint32_t ranks = static_cast<uint32_t>(g_segments.size());
  const uint32_t generation = b->generation.load(std::memory_order_acquire);
  if (b->arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == ranks) {
    b->arrived.store(0, std::memory_order_relaxed);  // no rank re-enters before the bump below
    b->generation.fetch_add(1, std::memory_order_seq_cst);
    if (b->sleepers.load(std::memory_order_seq_cst) != 0) futex(&b->generation, FUTEX_WAKE, INT_MAX, nullptr);
    return MPI_SUCCESS;
  }
  timespec started;
  clock_gettime(CLOCK_MONOTONIC, &started);
  int flag = 0;
  for (unsigned spins = 1;; spins++) {
    if (b->generation.load(std::memory_order_acquire) != generation) return MPI_SUCCESS;
    cpu_relax();
    if (spins % 256 == 0) {
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, g_node, &flag, MPI_STATUS_IGNORE);
      if (elapsed_ns(started) > kSpinNs) break;
    }
  }
  b->sleepers.fetch_add(1, std::memory_order_seq_cst);
  const timespec recheck = {0, 10'000'000};
  while (b->generation.load(std::memory_order_seq_cst) == generation) {
    futex(&b->generation, FUTEX_WAIT, generation, &recheck);
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, g_node, &flag, MPI_STATUS_IGNORE);
  }
  b->sleepers.fetch_sub(1, std::memory_order_seq_cst);
  return MPI_SUCCESS;
#else
  return MPI_Barrier(g_node);
#endif
}

/** out[i] = scale * (rank 0's + rank 1's + ...)[i], scale applied in double as in JavaScript. */
template <typename T>
void sum_segments(T* __restrict out, size_t count, double scale) {
  const size_t ranks = g_segments.size();
  const size_t at = kControl + static_cast<size_t>(g_parity) * g_half;
  const T* __restrict a = reinterpret_cast<const T*>(g_segments[0] + at);
  if (ranks == 2) {
    const T* __restrict b = reinterpret_cast<const T*>(g_segments[1] + at);
    // 1/2 is exact in T, and so is the product before rounding: multiplying in T rounds once,
    // to the same value as the double product (and twice the SIMD width for float).
    const T half = static_cast<T>(scale);
    if (scale == 1.0)
      for (size_t i = 0; i < count; i++) out[i] = a[i] + b[i];
    else if (scale == 0.5)
      for (size_t i = 0; i < count; i++) out[i] = (a[i] + b[i]) * half;
    else
      for (size_t i = 0; i < count; i++) out[i] = static_cast<T>(static_cast<double>(a[i] + b[i]) * scale);
    return;
  }
  for (size_t i = 0; i < count; i++) out[i] = a[i];
  for (size_t r = 1; r < ranks; r++) {
    const T* __restrict b = reinterpret_cast<const T*>(g_segments[r] + at);
    for (size_t i = 0; i < count; i++) out[i] += b[i];
  }
  if (scale != 1.0)
    for (size_t i = 0; i < count; i++) out[i] = static_cast<T>(static_cast<double>(out[i]) * scale);
}

/** A piece of an all-reduce's input: `bytes` from `data`, or zeros where `data` is null. */
struct Part {
  const char* data;
  size_t bytes;
};

/** Copies bytes [start, start + bytes) of the parts, laid end to end, to `to`. */
void gather_parts(const std::vector<Part>& parts, size_t start, size_t bytes, char* to) {
  size_t at = 0;  // where the current part starts
  for (const Part& part : parts) {
    if (bytes == 0) return;
    const size_t end = at + part.bytes;
    if (start < end) {
      const size_t from = start - at;
      const size_t take = part.bytes - from < bytes ? part.bytes - from : bytes;
      if (part.data == nullptr) std::memset(to, 0, take);
      else std::memmove(to, part.data + from, take);
      to += take;
      start += take;
      bytes -= take;
    }
    at = end;
  }
}

/** out (length elements) = the sum over ranks of the parts laid end to end, times scale. */
template <typename T>
int shm_all_reduce(const std::vector<Part>& parts, T* out, size_t length, double scale) {
  int code = ensure_window(length * sizeof(T) < kShmMaxHalf ? length * sizeof(T) : kShmMaxHalf);
  if (code != MPI_SUCCESS) return code;
  int rank = 0;
  MPI_Comm_rank(g_node, &rank);
  const size_t chunk = g_half / sizeof(T);
  for (size_t done = 0; done < length; done += chunk) {
    const size_t count = length - done < chunk ? length - done : chunk;
    char* mine = g_segments[static_cast<size_t>(rank)] + kControl + static_cast<size_t>(g_parity) * g_half;
    gather_parts(parts, done * sizeof(T), count * sizeof(T), mine);
    MPI_Win_sync(g_win);  // our copy is visible before the barrier ...
    code = node_barrier();
    if (code != MPI_SUCCESS) return code;
    MPI_Win_sync(g_win);  // ... and every rank's after it
    sum_segments<T>(out + done, count, scale);
    g_parity ^= 1;
  }
  return MPI_SUCCESS;
}

template <typename T>
void scale_values(T* values, size_t length, double scale) {
  for (size_t i = 0; i < length; i++) values[i] = static_cast<T>(static_cast<double>(values[i]) * scale);
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
    int code = setup_shared_memory();
    if (code != MPI_SUCCESS) return check_mpi(env, code, "MPI_Comm_split_type (shared memory)");
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

/**
 * The all-reduce of `parts` (laid end to end; empty: `view` itself) into `view`, in place. op 0
 * sum, 1 max, 2 min, 3 mean. Parts are only for float sums and means.
 */
napi_value reduce_into(napi_env env, const View& view, const std::vector<Part>& parts, int op_code) {
  const bool is_float = view.type == MPI_FLOAT || view.type == MPI_DOUBLE;
  if (op_code == 3 && !is_float) return throw_error(env, "allReduce: mean needs a Float32Array or Float64Array");
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const double scale = op_code == 3 ? 1.0 / size : 1.0;
  std::vector<Part> whole;
  if (parts.empty()) whole.push_back({static_cast<const char*>(view.data), view.length * view.element});
  const std::vector<Part>& input = parts.empty() ? whole : parts;
  if (g_shm && is_float && (op_code == 0 || op_code == 3)) {
    int code = view.type == MPI_FLOAT ? shm_all_reduce(input, static_cast<float*>(view.data), view.length, scale)
                                      : shm_all_reduce(input, static_cast<double*>(view.data), view.length, scale);
    if (code != MPI_SUCCESS) return check_mpi(env, code, "allReduce over shared memory");
    return undefined(env);
  }
  char* base = static_cast<char*>(view.data);
  if (!parts.empty()) gather_parts(parts, 0, view.length * view.element, base);
  MPI_Op op = op_code == 1 ? MPI_MAX : op_code == 2 ? MPI_MIN : MPI_SUM;
  for (size_t done = 0; done < view.length; done += kChunk) {
    const size_t count = view.length - done < kChunk ? view.length - done : kChunk;
    int code = MPI_Allreduce(MPI_IN_PLACE, base + done * view.element, static_cast<int>(count), view.type, op, MPI_COMM_WORLD);
    if (code != MPI_SUCCESS) return check_mpi(env, code, "MPI_Allreduce");
  }
  if (scale != 1.0) {
    if (view.type == MPI_FLOAT) scale_values(static_cast<float*>(view.data), view.length, scale);
    else scale_values(static_cast<double*>(view.data), view.length, scale);
  }
  return undefined(env);
}

bool get_op(napi_env env, napi_value value, int* op_code, const char* what) {
  if (napi_get_value_int32(env, value, op_code) != napi_ok || *op_code < 0 || *op_code > 3) {
    throw_error(env, std::string(what) + ": op must be 0 (sum), 1 (max), 2 (min) or 3 (mean)");
    return false;
  }
  return true;
}

napi_value AllReduce(napi_env env, napi_callback_info info) {
  Args args;
  if (!get_args(env, info, &args, 2, "allReduce") || !require_active(env, "allReduce")) return nullptr;
  View view;
  int op_code = 0;
  if (!get_view(env, args.argv[0], true, &view, "allReduce") || !get_op(env, args.argv[1], &op_code, "allReduce"))
    return nullptr;
  return reduce_into(env, view, {}, op_code);
}

/**
 * allReduceParts(parts, out, op): the sum or mean over ranks of `parts` laid end to end (each a
 * typed array of out's type, or a number: that many zeros) into `out`, so JavaScript need not
 * copy them into `out` first. Their lengths must add up to out's; none may overlap `out`.
 */
napi_value AllReduceParts(napi_env env, napi_callback_info info) {
  Args args;
  if (!get_args(env, info, &args, 3, "allReduceParts") || !require_active(env, "allReduceParts")) return nullptr;
  View out;
  int op_code = 0;
  if (!get_view(env, args.argv[1], true, &out, "allReduceParts") || !get_op(env, args.argv[2], &op_code, "allReduceParts"))
    return nullptr;
  if (op_code != 0 && op_code != 3) return throw_error(env, "allReduceParts: op must be 0 (sum) or 3 (mean)");
  if (out.type != MPI_FLOAT && out.type != MPI_DOUBLE)
    return throw_error(env, "allReduceParts: out must be a Float32Array or Float64Array");
  bool is_array = false;
  napi_is_array(env, args.argv[0], &is_array);
  if (!is_array) return throw_error(env, "allReduceParts: parts must be an array");
  uint32_t count = 0;
  CHECK_NAPI(env, napi_get_array_length(env, args.argv[0], &count));
  std::vector<Part> parts;
  parts.reserve(count);
  size_t total = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    CHECK_NAPI(env, napi_get_element(env, args.argv[0], i, &item));
    napi_valuetype kind;
    CHECK_NAPI(env, napi_typeof(env, item, &kind));
    if (kind == napi_number) {
      // A run of zeros (a parameter without a gradient on this rank).
      double zeros = 0;
      CHECK_NAPI(env, napi_get_value_double(env, item, &zeros));
      if (!(zeros >= 0) || zeros > static_cast<double>(out.length) || zeros != static_cast<double>(static_cast<size_t>(zeros)))
        return throw_error(env, "allReduceParts: part " + std::to_string(i) + " is not a count of zeros within out");
      parts.push_back({nullptr, static_cast<size_t>(zeros) * out.element});
      total += static_cast<size_t>(zeros);
    } else {
      View part;
      if (!get_view(env, item, true, &part, "allReduceParts")) return nullptr;
      if (part.type != out.type)
        return throw_error(env, "allReduceParts: part " + std::to_string(i) + " is not of out's type");
      parts.push_back({static_cast<const char*>(part.data), part.length * part.element});
      total += part.length;
    }
    if (total > out.length) break;
  }
  // Never read or write past a buffer: the parts must fill out exactly.
  if (total != out.length)
    return throw_error(env, "allReduceParts: the parts hold " + std::to_string(total) + " elements, out " +
                                std::to_string(out.length));
  return reduce_into(env, out, parts, op_code);
}

napi_value SharedMemory(napi_env env, napi_callback_info) { return make_bool(env, g_inited && !g_finalized && g_shm); }

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
    free_window();
    if (g_node != MPI_COMM_NULL) MPI_Comm_free(&g_node);
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
      {"allReduceParts", nullptr, AllReduceParts, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sharedMemory", nullptr, SharedMemory, nullptr, nullptr, nullptr, napi_default, nullptr},
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
