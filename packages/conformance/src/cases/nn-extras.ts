import {
  adaptiveMaxPool1d,
  adaptiveMaxPool1dWithIndices,
  affineGrid,
  fractionalMaxPool2d,
  concat,
  gridSample,
  gumbelSoftmax,
  lpPool1d,
  lpPool2d,
} from '@myelin/core';
import type { OpCase } from './types.js';

// gridSample/affineGrid (spatial transformers), lpPool, adaptiveMaxPool1d and gumbelSoftmax
// (their values and gradients against PyTorch are core's nn-extras tests): each composes
// primitives (gathers at computed indices, weights from the grid), so every backend runs them here.

const grid = (shape: number[]) => ({ shape, low: -1.2, high: 1.2 });

export const nnExtraCases: OpCase[] = [
  {
    name: 'gridSample bilinear, zeros padding, edges (4-D), gradients to input and grid',
    covers: ['gather', 'floor', 'mul', 'add', 'where', 'greaterEqual', 'lessEqual', 'cast', 'transpose'],
    inputs: [{ shape: [2, 2, 3, 4] }, grid([2, 3, 2, 2])],
    run: ([x, g]) => gridSample(x!, g!),
  },
  {
    name: 'gridSample bicubic, border padding, alignCorners',
    covers: ['gather', 'floor', 'mul', 'add', 'where'],
    inputs: [{ shape: [1, 2, 4, 4] }, grid([1, 2, 3, 2])],
    run: ([x, g]) => gridSample(x!, g!, { mode: 'bicubic', paddingMode: 'border', alignCorners: true }),
  },
  {
    name: 'gridSample nearest, reflection padding (no gradient to the grid)',
    covers: ['gather', 'round', 'floor', 'where', 'less'],
    inputs: [{ shape: [1, 3, 3, 3] }, { ...grid([1, 2, 2, 2]), grad: false }],
    run: ([x, g]) => gridSample(x!, g!, { mode: 'nearest', paddingMode: 'reflection' }),
  },
  {
    name: 'gridSample trilinear (5-D), reflection padding, alignCorners',
    covers: ['gather', 'floor', 'mul', 'add', 'where'],
    inputs: [{ shape: [1, 2, 2, 3, 3] }, grid([1, 2, 2, 2, 3])],
    run: ([x, g]) => gridSample(x!, g!, { paddingMode: 'reflection', alignCorners: true }),
  },
  {
    name: 'affineGrid 2-D into gridSample: a spatial transformer, gradients to theta',
    covers: ['matmul', 'gather', 'mul', 'add'],
    inputs: [{ shape: [1, 1, 3, 4] }, { shape: [1, 2, 3], low: -0.8, high: 0.8 }],
    run: ([x, theta]) => gridSample(x!, affineGrid(theta!, [1, 1, 2, 3])),
  },
  {
    name: 'affineGrid 3-D, alignCorners',
    covers: ['matmul', 'reshape'],
    inputs: [{ shape: [2, 3, 4] }],
    run: ([theta]) => affineGrid(theta!, [2, 1, 2, 2, 3], { alignCorners: true }),
  },
  {
    name: 'lpPool1d p 2 (stride 2) and lpPool2d p 3',
    covers: ['pow', 'sign', 'abs', 'relu', 'mul'],
    // Positive inputs: a fractional power of a negative number is NaN (as in PyTorch).
    inputs: [
      { shape: [1, 2, 7], low: 0.2, high: 2 },
      { shape: [1, 2, 4, 4], low: 0.2, high: 2 },
    ],
    run: ([x, y]) => concat([lpPool1d(x!, 2, 3, { stride: 2 }).reshape([-1]), lpPool2d(y!, 3, 2).reshape([-1])]),
  },
  {
    name: 'adaptiveMaxPool1d into 3 and 5 bins, and its indices',
    covers: ['gather', 'max', 'argmax', 'pad'],
    inputs: [{ shape: [2, 2, 7] }],
    run: ([x]) => {
      const [values, indices] = adaptiveMaxPool1dWithIndices(x!, 5);
      return concat([adaptiveMaxPool1d(x!, 3), values, indices.cast(x!.dtype).mul(0.1)], 2);
    },
  },
  {
    name: 'gumbelSoftmax tau 0.5 with given noise, axis 0',
    covers: ['exp', 'sum', 'div', 'max', 'add'],
    inputs: [{ shape: [3, 4] }, { shape: [3, 4], low: -1, high: 3, grad: false }],
    run: ([logits, gumbels]) => gumbelSoftmax(logits!, { tau: 0.5, dim: 0, gumbels: gumbels! }),
  },
  {
    name: 'gumbelSoftmax hard: one-hot samples (straight-through; the soft case checks the gradient)',
    covers: ['argmax', 'exp', 'sum', 'div'],
    grad: false,
    inputs: [{ shape: [4, 5] }, { shape: [4, 5], low: -1, high: 3, grad: false }],
    run: ([logits, gumbels]) => gumbelSoftmax(logits!, { hard: true, gumbels: gumbels! }),
  },
  {
    name: 'fractionalMaxPool2d with given samples (outputSize 3x2, kernel 2)',
    covers: ['gather', 'floor', 'argmax', 'max', 'concat'],
    inputs: [{ shape: [2, 2, 5, 4] }, { shape: [2, 2, 2], low: 0, high: 1, grad: false }],
    run: ([x, samples]) => fractionalMaxPool2d(x!, 2, { outputSize: [3, 2], randomSamples: samples! }),
  },
  {
    name: 'fractionalMaxPool2d and adaptiveMaxPool1d on ties (zeros): the gradient to the first maximum only',
    covers: ['argmax', 'equal', 'where', 'sum', 'gather'],
    inputs: [
      { shape: [1, 1, 4, 4], values: new Array<number>(16).fill(0) },
      { shape: [1, 1, 2], values: [0.3, 0.6], grad: false },
      { shape: [1, 1, 5], values: [0, 0, 0, 0, 0] },
    ],
    run: ([x, samples, y]) =>
      concat([
        fractionalMaxPool2d(x!, 2, { outputSize: 2, randomSamples: samples! }).reshape([-1]),
        adaptiveMaxPool1d(y!, 2).reshape([-1]),
      ]),
    noFiniteDifferences: "every input ties, where a max has no derivative: torch's one-hot gradient is checked instead",
  },
];
