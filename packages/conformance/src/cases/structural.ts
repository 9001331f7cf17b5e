import {
  concat,
  expand,
  gather,
  linear,
  logSoftmax,
  prelu,
  softmax,
  scatterAdd,
  stack,
  tensor,
  type Backend,
  type Tensor,
} from '@myelin/core';
import type { OpCase } from './types.js';

const reductionCases: OpCase[] = (['sum', 'max'] as const).flatMap(
  (op) =>
    [
      { name: `${op} all axes`, covers: [op], inputs: [{ shape: [3, 4] }], run: ([x]) => x![op]() },
      { name: `${op} axis 1`, covers: [op], inputs: [{ shape: [3, 4] }], run: ([x]) => x![op](1) },
      {
        name: `${op} axes [0,2] keepDims`,
        covers: [op],
        inputs: [{ shape: [2, 3, 4] }],
        run: ([x]) => x![op]([0, 2], true),
      },
      { name: `${op} axis -1 of [4,1]`, covers: [op], inputs: [{ shape: [4, 1] }], run: ([x]) => x![op](-1) },
      { name: `${op} of a scalar`, covers: [op], inputs: [{ shape: [] }], run: ([x]) => x![op]() },
      {
        name: `${op} after transpose`,
        covers: [op, 'transpose'],
        inputs: [{ shape: [3, 5] }],
        run: ([x]) => x!.transpose()[op](1),
      },
      {
        name: `${op} int32 axis 0`,
        covers: [op],
        inputs: [{ shape: [3, 4], dtype: 'int32', low: -9, high: 9 }],
        run: ([x]) => x![op](0),
      },
    ] satisfies OpCase[],
);

const reductionEdgeCases: OpCase[] = [
  { name: 'sum over an empty axis gives 0', covers: ['sum'], inputs: [{ shape: [0, 3] }], run: ([x]) => x!.sum(0) },
  { name: 'sum keeps a size-0 axis', covers: ['sum'], inputs: [{ shape: [0, 3] }], run: ([x]) => x!.sum(1) },
  // PyTorch: softmax of no values is empty, their logsumexp -Infinity (log of an empty sum).
  {
    name: 'softmax and logSoftmax over an empty axis are empty',
    covers: ['exp', 'sum'],
    inputs: [{ shape: [2, 0] }],
    run: ([x]) => softmax(x!, 1).add(logSoftmax(x!, -1)),
  },
  {
    name: 'logsumexp over an empty axis is -Infinity',
    covers: ['exp', 'sum', 'log'],
    inputs: [{ shape: [3, 0] }],
    run: ([x]) => x!.logsumexp(1),
  },
  {
    name: 'max with ties shares the gradient',
    covers: ['max'],
    inputs: [{ shape: [2, 3], values: [1, 3, 3, 2, 2, 0] }],
    run: ([x]) => x!.max(1),
    noFiniteDifferences: 'kinks at the ties',
  },
  {
    name: 'sum of bool counts',
    covers: ['sum', 'cast', 'greater'],
    inputs: [{ shape: [4, 3] }],
    run: ([x]) => x!.greater(0).sum(0),
  },
  {
    name: 'argmax axis 1 (first of ties)',
    covers: ['argmax'],
    inputs: [{ shape: [3, 4], integral: true, low: 0, high: 3 }],
    run: ([x]) => x!.argmax(1),
  },
  { name: 'argmax axis 0', covers: ['argmax'], inputs: [{ shape: [5, 2] }], run: ([x]) => x!.argmax(0) },
  { name: 'argmax flattened', covers: ['argmax', 'reshape'], inputs: [{ shape: [3, 3] }], run: ([x]) => x!.argmax() },
  {
    name: 'argmax int32',
    covers: ['argmax'],
    inputs: [{ shape: [2, 5], dtype: 'int32', low: -5, high: 5 }],
    run: ([x]) => x!.argmax(1),
  },
  { name: 'mean (composite)', covers: ['sum', 'div'], inputs: [{ shape: [3, 4] }], run: ([x]) => x!.mean(0) },
  { name: 'min (composite)', covers: ['max', 'neg'], inputs: [{ shape: [3, 4] }], run: ([x]) => x!.min(1, true) },
  { name: 'argmin (composite)', covers: ['argmax', 'neg'], inputs: [{ shape: [3, 4] }], run: ([x]) => x!.argmin(1) },
  {
    name: 'logsumexp (composite)',
    covers: ['max', 'exp', 'log', 'sum'],
    inputs: [{ shape: [3, 5], low: -4, high: 4 }],
    run: ([x]) => x!.logsumexp(1),
  },
  {
    name: 'logsumexp of extreme logits',
    covers: ['max', 'exp', 'log', 'sum'],
    inputs: [{ shape: [2, 3], values: [1e4, -1e4, 0, -1e4, -1e4, -1e4] }],
    run: ([x]) => x!.logsumexp(1),
    noFiniteDifferences: 'values 1e4 apart: a central difference with eps 1e-6 is below float64 resolution there',
  },
];

const movementCases: OpCase[] = [
  {
    name: 'reshape [2,6] -> [3,-1]',
    covers: ['reshape'],
    inputs: [{ shape: [2, 6] }],
    run: ([x]) => x!.reshape([3, -1]),
  },
  { name: 'reshape to a scalar', covers: ['reshape'], inputs: [{ shape: [1, 1] }], run: ([x]) => x!.reshape([]) },
  { name: 'reshape size-0', covers: ['reshape'], inputs: [{ shape: [0, 4] }], run: ([x]) => x!.reshape([2, 0, 2]) },
  {
    name: 'reshape after transpose (non-contiguous)',
    covers: ['reshape', 'transpose'],
    inputs: [{ shape: [3, 4] }],
    run: ([x]) => x!.transpose().reshape([2, 6]),
  },
  { name: 'transpose 2-D', covers: ['transpose'], inputs: [{ shape: [3, 5] }], run: ([x]) => x!.transpose() },
  {
    name: 'permute [2,3,4] by [2,0,1]',
    covers: ['transpose'],
    inputs: [{ shape: [2, 3, 4] }],
    run: ([x]) => x!.permute([2, 0, 1]),
  },
  {
    name: 'permute rank 4',
    covers: ['transpose'],
    inputs: [{ shape: [2, 1, 3, 2] }],
    run: ([x]) => x!.permute([3, 1, 0, 2]),
  },
  {
    name: 'transpose int32',
    covers: ['transpose'],
    inputs: [{ shape: [2, 3], dtype: 'int32', low: 0, high: 9 }],
    run: ([x]) => x!.transpose(),
  },
  {
    name: 'expand [3,1] -> [2,3,4]',
    covers: ['broadcastTo', 'reshape'],
    inputs: [{ shape: [3, 1] }],
    run: ([x]) => expand(x!, [2, 3, 4]),
  },
  {
    name: 'expand scalar -> [2,2]',
    covers: ['broadcastTo', 'reshape'],
    inputs: [{ shape: [] }],
    run: ([x]) => expand(x!, [2, 2]),
  },
  {
    name: 'expand [1,3] -> [0,3]',
    covers: ['broadcastTo'],
    inputs: [{ shape: [1, 3] }],
    run: ([x]) => expand(x!, [0, 3]),
  },
  {
    name: 'expand bool',
    covers: ['broadcastTo', 'greater'],
    inputs: [{ shape: [1, 3] }],
    run: ([x]) => expand(x!.greater(0), [2, 3]),
  },
  { name: 'slice [1:3, 2:]', covers: ['slice'], inputs: [{ shape: [4, 5] }], run: ([x]) => x!.slice([1, 2], [2, -1]) },
  { name: 'slice with negative begin', covers: ['slice'], inputs: [{ shape: [6] }], run: ([x]) => x!.slice([-4], [3]) },
  { name: 'slice of size 0', covers: ['slice'], inputs: [{ shape: [3, 3] }], run: ([x]) => x!.slice([1, 0], [0, 3]) },
  {
    name: 'slice rank 3 after transpose',
    covers: ['slice', 'transpose'],
    inputs: [{ shape: [3, 4, 2] }],
    run: ([x]) => x!.permute([2, 1, 0]).slice([0, 1, 1], [2, 2, 2]),
  },
  {
    name: 'pad [[1,2],[0,1]] with 0',
    covers: ['pad'],
    inputs: [{ shape: [2, 3] }],
    run: ([x]) =>
      x!.pad([
        [1, 2],
        [0, 1],
      ]),
  },
  { name: 'pad with a value', covers: ['pad'], inputs: [{ shape: [3] }], run: ([x]) => x!.pad([[2, 0]], -7.5) },
  {
    name: 'pad a size-0 axis',
    covers: ['pad'],
    inputs: [{ shape: [0, 2] }],
    run: ([x]) =>
      x!.pad(
        [
          [1, 1],
          [0, 0],
        ],
        3,
      ),
  },
  {
    name: 'concat axis 0 with a size-0 piece',
    covers: ['concat'],
    inputs: [{ shape: [2, 3] }, { shape: [0, 3] }, { shape: [1, 3] }],
    run: (xs) => concat(xs, 0),
  },
  {
    name: 'concat axis 1',
    covers: ['concat'],
    inputs: [{ shape: [2, 1] }, { shape: [2, 3] }],
    run: (xs) => concat(xs, 1),
  },
  {
    name: 'concat int32 axis -1',
    covers: ['concat'],
    inputs: [
      { shape: [2, 2], dtype: 'int32', low: 0, high: 5 },
      { shape: [2, 1], dtype: 'int32', low: 0, high: 5 },
    ],
    run: (xs) => concat(xs, -1),
  },
  {
    name: 'stack (composite)',
    covers: ['concat', 'reshape'],
    inputs: [{ shape: [2, 3] }, { shape: [2, 3] }],
    run: (xs) => stack(xs, 1),
  },
  {
    name: 'flatten / squeeze / unsqueeze (composite)',
    covers: ['reshape'],
    inputs: [{ shape: [2, 1, 3] }],
    run: ([x]) => x!.squeeze(1).unsqueeze(0).flatten(),
  },
];

const indices = (values: number[], shape: number[], backend: Backend): Tensor =>
  tensor(values, { dtype: 'int32', shape, backend });

const gatherCases: OpCase[] = [
  {
    name: 'gather axis 0 with repeated indices',
    covers: ['gather'],
    inputs: [{ shape: [4, 3] }],
    run: ([x], backend) => gather(x!, indices([3, 0, 3, 1], [4], backend), 0),
  },
  {
    name: 'gather axis 1 with 2-D indices',
    covers: ['gather'],
    inputs: [{ shape: [2, 5] }],
    run: ([x], backend) => gather(x!, indices([4, 0, 2, 2, 1, 3], [2, 3], backend), 1),
  },
  {
    name: 'gather with empty indices',
    covers: ['gather'],
    inputs: [{ shape: [3, 2] }],
    run: ([x], backend) => gather(x!, indices([], [0], backend), 0),
  },
  {
    name: 'gather int32',
    covers: ['gather'],
    inputs: [{ shape: [5], dtype: 'int32', low: 0, high: 50 }],
    run: ([x], backend) => gather(x!, indices([1, 1, 4], [3], backend), 0),
  },
  {
    name: 'scatterAdd axis 0 accumulates repeats',
    covers: ['scatterAdd'],
    inputs: [{ shape: [4, 2] }],
    run: ([u], backend) => scatterAdd(u!, indices([2, 0, 2, 2], [4], backend), 0, 3),
  },
  {
    name: 'scatterAdd axis 1 with 2-D indices',
    covers: ['scatterAdd'],
    inputs: [{ shape: [2, 2, 2] }],
    run: ([u], backend) => scatterAdd(u!, indices([0, 3, 3, 1], [2, 2], backend), 1, 4),
  },
  {
    name: 'oneHot (composite)',
    covers: ['equal', 'cast', 'reshape'],
    inputs: [],
    run: (_, backend) => indices([2, 0, 1, 2], [4], backend).oneHot(3),
  },
];

const matmulCases: OpCase[] = [
  ...(
    [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const
  ).map(([ta, tb]): OpCase => ({
    name: `matmul 2-D transposeA=${ta} transposeB=${tb}`,
    covers: ['matmul'],
    inputs: [{ shape: ta ? [4, 3] : [3, 4] }, { shape: tb ? [5, 4] : [4, 5] }],
    run: ([a, b]) => a!.matmul(b!, { transposeA: ta, transposeB: tb }),
  })),
  {
    name: 'matmul batched [2,3,4] x [2,4,2]',
    covers: ['matmul'],
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 4, 2] }],
    run: ([a, b]) => a!.matmul(b!),
  },
  {
    name: 'matmul broadcast batch [2,1,3,4] x [3,4,2]',
    covers: ['matmul', 'broadcastTo'],
    inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }],
    run: ([a, b]) => a!.matmul(b!),
  },
  {
    name: 'matmul vector x matrix',
    covers: ['matmul'],
    inputs: [{ shape: [4] }, { shape: [4, 3] }],
    run: ([a, b]) => a!.matmul(b!),
  },
  {
    name: 'matmul matrix x vector',
    covers: ['matmul'],
    inputs: [{ shape: [2, 4] }, { shape: [4] }],
    run: ([a, b]) => a!.matmul(b!),
  },
  {
    name: 'matmul with K = 0',
    covers: ['matmul'],
    inputs: [{ shape: [2, 0] }, { shape: [0, 3] }],
    run: ([a, b]) => a!.matmul(b!),
  },
  {
    name: 'matmul of transposed views',
    covers: ['matmul', 'transpose'],
    inputs: [{ shape: [4, 3] }, { shape: [2, 4] }],
    run: ([a, b]) => a!.transpose().matmul(b!.transpose()),
  },
  {
    name: 'matmul 33x17x9 (blocking edges)',
    covers: ['matmul'],
    inputs: [{ shape: [33, 17] }, { shape: [17, 9] }],
    run: ([a, b]) => a!.matmul(b!),
    noFiniteDifferences: 'covered by the smaller matmul cases; 1,700 perturbations add nothing',
  },
];

const activationCases: OpCase[] = [
  { name: 'relu', covers: ['relu'], inputs: [{ shape: [3, 4] }], run: ([x]) => x!.relu() },
  {
    name: 'leakyRelu',
    covers: ['where', 'greater', 'mul'],
    inputs: [{ shape: [3, 4] }],
    run: ([x]) => x!.leakyRelu(0.1),
  },
  { name: 'elu', covers: ['where', 'exp', 'greater'], inputs: [{ shape: [3, 4] }], run: ([x]) => x!.elu(0.7) },
  {
    name: 'elu at 1e4 has a finite gradient',
    covers: ['where', 'exp', 'greater'],
    inputs: [{ shape: [3], values: [1e4, -1e4, 0.5] }],
    run: ([x]) => x!.elu(),
    noFiniteDifferences: 'saturated values',
  },
  // The activations core composes beyond the classic ones (their kinks and PyTorch's values at
  // them are core's activation tests); ranges reach past each bound or threshold.
  {
    name: 'gelu (erfc form)',
    covers: ['abs', 'div', 'exp', 'lessEqual', 'where'],
    inputs: [{ shape: [3, 5], low: -4, high: 4 }],
    run: ([x]) => x!.gelu(),
  },
  {
    name: 'gelu tanh',
    covers: ['tanh', 'mul', 'add'],
    inputs: [{ shape: [3, 4], low: -4, high: 4 }],
    run: ([x]) => x!.gelu('tanh'),
  },
  { name: 'silu', covers: ['sigmoid', 'mul'], inputs: [{ shape: [3, 4], low: -5, high: 5 }], run: ([x]) => x!.silu() },
  {
    name: 'mish',
    covers: ['tanh', 'exp', 'log', 'maximum'],
    inputs: [{ shape: [3, 4], low: -5, high: 5 }],
    run: ([x]) => x!.mish(),
  },
  {
    name: 'softplus beta 2, threshold 3',
    covers: ['exp', 'log', 'greater', 'where'],
    inputs: [{ shape: [3, 4], low: -3, high: 3 }],
    run: ([x]) => x!.softplus(2, 3),
  },
  {
    name: 'softsign',
    covers: ['abs', 'div'],
    inputs: [{ shape: [3, 4], low: -3, high: 3 }],
    run: ([x]) => x!.softsign(),
  },
  {
    name: 'hardtanh and relu6',
    covers: ['lessEqual', 'greaterEqual', 'where'],
    inputs: [{ shape: [4, 4], low: -3, high: 8 }],
    run: ([x]) => x!.hardtanh(-1, 1.5).add(x!.relu6()),
  },
  { name: 'selu', covers: ['exp', 'greater', 'where'], inputs: [{ shape: [3, 4] }], run: ([x]) => x!.selu() },
  {
    name: 'hardsigmoid and hardswish',
    covers: ['less', 'lessEqual', 'greaterEqual', 'where'],
    inputs: [{ shape: [4, 4], low: -5, high: 5 }],
    run: ([x]) => x!.hardsigmoid().mul(x!.hardswish()),
  },
  {
    name: 'prelu per channel',
    covers: ['greater', 'where', 'mul', 'reshape'],
    inputs: [{ shape: [2, 3, 4] }, { shape: [3], low: -0.5, high: 0.5 }],
    run: ([x, slopes]) => prelu(x!, slopes!),
  },
  {
    name: 'softmax axis -1',
    covers: ['exp', 'sum', 'div', 'max'],
    inputs: [{ shape: [3, 5], low: -3, high: 3 }],
    run: ([x]) => x!.softmax(-1),
  },
  {
    name: 'softmax axis 0',
    covers: ['exp', 'sum', 'div', 'max'],
    inputs: [{ shape: [4, 2] }],
    run: ([x]) => x!.softmax(0),
  },
  {
    name: 'logSoftmax',
    covers: ['exp', 'sum', 'log', 'sub', 'max'],
    inputs: [{ shape: [3, 5], low: -3, high: 3 }],
    run: ([x]) => x!.logSoftmax(),
  },
  {
    name: 'logSoftmax of extreme logits',
    covers: ['exp', 'sum', 'log', 'sub', 'max'],
    inputs: [{ shape: [2, 3], values: [1e4, -1e4, 0, 5e3, 5e3, -1e4] }],
    run: ([x]) => x!.logSoftmax(),
    noFiniteDifferences: 'values 1e4 apart are below float64 resolution for eps 1e-6',
  },
  {
    name: 'linear with bias and relu',
    covers: ['matmul', 'add', 'where'],
    inputs: [{ shape: [5, 4] }, { shape: [3, 4] }, { shape: [3] }],
    run: ([x, w, b]) => linear(x!, w!, b!, 'relu'),
  },
  {
    name: 'linear with sigmoid, no bias',
    covers: ['matmul', 'sigmoid'],
    inputs: [{ shape: [2, 4] }, { shape: [3, 4] }],
    run: ([x, w]) => linear(x!, w!, null, 'sigmoid'),
  },
];

export const structuralCases: OpCase[] = [
  ...reductionCases,
  ...reductionEdgeCases,
  ...movementCases,
  ...gatherCases,
  ...matmulCases,
  ...activationCases,
];
