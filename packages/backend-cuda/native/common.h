// Shared by the host glue (.cc, g++) and the kernels (.cu, nvcc): dtypes, op codes and the
// collapsed strided loop (myelin/native-types.h, the same as backend-cpu's, from
// tooling/native-build/include), and the device error flag's bits.
#pragma once
#include <cstddef>
#include <cstdint>

#include <myelin/native-types.h>

/** Host and device (nvcc), or host only: MYELIN_HD under the name this package's code used. */
#define MC_HD MYELIN_HD

namespace mc {

using namespace ::myelin;  // i64, DType, op codes, MAX_RANK, Loop, collapse_loop, broadcast_loop

/** Bits of the device error flag: which kernel met an index out of range (see glue/state.h). */
enum ErrorFlag : int { FLAG_GATHER = 1, FLAG_SCATTER = 2, FLAG_LABEL = 4 };

}  // namespace mc
