// The device side of CUDA as the CPU emulator provides it: what a .cu file of this addon uses
// (the execution-space keywords, thread and block indices, __syncthreads, warp shuffles,
// atomics), over emulator.h's fibers.
#pragma once
#include "cuda_runtime_api.h"
#include "emulator.h"
