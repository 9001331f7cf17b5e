import { argsort, concat, kthvalue, median, nanmedian, quantile, sort, topk } from '@myelin/core';
import type { OpCase } from './types.js';

// The sort primitive (contract 6) and the order statistics core builds on it. The values' gradient
// is a gather of the sorted indices, so the cases with float inputs check it on every backend.
// Rows longer than 4096 reach backend-cuda's merge path (its shared-memory tile holds 2048).

/** Ties, NaN, +-Infinity and -0 in one row of 12, twice. */
const SPECIAL = [
  3,
  1,
  -0,
  2,
  1,
  0,
  NaN,
  -Infinity,
  3,
  NaN,
  Infinity,
  1,
  0.5,
  -2,
  0.5,
  0.5,
  -2,
  7,
  0,
  -0,
  0,
  -1,
  2.5,
  0.5,
];
const SORT_COVERS: OpCase['covers'] = ['sort', 'gather', 'reshape', 'add'];

export const sortCases: OpCase[] = [
  {
    name: 'sort values along the last axis',
    covers: SORT_COVERS,
    inputs: [{ shape: [3, 7] }],
    run: ([x]) => sort(x!).values,
  },
  {
    name: 'sort descending along axis 1 of a 3-D tensor',
    covers: [...SORT_COVERS, 'transpose'],
    inputs: [{ shape: [2, 5, 3] }],
    run: ([x]) => sort(x!, { dim: 1, descending: true }).values,
  },
  {
    name: 'sort indices: ties keep index order, NaN last, -0 equals 0',
    covers: ['sort'],
    inputs: [{ shape: [2, 12], values: SPECIAL }],
    run: ([x]) => sort(x!).indices,
  },
  {
    name: 'sort indices descending: ties keep index order, NaN first',
    covers: ['sort'],
    inputs: [{ shape: [2, 12], values: SPECIAL }],
    run: ([x]) => argsort(x!, { descending: true }),
  },
  {
    name: 'sort values with NaN, infinities and -0',
    covers: SORT_COVERS,
    inputs: [{ shape: [2, 12], values: SPECIAL }],
    run: ([x]) => sort(x!, { descending: true }).values,
    // NaN and infinite inputs: core's PyTorch fixture (ops/sort.test.ts) checks this gradient
    grad: false,
  },
  {
    name: 'sort int32 with ties and the int32 extremes',
    covers: ['sort'],
    inputs: [{ shape: [2, 6], dtype: 'int32', values: [5, -2147483648, 5, 2147483647, 0, -1, 1, 1, 1, -7, 1, 3] }],
    run: ([x]) => {
      const { values, indices } = sort(x!, { descending: true });
      return values.sub(indices);
    },
  },
  {
    name: 'sort indices of integral values (ties) ascending',
    covers: ['sort'],
    inputs: [{ shape: [4, 33], integral: true, low: -3, high: 3 }],
    run: ([x]) => argsort(x!),
  },
  {
    name: 'sort a long row (merge path) with ties',
    covers: ['sort'],
    inputs: [{ shape: [2, 5000], integral: true, low: -40, high: 40 }],
    run: ([x]) => argsort(x!, { descending: true }),
  },
  {
    name: 'sort values of a long row (merge path)',
    covers: SORT_COVERS,
    inputs: [{ shape: [1, 9000] }],
    run: ([x]) => sort(x!).values,
    // 9000 inputs are too many for finite differences: the shorter rows check the gradient
    grad: false,
  },
  {
    name: 'sort over an empty axis and a length-1 axis',
    covers: ['sort', 'concat'],
    inputs: [{ shape: [3, 0] }, { shape: [3, 1] }],
    run: ([a, b]) => concat([sort(a!).values, sort(b!).values], 1),
  },
  {
    name: 'topk largest along axis 0',
    covers: SORT_COVERS,
    inputs: [{ shape: [6, 4] }],
    run: ([x]) => topk(x!, 3, { dim: 0 }).values,
  },
  {
    name: 'topk smallest indices with ties',
    covers: ['sort'],
    inputs: [{ shape: [3, 10], integral: true, low: -2, high: 2 }],
    run: ([x]) => topk(x!, 4, { largest: false }).indices,
  },
  {
    name: 'kthvalue keepdim',
    covers: SORT_COVERS,
    inputs: [{ shape: [4, 5] }],
    run: ([x]) => kthvalue(x!, 2, { keepdim: true }).values,
  },
  {
    name: 'median along axis 1 and of all elements',
    covers: [...SORT_COVERS, 'sum'],
    inputs: [{ shape: [3, 6] }],
    run: ([x]) => median(x!, { dim: 1 }).values.add(median(x!)),
  },
  {
    name: 'median and nanmedian of rows with NaN',
    covers: ['sort', 'gather', 'notEqual', 'where'],
    inputs: [{ shape: [3, 5], values: [1, NaN, 3, NaN, 2, 4, 2.5, 5, 1.5, 3.5, NaN, NaN, NaN, NaN, NaN] }],
    run: ([x]) =>
      median(x!, { dim: 1 })
        .indices.mul(10)
        .add(nanmedian(x!, { dim: 1 }).indices),
  },
  {
    name: 'quantile linear along axis 1',
    covers: [...SORT_COVERS, 'sub', 'mul'],
    inputs: [{ shape: [3, 8] }],
    run: ([x]) => quantile(x!, [0.1, 0.5, 0.85], { dim: 1 }),
  },
  {
    name: 'quantile midpoint of all elements',
    covers: [...SORT_COVERS, 'sub', 'mul'],
    inputs: [{ shape: [4, 5] }],
    run: ([x]) => quantile(x!, 0.3, { interpolation: 'midpoint' }),
  },
];
