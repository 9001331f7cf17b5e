// The addon's entry points (one napi_callback each), registered in addon.cc: those every native
// addon has (myelin/entry-points.h; defined in ops-storage.cc, ops-shape.cc, ops-linalg.cc and
// ops-conv.cc), readSync and the row kernels (ops-rows.cc), this addon's own.
#pragma once
#include <myelin/entry-points.h>

#include "state.h"

namespace mc {

MYELIN_SHARED_ENTRY_POINTS(MYELIN_DECLARE_ENTRY)
MYELIN_DECLARE_ENTRY("readSync", ReadSync)
// ops-rows.cc: the row kernels (backend-cpu has them too, with the same arguments)
MYELIN_DECLARE_ENTRY("softmax", Softmax)
MYELIN_DECLARE_ENTRY("softmaxBackward", SoftmaxBackward)
MYELIN_DECLARE_ENTRY("layerNorm", LayerNorm)
MYELIN_DECLARE_ENTRY("layerNormBackward", LayerNormBackward)

/** Row-major batched GEMM on the context's stream: cuBLAS when in use and the sizes fit, else the built-in kernel. */
void gemm(State* st, int dtype, const GemmCall& call, const char* op);

/** Uploads `bytes` of host data into device memory at `dst` through pinned staging (asynchronous). */
void upload(State* st, void* dst, const void* src, std::size_t bytes);

}  // namespace mc
