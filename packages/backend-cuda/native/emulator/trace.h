// The emulator's trace (MYELIN_CUDA_EMULATOR_TRACE naming a file; see emulator.cc for its lines).
// Header-only, because two libraries write it: the emulator (emulator.cc, in the addon) and the
// cuBLAS stand-in (native/emulator/cublas, a library of its own that cannot link the addon).
// Each opens the file for appending and writes whole lines, so their lines interleave intact.
#pragma once
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace mc_emu {

/** Appends one line to the trace, when one is asked for. */
__attribute__((format(printf, 1, 2))) inline void trace(const char* format, ...) {
  static FILE* file = [] {
    const char* path = std::getenv("MYELIN_CUDA_EMULATOR_TRACE");
    FILE* f = path != nullptr && *path != '\0' ? std::fopen(path, "a") : nullptr;
    if (f != nullptr) setvbuf(f, nullptr, _IOLBF, 0);
    return f;
  }();
  if (file == nullptr) return;
  // One line per call even when two host threads trace at once (two reads' event waits).
  flockfile(file);
  va_list args;
  va_start(args, format);
  std::vfprintf(file, format, args);
  va_end(args);
  std::fputc('\n', file);
  funlockfile(file);
}

}  // namespace mc_emu
