// cuBLAS loaded at run time with dlopen (no NVIDIA headers or link-time dependency): the
// declarations of the few functions used are our own. The candidates to try (MYELIN_CUBLAS_PATH,
// the loader path, pip's nvidia folders) are computed in TypeScript (src/cublas-path.ts) and
// tried here in order.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <string>
#include <vector>

namespace mc {

using cublasHandle = void*;
using cublasStatus = int;
constexpr cublasStatus CUBLAS_OK = 0;
constexpr cublasStatus CUBLAS_STATUS_EXECUTION_FAILED = 13;
constexpr int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;
constexpr int CUBLAS_DEFAULT_MATH = 0, CUBLAS_PEDANTIC_MATH = 2, CUBLAS_TF32_TENSOR_OP_MATH = 3;

struct CublasApi {
  bool loaded = false;
  std::string path;   // the candidate that loaded
  std::string error;  // why none did (every candidate's reason)
  cublasStatus (*create)(cublasHandle*) = nullptr;
  cublasStatus (*destroy)(cublasHandle) = nullptr;
  cublasStatus (*set_stream)(cublasHandle, cudaStream_t) = nullptr;
  cublasStatus (*set_math_mode)(cublasHandle, int) = nullptr;
  cublasStatus (*get_version)(cublasHandle, int*) = nullptr;  // may be null
  const char* (*status_string)(cublasStatus) = nullptr;       // may be null
  cublasStatus (*sgemm_strided_batched)(cublasHandle, int, int, int, int, int, const float*, const float*, int, long long, const float*, int, long long, const float*, float*, int,
                                        long long, int) = nullptr;
  cublasStatus (*dgemm_strided_batched)(cublasHandle, int, int, int, int, int, const double*, const double*, int, long long, const double*, int, long long, const double*,
                                        double*, int, long long, int) = nullptr;
};

/** The process's cuBLAS (loaded by the first successful load_cublas). */
CublasApi& cublas();

/**
 * Tries each candidate (a file path, or a library name for the loader's search) until one loads
 * with every function; returns whether cuBLAS is loaded. The attempts, in order, are described
 * in cublas().error when none succeeds. Loading twice is a no-op once one succeeded.
 */
bool load_cublas(const std::vector<std::string>& candidates);

/** A readable name for a cuBLAS status (cublasGetStatusString when loaded). */
std::string cublas_status_name(cublasStatus status);

}  // namespace mc
