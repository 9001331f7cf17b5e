import { chunk, concat, cumsum, embedding, flip, norm, padSequence, repeat, split, std, variance } from '@myelin/core';
import type { OpCase } from './types.js';

// The tensor utilities of custom models (torch.split, chunk, repeat, flip, var, std,
// linalg.vector_norm, cumsum), each composed from primitives: these cases run them, with their
// gradients, on every backend.

export const tensorUtilityCases: OpCase[] = [
  {
    name: 'split into [1, 3] and chunk into 2, pieces weighted and rejoined',
    covers: ['slice', 'concat', 'mul', 'sum'],
    inputs: [{ shape: [3, 4] }],
    run: ([x]) => {
      const [a, b] = split(x!, [1, 3], 1);
      const [c, d] = chunk(x!, 2, 0);
      return concat([concat([a!.mul(2), b!], 1), c!.sum(0, true), d!.mul(-1).sum(0, true)], 0);
    },
  },
  {
    name: 'repeat [2, 1, 2] then flip axes 0 and 2',
    covers: ['reshape', 'gather'],
    inputs: [{ shape: [2, 3] }],
    run: ([x]) => flip(repeat(x!, [2, 1, 2]), [0, 2]),
  },
  {
    name: 'variance (Bessel) over axis 1 and biased std over all',
    covers: ['sum', 'sub', 'mul', 'div', 'sqrt'],
    inputs: [{ shape: [3, 5] }],
    run: ([x]) => concat([variance(x!, 1), std(x!, undefined, { correction: 0 }).reshape([1])]),
  },
  {
    name: 'vector norms 2, 1 and 3 along axis 1',
    covers: ['sqrt', 'where', 'equal', 'abs', 'pow'],
    // Away from zero, where |x| has its kink (a zero row's gradient is checked in core against PyTorch).
    inputs: [{ shape: [3, 4], values: [0.9, -0.5, 1.3, 0.6, 0.5, -1.2, 0.3, 2, -0.7, 1.1, -1.6, 0.4] }],
    run: ([x]) => concat([norm(x!, 2, 1), norm(x!, 1, 1), norm(x!.slice([1, 0], [2, 4]), 3, 1)]),
  },
  {
    name: 'cumsum along axes 1 and 0',
    covers: ['matmul', 'transpose'],
    inputs: [{ shape: [3, 4] }],
    run: ([x]) => cumsum(x!, 1).add(cumsum(x!, 0)),
  },
  {
    name: 'padSequence (left, batch first) and an embedding with a padding row',
    // The ids avoid the padding row: its lookups take no gradient by design, which finite
    // differences would call wrong (core's embedding tests check that rule against PyTorch's).
    covers: ['pad', 'concat', 'gather', 'where', 'equal'],
    inputs: [
      { shape: [3, 2] },
      { shape: [1, 2] },
      { shape: [4, 2] },
      { shape: [2, 3], dtype: 'int32', values: [0, 2, 2, 1, 0, 2] },
    ],
    run: ([a, b, table, ids]) =>
      padSequence([a!, b!], { batchFirst: true, paddingSide: 'left', paddingValue: 0.5 }).add(
        embedding(ids!, table!, 3),
      ),
  },
];
