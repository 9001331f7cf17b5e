// The addon's entry points (one napi_callback each), registered in addon.cc.
#pragma once
#include "state.h"

namespace myelin {

#define MYELIN_ENTRY(name) napi_value name(napi_env env, napi_callback_info info);
// storage and elementwise (ops-storage.cc)
MYELIN_ENTRY(FromData)
MYELIN_ENTRY(Fill)
MYELIN_ENTRY(Read)
MYELIN_ENTRY(ReadInto)
MYELIN_ENTRY(Release)
MYELIN_ENTRY(Unary)
MYELIN_ENTRY(Cast)
MYELIN_ENTRY(Binary)
MYELIN_ENTRY(Where)
// reductions and movement (ops-shape.cc)
MYELIN_ENTRY(Reduce)
MYELIN_ENTRY(Argmax)
MYELIN_ENTRY(Reshape)
MYELIN_ENTRY(Transpose)
MYELIN_ENTRY(BroadcastTo)
MYELIN_ENTRY(Slice)
MYELIN_ENTRY(Pad)
MYELIN_ENTRY(Concat)
MYELIN_ENTRY(Gather)
MYELIN_ENTRY(ScatterAdd)
// windows (ops-conv.cc)
MYELIN_ENTRY(Unfold)
MYELIN_ENTRY(Conv2d)
MYELIN_ENTRY(Conv2dBackward)
MYELIN_ENTRY(MaxPool2d)
MYELIN_ENTRY(MaxPool2dBackward)
// linear algebra and fused kernels (ops-linalg.cc)
MYELIN_ENTRY(Matmul)
MYELIN_ENTRY(MatmulBiasActivation)
MYELIN_ENTRY(AdamUpdate)
MYELIN_ENTRY(SoftmaxCrossEntropy)
// the training step's fused kernels (ops-fused.cc)
MYELIN_ENTRY(ReshapeDims)
MYELIN_ENTRY(BiasActivationBackward)
MYELIN_ENTRY(AdamUpdateMany)
MYELIN_ENTRY(SgdUpdateMany)
MYELIN_ENTRY(BinaryCrossEntropy)
MYELIN_ENTRY(BatchNorm)
MYELIN_ENTRY(BatchNormBackward)
#undef MYELIN_ENTRY

}  // namespace myelin
