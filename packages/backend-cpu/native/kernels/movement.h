// Data movement kernels: strided copies (transpose, broadcast, slice, pad), concat, gather,
// scatterAdd, argmax and sort. Pure functions over pointers and sizes, like every kernel.
#pragma once
#include "common.h"
#include "strided.h"

namespace myelin {

/**
 * Collapses a one-operand loop over `shape` whose operand walks `strides` (elements), e.g.
 * a transpose's permuted input strides. Returns false when the rank is above MAX_RANK.
 */
bool make_strided_loop(Loop& loop, const i64* shape, int rank, const i64* strides);

/**
 * For output positions [begin, end) of the loop: dst[pos] = src[offset] (gather = true), or
 * dst[offset] = src[pos] (gather = false, a scatter into a strided target). elem = 1, 4 or 8.
 */
void strided_copy(int elem, const Loop& loop, const void* src, void* dst, bool gather, i64 begin, i64 end);

/** out[c, r] = x[r, c] for an [rows, cols] matrix, rows [begin, end) of x, in cache tiles. */
void transpose2d(int elem, const void* x, void* out, i64 rows, i64 cols, i64 begin, i64 end);

/** Fills n elements of `elem` bytes with the bit pattern at `value`. */
void fill_pattern(int elem, void* dst, const void* value, i64 n);

/** out[o, t, :] = x[o, idx[t], :] for x viewed as [outer, length, inner]; outer rows [b, e). */
void gather_rows(int elem, const void* x, const std::int32_t* idx, i64 count, void* out, i64 length, i64 inner,
                 i64 b, i64 e);

/**
 * out (zeroed, [outer, dim, inner]) += updates [outer, count, inner] at idx; floats accumulate
 * in `acc` (outer*dim*inner doubles, zeroed) and are rounded once into out.
 */
void scatter_add(int dtype, const void* updates, const std::int32_t* idx, i64 count, void* out, double* acc,
                 i64 outer, i64 dim, i64 inner);

/** Index of the first maximum along the middle axis of [outer, length, inner] (NaN wins). */
void argmax(int dtype, const void* x, std::int32_t* out, i64 outer, i64 length, i64 inner, i64 b, i64 e);

/**
 * Sorts rows [b, e) of x viewed as [rows, length] (float32, float64 or int32): values and int32
 * indices. NaN sorts above +Infinity, -0 equals +0, equal keys keep ascending index order in
 * both directions (a stable sort).
 */
void sort_rows(int dtype, const void* x, void* values, std::int32_t* indices, i64 length, bool descending, i64 b,
               i64 e);

}  // namespace myelin
