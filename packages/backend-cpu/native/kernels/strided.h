// Walking collapsed strided loops (Loop and its builders are in myelin/native-types.h, shared
// with backend-cuda): the loop nest of a broadcasting op over up to three operands.
#pragma once
#include "common.h"

namespace myelin {

/**
 * Builds the loop of an output of `out_shape` whose operands have `in_shapes` (right-aligned,
 * each dimension equal or 1: the caller checked). Strides are in elements, 0 where broadcast.
 * Returns false when the rank is above MAX_RANK.
 */
inline bool make_loop(Loop& loop, const i64* out_shape, int out_rank, int operands, const i64* const* in_shapes,
                      const int* in_ranks) {
  if (out_rank > MAX_RANK) return false;
  broadcast_loop(loop, out_shape, out_rank, operands, in_shapes, in_ranks);
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
