// The addon's entry points (one napi_callback each), registered in addon.cc: those every native
// addon has (myelin/entry-points.h; defined in ops-storage.cc, ops-shape.cc, ops-conv.cc,
// ops-linalg.cc and ops-fused.cc) and readInto, this addon's own.
#pragma once
#include <myelin/entry-points.h>

#include "state.h"

namespace myelin {

MYELIN_SHARED_ENTRY_POINTS(MYELIN_DECLARE_ENTRY)
MYELIN_DECLARE_ENTRY("readInto", ReadInto)

}  // namespace myelin
