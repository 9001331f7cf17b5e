// OpenBLAS found at run time with dlopen and our own declarations of the few functions we
// call: the addon builds without BLAS headers and runs (with the built-in GEMM) without BLAS.
#pragma once
#include <string>

namespace myelin {

enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };

using SgemmFn = void (*)(int order, int ta, int tb, int m, int n, int k, float alpha, const float* a, int lda,
                         const float* b, int ldb, float beta, float* c, int ldc);
using DgemmFn = void (*)(int order, int ta, int tb, int m, int n, int k, double alpha, const double* a, int lda,
                         const double* b, int ldb, double beta, double* c, int ldc);
using SetThreadsFn = void (*)(int);

struct Blas {
  bool loaded = false;
  std::string path;   // the file the library was loaded from
  std::string error;  // why it was not loaded
  SgemmFn sgemm = nullptr;
  DgemmFn dgemm = nullptr;
  SetThreadsFn set_threads = nullptr;
};

/** Loads OpenBLAS once ($MYELIN_CPU_BLAS, then libopenblas.so.0, libopenblas.so). */
const Blas& blas();

}  // namespace myelin
