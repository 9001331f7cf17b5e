// The addon's entry points (one napi_callback each), registered in addon.cc: those every native
// addon has (myelin/entry-points.h; defined in ops-storage.cc, ops-shape.cc, ops-conv.cc,
// ops-linalg.cc and ops-fused.cc) and this addon's own: readInto, the row kernels of ops-rows.cc
// and the recurrent cells of ops-recurrent.cc.
#pragma once
#include <myelin/entry-points.h>

#include "state.h"

namespace myelin {

MYELIN_SHARED_ENTRY_POINTS(MYELIN_DECLARE_ENTRY)
MYELIN_DECLARE_ENTRY("readInto", ReadInto)
// ops-rows.cc: fused kernels only this addon has (core composes them elsewhere)
MYELIN_DECLARE_ENTRY("matmulBiasActivationWithPreactivation", MatmulBiasActivationPreactivation)
MYELIN_DECLARE_ENTRY("softmax", Softmax)
MYELIN_DECLARE_ENTRY("softmaxBackward", SoftmaxBackward)
MYELIN_DECLARE_ENTRY("layerNorm", LayerNorm)
MYELIN_DECLARE_ENTRY("layerNormBackward", LayerNormBackward)
// ops-recurrent.cc: the LSTM and GRU cells, this addon's own too
MYELIN_DECLARE_ENTRY("lstmCell", LstmCell)
MYELIN_DECLARE_ENTRY("lstmCellBackward", LstmCellBackward)
MYELIN_DECLARE_ENTRY("gruCell", GruCell)
MYELIN_DECLARE_ENTRY("gruCellBackward", GruCellBackward)

}  // namespace myelin
