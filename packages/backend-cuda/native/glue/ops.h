// The addon's entry points (one napi_callback each), registered in addon.cc.
#pragma once
#include "state.h"

namespace mc {

#define MC_ENTRY(name) napi_value name(napi_env env, napi_callback_info info);
// storage and elementwise (ops-storage.cc)
MC_ENTRY(FromData)
MC_ENTRY(Fill)
MC_ENTRY(Read)
MC_ENTRY(ReadSync)
MC_ENTRY(Release)
MC_ENTRY(Unary)
MC_ENTRY(Cast)
MC_ENTRY(Binary)
MC_ENTRY(Where)
// reductions and movement (ops-shape.cc)
MC_ENTRY(Reduce)
MC_ENTRY(Argmax)
MC_ENTRY(Reshape)
MC_ENTRY(ReshapeDims)
MC_ENTRY(Transpose)
MC_ENTRY(BroadcastTo)
MC_ENTRY(Slice)
MC_ENTRY(Pad)
MC_ENTRY(Concat)
MC_ENTRY(Gather)
MC_ENTRY(ScatterAdd)
// linear algebra, losses, optimizers, normalisation (ops-linalg.cc)
MC_ENTRY(Matmul)
MC_ENTRY(MatmulBiasActivation)
MC_ENTRY(SoftmaxCrossEntropy)
MC_ENTRY(BinaryCrossEntropy)
MC_ENTRY(BiasActivationBackward)
MC_ENTRY(AdamUpdate)
MC_ENTRY(AdamUpdateMany)
MC_ENTRY(SgdUpdateMany)
MC_ENTRY(BatchNorm)
MC_ENTRY(BatchNormBackward)
// windows (ops-conv.cc)
MC_ENTRY(Unfold)
MC_ENTRY(Conv2d)
MC_ENTRY(Conv2dBackward)
MC_ENTRY(MaxPool2d)
MC_ENTRY(MaxPool2dBackward)
#undef MC_ENTRY

/** Row-major batched GEMM on the context's stream: cuBLAS when in use and the sizes fit, else the built-in kernel. */
void gemm(State* st, int dtype, const GemmCall& call, const char* op);

/** Uploads `bytes` of host data into device memory at `dst` through pinned staging (asynchronous). */
void upload(State* st, void* dst, const void* src, std::size_t bytes);

}  // namespace mc
