// The entry points every native addon has (core's NativePrimitiveAddon and NativeFusedAddon), as
// an X-macro: X(name in JavaScript, napi_callback). An addon declares them (MYELIN_DECLARE_ENTRY)
// in its own namespace and registers them (MYELIN_REGISTER_ENTRY) with glue::define_entries,
// beside its own (configure, stats, ...).
#pragma once
#include <node_api.h>

#define MYELIN_SHARED_ENTRY_POINTS(X)                                                                                        \
  /* storage and elementwise */                                                                                              \
  X("fromData", FromData)                                                                                                    \
  X("fill", Fill)                                                                                                            \
  X("read", Read)                                                                                                            \
  X("release", Release)                                                                                                      \
  X("unary", Unary)                                                                                                          \
  X("cast", Cast)                                                                                                            \
  X("binary", Binary)                                                                                                        \
  X("where", Where)                                                                                                          \
  /* reductions and movement */                                                                                              \
  X("reduce", Reduce)                                                                                                        \
  X("argmax", Argmax)                                                                                                        \
  X("sort", Sort)                                                                                                            \
  X("reshape", Reshape)                                                                                                      \
  X("reshapeN", ReshapeDims)                                                                                                 \
  X("transpose", Transpose)                                                                                                  \
  X("broadcastTo", BroadcastTo)                                                                                              \
  X("slice", Slice)                                                                                                          \
  X("pad", Pad)                                                                                                              \
  X("concat", Concat)                                                                                                        \
  X("gather", Gather)                                                                                                        \
  X("scatterAdd", ScatterAdd)                                                                                                \
  /* windows */                                                                                                              \
  X("unfold", Unfold)                                                                                                        \
  X("conv2d", Conv2d)                                                                                                        \
  X("conv2dBackward", Conv2dBackward)                                                                                        \
  X("maxPool2d", MaxPool2d)                                                                                                  \
  X("maxPool2dBackward", MaxPool2dBackward)                                                                                  \
  /* linear algebra, losses, optimizers, normalisation */                                                                    \
  X("matmul", Matmul)                                                                                                        \
  X("matmulBiasActivation", MatmulBiasActivation)                                                                            \
  X("softmaxCrossEntropy", SoftmaxCrossEntropy)                                                                              \
  X("binaryCrossEntropy", BinaryCrossEntropy)                                                                                \
  X("biasActivationBackward", BiasActivationBackward)                                                                        \
  X("adamUpdate", AdamUpdate)                                                                                                \
  X("adamUpdateMany", AdamUpdateMany)                                                                                        \
  X("sgdUpdateMany", SgdUpdateMany)                                                                                          \
  X("batchNorm", BatchNorm)                                                                                                  \
  X("batchNormBackward", BatchNormBackward)                                                                                  \
  X("accumulate", Accumulate)

#define MYELIN_DECLARE_ENTRY(js_name, name) napi_value name(napi_env env, napi_callback_info info);
#define MYELIN_REGISTER_ENTRY(js_name, name) {js_name, name},
