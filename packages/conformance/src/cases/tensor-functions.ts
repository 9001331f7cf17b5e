import {
  addbmm,
  bucketize,
  histc,
  searchsorted,
  amax,
  corrcoef,
  cov,
  cumulativeTrapezoid,
  mode,
  nanquantile,
  pdist,
  renorm,
  stdMean,
  trapezoid,
  atan2,
  clampMin,
  copysign,
  deg2rad,
  fmax,
  floorDivide,
  fmod,
  isclose,
  isin,
  logicalXor,
  remainder,
  signbit,
  blockDiag,
  columnStack,
  diagflat,
  dstack,
  fliplr,
  hstack,
  movedim,
  rot90,
  tensorSplit,
  vander,
  vstack,
  indexAdd,
  indexCopy,
  indexFill,
  indexPut,
  narrow,
  repeatInterleave,
  scatter,
  scatterReduce,
  select,
  take,
  takeAlongDim,
  tensor,
  type Backend,
  addcdiv,
  addcmul,
  addmm,
  addr,
  baddbmm,
  concat,
  dot,
  inner,
  mv,
  tensordot,
  type Tensor,
} from '@myelin/core';
import type { OpCase } from './types.js';

// torch's everyday tensor functions composed in core (ops/products.ts, ...): these cases run
// them, with their gradients, on every backend. Core checks each against PyTorch
// (ops/tensor-functions.test.ts). maskedScatter and repeatInterleave with a tensor of counts read
// values on the host, which a browser's WebGPU cannot do synchronously: core's tests cover them,
// as they do nonzero, argwhere, maskedSelect, unique, uniqueConsecutive and bincount.

const flat = (x: Tensor): Tensor => x.reshape([-1]);
const ints = (values: number[][] | number[], backend: Backend): Tensor => tensor(values, { dtype: 'int32', backend });

export const tensorFunctionCases: OpCase[] = [
  {
    name: 'products: addmm, baddbmm, addbmm, addr, mv, dot, inner and tensordot with beta and alpha',
    covers: ['matmul', 'mul', 'add', 'sum', 'transpose', 'reshape'],
    inputs: [{ shape: [2, 3] }, { shape: [3, 4] }, { shape: [4] }, { shape: [2, 2, 3] }, { shape: [2, 3, 4] }],
    run: ([a, b, v, a3, b3]) =>
      concat(
        [
          flat(addmm(v!, a!, b!, { beta: 0.5, alpha: -2 })),
          flat(baddbmm(v!, a3!, b3!, { alpha: 0.5 })),
          flat(addbmm(v!, a3!, b3!, { beta: 2 })),
          flat(addr(a!.slice([0, 0], [2, 2]), v!.slice([0], [2]), v!.slice([2], [2]), { alpha: -1 })),
          mv(b!.transpose(), a!.slice([0, 0], [1, 3]).reshape([3])),
          dot(v!, v!).reshape([1]),
          flat(inner(a3!, a!)),
          flat(
            tensordot(a3!, b3!, [
              [0, 2],
              [0, 1],
            ]),
          ),
        ],
        0,
      ),
  },
  {
    name: 'addcmul and addcdiv with broadcasting and a value',
    covers: ['mul', 'div', 'add'],
    inputs: [{ shape: [2, 3] }, { shape: [3] }, { shape: [2, 1], low: 0.5, high: 2 }],
    run: ([x, t, d]) => concat([addcmul(x!, t!, d!, { value: 0.5 }), addcdiv(x!, t!, d!, { value: -2 })], 0),
  },
  {
    name: 'indexing: indexAdd, indexCopy, indexFill, indexPut, takeAlongDim, take, narrow, select, repeatInterleave',
    covers: ['scatterAdd', 'gather', 'where', 'slice', 'add', 'mul', 'greater'],
    inputs: [{ shape: [3, 4] }, { shape: [3, 2] }, { shape: [2] }],
    run: ([x, s, v], backend) =>
      concat(
        [
          flat(indexAdd(x!, 1, ints([3, 0], backend), s!, { alpha: 2 })),
          flat(indexCopy(x!, 1, ints([2, 1], backend), s!)),
          flat(indexFill(x!, 0, ints([1], backend), -1)),
          flat(
            indexPut(x!, [ints([0, 2, 0], backend), ints([1, 3, 1], backend)], v!.slice([0], [1]), {
              accumulate: true,
            }),
          ),
          flat(
            takeAlongDim(
              x!,
              ints(
                [
                  [0, 3],
                  [2, 2],
                  [1, 0],
                ],
                backend,
              ),
              1,
            ),
          ),
          flat(take(x!, ints([-1, 5], backend))),
          flat(narrow(x!, 1, -3, 2)),
          select(x!, 0, 1),
          repeatInterleave(v!, 2),
        ],
        0,
      ),
  },
  {
    name: 'scatter and scatterReduce (sum, prod, mean, amax without self)',
    covers: ['scatterAdd', 'gather', 'where', 'equal', 'max', 'pad', 'transpose', 'concat'],
    // Distinct values: a tie in amax splits the gradient, where a finite difference is not the derivative.
    inputs: [
      { shape: [2, 3], values: [0.3, -1.2, 0.8, 1.5, -0.4, 0.9] },
      { shape: [2, 3], values: [1.1, -0.7, 0.2, -1.6, 0.6, 1.3] },
    ],
    run: ([x, s], backend) => {
      const index = ints(
        [
          [0, 2, 0],
          [1, 1, 1],
        ],
        backend,
      );
      return concat(
        [
          flat(
            scatter(
              x!,
              1,
              ints(
                [
                  [2, 0, 1],
                  [1, 2, 0],
                ],
                backend,
              ),
              s!,
            ),
          ),
          flat(scatterReduce(x!, 1, index, s!, 'sum')),
          flat(scatterReduce(x!, 1, index, s!, 'prod')),
          flat(scatterReduce(x!, 1, index, s!, 'mean', { includeSelf: false })),
          flat(scatterReduce(x!, 1, index, s!, 'amax', { includeSelf: false })),
        ],
        0,
      );
    },
  },
  {
    name: 'shapes: movedim, hstack, vstack, dstack, columnStack, tensorSplit, fliplr, rot90, blockDiag, diagflat, vander',
    covers: ['transpose', 'concat', 'slice', 'gather', 'pad', 'mul', 'reshape'],
    inputs: [{ shape: [2, 3] }, { shape: [3] }],
    run: ([x, v]) =>
      concat(
        [
          flat(movedim(x!.reshape([2, 3, 1]), [0, 2], [2, 0])),
          flat(hstack([v!, v!])),
          flat(vstack([v!, x!])),
          flat(dstack([x!, x!])),
          flat(columnStack([v!, x!.transpose()])),
          flat(
            concat(
              tensorSplit(x!, 2, 1).map((p, i) => p.mul(i + 2)),
              1,
            ),
          ),
          flat(fliplr(x!)),
          flat(rot90(x!, 3, [0, 1])),
          flat(blockDiag(x!, v!)),
          flat(diagflat(v!, 1)),
          flat(vander(v!, { n: 4 })),
        ],
        0,
      ),
  },
  {
    name: 'elementwise: atan2, fmod, remainder, fmax, copysign, clampMin, deg2rad',
    covers: ['atan', 'div', 'trunc', 'floor', 'sign', 'abs', 'where', 'less', 'greaterEqual'],
    // Away from fmod's and remainder's jumps and from atan2's branch cut, where a finite difference is not the derivative.
    inputs: [
      { shape: [6], values: [5.5, -5.5, 5.3, -5.2, 0.7, -1.9] },
      { shape: [6], values: [2.1, 2.2, -2.3, -1.9, 0.4, 1.3] },
    ],
    run: ([a, b]) =>
      concat(
        [atan2(a!, b!), fmod(a!, b!), remainder(a!, b!), fmax(a!, b!), copysign(a!, b!), clampMin(a!, b!), deg2rad(a!)],
        0,
      ),
  },
  {
    name: 'elementwise predicates: signbit, logicalXor, isclose, isin (as floats)',
    covers: ['equal', 'notEqual', 'lessEqual', 'cast', 'sum'],
    inputs: [
      { shape: [5], values: [-1, 0, 2, 2.5, -0.5] },
      { shape: [5], values: [-1, 1, 2.00001, 0, 3] },
    ],
    grad: false,
    run: ([a, b]) =>
      concat(
        [signbit(a!), logicalXor(a!, b!), isclose(a!, b!, { rtol: 1e-4 }), isin(a!, b!)].map((t) => t.cast(a!.dtype)),
        0,
      ),
  },
  {
    name: 'statistics: amax with ties, stdMean, cov, corrcoef, pdist, renorm, trapezoid, cumulativeTrapezoid, mode, nanquantile',
    covers: ['max', 'equal', 'sum', 'sqrt', 'matmul', 'sort', 'gather', 'pow'],
    // Distinct values: a tie (amax sharing its gradient) is a kink for finite differences; core checks ties against PyTorch.
    inputs: [{ shape: [3, 4], values: [0.7, 1.3, 1.1, -0.2, 0.4, -1.1, 0.9, 1.6, -0.8, 0.3, -1.4, 0.6] }],
    run: ([x]) => {
      const [deviation, average] = stdMean(x!, { dim: 1 });
      return concat(
        [
          amax(x!, { dim: 1 }),
          deviation,
          average,
          flat(cov(x!)),
          flat(corrcoef(x!)),
          pdist(x!),
          flat(renorm(x!, 2, 0, 1.5)),
          trapezoid(x!, { dx: 0.5 }),
          flat(cumulativeTrapezoid(x!)),
          mode(x!, { dim: 1 }).values,
          nanquantile(x!, 0.3, { dim: 1 }),
        ],
        0,
      );
    },
  },
  {
    // int32 signs and sizes up to 2^24 (beyond it WebGPU's tfjs int32 arithmetic itself rounds:
    // core tests the whole int32 range on cpu-reference, and cpu, wasm and cuda pass it too).
    name: 'int32 remainder, fmod and floorDivide; isclose of infinities; negative take (as floats)',
    covers: ['div', 'floor', 'trunc', 'round', 'mul', 'sub', 'cast', 'where', 'less'],
    inputs: [{ shape: [3], values: [1, Infinity, Number.NaN] }],
    grad: false,
    run: ([x], backend) => {
      const a = ints([16777215, -16777213, 9999991, -7, 7, -8], backend);
      const b = ints([2, 7, -3, 3, -3, -4], backend);
      return concat(
        [
          remainder(a, b),
          fmod(a, b),
          remainder(a, 3),
          floorDivide(a, b),
          isclose(x!, tensor([Infinity, Infinity, Number.NaN], { dtype: x!.dtype, backend }), { equalNan: true }),
          take(x!, ints([-3], backend)),
        ].map((t) => t.cast('float32')),
        0,
      );
    },
  },
  {
    name: 'histc, bucketize and searchsorted (fixed output sizes: no host read), as floats',
    covers: ['less', 'lessEqual', 'greaterEqual', 'floor', 'scatterAdd', 'sum', 'max'],
    inputs: [
      { shape: [6], values: [0.3, -1.2, 0.8, 1.5, -0.4, 0.9] },
      { shape: [2, 3], values: [-1, 0, 1, -0.5, 0.5, 1.5] },
    ],
    grad: false,
    run: ([x, s]) =>
      concat(
        [
          histc(x!, { bins: 4 }),
          histc(x!, { bins: 3, min: -1, max: 1 }),
          bucketize(x!, s!.reshape([-1]).slice([0], [3]), { right: true }).cast(x!.dtype),
          flat(searchsorted(s!, x!.reshape([2, 3]))).cast(x!.dtype),
        ],
        0,
      ),
  },
];
