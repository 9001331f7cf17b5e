import {
  normalize,
  cartesianProd,
  checkpoint,
  customGrad,
  cdist,
  concat,
  cross,
  cummax,
  cummin,
  cumprod,
  diag,
  diagEmbed,
  diagonal,
  diff,
  einsum,
  hypot,
  isInf,
  isNaN,
  kron,
  lerp,
  linspace,
  logaddexp,
  logcumsumexp,
  logicalOr,
  logspace,
  meshgrid,
  nanToNum,
  nanmean,
  nansum,
  outer,
  prod,
  roll,
  stack,
  trace,
  tril,
  triu,
  unbind,
  where,
  xlogy,
} from '@myelin/core';
import type { Tensor } from '@myelin/core';
import type { OpCase } from './types.js';

// torch's products and scans, matrix utilities, einsum, NaN-aware and elementwise helpers
// (core's ops/scan.ts, matrix-utils.ts, einsum.ts, tensor-math.ts), each composed from
// primitives: these cases run them, with their gradients, on every backend. Core checks each
// against PyTorch (ops/tensor-math.test.ts).

export const tensorMathCases: OpCase[] = [
  {
    name: 'prod along axis 1 (odd length, a zero) and cumprod along axis 0',
    covers: ['mul', 'pad', 'slice', 'concat', 'reshape'],
    inputs: [{ shape: [3, 5], values: [0.9, -1.2, 0.5, 1.4, -0.8, 1.1, 0, -0.6, 1.3, 0.7, -1.5, 0.4, 1.2, -0.9, 1.6] }],
    run: ([x]) => concat([prod(x!, { dim: 1, keepdim: true }), cumprod(x!, 0)], 1),
  },
  {
    name: 'logcumsumexp along axis 1 and logaddexp with broadcasting',
    covers: ['exp', 'log', 'maximum', 'where', 'concat'],
    inputs: [{ shape: [3, 4] }, { shape: [4] }],
    run: ([x, y]) => logcumsumexp(x!, 1).add(logaddexp(x!, y!)),
  },
  {
    name: 'cummax and cummin: values gathered at the running arg, indices as floats',
    covers: ['greaterEqual', 'where', 'gather', 'concat', 'cast'],
    // Distinct values: a tie moves the arg, where a finite difference is not the derivative.
    inputs: [{ shape: [2, 5], values: [0.3, 1.2, -0.4, 1.9, 0.8, -1.1, -1.6, 0.2, -1.8, 1.4] }],
    run: ([x]) => {
      const high = cummax(x!, 1);
      const low = cummin(x!, 1);
      return concat([high.values, low.values, high.indices.cast(x!.dtype), low.indices.cast(x!.dtype)], 1);
    },
  },
  {
    name: 'tril, triu, diag, diagonal, diagEmbed and trace',
    covers: ['where', 'gather', 'pad', 'transpose', 'broadcastTo', 'sum'],
    inputs: [{ shape: [3, 4] }, { shape: [2, 3] }],
    run: ([x, v]) =>
      concat(
        [
          tril(x!, 1).reshape([-1]),
          triu(x!, -1).reshape([-1]),
          diag(diag(x!, 1)).reshape([-1]),
          diagonal(diagEmbed(v!, -1, 0, 2), 1, 2, 0).reshape([-1]),
          trace(x!.slice([0, 0], [3, 3])).reshape([1]),
        ],
        0,
      ),
  },
  {
    name: 'outer, kron, roll, unbind, diff with prepend, cross',
    covers: ['mul', 'slice', 'concat', 'sub', 'reshape'],
    inputs: [{ shape: [3] }, { shape: [2, 3] }, { shape: [1, 3] }],
    run: ([a, m, p]) =>
      concat(
        [
          outer(a!, a!).reshape([-1]),
          kron(m!, a!.reshape([1, 3])).reshape([-1]),
          roll(m!, [1, -1], [0, 1]).reshape([-1]),
          roll(m!, 4).reshape([-1]),
          stack(unbind(m!, 1).map((t, i) => t.mul(i + 1))).reshape([-1]),
          diff(m!, { n: 2, dim: 1, prepend: m!.slice([0, 0], [2, 1]) }).reshape([-1]),
          diff(m!, { dim: 0, prepend: p! }).reshape([-1]),
          cross(m!, p!).reshape([-1]),
        ],
        0,
      ),
  },
  {
    name: 'meshgrid (ij and xy) and cartesianProd',
    covers: ['reshape', 'broadcastTo', 'concat'],
    inputs: [{ shape: [2] }, { shape: [3] }],
    run: ([a, b]) =>
      concat(
        [
          ...meshgrid(a!, b!).map((g) => g.reshape([-1])),
          ...meshgrid(a!, b!, { indexing: 'xy' }).map((g) => g.mul(2).reshape([-1])),
          cartesianProd(a!, b!).reshape([-1]),
        ],
        0,
      ),
  },
  {
    name: 'einsum: batched matmul, diagonal, ellipsis broadcasting, three operands',
    covers: ['matmul', 'gather', 'sum', 'transpose', 'reshape'],
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 4, 2] }, { shape: [3, 3] }, { shape: [3, 1, 4] }, { shape: [2, 4] }],
    run: ([a, b, s, e, f]) =>
      concat(
        [
          einsum('bij,bjk->bik', a!, b!).reshape([-1]),
          einsum('ii->i', s!),
          einsum('ii', s!).reshape([1]),
          einsum('...j,...j->...', e!, f!).reshape([-1]),
          einsum('bij,ik,bjl->kl', a!, s!, b!).reshape([-1]),
          einsum('ba', s!).reshape([-1]),
        ],
        0,
      ),
  },
  {
    name: 'einsum of int32 operands (a product and a sum, no matmul)',
    covers: ['mul', 'sum', 'gather', 'transpose'],
    inputs: [
      { shape: [2, 3], dtype: 'int32', low: -4, high: 5 },
      { shape: [3, 3], dtype: 'int32', low: -4, high: 5 },
    ],
    run: ([a, s]) => concat([einsum('ij,jk->ik', a!, s!).reshape([-1]), einsum('ii,ki->k', s!, a!)], 0),
  },
  {
    name: 'nansum, nanmean, nanToNum, isNaN and isInf over NaN and infinities',
    covers: ['notEqual', 'equal', 'where', 'sum', 'div', 'abs'],
    inputs: [{ shape: [2, 4] }, { shape: [2, 4], values: [NaN, 1, Infinity, -2, -Infinity, NaN, 0.5, 3], grad: false }],
    // The special values sit in a second input without a gradient: finite differences of x only.
    run: ([x, special]) => {
      // NaN from `special` for the NaN reductions (infinities would make the loss infinite).
      const withNaN = where(isNaN(special!), special!, x!);
      const mixed = where(logicalOr(isNaN(special!), isInf(special!)), special!, x!);
      return concat(
        [
          nansum(withNaN, { dim: 1 }),
          nanmean(withNaN, { dim: 0 }),
          nanToNum(mixed, { posinf: 7, neginf: -7 }).reshape([-1]),
          isNaN(mixed).cast(x!.dtype).reshape([-1]),
          isInf(mixed).cast(x!.dtype).reshape([-1]),
        ],
        0,
      );
    },
  },
  {
    name: 'lerp (tensor and number weights), hypot, xlogy',
    covers: ['where', 'less', 'lessEqual', 'sqrt', 'log', 'mul'],
    inputs: [
      { shape: [2, 3] },
      { shape: [2, 3] },
      { shape: [2, 3], values: [0.1, 0.5, 0.9, 1.2, -0.3, 0.45] },
      { shape: [2, 3], low: 0.5, high: 2 },
    ],
    run: ([a, b, w, y]) => concat([lerp(a!, b!, w!), lerp(a!, b!, 0.7), hypot(a!, b!), xlogy(a!, y!)], 0),
  },
  {
    name: 'normalize p 2 over dim 1 and p 3 over the last axis',
    covers: ['mul', 'sum', 'sqrt', 'abs', 'pow', 'maximum', 'div'],
    inputs: [{ shape: [3, 4] }],
    run: ([x]) => concat([normalize(x!), normalize(x!, { p: 3, dim: -1 })], 1),
  },
  {
    name: 'cdist with p 2, 1, 3 and infinity, batched',
    covers: ['sub', 'abs', 'pow', 'sqrt', 'max', 'sum'],
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 2, 4] }],
    // Seeded inputs: no coordinate difference near 0 and no tie of the largest, where p = 1 and infinity have kinks.
    run: ([a, b]) => concat([cdist(a!, b!), cdist(a!, b!, 1), cdist(a!, b!, 3), cdist(a!, b!, Infinity)], 2),
  },
  {
    name: 'linspace and logspace scale an input',
    covers: ['mul', 'add'],
    inputs: [{ shape: [5] }],
    run: ([x], backend) =>
      x!
        .mul(linspace(-1, 2, 5, { backend, dtype: x!.dtype }))
        .add(logspace(-1, 1, 5, { backend, dtype: x!.dtype, base: 2 })),
  },
  {
    name: 'customGrad: a function with its own gradient (x·tanh(y), product rule by hand)',
    covers: ['tanh', 'mul', 'sub'],
    inputs: [{ shape: [3, 2] }, { shape: [3, 2] }],
    run: ([x, y]) =>
      customGrad((a: Tensor, b: Tensor) => {
        const t = b.tanh();
        return { value: a.mul(t), gradFunc: (dy: Tensor) => [dy.mul(t), dy.mul(a).mul(t.square().neg().add(1))] };
      })(x!, y!),
  },
  {
    name: 'checkpoint: a block run again in backward gives the plain gradients',
    covers: ['matmul', 'tanh', 'sigmoid'],
    inputs: [{ shape: [4, 3] }, { shape: [3, 3] }],
    run: ([x, w]) => checkpoint((v: Tensor) => v.matmul(w!).tanh().matmul(w!).sigmoid(), x!),
  },
];
