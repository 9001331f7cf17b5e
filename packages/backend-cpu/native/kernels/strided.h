// Collapsed strided loops: the loop nest of a broadcasting op over up to three operands,
// with adjacent axes merged wherever every operand is contiguous across them, so that
// same-shape operands become one flat loop and a bias add becomes rows of a flat loop.
#pragma once
#include "common.h"

namespace myelin {

constexpr int MAX_RANK = 16;
constexpr int MAX_OPERANDS = 3;

struct Loop {
  int rank = 1;  // >= 1 after collapsing
  int operands = 0;
  i64 shape[MAX_RANK] = {1};
  i64 strides[MAX_OPERANDS][MAX_RANK] = {};
  i64 size() const {
    i64 s = 1;
    for (int i = 0; i < rank; i++) s *= shape[i];
    return s;
  }
};

/**
 * Builds the loop of an output of `out_shape` whose operands have `in_shapes` (right-aligned,
 * each dimension equal or 1: the caller checked). Strides are in elements, 0 where broadcast.
 * Returns false when the rank is above MAX_RANK.
 */
inline bool make_loop(Loop& loop, const i64* out_shape, int out_rank, int operands, const i64* const* in_shapes,
                      const int* in_ranks) {
  if (out_rank > MAX_RANK) return false;
  i64 strides[MAX_OPERANDS][MAX_RANK];
  for (int k = 0; k < operands; k++) {
    i64 stride = 1;
    for (int d = out_rank - 1; d >= 0; d--) {
      int id = d - (out_rank - in_ranks[k]);
      i64 dim = id >= 0 ? in_shapes[k][id] : 1;
      strides[k][d] = dim == 1 ? 0 : stride;
      stride *= dim;
    }
  }
  loop.operands = operands;
  int r = 0;
  for (int d = 0; d < out_rank; d++) {
    if (out_shape[d] == 1) continue;
    if (r > 0) {
      bool merge = true;
      for (int k = 0; k < operands; k++) {
        if (loop.strides[k][r - 1] != strides[k][d] * out_shape[d]) merge = false;
      }
      if (merge) {
        loop.shape[r - 1] *= out_shape[d];
        for (int k = 0; k < operands; k++) loop.strides[k][r - 1] = strides[k][d];
        continue;
      }
    }
    loop.shape[r] = out_shape[d];
    for (int k = 0; k < operands; k++) loop.strides[k][r] = strides[k][d];
    r++;
  }
  if (r == 0) {
    loop.shape[0] = 1;
    for (int k = 0; k < operands; k++) loop.strides[k][0] = 0;
    r = 1;
  }
  loop.rank = r;
  return true;
}

/**
 * Calls row(offsets, inner_strides, out_position, length) for every row segment of the
 * contiguous output range [begin, end) of `loop`.
 */
template <typename Row>
inline void walk_rows(const Loop& loop, i64 begin, i64 end, Row&& row) {
  const int r = loop.rank;
  const int ops = loop.operands;
  i64 index[MAX_RANK];
  i64 rest = begin;
  for (int d = r - 1; d >= 0; d--) {
    index[d] = rest % loop.shape[d];
    rest /= loop.shape[d];
  }
  i64 inner[MAX_OPERANDS] = {0, 0, 0};
  for (int k = 0; k < ops; k++) inner[k] = loop.strides[k][r - 1];
  i64 pos = begin;
  while (pos < end) {
    i64 off[MAX_OPERANDS] = {0, 0, 0};
    for (int k = 0; k < ops; k++) {
      i64 o = 0;
      for (int d = 0; d < r; d++) o += index[d] * loop.strides[k][d];
      off[k] = o;
    }
    i64 len = loop.shape[r - 1] - index[r - 1];
    if (len > end - pos) len = end - pos;
    row(off, inner, pos, len);
    pos += len;
    index[r - 1] += len;
    for (int d = r - 1; d > 0 && index[d] == loop.shape[d]; d--) {
      index[d] = 0;
      index[d - 1]++;
    }
  }
}

}  // namespace myelin
